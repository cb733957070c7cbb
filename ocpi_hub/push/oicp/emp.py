"""The hub's eMSPs on Hubject: their requests to Hubject's operators, and Hubject's calls for
their tokens and CDRs.

Outbound (an OCPI request to the Hubject platform):
- START_SESSION / STOP_SESSION to a Hubject operator's EVSE → eRoamingAuthorizeRemoteStart /
  Stop; Hubject's one Acknowledgement is the CommandResponse, and the CommandResult is posted
  to the hub's response_url at once (dialects.oicp.remote). A STOP_SESSION names the charge by
  Hubject's SessionID or by the authorization_reference the eMSP started it with.
- a GET of Tokens (the puller) is an empty list: OICP 2.3 has no token pull.
- a Token PUT or PATCH of a roaming eMSP → eRoamingPushAuthenticationData `fullLoad` of its
  tokens Hubject may authorize offline.
Inbound (Hubject's calls, web.oicp), made as OCPI requests to the hub's own interface FROM the
operator (a remote CPO of the Hubject platform from then on):
- AuthorizeStart for a token one of our roaming eMSPs holds → its real-time authorization; a
  token none of them holds is NotAuthorized at once (Hubject asks every provider).
- AuthorizeStop → Authorized when the SessionID is one the hub authorized.
(Hubject's operators' EVSE data, statuses and CDRs: `operators`.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ocpi_hub.core.parties import InterfaceRole, ModuleID, Role
from ocpi_hub.core.routing import PartyKey
from ocpi_hub.core.urls import module_path
from ocpi_hub.dialects.oicp import authorization, ids, remote
from ocpi_hub.dialects.oicp.status_codes import acknowledgement
from ocpi_hub.logging import get_logger
from ocpi_hub.push.client import PeerResponse
from ocpi_hub.push.oicp import stored
from ocpi_hub.push.oicp.bridge import (
    Handler,
    Inbound,
    OicpBridge,
    Request,
    answer,
    ocpi_answer,
)
from ocpi_hub.storage.repositories import hubject, objects
from ocpi_hub.storage.repositories.hubject import HubjectNetwork, Roaming
from ocpi_hub.storage.repositories.objects import ObjectKey

__all__ = ["HANDLERS", "INBOUND"]

log = get_logger("ocpi_hub.push.oicp")


def _provider(network: HubjectNetwork, party: PartyKey | None) -> Roaming | None:
    return network.of(party, Role.EMSP) if party is not None else None


async def command(bridge: OicpBridge, network: HubjectNetwork, request: Request) -> PeerResponse:
    """START_SESSION or STOP_SESSION of a roaming eMSP to a Hubject operator's EVSE."""
    kind = request.path[0] if request.path else ""
    body = request.body if isinstance(request.body, dict) else {}
    roaming = _provider(network, request.sender)
    if roaming is None or request.receiver is None:
        return answer(None, 2001, "the eMSP does not roam on Hubject (ocpi-hub hubject enable)")
    if kind == "START_SESSION":
        evse_id = await stored.evse_id_at(
            bridge,
            request.receiver,
            str(body.get("location_id", "")),
            str(body.get("evse_uid", "")),
        )
        if evse_id is None:
            return answer(None, 2003, "Hubject starts an EVSE it knows by its EvseID: none here")
        try:
            start, losses = remote.remote_start(body, roaming.oicp_id, evse_id)
        except (ValueError, KeyError) as exc:
            return answer(None, 2001, f"START_SESSION has no OICP form: {exc}")
        await bridge.losses(losses)
        operation, oicp_body = "eRoamingAuthorizeRemoteStart", start
        reference = body.get("authorization_reference")
    elif kind == "STOP_SESSION":
        found = await _stopped(bridge, network, roaming, str(body.get("session_id", "")))
        if found is None:
            return answer(None, 2003, "no Hubject charge of this eMSP has that session_id")
        session_id, evse_id = found
        operation = "eRoamingAuthorizeRemoteStop"
        oicp_body = remote.remote_stop(body, roaming.oicp_id, evse_id or "", session_id)
        reference = None
    else:
        return answer(None, 2000, f"Hubject has no {kind}", 404)
    done = await bridge.call(
        network, operation, oicp_body, request.timeout, providerID=roaming.oicp_id
    )
    if not isinstance(done.body, dict) or done.http_status == 429 or done.http_status >= 500:
        return ocpi_answer(done, operation)
    ack = done.body
    if kind == "START_SESSION" and ack.get("Result") is True and ack.get("SessionID"):
        await hubject.remember_session(
            bridge.pool,
            network.platform_id,
            str(ack["SessionID"]),
            evse_id,
            roaming.party,
            str(reference) if reference else None,
        )
    result = remote.command_result(ack)
    url = body.get("response_url")
    if result is not None and isinstance(url, str):
        bridge.spawn(_post_result(bridge, network, url, result, request))
    return answer(remote.command_response(ack))


async def _stopped(
    bridge: OicpBridge, network: HubjectNetwork, roaming: Roaming, session_id: str
) -> tuple[str, str | None] | None:
    """(Hubject's SessionID, EvseID) of the charge STOP_SESSION names: by SessionID, or by the
    authorization_reference our eMSP started it with."""
    known = await hubject.session(bridge.pool, network.platform_id, session_id)
    if known is not None and known[1] == roaming.party:
        return session_id, known[0]
    return await hubject.session_of_reference(
        bridge.pool, network.platform_id, roaming.party, session_id
    )


