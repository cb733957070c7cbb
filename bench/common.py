"""What every benchmark sets up: an embedded PostgreSQL (fsync on, as in production) in a
temporary directory with a migrated database, and a hub served on loopback.

`bench_hub` runs the hub in the benchmark's own process (quick, but its CPU is mixed with the
load generator's). `served_hub` runs it as operators do, `ocpi-hub serve` in a process of its
own pinned to one core while everything else runs on the other, so the hub's CPU per request
can be read honestly from /proc/PID/stat (reference/performance.md B0).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from ocpi_hub.storage.embedded import EmbeddedPostgres
from ocpi_hub.storage.migrate import migrate
from tests.conftest import RunningHub, free_socket, invite, start_hub, with_database
from tests.e2e.fakes import FakeParty
from tests.e2e.processes import wait_healthy


@asynccontextmanager
async def bench_hub(**settings: object) -> AsyncIterator[tuple[RunningHub, str]]:
    """A hub with `settings` on a fresh database; yields it and the database's DSN."""
    async with bench_database() as dsn:
        conn = await asyncpg.connect(dsn)
        await migrate(conn)
        await conn.close()
        hub = await start_hub(dsn, **settings)
        try:
            yield hub, dsn
        finally:
            await hub.stop()
            await hub.pool.close()


@asynccontextmanager
async def bench_database() -> AsyncIterator[str]:
    """An empty database `bench` on a fresh embedded PostgreSQL (fsync on, as in production) in
    a temporary directory; yields its DSN."""
    with tempfile.TemporaryDirectory() as tmp:
        pg = EmbeddedPostgres(Path(tmp))
        admin = pg.start()
        try:
            conn = await asyncpg.connect(admin)
            await conn.execute("CREATE DATABASE bench")
            await conn.close()
            yield with_database(admin, "bench")
        finally:
            pg.release()


# ---- the hub as operators run it: its own process, its own core -----------------------------

HUB_CORE = 0  # the hub process runs alone on this core ...
LOAD_CORE = 1  # ... PostgreSQL, the fake parties and the load generator share this one.


def pin_to_load_core() -> None:
    """Pin this process (and what it starts later: PostgreSQL, fake parties) to LOAD_CORE, so
    the hub's core carries the hub alone. No-op on a one-core machine."""
    if len(os.sched_getaffinity(0)) > 1:
        os.sched_setaffinity(0, {LOAD_CORE})


