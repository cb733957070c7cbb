"""The OpenAPI 3.1 document of the admin API, built from its `Endpoint`s and nothing else: the
paths and methods, a summary and description (the handler's docstring) each, the query
parameters, request body and answer as JSON Schemas, the error shape of every 4xx and the 401
without an operator token, and the bearer scheme.

Served at `/admin/api/openapi.json` (behind an operator token, as every admin route) and
checked in as `schemas/admin-openapi.json` (`make schemas`; a test keeps it current).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Sequence
from typing import Any

from ocpi_hub.admin.endpoint import ERROR, PREFIX, Endpoint

__all__ = ["VERSION", "document"]

# The admin API's own version: raised when an answer or a request changes shape.
VERSION = "1.0.0"

_ERROR_REF = {"$ref": "#/components/schemas/Error"}
_PLACEHOLDER = re.compile(r"{([^}]+)}")


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERROR_REF}}}


def _operation(endpoint: Endpoint) -> dict[str, Any]:
    """One operation: what it takes, what it answers, how it fails."""
    operation: dict[str, Any] = {
        "operationId": endpoint.name,
        "summary": endpoint.summary,
        "tags": [endpoint.path.strip("/").split("/")[0]],
    }
    described = inspect.getdoc(endpoint.handler)
    if described:
        operation["description"] = described
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _PLACEHOLDER.findall(endpoint.path)
    ] + [
        {"name": name, "in": "query", "required": False, "schema": dict(schema)}
        for name, schema in endpoint.query.items()
    ]
    if parameters:
        operation["parameters"] = parameters
    if endpoint.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": dict(endpoint.body)}},
        }
    responses: dict[str, Any] = {
        str(endpoint.status): {
            "description": endpoint.summary,
            "content": {"application/json": {"schema": dict(endpoint.answer)}},
        }
    }
    if parameters or endpoint.body is not None:
        responses["400"] = {"$ref": "#/components/responses/BadRequest"}
    responses["401"] = {"$ref": "#/components/responses/Unauthorized"}
    operation["responses"] = responses
    return operation


def document(endpoints: Sequence[Endpoint]) -> dict[str, Any]:
    """The OpenAPI 3.1 document of `endpoints` (the admin API's: `admin.api.ENDPOINTS`)."""
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in endpoints:
        paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = _operation(endpoint)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ocpi-hub admin API",
            "version": VERSION,
            "description": (
                "What the `ocpi-hub` command line shows and does, as JSON resources. Every"
                " request carries an operator token (`ocpi-hub operators create`) as"
                " `Authorization: Bearer <token>`; OCPI tokens are never accepted. Bad input is"
                " a 4xx whose error names the field, and changes nothing."
            ),
        },
        "servers": [{"url": PREFIX}],
        "security": [{"operatorToken": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "operatorToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "an operator token: `ocpi-hub operators create --name NAME`",
                }
            },
            "schemas": {"Error": dict(ERROR)},
            "responses": {
                "BadRequest": _error("bad input: the error names the field; nothing changed"),
                "Unauthorized": _error("no operator token, or one unknown or revoked"),
            },
        },
    }
