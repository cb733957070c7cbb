"""The settlement ledger as stored (migration 0013, storage.repositories.ledger): bookings of CDRs
and credit CDRs, payments, the database's own checks (each transaction sums to zero, append-only,
a CDR booked once), and the reads statements and balances are computed from."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from ocpi_hub.core.agreements import Policy
from ocpi_hub.core.ledger import ZERO_FEE, Account, Entry, Fee, payment, sums
from ocpi_hub.storage.repositories import agreements, ledger
from ocpi_hub.storage.repositories.ledger import Booked, Outcome
from ocpi_hub.storage.repositories.objects import ObjectKey
from tests import factories
from tests.e2e.conftest import eventually

CPO, EMSP, HUB = ("NL", "CPA"), ("DE", "EMA"), ("XX", "HUB")
FEE = Fee(Decimal("2"), Decimal("0.10"), "EUR")
D = Decimal


def key(cdr: dict[str, Any]) -> ObjectKey:
    return ObjectKey("cdrs", (cdr["country_code"], cdr["party_id"]), cdr["id"])


def credit_of(cdr_id: str, credit_id: str | None = None) -> dict[str, Any]:
    return factories.cdr(
        credit_id or f"{cdr_id}-C",
        credit=True,
        credit_reference_id=cdr_id,
        total_cost={"excl_vat": -4.6, "incl_vat": -5.57},
    )


async def book(conn: Any, cdr: dict[str, Any], fee: Fee = FEE) -> Booked:
    return await ledger.book_cdr(conn, key(cdr), cdr, emsp=EMSP, hub=HUB, fee=fee)


async def booked(pool: asyncpg.Pool, cdr: dict[str, Any], fee: Fee = FEE) -> Booked:
    """`cdr` booked in a transaction of its own, as storage.changes.store_new books it."""
    async with pool.acquire() as conn, conn.transaction():
        return await book(conn, cdr, fee)


async def balance(pool: asyncpg.Pool, party: tuple[str, str]) -> dict[str, Decimal]:
    return await ledger.balance_of(pool, party)


# ---- booking ------------------------------------------------------------------------------


async def test_a_cdr_books_three_entries_summing_to_zero(pool: asyncpg.Pool) -> None:
    """A CDR of 4.60 EUR at 2 % + 0.10 EUR: the eMSP owes 4.60, the hub owes the CPO 4.41 and
    keeps 0.19; the transaction names the CDR and the fee's terms."""
    done = await booked(pool, factories.cdr())

    assert done.outcome == Outcome.BOOKED and done.transaction is not None
    entries = await ledger.entries_of(pool, done.transaction)
    assert set(entries) == {
        Entry(Account.RECEIVABLE, EMSP, "EUR", D("4.6")),
        Entry(Account.PAYABLE, CPO, "EUR", D("-4.41")),
        Entry(Account.FEES, HUB, "EUR", D("-0.19")),
    }
    assert sums(entries) == {"EUR": 0}
    row = await pool.fetchrow("SELECT * FROM ledger_transactions WHERE id = $1", done.transaction)
    assert (row["kind"], row["cdr_country_code"], row["cdr_party_id"], row["cdr_id"]) == (
        "cdr", "NL", "CPA", "CDR1",
    )  # fmt: skip
    assert (row["fee_percent"], row["fee_fixed"]) == (D("2"), D("0.10"))


async def test_a_cdr_is_never_booked_twice(pool: asyncpg.Pool) -> None:
    """The same CDR booked again (its id in another case too: a CiString) books nothing."""
    first = await booked(pool, factories.cdr())

    again = await booked(pool, factories.cdr())
    other_case = await booked(pool, factories.cdr("cdr1"))

    assert first.outcome == Outcome.BOOKED
    assert again.outcome == other_case.outcome == Outcome.NOT_BOOKED
    assert "booked already" in again.reason
    assert await pool.fetchval("SELECT count(*) FROM ledger_transactions") == 1
    assert await balance(pool, EMSP) == {"EUR": D("4.6")}


async def test_a_credit_cdr_reverses_the_cdr_it_credits_exactly(pool: asyncpg.Pool) -> None:
    """The credit's transaction is the original's entries negated, at the original's fee even
    after the fee changed; every balance is back to zero."""
    original = await booked(pool, factories.cdr())
    credit = await booked(pool, credit_of("CDR1"), fee=ZERO_FEE)

    assert credit.outcome == Outcome.REVERSED and credit.transaction is not None
    assert original.transaction is not None
    reversed_entries = await ledger.entries_of(pool, credit.transaction)
    assert {(e.account, e.party, -e.amount) for e in reversed_entries} == {
        (e.account, e.party, e.amount) for e in await ledger.entries_of(pool, original.transaction)
    }
    row = await pool.fetchrow("SELECT * FROM ledger_transactions WHERE id = $1", credit.transaction)
    assert (row["kind"], row["cdr_id"], row["reverses"]) == (
        "credit",
        "CDR1-C",
        original.transaction,
    )
    for party in (CPO, EMSP, HUB):
        assert await balance(pool, party) == {"EUR": 0}


