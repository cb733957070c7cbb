"""ChargingProfiles through the hub (checklist §4.7, §1.6, §5, §7.14).

Receiver interface (an SCSP or eMSP asks a CPO about one of its sessions):
`GET /receiver/chargingprofiles/{session_id}?duration=&response_url=`, `PUT` with a
SetChargingProfile, `DELETE ?response_url=` (a `response_url` on an origin the requester's
platform registered, core.urls.check_response_url). The hub finds the CPO (OCPI-to when it names a
party; else the owner of the stored Session the requester may see — no such session: OCPI 1000
with UNKNOWN_SESSION, what a CPO would answer), rewrites `response_url` to its own
`/sender/chargingprofiles/results/{id}`, relays synchronously and relays the
ChargingProfileResponse unchanged. The CPO's result, POSTed to the hub's URL, is delivered
durably, body unchanged, to the requester's own response_url. For a Session the hub holds, only
its eMSP or an SCSP party may ask, however addressed (core.modules.sessions.may_act_on_session);
anyone else gets 2001 with a REJECTED ChargingProfileResponse.

Results have no TIMEOUT value in the spec (ChargingProfileResultType), so when the CPO's
`timeout` passes without a result the hub closes the request silently and refuses a later
result (OCPI 2000), rather than inventing a result the requester could mistake for the EVSE's.

Sender interface (the CPO reports changes): `PUT /sender/chargingprofiles/{session_id}` with an
ActiveChargingProfile goes to every party whose PUT of a profile for that session the CPO
ACCEPTED — only to them (§4.7: never for sessions without such a PUT); OCPI-to narrows it to one.
It is answered at once and delivered durably through the outbox; nobody to send it to → 404.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from ocpi_hub.core.envelope import envelope
from ocpi_hub.core.modules.chargingprofiles import (
    RESULTS,
    ActiveChargingProfile,
    ChargingProfileResponse,
    ChargingProfileResponseType,
    SetChargingProfile,
)
from ocpi_hub.core.modules.sessions import SessionRequest
from ocpi_hub.core.parties import InterfaceRole, ModuleID
from ocpi_hub.core.routing import PartyKey, Route
from ocpi_hub.core.urls import check_response_url, module_path, registered_urls
from ocpi_hub.errors import InvalidParameters, NotFound, ReceiverNotConnected
from ocpi_hub.storage.repositories import outbox, results
from ocpi_hub.storage.repositories.outbox import NewDelivery
from ocpi_hub.web.keys import CALLER, CORRELATION_ID, PLATFORMS, POOL
from ocpi_hub.web.middleware import ocpi_response, read_json
from ocpi_hub.web.objects import relay_path
from ocpi_hub.web.relay import Call, functional_call
from ocpi_hub.web.results import (
    Rewrite,
    Target,
    check_session_request,
    parse,
    relay,
    relay_result,
    stored_owner,
    sweeper,
    with_response_url,
)

MODULE = ModuleID.CHARGING_PROFILES
RECEIVER_PATH = module_path(MODULE, InterfaceRole.RECEIVER)
SENDER_PATH = module_path(MODULE, InterfaceRole.SENDER)
RESULT_PATH = SENDER_PATH + "/results"
ENDPOINTS = [
    (MODULE, InterfaceRole.SENDER, SENDER_PATH),
    (MODULE, InterfaceRole.RECEIVER, RECEIVER_PATH),
]
BACKGROUND = [sweeper(MODULE, None)]  # no TIMEOUT result: see the module docstring


def _with_query_url(duration: str | None) -> Rewrite:
    """The query the CPO gets: the requester's `duration` (GET) and the hub's response_url;
    nothing else the requester added travels."""

    def rewrite(url: str) -> tuple[bytes | None, Mapping[str, str] | None]:
        query = {"duration": duration} if duration is not None else {}
        return None, {**query, "response_url": url}

    return rewrite


def _request(request: web.Request, body: Any) -> tuple[str, Rewrite]:
    """The requester's response_url and how to put the hub's in its place; 2001 when the
    request lacks what its method requires."""
    query = request.query
    registered = registered_urls(request[CALLER])
    if request.method == "PUT":
        if not isinstance(body, dict):
            raise InvalidParameters("the body must be a JSON object")
        parse(SetChargingProfile, body)
        url = check_response_url(body.get("response_url"), registered)
        return url, lambda hub_url: (with_response_url(body, hub_url), None)
    duration = query.get("duration") if request.method == "GET" else None
    if request.method == "GET" and not (duration and duration.isascii() and duration.isdigit()):
        raise InvalidParameters("duration: required, a whole number of seconds")
    url = check_response_url(query.get("response_url"), registered)
    return url, _with_query_url(duration)


def unknown_session(session_id: str) -> web.Response:
    response = ChargingProfileResponse(
        result=ChargingProfileResponseType.UNKNOWN_SESSION, timeout=0
    )
    return ocpi_response(
        envelope(
            response.model_dump(mode="json"),
            status_message=f"No session {session_id!r} of yours is known to the hub;"
            " name its CPO with OCPI-to-*",
        )
    )


async def _receiving_cpo(request: web.Request, call: Call, session_id: str) -> PartyKey | None:
    if call.decision.route == Route.DIRECT and call.decision.to is not None:
        return call.decision.to
    # Sessions are personal data: open routing only finds sessions the requester may see (its
    # own); an SCSP acting for an eMSP names the CPO with OCPI-to.
    viewer = [party.key for party in call.caller.parties]
    return await stored_owner(request, call, "sessions", session_id, viewer)


async def receiver(request: web.Request) -> web.Response:
    call = await functional_call(request, MODULE, InterfaceRole.RECEIVER)
    session_id = request.match_info["session_id"]
    body = await read_json(request) if request.method == "PUT" else None
    response_url, rewrite = _request(request, body)
    to = await _receiving_cpo(request, call, session_id)
    if to is None:
        return unknown_session(session_id)
    refused = ChargingProfileResponse(result=ChargingProfileResponseType.REJECTED, timeout=0)
    await check_session_request(
        request, call, to, session_id, SessionRequest.CHARGING_PROFILE, refused.model_dump()
    )
    target = Target(
        to=to,
        module=MODULE,
        kind=request.method,
        path=relay_path(request),
        result_path=RESULT_PATH,
        response_url=response_url,
        session_id=session_id,
    )
    relayed = await relay(request, call, target, rewrite)
    if request.method == "PUT" and relayed.wait is not None:
        # §4.7: from now on the CPO sends this requester the session's ActiveChargingProfiles.
        await results.remember_profile_sender(request.app[POOL], to, session_id, call.sender)
    return relayed.response


async def sender_result(request: web.Request) -> web.Response:
    await functional_call(request, MODULE, InterfaceRole.SENDER)
    return await relay_result(
        request, MODULE, lambda proxied: RESULTS.get(proxied.kind), lambda proxied, result: None
    )


async def _deliveries(
    request: web.Request, call: Call, session_id: str, receivers: list[PartyKey]
) -> list[NewDelivery]:
    body = (await request.read()).decode()
    path = relay_path(request)
    found = []
    for party in receivers:
        hosts = await request.app[PLATFORMS].platforms_of_party(*party)
        platform = next(
            (p for p in hosts if p.registered and p.endpoint(MODULE, InterfaceRole.SENDER)), None
        )
        if platform is None:
            continue
        found.append(
            NewDelivery(
                receiver_platform_id=platform.id,
                to_party=party,
                from_party=call.sender,
                module=MODULE.value,
                interface=InterfaceRole.SENDER.value,
                method="PUT",
                path=path,
                body=body,
                correlation_id=request[CORRELATION_ID],
                # One session's updates reach each receiver in the order the CPO sent them.
                object_key=f"{MODULE.value}/{'*'.join(call.sender)}/{session_id.upper()}",
            )
        )
    return found


async def sender_active_profile(request: web.Request) -> web.Response:
    call = await functional_call(request, MODULE, InterfaceRole.SENDER)
    session_id = request.match_info["session_id"]
    parse(ActiveChargingProfile, await read_json(request))
    pool = request.app[POOL]
    receivers = await results.profile_senders(pool, call.sender, session_id)
    if call.decision.to is not None:
        receivers = [party for party in receivers if party == call.decision.to]
    receivers = [party for party in receivers if call.trades_with(party)]
    if not receivers:
        raise NotFound(
            f"no party set a charging profile for your session {session_id!r} through the hub"
        )
    deliveries = await _deliveries(request, call, session_id, receivers)
    if not deliveries:
        raise ReceiverNotConnected(
            "the parties that set a profile for this session are not connected for"
            " chargingprofiles SENDER"
        )
    async with pool.acquire() as conn, conn.transaction():
        await outbox.enqueue(conn, deliveries)
    return ocpi_response(envelope(None))


def routes() -> list[web.RouteDef]:
    # Route names start with the module: the middleware tells functional modules by it.
    receiver_path = RECEIVER_PATH + "/{session_id}"
    return [
        *(
            web.route(m, receiver_path, receiver, name=f"chargingprofiles:receiver_{m.lower()}")
            for m in ("GET", "PUT", "DELETE")
        ),
        web.post(RESULT_PATH + "/{id}", sender_result, name="chargingprofiles:sender_result"),
        web.put(
            SENDER_PATH + "/{session_id}",
            sender_active_profile,
            name="chargingprofiles:sender_active_profile",
        ),
    ]
