"""An operator's suspension of an eMSP (issue 12: the console's "suspend"), through the admin
API and the CLI: its new charging stops as under a credit suspension, whatever the credit
action, until lifted; bad input names the field and changes nothing."""

from __future__ import annotations

from collections.abc import Callable

from tests.admin.conftest import Admin
from tests.conftest import RunningHub
from tests.e2e.conftest import MakeParty
from tests.e2e.test_commands import command, start_session
from tests.e2e.test_credit import authorize, trading
from tests.e2e.test_network_cli import ocpi_hub


async def test_a_suspended_emsp_is_refused_until_lifted(
    admin: Admin, make_party: MakeParty
) -> None:
    """Suspended: the CPO's authorization is answered NOT_ALLOWED by the hub with the reason,
    the eMSP not asked, its START_SESSION rejected; lifted: both go through again."""
    hub = admin.hub
    cpo, emsp, _ = await trading(hub, make_party)
    assert (await authorize(cpo, hub))["allowed"] == "ALLOWED"

    status, done = await admin.call(
        "POST", "/parties/suspensions", {"party": "de*ema", "why": "invoices unpaid since May"}
    )
    assert status == 201 and done == {
        "party": "DE*EMA", "why": "invoices unpaid since May", "by": "alice"
    }  # fmt: skip
    asked = len(emsp.requests("tokens", "POST"))
    refused = await authorize(cpo, hub)
    assert refused["allowed"] == "NOT_ALLOWED"
    assert "suspended by the operator alice: invoices unpaid since May" in refused["info"]["text"]
    assert len(emsp.requests("tokens", "POST")) == asked
    started = await command(emsp, hub, "START_SESSION", start_session(emsp))
    assert started.data["result"] == "REJECTED" and "invoices unpaid" in str(started.data)
    listed = (await admin.call("GET", "/parties/suspensions"))[1]
    assert [(s["party"], s["by"]) for s in listed] == [("DE*EMA", "alice")]

    status, lifted = await admin.call("DELETE", "/parties/suspensions", {"party": "DE*EMA"})
    assert (status, lifted) == (200, {"party": "DE*EMA", "lifted": True})
    assert (await authorize(cpo, hub))["allowed"] == "ALLOWED"
    again = await admin.call("DELETE", "/parties/suspensions", {"party": "DE*EMA"})
    assert again == (200, {"party": "DE*EMA", "lifted": False})


async def test_bad_suspensions_name_the_field_and_change_nothing(
    admin: Admin, make_party: MakeParty
) -> None:
    """A party that is no known eMSP (a CPO, an unknown one, not CC*PID) or no reason is a 400
    naming the field; nothing is suspended."""
    await trading(admin.hub, make_party)
    cases = [
        ({"party": "NL*CPA", "why": "x"}, "party"),
        ({"party": "BE*XXX", "why": "x"}, "party"),
        ({"party": "DEEMA", "why": "x"}, "party"),
        ({"party": "DE*EMA", "why": "   "}, "why"),
        ({"party": "DE*EMA"}, "why"),
    ]
    for body, field in cases:
        status, answer = await admin.call("POST", "/parties/suspensions", body)
        assert status == 400 and answer["error"]["field"] == field, (body, answer)
    assert await admin.hub.pool.fetchval("SELECT count(*) FROM suspensions") == 0


async def test_the_cli_suspends_and_lifts(
    hub: RunningHub, make_party: MakeParty, hub_env_for: Callable[[str], dict[str, str]]
) -> None:
    """`parties suspend --by`, `parties suspensions --json`, `parties lift` as real processes;
    a CPO is refused with the option named."""
    run = ocpi_hub(hub, hub_env_for)
    cpo, _, _ = await trading(hub, make_party)
    done = await run("parties", "suspend", "--party", "DE*EMA", "--why", "audit", "--by", "bob")
    assert done.returncode == 0, done.stderr
    assert (await authorize(cpo, hub))["allowed"] == "NOT_ALLOWED"
    listed = await run("parties", "suspensions", "--json")
    assert '"party":"DE*EMA"' in listed.stdout and '"by":"bob"' in listed.stdout
    refused = await run("parties", "suspend", "--party", "NL*CPA", "--why", "x", "--by", "bob")
    assert refused.returncode == 1 and refused.stderr.startswith("ocpi-hub: --party")
    assert (await run("parties", "lift", "--party", "DE*EMA")).returncode == 0
    assert (await authorize(cpo, hub))["allowed"] == "ALLOWED"