async def test_a_cdr_is_reversed_once_only(pool: asyncpg.Pool) -> None:
    """A second credit CDR of the same CDR books nothing."""
    await booked(pool, factories.cdr())
    await booked(pool, credit_of("CDR1"))

    second = await booked(pool, credit_of("CDR1", "CDR1-C2"))

    assert second.outcome == Outcome.NOT_BOOKED and "reversed already" in second.reason
    assert await pool.fetchval("SELECT count(*) FROM ledger_transactions") == 2


async def test_a_credit_stored_before_its_cdr_is_booked_with_it(pool: asyncpg.Pool) -> None:
    """A credit CDR whose CDR is not booked yet waits; when that CDR comes, both are booked,
    the credit reversing it; a second credit waiting for the same CDR is not kept."""
    waiting = await booked(pool, credit_of("CDR1"))
    second = await booked(pool, credit_of("CDR1", "CDR1-C2"))
    assert waiting.outcome == Outcome.AWAITING
    assert second.outcome == Outcome.NOT_BOOKED
    assert await balance(pool, EMSP) == {}

    original = await booked(pool, factories.cdr())

    assert original.outcome == Outcome.BOOKED
    kinds = await pool.fetch("SELECT kind, cdr_id, reverses FROM ledger_transactions ORDER BY id")
    assert [tuple(r) for r in kinds] == [
        ("cdr", "CDR1", None),
        ("credit", "CDR1-C", original.transaction),
    ]
    assert await balance(pool, EMSP) == {"EUR": 0}
    assert await pool.fetchval("SELECT count(*) FROM ledger_awaited_credits") == 0


async def test_a_credit_racing_its_cdr_is_not_lost(pool: asyncpg.Pool) -> None:
    """The CDR's booking is not committed yet when its credit is booked: the credit waits for
    the lock they share and then sees the CDR, so it reverses it."""
    async with pool.acquire() as first:
        transaction = first.transaction()
        await transaction.start()
        await book(first, factories.cdr())
        credit = asyncio.create_task(booked(pool, credit_of("CDR1")))

        async def credit_waits() -> bool:
            waiting = await pool.fetchval(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            )
            return bool(waiting)

        await eventually(credit_waits, message="the credit waits for the CDR's lock")
        await transaction.commit()
        done = await credit

    assert done.outcome == Outcome.REVERSED
    assert await balance(pool, EMSP) == {"EUR": 0}


async def test_the_fixed_fee_applies_only_in_its_currency(pool: asyncpg.Pool) -> None:
    """A CDR in GBP under a EUR fee: 2 % of it, no fixed part, and the transaction says so."""
    done = await booked(pool, factories.cdr(currency="GBP"))

    assert done.transaction is not None
    assert sums(await ledger.entries_of(pool, done.transaction)) == {"GBP": 0}
    assert await balance(pool, HUB) == {"GBP": D("-0.09")}
    row = await pool.fetchrow("SELECT * FROM ledger_transactions WHERE id = $1", done.transaction)
    assert (row["fee_percent"], row["fee_fixed"]) == (D("2"), D("0"))


# ---- the database's own checks -------------------------------------------------------------


async def test_the_database_refuses_a_transaction_that_does_not_sum_to_zero(
    pool: asyncpg.Pool,
) -> None:
    """Entries written by hand that leave a transaction unbalanced in a currency are refused,
    whatever the other currencies do."""
    transaction = await pool.fetchval(
        "INSERT INTO ledger_transactions (kind) VALUES ('payment') RETURNING id"
    )
    insert = (
        "INSERT INTO ledger_entries (transaction_id, account, country_code, party_id, currency,"
        " amount) VALUES ($1, 'cash', 'XX', 'HUB', 'EUR', 5), ($1, 'receivable', 'DE', 'EMA',"
        " 'EUR', -5), ($1, 'cash', 'XX', 'HUB', 'GBP', 1)"
    )
    with pytest.raises(asyncpg.CheckViolationError, match="sums to 1 GBP, not zero"):
        await pool.execute(insert, transaction)
    assert await pool.fetchval("SELECT count(*) FROM ledger_entries") == 0


async def test_the_ledger_is_append_only(pool: asyncpg.Pool) -> None:
    """An UPDATE or DELETE of a booked row is refused: a mistake is corrected by a reversal."""
    await booked(pool, factories.cdr())

    for statement in (
        "UPDATE ledger_entries SET amount = 0",
        "DELETE FROM ledger_entries",
        "UPDATE ledger_transactions SET kind = 'payment'",
        "DELETE FROM ledger_transactions",
    ):
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            await pool.execute(statement)
    assert await balance(pool, EMSP) == {"EUR": D("4.6")}


