"""The pricing engine's rules one by one: each TariffRestriction (mod_tariffs), FLAT, step_size
(mod_cdrs "step_size"), min/max price, VAT, rounding, and each choice the README lists where the
spec is silent. The official examples are in test_pricing_examples.py."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from ocpi_hub.core.modules.tariffs import Tariff
from ocpi_hub.core.pricing import (
    Cost,
    PricedDimension,
    PricingError,
    price_cdr,
    price_session,
)
from tests.core.pricing_builders import (
    Number,
    cdr,
    element,
    energy,
    flat,
    parking,
    period,
    session,
    tariff,
    time,
)

UTC = "UTC"
# A price that names its element: the cost of 1 kWh says which element priced it.
CHEAP, DEAR, FALLBACK = Decimal("0.10"), Decimal("1.00"), Decimal("0.50")


def one_kwh_at(start: str, t: Tariff, zone: str = UTC, minutes: int = 1, **dims: Any) -> Cost:
    """1 kWh charged in one period of `minutes` from `start`."""
    end = _later(start, minutes)
    return price_cdr(t, cdr(start, end, period(start, ENERGY=1, **dims)), zone)


def _later(start: str, minutes: int) -> str:
    from datetime import datetime, timedelta

    moment = datetime.strptime(start, "%Y-%m-%d %H:%M") + timedelta(minutes=minutes)
    return moment.strftime("%Y-%m-%d %H:%M")


def excl(cost: Cost) -> Decimal:
    return cost.total.excl_vat


def restricted(**restrictions: Any) -> Tariff:
    """DEAR per kWh where `restrictions` hold, FALLBACK otherwise."""
    return tariff(element(energy(DEAR), **restrictions), element(energy(FALLBACK)))


# --- start_time / end_time -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("clock", "applies"),
    [("07:59", False), ("08:00", True), ("17:59", True), ("18:00", False)],
)
def test_time_window_start_inclusive_end_exclusive(clock: str, applies: bool) -> None:
    """start_time 08:00 is "valid from" (inclusive), end_time 18:00 "valid until" (exclusive)."""
    cost = one_kwh_at(f"2024-03-04 {clock}", restricted(start_time="08:00", end_time="18:00"))
    assert excl(cost) == (DEAR if applies else FALLBACK)


@pytest.mark.parametrize(
    ("clock", "applies"),
    [("21:59", False), ("22:00", True), ("23:30", True), ("02:00", True), ("06:00", False)],
)
def test_time_window_across_midnight(clock: str, applies: bool) -> None:
    """end_time before start_time wraps to the next day: 22:00-06:00."""
    cost = one_kwh_at(f"2024-03-04 {clock}", restricted(start_time="22:00", end_time="06:00"))
    assert excl(cost) == (DEAR if applies else FALLBACK)


def test_end_time_midnight_is_the_end_of_the_day() -> None:
    """end_time 00:00 stops at the end of the day: 20:00-00:00 holds at 23:59, not at 00:01."""
    t = restricted(start_time="20:00", end_time="00:00")
    assert excl(one_kwh_at("2024-03-04 23:58", t)) == DEAR
    assert excl(one_kwh_at("2024-03-05 00:01", t)) == FALLBACK


def test_only_a_start_time_or_only_an_end_time() -> None:
    """A window open at one end: from 18:00 to the end of the day, from midnight to 08:00."""
    assert excl(one_kwh_at("2024-03-04 19:00", restricted(start_time="18:00"))) == DEAR
    assert excl(one_kwh_at("2024-03-04 17:00", restricted(start_time="18:00"))) == FALLBACK
    assert excl(one_kwh_at("2024-03-04 07:00", restricted(end_time="08:00"))) == DEAR
    assert excl(one_kwh_at("2024-03-04 09:00", restricted(end_time="08:00"))) == FALLBACK


def test_a_window_open_at_one_end_changes_at_midnight_inside_a_period() -> None:
    """From 18:00 (no end) holds until the day ends: 2 kWh over 23:30-00:30 are half DEAR, half
    FALLBACK; until 08:00 (no start) holds from midnight: the other way round."""
    c = cdr("2024-03-04 23:30", "2024-03-05 00:30", period("2024-03-04 23:30", ENERGY=2))
    evening = price_cdr(restricted(start_time="18:00"), c, UTC)
    morning = price_cdr(restricted(end_time="08:00"), c, UTC)
    assert [(x.element, x.volume) for x in evening.lines] == [(0, 1), (1, 1)]
    assert [(x.element, x.volume) for x in morning.lines] == [(1, 1), (0, 1)]


def test_start_time_equal_to_end_time_is_the_whole_day() -> None:
    """Choice: 09:00-09:00 is read as the whole day (not as an empty window)."""
    t = restricted(start_time="09:00", end_time="09:00")
    assert [excl(one_kwh_at(f"2024-03-04 {c}", t)) for c in ("08:59", "09:00", "23:00")] == [
        DEAR
    ] * 3


def test_a_period_across_a_boundary_is_priced_in_parts() -> None:
    """A period 07:30-08:30 with 2 kWh under an 08:00 boundary: its energy is taken as spread
    evenly, 1 kWh before (FALLBACK) and 1 kWh after (DEAR); one line per element."""
    t = restricted(start_time="08:00", end_time="18:00")
    c = cdr("2024-03-04 07:30", "2024-03-04 08:30", period("2024-03-04 07:30", ENERGY=2))
    cost = price_cdr(t, c, UTC)
    assert excl(cost) == FALLBACK + DEAR
    assert [(x.period, x.element, x.volume) for x in cost.lines] == [(0, 1, 1), (0, 0, 1)]


def test_times_are_the_locations_local_time() -> None:
    """The same UTC instant is 07:30 in London and 08:30 in Amsterdam (winter)."""
    t = restricted(start_time="08:00", end_time="18:00")
    assert excl(one_kwh_at("2024-03-04 07:30", t, "Europe/London")) == FALLBACK
    assert excl(one_kwh_at("2024-03-04 07:30", t, "Europe/Amsterdam")) == DEAR


def test_a_window_opening_in_the_hour_a_dst_change_skips() -> None:
    """Amsterdam, 2024-03-31: at 01:00Z the wall clock jumps from 02:00 to 03:00, so a window
    opening at 02:30 opens then. 2 kWh from 00:30Z to 01:30Z (01:30 CET to 03:30 CEST): the
    first half before the jump (FALLBACK), the second after (DEAR)."""
    t = restricted(start_time="02:30")
    c = cdr("2024-03-31 00:30", "2024-03-31 01:30", period("2024-03-31 00:30", ENERGY=2))
    cost = price_cdr(t, c, "Europe/Amsterdam")
    assert [(x.element, x.volume) for x in cost.lines] == [(1, 1), (0, 1)]


def test_a_window_in_the_hour_a_dst_change_repeats() -> None:
    """Amsterdam, 2024-10-27: the wall clock runs 02:00-03:00 twice (00:00Z-01:00Z in CEST,
    01:00Z-02:00Z in CET). A window 02:30-03:00 holds both times: 4 kWh over 00:00Z-02:00Z are
    DEAR for 00:30Z-01:00Z and 01:30Z-02:00Z (2 kWh), FALLBACK for the rest (2 kWh)."""
    t = restricted(start_time="02:30", end_time="03:00")
    c = cdr("2024-10-27 00:00", "2024-10-27 02:00", period("2024-10-27 00:00", ENERGY=4))
    cost = price_cdr(t, c, "Europe/Amsterdam")
    assert [(x.element, x.volume) for x in cost.lines] == [(1, 2), (0, 2)]


# --- dates and days ----------------------------------------------------------------------------


def test_start_date_inclusive_end_date_exclusive_in_local_time() -> None:
    """start_date 2024-03-05 holds from local midnight: 23:30Z on the 4th is the 5th in
    Amsterdam; end_date 2024-03-06 no longer holds on the 6th."""
    t = restricted(start_date="2024-03-05", end_date="2024-03-06")
    assert excl(one_kwh_at("2024-03-04 23:30", t, "Europe/Amsterdam")) == DEAR
    assert excl(one_kwh_at("2024-03-04 23:30", t, UTC)) == FALLBACK
    assert excl(one_kwh_at("2024-03-05 22:59", t, UTC)) == DEAR
    assert excl(one_kwh_at("2024-03-06 00:00", t, UTC)) == FALLBACK


def test_day_of_week_is_the_local_day() -> None:
    """Monday 2024-03-04 23:30Z is Tuesday in Amsterdam; an empty list restricts nothing."""
    t = restricted(day_of_week=["TUESDAY"])
    assert excl(one_kwh_at("2024-03-04 23:30", t, "Europe/Amsterdam")) == DEAR
    assert excl(one_kwh_at("2024-03-04 23:30", t, UTC)) == FALLBACK
    assert excl(one_kwh_at("2024-03-04 12:00", restricted(day_of_week=[]))) == DEAR


def test_a_window_across_midnight_with_a_day_is_tested_restriction_by_restriction() -> None:
    """Choice: FRIDAY with 22:00-06:00 holds Friday 22:00-24:00 and Friday 00:00-06:00, not the
    Saturday morning after (each restriction holds on its own: AND)."""
    t = restricted(start_time="22:00", end_time="06:00", day_of_week=["FRIDAY"])
    assert excl(one_kwh_at("2024-03-08 23:00", t)) == DEAR
    assert excl(one_kwh_at("2024-03-08 03:00", t)) == DEAR
    assert excl(one_kwh_at("2024-03-09 03:00", t)) == FALLBACK


# --- energy, duration, power, current ----------------------------------------------------------


def test_min_kwh_inclusive_max_kwh_exclusive_within_a_period() -> None:
    """The first 10 kWh DEAR (max_kwh 10, exclusive), from the 10th kWh on CHEAP (min_kwh 10,
    inclusive): one period of 15 kWh is cut at 10 kWh."""
    t = tariff(element(energy(DEAR), max_kwh=10), element(energy(CHEAP), min_kwh=10))
    c = cdr("2024-03-04 10:00", "2024-03-04 11:30", period("2024-03-04 10:00", ENERGY=15))
    cost = price_cdr(t, c, UTC)
    assert [(x.element, x.volume) for x in cost.lines] == [(0, 10), (1, 5)]
    assert excl(cost) == 10 * DEAR + 5 * CHEAP


def test_kwh_counts_the_energy_of_earlier_periods() -> None:
    """A period that starts after 10 kWh were consumed is past max_kwh 10 at once."""
    t = tariff(element(energy(DEAR), max_kwh=10), element(energy(CHEAP)))
    c = cdr(
        "2024-03-04 10:00",
        "2024-03-04 12:00",
        period("2024-03-04 10:00", ENERGY=10),
        period("2024-03-04 11:00", ENERGY=4),
    )
    assert excl(price_cdr(t, c, UTC)) == 10 * DEAR + 4 * CHEAP


def test_min_duration_inclusive_max_duration_exclusive() -> None:
    """Durations count from the session's start: DEAR before 30 min (max_duration 1800), CHEAP
    from 30 min (min_duration 1800). 3 kWh over 10:15-10:45 in a session that began at 10:00:
    half before the 30th minute, half after."""
    t = tariff(element(energy(DEAR), max_duration=1800), element(energy(CHEAP), min_duration=1800))
    c = cdr(
        "2024-03-04 10:00",
        "2024-03-04 10:45",
        period("2024-03-04 10:00", TIME=0.25),
        period("2024-03-04 10:15", ENERGY=3),
    )
    cost = price_cdr(t, c, UTC)
    assert [(x.element, x.volume) for x in cost.lines if x.dimension == PricedDimension.ENERGY] == [
        (0, Decimal("1.5")),
        (1, Decimal("1.5")),
    ]


@pytest.mark.parametrize(
    ("dims", "expected"),
    [
        ({"MAX_POWER": 15.9}, DEAR),  # below max_power 16
        ({"MAX_POWER": 16}, FALLBACK),  # "less than": 16 is not below 16
        ({"MIN_POWER": 5, "MAX_POWER": 20}, FALLBACK),  # its highest figure is what counts
        ({}, DEAR),  # no figures: 1 kWh in 6 min is 10 kW on average
    ],
)
def test_max_power_is_met_by_the_periods_highest_power(
    dims: dict[str, Any], expected: Decimal
) -> None:
    """max_power: "charging with less than the defined power"; without power dimensions, the
    period's average power (ENERGY over its length) is used (choice)."""
    assert (
        excl(one_kwh_at("2024-03-04 10:00", restricted(max_power=16), minutes=6, **dims))
        == expected
    )


