"""The database: an external PostgreSQL from OCPI_HUB_DATABASE_URL, or the embedded one."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from ocpi_hub.settings import Settings
from ocpi_hub.storage.embedded import EmbeddedPostgres
from ocpi_hub.storage.migrate import migrate

EMBEDDED_DATABASE = "ocpi_hub"


async def create_pool(dsn: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    """A pool whose connections are handed back without a reset statement.

    asyncpg's default reset runs `pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`
    at every release: one more round trip per statement run on the pool. Nothing here leaves
    session state behind to reset: advisory locks are transaction-scoped
    (`pg_advisory_xact_lock`), cursors live in transactions, nothing SETs a session variable
    (the platform cache's listener names its session and unnames it before release), and
    whoever LISTENs removes its listener before releasing the connection. asyncpg still rolls
    back a transaction left open and drops the listener callbacks at every release. Keep it
    that way: SET LOCAL, not SET.

    Idle connections are kept (no inactivity lifetime): closing them saved nothing worth a
    timer armed and cancelled at every acquire and release.
    """
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        reset=_nothing_to_reset,
        max_inactive_connection_lifetime=0,
    )
    assert pool is not None
    return pool


async def _nothing_to_reset(conn: asyncpg.Connection) -> None:
    """See `create_pool`."""


async def ping(pool: asyncpg.Pool, timeout: float) -> None:
    """One round trip to the database, bounded by `timeout` seconds (a free pool connection
    included); raises what asyncpg raises, or TimeoutError."""
    async with asyncio.timeout(timeout), pool.acquire() as conn:
        await conn.fetchval("SELECT 1")


async def companion_pool(pool: asyncpg.Pool, max_size: int) -> asyncpg.Pool:
    """A small pool of its own on the database `pool` connects to, for a reader that code
    holding one of `pool`'s connections waits for (the platform cache): were it to read on
    `pool`, callers holding every connection of it while waiting for that reader would wait
    forever. Connections are opened when first needed."""
    # asyncpg keeps a pool's connect arguments but has no public accessor for them (0.32).
    args = pool._connect_args  # type: ignore[attr-defined]
    kwargs = pool._connect_kwargs  # type: ignore[attr-defined]
    companion = await asyncpg.create_pool(
        *args,
        min_size=0,
        max_size=max_size,
        reset=_nothing_to_reset,
        max_inactive_connection_lifetime=0,
        **kwargs,
    )
    assert companion is not None
    return companion


@asynccontextmanager
async def open_database(
    settings: Settings, *, apply_migrations: bool = True
) -> AsyncIterator[asyncpg.Pool]:
    """Yield a pool on the configured database, migrated; start/stop the embedded one as needed."""
    embedded: EmbeddedPostgres | None = None
    dsn = settings.database_url
    if dsn is None:
        embedded = EmbeddedPostgres(settings.data_dir)
        admin_dsn = embedded.start()
        await _ensure_database(admin_dsn, EMBEDDED_DATABASE)
        dsn = embedded.dsn(EMBEDDED_DATABASE)
    try:
        pool = await create_pool(dsn)
        try:
            if apply_migrations:
                async with pool.acquire() as conn:
                    await migrate(conn)
            yield pool
        finally:
            await pool.close()
    finally:
        if embedded is not None:
            embedded.release()


async def _ensure_database(admin_dsn: str, name: str) -> None:
    conn = await asyncpg.connect(admin_dsn)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            # Another process may create it at the same moment.
            with contextlib.suppress(asyncpg.DuplicateDatabaseError):
                await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
