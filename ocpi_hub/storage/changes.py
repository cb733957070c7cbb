"""A change to a stored object and the deliveries it causes, in one transaction (DESIGN.md
decision 4): the one path every object takes into the hub's store.

Two callers: the web layer, for what a party pushes to the hub's Receiver interfaces
(web.objects), and the puller, for what the hub reads from a network's Sender interfaces
(push.puller), stored exactly as if the network had pushed it. Each describes the change as a
`Pushed` (what came, from whom, addressed how); this module stores it, asks the one delivery
planner (core.planner) who is sent it, and queues that in the outbox, all or nothing. A module
whose objects are money (CDRs, `ObjectModule.booked`) is booked in the settlement ledger in the
same transaction (storage.repositories.ledger): a CDR is stored, booked and queued, or none of it;
a credit CDR settles the disputes of the CDR it credits in that transaction too
(storage.repositories.disputes.credited).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import asyncpg

from ocpi_hub.core.agreements import Agreements, entitled
from ocpi_hub.core.model import validate
from ocpi_hub.core.objects import ObjectModule
from ocpi_hub.core.parties import InterfaceRole, Party, Platform
from ocpi_hub.core.planner import Change, Plan, personal_route, plan, queue_of
from ocpi_hub.core.routing import PartyKey, broadcast_audience
from ocpi_hub.core.types import parse_datetime
from ocpi_hub.dialects import same_id, spoken_by
from ocpi_hub.errors import InvalidParameters
from ocpi_hub.logging import get_logger
from ocpi_hub.storage import Connection
from ocpi_hub.storage.platform_cache import PlatformCache
from ocpi_hub.storage.repositories import disputes, ledger, objects, outbox
from ocpi_hub.storage.repositories.objects import ObjectKey

__all__ = ["Apply", "Pushed", "Stored", "deliveries", "enqueue", "store", "store_new"]

log = get_logger("ocpi_hub.storage.changes")

# What a push does to the stored object: (the object to store, whether it is new); OcpiErrors
# for pushes that cannot apply (an unknown object for a PATCH, say).
Apply = Callable[[dict[str, Any] | None], tuple[dict[str, Any], bool]]


@dataclass(frozen=True)
class Pushed:
    """One change to a stored object as it came to the hub."""

    spec: ObjectModule
    key: ObjectKey
    method: str
    path: str  # below the module's endpoint, as receivers are sent it (core.urls.object_path)
    body: str | None  # the body as sent (in the spec's form, dialects.as_spec)
    source: Platform  # the platform it came from: never sent back there
    sender: PartyKey  # the party that sent it (the owner, for what a network delivers)
    hub: PartyKey
    correlation_id: str
    agreements: Agreements  # who trades with whom (core.agreements), as of this change
    # Order its deliveries behind those of this object instead of its own (a credit CDR).
    behind: ObjectKey | None = None


@dataclass(frozen=True)
class Stored:
    """What storing a change did."""

    created: bool
    plan: Plan


async def store(
    pool: asyncpg.Pool,
    cache: PlatformCache,
    pushed: Pushed,
    apply: Apply,
    *,
    deliver: bool = True,
    only_changed: bool = False,
) -> Stored | None:
    """Apply a change to the stored object, validate the result, store it and queue its
    deliveries, all or nothing. With `only_changed`, a change that leaves the stored object as
    it was stores and sends nothing (None): a pull reads again what it read before. Ids compare
    as the sending platform's dialect compares them (issue 8)."""
    async with pool.acquire() as conn, conn.transaction():
        stored = await objects.get(conn, pushed.key, for_update=True)
        held = None if stored is None else _held_as(pushed, stored)
        # An object the sender's dialect tells apart from the stored one is not it: a PATCH of
        # it is of an unknown object, a PUT of it cannot be held beside it.
        updated, created = apply(stored if held is None else None)
        if held is not None:
            raise InvalidParameters(
                f"{pushed.spec.module.value} {pushed.key.id!r}: the hub holds {held!r} of"
                f" {'*'.join(pushed.key.owner)}, the same id for the hub (OCPI CiString),"
                f" and cannot hold both"
            )
        if only_changed and updated == stored:
            return None
        validate(pushed.spec.model, updated)
        spec = pushed.spec
        addressee = spec.addressee(updated) if spec.addressee else None
        last_updated = parse_datetime(updated["last_updated"])
        await objects.upsert(conn, pushed.key, updated, last_updated, addressee)
        planned = Plan()
        if deliver:
            planned = await deliveries(cache, pushed, addressee, whole=updated)
            await enqueue(conn, planned, pushed.correlation_id)
    return Stored(created, planned)


