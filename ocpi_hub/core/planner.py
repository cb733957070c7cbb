"""The one delivery planner (DESIGN.md "the next shape"): what a stored change sends, to whom.

The web layer finds the receivers (core.routes: a broadcast's audience, or the route to the one
party personal data is meant for) and hands them here with the change; the planner decides, per
receiver, in the receiver's dialect (ocpi_hub.dialects):

- nothing back to the platform the change came from, nothing from a network to a network
  (`routes.exported`), and nothing to a platform without the module's Receiver;
- nothing to a platform whose dialect refuses it (a module it lacks, a field it requires that
  the object lacks): the refusal is returned in words, for the party that sent the change;
- a PATCH goes as a PUT of the whole object where the dialect takes no PATCH for the module;
- FROM the hub for a broadcast to a peer; FROM the sender for personal data and for anything
  sent to a network (the hub presents its local parties there);
- queued per (receiver, object), so one object's changes arrive in order, or in one queue per
  receiver where the dialect delivers FIFO per network, or one per (receiver, module) where it
  takes one push at a time per operation (Hubject).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import orjson

from ocpi_hub import dialects
from ocpi_hub.core import routes
from ocpi_hub.core.delivery import object_path
from ocpi_hub.core.parties import InterfaceRole, Party, Platform
from ocpi_hub.core.routing import PartyKey, delivered_from

__all__ = [
    "FIFO_QUEUE",
    "Change",
    "Plan",
    "Planned",
    "delivery_queue",
    "personal_route",
    "plan",
    "queue_of",
    "rerouted",
]

# The object key of the one queue per receiver of a FIFO dialect.
FIFO_QUEUE = "*"


def queue_of(key: tuple[str, ...]) -> str:
    """The outbox queue of the object `key` names (ObjectKey.args()): its deliveries to one
    receiver go in order."""
    return "/".join(quote(part, safe="") for part in key)


@dataclass(frozen=True)
class Change:
    """A stored change to deliver: the request as it came, and the object as now stored."""

    module: str
    method: str
    path: str  # below the module's endpoint (core.urls.object_path)
    body: str | None  # the request's body as sent
    whole: Mapping[str, Any] | None  # the object after the change (None for a DELETE)
    key: tuple[str, str, str, str, str]  # module, country_code, party_id, id, kind
    queue: str  # the object key that orders its deliveries
    source: Platform  # the platform that sent it
    sender: PartyKey
    hub: PartyKey
    personal: bool


@dataclass(frozen=True)
class Planned:
    """One delivery to queue."""

    receiver: Platform
    module: str
    to_party: PartyKey
    from_party: PartyKey
    method: str
    path: str
    body: str | None
    queue: str


@dataclass(frozen=True)
class Plan:
    deliveries: list[Planned] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # why a receiver was not sent the change


def plan(
    change: Change,
    receivers: Iterable[tuple[Party, Platform]],
    spoken_by: Callable[[Platform], dialects.Dialect] = dialects.spoken_by,
) -> Plan:
    """The deliveries of `change` to `receivers` (one per (platform, party identity))."""
    result = Plan()
    seen: set[tuple[int, PartyKey]] = set()
    for party, platform in receivers:
        if (platform.id, party.key) in seen or not _reaches(change, platform):
            continue
        seen.add((platform.id, party.key))
        dialect = spoken_by(platform)
        refusal = dialects.refusal(dialect, change.module, body=change.whole)
        if refusal is not None:
            result.refused.append(f"not sent to {party.country_code}*{party.party_id}: {refusal}")
            continue
        method, path, body = change.method, change.path, change.body
        if dialects.put_instead(dialect, change.module, method) and change.whole is not None:
            method, path = "PUT", object_path(change.key, change.whole)
            body = orjson.dumps(change.whole).decode()
        queue = delivery_queue(dialect, change.module, change.queue)
        result.deliveries.append(
            Planned(
                receiver=platform,
                module=change.module,
                to_party=party.key,
                from_party=delivered_from(
                    change.personal or platform.network, change.sender, change.hub
                ),
                method=method,
                path=path,
                body=body,
                queue=queue,
            )
        )
    return result


def _reaches(change: Change, platform: Platform) -> bool:
    return routes.exported(change.source, platform) and bool(
        platform.endpoint(change.module, InterfaceRole.RECEIVER)
    )


def personal_route(hosts: Sequence[Platform], change: Change) -> Platform | None:
    """The route personal data takes to its party: the first registered host (best route
    first, core.routes) that may be sent it and offers the module's Receiver."""
    return next((p for p in hosts if p.registered and _reaches(change, p)), None)


def rerouted(
    receiver: Platform,
    module: str,
    interface: InterfaceRole,
    method: str,
    queue: str,
    *,
    from_network: bool,
) -> str | None:
    """The queue a pending delivery joins on `receiver` when its party's traffic moves there
    (route choice, storage.repositories.outbox_routes), or None when `receiver` cannot take it
    as it was planned: a network, for data that came from a network (`from_network`: no
    reselling); no endpoint for its module and interface; a module its dialect lacks; a PATCH
    its dialect takes only as a PUT. The queue is the receiver's one FIFO queue where its
    dialect delivers FIFO, otherwise the delivery's own."""
    if from_network and receiver.network:
        return None
    if not receiver.registered or not receiver.endpoint(module, interface):
        return None
    dialect = dialects.spoken_by(receiver)
    if dialects.refusal(dialect, module) is not None or dialects.put_instead(
        dialect, module, method
    ):
        return None
    return delivery_queue(dialect, module, queue)


def delivery_queue(dialect: dialects.Dialect, module: str, queue: str) -> str:
    """The outbox queue a delivery of `module` to an object's `queue` joins at a receiver
    speaking `dialect`: the object's own, the receiver's one FIFO queue, or one per module."""
    if dialect.delivery == dialects.Delivery.FIFO:
        return FIFO_QUEUE
    if dialect.delivery == dialects.Delivery.PER_MODULE:
        return module
    return queue
