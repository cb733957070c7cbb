"""What translations between protocols and versions could not carry (dialects.losses), counted
per translation ("hubject", "ocpi-2.1.1"), module, field and way, with the latest example:
`ocpi-hub translations losses`, `ocpi-hub hubject losses`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ocpi_hub.dialects.losses import Loss
from ocpi_hub.storage import Executor

__all__ = ["listed", "record"]


async def record(conn: Executor, translation: str, found: Sequence[Loss]) -> None:
    """Count each loss of one translation, keeping the latest example."""
    if not found:
        return
    await conn.executemany(
        "INSERT INTO translation_losses (dialect, module, field, direction, lost, count,"
        " example, why) VALUES ($1, $2, $3, $4, $5, 1, $6, $7)"
        " ON CONFLICT (dialect, module, field, direction, lost) DO UPDATE"
        " SET count = translation_losses.count + 1, example = EXCLUDED.example,"
        "     why = EXCLUDED.why, last_seen = now()",
        [
            (translation, x.module, x.field, x.direction.value, x.lost.value, x.example, x.why)
            for x in found
        ],
    )


async def listed(conn: Executor, translation: str | None = None) -> list[dict[str, Any]]:
    """Every loss counted (of one translation when named), by translation, module, way and
    field."""
    rows = await conn.fetch(
        "SELECT dialect AS translation, module, field, direction, lost, count, example, why,"
        " first_seen, last_seen FROM translation_losses"
        " WHERE $1::text IS NULL OR dialect = $1"
        " ORDER BY dialect, module, direction, field, lost",
        translation,
    )
    return [dict(r) for r in rows]