async def test_the_database_books_a_cdr_once_even_by_hand(pool: asyncpg.Pool) -> None:
    """A second transaction naming a booked CDR (in any case) violates the ledger's index."""
    await booked(pool, factories.cdr())
    with pytest.raises(asyncpg.UniqueViolationError):
        await pool.execute(
            "INSERT INTO ledger_transactions (kind, cdr_country_code, cdr_party_id, cdr_id,"
            " fee_percent, fee_fixed) VALUES ('cdr', 'NL', 'CPA', 'cdr1', 0, 0)"
        )


# ---- payments -----------------------------------------------------------------------------


async def test_a_payment_is_recorded_once_per_reference(pool: asyncpg.Pool) -> None:
    """A payment received from the eMSP lowers what it owes; the same reference again for it
    records nothing, while another party may use that reference."""
    await booked(pool, factories.cdr())
    async with pool.acquire() as conn:
        paid = await ledger.record_payment(
            conn, EMSP, "INV-1", payment(EMSP, HUB, D("4.60"), "EUR")
        )
        with pytest.raises(ledger.PaymentRecorded) as again:
            await ledger.record_payment(conn, EMSP, "INV-1", payment(EMSP, HUB, D("1"), "EUR"))
        await ledger.record_payment(conn, CPO, "INV-1", payment(CPO, HUB, D("-4.41"), "EUR"))

    assert again.value.transaction == paid
    assert await balance(pool, EMSP) == {"EUR": 0}
    assert await balance(pool, CPO) == {"EUR": 0}
    hub = {(r[1], r[3]) for r in await ledger.balances(pool) if r[0] == HUB}
    assert hub == {(Account.CASH, D("0.19")), (Account.FEES, D("-0.19"))}
    reference = await pool.fetchval(
        "SELECT reference FROM ledger_payments WHERE transaction_id = $1", paid
    )
    assert reference == "INV-1"


# ---- reads --------------------------------------------------------------------------------


async def test_statement_lines_and_opening_balances_split_at_the_period(
    pool: asyncpg.Pool,
) -> None:
    """Lines are the party's entries booked in the period, with the CDR's amount and fee (a
    payment's amount); what was booked before is the opening balance."""
    await booked(pool, factories.cdr("C1"))
    middle = datetime.now(UTC)  # booked_at is the booking transaction's start
    await booked(pool, factories.cdr("C2", total_cost={"excl_vat": 10}))
    async with pool.acquire() as conn:
        await ledger.record_payment(conn, EMSP, "P1", payment(EMSP, HUB, D("5"), "EUR"))
    end = datetime.now(UTC) + timedelta(seconds=1)

    lines = await ledger.statement_lines(pool, EMSP, middle, end)
    cpo_lines = await ledger.statement_lines(pool, CPO, middle, end)

    assert await ledger.balance_of(pool, EMSP, middle) == {"EUR": D("4.6")}
    assert [(x.kind, x.cdr, x.reference, x.account, x.amount, x.fee, x.net) for x in lines] == [
        ("cdr", "NL*CPA*C2", None, "receivable", D("10"), D("0.30"), D("10")),
        ("payment", None, "P1", "receivable", D("5"), None, D("-5")),
    ]
    assert [(x.amount, x.fee, x.net) for x in cpo_lines] == [(D("10"), D("0.30"), D("-9.70"))]


async def test_balances_sum_every_account(pool: asyncpg.Pool) -> None:
    """One row per (party, account, currency), and all of them sum to zero."""
    await booked(pool, factories.cdr("C1"))
    await booked(pool, factories.cdr("C2", currency="GBP"))

    rows = await ledger.balances(pool)

    assert (EMSP, Account.RECEIVABLE, "EUR", D("4.6")) in rows
    assert (EMSP, Account.RECEIVABLE, "GBP", D("4.6")) in rows
    assert sum(r[3] for r in rows if r[2] == "EUR") == 0
    assert sum(r[3] for r in rows if r[2] == "GBP") == 0


async def test_fees_are_stored_and_loaded_with_the_agreements(pool: asyncpg.Pool) -> None:
    """A fee set for a pair is the pair's fee either way round; a zero fee removes it."""
    await agreements.set_fee(pool, EMSP, CPO, FEE)
    loaded = await agreements.load(pool, Policy.OPEN)
    assert loaded.fee(CPO, EMSP) == loaded.fee(EMSP, CPO) == FEE

    await agreements.set_fee(pool, CPO, EMSP, Fee(D("1.5"), D("0"), "GBP"))
    assert (await agreements.load(pool, Policy.OPEN)).fee(EMSP, CPO) == Fee(D("1.5"), D("0"), "GBP")

    await agreements.set_fee(pool, CPO, EMSP, Fee(D("0"), D("0"), "EUR"))
    assert (await agreements.load(pool, Policy.OPEN)).fee(EMSP, CPO) == ZERO_FEE
    assert await pool.fetchval("SELECT count(*) FROM fee_schedules") == 0
