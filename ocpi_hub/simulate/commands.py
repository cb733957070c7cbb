"""Commands as the simulators exchange them (checklist §4.6): an eMSP POSTs a command, the CPO
answers at once with a CommandResponse and, when ACCEPTED, later POSTs a CommandResult to the
command's `response_url` (through the hub, which rewrote it to one of its own).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from ocpi_hub.core.model import OcpiModel, validation_message
from ocpi_hub.core.modules.commands import (
    COMMANDS,
    CommandResponse,
    CommandResult,
    CommandType,
    StartSession,
    StopSession,
)
from ocpi_hub.simulate.generate import JsonObject, valid
from ocpi_hub.simulate.wire import Refused, json_object

# Seconds the CPO gives itself to post the result of an ACCEPTED command.
RESULT_TIMEOUT = 30


@dataclass(frozen=True)
class Answer:
    """The CPO's synchronous CommandResponse, and the OCPI status it travels with (2003 for an
    unknown Location, as the spec's diagram shows)."""

    result: str
    message: str | None = None
    status_code: int = 1000

    def body(self) -> JsonObject:
        response: JsonObject = {
            "result": self.result,
            "timeout": RESULT_TIMEOUT if self.result == "ACCEPTED" else 0,
        }
        if self.message:
            response["message"] = [{"language": "en", "text": self.message}]
        return valid(CommandResponse, response)


def _model(model: type[OcpiModel], data: Any) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise Refused(200, 2001, validation_message(exc)) from exc


async def parse(request: web.Request) -> tuple[str, Any]:
    """The CommandType in the URL and the validated command in the body; 404 for an unknown
    CommandType (no such endpoint), 2001 for a malformed command."""
    kind = request.match_info["command"]
    try:
        command_type = CommandType(kind)
    except ValueError:
        raise Refused(404, 2000, f"unknown command {kind!r}") from None
    return kind, _model(COMMANDS[command_type], await json_object(request))


async def parse_result(request: web.Request) -> JsonObject:
    """A CommandResult posted to one of our response URLs."""
    body = await json_object(request)
    _model(CommandResult, body)
    return body


def start_session(
    response_url: str,
    token: JsonObject,
    location_id: str,
    evse_uid: str,
    connector_id: str,
    authorization_reference: str,
) -> JsonObject:
    """A START_SESSION for one connector (START_SESSION_CONNECTOR_REQUIRED-proof)."""
    return valid(
        StartSession,
        {
            "response_url": response_url,
            "token": token,
            "location_id": location_id,
            "evse_uid": evse_uid,
            "connector_id": connector_id,
            "authorization_reference": authorization_reference,
        },
    )


def stop_session(response_url: str, session_id: str) -> JsonObject:
    return valid(StopSession, {"response_url": response_url, "session_id": session_id})
