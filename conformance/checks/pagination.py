"""Pagination of every Sender list the endpoint offers for the role under test
(transport_and_format §1.5; checklist §1.5): the headers, `limit`, `Link` only while more
follow, `offset`, and a full walk with a small page size (the date filters are in
`pagination_filters.py`).

The lists are read as they are: a list with fewer than two objects cannot show paging, and the
checks say NOT_APPLICABLE rather than pass on nothing. Seed the endpoint with data first (or
run against one that has some) for these to mean something.
"""

from __future__ import annotations

import math

from conformance.checks import check
from conformance.context import Context
from conformance.envelope import describe, unique
from conformance.lists import (
    Walk,
    base_params,
    fetch_page,
    full_read,
    object_key,
    sender_lists,
    walk,
)
from conformance.model import Exchange, NotApplicable, Verdict, failed, passed, warned

CLAUSE = "transport_and_format §1.5 [M]"


async def read_lists(ctx: Context) -> tuple[list[tuple[str, Walk]], list[str]]:
    """The Sender lists that can be read, and a note for each that cannot: a list that does
    not answer is modules.sender_lists' FAIL, not one for every pagination check."""
    lists = sender_lists(ctx)
    if not lists:
        raise NotApplicable(f"the endpoint offers no Sender list for a {ctx.role.value}")
    readable, notes = [], []
    for module, _ in lists:
        full = await full_read(ctx, module)
        if full.first.items is None:
            notes.append(f"{module}: not readable (see modules.sender_lists)")
        else:
            readable.append((module, full))
    return readable, notes


def _small_limit(total: int, cap: int | None) -> int:
    """Small enough to need several pages, large enough that a long list stays ~25 pages."""
    limit = 2 if total <= 50 else math.ceil(total / 25)
    return max(1, min(limit, cap)) if cap else limit


async def _small_walk(ctx: Context, module: str, full: Walk) -> Walk:
    key = f"lists.small.{module}"
    cached = ctx.cache.get(key)
    if isinstance(cached, Walk):
        return cached
    url = ctx.endpoint(module, "SENDER")
    assert url is not None
    total = full.first.total if full.first.total is not None else len(full.items)
    result = await walk(ctx, module, url, limit=_small_limit(total, full.first.limit))
    ctx.cache[key] = result
    return result


def verdict_of(
    problems: list[tuple[str, Exchange]],
    evidence: list[Exchange],
    *,
    checked: int,
    ok: str,
    expected: str,
    skipped: list[str],
    doubts: list[tuple[str, Exchange]] | None = None,
) -> Verdict:
    """FAIL on any problem; NOT_APPLICABLE when no list could be checked; WARN on doubts (a
    SHOULD not met); PASS otherwise."""
    if problems:
        return failed(
            "; ".join(p for p, _ in problems),
            expected=expected,
            evidence=unique(ex for _, ex in problems),
        )
    if not checked:
        raise NotApplicable("; ".join(skipped) or "no list to check")
    if doubts:
        return warned(
            "; ".join(p for p, _ in doubts),
            expected=expected,
            evidence=unique(ex for _, ex in doubts),
        )
    note = f" (not checked: {'; '.join(skipped)})" if skipped else ""
    return passed(ok + note, evidence=evidence)


@check(
    "pagination.headers",
    clause=CLAUSE,
)
async def headers(ctx: Context) -> Verdict:
    """Every list page carries X-Total-Count and X-Limit"""
    problems: list[tuple[str, Exchange]] = []
    evidence = []
    readable, skipped = await read_lists(ctx)
    for module, full in readable:
        first = full.first.exchange
        evidence.append(first)
        assert full.first.items is not None
        for name in ("X-Total-Count", "X-Limit"):
            value = first.header(name)
            if value is None:
                problems.append((f"{module}: no {name}", first))
            elif not value.strip().isdigit():
                problems.append(
                    (f"{module}: {name} {value!r} is not a non-negative integer", first)
                )
        total, cap, count = full.first.total, full.first.limit, len(full.first.items)
        if total is not None and count > total:
            problems.append((f"{module}: {count} objects on a page, X-Total-Count {total}", first))
        if cap is not None and count > cap:
            problems.append((f"{module}: {count} objects on a page, X-Limit {cap}", first))
    return verdict_of(
        problems,
        evidence,
        checked=len(evidence),
        ok="X-Total-Count and X-Limit on every list",
        expected="X-Total-Count: total matching objects; X-Limit: the server's page cap",
        skipped=skipped,
    )


