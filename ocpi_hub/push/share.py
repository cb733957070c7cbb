"""What a party is sent when it may newly trade with another (core.agreements, issue 8).

An agreement that lets two parties trade in a broadcast module (Locations, Tariffs, Tokens)
makes each the receiver of the other's stored objects, as if the owner had just pushed them:
a PUT of each whole object, planned like any push (core.planner: the receiver's route and
dialect, nothing back to where the data came from, nothing from a network to a network), and
queued in the transaction that stores the agreement. Personal data (Sessions, CDRs) is never
sent after the fact: it went, or did not go, to the one party it was meant for when it came.
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson

from ocpi_hub.core import routes
from ocpi_hub.core.delivery import object_path
from ocpi_hub.core.parties import InterfaceRole, ModuleID, Party, Platform, Role
from ocpi_hub.core.planner import Change, Planned, plan, queue_of
from ocpi_hub.core.routing import BROADCAST_OWNER, PartyKey, broadcast_audience
from ocpi_hub.storage import Connection
from ocpi_hub.storage.repositories import objects, outbox

__all__ = ["share"]


async def share(
    conn: Connection,
    platforms: Sequence[Platform],
    grants: Sequence[tuple[PartyKey, PartyKey, str]],
    hub: PartyKey,
    correlation_id: str,
) -> list[Planned]:
    """Queue, for each (owner, receiver, module) in `grants`, the owner's stored objects of a
    broadcast module to the receiver when it plays a role that receives them (a CPO's
    Locations reach eMSPs, not other CPOs). Returns what was queued."""
    queued: list[Planned] = []
    for owner, receiver, module in grants:
        owner_role = BROADCAST_OWNER.get(ModuleID(module))
        if owner_role is None:
            continue
        roles = broadcast_audience(owner_role)
        source = _host(platforms, owner, frozenset({owner_role}))
        target = _host(platforms, receiver, roles, module)
        if source is None or target is None:
            continue
        party, platform = target
        for key, data in await objects.of_owner(conn, module, owner):
            change = Change(
                module=module,
                method="PUT",
                path=object_path(key.args(), data),
                body=orjson.dumps(data).decode(),
                whole=data,
                key=key.args(),
                queue=queue_of(key.args()),
                source=source[1],
                sender=owner,
                hub=hub,
                personal=False,
            )
            queued += plan(change, [(party, platform)]).deliveries
    await outbox.enqueue(conn, outbox.planned(queued, correlation_id))
    return queued


def _host(
    platforms: Sequence[Platform], key: PartyKey, roles: frozenset[Role], module: str = ""
) -> tuple[Party, Platform] | None:
    """The party `key` in one of `roles` on its best registered route (core.routes order),
    one offering `module`'s Receiver when given."""
    for platform in routes.routes(platforms, key):
        if not platform.registered:
            continue
        if module and platform.endpoint(module, InterfaceRole.RECEIVER) is None:
            continue
        for party in platform.parties:
            if party.key == key and party.role in roles:
                return party, platform
    return None
