"""The charges of the hub's CPOs with Hubject's providers' drivers, as OICP operations.

Outbound (an OCPI request to the Hubject platform):
- a CPO's real-time authorization of a token no party of the hub holds (routed to Hubject by
  the dialect's `foreign_tokens`) → eRoamingAuthorizeStart; Hubject's SessionID is the
  authorization_reference, and the token's provider becomes a remote eMSP of the platform;
- a Session of such a charge COMPLETED → eRoamingAuthorizeStop (other Session changes have no
  OICP operation the bridge sends: ChargingNotifications are optional);
- its CDR → eRoamingChargeDetailRecord under Hubject's SessionID (authorized first when it
  has none); a credit CDR has no OICP form and is refused 2001, so it is dead-lettered.
Inbound (Hubject's calls, web.oicp): AuthorizeRemoteStart / Stop at a roaming CPO's EVSE →
START_SESSION / STOP_SESSION to the CPO, FROM the provider, answered to Hubject on the CPO's
CommandResponse (the choice: fast, and what OICP's one answer can say; the CommandResult that
follows reaches the bridge at the response_url it gave and is logged).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ocpi_hub.core.parties import InterfaceRole, ModuleID, Role
from ocpi_hub.core.routing import PartyKey
from ocpi_hub.core.types import format_datetime
from ocpi_hub.core.urls import module_path
from ocpi_hub.dialects.oicp import authorization, identification, ids, remote, status_codes
from ocpi_hub.dialects.oicp import cdr as cdr_map
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


async def _evse_id(
    bridge: OicpBridge, cpo: PartyKey, references: Mapping[str, Any] | None
) -> str | None:
    """The OICP EvseID of the one EVSE LocationReferences name, from the stored Location."""
    evse_uids = (references or {}).get("evse_uids") or []
    if not references or len(evse_uids) != 1:
        return None
    location_id = str(references.get("location_id", ""))
    return await stored.evse_id_at(bridge, cpo, location_id, str(evse_uids[0]))


async def authorize(bridge: OicpBridge, network: HubjectNetwork, request: Request) -> PeerResponse:
    """A local CPO's real-time authorization of a token no party of the hub holds:
    eRoamingAuthorizeStart, Hubject's SessionID kept as the authorization_reference; the
    token's provider becomes a remote eMSP of the Hubject platform, so the Session and CDR of
    the charge that follows are routed to Hubject."""
    if len(request.path) != 2 or request.path[1] != "authorize":
        return answer(None, 2000, "only authorizations are asked of Hubject", 404)
    uid, kind = request.path[0], request.query.get("type", "RFID")
    roaming = network.of(request.sender, Role.CPO) if request.sender else None
    if roaming is None:  # the CPO does not roam on Hubject: Hubject is not asked
        return answer(None, 2004, f"unknown Token {uid!r} of type {kind}", 404)
    references = request.body if isinstance(request.body, dict) else None
    evse_id = await _evse_id(bridge, roaming.party, references)
    try:
        body, losses = authorization.authorize_start(
            uid, kind, references, roaming.oicp_id, evse_id
        )
    except ValueError as exc:  # no OICP form: Hubject cannot know the token
        return answer(None, 2004, f"unknown Token {uid!r} of type {kind}: {exc}", 404)
    await bridge.losses(losses)
    done = await bridge.call(
        network, "eRoamingAuthorizeStart", body, request.timeout, operatorID=roaming.oicp_id
    )
    if not done.ok:
        return ocpi_answer(done, "eRoamingAuthorizeStart")
    try:
        info, losses = authorization.authorization_info(
            done.body,
            uid,
            kind,
            network=network.identity,
            now=format_datetime(datetime.now(UTC)),
            location_references=references,
        )
    except ValueError as exc:
        return answer(None, 3000, f"Hubject's eRoamingAuthorizationStart: {exc}", 502)
    await bridge.losses(losses)
    owner = (str(info["token"]["country_code"]), str(info["token"]["party_id"]))
    if owner != network.identity:
        await bridge.partner(network, owner, Role.EMSP)
    reference = info.get("authorization_reference")
    if isinstance(reference, str):
        await hubject.remember_session(bridge.pool, network.platform_id, reference, evse_id, owner)
    return answer(info)


# ---- Sessions and CDRs of charges Hubject authorized ------------------------------------------


async def push_session(
    bridge: OicpBridge, network: HubjectNetwork, request: Request
) -> PeerResponse:
    """A Session PUT or PATCH for a Hubject provider's driver: when it is COMPLETED,
    eRoamingAuthorizeStop with Hubject's SessionID (its authorization_reference); any other
    change has no OICP operation the bridge sends (ChargingNotifications are optional) and is
    taken as delivered."""
    if len(request.path) != 3:
        return answer(None, 2001, "a Session push names country_code/party_id/session_id")
    owner = (request.path[0].upper(), request.path[1].upper())
    roaming = stored.operator(network, owner)
    body = request.body if isinstance(request.body, dict) else {}
    if roaming is None or body.get("status") != "COMPLETED":
        return answer()
    key = ObjectKey(ModuleID.SESSIONS.value, owner, request.path[2])
    session = await objects.get(bridge.pool, key) or body
    reference = session.get("authorization_reference")
    token = session.get("cdr_token")
    if not isinstance(reference, str) or not isinstance(token, dict):
        return answer()  # not authorized by Hubject: nothing to stop there
    try:
        ident, losses = identification.of_token(
            str(token.get("uid")),
            str(token.get("type")),
            token.get("contract_id"),
            module="sessions",
        )
    except ValueError:
        return answer()  # a token with no OICP form was never authorized by Hubject
    await bridge.losses(losses)
    location = await objects.get(
        bridge.pool,
        ObjectKey(ModuleID.LOCATIONS.value, owner, str(session.get("location_id", ""))),
    )
    evse = stored.evse_of(location or {}, str(session.get("evse_uid", "")))
    evse_id = stored.oicp_id_of(evse) if evse and evse.get("evse_id") else None
    stop = authorization.authorize_stop(
        reference, roaming.oicp_id, ident, evse_id, cpo_partner_session_id=str(session["id"])
    )
    done = await bridge.call(
        network, "eRoamingAuthorizeStop", stop, request.timeout, operatorID=roaming.oicp_id
    )
    if done.ok and isinstance(done.body, dict) and "AuthorizationStatus" in done.body:
        agreed, row = authorization.authorization_outcome(done.body)
        if not agreed:  # the charge has ended either way: say so, deliver the Session
            log.info("hubject_stop_refused", session_id=reference, code=row.code)
        return answer()
    return ocpi_answer(done, "eRoamingAuthorizeStop")


async def post_cdr(bridge: OicpBridge, network: HubjectNetwork, request: Request) -> PeerResponse:
    """A CDR for a Hubject provider → eRoamingChargeDetailRecord, under Hubject's SessionID
    (its authorization_reference); a CDR without one is authorized first (eRoamingAuthorizeStart)
    so that it has one, as Hubject refuses a CDR of a SessionID it never issued. A credit CDR has
    no OICP form: refused 2001, so it is dead-lettered where the operator sees it."""
    cdr = request.body if isinstance(request.body, dict) else None
    if cdr is None:
        return answer(None, 2001, "a CDR is a JSON object")
    owner = (str(cdr.get("country_code", "")).upper(), str(cdr.get("party_id", "")).upper())
    roaming = stored.operator(network, owner)
    if roaming is None:
        return answer()
    location = _part(cdr, "cdr_location")
    session_id = cdr.get("authorization_reference")
    if not isinstance(session_id, str) or not session_id:
        session_id = await _authorized_first(bridge, network, request, roaming, cdr)
        if isinstance(session_id, PeerResponse):
            return session_id
    try:
        record, losses = cdr_map.oicp_cdr(
            cdr, roaming.oicp_id, session_id, time_zone=location.get("time_zone")
        )
    except (ValueError, KeyError) as exc:
        return answer(None, 2001, f"the CDR has no OICP form: {exc}")
    await bridge.losses(losses)
    if record is None:
        return answer(None, 2001, "Hubject takes no credit CDR (one CDR per SessionID)")
    done = await bridge.call(
        network, "eRoamingChargeDetailRecord", record, request.timeout, operatorID=roaming.oicp_id
    )
    return ocpi_answer(done, "eRoamingChargeDetailRecord", judge=_cdr_refusal)


def _part(cdr: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = cdr.get(name)
    return value if isinstance(value, dict) else {}


def _cdr_refusal(body: Mapping[str, Any]) -> tuple[int, str]:
    row = status_codes.outcome(body.get("StatusCode"))
    status = row.error.status_code if row.error is not None else 2001
    return status, f"Hubject refused the CDR: {row.code} {row.meaning}"


async def _authorized_first(
    bridge: OicpBridge,
    network: HubjectNetwork,
    request: Request,
    roaming: Roaming,
    cdr: Mapping[str, Any],
) -> str | PeerResponse:
    token, location = _part(cdr, "cdr_token"), _part(cdr, "cdr_location")
    evse_id = location.get("evse_id")
    try:
        start, losses = authorization.authorize_start(
            str(token.get("uid")),
            str(token.get("type")),
            None,
            roaming.oicp_id,
            ids.oicp_evse_id(str(evse_id)) if evse_id else None,
            cpo_partner_session_id=str(cdr.get("session_id") or cdr.get("id")),
        )
    except ValueError as exc:
        return answer(None, 2001, f"the CDR's token has no OICP form: {exc}")
    await bridge.losses(losses)
    done = await bridge.call(
        network, "eRoamingAuthorizeStart", start, request.timeout, operatorID=roaming.oicp_id
    )
    body = done.body if isinstance(done.body, dict) else {}
    if not done.ok or not isinstance(body.get("SessionID"), str):
        return ocpi_answer(done, "eRoamingAuthorizeStart (for a CDR without a SessionID)")
    return str(body["SessionID"])


# ---- Hubject's calls: remote start and stop at a local CPO's EVSE ---------------------------

RESULTS = "oicp-results"  # the pseudo-module of the response_url the hub is given


async def _evse_at(
    bridge: OicpBridge, network: HubjectNetwork, evse_id: str
) -> tuple[Roaming, Mapping[str, Any], Mapping[str, Any]] | None:
    """(the roaming CPO, its Location, the EVSE) Hubject's EvseID names, from the store."""
    try:
        operator = ids.evse_operator(evse_id)
    except ValueError:
        return None
    roaming = network.by_id(Role.CPO, ids.operator_id(operator), _same_operator)
    found = await stored.located(bridge, roaming.party, evse_id) if roaming else None
    return (roaming, *found) if roaming and found else None


