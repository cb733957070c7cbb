"""The hub's CPOs' charge points and prices on Hubject: OCPI Locations and Tariffs as OICP
EVSE data, EVSE status and dynamic pricing pushes (hub-dialects.md §5.2, §5.4).

Outbound (the outbox delivers a local CPO's Location or Tariff to the Hubject platform):
- a Location PUT or PATCH → its EVSEs as EVSE data records (dialects.oicp.evse_data):
  `insert` for the EvseIDs Hubject does not hold from us yet, `update` for those it does,
  `delete` for the EVSEs now REMOVED; then their statuses (`eRoamingPushEvseStatus` update).
  An EVSE PATCH of its status alone is the status push only (status.status_only), unless
  Hubject does not hold the EVSE yet. The bridge reads the Location as stored, so a PATCH
  sends the whole of what changed. Which EvseIDs Hubject holds is kept (hubject_evses).
- a Tariff PUT or DELETE → the operator's pricing products (`eRoamingPushPricingProductData`,
  a full load of all its stored Tariffs) and the product of each EVSE
  (`eRoamingPushEVSEPricing`, a full load of all its stored Locations) (dialects.oicp.pricing).
  New EVSEs (an insert) get their pricing pushed the same way when the operator has Tariffs.
- `ocpi-hub hubject resync` (and `hubject enable` of an operator) is `resync`: a full load of
  EVSE data, statuses and pricing.
Hubject takes one push at a time per operation (the OICP client waits its turn) and rate
limits them; a refused push is an OCPI error, so the outbox retries or dead-letters it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ocpi_hub.core.parties import ModuleID
from ocpi_hub.dialects.losses import Loss
from ocpi_hub.dialects.oicp import evse_data, ids, pricing, status
from ocpi_hub.dialects.oicp.evse_data import OperatorProfile
from ocpi_hub.push.client import PeerResponse
from ocpi_hub.push.oicp import stored
from ocpi_hub.push.oicp.bridge import Handler, OicpBridge, Request, answer, ocpi_answer
from ocpi_hub.push.oicp.client import OicpAnswer
from ocpi_hub.storage.repositories import hubject, objects
from ocpi_hub.storage.repositories.hubject import HubjectNetwork, Roaming
from ocpi_hub.storage.repositories.objects import ObjectKey

__all__ = ["HANDLERS", "profile", "resync"]

_LOCATIONS, _TARIFFS = ModuleID.LOCATIONS.value, ModuleID.TARIFFS.value


class Refused(Exception):
    """Hubject refused a push: its answer, in OCPI."""

    def __init__(self, response: PeerResponse) -> None:
        super().__init__(response.body.get("status_message"))
        self.response = response


def profile(roaming: Roaming) -> OperatorProfile | None:
    """What OICP needs of the operator beyond its Locations; None without a hotline."""
    if not roaming.hotline:
        return None
    return OperatorProfile(roaming.oicp_id, roaming.name or roaming.oicp_id, roaming.hotline)


async def _push(
    bridge: OicpBridge,
    network: HubjectNetwork,
    name: str,
    body: Mapping[str, Any],
    timeout: float,
    operator: OperatorProfile,
) -> OicpAnswer:
    done = await bridge.call(network, name, body, timeout, operatorID=operator.operator_id)
    if not done.ok or (isinstance(done.body, dict) and done.body.get("Result") is False):
        raise Refused(ocpi_answer(done, name))
    return done


async def push_evses(
    bridge: OicpBridge,
    network: HubjectNetwork,
    operator: OperatorProfile,
    location: Mapping[str, Any],
    timeout: float,
) -> list[str]:
    """The Location's EVSEs as Hubject should hold them: data records inserted, updated or
    deleted, then their statuses; the EvseIDs inserted. Refused when Hubject refuses one."""
    records, losses = evse_data.evse_records(location, operator)
    statuses, status_losses = _statuses(location, records)
    await bridge.losses(losses + status_losses)
    removed = evse_data.removed_evse_ids(location)
    pushed = [r["EvseID"] for r in records]
    held = await hubject.held_evses(bridge.pool, network.platform_id, pushed + removed)
    new = [r for r in records if r["EvseID"] not in held]
    for action, chosen in (("insert", new), ("update", [r for r in records if r not in new])):
        if chosen:
            body = evse_data.evse_data_push(action, operator, chosen)
            await _push(bridge, network, "eRoamingPushEvseData", body, timeout, operator)
            if action == "insert":
                await hubject.store_evses(bridge.pool, network.platform_id, held_ids(chosen))
    gone = [e for e in removed if e in held]
    if gone:
        deleted = [
            r for r in evse_data.removed_evse_records(location, operator)[0] if r["EvseID"] in gone
        ]
        body = evse_data.evse_data_push("delete", operator, deleted)
        await _push(bridge, network, "eRoamingPushEvseData", body, timeout, operator)
        await hubject.forget_evses(bridge.pool, network.platform_id, gone)
    await _push_statuses(bridge, network, operator, statuses, timeout)
    return held_ids(new)


def held_ids(records: Sequence[Mapping[str, Any]]) -> list[str]:
    return [str(r["EvseID"]) for r in records]


def _statuses(
    location: Mapping[str, Any], records: Sequence[Mapping[str, Any]]
) -> tuple[list[dict[str, Any]], list[Loss]]:
    """The status records of the Location's EVSEs that are sent as data `records` (an EVSE
    not sent, such as another operator's, has no status at Hubject either)."""
    sent = set(held_ids(records))
    statuses, losses = evse_data.status_records(location)
    return [r for r in statuses if r["EvseID"] in sent], losses


