"""Client-owned OCPI objects of every module as stored JSON (DESIGN.md decisions 2-3).

An object is known by (module, owner, id, kind): the owner is the party in its country_code/
party_id, `kind` is a Token's type and empty elsewhere. Ids compare case-insensitively. Reads take
a `viewer` where the module holds personal data: such an object is visible only to its owner and
to the party it is addressed to (its `audience`); and, where agreements restrict the reader, the
owners it trades with (`visible`, core.agreements).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from ocpi_hub.core.agreements import Visible
from ocpi_hub.core.paging import PageRequest
from ocpi_hub.storage import Connection, Executor

PartyKey = tuple[str, str]


@dataclass(frozen=True)
class ObjectKey:
    module: str
    owner: PartyKey
    id: str
    kind: str = ""

    def args(self) -> tuple[str, str, str, str, str]:
        return (
            self.module,
            self.owner[0].upper(),
            self.owner[1].upper(),
            self.id.upper(),
            self.kind,
        )


def party_text(party: PartyKey) -> str:
    return f"{party[0]}*{party[1]}".upper()


_INSERT = (
    "INSERT INTO objects (module, country_code, party_id, id, kind, last_updated, data, audience)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8)"
)
_KEY = "module = $1 AND country_code = $2 AND party_id = $3 AND id = $4 AND kind = $5"


async def get(conn: Executor, key: ObjectKey, *, for_update: bool = False) -> dict[str, Any] | None:
    """The stored object; row-locked until the transaction ends when `for_update`."""
    lock = " FOR UPDATE" if for_update else ""
    raw = await conn.fetchval(f"SELECT data::text FROM objects WHERE {_KEY}{lock}", *key.args())
    return orjson.loads(raw) if raw is not None else None


async def upsert(
    conn: Connection,
    key: ObjectKey,
    data: Any,
    last_updated: datetime,
    audience: PartyKey | None = None,
) -> bool:
    """Store an object as sent; True when it was new."""
    created: bool = await conn.fetchval(
        _INSERT + " ON CONFLICT (module, country_code, party_id, id, kind) DO UPDATE SET"
        " last_updated = excluded.last_updated, data = excluded.data,"
        " audience = coalesce(excluded.audience, objects.audience)"
        " RETURNING xmax = 0",
        *key.args(),
        last_updated,
        orjson.dumps(data).decode(),
        party_text(audience) if audience else None,
    )
    return created


async def insert(
    conn: Connection,
    key: ObjectKey,
    data: Any,
    last_updated: datetime,
    audience: PartyKey | None = None,
) -> bool:
    """Store an object that must be new (CDRs are immutable); False when it exists already."""
    inserted = await conn.fetchval(
        _INSERT + " ON CONFLICT DO NOTHING RETURNING seq",
        *key.args(),
        last_updated,
        orjson.dumps(data).decode(),
        party_text(audience) if audience else None,
    )
    return inserted is not None


async def delete(conn: Executor, key: ObjectKey) -> bool:
    result: str = await conn.execute(f"DELETE FROM objects WHERE {_KEY}", *key.args())
    return result != "DELETE 0"


async def of_owner(
    conn: Executor, module: str, owner: PartyKey
) -> list[tuple[ObjectKey, dict[str, Any]]]:
    """Every stored `module` object of `owner`, in creation order."""
    rows = await conn.fetch(
        "SELECT id, kind, data::text FROM objects"
        " WHERE module = $1 AND country_code = $2 AND party_id = $3 ORDER BY seq",
        module,
        owner[0].upper(),
        owner[1].upper(),
    )
    return [(ObjectKey(module, owner, r[0], r[1]), orjson.loads(r[2])) for r in rows]


async def find_one(
    conn: Executor, module: str, owner: PartyKey, field: str, value: str
) -> dict[str, Any] | None:
    """The latest `module` object of `owner` whose top-level `field` is `value` (a Session by
    its authorization_reference); not indexed: for rare lookups only."""
    raw = await conn.fetchval(
        "SELECT data::text FROM objects WHERE module = $1 AND country_code = $2"
        " AND party_id = $3 AND data->>$4 = $5 ORDER BY seq DESC LIMIT 1",
        module,
        owner[0].upper(),
        owner[1].upper(),
        field,
        value,
    )
    return orjson.loads(raw) if raw is not None else None


async def token_by_contract(conn: Executor, contract_id: str) -> dict[str, Any] | None:
    """The latest stored Token with this contract id, of whichever eMSP (a 2.1.1 `auth_id`)."""
    raw = await conn.fetchval(
        "SELECT data::text FROM objects WHERE module = 'tokens'"
        " AND upper(data->>'contract_id') = upper($1) ORDER BY seq DESC LIMIT 1",
        contract_id,
    )
    return orjson.loads(raw) if raw is not None else None


async def any_of_owner(conn: Executor, module: str, owner: PartyKey) -> bool:
    """Whether the hub holds any `module` object of `owner`."""
    found = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM objects"
        " WHERE module = $1 AND country_code = $2 AND party_id = $3)",
        module,
        owner[0].upper(),
        owner[1].upper(),
    )
    return bool(found)


def _filters(
    module: str,
    owner: PartyKey | None,
    viewer: Collection[PartyKey] | None,
    args: list[Any],
    visible: Visible | None = None,
) -> list[str]:
    args.append(module)
    where = ["module = $1"]
    if owner is not None:
        args += [owner[0].upper(), owner[1].upper()]
        where.append(f"country_code = ${len(args) - 1} AND party_id = ${len(args)}")
    if viewer is not None:
        args.append([party_text(p) for p in viewer])
        where.append(
            f"(country_code || '*' || party_id = ANY(${len(args)}) OR audience = ANY(${len(args)}))"
        )
    if visible is not None:
        if visible.only is not None:
            args.append(sorted(party_text(p) for p in visible.only))
            where.append(f"country_code || '*' || party_id = ANY(${len(args)})")
        if visible.but:
            args.append(sorted(party_text(p) for p in visible.but))
            where.append(f"country_code || '*' || party_id <> ALL(${len(args)})")
    return where


async def find(
    conn: Executor,
    module: str,
    object_id: str,
    *,
    owner: PartyKey | None = None,
    kind: str | None = None,
    viewer: Collection[PartyKey] | None = None,
    visible: Visible | None = None,
) -> list[dict[str, Any]]:
    """Objects with this id (of one owner when given) that `viewer` may see, of the owners
    `visible` lets it see; at most two, enough to tell a unique match from an ambiguous one
    (ids are unique per owner only)."""
    args: list[Any] = []
    where = _filters(module, owner, viewer, args, visible)
    args.append(object_id.upper())
    where.append(f"id = ${len(args)}")
    if kind is not None:
        args.append(kind)
        where.append(f"kind = ${len(args)}")
    rows = await conn.fetch(
        f"SELECT data::text FROM objects WHERE {' AND '.join(where)} ORDER BY seq LIMIT 2", *args
    )
    return [orjson.loads(r[0]) for r in rows]


@dataclass(frozen=True)
class PageQuery:
    """The SQL of one page: one statement, its args."""

    statement: str
    args: list[Any]


@dataclass(frozen=True)
class Page:
    """One page of a list: its stored objects as one JSON array text in list order, how many
    it holds, the sequence number of its last (None when empty), and the list's total for the
    filters."""

    data: str
    count: int
    last_seq: int | None
    total: int


# A module's whole-list total, kept by trigger ($1 the module).
_COUNTER = "SELECT n FROM object_counts WHERE module = $1"


def _seq_at_offset(offset: str) -> str:
    """The seq at `offset` in a module's whole list ($1 the module), NULL past the end: the
    first range of object_buckets whose running total passes the offset, then a walk of at most
    4,095 index entries inside that range."""
    return f"""(
    SELECT (SELECT o.seq FROM objects o WHERE o.module = $1 AND o.seq >= b.first_seq
             ORDER BY o.seq OFFSET {offset} - (b.upto - b.n) LIMIT 1)
      FROM (SELECT first_seq, n, sum(n) OVER (ORDER BY first_seq) AS upto
              FROM object_buckets WHERE module = $1) b
     WHERE b.upto > {offset} ORDER BY b.first_seq LIMIT 1)"""


def page_query(
    module: str,
    request: PageRequest,
    *,
    owner: PartyKey | None = None,
    viewer: Collection[PartyKey] | None = None,
    visible: Visible | None = None,
) -> PageQuery:
    """What `page` runs: one statement, so one round trip and one snapshot, answering one row.

    The rows of the page are found as OFFSET would find them: at an offset, the seq there, then
    the page by keyset from it (past the end that seq is NULL and the page empty). A whole list
    finds the seq through object_buckets; a filtered one by an index-only scan of objects_list,
    which carries every column filtered on (0008). The rows come back spliced by PostgreSQL
    into one JSON array text (DESIGN.md decision 2), with their count, the last seq and the
    total beside them:
    a cursor's total as given, the trigger-kept counter for a whole list, a count otherwise."""
    args: list[Any] = []
    where = _filters(module, owner, viewer, args, visible)
    if request.date_from is not None:
        args.append(request.date_from)
        where.append(f"last_updated >= ${len(args)}")
    if request.date_to is not None:
        args.append(request.date_to)
        where.append(f"last_updated < ${len(args)}")
    filters, whole = " AND ".join(where), len(args) == 1
    if request.after_seq is not None:
        args.append(request.after_seq)
        where.append(f"seq > ${len(args)}")
    elif request.offset > 0:
        args.append(request.offset)
        if whole:
            where.append(f"seq >= {_seq_at_offset(f'${len(args)}')}")
        else:
            where.append(
                f"seq >= (SELECT seq FROM objects WHERE {filters}"
                f" ORDER BY seq OFFSET ${len(args)} LIMIT 1)"
            )
    args.append(request.limit)
    if request.total is not None:
        total = "NULL::bigint"
    elif whole:
        total = f"coalesce(({_COUNTER}), 0)"
    else:
        total = f"(SELECT count(*) FROM objects WHERE {filters})"
    statement = (
        "SELECT '[' || coalesce(string_agg(data, ',' ORDER BY seq), '') || ']',"
        f" count(*), max(seq), {total}"
        f" FROM (SELECT seq, data::text AS data FROM objects WHERE {' AND '.join(where)}"
        f" ORDER BY seq LIMIT ${len(args)}) page"
    )
    return PageQuery(statement, args)


async def page(
    conn: Executor,
    module: str,
    request: PageRequest,
    *,
    owner: PartyKey | None = None,
    viewer: Collection[PartyKey] | None = None,
    visible: Visible | None = None,
) -> Page:
    """One page of stored objects in creation order, and the total for the filters, in one
    statement (see `page_query`). With a cursor the page starts after its sequence number
    (keyset) and the total is the cursor's; a page at an `offset` holds the rows OFFSET would
    give, found without reading the objects before it (README, "Pagination"; migration 0008).
    """
    query = page_query(module, request, owner=owner, viewer=viewer, visible=visible)
    row = await conn.fetchrow(query.statement, *query.args)
    assert row is not None  # an aggregate answers one row, even over no rows
    data, count, last_seq, counted = row
    total = request.total if request.total is not None else int(counted)
    return Page(data, count, last_seq, total)
