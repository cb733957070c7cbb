"""One OICP 2.3 pulled EVSE data record → one OCPI 2.2.1 EVSE, and the helpers `evse_pull` shares
with it (ids, times, coordinates). The table and the choices are `evse_pull`'s docstring's.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from ocpi_hub.core.types import format_datetime
from ocpi_hub.dialects.losses import Direction, Loss, Lost
from ocpi_hub.dialects.oicp import evse_fields as fields

__all__ = ["evse_of", "lose", "moment", "ocpi_id", "position"]

_ID_MAX = 36
_PRINTABLE = re.compile(r"[ -~]+")
_DMS = re.compile(r"(-?)(\d+)°\s?(\d+)'\s?([\d.]+)''")
_PHASES = {"AC_3_PHASE": 3}
# Record fields OCPI has no place for (both spellings of ChargingStationId are read elsewhere).
_UNPLACED = (
    "HotlinePhoneNumber", "IsHubjectCompatible", "DynamicInfoAvailable",
    "CalibrationLawDataAvailability", "HardwareManufacturer", "MaxCapacity",
    "DynamicPowerLevel", "GeoChargingPointEntrance", "HubOperatorID", "ClearinghouseID",
)  # fmt: skip
_IMAGE_TYPE = re.compile(r"\.([A-Za-z0-9]{1,4})(?:[?#].*)?$")


def lose(losses: list[Loss], field: str, lost: Lost, example: object, why: str) -> None:
    """Note a Loss of the locations module, coming in."""
    losses.append(Loss("locations", field, Direction.IN, lost, str(example), why))


def ocpi_id(value: str, field: str, losses: list[Loss]) -> str:
    """An OICP id as an OCPI CiString(36): itself when it fits, else a stable hash."""
    if len(value) <= _ID_MAX and _PRINTABLE.fullmatch(value):
        return value
    digest = "H" + hashlib.sha256(value.encode()).hexdigest()[: _ID_MAX - 1].upper()
    why = "OCPI ids are printable ASCII of at most 36 characters: a hash of it"
    lose(losses, field, Lost.APPROXIMATED, f"{value} → {digest}", why)
    return digest


def moment(record: Mapping[str, Any], at: datetime) -> str:
    """The record's lastUpdate as an OCPI DateTime, else `at`."""
    text = record.get("lastUpdate")
    if text:
        try:
            return format_datetime(datetime.fromisoformat(str(text).replace("Z", "+00:00")))
        except ValueError:
            pass
    return format_datetime(at if at.tzinfo else at.replace(tzinfo=UTC))


def _degrees(value: Decimal, field: str, losses: list[Loss]) -> str:
    exponent = value.as_tuple().exponent
    places = min(max(-exponent if isinstance(exponent, int) else 7, 5), 7)
    if isinstance(exponent, int) and -exponent > 7:
        lose(losses, field, Lost.APPROXIMATED, value, "OCPI's coordinates have 7 decimals")
    return format(value.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP), "f")


def _dms(text: str) -> Decimal:
    match = _DMS.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"not a degree-minute-second coordinate: {text!r}")
    sign, degrees, minutes, seconds = match.groups()
    value = Decimal(degrees) + Decimal(minutes) / 60 + Decimal(seconds) / 3600
    return -value if sign else value


def position(geo: Mapping[str, Any], field: str, losses: list[Loss]) -> dict[str, str]:
    """OCPI GeoLocation of an OICP GeoCoordinates in any of its three formats."""
    try:
        if "DecimalDegree" in geo:
            point = geo["DecimalDegree"]
            latitude, longitude = Decimal(str(point["Latitude"])), Decimal(str(point["Longitude"]))
        elif "Google" in geo:
            text = str(geo["Google"]["Coordinates"]).strip()
            latitude, longitude = (Decimal(v) for v in re.split(r"[\s,]+", text))
        else:
            point = geo["DegreeMinuteSeconds"]
            latitude, longitude = _dms(str(point["Latitude"])), _dms(str(point["Longitude"]))
    except (InvalidOperation, ValueError, KeyError) as exc:
        raise ValueError(f"not OICP GeoCoordinates: {geo!r}") from exc
    return {
        "latitude": _degrees(latitude, f"{field}.latitude", losses),
        "longitude": _degrees(longitude, f"{field}.longitude", losses),
    }


