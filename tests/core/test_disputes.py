"""Disputes' rules (core.disputes, issue 9 §5): the lifecycle as a table, what each step books
(every step summing to zero), the fee returned pro rata and rounded once per CDR, what can be
disputed, and the statements and balances that show disputed amounts (core.statements)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocpi_hub.core.disputes import (
    TRANSITIONS,
    BadDispute,
    Charge,
    State,
    Step,
    book,
    disputable,
    fee_returned,
    parse_cdr,
    parse_text,
    to_open,
)
from ocpi_hub.core.ledger import Account, Entry, Fee, book_cdr, reversal, sums
from ocpi_hub.core.statements import Line, balances, statement
from tests import factories

CPO, EMSP, HUB = ("NL", "CPA"), ("DE", "EMA"), ("XX", "HUB")
D = Decimal
FEE = Fee(D("2"), D("0.10"), "EUR")


def charged(amount: str = "4.60", fee: Fee = FEE, currency: str = "EUR") -> tuple[Entry, ...]:
    """The entries a CDR of `amount` books (core.ledger.book_cdr)."""
    cdr = factories.cdr(total_cost={"excl_vat": D(amount)}, currency=currency)
    return book_cdr(cdr, CPO, EMSP, HUB, fee).entries


def owed(*transactions: Iterable[Entry]) -> dict[tuple[tuple[str, str], Account], Decimal]:
    """The sum of each (party, account) over `transactions`, zero sums left out."""
    found: dict[tuple[tuple[str, str], Account], Decimal] = {}
    for entries in transactions:
        for e in entries:
            found[(e.party, e.account)] = found.get((e.party, e.account), D(0)) + e.amount
    return {k: v for k, v in found.items() if v}


# ---- the lifecycle ------------------------------------------------------------------------


def test_the_lifecycle_table() -> None:
    """OPEN -> ACCEPTED | REJECTED; a credit CDR accepts an open dispute and settles an accepted
    one again; nothing leaves REJECTED, nothing but a credit leaves ACCEPTED."""
    assert {(step, was): t.state for (step, was), t in TRANSITIONS.items()} == {
        (Step.OPENED, None): State.OPEN,
        (Step.REJECTED, State.OPEN): State.REJECTED,
        (Step.ACCEPTED, State.OPEN): State.ACCEPTED,
        (Step.CREDITED, State.OPEN): State.ACCEPTED,
        (Step.CREDITED, State.ACCEPTED): State.ACCEPTED,
    }
    assert {t.kind for t in TRANSITIONS.values()} == {
        "dispute", "dispute_accepted", "dispute_rejected", "dispute_credited",
    }  # fmt: skip
    charge = Charge.of(charged())
    for step, was in (
        (Step.ACCEPTED, State.ACCEPTED), (Step.REJECTED, State.ACCEPTED),
        (Step.ACCEPTED, State.REJECTED), (Step.REJECTED, State.REJECTED),
        (Step.CREDITED, State.REJECTED), (Step.OPENED, State.OPEN),
    ):  # fmt: skip
        with pytest.raises(BadDispute, match="cannot be"):
            book(step, was, charge, D("1"))


def test_a_charge_is_read_from_the_cdrs_entries() -> None:
    """The eMSP, CPO and hub, the CDR's amount and the hub's fee, from its three entries."""
    assert Charge.of(charged()) == Charge(EMSP, CPO, HUB, "EUR", D("4.60"), D("0.19"))


# ---- what each step books, with figures ----------------------------------------------------


def test_opening_moves_the_amount_from_receivable_to_disputed() -> None:
    """A dispute of 1.00 of a 4.60 CDR: the eMSP owes 3.60 and has 1.00 in dispute."""
    cdr = charged()
    opened = book(Step.OPENED, None, Charge.of(cdr), D("1.00"))

    assert (opened.state, opened.kind) == (State.OPEN, "dispute")
    assert sums(opened.entries) == {"EUR": 0}
    assert owed(cdr, opened.entries) == {
        (EMSP, Account.RECEIVABLE): D("3.60"), (EMSP, Account.DISPUTED): D("1.00"),
        (CPO, Account.PAYABLE): D("-4.41"), (HUB, Account.FEES): D("-0.19"),
    }  # fmt: skip


def test_rejecting_gives_the_amount_back_to_what_the_emsp_owes() -> None:
    """Open then reject: every account as the CDR left it."""
    cdr, charge = charged(), Charge.of(charged())
    opened = book(Step.OPENED, None, charge, D("1.00"))
    rejected = book(Step.REJECTED, State.OPEN, charge, D("1.00"))

    assert (rejected.state, rejected.kind) == (State.REJECTED, "dispute_rejected")
    assert sums(rejected.entries) == {"EUR": 0}
    assert owed(cdr, opened.entries, rejected.entries) == owed(cdr)


def test_accepting_reduces_the_cpos_claim_and_returns_the_fee_pro_rata() -> None:
    """A dispute of 1.00 of a 4.60 CDR at a fee of 0.19: the fee returned is 0.19 x 1/4.60 =
    0.0413 -> 0.04; the CPO's claim drops by 0.96; the eMSP owes 3.60, nothing disputed."""
    cdr, charge = charged(), Charge.of(charged())
    opened = book(Step.OPENED, None, charge, D("1.00"))
    accepted = book(Step.ACCEPTED, State.OPEN, charge, D("1.00"))

    assert (accepted.state, accepted.kind) == (State.ACCEPTED, "dispute_accepted")
    assert set(accepted.entries) == {
        Entry(Account.DISPUTED, EMSP, "EUR", D("-1.00")),
        Entry(Account.PAYABLE, CPO, "EUR", D("0.96")),
        Entry(Account.FEES, HUB, "EUR", D("0.04")),
    }
    assert owed(cdr, opened.entries, accepted.entries) == {
        (EMSP, Account.RECEIVABLE): D("3.60"),
        (CPO, Account.PAYABLE): D("-3.45"),
        (HUB, Account.FEES): D("-0.15"),
    }


