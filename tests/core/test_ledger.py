"""The settlement ledger's rules (core.ledger) and the statements and balances computed from its
rows (core.statements), issue 9 §3: every transaction sums to zero, a credit reverses exactly,
fees as agreed, amounts in Decimal."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocpi_hub.core.agreements import Agreement, Agreements, BadAgreement, Effect, FeeAgreement
from ocpi_hub.core.ledger import (
    MINOR_UNITS,
    ZERO_FEE,
    Account,
    BadAmount,
    Entry,
    Fee,
    book_cdr,
    fee_of,
    minor_unit,
    parse_amount,
    parse_currency,
    parse_decimal,
    payment,
    reversal,
    shown,
    sums,
)
from ocpi_hub.core.statements import Line, balances, month, statement
from ocpi_hub.core.types import json_decimal
from tests import factories

CPO, EMSP, HUB = ("NL", "CPA"), ("DE", "EMA"), ("XX", "HUB")
D = Decimal

CURRENCIES = st.sampled_from(["EUR", "GBP", "JPY", "KWD", "CLF"])
AMOUNTS = st.decimals(min_value=-100_000, max_value=100_000, places=4, allow_nan=False)
PERCENTS = st.decimals(min_value=0, max_value=100, places=3, allow_nan=False)


@st.composite
def fees(draw: st.DrawFn) -> Fee:
    currency = draw(CURRENCIES)
    places = MINOR_UNITS.get(currency, 2)
    fixed = draw(st.decimals(min_value=0, max_value=50, places=places, allow_nan=False))
    return Fee.of(draw(PERCENTS), fixed, currency)


def a_cdr(amount: Decimal, currency: str = "EUR", **overrides: Any) -> dict[str, Any]:
    """A CDR as the hub stores it: its amounts are JSON numbers (floats)."""
    return factories.cdr(currency=currency, total_cost={"excl_vat": float(amount)}, **overrides)


def accounts(entries: list[Entry] | tuple[Entry, ...]) -> dict[tuple[Account, Any, str], Decimal]:
    found: dict[tuple[Account, Any, str], Decimal] = {}
    for e in entries:
        found[(e.account, e.party, e.currency)] = (
            found.get((e.account, e.party, e.currency), 0) + e.amount
        )
    return found


# ---- a CDR's booking -----------------------------------------------------------------------


def test_a_cdr_books_the_emsp_owing_the_cpo_owed_and_the_hub_keeping_its_fee() -> None:
    """4.60 EUR at 1.5 % + 0.30 EUR: the eMSP owes 4.60, the hub owes the CPO 4.23, keeps 0.37
    (0.069 + 0.30, rounded half up)."""
    booking = book_cdr(factories.cdr(), CPO, EMSP, HUB, Fee(D("1.5"), D("0.30"), "EUR"))

    assert booking.entries == (
        Entry(Account.RECEIVABLE, EMSP, "EUR", D("4.6")),
        Entry(Account.PAYABLE, CPO, "EUR", D("-4.23")),
        Entry(Account.FEES, HUB, "EUR", D("-0.37")),
    )
    assert (booking.amount, booking.currency, booking.fee) == (D("4.6"), "EUR", D("0.37"))


def test_the_amount_booked_is_total_cost_excl_vat() -> None:
    """incl_vat is not the money between the parties; a CDR without it is booked alike."""
    with_vat = book_cdr(factories.cdr(), CPO, EMSP, HUB, ZERO_FEE)
    without = book_cdr(factories.cdr(total_cost={"excl_vat": 4.6}), CPO, EMSP, HUB, ZERO_FEE)

    assert with_vat.entries == without.entries
    assert with_vat.amount == D("4.6")


def test_with_no_fee_agreed_the_cpo_is_owed_the_whole_amount() -> None:
    booking = book_cdr(factories.cdr(), CPO, EMSP, HUB, ZERO_FEE)

    assert [e.amount for e in booking.entries] == [D("4.6"), D("-4.6"), D("0.00")]


def test_the_fixed_fee_applies_only_to_cdrs_in_its_currency() -> None:
    """A EUR fee on a GBP CDR: the percentage applies, the fixed part does not (the hub
    converts no currencies), and the terms that applied say so."""
    fee = Fee(D("10"), D("1.00"), "EUR")

    in_gbp = fee_of(D("20"), "GBP", fee)
    in_eur = fee_of(D("20"), "EUR", fee)

    assert in_gbp == (D("2.00"), Fee(D("10"), D("0"), "EUR"))
    assert in_eur == (D("3.00"), fee)


def test_the_fee_is_rounded_half_up_to_the_cdrs_minor_unit() -> None:
    """0.125 EUR → 0.13; in JPY, whole yen; in KWD, three decimals."""
    assert fee_of(D("12.5"), "EUR", Fee(D("1"), D("0"), "EUR"))[0] == D("0.13")
    assert fee_of(D("1250"), "JPY", Fee(D("1.5"), D("0"), "JPY"))[0] == D("19")
    assert fee_of(D("1.2345"), "KWD", Fee(D("10"), D("0"), "KWD"))[0] == D("0.123")


def test_a_fee_above_the_amount_leaves_the_cpo_owing_the_difference() -> None:
    """A fixed fee on a free session is charged as agreed: the CPO owes it."""
    booking = book_cdr(factories.cdr(total_cost={"excl_vat": 0}), CPO, EMSP, HUB,
                       Fee(D("0"), D("0.25"), "EUR"))  # fmt: skip

    assert accounts(booking.entries)[(Account.PAYABLE, CPO, "EUR")] == D("0.25")


@given(amount=AMOUNTS, currency=CURRENCIES, fee=fees())
def test_every_cdr_booking_sums_to_zero_per_currency(
    amount: Decimal, currency: str, fee: Fee
) -> None:
    """Whatever the amount, currency and fee: the entries sum to zero, the eMSP owes the amount
    exactly, and the fee is in whole minor units of the CDR's currency."""
    booking = book_cdr(a_cdr(amount, currency), CPO, EMSP, HUB, fee)

    assert sums(booking.entries) == {currency: 0}
    assert booking.entries[0] == Entry(Account.RECEIVABLE, EMSP, currency, amount)
    assert booking.fee == booking.fee.quantize(minor_unit(currency))


