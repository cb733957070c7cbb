"""OICP ChargeDetailRecord → OCPI CDR (dialects.oicp.cdr.ocpi_cdr; hub-dialects.md §5.4 "CDR"):
the hub as EMP gives our eMSP Hubject's CDR, enriched from the stored Location, priced, valid per
the hub's CDR model; every Loss of the table, and the round trip where it is lossless."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocpi_hub.core.price_check import price_findings
from ocpi_hub.dialects.losses import Direction, Lost
from ocpi_hub.dialects.oicp.cdr import oicp_cdr
from tests import factories
from tests.dialects.oicp.cdrs import (
    EVCO,
    LOCATION,
    NOW,
    SID,
    hubject_cdr,
    losses_of,
    our_cdr,
    to_ocpi,
)
from tests.dialects.oicp.strategies import evco_ids, session_ids, uids


def test_ocpi_cdr_of_hubjects_cdr() -> None:
    """UTC times, parking/charging/parking periods, totals, the stored Location's details, the
    SessionID as id, session_id and reference; unpriced: 0 EUR."""
    cdr, _ = to_ocpi(hubject_cdr())
    assert cdr == {
        "country_code": "NL",
        "party_id": "CPA",
        "id": SID,
        "start_date_time": "2024-03-01T10:00:00Z",
        "end_date_time": "2024-03-01T11:00:00Z",
        "session_id": SID,
        "cdr_token": {
            "country_code": "DE",
            "party_id": "EMA",
            "uid": "0123ABCD",
            "type": "RFID",
            "contract_id": "0123ABCD",
        },
        "auth_method": "AUTH_REQUEST",
        "authorization_reference": SID,
        "cdr_location": factories.cdr_location(evse_id="NL*CPA*EEVSE1"),
        "currency": "EUR",
        "charging_periods": [
            {
                "start_date_time": "2024-03-01T10:00:00Z",
                "dimensions": [{"type": "PARKING_TIME", "volume": 0.0833}],
            },
            {
                "start_date_time": "2024-03-01T10:05:00Z",
                "dimensions": [
                    {"type": "ENERGY", "volume": 11.5},
                    {"type": "TIME", "volume": 0.75},
                ],
            },
            {
                "start_date_time": "2024-03-01T10:50:00Z",
                "dimensions": [{"type": "PARKING_TIME", "volume": 0.1667}],
            },
        ],
        "total_cost": {"excl_vat": 0},
        "total_energy": 11.5,
        "total_time": 1,
        "total_parking_time": 0.25,
        "last_updated": NOW,
    }


def test_ocpi_cdr_says_what_it_made_up() -> None:
    """The price, the RFID card's contract, the auth_method and the periods are GUESSED or
    APPROXIMATED; nothing else is lost from this record."""
    _, losses = to_ocpi(hubject_cdr())
    in_ = Direction.IN
    assert losses_of(losses) == {
        ("total_cost", in_, Lost.GUESSED),
        ("cdr_token.contract_id", in_, Lost.GUESSED),
        ("auth_method", in_, Lost.GUESSED),
        ("charging_periods", in_, Lost.APPROXIMATED),
    }


def test_ocpi_cdr_priced_with_the_operators_tariff() -> None:
    """With the tariff: its currency, the tariff carried, total_cost and total_energy_cost as
    core.pricing computes them; the CDR checks find no price mismatch."""
    tariff = factories.tariff("TARIFF-AC", party_id="CPA")
    cdr, losses = to_ocpi(hubject_cdr(), tariff=tariff, currency="CHF")
    assert cdr["currency"] == "EUR"
    assert cdr["tariffs"] == [tariff]
    assert cdr["total_cost"] == cdr["total_energy_cost"] == {"excl_vat": 2.875, "incl_vat": 3.4788}
    assert all(p["tariff_id"] == "TARIFF-AC" for p in cdr["charging_periods"])
    assert price_findings(cdr, [tariff], LOCATION) == []
    why = {x.why for x in losses if x.field == "total_cost"}
    assert why == {"OICP's CDR carries no price: the hub priced it with the operator's tariff"}


def test_time_and_parking_are_priced_when_the_tariff_prices_them() -> None:
    """A tariff with FLAT, TIME and PARKING_TIME: their totals are stated too."""
    elements = [
        {
            "price_components": [
                {"type": "FLAT", "price": 1, "step_size": 1},
                {"type": "TIME", "price": 2, "step_size": 60},
                {"type": "PARKING_TIME", "price": 4, "step_size": 60},
            ]
        }
    ]
    tariff = factories.tariff("T-TIME", elements=elements)
    cdr, _ = to_ocpi(hubject_cdr(), tariff=tariff)
    assert cdr["total_fixed_cost"]["excl_vat"] == 1
    assert cdr["total_time_cost"]["excl_vat"] == 1.5  # 0.75 h x 2
    assert cdr["total_parking_cost"]["excl_vat"] == 1  # 0.25 h x 4
    assert cdr["total_cost"]["excl_vat"] == 3.5


def test_a_tariff_that_cannot_price_leaves_zero_and_says_why() -> None:
    """PricingError (here: a Location in an unknown time zone): 0 and the reason."""
    location = factories.location(party_id="CPA", time_zone="Mars/Olympus")
    cdr, losses = to_ocpi(hubject_cdr(), location=location, tariff=factories.tariff("TARIFF-AC"))
    assert cdr["total_cost"] == {"excl_vat": 0}
    (why,) = [x.why for x in losses if x.field == "total_cost"]
    assert "cannot price it" in why and "Mars/Olympus" in why


def test_our_token_makes_the_cdr_token_exact() -> None:
    """With our eMSP's stored Token: its party, uid, type and contract; nothing guessed."""
    token = factories.token("0123ABCD", contract_id="DE-EMA-C00000001")
    cdr, losses = to_ocpi(hubject_cdr(), token=token)
    assert cdr["cdr_token"] == {
        "country_code": "DE",
        "party_id": "EMA",
        "uid": "0123ABCD",
        "type": "RFID",
        "contract_id": "DE-EMA-C00000001",
    }
    assert "cdr_token.contract_id" not in {x.field for x in losses}


