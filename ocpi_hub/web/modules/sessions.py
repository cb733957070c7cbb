"""Sessions through the hub (checklist §4.2, §1.5-§1.8, §5).

Sessions are a CPO's and personal: each is stored with its audience, the eMSP owning its token
(`cdr_token.country_code/party_id`), and only that eMSP and the owner CPO ever see it.

Receiver interface (a CPO pushes): PUT/PATCH/GET on `{cc}/{pid}/{session_id}`, the URL party
being one of the caller's CPO parties (404/2001 otherwise) and the body agreeing with the URL.
- Open routing, or OCPI-to the hub: the hub validates the Session after the push, stores it and
  queues the same PUT/PATCH for the token's eMSP, FROM the hub, in one transaction. A token eMSP
  the hub does not know is refused with 2001 and nothing is stored; a known one that is offline
  gets it from the outbox later.
- OCPI-to a party: it must be the token's eMSP (2001 otherwise). The push is relayed there at
  once and its answer relayed back; when it accepted (1xxx) the hub keeps its own copy, so the
  sender list has it, without delivering it a second time.
- PATCH: fields replaced, `charging_periods` appended (core.modules.sessions.patch_session); it
  needs `last_updated`, and an unknown Session is 404/2001 (PUT it first). PUT replaces all,
  periods included. The PATCH is delivered as the CPO sent it: the eMSP appends the same periods.
- GET returns the hub's copy to the owner CPO; with OCPI-to a party it is relayed there.

Sender interface: the paged list of Sessions the caller owns or is meant for (`date_from`
required, 2001 without); and `PUT {session_id}/charging_preferences` from the token's eMSP,
relayed to the CPO owning that Session, at its Sessions sender endpoint.

A Session that is unknown and one that is not the caller's get the same 404/2001, so no party can
probe for another's session ids.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from aiohttp import web

from ocpi_hub.core.envelope import envelope
from ocpi_hub.core.model import validate
from ocpi_hub.core.modules.sessions import ChargingPreferences, Session, patch_session
from ocpi_hub.core.objects import token_owner
from ocpi_hub.core.parties import InterfaceRole, ModuleID, Role
from ocpi_hub.core.patch import SameId
from ocpi_hub.core.routing import Decision, PartyKey, Route
from ocpi_hub.core.stored import SESSIONS
from ocpi_hub.core.urls import module_path
from ocpi_hub.errors import ForeignParty, InvalidParameters
from ocpi_hub.storage.changes import Apply
from ocpi_hub.storage.repositories.objects import ObjectKey
from ocpi_hub.web.middleware import ocpi_response, read_json
from ocpi_hub.web.objects import (
    named_object,
    named_objects,
    personal_addressee,
    receive,
    relay_path,
    relay_then_keep,
    sender_list,
)
from ocpi_hub.web.relay import forward, functional_call, owned_party

SENDER_PATH = module_path(ModuleID.SESSIONS, InterfaceRole.SENDER)
RECEIVER_PATH = module_path(ModuleID.SESSIONS, InterfaceRole.RECEIVER)
ENDPOINTS = [
    (ModuleID.SESSIONS, InterfaceRole.SENDER, SENDER_PATH),
    (ModuleID.SESSIONS, InterfaceRole.RECEIVER, RECEIVER_PATH),
]


def unknown_session(session_id: str) -> ForeignParty:
    """One answer, HTTP 404 with 2001, for a Session that does not exist and for one the caller
    may not see."""
    return ForeignParty(f"no Session {session_id!r} of yours or for you")


def _check_body(method: str, body: Any, owner: PartyKey, session_id: str, same: SameId) -> None:
    """What the URL fixes, the body may not contradict (checklist §1.7, §1.8): 2001. The ids
    compare by `same`, as the sender's dialect compares them."""
    if not isinstance(body, dict):
        raise InvalidParameters("the body must be a JSON object")
    if method == "PATCH" and "last_updated" not in body:
        raise InvalidParameters("last_updated: a PATCH must carry last_updated")
    for name, value in (("country_code", owner[0]), ("party_id", owner[1])):
        if name in body and str(body[name]).upper() != value.upper():
            raise InvalidParameters(f"{name}: {body[name]!r} differs from the URL")
    if "id" in body and not same(str(body["id"]), session_id):
        raise InvalidParameters(f"id: {body['id']!r} differs from the URL")


