"""Credit exposure rules (issue 9 §7, core.credit): levels at the warning fraction and the
limit, the move table and what it suspends, live estimates of sessions in progress, exposure per
currency, and the settings."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocpi_hub.core.credit import (
    LEVEL_MOVES,
    Action,
    BadCreditSetting,
    CreditEvent,
    CreditState,
    Estimate,
    Level,
    Limit,
    estimate,
    exposures,
    level_of,
    parse_action,
    parse_warn,
    step,
)
from tests import factories

D = Decimal
WARN = D("0.8")
EMSP = ("DE", "EMA")
amounts = st.decimals(min_value=-1000, max_value=10000, places=2)
limits = st.decimals(min_value=0, max_value=10000, places=2)
fractions = st.decimals(min_value=D("0.01"), max_value=1, places=2)


@pytest.mark.parametrize(
    ("exposure", "limit", "level"),
    [
        ("0", "10", Level.OK),
        ("7.99", "10", Level.OK),
        ("8.00", "10", Level.WARN),  # at OCPI_HUB_CREDIT_WARN of the limit
        ("9.99", "10", Level.WARN),
        ("10.00", "10", Level.OVER),  # at 100 %
        ("12", "10", Level.OVER),
        ("-5", "10", Level.OK),  # paid in advance
        ("0", "0", Level.OK),  # a limit of 0 with nothing exposed
        ("0.01", "0", Level.OVER),  # a limit of 0: no credit at all
    ],
)
def test_levels_at_the_warning_fraction_and_at_the_limit(
    exposure: str, limit: str, level: Level
) -> None:
    assert level_of(D(exposure), D(limit), WARN) == level


@given(amounts, amounts, limits, fractions)
def test_a_higher_exposure_is_never_a_lower_level(
    a: Decimal, b: Decimal, limit: Decimal, warn: Decimal
) -> None:
    """Monotone: more exposure never makes the level better."""
    order = list(Level)
    low, high = sorted((a, b))
    assert order.index(level_of(low, limit, warn)) <= order.index(level_of(high, limit, warn))


@pytest.mark.parametrize(
    ("before", "level", "action", "after", "events"),
    [
        (CreditState(), Level.WARN, Action.SUSPEND, CreditState(Level.WARN), ["warning"]),
        (CreditState(), Level.OVER, Action.ALERT, CreditState(Level.OVER), ["over_limit"]),
        (
            CreditState(Level.WARN),
            Level.OVER,
            Action.SUSPEND,
            CreditState(Level.OVER, True),
            ["over_limit", "suspended"],
        ),
        (
            CreditState(Level.OVER, True),
            Level.WARN,
            Action.SUSPEND,
            CreditState(Level.WARN),
            ["under_limit", "lifted"],
        ),
        (
            CreditState(Level.OVER, True),
            Level.OK,
            None,
            CreditState(Level.OK),
            ["under_limit", "lifted"],
        ),
        (CreditState(Level.WARN), Level.OK, Action.SUSPEND, CreditState(Level.OK), ["cleared"]),
        (
            CreditState(Level.OVER, True),
            Level.OVER,
            Action.SUSPEND,
            CreditState(Level.OVER, True),
            [],
        ),
        # The operator switched the action back to alert: the suspension is lifted.
        (
            CreditState(Level.OVER, True),
            Level.OVER,
            Action.ALERT,
            CreditState(Level.OVER),
            ["lifted"],
        ),
        # Over, alert only, then the action became suspend: suspended without a level move.
        (
            CreditState(Level.OVER),
            Level.OVER,
            Action.SUSPEND,
            CreditState(Level.OVER, True),
            ["suspended"],
        ),
        # An assessment after a payment that leaves it over keeps the suspension ...
        (CreditState(Level.OVER, True), Level.OVER, None, CreditState(Level.OVER, True), []),
        # ... and never suspends anew.
        (CreditState(Level.WARN), Level.OVER, None, CreditState(Level.OVER), ["over_limit"]),
    ],
)
def test_the_move_table(
    before: CreditState, level: Level, action: Action | None, after: CreditState, events: list[str]
) -> None:
    moved = step(before, level, action)
    assert moved.state == after
    assert [e.value for e in moved.events] == events


@given(
    st.sampled_from(list(Level)),
    st.booleans(),
    st.sampled_from(list(Level)),
    st.sampled_from([*Action, None]),
)
def test_a_suspension_holds_exactly_while_over_and_an_event_marks_each_change(
    level: Level, suspended: bool, found: Level, action: Action | None
) -> None:
    """Suspended only when over; every level move has its event and every change of the
    suspension its own; no move, no event."""
    before = CreditState(level, suspended and level == Level.OVER)
    moved = step(before, found, action)
    assert not moved.state.suspended or found == Level.OVER
    if action is not None:
        assert moved.state.suspended == (found == Level.OVER and action == Action.SUSPEND)
    assert (LEVEL_MOVES.get((level, found)) in moved.events) == (level != found)
    changed = moved.state.suspended != before.suspended
    assert changed == bool({CreditEvent.SUSPENDED, CreditEvent.LIFTED} & set(moved.events))
    assert bool(moved.events) == (moved.state != before)


# ---- estimates ----------------------------------------------------------------------------


def running(**overrides: Any) -> dict[str, Any]:
    """A Session in progress: 8 kWh under TARIFF-AC so far."""
    period = factories.charging_period(0, 8, dimensions=[{"type": "ENERGY", "volume": 8}])
    return factories.session(kwh=8, charging_periods=[period], **overrides)


def test_a_session_in_progress_is_priced_live_under_its_tariff() -> None:
    """8 kWh at 0.25 EUR/kWh excl. VAT: 2.00 EUR, by TARIFF-AC."""
    found = estimate(running(), [factories.tariff("TARIFF-AC")], "Europe/Amsterdam")
    assert found == Estimate("NL*CPA*SESS1", "EUR", D("2.00"), "tariff TARIFF-AC")
    assert found.priced


def test_of_several_candidate_tariffs_the_dearest_estimate_counts() -> None:
    """The connector lists two tariffs (which applies depends on the driver's contract): the
    credit limit guards against underestimating, so the dearer one counts."""
    session = factories.session(kwh=8)  # no periods: priced on its kwh
    cheap = factories.tariff("CHEAP")
    dear = factories.tariff("DEAR", elements=[{"price_components": [
        {"type": "ENERGY", "price": 0.5, "step_size": 1}]}])  # fmt: skip
    found = estimate(session, [cheap, dear], "Europe/Amsterdam")
    assert (found.amount, found.by) == (D("4.00"), "tariff DEAR")


@pytest.mark.parametrize(
    ("tariffs", "zone", "total_cost", "amount", "by", "note"),
    [
        ([], "UTC", {"excl_vat": 3.1, "incl_vat": 3.75}, "3.1", "total_cost", "no tariff known"),
        ([], "UTC", None, "0", "nothing", "no tariff known"),
        ([factories.tariff("TARIFF-AC")], None, None, "0", "nothing", "its Location"),
        # Its periods name TARIFF-AC: another tariff cannot price them.
        ([factories.tariff("OTHER")], "UTC", None, "0", "nothing", "tariff OTHER:"),
        ([factories.tariff("TARIFF-AC")], "Mars/Base", None, "0", "nothing", "Mars/Base"),
    ],
)
def test_what_cannot_be_priced_counts_as_its_total_cost_or_nothing_and_says_why(
    tariffs: list[dict[str, Any]],
    zone: str | None,
    total_cost: dict[str, Any] | None,
    amount: str,
    by: str,
    note: str,
) -> None:
    session = running(**({"total_cost": total_cost} if total_cost else {}))
    found = estimate(session, tariffs, zone)
    assert (found.amount, found.by, found.priced) == (D(amount), by, False)
    assert note in found.note


def test_exposure_counts_the_limit_currency_only_and_shows_the_others() -> None:
    """Owed 9.20 EUR (with a disputed part, summed by storage) and a session of 2.00 EUR
    against 10 EUR: 11.20, over; 5 USD owed is shown, not counted."""
    sessions = [
        Estimate("NL*CPA*S1", "EUR", D("2.00"), "tariff T"),
        Estimate("US*CPX*S2", "USD", D("1.50"), "total_cost"),
    ]
    owed = {"EUR": D("9.20"), "USD": D("5")}
    eur, usd = exposures(EMSP, Limit(D("10"), "EUR"), owed, sessions, WARN)
    assert (eur.currency, eur.exposure, eur.ratio, eur.level, eur.counted) == (
        "EUR", D("11.20"), D("1.12"), Level.OVER, True,
    )  # fmt: skip
    assert (usd.currency, usd.exposure, usd.ratio, usd.level, usd.counted) == (
        "USD", D("6.50"), None, None, False,
    )  # fmt: skip


def test_the_limit_currency_is_shown_even_when_nothing_is_exposed_in_it() -> None:
    [only] = exposures(EMSP, Limit(D("100"), "GBP"), {}, [], WARN)
    assert (only.currency, only.exposure, only.level) == ("GBP", D(0), Level.OK)


# ---- settings -----------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["0.8", "1", "0.05", " 0.9 "])
def test_a_warning_fraction_above_zero_up_to_one_is_taken(text: str) -> None:
    assert parse_warn(text) == D(text.strip())


@pytest.mark.parametrize("text", ["0", "1.01", "-0.5", "80%", "", "NaN", "Infinity"])
def test_a_warning_fraction_outside_0_to_1_is_refused_by_name(text: str) -> None:
    with pytest.raises(BadCreditSetting, match="OCPI_HUB_CREDIT_WARN"):
        parse_warn(text)


def test_the_action_is_alert_or_suspend() -> None:
    assert parse_action(" Suspend ") == Action.SUSPEND
    assert parse_action("alert") == Action.ALERT
    with pytest.raises(BadCreditSetting, match="OCPI_HUB_CREDIT_ACTION"):
        parse_action("block")
