"""Status fan-out through the outbox, and what one claim costs (issue 7 §1; reference/
performance.md B3 and B4 R6). The one benchmark of delivery throughput.

    .venv/bin/python -m bench.bench_fanout [--emsps 50] [--rate 70] [--seconds 30]
        [--burst-seconds 10] [--locations 2000] [--concurrency N] [--hub-log FILE]
        [--profile FILE] [--hub-source DIR] [--skip-claims]

Set-up (bench.common.served_hub): the hub runs as `ocpi-hub serve` (JSON logs at info, as in
production) in a process of its own pinned to core 0, on an embedded PostgreSQL with fsync on;
PostgreSQL and this process share core 1. A CPO and `--emsps` eMSPs — small aiohttp servers in
this process, each on its own port, answering every push with a 1000 envelope — register
through the real credentials handshake. `--locations` Locations (one EVSE each) are stored
directly in the database beforehand.

Reports:
1. peak: the CPO PATCHes EVSE statuses at `--rate`/s (70/s: the estimated peak of a 200k-EVSE
   network, B3) for `--seconds`; each PATCH owes one delivery per eMSP (3,500/s at 50).
   Deliveries/s received while pushing, and their ratio to 3,500/s; the same over the second
   half of the pushing alone, once the pipeline is full (sustained; target >= 1: the backlog
   does not grow); the backlog when pushing stopped; push->delivery latency p50/p99; the hub's
   CPU (share of its core, µs per delivery, PATCH ingest included, and what one core drains
   at that cost); PostgreSQL's CPU per delivery; how busy core 1 was.
2. burst: the CPO PATCHes as fast as the hub accepts (8 connections) for `--burst-seconds`:
   ingest PATCH/s, deliveries/s from the first push until all arrived and once pushing stopped
   (the drain alone), both against 3,500/s, and the same CPU figures.
3. claim cost: with the hub stopped, 5,000 due queues and 100,000 changes of a receiver that is
   down waiting for their retry, ms per claim of 64 (as the worker claims; each rolled back so
   all runs see the same tables) with 1,000 and with 1,000,000 delivered rows in the history;
   their ratio (target: flat, ~1.0); and which tables the due-queue scan reads.

Numbers depend on the machine; never run in CI. When the hub's CPU is well below 100 % of its
core the limit was elsewhere (core 1, or other processes on the machine): compare the hub's CPU
per delivery, and what one core drains at that cost, on a busy machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import secrets
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import orjson
from aiohttp import web

from bench.common import ServedHub, add_source_argument, pin_to_load_core, profiled, served_hub
from ocpi_hub.core.handshake import authorization_header
from ocpi_hub.storage.repositories import outbox
from ocpi_hub.storage.repositories.outbox import NewDelivery
from tests import factories
from tests.conftest import free_socket

PEAK = 3500.0  # deliveries/s: 70 status PATCH/s x 50 eMSPs (reference/performance.md B3)
HUB = ("XX", "HUB")
OK = orjson.dumps({"status_code": 1000, "timestamp": "2024-01-01T00:00:00Z"})
TICK = os.sysconf("SC_CLK_TCK")


class Peer:
    """A minimal OCPI party: versions, version details and one module's endpoint, answering
    every push with 1000. Counts what arrives and when."""

    def __init__(self, role: str, country_code: str, party_id: str, module: tuple[str, str]):
        self.role, self.key, self.module = role, (country_code, party_id), module
        self.token_b = secrets.token_urlsafe(16)
        self.token_c = ""
        self.received = 0
        self.latencies: list[float] = []
        self.sent_at: dict[str, float] = {}  # last_updated of a PATCH → when the CPO sent it
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> Peer:
        app = web.Application()
        app.add_routes(
            [
                web.get("/ocpi/versions", self._versions),
                web.get("/ocpi/2.2.1", self._details),
                web.route("*", "/ocpi/2.2.1/locations/{tail:.*}", self._push),
            ]
        )
        sock = free_socket()
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def _reply(self, data: Any) -> web.Response:
        body = {"status_code": 1000, "timestamp": "2024-01-01T00:00:00Z", "data": data}
        return web.Response(body=orjson.dumps(body), content_type="application/json")

    async def _versions(self, request: web.Request) -> web.Response:
        return self._reply([{"version": "2.2.1", "url": f"{self.url}/ocpi/2.2.1"}])

    async def _details(self, request: web.Request) -> web.Response:
        identifier, role = self.module
        endpoints = [
            {"identifier": "credentials", "role": "SENDER", "url": f"{self.url}/ocpi/2.2.1/c"},
            {"identifier": identifier, "role": role, "url": f"{self.url}/ocpi/2.2.1/{identifier}"},
        ]
        return self._reply({"version": "2.2.1", "endpoints": endpoints})

    async def _push(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != authorization_header(self.token_b):
            return web.Response(status=401)
        body = orjson.loads(await request.read())
        self.received += 1
        sent = self.sent_at.get(body.get("last_updated"))
        if sent is not None:
            self.latencies.append(time.perf_counter() - sent)
        return web.Response(body=OK, content_type="application/json")

    async def register(
        self, session: aiohttp.ClientSession, versions_url: str, token_a: str
    ) -> None:
        """The credentials handshake as initiator, as any party does it."""
        auth = {"Authorization": authorization_header(token_a)}
        async with session.get(versions_url, headers=auth) as response:
            details_url = (await response.json())["data"][0]["url"]
        async with session.get(details_url, headers=auth) as response:
            endpoints = (await response.json())["data"]["endpoints"]
        credentials_url = next(e["url"] for e in endpoints if e["identifier"] == "credentials")
        ours = {
            "token": self.token_b,
            "url": f"{self.url}/ocpi/versions",
            "roles": [
                {
                    "role": self.role,
                    "business_details": {"name": f"bench {self.key[1]}"},
                    "country_code": self.key[0],
                    "party_id": self.key[1],
                }
            ],
        }
        async with session.post(credentials_url, json=ours, headers=auth) as response:
            answer = await response.json()
        assert answer["status_code"] == 1000, answer
        self.token_c = answer["data"]["token"]


def hub_cpu(hub: ServedHub) -> float:
    return sum(hub.cpu_seconds())


def own_cpu() -> float:
    """Seconds of CPU this process (the eMSPs and the CPO) has used."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def postgres_cpu(postmaster: int) -> float:
    """Seconds of CPU used by the PostgreSQL server and its backends."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == postmaster or int(fields[1]) == postmaster:
            total += (int(fields[11]) + int(fields[12])) / TICK
    return total


async def postmaster_of(pool: asyncpg.Pool) -> int:
    """The PostgreSQL server's process: the parent of any of its backends."""
    backend = await pool.fetchval("SELECT pg_backend_pid()")
    return int(Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()[1])