@dataclass
class ServerProcess:
    """A server in a child process: where it listens, and the CPU it has used."""

    url: str
    process: subprocess.Popen[bytes]

    def cpu_seconds(self) -> tuple[float, float]:
        """User and system CPU the process has used so far (/proc/PID/stat, clock ticks)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        # After the ")" closing the command name: fields[11] is utime, fields[12] stime.
        tick = os.sysconf("SC_CLK_TCK")
        return int(fields[11]) / tick, int(fields[12]) / tick


@dataclass
class ServedHub(ServerProcess):
    """`ocpi-hub serve` in a child process pinned to HUB_CORE, on a benchmark database."""

    dsn: str
    pool: asyncpg.Pool
    country_code: str = "XX"
    party_id: str = "HUB"

    @property
    def versions_url(self) -> str:
        return f"{self.url}/ocpi/versions"

    async def invite(self, role: str, country_code: str, party_id: str) -> str:
        """What `ocpi-hub parties invite` does: a token A for one party identity."""
        return await invite(
            self.pool, (self.country_code, self.party_id), role, country_code, party_id
        )


@asynccontextmanager
async def served_hub(
    log_path: Path | None = None, source: Path | None = None, **env: str
) -> AsyncIterator[ServedHub]:
    """A hub process (`python -m ocpi_hub serve`, JSON logs at info, as in production, written
    to `log_path` or discarded) on a fresh embedded PostgreSQL with fsync on. `env` adds
    OCPI_HUB_* variables; `source` runs the hub from another checkout of the project (say, to
    compare before and after a change: `git archive main | tar -x -C DIR`). Call
    `pin_to_load_core()` first."""
    async with bench_database() as dsn:
        sock = free_socket()
        port = sock.getsockname()[1]
        sock.close()
        environment = {k: v for k, v in os.environ.items() if not k.startswith("OCPI_HUB_")}
        environment.update(
            OCPI_HUB_DATABASE_URL=dsn,
            OCPI_HUB_HOST="127.0.0.1",
            OCPI_HUB_PORT=str(port),
            OCPI_HUB_LOG_FORMAT="json",
            OCPI_HUB_LOG_LEVEL="info",
            **env,
        )
        log = open(log_path or os.devnull, "wb")  # noqa: SIM115 - the child owns it
        process = subprocess.Popen(
            [sys.executable, "-m", "ocpi_hub", "serve"],
            env=environment,
            cwd=source,  # `-m` imports the package from the working directory first
            stdout=log,
            stderr=log,
            preexec_fn=pin_to_hub_core,
        )
        log.close()
        pool = await asyncpg.create_pool(dsn, min_size=1, max_size=20)
        assert pool is not None
        hub = ServedHub(f"http://127.0.0.1:{port}", process, dsn, pool)
        try:
            await healthy(hub)
            yield hub
        finally:
            process.terminate()
            process.wait(timeout=30)
            await pool.close()


def pin_to_hub_core() -> None:
    """In a child process before exec: run on HUB_CORE only. The child inherits the parent's
    affinity, LOAD_CORE alone once `pin_to_load_core()` ran, so ask the machine, not the
    child, whether there is another core: checking the child's affinity left the hub on
    LOAD_CORE, sharing it with PostgreSQL and the load while HUB_CORE stayed idle."""
    if (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {HUB_CORE})


async def healthy(server: ServerProcess, timeout: float = 60.0) -> None:
    """Wait until the server answers GET /health with 200."""
    await wait_healthy(server.url, server.process.poll, timeout)


async def join(hub: ServedHub, party: FakeParty) -> FakeParty:
    """Register a started fake party with the hub (invitation, then the handshake)."""
    answer = await party.register_with(
        hub.versions_url, await hub.invite(party.role, party.country_code, party.party_id)
    )
    assert answer.status_code == 1000, answer.body
    return party


@dataclass
class Measured:
    """One load phase: latencies (ms, sorted), the server's CPU per request (µs, user and
    system), requests/s."""

    latencies: list[float]
    user_us: float
    system_us: float
    rate: float

    @property
    def cpu_us(self) -> float:
        return self.user_us + self.system_us

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies)

    @property
    def p99(self) -> float:
        return self.latencies[min(len(self.latencies) - 1, int(len(self.latencies) * 0.99))]


async def measure(
    hub: ServerProcess | None,
    call: Callable[[], Awaitable[object]],
    requests: int,
    concurrency: int,
) -> Measured:
    """Run `call` `requests` times with `concurrency` in flight; the hub's CPU (when given) is
    read from /proc before and after."""
    latencies: list[float] = []
    queue = iter(range(requests))

    async def worker() -> None:
        for _ in queue:
            started = time.perf_counter()
            await call()
            latencies.append((time.perf_counter() - started) * 1000)

    user0, system0 = hub.cpu_seconds() if hub else (0.0, 0.0)
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    user, system = hub.cpu_seconds() if hub else (0.0, 0.0)
    return Measured(
        sorted(latencies),
        (user - user0) / requests * 1e6,
        (system - system0) / requests * 1e6,
        requests / elapsed,
    )


def median_of(runs: list[Measured]) -> Measured:
    """The run with the median hub CPU per request."""
    return sorted(runs, key=lambda m: m.cpu_us)[len(runs) // 2]


@asynccontextmanager
async def profiled(hub: ServerProcess, output: Path | None) -> AsyncIterator[None]:
    """Sample the hub process with py-spy (`pip install py-spy`) while the block runs and write
    the collapsed stacks to `output` (flamegraph.pl or speedscope.app read them); nothing when
    `output` is None."""
    if output is None:
        yield
        return
    spy = subprocess.Popen(
        [
            shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy"),
            "record",
            "--pid",
            str(hub.process.pid),
            "--rate",
            "500",
            "--nonblocking",
            "--gil",
            "--format",
            "raw",
            "--output",
            str(output),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    await asyncio.sleep(1.0)  # py-spy attaches
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)
        spy.wait(timeout=60)
        print(f"  profile of the hub: {output}, {summarise_profile(output)}")


def summarise_profile(path: Path, top: int = 25) -> str:
    """The functions with the most samples anywhere on the stack (inclusive) and at its top
    (self), as text; frames present in nearly every sample (the event loop) are left out."""
    inclusive: dict[str, int] = {}
    own: dict[str, int] = {}
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        samples = int(count)
        total += samples
        frames = [re.sub(r":\d+\)$", ")", frame) for frame in stack.split(";")]
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + samples
        own[frames[-1]] = own.get(frames[-1], 0) + samples

    def ranked(counts: dict[str, int]) -> str:
        kept = [(f, n) for f, n in counts.items() if n < total * 0.9]
        best = sorted(kept, key=lambda item: -item[1])[:top]
        return "\n".join(f"    {n / total:6.1%}  {f}" for f, n in best)

    return f"{total} samples\n  inclusive:\n{ranked(inclusive)}\n  self:\n{ranked(own)}"


def add_source_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--hub-source",
        type=Path,
        help="run the hub from this checkout instead (e.g. `git archive main | tar -x -C DIR`)",
    )
