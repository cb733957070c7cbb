"""Plain numbered SQL migrations (`migrations/NNNN_name.sql`), applied in order, each once.

An advisory lock serialises concurrent `serve` processes starting on one database.
"""

from __future__ import annotations

from importlib import resources

from ocpi_hub.storage import Connection

_LOCK_KEY = 0x0C91_4B0B  # any constant shared by every ocpi-hub process


def available() -> list[tuple[int, str, str]]:
    """(number, name, sql) of every migration shipped with the package, in order."""
    found = []
    for entry in resources.files("ocpi_hub.storage.migrations").iterdir():
        if entry.name.endswith(".sql"):
            number = int(entry.name.split("_", 1)[0])
            found.append((number, entry.name, entry.read_text()))
    return sorted(found)


async def migrate(conn: Connection) -> list[str]:
    """Apply the migrations this database lacks; return the names applied."""
    applied: list[str] = []
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_KEY)
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}
        for number, name, sql in available():
            if number in done:
                continue
            await conn.execute(sql)
            await conn.execute(
                "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", number, name
            )
            applied.append(name)
    return applied
