"""OCPI 2.2.1 CDR ⇄ OCPI 2.1.1 (ocpi-2.1.1-differences.md §7, §10.3 "CDR").

| 2.2.1                          | 2.1.1                        | lost                             |
|--------------------------------|------------------------------|----------------------------------|
| country_code, party_id         | - (the connection)           | in: the owner (CPO)              |
| id (CiString(39))              | id (string(36))              | out: over 36: nothing sent       |
| credit, credit_reference_id    | - (no corrections in 2.1.1)  | out: a credit CDR: nothing sent  |
| end_date_time                  | stop_date_time               |                                  |
| cdr_token                      | auth_id (its contract_id)    | as Session                       |
| cdr_location                   | location (a 2.1.1 Location,  | out: type, EVSE status, voltage, |
|                                | the used EVSE and connector) | amperage guessed unless given;   |
|                                |                              | state; in: the rest of the       |
|                                |                              | Location; evse_id: the uid       |
| total_cost (Price)             | total_cost (number, ex. VAT) | out: incl_vat                    |
| total_fixed/energy/time/       | -                            | out: dropped                     |
| parking/reservation_cost,      |                              |                                  |
| signed_data, session_id,       |                              |                                  |
| authorization_reference,       |                              |                                  |
| invoice_reference_id,          |                              |                                  |
| home_charging_compensation     |                              |                                  |
| tariffs[]                      | tariffs[]                    | as Tariff (`tariffs[].` paths)   |
| charging_periods               | charging_periods             | as Session (RESERVATION_TIME)    |
| auth_method COMMAND            | AUTH_REQUEST                 | out: approximated                |

Out, the 2.1.1 Location is `location_211` (the Locations translation of the stored Location)
cut to the used EVSE and connector (`sessions.embedded`), with what the CDR itself says of the
place laid over it: the CDR's CdrLocation is what was billed. Without `location_211`, or when it
lacks that EVSE, the Location is built from the CdrLocation (`session_parts.location_from`):
type UNKNOWN, EVSE status UNKNOWN, postal_code "" when none, and a connector of the CDR's
standard at 230 V / 16 A (AC) or 400 V / 125 A (DC), all GUESSED; a standard 2.1.1 lacks
becomes Type 2 (AC) or CCS (DC), APPROXIMATED. In, a 2.1.1 Location that names no EVSE or
connector cannot make a CdrLocation: 2001.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from ocpi_hub.core.routing import PartyKey
from ocpi_hub.dialects.losses import Direction, Loss, Lost
from ocpi_hub.dialects.v211 import session_parts as shared
from ocpi_hub.dialects.v211.session_parts import Found
from ocpi_hub.dialects.v211.sessions import auth_method_out, embedded, location_ids
from ocpi_hub.dialects.v211.tariffs import tariff_in, tariff_out
from ocpi_hub.errors import InvalidParameters

__all__ = ["cdr_in", "cdr_out"]

MODULE = "cdrs"
_MAX_ID_211 = 36
_ONLY_221 = {
    **{
        f"total_{part}_cost": "2.1.1 has the total cost only"
        for part in ("fixed", "energy", "time", "parking", "reservation")
    },
    "signed_data": "2.1.1 has no signed meter values",
    "session_id": "2.1.1 CDRs do not name their Session",
    "authorization_reference": "not in 2.1.1",
    "invoice_reference_id": "not in 2.1.1",
    "home_charging_compensation": "not in 2.1.1",
    "credit_reference_id": "2.1.1 has no credit CDRs",
}
# What the CDR says of the place, laid over the stored Location (2.1.1 names on the left).
_LOCATION_FROM_CDR = ("id", "name", "address", "city", "postal_code", "country", "coordinates")
_CONNECTOR_FROM_CDR = ("standard", "format", "power_type")
# The 2.1.1 Location's fields: any other (an extension) rides along on the CdrLocation.
_LOCATION_211_FIELDS = frozenset(
    {
        "id", "type", "name", "address", "city", "postal_code", "country", "coordinates",
        "related_locations", "evses", "directions", "operator", "suboperator", "owner",
        "facilities", "time_zone", "opening_times", "charging_when_closed", "images",
        "energy_mix", "last_updated",
    }
)  # fmt: skip


def cdr_out(
    obj: Mapping[str, Any], location_211: Mapping[str, Any] | None
) -> tuple[dict[str, Any] | None, list[Loss]]:
    """2.2.1 CDR -> 2.1.1; None (DROPPED) for a CDR 2.1.1 cannot carry: a credit CDR, an id
    over 36 characters. Both are for an operator to handle by hand."""
    found = Found(MODULE, Direction.OUT)
    if obj.get("credit") is True:
        found.add("credit", Lost.DROPPED, obj.get("id", ""), "2.1.1 has no credit CDRs: not sent")
        return None, found.losses
    if len(str(obj.get("id", ""))) > _MAX_ID_211:
        found.add("id", Lost.DROPPED, obj["id"], "over 36 characters, 2.1.1's limit: not sent")
        return None, found.losses
    body = {k: copy.deepcopy(v) for k, v in obj.items()}
    for name in ("country_code", "party_id", "credit"):  # the connection carries the owner
        body.pop(name, None)
    if "end_date_time" in body:
        body["stop_date_time"] = body.pop("end_date_time")
    if "cdr_token" in body:
        body["auth_id"] = shared.auth_id_out(body.pop("cdr_token"), found)
    if isinstance(body.get("cdr_location"), Mapping):
        place = body.pop("cdr_location")
        body["location"] = _location_out(place, location_211, obj.get("last_updated"), found)
    body["total_cost"] = shared.cost_out(body.get("total_cost"), "total_cost", found)
    for name, why in _ONLY_221.items():
        value = body.pop(name, None)
        if value is not None:
            found.add(name, Lost.DROPPED, value, why)
    if isinstance(body.get("tariffs"), list):
        body["tariffs"] = _tariffs_out(body["tariffs"], found)
    body["charging_periods"] = shared.periods_out(body.get("charging_periods"), found)
    body["auth_method"] = auth_method_out(body.get("auth_method"), found)
    return body, found.losses


def _location_out(
    place: Mapping[str, Any],
    location_211: Mapping[str, Any] | None,
    last_updated: Any,
    found: Found,
) -> dict[str, Any]:
    guesses = Found(MODULE, Direction.OUT)
    built = shared.location_from(place, last_updated, guesses)
    if location_211 is not None:
        try:
            stored = embedded(
                location_211, str(place.get("evse_uid")), str(place.get("connector_id"))
            )
        except LookupError:
            pass
        else:  # what the stored Location holds needs no guess; the CDR's own values win
            found.extend([loss for loss in guesses.losses if loss.lost is not Lost.GUESSED])
            for name in _LOCATION_FROM_CDR:
                if place.get(name) is not None:
                    stored[name] = built[name]
            evse, connector = stored["evses"][0], stored["evses"][0]["connectors"][0]
            if place.get("evse_id") is not None:
                evse["evse_id"] = place["evse_id"]
            for name in _CONNECTOR_FROM_CDR:
                connector[name] = built["evses"][0]["connectors"][0][name]
            stored.update((k, v) for k, v in place.items() if k not in shared.CDR_LOCATION_FIELDS)
            return stored
    found.extend(guesses.losses)
    return built


def _tariffs_out(tariffs: list[Any], found: Found) -> list[Any]:
    kept = []
    for tariff in tariffs:
        if not isinstance(tariff, Mapping):
            kept.append(tariff)
            continue
        made, losses = tariff_out(tariff)
        found.extend(losses, "tariffs[].")
        if made is not None:
            kept.append(made)
    return kept


def cdr_in(
    obj: Mapping[str, Any], owner: PartyKey, token: Mapping[str, Any] | None
) -> tuple[dict[str, Any], list[Loss]]:
    """2.1.1 CDR posted by CPO `owner` -> 2.2.1. `token`: the hub's stored 2.2.1 Token whose
    contract_id is the auth_id (None: guessed from an eMA-ID auth_id, else 2001)."""
    found = Found(MODULE, Direction.IN)
    rest = {k: copy.deepcopy(v) for k, v in obj.items() if k not in ("country_code", "party_id")}
    body: dict[str, Any] = {"country_code": owner[0], "party_id": owner[1], **rest}
    if "stop_date_time" in body:
        body["end_date_time"] = body.pop("stop_date_time")
    if "auth_id" in body:
        body["cdr_token"] = shared.cdr_token_in(body.pop("auth_id"), token, found)
    if "location" in body:
        body["cdr_location"] = _cdr_location(body.pop("location"), found)
    body["total_cost"] = shared.cost_in(body.get("total_cost"))
    if isinstance(body.get("tariffs"), list):
        body["tariffs"] = [
            tariff_in(tariff, owner)[0] if isinstance(tariff, Mapping) else tariff
            for tariff in body["tariffs"]
        ]
    body["charging_periods"] = shared.periods_in(body.get("charging_periods"), found)
    return body, found.losses


def _cdr_location(location: Any, found: Found) -> Any:
    if not isinstance(location, Mapping):
        return location  # not a Location: validation's business
    ids = location_ids(location, found)
    if "connector_id" not in ids:
        raise InvalidParameters("location.evses: a CDR's Location names the EVSE and connector")
    evse = next(e for e in location["evses"] if isinstance(e, Mapping))
    connector = next(c for c in evse["connectors"] if isinstance(c, Mapping))
    made = {name: location.get(name) for name in _LOCATION_FROM_CDR if name in location}
    made.update(evse_uid=ids["evse_uid"], connector_id=ids["connector_id"])
    made["evse_id"] = evse.get("evse_id")
    if made["evse_id"] is None:
        why = "2.2.1 requires evse_id; the 2.1.1 EVSE has none: its uid"
        found.add("cdr_location.evse_id", Lost.GUESSED, ids["evse_uid"], why)
        made["evse_id"] = ids["evse_uid"]
    for name in _CONNECTOR_FROM_CDR:
        made[f"connector_{name}"] = connector.get(name)
    made.update((k, v) for k, v in location.items() if k not in _LOCATION_211_FIELDS)
    return made