def evse_of(
    record: Mapping[str, Any], location_point: Mapping[str, str], at: datetime, losses: list[Loss]
) -> dict[str, Any] | None:
    """The OCPI EVSE of a pulled record, status UNKNOWN; None (and a Loss) when none of its
    plugs has an OCPI standard."""
    evse_id = str(record["EvseID"])
    last_updated = moment(record, at)
    connectors = _connectors(record, last_updated, losses)
    if not connectors:
        why = "OCPI's EVSE needs a connector and none of its plugs has an OCPI standard"
        lose(losses, "evses[]", Lost.DROPPED, evse_id, why)
        return None
    uid = evse_id if len(evse_id) <= _ID_MAX else ids_normal(evse_id)
    evse: dict[str, Any] = {
        "uid": ocpi_id(uid, "evses[].uid", losses),
        "evse_id": evse_id,
        "status": "UNKNOWN",
        "connectors": connectors,
        "last_updated": last_updated,
    }
    capabilities = _capabilities(record, losses)
    if capabilities:
        evse["capabilities"] = capabilities
    point = position(record["GeoCoordinates"], "evses[].coordinates", [])
    if point != location_point:
        evse["coordinates"] = point
    address = record["Address"]
    if address.get("Floor"):
        evse["floor_level"] = _cut(str(address["Floor"]), 4, "evses[].floor_level", losses)
    for name in ("ParkingFacility", "ParkingSpot"):
        if address.get(name) is not None:
            lose(losses, f"Address.{name}", Lost.DROPPED, address[name], "OCPI has no place")
    references = record.get("ChargingStationLocationReference") or ()
    if references:
        reference = str(references[0]["value"])
        evse["physical_reference"] = _cut(reference, 16, "evses[].physical_reference", losses)
    if record.get("ChargingStationImage"):
        evse["images"] = [_image(str(record["ChargingStationImage"]), losses)]
    restriction = _restriction(str(record.get("Accessibility", "")), losses)
    if restriction:
        evse["parking_restrictions"] = [restriction]
    for name in _UNPLACED:
        if record.get(name) is not None:
            lose(losses, name, Lost.DROPPED, record[name], "OCPI's Location has no place for it")
    return evse


def ids_normal(evse_id: str) -> str:
    """An EvseID without its separators (eMI3: the same id), to fit OCPI's 36 characters."""
    return evse_id.replace("*", "")


def _cut(value: str, most: int, field: str, losses: list[Loss]) -> str:
    if len(value) > most:
        lose(losses, field, Lost.APPROXIMATED, value, f"OCPI's field holds {most} characters")
        return value[:most]
    return value


def _image(url: str, losses: list[Loss]) -> dict[str, Any]:
    match = _IMAGE_TYPE.search(url)
    kind = match[1].lower() if match else "jpeg"
    why = "OICP's image has no category or type: a charger, the type from the URL"
    lose(losses, "evses[].images[].category", Lost.GUESSED, f"CHARGER {kind}", why)
    return {"url": url, "category": "CHARGER", "type": kind}


def _restriction(accessibility: str, losses: list[Loss]) -> str | None:
    if accessibility == "Restricted access":
        why = "OCPI has no access restriction: parking for customers"
        lose(losses, "evses[].parking_restrictions", Lost.GUESSED, accessibility, why)
        return "CUSTOMERS"
    if accessibility in ("Paying publicly accessible", "Test Station"):
        why = "OCPI cannot say a station is paying or a test"
        lose(losses, "evses[].parking_restrictions", Lost.DROPPED, accessibility, why)
    return None