@pytest.mark.parametrize(
    ("dims", "expected"),
    [
        ({"MIN_POWER": 16}, DEAR),  # "more than, or equal to"
        ({"MIN_POWER": 15, "MAX_POWER": 40}, FALLBACK),  # its lowest figure is what counts
        ({"MAX_POWER": 22}, DEAR),  # the only figure: lowest and highest alike
        ({}, FALLBACK),  # 1 kWh in 6 min: 10 kW on average
    ],
)
def test_min_power_is_met_by_the_periods_lowest_power(
    dims: dict[str, Any], expected: Decimal
) -> None:
    """min_power: "charging with more than, or equal to, the defined power"."""
    assert (
        excl(one_kwh_at("2024-03-04 10:00", restricted(min_power=16), minutes=6, **dims))
        == expected
    )


def test_current_restrictions_need_current_figures() -> None:
    """min/max_current read MIN_CURRENT/MAX_CURRENT (a Session's CURRENT for both); a period
    without current figures meets no current restriction (choice: nothing to derive it from)."""
    t = tariff(
        element(energy(DEAR), max_current=32),
        element(energy(CHEAP), min_current=32),
        element(energy(FALLBACK)),
    )
    assert excl(one_kwh_at("2024-03-04 10:00", t, MAX_CURRENT=16)) == DEAR
    assert excl(one_kwh_at("2024-03-04 10:00", t, MIN_CURRENT=32)) == CHEAP
    assert excl(one_kwh_at("2024-03-04 10:00", t)) == FALLBACK
    live = session(
        "2024-03-04 10:00",
        period("2024-03-04 10:00", ENERGY=1, CURRENT=40),
        last_updated="2024-03-04T10:01:00Z",
    )
    assert price_session(t, live, UTC).total.excl_vat == CHEAP


