"""Benchmarks for the Locations hot paths (reference/performance.md B4: R3, R4, R6).

    .venv/bin/python -m bench.bench_locations [--locations 20000] [--emsps 3] [--pushes 300]

Starts an embedded PostgreSQL (fsync on) in a temporary directory and a hub in-process, then:
- R3 deep pages: crawls every Location through the sender interface, once following the `Link`
  headers (keyset cursor) and once by plain `offset`, and reports first/last page latency;
- R4 serialisation: hub CPU per page of 50 Locations;
- R6 fan-out: a CPO PUTs Locations as fast as the hub answers while N fake eMSPs receive them;
  reports ingest rate and outbox drain rate (deliveries/s), which must stay >= ingest x N.
Never run in CI; numbers depend on the machine (2 cores here).
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import time

import asyncpg
import orjson

from bench.common import bench_hub
from ocpi_hub.storage.db import create_pool
from ocpi_hub.storage.repositories import outbox
from tests import factories
from tests.e2e.conftest import registered
from tests.e2e.fakes import FakeParty


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def seed(pool: asyncpg.Pool, count: int) -> None:
    rows = []
    for n in range(count):
        data = factories.location(country_code="NL", party_id="CPA", id=f"LOC{n}")
        rows.append(("NL", "CPA", f"LOC{n}", data["last_updated"], orjson.dumps(data).decode()))
    await pool.executemany(
        "INSERT INTO objects (module, country_code, party_id, id, last_updated, data)"
        " VALUES ('locations', $1, $2, $3, $4::text::timestamptz, $5::jsonb)",
        rows,
    )


async def crawl(
    emsp: FakeParty, base: str, *, follow_link: bool, total: int, limit: int
) -> dict[str, float]:
    latencies = []
    url: str | None = f"{base}?limit={limit}"
    offset = 0
    seen = 0
    started, cpu0 = time.perf_counter(), cpu()
    while url:
        t0 = time.perf_counter()
        answer = await emsp.call_url("GET", url)
        latencies.append(time.perf_counter() - t0)
        seen += len(answer.data)
        if follow_link:
            link = answer.headers.get("Link")
            url = link[1 : link.index(">")] if link else None
        else:
            offset += limit
            url = f"{base}?offset={offset}&limit={limit}" if offset < total else None
    assert seen == total, (seen, total)
    return {
        "pages": len(latencies),
        "first_ms": latencies[0] * 1000,
        "last_ms": statistics.median(latencies[-5:]) * 1000,
        "total_s": time.perf_counter() - started,
        "cpu_us_per_page": (cpu() - cpu0) / len(latencies) * 1e6,
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--locations", type=int, default=20000)
    parser.add_argument("--emsps", type=int, default=3)
    parser.add_argument("--pushes", type=int, default=300)
    args = parser.parse_args()
    async with bench_hub(page_limit=50, push_backoff_base=0.05) as (hub, dsn):
        parties: list[FakeParty] = []
        try:
            cpo = await registered(
                hub, await FakeParty("CPO", "NL", "CPA", modules=[("locations", "SENDER")]).start()
            )
            parties.append(cpo)
            for n in range(args.emsps):
                emsp = await FakeParty(
                    "EMSP", "DE", f"E{n}", modules=[("locations", "RECEIVER")]
                ).start()
                parties.append(await registered(hub, emsp))
            emsp = parties[1]
            pool = await create_pool(dsn)
            await seed(pool, args.locations)
            sender = f"{hub.url}/ocpi/2.2.1/sender/locations"
            print(f"R3/R4 crawl of {args.locations} Locations, 50 per page")
            for follow in (True, False):
                result = await crawl(
                    emsp, sender, follow_link=follow, total=args.locations, limit=50
                )
                name = "keyset (Link)" if follow else "offset only  "
                ratio = result["last_ms"] / result["first_ms"]
                print(
                    f"  {name}: {result['pages']} pages, first {result['first_ms']:.2f} ms,"
                    f" deepest {result['last_ms']:.2f} ms (ratio {ratio:.2f}),"
                    f" crawl {result['total_s']:.1f} s,"
                    f" {result['cpu_us_per_page']:.0f} us CPU/page (hub+client)"
                )

            print(f"R6 fan-out: {args.pushes} Location PUTs to {args.emsps} eMSPs")
            started = time.perf_counter()
            for n in range(args.pushes):
                body = factories.location(country_code="NL", party_id="CPA", id=f"NEW{n}")
                answer = await cpo.call_url(
                    "PUT", f"{hub.url}/ocpi/2.2.1/receiver/locations/NL/CPA/NEW{n}", json=body
                )
                assert answer.status_code == 1000
            ingest = time.perf_counter() - started
            expected = args.pushes * args.emsps
            while (await outbox.counts(pool)).get("DELIVERED", 0) < expected:
                await asyncio.sleep(0.01)
            drained = time.perf_counter() - started
            fan_out = args.pushes * args.emsps / ingest
            print(
                f"  ingest {args.pushes / ingest:.0f} PUT/s; {expected} deliveries drained"
                f" in {drained:.2f} s = {expected / drained:.0f} deliveries/s;"
                f" drain/ingest-fan-out ratio {(expected / drained) / fan_out:.2f}"
            )
            await pool.close()
        finally:
            for party in parties:
                await party.stop()


if __name__ == "__main__":
    asyncio.run(main())