async def _push_statuses(
    bridge: OicpBridge,
    network: HubjectNetwork,
    operator: OperatorProfile,
    statuses: Sequence[Mapping[str, Any]],
    timeout: float,
) -> None:
    if statuses:
        body = evse_data.evse_status_push("update", operator, statuses)
        await _push(bridge, network, "eRoamingPushEvseStatus", body, timeout, operator)


async def push_pricing(
    bridge: OicpBridge, network: HubjectNetwork, operator: OperatorProfile, timeout: float
) -> bool:
    """The operator's stored Tariffs as pricing products and its EVSEs' products, both as full
    loads; False when it has no Tariff (nothing pushed)."""
    owner = ids.operator_party(operator.operator_id)
    tariffs = [t for _, t in await objects.of_owner(bridge.pool, _TARIFFS, owner)]
    if not tariffs:
        return False
    products, losses = pricing.pricing_products(
        operator.operator_id, operator.operator_name, tariffs
    )
    locations = [loc for _, loc in await objects.of_owner(bridge.pool, _LOCATIONS, owner)]
    evses, evse_losses = pricing.evse_pricing(operator.operator_id, locations)
    await bridge.losses(losses + evse_losses)
    if products["PricingProductData"]["PricingProductDataRecords"]:
        name = "eRoamingPushPricingProductData"
        await _push(bridge, network, name, products, timeout, operator)
    if evses["EVSEPricing"]:  # none of its EVSEs has a Tariff OICP can carry: nothing to say
        await _push(bridge, network, "eRoamingPushEVSEPricing", evses, timeout, operator)
    return True


async def push_location(
    bridge: OicpBridge, network: HubjectNetwork, request: Request
) -> PeerResponse:
    """A local CPO's Location (or one of its EVSEs or Connectors) PUT or PATCH: see the
    module docstring. A CPO that does not roam on Hubject: answered 1000, nothing sent."""
    if len(request.path) < 3:
        return answer(None, 2001, "a Location push names country_code/party_id/location_id")
    owner = (request.path[0].upper(), request.path[1].upper())
    roaming = stored.operator(network, owner)
    if roaming is None:
        return answer()
    operator = profile(roaming)
    if operator is None:
        return _no_hotline(roaming)
    location = await objects.get(bridge.pool, ObjectKey(_LOCATIONS, owner, request.path[2]))
    if location is None:
        return answer()  # nothing stored: nothing Hubject could hold
    try:
        patched = len(request.path) == 4 and request.method == "PATCH"
        if patched and await _status_alone(bridge, network, operator, location, request):
            return answer()
        inserted = await push_evses(bridge, network, operator, location, request.timeout)
        if inserted:
            await push_pricing(bridge, network, operator, request.timeout)
    except Refused as refused:
        return refused.response
    return answer()


