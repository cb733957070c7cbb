"""Hubject's operators for the hub's eMSPs: their EVSEs pulled as OCPI Locations, their CDRs
forwarded or pulled as OCPI CDRs (hub-dialects.md §5.2, §5.4).

The puller (push.puller) pulls the Hubject platform like any network on the `hubject` dialect's
schedule; its GETs reach the bridge, which answers them from OICP pulls made as the first
provider enabled (`hubject enable --provider-id`): Hubject's contracts decide what it serves
that provider, the hub's agreements decide which local eMSPs receive it.

- GET locations → eRoamingPullEvseData (full; with `date_from`, a delta from LastCall) →
  Locations of the operators (dialects.oicp.evse_pull), each operator a remote CPO of the
  platform from then on. The first page also pulls every status (eRoamingPullEvseStatus) and
  adds each stored Location whose EVSE status changed. A page is merged into the Location as
  stored: an EVSE it does not name is kept (a Location's EVSEs may span pages), one Hubject
  deleted becomes REMOVED. Our own operators' EVSEs, which Hubject serves back, are left out.
- GET cdrs → eRoamingGetChargeDetailRecords from `date_from` (a full pull: the last
  CDR_DAYS days) → CDRs for our eMSPs (dialects.oicp.cdr, enriched from the stored Location);
  the hub stores each once (the CDR module's rule), so a CDR forwarded before is no change.
- Hubject's eRoamingChargeDetailRecord (web.oicp) → the same CDR POSTed to the hub FROM the
  operator TO the eMSP, acknowledged on the hub's answer.
Each OICP page becomes one OCPI page, with a `Link` to the next while Hubject has more.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from ocpi_hub.core.parties import InterfaceRole, ModuleID, Role
from ocpi_hub.core.routing import PartyKey
from ocpi_hub.core.types import format_datetime, parse_datetime
from ocpi_hub.core.urls import module_path
from ocpi_hub.dialects.oicp import cdr as cdr_map
from ocpi_hub.dialects.oicp import evse_pull, identification, ids
from ocpi_hub.dialects.oicp.status_codes import acknowledgement, code_of_status
from ocpi_hub.push.client import PeerResponse
from ocpi_hub.push.oicp import stored
from ocpi_hub.push.oicp.bridge import Handler, Inbound, OicpBridge, Request, answer, ocpi_answer
from ocpi_hub.storage.repositories import hubject, objects
from ocpi_hub.storage.repositories.hubject import HubjectNetwork, Roaming
from ocpi_hub.storage.repositories.objects import ObjectKey

__all__ = ["CDR_DAYS", "HANDLERS", "INBOUND", "PAGE_SIZE"]

PAGE_SIZE = 500  # records per OICP page (Hubject takes 1 to 2000)
CDR_DAYS = 30  # how far back a full CDR pull reaches
CURRENCY = "EUR"  # OICP CDRs carry no currency; Hubject's market is the euro's (a GUESSED loss)
_LOCATIONS = ModuleID.LOCATIONS.value


def _provider(network: HubjectNetwork) -> Roaming | None:
    return next((r for r in network.roaming if r.role == Role.EMSP), None)


def _ours(network: HubjectNetwork, operator: PartyKey) -> bool:
    """Whether `operator` is one of the hub's own CPOs roaming on Hubject."""
    return any(r.role == Role.CPO and ids.operator_party(r.oicp_id) == operator
               for r in network.roaming)  # fmt: skip


def _page(request: Request) -> tuple[int, datetime | None]:
    number = int(request.query.get("page", "0") or 0)
    since = request.query.get("date_from")
    return max(number, 0), parse_datetime(since) if since else None


