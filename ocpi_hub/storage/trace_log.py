"""The trace, kept off the request path (issue 12): hops are buffered in memory and written in
batches by a background task, as storage.route_meter does for route samples.

The middleware (each request in), the relay (each hop and its answer) and the outbox worker
(each delivery attempt) call `TraceLog.add`: a list append, nothing more. `run` writes what
was added every `interval` seconds (one COPY), and prunes hops older than
OCPI_HUB_TRACE_RETENTION seconds. Hops a flush could not write (the database away) are kept
for the next one, up to `limit` of them: past it the oldest are dropped (a trace is for
finding out, never worth the hub's memory), and that is logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import asyncpg

from ocpi_hub.core.trace import Hop
from ocpi_hub.logging import get_logger
from ocpi_hub.storage.availability import DatabaseWatch
from ocpi_hub.storage.repositories import trace

__all__ = ["TraceLog"]

log = get_logger("ocpi_hub.storage.trace_log")

FLUSH_INTERVAL = 1.0  # seconds: a trace is looked at moments after the message went through
PRUNE_BATCH = 5000
LIMIT = 100_000  # hops held at most while the database is away


class TraceLog:
    """One process's hops not yet written."""

    def __init__(self, limit: int = LIMIT) -> None:
        self._limit = limit
        self._hops: list[Hop] = []
        self.dropped = 0  # hops dropped since the process started, the buffer being full

    def add(self, hop: Hop) -> None:
        """Keep `hop` for the next flush."""
        self._hops.append(hop)
        if len(self._hops) > self._limit:
            excess = len(self._hops) - self._limit
            del self._hops[:excess]
            if not self.dropped:
                log.warning("trace_hops_dropped", limit=self._limit)
            self.dropped += excess

    def __len__(self) -> int:
        return len(self._hops)

    async def flush(self, pool: asyncpg.Pool) -> int:
        """Write what was added; return how many hops. Unwritten hops stay for the next."""
        hops, self._hops = self._hops, []
        if not hops:
            return 0
        try:
            await trace.add(pool, hops)
        except BaseException:
            self._hops[:0] = hops
            raise
        return len(hops)

    async def prune(self, pool: asyncpg.Pool, retention: float) -> int:
        """Delete hops older than `retention` seconds, in small batches; return how many."""
        pruned = 0
        while (deleted := await trace.prune(pool, retention, PRUNE_BATCH)) == PRUNE_BATCH:
            pruned += deleted
            await asyncio.sleep(0)  # let flushes through between batches
        return pruned + deleted

    async def run(
        self,
        pool: asyncpg.Pool,
        retention: float,
        database: DatabaseWatch,
        interval: float = FLUSH_INTERVAL,
    ) -> None:
        """Flush every `interval` seconds until cancelled, then once more; prune every tenth
        of the retention (at most every minute, at least every interval)."""
        prune_every = min(60.0, max(interval, retention / 10))
        pruned_at = 0.0
        try:
            while True:
                try:
                    await self.flush(pool)
                    if time.monotonic() - pruned_at >= prune_every:
                        pruned_at = time.monotonic()
                        await self.prune(pool, retention)
                except Exception as exc:
                    database.round_failed(exc, "trace_not_written")
                await asyncio.sleep(interval)
        finally:
            with contextlib.suppress(Exception):
                await self.flush(pool)
