"""Settlement ledger: CDRs/s stored and booked through the one store path, against the same path
with booking left out (issue 9 §3: book 100,000 CDRs).

    .venv/bin/python -m bench.bench_ledger [--cdrs 100000] [--concurrency 16]

Each run stores `--cdrs` distinct CDRs with `storage.changes.store_new`, `--concurrency` in
flight, on a fresh embedded PostgreSQL with fsync on (every commit flushed), in this process: the
CDR inserted, booked in the ledger at a fee of 1.5 % + 0.30 EUR (three entries, the balance
trigger, the advisory lock a CDR and its credit share) and its deliveries planned, in one
transaction. Every tenth CDR is a credit CDR of the one before it, booked as its reversal. No
eMSP is registered (each is only invited, known to the hub but with no endpoints), so no delivery
is queued: what is measured is the store and the book.

- booked: the CDRs module as the hub describes it (`core.stored.CDRS`, `booked=True`);
- unbooked: the same description with `booked=False`: the store alone, the baseline.

Reports CDRs/s, the latency of one CDR's transaction (p50, p99), this process's CPU per CDR
(the Python side: the rules, asyncpg), and booked/unbooked. The database's CPU is not read: it
shares the machine. Never run in CI.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from typing import Any

import asyncpg

from bench.common import Measured, bench_database, measure
from ocpi_hub.core.agreements import Agreements, FeeAgreement
from ocpi_hub.core.ledger import Fee
from ocpi_hub.core.objects import ObjectModule
from ocpi_hub.core.parties import Role
from ocpi_hub.core.stored import CDRS
from ocpi_hub.storage import changes
from ocpi_hub.storage.db import create_pool
from ocpi_hub.storage.migrate import migrate
from ocpi_hub.storage.platform_cache import PlatformCache
from ocpi_hub.storage.repositories.objects import ObjectKey
from tests import factories
from tests.conftest import invite

CPO, EMSPS, HUB = ("NL", "CPA"), (("DE", "EMA"), ("FR", "EMB")), ("XX", "HUB")
FEES = Agreements(
    fees=tuple(FeeAgreement.of(CPO, e, Fee(Decimal("1.5"), Decimal("0.30"), "EUR")) for e in EMSPS)
)
SOURCE = factories.platform(1)


def cdrs(count: int) -> Iterator[dict[str, Any]]:
    """`count` CDRs for the two eMSPs' tokens, of amounts 0.01 to 99.99 EUR; every tenth a
    credit CDR of the one before it."""
    for n in range(count):
        if n % 10 == 9:
            yield factories.cdr(
                f"C{n - 1}-C", emsp=EMSPS[(n - 1) % 2], credit=True,
                credit_reference_id=f"C{n - 1}",
                total_cost={"excl_vat": -((n - 1) % 9999 + 1) / 100},
            )  # fmt: skip
        else:
            yield factories.cdr(
                f"C{n}", emsp=EMSPS[n % 2], total_cost={"excl_vat": (n % 9999 + 1) / 100}
            )


def pushed(spec: ObjectModule, cdr: dict[str, Any]) -> changes.Pushed:
    """A CDR as the web layer describes the CPO's POST of it."""
    return changes.Pushed(
        spec=spec,
        key=ObjectKey("cdrs", CPO, cdr["id"]),
        method="POST",
        path="",
        body=None,
        source=SOURCE,
        sender=CPO,
        hub=HUB,
        correlation_id="bench",
        agreements=FEES,
    )


async def run(spec: ObjectModule, count: int, concurrency: int) -> tuple[Measured, int]:
    """Store `count` CDRs as `spec` describes them on a fresh database; the measure, and how
    many ledger transactions they booked."""
    async with bench_database() as dsn:
        conn = await asyncpg.connect(dsn)
        await migrate(conn)
        await conn.close()
        # Room beside the CDRs in flight for the platform cache's own reads and its listener.
        pool = await create_pool(dsn, max_size=concurrency + 2)
        for emsp in EMSPS:  # known to the cache, so no CDR looks its eMSP up in the database
            await invite(pool, HUB, Role.EMSP, *emsp)
        cache = PlatformCache(pool)
        await cache.start()
        await cache.platforms_of_party(*EMSPS[0])  # loaded before the clock starts
        try:
            queue = cdrs(count)

            async def store() -> None:
                cdr = next(queue)
                planned = await changes.store_new(pool, cache, pushed(spec, cdr), cdr)
                assert planned is not None

            cpu = time.process_time()
            measured = await measure(None, store, count, concurrency)
            cpu_us = (time.process_time() - cpu) / count * 1e6
            booked = await pool.fetchval("SELECT count(*) FROM ledger_transactions")
        finally:
            await cache.close()
            await pool.close()
    return replace(measured, user_us=cpu_us), int(booked)


def line(name: str, m: Measured, booked: int) -> str:
    return (
        f"  {name:9}: {m.rate:6.0f} CDRs/s, p50 {m.p50:6.2f} ms, p99 {m.p99:6.2f} ms,"
        f" {m.user_us:4.0f} us CPU/CDR here, {booked} ledger transactions"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cdrs", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    results = {}
    for name, spec in (("booked", CDRS), ("unbooked", replace(CDRS, booked=False))):
        results[name] = await run(spec, args.cdrs, args.concurrency)
        print(line(name, *results[name]), flush=True)
    booked, unbooked = results["booked"][0], results["unbooked"][0]
    extra = (1 / booked.rate - 1 / unbooked.rate) * 1e6
    print(
        f"  booked/unbooked: {booked.rate / unbooked.rate:.2f}x"
        f" ({extra:.0f} us of wall time per CDR for the booking, at {args.concurrency} in flight)"
    )


if __name__ == "__main__":
    asyncio.run(main())
