"""`ocpi-hub` as real processes: what operators run, driven by tests."""

from __future__ import annotations

import asyncio
import json
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from tests.conftest import free_socket


def hub_env(database_url: str | None, port: int, **extra: str) -> dict[str, str]:
    """The environment of a hub process under test: fast retries, JSON logs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCPI_HUB_")}
    env.update(
        OCPI_HUB_HOST="127.0.0.1",
        OCPI_HUB_PORT=str(port),
        OCPI_HUB_LOG_FORMAT="json",
        OCPI_HUB_PUSH_BACKOFF_BASE="0.05",
        OCPI_HUB_PUSH_BACKOFF_MAX="0.4",
        OCPI_HUB_PUSH_POLL_INTERVAL="0.05",
        OCPI_HUB_PUSH_TIMEOUT="2",
        OCPI_HUB_FORWARD_TIMEOUT="2",
    )
    if database_url is not None:
        env["OCPI_HUB_DATABASE_URL"] = database_url
    env.update(extra)
    return env


def cli(
    env: dict[str, str], *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run one `ocpi-hub` command to completion."""
    return subprocess.run(
        [sys.executable, "-m", "ocpi_hub", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@dataclass
class HubProcess:
    """`ocpi-hub serve` in a child process, its log in a file; `open_files` sets the child's
    open-file limit, soft and hard, as a service manager would."""

    env: dict[str, str]
    log_path: Path
    cwd: Path | None = None
    process: subprocess.Popen[bytes] | None = field(default=None)
    open_files: int | None = None

    @classmethod
    def on_free_port(
        cls, database_url: str | None, log_path: Path, cwd: Path | None = None, **extra: str
    ) -> HubProcess:
        sock = free_socket()
        port = sock.getsockname()[1]
        sock.close()
        return cls(hub_env(database_url, port, **extra), log_path, cwd)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.env['OCPI_HUB_PORT']}"

    async def start(self, timeout: float = 60.0) -> HubProcess:
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child owns it until it exits
        limit = self.open_files
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ocpi_hub", "serve"],
            env=self.env,
            cwd=self.cwd,
            stdout=log,
            stderr=log,
            preexec_fn=None
            if limit is None
            else lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit)),
        )
        log.close()
        process = self.process
        await wait_healthy(
            self.url,
            process.poll,
            timeout,
            failed=lambda why: f"hub {why}:\n{self.log_path.read_text()[-3000:]}",
        )
        return self

    def kill(self) -> None:
        """kill -9: no cleanup, no goodbye."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def terminate(self) -> int:
        """SIGTERM, as an orchestrator stops it; returns the exit code."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)

    def log_events(self) -> list[dict[str, object]]:
        events = []
        for line in self.log_path.read_text().splitlines():
            if line.startswith("{"):
                events.append(json.loads(line))
        return events


async def wait_healthy(
    url: str,
    exited: Callable[[], int | None],
    timeout: float,
    *,
    failed: Callable[[str], str] = lambda why: f"server {why}",
) -> None:
    """Poll GET `url`/health until it answers 200; AssertionError (with `failed(why)`) when the
    process `exited` first or the deadline passes."""
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while True:
            if exited() is not None:
                raise AssertionError(failed("exited early"))
            try:
                async with session.get(url + "/health") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(failed(f"not healthy in {timeout} s"))
            await asyncio.sleep(0.1)
