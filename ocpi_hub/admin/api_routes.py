"""Routes in the admin API: each party's routes with their measured quality, and the
operator's preference (`routes list|prefer`, ocpi_hub.operations.routes)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ocpi_hub.admin.endpoint import (
    PARTY_KEY,
    BadRequest,
    Endpoint,
    flag_query,
    json_body,
    respond,
    text,
    text_query,
)
from ocpi_hub.operations import routes
from ocpi_hub.web.keys import POOL, SETTINGS

__all__ = ["ENDPOINTS"]


async def get_routes(request: web.Request) -> web.Response:
    """Each party's routes (every party with a registered route; `several=true`: only those
    with a choice of routes, as `routes list`), or `party`'s."""
    found = await routes.listed(
        request.app[POOL],
        request.app[SETTINGS],
        party=text_query(request, "party"),
        several=flag_query(request, "several"),
    )
    return respond(found)


async def post_prefer(request: web.Request) -> web.Response:
    """Send a party's traffic over one of its routes: `{"party", "via"}` → the party's row."""
    body = await json_body(request)
    party = text(body, "party") or ""
    via = body.get("via")
    if isinstance(via, int) and not isinstance(via, bool):
        via = str(via)  # a platform id written as a number
    if not isinstance(via, str) or not via:
        raise BadRequest(400, "a platform id, direct or auto is required", "via")
    row = await routes.prefer(request.app[POOL], request.app[SETTINGS], party=party, via=via)
    return respond(row)


_ROUTE = {
    "type": "object",
    "properties": {
        "platform_id": {"type": "integer"},
        "kind": {"enum": ["direct", "network"]},
        "sent": {"type": "integer", "description": "requests over the window"},
        "failed": {"type": "integer"},
        "success_rate": {"type": ["number", "null"], "description": "null: nothing sent"},
        "p95_ms": {"type": ["integer", "null"], "description": "95th percentile latency"},
        "chosen": {"type": "boolean"},
    },
}
_ROUTES = {
    "type": "object",
    "properties": {
        "party": PARTY_KEY,
        "chosen": {"type": ["integer", "null"], "description": "the platform id of the route"},
        "reason": {"type": ["string", "null"]},
        "changed_at": {"type": ["string", "null"], "format": "date-time"},
        "preference": {"type": "string", "description": "a platform id, direct or auto"},
        "routes": {"type": "array", "items": _ROUTE},
    },
}
_PREFER: dict[str, Any] = {
    "type": "object",
    "required": ["party", "via"],
    "properties": {
        "party": PARTY_KEY,
        "via": {
            "oneOf": [
                {"type": "integer", "description": "the platform id of one of its routes"},
                {"enum": ["direct", "auto"]},
            ],
            "description": "auto: the route measured best",
        },
    },
}

ENDPOINTS: list[Endpoint] = [
    Endpoint(
        "GET",
        "/routes",
        get_routes,
        "admin:routes",
        "Each party's routes, with success rate and latency over the window",
        answer={"type": "array", "items": _ROUTES},
        query={
            "party": PARTY_KEY,
            "several": {
                "type": "boolean",
                "default": False,
                "description": "only parties with more than one route",
            },
        },
    ),
    Endpoint(
        "POST",
        "/routes/prefer",
        post_prefer,
        "admin:routes:prefer",
        "Send a party's traffic over one of its routes (or back to measured choice)",
        body=_PREFER,
        answer=_ROUTES,
    ),
]