def test_the_whole_cdr_accepted_books_what_its_credit_would() -> None:
    """A dispute of all of a CDR, accepted, leaves every account at zero, as a credit CDR's
    reversal does; a fixed fee above the CDR's amount (the CPO owing the hub) too."""
    for amount, fee in (("4.60", FEE), ("0.05", FEE), ("7.3333", Fee(D("3"), D(0), "EUR"))):
        cdr = charged(amount, fee)
        charge = Charge.of(cdr)
        whole = to_open(charge, None, D(0), credited=False)
        opened = book(Step.OPENED, None, charge, whole)
        accepted = book(Step.ACCEPTED, State.OPEN, charge, whole)
        assert owed(cdr, opened.entries, accepted.entries) == {} == owed(cdr, reversal(cdr))


def test_fees_returned_in_pieces_add_up_to_the_fee() -> None:
    """Two disputes of 2.30 of a 4.60 CDR at 0.19: 0.095 each would round to 0.10 twice (0.20,
    more than was earned); rounded once over the CDR, they return 0.10 then 0.09."""
    charge = Charge.of(charged())
    first = fee_returned(charge, D("2.30"), D(0))
    second = fee_returned(charge, D("2.30"), D("2.30"))
    assert (first, second) == (D("0.10"), D("0.09"))


def test_a_credit_cdr_accepts_an_open_dispute() -> None:
    """The credit reverses the whole CDR; the open dispute's 1.00 goes back from disputed to
    receivable, so every account of the CDR ends at zero (not the eMSP owed 1.00)."""
    cdr, charge = charged(), Charge.of(charged())
    opened = book(Step.OPENED, None, charge, D("1.00"))
    credited = book(Step.CREDITED, State.OPEN, charge, D("1.00"))

    assert (credited.state, credited.kind) == (State.ACCEPTED, "dispute_credited")
    assert owed(cdr, opened.entries, reversal(cdr)) == {
        (EMSP, Account.RECEIVABLE): D("-1.00"), (EMSP, Account.DISPUTED): D("1.00"),
    }  # fmt: skip
    assert owed(cdr, opened.entries, reversal(cdr), credited.entries) == {}


