"""CDR checks and reconciliation end to end (issue 9 §2, §4): a CPO pushes Locations, Tariffs,
Sessions and CDRs through a hub whose checker runs every 0.05 s; the findings are the ones the
records imply, the eMSP receives every CDR as sent, a check never holds a delivery back, and a
missing CDR is found after the grace and closed when it arrives. The commands, as real
processes: `ocpi-hub reconcile` and `ocpi-hub cdrs findings`."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from ocpi_hub.storage.checker import Checker
from ocpi_hub.storage.repositories import findings
from tests import factories
from tests.conftest import RunningHub, start_hub
from tests.e2e.conftest import MakeParty, drained, eventually, registered
from tests.e2e.fakes import Answer, FakeParty
from tests.e2e.processes import cli

RECEIVER = "/ocpi/2.2.1/receiver"
CHECKS = {"check_interval": 0.05}


@pytest.fixture
async def hub(database_url: str) -> AsyncIterator[RunningHub]:
    running = await start_hub(database_url, **CHECKS)
    yield running
    await running.stop()
    await running.pool.close()


async def put(cpo: FakeParty, hub: RunningHub, module: str, obj: dict[str, Any]) -> Answer:
    url = f"{hub.url}{RECEIVER}/{module}/{obj['country_code']}/{obj['party_id']}/{obj['id']}"
    answer = await cpo.call_url("PUT", url, json=obj)
    assert answer.status_code == 1000, answer.body
    return answer


async def post_cdr(cpo: FakeParty, hub: RunningHub, cdr: dict[str, Any]) -> None:
    answer = await cpo.call_url("POST", f"{hub.url}{RECEIVER}/cdrs", json=cdr)
    assert (answer.status, answer.status_code) == (201, 1000), answer.body


async def the_cpos_place(cpo: FakeParty, hub: RunningHub) -> None:
    """NL*CPA's LOC1 (a 22.08 kW EVSE1) and its tariff TARIFF-AC in EUR."""
    await put(cpo, hub, "locations", factories.location(party_id="CPA"))
    await put(cpo, hub, "tariffs", factories.tariff("TARIFF-AC"))


async def open_codes(hub: RunningHub) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for row in await findings.listing(hub.pool):
        found.setdefault(str(row.subject), []).append(row.code)
    return found


def posted(party: FakeParty) -> list[Any]:
    return [r.body for r in party.pushes("POST", module="cdrs")]


async def test_what_a_cpo_sends_is_checked_and_delivered_as_sent(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty
) -> None:
    """A CDR that agrees with everything the hub holds has no finding; one with more energy
    than its EVSE delivers, another currency than its tariff's and a Session the hub never saw
    has those three. Both reach the eMSP exactly as sent."""
    await the_cpos_place(cpo, hub)
    await put(cpo, hub, "sessions", factories.completed_session())
    good = factories.plausible_cdr()
    odd = factories.plausible_cdr(
        "CDR2",
        session_id="SESS2",
        total_energy=30,
        currency="USD",
        start_date_time="2024-03-01T10:00:30Z",
    )
    await post_cdr(cpo, hub, good)
    await post_cdr(cpo, hub, odd)

    expected = {
        "NL*CPA*CDR2": ["ENERGY_ABOVE_MAX_POWER", "CURRENCY_MISMATCH", "CDR_WITHOUT_SESSION"]
    }

    async def found() -> bool:
        return await open_codes(hub) == expected

    await eventually(found, message=f"the findings are {expected}")
    await drained(hub)
    assert posted(emsp) == [good, odd]
    checked = "SELECT count(*) FROM checked_objects WHERE checked_at IS NOT NULL"
    assert await hub.pool.fetchval(checked) == 3, "both CDRs and the Session, once each"
    (row,) = [r for r in await findings.listing(hub.pool) if r.code == "CURRENCY_MISMATCH"]
    assert row.parties == ["NL*CPA", "DE*EMA"]
    assert row.evidence == {"currency": "USD", "tariff_id": "TARIFF-AC", "tariff_currency": "EUR"}


async def test_a_check_never_holds_a_delivery_back(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty
) -> None:
    """With the checker's tables locked against everyone, a CDR is still stored, answered and
    delivered; it is checked once they are free again."""
    await the_cpos_place(cpo, hub)
    cdr = factories.plausible_cdr(total_energy=30)
    locked = await hub.pool.acquire()
    try:
        async with locked.transaction():
            await locked.execute(
                "LOCK TABLE checked_objects, findings, reconciliations IN ACCESS EXCLUSIVE MODE"
            )
            await asyncio.wait_for(post_cdr(cpo, hub, cdr), 10)
            await eventually(lambda: posted(emsp) == [cdr], message="the eMSP has the CDR")
            assert await locked.fetchval("SELECT count(*) FROM findings") == 0
    finally:
        await hub.pool.release(locked)

    async def found() -> bool:
        return await open_codes(hub) == {"NL*CPA*CDR1": ["ENERGY_ABOVE_MAX_POWER"]}

    await eventually(found, message="the CDR is checked once the tables are free")


