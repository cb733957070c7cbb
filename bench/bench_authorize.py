"""Real-time authorization through the hub versus straight to the eMSP (reference/performance.md
B4: R1 hub overhead, and the budget ratio of R2 without background load).

    .venv/bin/python -m bench.bench_authorize [--requests 500] [--concurrency 16]

Starts an embedded PostgreSQL (fsync on) and a hub in-process with a fake CPO and eMSP; the
eMSP answers every authorization with ALLOWED. Reports p50/p99 of the CPO's POST
tokens/{uid}/authorize sent straight to the eMSP and through the hub, one at a time and with
`--concurrency` in flight. Everything shares one process and event loop, so absolute numbers are
pessimistic; the difference is the hub's added latency. Never run in CI.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

from aiohttp import web

from bench.common import bench_hub
from tests import factories
from tests.e2e.conftest import modules_of, registered
from tests.e2e.fakes import FakeParty


async def timed(calls: int, concurrency: int, call: Any) -> list[float]:
    latencies: list[float] = []
    queue = iter(range(calls))

    async def worker() -> None:
        for _ in queue:
            started = time.perf_counter()
            answer = await call()
            latencies.append((time.perf_counter() - started) * 1000)
            assert answer.status_code == 1000, answer.body

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return sorted(latencies)


def summary(latencies: list[float]) -> str:
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return f"p50 {statistics.median(latencies):6.2f} ms, p99 {p99:6.2f} ms"


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    async with bench_hub(authorization_timeout=2.5) as (hub, _):
        parties: list[FakeParty] = []
        try:
            cpo = await registered(
                hub, await FakeParty("CPO", "NL", "CPA", modules_of("CPO")).start()
            )
            emsp = await registered(
                hub, await FakeParty("EMSP", "DE", "EMA", modules_of("EMSP")).start()
            )
            parties += [cpo, emsp]
            token = factories.token("U1")

            async def allow(request: web.Request, body: Any) -> web.Response:
                return emsp.reply(request, {"allowed": "ALLOWED", "token": token})

            emsp.handlers["tokens"] = allow
            put = await emsp.call_url(
                "PUT", f"{hub.url}/ocpi/2.2.1/receiver/tokens/DE/EMA/U1", json=token
            )
            assert put.status_code == 1000
            refs = {"location_id": "LOC1"}
            direct_url = f"{emsp.url}/ocpi/2.2.1/tokens/U1/authorize?type=RFID"
            hub_url = f"{hub.url}/ocpi/2.2.1/sender/tokens/U1/authorize?type=RFID"

            def direct() -> Any:
                return cpo.call_url("POST", direct_url, json=refs, token=emsp.hub_token)

            def via_hub() -> Any:
                return cpo.call_url("POST", hub_url, json=refs)

            for name, call in (("direct ", direct), ("via hub", via_hub)):
                await timed(50, 1, call)  # warm-up
                one = await timed(args.requests, 1, call)
                many = await timed(args.requests, args.concurrency, call)
                in_flight = f"{args.concurrency} in flight"
                print(f"{name}: 1 in flight {summary(one)}; {in_flight} {summary(many)}")
            budget = 2500.0
            worst = (await timed(args.requests, args.concurrency, via_hub))[-1]
            share = worst / budget
            print(
                f"worst via hub, {args.concurrency} in flight: {worst:.1f} ms = {share:.1%} of 2.5s"
            )
        finally:
            for party in parties:
                await party.stop()


if __name__ == "__main__":
    asyncio.run(main())
