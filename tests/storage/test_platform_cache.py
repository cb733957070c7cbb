"""The platform cache: lookups from memory while nothing changes, and every change seen by every
process sharing the database (issue 7 §2). Two caches on two pools stand for two hub processes;
changes made through a third pool stand for the CLI or another process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from ocpi_hub.core.parties import Endpoint, InterfaceRole, Party, Platform, Role
from ocpi_hub.storage.db import create_pool
from ocpi_hub.storage.platform_cache import LISTENER_NAME, PlatformCache, announce
from ocpi_hub.storage.repositories import clientinfo, platforms
from tests.e2e.conftest import eventually

HUB = ("XX", "HUB")
CPO = Party.of("NL", "CPA", Role.CPO)
EMSP = Party.of("DE", "EMA", Role.EMSP)
LOCATIONS_RECEIVER = Endpoint(
    identifier="locations", role=InterfaceRole.RECEIVER, url="http://x/locations"
)
# Long enough that no test sees a reload it did not cause.
TTL = 300.0


@pytest.fixture
async def caches(database_url: str) -> AsyncIterator[tuple[PlatformCache, PlatformCache]]:
    """Two started caches, each on a pool of its own: two hub processes."""
    pools = [await create_pool(database_url) for _ in range(2)]
    started = [PlatformCache(p, ttl=TTL) for p in pools]
    for cache in started:
        await cache.start()
        assert cache.listening
    yield started[0], started[1]
    for cache in started:
        await cache.close()
    for p in pools:
        await p.close()


async def registered(
    pool: asyncpg.Pool,
    party: Party,
    token: str,
    endpoints: list[Endpoint] | None = None,
    extra: list[Party] | None = None,
) -> int:
    """A platform hosting `party` (and `extra` parties), registered with incoming `token`."""
    async with pool.acquire() as conn:
        platform = await platforms.invite(conn, token=f"{token}-a", name="x", party=party)
        assert await platforms.register(
            conn,
            platform.id,
            current_token=f"{token}-a",
            incoming_token=token,
            outgoing_token="b",
            versions_url="http://x/versions",
            version="2.2.1",
            endpoints=[LOCATIONS_RECEIVER] if endpoints is None else endpoints,
            parties=[(p, {"name": "x"}) for p in [party, *(extra or [])]],
            hub=None,
        )
    return platform.id


async def rotate_unannounced(pool: asyncpg.Pool, platform_id: int, current: str, new: str) -> None:
    """Rotate the platform's token with the triggers off: a change nobody is told of."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SET LOCAL session_replication_role = replica")
        assert await platforms.register(
            conn,
            platform_id,
            current_token=current,
            incoming_token=new,
            outgoing_token="b",
            versions_url="http://x/versions",
            version="2.2.1",
            endpoints=[LOCATIONS_RECEIVER],
            hub=None,
        )


async def test_lookups_answer_from_memory_while_nothing_changes(
    pool: asyncpg.Pool, caches: tuple[PlatformCache, PlatformCache]
) -> None:
    """Once loaded, every lookup answers with the platform tables locked against any reader:
    no statement runs while nothing changed (§2: authenticate with no statement)."""
    cache, _ = caches
    emsp = await registered(pool, EMSP, "c-emsp")
    assert (await cache.by_token(["c-emsp"]) or (None,))[0] is not None  # loaded
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("LOCK TABLE platforms, parties IN ACCESS EXCLUSIVE MODE")
        found = await asyncio.wait_for(cache.by_token(["other", "c-emsp"]), 10)
        assert found is not None and found[0].id == emsp and found[1] == "c-emsp"
        assert (await asyncio.wait_for(cache.get(emsp), 10)) == found[0]
        hosts = await asyncio.wait_for(cache.platforms_of_party("de", "ema"), 10)
        assert [p.id for p in hosts] == [emsp]
        audience = await asyncio.wait_for(
            cache.receivers([Role.EMSP], "locations", InterfaceRole.RECEIVER), 10
        )
        assert [(party, platform.id) for party, platform in audience] == [(EMSP, emsp)]
        assert not await asyncio.wait_for(cache.offline(emsp), 10)


async def test_a_new_token_works_at_once_in_every_process(
    pool: asyncpg.Pool, caches: tuple[PlatformCache, PlatformCache]
) -> None:
    """A platform registered by another process (or the CLI) is found by its token and party
    at once, before its announcement arrives: a miss asks the database."""
    first, second = caches
    assert await second.by_token(["nobody"]) is None  # loaded, and the miss answered
    platform_id = await registered(pool, CPO, "c-new")
    found = await second.by_token(["c-new"])
    assert found is not None and found[0].id == platform_id
    assert [p.id for p in await first.platforms_of_party("NL", "CPA")] == [platform_id]