@given(amount=AMOUNTS, currency=CURRENCIES, fee=fees())
def test_the_fee_is_percent_plus_fixed_in_its_currency(
    amount: Decimal, currency: str, fee: Fee
) -> None:
    """fee = amount * percent / 100 (+ fixed when in the fee's currency), rounded half up."""
    fixed = fee.fixed if fee.currency == currency else 0
    expected = (amount * fee.percent / 100 + fixed).quantize(minor_unit(currency), ROUND_HALF_UP)

    assert fee_of(amount, currency, fee)[0] == expected


@given(amount=st.decimals(min_value=0, max_value=100_000, places=2), fee=fees())
def test_on_a_positive_cdr_the_fee_is_never_negative(amount: Decimal, fee: Fee) -> None:
    assert fee_of(amount, "EUR", fee)[0] >= 0


@given(amount=AMOUNTS, currency=CURRENCIES, fee=fees())
def test_a_credit_reverses_exactly(amount: Decimal, currency: str, fee: Fee) -> None:
    """The reversal and the original leave every account at zero; reversing twice gives the
    original back."""
    original = book_cdr(a_cdr(amount, currency), CPO, EMSP, HUB, fee).entries

    undone = reversal(original)

    assert sums(undone) == {currency: 0}
    assert set(accounts(original + undone).values()) == {0}
    assert reversal(undone) == original


@given(amount=st.decimals(min_value=-(10**9), max_value=10**9, places=2))
def test_json_numbers_come_back_as_the_decimal_written(amount: Decimal) -> None:
    """A CDR's amount is read as the decimal the CPO wrote, not the binary float it was parsed
    into (up to 15 significant digits)."""
    assert json_decimal(float(amount)) == amount
    assert json_decimal(int(amount)) == int(amount)


def test_a_non_number_is_not_an_amount() -> None:
    for value in (True, "4.6", None):
        with pytest.raises(ValueError, match="is not a number"):
            json_decimal(value)


# ---- payments ------------------------------------------------------------------------------


