"""An operator's suspensions of eMSPs (migration 0025); `credit.suspension` reads them with the
credit watch's, so the hub enforces both the same way."""

from __future__ import annotations

from typing import Any

from ocpi_hub.core.routing import PartyKey
from ocpi_hub.storage import Executor

__all__ = ["lift", "listing", "suspend"]


async def suspend(conn: Executor, party: PartyKey, why: str, by: str) -> None:
    """Suspend `party` (again: the new reason replaces the old)."""
    await conn.execute(
        "INSERT INTO suspensions (country_code, party_id, why, by_operator) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (country_code, party_id) DO UPDATE"
        " SET why = excluded.why, by_operator = excluded.by_operator, since = now()",
        *party,
        why,
        by,
    )


async def lift(conn: Executor, party: PartyKey) -> bool:
    """Lift `party`'s suspension; False when it had none."""
    done = await conn.execute(
        "DELETE FROM suspensions WHERE country_code = $1 AND party_id = $2", *party
    )
    return done.endswith(" 1")


async def listing(conn: Executor) -> list[dict[str, Any]]:
    """Every operator's suspension, oldest first."""
    rows = await conn.fetch(
        "SELECT country_code || '*' || party_id AS party, why, by_operator AS by, since"
        " FROM suspensions ORDER BY since"
    )
    return [dict(r) for r in rows]
