"""The outbox: deliveries by state and receiver, and the replay of dead ones (`ocpi-hub outbox
list|replay`, `/admin/api/outbox`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from ocpi_hub.operations import Refused
from ocpi_hub.storage.repositories import outbox

__all__ = ["MAX_LIMIT", "STATUSES", "delivered_per", "listed", "replay"]

# A delivery's states as listed: queued, delivered (kept as history for a while), dead-lettered.
STATUSES = ("PENDING", "DELIVERED", "DEAD")
# The most deliveries one listing shows: a page a screen or a script can take.
MAX_LIMIT = 10_000


async def listed(
    pool: asyncpg.Pool,
    *,
    status: str | None = None,
    limit: int = 100,
    receiver: int | None = None,
) -> dict[str, Any]:
    """The newest `limit` deliveries (of `status`, to the platform `receiver`, when given)
    and how many there are in each state (to `receiver`): `{"deliveries", "totals"}`."""
    if status is not None and status.upper() not in STATUSES:
        raise Refused("status", f"{status!r}: one of {', '.join(STATUSES)}")
    if not 1 <= limit <= MAX_LIMIT:
        raise Refused("limit", f"{limit}: from 1 to {MAX_LIMIT}")
    wanted = None if status is None else status.upper()
    rows = await outbox.listing(pool, wanted, limit, receiver)
    totals = await outbox.counts(pool, receiver)
    return {"deliveries": [d.as_json() for d in rows], "totals": totals}


async def replay(pool: asyncpg.Pool, ids: Sequence[int] | None = None) -> dict[str, int]:
    """Queue dead deliveries again with fresh attempts: those in `ids`, or every dead one
    (None); `{"replayed": n}` (an id that is not a dead delivery is skipped)."""
    if ids is not None and (not ids or any(i < 1 for i in ids)):
        raise Refused("ids", "delivery ids (from 1), at least one; none: every dead delivery")
    return {"replayed": await outbox.replay(pool, ids)}


async def delivered_per(pool: asyncpg.Pool, seconds: int, count: int) -> list[int]:
    """Deliveries delivered in each of the last `count` periods of `seconds`, the oldest
    first (the current, partial period last): the console's overview series."""
    if seconds < 1 or not 1 <= count <= 1000:
        raise Refused("seconds", "periods of a second or more, 1 to 1000 of them")
    return await outbox.delivered_per(pool, seconds, count)