def test_no_element_applies_the_volume_is_free() -> None:
    """No element with matching restrictions and no fallback: no cost for that dimension
    ("Tariff object"), the volume shown on a line without element."""
    cost = one_kwh_at("2024-03-04 07:00", tariff(element(energy(DEAR), start_time="08:00")))
    assert excl(cost) == 0
    assert [(x.dimension, x.element, x.volume) for x in cost.lines] == [
        (PricedDimension.ENERGY, None, 1)
    ]


def test_dimensions_may_come_from_different_elements() -> None:
    """Per dimension the first element with a component for it: TIME from the first element,
    ENERGY from the second (the first has none)."""
    t = tariff(element(time(2.00)), element(energy(0.30), time(9.00)))
    c = cdr("2024-03-04 10:00", "2024-03-04 11:00", period("2024-03-04 10:00", ENERGY=10, TIME=1))
    assert excl(price_cdr(t, c, UTC)) == Decimal("5.00")


# --- reservation -------------------------------------------------------------------------------


def test_reservation_elements_price_reservations_only() -> None:
    """A reservation element's TIME prices RESERVATION_TIME, never charging TIME; a charging
    element's TIME never prices RESERVATION_TIME."""
    t = tariff(element(time(5.00), reservation="RESERVATION"), element(time(1.00)))
    c = cdr(
        "2024-03-04 10:00",
        "2024-03-04 12:00",
        period("2024-03-04 10:00", RESERVATION_TIME=1),
        period("2024-03-04 11:00", ENERGY=10, TIME=1),
    )
    cost = price_cdr(t, c, UTC)
    assert [(x.dimension, x.element, x.reservation) for x in cost.lines] == [
        (PricedDimension.RESERVATION_TIME, 0, True),
        (PricedDimension.ENERGY, None, False),
        (PricedDimension.TIME, 1, False),
    ]
    assert excl(cost) == Decimal("6.00")