def _same_operator(a: str, b: str) -> bool:
    try:
        return ids.operator_party(a) == ids.operator_party(b)
    except ValueError:
        return False


def _refused(response: PeerResponse) -> dict[str, Any]:
    status = response.status_code or 3000
    message = response.body.get("status_message", "") if isinstance(response.body, dict) else ""
    return acknowledgement(False, status_codes.code_of_status(status), str(message))


async def _command(
    bridge: OicpBridge,
    network: HubjectNetwork,
    kind: str,
    command: dict[str, Any],
    emp: PartyKey,
    cpo: PartyKey,
) -> PeerResponse:
    """The OCPI command `kind` FROM the Hubject provider `emp` TO our CPO, through the hub."""
    path = module_path(ModuleID.COMMANDS, InterfaceRole.RECEIVER) + f"/{kind}"
    return await bridge.ocpi(
        network,
        "POST",
        path,
        sender=emp,
        receiver=cpo,
        timeout=bridge.settings.hubject_answer_budget,
        body=command,
    )


async def remote_start(
    bridge: OicpBridge, network: HubjectNetwork, path: Mapping[str, str], body: dict[str, Any]
) -> Any:
    """AuthorizeRemoteStart at a local CPO's EVSE → START_SESSION to the CPO, FROM the
    provider (a remote eMSP of the Hubject platform), answered on the CPO's CommandResponse:
    the CPO took the command (a failure later is not Hubject's to hear in OICP 2.3 but through
    ChargingNotifications, which the bridge does not send)."""
    evse_id, provider = body.get("EvseID"), body.get("ProviderID")
    if not isinstance(evse_id, str) or not isinstance(provider, str):
        return acknowledgement(False, "022", "EvseID and ProviderID are required")
    found = await _evse_at(bridge, network, evse_id)
    if found is None:
        return acknowledgement(False, status_codes.code_of_status(2003), f"unknown EVSE {evse_id}")
    roaming, location, evse = found
    try:
        emp = ids.provider_party(provider)
        session_id = str(body.get("SessionID") or "")
        command, losses = remote.start_session(
            body,
            str(location["id"]),
            str(evse["uid"]),
            None,
            f"{network.base_url}/ocpi/{RESULTS}/{session_id}",
            now=format_datetime(datetime.now(UTC)),
        )
    except ValueError as exc:
        return acknowledgement(False, "022", str(exc))
    await bridge.losses(losses)
    await bridge.partner(network, emp, Role.EMSP)
    response = await _command(bridge, network, "START_SESSION", command, emp, roaming.party)
    if not response.ok or not isinstance(response.data, dict):
        return _refused(response)
    await hubject.remember_session(bridge.pool, network.platform_id, session_id, evse_id, emp)
    return remote.acknowledgement_of(response.data, session_id)


