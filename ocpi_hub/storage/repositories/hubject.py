"""Hubject as a network (migration 0019, issue 10): its connection, the local parties roaming
on it, what it holds from us, its SessionIDs, and the translation losses.

Hubject is stored as a network platform like any other (kind NETWORK, dialect `hubject`), so
routing, agreements, the outbox and the puller treat it as one; the rows here are what only the
OICP bridge (ocpi_hub/push/oicp) needs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from ocpi_hub.core.handshake import hash_token, new_token
from ocpi_hub.core.modules.hubclientinfo import PartyEvent
from ocpi_hub.core.parties import (
    Endpoint,
    InterfaceRole,
    ModuleID,
    Party,
    PlatformKind,
    PlatformStatus,
    Role,
)
from ocpi_hub.core.routing import PartyKey
from ocpi_hub.storage import Connection, Executor
from ocpi_hub.storage.repositories import clientinfo
from ocpi_hub.storage.repositories.platforms import _insert_parties

__all__ = [
    "BRIDGED",
    "HubjectNetwork",
    "Roaming",
    "bridge_endpoints",
    "connect",
    "enable",
    "forget_evses",
    "held_evses",
    "network",
    "remember_session",
    "session",
    "session_of_reference",
    "store_evses",
]

# The OCPI interfaces the bridge offers the hub as the Hubject platform: what a network of
# CPOs and eMSPs offers, each served by an OICP operation (push.oicp.bridge).
# The Sender interfaces are what the puller pulls (Hubject's operators' EVSEs and CDRs; the
# tokens list is empty: Hubject's providers authorize in real time or by pushed data).
BRIDGED: tuple[tuple[ModuleID, InterfaceRole], ...] = (
    (ModuleID.LOCATIONS, InterfaceRole.RECEIVER),
    (ModuleID.LOCATIONS, InterfaceRole.SENDER),
    (ModuleID.TARIFFS, InterfaceRole.RECEIVER),
    (ModuleID.SESSIONS, InterfaceRole.RECEIVER),
    (ModuleID.CDRS, InterfaceRole.RECEIVER),
    (ModuleID.CDRS, InterfaceRole.SENDER),
    (ModuleID.TOKENS, InterfaceRole.RECEIVER),
    (ModuleID.TOKENS, InterfaceRole.SENDER),
    (ModuleID.COMMANDS, InterfaceRole.RECEIVER),
)


def bridge_endpoints(base_url: str) -> list[Endpoint]:
    """The Hubject platform's endpoints: `{base_url}/ocpi/{module}`. Nothing calls Hubject at
    these URLs: the hub's client hands every request to this platform to the bridge, which
    reads the module and the object from the path below `{base_url}/ocpi/`."""
    base = base_url.rstrip("/")
    return [Endpoint(identifier=m.value, role=r, url=f"{base}/ocpi/{m.value}") for m, r in BRIDGED]


@dataclass(frozen=True)
class Roaming:
    """A local party roaming on Hubject, as the operator or provider `oicp_id`."""

    party: PartyKey
    role: Role
    oicp_id: str
    hotline: str | None = None  # an operator's HotlinePhoneNumber (hubject enable --hotline)
    name: str | None = None  # the local party's business name


@dataclass(frozen=True)
class HubjectNetwork:
    """The Hubject connection as stored."""

    platform_id: int
    base_url: str
    cert_file: str
    key_file: str
    ca_file: str
    bridge_token: str
    identity: PartyKey  # the network's own HUB party
    roaming: tuple[Roaming, ...] = ()

    def of(self, party: PartyKey, role: Role) -> Roaming | None:
        """How `party` roams on Hubject in `role`, if it does."""
        return next((r for r in self.roaming if r.party == party and r.role == role), None)

    def by_id(self, role: Role, oicp_id: str, same: Any) -> Roaming | None:
        """The local party Hubject knows as `oicp_id` in `role` (`same` compares two ids)."""
        return next((r for r in self.roaming if r.role == role and same(r.oicp_id, oicp_id)), None)


async def connect(
    conn: Connection,
    *,
    base_url: str,
    cert_file: str,
    key_file: str,
    ca_file: str,
    identity: Party,
    dialect: str,
    hub: PartyKey,
) -> HubjectNetwork:
    """Register the Hubject network, or update where it is and our identity's files; the
    platform is REGISTERED at once (mutual TLS needs no handshake), with its own HUB party
    `identity`. A new bridge token is issued each time."""
    token = new_token()
    endpoints = orjson.dumps(
        [e.model_dump(mode="json") for e in bridge_endpoints(base_url)]
    ).decode()
    async with conn.transaction():
        platform_id = await conn.fetchval("SELECT platform_id FROM hubject_networks FOR UPDATE")
        if platform_id is None:
            platform_id = await conn.fetchval(
                "INSERT INTO platforms (name, status, incoming_token_hash, outgoing_token,"
                " versions_url, version, endpoints, kind, dialect, last_seen)"
                " VALUES ('Hubject', $1, $2, 'mutual-tls', $3, '2.2.1', $4::jsonb, $5, $6, now())"
                " RETURNING id",
                PlatformStatus.REGISTERED.value,
                hash_token(token),
                base_url,
                endpoints,
                PlatformKind.NETWORK.value,
                dialect,
            )
            await _insert_parties(
                conn, platform_id, PlatformKind.NETWORK, [(identity, {"name": "Hubject"})]
            )
            await conn.execute(
                "INSERT INTO hubject_networks (platform_id, base_url, cert_file, key_file,"
                " ca_file, bridge_token) VALUES ($1, $2, $3, $4, $5, $6)",
                platform_id,
                base_url,
                cert_file,
                key_file,
                ca_file,
                token,
            )
            await clientinfo.apply_event(conn, platform_id, PartyEvent.REGISTERED, hub)
        else:
            await conn.execute(
                "UPDATE platforms SET incoming_token_hash = $2, versions_url = $3,"
                " endpoints = $4::jsonb, status = $5, updated_at = now() WHERE id = $1",
                platform_id,
                hash_token(token),
                base_url,
                endpoints,
                PlatformStatus.REGISTERED.value,
            )
            await conn.execute(
                "UPDATE hubject_networks SET base_url = $2, cert_file = $3, key_file = $4,"
                " ca_file = $5, bridge_token = $6, updated_at = now() WHERE platform_id = $1",
                platform_id,
                base_url,
                cert_file,
                key_file,
                ca_file,
                token,
            )
    found = await network(conn)
    assert found is not None
    return found


async def network(conn: Executor) -> HubjectNetwork | None:
    """The Hubject connection, with the local parties roaming on it; None before `connect`."""
    row = await conn.fetchrow(
        "SELECT n.*, q.country_code, q.party_id FROM hubject_networks n"
        " JOIN parties q ON q.platform_id = n.platform_id AND q.role = 'HUB'"
    )
    if row is None:
        return None
    roaming = await conn.fetch(
        "SELECT h.country_code, h.party_id, h.role, h.oicp_id, h.hotline,"
        "     (SELECT p.business_details->>'name' FROM parties p WHERE NOT p.remote"
        "      AND (p.country_code, p.party_id, p.role) = (h.country_code, h.party_id, h.role)"
        "      LIMIT 1) AS name"
        " FROM hubject_parties h WHERE h.platform_id = $1"
        " ORDER BY h.enabled_at, h.country_code, h.party_id",
        row["platform_id"],
    )
    return HubjectNetwork(
        platform_id=row["platform_id"],
        base_url=row["base_url"],
        cert_file=row["cert_file"],
        key_file=row["key_file"],
        ca_file=row["ca_file"],
        bridge_token=row["bridge_token"],
        identity=(row["country_code"], row["party_id"]),
        roaming=tuple(
            Roaming(
                (r["country_code"], r["party_id"]),
                Role(r["role"]),
                r["oicp_id"],
                r["hotline"],
                r["name"],
            )
            for r in roaming
        ),
    )


async def enable(
    conn: Executor,
    platform_id: int,
    party: PartyKey,
    role: Role,
    oicp_id: str,
    hotline: str | None = None,
) -> bool:
    """`party` roams on Hubject as `oicp_id` (an operator with its `hotline`); False when it
    already did (the id and hotline are updated)."""
    added: bool = await conn.fetchval(
        "INSERT INTO hubject_parties (platform_id, country_code, party_id, role, oicp_id,"
        " hotline) VALUES ($1, $2, $3, $4, $5, $6)"
        " ON CONFLICT (platform_id, country_code, party_id, role)"
        " DO UPDATE SET oicp_id = EXCLUDED.oicp_id, hotline = EXCLUDED.hotline"
        " RETURNING xmax = 0",
        platform_id,
        party[0],
        party[1],
        role.value,
        oicp_id,
        hotline,
    )
    return added


async def held_evses(
    conn: Executor, platform_id: int, evse_ids: Iterable[str] | None = None
) -> set[str]:
    """Which of `evse_ids` (None: of all) Hubject holds from us (pushed and not deleted)."""
    rows = await conn.fetch(
        "SELECT evse_id FROM hubject_evses WHERE platform_id = $1"
        " AND ($2::text[] IS NULL OR evse_id = ANY($2::text[]))",
        platform_id,
        None if evse_ids is None else list(evse_ids),
    )
    return {r["evse_id"] for r in rows}


async def store_evses(conn: Executor, platform_id: int, evse_ids: Iterable[str]) -> None:
    """Hubject holds these EVSE data records from us now."""
    await conn.executemany(
        "INSERT INTO hubject_evses (platform_id, evse_id) VALUES ($1, $2)"
        " ON CONFLICT (platform_id, evse_id) DO UPDATE SET pushed_at = now()",
        [(platform_id, e) for e in evse_ids],
    )


async def forget_evses(
    conn: Executor, platform_id: int, evse_ids: Iterable[str] | None = None
) -> None:
    """Hubject no longer holds these records (deleted), or none at all (a full load follows)."""
    if evse_ids is None:
        await conn.execute("DELETE FROM hubject_evses WHERE platform_id = $1", platform_id)
        return
    await conn.execute(
        "DELETE FROM hubject_evses WHERE platform_id = $1 AND evse_id = ANY($2::text[])",
        platform_id,
        list(evse_ids),
    )


async def remember_session(
    conn: Executor,
    platform_id: int,
    session_id: str,
    evse_id: str | None,
    party: PartyKey,
    reference: str | None = None,
) -> None:
    """Hubject's SessionID `session_id` is at `evse_id`, for the local `party` (our eMSP's
    `reference`: the authorization_reference of its remote start)."""
    await conn.execute(
        "INSERT INTO hubject_sessions (platform_id, session_id, evse_id, country_code, party_id,"
        " reference) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (platform_id, session_id)"
        " DO UPDATE SET evse_id = COALESCE(EXCLUDED.evse_id, hubject_sessions.evse_id),"
        "     reference = COALESCE(EXCLUDED.reference, hubject_sessions.reference)",
        platform_id,
        session_id,
        evse_id,
        party[0],
        party[1],
        reference,
    )


async def session(
    conn: Executor, platform_id: int, session_id: str
) -> tuple[str | None, PartyKey] | None:
    """(EvseID, local party) of Hubject's SessionID `session_id`, if the hub saw it."""
    row = await conn.fetchrow(
        "SELECT evse_id, country_code, party_id FROM hubject_sessions"
        " WHERE platform_id = $1 AND session_id = $2",
        platform_id,
        session_id,
    )
    return None if row is None else (row["evse_id"], (row["country_code"], row["party_id"]))


async def session_of_reference(
    conn: Executor, platform_id: int, party: PartyKey, reference: str
) -> tuple[str, str | None] | None:
    """(SessionID, EvseID) of our eMSP `party`'s remote start with `reference`, if any."""
    row = await conn.fetchrow(
        "SELECT session_id, evse_id FROM hubject_sessions WHERE platform_id = $1"
        " AND country_code = $2 AND party_id = $3 AND reference = $4"
        " ORDER BY created_at DESC LIMIT 1",
        platform_id,
        party[0],
        party[1],
        reference,
    )
    return None if row is None else (row["session_id"], row["evse_id"])
