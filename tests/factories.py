"""Small, valid OCPI 2.2.1 objects as plain JSON dicts, the way a peer would send them.

Each factory returns a fresh dict, so a test may change it freely. Keyword overrides replace the
default field (or add an unknown one); pass `None` to send an explicit JSON null.
"""

from __future__ import annotations

from typing import Any

JsonObject = dict[str, Any]

LAST_UPDATED = "2024-01-01T10:00:00Z"


def connector(id: str = "1", *, last_updated: str = LAST_UPDATED, **overrides: Any) -> JsonObject:
    """A Type 2 socket on three-phase 230 V / 32 A, 22 kW, with one tariff."""
    body: JsonObject = {
        "id": id,
        "standard": "IEC_62196_T2",
        "format": "SOCKET",
        "power_type": "AC_3_PHASE",
        "max_voltage": 230,
        "max_amperage": 32,
        "max_electric_power": 22080,
        "tariff_ids": ["TARIFF-AC"],
        "last_updated": last_updated,
    }
    body.update(overrides)
    return body


def evse(
    uid: str = "EVSE1",
    *,
    connector_count: int = 1,
    last_updated: str = LAST_UPDATED,
    **overrides: Any,
) -> JsonObject:
    """An AVAILABLE EVSE with `connector_count` Type 2 connectors, ids "1", "2", ..."""
    body: JsonObject = {
        "uid": uid,
        "evse_id": f"NL*CPO*E{uid}",
        "status": "AVAILABLE",
        "capabilities": ["RFID_READER", "REMOTE_START_STOP_CAPABLE"],
        "connectors": [
            connector(str(n), last_updated=last_updated) for n in range(1, connector_count + 1)
        ],
        "physical_reference": "1",
        "last_updated": last_updated,
    }
    body.update(overrides)
    return body


def location(
    country_code: str = "NL",
    party_id: str = "CPO",
    id: str = "LOC1",
    evse_count: int = 1,
    last_updated: str = LAST_UPDATED,
    **overrides: Any,
) -> JsonObject:
    """A public on-street Location in Amsterdam with `evse_count` EVSEs "EVSE1", "EVSE2", ..."""
    body: JsonObject = {
        "country_code": country_code,
        "party_id": party_id,
        "id": id,
        "publish": True,
        "name": "Museumplein",
        "address": "Museumplein 6",
        "city": "Amsterdam",
        "postal_code": "1071 DJ",
        "country": "NLD",
        "coordinates": {"latitude": "52.357570", "longitude": "4.881720"},
        "parking_type": "ON_STREET",
        "evses": [
            evse(
                f"EVSE{n}",
                evse_id=f"{country_code}*{party_id}*EEVSE{n}",
                last_updated=last_updated,
            )
            for n in range(1, evse_count + 1)
        ],
        "time_zone": "Europe/Amsterdam",
        "opening_times": {"twentyfourseven": True},
        "last_updated": last_updated,
    }
    body.update(overrides)
    return body
