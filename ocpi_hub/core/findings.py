"""Findings: what the CDR checks (core.cdr_checks) and reconciliation (core.reconcile) find
wrong with a CDR or a Session the hub holds (issue 9 §2, §4), as data.

A finding has a code, the code's severity, a subject (the CDR or Session, `CC*PID*ID`), the
parties involved (the CPO and the token's eMSP) and its evidence: the figures that made it,
as JSON. Findings never block anything: the hub delivers every CDR and Session as it would
without them; they are for the operator (`ocpi-hub cdrs findings`, `ocpi-hub reconcile`).

`CODES` is the one table of codes; the README's table is printed from it (a test compares).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ocpi_hub.core.objects import token_owner
from ocpi_hub.core.routing import PartyKey

__all__ = [
    "CODES",
    "Code",
    "Finding",
    "Severity",
    "Subject",
    "codes_table",
    "parties_of",
]


class Severity(StrEnum):
    """How much a finding may cost: `high` is money at stake (a wrong or doubled bill, a charge
    never billed), `medium` a record that cannot be right but may bill correctly, `low` an
    oddity worth a look."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Code(StrEnum):
    ENERGY_ABOVE_MAX_POWER = "ENERGY_ABOVE_MAX_POWER"
    END_BEFORE_START = "END_BEFORE_START"
    TOO_LONG = "TOO_LONG"
    PERIODS_OUT_OF_ORDER = "PERIODS_OUT_OF_ORDER"
    PERIOD_NEGATIVE_LENGTH = "PERIOD_NEGATIVE_LENGTH"
    PERIOD_ZERO_LENGTH = "PERIOD_ZERO_LENGTH"
    UNKNOWN_LOCATION = "UNKNOWN_LOCATION"
    UNKNOWN_EVSE = "UNKNOWN_EVSE"
    UNKNOWN_TOKEN = "UNKNOWN_TOKEN"
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"
    PRICE_MISMATCH = "PRICE_MISMATCH"
    SECOND_CDR_FOR_SESSION = "SECOND_CDR_FOR_SESSION"
    UNKNOWN_CREDIT_REFERENCE = "UNKNOWN_CREDIT_REFERENCE"
    MISSING_CDR = "MISSING_CDR"
    CDR_WITHOUT_SESSION = "CDR_WITHOUT_SESSION"
    CDR_SESSION_MISMATCH = "CDR_SESSION_MISMATCH"
    DUPLICATE_CHARGE = "DUPLICATE_CHARGE"


@dataclass(frozen=True)
class CodeInfo:
    severity: Severity
    subjects: str  # what it is found on: "CDR", "Session" or "CDR, Session"
    meaning: str


_H, _M, _L = Severity.HIGH, Severity.MEDIUM, Severity.LOW
_BOTH = "CDR, Session"

