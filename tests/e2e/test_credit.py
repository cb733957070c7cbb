"""Credit exposure end to end (issue 9 §7): a CPO and two eMSPs trade through a running hub;
DE*EMA gets a credit limit with the real `ocpi-hub settlement limit`, its CDRs and a session in
progress bring it to a warning and over its limit, and with OCPI_HUB_CREDIT_ACTION=suspend the
hub stops its new charging: its authorizations answered NOT_ALLOWED by the hub with the reason
(the eMSP not asked), its START_SESSION refused, and FR*EMB told it is SUSPENDED in
HubClientInfo. `ocpi-hub settlement pay` lifts it before the command returns. With the action
`alert`, the same story refuses nothing.

Figures: a CDR of factories.cdr is 4.60 EUR (excl. VAT, what the ledger books); the session in
progress has 8 kWh under TARIFF-AC (0.25 EUR/kWh): 2.00 EUR. Against a limit of 10.00 EUR:
two CDRs are 92 % (warn), with the session 112 % (over); after a payment of 9.20, 20 % (ok).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import web

from ocpi_hub.core.credit import Action
from ocpi_hub.storage.availability import DatabaseWatch
from ocpi_hub.storage.credit_watch import CreditWatch
from tests import factories
from tests.conftest import RunningHub, start_hub
from tests.e2e.conftest import MakeParty, eventually, modules_of, registered
from tests.e2e.fakes import FakeParty
from tests.e2e.test_cdrs import assert_ok, post
from tests.e2e.test_commands import TOKEN, command, start_session
from tests.e2e.test_fraud import put
from tests.e2e.test_network_cli import ocpi_hub
from tests.e2e.test_settlement import ok

FAST = {"credit_interval": 0.05, "fraud_interval": 0.05}
UID = str(TOKEN["uid"])
Run = Callable[..., Any]


@pytest.fixture
async def hub(database_url: str) -> AsyncIterator[RunningHub]:
    running = await start_hub(database_url, credit_action=Action.SUSPEND, **FAST)
    yield running
    await running.stop()
    await running.pool.close()


@pytest.fixture
def run(hub: RunningHub, hub_env_for: Callable[[str], dict[str, str]]) -> Run:
    return ocpi_hub(hub, hub_env_for)


async def trading(hub: RunningHub, make_party: MakeParty) -> tuple[FakeParty, ...]:
    """CPO NL*CPA with LOC1 and TARIFF-AC, accepting commands; eMSP DE*EMA with its token,
    allowing it; eMSP FR*EMB listening to HubClientInfo."""
    cpo = await registered(hub, await make_party("CPO", "NL", "CPA"))
    emsp = await registered(hub, await make_party("EMSP", "DE", "EMA"))
    watcher_modules = [*modules_of("EMSP"), ("hubclientinfo", "RECEIVER")]
    watcher = await registered(hub, await make_party("EMSP", "FR", "EMB", watcher_modules))
    await put(cpo, hub, "locations", factories.location("NL", "CPA", "LOC1"))
    await put(cpo, hub, "tariffs", factories.tariff("TARIFF-AC"))
    await put(emsp, hub, "tokens", TOKEN)

    async def allow(request: web.Request, body: Any) -> web.Response:
        return emsp.reply(request, {"allowed": "ALLOWED", "token": TOKEN})

    async def accept(request: web.Request, body: Any) -> web.Response:
        return cpo.reply(request, {"result": "ACCEPTED", "timeout": 30})

    emsp.handlers["tokens"] = allow
    cpo.handlers["commands"] = accept
    return cpo, emsp, watcher


def session_in_progress() -> dict[str, Any]:
    """DE*EMA's session at LOC1, 8 kWh so far under TARIFF-AC: 2.00 EUR."""
    energy = [{"type": "ENERGY", "volume": 8}]
    period = factories.charging_period(0, 8, dimensions=energy)
    return factories.session(
        "S1", kwh=8, charging_periods=[period], last_updated="2024-03-01T10:30:00Z"
    )


