"""The settlement ledger as stored (migration 0013); what it books is core.ledger's.

Every CDR the hub stores is booked in the transaction that stores it (storage.changes.store_new
calls `book_cdr`): a transaction and its entries in one statement, which the database checks
sums to zero per currency. A CDR is never booked twice: the store refuses a second CDR of the
same key first, and the ledger's unique index on the CDR (and on what a transaction reverses)
second.

A credit CDR and the CDR it credits take one advisory lock, keyed by the credited CDR, before
either reads the ledger: whichever commits second sees the first, so a credit stored while its
CDR is being stored (or before it: `ledger_awaited_credits`) is never lost. A dispute's steps take
the same lock (`lock_cdr`, storage.repositories.disputes), so a credit and a dispute of one CDR
never book on what the other has not committed.

Reads: a party's statement lines and opening balances, and every account's balance; the
figures a command prints are computed from these rows (core.statements).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import asyncpg

from ocpi_hub.core import ledger
from ocpi_hub.core.ledger import Account, Entry, Fee
from ocpi_hub.core.objects import credited
from ocpi_hub.core.routing import PartyKey
from ocpi_hub.core.statements import Line
from ocpi_hub.storage import Connection, Executor
from ocpi_hub.storage.repositories.objects import ObjectKey

__all__ = [
    "Booked",
    "Outcome",
    "PaymentRecorded",
    "balance_of",
    "balances",
    "book",
    "book_cdr",
    "entries_of",
    "known_party",
    "lock_cdr",
    "record_payment",
    "statement_lines",
]

ZERO = Decimal(0)
_LOCK_CLASS = 0x1ED6  # the ledger's advisory locks: (this, hashtext(owner*credited id))

# A transaction and its entries in one statement (the balance trigger checks each statement);
# nothing when the CDR is booked already or the transaction reversed already. A CDR's booking
# also takes the credit that was waiting for it, if any.
_BOOK = """
WITH booked AS (
    INSERT INTO ledger_transactions
        (kind, cdr_country_code, cdr_party_id, cdr_id, reverses, fee_percent, fee_fixed)
    VALUES ($1, $2, $3, $4, $5, $6, $7)
    ON CONFLICT DO NOTHING
    RETURNING id
), entries AS (
    INSERT INTO ledger_entries (transaction_id, account, country_code, party_id, currency, amount)
    SELECT booked.id, x.account, x.country_code, x.party_id, x.currency, x.amount
      FROM booked,
           unnest($8::text[], $9::text[], $10::text[], $11::text[], $12::numeric[])
               AS x(account, country_code, party_id, currency, amount)
), awaited AS (
    DELETE FROM ledger_awaited_credits
     WHERE country_code = $2 AND party_id = $3 AND credited_id = upper($4)
       AND EXISTS (SELECT 1 FROM booked)
    RETURNING credit_id
)
SELECT (SELECT id FROM booked) AS id, (SELECT credit_id FROM awaited) AS awaited
"""


class Outcome(StrEnum):
    BOOKED = "booked"  # a CDR's transaction
    REVERSED = "reversed"  # a credit CDR's reversal of the CDR it credits
    AWAITING = "awaiting"  # a credit CDR whose CDR is not booked yet
    NOT_BOOKED = "not_booked"  # booked already, or its CDR reversed already (`reason`)


@dataclass(frozen=True)
class Booked:
    """What booking a stored CDR did."""

    outcome: Outcome
    transaction: int | None = None
    reason: str = ""
    reverses: int | None = None  # REVERSED: the transaction of the CDR credited


def _columns(entries: Sequence[Entry]) -> tuple[list[Any], ...]:
    """The entries as the five arrays `_BOOK` unnests."""
    return (
        [e.account.value for e in entries],
        [e.party[0] for e in entries],
        [e.party[1] for e in entries],
        [e.currency for e in entries],
        [e.amount for e in entries],
    )


async def book_cdr(
    conn: Connection, key: ObjectKey, cdr: dict[str, Any], *, emsp: PartyKey, hub: PartyKey,
    fee: Fee,
) -> Booked:  # fmt: skip
    """Book the CDR just stored under `key` (for a token of `emsp`; `fee` between its CPO and
    `emsp`) in the caller's transaction: a credit CDR reverses the CDR it credits."""
    _, country_code, party_id, _, _ = key.args()
    owner = (country_code, party_id)
    reference = credited(cdr)
    await lock_cdr(conn, owner, reference or key.id)
    if reference is not None:
        return await _book_credit(conn, owner, key.id, reference)
    booking = ledger.book_cdr(cdr, owner, emsp, hub, fee)
    terms = booking.terms
    row = await conn.fetchrow(
        _BOOK, "cdr", *owner, key.id, None, terms.percent, terms.fixed, *_columns(booking.entries)
    )
    assert row is not None
    if row["id"] is None:
        return Booked(Outcome.NOT_BOOKED, reason=f"CDR {key.id!r} is booked already")
    if row["awaited"] is not None:  # a credit stored before this CDR
        await _reverse(conn, owner, row["awaited"], row["id"], booking.entries)
    return Booked(Outcome.BOOKED, row["id"])


