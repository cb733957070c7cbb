"""The OCPI objects the suite reads, as data: fields, types, cardinalities, enums; one table
set per OCPI version (`TABLES`: 2.2.1 from spec_tables.py, 2.1.1 from spec_tables_211.py).

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

from conformance import spec_tables, spec_tables_211

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
# 2.1.1 differs (ocpi-2.1.1-differences §3.4): coordinates carry exactly 6 decimals, and d2's
# time regex is the looser `[0-2][0-9]:[0-5][0-9]`.
PATTERNS_211: dict[str, re.Pattern[str]] = {
    **PATTERNS,
    "Latitude": re.compile(r"-?[0-9]{1,2}\.[0-9]{6}"),
    "Longitude": re.compile(r"-?[0-9]{1,3}\.[0-9]{6}"),
    "HourMinute": re.compile(r"[0-2][0-9]:[0-5][0-9]"),
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


@dataclass(frozen=True)
class Tables:
    """One OCPI version's tables: what `validate` reads for a run of that version."""

    version: str
    objects: dict[str, ObjectSpec]
    enums: dict[str, frozenset[str]]
    patterns: dict[str, re.Pattern[str]]
    session_only_dimensions: frozenset[str]
    # Fields outside the table are problems too (a party enforcing its version, not the
    # tolerant suite: 2.2.1 is silent on unknown fields and real parties send some).
    strict: bool = False


V221 = "2.2.1"
V211 = "2.1.1"
VERSIONS = (V221, V211)

TABLES: dict[str, Tables] = {
    V221: Tables(
        V221,
        _objects(spec_tables.OBJECT_TABLES),
        _enums(spec_tables.ENUM_TABLES),
        PATTERNS,
        SESSION_ONLY_DIMENSIONS,
    ),
    # 2.1.1 has no Session-only dimensions: its CdrDimensionType is one list for both.
    V211: Tables(
        V211,
        _objects(spec_tables_211.OBJECT_TABLES),
        _enums(spec_tables_211.ENUM_TABLES),
        PATTERNS_211,
        frozenset(),
    ),
}
# The 2.2.1 tables under their historical names.
OBJECTS: dict[str, ObjectSpec] = TABLES[V221].objects
ENUMS: dict[str, frozenset[str]] = TABLES[V221].enums