async def test_a_rotated_token_is_refused_at_once_in_every_process(
    pool: asyncpg.Pool, caches: tuple[PlatformCache, PlatformCache]
) -> None:
    """Once `announce` returns after a change, every process has acknowledged it: each refuses
    the old token and knows the new one (§2: a revoked or rotated token stops working at once
    in every process)."""
    platform_id = await registered(pool, CPO, "c1")
    for cache in caches:
        assert await cache.by_token(["c1"]) is not None
    # Unannounced by the trigger: only `announce` can make the caches see it.
    await rotate_unannounced(pool, platform_id, "c1", "c2")
    assert await announce(pool, platform_id)
    for cache in caches:
        assert await cache.by_token(["c1"]) is None
        found = await cache.by_token(["c2"])
        assert found is not None and found[0].id == platform_id
    async with pool.acquire() as conn:
        assert await platforms.unregister(conn, platform_id, current_token="c2", hub=None)
    assert await announce(pool, platform_id)
    for cache in caches:
        assert await cache.by_token(["c2"]) is None
        assert not (await cache.platforms_of_party("NL", "CPA"))[0].registered


async def test_announce_does_not_wait_for_a_process_that_is_gone(
    pool: asyncpg.Pool, database_url: str
) -> None:
    """A listener that never acknowledges (a hung process) delays `announce` by its timeout
    only, and `announce` says so."""
    hung = await asyncpg.connect(database_url)
    try:
        await platforms.name_listener(hung, LISTENER_NAME)  # named, but acknowledges nothing
        platform_id = await registered(pool, CPO, "c1")
        assert not await announce(pool, platform_id, timeout=0.2)
    finally:
        await hung.close()
    assert await announce(pool, platform_id, timeout=5)  # nobody left to wait for


async def test_changes_from_elsewhere_reach_every_process(
    pool: asyncpg.Pool, caches: tuple[PlatformCache, PlatformCache]
) -> None:
    """Every change to a platform or its parties made through any connection (the CLI, the
    liveness probe, plain SQL) reaches each cache through its announcement."""
    emsp = await registered(pool, EMSP, "c-emsp")
    for cache in caches:
        assert not await cache.offline(emsp)
        assert len(await cache.receivers([Role.EMSP], "locations", InterfaceRole.RECEIVER)) == 1
    await clientinfo.unreachable(pool, emsp, silence=0, hub=None)  # the probe marks OFFLINE
    await pool.execute("UPDATE platforms SET endpoints = '[]' WHERE id = $1", emsp)
    await pool.execute("UPDATE parties SET party_id = 'EMB' WHERE platform_id = $1", emsp)
    for cache in caches:
        await eventually(lambda c=cache: c.offline(emsp), message="OFFLINE seen")
        await eventually(lambda c=cache: no_receivers(c), message="endpoints seen")
        assert [p.id for p in await cache.platforms_of_party("DE", "EMB")] == [emsp]
    await pool.execute("DELETE FROM platforms WHERE id = $1", emsp)
    for cache in caches:
        await eventually(lambda c=cache: deleted(c, emsp), message="deletion seen")


async def test_bookkeeping_writes_announce_nothing(pool: asyncpg.Pool, database_url: str) -> None:
    """What the cache does not keep (last_seen, probed_at, a party's connection status) is
    written without an announcement, so a request's heard-from write costs no reload."""
    emsp = await registered(pool, EMSP, "c-emsp")
    cpo = await registered(pool, CPO, "c-cpo")
    heard: list[str] = []
    listener = await asyncpg.connect(database_url)
    try:
        await listener.add_listener(platforms.CHANNEL, lambda *args: heard.append(args[3]))
        await clientinfo.heard_from(pool, emsp, hub=HUB, throttle=0)
        await platforms.claim_silent(pool, silence=0, limit=10)
        await pool.execute("UPDATE parties SET connection_status = 'OFFLINE'")
        # Announcements arrive in commit order: once this one is heard, any earlier would be.
        await pool.execute("UPDATE platforms SET name = 'renamed' WHERE id = $1", cpo)
        await eventually(lambda: bool(heard), message="the rename was announced")
        assert heard == [str(cpo)]
    finally:
        await listener.close()


async def test_without_announcements_the_ttl_reloads(pool: asyncpg.Pool, database_url: str) -> None:
    """A change no trigger announced (triggers disabled) is still seen after the TTL."""
    cache_pool = await create_pool(database_url)
    cache = PlatformCache(cache_pool, ttl=0.2)
    await cache.start()
    try:
        emsp = await registered(pool, EMSP, "c-emsp")
        assert not await cache.offline(emsp)
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute("SET LOCAL session_replication_role = replica")
            await conn.execute("UPDATE platforms SET offline = true WHERE id = $1", emsp)
        await eventually(lambda: cache.offline(emsp), message="seen after the TTL")
    finally:
        await cache.close()
        await cache_pool.close()


