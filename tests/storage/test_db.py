"""The connection pool (storage/db.py): what a connection costs to hand back."""

from __future__ import annotations

import asyncio

import asyncpg


async def test_released_connections_keep_no_transaction(pool: asyncpg.Pool) -> None:
    """Connections return to the pool without a reset statement, yet a transaction left open
    is still rolled back before the next user gets the connection (storage/db.py)."""
    async with pool.acquire() as conn:
        await conn.execute("CREATE TABLE t (n int)")
    conn = await pool.acquire()
    await conn.execute("BEGIN")
    await conn.execute("INSERT INTO t VALUES (1)")
    await pool.release(conn)
    async with pool.acquire() as again:
        assert not again.is_in_transaction()
        assert await again.fetchval("SELECT count(*) FROM t") == 0


async def test_releasing_a_connection_sends_no_statement(pool: asyncpg.Pool) -> None:
    """Handing a connection back to the pool sends nothing to PostgreSQL: one round trip per
    use saved (asyncpg's default reset would send four statements)."""
    sent: list[str] = []
    async with pool.acquire() as conn:
        conn.add_query_logger(lambda record: sent.append(record.query))
        await conn.fetchval("SELECT 1")
    await asyncio.sleep(0)  # query loggers are called from the loop, just after the query
    assert sent == ["SELECT 1"]
