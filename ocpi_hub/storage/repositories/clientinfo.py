"""HubClientInfo in PostgreSQL: the parties' connection statuses, and the pushes a change of
status queues (checklist §4.8, §5).

A change of a platform's status moves its parties' ConnectionStatus as the table in
`core.modules.hubclientinfo` says and, in the same transaction, queues a PUT of each changed
ClientInfo to every *other* registered platform offering the hubclientinfo Receiver. It happens
in storage rather than in the web layer so that a change made by another process (`ocpi-hub
parties invite`) is pushed too: the serving hub's outbox worker sends it. `hub`, the hub's own
(country_code, party_id), is the FROM of those deliveries; with `hub=None` statuses still change
but nothing is queued.

Changes and their fan-out are serialized (`_one_at_a_time`): each holds a transaction-scoped
advisory lock from before it reads any status until it commits. Without it, two platforms
registering at the same moment each read the other before it committed: neither was in the
other's audience, and each one's full picture showed the other still PLANNED, for good. With
it, the later of the two sees the earlier committed: it pushes its change to the earlier one,
and its own picture shows the earlier one CONNECTED.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import asyncpg
import orjson

from ocpi_hub import dialects
from ocpi_hub.core.modules.hubclientinfo import (
    ClientInfo,
    ConnectionStatus,
    PartyEvent,
    next_status,
    snapshot_after,
)
from ocpi_hub.core.paging import PageRequest
from ocpi_hub.core.parties import InterfaceRole, ModuleID, Party, PlatformStatus
from ocpi_hub.core.routing import PartyKey
from ocpi_hub.core.urls import object_path
from ocpi_hub.storage import Connection, Executor
from ocpi_hub.storage.repositories import outbox
from ocpi_hub.storage.repositories.outbox import NewDelivery

CLIENT_INFO = (
    "SELECT q.id, q.country_code, q.party_id, q.role, q.connection_status, q.status_updated"
    " FROM parties q"
)
# Any constant shared by every ocpi-hub process (the migration lock is another).
_STATUS_LOCK = 0x0C91_C11F
# jsonb containment: the platform's endpoints include a hubclientinfo Receiver.
_OFFERS_RECEIVER = orjson.dumps(
    [{"identifier": ModuleID.HUB_CLIENT_INFO.value, "role": InterfaceRole.RECEIVER.value}]
).decode()


def client_info(row: asyncpg.Record) -> ClientInfo:
    party = Party.of(row["country_code"], row["party_id"], row["role"])
    return ClientInfo.of(party, row["connection_status"], row["status_updated"])


async def client_info_page(
    conn: Executor, page: PageRequest, *, hub: PartyKey, peers_only: bool = False
) -> tuple[list[tuple[int, ClientInfo]], int]:
    """One page of the ClientInfo of every party the hub knows but itself (with `peers_only`,
    for a network reading it, only the parties of peers: never another network's), in party
    creation order (keyset on the party row id), and the total matching the date filters."""
    filters = (
        " WHERE NOT (q.country_code = $1 AND q.party_id = $2)"
        " AND ($3::timestamptz IS NULL OR q.status_updated >= $3)"
        " AND ($4::timestamptz IS NULL OR q.status_updated < $4)"
    )
    if peers_only:
        filters += " AND q.platform_id IN (SELECT id FROM platforms WHERE kind = 'PEER')"
    args = (*hub, page.date_from, page.date_to)
    total: int = (
        page.total
        if page.total is not None
        # A plain count: parties number in the thousands at most (unlike objects).
        else await conn.fetchval("SELECT count(*) FROM parties q" + filters, *args)
    )
    if page.after_seq is not None:
        rows = await conn.fetch(
            CLIENT_INFO + filters + " AND q.id > $5 ORDER BY q.id LIMIT $6",
            *args,
            page.after_seq,
            page.limit,
        )
    else:
        rows = await conn.fetch(
            CLIENT_INFO + filters + " ORDER BY q.id OFFSET $5 LIMIT $6",
            *args,
            page.offset,
            page.limit,
        )
    return [(r["id"], client_info(r)) for r in rows], total


async def heard_from(
    pool: asyncpg.Pool, platform_id: int, *, hub: PartyKey, throttle: float
) -> list[ClientInfo]:
    """Record that a registered platform answered or called; if it was OFFLINE, its parties
    are CONNECTED again (pushed, and it gets the full picture). Returns what changed.

    Called on every request, so it costs one statement that writes nothing unless last_seen is
    older than `throttle` seconds or the platform is marked offline.
    """
    offline = await pool.fetchval(
        "UPDATE platforms SET last_seen = now() WHERE id = $1 AND status = $2"
        " AND (offline OR last_seen < now() - make_interval(secs => $3)) RETURNING offline",
        platform_id,
        PlatformStatus.REGISTERED.value,
        throttle,
    )
    if not offline:
        return []
    async with pool.acquire() as conn, conn.transaction():
        # A compare-and-swap: of concurrent requests (or hub processes) one brings it back.
        back = await conn.fetchval(
            "UPDATE platforms SET offline = false WHERE id = $1 AND offline RETURNING id",
            platform_id,
        )
        return await apply_event(conn, platform_id, PartyEvent.HEARD_FROM, hub) if back else []


async def unreachable(
    pool: asyncpg.Pool, platform_id: int, *, silence: float, hub: PartyKey
) -> list[ClientInfo]:
    """The liveness probe failed: the platform's CONNECTED parties go OFFLINE (pushed).
    Returns what changed; nothing when the platform was heard from meanwhile."""
    async with pool.acquire() as conn, conn.transaction():
        # last_seen is re-checked under the row lock: a call that arrived while the probe was
        # under way wins over the probe's failure.
        marked = await conn.fetchval(
            "UPDATE platforms SET offline = true WHERE id = $1 AND status = $2 AND NOT offline"
            " AND last_seen < now() - make_interval(secs => $3) RETURNING id",
            platform_id,
            PlatformStatus.REGISTERED.value,
            silence,
        )
        return await apply_event(conn, platform_id, PartyEvent.UNREACHABLE, hub) if marked else []


async def _one_at_a_time(conn: Connection) -> None:
    """Wait for any other status change and fan-out to commit; hold the turn until this
    transaction ends. Re-entrant within a transaction."""
    await conn.execute("SELECT pg_advisory_xact_lock($1)", _STATUS_LOCK)


async def created(conn: Connection, platform_id: int, hub: PartyKey | None) -> None:
    """A new party is a ClientInfo created: pushed like a change (checklist §4.8)."""
    await _one_at_a_time(conn)
    rows = await conn.fetch(CLIENT_INFO + " WHERE q.platform_id = $1", platform_id)
    await push(conn, [client_info(r) for r in rows], exclude=platform_id, hub=hub)


async def apply_event(
    conn: Connection, platform_id: int, event: PartyEvent, hub: PartyKey | None
) -> list[ClientInfo]:
    """Move the platform's parties as `event` says (core decides, this stores), push each
    change to the other platforms and, where due, the full picture to this one. Runs in the
    caller's transaction, after any other change has committed (`_one_at_a_time`): the
    audience and the picture are read as they are then."""
    await _one_at_a_time(conn)
    rows = await conn.fetch(
        "SELECT q.id, q.connection_status, s.suspended IS TRUE AS credit_suspended"
        " FROM parties q LEFT JOIN credit_states s ON q.role = 'EMSP'"
        "  AND s.country_code = q.country_code AND s.party_id = q.party_id AND s.suspended"
        " WHERE q.platform_id = $1 ORDER BY q.id FOR UPDATE OF q",
        platform_id,
    )
    moves = [
        (row["id"], status.value)
        for row in rows
        if (
            status := next_status(
                event,
                ConnectionStatus(row["connection_status"]),
                credit_suspended=row["credit_suspended"],
            )
        )
        is not None
    ]
    changed = await _move(conn, moves)
    await push(conn, changed, exclude=platform_id, hub=hub)
    if hub is not None and snapshot_after(event, bool(changed)):
        receivers = await _receivers(conn, "p.id = $1", platform_id)
        if receivers:
            # A network is told of the peers' parties only, not of another network's.
            others = await conn.fetch(
                CLIENT_INFO + " JOIN platforms o ON o.id = q.platform_id"
                " WHERE q.platform_id <> $1 AND (o.kind = 'PEER'"
                "   OR (SELECT kind FROM platforms WHERE id = $1) = 'PEER') ORDER BY q.id",
                platform_id,
            )
            await _enqueue(conn, [client_info(r) for r in others], receivers, hub)
    return changed


async def _move(conn: Connection, moves: Sequence[tuple[int, str]]) -> list[ClientInfo]:
    """Give each party row its new status; the ClientInfo of each, in party order."""
    if not moves:
        return []
    updated = await conn.fetch(
        "UPDATE parties q SET connection_status = m.status,"
        " status_updated = date_trunc('second', now())"
        " FROM unnest($1::bigint[], $2::text[]) AS m(id, status) WHERE q.id = m.id"
        " RETURNING q.id, q.country_code, q.party_id, q.role, q.connection_status,"
        " q.status_updated",
        [party_row for party_row, _ in moves],
        [status for _, status in moves],
    )
    return [client_info(r) for r in sorted(updated, key=lambda r: r["id"])]


async def credit_changed(
    conn: Connection, emsp: PartyKey, suspended: bool, hub: PartyKey | None
) -> list[ClientInfo]:
    """The eMSP's credit was suspended or its suspension lifted (core.credit): each of its
    eMSP parties moves as the table says (a lift only on a registered platform: OFFLINE where
    the platform is marked unreachable), pushed to every other platform. What changed."""
    await _one_at_a_time(conn)
    rows = await conn.fetch(
        "SELECT q.id, q.platform_id, q.connection_status, p.offline FROM parties q"
        " JOIN platforms p ON p.id = q.platform_id"
        " WHERE q.country_code = $1 AND q.party_id = $2 AND q.role = 'EMSP'"
        "  AND (p.status = $3 OR $4)"
        " ORDER BY q.id FOR UPDATE OF q",
        *emsp,
        PlatformStatus.REGISTERED.value,
        suspended,
    )
    changed: list[ClientInfo] = []
    for row in rows:
        if suspended:
            event = PartyEvent.CREDIT_SUSPENDED
        elif row["offline"]:
            event = PartyEvent.CREDIT_LIFTED_UNREACHABLE
        else:
            event = PartyEvent.CREDIT_LIFTED
        status = next_status(event, ConnectionStatus(row["connection_status"]))
        if status is not None:
            moved = await _move(conn, [(row["id"], status.value)])
            await push(conn, moved, exclude=row["platform_id"], hub=hub)
            changed += moved
    return changed


async def push(
    conn: Connection, infos: Sequence[ClientInfo], *, exclude: int, hub: PartyKey | None
) -> None:
    """Queue `infos` to every registered Receiver platform but `exclude` (the one they are
    about: it knows its own status) and, when `exclude` is a network, but the networks."""
    if hub is None or not infos:
        return
    await _one_at_a_time(conn)
    # What is about a network's parties goes to peers only: one network's members are never
    # announced to another (no reselling of a network, issue 8).
    condition = "p.id <> $1 AND (p.kind = 'PEER' OR (SELECT kind FROM platforms WHERE id = $1)"
    condition += " = 'PEER')"
    await _enqueue(conn, infos, await _receivers(conn, condition, exclude), hub)


async def _receivers(
    conn: Connection, condition: str, platform_id: int
) -> list[tuple[int, PartyKey]]:
    """(platform id, its first party) of each registered platform offering the hubclientinfo
    Receiver that meets `condition`, and whose dialect exchanges ClientInfo (not a network that
    lacks the module or only PUTs ClientInfo when an agreement is signed: issue 8). One delivery
    per platform: a configuration module talks to the platform, not to one of its parties, so
    the party only names the delivery in logs."""
    rows = await conn.fetch(
        "SELECT p.id, p.dialect, q.country_code, q.party_id FROM platforms p"
        " JOIN LATERAL (SELECT country_code, party_id FROM parties"
        "   WHERE platform_id = p.id ORDER BY id LIMIT 1) q ON true"
        " WHERE p.status = $2 AND p.endpoints @> $3::jsonb AND " + condition + " ORDER BY p.id",
        platform_id,
        PlatformStatus.REGISTERED.value,
        _OFFERS_RECEIVER,
    )
    return [
        (r["id"], (r["country_code"], r["party_id"]))
        for r in rows
        if dialects.exchanges_hubclientinfo(dialects.spoken(r["dialect"]))
    ]


async def _enqueue(
    conn: Connection,
    infos: Sequence[ClientInfo],
    receivers: Sequence[tuple[int, PartyKey]],
    hub: PartyKey,
) -> None:
    # The hub's own identity is never a ClientInfo (it is not in the list either).
    infos = [i for i in infos if (i.country_code, i.party_id) != hub]
    correlation_id = str(uuid.uuid4())  # one per change: its deliveries share it in the logs
    deliveries = []
    for info in infos:
        path = object_path([("country_code", info.country_code), ("party_id", info.party_id)])
        body = info.model_dump_json()
        deliveries += [
            NewDelivery(
                receiver_platform_id=platform_id,
                to_party=to,
                from_party=hub,
                module=ModuleID.HUB_CLIENT_INFO.value,
                interface=InterfaceRole.RECEIVER.value,
                method="PUT",
                path=path,
                body=body,
                correlation_id=correlation_id,
                # Keyed by the URL's party: its successive statuses reach each receiver in order.
                object_key=f"{ModuleID.HUB_CLIENT_INFO.value}{path}",
            )
            for platform_id, to in receivers
        ]
    await outbox.enqueue(conn, deliveries)
