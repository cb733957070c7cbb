"""The trace as stored (migration 0023, storage.trace_log): hops buffered then written in one
batch, read back by correlation id; a full buffer drops the oldest; the serving hub prunes hops
older than OCPI_HUB_TRACE_RETENTION and keeps the rest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg

from ocpi_hub.core.trace import Hop
from ocpi_hub.storage.repositories import trace
from ocpi_hub.storage.trace_log import TraceLog
from tests.conftest import start_hub
from tests.e2e.conftest import eventually


def hop(correlation_id: str, age: timedelta = timedelta(0), kind: str = "request") -> Hop:
    """A hop of `correlation_id` that happened `age` ago."""
    url = "/ocpi/2.2.1/receiver/locations/NL/CPA/L1"
    at = datetime.now(UTC) - age
    return Hop(correlation_id, at, kind, "PUT", url, "NL*CPA", "DE*EMA", 201, 1000, 12.5, "R1")


async def test_added_hops_are_written_at_the_flush_and_read_by_correlation_id(
    pool: asyncpg.Pool,
) -> None:
    """Nothing is written until the flush; then every hop, each field as it was, and only
    those of the id asked for."""
    log = TraceLog()
    written = [hop("C1"), hop("C1", kind="delivery"), hop("C2")]
    for h in written:
        log.add(h)
    assert await trace.hops(pool, "C1") == []
    assert await log.flush(pool) == 3 and len(log) == 0
    assert await trace.hops(pool, "C1") == written[:2]
    assert await log.flush(pool) == 0


async def test_a_full_buffer_drops_the_oldest_hops() -> None:
    """Past its limit the buffer keeps the newest hops and counts those dropped."""
    log = TraceLog(limit=2)
    for n in range(5):
        log.add(hop(f"C{n}"))
    assert len(log) == 2 and log.dropped == 3


async def test_the_hub_prunes_hops_older_than_the_retention(database_url: str) -> None:
    """A hub keeping hops 10 s deletes a day-old hop in the background; a new one stays."""
    running = await start_hub(database_url, trace_retention=10.0)
    try:
        await trace.add(running.pool, [hop("OLD", timedelta(days=1)), hop("NEW")])

        async def pruned() -> bool:
            return not await trace.hops(running.pool, "OLD")

        await eventually(pruned, message="the day-old hop is pruned")
        assert [h.correlation_id for h in await trace.hops(running.pool, "NEW")] == ["NEW"]
    finally:
        await running.stop()
        await running.pool.close()
