"""Fraud signals (core.fraud, issue 9 §6): each rule on hand-made sessions, CDRs and refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from ocpi_hub.core.fraud import (
    Code,
    Severity,
    Visit,
    distance_km,
    impossible_travel,
    overlapping,
    refused_burst,
    unusual_charge,
    used_while_invalid,
)
from ocpi_hub.core.modules.tokens import answer_on_behalf

T0 = datetime(2024, 3, 1, 10, 0, tzinfo=UTC)
TOKEN = "DE*EMA*U1"


def visit(start: float, end: float | None, lat: float, lon: float, evse: str = "L1*E1") -> Visit:
    """A session starting `start` hours after T0, ending `end` hours after (None: not ended)."""
    return Visit(
        session=f"NL*CPA*S{start}",
        start=T0 + timedelta(hours=start),
        end=None if end is None else T0 + timedelta(hours=end),
        latitude=lat,
        longitude=lon,
        evse=evse,
    )


AMSTERDAM, PARIS = (52.3676, 4.9041), (48.8566, 2.3522)


def test_amsterdam_to_paris_is_about_430_km() -> None:
    """The haversine distance, checked against the known figure (430 km great-circle)."""
    km = distance_km(visit(0, 1, *AMSTERDAM), visit(2, 3, *PARIS))
    assert km is not None and 425 < km < 435


@given(st.floats(-80, 80), st.floats(-179, 179), st.floats(-80, 80), st.floats(-179, 179))
def test_distance_is_symmetric_and_never_negative(a: float, b: float, c: float, d: float) -> None:
    one, other = visit(0, 1, a, b), visit(2, 3, c, d)
    there, back = distance_km(one, other), distance_km(other, one)
    assert there is not None and back is not None
    assert there >= 0 and abs(there - back) < 1e-6


def test_paris_half_an_hour_after_amsterdam_is_impossible_travel() -> None:
    """430 km in 30 minutes is 860 km/h, above 250: an alert with the two sessions; in three
    hours (143 km/h) it is not."""
    alert = impossible_travel(TOKEN, visit(0, 0.5, *AMSTERDAM), visit(1, 2, *PARIS), 250)
    assert alert is not None and alert.code == Code.IMPOSSIBLE_TRAVEL
    assert alert.severity == Severity.HIGH and alert.subject == TOKEN
    assert alert.evidence["sessions"] == ["NL*CPA*S0", "NL*CPA*S1"]
    assert impossible_travel(TOKEN, visit(0, 0.5, *AMSTERDAM), visit(3.5, 4, *PARIS), 250) is None


def test_the_same_place_is_never_travel() -> None:
    """Two sessions at one Location, back to back: no travel at all."""
    assert impossible_travel(TOKEN, visit(0, 1, *AMSTERDAM), visit(1, 2, *AMSTERDAM), 250) is None


def test_a_location_without_coordinates_says_nothing_of_travel() -> None:
    unknown = Visit("NL*CPA*S9", T0, None)
    assert impossible_travel(TOKEN, unknown, visit(0.1, 1, *PARIS), 250) is None


def test_two_evses_at_once_overlap_one_after_the_other_do_not() -> None:
    """A later session starting before the earlier ended (or while it has not ended), at
    another EVSE, overlaps; one starting after the end, or at the same EVSE, does not."""
    assert overlapping(TOKEN, visit(0, 2, *AMSTERDAM), visit(1, 3, *AMSTERDAM, "L1*E2"))
    assert overlapping(TOKEN, visit(0, None, *AMSTERDAM), visit(5, 6, *PARIS, "L2*E1"))
    assert overlapping(TOKEN, visit(0, 1, *AMSTERDAM), visit(1, 2, *AMSTERDAM, "L1*E2")) is None
    assert overlapping(TOKEN, visit(0, 2, *AMSTERDAM), visit(1, 3, *AMSTERDAM)) is None


def test_a_session_after_the_token_was_blocked_is_an_alert() -> None:
    """The Token said BLOCKED (or valid false) before the session started: an alert; a Token
    changed after the start, or still valid, is none."""
    blocked = {"valid": True, "whitelist": "BLOCKED", "last_updated": "2024-03-01T09:00:00Z"}
    invalid = {"valid": False, "whitelist": "ALLOWED", "last_updated": "2024-03-01T09:00:00Z"}
    later = {**invalid, "last_updated": "2024-03-01T10:30:00Z"}
    fine = {"valid": True, "whitelist": "ALLOWED", "last_updated": "2024-03-01T09:00:00Z"}
    session = visit(0, 1, *AMSTERDAM)
    assert used_while_invalid(TOKEN, session, blocked) is not None
    assert used_while_invalid(TOKEN, session, invalid) is not None
    assert used_while_invalid(TOKEN, session, later) is None
    assert used_while_invalid(TOKEN, session, fine) is None
    assert used_while_invalid(TOKEN, session, None) is None


def test_a_burst_is_so_many_refusals_within_the_window() -> None:
    """Five refusals within ten minutes: an alert; five spread over an hour: none."""
    close = [T0 + timedelta(minutes=m) for m in (0, 1, 2, 8, 9)]
    spread = [T0 + timedelta(minutes=m) for m in (0, 15, 30, 45, 60)]
    alert = refused_burst(TOKEN, close, 5, 600)
    assert alert is not None and alert.code == Code.REFUSED_BURST
    assert alert.severity == Severity.MEDIUM
    assert refused_burst(TOKEN, spread, 5, 600) is None
    assert refused_burst(TOKEN, close[:4], 5, 600) is None


def test_a_charge_far_beyond_the_evses_history_is_unusual() -> None:
    """Twenty CDRs of 9-11 kWh in 1 h: 60 kWh is unusual, 12 kWh is not; with fewer than
    twenty earlier CDRs nothing is."""
    history = [(Decimal(9 + (i % 3)), Decimal(1)) for i in range(20)]
    evse = "NL*CPA*L1*E1"
    alert = unusual_charge(evse, "NL*CPA*C1", Decimal(60), Decimal(1), history)
    assert alert is not None and alert.evidence["measure"] == "energy_kwh"
    assert unusual_charge(evse, "NL*CPA*C1", Decimal(12), Decimal(1), history) is None
    assert unusual_charge(evse, "NL*CPA*C1", Decimal(60), Decimal(1), history[:19]) is None
    long = unusual_charge(evse, "NL*CPA*C1", Decimal(10), Decimal(30), history)
    assert long is None  # every earlier CDR lasted exactly 1 h: no spread to judge by


def test_on_behalf_a_token_with_a_high_alert_is_not_allowed() -> None:
    """The hub answering for a silent eMSP refuses a valid, ALLOWED-listed token with an open
    high-severity alert, and says why; without an alert it is ALLOWED."""
    token = {"uid": "U1", "valid": True, "whitelist": "ALLOWED"}
    assert answer_on_behalf(token, None)["allowed"] == "ALLOWED"  # type: ignore[index]
    refused = answer_on_behalf(token, None, "IMPOSSIBLE_TRAVEL")
    assert refused is not None and refused["allowed"] == "NOT_ALLOWED"
    assert "IMPOSSIBLE_TRAVEL" in refused["info"]["text"]
