"""The checks of one CDR or completed Session (core.cdr_checks, issue 9 §2): implausible
physics, unknown Location/EVSE/Token compared in the CPO's dialect, a currency differing from
the tariff's, a second CDR for a Session, a credit CDR with an unknown reference."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ocpi_hub.core.cdr_checks import (
    Held,
    Limits,
    OtherCdr,
    check_cdr,
    check_session,
    evse_power_w,
)
from ocpi_hub.core.findings import CODES, Code, Finding, Severity, codes_table, parties_of
from ocpi_hub.dialects import ECLEARING, LENIENT, OCPI_221
from tests import factories

LIMITS = Limits()
README = Path(__file__).parents[2] / "README.md"


def location(**overrides: Any) -> dict[str, Any]:
    """NL*CPA's LOC1: EVSE1 (evse_id NL*CPA*EEVSE1), one 22.08 kW connector, TARIFF-AC."""
    return factories.location(party_id="CPA", **overrides)


a_cdr = factories.plausible_cdr
a_session = factories.completed_session


def held(**overrides: Any) -> Held:
    """The hub holding the CDR's Location, its tariff and its token."""
    base = Held(
        locations=(location(),),
        tariffs={"TARIFF-AC": factories.tariff("TARIFF-AC", party_id="CPA")},
        tokens=(factories.token("012345678"),),
        tokens_shared=True,
    )
    return replace(base, **overrides)


def unpriced() -> Held:
    """The hub holding no tariff to price by: the periods of tests that reshape them are not
    also a PRICE_MISMATCH (tested on its own below)."""
    return held(tariffs={})


def codes(findings: list[Finding]) -> list[Code]:
    return [f.code for f in findings]


def only(findings: list[Finding], code: Code) -> Finding:
    (found,) = [f for f in findings if f.code == code]
    return found


def test_a_plausible_cdr_and_session_have_no_findings() -> None:
    assert check_cdr(a_cdr(), held(), LIMITS) == []
    assert check_session(a_session(), held(), LIMITS) == []


def test_every_code_has_a_severity_and_a_meaning() -> None:
    """The codes table is complete: each code once, with severity and meaning."""
    assert set(CODES) == set(Code)
    assert all(info.meaning and isinstance(info.severity, Severity) for info in CODES.values())


def test_the_readme_lists_every_code_as_the_table_says() -> None:
    """README "Money" holds the codes table printed from the data: docs and code agree."""
    assert codes_table() in README.read_text()


def test_the_parties_of_a_finding_are_the_cpo_and_the_tokens_emsp() -> None:
    assert parties_of(a_cdr()) == [("NL", "CPA"), ("DE", "EMA")]


# ---- physics -------------------------------------------------------------------------------


def test_energy_above_the_evses_power_times_the_duration_is_found() -> None:
    """23 kWh in one hour at a 22.08 kW EVSE: more than it can deliver; 22.08 kWh is not."""
    findings = check_cdr(a_cdr(total_energy=23), held(), LIMITS)
    found = only(findings, Code.ENERGY_ABOVE_MAX_POWER)
    assert found.evidence == {
        "energy_kwh": "23",
        "max_power_kw": "22.08",
        "hours": "1",
        "max_energy_kwh": "22.08",
        "evse_uid": "EVSE1",
    }
    assert found.severity == Severity.HIGH
    assert check_cdr(a_cdr(total_energy=22.08), held(), LIMITS) == []


@pytest.mark.parametrize(
    ("power_type", "watts"),
    [("AC_1_PHASE", 3680), ("AC_2_PHASE", 7360), ("AC_3_PHASE", 11040), ("DC", 3680)],
)
def test_an_evses_power_without_max_electric_power_is_voltage_amperage_phases(
    power_type: str, watts: int
) -> None:
    """Voltage is line-to-neutral (§4.1): 230 V x 16 A x phases."""
    connector = factories.connector(
        max_electric_power=None, max_voltage=230, max_amperage=16, power_type=power_type
    )
    assert evse_power_w(factories.evse(connectors=[connector])) == watts


def test_the_strongest_connector_is_the_evses_power() -> None:
    connectors = [factories.connector("1"), factories.connector("2", max_electric_power=50000)]
    assert evse_power_w(factories.evse(connectors=connectors)) == 50000


def test_an_evse_whose_power_is_unknown_is_not_judged_on_energy() -> None:
    connector = factories.connector(max_electric_power=None, max_amperage=None)
    quiet = location(evses=[factories.evse(evse_id="NL*CPA*EEVSE1", connectors=[connector])])
    findings = check_cdr(a_cdr(total_energy=500), held(locations=(quiet,)), LIMITS)
    assert Code.ENERGY_ABOVE_MAX_POWER not in codes(findings)


