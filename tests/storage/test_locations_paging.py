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


async def listed(conn: Any, owner: Owner | None = None) -> list[tuple[int, str]]:
    """(seq, id) of every stored Location (of `owner`), in creation order."""
    query = "SELECT seq, data->>'id' FROM objects WHERE module = 'locations'"
    args: list[str] = []
    if owner is not None:
        query += " AND country_code = $1 AND party_id = $2"
        args = list(owner)
    return [(r[0], r[1]) for r in await conn.fetch(query + " ORDER BY seq", *args)]


async def ids(conn: Any, owner: Owner | None = None) -> list[str]:
    return [object_id for _, object_id in await listed(conn, owner)]


def ids_of(found: objects.Page) -> list[str]:
    """The ids of a page's objects, in the order served; the count matches them."""
    served = [str(o["id"]) for o in json.loads(found.data)]
    assert found.count == len(served)
    return served


async def walk_by_links(conn: Any, limit: int, owner: Owner | None = None) -> list[str]:
    """Every row's id, following next_link (and its cursor) from the first page to the end."""
    served: list[int] = []
    page = parse_page_request({"limit": str(limit)}, max_limit=MAX_LIMIT)
    while True:
        found = await objects.page(conn, "locations", page, owner=owner)
        served += ids_of(found)
        link = next_link(
            BASE, page, returned=found.count, total=found.total, last_seq=found.last_seq
        )
        if link is None:
            return served
        assert len(served) <= found.total, "the walk serves more rows than the total"
        query = dict(parse_qsl(urlsplit(link.split(">")[0].lstrip("<")).query))
        page = parse_page_request(query, max_limit=MAX_LIMIT)
        assert page.after_seq == found.last_seq, "the next link carries a keyset cursor"


@pytest.mark.parametrize("owner", [None, CPA], ids=["all", "one owner"])
async def test_keyset_and_offset_give_the_same_pages(
    pool: asyncpg.Pool, owner: Owner | None
) -> None:
    """A page asked by cursor (seq > after_seq) equals the page at the same offset (§1.5)."""
    async with pool.acquire() as conn:
        await insert(conn, [CPA, CPB] * 12 + [CPA])
        rows = await listed(conn, owner)
        total = len(rows)
        after_seq = None
        for offset in range(0, total + 7, 7):
            by_offset = await objects.page(
                conn, "locations", request(offset=offset, limit=7), owner=owner
            )
            keyset = request(offset=offset, limit=7, after_seq=after_seq, total=total)
            by_keyset = await objects.page(conn, "locations", keyset, owner=owner)
            assert by_keyset == by_offset
            assert by_offset.total == total
            page_rows = rows[offset:][:7]
            assert ids_of(by_offset) == [object_id for _, object_id in page_rows]
            assert by_offset.last_seq == (page_rows[-1][0] if page_rows else None)
            after_seq = by_offset.last_seq or after_seq


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
        assert (await objects.page(conn, "locations", request(), owner=None)).total == 12
        await conn.execute("DELETE FROM objects WHERE seq = (SELECT max(seq) FROM objects)")
        assert await counter() == 11

        await conn.execute("UPDATE object_counts SET n = 999 WHERE module = 'locations'")
        assert (await objects.page(conn, "locations", request(), owner=None)).total == 999, (
            "read from the counter"
        )
        assert (await objects.page(conn, "locations", request(), owner=CPA)).total == 7, (
            "filtered: counted"
        )


async def test_owner_filter(pool: asyncpg.Pool) -> None:
    """Only the owner's rows, in creation order, with the owner's total (§5 GET All via Hub)."""
    async with pool.acquire() as conn:
        await insert(conn, [CPA, CPB, CPB, CPA, CPB, CPA, CPA])
        for owner, expected in ((CPA, 4), (CPB, 3)):
            found = await objects.page(conn, "locations", request(limit=3), owner=owner)
            assert found.total == expected
            assert ids_of(found) == (await ids(conn, owner))[:3]
            assert {tuple(o[k] for k in KEY) for o in json.loads(found.data)} == {owner}
            assert await walk_by_links(conn, 2, owner) == await ids(conn, owner)
        assert (await objects.page(conn, "locations", request(), owner=("NL", "XXX"))).total == 0


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

        assert await walk_by_links(conn, limit, filtered) == await ids(conn, filtered)


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
            (seq, f"OBJ{n}")
            for n, (seq, (row_owner, audience, day, _, deleted)) in enumerate(
                zip(all_seqs, rows, strict=True)
            )
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
            page_rows = expected[offset:][:limit]
            assert ids_of(by_offset) == [object_id for _, object_id in page_rows]
            assert by_offset.last_seq == (page_rows[-1][0] if page_rows else None)
            assert by_offset.total == len(expected)
            if offset % limit == 0:  # where a Link walk lands: the keyset page is the same
                keyset = request(
                    offset=offset, limit=limit, after_seq=after_seq, total=len(expected), **filters
                )
                by_keyset = await objects.page(conn, "sessions", keyset, owner=owner, viewer=viewer)
                assert by_keyset == by_offset
                after_seq = by_offset.last_seq or after_seq


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


@pytest.mark.parametrize("owner", [None, CPA], ids=["whole list", "one owner"])
async def test_a_page_and_its_total_are_one_statement(
    pool: asyncpg.Pool, owner: Owner | None
) -> None:
    """A first page and its X-Total-Count cost one round trip, filtered or not, past the end
    too (issue 7 §2), and come back as one JSON array of the stored objects in list order."""
    sent: list[str] = []

    def logged(record: Any) -> None:
        sent.append(record.query)

    async with rolled_back(pool) as conn:
        inserted = await insert(conn, [CPA] * 3)
        conn.add_query_logger(logged)
        try:
            found = await objects.page(conn, "locations", request(limit=2), owner=owner)
            await asyncio.sleep(0)  # query loggers are called from the loop, just after
            assert (found.count, found.total, len(sent)) == (2, 3, 1)
            assert ids_of(found) == inserted[:2]
            found = await objects.page(conn, "locations", request(offset=5), owner=owner)
            await asyncio.sleep(0)
            assert (found.data, found.count, found.last_seq, found.total, len(sent)) == (
                "[]",
                0,
                None,
                3,
                2,
            )
        finally:
            conn.remove_query_logger(logged)