# --- FLAT --------------------------------------------------------------------------------------


def test_flat_is_counted_once_from_the_first_moment_it_applies() -> None:
    """A FLAT that applies only from the first hour (min_duration 3600) is charged once, in the
    period where the session passes the hour; a start fee is not charged again per period."""
    t = tariff(element(flat(1.00), min_duration=3600), element(flat(0.30), energy(0.25)))
    c = cdr(
        "2024-03-04 10:00",
        "2024-03-04 12:00",
        period("2024-03-04 10:00", ENERGY=4),
        period("2024-03-04 10:30", ENERGY=4),
        period("2024-03-04 11:30", ENERGY=4),
    )
    flats = [(x.period, x.element) for x in price_cdr(t, c, UTC).lines if x.dimension == "FLAT"]
    assert flats == [(0, 1)]
    late_only = tariff(element(flat(1.00), min_duration=3600), element(energy(0.25)))
    lines = price_cdr(late_only, c, UTC).lines
    assert [(x.period, x.element) for x in lines if x.dimension == "FLAT"] == [(1, 0)]


# --- step_size ---------------------------------------------------------------------------------


def test_energy_step_size_rounds_the_session_total_with_the_last_step() -> None:
    """mod_cdrs "step_size": 0.20/kWh before 17:00 and 0.27 after, both step 500 Wh; 4.3 kWh
    before and 1.1 after: 5.4 kWh rounded to 5.5 in all, the 0.1 added after 17:00 (not 1.1 to
    1.5): 4.3 x 0.20 + 1.2 x 0.27 = 0.86 + 0.324 = 1.184."""
    t = tariff(
        element(energy(0.20, step=500), end_time="17:00"),
        element(energy(0.27, step=500), start_time="17:00"),
    )
    c = cdr(
        "2024-03-04 16:00",
        "2024-03-04 18:00",
        period("2024-03-04 16:00", ENERGY=4.3),
        period("2024-03-04 17:00", ENERGY=1.1),
    )
    cost = price_cdr(t, c, UTC)
    assert excl(cost) == Decimal("1.1840")
    assert [x.billed_volume for x in cost.lines] == [Decimal("4.3"), Decimal("1.2")]


