"""CDR between OCPI 2.2.1 and 2.1.1 (ocpi-2.1.1-differences.md §7, §10.3 "CDR")."""

from __future__ import annotations

import copy
from decimal import ROUND_DOWN, Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from ocpi_hub.core.modules.cdrs import CDR
from ocpi_hub.dialects.losses import Lost
from ocpi_hub.dialects.v211.cdrs import cdr_in, cdr_out
from ocpi_hub.dialects.v211.location_parts import CONNECTOR_TYPES_211
from ocpi_hub.dialects.v211.tariffs import tariff_in, tariff_out
from ocpi_hub.errors import InvalidParameters
from tests import factories, strategies
from tests.dialects.v211.test_sessions import (
    fields,
    location_211,
    periods_211,
    problems_211,
    stored_token,
)

CPO = ("NL", "CPA")
ONLY_221 = (
    "total_fixed_cost", "total_energy_cost", "total_time_cost", "total_parking_cost",
    "total_reservation_cost", "signed_data", "session_id", "authorization_reference",
    "invoice_reference_id", "home_charging_compensation", "credit_reference_id",
)  # fmt: skip


def out_of(cdr: dict[str, Any], location: dict[str, Any] | None = None) -> dict[str, Any]:
    made, _ = cdr_out(cdr, location)
    assert made is not None
    return made


# --- out ---------------------------------------------------------------------------------------


def test_cdr_out_is_a_strict_2_1_1_cdr_and_back_a_valid_2_2_1_one() -> None:
    """stop_date_time, auth_id, an embedded Location, a number total_cost; in again: a CDR."""
    cdr = factories.plausible_cdr(tariffs=[factories.tariff("TARIFF-AC")])
    out, losses = cdr_out(cdr, None)
    assert out is not None and problems_211("CDR", out) == []
    assert out["stop_date_time"] == cdr["end_date_time"] and "end_date_time" not in out
    assert out["auth_id"] == cdr["cdr_token"]["contract_id"]
    assert out["total_cost"] == 2.88 and fields(losses)["total_cost.incl_vat"] is Lost.DROPPED
    back, _ = cdr_in(out, CPO, stored_token(cdr["cdr_token"]))
    CDR.model_validate(back)
    assert back["cdr_location"] == cdr["cdr_location"]
    assert back["cdr_token"] == cdr["cdr_token"]


def test_credit_cdr_is_not_sent() -> None:
    """credit=true has no 2.1.1 meaning: None, one DROPPED loss."""
    out, losses = cdr_out(factories.cdr(credit=True, credit_reference_id="CDR0"), None)
    assert out is None and fields(losses) == {"credit": Lost.DROPPED}
    out, losses = cdr_out(factories.cdr(credit=False), None)
    assert out is not None and "credit" not in out and "credit" not in fields(losses)


def test_cdr_id_over_36_characters_is_not_sent() -> None:
    """2.1.1 CDR ids have 36 characters: an id of 37-39 cannot be cut, so nothing is sent."""
    out, losses = cdr_out(factories.cdr("C" * 37), None)
    assert out is None and fields(losses) == {"id": Lost.DROPPED}
    assert cdr_out(factories.cdr("C" * 36), None)[0] is not None


def test_the_221_only_fields_are_dropped_each_named() -> None:
    """Cost breakdown, signed_data, session_id, references: DROPPED, one loss each."""
    price = {"excl_vat": 1, "incl_vat": 1.21}
    cdr = factories.cdr(
        total_fixed_cost=price,
        total_energy_cost=price,
        total_time_cost=price,
        total_parking_cost=price,
        total_reservation_cost=price,
        signed_data={"encoding_method": "OCMF", "signed_values": []},
        authorization_reference="AUTH-1",
        invoice_reference_id="INV-1",
        home_charging_compensation=False,
    )
    out, losses = cdr_out(cdr, None)
    assert out is not None and not set(ONLY_221) & set(out)
    dropped = {k for k, v in fields(losses).items() if v is Lost.DROPPED}
    assert set(ONLY_221) - {"credit_reference_id"} <= dropped


