"""CDR ingest: CDRs/s accepted through HTTP against raw single-row inserts of the same JSON
(reference/performance.md B4: R5; issue 7 §2 target: >= 0.3x).

    .venv/bin/python -m bench.bench_cdrs [--cdrs 3000] [--concurrency 16] [--runs 3] [--drain]
                                         [--profile cdrs.txt]

The hub runs as `ocpi-hub serve` (JSON logs at info, as in production) in a process of its own
pinned to core 0, on an embedded PostgreSQL with fsync on (every commit is flushed); PostgreSQL,
a fake CPO and eMSP and this load generator share core 1.

- Through HTTP: the CPO POSTs `--cdrs` distinct CDRs (~1.3 KB each) to the hub's CDRs receiver,
  `--concurrency` in flight. Each is validated, stored and its delivery to the eMSP queued, in
  one transaction, as always. The eMSP holds each delivery the hub sends it unanswered, so the
  outbox worker stays parked on its first batch and what is measured is the ingest alone; with
  `--drain` the eMSP answers at once and the worker delivers during the run (what a CDR costs
  the hub in all).
- Raw insert: the same CDR JSON inserted by this process into the objects table, one row per
  statement, autocommit, the same number in flight: what the database can take.

Reports, as the median of `--runs` runs: CDRs/s and latency of each, the hub's CPU per CDR
(user+system from /proc/PID/stat ÷ CDRs), and the ratio of the two rates. Never run in CI.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web

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
from tests.e2e.fakes import Answer, FakeParty

TARGET_RATIO = 0.3
RECEIVER = "/ocpi/2.2.1/receiver/cdrs"
INSERT = (
    "INSERT INTO objects (module, country_code, party_id, id, kind, last_updated, data, audience)"
    " VALUES ('cdrs', 'NL', 'CPA', $1, '', $2::text::timestamptz, $3::jsonb, 'DE*EMA')"
)


def line(name: str, m: Measured, *, cpu: bool) -> str:
    text = f"  {name:16}: {m.rate:6.0f} CDRs/s, p50 {m.p50:6.2f} ms, p99 {m.p99:6.2f} ms"
    if cpu:
        text += f", hub CPU {m.cpu_us:4.0f} us/CDR ({m.user_us:3.0f} user, {m.system_us:3.0f} sys)"
    return text


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cdrs", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--drain", action="store_true", help="let deliveries flow meanwhile")
    parser.add_argument("--profile", type=Path, help="py-spy collapsed stacks of the hub")
    add_source_argument(parser)
    args = parser.parse_args()
    pin_to_load_core()
    # Held deliveries must not time out (and be retried) while the ingest is measured.
    async with served_hub(source=args.hub_source, OCPI_HUB_PUSH_TIMEOUT="3600") as hub:
        cpo = await FakeParty("CPO", "NL", "CPA", [("cdrs", "SENDER")]).start()
        emsp = await FakeParty("EMSP", "DE", "EMA", [("cdrs", "RECEIVER")]).start()
        held = asyncio.Event()
        try:
            await join(hub, cpo)
            await join(hub, emsp)

            async def hold(request: web.Request, body: Any) -> web.Response:
                emsp.received.clear()  # the fake records every request; keep memory flat
                if not args.drain:
                    await held.wait()  # released when the benchmark ends
                return emsp.reply(request, None)

            emsp.handlers["cdrs"] = hold
            numbers = itertools.count()

            def cdr() -> dict[str, Any]:
                return factories.cdr(f"CDR{next(numbers)}")

            async def post() -> Answer:
                answer = await cpo.call_url("POST", hub.url + RECEIVER, json=cdr())
                assert answer.status == 201, answer.body
                return answer

            async def insert() -> None:
                data = cdr()
                await hub.pool.execute(
                    INSERT, data["id"], data["last_updated"], orjson.dumps(data).decode()
                )

            await measure(hub, post, 300, args.concurrency)  # warm-up
            await measure(None, insert, 300, args.concurrency)
            http = median_of(
                [await measure(hub, post, args.cdrs, args.concurrency) for _ in range(args.runs)]
            )
            raw = median_of(
                [await measure(None, insert, args.cdrs, args.concurrency) for _ in range(args.runs)]
            )
            mode = "deliveries drained meanwhile" if args.drain else "deliveries queued, held"
            print(
                f"{args.cdrs} CDRs, {args.concurrency} in flight, median of {args.runs} ({mode}):"
            )
            print(line("through HTTP", http, cpu=True))
            print(line("raw insert", raw, cpu=False))
            print(
                f"ingest ratio {http.rate / raw.rate:.2f}x the raw single-row insert"
                f" (target >= {TARGET_RATIO:g}x)"
            )
            if args.profile:
                async with profiled(hub, args.profile):
                    await measure(hub, post, args.cdrs, args.concurrency)
        finally:
            held.set()
            await cpo.stop()
            await emsp.stop()


if __name__ == "__main__":
    asyncio.run(main())