async def lock_cdr(conn: Connection, owner: PartyKey, cdr_id: str) -> None:
    """Hold, until the caller's transaction ends, the lock of what the ledger books of the CDR
    `cdr_id` of `owner` (its booking, its credit's, its disputes' steps)."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock($1, hashtext($2))",
        _LOCK_CLASS,
        f"{owner[0]}*{owner[1]}*{cdr_id.upper()}",
    )


async def book(conn: Connection, kind: str, entries: Sequence[Entry]) -> int:
    """Book a transaction of `kind` naming no CDR (a payment, a dispute's step) with its
    entries, in one statement; its id."""
    found: int = await conn.fetchval(
        "WITH booked AS (INSERT INTO ledger_transactions (kind) VALUES ($1) RETURNING id),"
        " entries AS (INSERT INTO ledger_entries"
        "  (transaction_id, account, country_code, party_id, currency, amount)"
        "  SELECT booked.id, x.* FROM booked,"
        "  unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::numeric[]) AS x)"
        " SELECT id FROM booked",
        kind,
        *_columns(entries),
    )
    return found


async def _book_credit(conn: Connection, owner: PartyKey, credit_id: str, reference: str) -> Booked:
    rows = await conn.fetch(
        "SELECT t.id, (SELECT r.id FROM ledger_transactions r WHERE r.reverses = t.id) AS by,"
        " e.account, e.country_code, e.party_id, e.currency, e.amount"
        " FROM ledger_transactions t JOIN ledger_entries e ON e.transaction_id = t.id"
        " WHERE t.cdr_country_code = $1 AND t.cdr_party_id = $2 AND upper(t.cdr_id) = upper($3)"
        " ORDER BY e.account, e.country_code, e.party_id, e.currency",
        *owner,
        reference,
    )
    if not rows:
        waiting = await conn.fetchval(
            "INSERT INTO ledger_awaited_credits (country_code, party_id, credited_id, credit_id)"
            " VALUES ($1, $2, upper($3), $4) ON CONFLICT DO NOTHING RETURNING credit_id",
            *owner,
            reference,
            credit_id,
        )
        if waiting is None:
            return Booked(Outcome.NOT_BOOKED, reason=f"another credit awaits CDR {reference!r}")
        return Booked(Outcome.AWAITING, reason=f"CDR {reference!r} is not booked yet")
    if rows[0]["by"] is not None:
        return Booked(
            Outcome.NOT_BOOKED,
            reason=f"CDR {reference!r} is reversed already (transaction {rows[0]['by']})",
        )
    entries = [
        Entry(Account(r["account"]), (r["country_code"], r["party_id"]), r["currency"], r["amount"])
        for r in rows
    ]
    reversed_by = await _reverse(conn, owner, credit_id, rows[0]["id"], entries)
    if reversed_by is None:
        return Booked(Outcome.NOT_BOOKED, reason=f"CDR {credit_id!r} is booked already")
    return Booked(Outcome.REVERSED, reversed_by, reverses=rows[0]["id"])


async def _reverse(
    conn: Connection, owner: PartyKey, credit_id: str, reversed_id: int, entries: Sequence[Entry]
) -> int | None:
    row = await conn.fetchrow(
        _BOOK, "credit", *owner, credit_id, reversed_id, None, None,
        *_columns(ledger.reversal(entries)),
    )  # fmt: skip
    assert row is not None
    found: int | None = row["id"]
    return found


# ---- payments -----------------------------------------------------------------------------


class PaymentRecorded(Exception):
    """A payment of this party under this reference is in the ledger already."""

    def __init__(self, transaction: int | None) -> None:
        super().__init__(transaction)
        self.transaction = transaction


async def record_payment(
    conn: Connection, party: PartyKey, reference: str, entries: Sequence[Entry]
) -> int:
    """Record a payment of `party` under `reference` (its entries: core.ledger.payment); its
    transaction id. PaymentRecorded, recording nothing, when the reference is taken for that
    party."""
    async with conn.transaction():
        before = await conn.fetchval(
            "SELECT transaction_id FROM ledger_payments"
            " WHERE country_code = $1 AND party_id = $2 AND reference = $3",
            *party,
            reference,
        )
        if before is not None:
            raise PaymentRecorded(before)
        try:
            found = await book(conn, "payment", entries)
            await conn.execute(
                "INSERT INTO ledger_payments (transaction_id, country_code, party_id, reference)"
                " VALUES ($1, $2, $3, $4)",
                found,
                *party,
                reference,
            )
        except asyncpg.UniqueViolationError:  # the same reference, recorded meanwhile
            raise PaymentRecorded(None) from None
    return found


# ---- reads --------------------------------------------------------------------------------


async def known_party(conn: Executor, party: PartyKey) -> bool:
    """Whether the party has an account in the ledger."""
    found = await conn.fetchval(
        "SELECT 1 FROM ledger_entries WHERE country_code = $1 AND party_id = $2 LIMIT 1", *party
    )
    return found is not None


async def entries_of(conn: Executor, transaction: int) -> list[Entry]:
    """A transaction's entries."""
    rows = await conn.fetch(
        "SELECT account, country_code, party_id, currency, amount FROM ledger_entries"
        " WHERE transaction_id = $1 ORDER BY account, country_code, party_id, currency",
        transaction,
    )
    return [Entry(Account(r[0]), (r[1], r[2]), r[3], r[4]) for r in rows]


async def statement_lines(
    conn: Executor, party: PartyKey, start: datetime, end: datetime
) -> list[Line]:
    """Each entry on `party`'s accounts booked in [start, end), in booking order, with the
    figures of its transaction: the CDR's amount (its receivable entry) and the hub's fee (its
    fees entry, negated), the payment's amount (its cash entry), or a dispute step's dispute,
    its CDR and amount (and the fee entry, negated, where it has one)."""
    rows = await conn.fetch(
        "SELECT t.id, t.booked_at, t.kind, p.reference, e.account, e.currency, e.amount,"
        " f.receivable, f.fees, f.cash, d.id AS dispute, d.amount AS disputed,"
        " coalesce(t.cdr_country_code, d.cdr_country_code) AS cdr_country_code,"
        " coalesce(t.cdr_party_id, d.cdr_party_id) AS cdr_party_id,"
        " coalesce(t.cdr_id, d.cdr_id) AS cdr_id"
        " FROM ledger_entries e"
        " JOIN ledger_transactions t ON t.id = e.transaction_id"
        " LEFT JOIN ledger_payments p ON p.transaction_id = t.id"
        " LEFT JOIN dispute_events v ON v.transaction_id = t.id"
        " LEFT JOIN disputes d ON d.id = v.dispute_id"
        " CROSS JOIN LATERAL ("
        "  SELECT sum(x.amount) FILTER (WHERE x.account = 'receivable') AS receivable,"
        "   sum(x.amount) FILTER (WHERE x.account = 'fees') AS fees,"
        "   sum(x.amount) FILTER (WHERE x.account = 'cash') AS cash"
        "  FROM ledger_entries x WHERE x.transaction_id = t.id AND x.currency = e.currency) f"
        " WHERE e.country_code = $1 AND e.party_id = $2"
        " AND t.booked_at >= $3 AND t.booked_at < $4"
        " ORDER BY t.booked_at, t.id, e.account",
        *party,
        start,
        end,
    )
    return [_line(r) for r in rows]


def _line(r: asyncpg.Record) -> Line:
    if r["kind"] == "payment":
        amount, fee = r["cash"], None
    elif r["dispute"] is not None:
        amount, fee = r["disputed"], None if r["fees"] is None else -r["fees"]
    else:
        amount, fee = r["receivable"], -(r["fees"] or ZERO)
    return Line(
        transaction=r["id"],
        booked_at=r["booked_at"],
        kind=r["kind"],
        cdr=f"{r['cdr_country_code']}*{r['cdr_party_id']}*{r['cdr_id']}"
        if r["cdr_id"] is not None
        else None,
        reference=r["reference"],
        account=r["account"],
        currency=r["currency"],
        amount=amount,
        fee=fee,
        net=r["amount"],
        dispute=r["dispute"],
    )


async def balance_of(
    conn: Executor, party: PartyKey, before: datetime | None = None
) -> dict[str, Decimal]:
    """`party`'s balance per currency: of everything booked (before `before`, if given) but
    what its open disputes hold aside (core.ledger: not owed while disputed)."""
    rows = await conn.fetch(
        "SELECT e.currency, sum(e.amount) FROM ledger_entries e"
        " JOIN ledger_transactions t ON t.id = e.transaction_id"
        " WHERE e.country_code = $1 AND e.party_id = $2 AND e.account <> 'disputed'"
        " AND ($3::timestamptz IS NULL OR t.booked_at < $3)"
        " GROUP BY e.currency ORDER BY e.currency",
        *party,
        before,
    )
    return {r[0]: r[1] for r in rows}


async def balances(conn: Executor) -> list[tuple[PartyKey, Account, str, Decimal]]:
    """The sum of every account: (party, account, currency, sum)."""
    rows = await conn.fetch(
        "SELECT country_code, party_id, account, currency, sum(amount) FROM ledger_entries"
        " GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 4, 3"
    )
    return [((r[0], r[1]), Account(r[2]), r[3], r[4]) for r in rows]