def test_location_is_built_from_the_cdr_location_with_guesses() -> None:
    """No 2.1.1 Location: built from the CdrLocation; type, status, voltage/amperage GUESSED."""
    cdr = factories.cdr(cdr_location=factories.cdr_location(postal_code=None, state="NH"))
    out = out_of(cdr)
    location = out["location"]
    connector = location["evses"][0]["connectors"][0]
    assert (location["type"], location["evses"][0]["status"]) == ("UNKNOWN", "UNKNOWN")
    assert location["postal_code"] == "" and "state" not in location
    assert (connector["voltage"], connector["amperage"]) == (230, 16)
    assert location["last_updated"] == cdr["last_updated"] == connector["last_updated"]
    losses = fields(cdr_out(cdr, None)[1])
    for name in ("type", "evse_status", "connector_voltage", "connector_amperage", "postal_code"):
        assert losses[f"cdr_location.{name}"] is Lost.GUESSED
    assert losses["cdr_location.state"] is Lost.DROPPED
    assert problems_211("CDR", out) == []


@pytest.mark.parametrize(
    ("standard", "power_type", "made", "voltage", "amperage"),
    [
        ("GBT_DC", "DC", "IEC_62196_T2_COMBO", 400, 125),
        ("CHAOJI", "DC", "IEC_62196_T2_COMBO", 400, 125),
        ("NEMA_5_20", "AC_1_PHASE", "IEC_62196_T2", 230, 16),
        ("CHADEMO", "DC", "CHADEMO", 400, 125),
    ],
)
def test_connector_guess_follows_the_power_type(
    standard: str, power_type: str, made: str, voltage: int, amperage: int
) -> None:
    """A standard 2.1.1 lacks becomes Type 2 (AC) or CCS (DC), APPROXIMATED; DC is guessed
    400 V / 125 A, AC 230 V / 16 A."""
    place = factories.cdr_location(connector_standard=standard, connector_power_type=power_type)
    out, losses = cdr_out(factories.cdr(cdr_location=place), None)
    assert out is not None
    connector = out["location"]["evses"][0]["connectors"][0]
    assert (connector["standard"], connector["voltage"], connector["amperage"]) == (
        made,
        voltage,
        amperage,
    )
    if standard not in CONNECTOR_TYPES_211:
        assert fields(losses)["cdr_location.connector_standard"] is Lost.APPROXIMATED


def test_two_phase_power_goes_out_as_one_phase() -> None:
    """AC_2_PHASE has no 2.1.1 value: AC_1_PHASE, APPROXIMATED."""
    place = factories.cdr_location(connector_power_type="AC_2_PHASE")
    out, losses = cdr_out(factories.cdr(cdr_location=place), None)
    assert out is not None
    assert out["location"]["evses"][0]["connectors"][0]["power_type"] == "AC_1_PHASE"
    assert fields(losses)["cdr_location.connector_power_type"] is Lost.APPROXIMATED


def test_stored_location_is_trimmed_and_the_cdr_wins_where_it_speaks() -> None:
    """location_211 given: its used EVSE/connector, no guesses; the CdrLocation's own values
    (address, evse_id, standard) laid over it."""
    place = factories.cdr_location(
        evse_uid="EVSE2", connector_id="2", address="Elsewhere 1", evse_id="NL*CPA*E2"
    )
    out, losses = cdr_out(factories.cdr(cdr_location=place), location_211())
    assert out is not None
    location = out["location"]
    assert location["type"] == "ON_STREET" and location["address"] == "Elsewhere 1"
    assert [(e["uid"], e["evse_id"], e["status"]) for e in location["evses"]] == [
        ("EVSE2", "NL*CPA*E2", "AVAILABLE")
    ]
    connector = location["evses"][0]["connectors"][0]
    assert (connector["id"], connector["amperage"], connector["tariff_id"]) == (
        "2",
        32,
        "TARIFF-AC",
    )
    assert not any(x.lost is Lost.GUESSED for x in losses)
    assert problems_211("CDR", out) == []


