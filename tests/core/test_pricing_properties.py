"""Properties of the pricing engine over generated tariffs and sessions (hypothesis):

- splitting a charging period at any instant (its volumes shared in proportion, its power and
  current figures kept) does not change the cost, for any tariff: pricing reads restrictions
  where they change, not where the CPO happened to start a period;
- FLAT is counted once (and a reservation's FLAT, its fee, once more);
- consuming more never costs less, for tariffs where the spec's own rules cannot make it cost
  less: one price per dimension, no max_kwh and no power restriction (the two
  `test_spec_rules_can_make_more_cost_less_*` tests show why those are left out);
- the total lies between min_price and max_price.

Generated volumes follow the timeline: a charging period of D seconds reports TIME D/3600 h and
ENERGY r x D kWh for a rate r with a terminating decimal inverse, so that shares of a period are
exact where the tariff reads power thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal, localcontext
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ocpi_hub.core.modules.tariffs import Tariff
from ocpi_hub.core.pricing import Cost, PricedDimension, price_cdr
from tests.core.pricing_builders import (
    cdr,
    component,
    element,
    energy,
    period,
    tariff,
    time,
)

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ZONES = ["UTC", "Europe/Amsterdam", "America/New_York", "Asia/Kolkata"]
DAYS = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]
RATES = [Decimal(r) for r in ("0", "0.0005", "0.001", "0.002", "0.0025", "0.004", "0.005", "0.008")]
PRICES = st.decimals(min_value=0, max_value=5, places=2)
VATS = st.sampled_from([None, Decimal(0), Decimal(10), Decimal("20.5")])
STEPS = {
    "FLAT": [1],
    "ENERGY": [0, 1, 100, 500, 1000],
    "TIME": [0, 1, 60, 300, 900],
    "PARKING_TIME": [0, 1, 60, 300, 900],
}
START = datetime(2024, 3, 4)


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


@st.composite
def restrictions(draw: st.DrawFn, *, monotone: bool = False) -> dict[str, Any]:
    """Any TariffRestrictions; `monotone`: none that lets more energy cost less (max_kwh,
    min/max_power) and no reservation."""
    # Few times, within the hours sessions are generated in: so that restrictions change inside
    # sessions often (the split property is about those).
    hhmm = st.sampled_from(["00:00", "07:30", "09:00", "12:00", "17:00", "18:30", "22:00"])
    found = {
        "start_time": draw(maybe(hhmm)),
        "end_time": draw(maybe(hhmm)),
        "start_date": draw(maybe(st.sampled_from(["2024-03-04", "2024-03-05"]))),
        "end_date": draw(maybe(st.sampled_from(["2024-03-05", "2024-03-07"]))),
        "day_of_week": draw(maybe(st.lists(st.sampled_from(DAYS), unique=True, max_size=3))),
        "min_kwh": draw(maybe(st.sampled_from([0, 1, 5, 12]))),
        "min_duration": draw(maybe(st.sampled_from([0, 900, 3600]))),
        "max_duration": draw(maybe(st.sampled_from([1800, 5400]))),
        "min_current": draw(maybe(st.sampled_from([16, 32]))),
        "max_current": draw(maybe(st.sampled_from([16, 32]))),
    }
    if not monotone:
        found |= {
            "max_kwh": draw(maybe(st.sampled_from([1, 5, 12]))),
            "min_power": draw(maybe(st.sampled_from([7, 11, 22]))),
            "max_power": draw(maybe(st.sampled_from([11, 22, 50]))),
            "reservation": draw(
                st.sampled_from([None] * 4 + ["RESERVATION", "RESERVATION_EXPIRES"])
            ),
        }
    # Most elements restrict one or two things; a generated one keeps a few of its draws.
    kept = draw(st.lists(st.sampled_from(sorted(found)), unique=True, max_size=3))
    return {k: found[k] for k in kept if found[k] is not None}


@st.composite
def tariffs(draw: st.DrawFn, *, monotone: bool = False) -> Tariff:
    """1-4 elements of 1-3 components each; `monotone`: each dimension priced by one element."""
    elements = []
    taken: set[str] = set()
    for _ in range(draw(st.integers(1, 4))):
        types = draw(st.lists(st.sampled_from(sorted(STEPS)), unique=True, min_size=1, max_size=3))
        if monotone:
            types = [t for t in types if t not in taken]
            taken.update(types)
            if not types:
                continue
        components = [
            component(t, draw(PRICES), draw(VATS), draw(st.sampled_from(STEPS[t]))) for t in types
        ]
        elements.append(element(*components, **draw(restrictions(monotone=monotone))))
    limits: dict[str, Any] = {}
    if draw(st.booleans()):
        limits["min_price"] = {"excl_vat": draw(PRICES)}
    if draw(st.booleans()):
        limits["max_price"] = {"excl_vat": draw(PRICES) + 5, "incl_vat": draw(PRICES) + 6}
    return tariff(*elements, **limits)


@dataclass(frozen=True)
class Piece:
    """A charging period to be: its length, what it reports."""

    seconds: int
    kind: str  # CHARGING, PARKING or RESERVATION
    rate: Decimal  # kWh per second while charging
    figures: tuple[tuple[str, int], ...]  # power and current dimensions


@st.composite
def sessions(draw: st.DrawFn) -> tuple[datetime, list[Piece]]:
    day = draw(st.integers(0, 2))  # Monday to Wednesday
    start = START + timedelta(days=day, minutes=draw(st.integers(6 * 60, 23 * 60)))
    pieces = []
    if draw(st.integers(0, 4)) == 0:
        pieces.append(Piece(draw(st.integers(60, 3600)), "RESERVATION", Decimal(0), ()))
    for _ in range(draw(st.integers(0 if pieces else 1, 5))):
        kind = draw(st.sampled_from(["CHARGING", "CHARGING", "PARKING"]))
        figures = draw(
            st.lists(
                st.tuples(
                    st.sampled_from(["MIN_POWER", "MAX_POWER", "MIN_CURRENT", "MAX_CURRENT"]),
                    st.sampled_from([6, 11, 22, 32, 50]),
                ),
                unique_by=lambda f: f[0],
                max_size=2,
            )
        )
        rate = draw(st.sampled_from(RATES)) if kind == "CHARGING" else Decimal(0)
        pieces.append(Piece(draw(st.integers(60, 7200)), kind, rate, tuple(figures)))
    return start, pieces


def volumes(piece: Piece, seconds: int | Decimal) -> dict[str, Any]:
    with localcontext(prec=60):
        hours = Decimal(seconds) / 3600
        if piece.kind == "RESERVATION":
            return {"RESERVATION_TIME": hours}
        if piece.kind == "PARKING":
            return {"PARKING_TIME": hours, **dict(piece.figures)}
        return {"ENERGY": piece.rate * seconds, "TIME": hours, **dict(piece.figures)}


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def as_cdr(start: datetime, pieces: list[Piece], split: tuple[int, int] | None = None) -> Any:
    """The CDR of `pieces` from `start`; `split` (index, second): that piece reported as two
    periods, cut that many seconds after its start."""
    periods = []
    at = start
    for index, piece in enumerate(pieces):
        if split is not None and split[0] == index:
            first = volumes(piece, split[1])
            whole = volumes(piece, piece.seconds)
            with localcontext(prec=60):
                rest = {k: (whole[k] - v if k in _VOLUMES else v) for k, v in first.items()}
            periods.append(period(stamp(at), **first))
            periods.append(period(stamp(at + timedelta(seconds=split[1])), **rest))
        else:
            periods.append(period(stamp(at), **volumes(piece, piece.seconds)))
        at += timedelta(seconds=piece.seconds)
    return cdr(stamp(start), stamp(at), *periods)


_VOLUMES = {"ENERGY", "TIME", "PARKING_TIME", "RESERVATION_TIME"}


def totals(cost: Cost) -> tuple[Decimal, Decimal]:
    return cost.total.excl_vat, cost.total.incl_vat


def boundaries(t: Tariff, zone: str, start: datetime, pieces: list[Piece]) -> list[tuple[int, int]]:
    """(piece, second) pairs at which a restriction of `t` changes inside a piece: a time of day
    an element names or midnight (local), or a min/max_duration. Where a split matters most."""
    clock = {"00:00"}
    durations: set[int] = set()
    for e in t.elements:
        r = e.restrictions
        if r is not None:
            clock |= {x for x in (r.start_time, r.end_time) if x is not None}
            durations |= {x for x in (r.min_duration, r.max_duration) if x is not None}
    found = []
    at = start
    for index, piece in enumerate(pieces):
        local = at.replace(tzinfo=UTC).astimezone(ZoneInfo(zone))
        for day in (local.date(), local.date() + timedelta(days=1)):
            for hhmm in clock:
                wall = datetime.combine(day, dtime.fromisoformat(hhmm), ZoneInfo(zone))
                second = int((wall.astimezone(UTC).replace(tzinfo=None) - at).total_seconds())
                found.append((index, second))
        since = int((at - start).total_seconds())
        found += [(index, d - since) for d in durations]
        at += timedelta(seconds=piece.seconds)
    return sorted({(i, s) for i, s in found if 0 < s < pieces[i].seconds})


@PROPERTY
@given(tariffs(), sessions(), st.sampled_from(ZONES), st.data())
def test_splitting_a_period_at_any_instant_keeps_the_cost(
    t: Tariff, session: tuple[datetime, list[Piece]], zone: str, data: st.DataObject
) -> None:
    """A period reported as two (at any whole second inside it, volumes shared in proportion)
    costs what the one period costs, the total and each CDR total. Half the time the split is
    where a restriction changes, if one does inside the session."""
    start, pieces = session
    index = data.draw(st.integers(0, len(pieces) - 1))
    cut = (index, data.draw(st.integers(1, pieces[index].seconds - 1)))
    changes = boundaries(t, zone, start, pieces)
    if changes and data.draw(st.booleans()):
        cut = data.draw(st.sampled_from(changes))
    whole = price_cdr(t, as_cdr(start, pieces), zone)
    split = price_cdr(t, as_cdr(start, pieces, cut), zone)
    assert totals(split) == totals(whole)
    assert split.cdr_totals() == whole.cdr_totals()


@PROPERTY
@given(tariffs(), sessions(), st.sampled_from(ZONES))
def test_flat_is_counted_once(t: Tariff, session: tuple[datetime, list[Piece]], zone: str) -> None:
    """At most one FLAT line for the charging and one for the reservation, each at volume 1;
    exactly one for the charging when a charging element with FLAT has no restriction (it
    applies at every moment) and the session has charging periods."""
    start, pieces = session
    cost = price_cdr(t, as_cdr(start, pieces), zone)
    flats = [x for x in cost.lines if x.dimension == PricedDimension.FLAT]
    charging = [x for x in flats if not x.reservation]
    assert len(charging) <= 1
    assert len([x for x in flats if x.reservation]) <= 1
    assert all(x.volume == x.billed_volume == 1 for x in flats)
    always = any(
        e.restrictions is None and any(c.type == "FLAT" for c in e.price_components)
        for e in t.elements
    )
    if always and any(p.kind != "RESERVATION" for p in pieces):
        assert len(charging) == 1


@PROPERTY
@given(tariffs(monotone=True), sessions(), st.sampled_from(ZONES), st.data())
def test_more_energy_never_costs_less(
    t: Tariff, session: tuple[datetime, list[Piece]], zone: str, data: st.DataObject
) -> None:
    """One period's ENERGY raised (its times unchanged): the totals do not go down."""
    start, pieces = session
    charging = [i for i, p in enumerate(pieces) if p.kind == "CHARGING"]
    if not charging:
        return
    index = data.draw(st.sampled_from(charging))
    more = data.draw(st.sampled_from([r for r in RATES if r > pieces[index].rate] or [Decimal(1)]))
    raised = [*pieces]
    raised[index] = Piece(pieces[index].seconds, "CHARGING", more, pieces[index].figures)
    before = price_cdr(t, as_cdr(start, pieces), zone)
    after = price_cdr(t, as_cdr(start, raised), zone)
    assert after.total.excl_vat >= before.total.excl_vat
    assert after.total.incl_vat >= before.total.incl_vat


