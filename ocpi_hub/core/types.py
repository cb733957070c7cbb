"""OCPI 2.2.1 basic types (types.asciidoc) as pydantic-ready annotated types.

DateTime values stay strings in the spec's own form after validation: a hub must never rewrite
`last_updated` or any other time it relays (checklist §1.6), and keeping the string is the only way
to relay `2024-01-01T10:00:00.12Z` byte for byte. `parse_datetime` turns one into an aware UTC
`datetime` where the hub needs to compare or filter; `format_datetime` renders the hub's own times.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    GetJsonSchemaHandler,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

# YYYY-MM-DDThh:mm:ss[.fraction][Z]; string(25) caps the fraction. Offsets such as +00:00 are
# RFC 3339 but not OCPI (types.asciidoc), so they are refused.
_DATETIME = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?Z?", re.ASCII
)
DATETIME_MAX_LENGTH = 25


def parse_datetime(value: str) -> datetime:
    """Parse an OCPI DateTime into an aware UTC datetime; ValueError if it is not one."""
    match = _DATETIME.fullmatch(value)
    if match is None or len(value) > DATETIME_MAX_LENGTH:
        raise ValueError(f"not an OCPI DateTime (YYYY-MM-DDThh:mm:ss[.f][Z], UTC): {value!r}")
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction = match.group(7)
    micro = int((fraction[1:] + "000000")[:6]) if fraction else 0
    try:
        return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)
    except ValueError as exc:  # e.g. month 13
        raise ValueError(f"not a valid date and time: {value!r}") from exc


def format_datetime(moment: datetime) -> str:
    """Render a datetime as the spec's canonical UTC form `YYYY-MM-DDThh:mm:ssZ`."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def now() -> str:
    """The current time as an OCPI DateTime (as format_datetime renders it, at a third of the
    cost: every response's envelope carries one)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _check_datetime(value: str) -> str:
    parse_datetime(value)
    return value


def _check_printable_ascii(value: str) -> str:
    if not all(" " <= ch <= "~" for ch in value):
        raise ValueError("CiString allows printable ASCII only")
    return value


def _check_no_control(value: str) -> str:
    if any(ch in "\r\n\t" for ch in value):
        raise ValueError("string must not contain CR, LF or TAB")
    return value


DateTime = Annotated[
    str,
    AfterValidator(_check_datetime),
    WithJsonSchema(
        {
            "type": "string",
            "maxLength": DATETIME_MAX_LENGTH,
            "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z?$",
            "description": "OCPI DateTime: UTC, Z optional, no offsets",
        }
    ),
]


# Checked once here, reused by every alias below.
_ASCII = AfterValidator(_check_printable_ascii)
_TEXT = AfterValidator(_check_no_control)


def _max(n: int) -> StringConstraints:
    return StringConstraints(max_length=n)


# CiString(n): printable ASCII, compared case-insensitively, at most n characters.
CiString2 = Annotated[str, _max(2), _ASCII]
CiString3 = Annotated[str, _max(3), _ASCII]
CiString4 = Annotated[str, _max(4), _ASCII]
CiString36 = Annotated[str, _max(36), _ASCII]
CiString39 = Annotated[str, _max(39), _ASCII]
CiString32 = Annotated[str, _max(32), _ASCII]
CiString48 = Annotated[str, _max(48), _ASCII]

# string(n): printable UTF-8 without CR/LF/TAB, case-sensitive, at most n characters.
String2 = Annotated[str, _max(2), _TEXT]
String3 = Annotated[str, _max(3), _TEXT]
String4 = Annotated[str, _max(4), _TEXT]
String5 = Annotated[str, _max(5), _TEXT]
String10 = Annotated[str, _max(10), _TEXT]
String11 = Annotated[str, _max(11), _TEXT]
String16 = Annotated[str, _max(16), _TEXT]
String20 = Annotated[str, _max(20), _TEXT]
String45 = Annotated[str, _max(45), _TEXT]
String64 = Annotated[str, _max(64), _TEXT]
String100 = Annotated[str, _max(100), _TEXT]
String255 = Annotated[str, _max(255), _TEXT]
String512 = Annotated[str, _max(512), _TEXT]
String5000 = Annotated[str, _max(5000), _TEXT]

URL = String255
CountryCode = CiString2
PartyId = CiString3


def _check_json_number(value: object) -> object:
    # Lax Decimal would take "12.5" and True; the spec's `number` is a JSON number, and a string or
    # boolean in its place is a peer bug worth a 2001, not something to guess about.
    if isinstance(value, str | bool):
        raise ValueError("must be a JSON number")
    return value


def _number_to_json(value: Decimal) -> int | float:
    # JSON has one number type; emit integers without ".0" and the rest through float, whose
    # shortest repr reproduces any value with up to 15 significant digits exactly.
    return int(value) if value == value.to_integral_value() else float(value)


def json_decimal(value: Any) -> Decimal:
    """A JSON number as stored (an int or a float, as orjson reads it) as the Decimal it was
    written as: the converse of `_number_to_json` (a float's shortest repr gives back any value
    of up to 15 significant digits exactly). ValueError for anything but a number."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError(f"{value!r} is not a number")
    return value if isinstance(value, Decimal) else Decimal(repr(value))


_JSON_SCHEMA_RANGE = {
    "ge": "minimum",
    "le": "maximum",
    "gt": "exclusiveMinimum",
    "lt": "exclusiveMaximum",
}


class _NumberJsonSchema:
    # pydantic publishes Decimal as "number or string" and leaves range limits under their Python
    # names; published schemas must say what we accept: a JSON number, with standard range keywords.
    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema: dict[str, Any] = {"type": "number"}
        for key, value in handler(core_schema).items():
            if key in _JSON_SCHEMA_RANGE:
                schema[_JSON_SCHEMA_RANGE[key]] = value
            elif key not in ("anyOf", "type"):
                schema[key] = value
        return schema


# number: a JSON number held as Decimal (never float arithmetic), written back as a JSON number.
Number = Annotated[
    Decimal,
    Field(allow_inf_nan=False),
    BeforeValidator(_check_json_number),
    PlainSerializer(_number_to_json, return_type=int | float, when_used="json"),
    _NumberJsonSchema(),
]