async def authorize(cpo: FakeParty, hub: RunningHub) -> Any:
    url = f"{hub.url}/ocpi/2.2.1/sender/tokens/{UID}/authorize"
    answer = await cpo.call_url("POST", url, json={"location_id": "LOC1"})
    assert answer.status_code == 1000, answer.body
    return answer.data


async def exposure(run: Run) -> dict[str, Any]:
    [row] = await ok(run, "settlement", "exposure", "--party", "DE*EMA")
    return dict(row)


async def events(hub: RunningHub) -> list[list[str]]:
    rows = await hub.pool.fetch("SELECT events FROM credit_events ORDER BY id")
    return [list(r[0]) for r in rows]


def status_seen(watcher: FakeParty) -> str | None:
    return watcher.objects.get("hubclientinfo", {}).get("DE/EMA", {}).get("status")


async def test_over_its_limit_an_emsp_is_suspended_and_a_payment_lifts_it(
    hub: RunningHub, make_party: MakeParty, run: Run
) -> None:
    """Warn at 92 %, suspended at 112 %: the hub refuses its authorizations itself (with the
    reason, recorded for the fraud watch), refuses its START_SESSION, and FR*EMB sees it
    SUSPENDED; `settlement pay` of 9.20 lifts it, and everything works again."""
    cpo, emsp, watcher = await trading(hub, make_party)
    limit = await ok(run, "settlement", "limit", "--party", "DE*EMA", "--amount", "10",
                     "--currency", "EUR")  # fmt: skip
    assert limit["limit"] == {"amount": "10.00", "currency": "EUR"}
    assert [r["state"] for r in limit["exposure"]] == ["ok"]

    assert_ok(await post(cpo, hub, factories.cdr("C1")), 201)
    assert_ok(await post(cpo, hub, factories.cdr("C2")), 201)
    await eventually(lambda: _has(hub, ["warning"]), message="a credit warning")
    warned = await exposure(run)
    assert {k: warned[k] for k in ("owed", "in_progress", "exposure", "ratio", "state",
                                   "suspended")} == {
        "owed": "9.20", "in_progress": "0.00", "exposure": "9.20", "ratio": "0.9200",
        "state": "warn", "suspended": False,
    }  # fmt: skip
    assert (await authorize(cpo, hub))["allowed"] == "ALLOWED"  # a warning refuses nothing

    await put(cpo, hub, "sessions", session_in_progress())
    await eventually(lambda: _has(hub, ["over_limit", "suspended"]), message="suspended")
    over = await exposure(run)
    assert (over["exposure"], over["ratio"], over["state"], over["suspended"]) == (
        "11.20", "1.1200", "over", True,
    )  # fmt: skip
    assert over["sessions"] == [
        {"session": "NL*CPA*S1", "estimate": "2.00", "by": "tariff TARIFF-AC", "note": None}
    ]
    await eventually(lambda: status_seen(watcher) == "SUSPENDED", message="ClientInfo pushed")

    asked = len(emsp.requests("tokens", "POST"))
    refused = await authorize(cpo, hub)
    assert refused["allowed"] == "NOT_ALLOWED"
    assert "credit suspended" in refused["info"]["text"]
    assert "11.20 EUR" in refused["info"]["text"]
    assert refused["token"]["uid"] == UID
    assert len(emsp.requests("tokens", "POST")) == asked  # the eMSP was not asked
    await eventually(lambda: _refusal_logged(hub), message="the refusal in the authorization log")

    started = await command(emsp, hub, "START_SESSION", start_session(emsp))
    assert started.status_code == 1000, started.body
    assert started.data["result"] == "REJECTED"
    assert "credit suspended" in started.data["message"][0]["text"]
    assert cpo.requests("commands", "POST") == []

    paid = await ok(run, "settlement", "pay", "--party", "DE*EMA", "--amount", "9.20",
                    "--currency", "EUR", "--reference", "INV-1")  # fmt: skip
    assert paid["balance"] == "0.00"
    # Lifted by the command, in every process, before it returned: no waiting here.
    assert (await authorize(cpo, hub))["allowed"] == "ALLOWED"
    started = await command(emsp, hub, "START_SESSION", start_session(emsp))
    assert started.data["result"] == "ACCEPTED", started.body
    assert len(cpo.requests("commands", "POST")) == 1
    await eventually(lambda: status_seen(watcher) == "CONNECTED", message="ClientInfo restored")
    assert (await exposure(run))["state"] == "ok"
    assert await events(hub) == [["warning"], ["over_limit", "suspended"],
                                 ["under_limit", "lifted"]]  # fmt: skip
    alerts = await ok(run, "settlement", "alerts", "--party", "DE*EMA")
    assert [(a["party"], a["events"], a["level"], a["suspended"]) for a in alerts] == [
        ("DE*EMA", ["warning"], "warn", False),
        ("DE*EMA", ["over_limit", "suspended"], "over", True),
        ("DE*EMA", ["under_limit", "lifted"], "ok", False),
    ]
    assert alerts[0]["limit"] == "10.00" and alerts[0]["currency"] == "EUR", alerts[0]
    assert await ok(run, "settlement", "alerts", "--party", "FR*EMB") == []