async def seed_locations(pool: asyncpg.Pool, count: int) -> None:
    rows = []
    for n in range(count):
        data = factories.location(country_code="NL", party_id="CPA", id=f"LOC{n}")
        rows.append((f"LOC{n}", data["last_updated"], orjson.dumps(data).decode()))
    await pool.executemany(
        "INSERT INTO objects (module, country_code, party_id, id, last_updated, data)"
        " VALUES ('locations', 'NL', 'CPA', $1, $2::text::timestamptz, $3::jsonb)",
        rows,
    )


class Pusher:
    """The CPO's client side: EVSE status PATCHes, each with a last_updated of its own."""

    def __init__(self, hub: ServedHub, cpo: Peer, emsps: list[Peer], locations: int):
        self.hub, self.cpo, self.emsps, self.locations = hub, cpo, emsps, locations
        self.base = datetime(2025, 1, 1, tzinfo=UTC)
        self.count = 0
        self.connector = aiohttp.TCPConnector(limit=16)
        self.session = aiohttp.ClientSession(connector=self.connector)
        self.headers = {
            "Authorization": authorization_header(cpo.token_c),
            "Content-Type": "application/json",
        }

    async def patch(self) -> None:
        n = self.count
        self.count += 1
        at = (self.base + timedelta(seconds=n)).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = orjson.dumps({"status": "CHARGING" if n % 2 else "AVAILABLE", "last_updated": at})
        url = f"{self.hub.url}/ocpi/2.2.1/receiver/locations/NL/CPA/LOC{n % self.locations}/EVSE1"
        now = time.perf_counter()
        for emsp in self.emsps:
            emsp.sent_at[at] = now
        async with self.session.patch(url, data=body, headers=self.headers) as response:
            answer = await response.read()
        assert response.status == 200, answer

    async def close(self) -> None:
        await self.session.close()