def test_stored_location_without_the_evse_falls_back_to_the_cdr_location() -> None:
    """location_211 lacks the CDR's EVSE: built from the CdrLocation, with its guesses."""
    place = factories.cdr_location(evse_uid="EVSE9")
    out, losses = cdr_out(factories.cdr(cdr_location=place), location_211())
    assert out is not None and out["location"]["evses"][0]["uid"] == "EVSE9"
    assert fields(losses)["cdr_location.type"] is Lost.GUESSED


def test_tariffs_go_through_the_tariff_map() -> None:
    """tariffs[] each through tariff_out: a profile tariff goes, losses under `tariffs[].`."""
    tariffs = [factories.tariff("T1"), factories.tariff("T2", type="PROFILE_GREEN")]
    out, losses = cdr_out(factories.cdr(tariffs=tariffs), None)
    assert out is not None and [t["id"] for t in out["tariffs"]] == ["T1"]
    assert "country_code" not in out["tariffs"][0]
    assert fields(losses)["tariffs[].type"] is Lost.DROPPED
    assert all(x.module == "cdrs" for x in losses)
    back, _ = cdr_in(out, CPO, None)
    assert [(t["country_code"], t["party_id"]) for t in back["tariffs"]] == [CPO]


def test_reservation_time_and_command_go_out_approximated() -> None:
    """RESERVATION_TIME is no 2.1.1 dimension (DROPPED); auth_method COMMAND -> AUTH_REQUEST."""
    periods = [
        factories.charging_period(0, dimensions=[{"type": "RESERVATION_TIME", "volume": 0.5}]),
        factories.charging_period(30, dimensions=[{"type": "ENERGY", "volume": 3}]),
    ]
    out, losses = cdr_out(factories.cdr(charging_periods=periods, auth_method="COMMAND"), None)
    assert out is not None and out["auth_method"] == "AUTH_REQUEST"
    assert out["charging_periods"][0]["dimensions"] == [{"type": "TIME", "volume": 0}]
    assert fields(losses)["auth_method"] is Lost.APPROXIMATED


# --- in ----------------------------------------------------------------------------------------


def test_cdr_in_with_unknown_token_guesses_from_the_ema_id() -> None:
    """Token unknown: cdr_token from the eMA-ID auth_id, GUESSED; not one: 2001."""
    out = out_of(factories.cdr())
    back, losses = cdr_in(out, CPO, None)
    CDR.model_validate(back)
    assert back["cdr_token"]["uid"] == out["auth_id"] and back["cdr_token"]["type"] == "RFID"
    assert (back["cdr_token"]["country_code"], back["cdr_token"]["party_id"]) == ("DE", "EMA")
    assert fields(losses)["cdr_token.uid"] is Lost.GUESSED
    with pytest.raises(InvalidParameters, match="auth_id"):
        cdr_in({**out, "auth_id": "04A2B3C4"}, CPO, None)


def test_cdr_in_without_evse_id_takes_the_uid() -> None:
    """2.2.1 requires evse_id; a 2.1.1 EVSE without one gives its uid (GUESSED)."""
    out = out_of(factories.cdr())
    del out["location"]["evses"][0]["evse_id"]
    back, losses = cdr_in(out, CPO, None)
    assert back["cdr_location"]["evse_id"] == "EVSE1"
    assert fields(losses)["cdr_location.evse_id"] is Lost.GUESSED
    CDR.model_validate(back)


def test_cdr_in_without_an_evse_is_refused() -> None:
    """A CdrLocation names an EVSE and connector: a 2.1.1 Location without is 2001."""
    out = out_of(factories.cdr())
    out["location"]["evses"] = []
    with pytest.raises(InvalidParameters, match="location"):
        cdr_in(out, CPO, None)


