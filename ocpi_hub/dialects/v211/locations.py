"""OCPI 2.2.1 Location / EVSE / Connector ⇄ OCPI 2.1.1 (ocpi-2.1.1-differences.md §3, §10.3).

| 2.2.1                        | 2.1.1                  | lost                                |
|------------------------------|------------------------|-------------------------------------|
| country_code, party_id       | - (URL, connection)    | in: filled from the owner           |
| publish, publish_allowed_to  | -                      | out: publish=false: nothing sent;   |
|                              |                        | in: publish=true guessed            |
| parking_type                 | type                   | out: ALONG_MOTORWAY, ON_DRIVEWAY -> |
|                              |                        | OTHER, none -> UNKNOWN; in: OTHER,  |
|                              |                        | UNKNOWN dropped                     |
| postal_code (?)              | postal_code (1)        | out: none -> ""                     |
| state                        | -                      | out: dropped                        |
| time_zone (1)                | time_zone (?)          | in: none: derived from country      |
| coordinates (5-7 decimals)   | coordinates (6)        | out: a 7th decimal                  |
| opening_times                | twentyfourseven or     | out: regular_hours beside           |
| (twentyfourseven always)     | regular_hours          | twentyfourseven=true; in: neither   |
| energy_mix.environ_impact[]. | ....source             |                                     |
| category                     |                        |                                     |
| facilities                   | facilities (16 values) | out: BIKE_SHARING, TRAM_STOP, ...   |
| id, evses[].uid (<=36)       | id, uid (<=39)         | in: >36 refused (2001)              |
| evses[].capabilities         | capabilities (6)       | out: the 7 newer values             |
| evses[] (no 2.1.1 connector) | -                      | out: the EVSE                       |
| connectors[].standard        | standard               | out: CHAOJI, GBT_*, NEMA_*, ...:    |
|                              |                        | the connector                       |
| connectors[].power_type      | power_type             | out: AC_2_PHASE(_SPLIT) ->          |
|                              |                        | AC_1_PHASE                          |
| connectors[].max_voltage,    | voltage, amperage      |                                     |
| max_amperage                 |                        |                                     |
| connectors[].                | -                      | out: dropped                        |
| max_electric_power           |                        |                                     |
| connectors[].tariff_ids      | tariff_id              | out: all but the first              |
| last_updated                 | last_updated           | in: a PATCH without it: received_at |

A body is the object at its level (a Location, an EVSE or a Connector) or a PATCH body at that
level; a PATCH translates the fields it holds, and whole values it holds (`evses`,
`connectors`, `opening_times`) as full objects. Loss fields are paths from the Location
whatever the level (`evses[].capabilities`), so one kind of loss counts as one. `None` out
means: send the 2.1.1 party nothing (an unpublished Location, an EVSE or Connector with no
connector 2.1.1 knows). Fields neither version defines (`x_*` extensions) go through as they
are, both ways. DateTimes go through as they are (the hub never changes `last_updated`).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from ocpi_hub.core.routing import PartyKey
from ocpi_hub.dialects.losses import Direction, Loss, Lost
from ocpi_hub.dialects.v211 import location_parts as parts
from ocpi_hub.dialects.v211.location_parts import shown
from ocpi_hub.errors import InvalidParameters

__all__ = ["Level", "level_of", "location_in", "location_out"]

JsonObject = dict[str, Any]


class Level(StrEnum):
    """Which object of the Locations module a body is (the URL's depth)."""

    LOCATION = "location"
    EVSE = "evse"
    CONNECTOR = "connector"


# §3.5: the 2.1.1 LocationType, from and to the 2.2.1 ParkingType.
LOCATION_TYPES_211 = frozenset(
    {"ON_STREET", "PARKING_GARAGE", "UNDERGROUND_GARAGE", "PARKING_LOT", "OTHER", "UNKNOWN"}
)
_SAME_PARKING = ("ON_STREET", "PARKING_GARAGE", "UNDERGROUND_GARAGE", "PARKING_LOT")
_TYPE_OUT: Mapping[str, str] = {
    **{name: name for name in _SAME_PARKING},
    "ALONG_MOTORWAY": "OTHER",
    "ON_DRIVEWAY": "OTHER",
}
_PARKING_IN: Mapping[str, str] = {name: name for name in _SAME_PARKING}
FACILITIES_211 = frozenset(
    {
        "HOTEL", "RESTAURANT", "CAFE", "MALL", "SUPERMARKET", "SPORT", "RECREATION_AREA",
        "NATURE", "MUSEUM", "BUS_STOP", "TAXI_STAND", "TRAIN_STATION", "AIRPORT",
        "CARPOOL_PARKING", "FUEL_STATION", "WIFI",
    }
)  # fmt: skip
# ISO 3166-1 alpha-3 countries (Europe) with one IANA zone for the whole country code: the
# time zone a 2.1.1 Location without one is given. Spain (Canary Islands) and Portugal (Azores)
# have a second zone, but nearly all their charging is on the mainland; the derivation is a
# guess (a GUESSED loss) either way. Overseas territories have their own country codes.
TIME_ZONES: Mapping[str, str] = {
    "ALB": "Europe/Tirane", "AND": "Europe/Andorra", "AUT": "Europe/Vienna",
    "BEL": "Europe/Brussels", "BGR": "Europe/Sofia", "BIH": "Europe/Sarajevo",
    "CHE": "Europe/Zurich", "CZE": "Europe/Prague", "DEU": "Europe/Berlin",
    "DNK": "Europe/Copenhagen", "ESP": "Europe/Madrid", "EST": "Europe/Tallinn",
    "FIN": "Europe/Helsinki", "FRA": "Europe/Paris", "GBR": "Europe/London",
    "GRC": "Europe/Athens", "HRV": "Europe/Zagreb", "HUN": "Europe/Budapest",
    "IRL": "Europe/Dublin", "ISL": "Atlantic/Reykjavik", "ITA": "Europe/Rome",
    "LIE": "Europe/Vaduz", "LTU": "Europe/Vilnius", "LUX": "Europe/Luxembourg",
    "LVA": "Europe/Riga", "MCO": "Europe/Monaco", "MDA": "Europe/Chisinau",
    "MKD": "Europe/Skopje", "MLT": "Europe/Malta", "MNE": "Europe/Podgorica",
    "NLD": "Europe/Amsterdam", "NOR": "Europe/Oslo", "POL": "Europe/Warsaw",
    "PRT": "Europe/Lisbon", "ROU": "Europe/Bucharest", "SMR": "Europe/San_Marino",
    "SRB": "Europe/Belgrade", "SVK": "Europe/Bratislava", "SVN": "Europe/Ljubljana",
    "SWE": "Europe/Stockholm", "VAT": "Europe/Vatican",
}  # fmt: skip

# Loss fields are paths from the Location, whatever the level of the body.
_AT: Mapping[Level, str] = {
    Level.LOCATION: "",
    Level.EVSE: "evses[].",
    Level.CONNECTOR: "evses[].connectors[].",
}


def level_of(obj: Mapping[str, Any]) -> Level:
    """Which object a full (PUT/GET) body is: "evses" or "address" -> LOCATION; "connectors" or
    "uid" -> EVSE; else CONNECTOR. (Same rule in both versions.)"""
    if "evses" in obj or "address" in obj:
        return Level.LOCATION
    if "connectors" in obj or "uid" in obj:
        return Level.EVSE
    return Level.CONNECTOR


def location_out(
    obj: Mapping[str, Any], level: Level, *, patch: bool = False
) -> tuple[dict[str, Any] | None, list[Loss]]:
    """2.2.1 Location / EVSE / Connector (or a PATCH body at that level) -> 2.1.1.
    None (with a DROPPED loss) for a Location with publish=false: not sent to 2.1.1 parties."""
    found = parts.Found(Direction.OUT)
    body: JsonObject = copy.deepcopy(dict(obj))
    if level is Level.LOCATION:
        made = _location_out(body, patch, found)
    elif level is Level.EVSE:
        made = parts.evse_out(body, _AT[level], patch, found)
    else:
        made = parts.connector_out(body, _AT[level], patch, found)
    return made, found.losses


def location_in(
    obj: Mapping[str, Any],
    level: Level,
    owner: PartyKey,
    *,
    patch: bool = False,
    received_at: str,
) -> tuple[dict[str, Any], list[Loss]]:
    """2.1.1 -> 2.2.1; the owner fills country_code/party_id of a full Location."""
    found = parts.Found(Direction.IN)
    body: JsonObject = copy.deepcopy(dict(obj))
    at = _AT[level]
    if level is Level.LOCATION:
        made = _location_in(body, owner, patch, found)
    elif level is Level.EVSE:
        made = parts.evse_in(body, at, patch, found)
    else:
        made = parts.connector_in(body, at, patch, found)
    if patch and made.get("last_updated") is None:
        # 2.2.1 requires last_updated in every PATCH; 2.1.1 does not (differences §1.5).
        made["last_updated"] = received_at
        found.add(f"{at}last_updated", Lost.GUESSED, received_at, "2.1.1 PATCH without it")
    return made, found.losses


def _location_out(body: JsonObject, patch: bool, found: parts.Found) -> JsonObject | None:
    if body.get("publish") is False:
        found.add("publish", Lost.DROPPED, shown(body.get("id", "")), "not public: not sent")
        return None
    # The owner travels in the URL; publish=true is what every 2.1.1 Location is: no loss.
    for name in ("country_code", "party_id", "publish"):
        body.pop(name, None)
    allowed = body.pop("publish_allowed_to", None)
    if allowed:
        found.add("publish_allowed_to", Lost.DROPPED, shown(allowed), "2.1.1 has no such field")
    if "parking_type" in body or not patch:
        body["type"] = _type_out(body.pop("parking_type", None), found)
    if ("postal_code" in body or not patch) and body.get("postal_code") is None:
        body["postal_code"] = ""
        found.add("postal_code", Lost.GUESSED, "", "required in 2.1.1; the Location has none")
    state = body.pop("state", None)
    if state is not None:
        found.add("state", Lost.DROPPED, shown(state), "2.1.1 has no state")
    parts.geo_out(body.get("coordinates"), "coordinates", found)
    for related in parts.dicts(body.get("related_locations")):
        parts.geo_out(related, "related_locations[]", found)
    if isinstance(body.get("opening_times"), dict):
        body["opening_times"] = parts.hours_out(body["opening_times"], found)
    parts.rename_impact(body, "category", "source")
    facilities = body.get("facilities")
    if isinstance(facilities, list):
        body["facilities"] = [f for f in facilities if f in FACILITIES_211]
        if lost := [f for f in facilities if f not in FACILITIES_211]:
            found.add("facilities", Lost.DROPPED, shown(lost), "not a 2.1.1 Facility")
    if isinstance(body.get("evses"), list):
        kept = (parts.evse_out(evse, _AT[Level.EVSE], False, found) for evse in body["evses"])
        body["evses"] = [evse for evse in kept if evse is not None]
    return body


def _type_out(parking: Any, found: parts.Found) -> str:
    if parking is None:
        found.add("parking_type", Lost.GUESSED, "UNKNOWN", "2.1.1 requires type; none given")
        return "UNKNOWN"
    made = _TYPE_OUT.get(parking, "OTHER")
    if made != parking:
        found.add("parking_type", Lost.APPROXIMATED, shown(parking), "not a 2.1.1 LocationType")
    return made


def _location_in(body: JsonObject, owner: PartyKey, patch: bool, found: parts.Found) -> JsonObject:
    parts.check_id(body, "id", "id")
    if not patch:
        # The owner (from the URL or the connection) wins over any value the body carries.
        rest = {k: v for k, v in body.items() if k not in ("country_code", "party_id")}
        body = {"country_code": owner[0], "party_id": owner[1], **rest}
        body["publish"] = True
        found.add("publish", Lost.GUESSED, "true", "2.1.1 Locations are public")
    if "type" in body:
        kind = body.pop("type")
        if kind in _PARKING_IN:
            body["parking_type"] = _PARKING_IN[kind]
        else:
            found.add("parking_type", Lost.DROPPED, shown(kind), "not a 2.2.1 ParkingType")
            if patch:  # clears an earlier parking_type: null is absent (core.patch)
                body["parking_type"] = None
    if "opening_times" in body and isinstance(body["opening_times"], dict):
        hours = parts.hours_in(body["opening_times"], found)
        if hours is None:
            del body["opening_times"]
        else:
            body["opening_times"] = hours
    parts.rename_impact(body, "source", "category")
    if isinstance(body.get("evses"), list):
        body["evses"] = [
            parts.evse_in(evse, _AT[Level.EVSE], False, found) if isinstance(evse, dict) else evse
            for evse in body["evses"]
        ]
    if not patch and body.get("time_zone") is None:  # last: an id refused says so first
        body["time_zone"] = _time_zone(body.get("country"), found)
    return body


def _time_zone(country: Any, found: parts.Found) -> str:
    zone = TIME_ZONES.get(country.upper()) if isinstance(country, str) else None
    if zone is None:
        raise InvalidParameters(
            f"time_zone: required by OCPI 2.2.1 and not derivable from country {country!r}"
        )
    found.add("time_zone", Lost.GUESSED, zone, f"2.1.1 Location without one; from {country}")
    return zone
