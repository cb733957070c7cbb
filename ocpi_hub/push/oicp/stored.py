"""The hub's stored objects as the OICP bridge looks them up: which roaming CPO an OCPI
owner is, an EVSE of a Location, an EVSE by Hubject's EvseID."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ocpi_hub.core.parties import ModuleID, Role
from ocpi_hub.core.routing import PartyKey
from ocpi_hub.dialects.oicp import ids
from ocpi_hub.push.oicp.bridge import OicpBridge
from ocpi_hub.storage.repositories import objects
from ocpi_hub.storage.repositories.hubject import HubjectNetwork, Roaming
from ocpi_hub.storage.repositories.objects import ObjectKey

__all__ = ["evse_id_at", "evse_of", "located", "oicp_id_of", "operator"]


def operator(network: HubjectNetwork, owner: PartyKey) -> Roaming | None:
    return network.of(owner, Role.CPO)


def evse_of(location: Mapping[str, Any], evse_uid: str) -> Mapping[str, Any] | None:
    for evse in location.get("evses") or []:
        if str(evse.get("uid", "")).upper() == evse_uid.upper():
            return evse  # type: ignore[no-any-return]
    return None


def oicp_id_of(evse: Mapping[str, Any]) -> str:
    """The EvseID Hubject knows an OCPI EVSE by (its evse_id, which it must have)."""
    return ids.oicp_evse_id(str(evse["evse_id"]))


async def evse_id_at(
    bridge: OicpBridge, owner: PartyKey, location_id: str, evse_uid: str
) -> str | None:
    """The OICP EvseID of EVSE `evse_uid` of `owner`'s stored Location `location_id`."""
    key = ObjectKey(ModuleID.LOCATIONS.value, owner, location_id)
    found = evse_of(await objects.get(bridge.pool, key) or {}, evse_uid)
    return oicp_id_of(found) if found and found.get("evse_id") else None


async def located(
    bridge: OicpBridge, owner: PartyKey, evse_id: str | None
) -> tuple[Mapping[str, Any], Mapping[str, Any]] | None:
    """`owner`'s stored Location and EVSE whose evse_id is Hubject's `evse_id`; a scan of the
    owner's Locations (a remote start, a CDR: rare enough)."""
    if not evse_id:
        return None
    for _, location in await objects.of_owner(bridge.pool, ModuleID.LOCATIONS.value, owner):
        for evse in location.get("evses") or []:
            if evse.get("evse_id") and ids.same_evse(str(evse["evse_id"]), evse_id):
                return location, evse
    return None
