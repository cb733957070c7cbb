"""Platforms and their parties in PostgreSQL. SQL lives here and nowhere else.

A change of a platform's status also moves its parties' HubClientInfo status and queues the
pushes of that change, in the same transaction (see `clientinfo`). The functions take `hub`,
the hub's own (country_code, party_id), as the FROM of those deliveries; with `hub=None`
statuses still change but nothing is queued.

Every change to a platform or its parties is announced on `CHANNEL` with the platform's id, by
a trigger (migration 0007): `storage.platform_cache` keeps every process's copy current with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

import asyncpg
import orjson

from ocpi_hub.core.handshake import hash_token
from ocpi_hub.core.modules.hubclientinfo import (
    PartyEvent,
)
from ocpi_hub.core.parties import (
    Endpoint,
    InterfaceRole,
    Party,
    Platform,
    PlatformKind,
    PlatformStatus,
    Role,
)
from ocpi_hub.core.routing import PartyKey
from ocpi_hub.storage import Connection, Executor
from ocpi_hub.storage.repositories import clientinfo

# Where the trigger of migration 0007 announces a changed platform (payload: its id), and where
# `announce` asks the listening processes to acknowledge one (payload: id:marker) ...
CHANNEL = "ocpi_hub_platforms"
# ... which they do here (payload: markers, comma-separated).
ACKNOWLEDGED = "ocpi_hub_platforms_acknowledged"

_SELECT = """
SELECT p.*, coalesce(
         (SELECT json_agg(json_build_array(q.country_code, q.party_id, q.role) ORDER BY q.id)
            FROM parties q WHERE q.platform_id = p.id), '[]') AS party_rows
  FROM platforms p
