"""Validate what an endpoint sends against the spec tables in `spec.py`.

`validate(kind, value, version=...)` walks an object and returns every problem found, each
with its JSON path, so a report can say `Location[3].evses[0].status: 'FREE' is not a
Status`. Problems are errors (the spec is broken) or warnings (allowed but doubtful: a
DateTime without `Z`, an address over 2.2.1's 45 characters but within the errata's 255, a
custom module id).

One validator, one table set per OCPI version (`spec.TABLES`): a run of `--version 2.1.1`
reads the 2.1.1 tables, whose rules beside the tables are in `_RULES` under that version.

Unknown fields are not problems: 2.2.1 is silent on them and real parties send some
(checklist §1.9, §7.10).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from conformance.spec import OPEN_ENUMS, TABLES, V211, V221, FieldSpec, Tables

# types §1.9: YYYY-MM-DDThh:mm:ss[.fraction][Z], UTC only, string(25).
_DATETIME = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?(Z?)", re.ASCII
)
_OFFSET = re.compile(r"([+-][0-9]{2}:?[0-9]{2}|[+-][0-9]{2})$")
DATETIME_MAX_LENGTH = 25


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a value: where (a JSON path), what, and whether only a warning."""

    path: str
    message: str
    warning: bool = False

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def format_datetime_now() -> str:
    """The current time in the spec's canonical form `YYYY-MM-DDThh:mm:ssZ`."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def datetime_problem(value: Any, version: str = V221) -> Problem | None:
    """Why `value` is not an OCPI DateTime (path left empty), or None when it is one. 2.1.1
    (ISO 8601, d2 examples whole seconds) gets a warning for a fraction of a second."""
    if not isinstance(value, str):
        return Problem("", f"{value!r} is not a DateTime string")
    if _OFFSET.search(value) and "T" in value:
        return Problem("", f"{value!r} carries a UTC offset; OCPI allows only UTC, `Z` or none")
    match = _DATETIME.fullmatch(value)
    if match is None:
        return Problem("", f"{value!r} is not YYYY-MM-DDThh:mm:ss[.f]Z")
    if len(value) > DATETIME_MAX_LENGTH:
        return Problem("", f"{value!r} is {len(value)} characters, DateTime is string(25)")
    if parse_datetime(value) is None:
        return Problem("", f"{value!r} is not a real date and time")
    if not match.group(8):
        return Problem("", f"{value!r} has no `Z` (allowed, UTC implied)", warning=True)
    if match.group(7) and version == V211:
        return Problem("", f"{value!r} has a fraction of a second (2.2.1 only)", warning=True)
    return None


def parse_datetime(value: str) -> datetime | None:
    """An OCPI DateTime as an aware UTC datetime, None when it is not one."""
    match = _DATETIME.fullmatch(value)
    if match is None or len(value) > DATETIME_MAX_LENGTH:
        return None
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction = match.group(7)
    micro = int((fraction[1:] + "000000")[:6]) if fraction else 0
    try:
        return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)
    except ValueError:
        return None


def validate(
    kind: str,
    value: Any,
    path: str | None = None,
    version: str = V221,
    *,
    patch: bool = False,
    strict: bool = False,
) -> list[Problem]:
    """Every problem of `value` as an OCPI `version` object of type `kind` (a name in that
    version's tables). `patch`: a PATCH body, whose top-level required fields may be absent
    (the fields present are checked, and what they hold in full). `strict`: a field the table
    does not hold is an error (a 2.2.1-only field sent to a 2.1.1 party, say)."""
    problems: list[Problem] = []
    tables = replace(TABLES[version], strict=True) if strict else TABLES[version]
    _object(tables, kind, value, path or kind, problems, patch=patch)
    return problems


def known(kind: str, version: str = V221) -> bool:
    """Whether `version`'s tables hold an object `kind`."""
    return kind in TABLES[version].objects


def errors(problems: list[Problem]) -> list[Problem]:
    """The problems that break the spec."""
    return [p for p in problems if not p.warning]


def warnings(problems: list[Problem]) -> list[Problem]:
    """The problems that are only doubtful."""
    return [p for p in problems if p.warning]


def _object(
    tables: Tables, kind: str, value: Any, path: str, problems: list[Problem], patch: bool = False
) -> None:
    if not isinstance(value, dict):
        problems.append(Problem(path, f"is {_json_type(value)}, expected a {kind} object"))
        return
    table = tables.objects[kind]
    if tables.strict:
        names = {spec.name for spec in table.fields}
        problems += [
            Problem(f"{path}.{name}", f"is not a field of the {tables.version} {kind}")
            for name in value
            if name not in names
        ]
    for spec in table.fields:
        if patch and spec.name not in value:
            continue
        _field(tables, spec, value.get(spec.name), f"{path}.{spec.name}", problems)
    rule = _RULES[tables.version].get(kind)
    if rule is not None and not patch:
        rule(value, path, problems)


def _field(tables: Tables, spec: FieldSpec, value: Any, path: str, problems: list[Problem]) -> None:
    if value is None:
        if spec.required:
            problems.append(Problem(path, f"is required ({spec.type} [{spec.cardinality}])"))
        return
    if not spec.is_list:
        _value(tables, spec, value, path, problems)
        return
    if not isinstance(value, list):
        problems.append(Problem(path, f"is {_json_type(value)}, expected a list of {spec.type}"))
        return
    if spec.cardinality == "+" and not value:
        problems.append(Problem(path, f"must hold at least one {spec.type}"))
    for index, item in enumerate(value):
        _value(tables, spec, item, f"{path}[{index}]", problems)


def _value(tables: Tables, spec: FieldSpec, value: Any, path: str, problems: list[Problem]) -> None:
    kind = spec.type
    if kind in tables.objects:
        _object(tables, kind, value, path, problems)
    elif kind in tables.enums:
        if not isinstance(value, str) or value not in tables.enums[kind]:
            open_enum = kind in OPEN_ENUMS and isinstance(value, str)
            problems.append(Problem(path, f"{value!r} is not a {kind}", warning=open_enum))
    elif kind == "DateTime":
        problem = datetime_problem(value, tables.version)
        if problem is not None:
            problems.append(Problem(path, problem.message, problem.warning))
    elif kind == "boolean":
        if not isinstance(value, bool):
            problems.append(Problem(path, f"is {_json_type(value)}, expected a boolean"))
    elif kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(Problem(path, f"is {_json_type(value)}, expected an integer"))
    elif kind == "number":
        bad = isinstance(value, bool) or not isinstance(value, int | float)
        if bad or (isinstance(value, float) and not math.isfinite(value)):
            problems.append(Problem(path, f"is {_json_type(value)}, expected a number"))
    elif kind in tables.patterns:
        if not isinstance(value, str) or tables.patterns[kind].fullmatch(value) is None:
            problems.append(Problem(path, f"{_shown(value)} is not a valid {kind}"))
    else:
        _string(tables, spec, value, path, problems)


def _string(
    tables: Tables, spec: FieldSpec, value: Any, path: str, problems: list[Problem]
) -> None:
    if not isinstance(value, str):
        problems.append(Problem(path, f"is {_json_type(value)}, expected {spec.type}"))
        return
    if spec.type == "CiString" and not all(" " <= ch <= "~" for ch in value):
        problems.append(Problem(path, f"{_shown(value)}: CiString allows printable ASCII only"))
    if spec.type in ("string", "URL") and any(ch in "\r\n\t" for ch in value):
        problems.append(Problem(path, f"{_shown(value)}: string must not contain CR, LF or TAB"))
    if tables.version == V211 and spec.type == "string" and not value.isascii():
        # 2.1.1 types: string is printable ASCII; most peers take UTF-8 (differences §1.4).
        problems.append(Problem(path, f"{_shown(value)}: 2.1.1 strings are ASCII", warning=True))
    limit = spec.max_length
    if limit is not None and len(value) > limit:
        errata = spec.errata_length
        if errata is not None and len(value) <= errata:
            message = f"is {len(value)} characters: over 2.2.1's {limit}, within errata's {errata}"
            problems.append(Problem(path, message, warning=True))
        else:
            label = f"{spec.type}({limit})"
            problems.append(Problem(path, f"is {len(value)} characters, longer than {label}"))


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "null" if value is None else type(value).__name__


# ---- rules that tie fields together (the spec's prose beside its tables) ------------------


def _location(value: dict[str, Any], path: str, problems: list[Problem]) -> None:
    if value.get("publish") is True and value.get("publish_allowed_to"):
        problems.append(
            Problem(f"{path}.publish_allowed_to", "is only allowed when publish is false")
        )


def _publish_token(value: dict[str, Any], path: str, problems: list[Problem]) -> None:
    if not any(value.get(k) for k in ("uid", "visual_number", "group_id")):
        problems.append(Problem(path, "needs at least one of uid, visual_number, group_id"))
    if value.get("uid") and not value.get("type"):
        problems.append(Problem(f"{path}.type", "is required when uid is given"))
    if value.get("visual_number") and not value.get("issuer"):
        problems.append(Problem(f"{path}.issuer", "is required when visual_number is given"))


def _hours(value: dict[str, Any], path: str, problems: list[Problem]) -> None:
    if value.get("twentyfourseven") is False and not value.get("regular_hours"):
        problems.append(
            Problem(f"{path}.regular_hours", "needs an entry when twentyfourseven is false")
        )


def _regular_hours(value: dict[str, Any], path: str, problems: list[Problem]) -> None:
    weekday = value.get("weekday")
    if isinstance(weekday, int) and not isinstance(weekday, bool) and not 1 <= weekday <= 7:
        problems.append(Problem(f"{path}.weekday", f"{weekday} is not 1 (Monday) to 7 (Sunday)"))


def _cdr(value: dict[str, Any], path: str, problems: list[Problem]) -> None:
    if value.get("credit") is True and not value.get("credit_reference_id"):
        problems.append(
            Problem(f"{path}.credit_reference_id", "is required for a credit CDR (credit: true)")
        )
    periods = value.get("charging_periods")
    for i, period in enumerate(periods if isinstance(periods, list) else []):
        dimensions = period.get("dimensions") if isinstance(period, dict) else None
        for j, dimension in enumerate(dimensions if isinstance(dimensions, list) else []):
            kind = dimension.get("type") if isinstance(dimension, dict) else None
            if kind in TABLES[V221].session_only_dimensions:
                where = f"{path}.charging_periods[{i}].dimensions[{j}].type"
                problems.append(Problem(where, f"{kind} is for Sessions only, not in a CDR"))


def _credentials(value: dict[str, Any], path: str, problems: list[Problem]) -> None:
    roles = value.get("roles")
    seen: set[tuple[Any, Any, Any]] = set()
    for i, role in enumerate(roles if isinstance(roles, list) else []):
        if not isinstance(role, dict):
            continue
        key = (role.get("role"), role.get("party_id"), role.get("country_code"))
        if key in seen:
            problems.append(Problem(f"{path}.roles[{i}]", f"repeats {key} (must be unique)"))
        seen.add(key)


def _hours_211(value: dict[str, Any], path: str, problems: list[Problem]) -> None:
    # 2.1.1 Hours is a choice: regular_hours or twentyfourseven (differences §3.4).
    if value.get("twentyfourseven") is not True and not value.get("regular_hours"):
        problems.append(
            Problem(path, "needs regular_hours or twentyfourseven: true (a choice in 2.1.1)")
        )


Rule = Callable[[dict[str, Any], str, list[Problem]], None]
_RULES: dict[str, dict[str, Rule]] = {
    V221: {
        "Location": _location,
        "PublishTokenType": _publish_token,
        "Hours": _hours,
        "RegularHours": _regular_hours,
        "CDR": _cdr,
        "Credentials": _credentials,
    },
    V211: {
        "Hours": _hours_211,
        "RegularHours": _regular_hours,
    },
}
