"""What the simulators send is valid OCPI 2.2.1 by the hub's own models (issue 4), and a CDR's
totals follow its tariff, in Decimal."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ocpi_hub.core.modules.cdrs import CDR
from ocpi_hub.core.modules.commands import StartSession, StopSession
from ocpi_hub.core.modules.locations import Location
from ocpi_hub.core.modules.sessions import Session, patch_session
from ocpi_hub.core.modules.tariffs import Tariff
from ocpi_hub.core.modules.tokens import Token
from ocpi_hub.core.parties import Role
from ocpi_hub.core.types import DATETIME_MAX_LENGTH, parse_datetime
from ocpi_hub.simulate import CpoSimulator, EmspSimulator, SimulatorConfig, commands
from ocpi_hub.simulate.charging import ChargingSession, cdr_token
from ocpi_hub.simulate.generate import Clock, location, tariffs, tokens

IDENTITIES = st.sampled_from(
    [("NL", "CPA"), ("DE", "EMA"), ("BE", "X"), ("FR", "ABC"), ("US", "Q")]
)
STAMP = "2024-03-01T10:00:00.000Z"
START = datetime(2024, 3, 1, 10, 0, tzinfo=UTC)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32), owner=IDENTITIES, evses=st.integers(1, 8))
def test_generated_objects_validate(seed: int, owner: tuple[str, str], evses: int) -> None:
    """Locations, Tariffs and Tokens from any seed and identity pass the hub's models."""
    rng = random.Random(seed)
    for n in range(1, 4):
        Location.model_validate(location(rng, owner, n, evses, STAMP))
    for body in tariffs(owner, STAMP):
        Tariff.model_validate(body)
    for body in tokens(rng, owner, 12, "Example eMSP", STAMP):
        Token.model_validate(body)


def test_simulators_hold_valid_objects_and_a_seed_reproduces_them() -> None:
    """Simulators hold valid objects; a seed reproduces them; identities never share ids."""

    def cpo(party_id: str, seed: int = 1) -> CpoSimulator:
        return CpoSimulator(SimulatorConfig(Role.CPO, "NL", party_id, seed=seed, locations=5))

    def emsp(seed: int = 1) -> EmspSimulator:
        return EmspSimulator(SimulatorConfig(Role.EMSP, "DE", "EMA", seed=seed, tokens=20))

    first, again, other = cpo("CPA"), cpo("CPA"), cpo("CPB")
    for simulator in (first, other):
        for body in simulator.locations.values():
            Location.model_validate(body)
        for body in simulator.tariffs.values():
            Tariff.model_validate(body)
    assert [drop_times(b) for b in first.locations.values()] == [
        drop_times(b) for b in again.locations.values()
    ]
    assert not set(first.locations) & set(other.locations)
    assert not set(first.tariffs) & set(other.tariffs)
    cards = emsp()
    for body in cards.tokens.values():
        Token.model_validate(body)
    assert list(cards.tokens) == list(emsp().tokens) != list(emsp(seed=2).tokens)
    assert {t["type"] for t in cards.tokens.values()} == {"RFID", "APP_USER"}
    assert {t["valid"] for t in cards.tokens.values()} == {True, False}


def drop_times(body: Any) -> Any:
    """An object without its last_updated values (they are the time of generation)."""
    if isinstance(body, dict):
        return {k: drop_times(v) for k, v in body.items() if k != "last_updated"}
    if isinstance(body, list):
        return [drop_times(v) for v in body]
    return body


def ac_session(power: str = "11") -> ChargingSession:
    """An RFID session at an AC charger of NL*CPA (tariff: 0.39/kWh + 0.60/h, 21 % VAT)."""
    rng = random.Random(3)
    place = next(
        loc
        for n in range(1, 50)
        if (loc := location(rng, ("NL", "CPA"), n, 2, STAMP))["evses"][0]["connectors"][0][
            "power_type"
        ]
        != "DC"
    )
    evse = place["evses"][0]
    card = tokens(rng, ("DE", "EMA"), 1, "Example eMSP", STAMP)[0]
    ac_tariff = tariffs(("NL", "CPA"), STAMP)[0]
    return ChargingSession(
        ("NL", "CPA"), "S-1", place, evse, evse["connectors"][0], cdr_token(card),
        "AUTH_REQUEST", "AUTH-1", Tariff.model_validate(ac_tariff).model_dump(mode="json"),
        Decimal(power), START,
    )  # fmt: skip


