"""Fraud alerts (`ocpi-hub fraud alerts|close`, `/admin/api/fraud/alerts`): the signals the hub
raised (core.fraud), and closing one once it is dealt with (a closed alert no longer makes the
hub refuse the token on its eMSP's behalf, and the same signal may be raised again)."""

from __future__ import annotations

from typing import Any

import asyncpg

from ocpi_hub.operations import Refused
from ocpi_hub.storage.repositories import fraud

__all__ = ["alerts", "close"]


async def alerts(pool: asyncpg.Pool, *, everything: bool = False) -> list[dict[str, Any]]:
    """The open alerts (closed ones too with `everything`), newest first: `id`, `code`,
    `severity`, `subject`, `evidence`, `found_at`, `closed_at`, `note`."""
    return await fraud.alerts(pool, everything=everything)


async def close(pool: asyncpg.Pool, *, alert_id: int, note: str | None = None) -> dict[str, Any]:
    """Close an open alert, keeping `note` with it; `{"id", "closed": true, "note"}`. Refused
    when no open alert has that id."""
    if not await fraud.close_alert(pool, alert_id, note):
        raise Refused("id", f"--id {alert_id}: no open alert has that id (see fraud alerts)")
    return {"id": alert_id, "closed": True, "note": note}