def test_a_payment_received_lowers_what_the_party_owes() -> None:
    """Positive: cash in, the party's receivable down."""
    assert payment(EMSP, HUB, D("100"), "EUR") == (
        Entry(Account.CASH, HUB, "EUR", D("100")),
        Entry(Account.RECEIVABLE, EMSP, "EUR", D("-100")),
    )


def test_a_payment_made_lowers_what_the_hub_owes() -> None:
    """Negative: cash out, the party's payable up (towards zero)."""
    assert payment(CPO, HUB, D("-95.5"), "EUR") == (
        Entry(Account.CASH, HUB, "EUR", D("-95.5")),
        Entry(Account.PAYABLE, CPO, "EUR", D("95.5")),
    )


def test_a_payment_of_zero_is_refused() -> None:
    with pytest.raises(BadAmount, match="pays nothing"):
        payment(EMSP, HUB, D("0"), "EUR")


# ---- input and output ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "currency", "message"),
    [
        ("abc", "EUR", "is not a number"),
        ("NaN", "EUR", "is not a number"),
        ("Infinity", "EUR", "is not a number"),
        ("10.005", "EUR", "EUR has 2 decimals"),
        ("100.5", "JPY", "JPY has 0 decimals"),
    ],
)
def test_bad_amounts_are_refused_by_name(text: str, currency: str, message: str) -> None:
    with pytest.raises(BadAmount, match=message):
        parse_amount(text, currency, "--amount")


def test_good_amounts_and_currencies_are_read() -> None:
    assert parse_amount(" -12.50 ", "EUR", "--amount") == D("-12.50")
    assert parse_amount("1E+2", "JPY", "--amount") == D("100")
    assert parse_currency(" eur ") == "EUR"
    assert parse_decimal("1.25", "--percent") == D("1.25")
    for bad in ("EU", "EURO", "E1R", ""):
        with pytest.raises(BadAmount, match="three-letter"):
            parse_currency(bad)


@pytest.mark.parametrize(
    ("percent", "fixed", "currency", "message"),
    [
        ("-1", "0", "EUR", "from 0 to 100"),
        ("100.01", "0", "EUR", "from 0 to 100"),
        ("1", "-0.10", "EUR", "not below zero"),
        ("1", "0.305", "EUR", "EUR has 2 decimals"),
        ("1", "0", "EURO", "three-letter"),
    ],
)
def test_bad_fees_are_refused(percent: str, fixed: str, currency: str, message: str) -> None:
    with pytest.raises(BadAmount, match=message):
        Fee.of(D(percent), D(fixed), currency)


def test_amounts_are_shown_in_their_currencys_decimals_at_least() -> None:
    assert [shown(D(v), c) for v, c in (("4.6", "EUR"), ("4.6123", "EUR"), ("1E+2", "EUR"),
                                          ("-0.00", "EUR"), ("3", "KWD"), ("19", "JPY"))] == [
        "4.60", "4.6123", "100.00", "0.00", "3.000", "19",
    ]  # fmt: skip


# ---- fees in the agreements ----------------------------------------------------------------


def test_a_pair_pays_its_agreed_fee_either_way_round_and_others_none() -> None:
    fee = Fee(D("2"), D("0.10"), "EUR")
    agreed = Agreements(
        rules=(Agreement.of(CPO, EMSP, Effect.DENY, ["tokens"]),),
        fees=(FeeAgreement.of(EMSP, CPO, fee),),
    )

    assert agreed.fee(CPO, EMSP) == agreed.fee(EMSP, CPO) == fee
    assert agreed.fee(CPO, ("FR", "EMB")) == ZERO_FEE
    assert agreed.as_json() == [
        {"between": "DE*EMA", "and": "NL*CPA", "effect": "deny", "modules": ["tokens"]},
        {"between": "DE*EMA", "and": "NL*CPA", "effect": "fee", "modules": ["cdrs"],
         "percent": "2", "fixed": "0.10", "currency": "EUR"},
    ]  # fmt: skip
    with pytest.raises(BadAgreement, match="pays no fee to itself"):
        FeeAgreement.of(CPO, CPO, fee)


# ---- statements and balances ---------------------------------------------------------------