def test_an_end_before_the_start_is_found_and_nothing_is_measured_on_it() -> None:
    cdr = a_cdr(
        end_date_time="2024-03-01T09:00:00Z", charging_periods=[factories.charging_period(0)]
    )
    findings = check_cdr(cdr, unpriced(), LIMITS)
    assert codes(findings) == [Code.END_BEFORE_START, Code.PERIOD_NEGATIVE_LENGTH]
    assert findings[0].evidence == {
        "start_date_time": "2024-03-01T10:00:00Z",
        "end_date_time": "2024-03-01T09:00:00Z",
    }


def test_a_charge_longer_than_the_limit_is_found() -> None:
    """OCPI_HUB_MAX_SESSION_HOURS: 48 hours is the limit itself; a second more is too long."""
    at_limit = a_cdr(end_date_time="2024-03-03T10:00:00Z")
    beyond = a_cdr(end_date_time="2024-03-03T10:00:01Z")
    assert Code.TOO_LONG not in codes(check_cdr(at_limit, held(), LIMITS))
    found = only(check_cdr(beyond, held(), LIMITS), Code.TOO_LONG)
    assert found.evidence["max_hours"] == "48"
    short = Limits(max_duration=timedelta(minutes=30))
    assert Code.TOO_LONG in codes(check_cdr(a_cdr(), held(), short))


def test_periods_out_of_order_are_found_by_index() -> None:
    periods = [factories.charging_period(m) for m in (0, 30, 15)]
    findings = check_cdr(a_cdr(charging_periods=periods), unpriced(), LIMITS)
    assert codes(findings) == [Code.PERIODS_OUT_OF_ORDER]
    assert findings[0].evidence == {
        "periods": [
            {
                "index": 2,
                "start_date_time": "2024-03-01T10:15:00Z",
                "previous_start_date_time": "2024-03-01T10:30:00Z",
            }
        ]
    }


def test_a_period_starting_after_the_end_has_a_negative_length() -> None:
    periods = [factories.charging_period(0), factories.charging_period(75)]
    findings = check_cdr(a_cdr(charging_periods=periods), unpriced(), LIMITS)
    assert codes(findings) == [Code.PERIOD_NEGATIVE_LENGTH]
    assert findings[0].evidence["index"] == 1


def test_zero_length_periods_are_found_between_periods_and_at_the_end() -> None:
    """A period ends where the next starts, the last one where the charge ends."""
    periods = [factories.charging_period(m) for m in (0, 20, 20, 60)]
    findings = check_cdr(a_cdr(charging_periods=periods), unpriced(), LIMITS)
    assert codes(findings) == [Code.PERIOD_ZERO_LENGTH]
    assert findings[0].evidence == {"periods": [1, 3]}
    assert findings[0].severity == Severity.LOW


# ---- places and token ----------------------------------------------------------------------


def test_an_unknown_location_is_found_and_its_evse_not_judged() -> None:
    findings = check_cdr(a_cdr(total_energy=500), held(locations=()), LIMITS)
    assert codes(findings) == [Code.UNKNOWN_LOCATION]
    assert findings[0].evidence == {"location_id": "LOC1"}


def test_an_unknown_evse_is_found_with_the_evses_the_location_holds() -> None:
    cdr = a_cdr(cdr_location=factories.cdr_location(evse_uid="EVSE9", evse_id="NL*CPA*E9"))
    findings = check_cdr(cdr, held(), LIMITS)
    assert codes(findings) == [Code.UNKNOWN_EVSE]
    assert findings[0].evidence == {
        "location_id": "LOC1",
        "evse_uid": "EVSE9",
        "evse_id": "NL*CPA*E9",
        "held": [{"uid": "EVSE1", "evse_id": "NL*CPA*EEVSE1"}],
    }


def test_an_evse_whose_evse_id_differs_is_unknown() -> None:
    cdr = a_cdr(cdr_location=factories.cdr_location(evse_id="NL*CPA*EOTHER"))
    assert codes(check_cdr(cdr, held(), LIMITS)) == [Code.UNKNOWN_EVSE]


def test_evse_ids_compare_as_the_cpos_dialect_compares_them() -> None:
    """e-clearing.net normalises EVSE ids (separators removed, upper case): NLCPAEEVSE1 is
    NL*CPA*EEVSE1 there, and not for the spec."""
    cdr = a_cdr(cdr_location=factories.cdr_location(evse_id="nl-cpa-eevse1"))
    assert check_cdr(cdr, held(speaks=(ECLEARING,)), LIMITS) == []
    assert codes(check_cdr(cdr, held(speaks=(OCPI_221,)), LIMITS)) == [Code.UNKNOWN_EVSE]


def test_ids_compare_as_the_cpos_dialect_compares_them() -> None:
    """e-clearing.net's ids are case-sensitive: its `loc1` is not the LOC1 the hub holds."""
    cdr = a_cdr(cdr_location=factories.cdr_location(id="loc1"))
    assert check_cdr(cdr, held(speaks=(OCPI_221,)), LIMITS) == []
    assert codes(check_cdr(cdr, held(speaks=(ECLEARING,)), LIMITS)) == [Code.UNKNOWN_LOCATION]


