"""OCPI Tariffs → OICP dynamic pricing (dialects.oicp.pricing; hub-dialects.md §5.4 "Tariffs"):
pricing products and EVSE pricing, validated against the schemas, with their Losses."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from ocpi_hub.core.modules.tariffs import Tariff
from ocpi_hub.core.types import json_decimal
from ocpi_hub.dialects.losses import Direction, Loss, Lost
from ocpi_hub.dialects.oicp.pricing import evse_pricing, pricing_products, product_id
from tests import factories
from tests.core.pricing_builders import element, energy, flat, parking, time
from tests.oicp.schemas import request_problems

OUT = Direction.OUT
OP = "NL*CPA"


def tariff(*elements: dict[str, Any], id: str = "T1", **fields: Any) -> dict[str, Any]:
    """A Tariff as the hub stores it, valid per its model."""
    body = factories.tariff(id, elements=list(elements), **fields)
    Tariff.model_validate(body)
    return body


def push(*tariffs: dict[str, Any]) -> tuple[dict[str, Any], list[Loss]]:
    body, losses = pricing_products(OP, "CPA Charging", list(tariffs))
    assert request_problems("eRoamingPushPricingProductData", body) == []
    return body, losses


def record(*tariffs: dict[str, Any]) -> dict[str, Any]:
    [found] = push(*tariffs)[0]["PricingProductData"]["PricingProductDataRecords"]
    return found


def kinds(losses: list[Loss]) -> set[tuple[str, Lost]]:
    return {(loss.field, loss.lost) for loss in losses}


def fees(found: dict[str, Any]) -> list[tuple[str, str, Any]]:
    return [
        (
            f["AdditionalReference"],
            f["AdditionalReferenceUnit"],
            f["PricePerAdditionalReferenceUnit"],
        )
        for f in found.get("AdditionalReferences", [])
    ]


def test_energy_tariff_is_a_kwh_product_valid_all_day() -> None:
    """One ENERGY component: KILOWATT_HOUR at its price, 24 h, 999 kW guessed; the default
    price is that product's."""
    body, losses = push(tariff(element(energy("0.25"))))
    data = body["PricingProductData"]
    assert body["ActionType"] == "fullLoad"
    assert data["PricingProductDataRecords"] == [
        {
            "ProductID": "T1",
            "ReferenceUnit": "KILOWATT_HOUR",
            "ProductPriceCurrency": "EUR",
            "PricePerReferenceUnit": 0.25,
            "MaximumProductChargingPower": 999,
            "IsValid24hours": True,
            "ProductAvailabilityTimes": [],
        }
    ]
    assert (data["PricingDefaultPrice"], data["PricingDefaultPriceCurrency"]) == (0.25, "EUR")
    assert data["PricingDefaultReferenceUnit"] == "KILOWATT_HOUR"
    assert kinds(losses) == {("elements[].restrictions.max_power", Lost.GUESSED)}


def test_product_id_is_the_id_upper_cased_and_fitted() -> None:
    """The id upper-cased (OCPI ids are case-insensitive); over 50 characters: stable, 50."""
    assert product_id({"id": "tariff-ac"}) == "TARIFF-AC"
    long = product_id({"id": "x" * 60})
    assert len(long) == 50 and long == product_id({"id": "X" * 60})


def test_flat_with_energy_is_a_start_fee_flat_alone_a_fixed_fee() -> None:
    """FLAT beside a price: START FEE; FLAT alone: FIXED FEE and a base price of 0."""
    assert fees(record(tariff(element(flat("0.50"), energy("0.25"))))) == [
        ("START FEE", "KILOWATT_HOUR", 0.5)
    ]
    alone = record(tariff(element(flat(2))))
    assert alone["PricePerReferenceUnit"] == 0
    assert fees(alone) == [("FIXED FEE", "KILOWATT_HOUR", 2)]