def _paged(
    network: HubjectNetwork, request: Request, data: list[Any], response: Mapping[str, Any]
) -> PeerResponse:
    """One OCPI page of `data`, with a Link to the next while Hubject's page is not its last."""
    done = answer(data)
    if response.get("last", True) is not False:
        return done
    query = {k: v for k, v in request.query.items() if k not in ("page", "limit")}
    query["page"] = str(int(response.get("number", 0)) + 1)
    url = f"{network.base_url.rstrip('/')}/ocpi/{request.module}?{urlencode(query)}"
    return replace(done, headers={"Link": f'<{url}>; rel="next"'})


async def pull_locations(
    bridge: OicpBridge, network: HubjectNetwork, request: Request
) -> PeerResponse:
    """The puller's GET of Locations: see the module docstring."""
    provider = _provider(network)
    if provider is None:
        return answer([])  # no eMSP of ours roams on Hubject: nothing to pull for
    number, since = _page(request)
    body = evse_pull.pull_evse_data_request(provider.oicp_id, since)
    query = {"page": str(number), "size": str(PAGE_SIZE)}
    done = await bridge.call(
        network, "eRoamingPullEvseData", body, request.timeout, query, providerID=provider.oicp_id
    )
    if not done.ok or not isinstance(done.body, dict):
        return ocpi_answer(done, "eRoamingPullEvseData")
    now = datetime.now(UTC)
    found, deleted, losses = evse_pull.locations(done.body, now)
    await bridge.losses(losses)
    merged: dict[tuple[str, str, str], dict[str, Any]] = {}
    for location in found:
        owner = (location["country_code"], location["party_id"])
        if _ours(network, owner):
            continue
        await bridge.partner(network, owner, Role.CPO, _operator_name(location))
        kept = await _stored(bridge, owner, location["id"])
        merged[(*owner, location["id"])] = _merge(kept, location)
    await _removed(bridge, network, deleted, merged, now)
    if number == 0:
        statuses = await _statuses(bridge, network, provider, request)
        if isinstance(statuses, PeerResponse):
            return statuses
        await _changed_statuses(bridge, network, statuses, merged, now)
    return _paged(network, request, list(merged.values()), done.body)


def _operator_name(location: Mapping[str, Any]) -> str | None:
    operator = location.get("operator")
    return str(operator["name"]) if isinstance(operator, dict) and operator.get("name") else None


async def _stored(bridge: OicpBridge, owner: PartyKey, location_id: str) -> dict[str, Any] | None:
    return await objects.get(bridge.pool, ObjectKey(_LOCATIONS, owner, location_id))


def _merge(kept: Mapping[str, Any] | None, pulled: dict[str, Any]) -> dict[str, Any]:
    """The pulled Location over the stored one: the stored EVSEs it does not name are kept,
    each pulled EVSE keeps the status stored until a status pull says otherwise."""
    if kept is None:
        return pulled
    old = {str(e["uid"]).upper(): e for e in kept.get("evses") or []}
    evses = []
    for evse in pulled.get("evses") or []:
        before = old.pop(str(evse["uid"]).upper(), None)
        if before is not None and evse.get("status") == "UNKNOWN":
            evse = {**evse, "status": before.get("status", "UNKNOWN")}
        evses.append(evse)
    return {**pulled, "evses": evses + list(old.values())}


async def _removed(
    bridge: OicpBridge,
    network: HubjectNetwork,
    deleted: list[str],
    merged: dict[tuple[str, str, str], dict[str, Any]],
    now: datetime,
) -> None:
    """EVSEs Hubject deleted: REMOVED in the Location that holds them (OCPI never drops one)."""
    for evse_id in deleted:
        try:
            owner = ids.evse_operator(evse_id)
        except ValueError:
            continue
        if _ours(network, owner):
            continue
        await _set_status(bridge, owner, evse_id, "REMOVED", merged, now)


