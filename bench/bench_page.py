"""A GET-all page of 50 Locations: the hub's CPU per page against a minimal aiohttp server
splicing the same stored JSON (reference/performance.md B4: R4; issue 7 §2 target: <= 2x).

    .venv/bin/python -m bench.bench_page [--locations 1000] [--requests 2000] [--concurrency 16]
                                         [--runs 3] [--profile page.txt]

The hub runs as `ocpi-hub serve` (JSON logs at info, as in production) in a process of its own
pinned to core 0, on an embedded PostgreSQL with fsync on; PostgreSQL, a fake CPO and eMSP and
this load generator share core 1. `--locations` Locations (two EVSEs each, ~850 bytes of JSON)
are stored for the CPO (the rows bench_locations seeds); the eMSP GETs the first page of the
Sender list, `limit=50`, with X-Total-Count, Link and X-Limit, as a peer resynchronising does.

The baselines (bench/baselines.py) are minimal aiohttp servers pinned to the same core that
answer the same GET with the same 50 stored JSON texts spliced into an envelope: `splice` reads
them with one SELECT per request, `splice --memory` holds them in memory (the splice alone, the
issue's baseline). Reports, as the median of `--runs` runs: latency, pages/s and server CPU per
page (user+system from /proc/PID/stat ÷ pages) of each, and the hub's ratio to each baseline.
Reuses bench_locations.seed; deep pages (R3) are bench_locations' business. Never run in CI.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench.baselines import baseline_server
from bench.bench_locations import seed
from bench.common import (
    Measured,
    ServerProcess,
    add_source_argument,
    join,
    measure,
    median_of,
    pin_to_load_core,
    profiled,
    served_hub,
)
from tests.e2e.fakes import Answer, FakeParty

TARGET_RATIO = 2.0
LIMIT = 50


def line(name: str, m: Measured) -> str:
    return (
        f"  {name:22}: p50 {m.p50:6.2f} ms, p99 {m.p99:6.2f} ms, {m.rate:6.0f} pages/s,"
        f" CPU {m.cpu_us:4.0f} us/page ({m.user_us:3.0f} user, {m.system_us:3.0f} sys)"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--locations", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", type=Path, help="py-spy collapsed stacks of the hub")
    add_source_argument(parser)
    args = parser.parse_args()
    pin_to_load_core()
    async with served_hub(source=args.hub_source, OCPI_HUB_PAGE_LIMIT=str(LIMIT)) as hub:
        cpo = await FakeParty("CPO", "NL", "CPA", [("locations", "SENDER")]).start()
        emsp = await FakeParty("EMSP", "DE", "EMA", [("locations", "RECEIVER")]).start()
        try:
            await join(hub, cpo)
            await join(hub, emsp)
            await seed(hub.pool, args.locations)
            query = f"/ocpi/2.2.1/sender/locations?limit={LIMIT}"

            def getter(server: ServerProcess, token: str | None) -> Callable[[], Awaitable[Answer]]:
                async def get() -> Answer:
                    answer = await emsp.call_url("GET", server.url + query, token=token)
                    assert answer.status == 200 and len(answer.data) == LIMIT, answer.status
                    return answer

                return get

            async with (
                baseline_server("splice", "--dsn", hub.dsn, "--limit", str(LIMIT)) as stored,
                baseline_server(
                    "splice", "--dsn", hub.dsn, "--limit", str(LIMIT), "--memory"
                ) as memory,
            ):
                servers = {
                    "splice from memory": (memory, getter(memory, "")),
                    "splice, one SELECT": (stored, getter(stored, "")),
                    "hub": (hub, getter(hub, None)),
                }
                for server, call in servers.values():  # warm-up: connections, caches
                    await measure(server, call, 300, args.concurrency)
                results = {
                    name: median_of(
                        [
                            await measure(server, call, args.requests, args.concurrency)
                            for _ in range(args.runs)
                        ]
                    )
                    for name, (server, call) in servers.items()
                }
            print(
                f"first page of {LIMIT} of {args.locations} Locations, {args.concurrency} in"
                f" flight, {args.requests} pages, median of {args.runs}:"
            )
            for name, m in results.items():
                print(line(name, m))
            hub_cpu = results["hub"].cpu_us
            for name in ("splice from memory", "splice, one SELECT"):
                ratio = hub_cpu / results[name].cpu_us
                target = f" (target <= {TARGET_RATIO:g}x)" if "memory" in name else ""
                print(f"hub CPU per page / {name}: {ratio:.2f}x{target}")
            if args.profile:
                async with profiled(hub, args.profile):
                    await measure(hub, getter(hub, None), args.requests * 2, args.concurrency)
        finally:
            await cpo.stop()
            await emsp.stop()


if __name__ == "__main__":
    asyncio.run(main())
