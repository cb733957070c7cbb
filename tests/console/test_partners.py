"""The Partners page's routes, last call and agreements (issue 12): each registered party's
route with its measured quality (operations.routes), agreements listed, allowed and denied
from the page (operations.agreements); bad input names the field and changes nothing."""

from __future__ import annotations

from ocpi_hub.operations import agreements
from tests.console.conftest import Console
from tests.console.test_pages import cells
from tests.e2e.fakes import FakeParty


async def test_routes_and_last_seen_of_registered_parties(
    console: Console, operator_token: str, cpo: FakeParty, emsp: FakeParty
) -> None:
    """Both registered parties have their one direct route, chosen as their only route, and
    a last-seen time."""
    await console.sign_in(operator_token)
    page = await console.get("/partners")
    assert page.status == 200
    route = cells(page.html.split('id="routes-heading"')[1], "NL*CPA")
    assert route[1] == "direct" and route[6].startswith("yes (its only route)")
    assert cells(page.html, "DE*EMA")[6].endswith(" UTC")


async def test_agreements_allowed_and_denied_from_the_page(
    console: Console, operator_token: str, cpo: FakeParty, emsp: FakeParty
) -> None:
    """Allowing NL*CPA and DE*EMA in tariffs lists the rule; denying them in all modules
    lists the deny too; removing forgets both: as `agreements list` has them."""
    await console.sign_in(operator_token)
    csrf = (await console.get("/partners")).csrf
    form = {"csrf": csrf, "between": "nl*cpa", "and": "de*ema"}
    allowed = await console.post("/partners/agreements", {**form, "action": "allow",
                                                          "modules": "tariffs"})  # fmt: skip
    assert allowed.status == 200 and "Agreed between NL*CPA and DE*EMA" in allowed.html
    settings = console.hub.settings
    rules = (await agreements.listed(console.hub.pool, settings))["agreements"]
    assert [(r["effect"], r["modules"]) for r in rules] == [("allow", ["tariffs"])]
    denied = await console.post("/partners/agreements", {**form, "action": "deny"})
    listed = denied.html.split('id="agreements-heading"')[1]
    assert cells(listed, rules[0]["between"])[:3] == [rules[0]["and"], "allow", "tariffs"]
    rules = (await agreements.listed(console.hub.pool, settings))["agreements"]
    assert {(r["effect"], str(r["modules"])) for r in rules} == {
        ("allow", "['tariffs']"), ("deny", "None"),
    }  # fmt: skip
    await console.post("/partners/agreements", {**form, "action": "remove"})
    assert (await agreements.listed(console.hub.pool, settings))["agreements"] == []


async def test_bad_agreements_name_the_field_and_change_nothing(
    console: Console, operator_token: str
) -> None:
    """An unknown action, a party that is not CC*PID, one party twice, an unknown module:
    400 naming the field; no agreement stored."""
    await console.sign_in(operator_token)
    csrf = (await console.get("/partners")).csrf
    good = {"csrf": csrf, "action": "allow", "between": "NL*CPA", "and": "DE*EMA"}
    for bad, field in (
        ({"action": "maybe"}, "action"),
        ({"between": "NLCPA"}, "between"),
        ({"and": "NL*CPA"}, "and"),
        ({"modules": "tariffs, nonsense"}, "modules"),
    ):
        page = await console.post("/partners/agreements", {**good, **bad})
        assert page.status == 400 and f"Not agreed: {field}:" in page.html, bad
    assert (await agreements.listed(console.hub.pool, console.hub.settings))["agreements"] == []


async def test_an_emsp_suspended_and_lifted_from_the_page(
    console: Console, operator_token: str, cpo: FakeParty, emsp: FakeParty
) -> None:
    """Suspending DE*EMA lists it with the reason and the operator; Lift forgets it; a CPO
    cannot be suspended (400 naming `party`, nothing stored)."""
    await console.sign_in(operator_token)
    csrf = (await console.get("/partners")).csrf
    refused = await console.post(
        "/partners/suspensions", {"csrf": csrf, "party": "NL*CPA", "why": "audit"}
    )
    assert refused.status == 400 and "Not done: party:" in refused.html
    done = await console.post(
        "/partners/suspensions", {"csrf": csrf, "party": "de*ema", "why": "unpaid invoices"}
    )
    assert done.status == 200 and "DE*EMA is suspended." in done.html
    listed = done.html.split('id="suspensions-heading"')[1]
    assert cells(listed, "DE*EMA")[:2] == ["unpaid invoices", "alice"]
    lifted = await console.post("/partners/suspensions/lift", {"csrf": csrf, "party": "DE*EMA"})
    assert lifted.status == 200 and "DE*EMA's suspension is lifted." in lifted.html
    assert await console.hub.pool.fetchval("SELECT count(*) FROM suspensions") == 0
