"""`objects.page` for Locations on real PostgreSQL (checklist §1.5; DESIGN.md decision 3):
keyset and offset pages agree, the unfiltered total is the trigger-kept counter, the owner
filter, and a walk by next links serves every row exactly once in creation order."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ocpi_hub.core.paging import PageRequest, next_link, parse_page_request
from ocpi_hub.core.types import parse_datetime
from ocpi_hub.storage import Connection
from ocpi_hub.storage.repositories import objects
from ocpi_hub.storage.repositories.objects import ObjectKey
from tests import factories

Owner = tuple[str, str]
CPA: Owner = ("NL", "CPA")
CPB: Owner = ("BE", "CPB")
BASE = "https://hub.example.com/ocpi/2.2.1/sender/locations"
MAX_LIMIT = 50
KEY = ("country_code", "party_id")


def request(**overrides: Any) -> PageRequest:
    return PageRequest(**{"limit": MAX_LIMIT, **overrides})


@asynccontextmanager
async def rolled_back(pool: asyncpg.Pool) -> AsyncIterator[Connection]:
    """A connection inside a transaction that is rolled back afterwards."""
    async with pool.acquire() as conn:
        transaction = conn.transaction()
        await transaction.start()
        try:
            yield conn
        finally:
            await transaction.rollback()


async def insert(conn: Any, owners: Sequence[Owner], prefix: str = "LOC") -> list[str]:
    """One Location per entry of `owners`, in that order; their ids ("<prefix><n>")."""
    ids = []
    for n, (country_code, party_id) in enumerate(owners):
        body = factories.location(country_code, party_id, f"{prefix}{n}", evse_count=0)
        key = ObjectKey("locations", (country_code, party_id), body["id"])
        await objects.upsert(conn, key, body, parse_datetime(body["last_updated"]))
        ids.append(body["id"])
    return ids


async def seqs(conn: Any, owner: Owner | None = None) -> list[int]:
    query = "SELECT seq FROM objects WHERE module = 'locations'"
    args: list[str] = []
    if owner is not None:
        query += " AND country_code = $1 AND party_id = $2"
        args = list(owner)
    return [r[0] for r in await conn.fetch(query + " ORDER BY seq", *args)]


async def walk_by_links(conn: Any, limit: int, owner: Owner | None = None) -> list[int]:
    """Every row's seq, following next_link (and its cursor) from the first page to the end."""
    served: list[int] = []
    page = parse_page_request({"limit": str(limit)}, max_limit=MAX_LIMIT)
    while True:
        rows, total = await objects.page(conn, "locations", page, owner=owner)
        served += [seq for seq, _ in rows]
        link = next_link(
            BASE, page, returned=len(rows), total=total, last_seq=rows[-1][0] if rows else None
        )
        if link is None:
            return served
        assert len(served) <= total, "the walk serves more rows than the total"
        query = dict(parse_qsl(urlsplit(link.split(">")[0].lstrip("<")).query))
        page = parse_page_request(query, max_limit=MAX_LIMIT)
        assert page.after_seq == served[-1], "the next link carries a keyset cursor"


@pytest.mark.parametrize("owner", [None, CPA], ids=["all", "one owner"])
async def test_keyset_and_offset_give_the_same_pages(
    pool: asyncpg.Pool, owner: Owner | None
) -> None:
    """A page asked by cursor (seq > after_seq) equals the page at the same offset (§1.5)."""
    async with pool.acquire() as conn:
        await insert(conn, [CPA, CPB] * 12 + [CPA])
        total = len(await seqs(conn, owner))
        after_seq = None
        for offset in range(0, total + 7, 7):
            by_offset = await objects.page(
                conn, "locations", request(offset=offset, limit=7), owner=owner
            )
            keyset = request(offset=offset, limit=7, after_seq=after_seq, total=total)
            by_keyset = await objects.page(conn, "locations", keyset, owner=owner)
            assert by_keyset == by_offset
            assert by_offset[1] == total
            assert [seq for seq, _ in by_offset[0]] == (await seqs(conn, owner))[offset:][:7]
            after_seq = by_offset[0][-1][0] if by_offset[0] else after_seq


async def test_unfiltered_total_is_the_trigger_kept_counter(pool: asyncpg.Pool) -> None:
    """The unfiltered total is object_counts, kept equal to count(*) by trigger (§1.5)."""
    async with pool.acquire() as conn:
        await insert(conn, [CPA] * 7 + [CPB] * 5)
        await insert(conn, [CPA] * 4)  # the same ids again: replaced, not added

        async def counter() -> int:
            return int(
                await conn.fetchval("SELECT n FROM object_counts WHERE module = 'locations'")
            )

        assert (
            await counter()
            == await conn.fetchval("SELECT count(*) FROM objects WHERE module = 'locations'")
            == 12
        )
        assert (await objects.page(conn, "locations", request(), owner=None))[1] == 12
        await conn.execute("DELETE FROM objects WHERE seq = (SELECT max(seq) FROM objects)")
        assert await counter() == 11

        await conn.execute("UPDATE object_counts SET n = 999 WHERE module = 'locations'")
        assert (await objects.page(conn, "locations", request(), owner=None))[1] == 999, (
            "read from the counter"
        )
        assert (await objects.page(conn, "locations", request(), owner=CPA))[1] == 7, (
            "filtered: counted"
        )


