"""The hub's pulls of networks (migration 0012, push.puller): one row per (network, module).

Core decides which pull is due (core.pulls) from what is stored here; this stores it. A pull is
claimed before it starts, by compare-and-swap on its last attempt and an expired claim, so of
several hub processes sharing the database one pulls each (network, module) at a time, and a
process that died mid-pull leaves it to another once its claim runs out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from ocpi_hub.core.pulls import PullState
from ocpi_hub.storage import Executor

__all__ = ["claim", "cue_full", "extend", "failed", "full_next", "states", "succeeded"]

_KEY = "platform_id = $1 AND module = $2"


async def states(
    conn: Executor, platform_ids: Sequence[int]
) -> tuple[datetime, dict[tuple[int, str], PullState]]:
    """The database's time now, and the state of every pull of these networks."""
    now: datetime = await conn.fetchval("SELECT now()")
    rows = await conn.fetch(
        "SELECT platform_id, module, last_success, last_full, last_attempt, cued_at"
        " FROM pulls WHERE platform_id = ANY($1::bigint[])",
        list(platform_ids),
    )
    return now, {
        (r["platform_id"], r["module"]): PullState(
            last_success=r["last_success"],
            last_full=r["last_full"],
            last_attempt=r["last_attempt"],
            cued_at=r["cued_at"],
        )
        for r in rows
    }


async def claim(
    conn: Executor, platform_id: int, module: str, seen: datetime | None, lease: float
) -> datetime | None:
    """Claim the pull of `module` from network `platform_id` for `lease` seconds, if its last
    attempt is still the one `seen` (no other process pulled it meanwhile) and nobody holds
    it; the pull's start (the database's time) when claimed, else None."""
    await conn.execute(
        "INSERT INTO pulls (platform_id, module) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        platform_id,
        module,
    )
    started: datetime | None = await conn.fetchval(
        "UPDATE pulls SET last_attempt = now(), claimed_until = now() + make_interval(secs => $4)"
        f" WHERE {_KEY} AND last_attempt IS NOT DISTINCT FROM $3"
        " AND (claimed_until IS NULL OR claimed_until < now()) RETURNING last_attempt",
        platform_id,
        module,
        seen,
        lease,
    )
    return started


async def extend(conn: Executor, platform_id: int, module: str, lease: float) -> None:
    """Keep the claim of a pull under way for `lease` seconds more (after each page)."""
    await conn.execute(
        f"UPDATE pulls SET claimed_until = now() + make_interval(secs => $3) WHERE {_KEY}",
        platform_id,
        module,
        lease,
    )


async def succeeded(
    conn: Executor, platform_id: int, module: str, started: datetime, *, full: bool
) -> None:
    """The pull that started at `started` went to the last page: the next delta starts there."""
    await conn.execute(
        "UPDATE pulls SET last_success = $3, last_full = CASE WHEN $4 THEN $3 ELSE last_full END,"
        f" last_error = NULL, claimed_until = NULL WHERE {_KEY}",
        platform_id,
        module,
        started,
        full,
    )


async def failed(conn: Executor, platform_id: int, module: str, error: str) -> None:
    """The pull did not go to the last page: why, and the claim released."""
    await conn.execute(
        f"UPDATE pulls SET last_error = $3, claimed_until = NULL WHERE {_KEY}",
        platform_id,
        module,
        error,
    )


async def cue_full(conn: Executor, platform_id: int) -> None:
    """The network sent a ClientInfo now: where its dialect says so, that asks for a full pull
    of every module (core.pulls); a module never pulled yet is pulled whole first anyway."""
    await conn.execute("UPDATE pulls SET cued_at = now() WHERE platform_id = $1", platform_id)


async def full_next(conn: Executor, platform_id: int) -> None:
    """The next pull of every module of network `platform_id` is a full one (what it serves
    changed: a Hubject provider was enabled), whatever the schedule says."""
    await conn.execute("UPDATE pulls SET last_full = NULL WHERE platform_id = $1", platform_id)
