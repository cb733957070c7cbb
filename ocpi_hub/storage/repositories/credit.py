"""Credit limits, states and events as stored (migration 0017); the rules are core.credit's.

Reads for an assessment: an eMSP's limit, what it owes (its `receivable` and, where the
ledger has one, `disputed` accounts), its Sessions in progress and, for each, the Location and
Tariffs the hub holds of its CPO. Writes: a limit, and a move of an eMSP's state with its
event, in the caller's transaction. Assessments serialise on one advisory lock (`serialise`):
of several hub processes and commands assessing one eMSP at once, each sees the state the
previous one wrote.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson

from ocpi_hub.core.credit import CreditEvent, CreditState, Level, Limit
from ocpi_hub.core.routing import PartyKey
from ocpi_hub.storage import Connection, Executor

__all__ = [
    "Standing",
    "assessed_parties",
    "events",
    "limit_of",
    "owed",
    "record_step",
    "remove_limit",
    "serialise",
    "sessions_in_progress",
    "set_limit",
    "standing",
    "suspended",
    "suspension",
]

_LOCK = 0xC4ED_17  # the assessments' advisory lock


@dataclass(frozen=True)
class Standing:
    """An eMSP's stored state, since when and why."""

    state: CreditState
    since: datetime | None = None
    why: str = ""


async def serialise(conn: Connection) -> None:
    """Wait for any other assessment to commit; hold the turn until this transaction ends."""
    await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK)


# ---- limits -------------------------------------------------------------------------------


async def set_limit(conn: Executor, party: PartyKey, limit: Limit) -> None:
    await conn.execute(
        "INSERT INTO credit_limits (country_code, party_id, amount, currency)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT (country_code, party_id) DO UPDATE"
        " SET amount = excluded.amount, currency = excluded.currency, set_at = now()",
        *party,
        limit.amount,
        limit.currency,
    )


async def remove_limit(conn: Executor, party: PartyKey) -> bool:
    """Lift the eMSP's limit; whether it had one."""
    found = await conn.fetchval(
        "DELETE FROM credit_limits WHERE country_code = $1 AND party_id = $2 RETURNING 1", *party
    )
    return found is not None


async def limit_of(conn: Executor, party: PartyKey) -> Limit | None:
    row = await conn.fetchrow(
        "SELECT amount, currency FROM credit_limits WHERE country_code = $1 AND party_id = $2",
        *party,
    )
    return None if row is None else Limit(row["amount"], row["currency"])


async def assessed_parties(conn: Executor, *, owing: bool = False) -> list[PartyKey]:
    """The eMSPs an assessment looks at: each with a limit, or a state that is not plain ok
    (a limit removed must still lift its suspension); with `owing`, also each owing anything."""
    query = (
        "SELECT country_code, party_id FROM credit_limits"
        " UNION SELECT country_code, party_id FROM credit_states"
        "  WHERE level <> 'ok' OR suspended"
    )
    if owing:
        query += (
            " UNION SELECT country_code, party_id FROM ledger_entries"
            "  WHERE account IN ('receivable', 'disputed')"
            "  GROUP BY 1, 2, currency HAVING sum(amount) <> 0"
        )
    rows = await conn.fetch(query + " ORDER BY 1, 2")
    return [(r[0], r[1]) for r in rows]


# ---- what an assessment reads ---------------------------------------------------------------


async def owed(conn: Executor, party: PartyKey) -> dict[str, Decimal]:
    """What the eMSP owes per currency: its receivable and disputed accounts (`disputed` once
    the ledger has disputes; the query needs no such account to exist)."""
    rows = await conn.fetch(
        "SELECT currency, sum(amount) FROM ledger_entries"
        " WHERE country_code = $1 AND party_id = $2 AND account IN ('receivable', 'disputed')"
        " GROUP BY currency ORDER BY currency",
        *party,
    )
    return {r[0]: r[1] for r in rows}


async def sessions_in_progress(conn: Executor, party: PartyKey) -> list[dict[str, Any]]:
    """The Sessions ACTIVE or PENDING on the eMSP's tokens (it is their audience)."""
    rows = await conn.fetch(
        "SELECT data::text FROM objects WHERE module = 'sessions' AND audience = $1"
        " AND data->>'status' IN ('ACTIVE', 'PENDING') ORDER BY seq",
        f"{party[0]}*{party[1]}",
    )
    return [orjson.loads(r[0]) for r in rows]


# ---- states and events --------------------------------------------------------------------


async def standing(conn: Executor, party: PartyKey) -> Standing:
    row = await conn.fetchrow(
        "SELECT level, suspended, since, why FROM credit_states"
        " WHERE country_code = $1 AND party_id = $2",
        *party,
    )
    if row is None:
        return Standing(CreditState())
    return Standing(CreditState(Level(row[0]), row[1]), row[2], row[3])


async def record_step(
    conn: Connection,
    party: PartyKey,
    state: CreditState,
    events_found: Sequence[CreditEvent],
    why: str,
    figures: tuple[Decimal | None, Limit | None],
) -> None:
    """Store the eMSP's new state and the event of the move (nothing when nothing moved)."""
    if not events_found:
        return
    exposure, limit = figures
    await conn.execute(
        "INSERT INTO credit_states (country_code, party_id, level, suspended, why)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (country_code, party_id) DO UPDATE"
        " SET level = excluded.level, suspended = excluded.suspended, since = now(),"
        " why = excluded.why",
        *party,
        state.level.value,
        state.suspended,
        why,
    )
    await conn.execute(
        "INSERT INTO credit_events (country_code, party_id, events, level, suspended, exposure,"
        " limit_amount, currency, why) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        *party,
        [e.value for e in events_found],
        state.level.value,
        state.suspended,
        exposure,
        None if limit is None else limit.amount,
        None if limit is None else limit.currency,
        why,
    )


async def events(conn: Executor, party: PartyKey | None = None) -> list[dict[str, Any]]:
    """The credit events, oldest first (of one eMSP, if given)."""
    rows = await conn.fetch(
        "SELECT id, at, country_code, party_id, events, level, suspended, exposure, limit_amount,"
        " currency, why FROM credit_events"
        " WHERE ($1::text IS NULL OR (country_code = $1 AND party_id = $2)) ORDER BY id",
        party[0] if party else None,
        party[1] if party else None,
    )
    return [dict(r) for r in rows]


# Suspended eMSPs: by their credit (the credit watch) or by an operator (`parties suspend`);
# an operator's reason is given when both hold.
_SUSPENDED = (
    "SELECT country_code, party_id, why, 1 AS rank FROM credit_states WHERE suspended"
    " UNION ALL SELECT country_code, party_id,"
    " 'trading suspended by the operator ' || by_operator || ': ' || why, 2 FROM suspensions"
)


async def suspension(conn: Executor, party: PartyKey) -> str | None:
    """Why the eMSP is suspended (its credit, or an operator); None when it is not. Read by
    every real-time authorization and START_SESSION: primary-key lookups, exact in every hub
    process as soon as the assessment or the operator that suspended or lifted it committed."""
    found: str | None = await conn.fetchval(
        f"SELECT why FROM ({_SUSPENDED}) s WHERE country_code = $1 AND party_id = $2"
        " ORDER BY rank DESC LIMIT 1",
        *party,
    )
    return found


async def suspended(conn: Executor) -> dict[PartyKey, str]:
    """Every suspended eMSP, and why."""
    rows = await conn.fetch(
        f"SELECT country_code, party_id, why FROM ({_SUSPENDED}) s ORDER BY rank"
    )
    return {(r[0], r[1]): r[2] for r in rows}
