"""A real PostgreSQL outage under a running hub (issue 7 §5): the test's own embedded server is
stopped and started again while a party calls the hub.

Spec: checklist §1.4 (3000 generic server error). Choices: README "Limits and failure behaviour"
(503 with Retry-After, `/health` readiness vs `/health/live` liveness, one log line per outage).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, MutableMapping
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest

from ocpi_hub.storage.embedded import EmbeddedPostgres
from ocpi_hub.storage.migrate import migrate
from tests import factories
from tests.conftest import RunningHub, start_hub, with_database
from tests.e2e.conftest import MakeParty, eventually, registered
from tests.e2e.fakes import Answer

LOCATIONS = "/ocpi/2.2.1/receiver/locations/NL/CPA"


@pytest.fixture
async def own_server(tmp_path: Path) -> AsyncIterator[tuple[EmbeddedPostgres, str]]:
    """An embedded PostgreSQL of this test alone (so that stopping it harms no other test), and
    the DSN of a migrated database on it."""
    embedded = EmbeddedPostgres(tmp_path / "pg", fsync=False)
    admin = await asyncio.to_thread(embedded.start)
    try:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute('CREATE DATABASE "hub"')
        finally:
            await conn.close()
        dsn = with_database(admin, "hub")
        conn = await asyncpg.connect(dsn)
        try:
            await migrate(conn)
        finally:
            await conn.close()
        yield embedded, dsn
    finally:
        await asyncio.to_thread(embedded.release)


async def status(url: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.json()


def unavailable(answer: Answer) -> bool:
    return (answer.status, answer.status_code, answer.header("Retry-After")) == (503, 3000, "5")


async def test_a_database_outage_is_503_with_retry_after_and_logged_once(
    own_server: tuple[EmbeddedPostgres, str],
    make_party: MakeParty,
    logs: list[MutableMapping[str, Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """While PostgreSQL is down, OCPI calls are answered 3000 with HTTP 503 and Retry-After,
    `/health` says the database is unreachable while `/health/live` stays 200, the outage is
    logged once (no unhandled_error, no traceback), and all is well again once it is back."""
    embedded, dsn = own_server
    hub: RunningHub = await start_hub(dsn)
    try:
        cpo = await registered(hub, await make_party("CPO", "NL", "CPA"))
        location = factories.location(country_code="NL", party_id="CPA", id="L1")
        assert (await cpo.call_url("PUT", f"{hub.url}{LOCATIONS}/L1", json=location)).status == 201

        await asyncio.to_thread(embedded.stop)
        second = location | {"id": "L2"}
        for _ in range(3):
            put = await cpo.call_url("PUT", f"{hub.url}{LOCATIONS}/L2", json=second)
            assert unavailable(put), (put.status, put.body, put.headers)
            get = await cpo.call_url("GET", f"{hub.url}{LOCATIONS}/L1")
            assert unavailable(get), (get.status, get.body, get.headers)
        ready_status, ready = await status(hub.url + "/health")
        assert (ready_status, ready["status_code"]) == (503, 3000)
        assert ready["data"] == {"status": "unavailable", "database": "unreachable"}
        live_status, live = await status(hub.url + "/health/live")
        assert (live_status, live["data"]) == (200, {"status": "ok"})

        await asyncio.to_thread(embedded.start)
        await eventually(
            lambda: any(e["event"] == "database_reachable" for e in logs),
            message="the probe saw the database back",
        )
        assert (await status(hub.url + "/health"))[0] == 200
        put = await cpo.call_url("PUT", f"{hub.url}{LOCATIONS}/L2", json=second)
        assert put.status == 201, put.body
    finally:
        await hub.stop()
        await hub.pool.close()
    outage = [e for e in logs if e["event"].startswith("database_")]
    assert [(e["event"], e["log_level"]) for e in outage] == [
        ("database_unreachable", "warning"),
        ("database_reachable", "info"),
    ]
    # Nothing else: no unhandled_error, no background loop complaining each round, no traceback
    # from a library (asyncpg's pool retries are left to the hub's own line).
    assert [e for e in logs if e["log_level"] in ("error", "critical")] == []
    assert [e["event"] for e in logs if e["log_level"] == "warning"] == ["database_unreachable"]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
