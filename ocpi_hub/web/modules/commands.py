"""Commands through the hub (checklist §4.6, §1.6, §5, §7.14).

Receiver interface (an eMSP commands a CPO): `POST /receiver/commands/{CommandType}`. The hub
validates the command (its `response_url` on an origin the eMSP's platform registered,
core.urls.check_response_url), finds the CPO, rewrites `response_url` to its own
`/sender/commands/{CommandType}/{id}` (web.results), relays the command synchronously and relays
the CPO's CommandResponse back unchanged.

Which CPO (OCPI-to, when it names a party, always wins):
- START_SESSION, RESERVE_NOW, UNLOCK_CONNECTOR: the owner of the stored Location `location_id`;
  none → OCPI 2003 with a REJECTED CommandResponse (the spec's unknown-location diagram), HTTP
  200 since the request reached the OCPI layer (§1.4);
- STOP_SESSION: the owner of the stored Session `session_id` the eMSP may see (its own); none →
  OCPI 1000 with UNKNOWN_SESSION, the answer a CPO gives for a session it does not know;
- CANCEL_RESERVATION: the CPO of this eMSP's latest RESERVE_NOW with that reservation_id; none →
  OCPI 2001 with a REJECTED CommandResponse (there is no UNKNOWN_RESERVATION response type).

START_SESSION and RESERVE_NOW for a token of an eMSP whose credit is suspended (issue 9 §7; held
in the platform cache, as authorizations read it) are answered by the hub, relaying nothing:
OCPI 1000 with a CommandResponse REJECTED, timeout 0, its message saying why. The request itself
is well-formed, so it is not an OCPI error; REJECTED is what the spec gives a command that will
not be carried out, and no CommandResult follows. Every other command goes on: stopping a
session or unlocking a cable must stay possible.

STOP_SESSION for a Session the hub holds is relayed only for its eMSP, however addressed
(core.modules.sessions.may_act_on_session): anyone else gets 2001 with a REJECTED
CommandResponse. A session the hub never saw is relayed; the CPO judges it. UNLOCK_CONNECTOR
names a connector, not a session, and is not narrowed to any session's eMSP: it is the helpdesk's
command for a cable still locked, usually after the session ended; the CPO decides.

Sender interface (the CPO reports): `POST /sender/commands/{CommandType}/{id}` takes the
CommandResult and relays it durably to the eMSP's own response_url; a result that never comes is
reported as TIMEOUT once the CPO's `timeout` has passed (BACKGROUND sweeper).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from aiohttp import web

from ocpi_hub import dialects
from ocpi_hub.core.envelope import envelope
from ocpi_hub.core.modules.commands import (
    COMMANDS,
    CancelReservation,
    CommandResponse,
    CommandResponseType,
    CommandResult,
    CommandResultType,
    CommandType,
    ReserveNow,
    StartSession,
    StopSession,
    UnlockConnector,
)
from ocpi_hub.core.modules.locations import DisplayText
from ocpi_hub.core.modules.sessions import SessionRequest
from ocpi_hub.core.parties import InterfaceRole, ModuleID
from ocpi_hub.core.routing import PartyKey, Route
from ocpi_hub.core.types import parse_datetime
from ocpi_hub.core.urls import check_response_url, module_path, registered_urls
from ocpi_hub.errors import InvalidParameters, NotFound, UnknownCommandLocation
from ocpi_hub.storage.repositories import results
from ocpi_hub.storage.repositories.results import ProxiedRequest
from ocpi_hub.web.keys import PLATFORMS, POOL
from ocpi_hub.web.middleware import ocpi_response, read_json
from ocpi_hub.web.objects import relay_path
from ocpi_hub.web.relay import Call, functional_call, receiving_platform
from ocpi_hub.web.results import (
    Expected,
    Target,
    check_session_request,
    parse,
    relay,
    relay_result,
    stored_owner,
    sweeper,
    with_response_url,
)

RECEIVER_PATH = module_path(ModuleID.COMMANDS, InterfaceRole.RECEIVER)
SENDER_PATH = module_path(ModuleID.COMMANDS, InterfaceRole.SENDER)
ENDPOINTS = [
    (ModuleID.COMMANDS, InterfaceRole.SENDER, SENDER_PATH),
    (ModuleID.COMMANDS, InterfaceRole.RECEIVER, RECEIVER_PATH),
]

# What the eMSP receives, FROM the hub, when the CPO's result does not come in time.
TIMEOUT_RESULT = orjson.dumps(
    CommandResult(
        result=CommandResultType.TIMEOUT,
        message=[
            DisplayText(
                language="en",
                text="ocpi-hub: no CommandResult from the CPO within the timeout it announced",
            )
        ],
    ).model_dump(mode="json", exclude_none=True)
)
BACKGROUND = [sweeper(ModuleID.COMMANDS, TIMEOUT_RESULT)]

Command = StartSession | StopSession | ReserveNow | CancelReservation | UnlockConnector


def command_type(value: str) -> CommandType:
    """The URL's CommandType; 404 for anything else (no such endpoint)."""
    try:
        return CommandType(value)
    except ValueError:
        known = ", ".join(c.value for c in CommandType)
        raise NotFound(f"unknown command {value!r}: one of {known}") from None


