"""Route choice as stored (migration 0011): what each route did, and each party's choice.

The rule is core.routes.choose and the figures core.route_quality; here are only the rows:

- `route_samples`: every hub process adds what it counted per platform and time bucket
  (`add_samples`, storage.route_meter flushes), so `figures` over the window is the same for
  every process and for the CLI.
- `route_choices`: per party, the operator's preference and the route chosen. A new choice is
  announced to every process by a trigger (the platform cache keeps the chosen routes);
  `change_choice` is a compare-and-swap, so two processes evaluating at once change it once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ocpi_hub.core.route_quality import Figures
from ocpi_hub.core.routes import DIRECT, Choice, Preference
from ocpi_hub.core.routing import PartyKey
from ocpi_hub.storage import Connection, Executor


@dataclass(frozen=True)
class Sample:
    """What one process counted for one platform in one time bucket."""

    platform_id: int
    bucket: float  # the bucket's start, epoch seconds
    figures: Figures


async def add_samples(conn: Executor, samples: Sequence[Sample]) -> None:
    """Add counts to the stored ones (per platform and bucket). Samples of a platform deleted
    meanwhile are dropped."""
    await conn.executemany(
        "INSERT INTO route_samples AS r (platform_id, bucket, sent, failed, latencies)"
        " SELECT id, $2, $3, $4, $5 FROM platforms WHERE id = $1"
        " ON CONFLICT (platform_id, bucket) DO UPDATE"
        " SET sent = r.sent + excluded.sent, failed = r.failed + excluded.failed,"
        "  latencies = array(SELECT coalesce(a, 0) + coalesce(b, 0)"
        "   FROM unnest(r.latencies, excluded.latencies) WITH ORDINALITY AS x(a, b, i)"
        "   ORDER BY i)",
        [
            (
                s.platform_id,
                datetime.fromtimestamp(s.bucket, UTC),
                s.figures.sent,
                s.figures.failed,
                list(s.figures.latencies),
            )
            for s in samples
        ],
    )


async def figures(conn: Executor, window: float) -> dict[int, Figures]:
    """Each platform's figures over the last `window` seconds (platforms with no sample are
    absent)."""
    rows = await conn.fetch(
        "WITH w AS (SELECT * FROM route_samples"
        "  WHERE bucket >= now() - make_interval(secs => $1))"
        " SELECT platform_id, sum(sent)::int AS sent, sum(failed)::int AS failed,"
        "  array(SELECT sum(c)::int FROM w AS v, unnest(v.latencies) WITH ORDINALITY AS u(c, i)"
        "   WHERE v.platform_id = w.platform_id GROUP BY i ORDER BY i) AS latencies"
        " FROM w GROUP BY platform_id",
        window,
    )
    return {r["platform_id"]: Figures.of(r["sent"], r["failed"], r["latencies"]) for r in rows}


async def prune_samples(conn: Executor, older_than: float) -> int:
    """Delete buckets that started more than `older_than` seconds ago; return how many."""
    result: str = await conn.execute(
        "DELETE FROM route_samples WHERE bucket < now() - make_interval(secs => $1)", older_than
    )
    return int(result.split()[-1])


@dataclass(frozen=True)
class StoredChoice:
    """One party's row: the operator's preference, the route chosen (None: not yet), why and
    since when, and whether its queued deliveries all follow the choice (outbox_routes)."""

    party: PartyKey
    preference: Preference
    chosen: int | None
    reason: str
    changed_at: datetime | None
    settled: bool

    @classmethod
    def of(cls, row: Any) -> StoredChoice:
        preference: Preference = DIRECT if row["prefer_direct"] else row["prefer_platform_id"]
        return cls(
            (row["country_code"], row["party_id"]),
            preference,
            row["chosen_platform_id"],
            row["reason"],
            row["changed_at"],
            row["settled"],
        )


_CHOICE_COLUMNS = (
    "country_code, party_id, prefer_platform_id, prefer_direct, chosen_platform_id, reason,"
    " changed_at, settled"
)


async def choices(conn: Executor) -> dict[PartyKey, StoredChoice]:
    """Every party's stored choice and preference."""
    rows = await conn.fetch(f"SELECT {_CHOICE_COLUMNS} FROM route_choices")
    return {(r["country_code"], r["party_id"]): StoredChoice.of(r) for r in rows}


async def chosen_routes(conn: Executor) -> dict[PartyKey, int]:
    """The route chosen per party, where one is: what every process keeps in its cache."""
    rows = await conn.fetch(
        "SELECT country_code, party_id, chosen_platform_id FROM route_choices"
        " WHERE chosen_platform_id IS NOT NULL"
    )
    return {(r[0], r[1]): r[2] for r in rows}


async def locked_choice(conn: Connection, party: PartyKey) -> StoredChoice | None:
    """The party's row, locked until the transaction ends (changes of it wait)."""
    row = await conn.fetchrow(
        f"SELECT {_CHOICE_COLUMNS} FROM route_choices"
        " WHERE country_code = $1 AND party_id = $2 FOR UPDATE",
        *party,
    )
    return StoredChoice.of(row) if row is not None else None


async def set_preference(conn: Executor, party: PartyKey, preference: Preference) -> None:
    """The operator's preference for `party` (None: automatic)."""
    direct = preference == DIRECT
    platform_id = preference if isinstance(preference, int) else None
    await conn.execute(
        "INSERT INTO route_choices (country_code, party_id, prefer_platform_id, prefer_direct)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT (country_code, party_id) DO UPDATE"
        " SET prefer_platform_id = excluded.prefer_platform_id,"
        "  prefer_direct = excluded.prefer_direct",
        *party,
        platform_id,
        direct,
    )


async def change_choice(
    conn: Executor, party: PartyKey, expected: int | None, choice: Choice
) -> bool:
    """Make `choice` the party's route if its chosen route is still `expected`; its queued
    deliveries are then to be moved (not `settled`). False when another process changed it
    first (nothing is written)."""
    changed = await conn.fetchval(
        "INSERT INTO route_choices AS c (country_code, party_id, chosen_platform_id, reason,"
        "  changed_at, settled) VALUES ($1, $2, $3, $4, now(), false)"
        " ON CONFLICT (country_code, party_id) DO UPDATE"
        " SET chosen_platform_id = excluded.chosen_platform_id, reason = excluded.reason,"
        "  changed_at = now(), settled = false"
        " WHERE c.chosen_platform_id IS NOT DISTINCT FROM $5"
        " RETURNING true",
        *party,
        choice.platform_id,
        choice.reason,
        expected,
    )
    return bool(changed)


async def set_reason(conn: Executor, party: PartyKey, reason: str) -> None:
    """Why the unchanged choice holds now (announced to nobody: no process keeps it)."""
    await conn.execute(
        "UPDATE route_choices SET reason = $3 WHERE country_code = $1 AND party_id = $2",
        *party,
        reason,
    )


async def set_settled(conn: Executor, party: PartyKey) -> None:
    """Everything queued for the party on its other routes that could move has moved."""
    await conn.execute(
        "UPDATE route_choices SET settled = true WHERE country_code = $1 AND party_id = $2",
        *party,
    )
