"""JSON Schemas of the OCPI objects the hub models, generated from its pydantic models.

`make schemas` (or `python -m ocpi_hub.schemas schemas`) writes one file per object into
`schemas/`; a test fails when the checked-in files and the models disagree. Partners can validate
their payloads against exactly what the hub accepts: required fields, lengths, enums, patterns.
"""

from __future__ import annotations

import sys
from pathlib import Path

import orjson
from pydantic import BaseModel

from ocpi_hub.core.modules.locations import Connector, Evse, Location
from ocpi_hub.core.parties import Credentials, Version, VersionDetails

MODELS: dict[str, type[BaseModel]] = {
    "Connector": Connector,
    "Credentials": Credentials,
    "EVSE": Evse,
    "Location": Location,
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
        files[f"{name}.json"] = (
            orjson.dumps(schema, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
        )
    return files


def main(argv: list[str]) -> int:
    target = Path(argv[0] if argv else "schemas")
    target.mkdir(parents=True, exist_ok=True)
    for name, content in generate().items():
        (target / name).write_bytes(content)
    print(f"wrote {len(MODELS)} schemas to {target}/")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
