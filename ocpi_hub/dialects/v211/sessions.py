"""OCPI 2.2.1 Session ⇄ OCPI 2.1.1 (ocpi-2.1.1-differences.md §6, §10.3 "Session").

| 2.2.1                          | 2.1.1                          | lost                           |
|--------------------------------|--------------------------------|--------------------------------|
| country_code, party_id         | - (the URL)                    | in: the owner (CPO)            |
| start_date_time, end_date_time | start_datetime, end_datetime   |                                |
| cdr_token                      | auth_id (its contract_id)      | out: uid, type; in: the stored |
|                                |                                | Token's, else guessed          |
| location_id, evse_uid,         | location (a 2.1.1 Location,    | out: no Location known: built  |
| connector_id                   | the used EVSE and connector)   | from the ids (guessed); in:    |
|                                |                                | EVSEs/connectors after the 1st |
| total_cost (Price)             | total_cost (number, excl. VAT) | out: incl_vat                  |
| status RESERVATION             | status PENDING                 | out: approximated              |
| auth_method COMMAND            | auth_method AUTH_REQUEST       | out: approximated              |
| authorization_reference        | -                              | out: dropped                   |
| charging_periods               | charging_periods               | session_parts: tariff_id, the  |
|                                |                                | dimension types of one side    |
| last_updated of a PATCH        | - (a 2.1.1 PATCH may omit it)  | in: received_at (guessed)      |

Out, `location_211` is the Session's Location as the edge has it in 2.1.1 (from the Locations
translation). `embedded` keeps its used EVSE and connector; when it is None, or lacks them, the
Location is built from the ids (`session_parts.location_from`: type, address, status and the
connector guessed; the Location's own fields kept when one was given), one GUESSED loss
`location_id`. `#NA` ids (a reservation) travel as they are. In, the rest of the embedded
Location is no loss: it is the Locations module's object, and the edge may refresh its copy.
A PATCH is translated field by field; `location` needs all three ids (else DROPPED); a PATCH's
`charging_periods` are translated as they stand (merging them is the edge's). DateTimes and
fields neither version defines (`x_*`) go through as they are.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from ocpi_hub.core.routing import PartyKey
from ocpi_hub.dialects.losses import Direction, Loss, Lost
from ocpi_hub.dialects.v211 import session_parts as shared
from ocpi_hub.dialects.v211.location_parts import check_id
from ocpi_hub.dialects.v211.session_parts import Found, auth_id_party

__all__ = [
    "AUTH_METHODS_211",
    "SESSION_STATUSES_211",
    "auth_id_party",
    "auth_method_out",
    "embedded",
    "session_in",
    "session_out",
]

MODULE = "sessions"
# §6: the 2.1.1 enums, and where the values 2.2.1 added go.
SESSION_STATUSES_211 = frozenset({"ACTIVE", "COMPLETED", "INVALID", "PENDING"})
AUTH_METHODS_211 = frozenset({"AUTH_REQUEST", "WHITELIST"})
_STATUS_OUT: Mapping[str, str] = {"RESERVATION": "PENDING"}  # not yet charging
# The eMSP started it by a command: of the two 2.1.1 values, authorised by the eMSP is closest.
_AUTH_METHOD_OUT: Mapping[str, str] = {"COMMAND": "AUTH_REQUEST"}
_DATETIMES = (("start_date_time", "start_datetime"), ("end_date_time", "end_datetime"))
_IDS = ("location_id", "evse_uid", "connector_id")


def embedded(location_211: Mapping[str, Any], evse_uid: str, connector_id: str) -> dict[str, Any]:
    """A copy of the 2.1.1 Location with only the EVSE `evse_uid` and its connector
    `connector_id` (ids compared case-insensitively, as 2.2.1 CiStrings): the Location a 2.1.1
    Session or CDR embeds. LookupError when the Location has no such EVSE or connector."""
    evse = _find(location_211.get("evses"), "uid", evse_uid)
    if evse is None:
        raise LookupError(f"evse_uid: no EVSE {evse_uid!r} in Location {location_211.get('id')!r}")
    connector = _find(evse.get("connectors"), "id", connector_id)
    if connector is None:
        raise LookupError(f"connector_id: no connector {connector_id!r} in EVSE {evse_uid!r}")
    body = {k: copy.deepcopy(v) for k, v in location_211.items() if k != "evses"}
    trimmed = {k: copy.deepcopy(v) for k, v in evse.items() if k != "connectors"}
    body["evses"] = [{**trimmed, "connectors": [copy.deepcopy(dict(connector))]}]
    return body


def _find(items: Any, key: str, wanted: str) -> Mapping[str, Any] | None:
    if not isinstance(items, list):
        return None
    for item in items:
        if isinstance(item, Mapping) and str(item.get(key, "")).upper() == wanted.upper():
            return item
    return None


def auth_method_out(value: Any, found: Found) -> Any:
    """A 2.2.1 AuthMethod as 2.1.1 has it: COMMAND -> AUTH_REQUEST (APPROXIMATED)."""
    if value in _AUTH_METHOD_OUT:
        found.add("auth_method", Lost.APPROXIMATED, value, "2.1.1 AuthMethod has no COMMAND")
        return _AUTH_METHOD_OUT[value]
    return value


def session_out(
    obj: Mapping[str, Any], location_211: Mapping[str, Any] | None, *, patch: bool = False
) -> tuple[dict[str, Any], list[Loss]]:
    """2.2.1 Session (or PATCH body) -> 2.1.1, with the Location the edge has for it."""
    found = Found(MODULE, Direction.OUT)
    body = {k: copy.deepcopy(v) for k, v in obj.items()}
    for name in ("country_code", "party_id"):  # the 2.1.1 URL carries them: no loss
        body.pop(name, None)
    for new, old in _DATETIMES:
        if new in body:
            body[old] = body.pop(new)
    if "cdr_token" in body:
        body["auth_id"] = shared.auth_id_out(body.pop("cdr_token"), found)
    ids = {name: body.pop(name) for name in _IDS if name in body}
    if len(ids) == len(_IDS):
        body["location"] = _location_out(ids, location_211, body.get("last_updated"), found)
    elif ids:  # a PATCH naming part of the place: 2.1.1 can only replace the whole Location
        found.add(next(iter(ids)), Lost.DROPPED, ids, "2.1.1 needs the whole Location")
    if "total_cost" in body:
        body["total_cost"] = shared.cost_out(body["total_cost"], "total_cost", found)
    if body.get("status") in _STATUS_OUT:
        found.add("status", Lost.APPROXIMATED, body["status"], "2.1.1 has no RESERVATION status")
        body["status"] = _STATUS_OUT[body["status"]]
    if "auth_method" in body:
        body["auth_method"] = auth_method_out(body["auth_method"], found)
    reference = body.pop("authorization_reference", None)
    if reference is not None:
        found.add("authorization_reference", Lost.DROPPED, reference, "not in 2.1.1")
    if "charging_periods" in body:
        body["charging_periods"] = shared.periods_out(body["charging_periods"], found)
    return body, found.losses


def _location_out(
    ids: Mapping[str, Any],
    location_211: Mapping[str, Any] | None,
    last_updated: Any,
    found: Found,
) -> dict[str, Any]:
    evse_uid, connector_id = str(ids["evse_uid"]), str(ids["connector_id"])
    if location_211 is not None:
        try:
            return embedded(location_211, evse_uid, connector_id)
        except LookupError:
            pass
    known = {"id": ids["location_id"], "evse_uid": evse_uid, "connector_id": connector_id}
    built = shared.location_from(known, last_updated, Found(MODULE, Direction.OUT))
    if location_211 is not None:  # the Location is known, its EVSE or connector not
        built = {**copy.deepcopy(dict(location_211)), "evses": built["evses"]}
    example = "/".join(map(str, ids.values()))
    why = "no 2.1.1 Location with this EVSE and connector: their details guessed"
    if location_211 is None:
        why = "no 2.1.1 Location given: type, address, EVSE and connector guessed"
    found.add("location_id", Lost.GUESSED, example, why)
    return built


def session_in(
    obj: Mapping[str, Any],
    owner: PartyKey,
    token: Mapping[str, Any] | None,
    *,
    patch: bool = False,
    received_at: str,
) -> tuple[dict[str, Any], list[Loss]]:
    """2.1.1 Session (or PATCH body) of CPO `owner` -> 2.2.1. `token`: the hub's stored 2.2.1
    Token whose contract_id is the auth_id (None: guessed from an eMA-ID auth_id, else 2001)."""
    found = Found(MODULE, Direction.IN)
    body = {k: copy.deepcopy(v) for k, v in obj.items()}
    if not patch:  # the owner (from the URL) wins over anything the body says
        body = {**dict(zip(("country_code", "party_id"), owner, strict=True)), **body}
        body["country_code"], body["party_id"] = owner
    for new, old in _DATETIMES:
        if old in body:
            body[new] = body.pop(old)
    if "auth_id" in body:
        body["cdr_token"] = shared.cdr_token_in(body.pop("auth_id"), token, found)
    if "location" in body:
        body.update(location_ids(body.pop("location"), found))
    if "total_cost" in body:
        body["total_cost"] = shared.cost_in(body["total_cost"])
    if "charging_periods" in body:
        body["charging_periods"] = shared.periods_in(body["charging_periods"], found)
    if patch and body.get("last_updated") is None:
        # 2.2.1 requires last_updated in every PATCH; 2.1.1 does not (differences §1.5).
        body["last_updated"] = received_at
        found.add("last_updated", Lost.GUESSED, received_at, "2.1.1 PATCH without it")
    return body, found.losses


def location_ids(location: Any, found: Found) -> dict[str, Any]:
    """location_id, evse_uid, connector_id of an embedded 2.1.1 Location: its first EVSE and
    that EVSE's first connector (GUESSED when there are more). 2001 for an id over 36."""
    if not isinstance(location, Mapping):
        return {"location_id": location}  # not a Location: validation's business
    check_id(dict(location), "id", "location.id")
    ids: dict[str, Any] = {"location_id": location.get("id")}
    evses = _objects(location.get("evses"))
    if evses:
        check_id(dict(evses[0]), "uid", "location.evses[].uid")
        ids["evse_uid"] = evses[0].get("uid")
        if len(evses) > 1:
            found.add("evse_uid", Lost.GUESSED, ids["evse_uid"], "several EVSEs: the first")
        connectors = _objects(evses[0].get("connectors"))
        if connectors:
            ids["connector_id"] = connectors[0].get("id")
            if len(connectors) > 1:
                why = "several connectors: the first"
                found.add("connector_id", Lost.GUESSED, ids["connector_id"], why)
    return ids


def _objects(value: Any) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []
