"""OCPI 2.2.1 Commands module objects (checklist §4.6) and the rules the hub applies to them.

An eMSP POSTs a command to a CPO's `{commands}/{CommandType}`; the CPO answers at once with a
CommandResponse (can it pass the command on?) and, when ACCEPTED, later POSTs a CommandResult to
the command's `response_url`. The hub rewrites that `response_url` to one of its own (checklist
§7.14: the spec is silent on it; OCN does the same) so the result flows back through it.

Models validate what a peer sends and keep unknown fields (model.OcpiModel); they rewrite nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import auto

from pydantic import StrictInt, ValidationInfo, field_validator

from ocpi_hub.core.model import OcpiEnum, OcpiModel
from ocpi_hub.core.modules.locations import DisplayText
from ocpi_hub.core.modules.tokens import Token
from ocpi_hub.core.types import URL, CiString36, DateTime

__all__ = [
    "COMMANDS",
    "CancelReservation",
    "CommandResponse",
    "CommandResponseType",
    "CommandResult",
    "CommandResultType",
    "CommandType",
    "ReserveNow",
    "StartSession",
    "StopSession",
    "UnlockConnector",
    "response_timeout",
]

# --- Enums -------------------------------------------------------------------------------------


class CommandType(OcpiEnum):
    CANCEL_RESERVATION = auto()
    RESERVE_NOW = auto()
    START_SESSION = auto()
    STOP_SESSION = auto()
    UNLOCK_CONNECTOR = auto()


class CommandResponseType(OcpiEnum):
    """The CPO's synchronous answer: could the command be passed on to the charge point?"""

    NOT_SUPPORTED = auto()
    REJECTED = auto()
    ACCEPTED = auto()
    UNKNOWN_SESSION = auto()


class CommandResultType(OcpiEnum):
    """The charge point's answer, sent later to the `response_url`."""

    ACCEPTED = auto()
    CANCELED_RESERVATION = auto()
    EVSE_OCCUPIED = auto()
    EVSE_INOPERATIVE = auto()
    FAILED = auto()
    NOT_SUPPORTED = auto()
    REJECTED = auto()
    TIMEOUT = auto()
    UNKNOWN_RESERVATION = auto()


# --- Command objects ---------------------------------------------------------------------------


class StartSession(OcpiModel):
    response_url: URL
    token: Token  # complete; the CPO does not validate it again (the eMSP pre-authorized it)
    location_id: CiString36
    evse_uid: CiString36 | None = None
    connector_id: CiString36 | None = None
    authorization_reference: CiString36 | None = None

    @field_validator("connector_id")
    @classmethod
    def _connector_needs_evse(cls, value: str | None, info: ValidationInfo) -> str | None:
        # A connector id is only unique within its EVSE.
        if value is not None and info.data.get("evse_uid") is None:
            raise ValueError("evse_uid is required when connector_id is given")
        return value


class StopSession(OcpiModel):
    response_url: URL
    session_id: CiString36


class ReserveNow(OcpiModel):
    response_url: URL
    token: Token
    expiry_date: DateTime
    reservation_id: CiString36
    location_id: CiString36
    evse_uid: CiString36 | None = None
    authorization_reference: CiString36 | None = None


class CancelReservation(OcpiModel):
    response_url: URL
    reservation_id: CiString36


class UnlockConnector(OcpiModel):
    response_url: URL
    location_id: CiString36
    evse_uid: CiString36
    connector_id: CiString36


# --- Answers -----------------------------------------------------------------------------------


class CommandResponse(OcpiModel):
    result: CommandResponseType
    timeout: StrictInt  # seconds the eMSP (and the hub) wait for the CommandResult
    message: list[DisplayText] | None = None


class CommandResult(OcpiModel):
    result: CommandResultType
    message: list[DisplayText] | None = None


# The body each CommandType carries, the URL's last segment naming the type.
COMMANDS: Mapping[CommandType, type[OcpiModel]] = {
    CommandType.CANCEL_RESERVATION: CancelReservation,
    CommandType.RESERVE_NOW: ReserveNow,
    CommandType.START_SESSION: StartSession,
    CommandType.STOP_SESSION: StopSession,
    CommandType.UNLOCK_CONNECTOR: UnlockConnector,
}


# --- Rules -------------------------------------------------------------------------------------

# What the hub waits for a result when an ACCEPTED answer states no valid timeout.
TIMEOUT_UNSTATED = 120


def response_timeout(status_ok: bool, data: object) -> int | None:
    """Seconds to wait for the asynchronous result after a receiver's synchronous answer, or None
    when no result will come (anything but an OCPI success with `result` ACCEPTED).

    Shared by CommandResponse and ChargingProfileResponse: both are `{result, timeout}`. A
    negative timeout counts as 0; an ACCEPTED answer without a usable timeout gets
    `TIMEOUT_UNSTATED` seconds, so the requester still hears something in the end.
    """
    if not status_ok or not isinstance(data, Mapping) or data.get("result") != "ACCEPTED":
        return None
    timeout = data.get("timeout")
    if isinstance(timeout, bool) or not isinstance(timeout, int):
        return TIMEOUT_UNSTATED
    return max(0, timeout)