async def test_owner_filter(pool: asyncpg.Pool) -> None:
    """Only the owner's rows, in creation order, with the owner's total (§5 GET All via Hub)."""
    async with pool.acquire() as conn:
        await insert(conn, [CPA, CPB, CPB, CPA, CPB, CPA, CPA])
        for owner, expected in ((CPA, 4), (CPB, 3)):
            rows, total = await objects.page(conn, "locations", request(limit=3), owner=owner)
            assert total == expected
            assert [seq for seq, _ in rows] == (await seqs(conn, owner))[:3]
            assert {tuple(json.loads(text)[k] for k in KEY) for _, text in rows} == {owner}
            assert await walk_by_links(conn, 2, owner) == await seqs(conn, owner)
        assert (await objects.page(conn, "locations", request(), owner=("NL", "XXX")))[1] == 0


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    # Sizes drawn first: plain st.lists mostly yields a handful of rows, one or two pages.
    owners=st.integers(0, 60).flatmap(
        lambda n: st.lists(st.sampled_from([CPA, CPB]), min_size=n, max_size=n)
    ),
    limit=st.integers(min_value=1, max_value=12),
    filtered=st.sampled_from([None, CPA]),
)
async def test_walk_by_next_links_serves_each_row_once_in_order(
    pool: asyncpg.Pool, owners: list[Owner], limit: int, filtered: Owner | None
) -> None:
    """Any rows, any limit: the Link walk yields each row once, in seq order (§1.5)."""
    async with rolled_back(pool) as conn:
        await conn.execute("DELETE FROM objects")
        await insert(conn, owners)

        assert await walk_by_links(conn, limit, filtered) == await seqs(conn, filtered)


# ---- Offset pages at depth: found through objects_list, identical to keyset pages -------------

EMA: Owner = ("DE", "EMA")
EMB: Owner = ("DE", "EMB")
TIMES = [datetime(2024, 1, day, tzinfo=UTC) for day in range(1, 6)]
# A row as the property test draws it: its owner, its audience (None: not personal), its day,
# how far its seq jumps past the last one (so rows fall in different ranges of object_buckets,
# 4,096 seqs each, some left empty), and whether it is deleted again before the pages are read.
Row = tuple[Owner, Owner | None, int, int, bool]
SEQ_JUMPS = st.sampled_from([1, 1, 1, 2, 4095, 4096, 9000])


async def insert_rows(conn: Any, module: str, rows: Sequence[Row]) -> list[int]:
    """One stored object per row, in order, then the deleted ones deleted; every row's seq."""
    inserted = []
    for n, (owner, audience, day, jump, _) in enumerate(rows):
        last = await conn.fetchval("SELECT coalesce(max(seq), 0) FROM objects")
        await conn.execute(
            "SELECT setval(pg_get_serial_sequence('objects', 'seq'), $1)", last + jump
        )
        key = ObjectKey(module, owner, f"OBJ{n}")
        await objects.upsert(conn, key, {"id": f"OBJ{n}"}, TIMES[day], audience)
        inserted.append((key, await conn.fetchval("SELECT max(seq) FROM objects")))
    for (key, _), row in zip(inserted, rows, strict=True):
        if row[4]:
            assert await objects.delete(conn, key)
    return [seq for _, seq in inserted]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    rows=st.integers(0, 40).flatmap(
        lambda n: st.lists(
            st.tuples(
                st.sampled_from([CPA, CPB]),
                st.sampled_from([None, EMA, EMB]),
                st.integers(0, len(TIMES) - 1),
                SEQ_JUMPS,
                st.booleans(),
            ),
            min_size=n,
            max_size=n,
        )
    ),
    owner=st.sampled_from([None, CPA, CPB]),
    viewer=st.sampled_from([None, [EMA], [CPA], [CPB, EMB], [EMA, EMA]]),
    date_from=st.sampled_from([None, *range(len(TIMES))]),
    date_to=st.sampled_from([None, *range(len(TIMES))]),
    limit=st.integers(min_value=1, max_value=9),
)
async def test_offset_pages_equal_keyset_pages_for_any_filters(
    pool: asyncpg.Pool,
    rows: list[Row],
    owner: Owner | None,
    viewer: list[Owner] | None,
    date_from: int | None,
    date_to: int | None,
    limit: int,
) -> None:
    """Any rows, filters and offset: the offset page equals the keyset page and the list (§1.5)."""
    async with rolled_back(pool) as conn:
        await conn.execute("DELETE FROM objects")
        all_seqs = await insert_rows(conn, "sessions", rows)
        expected = [
            seq
            for seq, (row_owner, audience, day, _, deleted) in zip(all_seqs, rows, strict=True)
            if not deleted
            and (owner is None or row_owner == owner)
            and (viewer is None or row_owner in viewer or audience in viewer)
            and (date_from is None or day >= date_from)
            and (date_to is None or day < date_to)
        ]
        filters: dict[str, Any] = {
            "date_from": None if date_from is None else TIMES[date_from],
            "date_to": None if date_to is None else TIMES[date_to],
        }
        after_seq = None
        for offset in range(0, len(expected) + limit + 1):
            by_offset = await objects.page(
                conn,
                "sessions",
                request(offset=offset, limit=limit, **filters),
                owner=owner,
                viewer=viewer,
            )
            assert [seq for seq, _ in by_offset[0]] == expected[offset:][:limit]
            assert by_offset[1] == len(expected)
            if offset % limit == 0:  # where a Link walk lands: the keyset page is the same
                keyset = request(
                    offset=offset, limit=limit, after_seq=after_seq, total=len(expected), **filters
                )
                by_keyset = await objects.page(conn, "sessions", keyset, owner=owner, viewer=viewer)
                assert by_keyset == by_offset
                after_seq = by_offset[0][-1][0] if by_offset[0] else after_seq


