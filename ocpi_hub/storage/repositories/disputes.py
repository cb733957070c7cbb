"""Disputes as stored (migration 0016); what each step books is core.disputes'.

Every step is one transaction: the ledger lock of the disputed CDR (ledger.lock_cdr, the lock its
booking and its credit CDR's take), the dispute's state changed by compare-and-swap (`UPDATE ...
WHERE state = <the state read>`), the step's ledger transaction and its event. Two resolutions
of one dispute at once: the second waits for the lock, then finds the dispute closed and is
refused, changing nothing; were the lock ever skipped, the compare-and-swap would still let
one win. A credit CDR booked for a disputed CDR settles its disputes in the transaction that
books it (`credited`, called by storage.changes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import NoReturn

import asyncpg

from ocpi_hub.core import disputes
from ocpi_hub.core.disputes import BadDispute, Charge, State, Step, cdr_text
from ocpi_hub.core.ledger import Account, Entry
from ocpi_hub.core.routing import PartyKey
from ocpi_hub.core.types import format_datetime
from ocpi_hub.storage import Connection, Executor
from ocpi_hub.storage.repositories import ledger, objects

__all__ = ["Dispute", "Event", "credited", "listing", "open_dispute", "resolve"]

ZERO = Decimal(0)


@dataclass(frozen=True)
class Event:
    """One step of a dispute: who took it, when, why, and what it booked."""

    step: Step
    state: State
    by: str
    at: datetime
    note: str | None
    transaction: int
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class Dispute:
    id: int
    cdr: str  # CC*PID*ID
    cpo: PartyKey
    emsp: PartyKey
    currency: str
    amount: Decimal
    reason: str
    state: State
    opened_at: datetime
    events: list[Event] = field(default_factory=list)


async def open_dispute(
    pool: asyncpg.Pool, owner: PartyKey, cdr_id: str, amount: str | None, reason: str, by: str
) -> Dispute:
    """Open a dispute of `amount` (None: all that can be disputed) of the CDR `cdr_id` of
    `owner`, booking it; BadDispute, changing nothing, for a CDR unknown or not booked, or an
    amount that cannot be disputed (core.disputes.to_open)."""
    async with pool.acquire() as conn, conn.transaction():
        await ledger.lock_cdr(conn, owner, cdr_id)
        row = await conn.fetchrow(
            "SELECT t.id, t.cdr_id, EXISTS (SELECT 1 FROM ledger_transactions r"
            "  WHERE r.reverses = t.id) AS credited"
            " FROM ledger_transactions t WHERE t.kind = 'cdr' AND t.cdr_country_code = $1"
            " AND t.cdr_party_id = $2 AND upper(t.cdr_id) = upper($3)",
            *owner,
            cdr_id,
        )
        if row is None:
            await _refuse_unbooked(conn, owner, cdr_id)
        charge = Charge.of(await ledger.entries_of(conn, row["id"]))
        held = await _held(conn, row["id"], (State.OPEN, State.ACCEPTED))
        value = disputes.to_open(charge, amount, held, row["credited"])
        booking = disputes.book(Step.OPENED, None, charge, value)
        dispute_id: int = await conn.fetchval(
            "INSERT INTO disputes (cdr_transaction, cdr_country_code, cdr_party_id, cdr_id,"
            " emsp_country_code, emsp_party_id, currency, amount, reason)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            row["id"], *owner, row["cdr_id"], *charge.emsp, charge.currency, value, reason,
        )  # fmt: skip
        await _step(conn, dispute_id, Step.OPENED, booking, by, reason)
    return await _one(pool, dispute_id)


async def _refuse_unbooked(conn: Connection, owner: PartyKey, cdr_id: str) -> NoReturn:
    name = cdr_text(owner, cdr_id)
    data = await objects.get(conn, objects.ObjectKey("cdrs", owner, cdr_id))
    if data is None:
        raise BadDispute(f"--cdr {name}: the hub holds no such CDR")
    what = "a credit CDR" if data.get("credit") else "a CDR"
    raise BadDispute(
        f"--cdr {name}: {what} the ledger has not booked as charged, nothing to dispute"
    )


async def resolve(
    pool: asyncpg.Pool, dispute_id: int, step: Step, by: str, note: str | None
) -> Dispute:
    """Accept or reject an open dispute, booking it; BadDispute, changing nothing, for an
    unknown id or a dispute not open (resolved meanwhile included)."""
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow("SELECT * FROM disputes WHERE id = $1", dispute_id)
        if row is None:
            raise BadDispute(f"--id {dispute_id}: no dispute has that id (see disputes list)")
        await ledger.lock_cdr(conn, (row["cdr_country_code"], row["cdr_party_id"]), row["cdr_id"])
        state = State(await conn.fetchval("SELECT state FROM disputes WHERE id = $1", dispute_id))
        if state != State.OPEN:
            last = await conn.fetchrow(
                "SELECT by, at FROM dispute_events WHERE dispute_id = $1 ORDER BY id DESC LIMIT 1",
                dispute_id,
            )
            assert last is not None  # every dispute has its `opened` event
            raise BadDispute(
                f"dispute {dispute_id} is {state} already (by {last['by']},"
                f" {format_datetime(last['at'])}): nothing changed"
            )
        charge = Charge.of(await ledger.entries_of(conn, row["cdr_transaction"]))
        accepted = await _held(conn, row["cdr_transaction"], (State.ACCEPTED,))
        booking = disputes.book(step, state, charge, row["amount"], accepted_before=accepted)
        await _swap(conn, dispute_id, state, booking.state)
        await _step(conn, dispute_id, step, booking, by, note)
    return await _one(pool, dispute_id)


async def credited(
    conn: Connection, cdr_transaction: int, credit_transaction: int, credit: str
) -> int:
    """Settle the disputes of the CDR booked as `cdr_transaction`, reversed just now by the
    credit CDR `credit` (CC*PID*ID) in the caller's transaction, which holds the CDR's ledger
    lock; how many disputes it settled."""
    rows = await conn.fetch(
        "SELECT id, state, amount FROM disputes WHERE cdr_transaction = $1"
        " AND state IN ('OPEN', 'ACCEPTED') ORDER BY id",
        cdr_transaction,
    )
    if not rows:
        return 0
    charge = Charge.of(await ledger.entries_of(conn, cdr_transaction))
    for row in rows:
        state = State(row["state"])
        acceptance: list[Entry] = []
        if state == State.ACCEPTED:
            accepted = await conn.fetchval(
                "SELECT transaction_id FROM dispute_events WHERE dispute_id = $1"
                " AND step = 'accepted'",
                row["id"],
            )
            acceptance = await ledger.entries_of(conn, accepted)
        booking = disputes.book(Step.CREDITED, state, charge, row["amount"], acceptance=acceptance)
        await _swap(conn, row["id"], state, booking.state)
        await _step(conn, row["id"], Step.CREDITED, booking, f"credit CDR {credit}", None,
                    credit_transaction)  # fmt: skip
    return len(rows)


async def _held(conn: Connection, cdr_transaction: int, states: tuple[State, ...]) -> Decimal:
    held: Decimal | None = await conn.fetchval(
        "SELECT sum(amount) FROM disputes WHERE cdr_transaction = $1 AND state = ANY($2::text[])",
        cdr_transaction,
        [s.value for s in states],
    )
    return held or ZERO


async def _swap(conn: Connection, dispute_id: int, was: State, now: State) -> None:
    """The compare-and-swap of a dispute's state: refused when it is not `was` any more."""
    status = await conn.execute(
        "UPDATE disputes SET state = $3 WHERE id = $1 AND state = $2",
        dispute_id,
        was.value,
        now.value,
    )
    if str(status) == "UPDATE 0":
        raise BadDispute(f"dispute {dispute_id} changed meanwhile: nothing changed")


