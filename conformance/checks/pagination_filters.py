"""Pagination filters (transport_and_format §1.5, types §1.9): `date_from` (inclusive) and
`date_to` (exclusive) select by `last_updated`, count in X-Total-Count and repeat in the
`Link`; and a filter is understood in every DateTime form the spec allows."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import parse_qs, urlsplit

from conformance.checks import check
from conformance.checks.pagination import CLAUSE, read_lists, verdict_of
from conformance.context import Context
from conformance.envelope import describe
from conformance.lists import Walk, base_params, fetch_page, object_key, walk
from conformance.model import ONLY_221, Exchange, Verdict
from conformance.validate import parse_datetime


def _updated(item: object) -> datetime | None:
    value = item.get("last_updated") if isinstance(item, dict) else None
    return parse_datetime(value) if isinstance(value, str) else None


def _selected(name: str, when: datetime, pivot: datetime) -> bool:
    """date_from is inclusive, date_to exclusive (§1.5)."""
    return when >= pivot if name == "date_from" else when < pivot


def _dated(full: Walk) -> list[tuple[object, datetime]]:
    return [(item, when) for item in full.items if (when := _updated(item)) is not None]


def _pivot(dated: list[tuple[object, datetime]]) -> tuple[str, datetime]:
    """A moment some objects were last updated at (so the inclusive edge is tested too), as
    the endpoint itself wrote it."""
    moments = sorted({when for _, when in dated})
    at = moments[len(moments) // 2]
    written = next(i["last_updated"] for i, when in dated if when == at and isinstance(i, dict))
    return str(written), at


async def _filtered(
    ctx: Context, module: str, dated: list[tuple[object, datetime]], name: str, pivot: str
) -> tuple[list[tuple[str, Exchange]], list[Exchange]]:
    """Problems and exchanges of one filter (`name`=`pivot`) on one list."""
    url = ctx.endpoint(module, "SENDER")
    assert url is not None
    pivot_at = parse_datetime(pivot)
    assert pivot_at is not None
    problems: list[tuple[str, Exchange]] = []
    wanted = {object_key(module, i) for i, when in dated if _selected(name, when, pivot_at)}
    filtered = await walk(ctx, module, url, filters={name: pivot})
    evidence = filtered.exchanges
    where = filtered.first.exchange
    if filtered.first.items is None:
        return [(f"{module}: {name}={pivot} answered {describe(where)}", where)], evidence
    got = [(object_key(module, i), _updated(i)) for i in filtered.items]
    wrong = [k for k, when in got if when is not None and not _selected(name, when, pivot_at)]
    missing = sorted(wanted - {k for k, _ in got})
    if wrong:
        problems.append((f"{module}: {name}={pivot} returned {', '.join(wrong[:3])}", where))
    if missing:
        problems.append((f"{module}: {name}={pivot} left out {', '.join(missing[:3])}", where))
    total = filtered.first.total
    if total is not None and total != len(wanted):
        message = f"{module}: {name}={pivot} X-Total-Count {total}, {len(wanted)} objects match"
        problems.append((message, where))
    if len(wanted) >= 2:
        # The next page's URL must repeat the filter (§1.5 [M]).
        first = await fetch_page(ctx, module, url, limit=1, **{**base_params(module), name: pivot})
        evidence = [*evidence, first.exchange]
        next_url = first.next_url
        repeated = parse_qs(urlsplit(next_url).query).get(name) if next_url else None
        if next_url is None:
            problems.append((f"{module}: {name}={pivot} with limit=1: no Link", first.exchange))
        elif repeated != [pivot]:
            message = f"{module}: the Link does not repeat {name}={pivot}"
            problems.append((message, first.exchange))
    return problems, evidence


@check(
    "pagination.date_filters",
    clause=CLAUSE + " (date_from inclusive, date_to exclusive)",
    versions=ONLY_221,
)
async def date_filters(ctx: Context) -> Verdict:
    """date_from/date_to select by last_updated, count in X-Total-Count, repeat in Link"""
    problems: list[tuple[str, Exchange]] = []
    evidence: list[Exchange] = []
    checked = 0
    readable, skipped = await read_lists(ctx)
    for module, full in readable:
        dated = _dated(full)
        if full.first.items is None or not dated:
            skipped.append(f"{module}: no objects with a last_updated")
            continue
        checked += 1
        pivot, _ = _pivot(dated)
        for name in ("date_from", "date_to"):
            found, seen = await _filtered(ctx, module, dated, name, pivot)
            problems += found
            evidence += seen
    return verdict_of(
        problems,
        evidence,
        checked=checked,
        ok="date filters honoured",
        expected="date_from ≤ last_updated < date_to; X-Total-Count of the filtered set; "
        "Link repeats the filters",
        skipped=skipped,
    )


def _forms(at: datetime) -> list[str]:
    """The same moment in the DateTime forms types §1.9 allows: with Z, without it (UTC is
    implied), with a fraction of a second."""
    whole = at.strftime("%Y-%m-%dT%H:%M:%S")
    return [whole + "Z", whole, whole + ".0Z"]


@check(
    "pagination.date_forms",
    clause="types §1.9 DateTime (Z optional, fractions allowed); transport_and_format §1.5",
    versions=ONLY_221,
)
async def date_forms(ctx: Context) -> Verdict:
    """date_from is understood in every DateTime form the spec allows"""
    problems: list[tuple[str, Exchange]] = []
    evidence: list[Exchange] = []
    checked = 0
    readable, skipped = await read_lists(ctx)
    for module, full in readable:
        dated = [(i, w) for i, w in _dated(full) if w.microsecond == 0]
        if full.first.items is None or not dated:
            skipped.append(f"{module}: no objects with a whole-second last_updated")
            continue
        checked += 1
        _, at = _pivot(dated)
        url = ctx.endpoint(module, "SENDER")
        assert url is not None
        wanted = sum(1 for _, when in dated if when >= at)
        for form in _forms(at):
            filtered = await walk(ctx, module, url, filters={"date_from": form})
            evidence += filtered.exchanges
            where = filtered.first.exchange
            if filtered.first.items is None:
                problems.append((f"{module}: date_from={form} answered {describe(where)}", where))
            elif len(filtered.items) != wanted:
                message = (
                    f"{module}: date_from={form} gave {len(filtered.items)} objects, "
                    f"{wanted} were last updated at or after that moment"
                )
                problems.append((message, where))
    return verdict_of(
        problems,
        evidence,
        checked=checked,
        ok="date_from understood with Z, without Z, and with a fraction",
        expected="YYYY-MM-DDThh:mm:ss[.f][Z] accepted, all meaning UTC",
        skipped=skipped,
    )
