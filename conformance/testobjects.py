"""The objects the suite creates on an endpoint (never in --read-only), all spec-valid, all with
ids starting `CONFTEST-` so they are recognisable wherever they travel (a Hub broadcasts a
Location to its eMSPs). A Location is unpublished (`publish: false`) and visible only to the
suite's own test token, so no driver is ever shown it."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from conformance.validate import format_datetime_now

PREFIX = "CONFTEST-"


def test_id(kind: str) -> str:
    """`CONFTEST-LOC-1a2b3c4d`: unique per run, within CiString(36)."""
    return f"{PREFIX}{kind}-{secrets.token_hex(4).upper()}"


def moment(seconds_from_now: float = 0) -> str:
    """An OCPI DateTime some seconds from now: a PUT dated in the past lets a later PATCH be
    visibly newer (whole seconds are all the canonical form carries)."""
    at = datetime.now(UTC) + timedelta(seconds=seconds_from_now)
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def token(country_code: str, party_id: str, uid: str, *, valid: bool = True) -> dict[str, Any]:
    """A Token of the suite's eMSP identity (mod_tokens §4.5)."""
    return {
        "country_code": country_code,
        "party_id": party_id,
        "uid": uid,
        "type": "RFID",
        "contract_id": uid,
        "issuer": "OCPI conformance suite",
        "valid": valid,
        "whitelist": "ALLOWED",
        "last_updated": format_datetime_now(),
    }


def connector(connector_id: str = "1") -> dict[str, Any]:
    """A Type 2 socket, three-phase 230 V / 32 A."""
    return {
        "id": connector_id,
        "standard": "IEC_62196_T2",
        "format": "SOCKET",
        "power_type": "AC_3_PHASE",
        "max_voltage": 230,
        "max_amperage": 32,
        "last_updated": format_datetime_now(),
    }


def evse(uid: str, status: str = "AVAILABLE") -> dict[str, Any]:
    """An EVSE with one Connector "1"."""
    return {
        "uid": uid,
        "status": status,
        "connectors": [connector()],
        "last_updated": format_datetime_now(),
    }


def location(country_code: str, party_id: str, location_id: str, evse_uid: str) -> dict[str, Any]:
    """An unpublished Location of the suite's CPO identity with one EVSE (mod_locations §4.1)."""
    return {
        "country_code": country_code,
        "party_id": party_id,
        "id": location_id,
        "publish": False,
        "publish_allowed_to": [{"uid": f"{PREFIX}NO-DRIVER", "type": "RFID"}],
        "name": "OCPI conformance test location",
        "address": "Conformance street 1",
        "city": "Testville",
        "country": "ZZZ",
        "coordinates": {"latitude": "0.000000", "longitude": "0.000000"},
        "evses": [evse(evse_uid)],
        "time_zone": "Etc/UTC",
        "last_updated": format_datetime_now(),
    }


def tariff(country_code: str, party_id: str, tariff_id: str) -> dict[str, Any]:
    """A free Tariff (one FLAT component, price 0: mod_tariffs §4.4)."""
    return {
        "country_code": country_code,
        "party_id": party_id,
        "id": tariff_id,
        "currency": "EUR",
        "elements": [{"price_components": [{"type": "FLAT", "price": 0, "step_size": 1}]}],
        "last_updated": format_datetime_now(),
    }


def cdr_token(emsp: tuple[str, str], uid: str) -> dict[str, Any]:
    """The CdrToken of an RFID card of `emsp` (2.2.1: with the eMSP's identity)."""
    return {
        "country_code": emsp[0],
        "party_id": emsp[1],
        "uid": uid,
        "type": "RFID",
        "contract_id": uid,
    }


def charging_period(kwh: float) -> dict[str, Any]:
    """A ChargingPeriod starting now with `kwh` of ENERGY."""
    return {
        "start_date_time": format_datetime_now(),
        "dimensions": [{"type": "ENERGY", "volume": kwh}],
    }


def session(
    country_code: str, party_id: str, session_id: str, emsp: tuple[str, str], location_id: str
) -> dict[str, Any]:
    """An ACTIVE Session of the suite's CPO identity for the endpoint's eMSP (mod_sessions
    §4.2), with one charging period."""
    return {
        "country_code": country_code,
        "party_id": party_id,
        "id": session_id,
        "start_date_time": format_datetime_now(),
        "kwh": 1.0,
        "cdr_token": cdr_token(emsp, f"{PREFIX}TOKEN"),
        "auth_method": "WHITELIST",
        "location_id": location_id,
        "evse_uid": f"{PREFIX}EVSE",
        "connector_id": "1",
        "currency": "EUR",
        "charging_periods": [charging_period(1.0)],
        "status": "ACTIVE",
        "last_updated": format_datetime_now(),
    }


def cdr(
    country_code: str, party_id: str, cdr_id: str, emsp: tuple[str, str], location_id: str
) -> dict[str, Any]:
    """A CDR of the suite's CPO identity for the endpoint's eMSP, free of charge (mod_cdrs §4.3)."""
    now = format_datetime_now()
    return {
        "country_code": country_code,
        "party_id": party_id,
        "id": cdr_id,
        "start_date_time": now,
        "end_date_time": now,
        "cdr_token": cdr_token(emsp, f"{PREFIX}TOKEN"),
        "auth_method": "WHITELIST",
        "cdr_location": {
            "id": location_id,
            "address": "Conformance street 1",
            "city": "Testville",
            "country": "ZZZ",
            "coordinates": {"latitude": "0.000000", "longitude": "0.000000"},
            "evse_uid": f"{PREFIX}EVSE",
            "evse_id": "ZZ*CNF*E1",
            "connector_id": "1",
            "connector_standard": "IEC_62196_T2",
            "connector_format": "SOCKET",
            "connector_power_type": "AC_3_PHASE",
        },
        "currency": "EUR",
        "charging_periods": [charging_period(1.0)],
        "total_cost": {"excl_vat": 0},
        "total_energy": 1.0,
        "total_time": 0.0,
        "last_updated": now,
    }