async def _step(
    conn: Connection,
    dispute_id: int,
    step: Step,
    booking: disputes.Booking,
    by: str,
    note: str | None,
    credit_transaction: int | None = None,
) -> None:
    transaction = await ledger.book(conn, booking.kind, booking.entries)
    await conn.execute(
        "INSERT INTO dispute_events"
        " (dispute_id, step, state, by, note, transaction_id, credit_transaction)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)",
        dispute_id, step.value, booking.state.value, by, note, transaction, credit_transaction,
    )  # fmt: skip


# ---- reads --------------------------------------------------------------------------------


async def listing(conn: Executor, everything: bool = False) -> list[Dispute]:
    """The open disputes (`everything`: all of them), oldest first, each with its events."""
    rows = await conn.fetch(
        "SELECT * FROM disputes WHERE $1 OR state = 'OPEN' ORDER BY id", everything
    )
    return await _with_events(conn, rows)


async def _one(conn: Executor, dispute_id: int) -> Dispute:
    rows = await conn.fetch("SELECT * FROM disputes WHERE id = $1", dispute_id)
    [found] = await _with_events(conn, rows)
    return found


async def _with_events(conn: Executor, rows: list[asyncpg.Record]) -> list[Dispute]:
    """The disputes of `rows`, each with its events and what each booked."""
    steps = await conn.fetch(
        "SELECT v.id, v.dispute_id, v.step, v.state, v.by, v.at, v.note, v.transaction_id,"
        " e.account, e.country_code, e.party_id, e.currency, e.amount"
        " FROM dispute_events v JOIN ledger_entries e ON e.transaction_id = v.transaction_id"
        " WHERE v.dispute_id = ANY($1::bigint[])"
        " ORDER BY v.id, e.account, e.country_code, e.party_id",
        [r["id"] for r in rows],
    )
    booked: dict[int, list[Entry]] = {}
    events: dict[int, list[asyncpg.Record]] = {}
    for s in steps:
        if s["id"] not in booked:
            booked[s["id"]] = []
            events.setdefault(s["dispute_id"], []).append(s)
        booked[s["id"]].append(
            Entry(Account(s["account"]), (s["country_code"], s["party_id"]), s["currency"],
                  s["amount"])
        )  # fmt: skip
    return [
        _dispute(r, [_event(e, booked[e["id"]]) for e in events.get(r["id"], [])]) for r in rows
    ]


def _event(e: asyncpg.Record, entries: list[Entry]) -> Event:
    return Event(
        Step(e["step"]), State(e["state"]), e["by"], e["at"], e["note"], e["transaction_id"],
        tuple(entries),
    )  # fmt: skip


def _dispute(r: asyncpg.Record, events: list[Event]) -> Dispute:
    cpo = (r["cdr_country_code"], r["cdr_party_id"])
    return Dispute(
        id=r["id"],
        cdr=cdr_text(cpo, r["cdr_id"]),
        cpo=cpo,
        emsp=(r["emsp_country_code"], r["emsp_party_id"]),
        currency=r["currency"],
        amount=r["amount"],
        reason=r["reason"],
        state=State(r["state"]),
        opened_at=r["opened_at"],
        events=events,
    )