def test_a_credit_cdr_after_an_acceptance_undoes_it() -> None:
    """Accepted 1.00 (fee 0.04 returned), then the CPO credits the whole CDR: the acceptance is
    undone, its 1.00 back to receivable; every account ends at zero."""
    cdr, charge = charged(), Charge.of(charged())
    opened = book(Step.OPENED, None, charge, D("1.00"))
    accepted = book(Step.ACCEPTED, State.OPEN, charge, D("1.00"))
    credited = book(Step.CREDITED, State.ACCEPTED, charge, D("1.00"), acceptance=accepted.entries)

    assert set(credited.entries) == {
        Entry(Account.RECEIVABLE, EMSP, "EUR", D("1.00")),
        Entry(Account.PAYABLE, CPO, "EUR", D("-0.96")),
        Entry(Account.FEES, HUB, "EUR", D("-0.04")),
    }
    assert owed(cdr, opened.entries, accepted.entries, reversal(cdr), credited.entries) == {}


# ---- properties ---------------------------------------------------------------------------

AMOUNTS = st.decimals(min_value=D("0.01"), max_value=D(100_000), places=2)
FEES = st.builds(
    Fee,
    st.decimals(min_value=0, max_value=100, places=2),
    st.decimals(min_value=0, max_value=5, places=2),
    st.just("EUR"),
)


@given(amount=AMOUNTS, fee=FEES, cents=st.integers(min_value=1, max_value=10_000_000))
def test_every_step_sums_to_zero(amount: Decimal, fee: Fee, cents: int) -> None:
    """Whatever the CDR, fee and dispute, each step's entries sum to zero."""
    charge = Charge.of(charged(str(amount), fee))
    disputed = min(amount, D(cents) / 100)
    accepted = book(Step.ACCEPTED, State.OPEN, charge, disputed)
    for done in (
        book(Step.OPENED, None, charge, disputed),
        book(Step.REJECTED, State.OPEN, charge, disputed),
        accepted,
        book(Step.CREDITED, State.OPEN, charge, disputed),
        book(Step.CREDITED, State.ACCEPTED, charge, disputed, acceptance=accepted.entries),
    ):
        assert sums(done.entries) == {"EUR": 0}


@given(amount=AMOUNTS, fee=FEES, cents=st.integers(min_value=1, max_value=10_000_000))
def test_open_then_reject_leaves_balances_as_before(amount: Decimal, fee: Fee, cents: int) -> None:
    """Any dispute opened and rejected: every account as the CDR alone left it."""
    cdr = charged(str(amount), fee)
    charge = Charge.of(cdr)
    disputed = min(amount, D(cents) / 100)
    opened = book(Step.OPENED, None, charge, disputed)
    rejected = book(Step.REJECTED, State.OPEN, charge, disputed)
    assert owed(cdr, opened.entries, rejected.entries) == owed(cdr)


@given(amount=AMOUNTS, fee=FEES, cents=st.integers(min_value=1, max_value=10_000_000))
def test_open_then_accept_leaves_the_cdr_less_the_dispute_owed(
    amount: Decimal, fee: Fee, cents: int
) -> None:
    """Any dispute D opened and accepted: the eMSP owes the CDR's amount less D, nothing in
    dispute; the CPO is owed and the hub keeps exactly what a CDR of A - D would book, but
    for the rounding of the fee returned, which is within half a cent of the pro rata share."""
    cdr = charged(str(amount), fee)
    charge = Charge.of(cdr)
    disputed = min(amount, D(cents) / 100)
    opened = book(Step.OPENED, None, charge, disputed)
    accepted = book(Step.ACCEPTED, State.OPEN, charge, disputed)

    after = owed(cdr, opened.entries, accepted.entries)
    assert after.get((EMSP, Account.RECEIVABLE), D(0)) == amount - disputed
    assert (EMSP, Account.DISPUTED) not in after
    kept = -after.get((HUB, Account.FEES), D(0))
    assert abs(kept - charge.fee * (amount - disputed) / amount) <= D("0.005")
    assert after.get((CPO, Account.PAYABLE), D(0)) == -(amount - disputed - kept)


# ---- what can be disputed, and input ------------------------------------------------------


def test_what_can_be_disputed() -> None:
    """The booked amount less what is open or accepted on it; nothing once credited; the
    default is all of it, finer than a cent if the CDR is."""
    charge = Charge.of(charged("4.6123"))
    assert disputable(charge, D("1"), credited=False) == D("3.6123")
    assert disputable(charge, D("1"), credited=True) == 0
    assert to_open(charge, None, D("1"), credited=False) == D("3.6123")
    assert to_open(charge, "3.61", D("1"), credited=False) == D("3.61")
    assert to_open(charge, " 2 ", D(0), credited=False) == D("2")