# Every code, its severity, what it is found on and what it means, in the order the README
# lists them: the checks of one record first, then reconciliation across records.
CODES: Mapping[Code, CodeInfo] = {
    Code.ENERGY_ABOVE_MAX_POWER: CodeInfo(
        _H,
        _BOTH,
        "more energy than the EVSE can deliver in the time charged: above its"
        " strongest connector's power (max_electric_power, else voltage x amperage x phases)"
        " x the duration",
    ),
    Code.END_BEFORE_START: CodeInfo(_H, _BOTH, "the charge ends before it starts"),
    Code.TOO_LONG: CodeInfo(_M, _BOTH, "the charge lasts longer than OCPI_HUB_MAX_SESSION_HOURS"),
    Code.PERIODS_OUT_OF_ORDER: CodeInfo(
        _M, _BOTH, "a charging period starts before the one listed before it"
    ),
    Code.PERIOD_NEGATIVE_LENGTH: CodeInfo(
        _M, _BOTH, "a charging period starts after the charge ended (its length is negative)"
    ),
    Code.PERIOD_ZERO_LENGTH: CodeInfo(
        _L,
        _BOTH,
        "a charging period ends as it starts: the next one (for the last one, the"
        " end of the charge) starts at the same instant",
    ),
    Code.UNKNOWN_LOCATION: CodeInfo(_M, _BOTH, "the hub holds no Location of the CPO with its id"),
    Code.UNKNOWN_EVSE: CodeInfo(
        _M,
        _BOTH,
        "the Location holds no EVSE with its evse_uid (and, for a CDR, evse_id,"
        " compared as the CPO's dialect compares EVSE ids)",
    ),
    Code.UNKNOWN_TOKEN: CodeInfo(
        _M, _BOTH, "the token's eMSP shares its Tokens with the hub, and not this one"
    ),
    Code.CURRENCY_MISMATCH: CodeInfo(_H, _BOTH, "its currency differs from its tariff's"),
    Code.PRICE_MISMATCH: CodeInfo(
        _H,
        "CDR",
        "its total_cost differs from its tariff's price of its charging periods (core.pricing)"
        " by more than OCPI_HUB_PRICE_TOLERANCE",
    ),
    Code.SECOND_CDR_FOR_SESSION: CodeInfo(
        _H, "CDR", "another CDR for the same Session, neither credited, was checked before"
    ),
    Code.UNKNOWN_CREDIT_REFERENCE: CodeInfo(
        _H, "CDR", "a credit CDR whose credit_reference_id names no CDR the hub holds of the CPO"
    ),
    Code.MISSING_CDR: CodeInfo(
        _H, "Session", "COMPLETED, and no CDR for it after OCPI_HUB_CDR_GRACE_HOURS"
    ),
    Code.CDR_WITHOUT_SESSION: CodeInfo(
        _M, "CDR", "the CPO sends the hub its Sessions, and not the one this CDR is for"
    ),
    Code.CDR_SESSION_MISMATCH: CodeInfo(
        _M, "CDR", "its energy, start or end disagrees with its Session's"
    ),
    Code.DUPLICATE_CHARGE: CodeInfo(
        _H,
        "CDR",
        "another CDR, under another id and for another (or no) Session, has the"
        " same Location, EVSE, token, start and end; neither is credited",
    ),
}


@dataclass(frozen=True)
class Subject:
    """What a finding is about: a CDR or a Session, by owner (the CPO) and id."""

    module: str  # "cdrs" or "sessions"
    owner: PartyKey
    id: str

    @property
    def kind(self) -> str:
        """The key naming it in a finding's JSON: "cdr" or "session"."""
        return "cdr" if self.module == "cdrs" else "session"

    def __str__(self) -> str:
        """`CC*PID*ID`: the owner in upper case, the id as sent."""
        return f"{self.owner[0].upper()}*{self.owner[1].upper()}*{self.id}"


@dataclass(frozen=True)
class Finding:
    """One thing found wrong with a subject. `detail` tells apart findings of one code on one
    subject (the tariff of a currency mismatch); evidence holds only JSON values (amounts as
    strings, exact)."""

    code: Code
    evidence: Mapping[str, Any] = field(default_factory=dict)
    detail: str = ""

    @property
    def severity(self) -> Severity:
        return CODES[self.code].severity


def parties_of(obj: Mapping[str, Any]) -> list[PartyKey]:
    """The parties a CDR or Session involves: its CPO, then its token's eMSP."""
    parties = [(str(obj["country_code"]).upper(), str(obj["party_id"]).upper())]
    emsp = token_owner(obj)
    if emsp is not None and emsp not in parties:
        parties.append(emsp)
    return parties


def codes_table() -> str:
    """The codes as the README's Markdown table."""
    lines = ["| Code | Severity | Found on | Meaning |", "|---|---|---|---|"]
    for code, info in CODES.items():
        lines.append(
            f"| `{code.value}` | {info.severity.value} | {info.subjects} | {info.meaning} |"
        )
    return "\n".join(lines)
