"""The OICP 2.3 JSON Schemas of schemas/oicp/, loaded for validation (tests only: the hub itself
never imports jsonschema).

Each operation has `NAME.request.json` and `NAME.response.json`; both refer to the shared
`definitions.json` by relative `$ref`s, resolved here from one registry of every file.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

DIRECTORY = Path(__file__).resolve().parents[2] / "schemas" / "oicp"

# The operations of hub-dialects.md §5.2 that schemas/oicp/ describes.
OPERATIONS = (
    "eRoamingPushEvseData",
    "eRoamingPushEvseStatus",
    "eRoamingPullEvseData",
    "eRoamingPullEvseStatus",
    "eRoamingPullEvseStatusById",
    "eRoamingPullEvseStatusByOperatorId",
    "eRoamingAuthorizeStart",
    "eRoamingAuthorizeStop",
    "eRoamingAuthorizeRemoteStart",
    "eRoamingAuthorizeRemoteStop",
    "eRoamingChargeDetailRecord",
    "eRoamingGetChargeDetailRecords",
    "eRoamingPushAuthenticationData",
    "eRoamingPushPricingProductData",
    "eRoamingPushEVSEPricing",
    "eRoamingChargingNotifications",
)


def files() -> dict[str, Any]:
    """Every schema file by name, parsed."""
    return {
        path.name: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(DIRECTORY.glob("*.json"))
    }


@cache
def _registry() -> Registry[Any]:
    resources = [
        (name, Resource.from_contents(schema, default_specification=DRAFT202012))
        for name, schema in files().items()
    ]
    return Registry().with_resources(resources)


@cache
def validator(name: str) -> Draft202012Validator:
    """The validator of one file, e.g. `validator("eRoamingPushEvseData.request.json")`."""
    schema = _registry().contents(name)
    return Draft202012Validator(schema, registry=_registry())


def problems(name: str, body: Any, limit: int = 5) -> list[str]:
    """What is wrong with `body` against the schema file `name`, one line per error, naming
    the field (`OperatorEvseData/EvseDataRecord/0/EvseID: ...`); empty when it is valid."""
    errors = sorted(validator(name).iter_errors(body), key=lambda e: list(e.absolute_path))
    return [_line(error) for error in errors[:limit]]


def _line(error: Any) -> str:
    where = "/".join(str(part) for part in error.absolute_path) or "(body)"
    return f"{where}: {error.message}"


def request_problems(operation: str, body: Any) -> list[str]:
    return problems(f"{operation}.request.json", body)


def response_problems(operation: str, body: Any) -> list[str]:
    return problems(f"{operation}.response.json", body)
