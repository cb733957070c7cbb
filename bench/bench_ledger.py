"""Settlement ledger: 100,000 CDRs priced and booked (issue 9 "Done when": a benchmark prices
100,000 CDRs and books them), CDRs/s against the same store path with neither.

    .venv/bin/python -m bench.bench_ledger [--cdrs 100000] [--concurrency 16] [--distinct 5000]

The CDRs are bench_pricing's (4-10 charging periods under four tariffs with restrictions, read in
Europe/Amsterdam), `--distinct` of them generated and validated before the clock starts and used
in turn under new ids. Each run stores `--cdrs` CDRs with `storage.changes.store_new`,
`--concurrency` in flight, on a fresh embedded PostgreSQL with fsync on (every commit flushed),
in this process:

- priced+booked: each CDR priced by `core.pricing.price_cdr` (its total_cost set from the price,
  as the CPO would), then stored, booked in the ledger at a fee of 1.5 % + 0.30 EUR (three
  entries, the balance trigger, the advisory lock a CDR and its credit share) and its deliveries
  planned, in one transaction; every tenth CDR is a credit CDR of the one before it (the negative
  of its price), booked as its reversal;
- stored: the same CDRs, priced before the clock starts, stored under the CDRs module with
  `booked=False`: the store alone, the baseline.

No eMSP is registered (each is only invited, known to the hub but with no endpoints), so no
delivery is queued: what is measured is the pricing, the store and the book. Reports CDRs/s, the
latency of one CDR (pricing and transaction; p50, p99), this process's CPU per CDR (the Python
side: pricing, the rules, asyncpg), the sum of what was priced and booked, and the ratio. The
database's CPU is not read: it shares the machine. Never run in CI.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

import asyncpg
import orjson

from bench.bench_pricing import ZONE, bodies
from bench.common import Measured, bench_database, measure
from ocpi_hub.core.agreements import Agreements, FeeAgreement
from ocpi_hub.core.ledger import Fee
from ocpi_hub.core.modules.cdrs import CDR
from ocpi_hub.core.modules.tariffs import Tariff
from ocpi_hub.core.objects import ObjectModule
from ocpi_hub.core.parties import Role
from ocpi_hub.core.pricing import price_cdr
from ocpi_hub.core.routing import PartyKey
from ocpi_hub.core.stored import CDRS
from ocpi_hub.core.types import json_decimal
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
Job = Callable[[], dict[str, Any]]


def priced(body: dict[str, Any], tariff: Tariff, id: str, emsp: PartyKey) -> dict[str, Any]:
    """`body` under `id` for a token of `emsp`, its total_cost what `tariff` prices it at."""
    cost = price_cdr(tariff, CDR.model_validate(body), ZONE).total
    total = {"excl_vat": float(cost.excl_vat), "incl_vat": float(cost.incl_vat)}
    return {**body, "id": id, "cdr_token": factories.cdr_token(emsp), "total_cost": total}


def cdrs(count: int, templates: Sequence[tuple[Tariff, dict[str, Any]]]) -> Iterator[Job]:
    """`count` CDRs for the two eMSPs' tokens, made of `templates` in turn; every tenth a credit
    CDR of the one before it. Each a function giving the CDR to store (pricing it, for
    priced+booked)."""
    for n in range(count):
        if n % 10 == 9:
            tariff, body = templates[(n - 1) % len(templates)]
            emsp = EMSPS[(n - 1) % 2]

            def credit(tariff: Tariff = tariff, body: dict[str, Any] = body, n: int = n,
                       emsp: PartyKey = emsp) -> dict[str, Any]:  # fmt: skip
                cdr = priced(body, tariff, f"C{n - 1}-C", emsp)
                negative = {k: -v for k, v in cdr["total_cost"].items()}
                return {**cdr, "credit": True, "credit_reference_id": f"C{n - 1}",
                        "total_cost": negative}  # fmt: skip

            yield credit
        else:
            tariff, body = templates[n % len(templates)]
            yield functools.partial(priced, body, tariff, f"C{n}", EMSPS[n % 2])


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


async def run(
    spec: ObjectModule, jobs: Iterator[Job], count: int, concurrency: int
) -> tuple[Measured, int, Decimal]:
    """Store `count` CDRs of `jobs` as `spec` describes them on a fresh database; the measure,
    how many ledger transactions they booked and what the CDRs stored cost in all."""
    async with bench_database() as dsn:
        conn = await asyncpg.connect(dsn)
        await migrate(conn)
        await conn.close()
        # Room beside the CDRs in flight for the platform cache's listener.
        pool = await create_pool(dsn, max_size=concurrency + 2)
        for emsp in EMSPS:  # known to the cache, so no CDR looks its eMSP up in the database
            await invite(pool, HUB, Role.EMSP, *emsp)
        cache = PlatformCache(pool)
        await cache.start()
        await cache.platforms_of_party(*EMSPS[0])  # loaded before the clock starts
        try:
            stored = [Decimal(0)]

            async def store() -> None:
                cdr = next(jobs)()
                stored[0] += json_decimal(cdr["total_cost"]["excl_vat"])
                planned = await changes.store_new(pool, cache, pushed(spec, cdr), cdr)
                assert planned is not None

            cpu = time.process_time()
            measured = await measure(None, store, count, concurrency)
            cpu_us = (time.process_time() - cpu) / count * 1e6
            booked = await pool.fetchval("SELECT count(*) FROM ledger_transactions")
        finally:
            await cache.close()
            await pool.close()
    return replace(measured, user_us=cpu_us), int(booked), stored[0]


def line(name: str, m: Measured, booked: int, total: Decimal) -> str:
    return (
        f"  {name:13}: {m.rate:6.0f} CDRs/s, p50 {m.p50:6.2f} ms, p99 {m.p99:6.2f} ms,"
        f" {m.user_us:4.0f} us CPU/CDR here, {booked} ledger transactions,"
        f" {total:.4f} EUR excl. VAT stored"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cdrs", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--distinct", type=int, default=5_000)
    args = parser.parse_args()
    distinct = args.distinct
    # As the hub receives them: JSON numbers, parsed (the store path takes what the web parsed).
    templates = [(t, orjson.loads(orjson.dumps(b, default=float))) for t, b in bodies(distinct, 1)]
    print(f"{args.cdrs} CDRs ({args.distinct} distinct, {args.concurrency} in flight):")
    booked = await run(CDRS, cdrs(args.cdrs, templates), args.cdrs, args.concurrency)
    print(line("priced+booked", *booked), flush=True)
    ready = [job() for job in cdrs(args.cdrs, templates)]  # priced before the clock starts
    baseline = await run(
        replace(CDRS, booked=False), (lambda c=c: c for c in ready), args.cdrs, args.concurrency
    )
    print(line("stored", *baseline), flush=True)
    extra = (1 / booked[0].rate - 1 / baseline[0].rate) * 1e6
    print(
        f"  priced+booked/stored: {booked[0].rate / baseline[0].rate:.2f}x"
        f" ({extra:.0f} us of wall time per CDR for pricing and booking)"
    )


if __name__ == "__main__":
    asyncio.run(main())
