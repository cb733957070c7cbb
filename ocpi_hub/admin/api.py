"""The admin API (JSON, `/admin/api/`): what the CLI shows and does, as resources, for scripts
and other tools. Authenticated with an operator token; bad input is a 4xx whose JSON error
names the field, and changes nothing. The OpenAPI document of it is `admin.openapi`.

Errors: `{"error": {"status": 400, "message": "...", "field": "country_code"}}` (field null
when the request as a whole is wrong; `admin.endpoint.ERROR`).

Each resource module (`admin/api_<area>.py`) lists its operations in `ENDPOINTS`, made of
`admin.endpoint`; this module gathers them, and is the edge every request crosses.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ocpi_hub.admin import (
    api_agreements,
    api_money,
    api_outbox,
    api_parties,
    api_routes,
    api_trace,
    openapi,
)
from ocpi_hub.admin.auth import Unauthenticated, bearer, operator_of
from ocpi_hub.admin.endpoint import PREFIX, BadRequest, Endpoint, Handler, error, respond
from ocpi_hub.logging import get_logger
from ocpi_hub.operations import Refused

__all__ = ["ENDPOINTS", "admin_middleware", "document", "routes"]

log = get_logger("ocpi_hub.admin")


@web.middleware
async def admin_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The admin API's edge: an operator token on every request, errors as JSON."""
    if not request.path.startswith(PREFIX + "/"):
        return await handler(request)
    try:
        if request.match_info.http_exception is not None:
            raise request.match_info.http_exception
        await operator_of(request, bearer(request))
        return await handler(request)
    except Unauthenticated as exc:
        return error(401, str(exc))
    except Refused as exc:
        return error(400, exc.message, exc.field)
    except BadRequest as exc:
        return error(exc.status, exc.message, exc.field)
    except web.HTTPException as exc:
        return error(exc.status, exc.reason)


def document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the admin API (`admin.openapi`)."""
    return openapi.document(ENDPOINTS)


async def get_openapi(request: web.Request) -> web.Response:
    """This API's OpenAPI 3.1 document, as checked in at schemas/admin-openapi.json."""
    return respond(document())


# Every operation of the admin API, resource by resource (the OpenAPI document's order).
ENDPOINTS: list[Endpoint] = [
    *api_parties.ENDPOINTS,
    *api_routes.ENDPOINTS,
    *api_agreements.ENDPOINTS,
    *api_outbox.ENDPOINTS,
    *api_money.ENDPOINTS,
    *api_trace.ENDPOINTS,
    Endpoint(
        "GET",
        "/openapi.json",
        get_openapi,
        "admin:openapi",
        "The OpenAPI 3.1 document of the admin API",
        answer={"type": "object", "description": "an OpenAPI 3.1 document"},
    ),
]


def routes() -> list[web.RouteDef]:
    """The admin API's routes, from `ENDPOINTS`."""
    return [web.route(e.method, PREFIX + e.path, e.handler, name=e.name) for e in ENDPOINTS]