def test_time_parking_and_limits() -> None:
    """TIME per HOUR, PARKING_TIME a PARKING FEE per hour (approximated), min/max_price the
    MINIMUM/MAXIMUM FEE without VAT (incl_vat dropped)."""
    t = tariff(
        element(time("2.00"), parking("5.00")),
        min_price={"excl_vat": 1, "incl_vat": 1.2},
        max_price={"excl_vat": 10},
    )
    body, losses = push(t)
    [found] = body["PricingProductData"]["PricingProductDataRecords"]
    assert (found["ReferenceUnit"], found["PricePerReferenceUnit"]) == ("HOUR", 2)
    assert fees(found) == [
        ("PARKING FEE", "HOUR", 5),
        ("MINIMUM FEE", "HOUR", 1),
        ("MAXIMUM FEE", "HOUR", 10),
    ]
    assert ("elements[].price_components[]", Lost.APPROXIMATED) in kinds(losses)
    assert ("min_price.incl_vat", Lost.DROPPED) in kinds(losses)


def test_time_and_day_restrictions_are_availability_times() -> None:
    """Workdays 22:00-06:00: split at midnight, grouped as Workdays; not valid 24 h."""
    days = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"]
    found = record(
        tariff(element(energy(1), start_time="22:00", end_time="06:00", day_of_week=days))
    )
    assert found["IsValid24hours"] is False
    assert found["ProductAvailabilityTimes"] == [
        {"Period": {"begin": "00:00", "end": "06:00"}, "on": "Workdays"},
        {"Period": {"begin": "22:00", "end": "00:00"}, "on": "Workdays"},
    ]


def test_what_oicp_cannot_say_is_lost() -> None:
    """step_size, VAT, kWh restrictions, a second dimension, type and end_date_time: Losses;
    max_power becomes the product's maximum power (approximated)."""
    t = tariff(
        element(energy("0.30", vat=21, step=100), time(1), max_power=22, min_kwh=1),
        type="REGULAR",
        end_date_time="2030-01-01T00:00:00Z",
    )
    body, losses = push(t)
    [found] = body["PricingProductData"]["PricingProductDataRecords"]
    assert found["MaximumProductChargingPower"] == 22
    assert kinds(losses) == {
        ("elements[].price_components[].step_size", Lost.DROPPED),
        ("elements[].price_components[].vat", Lost.DROPPED),
        ("elements[].price_components[]", Lost.DROPPED),
        ("elements[].restrictions.min_kwh", Lost.DROPPED),
        ("elements[].restrictions.max_power", Lost.APPROXIMATED),
        ("type", Lost.DROPPED),
        ("end_date_time", Lost.DROPPED),
    }
    assert all(loss.direction == OUT and loss.module == "tariffs" for loss in losses)


def test_a_tariff_oicp_cannot_express_gives_no_record() -> None:
    """Only reservation elements, or a ProductID already taken: no record, a DROPPED Loss."""
    reserve = tariff(element(time(5), reservation="RESERVATION"), id="R")
    body, losses = push(reserve, tariff(element(energy(1))), tariff(element(energy(2)), id="t1"))
    records = body["PricingProductData"]["PricingProductDataRecords"]
    assert [r["ProductID"] for r in records] == ["T1"]
    assert {("elements", Lost.DROPPED), ("id", Lost.DROPPED)} <= kinds(losses)


def test_no_records_still_valid() -> None:
    """No tariff: an empty fullLoad, default 0 EUR per kWh."""
    data = push()[0]["PricingProductData"]
    assert (data["PricingDefaultPrice"], data["PricingProductDataRecords"]) == (0, [])


def test_complex_example() -> None:
    """mod_tariffs "Complex Tariff example": FLAT 2.50 a START FEE, the first TIME price 1.00/h
    (its max_current dropped), weekday parking 5.00/h a PARKING FEE whose days are lost, the
    other TIME and parking prices dropped, and the element order."""
    weekdays = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"]
    t = tariff(
        element(flat("2.50", vat=15)),
        element(time("1.00", vat=20, step=900), max_current=32),
        element(time("2.00", vat=20, step=600), min_current=32, day_of_week=weekdays),
        element(time("1.25", vat=20, step=600), min_current=32, day_of_week=["SATURDAY", "SUNDAY"]),
        element(
            parking("5.00", vat=10, step=300),
            start_time="09:00",
            end_time="18:00",
            day_of_week=weekdays,
        ),
        element(
            parking("6.00", vat=10, step=300),
            start_time="10:00",
            end_time="17:00",
            day_of_week=["SATURDAY"],
        ),
        type="REGULAR",
    )
    body, losses = push(t)
    [found] = body["PricingProductData"]["PricingProductDataRecords"]
    assert (found["ReferenceUnit"], found["PricePerReferenceUnit"]) == ("HOUR", 1)
    assert found["IsValid24hours"] is True
    assert fees(found) == [("START FEE", "HOUR", 2.5), ("PARKING FEE", "HOUR", 5)]
    dropped = [
        x.example
        for x in losses
        if x.field == "elements[].price_components[]" and x.lost == Lost.DROPPED
    ]
    assert len(dropped) == 3
    assert {
        ("elements", Lost.DROPPED),
        ("elements[].restrictions", Lost.DROPPED),
        ("elements[].restrictions.max_current", Lost.DROPPED),
        ("type", Lost.DROPPED),
    } <= kinds(losses)