async def remote_stop(
    bridge: OicpBridge, network: HubjectNetwork, path: Mapping[str, str], body: dict[str, Any]
) -> Any:
    """AuthorizeRemoteStop → STOP_SESSION of the CPO's Session whose authorization_reference
    is Hubject's SessionID."""
    session_id, provider, evse_id = (
        body.get("SessionID"),
        body.get("ProviderID"),
        body.get("EvseID"),
    )
    if not all(isinstance(v, str) for v in (session_id, provider, evse_id)):
        return acknowledgement(False, "022", "SessionID, ProviderID and EvseID are required")
    found = await _evse_at(bridge, network, str(evse_id))
    if found is None:
        return acknowledgement(False, status_codes.code_of_status(2003), f"unknown EVSE {evse_id}")
    roaming = found[0]
    try:
        emp = ids.provider_party(str(provider))
    except ValueError as exc:
        return acknowledgement(False, "022", str(exc))
    session = await objects.find_one(
        bridge.pool,
        ModuleID.SESSIONS.value,
        roaming.party,
        "authorization_reference",
        str(session_id),
    )
    if session is None:
        return acknowledgement(False, status_codes.code_of_status(2003), "no such session")
    command = remote.stop_session(
        body, str(session["id"]), f"{network.base_url}/ocpi/{RESULTS}/{session_id}"
    )
    response = await _command(bridge, network, "STOP_SESSION", command, emp, roaming.party)
    if not response.ok or not isinstance(response.data, dict):
        return _refused(response)
    return remote.acknowledgement_of(response.data, str(session_id))


async def command_result(
    bridge: OicpBridge, network: HubjectNetwork, request: Request
) -> PeerResponse:
    """The CommandResult of a remote start or stop, delivered by the hub to the response_url
    it was given: OICP has no place for it (Hubject had its answer); logged and taken."""
    result = request.body.get("result") if isinstance(request.body, dict) else None
    log.info("hubject_command_result", session_id="/".join(request.path), result=result)
    return answer()


HANDLERS: dict[tuple[str, str], Handler] = {
    (ModuleID.TOKENS.value, "POST"): authorize,
    (ModuleID.SESSIONS.value, "PUT"): push_session,
    (ModuleID.SESSIONS.value, "PATCH"): push_session,
    (ModuleID.CDRS.value, "POST"): post_cdr,
    (RESULTS, "POST"): command_result,
}

# Hubject's calls the hub serves for this role (web.oicp), by path below /api/oicp.
INBOUND: dict[str, Inbound] = {
    "/charging/v21/providers/{providerID}/authorize-remote/start": remote_start,
    "/charging/v21/providers/{providerID}/authorize-remote/stop": remote_stop,
}