async def test_the_lift_holds_when_the_payment_command_returns(
    database_url: str, make_party: MakeParty, hub_env_for: Callable[[str], dict[str, str]]
) -> None:
    """A hub whose own assessments are an hour apart: suspended by an assessment (as its watch
    makes one), DE*EMA's authorization is refused; right after `settlement pay` returns it is
    relayed again. Only the payment's own assessment can have lifted it."""
    hub = await start_hub(database_url, credit_action=Action.SUSPEND, credit_interval=3600.0)
    try:
        cpo, _emsp, _watcher = await trading(hub, make_party)
        run = ocpi_hub(hub, hub_env_for)
        await ok(run, "settlement", "limit", "--party", "DE*EMA", "--amount", "5",
                 "--currency", "EUR")  # fmt: skip
        assert_ok(await post(cpo, hub, factories.cdr("C1")), 201)
        await put(cpo, hub, "sessions", session_in_progress())  # 4.60 + 2.00 > 5
        watch = CreditWatch(hub.pool, hub.settings, DatabaseWatch(hub.pool))
        [done] = await watch.round()
        assert done.step.state.suspended
        assert (await authorize(cpo, hub))["allowed"] == "NOT_ALLOWED"

        await ok(run, "settlement", "pay", "--party", "DE*EMA", "--amount", "4.60",
                 "--currency", "EUR", "--reference", "INV-1")  # fmt: skip
        assert (await authorize(cpo, hub))["allowed"] == "ALLOWED"
    finally:
        await hub.stop()
        await hub.pool.close()


async def test_with_the_action_alert_nothing_is_refused(
    database_url: str, make_party: MakeParty, hub_env_for: Callable[[str], dict[str, str]]
) -> None:
    """OCPI_HUB_CREDIT_ACTION=alert (the default): over its limit, DE*EMA is alerted on and
    shown `over`, never suspended; its authorization goes to it and its START_SESSION to the
    CPO, and FR*EMB still sees it CONNECTED."""
    hub = await start_hub(database_url, **FAST)
    try:
        cpo, emsp, watcher = await trading(hub, make_party)
        run = ocpi_hub(hub, hub_env_for)
        await ok(run, "settlement", "limit", "--party", "DE*EMA", "--amount", "0",
                 "--currency", "EUR")  # fmt: skip
        assert_ok(await post(cpo, hub, factories.cdr("C1")), 201)
        await eventually(lambda: _has(hub, ["over_limit"]), message="over its limit")
        row = await exposure(run)
        assert (row["state"], row["suspended"], row["ratio"]) == ("over", False, None)

        assert (await authorize(cpo, hub))["allowed"] == "ALLOWED"
        assert len(emsp.requests("tokens", "POST")) == 1
        started = await command(emsp, hub, "START_SESSION", start_session(emsp))
        assert started.data["result"] == "ACCEPTED", started.body
        await eventually(lambda: status_seen(watcher) == "CONNECTED", message="ClientInfo")
        assert await events(hub) == [["over_limit"]]
    finally:
        await hub.stop()
        await hub.pool.close()


