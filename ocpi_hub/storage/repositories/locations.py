"""Locations as stored JSON plus the columns pages and lookups need (DESIGN.md decisions 2-3)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from ocpi_hub.core.paging import PageRequest
from ocpi_hub.storage import Connection, Executor

PartyKey = tuple[str, str]


async def get_for_update(
    conn: Connection, country_code: str, party_id: str, location_id: str
) -> dict[str, Any] | None:
    """The stored Location, row-locked until the transaction ends (PATCHes do not interleave)."""
    raw = await conn.fetchval(
        "SELECT data::text FROM locations WHERE country_code = $1 AND party_id = $2 AND id = $3"
        " FOR UPDATE",
        country_code.upper(),
        party_id.upper(),
        location_id.upper(),
    )
    return orjson.loads(raw) if raw is not None else None


async def upsert(conn: Connection, data: dict[str, Any], last_updated: datetime) -> bool:
    """Store a Location (as sent); True when it was new."""
    created: bool = await conn.fetchval(
        "INSERT INTO locations (country_code, party_id, id, last_updated, data)"
        " VALUES ($1, $2, $3, $4, $5::jsonb)"
        " ON CONFLICT (country_code, party_id, id)"
        " DO UPDATE SET last_updated = excluded.last_updated, data = excluded.data"
        " RETURNING xmax = 0",
        str(data["country_code"]).upper(),
        str(data["party_id"]).upper(),
        str(data["id"]).upper(),
        last_updated,
        orjson.dumps(data).decode(),
    )
    return created


async def find(conn: Executor, location_id: str, owner: PartyKey | None) -> list[dict[str, Any]]:
    """Locations with this id, of one owner when given (ids are unique per CPO only)."""
    query = "SELECT data::text FROM locations WHERE id = $1"
    args: list[Any] = [location_id.upper()]
    if owner is not None:
        query += " AND country_code = $2 AND party_id = $3"
        args += list(owner)
    rows = await conn.fetch(query + " ORDER BY seq LIMIT 2", *args)
    return [orjson.loads(r[0]) for r in rows]


async def page(
    conn: Executor, request: PageRequest, owner: PartyKey | None
) -> tuple[list[tuple[int, str]], int]:
    """One page of (seq, stored JSON text) in creation order, and the total for the filters.

    With a cursor the page starts after its sequence number (keyset) and the total comes from it;
    otherwise OFFSET, and the total from the trigger-kept counter when nothing is filtered.
    """
    where: list[str] = ["TRUE"]
    args: list[Any] = []
    if request.date_from is not None:
        args.append(request.date_from)
        where.append(f"last_updated >= ${len(args)}")
    if request.date_to is not None:
        args.append(request.date_to)
        where.append(f"last_updated < ${len(args)}")
    if owner is not None:
        args += list(owner)
        where.append(f"country_code = ${len(args) - 1} AND party_id = ${len(args)}")
    filters = " AND ".join(where)

    total = request.total
    if total is None:
        if len(args) == 0:
            total = await conn.fetchval("SELECT n FROM object_counts WHERE module = 'locations'")
        else:
            total = await conn.fetchval(f"SELECT count(*) FROM locations WHERE {filters}", *args)
    assert total is not None

    offset = request.offset
    if request.after_seq is not None:
        args.append(request.after_seq)
        where.append(f"seq > ${len(args)}")
        offset = 0
    args += [offset, request.limit]
    rows = await conn.fetch(
        f"SELECT seq, data::text FROM locations WHERE {' AND '.join(where)}"
        f" ORDER BY seq OFFSET ${len(args) - 1} LIMIT ${len(args)}",
        *args,
    )
    return [(r[0], r[1]) for r in rows], int(total)