@pytest.fixture
async def reconciling_hub(database_url: str) -> AsyncIterator[RunningHub]:
    """Reconciliation every 0.1 s, and a grace of under a second (0.72 s)."""
    running = await start_hub(
        database_url, check_interval=0.05, reconcile_interval=0.1, cdr_grace_hours=0.0002
    )
    yield running
    await running.stop()
    await running.pool.close()


async def test_a_missing_cdr_is_found_after_the_grace_and_closed_when_it_arrives(
    reconciling_hub: RunningHub, make_party: MakeParty
) -> None:
    """The completed Session's CDR is found missing; then the CPO sends it, the eMSP has it,
    and the finding is closed."""
    hub = reconciling_hub
    cpo = await registered(hub, await make_party("CPO", "NL", "CPA"))
    emsp = await registered(hub, await make_party("EMSP", "DE", "EMA"))
    await the_cpos_place(cpo, hub)
    await put(cpo, hub, "sessions", factories.completed_session())

    async def missing() -> bool:
        return await open_codes(hub) == {"NL*CPA*SESS1": ["MISSING_CDR"]}

    await eventually(missing, message="the Session's CDR is found missing")
    await post_cdr(cpo, hub, factories.plausible_cdr())

    async def closed() -> bool:
        rows = await findings.listing(hub.pool, resolved=True)
        return [(r.code, r.resolved_at is not None) for r in rows] == [("MISSING_CDR", True)]

    await eventually(closed, message="the finding is closed once the CDR is there")
    await drained(hub)
    assert posted(emsp) == [factories.plausible_cdr()]


# ---- the commands ---------------------------------------------------------------------------


def command(
    hub: RunningHub, hub_env_for: Callable[[str], dict[str, str]], **env: str
) -> Callable[..., Any]:
    """Run `ocpi-hub ARGS` as a process against the hub's database."""
    assert hub.settings.database_url is not None
    full = {**hub_env_for(hub.settings.database_url), **env}
    return lambda *args: asyncio.to_thread(cli, full, *args)


async def test_reconcile_judges_with_the_limits_serve_runs_with(
    reconciling_hub: RunningHub, make_party: MakeParty, hub_env_for: Callable[[str], dict[str, str]]
) -> None:
    """`ocpi-hub reconcile` run from a shell without serve's environment (the default grace of
    48 hours) judges the missing CDR with serve's grace, recorded when it started: the finding
    stays open instead of being closed under the shell's default."""
    hub = reconciling_hub
    cpo = await registered(hub, await make_party("CPO", "NL", "CPA"))
    await registered(hub, await make_party("EMSP", "DE", "EMA"))
    await the_cpos_place(cpo, hub)
    await put(cpo, hub, "sessions", factories.completed_session())

    async def missing() -> bool:
        return await open_codes(hub) == {"NL*CPA*SESS1": ["MISSING_CDR"]}

    await eventually(missing, message="the Session's CDR is found missing")
    done = await command(hub, hub_env_for)("reconcile", "--json")
    assert done.returncode == 0, done.stderr
    assert [(f["code"], f["session"]) for f in json.loads(done.stdout)] == [
        ("MISSING_CDR", "NL*CPA*SESS1")
    ]
    assert await open_codes(hub) == {"NL*CPA*SESS1": ["MISSING_CDR"]}


