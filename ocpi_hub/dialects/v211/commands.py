"""OCPI 2.2.1 Commands ⇄ OCPI 2.1.1: the command bodies, the CPO's synchronous CommandResponse
and the asynchronous result (ocpi-2.1.1-differences.md §8, §10.3 "Commands").

| 2.2.1                               | 2.1.1                         | lost                |
|-------------------------------------|-------------------------------|---------------------|
| CANCEL_RESERVATION                  | -                             | out: None (a Loss)  |
| StartSession/ReserveNow.token       | token (tokens.token_out/_in)  | as the Token's      |
| StartSession.connector_id           | - (2.1.1 targets an EVSE)     | out: dropped        |
| StartSession/ReserveNow             | -                             | out: dropped        |
| .authorization_reference            |                               |                     |
| ReserveNow.reservation_id string    | reservation_id int            | out: leading zeros; |
|                                     |                               | 2001 if not digits  |
| ReserveNow.expiry_date (a fraction) | expiry_date (seconds)         | out: approximated   |
| CommandResponse {result, timeout,   | CommandResponse {result}, or  | out: timeout,       |
| message}                            | the bare result (2.1.1 orig.) | message; in: timeout|
|                                     |                               | guessed             |
| CommandResponseType                 | the same + TIMEOUT            | in: TIMEOUT →       |
|                                     |                               | REJECTED            |
| CommandResult {result, message}     | CommandResponse {result}      | out: details →      |
|                                     |                               | REJECTED, message;  |
|                                     |                               | in: UNKNOWN_SESSION |
|                                     |                               | → FAILED            |

Out (`*_out`): the hub forwards a 2.2.1 eMSP's command to a 2.1.1 CPO, or answers a 2.1.1 eMSP.
In (`*_in`): the hub takes a 2.1.1 eMSP's command, or a 2.1.1 CPO's answers. `response_url` is
carried as it is: the edge puts its own in its place. Results are sent as the 2.1.1-d2 object
`{"result": ...}`; a peer that wants the original bare string gets `["result"]` from the edge.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ocpi_hub.core.routing import PartyKey
from ocpi_hub.dialects.losses import Direction, Loss, Lost
from ocpi_hub.dialects.v211.tokens import copied, datetime_out, nested, token_in, token_out
from ocpi_hub.errors import InvalidParameters

__all__ = [
    "COMMANDS_211",
    "RESPONSE_TYPES_211",
    "RESULT_IN",
    "RESULT_OUT",
    "command_in",
    "command_out",
    "command_response_in",
    "command_response_out",
    "command_result_in",
    "command_result_out",
]

MODULE = "commands"
_OUT, _IN = Direction.OUT, Direction.IN

COMMANDS_211 = frozenset({"RESERVE_NOW", "START_SESSION", "STOP_SESSION", "UNLOCK_CONNECTOR"})
COMMANDS_221 = COMMANDS_211 | {"CANCEL_RESERVATION"}
# 2.1.1 CommandResponseType, the sync answer and the async result alike.
RESPONSE_TYPES_211 = frozenset(
    {"NOT_SUPPORTED", "REJECTED", "ACCEPTED", "TIMEOUT", "UNKNOWN_SESSION"}
)
# The sync answer 2.1.1 → 2.2.1: TIMEOUT left the sync enum in 2.2.1.
RESPONSE_IN: Mapping[str, str] = {
    "ACCEPTED": "ACCEPTED",
    "NOT_SUPPORTED": "NOT_SUPPORTED",
    "REJECTED": "REJECTED",
    "TIMEOUT": "REJECTED",
    "UNKNOWN_SESSION": "UNKNOWN_SESSION",
}
# 2.2.1 CommandResultType → the 2.1.1 async CommandResponse: the detailed failures are REJECTED.
RESULT_OUT: Mapping[str, str] = {
    "ACCEPTED": "ACCEPTED",
    "REJECTED": "REJECTED",
    "NOT_SUPPORTED": "NOT_SUPPORTED",
    "TIMEOUT": "TIMEOUT",
    "CANCELED_RESERVATION": "REJECTED",
    "EVSE_OCCUPIED": "REJECTED",
    "EVSE_INOPERATIVE": "REJECTED",
    "FAILED": "REJECTED",
    "UNKNOWN_RESERVATION": "REJECTED",
}
# The 2.1.1 async CommandResponse → 2.2.1 CommandResultType.
RESULT_IN: Mapping[str, str] = {
    "ACCEPTED": "ACCEPTED",
    "REJECTED": "REJECTED",
    "NOT_SUPPORTED": "NOT_SUPPORTED",
    "TIMEOUT": "TIMEOUT",
    "UNKNOWN_SESSION": "FAILED",
}
_WITH_TOKEN = frozenset({"START_SESSION", "RESERVE_NOW"})
_DIGITS = re.compile(r"[0-9]+")
# What a 2.1.1 peer can hold in an int, by the most common implementations' type (Java, C#
# int): the spec is silent on the range.
RESERVATION_ID_MAX = 2**31 - 1

_WHY = {
    "CANCEL_RESERVATION": "2.1.1 has no CANCEL_RESERVATION: answered NOT_SUPPORTED",
    "connector_id": "2.1.1 StartSession targets an EVSE, not a connector",
    "authorization_reference": "2.1.1 commands have no authorization_reference",
    "reservation_id": "2.1.1 reservation_id is an int: its leading zeros are lost",
    "expiry_date": "2.1.1 DateTime has no fractional seconds",
    "timeout": "2.1.1 CommandResponse has no timeout",
    "message": "2.1.1 CommandResponse has no message",
    "result": "2.1.1 CommandResponseType has no such value",
    "in.timeout": "2.1.1 CommandResponse has no timeout: the hub's own wait",
    "in.response": "TIMEOUT is no longer a 2.2.1 CommandResponseType",
    "in.result": "2.1.1 UNKNOWN_SESSION is no 2.2.1 CommandResultType",
}


def _loss(field: str, way: Direction, lost: Lost, example: object, why: str = "") -> Loss:
    return Loss(MODULE, field, way, lost, str(example), _WHY[why or field])


# --- Commands ----------------------------------------------------------------------------------


def command_out(
    command_type: str, body: Mapping[str, Any]
) -> tuple[dict[str, Any] | None, list[Loss]]:
    """The 2.1.1 body of a 2.2.1 command of `command_type`, or None (with a Loss) for one 2.1.1
    does not know (CANCEL_RESERVATION): the edge answers NOT_SUPPORTED itself."""
    _known(command_type, COMMANDS_221)
    if command_type not in COMMANDS_211:
        example = body.get("reservation_id", "")
        return None, [_loss(command_type, _OUT, Lost.DROPPED, example)]
    out, losses = copied(body), []
    if command_type in _WITH_TOKEN and isinstance(out.get("token"), Mapping):
        out["token"], token_losses = token_out(out["token"])
        losses += nested("token.", token_losses, MODULE)
    for name in ("connector_id", "authorization_reference"):
        value = out.pop(name, None) if command_type in _WITH_TOKEN else None
        if value is not None:
            losses.append(_loss(name, _OUT, Lost.DROPPED, value))
    if command_type == "RESERVE_NOW":
        reservation = out.get("reservation_id")
        out["reservation_id"] = _reservation_int(reservation)
        if str(out["reservation_id"]) != str(reservation):
            losses.append(_loss("reservation_id", _OUT, Lost.APPROXIMATED, reservation))
        if "expiry_date" in out:
            out["expiry_date"], cut = datetime_out(out["expiry_date"])
            if cut:
                losses.append(_loss("expiry_date", _OUT, Lost.APPROXIMATED, body["expiry_date"]))
    return out, losses


def _reservation_int(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if not isinstance(value, str) or not _DIGITS.fullmatch(value):
        raise InvalidParameters(
            f"reservation_id: {value!r} is not decimal digits, and 2.1.1 takes an int"
        )
    number = int(value)
    if number > RESERVATION_ID_MAX:
        raise InvalidParameters(f"reservation_id: {value!r} is above what a 2.1.1 int holds")
    return number


def command_in(
    command_type: str, body: Mapping[str, Any], owner: PartyKey, *, received_at: str
) -> tuple[dict[str, Any], list[Loss]]:
    """The 2.2.1 body of a 2.1.1 eMSP's command; `owner` is that eMSP, the owner of its token.
    2001 for a command 2.1.1 does not define, or a reservation_id that is not an int."""
    _known(command_type, COMMANDS_211)
    out: dict[str, Any] = copied(body)
    losses: list[Loss] = []
    if command_type in _WITH_TOKEN and isinstance(out.get("token"), Mapping):
        try:
            out["token"], token_losses = token_in(out["token"], owner, received_at=received_at)
        except InvalidParameters as exc:
            raise InvalidParameters(f"token.{exc.message}") from exc
        losses += nested("token.", token_losses, MODULE)
    if command_type == "RESERVE_NOW" and "reservation_id" in out:
        reservation = out["reservation_id"]
        if isinstance(reservation, bool) or not isinstance(reservation, int | str):
            raise InvalidParameters(f"reservation_id: {reservation!r} is not an int")
        out["reservation_id"] = str(reservation)  # a string already: tolerated as it is
    return out, losses


def _known(command_type: str, known: frozenset[str]) -> None:
    if command_type not in known:
        raise InvalidParameters(f"command: {command_type!r} is not a CommandType here")


# --- Answers -----------------------------------------------------------------------------------


def command_response_out(response: Mapping[str, Any]) -> tuple[dict[str, Any], list[Loss]]:
    """A 2.2.1 CommandResponse as 2.1.1's `{result}` (every 2.2.1 value is a 2.1.1 one);
    timeout and message DROPPED."""
    out, losses = copied(response), []
    for name in ("timeout", "message"):
        value = out.pop(name, None)
        if value is not None and value != []:
            losses.append(_loss(name, _OUT, Lost.DROPPED, value))
    return out, losses


def command_response_in(
    response: Mapping[str, Any] | str, *, timeout: int
) -> tuple[dict[str, Any], list[Loss]]:
    """A 2.1.1 CPO's sync answer, the d2 object or the original bare string, as a 2.2.1
    CommandResponse: `timeout` (the hub's wait) GUESSED, TIMEOUT → REJECTED (APPROXIMATED)."""
    out = _response_object(response)
    result = str(out["result"])
    out["result"] = RESPONSE_IN[result]
    losses = [_loss("timeout", _IN, Lost.GUESSED, timeout, "in.timeout")]
    if result != out["result"]:
        losses.append(_loss("result", _IN, Lost.APPROXIMATED, result, "in.response"))
    out["timeout"] = timeout
    return out, losses


def command_result_out(result: Mapping[str, Any]) -> tuple[dict[str, Any], list[Loss]]:
    """A 2.2.1 CommandResult as the 2.1.1 async CommandResponse `{result}`: the detailed
    failures REJECTED (APPROXIMATED), message DROPPED."""
    out, losses = copied(result), []
    value = out.get("result")
    if not isinstance(value, str) or value not in RESULT_OUT:
        raise InvalidParameters(f"result: {value!r} is not a CommandResultType")
    out["result"] = RESULT_OUT[value]
    if value != out["result"]:
        losses.append(_loss("result", _OUT, Lost.APPROXIMATED, value))
    message = out.pop("message", None)
    if message:
        losses.append(_loss("message", _OUT, Lost.DROPPED, message))
    return out, losses


def command_result_in(response: Mapping[str, Any] | str) -> tuple[dict[str, Any], list[Loss]]:
    """A 2.1.1 CPO's async CommandResponse (object or bare string) as a 2.2.1 CommandResult:
    UNKNOWN_SESSION → FAILED (APPROXIMATED)."""
    out = _response_object(response)
    result = str(out["result"])
    out["result"] = RESULT_IN[result]
    losses = []
    if result != out["result"]:
        losses.append(_loss("result", _IN, Lost.APPROXIMATED, result, "in.result"))
    return out, losses


def _response_object(response: Mapping[str, Any] | str) -> dict[str, Any]:
    """A 2.1.1 CommandResponse in either shape as a dict; 2001 when its result is not a 2.1.1
    CommandResponseType."""
    out = {"result": response} if isinstance(response, str) else copied(response)
    if out.get("result") not in RESPONSE_TYPES_211:
        raise InvalidParameters(f"result: {out.get('result')!r} is not a CommandResponseType")
    return out
