"""OICP 2.3 EVSE data and status pulls → OCPI 2.2.1 Locations, the hub as EMP (hub-dialects.md
§5.4 "EVSE data record", "EVSE status"; OICP 2.3 "eRoamingPullEvseData", "eRoamingPullEvseStatus").

| OICP PullEvseDataRecord             | OCPI                                | lost               |
|-------------------------------------|-------------------------------------|--------------------|
| OperatorID / OperatorId             | country_code, party_id              |                    |
| ChargingStationId (or ...ID), else  | id (a hash when it is no            | grouping; a hash   |
| ChargingPoolID, else EvseID         | CiString(36))                       | is approximated    |
| OperatorName, SubOperatorName       | operator.name, suboperator.name     |                    |
| ChargingStationNames                | name (the first)                    | other languages    |
| Address Street + HouseNum           | address (in the country's order)    |                    |
| Address City, PostalCode, Region,   | city, postal_code, state, country   | City, Region > 45  |
| Country                             |                                     |                    |
| Address TimeZone                    | time_zone (the country's zone, else | approximated or    |
|                                     | Etc/GMT-N, else UTC)                | guessed            |
| Address Floor                       | evses[].floor_level (4 characters)  |                    |
| GeoCoordinates (any format)         | coordinates; evses[].coordinates    |                    |
|                                     | when an EVSE stands elsewhere       |                    |
| AccessibilityLocation               | parking_type                        |                    |
| Accessibility "Restricted access"   | evses[].parking_restrictions        | guessed; paying,   |
|                                     | [CUSTOMERS]                         | test: dropped      |
| IsOpen24Hours, OpeningTimes         | opening_times                       | `24:00` is `23:59` |
| RenewableEnergy, EnergySource,      | energy_mix                          | `evse_fields`      |
| EnvironmentalImpact                 |                                     |                    |
| AdditionalInfo                      | directions                          |                    |
| EvseID                              | evses[].uid (CiString(36)), evse_id |                    |
| -                                   | evses[].status UNKNOWN              | (the status pull)  |
| AuthenticationModes, PaymentOptions,| evses[].capabilities                | `evse_fields`      |
| ValueAddedServices                  |                                     |                    |
| Plugs + ChargingFacilities          | evses[].connectors (ids 1, 2, ...)  | pairing guessed    |
| ChargingStationLocationReference    | evses[].physical_reference          |                    |
| ChargingStationImage                | evses[].images [CHARGER]            | category guessed   |
| lastUpdate                          | last_updated (else the pull's time) |                    |
| deltaType delete                    | (its EvseID, to delete)             |                    |
| HotlinePhoneNumber, IsHubjectCompatible, DynamicInfoAvailable,            | dropped            |
| CalibrationLawDataAvailability, HardwareManufacturer, MaxCapacity,        |                    |
| DynamicPowerLevel, GeoChargingPointEntrance, HubOperatorID,               |                    |
| ClearinghouseID, ChargingModes, Address ParkingFacility / ParkingSpot     |                    |

Choices: EVSEs are grouped into one Location by (operator, ChargingStationId), else by
(operator, ChargingPoolID), else each EVSE is a Location of its own; the Location takes the first
record's data (a delta pull carries only the EVSEs that changed: merging them into a stored
Location is the caller's work). An id that is not printable ASCII of at most 36 characters
becomes `H` and the first 35 hex digits of its SHA-256 (stable, APPROXIMATED). Plugs are
paired with ChargingFacilities by position (the last facility serving any plugs beyond),
GUESSED unless there is one of each. A facility without Voltage: 230 V AC, 400 V DC; without
Amperage: from the power (GUESSED).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from ocpi_hub.core.types import format_datetime
from ocpi_hub.dialects.losses import Loss, Lost
from ocpi_hub.dialects.oicp import evse_fields as fields
from ocpi_hub.dialects.oicp import ids
from ocpi_hub.dialects.oicp.evse_pull_evse import evse_of, lose, moment, ocpi_id, position
from ocpi_hub.dialects.oicp.status import ocpi_status

__all__ = [
    "evse_statuses",
    "locations",
    "pull_evse_data_request",
    "pull_evse_status_request",
]

_ID_MAX = 36
_PRINTABLE = re.compile(r"[ -~]+")
_DMS = re.compile(r"(-?)(\d+)°\s?(\d+)'\s?([\d.]+)''")
_LOCATION_KEYS = ("ChargingStationNames", "Address", "GeoCoordinates")


# --- Requests ----------------------------------------------------------------------------------


def pull_evse_data_request(provider_id: str, last_call: datetime | None) -> dict[str, Any]:
    """The eRoamingPullEvseData body: every EVSE in decimal degrees, or (with `last_call`) the
    changes since then (a delta pull, whose records carry a deltaType)."""
    body: dict[str, Any] = {
        "ProviderID": provider_id,
        "GeoCoordinatesResponseFormat": "DecimalDegree",
    }
    if last_call is not None:
        if last_call.tzinfo is None:
            last_call = last_call.replace(tzinfo=UTC)
        body["LastCall"] = format_datetime(last_call)
    return body


def pull_evse_status_request(provider_id: str) -> dict[str, Any]:
    """The eRoamingPullEvseStatus body: the status of every EVSE."""
    return {"ProviderID": provider_id}


# --- Statuses ----------------------------------------------------------------------------------


def evse_statuses(response: Mapping[str, Any]) -> tuple[dict[str, str], list[Loss]]:
    """{EvseID: OCPI status} of an eRoamingPullEvseStatus answer (or a status pull by id's),
    by `status.ocpi_status`; an EvseNotFound or unknown status gives no entry, a Loss."""
    records: list[Mapping[str, Any]] = []
    for block in (response.get("EvseStatuses") or {}).get("OperatorEvseStatus") or ():
        records += block.get("EvseStatusRecord") or ()
    records += (response.get("EVSEStatusRecords") or {}).get("EvseStatusRecord") or ()
    statuses: dict[str, str] = {}
    losses: list[Loss] = []
    for record in records:
        evse_id, value = str(record["EvseID"]), str(record["EvseStatus"])
        try:
            status, lost = ocpi_status(value)
        except ValueError:
            lose(
                losses, "evses[].status", Lost.DROPPED, f"{evse_id}: {value}", "not an OICP status"
            )
            continue
        losses += lost
        if status is None:
            why = "Hubject does not know the EVSE: no status to set"
            lose(losses, "evses[].status", Lost.DROPPED, f"{evse_id}: {value}", why)
            continue
        statuses[evse_id] = str(status)
    return statuses, losses


# --- Locations ---------------------------------------------------------------------------------


def locations(
    response: Mapping[str, Any], at: datetime
) -> tuple[list[dict[str, Any]], list[str], list[Loss]]:
    """(OCPI Locations, EvseIDs Hubject deleted, losses) of one eRoamingPullEvseData page;
    `at` is the time of the pull (the last_updated of a record without lastUpdate)."""
    deleted: list[str] = []
    losses: list[Loss] = []
    groups: dict[tuple[str, str, str], list[Mapping[str, Any]]] = {}
    for record in response.get("content") or ():
        evse_id = str(record["EvseID"])
        if record.get("deltaType") == "delete":
            deleted.append(evse_id)
            continue
        operator = str(record.get("OperatorID", record.get("OperatorId", "")))
        try:
            country_code, party_id = ids.operator_party(operator)
        except ValueError:
            why = "no OperatorID OCPI can name a party by"
            lose(losses, "country_code", Lost.DROPPED, f"{evse_id}: {operator}", why)
            continue
        station = record.get("ChargingStationId", record.get("ChargingStationID"))
        key = str(station or record.get("ChargingPoolID") or evse_id)
        groups.setdefault((country_code, party_id, key), []).append(record)
    found: list[dict[str, Any]] = []
    for (country_code, party_id, key), records in groups.items():
        location = _location(country_code, party_id, key, records, at, losses)
        if location is not None:
            found.append(location)
    return found, deleted, list(dict.fromkeys(losses))


def _location(
    country_code: str,
    party_id: str,
    key: str,
    records: list[Mapping[str, Any]],
    at: datetime,
    losses: list[Loss],
) -> dict[str, Any] | None:
    first = records[0]
    address = first["Address"]
    country = str(address["Country"]).upper()
    coordinates = position(first["GeoCoordinates"], "coordinates", losses)
    evses = [e for r in records if (e := evse_of(r, coordinates, at, losses)) is not None]
    if not evses:
        return None
    location: dict[str, Any] = {
        "country_code": country_code,
        "party_id": party_id,
        "id": ocpi_id(key, "id", losses),
        "publish": True,
        "address": fields.join_address(
            str(address["Street"]), str(address.get("HouseNum") or ""), country
        ),
        "city": _text(str(address["City"]), 45, "city", losses),
        "country": country,
        "coordinates": coordinates,
        "evses": evses,
        "time_zone": _time_zone(address.get("TimeZone"), country, at, losses),
        "operator": {"name": str(first["OperatorName"])},
        "last_updated": max(moment(r, at) for r in records),
    }
    if address.get("PostalCode"):
        location["postal_code"] = str(address["PostalCode"])
    if address.get("Region"):
        location["state"] = _text(str(address["Region"]), 45, "state", losses)
    names = first.get("ChargingStationNames") or ()
    if names:
        location["name"] = _text(str(names[0]["value"]), 255, "name", losses)
        if len(names) > 1:
            why = "OCPI's name has one language"
            lose(losses, "name", Lost.DROPPED, [n["value"] for n in names[1:]], why)
    if first.get("SubOperatorName"):
        location["suboperator"] = {"name": str(first["SubOperatorName"])}
    if first.get("AccessibilityLocation") in fields.PARKING_IN:
        location["parking_type"] = fields.PARKING_IN[first["AccessibilityLocation"]]
    _opening(first, location, losses)
    _energy(first, location, losses)
    directions = _display_texts(first.get("AdditionalInfo") or (), "directions", losses)
    if directions:
        location["directions"] = directions
    for other in records[1:]:
        for name in _LOCATION_KEYS:
            if _without_floor(other.get(name)) != _without_floor(first.get(name)):
                why = "the Location's EVSEs differ in it: the first EVSE's"
                lose(losses, name, Lost.APPROXIMATED, other["EvseID"], why)
    return location


def _without_floor(value: Any) -> Any:
    if isinstance(value, Mapping) and "Floor" in value:
        return {k: v for k, v in value.items() if k != "Floor"}
    return value


def _text(value: str, most: int, field: str, losses: list[Loss]) -> str:
    if len(value) > most:
        lose(losses, field, Lost.APPROXIMATED, value, f"OCPI's {field} holds {most} characters")
        return value[:most]
    return value


def _time_zone(offset: Any, country: str, at: datetime, losses: list[Loss]) -> str:
    if offset:
        zone, approximated = fields.etc_zone(str(offset), country, at)
        if zone is not None:
            if approximated:
                why = "OICP's TimeZone is an offset: a fixed zone, without daylight saving"
                lose(losses, "time_zone", Lost.APPROXIMATED, f"{offset} → {zone}", why)
            return zone
    zone = fields.ZONES.get(country, "UTC")
    why = "no time zone OCPI can name: the country's, else UTC"
    lose(losses, "time_zone", Lost.GUESSED, f"{offset or '(none)'} → {zone}", why)
    return zone


def _opening(record: Mapping[str, Any], location: dict[str, Any], losses: list[Loss]) -> None:
    if record.get("IsOpen24Hours") is True:
        location["opening_times"] = {"twentyfourseven": True}
        return
    hours, approximated = fields.regular_hours(record.get("OpeningTimes") or ())
    if approximated:
        why = "OCPI's times end at 23:59: 24:00 is not one"
        lose(losses, "opening_times.regular_hours", Lost.APPROXIMATED, "24:00 → 23:59", why)
    if hours:
        location["opening_times"] = {"twentyfourseven": False, "regular_hours": hours}
    else:
        why = "not open around the clock, and no opening times OCPI can read"
        lose(losses, "opening_times", Lost.DROPPED, record.get("OpeningTimes"), why)


def _energy(record: Mapping[str, Any], location: dict[str, Any], losses: list[Loss]) -> None:
    mix: dict[str, Any] = {"is_green_energy": bool(record.get("RenewableEnergy"))}
    sources = []
    for source in record.get("EnergySource") or ():
        name = fields.ENERGY_IN.get(str(source.get("Energy")))
        if name is None or "Percentage" not in source:
            lose(losses, "energy_mix.energy_sources", Lost.DROPPED, source, "incomplete")
            continue
        if name.startswith("GENERAL_"):
            why = "OCPI has no such source: the general one"
            field = "energy_mix.energy_sources[].source"
            lose(losses, field, Lost.APPROXIMATED, f"{source['Energy']} → {name}", why)
        sources.append({"source": name, "percentage": source["Percentage"]})
    if sources:
        mix["energy_sources"] = sources
    impact = record.get("EnvironmentalImpact") or {}
    impacts = [
        {"category": category, "amount": impact[oicp]}
        for category, oicp in fields.IMPACT.items()
        if impact.get(oicp) is not None
    ]
    if impacts:
        mix["environ_impact"] = impacts
    location["energy_mix"] = mix


def _display_texts(
    texts: Iterable[Mapping[str, Any]], field: str, losses: list[Loss]
) -> list[dict[str, str]]:
    found = []
    for text in texts:
        lang = str(text.get("lang", ""))
        if not re.fullmatch(r"[A-Za-z]{2}(-.*)?", lang):
            lose(losses, field, Lost.DROPPED, text, "OCPI's languages have two letters")
            continue
        found.append({"language": lang[:2].lower(), "text": str(text.get("value", ""))})
    return found
