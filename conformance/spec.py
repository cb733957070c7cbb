"""The OCPI 2.2.1 objects the suite reads, as data: fields, types, cardinalities, enums.

Written from the spec's tables (through reference/ocpi-2.2.1-checklist.md §1.9, §2, §3.1, §4.1
to §4.8), deliberately independent of ocpi-hub's pydantic models, so a mistake in the hub's
models cannot hide the same mistake in a peer.

Field lines read `name  type  cardinality` like the spec's tables. Cardinality (terminology):
`1` required, `?` optional (absent or null), `*` list of 0..n (absent, null or []), `+` list of
at least one. Types: `CiString(n)` printable ASCII up to n; `string(n)` UTF-8 without CR/LF/TAB
up to n; `string(n/m)` up to n in 2.2.1, up to m in the post-d2 errata (longer than n is a
warning, checklist §0 and §7.18); `URL` string(255); `DateTime`, `boolean`, `int`, `number`;
the regex-checked `Latitude`, `Longitude`, `HourMinute`, `Date`, `CredentialsToken`; otherwise
an enum or object of `spec_tables.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from conformance.spec_tables import ENUM_TABLES, OBJECT_TABLES

# Custom modules (`ModuleID` with a party prefix) exist by bilateral agreement only: an
# identifier outside the list is worth a warning, not a failure (version_information §2).
OPEN_ENUMS = frozenset({"ModuleID"})
# CdrDimensionTypes a Session may carry but a CDR must not (mod_cdrs §4.3).
SESSION_ONLY_DIMENSIONS = frozenset(
    {"CURRENT", "ENERGY_EXPORT", "ENERGY_IMPORT", "POWER", "STATE_OF_CHARGE"}
)
# Strings with a shape of their own.
PATTERNS: dict[str, re.Pattern[str]] = {
    "Latitude": re.compile(r"-?[0-9]{1,2}\.[0-9]{5,7}"),
    "Longitude": re.compile(r"-?[0-9]{1,3}\.[0-9]{5,7}"),
    "HourMinute": re.compile(r"([0-1][0-9]|2[0-3]):[0-5][0-9]"),
    "Date": re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}"),
    # credentials §3.1 (d2): printable non-whitespace ASCII, at most 64 characters.
    "CredentialsToken": re.compile(r"[\x21-\x7e]{1,64}"),
}


@dataclass(frozen=True)
class FieldSpec:
    """One row of a spec table."""

    name: str
    type: str  # "CiString", "string", "URL", "DateTime", ..., an enum or an object name
    cardinality: str  # "1", "?", "*", "+"
    max_length: int | None = None
    errata_length: int | None = None  # a longer limit of the post-d2 errata

    @property
    def required(self) -> bool:
        return self.cardinality in ("1", "+")

    @property
    def is_list(self) -> bool:
        return self.cardinality in ("*", "+")


@dataclass(frozen=True)
class ObjectSpec:
    """One spec table: an object's name, where the spec has it, its fields."""

    name: str
    clause: str  # where its table is, e.g. "mod_locations §4.1"
    fields: tuple[FieldSpec, ...]


_TYPE = re.compile(r"(CiString|string)\((\d+)(?:/(\d+))?\)")


def _field(line: str) -> FieldSpec:
    name, kind, cardinality = line.split()
    sized = _TYPE.fullmatch(kind)
    if sized:
        errata = int(sized.group(3)) if sized.group(3) else None
        return FieldSpec(name, sized.group(1), cardinality, int(sized.group(2)), errata)
    if kind == "URL":
        return FieldSpec(name, "URL", cardinality, 255)
    return FieldSpec(name, kind, cardinality)


def _objects(text: str) -> dict[str, ObjectSpec]:
    found: dict[str, ObjectSpec] = {}
    name, clause = "", ""
    fields: list[FieldSpec] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        if not line.startswith(" "):
            if name:
                found[name] = ObjectSpec(name, clause, tuple(fields))
            name, *rest = line.split(None, 1)
            clause = rest[0].strip() if rest else clause
            fields = []
        else:
            fields.append(_field(line))
    found[name] = ObjectSpec(name, clause, tuple(fields))
    return found


def _enums(text: str) -> dict[str, frozenset[str]]:
    found: dict[str, list[str]] = {}
    current = ""
    for line in text.splitlines():
        if not line.strip():
            continue
        if not line.startswith(" "):
            current, line = line.split(":", 1)
            found[current] = []
        found[current] += line.split()
    return {name: frozenset(values) for name, values in found.items()}


OBJECTS: dict[str, ObjectSpec] = _objects(OBJECT_TABLES)
ENUMS: dict[str, frozenset[str]] = _enums(ENUM_TABLES)
