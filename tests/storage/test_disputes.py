"""Disputes as stored (migration 0016, storage.repositories.disputes): each step booked in the
transaction that changes the dispute's state, with who, when and why; refusals that change
nothing; two resolutions at once, one winning; a credit CDR settling the disputes of its CDR;
the statement lines of dispute steps."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from ocpi_hub.core.disputes import BadDispute, State, Step
from ocpi_hub.core.ledger import Account, Entry
from ocpi_hub.core.statements import balances
from ocpi_hub.storage.repositories import disputes, ledger, objects
from tests import factories
from tests.storage.test_ledger import CPO, EMSP, HUB, booked, credit_of, key

D = Decimal


async def stored_and_booked(pool: asyncpg.Pool, cdr: dict[str, Any]) -> ledger.Booked:
    """`cdr` stored and booked as storage.changes does, a credit settling its CDR's disputes."""
    async with pool.acquire() as conn, conn.transaction():
        await objects.insert(conn, key(cdr), cdr, datetime.now(UTC), EMSP)
    done = await booked(pool, cdr)
    if done.outcome == ledger.Outcome.REVERSED:
        assert done.reverses is not None and done.transaction is not None
        async with pool.acquire() as conn, conn.transaction():
            await disputes.credited(conn, done.reverses, done.transaction, f"NL*CPA*{cdr['id']}")
    return done


async def figures(pool: asyncpg.Pool) -> dict[tuple[tuple[str, str], Account], Decimal]:
    """Every account's sum, zero sums left out, and the check that all of them sum to zero."""
    rows = await ledger.balances(pool)
    assert balances(rows).total in ({}, {"EUR": 0})
    return {(party, account): value for party, account, _, value in rows if value}


async def ledger_rows(pool: asyncpg.Pool) -> list[tuple[Any, ...]]:
    rows = await pool.fetch(
        "SELECT t.id, t.kind, e.account, e.amount FROM ledger_transactions t"
        " JOIN ledger_entries e ON e.transaction_id = t.id ORDER BY 1, 3"
    )
    disputed = await pool.fetch("SELECT id, state FROM disputes ORDER BY id")
    events = await pool.fetch("SELECT id FROM dispute_events ORDER BY id")
    return [tuple(r) for r in [*rows, *disputed, *events]]


async def opened(pool: asyncpg.Pool, amount: str | None = "1.00", cdr: str = "CDR1") -> Any:
    return await disputes.open_dispute(pool, CPO, cdr, amount, "wrong tariff", "alice")


async def test_opening_books_the_move_and_keeps_who_when_why(pool: asyncpg.Pool) -> None:
    """A dispute of 1.00 of the 4.60 CDR: the eMSP owes 3.60, 1.00 disputed; the dispute names
    the CDR, its parties and amount, OPEN, its `opened` event by alice with the reason and what
    it booked."""
    await stored_and_booked(pool, factories.cdr())

    dispute = await disputes.open_dispute(pool, CPO, "cdr1", "1", "wrong tariff", "alice")

    assert (dispute.cdr, dispute.cpo, dispute.emsp, dispute.currency, dispute.amount) == (
        "NL*CPA*CDR1", CPO, EMSP, "EUR", D("1"),
    )  # fmt: skip
    assert (dispute.state, dispute.reason) == (State.OPEN, "wrong tariff")
    [event] = dispute.events
    assert (event.step, event.state, event.by, event.note) == (
        Step.OPENED, State.OPEN, "alice", "wrong tariff",
    )  # fmt: skip
    assert abs(event.at - datetime.now(UTC)) < timedelta(minutes=5)
    assert set(event.entries) == {
        Entry(Account.DISPUTED, EMSP, "EUR", D("1")),
        Entry(Account.RECEIVABLE, EMSP, "EUR", D("-1")),
    }
    assert await figures(pool) == {
        (EMSP, Account.RECEIVABLE): D("3.60"), (EMSP, Account.DISPUTED): D("1"),
        (CPO, Account.PAYABLE): D("-4.41"), (HUB, Account.FEES): D("-0.19"),
    }  # fmt: skip
    assert await ledger.balance_of(pool, EMSP) == {"EUR": D("3.60")}


async def test_refusals_change_nothing(pool: asyncpg.Pool) -> None:
    """An unknown CDR, a credit CDR, an amount above what is left, a closed or unknown dispute:
    BadDispute saying why, and the ledger and disputes as they were."""
    await stored_and_booked(pool, factories.cdr())
    await stored_and_booked(pool, factories.cdr("CDR2"))
    await stored_and_booked(pool, credit_of("CDR2"))
    first = await opened(pool, "4.00")
    rejected = await opened(pool, "0.10")
    await disputes.resolve(pool, rejected.id, Step.REJECTED, "bob", None)
    before = await ledger_rows(pool)

    for attempt, message in (
        (opened(pool, cdr="NOPE"), "NL\\*CPA\\*NOPE: the hub holds no such CDR"),
        (opened(pool, cdr="CDR2-C"), "a credit CDR the ledger has not booked as charged"),
        (opened(pool, cdr="CDR2"), "the CDR is credited"),
        (opened(pool, "0.61"), "above what can be disputed of the CDR: 0.60 EUR"),
        (disputes.resolve(pool, rejected.id, Step.ACCEPTED, "bob", None),
         f"dispute {rejected.id} is REJECTED already \\(by bob, "),
        (disputes.resolve(pool, 999, Step.ACCEPTED, "bob", None), "--id 999: no dispute"),
    ):  # fmt: skip
        with pytest.raises(BadDispute, match=message):
            await attempt
    assert await ledger_rows(pool) == before
    assert first.state == State.OPEN