def test_time_step_size_rounds_the_session_total_with_the_last_step() -> None:
    """mod_cdrs "step_size": 5.00/h before 17:00, 7.00/h after, both step 10 min; 6 min before
    and 22 after: 28 min rounded to 30, so 24 min billed after 17:00: 0.50 + 2.80 = 3.30."""
    t = tariff(
        element(time(5.00, step=600), end_time="17:00"),
        element(time(7.00, step=600), start_time="17:00"),
    )
    c = cdr(
        "2024-03-04 16:54",
        "2024-03-04 17:22",
        period("2024-03-04 16:54", TIME=0.1),
        period("2024-03-04 17:00", TIME=Decimal(22) / 60),
    )
    assert excl(price_cdr(t, c, UTC)) == Decimal("3.3000")


def test_charging_then_parking_rounds_only_the_parking() -> None:
    """mod_cdrs "step_size": charging and parking both step 5 min; 21 min charging then 7
    parked: charging billed 21 min (not 25), parking 10 min."""
    t = tariff(element(time(6.00, step=300), parking(6.00, step=300)))
    c = cdr(
        "2024-03-04 10:00",
        "2024-03-04 10:28",
        period("2024-03-04 10:00", TIME=0.35),
        period("2024-03-04 10:21", PARKING_TIME=Decimal(7) / 60),
    )
    cost = price_cdr(t, c, UTC)
    assert [x.billed_volume * 60 for x in cost.lines] == [Decimal(21), Decimal(10)]