def command_response(result: CommandResponseType, text: str) -> dict[str, Any]:
    """A CommandResponse the hub gives itself: nothing was relayed, so no result will follow."""
    response = CommandResponse(
        result=result, timeout=0, message=[DisplayText(language="en", text=text)]
    )
    return response.model_dump(mode="json", exclude_none=True)


def _check_token(call: Call, command: Command) -> None:
    # The spec's MUST (§4.6): an eMSP only uses its own tokens. A hub is where one eMSP could
    # otherwise start sessions on another's tokens, so it holds the eMSP to it.
    if isinstance(command, StartSession | ReserveNow):
        token = command.token
        if call.caller.party(token.country_code, token.party_id) is None:
            raise InvalidParameters(
                "token: country_code/party_id must be one of your own parties (§4.6)"
            )


async def _open_route(
    request: web.Request, call: Call, command: Command
) -> PartyKey | web.Response:
    """The CPO a command without OCPI-to is meant for; else the hub's own answer to the eMSP
    (a response, or an OcpiError)."""
    if isinstance(command, StartSession | ReserveNow | UnlockConnector):
        owner = await stored_owner(request, call, "locations", command.location_id)
        if owner is None:
            raise UnknownCommandLocation(
                f"unknown Location {command.location_id!r}",
                data=command_response(CommandResponseType.REJECTED, "Unknown Location"),
            )
        return owner
    if isinstance(command, StopSession):
        viewer = [party.key for party in call.caller.parties]
        owner = await stored_owner(request, call, "sessions", command.session_id, viewer)
        if owner is None:
            unknown = command_response(
                CommandResponseType.UNKNOWN_SESSION,
                f"No session {command.session_id!r} of yours is known to the hub;"
                " name its CPO with OCPI-to-*",
            )
            return ocpi_response(envelope(unknown))
        return owner
    owner = await results.reservation_receiver(
        request.app[POOL], call.sender, command.reservation_id
    )
    if owner is None or not call.trades_with(owner):
        raise InvalidParameters(
            f"no RESERVE_NOW with reservation_id {command.reservation_id!r} went through the hub",
            data=command_response(CommandResponseType.REJECTED, "Unknown reservation"),
        )
    return owner


def _target(
    command_kind: CommandType, command: Command, to: PartyKey, path: str, url: str
) -> Target:
    expires_at: datetime | None = None
    reservation_id = getattr(command, "reservation_id", None)
    if isinstance(command, ReserveNow):
        expires_at = parse_datetime(command.expiry_date)
    return Target(
        to=to,
        module=ModuleID.COMMANDS,
        kind=command_kind.value,
        path=path,
        result_path=f"{SENDER_PATH}/{command_kind.value}",
        response_url=url,
        session_id=command.session_id if isinstance(command, StopSession) else None,
        reservation_id=reservation_id,
        expires_at=expires_at,
    )


