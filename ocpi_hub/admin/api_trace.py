"""The admin API's trace: `GET /admin/api/trace/{correlation_id}`, every hop of one message
(ocpi_hub.operations.trace, what `ocpi-hub trace --json` prints). `admin.api` joins
`ENDPOINTS` to its own."""

from __future__ import annotations

from aiohttp import web

from ocpi_hub.admin.endpoint import BadRequest, Endpoint, respond
from ocpi_hub.operations import trace
from ocpi_hub.web.keys import POOL

__all__ = ["ENDPOINTS"]


async def get_trace(request: web.Request) -> web.Response:
    """Every hop of the message with this correlation id, in time order; 404 when none."""
    found = await trace.timeline(request.app[POOL], request.match_info["correlation_id"])
    if found is None:
        raise BadRequest(404, "no hop of this correlation id is kept", "correlation_id")
    return respond(found)


_NULLABLE_INT = {"type": ["integer", "null"]}
_NULLABLE_TEXT = {"type": ["string", "null"]}
_HOP = {
    "type": "object",
    "properties": {
        "at": {"type": "string", "format": "date-time"},
        "offset_ms": {"type": "number"},
        "kind": {"enum": ["request", "relay", "answer", "delivery"]},
        "method": {"type": "string"},
        "url": {"type": "string"},
        "from": _NULLABLE_TEXT,
        "to": _NULLABLE_TEXT,
        "http_status": _NULLABLE_INT,
        "ocpi_status": _NULLABLE_INT,
        "duration_ms": {"type": ["number", "null"]},
        "request_id": _NULLABLE_TEXT,
        "note": _NULLABLE_TEXT,
    },
}
_TIMELINE = {
    "type": "object",
    "properties": {
        "correlation_id": {"type": "string"},
        "hops": {"type": "array", "items": _HOP},
    },
}

ENDPOINTS: list[Endpoint] = [
    Endpoint(
        "GET",
        "/trace/{correlation_id}",
        get_trace,
        "admin:trace",
        "Every hop of one message (request in, relay, answer, delivery), in time order",
        answer=_TIMELINE,
    ),
]