@PROPERTY
@given(tariffs(monotone=True), sessions(), st.sampled_from(ZONES), st.data())
def test_more_time_never_costs_less(
    t: Tariff, session: tuple[datetime, list[Piece]], zone: str, data: st.DataObject
) -> None:
    """One period's TIME, PARKING_TIME or RESERVATION_TIME raised (charging or parking longer
    within the same period): the totals do not go down."""
    start, pieces = session
    index = data.draw(st.integers(0, len(pieces) - 1))
    extra = data.draw(st.sampled_from([Decimal("0.01"), Decimal("0.25"), Decimal(1)]))
    before_cdr = as_cdr(start, pieces)
    after_cdr = before_cdr.model_copy(deep=True)
    dimensions = after_cdr.charging_periods[index].dimensions
    for dimension in dimensions:
        if dimension.type in ("TIME", "PARKING_TIME", "RESERVATION_TIME"):
            dimension.volume += extra
    before, after = price_cdr(t, before_cdr, zone), price_cdr(t, after_cdr, zone)
    assert after.total.excl_vat >= before.total.excl_vat
    assert after.total.incl_vat >= before.total.incl_vat


@PROPERTY
@given(tariffs(), sessions(), st.sampled_from(ZONES))
def test_the_total_lies_within_min_and_max_price(
    t: Tariff, session: tuple[datetime, list[Piece]], zone: str
) -> None:
    """excl. total >= min_price.excl_vat and <= max_price.excl_vat (the generated maximum is
    above the minimum), incl. total <= max_price.incl_vat."""
    start, pieces = session
    cost = price_cdr(t, as_cdr(start, pieces), zone)
    if t.min_price is not None:
        assert cost.total.excl_vat >= t.min_price.excl_vat
    if t.max_price is not None:
        assert cost.total.excl_vat <= t.max_price.excl_vat
        assert t.max_price.incl_vat is not None and cost.total.incl_vat <= t.max_price.incl_vat