@check(
    "pagination.limit",
    clause=CLAUSE,
)
async def limit(ctx: Context) -> Verdict:
    """A page never holds more than `limit` objects"""
    problems: list[tuple[str, Exchange]] = []
    evidence = []
    readable, skipped = await read_lists(ctx)
    for module, full in readable:
        url = ctx.endpoint(module, "SENDER")
        assert url is not None
        page = await fetch_page(ctx, module, url, limit=1, **base_params(module))
        evidence.append(page.exchange)
        if page.items is None:
            problems.append(
                (f"{module}: limit=1 answered {describe(page.exchange)}", page.exchange)
            )
        elif len(page.items) > 1:
            problems.append(
                (f"{module}: limit=1 returned {len(page.items)} objects", page.exchange)
            )
        cap = full.first.limit
        if cap is not None and len(full.items) > cap:
            # A limit above the server's cap is capped, never exceeded (§1.5: X-Limit).
            over = await fetch_page(ctx, module, url, limit=cap + 1000, **base_params(module))
            evidence.append(over.exchange)
            if over.items is not None and len(over.items) > cap:
                message = f"{module}: limit={cap + 1000} returned {len(over.items)}, X-Limit {cap}"
                problems.append((message, over.exchange))
    return verdict_of(
        problems,
        evidence,
        checked=len(evidence),
        ok="limit=1 honoured on every list",
        expected="at most `limit` objects per page",
        skipped=skipped,
    )


@check(
    "pagination.link",
    clause=CLAUSE,
)
async def link(ctx: Context) -> Verdict:
    """Link <next>; rel="next" is present exactly while more objects follow"""
    problems: list[tuple[str, Exchange]] = []
    evidence: list[Exchange] = []
    checked = 0
    readable, skipped = await read_lists(ctx)
    for module, full in readable:
        if full.first.items is None:
            continue
        if len(full.items) < 2:
            if full.first.link is not None:
                checked += 1
                problems.append((f"{module}: Link on its only page", full.first.exchange))
            else:
                skipped.append(f"{module}: {len(full.items)} object(s), a single page")
            continue
        checked += 1
        small = await _small_walk(ctx, module, full)
        evidence += small.exchanges
        total = small.first.total
        seen = 0
        for number, page in enumerate(small.pages, start=1):
            seen += len(page.items or [])
            has_link, exchange = page.link is not None, page.exchange
            if has_link and page.next_url is None:
                problems.append(
                    (f'{module}: page {number} Link {page.link!r} has no rel="next" URL', exchange)
                )
            elif total is not None and seen >= total and has_link:
                problems.append(
                    (f"{module}: Link on the last page ({seen} of {total} served)", exchange)
                )
            elif total is not None and seen < total and not has_link and page.items is not None:
                problems.append(
                    (f"{module}: no Link on page {number} with {seen} of {total} served", exchange)
                )
        if small.stopped and not any(m.startswith(module) for m, _ in problems):
            problems.append((f"{module}: {small.stopped}", small.pages[-1].exchange))
    return verdict_of(
        problems,
        evidence,
        checked=checked,
        ok="Link on every page but the last",
        expected='Link: <url>; rel="next" on each page except the last',
        skipped=skipped,
    )


