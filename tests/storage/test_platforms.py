"""Platforms and parties in PostgreSQL: invitations, identities, hashed tokens."""

from __future__ import annotations

import asyncpg
import pytest

from ocpi_hub.core.handshake import hash_token
from ocpi_hub.core.parties import Party, PlatformStatus, Role
from ocpi_hub.storage.repositories import platforms

CPO = Party.of("nl", "abc", Role.CPO)


async def invite(pool: asyncpg.Pool, token: str, party: Party = CPO) -> platforms.Platform:
    async with pool.acquire() as conn:
        return await platforms.invite(conn, token=token, name="ABC", party=party)


async def register(pool: asyncpg.Pool, platform_id: int, *, current: str, new: str) -> bool:
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
            endpoints=[],
        )


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
    assert await platforms.unregister(pool, platform.id, current_token="a1")
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
    assert not await platforms.unregister(pool, platform.id, current_token="a1")
    assert (await platforms.get(pool, platform.id)).status == PlatformStatus.INVITED  # type: ignore[union-attr]
