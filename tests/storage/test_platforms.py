"""Platforms and parties in PostgreSQL: invitations, identities, hashed tokens, and the
HubClientInfo status of each party with the pushes it causes (checklist §4.8, §5)."""

from __future__ import annotations

import asyncio

import asyncpg
import orjson
import pytest

from ocpi_hub.core.handshake import hash_token
from ocpi_hub.core.paging import PageRequest
from ocpi_hub.core.parties import Endpoint, InterfaceRole, Party, Platform, PlatformStatus, Role
from ocpi_hub.storage.repositories import clientinfo, outbox, platforms

CPO = Party.of("nl", "abc", Role.CPO)
EMSP = Party.of("de", "ema", Role.EMSP)
HUB = ("XX", "HUB")
CLIENT_INFO_RECEIVER = Endpoint(
    identifier="hubclientinfo", role=InterfaceRole.RECEIVER, url="http://x/hubclientinfo"
)


async def invite(
    pool: asyncpg.Pool, token: str, party: Party = CPO, hub: tuple[str, str] | None = None
) -> Platform:
    async with pool.acquire() as conn:
        return await platforms.invite(conn, token=token, name="ABC", party=party, hub=hub)


async def register(
    pool: asyncpg.Pool,
    platform_id: int,
    *,
    current: str,
    new: str,
    endpoints: list[Endpoint] | None = None,
) -> bool:
    """Complete a handshake that started with token `current`, issuing token `new`."""
    async with pool.acquire() as conn:
        return await platforms.register(
            conn,
            platform_id,
            current_token=current,
            incoming_token=new,
            outgoing_token="b1",
            versions_url="http://x/versions",
            version="2.2.1",
            endpoints=endpoints or [],
            hub=HUB,
        )


async def connected(pool: asyncpg.Pool, party: Party, token: str) -> int:
    """A registered platform hosting `party` that offers the hubclientinfo Receiver."""
    platform = await invite(pool, f"{token}-a", party)
    stored = await register(
        pool, platform.id, current=f"{token}-a", new=token, endpoints=[CLIENT_INFO_RECEIVER]
    )
    assert stored
    return platform.id


async def listed(pool: asyncpg.Pool) -> dict[str, str]:
    """party_id → ConnectionStatus, as the hub's ClientInfo list shows it."""
    rows, _ = await clientinfo.client_info_page(pool, PageRequest(limit=100), hub=HUB)
    return {info.party_id: info.status.value for _, info in rows}


async def pushed(pool: asyncpg.Pool) -> list[tuple[int, str, str]]:
    """(receiver platform, path, status) of every queued ClientInfo PUT, oldest first."""
    queued = reversed(await outbox.listing(pool))
    return [
        (d.receiver_platform_id, d.path, orjson.loads(d.body or "{}")["status"])
        for d in queued
        if d.module == "hubclientinfo"
    ]


async def unregister(pool: asyncpg.Pool, platform_id: int, *, current: str) -> bool:
    async with pool.acquire() as conn:
        return await platforms.unregister(conn, platform_id, current_token=current, hub=HUB)


async def test_invited_token_is_stored_hashed_only(pool: asyncpg.Pool) -> None:
    """Tokens the hub issues are kept as SHA-256, never in clear (DESIGN.md decision 5)."""
    platform = await invite(pool, "token-a-1")
    stored = await pool.fetchrow("SELECT * FROM platforms WHERE id = $1", platform.id)
    assert bytes(stored["incoming_token_hash"]) == hash_token("token-a-1")
    assert "token-a-1" not in str(dict(stored))
    assert platform.parties == (Party("NL", "ABC", Role.CPO),)
    found = await platforms.by_token(pool, ["other", "token-a-1"])
    assert found is not None and found[0].id == platform.id and found[1] == "token-a-1"


async def test_reinvite_replaces_the_old_token(pool: asyncpg.Pool) -> None:
    """Inviting an identity again before it registered issues a new token A; the old one dies."""
    first = await invite(pool, "old-a")
    second = await invite(pool, "new-a")
    assert second.id == first.id and second.status == PlatformStatus.INVITED
    assert await platforms.by_token(pool, ["old-a"]) is None
    assert await platforms.by_token(pool, ["new-a"]) is not None


async def test_reinvite_after_unregistering_reopens_the_platform(pool: asyncpg.Pool) -> None:
    """A partner that deleted its credentials can be invited again under the same identity."""
    platform = await invite(pool, "a1")
    assert await unregister(pool, platform.id, current="a1")
    again = await invite(pool, "a2")
    assert again.id == platform.id and again.status == PlatformStatus.INVITED


async def test_identity_of_a_registered_platform_cannot_be_invited(pool: asyncpg.Pool) -> None:
    """A party identity belongs to one platform: re-inviting a registered one is refused."""
    platform = await invite(pool, "a1")
    stored = await register(pool, platform.id, current="a1", new="c1")
    assert stored
    with pytest.raises(platforms.IdentityTaken, match="already registered"):
        await invite(pool, "a2")
    assert await platforms.by_token(pool, ["c1"]) is not None


async def test_same_identity_in_another_role_is_another_party(pool: asyncpg.Pool) -> None:
    """(country_code, party_id, role) is the identity: NL*ABC may be a CPO and an eMSP."""
    await invite(pool, "a1")
    emsp = await invite(pool, "a2", Party.of("NL", "ABC", Role.EMSP))
    assert len(await platforms.all_platforms(pool)) == 2
    assert emsp.parties == (Party("NL", "ABC", Role.EMSP),)


