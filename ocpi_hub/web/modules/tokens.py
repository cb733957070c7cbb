"""Tokens through the hub, and real-time authorization (checklist §4.5, §1.4, §1.6-§1.8, §5).

Receiver interface (an eMSP pushes): GET/PUT/PATCH on `{cc}/{pid}/{uid}[?type=]`; the URL party
must be one of the caller's eMSP parties (else HTTP 404 + 2001), and a Token is (uid, type), the
type from `?type=`, RFID when absent. Addressed to the hub or with no OCPI-to, a push is stored and
broadcast to every connected CPO; addressed to one party it is relayed there and not stored. A
PATCH or GET of a Token the hub does not hold is HTTP 404 + 2004 (Unknown Token).

Sender interface: the paged list of stored Tokens for CPOs, `type` kept as part of each Token's
identity. Tokens are broadcast to CPOs only, so any other requesting party lists only its own.

Real-time authorization, `POST {sender}/tokens/{uid}/authorize[?type=]` by a CPO, with an optional
LocationReferences body (validated when present, relayed as sent):
- Destination: OCPI-to naming a party → that party. Otherwise (open routing) the eMSP owning the
  stored Token (uid, type); several eMSPs with that Token → 2001 asking for OCPI-to, since the
  hub must not guess whose driver it is; none → the first network that finds tokens among its
  members (dialect `foreign_tokens`: Hubject, issue 10), else HTTP 404 + 2004 without data.
- The hub POSTs to the eMSP's Tokens Sender `/{uid}/authorize?type=…` (type always explicit),
  FROM the CPO TO the eMSP, same X-Correlation-ID, and relays the eMSP's answer unchanged:
  AuthorizationInfo, its 2xxx/3xxx, its 404/2004. The whole exchange gets
  `settings.authorization_timeout`, counted from the CPO's request, not the longer forward budget.
- No answer from the eMSP — past the budget, unreachable or not connected, or an answer that is
  not OCPI — and the hub holds the Token with whitelist ALWAYS, ALLOWED or ALLOWED_OFFLINE: the
  hub answers 1000 with AuthorizationInfo {allowed: ALLOWED if valid else BLOCKED, the stored
  token, the LocationReferences echoed, an `info` text saying the hub answered on the eMSP's
  behalf}, FROM the hub. Whitelist NEVER (or no stored Token): 4002 past the budget, 4003
  unreachable or not connected, 4000 not OCPI. An unknown OCPI-to is 4001, never a fallback.
- A route whose dialect requires LocationReferences fields the CPO left out (Gireve: a
  location_id) is answered 2002 by the hub, naming them, and nothing is sent: the CPO's
  request is incomplete, so no fallback either.
- The eMSP's credit is suspended (issue 9 §7, storage.credit_watch; held in the platform
  cache, announced to every process before the assessment returns): the hub answers 1000
  with AuthorizationInfo {allowed: NOT_ALLOWED, the stored token, an `info` text saying why}
  itself, FROM the hub, and asks nobody (core.modules.tokens.refused_for_credit).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from ocpi_hub import dialects
from ocpi_hub.core.envelope import envelope
from ocpi_hub.core.fraud import Severity
from ocpi_hub.core.model import validate
from ocpi_hub.core.modules.tokens import (
    LocationReferences,
    answer_on_behalf,
    refused_for_credit,
    token_type,
)
from ocpi_hub.core.parties import InterfaceRole, ModuleID, Role
from ocpi_hub.core.patch import SameId
from ocpi_hub.core.routes import foreign_token_route
from ocpi_hub.core.routing import Decision, PartyKey, Route
from ocpi_hub.core.stored import TOKENS
from ocpi_hub.core.types import format_datetime
from ocpi_hub.core.urls import module_path, object_path
from ocpi_hub.errors import (
    ForwardTimeout,
    HubError,
    InvalidParameters,
    NotEnoughInformation,
    UnknownReceiver,
    UnknownToken,
)
from ocpi_hub.logging import get_logger
from ocpi_hub.push.client import PeerResponse
from ocpi_hub.storage.repositories import fraud
from ocpi_hub.storage.repositories.objects import ObjectKey
from ocpi_hub.web.keys import AUTHORIZATIONS, PLATFORMS, POOL, SETTINGS
from ocpi_hub.web.middleware import ocpi_response, read_json
from ocpi_hub.web.objects import (
    named_object,
    named_objects,
    receive,
    relay_path,
    replace_or_merge,
    sender_list,
)
from ocpi_hub.web.relay import (
    Call,
    ask,
    forward,
    functional_call,
    owned_party,
    receiving_platform,
    relayed,
)

log = get_logger("ocpi_hub.web.tokens")

SENDER_PATH = module_path(ModuleID.TOKENS, InterfaceRole.SENDER)
RECEIVER_PATH = module_path(ModuleID.TOKENS, InterfaceRole.RECEIVER)
ENDPOINTS = [
    (ModuleID.TOKENS, InterfaceRole.SENDER, SENDER_PATH),
    (ModuleID.TOKENS, InterfaceRole.RECEIVER, RECEIVER_PATH),
]


def check_token(method: str, body: Any, owner: PartyKey, uid: str, kind: str, same: SameId) -> None:
    """What the URL fixes, the body may not contradict (§1.7, §1.8): 2001. The full Token is
    validated after a PATCH is merged, by `receive`."""
    if not isinstance(body, dict):
        raise InvalidParameters("the body must be a JSON object")
    if method == "PATCH" and "last_updated" not in body:
        raise InvalidParameters("last_updated: a PATCH must carry last_updated")
    if "uid" in body and not same(str(body["uid"]), uid):
        raise InvalidParameters(f"uid: {body['uid']!r} differs from the Token uid in the URL")
    if "type" in body and body["type"] != kind:
        raise InvalidParameters(f"type: {body['type']!r} differs from the URL's type {kind!r}")
    for name, value in zip(("country_code", "party_id"), owner, strict=True):
        if name in body and str(body[name]).upper() != value:
            raise InvalidParameters(f"{name}: {body[name]!r} differs from the URL")


async def receiver(request: web.Request) -> web.Response:
    """GET/PUT/PATCH of one eMSP's Token on the hub's Receiver interface."""
    call = await functional_call(request, ModuleID.TOKENS, InterfaceRole.RECEIVER)
    info = request.match_info
    owner = owned_party(call.caller, info["country_code"], info["party_id"], Role.EMSP)
    kind = token_type(request.query)
    if call.decision.route == Route.DIRECT:
        return await forward(request, call, relay_path(request, query=("type",)))
    uid = info["uid"]
    key = ObjectKey(ModuleID.TOKENS.value, owner, uid, kind)
    unknown = UnknownToken(f"unknown Token {uid!r} of type {kind}")
    if request.method == "GET":
        stored = await named_object(request, call, key)
        if stored is None:
            raise unknown
        return ocpi_response(envelope(stored))
    body = await read_json(request)
    check_token(request.method, body, owner, uid, kind, call.same_id)
    return await receive(
        request, call, TOKENS, key, replace_or_merge(request.method, body, unknown)
    )


async def sender_tokens(request: web.Request) -> web.Response:
    """A page of stored Tokens: all of them for a CPO (narrowed by OCPI-to), else the
    requesting party's own, so no eMSP reads another's drivers."""
    call = await functional_call(request, ModuleID.TOKENS, InterfaceRole.SENDER)
    if call.caller.party(*call.sender, Role.CPO) is None:
        call = replace(call, decision=Decision(Route.LOCAL, call.sender))
    return await sender_list(request, call, TOKENS)


# ---- real-time authorization ----------------------------------------------------------------


async def location_references(request: web.Request) -> tuple[bytes | None, dict[str, Any] | None]:
    """The optional LocationReferences body as sent (to relay) and parsed (for a fallback
    answer); 2001 when it is there but not a LocationReferences."""
    raw = await request.read()
    if not raw.strip():
        return None, None
    body = await read_json(request)
    if body is None:  # a JSON null says "no references" as clearly as an empty body
        return None, None
    if not isinstance(body, dict):
        raise InvalidParameters("the body must be a LocationReferences object")
    validate(LocationReferences, body)
    return raw, body


async def token_owner(
    request: web.Request, call: Call, uid: str, kind: str
) -> tuple[PartyKey, dict[str, Any] | None]:
    """The eMSP to ask, and the hub's copy of the Token if it was read to find the eMSP (with
    OCPI-to it is read only if the eMSP does not answer)."""
    to = call.decision.to
    if to is not None:
        return to, None
    found = await named_objects(
        request, call, ModuleID.TOKENS.value, uid, kind=kind, visible=call.visible
    )
    if not found:
        network = foreign_token_route(
            await request.app[PLATFORMS].all(),
            lambda platform: dialects.spoken_by(platform).foreign_tokens,
        )
        if network is None:
            raise UnknownToken(f"unknown Token {uid!r} of type {kind}")
        return network, None
    if len(found) > 1:
        raise InvalidParameters(
            f"several eMSPs have a Token {uid!r} of type {kind}: name one with OCPI-to-* headers"
        )
    stored = found[0]
    return (str(stored["country_code"]).upper(), str(stored["party_id"]).upper()), stored


async def ask_emsp(
    request: web.Request,
    call: Call,
    emsp: PartyKey,
    uid: str,
    kind: str,
    references: tuple[bytes | None, dict[str, Any] | None],
    deadline: float,
) -> PeerResponse:
    """POST the authorization (its LocationReferences as sent, and parsed) to the eMSP's Tokens
    Sender by `deadline` (loop time): the CPO's budget, end to end, so it also bounds finding
    the eMSP's platform. 4001/4003/4002/4000 as any relay; 2002, nothing sent, when the route's
    dialect requires a reference the CPO left out (a network's rule beyond the spec)."""
    path = object_path([("uid", uid)], then=("authorize",), query=[("type", kind)])
    budget = request.app[SETTINGS].authorization_timeout
    body, location = references
    try:
        async with asyncio.timeout_at(deadline):
            platform = await receiving_platform(
                request, emsp, ModuleID.TOKENS, InterfaceRole.SENDER, call.hosts_of(emsp)
            )
            spoken = dialects.spoken_by(platform)
            refused = dialects.refusal(spoken, "tokens", command="authorize", body=location or {})
            if refused is not None:
                raise NotEnoughInformation(f"{refused} (on the route to {'*'.join(emsp)})")
            return await ask(
                request,
                call,
                emsp,
                path,
                body=body,
                timeout=max(deadline - asyncio.get_running_loop().time(), 0.001),
                platform=platform,
            )
    except TimeoutError as exc:
        raise ForwardTimeout(f"{'*'.join(emsp)} did not answer within {budget:g} s") from exc


async def authorize(request: web.Request) -> web.Response:
    """Real-time authorization of a Token, relayed to its eMSP within the time budget."""
    deadline = asyncio.get_running_loop().time() + request.app[SETTINGS].authorization_timeout
    call = await functional_call(request, ModuleID.TOKENS, InterfaceRole.SENDER)
    if call.caller.party(*call.sender, Role.CPO) is None:
        raise InvalidParameters("real-time authorization is asked by a CPO")
    uid = request.match_info["uid"]
    kind = token_type(request.query)
    body, location = await location_references(request)
    emsp, stored = await token_owner(request, call, uid, kind)
    token, evse = f"{emsp[0]}*{emsp[1]}*{uid}", authorized_evse(call.sender, location)
    suspension = await request.app[PLATFORMS].suspension(emsp)
    if suspension is not None:
        if stored is None:
            key = ObjectKey(ModuleID.TOKENS.value, emsp, uid, kind)
            stored = await named_object(request, call, key)
        now = format_datetime(datetime.now(UTC))
        refused = refused_for_credit(stored, (*emsp, uid, kind), location, suspension, now)
        request.app[AUTHORIZATIONS].record(token, evse, refused["allowed"], on_behalf=True)
        log.info("authorization_refused_for_credit", emsp="*".join(emsp), uid=uid, type=kind)
        return ocpi_response(envelope(refused))
    try:
        answer = await ask_emsp(request, call, emsp, uid, kind, (body, location), deadline)
    except UnknownReceiver:
        raise
    except HubError as failure:
        if stored is None:
            key = ObjectKey(ModuleID.TOKENS.value, emsp, uid, kind)
            stored = await named_object(request, call, key)
        alert = await fraud.open_alert(request.app[POOL], token, Severity.HIGH)
        on_behalf = answer_on_behalf(stored, location, alert) if stored else None
        if on_behalf is None:
            raise
        request.app[AUTHORIZATIONS].record(token, evse, on_behalf["allowed"], on_behalf=True)
        log.info(
            "authorized_on_behalf",
            emsp="*".join(emsp),
            uid=uid,
            type=kind,
            reason=failure.status_code,
            allowed=on_behalf["allowed"],
        )
        return ocpi_response(envelope(on_behalf))
    if isinstance(answer.data, dict) and isinstance(answer.data.get("allowed"), str):
        request.app[AUTHORIZATIONS].record(token, evse, answer.data["allowed"])
    return relayed(request, call, emsp, answer)


def authorized_evse(cpo: PartyKey, location: dict[str, Any] | None) -> str | None:
    """The EVSE an authorization names (`CC*PID*LOCATION*EVSE`), for refusal bursts at one EVSE:
    only when the LocationReferences name exactly one."""
    evses = (location or {}).get("evse_uids") or []
    if not location or len(evses) != 1:
        return None
    return f"{cpo[0]}*{cpo[1]}*{location['location_id']}*{evses[0]}"


def routes() -> list[web.RouteDef]:
    # Route names start with the module: the middleware tells functional modules by it.
    receiver_path = RECEIVER_PATH + "/{country_code}/{party_id}/{uid}"
    return [
        web.get(SENDER_PATH, sender_tokens, name="tokens:sender_list"),
        web.post(SENDER_PATH + "/{uid}/authorize", authorize, name="tokens:authorize"),
        *(
            web.route(m, receiver_path, receiver, name=f"tokens:receiver_{m.lower()}")
            for m in ("GET", "PUT", "PATCH")
        ),
    ]
