"""The Hubject network in PostgreSQL (migration 0019, issue 10): one connection, stored as a
network platform the rest of the hub routes to; the parties roaming on it; translation losses."""

from __future__ import annotations

import asyncpg

from ocpi_hub.core.handshake import hash_token
from ocpi_hub.core.parties import InterfaceRole, Party, PlatformKind, Role
from ocpi_hub.dialects import HUBJECT
from ocpi_hub.storage.repositories import hubject, platforms

HUB = ("XX", "HUB")
IDENTITY = Party.of("DE", "HBS", Role.HUB)


async def connect(pool: asyncpg.Pool, base_url: str = "https://hbs.test/api/oicp") -> int:
    async with pool.acquire() as conn:
        network = await hubject.connect(
            conn,
            base_url=base_url,
            cert_file="/c.pem",
            key_file="/k.pem",
            ca_file="/ca.pem",
            identity=IDENTITY,
            dialect=HUBJECT.name,
            hub=HUB,
        )
    return network.platform_id


async def test_connect_stores_a_registered_network_platform_the_bridge_serves(
    pool: asyncpg.Pool,
) -> None:
    """The platform is a REGISTERED NETWORK speaking `hubject`, with its HUB party and an
    endpoint below `{base_url}/ocpi/` for each bridged interface; its token is the bridge's."""
    platform_id = await connect(pool)
    platform = await platforms.get(pool, platform_id)
    assert platform is not None and platform.registered and platform.kind == PlatformKind.NETWORK
    assert platform.dialect == "hubject" and platform.parties == (IDENTITY,)
    assert platform.endpoint("cdrs", InterfaceRole.RECEIVER) == (
        "https://hbs.test/api/oicp/ocpi/cdrs"
    )
    assert platform.endpoint("commands", InterfaceRole.RECEIVER)
    network = await hubject.network(pool)
    assert network is not None
    found = await platforms.by_token(pool, [network.bridge_token])
    assert found is not None and found[0].id == platform_id
    stored = await pool.fetchval(
        "SELECT incoming_token_hash FROM platforms WHERE id = $1", platform_id
    )
    assert stored == hash_token(network.bridge_token)


async def test_connecting_again_updates_the_one_network_and_rotates_the_bridge_token(
    pool: asyncpg.Pool,
) -> None:
    """A second `connect` changes the base URL and files of the same platform; the bridge's
    old token stops working."""
    first = await connect(pool)
    old = await hubject.network(pool)
    assert old is not None
    second = await connect(pool, "https://other.test/oicp")
    new = await hubject.network(pool)
    assert first == second and new is not None and new.base_url == "https://other.test/oicp"
    assert await platforms.by_token(pool, [old.bridge_token]) is None
    assert await platforms.by_token(pool, [new.bridge_token]) is not None
    assert await pool.fetchval("SELECT count(*) FROM platforms") == 1


async def test_enable_records_each_party_once_with_its_oicp_id(pool: asyncpg.Pool) -> None:
    """Enabling a party again updates its id; the network lists who roams as what."""
    platform_id = await connect(pool)
    assert await hubject.enable(pool, platform_id, ("NL", "CPA"), Role.CPO, "NL*CPA")
    assert not await hubject.enable(pool, platform_id, ("NL", "CPA"), Role.CPO, "NL*CPB")
    assert await hubject.enable(pool, platform_id, ("DE", "EMA"), Role.EMSP, "DE-EMA")
    network = await hubject.network(pool)
    assert network is not None
    roaming = network.of(("NL", "CPA"), Role.CPO)
    assert roaming is not None and roaming.oicp_id == "NL*CPB"
    assert network.of(("NL", "CPA"), Role.EMSP) is None
    assert [r.party for r in network.roaming] == [("NL", "CPA"), ("DE", "EMA")]


async def test_evses_hubject_holds_and_sessions_it_issued(pool: asyncpg.Pool) -> None:
    """What was pushed is held until deleted or a full load forgets it; a SessionID maps to
    its EVSE and local party."""
    platform_id = await connect(pool)
    await hubject.store_evses(pool, platform_id, ["NL*CPA*E1", "NL*CPA*E2"])
    assert await hubject.held_evses(pool, platform_id, ["NL*CPA*E1", "NL*CPA*E3"]) == {"NL*CPA*E1"}
    await hubject.forget_evses(pool, platform_id, ["NL*CPA*E1"])
    assert await hubject.held_evses(pool, platform_id, ["NL*CPA*E1", "NL*CPA*E2"]) == {"NL*CPA*E2"}
    await hubject.forget_evses(pool, platform_id)
    assert not await hubject.held_evses(pool, platform_id, ["NL*CPA*E2"])
    await hubject.remember_session(pool, platform_id, "s-1", "NL*CPA*E1", ("DE", "EMA"))
    assert await hubject.session(pool, platform_id, "s-1") == ("NL*CPA*E1", ("DE", "EMA"))
    assert await hubject.session(pool, platform_id, "s-2") is None