async def test_while_not_listening_nothing_is_trusted(
    pool: asyncpg.Pool, caches: tuple[PlatformCache, PlatformCache]
) -> None:
    """When the listening connection is lost, a change made meanwhile is seen at the next
    lookup (each lookup reloads); once listening again, lookups answer from memory."""
    cache, _ = caches
    platform_id = await registered(pool, CPO, "c1")
    assert await cache.by_token(["c1"]) is not None
    await pool.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
        LISTENER_NAME,
    )
    await eventually(lambda: not cache.listening, message="the cache noticed the loss")
    # Unannounced, as if the announcement were lost with the connection.
    await rotate_unannounced(pool, platform_id, "c1", "c2")
    assert await cache.by_token(["c1"]) is None
    assert await cache.by_token(["c2"]) is not None
    await eventually(lambda: cache.listening, message="the cache listens again")
    assert await cache.by_token(["c2"]) is not None  # everything reloaded once
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("LOCK TABLE platforms, parties IN ACCESS EXCLUSIVE MODE")
        assert await asyncio.wait_for(cache.by_token(["c2"]), 10) is not None


async def test_audience_is_each_identity_of_the_wanted_roles_once(
    pool: asyncpg.Pool, caches: tuple[PlatformCache, PlatformCache]
) -> None:
    """A broadcast's receivers: registered platforms offering the module's Receiver, each
    identity with a wanted role once, in platform and party order; computed once per change."""
    cache, _ = caches
    # One platform hosting NL*ABC as CPO and eMSP: only the eMSP role is wanted.
    both = await registered(
        pool, Party.of("NL", "ABC", Role.CPO), "c1", extra=[Party.of("NL", "ABC", Role.EMSP)]
    )
    emsp = await registered(pool, EMSP, "c2")
    # No Receiver endpoint: not in the audience.
    await registered(pool, Party.of("FR", "EMX", Role.EMSP), "c3", endpoints=[])
    async with pool.acquire() as conn:
        invited = await platforms.invite(
            conn, token="a4", name="x", party=Party.of("BE", "EMY", Role.EMSP)
        )
    audience = await cache.receivers({Role.EMSP}, "locations", InterfaceRole.RECEIVER)
    assert [(str(p), platform.id) for p, platform in audience] == [
        ("NL*ABC (EMSP)", both),
        ("DE*EMA (EMSP)", emsp),
    ]
    assert invited.id not in {platform.id for _, platform in audience}
    again = await cache.receivers([Role.EMSP], "locations", InterfaceRole.RECEIVER)
    assert again is audience  # the same tuple: nothing recomputed per push


async def no_receivers(cache: PlatformCache) -> bool:
    return not await cache.receivers([Role.EMSP], "locations", InterfaceRole.RECEIVER)


async def deleted(cache: PlatformCache, platform_id: int) -> bool:
    return await cache.get(platform_id) is None


async def test_the_chosen_route_is_first_in_every_process(
    pool: asyncpg.Pool, caches: tuple[PlatformCache, PlatformCache]
) -> None:
    """A party with two routes: the static order (direct first) until a route is chosen for it;
    a new choice reaches every process by its trigger, and at once when announced."""
    from ocpi_hub.core.routes import Choice
    from ocpi_hub.storage.repositories import routes

    direct = await registered(pool, EMSP, "c-direct")
    network = await registered(
        pool, Party.of("FR", "007", Role.HUB), "c-net", extra=[Party.of("DE", "EMA", Role.EMSP)]
    )
    for cache in caches:
        assert [p.id for p in await cache.platforms_of_party("DE", "EMA")] == [direct, network]

    assert await routes.change_choice(pool, EMSP.key, None, Choice(network, "first"))
    for cache in caches:
        await eventually(
            lambda c=cache: _first_route(c, network), message="the trigger's announcement"
        )

    assert await routes.change_choice(pool, EMSP.key, network, Choice(direct, "back"))
    assert await announce(pool, None)
    for cache in caches:
        assert [p.id for p in await cache.platforms_of_party("de", "ema")] == [direct, network]


async def _first_route(cache: PlatformCache, platform_id: int) -> bool:
    return (await cache.platforms_of_party("DE", "EMA"))[0].id == platform_id


async def test_lookups_while_every_connection_of_the_pool_is_held_do_not_wait_forever(
    database_url: str,
) -> None:
    """The store path asks the cache while it holds a connection of the hub's pool. With every
    connection held so and the snapshot due for a reload, the reload reads on the cache's own
    pool: before, it waited for a connection of the full pool, which never came."""
    small = await create_pool(database_url, max_size=3)
    cache = PlatformCache(small, ttl=0.001)  # every lookup reloads
    await cache.start()  # its listener holds one connection; the two stores hold the others
    try:
        assert cache.listening
        await registered(small, EMSP, "c-emsp")

        both_held = asyncio.Barrier(2)

        async def store() -> list[Platform]:
            async with small.acquire():
                await both_held.wait()
                return await cache.platforms_of_party(*EMSP.key)

        # A bound for a hang, not a time measured: it passes at once or never.
        found = await asyncio.wait_for(asyncio.gather(store(), store()), 30)
        assert [len(hosts) for hosts in found] == [1, 1]
    finally:
        await cache.close()
        await small.close()
