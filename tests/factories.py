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


def tariff(id: str = "T1", **overrides: Any) -> JsonObject:
    """An AC tariff of NL/CPA: 0.25/kWh excl. 21 % VAT."""
    body: JsonObject = {
        "country_code": "NL",
        "party_id": "CPA",
        "id": id,
        "currency": "EUR",
        "elements": [
            {"price_components": [{"type": "ENERGY", "price": 0.25, "vat": 21, "step_size": 1}]}
        ],
        "last_updated": "2024-03-01T10:00:00Z",
    }
    body.update(overrides)
    return body


def token(uid: str = "U1", **overrides: Any) -> JsonObject:
    """An RFID card of DE/EMA, valid, to be checked in real time (whitelist NEVER)."""
    body: JsonObject = {
        "country_code": "DE",
        "party_id": "EMA",
        "uid": uid,
        "type": "RFID",
        "contract_id": "DE-EMA-C00000001",
        "issuer": "Example eMSP",
        "valid": True,
        "whitelist": "NEVER",
        "last_updated": "2024-03-01T10:00:00Z",
    }
    body.update(overrides)
    return body


EMSP = ("DE", "EMA")


def cdr_token(emsp: tuple[str, str] = EMSP, **overrides: Any) -> JsonObject:
    """The CdrToken of an RFID card of `emsp` (2.2.1: with the eMSP's identity)."""
    return {
        "country_code": emsp[0],
        "party_id": emsp[1],
        "uid": "012345678",
        "type": "RFID",
        "contract_id": f"{emsp[0]}-{emsp[1]}-C12345678-X",
        **overrides,
    }


def charging_period(minute: int = 0, kwh: float = 1.5, **overrides: Any) -> JsonObject:
    """A charging period starting `minute` minutes after 10:00, with ENERGY and TIME."""
    return {
        "start_date_time": f"2024-03-01T{10 + minute // 60:02d}:{minute % 60:02d}:00Z",
        "dimensions": [{"type": "ENERGY", "volume": kwh}, {"type": "TIME", "volume": 0.25}],
        "tariff_id": "TARIFF-AC",
        **overrides,
    }


def session(
    id: str = "SESS1",
    *,
    owner: tuple[str, str] = ("NL", "CPA"),
    emsp: tuple[str, str] = EMSP,
    **overrides: Any,
) -> JsonObject:
    """An ACTIVE session of CPO `owner` on a token of `emsp`, at LOC1/EVSE1/1, no periods."""
    return {
        "country_code": owner[0],
        "party_id": owner[1],
        "id": id,
        "start_date_time": "2024-03-01T10:00:00Z",
        "kwh": 0,
        "cdr_token": cdr_token(emsp),
        "auth_method": "WHITELIST",
        "location_id": "LOC1",
        "evse_uid": "EVSE1",
        "connector_id": "1",
        "currency": "EUR",
        "status": "ACTIVE",
        "last_updated": "2024-03-01T10:00:00Z",
        **overrides,
    }


def cdr_location(**overrides: Any) -> JsonObject:
    """Where a CDR happened: LOC1/EVSE1/1 in Amsterdam."""
    return {
        "id": "LOC1",
        "name": "Museumplein",
        "address": "Museumplein 6",
        "city": "Amsterdam",
        "postal_code": "1071 DJ",
        "country": "NLD",
        "coordinates": {"latitude": "52.357570", "longitude": "4.881720"},
        "evse_uid": "EVSE1",
        "evse_id": "NL*CPA*EEVSE1",
        "connector_id": "1",
        "connector_standard": "IEC_62196_T2",
        "connector_format": "SOCKET",
        "connector_power_type": "AC_3_PHASE",
        **overrides,
    }


def cdr(
    id: str = "CDR1",
    *,
    owner: tuple[str, str] = ("NL", "CPA"),
    emsp: tuple[str, str] = EMSP,
    **overrides: Any,
) -> JsonObject:
    """A one-hour, 11.5 kWh CDR of CPO `owner` for a token of `emsp`."""
    return {
        "country_code": owner[0],
        "party_id": owner[1],
        "id": id,
        "start_date_time": "2024-03-01T10:00:00Z",
        "end_date_time": "2024-03-01T11:00:00Z",
        "session_id": "SESS1",
        "cdr_token": cdr_token(emsp),
        "auth_method": "WHITELIST",
        "cdr_location": cdr_location(),
        "currency": "EUR",
        "charging_periods": [
            charging_period(0, 11.5, dimensions=[{"type": "ENERGY", "volume": 11.5}]),
            charging_period(60, 0, dimensions=[{"type": "PARKING_TIME", "volume": 0.5}]),
        ],
        "total_cost": {"excl_vat": 4.6, "incl_vat": 5.57},
        "total_energy": 11.5,
        "total_time": 1,
        "last_updated": "2024-03-01T11:00:05Z",
        **overrides,
    }


def plausible_cdr(id: str = "CDR1", **overrides: Any) -> JsonObject:
    """A CDR every check passes against NL*CPA's `location(party_id="CPA")`, `tariff("TARIFF-AC")`
    and `completed_session()`: 10:00-11:00, 11.5 kWh, charging 45 minutes, then parking; priced
    as the tariff prices it (11.5 kWh x 0.25 = 2.875, 3.47875 incl. VAT), rounded to the cent."""
    periods = [
        charging_period(0, dimensions=[{"type": "ENERGY", "volume": 11.5}]),
        charging_period(45, dimensions=[{"type": "PARKING_TIME", "volume": 0.25}]),
    ]
    priced = {"charging_periods": periods, "total_cost": {"excl_vat": 2.88, "incl_vat": 3.48}}
    return cdr(id, **{**priced, **overrides})


def completed_session(id: str = "SESS1", **overrides: Any) -> JsonObject:
    """The COMPLETED Session of `plausible_cdr()`."""
    completed = {
        "status": "COMPLETED",
        "kwh": 11.5,
        "end_date_time": "2024-03-01T11:00:00Z",
        "charging_periods": plausible_cdr()["charging_periods"],
        "last_updated": "2024-03-01T11:00:01Z",
    }
    return session(id, **{**completed, **overrides})


def platform(
    id: int,
    *parties: Any,
    module: str = "locations",
    dialect: str = "ocpi-2.2.1",
    status: str = "REGISTERED",
) -> Any:
    """A stored platform (core.parties.Platform) hosting `parties`, offering `module`'s
    Receiver; a network when one of its parties is a HUB."""
    from ocpi_hub.core.parties import (
        Endpoint,
        InterfaceRole,
        Platform,
        PlatformKind,
        PlatformStatus,
    )

    endpoint = Endpoint(identifier=module, role=InterfaceRole.RECEIVER, url=f"http://x/{module}")
    return Platform(
        id=id,
        name=f"p{id}",
        status=PlatformStatus(status),
        endpoints=(endpoint,),
        parties=parties,
        kind=PlatformKind.of(p.role for p in parties) if parties else PlatformKind.PEER,
        dialect=dialect,
    )
