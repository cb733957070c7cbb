"""PRICE_MISMATCH (core.price_check, issue 9 §2): a CDR's total_cost against its tariff's price
of its charging periods, within OCPI_HUB_PRICE_TOLERANCE; what cannot be priced is no finding."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ocpi_hub.core.cdr_checks import Held, Limits, check_cdr
from ocpi_hub.core.findings import Code, Finding
from ocpi_hub.core.price_check import price_findings
from tests import factories

TARIFF = factories.tariff("TARIFF-AC", party_id="CPA")  # 0.25/kWh, 21 % VAT
LOCATION = factories.location(party_id="CPA")  # Europe/Amsterdam


def priced(cdr: dict[str, Any], **options: Any) -> list[Finding]:
    return price_findings(cdr, [TARIFF], LOCATION, **options)


def test_a_cdr_priced_as_its_tariff_says_within_the_cent_is_no_finding() -> None:
    """11.5 kWh x 0.25 = 2.875 (3.47875 incl. VAT), charged 2.88 / 3.48."""
    assert priced(factories.plausible_cdr()) == []


def test_a_wrong_priced_cdr_is_found_with_both_prices_and_the_difference() -> None:
    cdr = factories.plausible_cdr(total_cost={"excl_vat": 4.6, "incl_vat": 5.57})
    (finding,) = priced(cdr)
    assert finding.code is Code.PRICE_MISMATCH
    assert finding.evidence == {
        "tariff_id": "TARIFF-AC",
        "time_zone": "Europe/Amsterdam",
        "currency": "EUR",
        "charged": {"excl_vat": "4.6", "incl_vat": "5.57"},
        "expected": {"excl_vat": "2.8750", "incl_vat": "3.4788"},
        "difference": {"excl_vat": "1.7250", "incl_vat": "2.0912"},
        "tolerance": "0.01",
    }


def test_the_tolerance_is_a_setting_and_zero_asks_for_the_exact_price() -> None:
    cdr = factories.plausible_cdr()  # 0.005 and 0.00125 off the exact price
    assert [f.code for f in priced(cdr, tolerance=Decimal(0))] == [Code.PRICE_MISMATCH]
    exact = factories.plausible_cdr(total_cost={"excl_vat": 2.875, "incl_vat": 3.47875})
    assert priced(exact, tolerance=Decimal(0)) == []
    far = factories.plausible_cdr(total_cost={"excl_vat": 3.0, "incl_vat": 3.63})
    assert priced(far, tolerance=Decimal("0.2")) == []


def test_a_wrong_incl_vat_alone_is_found_and_an_absent_one_is_not_compared() -> None:
    wrong_vat = factories.plausible_cdr(total_cost={"excl_vat": 2.88, "incl_vat": 2.88})
    (finding,) = priced(wrong_vat)
    assert finding.evidence["difference"] == {"excl_vat": "0.0050", "incl_vat": "-0.5988"}
    no_vat = factories.plausible_cdr(total_cost={"excl_vat": 2.88})
    assert priced(no_vat) == []


def test_a_credit_cdr_costs_the_negative_of_its_periods() -> None:
    credit = {"id": "CDR1-C", "credit": True, "credit_reference_id": "CDR1"}
    negative = factories.plausible_cdr(**credit, total_cost={"excl_vat": -2.88, "incl_vat": -3.48})
    assert priced(negative) == []
    positive = factories.plausible_cdr(**credit)
    assert [f.code for f in priced(positive)] == [Code.PRICE_MISMATCH]


def test_restrictions_are_read_in_the_locations_time_zone() -> None:
    """An element from 11:00 local: the CDR's 10:00Z is 11:00 in Amsterdam (priced by it) but
    10:00 in UTC (not): the Location's time zone decides."""
    evening = {
        "price_components": [{"type": "ENERGY", "price": 0.5, "step_size": 1}],
        "restrictions": {"start_time": "11:00", "end_time": "23:00"},
    }
    tariff = {**TARIFF, "elements": [evening, *TARIFF["elements"]]}
    cdr = factories.plausible_cdr(total_cost={"excl_vat": 5.75})  # 11.5 x 0.5
    assert price_findings(cdr, [tariff], LOCATION) == []
    in_utc = {**LOCATION, "time_zone": "UTC"}
    (finding,) = price_findings(cdr, [tariff], in_utc)
    assert finding.evidence["expected"] == {"excl_vat": "2.8750"}


def test_what_cannot_be_priced_is_no_finding() -> None:
    """No tariff, two tariffs, another currency (CURRENCY_MISMATCH's), no Location held, a
    period naming another tariff: nothing to compare with."""
    wrong = factories.plausible_cdr(total_cost={"excl_vat": 99, "incl_vat": 99})
    other = factories.tariff("TARIFF-DC", party_id="CPA")
    assert price_findings(wrong, [], LOCATION) == []
    assert price_findings(wrong, [TARIFF, other], LOCATION) == []
    assert price_findings(wrong, [{**TARIFF, "currency": "CHF"}], LOCATION) == []
    assert price_findings(wrong, [TARIFF], None) == []
    periods = [{**p, "tariff_id": "TARIFF-DC"} for p in wrong["charging_periods"]]
    assert price_findings({**wrong, "charging_periods": periods}, [TARIFF], LOCATION) == []


def test_check_cdr_prices_against_the_held_tariff_with_the_limits_tolerance() -> None:
    held = Held(locations=(LOCATION,), tariffs={"TARIFF-AC": TARIFF})
    wrong = factories.plausible_cdr(total_cost={"excl_vat": 2.9, "incl_vat": 3.51})
    assert [f.code for f in check_cdr(wrong, held, Limits())] == [Code.PRICE_MISMATCH]
    assert check_cdr(wrong, held, Limits(price_tolerance=Decimal("0.05"))) == []
