"""The hub's pulls in PostgreSQL (migration 0012): one process pulls a network's module at a
time, a complete pull is where the next delta starts, a failed one is not, and a ClientInfo cue
is kept for core.pulls to judge."""

from __future__ import annotations

from datetime import timedelta

import asyncpg

from ocpi_hub.core.parties import Party, Role
from ocpi_hub.storage.repositories import platforms, pulls


async def network(pool: asyncpg.Pool) -> int:
    async with pool.acquire() as conn:
        invited = await platforms.invite(
            conn, token="a", name="ENAPI", party=Party.of("DE", "ENA", Role.HUB), hub=None
        )
    return invited.id


async def test_a_pull_is_claimed_by_one_process_at_a_time(pool: asyncpg.Pool) -> None:
    """Two processes that saw the same last attempt: the first claims it, the second does not,
    nor may anyone while the claim holds."""
    platform_id = await network(pool)
    first = await pulls.claim(pool, platform_id, "locations", None, 60)
    second = await pulls.claim(pool, platform_id, "locations", None, 60)
    again = await pulls.claim(pool, platform_id, "locations", first, 60)
    assert first is not None and second is None and again is None
    assert await pulls.claim(pool, platform_id, "tariffs", None, 60) is not None


async def test_an_expired_claim_is_taken_over(pool: asyncpg.Pool) -> None:
    """A process that died mid-pull leaves a claim that runs out; then another may pull."""
    platform_id = await network(pool)
    started = await pulls.claim(pool, platform_id, "cdrs", None, 0)
    assert await pulls.claim(pool, platform_id, "cdrs", started, 60) is not None


async def test_a_complete_pull_is_where_the_next_delta_starts(pool: asyncpg.Pool) -> None:
    """A complete pull records its start (and, if full, as the last full one) and frees the
    claim; a failed one records why, frees the claim and leaves the last success as it was."""
    platform_id = await network(pool)
    started = await pulls.claim(pool, platform_id, "locations", None, 60)
    assert started is not None
    await pulls.succeeded(pool, platform_id, "locations", started, full=True)
    now, states = await pulls.states(pool, [platform_id])
    state = states[(platform_id, "locations")]
    assert state.last_success == state.last_full == state.last_attempt == started
    assert now >= started

    retried = await pulls.claim(pool, platform_id, "locations", started, 60)
    assert retried is not None
    await pulls.failed(pool, platform_id, "locations", "HTTP 503")
    _, states = await pulls.states(pool, [platform_id])
    state = states[(platform_id, "locations")]
    assert (state.last_success, state.last_attempt) == (started, retried)
    error = await pool.fetchval("SELECT last_error FROM pulls WHERE module = 'locations'")
    assert error == "HTTP 503"
    assert await pulls.claim(pool, platform_id, "locations", retried, 60) is not None


async def test_a_cue_marks_every_module_pulled_so_far(pool: asyncpg.Pool) -> None:
    platform_id = await network(pool)
    for module in ("locations", "tokens"):
        await pulls.claim(pool, platform_id, module, None, 60)
    await pulls.cue_full(pool, platform_id)
    now, states = await pulls.states(pool, [platform_id])
    cues = {module: state.cued_at for (_, module), state in states.items()}
    assert set(cues) == {"locations", "tokens"}
    assert all(c is not None and now - c < timedelta(seconds=60) for c in cues.values())
