"""The parts of a Location between OCPI 2.2.1 and 2.1.1: EVSE, Connector, GeoLocation, Hours,
EnergyMix (ocpi-2.1.1-differences.md §3.2-§3.5, §10.3); `locations` holds the table and the API.

Every function here works in place on a body `locations` has already copied, and takes `at`,
the path from the Location to the object (`evses[].`), for the loss fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from ocpi_hub.dialects.losses import Direction, Loss, Lost
from ocpi_hub.errors import InvalidParameters

__all__ = [
    "CAPABILITIES_211",
    "CONNECTOR_TYPES_211",
    "POWER_TYPES_211",
    "Found",
    "check_id",
    "connector_in",
    "connector_out",
    "dicts",
    "evse_in",
    "evse_out",
    "geo_out",
    "hours_in",
    "hours_out",
    "rename_impact",
    "shown",
]

JsonObject = dict[str, Any]

# §3.5: the 2.1.1 value sets; what 2.2.1 added is not sent.
CAPABILITIES_211 = frozenset(
    {
        "CHARGING_PROFILE_CAPABLE", "CREDIT_CARD_PAYABLE", "REMOTE_START_STOP_CAPABLE",
        "RESERVABLE", "RFID_READER", "UNLOCK_CAPABLE",
    }
)  # fmt: skip
CONNECTOR_TYPES_211 = frozenset(
    {
        "CHADEMO", *(f"DOMESTIC_{letter}" for letter in "ABCDEFGHIJKL"),
        "IEC_60309_2_single_16", "IEC_60309_2_three_16", "IEC_60309_2_three_32",
        "IEC_60309_2_three_64", "IEC_62196_T1", "IEC_62196_T1_COMBO", "IEC_62196_T2",
        "IEC_62196_T2_COMBO", "IEC_62196_T3A", "IEC_62196_T3C", "TESLA_R", "TESLA_S",
    }
)  # fmt: skip
POWER_TYPES_211 = frozenset({"AC_1_PHASE", "AC_3_PHASE", "DC"})
# 2.1.1 has no two-phase supply; one phase is the nearest it can say (differences §10.3 [?]).
_POWER_TYPE_OUT = {"AC_2_PHASE": "AC_1_PHASE", "AC_2_PHASE_SPLIT": "AC_1_PHASE"}
_MAX_ID = 36  # 2.2.1 CiString(36); 2.1.1 Location and EVSE ids may have 39
_DECIMALS = 6  # 2.1.1 coordinates: exactly six decimals


@dataclass
class Found:
    """The losses one translation found, in the order it found them."""

    direction: Direction
    losses: list[Loss] = field(default_factory=list)

    def add(self, path: str, lost: Lost, example: str, why: str) -> None:
        self.losses.append(Loss("locations", path, self.direction, lost, example, why))


def shown(value: Any) -> str:
    """A value as a loss example: a string as is, anything else as JSON."""
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def dicts(value: Any) -> list[JsonObject]:
    """The objects of a JSON list (nothing when it is absent or null)."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def check_id(body: JsonObject, name: str, path: str) -> None:
    """2.1.1 allows 39 characters where 2.2.1 allows 36: refused (2001), never cut."""
    value = body.get(name)
    if isinstance(value, str) and len(value) > _MAX_ID:
        raise InvalidParameters(
            f"{path}: {value!r} has {len(value)} characters, OCPI 2.2.1 allows {_MAX_ID}"
        )


# --- GeoLocation, Hours, EnergyMix ------------------------------------------------------------


def geo_out(geo: Any, path: str, found: Found) -> None:
    """2.2.1 allows 5 to 7 decimals, 2.1.1 exactly 6: pad, or cut the 7th (a loss if not 0)."""
    if not isinstance(geo, dict):
        return
    for name in ("latitude", "longitude"):
        value = geo.get(name)
        if not isinstance(value, str):
            continue
        whole, _, decimals = value.partition(".")
        geo[name] = f"{whole}.{decimals.ljust(_DECIMALS, '0')[:_DECIMALS]}"
        if decimals[_DECIMALS:].strip("0"):
            found.add(f"{path}.{name}", Lost.APPROXIMATED, value, "2.1.1 has 6 decimals")


def hours_out(hours: JsonObject, found: Found) -> JsonObject:
    """2.1.1 Hours hold either twentyfourseven=true or regular_hours, not both (§3.4)."""
    rest = {k: v for k, v in hours.items() if k not in ("twentyfourseven", "regular_hours")}
    if hours.get("twentyfourseven") is True:
        if hours.get("regular_hours"):
            found.add(
                "opening_times.regular_hours", Lost.DROPPED, shown(hours["regular_hours"]),
                "2.1.1 has regular_hours or twentyfourseven, not both",
            )  # fmt: skip
        return {"twentyfourseven": True, **rest}
    if "regular_hours" in hours:
        return {"regular_hours": hours["regular_hours"], **rest}
    return rest


