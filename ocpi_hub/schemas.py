"""JSON Schemas of the OCPI objects the hub models, generated from its pydantic models, and the
OpenAPI 3.1 document of the admin API (`admin-openapi.json`, from its endpoints).

`make schemas` (or `python -m ocpi_hub.schemas schemas`) writes one file per object into
`schemas/`, and the admin API's document beside them; a test fails when the checked-in files and
the code disagree. Partners can validate their payloads against exactly what the hub accepts:
required fields, lengths, enums, patterns; an operator's tools, their calls to the admin API.
"""

from __future__ import annotations

import sys
from pathlib import Path

import orjson
from pydantic import BaseModel

from ocpi_hub.admin import api
from ocpi_hub.core.modules import (
    cdrs,
    chargingprofiles,
    commands,
    hubclientinfo,
    sessions,
    tariffs,
    tokens,
)
from ocpi_hub.core.modules.locations import Connector, Evse, Location
from ocpi_hub.core.parties import Credentials, Version, VersionDetails

# Every top-level object a request or response body carries, by its name in the spec.
MODELS: dict[str, type[BaseModel]] = {
    "ActiveChargingProfile": chargingprofiles.ActiveChargingProfile,
    "ActiveChargingProfileResult": chargingprofiles.ActiveChargingProfileResult,
    "AuthorizationInfo": tokens.AuthorizationInfo,
    "CancelReservation": commands.CancelReservation,
    "CDR": cdrs.CDR,
    "ChargingPreferences": sessions.ChargingPreferences,
    "ChargingProfileResponse": chargingprofiles.ChargingProfileResponse,
    "ChargingProfileResult": chargingprofiles.ChargingProfileResult,
    "ClearProfileResult": chargingprofiles.ClearProfileResult,
    "ClientInfo": hubclientinfo.ClientInfo,
    "CommandResponse": commands.CommandResponse,
    "CommandResult": commands.CommandResult,
    "Connector": Connector,
    "Credentials": Credentials,
    "EVSE": Evse,
    "Location": Location,
    "LocationReferences": tokens.LocationReferences,
    "ReserveNow": commands.ReserveNow,
    "Session": sessions.Session,
    "SetChargingProfile": chargingprofiles.SetChargingProfile,
    "StartSession": commands.StartSession,
    "StopSession": commands.StopSession,
    "Tariff": tariffs.Tariff,
    "Token": tokens.Token,
    "UnlockConnector": commands.UnlockConnector,
    "Version": Version,
    "VersionDetails": VersionDetails,
}


def generate() -> dict[str, bytes]:
    """File name → JSON Schema (draft 2020-12, as pydantic emits it), stable byte for byte."""
    files = {}
    for name, model in MODELS.items():
        schema = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"ocpi-2.2.1/{name}.json",
            **model.model_json_schema(mode="validation"),
            "title": name,
        }
        files[f"{name}.json"] = _dumped(schema)
    return files


# The admin API's OpenAPI document, beside the OCPI objects' schemas.
ADMIN_OPENAPI = "admin-openapi.json"


def every_file() -> dict[str, bytes]:
    """Everything `schemas/` holds: the OCPI objects' schemas and the admin API's document."""
    return {**generate(), ADMIN_OPENAPI: _dumped(api.document())}


def _dumped(document: dict[str, object]) -> bytes:
    """Stable byte for byte: indented, keys sorted, one final newline."""
    return orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def main(argv: list[str]) -> int:
    target = Path(argv[0] if argv else "schemas")
    target.mkdir(parents=True, exist_ok=True)
    for name, content in every_file().items():
        (target / name).write_bytes(content)
    print(f"wrote {len(MODELS)} schemas and {ADMIN_OPENAPI} to {target}/")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
