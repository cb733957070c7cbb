"""OCPI CDR → OICP ChargeDetailRecord (dialects.oicp.cdr.oicp_cdr; hub-dialects.md §5.4 "CDR"):
the hub as CPO sends our CPO's CDR to Hubject; every row of the table and its Losses."""

from __future__ import annotations

from typing import Any

import pytest

from ocpi_hub.dialects.losses import Direction, Lost
from ocpi_hub.dialects.oicp.cdr import oicp_cdr
from tests import factories
from tests.dialects.oicp.cdrs import EVCO, SID, losses_of, our_cdr


def test_oicp_cdr_of_our_cpos_cdr() -> None:
    """Session and charging times in the station's offset, energy, EVSE, identification, the
    CPO's session id and the tariff as product."""
    record, _ = oicp_cdr(our_cdr(), "NL*CPA", SID, time_zone="Europe/Amsterdam")
    assert record == {
        "SessionID": SID,
        "EvseID": "NL*CPA*EEVSE1",
        "Identification": {"RFIDMifareFamilyIdentification": {"UID": "0123ABCD"}},
        "SessionStart": "2024-03-01T11:00:00+01:00",
        "SessionEnd": "2024-03-01T12:00:00+01:00",
        "ChargingStart": "2024-03-01T11:00:00+01:00",
        "ChargingEnd": "2024-03-01T11:45:00+01:00",
        "ConsumedEnergy": 11.5,
        "CPOPartnerSessionID": "SESS1",
        "PartnerProductID": "TARIFF-AC",
    }


def test_oicp_cdr_says_what_oicp_cannot_carry() -> None:
    """Money, billing and the connector are DROPPED, the periods APPROXIMATED."""
    cdr = our_cdr(remark="late", invoice_reference_id="INV-1", meter_id="M1")
    _, losses = oicp_cdr(cdr, "NL*CPA", SID, time_zone="Europe/Amsterdam")
    out = Direction.OUT
    assert losses_of(losses) == {
        ("charging_periods", out, Lost.APPROXIMATED),
        ("cdr_location.connector_id", out, Lost.DROPPED),
        ("currency", out, Lost.DROPPED),
        ("total_cost", out, Lost.DROPPED),
        ("remark", out, Lost.DROPPED),
        ("invoice_reference_id", out, Lost.DROPPED),
        ("meter_id", out, Lost.DROPPED),
    }


def test_without_a_time_zone_the_times_are_utc_and_approximated() -> None:
    """No time zone: `Z` times and an APPROXIMATED Loss (OICP wants the station's offset)."""
    record, losses = oicp_cdr(our_cdr(), "NL*CPA", SID)
    assert (record["SessionStart"], record["ChargingEnd"]) == (
        "2024-03-01T10:00:00Z",
        "2024-03-01T10:45:00Z",
    )
    assert ("start_date_time", Direction.OUT, Lost.APPROXIMATED) in losses_of(losses)


def test_an_unknown_time_zone_is_refused() -> None:
    """ValueError naming it: the Location's time zone is an IANA name."""
    with pytest.raises(ValueError, match="Mars/Olympus"):
        oicp_cdr(our_cdr(), "NL*CPA", SID, time_zone="Mars/Olympus")


def test_charging_spans_the_periods_that_charged_in_any_order() -> None:
    """ChargingStart/End: from the first period with ENERGY or TIME to the end of the last
    one, whatever order the periods come in."""
    periods = [
        factories.charging_period(50, dimensions=[{"type": "PARKING_TIME", "volume": 0.1}]),
        factories.charging_period(20, dimensions=[{"type": "ENERGY", "volume": 4}]),
        factories.charging_period(0, dimensions=[{"type": "PARKING_TIME", "volume": 0.3}]),
        factories.charging_period(35, dimensions=[{"type": "TIME", "volume": 0.25}]),
    ]
    record, _ = oicp_cdr(our_cdr(charging_periods=periods), "NL*CPA", SID)
    assert (record["ChargingStart"], record["ChargingEnd"]) == (
        "2024-03-01T10:20:00Z",
        "2024-03-01T10:50:00Z",
    )