"""


class IdentityTaken(Exception):
    """A party identity (country_code, party_id, role) that another platform already holds."""


def _platform(row: asyncpg.Record) -> Platform:
    # Endpoints were validated when the handshake stored them: rebuilt here, not re-validated.
    endpoints = tuple(
        Endpoint.model_construct(
            identifier=e["identifier"], role=InterfaceRole(e["role"]), url=e["url"]
        )
        for e in orjson.loads(row["endpoints"])
    )
    return Platform(
        id=row["id"],
        name=row["name"],
        status=PlatformStatus(row["status"]),
        versions_url=row["versions_url"],
        version=row["version"],
        endpoints=endpoints,
        outgoing_token=row["outgoing_token"],
        parties=tuple(Party.of(*p) for p in orjson.loads(row["party_rows"])),
        kind=PlatformKind(row["kind"]),
        dialect=row["dialect"],
        connecting_role=Role(row["connecting_role"]) if row["connecting_role"] else None,
    )


class StoredPlatform(NamedTuple):
    """A platform with what only the hub's own bookkeeping needs: the hash of the token it
    calls us with, and whether the liveness probe found it unreachable."""

    platform: Platform
    incoming_token_hash: bytes | None
    offline: bool


async def load(conn: Executor, ids: Sequence[int] | None = None) -> list[StoredPlatform]:
    """Every platform, or those of `ids` that still exist, in id order."""
    where = "" if ids is None else " WHERE p.id = ANY($1::bigint[])"
    rows = await conn.fetch(_SELECT + where + " ORDER BY p.id", *([] if ids is None else [ids]))
    return [
        StoredPlatform(
            _platform(r),
            bytes(r["incoming_token_hash"]) if r["incoming_token_hash"] is not None else None,
            r["offline"],
        )
        for r in rows
    ]


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


async def last_seen(conn: Executor) -> dict[int, datetime]:
    """When each platform last called the hub (its row's creation until it first does)."""
    rows = await conn.fetch("SELECT id, last_seen FROM platforms")
    return {r["id"]: r["last_seen"] for r in rows}


async def all_platforms(conn: Executor) -> list[Platform]:
    return [_platform(r) for r in await conn.fetch(_SELECT + " ORDER BY p.id")]


async def invite(
    conn: Connection,
    *,
    token: str,
    name: str,
    party: Party,
    hub: PartyKey | None = None,
    dialect: str = "ocpi-2.2.1",
) -> Platform:
    """A platform in INVITED state, holding token A and the one identity it may register; the
    party is PLANNED (pushed when `hub` is given). Inviting a HUB invites a network, which will
    speak `dialect`.

    Inviting an identity again while its platform is only INVITED or UNREGISTERED re-opens that
    platform with the new token A (the old one stops working): a lost invitation or a partner
    coming back. An identity held by a registered or connecting platform is IdentityTaken.
    """
    async with conn.transaction():
        held = await conn.fetchrow(
            "SELECT p.id, p.status, q.id AS party_row FROM parties q"
            " JOIN platforms p ON p.id = q.platform_id"
            " WHERE q.country_code = $1 AND q.party_id = $2 AND q.role = $3 AND NOT q.remote"
            " FOR UPDATE OF p",
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
                " endpoints = '[]', version = NULL, offline = false, updated_at = now(),"
                " dialect = $4 WHERE id = $1",
                platform_id,
                PlatformStatus.INVITED.value,
                hash_token(token),
                dialect,
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
            await clientinfo.apply_event(conn, platform_id, PartyEvent.INVITED, hub)
        else:
            kind = PlatformKind.of([party.role])
            platform_id = await conn.fetchval(
                "INSERT INTO platforms (name, status, incoming_token_hash, kind, dialect)"
                " VALUES ($1, $2, $3, $4, $5) RETURNING id",
                name,
                PlatformStatus.INVITED.value,
                hash_token(token),
                kind.value,
                dialect,
            )
            await _insert_parties(conn, platform_id, kind, [(party, {"name": name})])
            await clientinfo.created(conn, platform_id, hub)
    platform = await get(conn, platform_id)
    assert platform is not None
    return platform


async def begin_connect(
    conn: Connection,
    *,
    token: str,
    versions_url: str,
    dialect: str = "ocpi-2.2.1",
    role: Role | None = None,
) -> int:
    """A platform we are connecting to, which speaks `dialect` (a 2.1.1 one in `role`): it may
    call us with `token` (our token B) meanwhile."""
    platform_id: int = await conn.fetchval(
        "INSERT INTO platforms (status, incoming_token_hash, versions_url, dialect,"
        " connecting_role) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        PlatformStatus.CONNECTING.value,
        hash_token(token),
        versions_url,
        dialect,
        role.value if role else None,
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
    `parties`, when given, replace the platform's parties learned from credentials (the
    initiator learns them from the peer's credentials); a HUB among them makes the platform a
    network. Remote parties learned otherwise (HubClientInfo, the operator) stay.
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
            kind = PlatformKind.of(party.role for party, _ in parties)
            await conn.execute(
                "UPDATE platforms SET kind = $2 WHERE id = $1", platform_id, kind.value
            )
            await conn.execute(
                "DELETE FROM parties WHERE platform_id = $1 AND source = 'CREDENTIALS'",
                platform_id,
            )
            await _insert_parties(conn, platform_id, kind, parties)
        await clientinfo.apply_event(conn, platform_id, PartyEvent.REGISTERED, hub)
    return True


async def set_outgoing_token(conn: Executor, platform_id: int, token: str) -> None:
    """The token we call the platform with, as its latest credentials gave it."""
    await conn.execute(
        "UPDATE platforms SET outgoing_token = $2, updated_at = now() WHERE id = $1",
        platform_id,
        token,
    )


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
        await clientinfo.apply_event(conn, platform_id, PartyEvent.UNREGISTERED, hub)
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


async def local_parties(conn: Executor) -> list[tuple[Party, dict[str, Any]]]:
    """Every party connected directly (not through a network) on a registered platform, but
    hubs, with its business details: what the hub presents to a network (issue 8)."""
    rows = await conn.fetch(
        "SELECT q.country_code, q.party_id, q.role, q.business_details FROM parties q"
        " JOIN platforms p ON p.id = q.platform_id"
        " WHERE p.status = $1 AND NOT q.remote AND q.role <> $2 ORDER BY q.id",
        PlatformStatus.REGISTERED.value,
        Role.HUB.value,
    )
    return [
        (Party.of(r[0], r[1], r[2]), orjson.loads(r[3]) if r[3] else {"name": f"{r[0]}*{r[1]}"})
        for r in rows
    ]


async def add_remote(
    conn: Connection,
    platform_id: int,
    party: Party,
    *,
    name: str | None,
    source: str,
    status: str = "CONNECTED",
    hub: PartyKey | None = None,
) -> bool:
    """A remote party reached through network `platform_id`, learned from `source`
    (HUBCLIENTINFO or OPERATOR), with the ConnectionStatus the network reports; False when the
    network already routed to it (its status is updated). A new party, or a new status, is a
    ClientInfo pushed FROM `hub` to the peers (clientinfo.push; never to another network).

    A network's ClientInfo naming one of the hub's own parties (connected directly, or the hub
    itself) is our own presentation reflected back: it is not a route (through the network
    back to us: a loop), so it changes nothing and the result is False. The operator may still
    add such a route (`source` OPERATOR): a party can be a member of a network in its own
    right."""
    if source != "OPERATOR" and await _ours(conn, party, hub):
        return False
    async with conn.transaction():
        row = await conn.fetchrow(
            "INSERT INTO parties (platform_id, country_code, party_id, role, business_details,"
            " remote, source, connection_status) VALUES ($1, $2, $3, $4, $5::jsonb, true, $6, $7)"
            " ON CONFLICT (platform_id, country_code, party_id, role) DO UPDATE"
            " SET connection_status = EXCLUDED.connection_status,"
            "     status_updated = CASE WHEN parties.connection_status"
            "       = EXCLUDED.connection_status THEN parties.status_updated"
            "       ELSE date_trunc('second', now()) END"
            " RETURNING country_code, party_id, role, connection_status, status_updated,"
            "   xmax = 0 AS added,"
            # A subquery of RETURNING reads the table as it was before the statement.
            "   (SELECT connection_status FROM parties WHERE platform_id = $1"
            "     AND country_code = $2 AND party_id = $3 AND role = $4) AS before",
            platform_id,
            party.country_code,
            party.party_id,
            party.role.value,
            orjson.dumps({"name": name} if name else None).decode(),
            source,
            status,
        )
        assert row is not None
        if row["added"] or row["before"] != status:
            info = clientinfo.client_info(row)
            await clientinfo.push(conn, [info], exclude=platform_id, hub=hub)
    return bool(row["added"])


async def _ours(conn: Executor, party: Party, hub: PartyKey | None) -> bool:
    """Whether `party`'s identity is the hub's or one of its directly connected parties."""
    if party.key == hub:
        return True
    found: bool = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM parties q JOIN platforms p ON p.id = q.platform_id"
        " WHERE q.country_code = $1 AND q.party_id = $2 AND NOT q.remote AND p.kind = 'PEER')",
        party.country_code,
        party.party_id,
    )
    return found


async def _insert_parties(
    conn: Connection,
    platform_id: int,
    kind: PlatformKind,
    parties: Sequence[tuple[Party, dict[str, Any]]],
) -> None:
    network = kind == PlatformKind.NETWORK
    try:
        await conn.executemany(
            "INSERT INTO parties (platform_id, country_code, party_id, role, business_details,"
            " remote) VALUES ($1, $2, $3, $4, $5::jsonb, $6)",
            [
                (
                    platform_id,
                    p.country_code,
                    p.party_id,
                    p.role.value,
                    orjson.dumps(d).decode(),
                    network and p.role != Role.HUB,
                )
                for p, d in parties
            ],
        )
    except asyncpg.UniqueViolationError as exc:
        taken = ", ".join(str(p) for p, _ in parties)
        raise IdentityTaken(f"party identity already registered: {taken}") from exc


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


# ---- announcements (storage.platform_cache) -----------------------------------------------


async def name_listener(conn: Connection, name: str | None) -> None:
    """Name (or, with None, unname) this session so that `announce` finds it."""
    await conn.execute("SELECT set_config('application_name', $1, false)", name or "")


async def announce(conn: Connection, subject: str, marker: str, listener: str) -> list[int]:
    """Announce `subject` (a platform id, or "all") as changed, with `marker` to acknowledge;
    returns the backend pids of the sessions named `listener` on this database, who are to
    acknowledge."""
    pids: list[int] = await conn.fetchval(
        "WITH announced AS (SELECT pg_notify($1, $2))"
        " SELECT array(SELECT pid FROM pg_stat_activity"
        "   WHERE datname = current_database() AND application_name = $3) FROM announced",
        CHANNEL,
        f"{subject}:{marker}",
        listener,
    )
    return pids


async def acknowledge(conn: Connection, markers: Sequence[str]) -> None:
    """Acknowledge `announce` markers: the platforms they name are marked for reload."""
    # A notification's payload holds under 8000 bytes: 200 markers of 32 characters fit.
    for start in range(0, len(markers), 200):
        await conn.execute(
            "SELECT pg_notify($1, $2)", ACKNOWLEDGED, ",".join(markers[start : start + 200])
        )
