"""What every benchmark sets up: an embedded PostgreSQL (fsync on, as in production) in a
temporary directory with a migrated database, and a hub served on loopback."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg

from ocpi_hub.storage.embedded import EmbeddedPostgres
from ocpi_hub.storage.migrate import migrate
from tests.conftest import RunningHub, start_hub, with_database


@asynccontextmanager
async def bench_hub(**settings: object) -> AsyncIterator[tuple[RunningHub, str]]:
    """A hub with `settings` on a fresh database; yields it and the database's DSN."""
    with tempfile.TemporaryDirectory() as tmp:
        pg = EmbeddedPostgres(Path(tmp))
        admin = pg.start()
        try:
            conn = await asyncpg.connect(admin)
            await conn.execute("CREATE DATABASE bench")
            await conn.close()
            dsn = with_database(admin, "bench")
            conn = await asyncpg.connect(dsn)
            await migrate(conn)
            await conn.close()
            hub = await start_hub(dsn, **settings)
            try:
                yield hub, dsn
            finally:
                await hub.stop()
                await hub.pool.close()
        finally:
            pg.release()