def test_cdr_in_drops_flat_and_takes_the_owner() -> None:
    """FLAT dimensions DROPPED; country_code/party_id from the posting CPO; cost {excl_vat}."""
    out = out_of(factories.cdr())
    out["charging_periods"][0]["dimensions"].append({"type": "FLAT", "volume": 1})
    back, losses = cdr_in(out, ("be", "xyz"), None)
    assert (back["country_code"], back["party_id"]) == ("be", "xyz")
    assert {"type": "FLAT", "volume": 1} not in back["charging_periods"][0]["dimensions"]
    assert fields(losses)["charging_periods[].dimensions"] is Lost.DROPPED
    assert back["total_cost"] == {"excl_vat": out["total_cost"]}


def test_translations_do_not_mutate_their_input() -> None:
    """Pure functions: what they are given stays as it was, both ways."""
    cdr = factories.plausible_cdr(tariffs=[factories.tariff()])
    before, location = copy.deepcopy(cdr), location_211()
    out = out_of(cdr, location)
    assert cdr == before and location == location_211()
    out_before = copy.deepcopy(out)
    cdr_in(out, CPO, None)
    assert out == out_before


# --- properties --------------------------------------------------------------------------------


def _coordinates(place: dict[str, Any]) -> dict[str, Any]:
    """Coordinates as numbers cut to 2.1.1's six decimals (a 7th is an APPROXIMATED loss)."""
    geo = {k: Decimal(v) for k, v in place["coordinates"].items() if k != "x_vendor"}
    six = Decimal("0.000001")
    return {**place, "coordinates": {k: v.quantize(six, ROUND_DOWN) for k, v in geo.items()}}


def kept_211(cdr: dict[str, Any]) -> dict[str, Any]:
    """What a 2.2.1 CDR is after 2.1.1 and back, the hub knowing its token."""
    owner = (cdr["country_code"], cdr["party_id"])
    kept = {k: copy.deepcopy(v) for k, v in cdr.items() if k not in (*ONLY_221, "credit")}
    kept["cdr_token"] = {k: v for k, v in kept["cdr_token"].items() if not k.startswith("x_")}
    kept["total_cost"] = {"excl_vat": cdr["total_cost"]["excl_vat"]}
    if kept.get("auth_method") == "COMMAND":
        kept["auth_method"] = "AUTH_REQUEST"
    kept["charging_periods"] = periods_211(kept["charging_periods"])
    if isinstance(kept.get("tariffs"), list):
        made = (tariff_out(tariff)[0] for tariff in kept["tariffs"])
        kept["tariffs"] = [tariff_in(t, owner)[0] for t in made if t is not None]
    place = {
        k: v
        for k, v in kept["cdr_location"].items()
        if k != "state" and (v is not None or k.startswith("x_"))  # extensions ride along
    }
    place.setdefault("postal_code", "")
    if place["connector_power_type"] in ("AC_2_PHASE", "AC_2_PHASE_SPLIT"):
        place["connector_power_type"] = "AC_1_PHASE"
    if place["connector_standard"] not in CONNECTOR_TYPES_211:
        dc = place["connector_power_type"] == "DC"
        place["connector_standard"] = "IEC_62196_T2_COMBO" if dc else "IEC_62196_T2"
    kept["cdr_location"] = _coordinates(place)
    return kept


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(strategies.cdrs())
def test_cdr_out_then_in_keeps_what_2_1_1_carries(cdr: dict[str, Any]) -> None:
    """Any 2.2.1 CDR out is a strict 2.1.1 one (None for credit CDRs and ids over 36), and in
    again (token known) equals it but for what the losses name."""
    out, losses = cdr_out(cdr, None)
    if out is None:
        assert cdr.get("credit") is True or len(cdr["id"]) > 36
        assert [x.lost for x in losses] == [Lost.DROPPED]
        return
    assert problems_211("CDR", out) == []
    owner = (cdr["country_code"], cdr["party_id"])
    back, _ = cdr_in(out, owner, stored_token(cdr["cdr_token"]))
    CDR.model_validate(back)
    back["cdr_location"] = _coordinates(back["cdr_location"])
    assert back == kept_211(cdr)