@pytest.mark.parametrize(
    ("amount", "held", "credited", "message"),
    [
        ("4.61", "0", False, "above what can be disputed of the CDR: 4.60 EUR"),
        ("3", "2", False, "above what can be disputed of the CDR: 2.60 EUR"),
        (None, "4.60", False, "nothing left to dispute"),
        ("1", "0", True, "the CDR is credited"),
        ("1.001", "0", False, "EUR has 2 decimals"),
        ("0", "0", False, "above zero"),
        ("-1", "0", False, "above zero"),
        ("ten", "0", False, "is not a number"),
    ],
)
def test_an_amount_that_cannot_be_disputed_is_refused(
    amount: str | None, held: str, credited: bool, message: str
) -> None:
    with pytest.raises(BadDispute, match=message):
        to_open(Charge.of(charged()), amount, D(held), credited)


def test_a_cdr_is_named_cc_pid_id() -> None:
    """`CC*PID*ID`, the party upper case, the id as written (it may hold a `*`)."""
    assert parse_cdr("nl*cpa*cdr1") == (("NL", "CPA"), "cdr1")
    assert parse_cdr(" NL*CPA*A*B ") == (("NL", "CPA"), "A*B")
    for bad in ("NL*CPA", "NLCPA*X", "NL*CPA*", "NL*CPA*" + "X" * 37, "NL*CPA*A B"):
        with pytest.raises(BadDispute, match="CC\\*PID\\*CDR_ID"):
            parse_cdr(bad)
    assert parse_text("  wrong tariff ", "--reason") == "wrong tariff"
    for bad in ("", "   ", "x" * 1001):
        with pytest.raises(BadDispute, match="--reason: write it"):
            parse_text(bad, "--reason")


# ---- statements and balances --------------------------------------------------------------

AT = datetime(2024, 3, 1, tzinfo=UTC)


def line(kind: str, account: str, net: str, amount: str, fee: str | None = None) -> Line:
    return Line(1, AT, kind, "NL*CPA*CDR1", None, account, "EUR", D(amount),
                None if fee is None else D(fee), D(net))  # fmt: skip


def test_a_statement_keeps_disputed_lines_out_of_what_is_owed() -> None:
    """The eMSP's month: a CDR of 4.60, a dispute of 1.00 opened (receivable -1.00, disputed
    +1.00) and accepted (disputed -1.00, fee 0.04 returned): it owes 3.60 at each step but the
    disputed line's, which leaves the running balance as it is."""
    done = statement(
        EMSP,
        "2024-03",
        [
            line("cdr", "receivable", "4.60", "4.60", "0.19"),
            line("dispute", "receivable", "-1.00", "1.00"),
            line("dispute", "disputed", "1.00", "1.00"),
            line("dispute_accepted", "disputed", "-1.00", "1.00", "-0.04"),
        ],
        {},
    )
    assert [x.running for x in done.lines] == [D("4.60"), D("3.60"), D("3.60"), D("3.60")]
    [totals] = done.totals
    assert (totals.cdrs, totals.amount, totals.fee) == (1, D("4.60"), D("0.15"))
    assert (totals.disputes, totals.net, totals.closing, totals.disputed) == (
        D("-1.00"), D("3.60"), D("3.60"), D("0"),
    )  # fmt: skip


def test_balances_show_the_disputed_amount_beside_the_balance() -> None:
    """An eMSP with 1.00 of 4.60 in dispute: receivable 3.60, disputed 1.00, balance 3.60; the
    sum of every entry still zero."""
    found = balances(
        [
            (EMSP, Account.DISPUTED, "EUR", D("1.00")),
            (EMSP, Account.RECEIVABLE, "EUR", D("3.60")),
            (CPO, Account.PAYABLE, "EUR", D("-4.41")),
            (HUB, Account.FEES, "EUR", D("-0.19")),
        ]
    )
    emsp = next(b for b in found.parties if b.party == EMSP)
    assert (emsp.receivable, emsp.disputed, emsp.balance) == (D("3.60"), D("1.00"), D("3.60"))
    assert found.total == {"EUR": 0}
