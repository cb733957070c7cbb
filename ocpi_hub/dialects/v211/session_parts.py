"""What a Session and a CDR share between OCPI 2.2.1 and 2.1.1 (ocpi-2.1.1-differences.md §6,
§7.3, §10.3 "Session", "CDR"): ChargingPeriod / CdrDimension, cdr_token ⇄ auth_id, total_cost,
and the guesses that stand in for a Connector nobody described. `sessions` and `cdrs` hold the
tables and the API.

| 2.2.1                              | 2.1.1                       | lost                         |
|------------------------------------|-----------------------------|------------------------------|
| cdr_token.contract_id              | auth_id                     |                              |
| cdr_token.uid, type                | -                           | out: dropped; in: the stored |
|                                    |                             | Token's, else guessed        |
| cdr_token.country_code, party_id   | - (the receiving eMSP)      | in: the stored Token's, else |
|                                    |                             | parsed from the eMA-ID       |
| total_cost (Price)                 | total_cost (number)         | out: incl_vat                |
| charging_periods[].tariff_id       | -                           | out: dropped                 |
| charging_periods[].dimensions      | dimensions (2.1.1 types)    | out: CURRENT, POWER, ...;    |
|                                    |                             | in: FLAT                     |

A period whose every dimension is dropped keeps its place with `{"type": "TIME", "volume": 0}`
(GUESSED): deleting it would stretch the period before it. The eMA-ID parse takes
`CC[-*]PPP[-*]IIIIIIIII[[-*]D]` (ISO 15118 / DIN SPEC 91286: country, provider, 9-character
instance, optional check digit, one separator style throughout), case-insensitively.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import orjson

from ocpi_hub.core.routing import PartyKey
from ocpi_hub.dialects.losses import Direction, Loss, Lost
from ocpi_hub.dialects.v211 import location_parts as parts
from ocpi_hub.dialects.v211.location_parts import CONNECTOR_TYPES_211
from ocpi_hub.errors import InvalidParameters

__all__ = [
    "CDR_LOCATION_FIELDS",
    "DIMENSIONS_211",
    "FILLER",
    "Found",
    "auth_id_out",
    "auth_id_party",
    "cdr_token_in",
    "cost_in",
    "cost_out",
    "location_from",
    "periods_in",
    "periods_out",
    "shown",
]

# §7.3: the 2.1.1 CdrDimensionType. 2.2.1 dropped FLAT and added the rest of its values.
DIMENSIONS_211 = frozenset({"ENERGY", "FLAT", "MAX_CURRENT", "MIN_CURRENT", "PARKING_TIME", "TIME"})
_DIMENSIONS_OUT = DIMENSIONS_211 - {"FLAT"}  # what 2.2.1 sends that 2.1.1 knows
_DIMENSIONS_IN = DIMENSIONS_211 - {"FLAT"}  # the same set: FLAT is 2.1.1's alone
_CDR_TOKEN_FIELDS = frozenset({"country_code", "party_id", "uid", "type", "contract_id"})
# What an emptied period keeps: valid in both versions, and counting for nothing.
FILLER: Mapping[str, Any] = {"type": "TIME", "volume": 0}
_EMA_ID = re.compile(
    r"([A-Z]{2})(?P<sep>[-*]?)([A-Z0-9]{3})(?P=sep)[A-Z0-9]{9}(?:(?P=sep)[A-Z0-9])?",
    re.ASCII | re.IGNORECASE,
)
# 2.1.1 has no slot for a connector's details in these guesses: the commonest public sockets,
# by power type. 230 V is line to neutral (2.1.1 Connector.voltage); DC 400 V x 125 A = 50 kW.
_CONNECTOR_GUESS: Mapping[str, tuple[str, int, int]] = {
    "AC_1_PHASE": ("IEC_62196_T2", 230, 16),
    "AC_3_PHASE": ("IEC_62196_T2", 230, 16),
    "DC": ("IEC_62196_T2_COMBO", 400, 125),
}
# 2.1.1 has no two-phase supply; one phase is the nearest (as locations does).
_POWER_TYPE_OUT: Mapping[str, str] = {"AC_2_PHASE": "AC_1_PHASE", "AC_2_PHASE_SPLIT": "AC_1_PHASE"}
_NOWHERE: Mapping[str, str] = {"latitude": "0.000000", "longitude": "0.000000"}
# The 2.2.1 CdrLocation's fields; any other (an extension) rides along on the 2.1.1 Location.
CDR_LOCATION_FIELDS = frozenset(
    {
        "id", "name", "address", "city", "postal_code", "state", "country", "coordinates",
        "evse_uid", "evse_id", "connector_id", "connector_standard", "connector_format",
        "connector_power_type",
    }
)  # fmt: skip


class Found:
    """The losses one translation found, each (field, lost) once, with its first example."""

    def __init__(self, module: str, direction: Direction) -> None:
        self.module, self.direction = module, direction
        self._losses: dict[tuple[str, Lost], Loss] = {}

    def add(self, field: str, lost: Lost, example: Any, why: str) -> None:
        key = (field, lost)
        if key not in self._losses:
            self._losses[key] = Loss(self.module, field, self.direction, lost, shown(example), why)

    def extend(self, losses: list[Loss], prefix: str = "") -> None:
        """Losses of an object nested at `prefix` (a Tariff in a CDR), as this module's."""
        for loss in losses:
            self.add(prefix + loss.field, loss.lost, loss.example, loss.why)

    @property
    def losses(self) -> list[Loss]:
        return list(self._losses.values())