def received(emsps: list[Peer]) -> int:
    return sum(e.received for e in emsps)


async def wait_delivered(emsps: list[Peer], expected: int, timeout: float = 600) -> float:
    deadline = time.monotonic() + timeout
    while received(emsps) < expected:
        assert time.monotonic() < deadline, f"{received(emsps)} of {expected} delivered"
        await asyncio.sleep(0.01)
    return time.perf_counter()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else float("nan")


async def peak(
    pusher: Pusher, emsps: list[Peer], postmaster: int, rate: float, seconds: float
) -> None:
    for emsp in emsps:
        emsp.latencies.clear()
    before, total = received(emsps), int(rate * seconds)
    expected = before + total * len(emsps)
    hub0, pg0, bench0 = hub_cpu(pusher.hub), postgres_cpu(postmaster), own_cpu()
    started = time.perf_counter()
    tasks = []
    halfway, at_halfway = started, before
    for n in range(total):
        delay = started + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)  # a fixed-rate client (no coordinated omission)
        if n == total // 2:
            halfway, at_halfway = time.perf_counter(), received(emsps)
        tasks.append(asyncio.create_task(pusher.patch()))
    await asyncio.gather(*tasks)
    stopped = time.perf_counter()
    during = received(emsps) - before
    # The second half alone: the pipeline is full by then (the first half also pays the
    # push->delivery latency once), so this is the drain the backlog grows or shrinks by.
    sustained = (received(emsps) - at_halfway) / (stopped - halfway)
    backlog = expected - received(emsps)
    drained = await wait_delivered(emsps, expected)
    hub_used, pg_used = hub_cpu(pusher.hub) - hub0, postgres_cpu(postmaster) - pg0
    core_1 = (own_cpu() - bench0 + pg_used) / (drained - started)
    latencies = [x for e in emsps for x in e.latencies]
    rate_seen = during / (stopped - started)
    deliveries = total * len(emsps)
    print(
        f"1. peak: {total} PATCHes at {rate:g}/s to {len(emsps)} eMSPs over {seconds:g} s"
        f" ({rate * len(emsps):.0f} deliveries/s offered)\n"
        f"   delivered while pushing: {rate_seen:.0f}/s = {rate_seen / PEAK:.2f} x 3,500/s;"
        f" in its second half (sustained): {sustained:.0f}/s = {sustained / PEAK:.2f} x;"
        f" backlog when pushing stopped: {backlog}, drained {drained - stopped:.2f} s later\n"
        f"   push->delivery latency p50 {percentile(latencies, 0.5) * 1000:.1f} ms,"
        f" p99 {percentile(latencies, 0.99) * 1000:.1f} ms\n"
        f"   hub CPU {hub_used / (drained - started) * 100:.0f} % of its core,"
        f" {hub_used / deliveries * 1e6:.0f} us per delivery (PATCH ingest included):"
        f" {capacity(hub_used, deliveries)}\n"
        f"   PostgreSQL {pg_used / deliveries * 1e6:.0f} us per delivery; core 1 (PostgreSQL,"
        f" eMSPs, CPO) {core_1 * 100:.0f} % busy"
    )


