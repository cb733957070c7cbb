"""The Location's part of an OICP 2.3 EVSE data record, the hub as CPO: what every record of a
Location's EVSEs repeats (names, address, coordinates, opening times, energy, the operator's
mandatory fields). `evse_data` adds each EVSE's own; its docstring has the table and the choices.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ocpi_hub.core.types import parse_datetime
from ocpi_hub.dialects.losses import Direction, Loss, Lost
from ocpi_hub.dialects.oicp import evse_fields as fields

__all__ = ["geo", "info", "location_fields", "lose"]

_POOL_ID = re.compile(r"[A-Za-z]{2}\*?[A-Za-z0-9]{3}\*?P[A-Za-z0-9*]{1,30}")
_SIX = Decimal("0.000001")
_INFO_MAX, _STREET_MAX = 150, 100
# Location fields OICP has no place for.
_UNPLACED = ("owner", "publish_allowed_to", "related_locations", "facilities",
             "charging_when_closed")  # fmt: skip


def lose(losses: list[Loss], field: str, lost: Lost, example: object, why: str) -> None:
    """Note a Loss of the locations module, going out."""
    losses.append(Loss("locations", field, Direction.OUT, lost, str(example), why))


def location_fields(
    location: Mapping[str, Any], operator_name: str, hotline: str
) -> tuple[dict[str, Any], list[Loss]]:
    """The fields every EVSE data record of the Location shares, and what they lose (once)."""
    losses: list[Loss] = []
    country = str(location["country"]).upper()
    lang = fields.LANGUAGES.get(country, "en")
    shared: dict[str, Any] = {"ChargingStationId": str(location["id"])}
    if _POOL_ID.fullmatch(str(location["id"])):
        shared["ChargingPoolID"] = str(location["id"])
    name = location.get("name") or None
    if name is None:
        name = str(location["address"])
        lose(losses, "name", Lost.GUESSED, name, "OICP needs a name: the address")
    else:
        why = "OICP's names carry a language, OCPI's does not: the country's"
        lose(losses, "name", Lost.GUESSED, f"{lang} (from {country})", why)
    shared["ChargingStationNames"] = [{"lang": lang, "value": info(name, "name", losses)}]
    shared["Address"] = _address(location, country, losses)
    shared["GeoCoordinates"] = geo(location["coordinates"], "coordinates", losses)
    _parking(location.get("parking_type"), shared, losses)
    _opening(location.get("opening_times"), shared, losses)
    _energy(location.get("energy_mix"), shared, losses)
    operator = location.get("operator") or {}
    if operator.get("name") and operator["name"] != operator_name:
        why = "OICP names the operator once per push: the profile's"
        lose(losses, "operator.name", Lost.DROPPED, operator["name"], why)
    if location.get("suboperator"):
        shared["SubOperatorName"] = str(location["suboperator"]["name"])
    for part in ("operator", "suboperator"):
        for detail in ("website", "logo"):
            if (location.get(part) or {}).get(detail):
                why = "OICP has the operator's name only"
                lose(losses, f"{part}.{detail}", Lost.DROPPED, location[part][detail], why)
    if location.get("publish") is False:
        why = "Hubject shows a record to every EMP its operator has a contract with"
        lose(losses, "publish", Lost.DROPPED, "false", why)
    for name_ in _UNPLACED:
        if location.get(name_) not in (None, [], ""):
            lose(losses, name_, Lost.DROPPED, location[name_], "OICP has no place for it")
    shared.update(
        HotlinePhoneNumber=hotline,
        IsHubjectCompatible=True,
        DynamicInfoAvailable="auto",
        CalibrationLawDataAvailability="Not Available",
    )
    why = "OICP asks whether calibration law data is available; OCPI does not say"
    lose(losses, "evses[]", Lost.GUESSED, "CalibrationLawDataAvailability: Not Available", why)
    return shared, losses


def info(text: str, field: str, losses: list[Loss]) -> str:
    if len(text) > _INFO_MAX:
        lose(losses, field, Lost.APPROXIMATED, text, f"OICP's texts hold {_INFO_MAX} characters")
        return text[:_INFO_MAX]
    return text


def _address(location: Mapping[str, Any], country: str, losses: list[Loss]) -> dict[str, Any]:
    line = str(location["address"])
    split = fields.split_address(line, country)
    if split is None:
        street, number = " ".join(line.split()), ""
        why = "OICP's HouseNum is mandatory and the address has no house number: left empty"
        lose(losses, "address", Lost.GUESSED, line, why)
    else:
        street, number = split
    if len(street) > _STREET_MAX:
        why = f"OICP's Street holds {_STREET_MAX} characters"
        lose(losses, "address", Lost.APPROXIMATED, street, why)
        street = street[:_STREET_MAX]
    address: dict[str, Any] = {
        "Country": country,
        "City": str(location["city"]),
        "Street": street,
        "PostalCode": str(location.get("postal_code") or ""),
        "HouseNum": number,
    }
    if not location.get("postal_code"):
        why = "OICP's PostalCode is mandatory: left empty"
        lose(losses, "postal_code", Lost.GUESSED, "", why)
    if location.get("state"):
        address["Region"] = str(location["state"])
    at = parse_datetime(str(location["last_updated"]))
    zone, dst = fields.oicp_time_zone(str(location["time_zone"]), at)
    if zone is None:
        why = "not an IANA time zone this machine knows"
        lose(losses, "time_zone", Lost.DROPPED, location["time_zone"], why)
    else:
        address["TimeZone"] = zone
        if dst:
            why = "OICP's TimeZone is an offset: the standard one, daylight saving lost"
            lose(losses, "time_zone", Lost.APPROXIMATED, f"{location['time_zone']} → {zone}", why)
    return address


def _degrees(value: str, field: str, losses: list[Loss]) -> str:
    number = Decimal(value)
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= -6:
        return value
    lose(losses, field, Lost.APPROXIMATED, value, "OICP's decimal degrees have 6 decimals")
    return format(number.quantize(_SIX, ROUND_HALF_UP), "f")


def geo(point: Mapping[str, Any], field: str, losses: list[Loss]) -> dict[str, Any]:
    return {
        "DecimalDegree": {
            "Longitude": _degrees(str(point["longitude"]), f"{field}.longitude", losses),
            "Latitude": _degrees(str(point["latitude"]), f"{field}.latitude", losses),
        }
    }


def _parking(parking_type: str | None, shared: dict[str, Any], losses: list[Loss]) -> None:
    if parking_type is None:
        return
    place = fields.PARKING.get(parking_type)
    if place is None:
        why = "OICP's AccessibilityLocation has no such place"
        lose(losses, "parking_type", Lost.DROPPED, parking_type, why)
        return
    shared["AccessibilityLocation"] = place
    if parking_type == "ALONG_MOTORWAY":
        why = "OICP has no motorway: a service area's car park"
        lose(losses, "parking_type", Lost.APPROXIMATED, f"{parking_type} → {place}", why)


def _opening(hours: Mapping[str, Any] | None, shared: dict[str, Any], losses: list[Loss]) -> None:
    if hours is None:
        shared["IsOpen24Hours"] = True
        why = "OICP needs opening times: open around the clock"
        lose(losses, "opening_times", Lost.GUESSED, "IsOpen24Hours: true", why)
        return
    shared["IsOpen24Hours"] = bool(hours["twentyfourseven"])
    if not hours["twentyfourseven"]:
        shared["OpeningTimes"] = fields.opening_times(hours.get("regular_hours") or ())
    for kind in ("exceptional_openings", "exceptional_closings"):
        if hours.get(kind):
            why = "OICP has weekly opening times only"
            lose(losses, f"opening_times.{kind}", Lost.DROPPED, hours[kind], why)


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _energy(mix: Mapping[str, Any] | None, shared: dict[str, Any], losses: list[Loss]) -> None:
    if mix is None:
        shared["RenewableEnergy"] = False
        why = "OICP needs to know whether the energy is renewable: not said, so no"
        lose(losses, "energy_mix", Lost.GUESSED, "RenewableEnergy: false", why)
        return
    shared["RenewableEnergy"] = bool(mix["is_green_energy"])
    sources = []
    for source in mix.get("energy_sources") or ():
        energy = fields.ENERGY.get(source["source"])
        if energy is None:
            why = "OICP names each source: no general green or fossil energy"
            lose(losses, "energy_mix.energy_sources[].source", Lost.DROPPED, source, why)
            continue
        share = Decimal(str(source["percentage"]))
        percent = min(int(share.quantize(Decimal(1), ROUND_HALF_UP)), 99)
        if percent != share:
            why = "OICP's Percentage is a whole number up to 99"
            field = "energy_mix.energy_sources[].percentage"
            lose(losses, field, Lost.APPROXIMATED, f"{share} → {percent}", why)
        sources.append({"Energy": energy, "Percentage": percent})
    if sources:
        shared["EnergySource"] = sources
    impact = {}
    for entry in mix.get("environ_impact") or ():
        amount = Decimal(str(entry["amount"]))
        if amount > 99_999:
            why = "OICP's environmental impact holds 5 digits"
            lose(losses, "energy_mix.environ_impact[].amount", Lost.DROPPED, amount, why)
            continue
        impact[fields.IMPACT[entry["category"]]] = _number(amount)
    if impact:
        shared["EnvironmentalImpact"] = impact
    for name in ("supplier_name", "energy_product_name"):
        if mix.get(name):
            why = "OICP has no energy supplier or product"
            lose(losses, f"energy_mix.{name}", Lost.DROPPED, mix[name], why)
