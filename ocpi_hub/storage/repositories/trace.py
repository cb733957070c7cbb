"""The trace as stored (migration 0023): hops added in batches, read by correlation id, pruned
by age. The hops and their order are core.trace's."""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter

from ocpi_hub.core.trace import MODULE_PATTERN, OTHER, Hop
from ocpi_hub.storage import Executor

__all__ = ["add", "hops", "prune", "traffic"]

_COLUMNS = (
    "correlation_id", "at", "kind", "method", "url", "from_party", "to_party", "http_status",
    "ocpi_status", "duration_ms", "request_id", "note",
)  # fmt: skip


# A hop as a row, in one C call (the flush runs in the serving process: its cost is the hub's).
_RECORD = attrgetter(*_COLUMNS)


async def add(conn: Executor, hops: Sequence[Hop]) -> None:
    """Write `hops` (one COPY: a batch costs about what one row does)."""
    if hops:
        records = [_RECORD(h) for h in hops]
        await conn.copy_records_to_table("trace_hops", records=records, columns=_COLUMNS)


async def hops(conn: Executor, correlation_id: str) -> list[Hop]:
    """Every hop kept of `correlation_id`, as recorded (core.trace.timeline orders them)."""
    rows = await conn.fetch(
        f"SELECT {', '.join(_COLUMNS)} FROM trace_hops WHERE correlation_id = $1 ORDER BY at, id",
        correlation_id,
    )
    return [Hop(**dict(r)) for r in rows]


async def prune(conn: Executor, older_than: float, batch: int = 5000) -> int:
    """Delete up to `batch` hops older than `older_than` seconds; return how many. Small
    batches, skipping rows another pruner holds: the flushes never wait on it."""
    result: str = await conn.execute(
        "DELETE FROM trace_hops WHERE id IN ("
        " SELECT id FROM trace_hops WHERE at < now() - make_interval(secs => $1)"
        " LIMIT $2 FOR UPDATE SKIP LOCKED)",
        older_than,
        batch,
    )
    return int(result.split()[-1])


async def traffic(conn: Executor, seconds: int, count: int) -> list[tuple[int, str, int, int]]:
    """Requests in over the last `count` periods of `seconds`: (periods ago, module, messages,
    errors) per period and module (core.trace.bucketed lays them out)."""
    rows = await conn.fetch(
        "SELECT floor(extract(epoch FROM now() - at) / $1)::int AS ago,"
        " coalesce(substring(url FROM $3), $4) AS module, count(*) AS messages,"
        " count(*) FILTER (WHERE coalesce(http_status, 0) >= 400"
        "  OR coalesce(ocpi_status, 1000) >= 2000) AS errors"
        " FROM trace_hops WHERE kind = 'request'"
        " AND at > now() - make_interval(secs => $1::float8 * $2::int)"
        " GROUP BY 1, 2",
        float(seconds),
        count,
        MODULE_PATTERN,
        OTHER,
    )
    return [(r["ago"], r["module"], r["messages"], r["errors"]) for r in rows]
