"""OCPI 2.2.1 Location → OICP 2.3 EVSE data and status records, the hub as CPO (hub-dialects.md
§5.4 "EVSE data record"; OICP 2.3 "eRoamingPushEvseData", "eRoamingPushEvseStatus").

OICP has no Location: one EvseDataRecord per EVSE carries the Location's data again. The value
tables (plugs, capabilities, energy, address split, time zone) are `evse_fields`'.

| OCPI                                 | OICP EvseDataRecord                | lost            |
|--------------------------------------|------------------------------------|-----------------|
| evses[].evse_id                      | EvseID                             | none: no record |
| evses[].status PLANNED               | (no record)                        | dropped         |
| evses[].status REMOVED               | (`removed_evse_ids`: deleted)      |                 |
| evses[].uid                          | -                                  | unless evse_id  |
| id                                   | ChargingStationId (ChargingPoolID  |                 |
|                                      | too when it is an eMI3 pool id)    |                 |
| name                                 | ChargingStationNames [{lang,value}]| lang guessed    |
| address                              | Address.Street + HouseNum          | no number: ""   |
| city, postal_code, state, country    | Address.City, PostalCode, Region,  | no postal code: |
|                                      | Country                            | "" (guessed)    |
| time_zone                            | Address.TimeZone                   | DST (approx.)   |
| evses[].floor_level                  | Address.Floor                      |                 |
| coordinates, evses[].coordinates     | GeoCoordinates.DecimalDegree       | a 7th decimal   |
| parking_type                         | AccessibilityLocation              | `evse_fields`   |
| evses[].parking_restrictions         | Accessibility                      | guessed         |
| opening_times                        | IsOpen24Hours, OpeningTimes        | exceptional     |
| energy_mix                           | RenewableEnergy, EnergySource,     | names, GENERAL_ |
|                                      | EnvironmentalImpact                | GREEN/FOSSIL    |
| operator.name, suboperator.name      | OperatorName (the profile's),      | website, logo   |
|                                      | SubOperatorName                    |                 |
| evses[].capabilities                 | AuthenticationModes, PaymentOptions| `evse_fields`   |
|                                      | ValueAddedServices                 |                 |
| evses[].connectors[]                 | Plugs + ChargingFacilities         | id, tariff_ids, |
|                                      |                                    | terms           |
| evses[].physical_reference           | ChargingStationLocationReference   |                 |
| evses[].directions, else directions  | AdditionalInfo                     | the Location's  |
| evses[].images, else images          | ChargingStationImage (one URL)     | the others      |
| last_updated (latest of the Location,| lastUpdate                         |                 |
| the EVSE and its connectors)         |                                    |                 |
| owner, publish, publish_allowed_to,  | -                                  | dropped         |
| related_locations, facilities,       |                                    |                 |
| charging_when_closed, status_schedule|                                    |                 |
| -                                    | HotlinePhoneNumber (the profile's),|                 |
|                                      | IsHubjectCompatible true,          |                 |
|                                      | DynamicInfoAvailable "auto"        |                 |
| -                                    | CalibrationLawDataAvailability     | guessed         |
|                                      | "Not Available"                    |                 |

Choices where OICP needs what OCPI lacks: ChargingStationId is the Location id (so a pull
groups the EVSEs back into their Location). The name's language is the country's (`LANGUAGES`,
else English), a GUESSED loss. Accessibility is "Free publicly accessible", or "Restricted
access" when the EVSE is for customers only (parking_restrictions CUSTOMERS): GUESSED either
way. No authentication mode: "REMOTE" (GUESSED: Hubject's remote start reaches the CPO as an
OCPI START_SESSION). PaymentOptions is always "Contract" (what roaming is), plus "Direct" for
a card-paying EVSE. No value-added service: "None". No opening_times: open around the clock
(GUESSED). No energy_mix: RenewableEnergy false (GUESSED). A Location that is not published is
still translated (with a DROPPED loss): whether to push it is the caller's decision.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ocpi_hub.core.types import format_datetime, parse_datetime
from ocpi_hub.dialects.losses import Loss, Lost
from ocpi_hub.dialects.oicp import evse_fields as fields
from ocpi_hub.dialects.oicp import ids
from ocpi_hub.dialects.oicp.evse_location import geo, info, location_fields, lose
from ocpi_hub.dialects.oicp.status import oicp_status

__all__ = [
    "OperatorProfile",
    "evse_data_push",
    "evse_records",
    "evse_status_push",
    "removed_evse_ids",
    "status_records",
]

_IMAGE_MAX = 200
_ACTIONS = ("fullLoad", "update", "insert", "delete")


@dataclass(frozen=True)
class OperatorProfile:
    """What OICP requires of an operator that an OCPI Location does not carry."""

    operator_id: str  # ISO form, e.g. "DE*ABC" (the CPO's OperatorID)
    operator_name: str  # used when the Location has no operator.name
    hotline: str  # HotlinePhoneNumber (mandatory in OICP), e.g. "+4930123456"


# --- EVSE data ---------------------------------------------------------------------------------


def evse_records(
    location: Mapping[str, Any], profile: OperatorProfile
) -> tuple[list[dict[str, Any]], list[Loss]]:
    """One EvseDataRecord per EVSE of the Location that has an OICP EvseID of our operator
    (`profile.operator_id`) and is neither PLANNED nor REMOVED; the others give a Loss."""
    return _records(location, profile, removed=False)


def removed_evse_records(
    location: Mapping[str, Any], profile: OperatorProfile
) -> tuple[list[dict[str, Any]], list[Loss]]:
    """The EvseDataRecords of the Location's REMOVED EVSEs, for an ActionType `delete` push
    (whose records are whole ones in the schema)."""
    return _records(location, profile, removed=True)


def removed_evse_ids(location: Mapping[str, Any]) -> list[str]:
    """The EvseIDs (OICP form) of the Location's REMOVED EVSEs, whose records are to be deleted;
    an EVSE without an OICP EvseID was never pushed and is not named."""
    removed = []
    for evse in location.get("evses") or ():
        if evse.get("status") == "REMOVED" and evse.get("evse_id"):
            try:
                removed.append(ids.oicp_evse_id(str(evse["evse_id"])))
            except ValueError:
                continue
    return removed


def _records(
    location: Mapping[str, Any], profile: OperatorProfile, *, removed: bool
) -> tuple[list[dict[str, Any]], list[Loss]]:
    ours = ids.operator_party(profile.operator_id)
    shared, shared_losses = location_fields(location, profile.operator_name, profile.hotline)
    records: list[dict[str, Any]] = []
    losses: list[Loss] = []
    for evse in location.get("evses") or ():
        status = evse.get("status")
        if (status == "REMOVED") != removed:
            continue
        if status == "PLANNED":
            losses += oicp_status(status)[1]
            continue
        evse_id = _our_evse_id(evse, ours, profile.operator_id, losses)
        if evse_id is not None:
            record = _record(location, evse, evse_id, shared, losses)
            if record is not None:
                records.append(record)
    return records, (shared_losses + losses if records else losses)


def _our_evse_id(
    evse: Mapping[str, Any], ours: tuple[str, str], operator_id: str, losses: list[Loss]
) -> str | None:
    evse_id = evse.get("evse_id")
    if not evse_id:
        why = "OICP names an EVSE by its EvseID: an EVSE without one is not published"
        lose(losses, "evses[].evse_id", Lost.DROPPED, evse.get("uid", ""), why)
        return None
    try:
        oicp_id = ids.oicp_evse_id(str(evse_id))
    except ValueError:
        why = "not an OICP EvseID (an eMI3 id with its E): not published"
        lose(losses, "evses[].evse_id", Lost.DROPPED, evse_id, why)
        return None
    if ids.evse_operator(oicp_id) != ours:
        why = f"names another operator than {operator_id}: not ours to publish"
        lose(losses, "evses[].evse_id", Lost.DROPPED, evse_id, why)
        return None
    return oicp_id


# --- One EVSE ----------------------------------------------------------------------------------

_PHASES = {"AC_3_PHASE": 3, "AC_2_PHASE": 2, "AC_2_PHASE_SPLIT": 2}
_PAYING = frozenset(
    name for name, (_, mode) in fields.CAPABILITIES.items() if mode == "Direct Payment"
)
_LANG = re.compile(r"[a-z]{2}")


def _record(
    location: Mapping[str, Any],
    evse: Mapping[str, Any],
    evse_id: str,
    shared: Mapping[str, Any],
    losses: list[Loss],
) -> dict[str, Any] | None:
    """The EvseDataRecord of one EVSE (None, with a Loss, when OICP can name no connector)."""
    mine: list[Loss] = []
    plugs, facilities = _connectors(evse["connectors"], mine)
    if not plugs:
        why = "OICP needs at least one plug it knows: the EVSE is not published"
        lose(losses, "evses[]", Lost.DROPPED, evse_id, why)
        losses += mine
        return None
    record: dict[str, Any] = {"EvseID": evse_id, **shared, "Plugs": plugs}
    record["ChargingFacilities"] = facilities
    record["Address"] = dict(shared["Address"])
    if evse.get("floor_level"):
        record["Address"]["Floor"] = str(evse["floor_level"])
    if evse.get("coordinates"):
        record["GeoCoordinates"] = geo(evse["coordinates"], "evses[].coordinates", mine)
    _capabilities(evse.get("capabilities") or (), record, mine)
    _accessibility(evse.get("parking_restrictions") or (), record, mine)
    lang = shared["ChargingStationNames"][0]["lang"]
    if evse.get("physical_reference"):
        reference = {"lang": lang, "value": str(evse["physical_reference"])}
        record["ChargingStationLocationReference"] = [reference]
    _directions(location, evse, record, mine)
    images = [*(evse.get("images") or ()), *(location.get("images") or ())]
    if images:
        record["ChargingStationImage"] = str(images[0]["url"])[:_IMAGE_MAX]
        if len(images) > 1 or len(str(images[0]["url"])) > _IMAGE_MAX:
            why = f"OICP has one image URL of up to {_IMAGE_MAX} characters"
            lose(mine, "evses[].images", Lost.DROPPED, [i["url"] for i in images[1:]], why)
    moments = [location["last_updated"], evse["last_updated"]]
    moments += [c["last_updated"] for c in evse["connectors"]]
    record["lastUpdate"] = format_datetime(max(parse_datetime(str(m)) for m in moments))
    if evse.get("uid") != evse.get("evse_id"):
        why = "OICP names an EVSE by its EvseID only"
        lose(mine, "evses[].uid", Lost.DROPPED, evse.get("uid"), why)
    if evse.get("status_schedule"):
        why = "OICP has no planned statuses"
        lose(mine, "evses[].status_schedule", Lost.DROPPED, evse["status_schedule"], why)
    losses += mine
    return record


def _connectors(
    connectors: Sequence[Mapping[str, Any]], losses: list[Loss]
) -> tuple[list[str], list[dict[str, Any]]]:
    """Plugs and ChargingFacilities, one of each per connector OICP can name, in order."""
    plugs: list[str] = []
    facilities: list[dict[str, Any]] = []
    for connector in connectors:
        plug, why = fields.plug_of(str(connector["standard"]), str(connector["format"]))
        example = f"{connector['standard']} {connector['format']}"
        if plug is None:
            lose(losses, "evses[].connectors[].standard", Lost.DROPPED, example, str(why))
            continue
        if why is not None:
            lose(losses, "evses[].connectors[].standard", Lost.APPROXIMATED, example, why)
        plugs.append(plug)
        facilities.append(_facility(connector, losses))
        if str(connector["id"]) != str(len(plugs)):
            why = "OICP has no connector ids: a pull numbers them 1, 2, ..."
            lose(losses, "evses[].connectors[].id", Lost.DROPPED, connector["id"], why)
        for name, why in (
            ("tariff_ids", "OICP prices an EVSE through EVSEPricing (the pricing translation)"),
            ("terms_and_conditions", "OICP has no terms per connector"),
        ):
            if connector.get(name):
                field = f"evses[].connectors[].{name}"
                lose(losses, field, Lost.DROPPED, connector[name], why)
    return plugs, facilities


def _facility(connector: Mapping[str, Any], losses: list[Loss]) -> dict[str, Any]:
    power_type = str(connector["power_type"])
    voltage, amperage = int(connector["max_voltage"]), int(connector["max_amperage"])
    facility: dict[str, Any] = {"PowerType": power_type}
    if power_type not in ("AC_1_PHASE", "AC_3_PHASE", "DC"):
        facility["PowerType"] = "AC_1_PHASE"
        why = "OICP has no two-phase power"
        field = "evses[].connectors[].power_type"
        lose(losses, field, Lost.APPROXIMATED, f"{power_type} → AC_1_PHASE", why)
    for name, key, value, most in (
        ("max_voltage", "Voltage", voltage, 999),
        ("max_amperage", "Amperage", amperage, 99),
    ):
        if value <= most:
            facility[key] = value
        else:
            why = f"OICP's {key} holds at most {most}"
            lose(losses, f"evses[].connectors[].{name}", Lost.DROPPED, value, why)
    watts = connector.get("max_electric_power")
    field = "evses[].connectors[].max_electric_power"
    if watts is None:
        watts = voltage * amperage * _PHASES.get(power_type, 1)
        why = "OICP's Power is mandatory: voltage x amperage x phases"
        lose(losses, field, Lost.GUESSED, watts, why)
    kilowatts = Decimal(int(watts)) / 1000
    power = min(int(kilowatts.quantize(Decimal(1), ROUND_HALF_UP)), 999)
    if power != kilowatts and connector.get("max_electric_power") is not None:
        why = "OICP's Power is whole kW up to 999"
        lose(losses, field, Lost.APPROXIMATED, f"{watts} W → {power} kW", why)
    facility["Power"] = power
    return facility


def _capabilities(capabilities: Sequence[str], record: dict[str, Any], losses: list[Loss]) -> None:
    chosen: dict[str, list[str]] = {"AuthenticationModes": [], "ValueAddedServices": []}
    for capability in capabilities:
        target = fields.CAPABILITIES.get(capability)
        if target is None:
            why = "OICP has no such authentication mode or service"
            lose(losses, "evses[].capabilities", Lost.DROPPED, capability, why)
            continue
        kind, value = target
        if value not in chosen[kind]:
            chosen[kind].append(value)
        if capability in _PAYING and capability != "CREDIT_CARD_PAYABLE":
            why = "OICP's Direct Payment does not tell which cards"
            lose(losses, "evses[].capabilities", Lost.APPROXIMATED, capability, why)
    if not chosen["AuthenticationModes"]:
        chosen["AuthenticationModes"] = ["REMOTE"]
        why = "OICP needs an authentication mode: Hubject's remote start"
        lose(losses, "evses[].capabilities", Lost.GUESSED, "REMOTE", why)
    paying = "Direct Payment" in chosen["AuthenticationModes"]
    record["AuthenticationModes"] = chosen["AuthenticationModes"]
    record["PaymentOptions"] = ["Contract", "Direct"] if paying else ["Contract"]
    record["ValueAddedServices"] = chosen["ValueAddedServices"] or ["None"]


def _accessibility(restrictions: Sequence[str], record: dict[str, Any], losses: list[Loss]) -> None:
    customers = "CUSTOMERS" in restrictions
    record["Accessibility"] = "Restricted access" if customers else "Free publicly accessible"
    why = "OICP's Accessibility is mandatory and OCPI has none: from the parking restrictions"
    lose(losses, "evses[].parking_restrictions", Lost.GUESSED, record["Accessibility"], why)
    for restriction in restrictions:
        if restriction != "CUSTOMERS":
            why = "OICP has no parking restrictions"
            lose(losses, "evses[].parking_restrictions", Lost.DROPPED, restriction, why)


def _directions(
    location: Mapping[str, Any], evse: Mapping[str, Any], record: dict[str, Any], losses: list[Loss]
) -> None:
    own, general = evse.get("directions") or [], location.get("directions") or []
    if own and general:
        why = "OICP has one set of directions per EVSE: the EVSE's"
        lose(losses, "directions", Lost.DROPPED, general, why)
    texts = []
    for text in own or general:
        lang = str(text["language"]).lower()
        if not _LANG.fullmatch(lang):
            why = "OICP's texts need an ISO 639-1 language"
            lose(losses, "directions[].language", Lost.DROPPED, text, why)
            continue
        texts.append({"lang": lang, "value": info(str(text["text"]), "directions", losses)})
    if texts:
        record["AdditionalInfo"] = texts


# --- Status, and the push bodies ---------------------------------------------------------------


def status_records(location: Mapping[str, Any]) -> tuple[list[dict[str, Any]], list[Loss]]:
    """An EvseStatusRecord {EvseID, EvseStatus} per EVSE with an OICP EvseID, the status by
    `status.oicp_status`; PLANNED and REMOVED EVSEs give none."""
    records: list[dict[str, Any]] = []
    losses: list[Loss] = []
    for evse in location.get("evses") or ():
        value, lost = oicp_status(str(evse["status"]))
        losses += lost
        if value is None:
            continue
        evse_id = evse.get("evse_id")
        try:
            oicp_id = ids.oicp_evse_id(str(evse_id)) if evse_id else None
        except ValueError:
            oicp_id = None
        if oicp_id is None:
            why = "OICP names an EVSE by its EvseID: no status without one"
            lose(losses, "evses[].evse_id", Lost.DROPPED, evse_id or evse.get("uid"), why)
            continue
        records.append({"EvseID": oicp_id, "EvseStatus": str(value)})
    return records, losses


def _action(action: str) -> str:
    if action not in _ACTIONS:
        raise ValueError(f"not an OICP ActionType: {action!r} (one of {', '.join(_ACTIONS)})")
    return action


def _push(
    action: str,
    profile: OperatorProfile,
    block: str,
    name: str,
    records: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    return {
        "ActionType": _action(action),
        block: {
            "OperatorID": profile.operator_id,
            "OperatorName": profile.operator_name,
            name: [dict(record) for record in records],
        },
    }


def evse_data_push(
    action: str, profile: OperatorProfile, records: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The eRoamingPushEvseData request body; `action` is fullLoad, update, insert or delete."""
    return _push(action, profile, "OperatorEvseData", "EvseDataRecord", records)


def evse_status_push(
    action: str, profile: OperatorProfile, records: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The eRoamingPushEvseStatus request body; `action` is fullLoad, update, insert or delete."""
    return _push(action, profile, "OperatorEvseStatus", "EvseStatusRecord", records)
