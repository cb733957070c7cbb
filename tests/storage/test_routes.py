"""Route choice as stored (migration 0011): what every process measured adds up to one set of
figures per route over the window; each party's preference and choice, changed once."""

from __future__ import annotations

import asyncpg

from ocpi_hub.core.route_quality import Figures
from ocpi_hub.core.routes import DIRECT, Choice
from ocpi_hub.storage.repositories import routes
from ocpi_hub.storage.route_meter import RouteMeter

PARTY = ("DE", "EMA")


async def platform(pool: asyncpg.Pool) -> int:
    platform_id: int = await pool.fetchval(
        "INSERT INTO platforms (status) VALUES ('REGISTERED') RETURNING id"
    )
    return platform_id


class Clock:
    """A wall clock the test sets (epoch seconds)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def test_what_every_process_counted_adds_up_per_route(pool: asyncpg.Pool) -> None:
    """Two processes' meters, flushed twice each, give one route's figures: every request,
    every failure, the latencies of all (the p95 of the sum); another route apart."""
    route, other = await platform(pool), await platform(pool)
    first, second = RouteMeter(60), RouteMeter(60)
    for _ in range(18):
        first.record(route, True, 0.004)
    await first.flush(pool)
    first.record(route, False, 2.0)
    second.record(route, False, 2.0)
    second.record(other, True, 0.2)
    assert await first.flush(pool) == 1 and await second.flush(pool) == 2
    assert await first.flush(pool) == 0  # nothing new

    found = await routes.figures(pool, 900)
    assert (found[route].sent, found[route].failed) == (20, 2)
    assert found[route].p95_ms == 2500 and found[route].success_rate == 0.9
    assert (found[other].sent, found[other].p95_ms) == (1, 250)


async def test_only_the_window_counts_and_old_buckets_are_pruned(pool: asyncpg.Pool) -> None:
    """A bucket older than the window is not counted, and pruning removes it; a sample for a
    platform deleted meanwhile is dropped, not an error."""
    route, gone = await platform(pool), await platform(pool)
    clock = Clock(await pool.fetchval("SELECT extract(epoch FROM now())::float8"))
    meter = RouteMeter(10, clock=clock)
    meter.record(route, True, 0.01)
    clock.now -= 1000
    meter.record(route, False, 0.01)
    meter.record(gone, True, 0.01)
    await pool.execute("DELETE FROM platforms WHERE id = $1", gone)
    await meter.flush(pool)

    assert await routes.figures(pool, 900) == {route: _one_fast_success()}
    assert await routes.prune_samples(pool, 900) == 1
    assert await pool.fetchval("SELECT count(*) FROM route_samples") == 1


def _one_fast_success() -> Figures:
    return Figures.of(1, 0, [1])


async def test_counts_a_flush_could_not_write_go_with_the_next(pool: asyncpg.Pool) -> None:
    """A flush that fails (the database away) keeps its counts for the next one."""
    route = await platform(pool)
    meter = RouteMeter(60)
    meter.record(route, True, 0.01)
    meter.put_back(meter.taken())  # what a failed flush does
    meter.record(route, True, 0.01)
    await meter.flush(pool)
    assert (await routes.figures(pool, 900))[route].sent == 2


async def test_a_choice_changes_once_however_many_processes_change_it(pool: asyncpg.Pool) -> None:
    """Compare-and-swap: the first change from the expected route wins, a second made from the
    same stale view changes nothing; the choice starts unsettled (its deliveries to move)."""
    direct, network = await platform(pool), await platform(pool)
    assert await routes.change_choice(pool, PARTY, None, Choice(direct, "static"))
    assert await routes.change_choice(pool, PARTY, direct, Choice(network, "failing"))
    assert not await routes.change_choice(pool, PARTY, direct, Choice(direct, "stale"))

    stored = (await routes.choices(pool))[PARTY]
    assert (stored.chosen, stored.reason, stored.settled) == (network, "failing", False)
    assert stored.changed_at is not None and stored.preference is None
    assert await routes.chosen_routes(pool) == {PARTY: network}
    await routes.set_settled(pool, PARTY)
    await routes.set_reason(pool, PARTY, "kept")
    stored = (await routes.choices(pool))[PARTY]
    assert (stored.settled, stored.reason) == (True, "kept")


async def test_a_preference_is_kept_beside_the_choice(pool: asyncpg.Pool) -> None:
    """A preference (a platform, direct, or none) is stored without touching the choice, and
    is forgotten when its platform is deleted."""
    network = await platform(pool)
    await routes.change_choice(pool, PARTY, None, Choice(network, "x"))
    await routes.set_preference(pool, PARTY, DIRECT)
    assert (await routes.choices(pool))[PARTY].preference == DIRECT
    await routes.set_preference(pool, PARTY, network)
    stored = (await routes.choices(pool))[PARTY]
    assert (stored.preference, stored.chosen) == (network, network)
    await routes.set_preference(pool, ("NL", "NEW"), None)
    assert (await routes.choices(pool))[("NL", "NEW")].chosen is None

    await pool.execute("DELETE FROM platforms WHERE id = $1", network)
    stored = (await routes.choices(pool))[PARTY]
    assert (stored.preference, stored.chosen) == (None, None)
