"""The admin API (JSON, `/admin/api/`): what the CLI shows and does, as resources, for scripts
and other tools. Authenticated with an operator token; bad input is a 4xx whose JSON error
names the field, and changes nothing. The OpenAPI document of it is `admin.openapi`.

Errors: `{"error": {"status": 400, "message": "...", "field": "country_code"}}` (field null
when the request as a whole is wrong).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web

from ocpi_hub.admin.auth import Unauthenticated, bearer, operator_of
from ocpi_hub.logging import get_logger
from ocpi_hub.operations import Refused, parties
from ocpi_hub.web.keys import POOL, SETTINGS

__all__ = [
    "ENDPOINTS",
    "BadRequest",
    "Endpoint",
    "admin_middleware",
    "json_body",
    "respond",
    "routes",
    "text",
]

log = get_logger("ocpi_hub.admin")

PREFIX = "/admin/api"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Endpoint:
    """One operation of the admin API: its route, and what its OpenAPI entry says of it
    (`admin.openapi` builds the document from these; nothing else describes the API)."""

    method: str
    path: str  # below /admin/api, with {placeholders}
    handler: Handler
    name: str  # the route name, "admin:<something>"
    summary: str
    # JSON Schemas (dicts): the request body (None: none), the 2xx answer, query parameters.
    body: Mapping[str, Any] | None = None
    answer: Mapping[str, Any] = field(default_factory=dict)
    query: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    status: int = 200  # the success status


class BadRequest(Exception):
    """A request the API cannot take: its status, why, and the field (None: the whole)."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


def respond(data: Any, status: int = 200) -> web.Response:
    """A JSON answer (datetimes as RFC 3339, decimals as strings)."""
    return web.Response(
        body=orjson.dumps(data, default=str), status=status, content_type="application/json"
    )


def _error(status: int, message: str, field: str | None = None) -> web.Response:
    return respond({"error": {"status": status, "message": message, "field": field}}, status)


async def json_body(request: web.Request) -> dict[str, Any]:
    """The request body as a JSON object; 400 otherwise."""
    try:
        body = orjson.loads(await request.read())
    except orjson.JSONDecodeError as exc:
        raise BadRequest(400, f"the body is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise BadRequest(400, "the body must be a JSON object")
    return body


def text(body: dict[str, Any], field: str, *, required: bool = True) -> str | None:
    """A string field of a request body; 400 naming it when it is missing or not a string."""
    value = body.get(field)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise BadRequest(400, "a non-empty string is required", field)
    return value


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
        return _error(401, str(exc))
    except Refused as exc:
        return _error(400, exc.message, exc.field)
    except BadRequest as exc:
        return _error(exc.status, exc.message, exc.field)
    except web.HTTPException as exc:
        return _error(exc.status, exc.reason)


async def get_parties(request: web.Request) -> web.Response:
    """Every party, local and remote: status, platform, dialect, version."""
    return respond(await parties.listed(request.app[POOL]))


async def post_invitations(request: web.Request) -> web.Response:
    """Invite a partner: `{"role", "country_code", "party_id", "name"?, "dialect"?}` → its
    token A and the versions URL to hand it."""
    body = await json_body(request)
    invited = await parties.invite(
        request.app[POOL],
        request.app[SETTINGS],
        role=text(body, "role") or "",
        country_code=text(body, "country_code") or "",
        party_id=text(body, "party_id") or "",
        name=text(body, "name", required=False),
        dialect=text(body, "dialect", required=False) or "ocpi-2.2.1",
    )
    return respond(invited, 201)


_PARTY = {
    "type": "object",
    "properties": {
        "country_code": {"type": "string"},
        "party_id": {"type": "string"},
        "role": {"type": "string"},
        "status": {"type": "string"},
        "platform_id": {"type": "integer"},
        "via": {"type": ["integer", "null"]},
        "dialect": {"type": "string"},
        "version": {"type": ["string", "null"]},
        "name": {"type": ["string", "null"]},
        "versions_url": {"type": ["string", "null"]},
    },
}
_INVITATION = {
    "type": "object",
    "required": ["role", "country_code", "party_id"],
    "properties": {
        "role": {"enum": ["CPO", "EMSP", "HUB"]},
        "country_code": {"type": "string", "minLength": 2, "maxLength": 2},
        "party_id": {"type": "string", "minLength": 1, "maxLength": 3},
        "name": {"type": "string"},
        "dialect": {"type": "string"},
    },
}

_INVITED = {
    "type": "object",
    "properties": {
        "token": {"type": "string"},
        "versions_url": {"type": "string"},
        "platform_id": {"type": "integer"},
    },
}

# Every operation of the admin API; the resource modules add theirs here.
ENDPOINTS: list[Endpoint] = [
    Endpoint(
        "GET",
        "/parties",
        get_parties,
        "admin:parties",
        "Every party, local and remote",
        answer={"type": "array", "items": _PARTY},
    ),
    Endpoint(
        "POST",
        "/invitations",
        post_invitations,
        "admin:invitations",
        "Invite a partner: its token A",
        body=_INVITATION,
        answer=_INVITED,
        status=201,
    ),
]


# The resource modules build on the seam above, so they are imported (and joined) after it.
from ocpi_hub.admin import api_money  # noqa: E402

ENDPOINTS += api_money.ENDPOINTS


def routes() -> list[web.RouteDef]:
    """The admin API's routes, from `ENDPOINTS`."""
    return [web.route(e.method, PREFIX + e.path, e.handler, name=e.name) for e in ENDPOINTS]