def shown(value: Any) -> str:
    """A value as a loss example: a string as is, anything else as JSON."""
    if isinstance(value, str):
        return value
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # an integer past 64 bits, say: any text will do for an example
        return repr(value)


# --- cdr_token ⇄ auth_id ---------------------------------------------------------------------


def auth_id_party(auth_id: str) -> PartyKey | None:
    """The eMSP an eMA-ID shaped contract id names ("NL-TNM-C12345678-9", "NLTNMC12345678",
    "NL*TNM*C12345678*9" -> ("NL", "TNM")), None for anything else."""
    match = _EMA_ID.fullmatch(auth_id.strip())
    return (match.group(1).upper(), match.group(3).upper()) if match else None


def auth_id_out(cdr_token: Any, found: Found) -> Any:
    """The 2.1.1 auth_id of a 2.2.1 CdrToken: its contract_id."""
    if not isinstance(cdr_token, Mapping):
        return cdr_token  # not a CdrToken: validation's business, not ours
    why = "2.1.1 auth_id is the Token's contract id; the uid and type have no place"
    for name in ("uid", "type"):
        if cdr_token.get(name) is not None:
            found.add(f"cdr_token.{name}", Lost.DROPPED, cdr_token[name], why)
    # country_code/party_id: the eMSP owning the token is the 2.1.1 receiver itself; no loss.
    for name, value in cdr_token.items():
        if name not in _CDR_TOKEN_FIELDS and value is not None:
            found.add(f"cdr_token.{name}", Lost.DROPPED, value, "auth_id has no room for it")
    return cdr_token.get("contract_id")


def cdr_token_in(auth_id: Any, token: Mapping[str, Any] | None, found: Found) -> dict[str, Any]:
    """The 2.2.1 CdrToken of a 2.1.1 auth_id: from `token`, the hub's stored Token with that
    contract id, or guessed from the auth_id itself. 2001 when the auth_id names no eMSP."""
    if token is not None:
        return {
            "country_code": token.get("country_code"),
            "party_id": token.get("party_id"),
            "uid": token.get("uid"),
            "type": token.get("type"),
            "contract_id": auth_id,
        }
    party = auth_id_party(auth_id) if isinstance(auth_id, str) else None
    if party is None:
        raise InvalidParameters(
            f"auth_id: {auth_id!r} names no token the hub knows and is not an eMA-ID"
        )
    why = "no stored Token has this contract id"
    found.add("cdr_token.uid", Lost.GUESSED, auth_id, f"{why}: the uid is the auth_id")
    found.add("cdr_token.type", Lost.GUESSED, "RFID", f"{why}: RFID, the 2.1.1 default")
    found.add("cdr_token.country_code", Lost.GUESSED, party[0], f"{why}: from the eMA-ID")
    found.add("cdr_token.party_id", Lost.GUESSED, party[1], f"{why}: from the eMA-ID")
    return {
        "country_code": party[0],
        "party_id": party[1],
        "uid": auth_id,
        "type": "RFID",
        "contract_id": auth_id,
    }


# --- total_cost ---------------------------------------------------------------------------------


def cost_out(price: Any, field: str, found: Found) -> Any:
    """A 2.2.1 Price as the 2.1.1 number: excl_vat (2.1.1 prices exclude VAT)."""
    if not isinstance(price, Mapping):
        return price
    if price.get("incl_vat") is not None:
        found.add(f"{field}.incl_vat", Lost.DROPPED, price["incl_vat"], "2.1.1 cost excludes VAT")
    return price.get("excl_vat")


def cost_in(number: Any) -> Any:
    """A 2.1.1 cost number as a 2.2.1 Price: excl_vat only (never invent incl_vat)."""
    return {"excl_vat": number} if number is not None else None


# --- charging_periods ---------------------------------------------------------------------------


def periods_out(periods: Any, found: Found) -> Any:
    """2.2.1 periods as 2.1.1 ones: no tariff_id, only the 2.1.1 dimension types."""
    if not isinstance(periods, list):
        return periods
    made = []
    for period in periods:
        if not isinstance(period, Mapping):
            made.append(period)
            continue
        body = dict(period)
        tariff_id = body.pop("tariff_id", None)
        if tariff_id is not None:
            found.add("charging_periods[].tariff_id", Lost.DROPPED, tariff_id, "not in 2.1.1")
        body["dimensions"] = _dimensions(body.get("dimensions"), _DIMENSIONS_OUT, found)
        made.append(body)
    return made