def test_a_remote_start_is_a_command_with_our_reference() -> None:
    """RemoteIdentification → COMMAND (not guessed); the EMPPartnerSessionID we sent is the
    eMSP's authorization_reference again."""
    record = hubject_cdr(
        Identification={"RemoteIdentification": {"EvcoID": EVCO}}, EMPPartnerSessionID="REF-1"
    )
    cdr, losses = to_ocpi(record)
    assert (cdr["auth_method"], cdr["authorization_reference"]) == ("COMMAND", "REF-1")
    assert (cdr["cdr_token"]["type"], cdr["cdr_token"]["contract_id"]) == ("APP_USER", EVCO)
    assert "auth_method" not in {x.field for x in losses}


def test_an_emp_partner_session_id_too_long_for_a_reference_is_not_used() -> None:
    """Longer than OCPI's 36 characters: Hubject's SessionID is the reference."""
    cdr, _ = to_ocpi(hubject_cdr(EMPPartnerSessionID="x" * 37))
    assert cdr["authorization_reference"] == SID


def test_charging_outside_the_session_is_clamped() -> None:
    """Charging times before the start or after the end are clamped, APPROXIMATED."""
    record = hubject_cdr(
        ChargingStart="2024-03-01T10:55:00+01:00", ChargingEnd="2024-03-01T12:10:00+01:00"
    )
    cdr, losses = to_ocpi(record)
    assert [p["dimensions"][0]["type"] for p in cdr["charging_periods"]] == ["ENERGY"]
    assert cdr["charging_periods"][0]["dimensions"][1] == {"type": "TIME", "volume": 1}
    assert ("charging outside the session: clamped") in {x.why for x in losses}


