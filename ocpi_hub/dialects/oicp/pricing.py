"""OCPI 2.2.1 Tariffs → OICP 2.3 dynamic pricing (hub-dialects.md §5.4 "Tariffs"; OICP 2.3 CPO
"eRoamingDynamicPricing": eRoamingPushPricingProductData_V1.0, eRoamingPushEVSEPricing_V1.0).
The hub as CPO: each Tariff of our CPO is one pricing product, each EVSE lists its products.

| OCPI Tariff                      | OICP PricingProductDataRecord    | lost                       |
|----------------------------------|----------------------------------|----------------------------|
| id                               | ProductID (`product_id`)         |                            |
| currency                         | ProductPriceCurrency             |                            |
| the base element's ENERGY or     | ReferenceUnit KILOWATT_HOUR or   | a 2nd dimension, other     |
| TIME price                       | HOUR, PricePerReferenceUnit      | elements' prices           |
| FLAT, with a base price / alone  | START FEE / FIXED FEE (base 0)   | a 2nd FLAT                 |
| PARKING_TIME price               | PARKING FEE per HOUR             | when parking is due        |
| min_price / max_price excl_vat   | MINIMUM FEE / MAXIMUM FEE        | incl_vat                   |
| base element's start_time,       | IsValid24hours,                  |                            |
| end_time, day_of_week            | ProductAvailabilityTimes         |                            |
| base element's max_power         | MaximumProductChargingPower      | approximated; none: 999    |
| price_components[].vat           | - (pushed without VAT)           | dropped                    |
| price_components[].step_size     | -                                | dropped                    |
| restrictions: dates, kWh,        | -                                | dropped                    |
| current, min_power, duration     |                                  |                            |
| reservation elements             | - (charging products only)       | dropped                    |
| element order                    | - (one price of each kind)       | dropped                    |
| type, tariff_alt_text/url,       | -                                | dropped                    |
| energy_mix, start/end_date_time  |                                  |                            |
| Connector.tariff_ids             | EVSEPricing EvseIDProductList    | per connector → EVSE       |

The base element (choice; OICP has one price per product): the first element with an ENERGY or
TIME component whose restrictions OICP can say (time of day, days); none such: the first with
ENERGY or TIME at all. Its ENERGY (else TIME) is the price; the rest of what it restricts is lost.
FLAT and PARKING_TIME are taken from the first element that has them; a fee from an element whose
restrictions are not the base element's applies, in OICP, whenever the product does (a Loss).
A component equal (type, price) to the one carried, in an element with the same restrictions or
after an unrestricted base, says nothing more: no Loss. Anything else is dropped with a Loss, and
then one more for the element order. A Tariff only of reservation elements, with a currency that
is no ISO code, or whose ProductID another Tariff already has, gives no record (a DROPPED Loss).

Choices where OICP is silent: a fee's AdditionalReferenceUnit is the record's ReferenceUnit
(PARKING FEE: HOUR, OCPI's unit). MaximumProductChargingPower without max_power is 999 kW, the
largest ChargingFacility Power OICP can state (3 digits), so the product fits every EVSE (a
GUESSED Loss). Periods are written as the AsciiDoc spec does (`Period`, `on`, §5.6), one
ProductAvailabilityTimes per day value and window; midnight is written `00:00` as OCPI writes
it, a window across midnight is split there, `00:00`-`00:00` is the whole day; days are grouped
as Everyday, Workdays, Weekend where they can be. An IsValid24hours product has no availability
times. The PricingDefault* (the price of an EVSE Hubject has no product for) are the first
record's price, currency and unit; with no record: 0, the first Tariff's currency (else EUR), per
KILOWATT_HOUR. Prices leave as JSON numbers made from the Decimal (int when whole, else the
float whose shortest repr is the Decimal: exact up to 15 digits), never computed in float.

EVSE pricing: each EVSE with an `evse_id` gets the ProductIDs of its connectors' tariff_ids, in
order, without repeats; connectors with different tariff_ids collapse into that union (a Loss).
An EVSE without an evse_id, or one that is no OICP EvseID, is dropped with a Loss; a PLANNED or
REMOVED EVSE is not on Hubject (see `status`) and an EVSE without tariffs has nothing to list:
both are left out, nothing lost. The same EVSE twice (`ids.same_evse`) is one entry. Hubject
wants at least one entry: an empty EVSEPricing is not to be pushed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from ocpi_hub.core.types import json_decimal
from ocpi_hub.dialects.losses import Direction, Loss, Lost
from ocpi_hub.dialects.oicp import ids, status
from ocpi_hub.dialects.oicp.pricing_times import availability

__all__ = ["MAX_POWER", "evse_pricing", "pricing_products", "product_id"]

_MODULE = "tariffs"
_OUT, PRODUCT_ID_LENGTH = Direction.OUT, 50
# MaximumProductChargingPower without max_power: the largest facility Power OICP states (kW).
MAX_POWER = Decimal(999)
_CURRENCY = re.compile(r"[A-Z]{3}")
_CHARGING = ("ENERGY", "TIME")
_UNIT = {"ENERGY": "KILOWATT_HOUR", "TIME": "HOUR"}
_SAID = ("start_time", "end_time", "day_of_week")  # the restrictions OICP can say
_UNSAID = (
    "start_date", "end_date", "min_kwh", "max_kwh", "min_current", "max_current", "min_power",
    "min_duration", "max_duration",
)  # fmt: skip
_TARIFF_ONLY = (
    "type", "tariff_alt_text", "tariff_alt_url", "energy_mix", "start_date_time", "end_date_time"
)  # fmt: skip
_COMPONENT = "elements[].price_components[]"
_RESTRICTION = "elements[].restrictions"
# What each lossy spot loses, and why: field → (lost, why).
_LOSSES: Mapping[str, tuple[Lost, str]] = {
    "id": (Lost.DROPPED, "no product: its ProductID is another tariff's or not one at all"),
    "currency": (Lost.DROPPED, "no product: OICP's currency is an ISO 4217 code"),
    "elements": (Lost.DROPPED, "OICP has no element order: one price per unit, whenever"),
    _COMPONENT: (Lost.DROPPED, "OICP's product has one reference unit and one price of each"),
    f"{_COMPONENT}.vat": (Lost.DROPPED, "OICP's prices are pushed without VAT"),
    f"{_COMPONENT}.step_size": (Lost.DROPPED, "OICP has no step size"),
    f"{_COMPONENT}.parking": (
        Lost.APPROXIMATED,
        "when parking is due is set in Hubject's portal, not in the product",
    ),
    _RESTRICTION: (Lost.DROPPED, "OICP's fees apply whenever their product does"),
    f"{_RESTRICTION}.reservation": (Lost.DROPPED, "OICP's products price charging only"),
    f"{_RESTRICTION}.max_power": (
        Lost.APPROXIMATED,
        "a condition of the element, sent as the product's maximum power",
    ),
    f"{_RESTRICTION}.max_power.none": (
        Lost.GUESSED,
        "OICP wants the product's maximum power: 999 kW, any EVSE",
    ),
    **{f"{_RESTRICTION}.{name}": (Lost.DROPPED, "OICP's product has no such condition")
       for name in _UNSAID},
    "min_price.incl_vat": (Lost.DROPPED, "OICP's prices are pushed without VAT"),
    "max_price.incl_vat": (Lost.DROPPED, "OICP's prices are pushed without VAT"),
    **{name: (Lost.DROPPED, "OICP's product has no place for it") for name in _TARIFF_ONLY},
    "evses[].evse_id": (Lost.DROPPED, "Hubject knows an EVSE by its OICP EvseID"),
    "evses[].connectors[].tariff_ids": (
        Lost.APPROXIMATED,
        "OICP prices an EVSE, not a connector: the EVSE lists all its connectors' products",
    ),
}  # fmt: skip


def _lose(losses: list[Loss], key: str, example: object) -> None:
    lost, why = _LOSSES[key]
    field = key.removesuffix(".none").removesuffix(".parking")
    module = "locations" if key.startswith("evses") else _MODULE
    losses.append(Loss(module, field, _OUT, lost, str(example), why))


def product_id(tariff: Mapping[str, Any]) -> str:
    """The ProductID a Tariff is pushed as: its id upper-cased (OCPI ids are case-insensitive,
    so a connector's `t1` names the product of tariff `T1`); one longer than ProductID's 50
    characters keeps its first 41 and 8 hex digits of its SHA-256 (stable). ValueError for no id."""
    return _product(tariff.get("id"))


def _product(tariff_id: object) -> str:
    if not isinstance(tariff_id, str) or not tariff_id.strip():
        raise ValueError(f"not a tariff id: {tariff_id!r}")
    upper = tariff_id.upper()
    if len(upper) <= PRODUCT_ID_LENGTH:
        return upper
    return f"{upper[:41]}~{hashlib.sha256(upper.encode()).hexdigest()[:8]}"


def _number(value: Decimal) -> int | float:
    """A JSON number of a Decimal (as the hub's models write theirs)."""
    return int(value) if value == value.to_integral_value() else float(value)


# --- Pricing products ---------------------------------------------------------------------------


def pricing_products(
    operator_id: str,
    operator_name: str,
    tariffs: Sequence[Mapping[str, Any]],
    provider_id: str = "*",
) -> tuple[dict[str, Any], list[Loss]]:
    """The eRoamingPushPricingProductData body (fullLoad) of our CPO's `tariffs` for the EMP
    `provider_id` (`*`: every EMP), one record per Tariff OICP can express (module docstring).
    ValueError for an OperatorID or ProviderID that is none, or a name over 100 characters."""
    ids.operator_party(operator_id)
    if len(operator_name) > 100:
        raise ValueError(f"OperatorName is at most 100 characters: {operator_name!r}")
    losses: list[Loss] = []
    records: list[dict[str, Any]] = []
    for tariff in tariffs:
        record = _record(tariff, {r["ProductID"] for r in records}, losses)
        if record is not None:
            records.append(record)
    if records:
        first = records[0]
        default = (first["PricePerReferenceUnit"], first["ProductPriceCurrency"])
        unit = first["ReferenceUnit"]
    else:
        currencies = [str(t.get("currency", "")).upper() for t in tariffs]
        default = (0, next((c for c in currencies if _CURRENCY.fullmatch(c)), "EUR"))
        unit = "KILOWATT_HOUR"
    data: dict[str, Any] = {"OperatorID": operator_id}
    if operator_name:
        data["OperatorName"] = operator_name
    data |= {
        "ProviderID": _provider(provider_id),
        "PricingDefaultPrice": default[0],
        "PricingDefaultPriceCurrency": default[1],
        "PricingDefaultReferenceUnit": unit,
        "PricingProductDataRecords": records,
    }
    return {"ActionType": "fullLoad", "PricingProductData": data}, losses


def _provider(provider_id: str) -> str:
    return provider_id if provider_id == "*" else ids.provider_id(ids.provider_party(provider_id))


def _restrictions(element: Mapping[str, Any]) -> dict[str, Any]:
    """An element's restrictions that are set (absent, null and empty lists are not)."""
    given = element.get("restrictions") or {}
    return {k: v for k, v in given.items() if v is not None and v != []}


def _record(
    tariff: Mapping[str, Any], taken: set[str], losses: list[Loss]
) -> dict[str, Any] | None:
    """The record of one Tariff, or None with the Loss saying why there is none."""
    tid = str(tariff.get("id"))
    try:
        pid = _product(tariff.get("id"))
    except ValueError:
        pid = ""
    if not pid or pid in taken:
        _lose(losses, "id", f"{tid} → {pid or '(none)'}")
        return None
    currency = str(tariff.get("currency", "")).upper()
    if not _CURRENCY.fullmatch(currency):
        _lose(losses, "currency", f"{tid}: {tariff.get('currency')}")
        return None
    elements = list(enumerate(tariff.get("elements") or []))
    for i, element in elements:
        if "reservation" in _restrictions(element):
            _lose(losses, f"{_RESTRICTION}.reservation", f"{tid} elements[{i}]")
    charging = [(i, e) for i, e in elements if "reservation" not in _restrictions(e)]
    if not charging:
        why = "no product: no element prices charging, OICP's products price nothing else"
        losses.append(Loss(_MODULE, "elements", _OUT, Lost.DROPPED, tid, why))
        return None
    made = _Product(tid, charging, losses)
    record: dict[str, Any] = {
        "ProductID": pid,
        "ReferenceUnit": made.unit,
        "ProductPriceCurrency": currency,
        "PricePerReferenceUnit": _number(made.price),
        "MaximumProductChargingPower": _number(made.max_power),
        "IsValid24hours": not made.times,
        "ProductAvailabilityTimes": made.times,
    }
    fees = made.fees + _limits(tariff, made.unit, losses)
    if fees:
        record["AdditionalReferences"] = fees
    for name in _TARIFF_ONLY:
        if tariff.get(name) not in (None, [], ""):
            _lose(losses, name, f"{tid}: {tariff[name]}")
    return record


def _limits(tariff: Mapping[str, Any], unit: str, losses: list[Loss]) -> list[dict[str, Any]]:
    """MINIMUM FEE and MAXIMUM FEE of min_price and max_price (excluding VAT)."""
    fees = []
    for name, reference in (("min_price", "MINIMUM FEE"), ("max_price", "MAXIMUM FEE")):
        price = tariff.get(name)
        if not price:
            continue
        fees.append(_fee(reference, unit, json_decimal(price["excl_vat"])))
        if price.get("incl_vat") is not None:
            _lose(losses, f"{name}.incl_vat", f"{tariff.get('id')}: {price['incl_vat']}")
    return fees


def _fee(reference: str, unit: str, price: Decimal) -> dict[str, Any]:
    return {
        "AdditionalReference": reference,
        "AdditionalReferenceUnit": unit,
        "PricePerAdditionalReferenceUnit": _number(price),
    }


class _Product:
    """What one Tariff's charging elements make: the base price and unit, the fees, the
    availability and the maximum power, noting each Loss as it goes."""

    def __init__(
        self, tid: str, elements: list[tuple[int, Mapping[str, Any]]], losses: list[Loss]
    ) -> None:
        self.tid, self.losses = tid, losses
        base_index, base = _base(elements)
        self.said = {k: v for k, v in _restrictions(base).items() if k in _SAID}
        self.times = availability(self.said)
        charge = next((c for c in base["price_components"] if c["type"] == "ENERGY"), None)
        charge = charge or next((c for c in base["price_components"] if c["type"] == "TIME"), None)
        self.charged = charge is not None
        self.unit = _UNIT[charge["type"]] if charge else "KILOWATT_HOUR"
        self.price = json_decimal(charge["price"]) if charge else Decimal(0)
        carried: dict[str, tuple[Mapping[str, Any], dict[str, Any]]] = {}
        if charge:
            carried["charge"] = (charge, self.said)
        self.fees: list[dict[str, Any]] = []
        dropped_elsewhere = False
        for i, element in elements:
            said = {k: v for k, v in _restrictions(element).items() if k in _SAID}
            for j, component in enumerate(element["price_components"]):
                where = f"{tid} elements[{i}].price_components[{j}]"
                kind = "charge" if component["type"] in _CHARGING else component["type"]
                if kind not in carried:
                    carried[kind] = (component, said)
                    self._fee(component, where)
                    if said != self.said:
                        _lose(losses, _RESTRICTION, f"{tid} elements[{i}]: {said or 'none'}")
                elif component is not carried[kind][0]:
                    first, first_said = carried[kind]
                    same = (component["type"], json_decimal(component["price"])) == (
                        first["type"],
                        json_decimal(first["price"]),
                    )
                    if not (same and (said == first_said or not first_said)):
                        _lose(losses, _COMPONENT, f"{where}: {component['type']} dropped")
                        dropped_elsewhere |= i != base_index
                        continue
                else:
                    self._step_and_vat(component, where)
        if dropped_elsewhere:
            _lose(losses, "elements", f"{tid}: the product is elements[{base_index}]")
        self.max_power = self._restricted(base_index, base)

    def _fee(self, component: Mapping[str, Any], where: str) -> None:
        """A FLAT or PARKING_TIME component as the product's fee."""
        price = json_decimal(component["price"])
        if component["type"] == "PARKING_TIME":
            self.fees.append(_fee("PARKING FEE", "HOUR", price))
            _lose(self.losses, f"{_COMPONENT}.parking", f"{where}: PARKING_TIME {price}")
        elif component["type"] == "FLAT":
            reference = "START FEE" if self.charged else "FIXED FEE"
            self.fees.append(_fee(reference, self.unit, price))
        self._step_and_vat(component, where)

    def _step_and_vat(self, component: Mapping[str, Any], where: str) -> None:
        if component["type"] != "FLAT" and int(component.get("step_size", 1)) > 1:
            _lose(self.losses, f"{_COMPONENT}.step_size", f"{where}: {component['step_size']}")
        if component.get("vat") is not None:
            _lose(self.losses, f"{_COMPONENT}.vat", f"{where}: {component['vat']} %")

    def _restricted(self, index: int, base: Mapping[str, Any]) -> Decimal:
        """Lose what the base element restricts that OICP cannot say; its maximum power."""
        restrictions = _restrictions(base)
        for name in _UNSAID:
            if name in restrictions:
                where = f"{self.tid} elements[{index}]: {restrictions[name]}"
                _lose(self.losses, f"{_RESTRICTION}.{name}", where)
        if "max_power" in restrictions:
            power = json_decimal(restrictions["max_power"])
            _lose(self.losses, f"{_RESTRICTION}.max_power", f"{self.tid}: {power} kW")
            return power
        _lose(self.losses, f"{_RESTRICTION}.max_power.none", f"{self.tid}: {MAX_POWER} kW")
        return MAX_POWER


def _base(elements: list[tuple[int, Mapping[str, Any]]]) -> tuple[int, Mapping[str, Any]]:
    """The element whose charging price is the product's (module docstring)."""
    charging = [
        (i, e) for i, e in elements if any(c["type"] in _CHARGING for c in e["price_components"])
    ]
    said = [(i, e) for i, e in charging if set(_restrictions(e)) <= set(_SAID)]
    return (said or charging or elements)[0]


# --- EVSE pricing -------------------------------------------------------------------------------


def evse_pricing(
    operator_id: str, locations: Sequence[Mapping[str, Any]], provider_id: str = "*"
) -> tuple[dict[str, Any], list[Loss]]:
    """The eRoamingPushEVSEPricing body (fullLoad) of our CPO's `locations` for the EMP
    `provider_id` (`*`: every EMP): per EVSE, the ProductIDs of its connectors' tariff_ids
    (module docstring). ValueError for an OperatorID or ProviderID that is none."""
    ids.operator_party(operator_id)
    provider = _provider(provider_id)
    losses: list[Loss] = []
    entries: dict[str, dict[str, Any]] = {}  # by ids.normal of the EvseID
    for location in locations:
        for evse in location.get("evses") or []:
            if status.oicp_status(str(evse.get("status")))[0] is None:
                continue  # PLANNED or REMOVED: not on Hubject
            per_connector = [
                [_product(t) for t in connector.get("tariff_ids") or []]
                for connector in evse.get("connectors") or []
            ]
            products = list(dict.fromkeys(p for found in per_connector for p in found))
            if not products:
                continue
            try:
                evse_id = ids.oicp_evse_id(str(evse.get("evse_id")))
            except ValueError:
                example = f"{location.get('id')} {evse.get('uid')}: {evse.get('evse_id')}"
                _lose(losses, "evses[].evse_id", example)
                continue
            entry = entries.setdefault(
                ids.normal(evse_id),
                {"EvseID": evse_id, "ProviderID": provider, "EvseIDProductList": []},
            )
            if entry["EvseIDProductList"] and entry["EvseIDProductList"] != products:
                per_connector.append(entry["EvseIDProductList"])
            entry["EvseIDProductList"] = list(
                dict.fromkeys([*entry["EvseIDProductList"], *products])
            )
            if any(found != per_connector[0] for found in per_connector):
                example = f"{evse_id}: " + " | ".join(",".join(f) or "-" for f in per_connector)
                _lose(losses, "evses[].connectors[].tariff_ids", example)
    return {"ActionType": "fullLoad", "EVSEPricing": list(entries.values())}, losses