@check(
    "pagination.walk",
    clause=CLAUSE + "; [S] stable order",
)
async def walk_all(ctx: Context) -> Verdict:
    """Walking a list with a small limit yields every object once, X-Total-Count in all"""
    problems: list[tuple[str, Exchange]] = []
    evidence: list[Exchange] = []
    checked = 0
    readable, skipped = await read_lists(ctx)
    for module, full in readable:
        if full.first.items is None or len(full.items) < 2:
            skipped.append(f"{module}: fewer than 2 objects")
            continue
        small = await _small_walk(ctx, module, full)
        evidence += small.exchanges
        if small.stopped and "--max-pages" in small.stopped:
            skipped.append(f"{module}: {small.stopped}")
            continue
        checked += 1
        keys = [object_key(module, item) for item in small.items]
        first_at: dict[str, int] = {}
        for index, key in enumerate(keys):
            if key in first_at:
                page = small.page_of(index)
                problems.append(
                    (
                        f"{module}: {key} appears twice (objects {first_at[key] + 1} and "
                        f"{index + 1})",
                        page.exchange,
                    )
                )
            first_at.setdefault(key, index)
        total = small.first.total
        if total is not None and len(keys) != total:
            problems.append(
                (
                    f"{module}: the walk yielded {len(keys)} objects, X-Total-Count says {total}",
                    small.pages[-1].exchange,
                )
            )
        missing = sorted({object_key(module, i) for i in full.items} - set(keys))
        if missing:
            problems.append(
                (
                    f"{module}: the walk missed {', '.join(missing[:5])}"
                    + (f" and {len(missing) - 5} more" if len(missing) > 5 else ""),
                    small.pages[-1].exchange,
                )
            )
    return verdict_of(
        problems,
        evidence,
        checked=checked,
        ok="every list walked without duplicates or gaps",
        expected="each object exactly once; count equal to X-Total-Count",
        skipped=skipped,
    )


@check(
    "pagination.offset",
    clause=CLAUSE + "; [S] stable order",
)
async def offset(ctx: Context) -> Verdict:
    """offset is the index of the first object; at the end: an empty page, no Link"""
    problems: list[tuple[str, Exchange]] = []
    doubts: list[tuple[str, Exchange]] = []
    evidence: list[Exchange] = []
    checked = 0
    readable, skipped = await read_lists(ctx)
    for module, full in readable:
        if full.first.items is None or len(full.items) < 2 or not full.complete:
            skipped.append(f"{module}: fewer than 2 objects, or not read whole")
            continue
        checked += 1
        url = ctx.endpoint(module, "SENDER")
        assert url is not None
        count = len(full.items)
        params = base_params(module)
        last = await fetch_page(ctx, module, url, offset=count - 1, limit=1, **params)
        end = await fetch_page(ctx, module, url, offset=count, limit=1, **params)
        evidence += [last.exchange, end.exchange]
        if last.items is None or len(last.items) != 1:
            got = "an error" if last.items is None else f"{len(last.items)} objects"
            problems.append((f"{module}: offset={count - 1}&limit=1 gave {got}", last.exchange))
        elif object_key(module, last.items[0]) != object_key(module, full.items[-1]):
            got_key = object_key(module, last.items[0])
            message = (
                f"{module}: offset={count - 1} gave {got_key}, the full read ends with "
                f"{object_key(module, full.items[-1])} (order not stable)"
            )
            doubts.append((message, last.exchange))
        if end.items is None or end.items:
            message = f"{module}: offset={count} (past the last object) is not an empty page"
            problems.append((message, end.exchange))
        elif end.link is not None:
            problems.append((f"{module}: Link on the empty page past the end", end.exchange))
    return verdict_of(
        problems,
        evidence,
        checked=checked,
        ok="offset honoured on every list",
        expected="offset=N starts at the N-th object (0-based); past the end: [] without Link",
        skipped=skipped,
        doubts=doubts,
    )
