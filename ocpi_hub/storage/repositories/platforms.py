"""Platforms and their parties in PostgreSQL. SQL lives here and nowhere else.

A change of a platform's status also moves its parties' HubClientInfo ConnectionStatus (the
table in `core.modules.hubclientinfo`) and, in the same transaction, queues a PUT of each changed
ClientInfo to every *other* registered platform offering the hubclientinfo Receiver (checklist
§4.8). It happens here rather than in the web layer so that a change made by another process
(`ocpi-hub parties invite`) is pushed too: the serving hub's outbox worker sends it. The
functions take `hub`, the hub's own (country_code, party_id), as the FROM of those deliveries;
with `hub=None` statuses still change but nothing is queued.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote

import asyncpg
import orjson

from ocpi_hub.core.handshake import hash_token
from ocpi_hub.core.modules.hubclientinfo import (
    ClientInfo,
    ConnectionStatus,
    PartyEvent,
    next_status,
    snapshot_after,
)
from ocpi_hub.core.paging import PageRequest
from ocpi_hub.core.parties import (
    Endpoint,
    InterfaceRole,
    ModuleID,
    Party,
    Platform,
    PlatformStatus,
    Role,
)
from ocpi_hub.core.routing import PartyKey
from ocpi_hub.storage import Connection, Executor
from ocpi_hub.storage.repositories import outbox
from ocpi_hub.storage.repositories.outbox import NewDelivery

_SELECT = """
SELECT p.*, coalesce(
         (SELECT json_agg(json_build_array(q.country_code, q.party_id, q.role) ORDER BY q.id)
            FROM parties q WHERE q.platform_id = p.id), '[]') AS party_rows
  FROM platforms p