def test_session_pushes_and_cdr_validate_and_follow_the_tariff() -> None:
    """Session PUT/PATCHes and the CDR validate, and the CDR's totals follow its tariff as
    core.pricing prices it, each rounded to the cent."""
    # 11 kW for 30 min is 5.5 kWh: energy 5.5 * 0.39 = 2.145 → €2.15 excl. VAT, * 1.21 =
    # 2.59545 → €2.60 incl.; time 0.5 h * 0.60 = €0.30, * 1.21 = 0.363 → €0.36; in all 2.445 →
    # €2.45 and 2.95845 → €2.96. The PATCHes' periods are appended by the receiver
    # (patch_session), as the hub and the eMSP do.
    session = ac_session()
    stored = session.session(STAMP)
    Session.model_validate(stored)
    for minutes in (10, 20):
        moment = START + timedelta(minutes=minutes)
        stored = patch_session(
            stored, session.progress(moment, moment.strftime("%Y-%m-%dT%H:%M:%SZ"))
        )
        Session.model_validate(stored)
    end = START + timedelta(minutes=30)
    stored = patch_session(stored, session.complete(end, "2024-03-01T10:30:00Z"))
    assert Session.model_validate(stored).status.value == "COMPLETED"
    assert len(stored["charging_periods"]) == 3
    assert stored["kwh"] == 5.5
    cdr = session.cdr("CDR-1", "2024-03-01T10:30:01Z")
    CDR.model_validate(cdr)
    assert cdr["charging_periods"] == stored["charging_periods"]
    assert cdr["total_energy"] == 5.5 and cdr["total_time"] == 0.5
    assert cdr["total_energy_cost"] == {"excl_vat": 2.15, "incl_vat": 2.6}
    assert cdr["total_time_cost"] == {"excl_vat": 0.3, "incl_vat": 0.36}
    assert cdr["total_cost"] == {"excl_vat": 2.45, "incl_vat": 2.96}
    assert "total_fixed_cost" not in cdr  # the AC tariff has no FLAT component
    assert cdr["tariffs"][0]["id"] == cdr["charging_periods"][0]["tariff_id"] == "NLCPA-AC"


def test_clock_is_strictly_increasing_ocpi_datetimes() -> None:
    """Every stamp is a valid OCPI DateTime, later than the one before, even within 1 ms."""
    clock = Clock()
    stamps = [clock.stamp() for _ in range(500)]
    assert all(len(s) <= DATETIME_MAX_LENGTH for s in stamps)
    moments = [parse_datetime(s) for s in stamps]
    assert all(a < b for a, b in itertools.pairwise(moments))


def test_a_clock_with_a_start_runs_scaled_and_moves_on_when_told() -> None:
    """Simulated time: it starts at `start`, moves `scale` seconds per real second (0: stands
    still but for the millisecond each stamp adds), and `advance_to` jumps, never back."""
    still = Clock(START, scale=0)
    first, second = still.now(), still.now()
    assert first == START
    assert second - first == timedelta(milliseconds=1)
    still.advance_to(START + timedelta(days=3))
    assert still.now() == START + timedelta(days=3)
    still.advance_to(START)  # the past: nothing changes, times keep increasing
    assert still.now() == START + timedelta(days=3, milliseconds=1)
    fast = Clock(START, scale=3600)
    assert START <= fast.now() < START + timedelta(hours=3600)  # under an hour of real time
    with pytest.raises(ValueError, match="cannot be moved"):
        Clock().advance_to(START)
    with pytest.raises(ValueError, match="negative"):
        Clock(START, scale=-1)


def test_a_simulator_takes_its_clock_from_its_config_or_shares_one() -> None:
    """`clock_start` and `clock_scale` make the party's clock (its first objects stamped
    then); a clock given to several parties is theirs together."""
    config = SimulatorConfig(Role.CPO, "NL", "CPA", clock_start=START, clock_scale=0)
    cpo = CpoSimulator(config)
    assert all(parse_datetime(t["last_updated"]) - START < timedelta(seconds=1)
               for t in cpo.tariffs.values())  # fmt: skip
    shared = Clock(START, scale=0)
    emsp = EmspSimulator(SimulatorConfig(Role.EMSP, "DE", "EMA"), clock=shared)
    assert emsp.clock is shared


def test_commands_validate() -> None:
    """The eMSP's START_SESSION and STOP_SESSION bodies, and the CPO's answers, validate."""
    card = tokens(random.Random(1), ("DE", "EMA"), 1, "Example eMSP", STAMP)[0]
    start = commands.start_session("http://e/1", card, "NLCPA-L0001", "NLCPA-L0001-E1", "1", "R1")
    StartSession.model_validate(start)
    StopSession.model_validate(commands.stop_session("http://e/2", "S-1"))
    assert commands.Answer("ACCEPTED").body() == {"result": "ACCEPTED", "timeout": 30}
    rejected = commands.Answer("REJECTED", "no such EVSE", 2003).body()
    assert rejected["timeout"] == 0 and rejected["message"][0]["text"] == "no such EVSE"