async def _set_status(
    bridge: OicpBridge,
    owner: PartyKey,
    evse_id: str,
    status: str,
    merged: dict[tuple[str, str, str], dict[str, Any]],
    now: datetime,
) -> None:
    """Set EVSE `evse_id`'s status in its Location (from this page, else as stored) and add
    the Location to the page when that changed it."""
    location = next(
        (loc for key, loc in merged.items() if key[:2] == owner and _evse(loc, evse_id)), None
    )
    if location is None:
        found = await stored.located(bridge, owner, evse_id)
        location = dict(found[0]) if found else None
    evse = _evse(location, evse_id) if location else None
    if location is None or evse is None or evse.get("status") == status:
        return
    stamp = format_datetime(now)
    location["evses"] = [
        {**e, "status": status, "last_updated": stamp} if e is evse else e
        for e in location.get("evses") or []
    ]
    location["last_updated"] = stamp
    merged[(*owner, str(location["id"]))] = location


def _evse(location: Mapping[str, Any] | None, evse_id: str) -> dict[str, Any] | None:
    for evse in (location or {}).get("evses") or []:
        if evse.get("evse_id") and ids.same_evse(str(evse["evse_id"]), evse_id):
            return evse  # type: ignore[no-any-return]
    return None


async def _statuses(
    bridge: OicpBridge, network: HubjectNetwork, provider: Roaming, request: Request
) -> dict[str, str] | PeerResponse:
    body = evse_pull.pull_evse_status_request(provider.oicp_id)
    done = await bridge.call(
        network, "eRoamingPullEvseStatus", body, request.timeout, providerID=provider.oicp_id
    )
    if not done.ok or not isinstance(done.body, dict):
        return ocpi_answer(done, "eRoamingPullEvseStatus")
    statuses, losses = evse_pull.evse_statuses(done.body)
    await bridge.losses(losses)
    return dict(statuses)


async def _changed_statuses(
    bridge: OicpBridge,
    network: HubjectNetwork,
    statuses: Mapping[str, str],
    merged: dict[tuple[str, str, str], dict[str, Any]],
    now: datetime,
) -> None:
    for evse_id, status in statuses.items():
        try:
            owner = ids.evse_operator(evse_id)
        except ValueError:
            continue
        if not _ours(network, owner):
            await _set_status(bridge, owner, evse_id, status, merged, now)


# ---- CDRs -------------------------------------------------------------------------------------


async def pull_cdrs(bridge: OicpBridge, network: HubjectNetwork, request: Request) -> PeerResponse:
    """The puller's GET of CDRs: eRoamingGetChargeDetailRecords for each page."""
    provider = _provider(network)
    if provider is None:
        return answer([])
    number, since = _page(request)
    now = datetime.now(UTC)
    body = {
        "ProviderID": provider.oicp_id,
        "From": format_datetime(since or now - timedelta(days=CDR_DAYS)),
        "To": format_datetime(now),
    }
    query = {"page": str(number), "size": str(PAGE_SIZE)}
    done = await bridge.call(
        network,
        "eRoamingGetChargeDetailRecords",
        body,
        request.timeout,
        query,
        providerID=provider.oicp_id,
    )
    if not done.ok or not isinstance(done.body, dict):
        return ocpi_answer(done, "eRoamingGetChargeDetailRecords")
    cdrs = []
    for record in done.body.get("content") or []:
        made = await _ocpi_cdr(bridge, network, record, now) if isinstance(record, dict) else None
        if isinstance(made, tuple):
            cdrs.append(made[0])
    return _paged(network, request, cdrs, done.body)


