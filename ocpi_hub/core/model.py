"""The base every OCPI object model shares, and the one way a validation failure becomes text.

Tolerant in (DESIGN.md decision 11): unknown fields are accepted *and kept*, because a hub relays
what a CPO sent, and a field we do not know yet may matter to the receiver. Strictness lives in the
field types instead (StrictBool, StrictInt, types.Number), so that `"yes"` is never a boolean.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, ValidationError

__all__ = ["OcpiEnum", "OcpiModel", "validation_message"]

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