def test_a_session_that_never_charged_starts_and_ends_charging_at_its_start() -> None:
    """No period charged: ChargingStart = ChargingEnd = SessionStart."""
    parked = [factories.charging_period(0, dimensions=[{"type": "PARKING_TIME", "volume": 1}])]
    record, _ = oicp_cdr(our_cdr(charging_periods=parked, total_energy=0), "NL*CPA", SID)
    assert record["ChargingStart"] == record["ChargingEnd"] == "2024-03-01T10:00:00Z"
    assert record["ConsumedEnergy"] == 0


def test_energy_is_rounded_to_three_decimals() -> None:
    """ConsumedEnergy has 3 decimals: a 4th is APPROXIMATED."""
    record, losses = oicp_cdr(our_cdr(total_energy=11.5555), "NL*CPA", SID)
    assert record["ConsumedEnergy"] == 11.556
    assert ("total_energy", Direction.OUT, Lost.APPROXIMATED) in losses_of(losses)


def test_a_command_session_is_told_by_its_contract() -> None:
    """auth_method COMMAND → RemoteIdentification of the contract_id."""
    cdr = our_cdr(auth_method="COMMAND", cdr_token=factories.cdr_token(contract_id=EVCO))
    record, _ = oicp_cdr(cdr, "NL*CPA", SID)
    assert record["Identification"] == {"RemoteIdentification": {"EvcoID": EVCO}}


def test_an_app_user_is_told_as_plug_and_charge() -> None:
    """An APP_USER authorized otherwise: Plug&Charge, APPROXIMATED (`type`)."""
    token = factories.cdr_token(uid="APP-1", type="APP_USER", contract_id=EVCO)
    record, losses = oicp_cdr(our_cdr(cdr_token=token), "NL*CPA", SID)
    assert record["Identification"] == {"PlugAndChargeIdentification": {"EvcoID": EVCO}}
    assert ("type", Direction.OUT, Lost.APPROXIMATED) in losses_of(losses)


def test_a_credit_cdr_is_not_sent() -> None:
    """No OICP form: no record, a DROPPED Loss of `credit`."""
    record, losses = oicp_cdr(
        our_cdr(credit=True, credit_reference_id="CDR0"), "NL*CPA", SID, time_zone="Europe/Berlin"
    )
    assert record is None
    assert [(x.field, x.direction, x.lost, x.example) for x in losses] == [
        ("credit", Direction.OUT, Lost.DROPPED, "CDR1")
    ]


def test_a_sub_operators_evse_names_us_as_hub_operator() -> None:
    """The EvseID names another operator than the one we send as: HubOperatorID is ours."""
    record, _ = oicp_cdr(our_cdr(), "DE*HUB", SID)
    assert record["HubOperatorID"] == "DE*HUB"
    own, _ = oicp_cdr(our_cdr(), "NL*CPA", SID)
    assert "HubOperatorID" not in own


def test_one_product_of_several_tariffs() -> None:
    """PartnerProductID: the first tariff named (tariffs, then the periods' tariff_id); the
    others DROPPED."""
    cdr = our_cdr(tariffs=[factories.tariff("T1"), factories.tariff("T2")])
    record, losses = oicp_cdr(cdr, "NL*CPA", SID)
    assert record["PartnerProductID"] == "T1"
    assert ("tariffs", "T2, TARIFF-AC") in {(x.field, x.example) for x in losses}


def test_another_authorization_reference_is_dropped() -> None:
    """A reference that is not Hubject's SessionID has no place (DROPPED)."""
    _, losses = oicp_cdr(our_cdr(authorization_reference="REF-1"), "NL*CPA", SID)
    assert ("authorization_reference", Direction.OUT, Lost.DROPPED) in losses_of(losses)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"cdr_location": factories.cdr_location(evse_id="#NA")}, "EvseID"),
        ({"cdr_token": factories.cdr_token(uid="012345678")}, "hexadecimal"),
    ],
)
def test_a_cdr_without_oicp_form_is_refused(overrides: dict[str, Any], message: str) -> None:
    """An EVSE or a token OICP cannot name: ValueError."""
    with pytest.raises(ValueError, match=message):
        oicp_cdr(our_cdr(**overrides), "NL*CPA", SID)