def test_parking_then_charging_again_rounds_the_charging() -> None:
    """Choice, from "the step of the last relevant component": the dimension consumed last is
    the one rounded. Charging 7 min, parked 7, charging 7 more (step 5 min): charging 14 min
    billed as 15, parking 7 min as it is."""
    t = tariff(element(time(6.00, step=300), parking(6.00, step=300)))
    seven = Decimal(7) / 60
    c = cdr(
        "2024-03-04 10:00",
        "2024-03-04 10:21",
        period("2024-03-04 10:00", TIME=seven),
        period("2024-03-04 10:07", PARKING_TIME=seven),
        period("2024-03-04 10:14", TIME=seven),
    )
    lines = price_cdr(t, c, UTC).lines
    billed = [(x.dimension, (x.billed_volume * 60).quantize(Decimal("1e-9"))) for x in lines]
    assert billed == [
        (PricedDimension.TIME, Decimal(7)),
        (PricedDimension.PARKING_TIME, Decimal(7)),
        (PricedDimension.TIME, Decimal(8)),
    ]


def test_steps_never_move_a_restriction() -> None:
    """Restrictions are read on what was consumed, the step only after: 9.9 kWh with step 1000
    Wh stays under max_kwh 10 (all DEAR), billed as 10 kWh."""
    t = tariff(element(energy(DEAR, step=1000), max_kwh=10), element(energy(CHEAP, step=1000)))
    c = cdr("2024-03-04 10:00", "2024-03-04 11:00", period("2024-03-04 10:00", ENERGY=9.9))
    cost = price_cdr(t, c, UTC)
    assert [(x.element, x.billed_volume) for x in cost.lines] == [(0, Decimal(10))]


def test_reservation_time_is_rounded_on_its_own() -> None:
    """Choice: reservation time (step 10 min) and charging time (step 15 min) are rounded
    apart: 7 min reserved billed 10, then 20 min charging billed 30."""
    t = tariff(
        element(time(6.00, step=600), reservation="RESERVATION"), element(time(6.00, step=900))
    )
    c = cdr(
        "2024-03-04 10:00",
        "2024-03-04 10:27",
        period("2024-03-04 10:00", RESERVATION_TIME=Decimal(7) / 60),
        period("2024-03-04 10:07", TIME=Decimal(20) / 60),
    )
    assert [x.billed_volume * 60 for x in price_cdr(t, c, UTC).lines] == [Decimal(10), Decimal(30)]


# --- min/max price, VAT, rounding --------------------------------------------------------------


def test_min_price_without_incl_vat_bounds_the_excl_total_only() -> None:
    """min_price {excl_vat: 2}: 1 kWh at 0.25 + 10 % is raised to 2.00 excl.; incl. stays."""
    t = tariff(element(energy(0.25, vat=10)), min_price={"excl_vat": 2})
    cost = one_kwh_at("2024-03-04 10:00", t)
    assert (str(cost.total.excl_vat), str(cost.total.incl_vat)) == ("2.0000", "0.2750")
    assert cost.limits == ("min_price.excl_vat",)