async def _ocpi_cdr(
    bridge: OicpBridge, network: HubjectNetwork, record: Mapping[str, Any], now: datetime
) -> tuple[dict[str, Any], PartyKey, PartyKey] | str:
    """(the OCPI CDR, its operator, our eMSP) of one of Hubject's CDRs, or why there is none."""
    try:
        operator = ids.evse_operator(str(record.get("EvseID", "")))
    except ValueError as exc:
        return str(exc)
    emsp = await _emsp_of(bridge, network, record)
    if emsp is None:
        return "no eMSP of this hub is the driver's"
    found = await stored.located(bridge, operator, str(record.get("EvseID")))
    if found is None:
        return f"unknown EVSE {record.get('EvseID')}: its EVSE data was never pulled"
    location, evse = found
    token = await _token(bridge, emsp.party, record)
    try:
        cdr, losses = cdr_map.ocpi_cdr(
            record,
            location=location,
            evse_uid=str(evse["uid"]),
            connector_id=None,
            tariff=None,
            cpo=operator,
            emsp=emsp.party,
            currency=CURRENCY,
            now=format_datetime(now),
            token=token,
        )
    except ValueError as exc:
        return str(exc)
    await bridge.losses(losses)
    await bridge.partner(network, operator, Role.CPO)
    return cdr, operator, emsp.party


async def _emsp_of(
    bridge: OicpBridge, network: HubjectNetwork, record: Mapping[str, Any]
) -> Roaming | None:
    """Our eMSP a CDR is for: the one the hub authorized the SessionID for, else the
    provider the EvcoID names, else the HubProviderID (either spelling)."""
    session_id = record.get("SessionID")
    known = (
        await hubject.session(bridge.pool, network.platform_id, session_id)
        if isinstance(session_id, str)
        else None
    )
    if known is not None and (held := network.of(known[1], Role.EMSP)) is not None:
        return held
    named = _identified(record)
    parties: list[PartyKey] = []
    if named is not None and named.contract_id:
        parties.append(ids.evco_provider(named.contract_id))
    for spelling in ("HubProviderID", "HubProviderId"):
        value = record.get(spelling)
        if isinstance(value, str):
            try:
                parties.append(ids.provider_party(value))
            except ValueError:
                continue
    return next((held for p in parties if (held := network.of(p, Role.EMSP))), None)


def _identified(record: Mapping[str, Any]) -> identification.Identified | None:
    try:
        return identification.read(record.get("Identification"), module="cdrs")[0]
    except ValueError:
        return None


async def _token(
    bridge: OicpBridge, emsp: PartyKey, record: Mapping[str, Any]
) -> dict[str, Any] | None:
    named = _identified(record)
    if named is None:
        return None
    key = ObjectKey(ModuleID.TOKENS.value, emsp, named.uid, named.type.value)
    return await objects.get(bridge.pool, key)


async def forwarded_cdr(
    bridge: OicpBridge, network: HubjectNetwork, path: Mapping[str, str], body: dict[str, Any]
) -> Any:
    """Hubject's eRoamingChargeDetailRecord for one of our eMSPs: the OCPI CDR POSTed to the
    hub FROM the operator TO the eMSP; acknowledged when the hub took it."""
    session_id = body.get("SessionID") if isinstance(body.get("SessionID"), str) else None
    made = await _ocpi_cdr(bridge, network, body, datetime.now(UTC))
    if isinstance(made, str):
        return acknowledgement(False, "022", made, session_id)
    cdr, operator, emsp = made
    response = await bridge.ocpi(
        network,
        "POST",
        module_path(ModuleID.CDRS, InterfaceRole.RECEIVER),
        sender=operator,
        receiver=emsp,
        timeout=bridge.settings.hubject_answer_budget,
        body=cdr,
    )
    if response.ok:
        return acknowledgement(True, "000", "", session_id)
    message = str(response.body.get("status_message") or f"HTTP {response.http_status}")
    return acknowledgement(False, code_of_status(response.status_code or 3000), message, session_id)


HANDLERS: dict[tuple[str, str], Handler] = {
    (_LOCATIONS, "GET"): pull_locations,
    (ModuleID.CDRS.value, "GET"): pull_cdrs,
}

# Hubject's calls the hub serves for this role (web.oicp), by path below /api/oicp.
INBOUND: dict[str, Inbound] = {
    "/cdrmgmt/v22/operators/{operatorID}/charge-detail-record": forwarded_cdr,
}