def test_times_without_offset_are_read_as_utc() -> None:
    """A time with no offset: UTC, a GUESSED Loss naming the field."""
    cdr, losses = to_ocpi(hubject_cdr(SessionStart="2024-03-01T10:00:00"))
    assert cdr["start_date_time"] == "2024-03-01T10:00:00Z"
    assert ("SessionStart", Direction.IN, Lost.GUESSED) in losses_of(losses)


def test_a_session_that_never_charged_is_parking_only() -> None:
    """No charge and no energy: one parking period over the whole session."""
    record = hubject_cdr(
        ChargingStart="2024-03-01T11:00:00+01:00",
        ChargingEnd="2024-03-01T11:00:00+01:00",
        ConsumedEnergy=0,
    )
    cdr, _ = to_ocpi(record)
    assert cdr["charging_periods"] == [
        {
            "start_date_time": "2024-03-01T10:00:00Z",
            "dimensions": [{"type": "PARKING_TIME", "volume": 1}],
        }
    ]


def test_an_empty_session_still_has_one_period() -> None:
    """Start = end and no energy: one ENERGY period of 0 (a CDR has at least one)."""
    moment = "2024-03-01T11:00:00+01:00"
    record = hubject_cdr(
        SessionEnd=moment, ChargingStart=moment, ChargingEnd=moment, ConsumedEnergy=0
    )
    cdr, _ = to_ocpi(record)
    assert [d["type"] for d in cdr["charging_periods"][0]["dimensions"]] == ["ENERGY", "TIME"]


def test_fields_without_ocpi_place_are_dropped_in_both_spellings() -> None:
    """Meter values, CPOPartnerSessionID, HubOperatorID and HubProviderID (or Id) DROPPED;
    a PartnerProductID without a tariff too."""
    record = hubject_cdr(
        MeterValueStart=1,
        MeterValueEnd=12.5,
        MeterValueInBetween={"meterValues": [5]},
        CPOPartnerSessionID="CPO-9",
        HubOperatorID="NL*HUB",
        HubProviderId="DE-HUB",
        PartnerProductID="AC1",
    )
    _, losses = to_ocpi(record)
    dropped = {x.field for x in losses if x.lost is Lost.DROPPED}
    assert dropped == {
        "MeterValueStart",
        "MeterValueEnd",
        "MeterValueInBetween",
        "CPOPartnerSessionID",
        "HubOperatorID",
        "HubProviderID",
        "tariffs",
    }
    _, listed = to_ocpi(hubject_cdr(MeterValueInBetween=[5, 6], HubProviderID="DE-HUB"))
    assert {"MeterValueInBetween", "HubProviderID"} <= {x.field for x in listed}


def test_several_connectors_name_the_first_and_say_so() -> None:
    """OICP names the EVSE: with two connectors and none given, the first, GUESSED."""
    location = factories.location(party_id="CPA")
    location["evses"][0]["connectors"].append(
        factories.connector("2", standard="IEC_62196_T2_COMBO", format="CABLE", power_type="DC")
    )
    cdr, losses = to_ocpi(hubject_cdr(), location=location)
    assert cdr["cdr_location"]["connector_id"] == "1"
    assert ("cdr_location.connector_id", Direction.IN, Lost.GUESSED) in losses_of(losses)
    chosen, _ = to_ocpi(hubject_cdr(), location=location, connector_id="2")
    assert chosen["cdr_location"]["connector_standard"] == "IEC_62196_T2_COMBO"


