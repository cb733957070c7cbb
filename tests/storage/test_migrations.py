"""Numbered migrations applied to a database that already holds data."""

from __future__ import annotations

import orjson

from ocpi_hub.storage.migrate import migrate
from tests import factories
from tests.conftest import database_before


async def test_0002_moves_stored_locations_into_objects(pg_server: str) -> None:
    """Locations stored under 0001 keep their order, data and count after 0002 (no data lost)."""
    async with database_before(pg_server, 2) as conn:
        for n in range(3):
            body = factories.location(id=f"LOC{n}")
            await conn.execute(
                "INSERT INTO locations (country_code, party_id, id, last_updated, data)"
                " VALUES ('NL', 'CPO', $1, now(), $2::jsonb)",
                f"LOC{n}",
                orjson.dumps(body).decode(),
            )
        applied = await migrate(conn)
        assert "0002_objects.sql" in applied
        rows = await conn.fetch("SELECT id, module, data FROM objects ORDER BY seq")
        assert [(r["id"], r["module"]) for r in rows] == [
            (f"LOC{n}", "locations") for n in range(3)
        ]
        assert orjson.loads(rows[0]["data"])["id"] == "LOC0"
        assert await conn.fetchval("SELECT n FROM object_counts WHERE module = 'locations'") == 3
        assert await conn.fetchval("SELECT to_regclass('locations')") is None


async def test_0008_counts_stored_objects_by_range_of_seq(pg_server: str) -> None:
    """Objects stored before 0008 are counted into object_buckets (offset pages rely on them)."""
    async with database_before(pg_server, 8) as conn:
        for n, seq in enumerate([5, 4095, 4096, 20000]):
            await conn.execute(
                "INSERT INTO objects (seq, module, country_code, party_id, id, last_updated, data)"
                " VALUES ($1, 'locations', 'NL', 'CPO', $2, now(), '{}')",
                seq,
                f"LOC{n}",
            )

        assert "0008_list_order.sql" in await migrate(conn)

        buckets = await conn.fetch("SELECT module, first_seq, n FROM object_buckets ORDER BY 2")
        assert [tuple(r) for r in buckets] == [
            ("locations", 0, 2),
            ("locations", 4096, 1),
            ("locations", 16384, 1),
        ]