def hours_in(hours: JsonObject, found: Found) -> JsonObject | None:
    """2.2.1 always has twentyfourseven, and regular periods unless it is true. None: the
    2.1.1 Hours say neither (no 2.2.1 Hours can hold them)."""
    always = hours.get("twentyfourseven")
    if always is True:
        return hours
    if hours.get("regular_hours"):
        rest = {k: v for k, v in hours.items() if k != "twentyfourseven"}
        return {"twentyfourseven": False, **rest}
    found.add(
        "opening_times", Lost.DROPPED, shown(hours),
        "neither twentyfourseven nor a regular period: no 2.2.1 Hours",
    )  # fmt: skip
    return None


def rename_impact(location: JsonObject, old: str, new: str) -> None:
    """EnvironmentalImpact `source` (2.1.1) is `category` (2.2.1)."""
    mix = location.get("energy_mix")
    for impact in dicts(mix.get("environ_impact") if isinstance(mix, dict) else None):
        if old in impact:
            impact[new] = impact.pop(old)


# --- EVSE ---------------------------------------------------------------------------------------


def evse_out(body: JsonObject, at: str, patch: bool, found: Found) -> JsonObject | None:
    """None: no connector of the EVSE is one 2.1.1 knows (2.1.1 `connectors` is `+`)."""
    capabilities = body.get("capabilities")
    if isinstance(capabilities, list):
        body["capabilities"] = [c for c in capabilities if c in CAPABILITIES_211]
        if lost := [c for c in capabilities if c not in CAPABILITIES_211]:
            found.add(f"{at}capabilities", Lost.DROPPED, shown(lost), "not a 2.1.1 Capability")
    geo_out(body.get("coordinates"), f"{at}coordinates", found)
    connectors = body.get("connectors")
    if isinstance(connectors, list):
        made = (connector_out(c, f"{at}connectors[].", False, found) for c in dicts(connectors))
        body["connectors"] = [c for c in made if c is not None]
        if connectors and not body["connectors"]:
            why = "no connector 2.1.1 knows is left"
            if patch:  # the rest of the PATCH still goes; the old connectors stay there
                del body["connectors"]
                found.add(f"{at}connectors", Lost.DROPPED, shown(body.get("uid", "")), why)
            else:
                found.add(at.removesuffix("."), Lost.DROPPED, shown(body.get("uid", "")), why)
                return None
    return body


def evse_in(body: JsonObject, at: str, patch: bool, found: Found) -> JsonObject:
    check_id(body, "uid", f"{at}uid")
    if isinstance(body.get("connectors"), list):
        body["connectors"] = [
            connector_in(c, f"{at}connectors[].", False, found) if isinstance(c, dict) else c
            for c in body["connectors"]
        ]
    return body


# --- Connector ----------------------------------------------------------------------------------


def connector_out(body: JsonObject, at: str, patch: bool, found: Found) -> JsonObject | None:
    """None: the standard is one 2.1.1 does not have (CHAOJI, GBT_*, NEMA_*, ...)."""
    standard = body.get("standard")
    if "standard" in body and standard not in CONNECTOR_TYPES_211:
        example = f"{shown(standard)} (connector {shown(body.get('id', ''))})"
        found.add(at.removesuffix("."), Lost.DROPPED, example, "not a 2.1.1 ConnectorType")
        return None
    _rename(body, "max_voltage", "voltage")
    _rename(body, "max_amperage", "amperage")
    power_type = body.get("power_type")
    if isinstance(power_type, str) and power_type in _POWER_TYPE_OUT:
        body["power_type"] = _POWER_TYPE_OUT[power_type]
        found.add(f"{at}power_type", Lost.APPROXIMATED, power_type, "not a 2.1.1 PowerType")
    power = body.pop("max_electric_power", None)
    if power is not None:
        found.add(f"{at}max_electric_power", Lost.DROPPED, shown(power), "2.1.1 has no such field")
    if "tariff_ids" in body:
        tariff_ids = body.pop("tariff_ids")
        if isinstance(tariff_ids, list) and tariff_ids:
            # The first: which tariff is the regular one would need the Tariffs (§10.3).
            body["tariff_id"] = tariff_ids[0]
            if len(tariff_ids) > 1:
                found.add(
                    f"{at}tariff_ids", Lost.DROPPED, shown(tariff_ids[1:]),
                    "2.1.1 has one tariff_id: the first is sent",
                )  # fmt: skip
        elif patch:  # the PATCH clears the tariffs
            body["tariff_id"] = None
    return body


def connector_in(body: JsonObject, at: str, patch: bool, found: Found) -> JsonObject:
    check_id(body, "id", f"{at}id")
    _rename(body, "voltage", "max_voltage")
    _rename(body, "amperage", "max_amperage")
    if "tariff_id" in body:
        tariff_id = body.pop("tariff_id")
        if tariff_id is not None:
            body["tariff_ids"] = [tariff_id]
        elif patch:  # the PATCH clears the tariff
            body["tariff_ids"] = []
    return body


def _rename(body: JsonObject, old: str, new: str) -> None:
    if old in body:
        body[new] = body.pop(old)