def test_a_cpo_reached_over_several_dialects_matches_when_any_of_them_does() -> None:
    """The hub does not record the route a CDR came by: an id any route's dialect matches is
    the held one."""
    cdr = a_cdr(cdr_location=factories.cdr_location(id="loc1", evse_id="NLCPAEEVSE1"))
    assert check_cdr(cdr, held(speaks=(ECLEARING, LENIENT)), LIMITS) == []


def test_a_reservation_never_used_names_no_evse_to_judge() -> None:
    cdr = a_cdr(cdr_location=factories.cdr_location(evse_uid="#NA", evse_id="#NA"))
    assert check_cdr(cdr, held(), LIMITS) == []


def test_an_unknown_token_is_found_only_where_its_emsp_shares_tokens() -> None:
    """Many eMSPs authorize in real time only: a token they never shared is no finding."""
    findings = check_cdr(a_cdr(), held(tokens=()), LIMITS)
    assert codes(findings) == [Code.UNKNOWN_TOKEN]
    assert findings[0].evidence == {
        "token": {"country_code": "DE", "party_id": "EMA", "uid": "012345678", "type": "RFID"}
    }
    assert check_cdr(a_cdr(), held(tokens=(), tokens_shared=False), LIMITS) == []


# ---- currency ------------------------------------------------------------------------------


def test_a_currency_differing_from_the_named_tariffs_is_found() -> None:
    usd = factories.tariff("TARIFF-AC", party_id="CPA", currency="USD")
    findings = check_cdr(a_cdr(), held(tariffs={"TARIFF-AC": usd}), LIMITS)
    assert codes(findings) == [Code.CURRENCY_MISMATCH]
    assert findings[0].evidence == {
        "currency": "EUR",
        "tariff_id": "TARIFF-AC",
        "tariff_currency": "USD",
    }
    assert findings[0].detail == "TARIFF-AC"


def test_a_tariff_the_cdr_carries_is_the_one_compared() -> None:
    carried = factories.tariff("TARIFF-AC", party_id="CPA", currency="CHF")
    findings = check_cdr(a_cdr(tariffs=[carried]), held(), LIMITS)
    assert [f.evidence["tariff_currency"] for f in findings] == ["CHF"]


def test_without_a_named_tariff_the_connectors_tariffs_are_compared() -> None:
    periods = [
        {k: v for k, v in p.items() if k != "tariff_id"} for p in a_cdr()["charging_periods"]
    ]
    usd = factories.tariff("TARIFF-AC", party_id="CPA", currency="USD")
    findings = check_cdr(a_cdr(charging_periods=periods), held(tariffs={"TARIFF-AC": usd}), LIMITS)
    assert codes(findings) == [Code.CURRENCY_MISMATCH]


# ---- other CDRs ----------------------------------------------------------------------------


def test_a_second_cdr_for_a_session_is_found_unless_credited() -> None:
    other = (OtherCdr("CDR0", "SESS1"),)
    findings = check_cdr(a_cdr(), held(same_session=other), LIMITS)
    assert codes(findings) == [Code.SECOND_CDR_FOR_SESSION]
    assert findings[0].evidence == {"session_id": "SESS1", "other_cdrs": ["CDR0"]}
    assert check_cdr(a_cdr(), held(same_session=other, credited=True), LIMITS) == []


def test_a_credit_cdr_with_an_unknown_reference_is_found() -> None:
    credit = a_cdr(
        id="CDR1-C",
        credit=True,
        credit_reference_id="CDR1",
        total_cost={"excl_vat": -2.88, "incl_vat": -3.48},
    )
    findings = check_cdr(credit, held(same_session=(OtherCdr("CDR1", "SESS1"),)), LIMITS)
    assert codes(findings) == [Code.UNKNOWN_CREDIT_REFERENCE]
    assert findings[0].evidence == {"credit_reference_id": "CDR1"}
    assert check_cdr(credit, held(credits=(a_cdr(),)), LIMITS) == []


# ---- Sessions ------------------------------------------------------------------------------


def test_a_completed_session_is_checked_on_what_applies_to_it() -> None:
    """Physics, places, token and currency; its EVSE by uid (a Session names no evse_id)."""
    session = a_session(kwh=30, location_id="LOC9", currency="USD")
    findings = check_session(session, held(tokens=()), LIMITS)
    assert codes(findings) == [Code.UNKNOWN_TOKEN, Code.UNKNOWN_LOCATION, Code.CURRENCY_MISMATCH]
    findings = check_session(a_session(kwh=30), held(), LIMITS)
    assert codes(findings) == [Code.ENERGY_ABOVE_MAX_POWER]
    assert only(findings, Code.ENERGY_ABOVE_MAX_POWER).evidence["energy_kwh"] == "30"


def test_a_session_without_an_end_is_not_judged_on_its_duration() -> None:
    session = a_session(kwh=Decimal("900"), end_date_time=None)
    assert check_session(session, held(), LIMITS) == []