@pytest.fixture
async def idle_hub(database_url: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[RunningHub]:
    """A hub whose own checker does not run: what is checked, the commands check."""

    async def idle(self: Checker) -> None:
        await asyncio.Event().wait()

    monkeypatch.setattr(Checker, "run", idle)
    running = await start_hub(database_url)
    yield running
    await running.stop()
    await running.pool.close()


async def test_reconcile_checks_now_and_prints_every_open_finding(
    idle_hub: RunningHub,
    make_party: MakeParty,
    hub_env_for: Callable[[str], dict[str, str]],
) -> None:
    """`reconcile --json` checks what is pending and prints each finding with code, severity,
    the CDR as CC*PID*ID and its evidence; `--party` narrows to the findings involving it; the
    table ends with the count."""
    hub = idle_hub
    cpo = await registered(hub, await make_party("CPO", "NL", "CPA"))
    await registered(hub, await make_party("EMSP", "DE", "EMA"))
    await the_cpos_place(cpo, hub)
    await post_cdr(cpo, hub, factories.plausible_cdr(total_energy=30))
    run = command(hub, hub_env_for)

    done = await run("reconcile", "--json")
    assert done.returncode == 0, done.stderr
    (finding,) = json.loads(done.stdout)
    assert finding["code"] == "ENERGY_ABOVE_MAX_POWER" and finding["severity"] == "high"
    assert finding["cdr"] == "NL*CPA*CDR1" and "session" not in finding
    assert finding["parties"] == ["NL*CPA", "DE*EMA"]
    assert finding["evidence"]["max_energy_kwh"] == "22.08"
    assert finding["resolved_at"] is None

    other = await run("reconcile", "--party", "nl*cpb", "--json")
    assert other.returncode == 0 and json.loads(other.stdout) == []
    text = await run("reconcile", "--party", "DE*EMA")
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0].split()[:4] == ["ID", "CODE", "SEVERITY", "SUBJECT"]
    assert "ENERGY_ABOVE_MAX_POWER" in lines[1] and "cdr NL*CPA*CDR1" in lines[1]
    assert lines[-1] == "reconciled: 1 judged again; 1 open findings"


async def test_cdrs_findings_lists_by_party_and_date_and_resolved_too(
    idle_hub: RunningHub,
    make_party: MakeParty,
    hub_env_for: Callable[[str], dict[str, str]],
) -> None:
    """`cdrs findings` lists what is stored without checking anything; `--since` a date or a
    DateTime; `--all` shows resolved findings with when."""
    hub = idle_hub
    cpo = await registered(hub, await make_party("CPO", "NL", "CPA"))
    await registered(hub, await make_party("EMSP", "DE", "EMA"))
    await post_cdr(cpo, hub, factories.plausible_cdr())  # its Location is not there yet
    run = command(hub, hub_env_for)

    assert json.loads((await run("cdrs", "findings", "--json")).stdout) == []
    assert (await run("reconcile", "--json")).returncode == 0
    await the_cpos_place(cpo, hub)
    assert (await run("reconcile", "--json")).returncode == 0  # the Location came: closed

    listed = await run("cdrs", "findings", "--json")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == []
    every = json.loads(
        (await run("cdrs", "findings", "--all", "--json", "--party", "NL*CPA")).stdout
    )
    assert [(f["code"], f["cdr"], f["resolved_at"] is not None) for f in every] == [
        ("UNKNOWN_LOCATION", "NL*CPA*CDR1", True)
    ]
    for since, count in (("2000-01-01", 1), ("2999-01-01", 0), ("2999-01-01T00:00:00Z", 0)):
        shown = await run("cdrs", "findings", "--all", "--json", "--since", since)
        assert shown.returncode == 0, shown.stderr
        assert len(json.loads(shown.stdout)) == count, since


async def test_bad_arguments_are_refused_and_change_nothing(
    idle_hub: RunningHub,
    make_party: MakeParty,
    hub_env_for: Callable[[str], dict[str, str]],
) -> None:
    """A malformed party or date: exit 1 saying what it takes, nothing checked or stored."""
    hub = idle_hub
    cpo = await registered(hub, await make_party("CPO", "NL", "CPA"))
    await registered(hub, await make_party("EMSP", "DE", "EMA"))
    await post_cdr(cpo, hub, factories.plausible_cdr())
    run = command(hub, hub_env_for)

    for args, said in (
        (("reconcile", "--party", "NLCPA"), "--party"),
        (("cdrs", "findings", "--party", "N*CPAX"), "--party"),
        (("cdrs", "findings", "--since", "yesterday"), "YYYY-MM-DD"),
        (("cdrs", "findings", "--since", "2024-02-30"), "YYYY-MM-DD"),
    ):
        done = await run(*args)
        assert done.returncode == 1, (args, done.stdout)
        assert said in done.stderr, done.stderr
        assert done.stdout == ""
    assert await hub.pool.fetchval("SELECT count(*) FROM checked_objects") == 0
    assert await hub.pool.fetchval("SELECT count(*) FROM findings") == 0


async def test_a_setting_that_is_not_hours_is_refused_by_name(
    idle_hub: RunningHub, hub_env_for: Callable[[str], dict[str, str]]
) -> None:
    """OCPI_HUB_CDR_GRACE_HOURS (and OCPI_HUB_MAX_SESSION_HOURS) say what they take."""
    run = command(idle_hub, hub_env_for, OCPI_HUB_CDR_GRACE_HOURS="two days")
    done = await run("reconcile")
    assert done.returncode == 1
    assert "OCPI_HUB_CDR_GRACE_HOURS is 'two days': it takes a number of hours above 0" in (
        done.stderr
    )