def capacity(hub_used: float, deliveries: int) -> str:
    """What one core of the hub drains at the CPU cost measured, ingest included."""
    rate = deliveries / hub_used if hub_used else float("inf")
    return f"one core drains {rate:.0f}/s at this cost = {rate / PEAK:.2f} x 3,500/s"


async def burst(pusher: Pusher, emsps: list[Peer], postmaster: int, seconds: float) -> None:
    before = received(emsps)
    pushed = pusher.count
    hub0, pg0, bench0 = hub_cpu(pusher.hub), postgres_cpu(postmaster), own_cpu()
    started = time.perf_counter()

    async def client() -> None:
        while time.perf_counter() - started < seconds:
            await pusher.patch()

    await asyncio.gather(*(client() for _ in range(8)))
    stopped = time.perf_counter()
    at_stop = received(emsps)
    total = (pusher.count - pushed) * len(emsps)
    drained = await wait_delivered(emsps, before + total)
    hub_used, pg_used = hub_cpu(pusher.hub) - hub0, postgres_cpu(postmaster) - pg0
    core_1 = (own_cpu() - bench0 + pg_used) / (drained - started)
    overall = total / (drained - started)
    alone = (before + total - at_stop) / (drained - stopped) if drained > stopped else 0.0
    print(
        f"2. burst: {pusher.count - pushed} PATCHes as fast as the hub accepts (8 connections)"
        f" for {seconds:g} s: {(pusher.count - pushed) / (stopped - started):.0f} PATCH/s in\n"
        f"   {total} deliveries in {drained - started:.2f} s: {overall:.0f}/s ="
        f" {overall / PEAK:.2f} x 3,500/s; after pushing stopped {alone:.0f}/s ="
        f" {alone / PEAK:.2f} x 3,500/s\n"
        f"   hub CPU {hub_used / (drained - started) * 100:.0f} % of its core,"
        f" {hub_used / total * 1e6:.0f} us per delivery (ingest included):"
        f" {capacity(hub_used, total)}\n"
        f"   PostgreSQL {pg_used / total * 1e6:.0f} us per delivery; core 1 {core_1 * 100:.0f} %"
        " busy"
    )


