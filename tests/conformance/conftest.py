"""Fixtures for the conformance suite's own tests: a hub holding data to page through, and a
way to run the suite in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from conformance.context import Options
from conformance.model import Outcome, Role
from conformance.runner import Run, run
from tests import factories
from tests.conftest import RunningHub
from tests.e2e.conftest import modules_of, registered
from tests.e2e.fakes import OCPI, FakeParty

# The identity the suite presents in these tests (its default).
SUITE = ("ZZ", "CNF")
RECEIVER = f"/ocpi/{OCPI}/receiver"


@dataclass
class SeededHub:
    """A hub with a CPO and an eMSP connected and data of every list module stored."""

    hub: RunningHub
    cpo: FakeParty
    emsp: FakeParty


def day(n: int) -> str:
    """Distinct last_updated values, so the date filters have something to split."""
    return f"2024-01-{n:02d}T10:00:00Z"


async def _push(party: FakeParty, method: str, url: str, body: dict[str, object]) -> None:
    answer = await party.call_url(method, url, json=body)
    assert answer.status_code == 1000, (url, answer.body)


async def seed(hub: RunningHub, cpo: FakeParty, emsp: FakeParty, suite: tuple[str, str]) -> None:
    """5 Locations, 3 Tariffs, 3 Sessions and 3 CDRs for the eMSP `suite`, 3 Tokens."""
    base = hub.url + RECEIVER
    for n in range(1, 6):
        location = factories.location("NL", "CPA", f"LOC{n}", evse_count=2, last_updated=day(n))
        await _push(cpo, "PUT", f"{base}/locations/NL/CPA/LOC{n}", location)
    for n in range(1, 4):
        tariff = factories.tariff(f"T{n}", last_updated=day(n))
        await _push(cpo, "PUT", f"{base}/tariffs/NL/CPA/T{n}", tariff)
        token = factories.token(f"U{n}", last_updated=day(n))
        await _push(emsp, "PUT", f"{base}/tokens/DE/EMA/U{n}", token)
        session = factories.session(f"SESS{n}", emsp=suite, last_updated=day(n))
        await _push(cpo, "PUT", f"{base}/sessions/NL/CPA/SESS{n}", session)
        cdr = factories.cdr(f"CDR{n}", emsp=suite, last_updated=day(n))
        await _push(cpo, "POST", f"{base}/cdrs", cdr)


@pytest.fixture
async def seeded_hub(hub: RunningHub) -> AsyncIterator[SeededHub]:
    """The hub with the suite's identity invited (so Sessions and CDRs can name it) and data
    of every list module, pushed by a registered fake CPO and eMSP."""
    cpo = await FakeParty("CPO", "NL", "CPA", modules=modules_of("CPO")).start()
    emsp = await FakeParty("EMSP", "DE", "EMA", modules=modules_of("EMSP")).start()
    try:
        await registered(hub, cpo)
        await registered(hub, emsp)
        yield SeededHub(hub, cpo, emsp)
    finally:
        await cpo.stop()
        await emsp.stop()


async def run_suite(options: Options) -> Run:
    """The suite in-process, without a progress display."""
    return await run(options)


def outcomes(result: Run) -> dict[str, Outcome]:
    return {r.check_id: r.outcome for r in result.results}


def failures(result: Run) -> str:
    """The failed results, readable, for an assertion message."""
    from conformance.report import to_table

    return to_table(result) if result.failed else ""


__all__ = [
    "SUITE",
    "Options",
    "Role",
    "SeededHub",
    "day",
    "failures",
    "outcomes",
    "run_suite",
    "seed",
]
