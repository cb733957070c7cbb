"""Shared fixtures: one real PostgreSQL per test session, a clean database per test, and a real
hub served over loopback.

PostgreSQL is the embedded one (fsync off: tests need no durability across power loss) unless
OCPI_HUB_DATABASE_URL names a server, in which case each test's database is created there.
"""

from __future__ import annotations

import itertools
import logging
import os
import socket
from collections.abc import AsyncIterator, Iterator, MutableMapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
import structlog
from aiohttp import web

from ocpi_hub import logging as hub_logging
from ocpi_hub.core.handshake import new_token
from ocpi_hub.core.parties import Party, Role
from ocpi_hub.dialects import DEFAULT
from ocpi_hub.push.connect import connect
from ocpi_hub.settings import Settings
from ocpi_hub.storage.db import create_pool
from ocpi_hub.storage.embedded import EmbeddedPostgres
from ocpi_hub.storage.migrate import available, migrate
from ocpi_hub.storage.platform_cache import announce
from ocpi_hub.storage.repositories import platforms
from ocpi_hub.web.app import WORKER, create_app
from ocpi_hub.web.keys import CLIENT
from ocpi_hub.web.server import HubRunner

TEMPLATE = "ocpi_hub_test_template"
_numbers = itertools.count()

# Not cached: the `logs` fixture reconfigures structlog to capture what a test logs.
hub_logging.configure("console", os.environ.get("OCPI_HUB_TEST_LOG_LEVEL", "warning"), cache=False)


@pytest.fixture
def logs() -> Iterator[list[MutableMapping[str, Any]]]:
    """Every structlog event logged during the test, at every level: dicts with `event`,
    `log_level` and the event's fields."""
    wrapper = structlog.get_config()["wrapper_class"]
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG))
    try:
        with structlog.testing.capture_logs() as captured:
            yield captured
    finally:
        structlog.configure(wrapper_class=wrapper)


def with_database(dsn: str, database: str) -> str:
    """The same server DSN pointing at another database."""
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path="/" + database))


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Admin DSN of the test PostgreSQL server, with a migrated template database on it."""
    external = os.environ.get("OCPI_HUB_DATABASE_URL")
    embedded = None
    if external:
        admin = external
    else:
        embedded = EmbeddedPostgres(Path(tmp_path_factory.mktemp("pg")), fsync=False)
        admin = embedded.start()
    import asyncio

    async def prepare() -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)')
            await conn.execute(f'CREATE DATABASE "{TEMPLATE}"')
        finally:
            await conn.close()
        conn = await asyncpg.connect(with_database(admin, TEMPLATE))
        try:
            await migrate(conn)
        finally:
            await conn.close()

    asyncio.run(prepare())
    yield admin
    if embedded is not None:
        embedded.release()


@asynccontextmanager
async def database_before(pg_server: str, version: int) -> AsyncIterator[asyncpg.Connection]:
    """A connection to a fresh database holding the migrations numbered below `version`, as a
    hub of that age left it: for tests of what migration `version` does to stored data."""
    name = f"migrate_{version:04d}_{os.getpid()}"
    admin = await asyncpg.connect(pg_server)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    conn = await asyncpg.connect(with_database(pg_server, name))
    try:
        await conn.execute(
            "CREATE TABLE schema_migrations (version integer PRIMARY KEY,"
            " name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        for number, migration, sql in available():
            if number < version:
                await conn.execute(sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                    number,
                    migration,
                )
        yield conn
    finally:
        await conn.close()


@pytest.fixture
async def database_url(pg_server: str) -> AsyncIterator[str]:
    """A fresh, migrated database for one test, dropped afterwards."""
    name = f"t_{os.getpid()}_{next(_numbers)}"
    conn = await asyncpg.connect(pg_server)
    try:
        await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    finally:
        await conn.close()
    yield with_database(pg_server, name)
    conn = await asyncpg.connect(pg_server)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(database_url)
    yield pool
    await pool.close()


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def hub_settings(database_url: str, port: int, **overrides: object) -> Settings:
    """Settings for a hub under test: fast retries so tests never wait long."""
    base = Settings(
        database_url=database_url,
        host="127.0.0.1",
        port=port,
        country_code="XX",
        party_id="HUB",
        page_limit=50,
        forward_timeout=2.0,
        push_max_attempts=8,
        push_backoff_base=0.05,
        push_backoff_max=0.4,
        push_timeout=2.0,
        push_poll_interval=0.05,
        authorization_timeout=1.0,
        result_sweep_interval=0.05,
        liveness_silence=300.0,
        liveness_interval=0.05,
    )
    return base.with_overrides(**overrides)


async def invite(
    pool: asyncpg.Pool, hub: tuple[str, str], role: Role | str, country_code: str, party_id: str
) -> str:
    """What `ocpi-hub parties invite` does: a token A for one party identity."""
    token = new_token()
    async with pool.acquire() as conn:
        await platforms.invite(
            conn,
            token=token,
            name=f"{country_code}*{party_id}",
            party=Party.of(country_code, party_id, role),
            hub=hub,
        )
    return token


@dataclass
class RunningHub:
    """A hub served on loopback for one test."""

    settings: Settings
    pool: asyncpg.Pool
    app: web.Application
    runner: HubRunner

    @property
    def url(self) -> str:
        return self.settings.public_url

    @property
    def versions_url(self) -> str:
        return self.settings.versions_url

    async def invite(self, role: Role | str, country_code: str, party_id: str) -> str:
        """What `ocpi-hub parties invite` does: a token A for one party identity."""
        hub = (self.settings.country_code, self.settings.party_id)
        return await invite(self.pool, hub, role, country_code, party_id)

    async def connect(
        self, versions_url: str, token_a: str, dialect: str = DEFAULT, role: Role | None = None
    ) -> int:
        """What `ocpi-hub connect` does: register with the peer at `versions_url` using token A,
        through the hub's own client, as a peer speaking `dialect` (in `role` when it speaks
        only 2.1.1); returns the new platform's id."""
        async with self.pool.acquire() as conn:
            platform_id = await connect(
                conn,
                self.app[CLIENT],
                self.settings,
                versions_url=versions_url,
                token_a=token_a,
                dialect=dialect,
                role=role,
            )
        await announce(self.pool, platform_id)  # as the command does
        return platform_id

    async def stop(self) -> None:
        await self.runner.cleanup()


async def start_hub(database_url: str, **overrides: object) -> RunningHub:
    sock = free_socket()
    settings = hub_settings(database_url, sock.getsockname()[1], **overrides)
    pool = await create_pool(database_url)
    app = create_app(settings, pool)
    runner = HubRunner(app, settings)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    return RunningHub(settings, pool, app, runner)


@pytest.fixture
async def hub(database_url: str) -> AsyncIterator[RunningHub]:
    running = await start_hub(database_url)
    yield running
    await running.stop()
    await running.pool.close()


__all__ = ["WORKER", "RunningHub", "free_socket", "hub_settings", "start_hub"]