def test_max_price_bounds_each_total_where_it_is_reached() -> None:
    """max_price {excl 10, incl 11.50}: 45 kWh at 0.25 + 10 % is 11.25 / 12.375: both capped;
    41 kWh (10.25 / 11.275): only the excl. total."""
    t = tariff(element(energy(0.25, vat=10)), max_price={"excl_vat": 10, "incl_vat": 11.5})

    def charged(kwh: int) -> Cost:
        c = cdr("2024-03-04 10:00", "2024-03-04 12:00", period("2024-03-04 10:00", ENERGY=kwh))
        return price_cdr(t, c, UTC)

    assert (charged(45).total.excl_vat, charged(45).total.incl_vat) == (10, Decimal("11.5"))
    assert charged(41).limits == ("max_price.excl_vat",)
    assert charged(41).total.incl_vat == Decimal("11.2750")


def test_vat_absent_means_none_and_zero_is_zero() -> None:
    """No `vat`: no VAT applies (incl. = excl.); `vat: 0` is 0 % (PriceComponent.vat)."""
    for vat in (None, 0):
        cost = one_kwh_at("2024-03-04 10:00", tariff(element(energy(0.25, vat=vat))))
        assert cost.total.incl_vat == cost.total.excl_vat == Decimal("0.25")
        assert cost.lines[0].vat == (None if vat is None else 0)


def test_totals_are_rounded_once_half_up_to_four_decimals() -> None:
    """Lines stay exact, the total is rounded once: 1 Wh at 0.05/kWh costs 0.00005, the line
    keeps it, the total is 0.0001 (half up)."""
    t = tariff(element(energy(0.05, step=1)))
    c = cdr("2024-03-04 10:00", "2024-03-04 10:01", period("2024-03-04 10:00", ENERGY=0.001))
    cost = price_cdr(t, c, UTC)
    assert cost.lines[0].cost.excl_vat == Decimal("0.00005")
    assert cost.total.excl_vat == Decimal("0.0001")


def test_cdr_totals_name_the_cdr_fields() -> None:
    """cdr_totals: FLAT, ENERGY, TIME, PARKING_TIME and reservation costs as the CDR names them."""
    t = tariff(element(flat(1), energy(0.25), time(2), parking(4)))
    c = cdr(
        "2024-03-04 10:00",
        "2024-03-04 11:30",
        period("2024-03-04 10:00", ENERGY=10, TIME=1),
        period("2024-03-04 11:00", PARKING_TIME=0.5),
    )
    totals = {k: v.excl_vat for k, v in price_cdr(t, c, UTC).cdr_totals().items()}
    assert totals == {
        "total_fixed_cost": 1,
        "total_energy_cost": Decimal("2.5"),
        "total_time_cost": 2,
        "total_parking_cost": 2,
        "total_reservation_cost": 0,
    }


# --- what is priced, and what is refused -------------------------------------------------------


def test_a_period_naming_another_tariff_is_refused() -> None:
    """Choice: periods are the given tariff's when they name none or its id (CiString: any
    case); one naming another tariff cannot be priced with it."""
    t = tariff(element(energy(0.25)))
    ok = cdr(
        "2024-03-04 10:00",
        "2024-03-04 11:00",
        {**period("2024-03-04 10:00", ENERGY=1), "tariff_id": "t1"},
    )
    assert excl(price_cdr(t, ok, UTC)) == Decimal("0.25")
    other = cdr(
        "2024-03-04 10:00",
        "2024-03-04 11:00",
        {**period("2024-03-04 10:00", ENERGY=1), "tariff_id": "T2"},
    )
    with pytest.raises(PricingError, match="charging period 0 is priced by tariff 'T2', not 'T1'"):
        price_cdr(t, other, UTC)


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "../etc/passwd"])
def test_an_unknown_time_zone_is_refused(zone: str) -> None:
    """The Location's time_zone must be an IANA name."""
    with pytest.raises(PricingError, match="unknown time zone"):
        one_kwh_at("2024-03-04 10:00", tariff(element(energy(0.25))), zone)


