"""OICP 2.3 StatusCode ⇄ OCPI 2.2.1 answers, as tables (hub-dialects.md §5.5; OICP 2.3 CPO/EMP
"CodeType"), and the eRoamingAcknowledgement the hub answers Hubject with.

Every OICP answer carries a StatusCode {Code, Description, AdditionalInfo}; whether the operation
succeeded is said by `Result` (Acknowledgement) or `AuthorizationStatus` (AuthorizationStart/Stop).
The code only says why it failed, so the tables below are read only for failures.

Hubject → OCPI (`OUTCOMES`, one `Outcome` per code), what a code means for the OCPI request the
hub relayed as the OICP operation:
- `error`: the envelope of that OCPI answer, an `OcpiError` class (its status_code and HTTP
  status), or None for 1000. Set where the request failed on the way (Hubject's own errors: 3000;
  our certificate refused, 017: 3001, the hub could not use Hubject's API; 022: 2001; the partner
  not found, silent or without the service, 300/310/320: the hub errors 4001/4002/4003) and where
  the object is unknown (an EVSE Hubject does not know, 018/603: 2003, which mod_commands
  answers with a REJECTED CommandResponse as data; a token no one knows, 102/105/120: 2004, which
  mod_tokens answers without data).
- `allowed`: AuthorizationInfo.allowed for a NotAuthorized with this code. OICP has one
  "locked" (200 → BLOCKED); every other refusal is NOT_ALLOWED. EXPIRED and NO_CREDIT never come
  from Hubject.
- `response` / `result`: the CommandResponse and CommandResult of a remote start/stop answered
  `Result: false` with this code. Codes about the charge point (501, 510, 601, 602, 700) mean
  the operator took the command and the EVSE could not do it: ACCEPTED, then that result
  (FAILED, EVSE_OCCUPIED, EVSE_INOPERATIVE). Every other code means the command never reached
  the EVSE: the CommandResponse says so (REJECTED; NOT_SUPPORTED for 320; UNKNOWN_SESSION for
  400) and no result follows (`result` None).
Choices where §5.5 proposes otherwise: 017 is 3001, not HTTP 401: the certificate Hubject refused
is the hub's, and a 401 would tell the local party its own credentials were wrong. 604 (EVSE not
Hubject compatible) is REJECTED with 1000, not 2003: the EVSE exists, it only takes no remote
commands. A code outside the table reads as `UNLISTED`: a refusal with nothing more to say.

OCPI → Hubject, the code the hub answers with for an OCPI answer (a NotAuthorized or a
`Result: false` carries it; a success is 000):
- `FROM_ALLOWED` (AuthorizationInfo.allowed): BLOCKED → 200 (locked); NOT_ALLOWED, EXPIRED and
  NO_CREDIT → 210 (no valid contract): OICP cannot tell the three apart (the translation
  returns a Loss for EXPIRED and NO_CREDIT).
- `UNKNOWN_TOKEN` (no such token, 2004), by the Identification Hubject sent: 102 for an RFID UID,
  101 for a QR code, 105 for an EvcoID (Plug&Charge, remote).
- `FROM_COMMAND` (CommandResponse and CommandResult, whose shared values mean the same):
  REJECTED → 210, NOT_SUPPORTED → 320, UNKNOWN_SESSION → 400, EVSE_OCCUPIED → 602,
  EVSE_INOPERATIVE → 700, FAILED and TIMEOUT → 501 (the EVSE did not do it / did not answer),
  the reservation results → 400.
- `code_of_status` (an OCPI error envelope instead of an answer): 2003 → 603, 2004 → 102, other
  2xxx → 022, 3xxx and 4000 → 021, 4001/4002/4003 → 300/310/320, the mirror of the first table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from ocpi_hub.core.modules.commands import CommandResponseType, CommandResultType
from ocpi_hub.core.modules.tokens import AllowedType
from ocpi_hub.errors import (
    ClientApiUnusable,
    ForwardTimeout,
    InvalidParameters,
    OcpiError,
    ReceiverNotConnected,
    ServerError,
    UnknownCommandLocation,
    UnknownReceiver,
    UnknownToken,
)

__all__ = [
    "FROM_ALLOWED",
    "FROM_COMMAND",
    "MEANINGS",
    "OUTCOMES",
    "SUCCESS",
    "UNKNOWN_TOKEN",
    "UNLISTED",
    "Outcome",
    "acknowledgement",
    "code_of_status",
    "outcome",
    "refusal",
    "status_code",
    "status_text",
]

SUCCESS = "000"
DESCRIPTION_MAX, ADDITIONAL_INFO_MAX = 200, 1000  # StatusCodeType field lengths


@dataclass(frozen=True)
class Outcome:
    """What one OICP StatusCode means for the OCPI side (module docstring, first table)."""

    code: str
    meaning: str  # the spec's words (CodeType)
    error: type[OcpiError] | None  # the OCPI envelope; None: 1000
    allowed: AllowedType  # AuthorizationInfo.allowed of a NotAuthorized with this code
    response: CommandResponseType  # of a remote start/stop answered with this code
    result: CommandResultType | None  # the CommandResult that follows; None: none follows


_PLC = "PLC (ISO/IEC 15118) authentication failed -"
# The spec's CodeType list, in its words.
MEANINGS: Mapping[str, str] = MappingProxyType({
    "000": "Success.",
    "001": "Hubject system error.",
    "002": "Hubject database error.",
    "009": "Data transaction error.",
    "017": "Unauthorized Access.",
    "018": "Inconsistent EvseID.",
    "019": "Inconsistent EvcoID.",
    "021": "System error.",
    "022": "Data error.",
    "101": "QR Code authentication failed - invalid credentials.",
    "102": "RFID authentication failed - invalid UID.",
    "103": "RFID authentication failed - card not readable.",
    "105": "PLC authentication failed - invalid EvcoID.",
    "106": "No positive authentication response.",
    "110": "QR Code App authentication failed - time out error.",
    "120": f"{_PLC} invalid underlying EvcoID.",
    "121": f"{_PLC} invalid certificate.",
    "122": f"{_PLC} time out error.",
    "200": "EvcoID locked.",
    "210": "No valid contract.",
    "300": "Partner not found.",
    "310": "Partner did not respond.",
    "320": "Service not available.",
    "400": "Session is invalid.",
    "501": "Communication to EVSE failed.",
    "510": "No EV connected to EVSE.",
    "601": "EVSE already reserved.",
    "602": "EVSE already in use/ wrong token.",
    "603": "Unknown EVSE ID.",
    "604": "EVSE ID is not Hubject compatible.",
    "700": "EVSE out of service.",
})  # fmt: skip

_OK, _RE, _NS, _US = (
    CommandResponseType[n] for n in ("ACCEPTED", "REJECTED", "NOT_SUPPORTED", "UNKNOWN_SESSION")
)
_YES, _NOT, _LOCKED = AllowedType.ALLOWED, AllowedType.NOT_ALLOWED, AllowedType.BLOCKED
_DONE, _FAILED, _OCCUPIED, _OUT_OF_ORDER = (
    CommandResultType[n] for n in ("ACCEPTED", "FAILED", "EVSE_OCCUPIED", "EVSE_INOPERATIVE")
)


def _row(
    code: str,
    error: type[OcpiError] | None,
    allowed: AllowedType,
    response: CommandResponseType,
    result: CommandResultType | None,
) -> tuple[str, Outcome]:
    return code, Outcome(code, MEANINGS[code], error, allowed, response, result)


# fmt: off
OUTCOMES: Mapping[str, Outcome] = MappingProxyType(dict((
    #    code   error (None: 1000)      allowed  response  result (None: none follows)
    _row("000", None,                   _YES,    _OK,      _DONE),
    _row("001", ServerError,            _NOT,    _RE,      None),
    _row("002", ServerError,            _NOT,    _RE,      None),
    _row("009", ServerError,            _NOT,    _RE,      None),
    _row("017", ClientApiUnusable,      _NOT,    _RE,      None),
    _row("018", UnknownCommandLocation, _NOT,    _RE,      None),
    _row("019", None,                   _NOT,    _RE,      None),
    _row("021", ServerError,            _NOT,    _RE,      None),
    _row("022", InvalidParameters,      _NOT,    _RE,      None),
    _row("101", None,                   _NOT,    _RE,      None),
    _row("102", UnknownToken,           _NOT,    _RE,      None),
    _row("103", None,                   _NOT,    _RE,      None),
    _row("105", UnknownToken,           _NOT,    _RE,      None),
    _row("106", None,                   _NOT,    _RE,      None),
    _row("110", None,                   _NOT,    _RE,      None),
    _row("120", UnknownToken,           _NOT,    _RE,      None),
    _row("121", None,                   _NOT,    _RE,      None),
    _row("122", None,                   _NOT,    _RE,      None),
    _row("200", None,                   _LOCKED, _RE,      None),
    _row("210", None,                   _NOT,    _RE,      None),
    _row("300", UnknownReceiver,        _NOT,    _RE,      None),
    _row("310", ForwardTimeout,         _NOT,    _RE,      None),
    _row("320", ReceiverNotConnected,   _NOT,    _NS,      None),
    _row("400", None,                   _NOT,    _US,      None),
    _row("501", None,                   _NOT,    _OK,      _FAILED),
    _row("510", None,                   _NOT,    _OK,      _FAILED),
    _row("601", None,                   _NOT,    _OK,      _OCCUPIED),
    _row("602", None,                   _NOT,    _OK,      _OCCUPIED),
    _row("603", UnknownCommandLocation, _NOT,    _RE,      None),
    _row("604", None,                   _NOT,    _RE,      None),
    _row("700", None,                   _NOT,    _OK,      _OUT_OF_ORDER),
)))
# fmt: on

# A failure under a code the table does not list: a plain refusal.
UNLISTED = Outcome("", "Unlisted status code.", None, _NOT, _RE, None)


FROM_ALLOWED: Mapping[AllowedType, str] = MappingProxyType(
    {
        AllowedType.ALLOWED: "000",
        AllowedType.BLOCKED: "200",
        AllowedType.EXPIRED: "210",
        AllowedType.NO_CREDIT: "210",
        AllowedType.NOT_ALLOWED: "210",
    }
)

# Keyed by the Identification variant (its OICP field name) the request carried.
UNKNOWN_TOKEN: Mapping[str, str] = MappingProxyType(
    {
        "RFIDMifareFamilyIdentification": "102",
        "RFIDIdentification": "102",
        "QRCodeIdentification": "101",
        "PlugAndChargeIdentification": "105",
        "RemoteIdentification": "105",
    }
)

# CommandResponseType and CommandResultType values (ACCEPTED, REJECTED, NOT_SUPPORTED mean the
# same in both), so one table answers for either.
FROM_COMMAND: Mapping[str, str] = MappingProxyType(
    {
        "ACCEPTED": "000",
        "REJECTED": "210",
        "NOT_SUPPORTED": "320",
        "UNKNOWN_SESSION": "400",
        "EVSE_OCCUPIED": "602",
        "EVSE_INOPERATIVE": "700",
        "FAILED": "501",
        "TIMEOUT": "501",
        "CANCELED_RESERVATION": "400",
        "UNKNOWN_RESERVATION": "400",
    }
)

_FROM_STATUS: Mapping[int, str] = MappingProxyType(
    {1000: "000", 2003: "603", 2004: "102", 4001: "300", 4002: "310", 4003: "320"}
)


def outcome(code: object) -> Outcome:
    """The row of an OICP StatusCode as Hubject sent it (`"102"`, or the StatusCode object);
    `UNLISTED` for a code the table does not know or a missing one."""
    if isinstance(code, Mapping):
        code = code.get("Code")
    if isinstance(code, int) and not isinstance(code, bool):
        code = f"{code:03d}"  # lenient: a code sent as a number
    return OUTCOMES.get(code, UNLISTED) if isinstance(code, str) else UNLISTED


def refusal(code: object) -> Outcome:
    """The row of a failure's StatusCode: as `outcome`, but a failure sent with the success code
    (`Result: false` and 000) is `UNLISTED`, a refusal that says nothing more."""
    row = outcome(code)
    return UNLISTED if row.code == SUCCESS else row


def code_of_status(status_code: int) -> str:
    """The OICP code for an OCPI envelope that is not a success (module docstring)."""
    if status_code in _FROM_STATUS:
        return _FROM_STATUS[status_code]
    if 1000 <= status_code < 2000:
        return SUCCESS
    return "022" if 2000 <= status_code < 3000 else "021"


def status_code(code: str, description: str = "", additional_info: str = "") -> dict[str, Any]:
    """An OICP StatusCode object; the Description defaults to the spec's meaning of the code.
    ValueError for a code the spec does not list: the hub sends only codes it defines."""
    if code not in OUTCOMES:
        raise ValueError(f"{code!r} is not an OICP 2.3 status code")
    body: dict[str, Any] = {
        "Code": code,
        "Description": (description or MEANINGS[code])[:DESCRIPTION_MAX],
    }
    if additional_info:
        body["AdditionalInfo"] = additional_info[:ADDITIONAL_INFO_MAX]
    return body


def status_text(status: object) -> str:
    """A StatusCode Hubject sent, as one line of text for an OCPI message (`102 RFID ...`)."""
    if not isinstance(status, Mapping):
        return ""
    parts = (status.get("Code"), status.get("Description"), status.get("AdditionalInfo"))
    return " ".join(p for p in parts if isinstance(p, str) and p)


def acknowledgement(
    result: bool,
    code: str,
    description: str = "",
    session_id: str | None = None,
    *,
    cpo_partner_session_id: str | None = None,
    emp_partner_session_id: str | None = None,
    additional_info: str = "",
) -> dict[str, Any]:
    """The eRoamingAcknowledgement the hub answers Hubject with (Result, StatusCode and the
    session ids it echoes)."""
    body: dict[str, Any] = {
        "Result": result,
        "StatusCode": status_code(code, description, additional_info),
    }
    for name, value in (
        ("SessionID", session_id),
        ("CPOPartnerSessionID", cpo_partner_session_id),
        ("EMPPartnerSessionID", emp_partner_session_id),
    ):
        if value is not None:
            body[name] = value
    return body
