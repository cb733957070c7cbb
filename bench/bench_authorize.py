"""Real-time authorization through the hub versus straight to the eMSP (reference/performance.md
B4: R1 hub overhead; issue 7 §2 targets: <= 300 us hub CPU per relay, <= 1 ms added p50).

    .venv/bin/python -m bench.bench_authorize [--requests 2000] [--concurrency 16] [--runs 3]
                                              [--profile authorize.txt]

The hub runs as `ocpi-hub serve` (JSON logs at info, as in production) in a process of its own
pinned to core 0, on an embedded PostgreSQL with fsync on; PostgreSQL, a fake CPO and a fake
eMSP (real aiohttp servers) and this load generator share core 1. The eMSP answers every
authorization with ALLOWED; the Token is stored at the hub, so the hub finds the eMSP by open
routing (one lookup of the stored Token) as it does for a CPO that names no receiver.

Reports, as the median of `--runs` runs:
- latency p50/p99 of the CPO's POST tokens/{uid}/authorize straight to the eMSP and through
  the hub, one request at a time, and the difference: the hub's added p50;
- the same with `--concurrency` requests in flight, and the hub's CPU per relayed request (the
  hub process's user+system time from /proc/PID/stat over the phase ÷ requests; the hub's idle
  background loops are included), with OCPI-to naming the eMSP and by open routing;
- the same for a minimal aiohttp relay (bench/baselines.py: no hub logic, no database) pinned
  to the same core: the floor of any relay on this machine, and the hub's ratio to it.
`--profile FILE` samples the hub with py-spy during one more concurrent phase (open routing, the
costlier path: it includes everything OCPI-to does). Never run in CI.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from aiohttp import web

from bench.baselines import baseline_server
from bench.common import (
    Measured,
    add_source_argument,
    join,
    measure,
    median_of,
    pin_to_load_core,
    profiled,
    served_hub,
)
from tests import factories
from tests.e2e.conftest import modules_of, to_headers
from tests.e2e.fakes import Answer, FakeParty

TARGET_CPU_US = 300
TARGET_ADDED_P50_MS = 1.0


def line(name: str, m: Measured, *, cpu: bool) -> str:
    text = f"p50 {m.p50:6.2f} ms, p99 {m.p99:6.2f} ms, {m.rate:6.0f} req/s"
    used = f", CPU {m.cpu_us:4.0f} us/req ({m.user_us:3.0f} user, {m.system_us:3.0f} sys)"
    return f"  {name}: {text}" + (used if cpu else " " * len(used))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", type=Path, help="py-spy collapsed stacks of the hub")
    add_source_argument(parser)
    args = parser.parse_args()
    pin_to_load_core()
    async with served_hub(source=args.hub_source, OCPI_HUB_AUTHORIZATION_TIMEOUT="2.5") as hub:
        cpo = await FakeParty("CPO", "NL", "CPA", modules_of("CPO")).start()
        emsp = await FakeParty("EMSP", "DE", "EMA", modules_of("EMSP")).start()
        try:
            await join(hub, cpo)
            await join(hub, emsp)
            token = factories.token("U1")

            async def allow(request: web.Request, body: Any) -> web.Response:
                emsp.received.clear()  # the fake records every request; keep memory flat
                return emsp.reply(request, {"allowed": "ALLOWED", "token": token})

            emsp.handlers["tokens"] = allow
            put = await emsp.call_url(
                "PUT", f"{hub.url}/ocpi/2.2.1/receiver/tokens/DE/EMA/U1", json=token
            )
            assert put.status_code == 1000, put.body
            refs = {"location_id": "LOC1"}
            direct_url = f"{emsp.url}/ocpi/2.2.1/tokens/U1/authorize?type=RFID"
            hub_url = f"{hub.url}/ocpi/2.2.1/sender/tokens/U1/authorize?type=RFID"

            async def direct() -> Answer:
                answer = await cpo.call_url("POST", direct_url, json=refs, token=emsp.hub_token)
                assert answer.status_code == 1000, answer.body
                return answer

            async def via_hub() -> Answer:
                answer = await cpo.call_url("POST", hub_url, json=refs, headers=to_headers(emsp))
                assert answer.status_code == 1000, answer.body
                return answer

            async def open_routing() -> Answer:
                answer = await cpo.call_url("POST", hub_url, json=refs)
                assert answer.status_code == 1000, answer.body
                return answer

            async with baseline_server("relay", "--target", emsp.url) as minimal:
                minimal_url = f"{minimal.url}/ocpi/2.2.1/tokens/U1/authorize?type=RFID"

                async def via_minimal() -> Answer:
                    answer = await cpo.call_url(
                        "POST", minimal_url, json=refs, token=emsp.hub_token
                    )
                    assert answer.status_code == 1000, answer.body
                    return answer

                calls = {
                    "direct": (None, direct),
                    "minimal relay": (minimal, via_minimal),
                    "via hub, OCPI-to": (hub, via_hub),
                    "via hub, open routing": (hub, open_routing),
                }
                for server, call in calls.values():  # warm-up: connections, caches
                    await measure(server, call, 300, args.concurrency)
                results: dict[tuple[str, int], Measured] = {}
                for in_flight in (1, args.concurrency):
                    for name, (server, call) in calls.items():
                        runs = [
                            await measure(server, call, args.requests, in_flight)
                            for _ in range(args.runs)
                        ]
                        results[name, in_flight] = median_of(runs)
            for in_flight in (1, args.concurrency):
                print(f"{in_flight} in flight ({args.requests} requests, median of {args.runs}):")
                for name, (server, _) in calls.items():
                    m = results[name, in_flight]
                    added = m.p50 - results["direct", in_flight].p50
                    print(line(f"{name:22}", m, cpu=server is not None) + f", +{added:.2f} ms")
            floor = results["minimal relay", args.concurrency].cpu_us
            for name in ("via hub, OCPI-to", "via hub, open routing"):
                cpu_us = results[name, args.concurrency].cpu_us
                added = results[name, 1].p50 - results["direct", 1].p50
                print(
                    f"{name}: hub CPU per relay {cpu_us:.0f} us (target <= {TARGET_CPU_US};"
                    f" {cpu_us / floor:.1f}x the minimal relay's {floor:.0f} us); added p50,"
                    f" one at a time, {added:.2f} ms (target <= {TARGET_ADDED_P50_MS:g})"
                )
            if args.profile:
                async with profiled(hub, args.profile):
                    await measure(hub, open_routing, args.requests * 4, args.concurrency)
        finally:
            await cpo.stop()
            await emsp.stop()


if __name__ == "__main__":
    asyncio.run(main())