def test_spec_rules_can_make_more_cost_less_step_size() -> None:
    """Why the monotone properties keep one price per dimension: the step is billed at the last
    element's price (mod_cdrs "step_size"), so more time in a cheaper element before it can
    lower the bill. The spec's own example, 6 min at 5.00/h then 22 at 7.00/h (step 10 min),
    costs 3.30; with 7 min before 17:00 it is 29 min, rounded to 30 with 23 after: 3.2667."""
    t = tariff(
        element(time(5.00, step=600), end_time="17:00"),
        element(time(7.00, step=600), start_time="17:00"),
    )

    def charged(before: int) -> Decimal:
        c = cdr(
            f"2024-03-04 16:{60 - before}",
            "2024-03-04 17:22",
            period(f"2024-03-04 16:{60 - before}", TIME=Decimal(before) / 60),
            period("2024-03-04 17:00", TIME=Decimal(22) / 60),
        )
        return price_cdr(t, c, "UTC").total.excl_vat

    assert charged(6) == Decimal("3.3000")
    assert charged(7) == Decimal("3.2667")


def test_spec_rules_can_make_more_cost_less_max_power() -> None:
    """And why without max_kwh and power restrictions: a max_power element (the spec's example)
    makes faster charging cheaper: 10 kWh in an hour (10 kW) at 0.50 cost 5.00, 20 kWh in the
    same hour (20 kW, over max_power 16) at 0.20 cost 4.00."""
    t = tariff(element(energy(0.50), max_power=16), element(energy(0.20)))

    def charged(kwh: int) -> Decimal:
        c = cdr("2024-03-04 10:00", "2024-03-04 11:00", period("2024-03-04 10:00", ENERGY=kwh))
        return price_cdr(t, c, "UTC").total.excl_vat

    assert (charged(10), charged(20)) == (Decimal("5.0000"), Decimal("4.0000"))
