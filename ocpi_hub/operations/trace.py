"""The trace of a message by its correlation id (`ocpi-hub trace`, `/admin/api/trace/{id}`,
the console's trace page): every hop the hub kept of it, in time order (core.trace)."""

from __future__ import annotations

from typing import Any

import asyncpg

from ocpi_hub.core import trace as rules
from ocpi_hub.operations import Refused
from ocpi_hub.storage.repositories import trace

__all__ = ["checked_id", "timeline", "traffic"]

# Longer than any X-Correlation-ID the hub or a peer makes (a UUID is 36); the hub keeps the
# header as sent, so an id is looked up as it is.
MAX_LENGTH = 255


def checked_id(value: str) -> str:
    """`value` as a correlation id to look up; Refused naming the field when it cannot be."""
    value = value.strip()
    if not value or len(value) > MAX_LENGTH or not value.isprintable():
        raise Refused("correlation_id", f"a printable id of 1 to {MAX_LENGTH} characters")
    return value


async def timeline(pool: asyncpg.Pool, correlation_id: str) -> dict[str, Any] | None:
    """`{"correlation_id", "hops": [...]}`: each hop with its time (`at`, RFC 3339 to the ms),
    `offset_ms` from the first, `kind` (request, relay, answer, delivery), `method`, `url`,
    `from`, `to`, `http_status`, `ocpi_status`, `duration_ms`, `request_id` and `note`; None
    when no hop of that id is kept (never seen, or older than OCPI_HUB_TRACE_RETENTION)."""
    wanted = checked_id(correlation_id)
    hops = await trace.hops(pool, wanted)
    return rules.timeline(wanted, hops) if hops else None


async def traffic(pool: asyncpg.Pool, *, seconds: int, count: int) -> rules.Traffic:
    """Requests in per module and errors over the last `count` periods of `seconds`, from the
    kept hops (so no older than OCPI_HUB_TRACE_RETENTION): the console's overview."""
    if seconds < 1 or not 1 <= count <= 1000:
        raise Refused("seconds", "periods of a second or more, 1 to 1000 of them")
    return rules.bucketed(await trace.traffic(pool, seconds, count), seconds, count)
