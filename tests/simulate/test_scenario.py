"""The scripted month (simulate.scenario): its plan is what the end-to-end test of the money
layer relies on, so each promise of the module docstring is checked here without a hub: the
same plan every time, no card in two places or travelling fast but where the plan says so, the
anomalies on the days given, and plans it cannot keep refused."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from ocpi_hub.core.fraud import Visit, distance_km
from ocpi_hub.core.parties import Role
from ocpi_hub.simulate import CpoSimulator, EmspSimulator, SimulatorConfig
from ocpi_hub.simulate.anomalies import Anomaly
from ocpi_hub.simulate.generate import Clock
from ocpi_hub.simulate.scenario import Charge, MonthScenario

START = datetime(2026, 11, 1, tzinfo=UTC)
ANOMALIES = {2: Anomaly.MISSING_CDR, 5: Anomaly.IMPOSSIBLE_TRAVEL, 9: Anomaly.CREDIT_CDR}


def scenario(seed: int = 3, clock: Clock | None = None, **options: object) -> MonthScenario:
    clock = clock or Clock(START, scale=0)
    cpo = CpoSimulator(
        SimulatorConfig(Role.CPO, "DE", "CPO", seed=seed, locations=4, max_evses=2), clock
    )
    emsps = [
        EmspSimulator(SimulatorConfig(Role.EMSP, cc, pid, tokens=10), clock)
        for cc, pid in (("NL", "EMA"), ("FR", "EMB"))
    ]
    return MonthScenario(cpo, emsps, clock, START, **options)  # type: ignore[arg-type]


def key(charge: Charge) -> tuple[object, ...]:
    return (charge.start, charge.minutes, charge.emsp, charge.token["uid"],
            charge.location_id, charge.evse_uid, charge.anomaly)  # fmt: skip


def kmh(month: MonthScenario, a: Charge, b: Charge) -> float:
    where = {loc["id"]: loc["coordinates"] for loc in month.cpo.locations.values()}

    def visit(c: Charge) -> Visit:
        point = where[c.location_id]
        return Visit("", c.start, c.end, float(point["latitude"]), float(point["longitude"]))

    km = distance_km(visit(a), visit(b)) or 0.0
    hours = (b.start - a.end).total_seconds() / 3600
    return float("inf") if hours <= 0 else km / hours


def test_the_plan_is_the_same_every_time_and_spans_the_month() -> None:
    """28 days of two charges (the first eMSP's in the morning, the second's in the
    afternoon), plus the impossible-travel one; the same seed, the same plan."""
    month = scenario(days=28, anomalies=ANOMALIES)
    assert [key(c) for c in month.charges] == [
        key(c) for c in scenario(anomalies=ANOMALIES).charges
    ]
    assert len(month.charges) == 57
    assert {c.emsp for c in month.charges if c.start.hour < 12} == {0}
    assert {c.emsp for c in month.charges if c.start.hour >= 12} == {1}
    assert min(c.start for c in month.charges) > START
    assert max(c.end for c in month.charges) < START + timedelta(days=28)


def test_no_card_is_in_two_places_but_where_the_plan_says() -> None:
    """Pairs of one card's charges never overlap, and travel faster than 250 km/h only for
    the impossible-travel pair (1000 km/h, to the Location farthest away)."""
    month = scenario(anomalies=ANOMALIES)
    fast = []
    for a, b in itertools.combinations(sorted(month.charges, key=lambda c: c.start), 2):
        if a.token["uid"] == b.token["uid"] and a.emsp == b.emsp:
            assert a.end <= b.start
            if a.location_id != b.location_id and kmh(month, a, b) > 250:
                fast.append((a.anomaly, b.anomaly, round(kmh(month, a, b))))
    assert fast == [(Anomaly.IMPOSSIBLE_TRAVEL, Anomaly.IMPOSSIBLE_TRAVEL, 1000)]


def test_anomalies_fall_on_the_first_charge_of_their_day() -> None:
    month = scenario(anomalies=ANOMALIES)
    placed = [((c.start - START).days, c.anomaly) for c in month.charges if c.anomaly]
    assert placed == [(2, Anomaly.MISSING_CDR), (5, Anomaly.IMPOSSIBLE_TRAVEL),
                      (5, Anomaly.IMPOSSIBLE_TRAVEL), (9, Anomaly.CREDIT_CDR)]  # fmt: skip


def test_each_evse_keeps_a_short_history() -> None:
    """Charges go round the EVSEs: none gets 20 (an EVSE's history long enough to call a
    charge unusual, core.fraud)."""
    month = scenario(anomalies=ANOMALIES)
    counts = [sum(1 for c in month.charges if c.evse_uid == evse["uid"]) for _, evse in month.spots]
    assert max(counts) - min(counts) <= 2 and max(counts) < 20


def test_plans_it_cannot_keep_are_refused() -> None:
    """A clock that runs, an anomaly outside the month, Locations too close for travel."""
    with pytest.raises(ValueError, match="standing still"):
        scenario(clock=Clock(START, scale=60))
    with pytest.raises(ValueError, match="outside the plan"):
        scenario(days=5, anomalies={5: Anomaly.WRONG_PRICE})
    with pytest.raises(ValueError, match="per_day"):
        scenario(per_day=3)
    one_city = next(
        s for s in range(1, 50)
        if len({loc["city"] for loc in scenario(seed=s).cpo.locations.values()}) == 1
    )  # fmt: skip
    with pytest.raises(ValueError, match="within"):
        scenario(seed=one_city, anomalies={1: Anomaly.IMPOSSIBLE_TRAVEL})