def _apply(method: str, body: dict[str, Any], session_id: str) -> Apply:
    """PUT replaces the whole Session; PATCH changes a stored one (periods appended)."""

    def apply(stored: dict[str, Any] | None) -> tuple[dict[str, Any], bool]:
        if method == "PATCH":
            if stored is None:
                raise unknown_session(session_id)
            return patch_session(stored, body), False
        return body, stored is None

    return apply


async def receiver(request: web.Request) -> web.Response:
    call = await functional_call(request, ModuleID.SESSIONS, InterfaceRole.RECEIVER)
    info = request.match_info
    owner = owned_party(call.caller, info["country_code"], info["party_id"], Role.CPO)
    session_id = info["session_id"]
    key = ObjectKey(ModuleID.SESSIONS.value, owner, session_id)
    path = relay_path(request)
    if request.method == "GET":
        if call.decision.route == Route.DIRECT:
            return await forward(request, call, path)
        stored = await named_object(request, call, key)
        if stored is None:
            raise unknown_session(session_id)
        return ocpi_response(envelope(stored))

    body = await read_json(request)
    _check_body(request.method, body, owner, session_id, call.same_id)
    apply = _apply(request.method, body, session_id)
    # The Session as it will be, checked before anything is relayed or stored: it names the
    # eMSP to route to, and a PATCH may change the token.
    session, _ = apply(await named_object(request, call, key))
    validate(Session, session)
    await personal_addressee(request, call, SESSIONS, session)
    if call.decision.route == Route.DIRECT:
        return await relay_then_keep(request, call, SESSIONS, key, apply, path)
    return await receive(request, call, SESSIONS, key, apply)


async def sender_sessions(request: web.Request) -> web.Response:
    call = await functional_call(request, ModuleID.SESSIONS, InterfaceRole.SENDER)
    return await sender_list(request, call, SESSIONS)


async def charging_preferences(request: web.Request) -> web.Response:
    """An eMSP's ChargingPreferences for a Session meant for it, relayed to the CPO owning the
    Session (its Sessions sender endpoint); the CPO's ChargingPreferencesResponse comes back
    unchanged. OCPI-to may name the CPO when two CPOs use the same session id."""
    call = await functional_call(request, ModuleID.SESSIONS, InterfaceRole.SENDER)
    session_id = request.match_info["session_id"]
    body = await read_json(request)
    validate(ChargingPreferences, body)
    mine = [party.key for party in call.caller.parties]
    found = [
        session
        for session in await named_objects(
            request,
            call,
            ModuleID.SESSIONS.value,
            session_id,
            owner=call.decision.to,
            viewer=mine,
            visible=call.visible,
        )
        if token_owner(session) in mine  # meant for the caller, not merely owned by it
    ]
    if not found:
        raise unknown_session(session_id)
    if len(found) > 1:
        raise InvalidParameters(
            f"several CPOs have a Session {session_id!r} for you: name one with OCPI-to-* headers"
        )
    cpo = (str(found[0]["country_code"]).upper(), str(found[0]["party_id"]).upper())
    to_cpo = replace(call, decision=Decision(Route.DIRECT, cpo))
    return await forward(request, to_cpo, relay_path(request, then=("charging_preferences",)))


def routes() -> list[web.RouteDef]:
    # Route names start with the module: the middleware logs it and tells functional modules
    # (token C only) from configuration modules by it.
    one = RECEIVER_PATH + "/{country_code}/{party_id}/{session_id}"
    return [
        web.get(SENDER_PATH, sender_sessions, name="sessions:sender_list"),
        web.put(
            SENDER_PATH + "/{session_id}/charging_preferences",
            charging_preferences,
            name="sessions:charging_preferences",
        ),
        *(
            web.route(m, one, receiver, name=f"sessions:receiver_{m.lower()}")
            for m in ("GET", "PUT", "PATCH")
        ),
    ]