"""


class IdentityTaken(Exception):
    """A party identity (country_code, party_id, role) that another platform already holds."""


def _platform(row: asyncpg.Record) -> Platform:
    endpoints = orjson.loads(row["endpoints"])
    return Platform(
        id=row["id"],
        name=row["name"],
        status=PlatformStatus(row["status"]),
        versions_url=row["versions_url"],
        version=row["version"],
        endpoints=tuple(Endpoint.model_validate(e) for e in endpoints),
        outgoing_token=row["outgoing_token"],
        parties=tuple(Party.of(*p) for p in orjson.loads(row["party_rows"])),
    )


async def get(conn: Executor, platform_id: int) -> Platform | None:
    row = await conn.fetchrow(_SELECT + " WHERE p.id = $1", platform_id)
    return _platform(row) if row else None


async def by_token(conn: Executor, candidates: Sequence[str]) -> tuple[Platform, str] | None:
    """The platform whose incoming token is one of `candidates` (compared by hash), and which
    candidate it was."""
    hashes = {hash_token(c): c for c in candidates}
    if not hashes:
        return None
    row = await conn.fetchrow(
        _SELECT + " WHERE p.incoming_token_hash = ANY($1::bytea[])", list(hashes)
    )
    if row is None:
        return None
    return _platform(row), hashes[bytes(row["incoming_token_hash"])]


async def all_platforms(conn: Executor) -> list[Platform]:
    return [_platform(r) for r in await conn.fetch(_SELECT + " ORDER BY p.id")]


async def invite(
    conn: Connection, *, token: str, name: str, party: Party, hub: PartyKey | None = None
) -> Platform:
    """A platform in INVITED state, holding token A and the one identity it may register; the
    party is PLANNED (pushed when `hub` is given).

    Inviting an identity again while its platform is only INVITED or UNREGISTERED re-opens that
    platform with the new token A (the old one stops working): a lost invitation or a partner
    coming back. An identity held by a registered or connecting platform is IdentityTaken.
    """
    async with conn.transaction():
        held = await conn.fetchrow(
            "SELECT p.id, p.status, q.id AS party_row FROM parties q"
            " JOIN platforms p ON p.id = q.platform_id"
            " WHERE q.country_code = $1 AND q.party_id = $2 AND q.role = $3 FOR UPDATE OF p",
            party.country_code,
            party.party_id,
            party.role.value,
        )
        reopenable = (PlatformStatus.INVITED.value, PlatformStatus.UNREGISTERED.value)
        if held is not None and held["status"] not in reopenable:
            raise IdentityTaken(f"{party} is already {held['status'].lower()}")
        if held is not None:
            platform_id = held["id"]
            await conn.execute(
                "UPDATE platforms SET status = $2, incoming_token_hash = $3, outgoing_token = NULL,"
                " endpoints = '[]', version = NULL, offline = false, updated_at = now()"
                " WHERE id = $1",
                platform_id,
                PlatformStatus.INVITED.value,
                hash_token(token),
            )
            # The party row is kept, not re-created, so its ClientInfo keeps its last_updated
            # when nothing changes (a re-sent invitation). Other identities the platform once
            # registered are dropped: the invitation is for this one.
            await conn.execute(
                "DELETE FROM parties WHERE platform_id = $1 AND id <> $2",
                platform_id,
                held["party_row"],
            )
            await conn.execute(
                "UPDATE parties SET business_details = $2::jsonb WHERE id = $1",
                held["party_row"],
                orjson.dumps({"name": name}).decode(),
            )
            await _apply(conn, platform_id, PartyEvent.INVITED, hub)
        else:
            platform_id = await conn.fetchval(
                "INSERT INTO platforms (name, status, incoming_token_hash) VALUES ($1, $2, $3)"
                " RETURNING id",
                name,
                PlatformStatus.INVITED.value,
                hash_token(token),
            )
            await _insert_parties(conn, platform_id, [(party, {"name": name})])
            # A new party is a ClientInfo created: pushed like a change (checklist §4.8).
            rows = await conn.fetch(_CLIENT_INFO + " WHERE q.platform_id = $1", platform_id)
            await _push(conn, [_client_info(r) for r in rows], exclude=platform_id, hub=hub)
    platform = await get(conn, platform_id)
    assert platform is not None
    return platform


async def begin_connect(conn: Connection, *, token: str, versions_url: str) -> int:
    """A platform we are connecting to: it may call us with `token` (our token B) meanwhile."""
    platform_id: int = await conn.fetchval(
        "INSERT INTO platforms (status, incoming_token_hash, versions_url) VALUES ($1, $2, $3)"
        " RETURNING id",
        PlatformStatus.CONNECTING.value,
        hash_token(token),
        versions_url,
    )
    return platform_id


async def register(
    conn: Connection,
    platform_id: int,
    *,
    current_token: str,
    incoming_token: str,
    outgoing_token: str,
    versions_url: str,
    version: str,
    endpoints: Sequence[Endpoint],
    parties: Sequence[tuple[Party, dict[str, Any]]] | None = None,
    hub: PartyKey | None,
) -> bool:
    """Store a completed handshake, if `current_token` is still the platform's incoming token;
    its parties become CONNECTED and it is sent every other party's ClientInfo.

    A compare-and-swap: the handshake's callbacks take time, and a concurrent POST/PUT/DELETE
    by the same platform may have rotated or removed the token meanwhile; then nothing is
    stored and the result is False. The old incoming token stops working in the same statement.
    `parties`, when given, replace the platform's parties (the initiator learns them from the
    peer's credentials).
    """
    async with conn.transaction():
        updated = await conn.fetchval(
            "UPDATE platforms SET status = $2, incoming_token_hash = $3, outgoing_token = $4,"
            " versions_url = $5, version = $6, endpoints = $7::jsonb, updated_at = now(),"
            " last_seen = now(), offline = false"
            " WHERE id = $1 AND incoming_token_hash = $8 RETURNING id",
            platform_id,
            PlatformStatus.REGISTERED.value,
            hash_token(incoming_token),
            outgoing_token,
            versions_url,
            version,
            orjson.dumps([e.model_dump(mode="json") for e in endpoints]).decode(),
            hash_token(current_token),
        )
        if updated is None:
            return False
        if parties is not None:
            await conn.execute("DELETE FROM parties WHERE platform_id = $1", platform_id)
            await _insert_parties(conn, platform_id, parties)
        await _apply(conn, platform_id, PartyEvent.REGISTERED, hub)
    return True


async def update_business_details(
    conn: Executor, platform_id: int, parties: Sequence[tuple[Party, dict[str, Any]]]
) -> None:
    for party, details in parties:
        await conn.execute(
            "UPDATE parties SET business_details = $5::jsonb WHERE platform_id = $1"
            " AND country_code = $2 AND party_id = $3 AND role = $4",
            platform_id,
            party.country_code,
            party.party_id,
            party.role.value,
            orjson.dumps(details).decode(),
        )


async def unregister(
    conn: Connection, platform_id: int, *, current_token: str, hub: PartyKey | None
) -> bool:
    """Credentials deleted: neither side's token works any more; traffic stops; its parties are
    SUSPENDED. False when `current_token` was rotated meanwhile (the same compare-and-swap as
    `register`)."""
    async with conn.transaction():
        updated = await conn.fetchval(
            "UPDATE platforms SET status = $2, incoming_token_hash = NULL, outgoing_token = NULL,"
            " offline = false, updated_at = now() WHERE id = $1 AND incoming_token_hash = $3"
            " RETURNING id",
            platform_id,
            PlatformStatus.UNREGISTERED.value,
            hash_token(current_token),
        )
        if updated is None:
            return False
        await _apply(conn, platform_id, PartyEvent.UNREGISTERED, hub)
    return True


async def delete(conn: Executor, platform_id: int) -> None:
    await conn.execute("DELETE FROM platforms WHERE id = $1", platform_id)


async def registered_parties(conn: Executor, roles: Iterable[Role]) -> list[tuple[Party, Platform]]:
    """Every party with one of `roles` on a registered platform, with its platform."""
    wanted = {r.value for r in roles}
    rows = await conn.fetch(
        _SELECT + " WHERE p.status = $1 ORDER BY p.id", PlatformStatus.REGISTERED.value
    )
    found: list[tuple[Party, Platform]] = []
    for row in rows:
        platform = _platform(row)
        found.extend((party, platform) for party in platform.parties if party.role in wanted)
    return found


async def platforms_of_party(conn: Executor, country_code: str, party_id: str) -> list[Platform]:
    """Platforms hosting the party (country_code, party_id) in any role."""
    rows = await conn.fetch(
        _SELECT + " WHERE p.id IN (SELECT platform_id FROM parties"
        " WHERE country_code = $1 AND party_id = $2) ORDER BY p.id",
        country_code.upper(),
        party_id.upper(),
    )
    return [_platform(r) for r in rows]


async def _insert_parties(
    conn: Connection, platform_id: int, parties: Sequence[tuple[Party, dict[str, Any]]]
) -> None:
    try:
        await conn.executemany(
            "INSERT INTO parties (platform_id, country_code, party_id, role, business_details)"
            " VALUES ($1, $2, $3, $4, $5::jsonb)",
            [
                (platform_id, p.country_code, p.party_id, p.role.value, orjson.dumps(d).decode())
                for p, d in parties
            ],
        )
    except asyncpg.UniqueViolationError as exc:
        taken = ", ".join(str(p) for p, _ in parties)
        raise IdentityTaken(f"party identity already registered: {taken}") from exc


# --- HubClientInfo: statuses, pushes, liveness (checklist §4.8, §5) ----------------------------

_CLIENT_INFO = (
    "SELECT q.id, q.country_code, q.party_id, q.role, q.connection_status, q.status_updated"
    " FROM parties q"
)
# jsonb containment: the platform's endpoints include a hubclientinfo Receiver.
_OFFERS_RECEIVER = orjson.dumps(
    [{"identifier": ModuleID.HUB_CLIENT_INFO.value, "role": InterfaceRole.RECEIVER.value}]
).decode()


def _client_info(row: asyncpg.Record) -> ClientInfo:
    party = Party.of(row["country_code"], row["party_id"], row["role"])
    return ClientInfo.of(party, row["connection_status"], row["status_updated"])


async def client_info_page(
    conn: Executor, page: PageRequest, *, hub: PartyKey
) -> tuple[list[tuple[int, ClientInfo]], int]:
    """One page of the ClientInfo of every party the hub knows but itself, in party creation
    order (keyset on the party row id), and the total matching the date filters."""
    filters = (
        " WHERE NOT (q.country_code = $1 AND q.party_id = $2)"
        " AND ($3::timestamptz IS NULL OR q.status_updated >= $3)"
        " AND ($4::timestamptz IS NULL OR q.status_updated < $4)"
    )
    args = (*hub, page.date_from, page.date_to)
    total: int = (
        page.total
        if page.total is not None
        # A plain count: parties number in the thousands at most (unlike objects).
        else await conn.fetchval("SELECT count(*) FROM parties q" + filters, *args)
    )
    if page.after_seq is not None:
        rows = await conn.fetch(
            _CLIENT_INFO + filters + " AND q.id > $5 ORDER BY q.id LIMIT $6",
            *args,
            page.after_seq,
            page.limit,
        )
    else:
        rows = await conn.fetch(
            _CLIENT_INFO + filters + " ORDER BY q.id OFFSET $5 LIMIT $6",
            *args,
            page.offset,
            page.limit,
        )
    return [(r["id"], _client_info(r)) for r in rows], total


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
        return await _apply(conn, platform_id, PartyEvent.HEARD_FROM, hub) if back else []


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
        return await _apply(conn, platform_id, PartyEvent.UNREACHABLE, hub) if marked else []


async def claim_silent(conn: Executor, *, silence: float, limit: int) -> list[Platform]:
    """Registered platforms silent for `silence` seconds and not probed as long, claimed for a
    probe: claiming stamps probed_at, and SKIP LOCKED plus the re-checked condition keep two hub
    processes from probing one platform in the same round."""
    rows = await conn.fetch(
        "WITH due AS (SELECT id FROM platforms"
        "   WHERE status = $1 AND versions_url IS NOT NULL AND outgoing_token IS NOT NULL"
        "     AND last_seen < now() - make_interval(secs => $2)"
        "     AND (probed_at IS NULL OR probed_at < now() - make_interval(secs => $2))"
        "   ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED),"
        " claimed AS (UPDATE platforms SET probed_at = now() FROM due"
        "   WHERE platforms.id = due.id RETURNING platforms.id)"
        + _SELECT
        + " WHERE p.id IN (SELECT id FROM claimed) ORDER BY p.id",
        PlatformStatus.REGISTERED.value,
        silence,
        limit,
    )
    return [_platform(r) for r in rows]


async def _apply(
    conn: Connection, platform_id: int, event: PartyEvent, hub: PartyKey | None
) -> list[ClientInfo]:
    """Move the platform's parties as `event` says (core decides, this stores), push each
    change to the other platforms and, where due, the full picture to this one."""
    rows = await conn.fetch(
        "SELECT id, connection_status FROM parties WHERE platform_id = $1 ORDER BY id FOR UPDATE",
        platform_id,
    )
    moves = [
        (row["id"], status.value)
        for row in rows
        if (status := next_status(event, ConnectionStatus(row["connection_status"]))) is not None
    ]
    changed: list[ClientInfo] = []
    if moves:
        updated = await conn.fetch(
            "UPDATE parties q SET connection_status = m.status,"
            " status_updated = date_trunc('second', now())"
            " FROM unnest($1::bigint[], $2::text[]) AS m(id, status) WHERE q.id = m.id"
            " RETURNING q.id, q.country_code, q.party_id, q.role, q.connection_status,"
            " q.status_updated",
            [party_row for party_row, _ in moves],
            [status for _, status in moves],
        )
        changed = [_client_info(r) for r in sorted(updated, key=lambda r: r["id"])]
    await _push(conn, changed, exclude=platform_id, hub=hub)
    if hub is not None and snapshot_after(event, bool(changed)):
        receivers = await _receivers(conn, "p.id = $1", platform_id)
        if receivers:
            others = await conn.fetch(
                _CLIENT_INFO + " WHERE q.platform_id <> $1 ORDER BY q.id", platform_id
            )
            await _enqueue(conn, [_client_info(r) for r in others], receivers, hub)
    return changed


async def _push(
    conn: Connection, infos: Sequence[ClientInfo], *, exclude: int, hub: PartyKey | None
) -> None:
    """Queue `infos` to every registered Receiver platform but `exclude` (the one they are
    about: it knows its own status)."""
    if hub is None or not infos:
        return
    await _enqueue(conn, infos, await _receivers(conn, "p.id <> $1", exclude), hub)


async def _receivers(
    conn: Connection, condition: str, platform_id: int
) -> list[tuple[int, PartyKey]]:
    """(platform id, its first party) of each registered platform offering the hubclientinfo
    Receiver that meets `condition`. One delivery per platform: a configuration module talks to
    the platform, not to one of its parties, so the party only names the delivery in logs."""
    rows = await conn.fetch(
        "SELECT p.id, q.country_code, q.party_id FROM platforms p"
        " JOIN LATERAL (SELECT country_code, party_id FROM parties"
        "   WHERE platform_id = p.id ORDER BY id LIMIT 1) q ON true"
        " WHERE p.status = $2 AND p.endpoints @> $3::jsonb AND " + condition + " ORDER BY p.id",
        platform_id,
        PlatformStatus.REGISTERED.value,
        _OFFERS_RECEIVER,
    )
    return [(r["id"], (r["country_code"], r["party_id"])) for r in rows]


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
        owner = "/".join(quote(part, safe="") for part in (info.country_code, info.party_id))
        body = info.model_dump_json()
        deliveries += [
            NewDelivery(
                receiver_platform_id=platform_id,
                to_party=to,
                from_party=hub,
                module=ModuleID.HUB_CLIENT_INFO.value,
                interface=InterfaceRole.RECEIVER.value,
                method="PUT",
                path=f"/{owner}",
                body=body,
                correlation_id=correlation_id,
                # Keyed by the URL's party: its successive statuses reach each receiver in order.
                object_key=f"{ModuleID.HUB_CLIENT_INFO.value}/{owner}",
            )
            for platform_id, to in receivers
        ]
    await outbox.enqueue(conn, deliveries)
