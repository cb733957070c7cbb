"""Benchmarks for the Locations hot paths (reference/performance.md B4: R3, R4).

    .venv/bin/python -m bench.bench_locations [--locations 20000]

Starts an embedded PostgreSQL (fsync on) in a temporary directory and a hub in-process, then:
- R3 deep pages: crawls every Location through the sender interface, once following the `Link`
  headers (keyset cursor) and once by plain `offset`, and reports first/last page latency; then,
  for the whole list, a date-filtered one and one narrowed by OCPI-to, the median latency of
  the first page, the page at offset N/2 and the page at offset N-50 asked by `offset` alone,
  with the worse deep/first ratio beside its target (<= 3x; issue 7 section 3). Run it at the
  size the target names: `--locations 100000`. The seeded table is vacuumed first, as
  autovacuum would leave it: filtered lists find an offset by an index-only scan, which needs
  the visibility map;
- R4 serialisation: hub CPU per page of 50 Locations.
Fan-out (R6) is measured by bench/bench_fanout.py. Never run in CI; numbers depend on the machine
(2 cores here).
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
from tests import factories
from tests.e2e.conftest import registered, to_headers
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


async def vacuumed(pool: asyncpg.Pool) -> None:
    """What autovacuum does after a bulk load: set the visibility map, refresh the statistics."""
    await pool.execute("VACUUM ANALYZE objects")
    pages, visible = await pool.fetchrow(
        "SELECT relpages, relallvisible FROM pg_class WHERE relname = 'objects'"
    )
    print(f"R3 objects table vacuumed: {visible} of {pages} heap pages all-visible")


R3_TARGET = 3.0
R3_ROUNDS = 25


async def depth(emsp: FakeParty, base: str, total: int) -> None:
    """R3: median latency of the page at offset 0, N/2 and N-50 asked by `offset` alone."""
    lists: list[tuple[str, str, dict[str, str]]] = [
        ("whole list        ", "", {}),
        ("date_from filter  ", "date_from=2015-01-01T00:00:00Z&", {}),
        ("OCPI-to NL*CPA    ", "", to_headers(("NL", "CPA"))),
    ]
    offsets = {"first": 0, "N/2": total // 2 // 50 * 50, "N-50": max(total - 50, 0)}
    print(f"R3 offset pages at depth, {total} Locations, 50 per page, median of {R3_ROUNDS}")
    for name, query, headers in lists:
        samples: dict[str, list[float]] = {where: [] for where in offsets}
        for _ in range(R3_ROUNDS):  # interleaved, so load drift hits every offset alike
            for where, offset in offsets.items():
                url = f"{base}?{query}offset={offset}&limit=50"
                t0 = time.perf_counter()
                answer = await emsp.call_url("GET", url, headers=headers)
                samples[where].append(time.perf_counter() - t0)
                assert answer.status_code == 1000 and len(answer.data) == 50, answer.body
        ms = {where: statistics.median(values) * 1000 for where, values in samples.items()}
        ratio = max(ms["N/2"], ms["N-50"]) / ms["first"]
        verdict = "meets" if ratio <= R3_TARGET else "MISSES"
        print(
            f"  {name}: first {ms['first']:.2f} ms, offset N/2 {ms['N/2']:.2f} ms,"
            f" offset N-50 {ms['N-50']:.2f} ms; deep/first {ratio:.2f}x"
            f" ({verdict} the <= {R3_TARGET:.0f}x target)"
        )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--locations", type=int, default=20000)
    args = parser.parse_args()
    async with bench_hub(page_limit=50, push_backoff_base=0.05) as (hub, dsn):
        parties: list[FakeParty] = []
        try:
            cpo = await registered(
                hub, await FakeParty("CPO", "NL", "CPA", modules=[("locations", "SENDER")]).start()
            )
            parties.append(cpo)
            emsp = await FakeParty("EMSP", "DE", "E0", modules=[("locations", "RECEIVER")]).start()
            parties.append(await registered(hub, emsp))
            pool = await create_pool(dsn)
            await seed(pool, args.locations)
            sender = f"{hub.url}/ocpi/2.2.1/sender/locations"
            await vacuumed(pool)
            await depth(emsp, sender, args.locations)
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
            await pool.close()
        finally:
            for party in parties:
                await party.stop()


if __name__ == "__main__":
    asyncio.run(main())