def test_a_month_is_its_first_instant_to_the_next_months_in_utc() -> None:
    assert month("2024-12") == (datetime(2024, 12, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC))
    assert month("2024-02")[1] == datetime(2024, 3, 1, tzinfo=UTC)
    for bad in ("2024-13", "2024-1", "24-01", "March"):
        with pytest.raises(BadAmount, match="YYYY-MM"):
            month(bad)


def line(n: int, kind: str, net: str, currency: str = "EUR", amount: str | None = None,
         fee: str | None = None) -> Line:  # fmt: skip
    return Line(
        transaction=n,
        booked_at=datetime(2024, 3, n, tzinfo=UTC),
        kind=kind,
        cdr=None if kind == "payment" else f"NL*CPA*C{n}",
        reference="P" if kind == "payment" else None,
        account="receivable",
        currency=currency,
        amount=D(amount or net),
        fee=None if fee is None else D(fee),
        net=D(net),
    )


def test_a_statement_runs_from_the_opening_balance_per_currency() -> None:
    """Each line's running total is the balance after it in its currency; the totals add the
    CDRs' amounts and fees, the payments, and close at opening + net."""
    lines = [
        line(1, "cdr", "10", fee="0.20"),
        line(2, "cdr", "5", currency="GBP", fee="0.10"),
        line(3, "payment", "-12", amount="12"),
        line(4, "credit", "-10", fee="-0.20"),
    ]

    done = statement(EMSP, "2024-03", lines, {"EUR": D("2"), "CHF": D("1")})

    assert [(x.currency, x.running) for x in done.lines] == [
        ("EUR", D("12")), ("GBP", D("5")), ("EUR", D("0")), ("EUR", D("-10")),
    ]  # fmt: skip
    totals = {t.currency: t for t in done.totals}
    assert list(totals) == ["CHF", "EUR", "GBP"]
    eur = totals["EUR"]
    assert (eur.opening, eur.cdrs, eur.amount, eur.fee, eur.payments, eur.net, eur.closing) == (
        D("2"), 2, D("0"), D("0"), D("-12"), D("-12"), D("-10"),
    )  # fmt: skip
    assert (totals["CHF"].closing, totals["GBP"].closing) == (D("1"), D("5"))


@given(st.lists(st.tuples(st.booleans(), AMOUNTS, CURRENCIES), max_size=30), AMOUNTS)
def test_a_statement_closes_at_its_last_running_total(
    moves: list[tuple[bool, Decimal, str]], opening: Decimal
) -> None:
    """Per currency, the last line's running total is the closing balance, opening + net."""
    lines = [line(i % 28 + 1, "payment" if paid else "cdr", str(net), currency)
             for i, (paid, net, currency) in enumerate(moves)]  # fmt: skip

    done = statement(EMSP, "2024-03", lines, {"EUR": opening})

    for total in done.totals:
        mine = [x for x in done.lines if x.currency == total.currency]
        assert total.closing == (mine[-1].running if mine else total.opening)
        assert total.net == sum((x.net for x in mine), D(0))


@given(st.lists(st.tuples(AMOUNTS, fees(), st.sampled_from([EMSP, ("FR", "EMB")])), max_size=20),
       st.lists(AMOUNTS.filter(bool), max_size=5))  # fmt: skip
def test_balances_of_a_balanced_ledger_sum_to_zero(
    cdrs: list[tuple[Decimal, Fee, tuple[str, str]]], paid: list[Decimal]
) -> None:
    """What the parties owe plus the cash the hub holds is the fees it earned; all entries sum
    to zero."""
    entries: list[Entry] = []
    for amount, fee, emsp in cdrs:
        entries.extend(book_cdr(a_cdr(amount), CPO, emsp, HUB, fee).entries)
    for amount in paid:
        entries.extend(payment(EMSP, HUB, amount, "EUR"))
    rows = [(party, account, currency, value)
            for (account, party, currency), value in accounts(entries).items()]  # fmt: skip

    found = balances(rows)

    assert all(value == 0 for value in found.total.values())
    owed = sum((b.balance for b in found.parties), D(0))
    hub = {h.currency: h for h in found.hub}
    if "EUR" in hub:
        assert owed + hub["EUR"].cash == hub["EUR"].fees