async def _post_result(
    bridge: OicpBridge, network: HubjectNetwork, url: str, result: Any, request: Request
) -> None:
    assert request.sender is not None and request.receiver is not None
    try:
        posted = await bridge.post(
            network, url, result, sender=request.receiver, receiver=request.sender
        )
        if not posted.ok:
            log.warning("hubject_result_refused", url=url, http_status=posted.http_status)
    except Exception as exc:  # the eMSP's result timer reports it
        log.warning("hubject_result_failed", url=url, reason=str(exc))


async def tokens_list(
    bridge: OicpBridge, network: HubjectNetwork, request: Request
) -> PeerResponse:
    """OICP 2.3 has no token pull: an empty list."""
    return answer([])


async def push_tokens(
    bridge: OicpBridge, network: HubjectNetwork, request: Request
) -> PeerResponse:
    """A roaming eMSP's Token changed: all its tokens Hubject may authorize offline, again."""
    owner = (request.path[0].upper(), request.path[1].upper()) if len(request.path) >= 2 else None
    roaming = _provider(network, owner)
    if roaming is None:
        return answer()
    stored = [
        t for _, t in await objects.of_owner(bridge.pool, ModuleID.TOKENS.value, roaming.party)
    ]
    body, losses = authorization.authentication_data(stored, roaming.oicp_id, "fullLoad")
    await bridge.losses(losses)
    done = await bridge.call(
        network, "eRoamingPushAuthenticationData", body, request.timeout, providerID=roaming.oicp_id
    )
    return ocpi_answer(done, "eRoamingPushAuthenticationData")


# ---- Hubject's calls ----------------------------------------------------------------------


async def _holder(
    bridge: OicpBridge, network: HubjectNetwork, uid: str, kind: str
) -> Roaming | None:
    """Our roaming eMSP holding the token (uid, type), if one does."""
    for roaming in network.roaming:
        if roaming.role != Role.EMSP:
            continue
        key = ObjectKey(ModuleID.TOKENS.value, roaming.party, uid, kind)
        if await objects.get(bridge.pool, key) is not None:
            return roaming
    return None


async def authorize_start(
    bridge: OicpBridge, network: HubjectNetwork, path: Mapping[str, str], body: dict[str, Any]
) -> Any:
    """Hubject's AuthorizeStart → our eMSP's real-time authorization (see the docstring)."""
    try:
        query, losses = authorization.token_query(body)
        operator = ids.operator_party(query.operator_id)
    except ValueError as exc:
        return acknowledgement(False, "022", str(exc))
    await bridge.losses(losses)
    holder = await _holder(bridge, network, query.uid, query.type.value)
    providers = [r for r in network.roaming if r.role == Role.EMSP]
    if holder is None:
        provider_id = providers[0].oicp_id if providers else ""
        refused, _ = authorization.authorization_start_answer(None, query, provider_id)
        return refused
    await bridge.partner(network, operator, Role.CPO)
    found = await stored.located(bridge, operator, query.evse_id)
    references = {"location_id": found[0]["id"], "evse_uids": [found[1]["uid"]]} if found else None
    path_ = module_path(ModuleID.TOKENS, InterfaceRole.SENDER) + f"/{query.uid}/authorize"
    response = await bridge.ocpi(
        network,
        "POST",
        path_,
        sender=operator,
        receiver=holder.party,
        timeout=bridge.settings.hubject_answer_budget,
        body=references,
        params={"type": query.type.value},
    )
    info = response.data if response.ok and isinstance(response.data, dict) else None
    answered, losses = authorization.authorization_start_answer(info, query, holder.oicp_id)
    await bridge.losses(losses)
    if info is not None and query.session_id:
        await hubject.remember_session(
            bridge.pool, network.platform_id, query.session_id, query.evse_id, holder.party
        )
    return answered


async def authorize_stop(
    bridge: OicpBridge, network: HubjectNetwork, path: Mapping[str, str], body: dict[str, Any]
) -> Any:
    """Hubject's AuthorizeStop: Authorized when the hub authorized that SessionID for one of
    our eMSPs (OCPI has no stop authorization)."""
    try:
        query, _ = authorization.token_query(body)
    except ValueError as exc:
        return acknowledgement(False, "022", str(exc))
    known = (
        await hubject.session(bridge.pool, network.platform_id, query.session_id)
        if query.session_id
        else None
    )
    holder = network.of(known[1], Role.EMSP) if known else None
    provider_id = holder.oicp_id if holder else ""
    return authorization.authorization_stop_answer(holder is not None, query, provider_id)


HANDLERS: dict[tuple[str, str], Handler] = {
    (ModuleID.COMMANDS.value, "POST"): command,
    (ModuleID.TOKENS.value, "GET"): tokens_list,
    (ModuleID.TOKENS.value, "PUT"): push_tokens,
    (ModuleID.TOKENS.value, "PATCH"): push_tokens,
}

# Hubject's calls the hub serves for this role (web.oicp), by path below /api/oicp.
INBOUND: dict[str, Inbound] = {
    "/charging/v21/operators/{operatorID}/authorize/start": authorize_start,
    "/charging/v21/operators/{operatorID}/authorize/stop": authorize_stop,
}