async def _book(
    conn: Connection, pushed: Pushed, data: dict[str, Any], addressee: PartyKey
) -> None:
    """Book a stored CDR (for a token of `addressee`) at the fee its CPO and that eMSP agreed; a
    credit CDR's reversal also settles the disputes of the CDR it credits (core.disputes)."""
    _, country_code, party_id, _, _ = pushed.key.args()
    owner = (country_code, party_id)
    booked = await ledger.book_cdr(
        conn,
        pushed.key,
        data,
        emsp=addressee,
        hub=pushed.hub,
        fee=pushed.agreements.fee(owner, addressee),
    )
    if booked.outcome == ledger.Outcome.REVERSED:
        assert booked.reverses is not None and booked.transaction is not None
        settled = await disputes.credited(
            conn, booked.reverses, booked.transaction, "*".join((*owner, pushed.key.id))
        )
        if settled:
            log.info("disputes_credited", cdr="*".join((*owner, pushed.key.id)), disputes=settled)
    if booked.outcome != ledger.Outcome.BOOKED:
        log.info(
            f"cdr_{booked.outcome.value}",
            cdr="*".join((*owner, pushed.key.id)),
            transaction=booked.transaction,
            reason=booked.reason or None,
        )


def _held_as(pushed: Pushed, stored: dict[str, Any]) -> str | None:
    """The stored object's id when the platform the change came from means another object by
    the id it sent (its dialect's ids are case-sensitive: `loc1` is not `LOC1`); else None."""
    held = str(stored.get(pushed.spec.id_field, pushed.key.id))
    return None if same_id(spoken_by(pushed.source), pushed.key.id, held) else held


async def store_new(
    pool: asyncpg.Pool, cache: PlatformCache, pushed: Pushed, data: dict[str, Any]
) -> Plan | None:
    """Store an object that must be new (CDRs are immutable) exactly as sent, book it where its
    module is money, and queue its deliveries, all or nothing; None, storing, booking and
    sending nothing, when (owner, id) is taken."""
    addressee = pushed.spec.addressee(data) if pushed.spec.addressee else None
    async with pool.acquire() as conn, conn.transaction():
        last_updated = parse_datetime(data["last_updated"])
        if not await objects.insert(conn, pushed.key, data, last_updated, addressee):
            return None
        if pushed.spec.booked and addressee is not None:
            await _book(conn, pushed, data, addressee)
        planned = await deliveries(cache, pushed, addressee, whole=data)
        await enqueue(conn, planned, pushed.correlation_id)
    return planned


async def deliveries(
    cache: PlatformCache,
    pushed: Pushed,
    addressee: PartyKey | None,
    whole: dict[str, Any] | None = None,
) -> Plan:
    """What this stored change sends (core.planner): for personal data one delivery to the
    party it is meant for, over its best route, FROM the party that sent it, as any message
    routed through a hub (open routing is answered "as Via Hub", checklist §1.6); otherwise one
    per party of the opposite roles and one per network, never back to the platform it came
    from (a broadcast). Either way only to parties the object's owner trades with
    (core.agreements). Keyed by object, so one object's changes reach each receiver in order;
    keyed by `pushed.behind` instead when given, so they reach it after that object's. `whole`
    is the object as now stored (for dialects that take a PUT where the change was a PATCH)."""
    spec = pushed.spec
    change = Change(
        module=spec.module.value,
        method=pushed.method,
        path=pushed.path,
        body=pushed.body,
        whole=whole,
        key=pushed.key.args(),
        queue=queue_of((pushed.behind or pushed.key).args()),
        source=pushed.source,
        sender=pushed.sender,
        hub=pushed.hub,
        personal=spec.personal,
    )
    owner, agreements = pushed.key.owner, pushed.agreements
    receivers: list[tuple[Party, Platform]] = []
    if spec.personal and addressee and agreements.allows(owner, addressee, change.module):
        route = personal_route(await cache.platforms_of_party(*addressee), change)
        if route is not None:
            receivers = [(party, route) for party in route.parties if party.key == addressee]
    elif not spec.personal:
        roles = broadcast_audience(spec.owner_role)
        # Precomputed per change of the platforms: only the deliveries are built per push.
        audience = await cache.receivers(roles, spec.module, InterfaceRole.RECEIVER)
        receivers = entitled(audience, owner, change.module, roles, agreements)
    planned = plan(change, receivers)
    for refusal in planned.refused:
        log.info("delivery_refused_by_dialect", module=change.module, reason=refusal)
    return planned


async def enqueue(conn: Connection, planned: Plan, correlation_id: str) -> None:
    """Queue what `deliveries` planned, in the caller's transaction."""
    await outbox.enqueue(conn, outbox.planned(planned.deliveries, correlation_id))