async def receiver(request: web.Request) -> web.Response:
    call = await functional_call(request, ModuleID.COMMANDS, InterfaceRole.RECEIVER)
    kind = command_type(request.match_info["command"])
    body = await read_json(request)
    if not isinstance(body, dict):
        raise InvalidParameters("the body must be a JSON object")
    command: Command = parse(COMMANDS[kind], body)
    response_url = check_response_url(body.get("response_url"), registered_urls(call.caller))
    _check_token(call, command)
    if isinstance(command, StartSession | ReserveNow):
        owner = (command.token.country_code.upper(), command.token.party_id.upper())
        suspension = await request.app[PLATFORMS].suspension(owner)
        if suspension is not None:
            text = f"ocpi-hub: {'*'.join(owner)}'s {suspension}; no new charging on its tokens"
            return ocpi_response(envelope(command_response(CommandResponseType.REJECTED, text)))
    routed = (
        call.decision.to
        if call.decision.route == Route.DIRECT and call.decision.to is not None
        else await _open_route(request, call, command)
    )
    if isinstance(routed, web.Response):
        return routed
    if isinstance(command, StopSession):
        refused = command_response(CommandResponseType.REJECTED, "Not a session of yours")
        await check_session_request(
            request, call, routed, command.session_id, SessionRequest.COMMAND, refused
        )
    spoken = await _spoken_to(request, call, routed, kind, body)
    if spoken is not None:
        return spoken
    target = _target(kind, command, routed, relay_path(request), response_url)
    relayed = await relay(request, call, target, lambda url: (with_response_url(body, url), None))
    return relayed.response


async def _spoken_to(
    request: web.Request, call: Call, to: PartyKey, kind: CommandType, body: dict[str, Any]
) -> web.Response | None:
    """The hub's own answer when the CPO's route speaks a dialect that cannot take this command
    (issue 8): NOT_SUPPORTED for a command it lacks, as a CPO would answer; 2001 with REJECTED
    for a field it requires that the command lacks. None: the command may go."""
    platform = await receiving_platform(
        request, to, ModuleID.COMMANDS, InterfaceRole.RECEIVER, call.hosts_of(to)
    )
    dialect = dialects.spoken_by(platform)
    who = "*".join(to)
    if kind.value in dialect.missing_commands:
        text = f"{who} is reached through {dialect.name}, which does not implement {kind.value}"
        return ocpi_response(envelope(command_response(CommandResponseType.NOT_SUPPORTED, text)))
    refusal = dialects.refusal(dialect, ModuleID.COMMANDS.value, command=kind.value, body=body)
    if refusal is not None:
        message = f"{refusal} (on the route to {who})"
        raise InvalidParameters(
            message, data=command_response(CommandResponseType.REJECTED, message)
        )
    return None


def _expected(kind: CommandType) -> Expected:
    return lambda proxied: CommandResult if proxied.kind == kind.value else None


def _open_until(proxied: ProxiedRequest, result: CommandResult) -> datetime | None:
    # An accepted reservation may still be cancelled by the CPO (CANCELED_RESERVATION, posted to
    # the RESERVE_NOW's response_url), so its URL stays open until the reservation expires.
    if proxied.kind == CommandType.RESERVE_NOW and result.result == CommandResultType.ACCEPTED:
        return proxied.expires_at
    return None


async def sender_result(request: web.Request) -> web.Response:
    await functional_call(request, ModuleID.COMMANDS, InterfaceRole.SENDER)
    kind = command_type(request.match_info["command"])
    return await relay_result(request, ModuleID.COMMANDS, _expected(kind), _open_until)


def routes() -> list[web.RouteDef]:
    # Route names start with the module: the middleware logs it and tells functional modules
    # (token C only) from configuration modules by it.
    return [
        web.post(RECEIVER_PATH + "/{command}", receiver, name="commands:receiver"),
        web.post(SENDER_PATH + "/{command}/{id}", sender_result, name="commands:sender_result"),
    ]
