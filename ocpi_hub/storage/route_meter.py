"""Each request the hub sends to a platform, counted per route for route choice (issue 8).

Relays (web.relay.ask), outbox deliveries (push.worker) and route probes (push.routes) call
`RouteMeter.record` with the platform, whether the request succeeded (core.route_quality:
an OCPI envelope with HTTP < 500) and how long it took. That is a dictionary lookup and a few
additions: nothing is written on the request's path. The counts are kept per platform and time
bucket in memory and added to PostgreSQL every OCPI_HUB_ROUTE_FLUSH_INTERVAL seconds
(`run`), so every hub process and the CLI read the same figures. Counts a flush could not
write (the database away) are kept and added to the next flush; the last are written when
the process stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

import asyncpg

from ocpi_hub.core.route_quality import BUCKETS, Figures, bucket_start, latency_bucket
from ocpi_hub.storage.availability import DatabaseWatch
from ocpi_hub.storage.repositories import routes
from ocpi_hub.storage.repositories.routes import Sample

_Key = tuple[int, float]  # (platform id, bucket start)


class RouteMeter:
    """One process's counts of the requests it sent, per platform and time bucket."""

    def __init__(self, bucket: float, clock: Callable[[], float] = time.time) -> None:
        self._width = bucket  # seconds per time bucket (core.route_quality.bucket_seconds)
        self._clock = clock
        # [sent, failed, latency counts...] per (platform, bucket): plain lists, added in place.
        self._counts: dict[_Key, list[int]] = {}

    def record(self, platform_id: int, ok: bool, seconds: float) -> None:
        """One request to `platform_id`: whether it succeeded, and how long it took."""
        key = (platform_id, bucket_start(self._clock(), self._width))
        counts = self._counts.get(key)
        if counts is None:
            counts = self._counts[key] = [0] * (2 + BUCKETS)
        counts[0] += 1
        counts[1] += not ok
        counts[2 + latency_bucket(seconds * 1000)] += 1

    def taken(self) -> list[Sample]:
        """What was counted since the last call, emptied."""
        counts, self._counts = self._counts, {}
        return [
            Sample(platform_id, bucket, Figures(c[0], c[1], tuple(c[2:])))
            for (platform_id, bucket), c in counts.items()
        ]

    def put_back(self, samples: list[Sample]) -> None:
        """Counts a flush could not write, to go with the next one."""
        for sample in samples:
            counts = self._counts.setdefault(
                (sample.platform_id, sample.bucket), [0] * (2 + BUCKETS)
            )
            figures = [sample.figures.sent, sample.figures.failed, *sample.figures.latencies]
            for index, value in enumerate(figures):
                counts[index] += value

    async def flush(self, pool: asyncpg.Pool) -> int:
        """Add what was counted to the database; return how many buckets were written."""
        samples = self.taken()
        if not samples:
            return 0
        try:
            await routes.add_samples(pool, samples)
        except BaseException:
            self.put_back(samples)
            raise
        return len(samples)

    async def run(self, pool: asyncpg.Pool, interval: float, database: DatabaseWatch) -> None:
        """Flush every `interval` seconds until cancelled, then once more."""
        try:
            while True:
                await asyncio.sleep(interval)
                try:
                    await self.flush(pool)
                except Exception as exc:
                    database.round_failed(exc, "route_samples_not_written")
        finally:
            with contextlib.suppress(Exception):
                await self.flush(pool)
