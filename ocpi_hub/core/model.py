"""The base every OCPI object model shares, and the one way a validation failure becomes text.

Tolerant in (DESIGN.md decision 11): unknown fields are accepted *and kept*, because a hub relays
what a CPO sent, and a field we do not know yet may matter to the receiver. Strictness lives in the
field types instead (StrictBool, StrictInt, types.Number), so that `"yes"` is never a boolean.

Printable text, everywhere: OCPI strings are "printable UTF-8" (types.asciidoc), and PostgreSQL
cannot store U+0000 in jsonb at all. `unprintable` finds a control character in any string or
field name of a document, known fields or not, so that one check on the way in covers every
module. Choice: it refuses Unicode category Cc (U+0000-U+001F, U+007F, U+0080-U+009F) except TAB,
LF and CR. Those three are left to the field types, which refuse them in OCPI strings as the spec
says (types.py); in an unknown field they harm nothing and are kept (tolerant in).
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, ValidationError

from ocpi_hub.errors import InvalidParameters

__all__ = [
    "OcpiEnum",
    "OcpiModel",
    "may_be_unprintable",
    "unprintable",
    "validate",
    "validation_message",
]

# A peer needs enough to find its mistake; a full dump of a 200-EVSE Location would drown it.
_MESSAGE_ERRORS = 3


class OcpiModel(BaseModel):
    """Base of every OCPI object: unknown fields are accepted and kept on the way back out."""

    model_config = ConfigDict(extra="allow")


class OcpiEnum(StrEnum):
    """A spec enum whose values are its member names, spelled (and cased) exactly as OCPI does.

    `auto()` on a plain StrEnum would lower-case the value; OCPI enums are case-sensitive and some
    are mixed case (`IEC_60309_2_single_16`), so the name is the only safe source of the value.
    """

    @staticmethod
    def _generate_next_value_(name: str, start: int, count: int, last_values: list[str]) -> str:
        return name


def validate(model: type[OcpiModel], data: Any) -> None:
    """A spec-invalid object is 2001, naming the field (DESIGN.md decision 7)."""
    try:
        model.model_validate(data)
    except ValidationError as exc:
        raise InvalidParameters(validation_message(exc)) from exc


def validation_message(err: ValidationError) -> str:
    """Summarise a ValidationError as `path.to.field: reason`, first three errors joined by `; `.

    >>> validation_message(exc)  # doctest: +SKIP
    'evses.0.connectors: List should have at least 1 item after validation, not 0'
    """
    parts: list[str] = []
    for detail in err.errors(include_url=False)[:_MESSAGE_ERRORS]:
        path = ".".join(str(step) for step in detail["loc"])
        # pydantic prefixes our own ValueErrors; the peer only needs the reason.
        reason = detail["msg"].removeprefix("Value error, ")
        parts.append(f"{path}: {reason}" if path else reason)
    return "; ".join(parts)


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# In JSON text a control character can only come from an escape (\u00XX, \b, \f; raw C0 bytes
# are invalid JSON) or, for DEL and C1, as itself (UTF-8 C2 80-9F). A body with none of these
# needs no walk. Most bodies hold no backslash at all, and one-byte searches run at memchr speed.
_ESCAPED_CONTROL = re.compile(rb"\\(?:u00[01789][0-9a-fA-F]|[bf])")
_RAW_C1 = re.compile(rb"\xc2[\x80-\x9f]")


def may_be_unprintable(raw: bytes) -> bool:
    r"""Whether the JSON text `raw` may hold a control character: a cheap scan before the walk.

    >>> may_be_unprintable(rb'{"name": "Caf\u00e9"}'), may_be_unprintable(rb'{"a": "\u0000"}')
    (False, True)
    """
    return (
        (b"\\" in raw and _ESCAPED_CONTROL.search(raw) is not None)
        or b"\x7f" in raw
        or (b"\xc2" in raw and _RAW_C1.search(raw) is not None)
    )


def unprintable(document: Any) -> str | None:
    r"""A refused control character in a parsed JSON document, as a message naming the field
    (`evses.0.connectors.1.id: ...`), or None when every string and field name is printable.

    >>> unprintable({"name": "a\x00b"})
    'name: contains the control character U+0000; OCPI strings are printable'
    >>> unprintable({"evses": [{"x\x01": 1}]}).split(";")[0]
    'evses.0.x\\u0001: the field name contains the control character U+0001'
    """
    # An explicit stack: orjson accepts 1,024 levels of nesting, Python recurses 1,000 deep.
    stack: list[tuple[str, Any]] = [("", document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if found := _CONTROL.search(value):
                return _refusal(path, "contains", found.group())
        elif isinstance(value, dict):
            for key, item in value.items():
                inner = f"{path}.{key}" if path else key
                if found := _CONTROL.search(key):
                    return _refusal(_escaped(inner), "the field name contains", found.group())
                stack.append((inner, item))
        elif isinstance(value, list):
            stack.extend((f"{path}.{i}" if path else str(i), item) for i, item in enumerate(value))
    return None


def _refusal(path: str, what: str, character: str) -> str:
    where = f"{path}: " if path else ""
    return f"{where}{what} the control character U+{ord(character):04X}; OCPI strings are printable"


def _escaped(text: str) -> str:
    """`text` with its control characters written as JSON escapes, so that a message shows them."""
    return orjson.dumps(text).decode()[1:-1]
