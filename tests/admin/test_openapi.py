"""The admin API's OpenAPI 3.1 document (admin.openapi): valid, complete, served as checked in
(schemas/admin-openapi.json, kept current by tests/test_schemas.py)."""

from __future__ import annotations

import json
from pathlib import Path

from openapi_spec_validator import validate
from openapi_spec_validator.validation import OpenAPIV31SpecValidator

from ocpi_hub.admin import api
from ocpi_hub.admin.endpoint import PREFIX
from tests.admin.conftest import Admin

CHECKED_IN = Path(__file__).parent.parent.parent / "schemas" / "admin-openapi.json"


def test_the_document_is_valid_openapi_3_1() -> None:
    """The document passes the OpenAPI 3.1 validator: structure, references, schemas."""
    document = api.document()
    assert document["openapi"] == "3.1.0"
    validate(document, cls=OpenAPIV31SpecValidator)


def test_every_operation_says_how_it_fails_and_how_it_is_authenticated() -> None:
    """Each operation answers 401 in the error shape, those taking input 400 too; the bearer
    operator token is the document's security."""
    document = api.document()
    assert document["security"] == [{"operatorToken": []}]
    assert document["components"]["securitySchemes"]["operatorToken"]["scheme"] == "bearer"
    error = document["components"]["schemas"]["Error"]
    assert error["properties"]["error"]["required"] == ["status", "message", "field"]
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            responses = operation["responses"]
            assert responses["401"] == {"$ref": "#/components/responses/Unauthorized"}
            takes_input = "requestBody" in operation or "parameters" in operation
            assert ("400" in responses) == takes_input, (method, path)


async def test_every_admin_route_is_in_the_document_served_as_checked_in(admin: Admin) -> None:
    """Each route the running hub serves under /admin/api is an operation of the document, and
    GET /admin/api/openapi.json (with an operator token) answers the checked-in document."""
    served = {
        (route.method.lower(), route.resource.canonical.removeprefix(PREFIX))
        for route in admin.hub.app.router.routes()
        if route.resource is not None
        and route.resource.canonical.startswith(PREFIX + "/")
        and route.method != "HEAD"
    }
    status, document = await admin.call("GET", "/openapi.json")
    assert status == 200
    described = {(m, path) for path, methods in document["paths"].items() for m in methods}
    assert served == described
    assert document == json.loads(CHECKED_IN.read_text())
    assert (await admin.call("GET", "/openapi.json", token=""))[0] == 401
