"""The outbox in the admin API: deliveries by state and receiver with totals, and the replay
of dead letters (`outbox list|replay`, ocpi_hub.operations.outbox)."""

from __future__ import annotations

from aiohttp import web

from ocpi_hub.admin.endpoint import (
    Endpoint,
    integer_query,
    integers,
    json_body,
    respond,
    text_query,
)
from ocpi_hub.operations import outbox
from ocpi_hub.web.keys import POOL

__all__ = ["ENDPOINTS"]

DEFAULT_LIMIT = 100


async def get_outbox(request: web.Request) -> web.Response:
    """The newest deliveries (of `status`, to the platform `receiver`, at most `limit`) and
    the totals per state."""
    limit = integer_query(request, "limit")
    found = await outbox.listed(
        request.app[POOL],
        status=text_query(request, "status"),
        limit=DEFAULT_LIMIT if limit is None else limit,
        receiver=integer_query(request, "receiver"),
    )
    return respond(found)


async def post_replay(request: web.Request) -> web.Response:
    """`{"ids"?: [...]}`: queue those dead deliveries again (absent: every dead one)."""
    body = await json_body(request)
    return respond(await outbox.replay(request.app[POOL], integers(body, "ids")))


_DELIVERY = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "receiver_platform_id": {"type": "integer"},
        "to": {"type": "string", "description": "the receiving party, CC*PID"},
        "module": {"type": "string"},
        "method": {"type": "string"},
        "path": {"type": "string"},
        "object_key": {"type": "string"},
        "status": {"enum": list(outbox.STATUSES)},
        "attempts": {"type": "integer"},
        "next_attempt_at": {"type": ["string", "null"], "format": "date-time"},
        "last_error": {"type": ["string", "null"]},
        "created_at": {"type": "string", "format": "date-time"},
        "delivered_at": {"type": ["string", "null"], "format": "date-time"},
        "merged_into": {"type": ["integer", "null"]},
    },
}

ENDPOINTS: list[Endpoint] = [
    Endpoint(
        "GET",
        "/outbox",
        get_outbox,
        "admin:outbox",
        "Deliveries, newest first, with the totals per state",
        answer={
            "type": "object",
            "properties": {
                "deliveries": {"type": "array", "items": _DELIVERY},
                "totals": {
                    "type": "object",
                    "description": "deliveries per state (states with none are absent)",
                    "additionalProperties": {"type": "integer"},
                },
            },
        },
        query={
            "status": {"enum": list(outbox.STATUSES)},
            "limit": {
                "type": "integer",
                "minimum": 1,
                "maximum": outbox.MAX_LIMIT,
                "default": DEFAULT_LIMIT,
            },
            "receiver": {"type": "integer", "description": "the receiving platform's id"},
        },
    ),
    Endpoint(
        "POST",
        "/outbox/replay",
        post_replay,
        "admin:outbox:replay",
        "Queue dead deliveries again",
        body={
            "type": "object",
            "properties": {
                "ids": {
                    "type": "array",
                    "items": {"type": "integer", "minimum": 1},
                    "minItems": 1,
                    "description": "absent: every dead delivery",
                }
            },
        },
        answer={"type": "object", "properties": {"replayed": {"type": "integer"}}},
    ),
]