def test_max_power_example_takes_the_unrestricted_price() -> None:
    """mod_tariffs max_power example: the power tiers cannot be said; the unrestricted 0.50/kWh
    is the product, the tiers dropped."""
    t = tariff(
        element(energy("0.20", vat=20), max_power=16),
        element(energy("0.35", vat=20), max_power=32),
        element(energy("0.50", vat=20)),
    )
    body, losses = push(t)
    assert (
        body["PricingProductData"]["PricingProductDataRecords"][0]["PricePerReferenceUnit"] == 0.5
    )
    assert len([x for x in losses if x.field == "elements[].price_components[]"]) == 2


def test_free_of_charge_example() -> None:
    """mod_tariffs "Free of Charge": a FIXED FEE of 0, base price 0."""
    found = record(tariff(element(flat(0, step=0))))
    assert (found["PricePerReferenceUnit"], fees(found)) == (0, [("FIXED FEE", "KILOWATT_HOUR", 0)])


@given(
    price=st.decimals(min_value=0, max_value=1000, places=4, allow_nan=False),
    kind=st.sampled_from(["ENERGY", "TIME"]),
    currency=st.sampled_from(["EUR", "CHF", "GBP", "SEK"]),
)
def test_one_component_keeps_price_and_currency(price: Decimal, kind: str, currency: str) -> None:
    """Property: one ENERGY or TIME component, no restrictions: price and currency exactly."""
    component = {"type": kind, "price": price, "step_size": 1}
    found = record(tariff({"price_components": [component]}, currency=currency))
    assert json_decimal(found["PricePerReferenceUnit"]) == price
    assert found["ProductPriceCurrency"] == currency
    assert found["ReferenceUnit"] == ("KILOWATT_HOUR" if kind == "ENERGY" else "HOUR")


def location(*evses: dict[str, Any]) -> dict[str, Any]:
    return {"id": "LOC1", "evses": list(evses)}


def evse(evse_id: str | None, *tariff_ids: list[str], status: str = "AVAILABLE") -> dict[str, Any]:
    connectors = [{"id": str(n), "tariff_ids": t} for n, t in enumerate(tariff_ids, 1)]
    return {"uid": evse_id or "X", "evse_id": evse_id, "status": status, "connectors": connectors}


def test_evse_pricing_lists_the_connectors_products() -> None:
    """Per EVSE the ProductIDs of its connectors; differing connectors collapse (a Loss); no
    evse_id dropped; PLANNED and tariff-less EVSEs left out."""
    body, losses = evse_pricing(
        OP,
        [
            location(
                evse("NL*CPA*E1", ["t1"], ["T1"]),
                evse("NL*CPA*E2", ["T1"], ["DC"]),
                evse(None, ["T1"]),
                evse("NL*CPA*E3", ["T1"], status="PLANNED"),
                evse("NL*CPA*E4", []),
            )
        ],
        provider_id="DE*8EO",
    )
    assert request_problems("eRoamingPushEVSEPricing", body) == []
    assert body["EVSEPricing"] == [
        {"EvseID": "NL*CPA*E1", "ProviderID": "DE-8EO", "EvseIDProductList": ["T1"]},
        {"EvseID": "NL*CPA*E2", "ProviderID": "DE-8EO", "EvseIDProductList": ["T1", "DC"]},
    ]
    assert kinds(losses) == {
        ("evses[].connectors[].tariff_ids", Lost.APPROXIMATED),
        ("evses[].evse_id", Lost.DROPPED),
    }
    assert {x.module for x in losses} == {"locations"}
