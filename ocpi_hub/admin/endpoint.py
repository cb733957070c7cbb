"""What every admin API resource module is made of: an `Endpoint` (its route and what the
OpenAPI document says of it), JSON answers, and the request readers that turn bad input into
a `BadRequest` naming the field.

Resource modules (`admin/api_<area>.py`) import this, never `admin.api`: `admin.api` imports
every resource module to collect their `ENDPOINTS`, so the other way round would be a cycle.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web

__all__ = [
    "ERROR",
    "PARTY_KEY",
    "PREFIX",
    "BadRequest",
    "Endpoint",
    "Handler",
    "error",
    "flag_query",
    "integer_query",
    "integers",
    "json_body",
    "respond",
    "strings",
    "text",
]

# Where the admin API is served; an `Endpoint`'s path is below it.
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


# The shape of every error the API answers (4xx and 401), as the OpenAPI document states it.
ERROR: Mapping[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "message", "field"],
            "properties": {
                "status": {"type": "integer"},
                "message": {"type": "string"},
                "field": {"type": ["string", "null"], "description": "null: the whole request"},
            },
        }
    },
}


# A party as the CLI and the API write it: country code and party id, `NL*ABC`.
PARTY_KEY: Mapping[str, Any] = {
    "type": "string",
    "pattern": "^[A-Za-z]{2}\\*[A-Za-z0-9]{3}$",
    "examples": ["NL*ABC"],
}


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


def error(status: int, message: str, field: str | None = None) -> web.Response:
    """An answer in the API's error shape (`ERROR`)."""
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


def strings(body: dict[str, Any], field: str) -> list[str] | None:
    """An optional list-of-strings field (None when absent or null); 400 naming it otherwise."""
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadRequest(400, "a list of strings is required", field)
    return value


def integers(body: dict[str, Any], field: str) -> list[int] | None:
    """An optional list-of-integers field (None when absent or null); 400 naming it otherwise."""
    value = body.get(field)
    if value is None:
        return None
    # bool is an int to Python, never to a JSON client.
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        raise BadRequest(400, "a list of integers is required", field)
    return value


def text_query(request: web.Request, name: str) -> str | None:
    """An optional query parameter; None when absent or empty (a blank form field)."""
    return request.query.get(name) or None


def integer_query(request: web.Request, name: str) -> int | None:
    """An optional integer query parameter; 400 naming it when it is not one."""
    value = request.query.get(name)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise BadRequest(400, f"{value!r} is not an integer", name) from None


def flag_query(request: web.Request, name: str) -> bool:
    """An optional boolean query parameter (`true` or `false`, default false; 400 naming it
    otherwise; empty is absent, as a blank form field sends it)."""
    value = (request.query.get(name) or "false").lower()
    if value not in ("true", "false"):
        raise BadRequest(400, f"{value!r}: true or false", name)
    return value == "true"