def _capabilities(record: Mapping[str, Any], losses: list[Loss]) -> list[str]:
    found: list[str] = []
    for value in (*record.get("AuthenticationModes", ()), *record.get("ValueAddedServices", ())):
        if value == "None":
            continue
        capability, lost = fields.AUTH_MODES_IN.get(str(value), (None, True))
        if capability is None:
            why = "OCPI has no such capability"
            lose(losses, "evses[].capabilities", Lost.DROPPED, value, why)
        elif lost:
            why = "OCPI's capability is the nearest"
            lose(losses, "evses[].capabilities", Lost.GUESSED, f"{value} → {capability}", why)
        if capability is not None and capability not in found:
            found.append(capability)
    if "Direct" in record.get("PaymentOptions", ()) and "CREDIT_CARD_PAYABLE" not in found:
        why = "OICP's direct payment does not tell which cards"
        lose(losses, "evses[].capabilities", Lost.GUESSED, "Direct → CREDIT_CARD_PAYABLE", why)
        found.append("CREDIT_CARD_PAYABLE")
    return found


def _connectors(
    record: Mapping[str, Any], last_updated: str, losses: list[Loss]
) -> list[dict[str, Any]]:
    plugs: Sequence[str] = record.get("Plugs") or ()
    facilities: Sequence[Mapping[str, Any]] = record.get("ChargingFacilities") or ()
    if not facilities:
        return []
    if len(plugs) != 1 or len(facilities) != 1:
        why = "OICP lists plugs and facilities apart: paired by position"
        example = f"{list(plugs)} / {len(facilities)} facilities"
        lose(losses, "evses[].connectors[].power_type", Lost.GUESSED, example, why)
    if len(facilities) > len(plugs):
        why = "a facility without a plug of its own"
        lose(losses, "evses[].connectors", Lost.DROPPED, facilities[len(plugs) :], why)
    connectors: list[dict[str, Any]] = []
    for index, plug in enumerate(plugs):
        facility = facilities[min(index, len(facilities) - 1)]
        amperage = facility.get("Amperage")
        row, guessed = fields.standard_of(str(plug), None if amperage is None else int(amperage))
        if row is None:
            why = "OCPI has no such connector standard"
            lose(losses, "evses[].connectors[].standard", Lost.DROPPED, plug, why)
            continue
        if guessed:
            why = "OICP's plug names several OCPI standards"
            lose(
                losses,
                "evses[].connectors[].standard",
                Lost.GUESSED,
                f"{plug} → {row.standard}",
                why,
            )
        connector = {
            "id": str(len(connectors) + 1),
            "standard": row.standard,
            "format": row.format,
            **_power(facility, losses),
            "last_updated": last_updated,
        }
        connectors.append(connector)
    return connectors


def _power(facility: Mapping[str, Any], losses: list[Loss]) -> dict[str, Any]:
    power_type = str(facility["PowerType"])
    kilowatts = Decimal(str(facility["Power"]))
    watts = int((kilowatts * 1000).to_integral_value(ROUND_HALF_UP))
    voltage = facility.get("Voltage")
    if voltage is None:
        voltage = 400 if power_type == "DC" else 230
        why = "OICP's Voltage is optional, OCPI's max_voltage is not: 230 V AC, 400 V DC"
        lose(losses, "evses[].connectors[].max_voltage", Lost.GUESSED, voltage, why)
    amperage = facility.get("Amperage")
    if amperage is None:
        phases = _PHASES.get(power_type, 1)
        amperage = int(Decimal(watts) / (int(voltage) * phases)) if voltage else 0
        why = "OICP's Amperage is optional, OCPI's max_amperage is not: from the power"
        lose(losses, "evses[].connectors[].max_amperage", Lost.GUESSED, amperage, why)
    if facility.get("ChargingModes"):
        why = "OCPI has no charging modes"
        lose(losses, "evses[].connectors[]", Lost.DROPPED, facility["ChargingModes"], why)
    return {
        "power_type": power_type,
        "max_voltage": int(voltage),
        "max_amperage": int(amperage),
        "max_electric_power": watts,
    }