def periods_in(periods: Any, found: Found) -> Any:
    """2.1.1 periods as 2.2.1 ones: without FLAT dimensions (2.2.1 has none)."""
    if not isinstance(periods, list):
        return periods
    made = []
    for period in periods:
        if isinstance(period, Mapping):
            kept = _dimensions(period.get("dimensions"), _DIMENSIONS_IN, found)
            period = {**period, "dimensions": kept}
        made.append(period)
    return made


def _dimensions(dimensions: Any, allowed: frozenset[str], found: Found) -> Any:
    if not isinstance(dimensions, list):
        return dimensions

    def lost(dimension: Any) -> bool:
        return isinstance(dimension, Mapping) and dimension.get("type") not in allowed

    kept = [dimension for dimension in dimensions if not lost(dimension)]
    for dropped in filter(lost, dimensions):
        version = "2.1.1" if found.direction is Direction.OUT else "2.2.1"
        found.add(
            "charging_periods[].dimensions", Lost.DROPPED, dropped.get("type"),
            f"not a {version} CdrDimensionType",
        )  # fmt: skip
    if dimensions and not kept:
        found.add(
            "charging_periods[].dimensions", Lost.GUESSED, dict(FILLER),
            "no dimension left: the period keeps its place with TIME 0",
        )  # fmt: skip
        return [dict(FILLER)]
    return kept


# --- A 2.1.1 Location from a CdrLocation ------------------------------------------------------


def location_from(known: Mapping[str, Any], last_updated: Any, found: Found) -> dict[str, Any]:
    """The 2.1.1 Location (one EVSE, one connector) of a 2.2.1 CdrLocation, or of the bare ids
    of a Session (`id`, `evse_uid`, `connector_id`: the rest is then missing). What 2.1.1 needs
    and `known` lacks is guessed; the losses are named `cdr_location.<field>` (a CdrLocation
    field, or the one it would be: `type`, `evse_status`, `connector_voltage`, ...)."""
    at = "cdr_location."

    def given(name: str, guess: Any, why: str) -> Any:
        value = known.get(name)
        if value is None:
            found.add(at + name, Lost.GUESSED, guess, why)
            return guess
        return value

    required = "required in 2.1.1, unknown here"
    power = given("connector_power_type", "AC_3_PHASE", required)
    if power in _POWER_TYPE_OUT:
        found.add(at + "connector_power_type", Lost.APPROXIMATED, power, "not a 2.1.1 PowerType")
        power = _POWER_TYPE_OUT[power]
    standard, voltage, amperage = _CONNECTOR_GUESS.get(str(power), _CONNECTOR_GUESS["AC_3_PHASE"])
    sent = given("connector_standard", standard, required)
    if sent in CONNECTOR_TYPES_211:
        standard = sent
    elif known.get("connector_standard") is not None:
        found.add(at + "connector_standard", Lost.APPROXIMATED, sent, "not a 2.1.1 ConnectorType")
    why = "a 2.1.1 Connector has it, a CdrLocation not"
    found.add(at + "connector_voltage", Lost.GUESSED, voltage, f"{why}: typical for {power}")
    found.add(at + "connector_amperage", Lost.GUESSED, amperage, f"{why}: typical for {power}")
    found.add(at + "evse_status", Lost.GUESSED, "UNKNOWN", "a 2.1.1 EVSE has it, a CdrLocation not")
    found.add(at + "type", Lost.GUESSED, "UNKNOWN", "a 2.1.1 Location has it, a CdrLocation not")
    connector = {
        "id": known.get("connector_id"),
        "standard": standard,
        "format": given("connector_format", "SOCKET", required),
        "power_type": power,
        "voltage": voltage,
        "amperage": amperage,
        "last_updated": last_updated,
    }
    evse = {"uid": known.get("evse_uid")}
    if known.get("evse_id") is not None:
        evse["evse_id"] = known["evse_id"]
    evse.update(status="UNKNOWN", connectors=[connector], last_updated=last_updated)
    location: dict[str, Any] = {"id": known.get("id"), "type": "UNKNOWN"}
    if known.get("name") is not None:
        location["name"] = known["name"]
    for name in ("address", "city", "postal_code", "country"):
        location[name] = given(name, "", required)
    coordinates = dict(given("coordinates", dict(_NOWHERE), required))
    geo = parts.Found(found.direction)
    parts.geo_out(coordinates, at + "coordinates", geo)
    found.extend(geo.losses)
    if known.get("state") is not None:
        found.add(at + "state", Lost.DROPPED, known["state"], "a 2.1.1 Location has no state")
    location.update(coordinates=coordinates, evses=[evse], last_updated=last_updated)
    location.update((k, v) for k, v in known.items() if k not in CDR_LOCATION_FIELDS)
    return location