async def test_register_is_a_compare_and_swap_on_the_token(pool: asyncpg.Pool) -> None:
    """A handshake stores only while the token it started with is current: a concurrent
    rotation or re-invitation wins, and the slower request stores nothing."""
    platform = await invite(pool, "a1")
    await invite(pool, "a2")  # re-invited while the first handshake was under way
    stored = await register(pool, platform.id, current="a1", new="c1")
    assert not stored
    assert await platforms.by_token(pool, ["c1"]) is None
    assert not await unregister(pool, platform.id, current="a1")
    assert (await platforms.get(pool, platform.id)).status == PlatformStatus.INVITED  # type: ignore[union-attr]


async def test_party_status_follows_its_platform(pool: asyncpg.Pool) -> None:
    """Invited → PLANNED, registered → CONNECTED, credentials deleted → SUSPENDED, invited
    again → PLANNED (the documented HubClientInfo mapping, §4.8)."""
    platform = await invite(pool, "a1")
    assert await listed(pool) == {"ABC": "PLANNED"}
    assert await register(pool, platform.id, current="a1", new="c1")
    assert await listed(pool) == {"ABC": "CONNECTED"}
    assert await unregister(pool, platform.id, current="c1")
    assert await listed(pool) == {"ABC": "SUSPENDED"}
    await invite(pool, "a2")
    assert await listed(pool) == {"ABC": "PLANNED"}


async def test_changes_are_queued_to_other_receivers_in_the_same_transaction(
    pool: asyncpg.Pool,
) -> None:
    """A status change is queued as a PUT to every other Receiver platform, never to the
    party's own; a newly connected platform is queued everyone else (§4.8)."""
    cpo = await connected(pool, CPO, "c1")
    assert await pushed(pool) == []  # nobody else to tell, nothing to be told
    emsp = await connected(pool, EMSP, "c2")
    assert await pushed(pool) == [(cpo, "/DE/EMA", "CONNECTED"), (emsp, "/NL/ABC", "CONNECTED")]
    await invite(pool, "a3", Party.of("FR", "EMB", Role.EMSP), hub=HUB)
    assert (await pushed(pool))[2:] == [(cpo, "/FR/EMB", "PLANNED"), (emsp, "/FR/EMB", "PLANNED")]
    assert await unregister(pool, emsp, current="c2")
    assert (await pushed(pool))[4:] == [(cpo, "/DE/EMA", "SUSPENDED")]


async def test_unreachable_platform_is_offline_until_heard_from(pool: asyncpg.Pool) -> None:
    """A failed probe makes CONNECTED parties OFFLINE; hearing from the platform (probe answer
    or a call) makes them CONNECTED again, pushed both times (§5)."""
    cpo = await connected(pool, CPO, "c1")
    emsp = await connected(pool, EMSP, "c2")
    before = len(await pushed(pool))
    changed = await clientinfo.unreachable(pool, emsp, silence=0, hub=HUB)
    assert [(i.party_id, i.status.value) for i in changed] == [("EMA", "OFFLINE")]
    assert await clientinfo.unreachable(pool, emsp, silence=0, hub=HUB) == []  # already
    assert await listed(pool) == {"ABC": "CONNECTED", "EMA": "OFFLINE"}
    # Heard from within the throttle period: an OFFLINE platform is still brought back.
    changed = await clientinfo.heard_from(pool, emsp, hub=HUB, throttle=30)
    assert [(i.party_id, i.status.value) for i in changed] == [("EMA", "CONNECTED")]
    assert await clientinfo.heard_from(pool, emsp, hub=HUB, throttle=30) == []
    assert (await pushed(pool))[before:] == [
        (cpo, "/DE/EMA", "OFFLINE"),
        (cpo, "/DE/EMA", "CONNECTED"),
        (emsp, "/NL/ABC", "CONNECTED"),  # back: the full picture again
    ]


async def test_a_call_during_the_probe_wins_over_its_failure(pool: asyncpg.Pool) -> None:
    """A platform heard from after it was claimed for a probe is not marked OFFLINE (§5)."""
    emsp = await connected(pool, EMSP, "c2")
    await pool.execute("UPDATE platforms SET last_seen = now() - interval '1 hour'")
    assert [p.id for p in await platforms.claim_silent(pool, silence=60, limit=10)] == [emsp]
    await clientinfo.heard_from(pool, emsp, hub=HUB, throttle=30)
    assert await clientinfo.unreachable(pool, emsp, silence=60, hub=HUB) == []
    assert await listed(pool) == {"EMA": "CONNECTED"}


async def test_two_hub_processes_never_claim_one_platform(pool: asyncpg.Pool) -> None:
    """Concurrent probe rounds split the silent platforms; none is probed twice within the
    silence (§5, DESIGN.md decision 4: several processes share one database)."""
    ids = [await connected(pool, Party.of("NL", f"C{n}", Role.CPO), f"c{n}") for n in range(6)]
    await pool.execute("UPDATE platforms SET last_seen = now() - interval '1 hour'")
    first, second = await asyncio.gather(
        platforms.claim_silent(pool, silence=60, limit=10),
        platforms.claim_silent(pool, silence=60, limit=10),
    )
    claimed = [p.id for p in first] + [p.id for p in second]
    assert sorted(claimed) == ids
    assert await platforms.claim_silent(pool, silence=60, limit=10) == []
    await pool.execute("UPDATE platforms SET last_seen = now() WHERE id = $1", ids[0])
    await pool.execute("UPDATE platforms SET probed_at = now() - interval '1 hour'")
    assert [p.id for p in await platforms.claim_silent(pool, silence=60, limit=10)] == ids[1:]