async def _status_alone(
    bridge: OicpBridge,
    network: HubjectNetwork,
    operator: OperatorProfile,
    location: Mapping[str, Any],
    request: Request,
) -> bool:
    """Push an EVSE's status alone when the PATCH changed nothing else and Hubject holds the
    EVSE; False when its data must go too."""
    if not status.status_only(request.body):
        return False
    evse = stored.evse_of(location, request.path[3])
    if evse is None:
        return False
    alone = {**location, "evses": [evse]}
    records = evse_data.evse_records(alone, operator)[0]  # none: not ours to send
    held = await hubject.held_evses(bridge.pool, network.platform_id, held_ids(records))
    if not records or not held:
        return False
    statuses, status_losses = _statuses(alone, records)
    await bridge.losses(status_losses)
    await _push_statuses(bridge, network, operator, statuses, request.timeout)
    return True


async def push_tariff(
    bridge: OicpBridge, network: HubjectNetwork, request: Request
) -> PeerResponse:
    """A local CPO's Tariff PUT or DELETE: its pricing pushed again (module docstring)."""
    if len(request.path) < 3:
        return answer(None, 2001, "a Tariff push names country_code/party_id/tariff_id")
    roaming = stored.operator(network, (request.path[0].upper(), request.path[1].upper()))
    if roaming is None:
        return answer()
    operator = profile(roaming)
    if operator is None:
        return _no_hotline(roaming)
    try:
        await push_pricing(bridge, network, operator, request.timeout)
    except Refused as refused:
        return refused.response
    return answer()


def _no_hotline(roaming: Roaming) -> PeerResponse:
    return answer(
        None,
        2001,
        f"{roaming.oicp_id} has no hotline: ocpi-hub hubject enable --hotline (OICP requires it)",
    )


async def resync(
    bridge: OicpBridge, network: HubjectNetwork, roaming: Roaming, timeout: float
) -> dict[str, int]:
    """A full load of the operator's EVSE data, statuses and pricing: Hubject then holds
    exactly its stored Locations and Tariffs. Refused when Hubject refuses a push; ValueError
    when the operator has no hotline."""
    operator = profile(roaming)
    if operator is None:
        raise ValueError(f"{roaming.oicp_id} has no hotline: hubject enable --hotline")
    locations = [loc for _, loc in await objects.of_owner(bridge.pool, _LOCATIONS, roaming.party)]
    records: list[dict[str, Any]] = []
    statuses: list[dict[str, Any]] = []
    for location in locations:
        found, losses = evse_data.evse_records(location, operator)
        now, status_losses = _statuses(location, found)
        await bridge.losses(losses + status_losses)
        records += found
        statuses += now
    body = evse_data.evse_data_push("fullLoad", operator, records)
    await _push(bridge, network, "eRoamingPushEvseData", body, timeout, operator)
    mine = ids.operator_party(operator.operator_id)
    held = await hubject.held_evses(bridge.pool, network.platform_id)
    dropped = [e for e in held if ids.evse_operator(e) == mine and e not in set(held_ids(records))]
    await hubject.forget_evses(bridge.pool, network.platform_id, dropped)
    await hubject.store_evses(bridge.pool, network.platform_id, held_ids(records))
    if statuses:
        body = evse_data.evse_status_push("fullLoad", operator, statuses)
        await _push(bridge, network, "eRoamingPushEvseStatus", body, timeout, operator)
    priced = await push_pricing(bridge, network, operator, timeout)
    return {"evses": len(records), "statuses": len(statuses), "tariffs_pushed": int(priced)}


HANDLERS: dict[tuple[str, str], Handler] = {
    (_LOCATIONS, "PUT"): push_location,
    (_LOCATIONS, "PATCH"): push_location,
    (_TARIFFS, "PUT"): push_tariff,
    (_TARIFFS, "DELETE"): push_tariff,
}