@pytest.mark.parametrize(
    ("owner", "viewer", "dated"),
    [(None, None, False), (None, None, True), (CPA, None, False), (None, [EMA, CPB], True)],
    ids=["whole list", "dated", "one owner", "personal, dated"],
)
async def test_offset_is_found_by_an_index_only_scan_in_list_order(
    pool: asyncpg.Pool, owner: Owner | None, viewer: list[Owner] | None, dated: bool
) -> None:
    """A page at an offset is found in list order without the heap or a sort, whatever the
    filters (the whole list through object_buckets first); checklist §1.5."""
    async with pool.acquire() as conn:
        rows: list[Row] = [(CPA, EMA, 1, 4000, False), (CPB, None, 2, 1, False)] * 20
        await insert_rows(conn, "sessions", rows)
        await conn.execute("VACUUM ANALYZE objects")
        # A table this small would be read whole; what is checked is that the index can serve it.
        await conn.execute("SET enable_seqscan = off; SET enable_bitmapscan = off")
        await conn.execute("SET enable_sort = off")
        filters = {"date_from": TIMES[1]} if dated else {}
        query = objects.page_query(
            "sessions", request(offset=30, limit=5, **filters), owner=owner, viewer=viewer
        )
        plan = "\n".join(r[0] for r in await conn.fetch("EXPLAIN " + query.statement, *query.args))
        assert "Index Only Scan using objects_list" in plan, plan
        assert "Sort" not in plan, plan
        whole = owner is None and viewer is None and not dated
        assert ("object_buckets" in plan) == whole, plan


async def test_object_buckets_count_what_objects_holds(pool: asyncpg.Pool) -> None:
    """The per-range counts follow inserts, deletes and TRUNCATE, as object_counts does."""
    async with pool.acquire() as conn:
        rows: list[Row] = [(CPA, None, 0, 3000, n % 3 == 0) for n in range(12)]
        await insert_rows(conn, "locations", rows)

        async def buckets() -> list[tuple[int, int]]:
            query = "SELECT first_seq, n FROM object_buckets WHERE n > 0 ORDER BY first_seq"
            return [(r[0], r[1]) for r in await conn.fetch(query)]

        counted = await conn.fetch(
            "SELECT seq >> 12 << 12 AS first_seq, count(*) AS n FROM objects GROUP BY 1 ORDER BY 1"
        )
        assert await buckets() == [(r[0], r[1]) for r in counted]
        assert sum(n for _, n in await buckets()) == 8
        await conn.execute("TRUNCATE objects")
        assert await buckets() == []
        assert await conn.fetchval("SELECT count(*) FROM object_counts") == 0


async def test_an_unfiltered_page_and_its_total_are_one_statement(pool: asyncpg.Pool) -> None:
    """The first page of a whole list and its X-Total-Count cost one round trip (issue 7 §2);
    past the end, where no row carries the total, it is asked for alone and still right."""
    sent: list[str] = []

    def logged(record: Any) -> None:
        sent.append(record.query)

    async with rolled_back(pool) as conn:
        await insert(conn, [CPA] * 3)
        conn.add_query_logger(logged)
        try:
            rows, total = await objects.page(conn, "locations", request(limit=2), owner=None)
            await asyncio.sleep(0)  # query loggers are called from the loop, just after
            assert (len(rows), total, len(sent)) == (2, 3, 1)
            rows, total = await objects.page(conn, "locations", request(offset=5), owner=None)
            await asyncio.sleep(0)
            assert (rows, total, len(sent)) == ([], 3, 3)
        finally:
            conn.remove_query_logger(logged)