async def test_accepting_and_rejecting_book_as_core_says(pool: asyncpg.Pool) -> None:
    """1.00 accepted (fee 0.04 returned: the CPO is owed 0.96 less) and 0.50 rejected (owed
    again): the eMSP owes 3.60, nothing disputed; each event says who and why."""
    await stored_and_booked(pool, factories.cdr())
    accepted, rejected = await opened(pool, "1.00"), await opened(pool, "0.50")

    done = await disputes.resolve(pool, accepted.id, Step.ACCEPTED, "carol", "tariff was old")
    refused = await disputes.resolve(pool, rejected.id, Step.REJECTED, "dave", None)

    assert (done.state, refused.state) == (State.ACCEPTED, State.REJECTED)
    assert [(e.step, e.by, e.note) for e in done.events] == [
        (Step.OPENED, "alice", "wrong tariff"), (Step.ACCEPTED, "carol", "tariff was old"),
    ]  # fmt: skip
    assert await figures(pool) == {
        (EMSP, Account.RECEIVABLE): D("3.60"),
        (CPO, Account.PAYABLE): D("-3.45"),
        (HUB, Account.FEES): D("-0.15"),
    }
    assert [d.id for d in await disputes.listing(pool)] == []
    assert [d.id for d in await disputes.listing(pool, everything=True)] == [1, 2]


async def test_two_resolutions_at_once_one_wins(pool: asyncpg.Pool) -> None:
    """An accept and a reject of one dispute at the same time: one is booked, the other is
    refused saying the dispute is closed, and the ledger holds one resolution."""
    await stored_and_booked(pool, factories.cdr())
    dispute = await opened(pool)

    results = await asyncio.gather(
        disputes.resolve(pool, dispute.id, Step.ACCEPTED, "erin", None),
        disputes.resolve(pool, dispute.id, Step.REJECTED, "frank", None),
        return_exceptions=True,
    )

    [won] = [r for r in results if isinstance(r, disputes.Dispute)]
    [lost] = [r for r in results if isinstance(r, BadDispute)]
    assert f"is {won.state} already" in str(lost)
    kinds = await pool.fetch("SELECT kind FROM ledger_transactions WHERE kind LIKE 'dispute_%'")
    assert len(kinds) == 1
    assert [e.step for e in won.events][-1] in (Step.ACCEPTED, Step.REJECTED)


async def test_a_credit_cdr_settles_the_disputes_of_its_cdr(pool: asyncpg.Pool) -> None:
    """A CDR with 1.00 accepted, 0.50 rejected and 2.00 open is credited: the open one is
    accepted by the credit CDR, the accepted one's acceptance undone, the rejected one left;
    every account is back to zero, and nothing more can be disputed."""
    await stored_and_booked(pool, factories.cdr())
    accepted, rejected, still_open = [await opened(pool, a) for a in ("1.00", "0.50", "2.00")]
    await disputes.resolve(pool, accepted.id, Step.ACCEPTED, "carol", None)
    await disputes.resolve(pool, rejected.id, Step.REJECTED, "dave", None)

    await stored_and_booked(pool, credit_of("CDR1"))

    found = {d.id: d for d in await disputes.listing(pool, everything=True)}
    assert {i: d.state for i, d in found.items()} == {
        accepted.id: State.ACCEPTED, rejected.id: State.REJECTED, still_open.id: State.ACCEPTED,
    }  # fmt: skip
    last = found[still_open.id].events[-1]
    assert (last.step, last.by) == (Step.CREDITED, "credit CDR NL*CPA*CDR1-C")
    assert set(last.entries) == {
        Entry(Account.DISPUTED, EMSP, "EUR", D("-2.00")),
        Entry(Account.RECEIVABLE, EMSP, "EUR", D("2.00")),
    }
    assert [e.step for e in found[accepted.id].events] == [
        Step.OPENED, Step.ACCEPTED, Step.CREDITED,
    ]  # fmt: skip
    assert [e.step for e in found[rejected.id].events] == [Step.OPENED, Step.REJECTED]
    assert await figures(pool) == {}
    with pytest.raises(BadDispute, match="credited"):
        await opened(pool)


async def test_statement_lines_of_dispute_steps_name_the_dispute(pool: asyncpg.Pool) -> None:
    """The CPO's lines: its CDR, then the accepted dispute's (amount 1.00, fee -0.04, net
    0.96), naming the dispute and the CDR."""
    await stored_and_booked(pool, factories.cdr())
    dispute = await opened(pool)
    await disputes.resolve(pool, dispute.id, Step.ACCEPTED, "carol", None)
    now = datetime.now(UTC)

    lines = await ledger.statement_lines(pool, CPO, now - timedelta(days=1), now + timedelta(1))

    assert [(x.kind, x.cdr, x.dispute, x.amount, x.fee, x.net) for x in lines] == [
        ("cdr", "NL*CPA*CDR1", None, D("4.6"), D("0.19"), D("-4.41")),
        ("dispute_accepted", "NL*CPA*CDR1", dispute.id, D("1.00"), D("-0.04"), D("0.96")),
    ]


async def test_dispute_events_are_append_only(pool: asyncpg.Pool) -> None:
    """An event is never changed or removed."""
    await stored_and_booked(pool, factories.cdr())
    await opened(pool)
    for sql in ("UPDATE dispute_events SET by = 'mallory'", "DELETE FROM dispute_events"):
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            await pool.execute(sql)