def test_a_running_session_is_priced_up_to_its_last_update() -> None:
    """A Session without end: its last period ends at last_updated, which places it in time."""
    t = restricted(start_time="10:30")
    live = session(
        "2024-03-04 10:00",
        period("2024-03-04 10:00", ENERGY=2),
        last_updated="2024-03-04T11:00:00Z",
    )
    assert price_session(t, live, UTC).total.excl_vat == FALLBACK + DEAR


def test_a_session_without_periods_is_priced_on_its_kwh() -> None:
    """Choice: a Session that reports no periods is priced as one period with its kwh, with a
    warning; a FLAT applies as for any session."""
    t = tariff(element(flat(1.00), energy(0.25)))
    bare = session("2024-03-04 10:00", kwh=8, last_updated="2024-03-04T11:00:00Z")
    cost = price_session(t, bare, UTC)
    assert cost.total.excl_vat == Decimal("3.00")
    assert cost.warnings == ("the Session has no charging periods: priced on its kwh alone",)


def test_periods_out_of_order_are_read_at_their_start() -> None:
    """Choice: a period that does not end after it starts (the next one starts earlier) has no
    length: its restrictions are read at its start."""
    t = restricted(start_time="11:00")
    c = cdr(
        "2024-03-04 10:00",
        "2024-03-04 10:30",
        period("2024-03-04 11:30", ENERGY=1),
        period("2024-03-04 10:00", ENERGY=1),
    )
    assert [x.element for x in price_cdr(t, c, UTC).lines] == [0, 1]


def test_a_repeated_dimension_is_summed() -> None:
    """Two ENERGY dimensions in one period are both consumed."""
    t = tariff(element(energy(1)))
    p = period("2024-03-04 10:00", ENERGY=1)
    p["dimensions"].append({"type": "ENERGY", "volume": Decimal(2)})
    assert excl(price_cdr(t, cdr("2024-03-04 10:00", "2024-03-04 11:00", p), UTC)) == 3


def test_a_session_before_the_tariff_starts_is_priced_with_a_warning() -> None:
    """The tariff's start_date_time after the session's start: priced all the same, a warning."""
    t = tariff(element(energy(0.25)), start_date_time="2024-04-01T00:00:00Z")
    cost = one_kwh_at("2024-03-04 10:00", t)
    assert excl(cost) == Decimal("0.25")
    assert cost.warnings == (
        "the tariff is valid from 2024-04-01T00:00:00Z, after the session started",
    )


def test_a_figure_too_large_to_price_exactly_is_refused() -> None:
    """Amounts are exact to 40 digits; a volume of 1e300 kWh cannot be, and is refused by name
    (PricingError) rather than priced approximately."""
    c = cdr("2024-03-04 10:00", "2024-03-04 11:00", period("2024-03-04 10:00", ENERGY="1e300"))
    with pytest.raises(PricingError, match="too large to be priced exactly"):
        price_cdr(tariff(element(energy(0.25))), c, UTC)


def test_charging_then_free_parking_rounds_no_time() -> None:
    """step_size rounds whichever of TIME and PARKING_TIME came last, priced or not: parking no
    element prices (below min_kwh here) leaves the charging TIME unrounded, as priced parking
    would; else more energy, pricing the parking at 0, made the session cheaper (hypothesis)."""
    t = tariff(element(parking(0, step=0), min_kwh=1), element(time(0.01, step=300)))

    def charged(kwh: Number) -> Cost:
        start, parked, end = "2024-03-04 06:00", "2024-03-04 06:01", "2024-03-04 06:02"
        minute = Decimal(1) / 60
        periods = period(start, ENERGY=kwh, TIME=minute), period(parked, PARKING_TIME=minute)
        return price_cdr(t, cdr(start, end, *periods), UTC)

    assert charged(Decimal("0.008")).total.excl_vat == Decimal("0.0002")  # 60 s x 0.01/h
    assert charged(1).total.excl_vat == Decimal("0.0002")