@pytest.mark.parametrize(
    ("record", "kw", "message"),
    [
        (hubject_cdr(SessionID=None), {}, "SessionID: missing"),
        (hubject_cdr(Identification={}), {}, "Identification"),
        (hubject_cdr(SessionEnd="yesterday"), {}, "SessionEnd: 'yesterday'"),
        (hubject_cdr(SessionEnd="2024-03-01T10:59:00+01:00"), {}, "before SessionStart"),
        (hubject_cdr(ConsumedEnergy="11.5"), {}, "ConsumedEnergy"),
        (hubject_cdr(ConsumedEnergy=-1), {}, "negative"),
        (hubject_cdr(), {"evse_uid": "EVSE9"}, "'EVSE9' is not an EVSE of Location 'LOC1'"),
        (hubject_cdr(), {"connector_id": "9"}, "'9' is not a connector of EVSE"),
    ],
)
def test_a_record_that_cannot_make_a_cdr_is_refused(
    record: dict[str, Any], kw: dict[str, Any], message: str
) -> None:
    """ValueError naming the field; nothing made up."""
    with pytest.raises(ValueError, match=message):
        to_ocpi(record, **kw)


# --- Round trip -------------------------------------------------------------------------------

identifications = (
    uids.map(lambda uid: {"RFIDMifareFamilyIdentification": {"UID": uid}})
    | evco_ids.map(lambda evco: {"RemoteIdentification": {"EvcoID": evco}})
    | evco_ids.map(lambda evco: {"PlugAndChargeIdentification": {"EvcoID": evco}})
)


@st.composite
def charged_records(draw: st.DrawFn) -> dict[str, Any]:
    """Hubject CDRs of sessions that charged (energy, or time charging), times in UTC to the
    second: the subset whose charging times OCPI's periods keep."""
    start = draw(st.datetimes(datetime(2020, 1, 1), datetime(2030, 1, 1))).replace(microsecond=0)
    before, charging, after = (draw(st.integers(0, limit)) for limit in (900, 8 * 3600, 7200))
    kwh = Decimal(draw(st.integers(0, 200_000))) / 1000
    if charging == 0 and kwh == 0:
        charging = 1
    moments = [start, start + timedelta(seconds=before)]
    moments += [moments[1] + timedelta(seconds=charging)]
    moments += [moments[2] + timedelta(seconds=after)]
    stamp = [m.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z") for m in moments]
    return {
        "SessionID": draw(session_ids),
        "EvseID": "NL*CPA*EEVSE1",
        "Identification": draw(identifications),
        "SessionStart": stamp[0],
        "ChargingStart": stamp[1],
        "ChargingEnd": stamp[2],
        "SessionEnd": stamp[3],
        "ConsumedEnergy": int(kwh) if kwh == kwh.to_integral_value() else float(kwh),
    }


@given(charged_records())
def test_hubjects_cdr_through_ocpi_and_back(record: dict[str, Any]) -> None:
    """OICP → OCPI CDR → OICP keeps SessionID, EvseID, Identification, the four times and the
    energy, for sessions that charged."""
    cdr, _ = to_ocpi(record)
    back, _ = oicp_cdr(cdr, "NL*CPA", record["SessionID"])
    assert back is not None
    kept = ("SessionID", "EvseID", "Identification", "SessionStart", "SessionEnd",
            "ChargingStart", "ChargingEnd", "ConsumedEnergy")  # fmt: skip
    assert {k: back[k] for k in kept} == {k: record[k] for k in kept}


def test_signed_meter_values_travel_in_the_cdr_both_ways() -> None:
    """signed_data → SignedMeteringValues and CalibrationLawVerificationInfo → signed_data
    (dialects.oicp.metering), inside the CDR translations."""
    signed = {
        "encoding_method": "OCMF",
        "public_key": "KEY",
        "signed_values": [
            {"nature": "Start", "plain_data": "", "signed_data": "s1"},
            {"nature": "End", "plain_data": "", "signed_data": "s2"},
        ],
    }
    record, _ = oicp_cdr(our_cdr(signed_data=signed), "NL*CPA", SID)
    assert record is not None
    assert record["SignedMeteringValues"] == [
        {"SignedMeteringValue": "s1", "MeteringStatus": "Start"},
        {"SignedMeteringValue": "s2", "MeteringStatus": "End"},
    ]
    cdr, _ = to_ocpi(hubject_cdr(**{k: record[k] for k in record if "Meter" in k or "Calib" in k}))
    assert cdr["signed_data"] == signed