async def claim_cost(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await conn.execute("TRUNCATE deliveries_delivered, outbox, outbox_queues")
        (up,) = [r["id"] for r in await conn.fetch("SELECT id FROM platforms LIMIT 1")]
        down = await conn.fetchval(
            "INSERT INTO platforms (status) VALUES ('REGISTERED') RETURNING id"
        )
        await _queue(conn, down, 100_000, "DOWN")
        await conn.execute("UPDATE outbox_queues SET next_attempt_at = now() + interval '1 day'")
        await _queue(conn, up, 5_000, "UP")
    results = {}
    for history in (1_000, 1_000_000):
        async with pool.acquire() as conn:
            await conn.execute("TRUNCATE deliveries_delivered")
            await conn.execute(
                "INSERT INTO deliveries_delivered SELECT g, $1, 'DE', 'EMA', 'XX', 'HUB',"
                " 'locations', 'RECEIVER', 'PATCH', '/NL/CPA/LOC1/EVSE1',"
                " '{\"status\": \"AVAILABLE\"}', 'c', 'locations/NL/CPA/LOC' || g || '/', 1,"
                " now() - interval '1 day', now() - interval '1 day' + g * interval '1 ms',"
                " NULL, NULL FROM generate_series(1, $2) g",
                up,
                history,
            )
            await conn.execute("VACUUM ANALYZE")
            timings = []
            for _ in range(200):
                transaction = conn.transaction()
                await transaction.start()
                started = time.perf_counter()
                claimed = await outbox.claim(conn, 64, 35.0, take=100, merge_after=60.0)
                timings.append(time.perf_counter() - started)
                await transaction.rollback()  # every run sees the same tables
                assert len(claimed) == 64
            results[history] = statistics.median(timings) * 1000
            if history == 1_000_000:
                plan = await conn.fetchval(
                    "EXPLAIN (FORMAT JSON) WITH due AS (SELECT receiver_platform_id, object_key"
                    " FROM outbox_queues WHERE next_attempt_at <= now()"
                    " ORDER BY next_attempt_at LIMIT 64 FOR UPDATE SKIP LOCKED) SELECT * FROM due"
                )
                tables = sorted(set(_relations(orjson.loads(plan)[0]["Plan"])))
    small, large = results[1_000], results[1_000_000]
    print(
        "3. claim of 64 queues (5,000 due; a down receiver's 100,000 changes waiting):"
        f" {small:.2f} ms with 1,000 delivered rows, {large:.2f} ms with 1,000,000;"
        f" ratio {large / small:.2f}; the due-queue scan reads {', '.join(tables)} only"
    )


async def _queue(conn: asyncpg.Connection, receiver: int, count: int, prefix: str) -> None:
    batch = [
        NewDelivery(
            receiver_platform_id=receiver,
            to_party=("DE", prefix[:3]),
            from_party=HUB,
            module="locations",
            interface="RECEIVER",
            method="PATCH",
            path=f"/NL/CPA/{prefix}{n}/EVSE1",
            body='{"status": "AVAILABLE", "last_updated": "2025-01-01T00:00:00Z"}',
            correlation_id="bench",
            object_key=f"locations/NL/CPA/{prefix}{n}/",
        )
        for n in range(count)
    ]
    for start in range(0, count, 10_000):
        async with conn.transaction():
            await outbox.enqueue(conn, batch[start : start + 10_000])


def _relations(node: dict[str, Any]) -> Any:
    if "Relation Name" in node:
        yield node["Relation Name"]
    for child in node.get("Plans", []):
        yield from _relations(child)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--emsps", type=int, default=50)
    parser.add_argument("--rate", type=float, default=70.0, help="PATCH/s in the peak phase")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--burst-seconds", type=float, default=10.0)
    parser.add_argument("--locations", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, help="OCPI_HUB_PUSH_CONCURRENCY of the hub")
    parser.add_argument("--hub-log", type=Path, help="keep the hub's log there")
    parser.add_argument("--profile", type=Path, help="py-spy the hub during both phases")
    parser.add_argument("--skip-claims", action="store_true")
    add_source_argument(parser)
    args = parser.parse_args()
    pin_to_load_core()
    env = {"OCPI_HUB_PUSH_CONCURRENCY": str(args.concurrency)} if args.concurrency else {}
    async with served_hub(args.hub_log, args.hub_source, **env) as hub:
        postmaster = await postmaster_of(hub.pool)
        cpo = await Peer("CPO", "NL", "CPA", ("locations", "SENDER")).start()
        emsps = [
            await Peer("EMSP", "DE", f"E{n:02d}", ("locations", "RECEIVER")).start()
            for n in range(args.emsps)
        ]
        try:
            async with aiohttp.ClientSession() as session:
                for party in (cpo, *emsps):
                    token_a = await hub.invite(party.role, *party.key)
                    await party.register(session, hub.versions_url, token_a)
            await seed_locations(hub.pool, args.locations)
            print(
                f"hub pid {hub.process.pid} on core 0; PostgreSQL, {args.emsps} eMSPs and the CPO"
                f" on core 1; {args.locations} Locations"
            )
            pusher = Pusher(hub, cpo, emsps, args.locations)
            try:
                async with profiled(hub, args.profile):
                    await peak(pusher, emsps, postmaster, args.rate, args.seconds)
                    await burst(pusher, emsps, postmaster, args.burst_seconds)
            finally:
                await pusher.close()
        finally:
            for party in (cpo, *emsps):
                await party.stop()
        hub.process.terminate()  # the claims below are measured without a worker of the hub's
        hub.process.wait(timeout=30)
        if not args.skip_claims:
            await claim_cost(hub.pool)


if __name__ == "__main__":
    asyncio.run(main())