async def _has(hub: RunningHub, wanted: list[str]) -> bool:
    return wanted in await events(hub)


async def _refusal_logged(hub: RunningHub) -> bool:
    found = await hub.pool.fetchval(
        "SELECT count(*) FROM authorizations WHERE token = $1 AND allowed = 'NOT_ALLOWED'"
        " AND on_behalf",
        f"DE*EMA*{UID}",
    )
    return bool(found)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--party", "DEEMA", "--amount", "10", "--currency", "EUR"], "write it CC*PID"),
        (["--party", "NL*CPA", "--amount", "10", "--currency", "EUR"], "not an eMSP"),
        (["--party", "XX*HUB", "--amount", "10", "--currency", "EUR"], "not an eMSP"),
        (["--party", "DE*EMA", "--amount", "ten", "--currency", "EUR"], "is not a number"),
        (["--party", "DE*EMA", "--amount", "-1", "--currency", "EUR"], "0 or more"),
        (["--party", "DE*EMA", "--amount", "10.001", "--currency", "EUR"], "EUR has 2 decimals"),
        (["--party", "DE*EMA", "--amount", "10", "--currency", "EURO"], "three-letter"),
        (["--party", "DE*EMA", "--amount", "10"], "--amount A --currency C, or --remove"),
        (["--party", "DE*EMA", "--remove", "--amount", "10"], "--remove takes no --amount"),
        (["--party", "FR*EMB", "--remove"], "has no credit limit"),
    ],
)
async def test_bad_input_to_limit_is_refused_and_changes_nothing(
    hub: RunningHub, make_party: MakeParty, run: Run, args: list[str], says: str
) -> None:
    await trading(hub, make_party)
    await ok(run, "settlement", "limit", "--party", "DE*EMA", "--amount", "5", "--currency", "EUR")
    before = [tuple(r) for r in await hub.pool.fetch("SELECT * FROM credit_limits")]

    done = await run("settlement", "limit", *args)

    assert done.returncode == 1
    assert says in done.stderr, done.stderr
    assert [tuple(r) for r in await hub.pool.fetch("SELECT * FROM credit_limits")] == before


async def test_exposure_as_text_and_a_removed_limit(
    hub: RunningHub, make_party: MakeParty, run: Run
) -> None:
    """A limit of 0 and a session at a Location the hub does not hold, counted as its
    total_cost: over, suspended. The table names each column and says which session it could
    not price; `--remove` lifts the limit, and the suspension with it."""
    cpo, _emsp, _watcher = await trading(hub, make_party)
    await ok(run, "settlement", "limit", "--party", "DE*EMA", "--amount", "0", "--currency", "EUR")
    unknown_place = factories.session(
        "S9", location_id="NOWHERE", kwh=1, total_cost={"excl_vat": 1.25}
    )
    await put(cpo, hub, "sessions", unknown_place)
    await eventually(lambda: _has(hub, ["over_limit", "suspended"]), message="suspended")

    shown = await run("settlement", "exposure")
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[1].split() == ["PARTY", "CURRENCY", "LIMIT", "OWED", "IN_PROGRESS", "EXPOSURE",
                                "RATIO", "STATE", "SUSPENDED", "SESSIONS", "UNPRICED"]  # fmt: skip
    # No ratio against a limit of 0: that column is empty.
    assert lines[2].split() == ["DE*EMA", "EUR", "0.00", "0.00", "1.25", "1.25", "over", "True",
                                "1", "1"]  # fmt: skip
    assert "not priced: NL*CPA*S9 counted as 1.25 (total_cost): its Location" in shown.stdout

    removed = await ok(run, "settlement", "limit", "--party", "DE*EMA", "--remove")
    assert removed["limit"] is None
    assert await events(hub) == [["over_limit", "suspended"], ["under_limit", "lifted"]]


async def test_alerts_refuse_a_malformed_party(run: Run) -> None:
    done = await run("settlement", "alerts", "--party", "DEEMA")
    assert done.returncode == 1 and "CC*PID" in done.stderr, done.stderr
