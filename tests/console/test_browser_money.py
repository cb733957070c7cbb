"""The Money and Trace pages in a real headless Chromium (issue 12): the money page shows a
balance, a dispute opened and resolved from the page, a trace followed from a relayed request's
correlation id. Screenshots land in test-output/screenshots/."""

from __future__ import annotations

import uuid

from playwright.async_api import Browser, expect

from ocpi_hub.operations import disputes, trace
from tests.admin.test_money import a_cdr_booked
from tests.conftest import RunningHub
from tests.console.test_browser import follow, shoot, signed_in
from tests.e2e.conftest import eventually, ok, to_headers
from tests.e2e.fakes import FakeParty
from tests.e2e.test_metrics import HUB, allowing


async def test_open_and_resolve_a_dispute_from_the_money_page(
    browser: Browser, hub: RunningHub, operator_token: str, cpo: FakeParty, emsp: FakeParty
) -> None:
    """After a CDR of 4.60 EUR the Money page shows DE*EMA owing 4.60; a dispute of 1.00
    opened by the form is listed and DE*EMA owes 3.60 with 1.00 disputed; Accept resolves it
    in the operator's name and it leaves the open list."""
    await a_cdr_booked(hub, cpo, emsp)
    page = await signed_in(browser, hub, operator_token)
    await follow(page, "Money")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Money")
    balances = page.get_by_role("table").filter(has_text="Receivable")
    row = balances.get_by_role("row").filter(has=page.get_by_role("rowheader", name="DE*EMA"))
    await expect(row.get_by_role("cell").nth(3)).to_have_text("4.60")

    await page.get_by_label("CDR", exact=True).fill("NL*CPA*CDR1")
    await page.get_by_label("Amount (empty: all of it)").fill("1")
    await page.get_by_label("Reason", exact=True).fill("20 kWh, not 30")
    await page.get_by_role("button", name="Open dispute").click()
    [opened] = await disputes.listed(hub.pool)
    await expect(page.get_by_role("status")).to_have_text(f"Dispute {opened['id']} opened.")
    await expect(row.get_by_role("cell").nth(3)).to_have_text("3.60")
    await expect(row.get_by_role("cell").nth(4)).to_have_text("1.00")
    await shoot(page, "money")

    await page.get_by_label(f"Note on dispute {opened['id']}").fill("meter replaced")
    await page.get_by_role("button", name=f"Accept dispute {opened['id']}").click()
    await expect(page.get_by_role("status")).to_have_text(f"Dispute {opened['id']} accepted.")
    await expect(page.get_by_text("No open disputes.")).to_be_visible()
    [done] = await disputes.listed(hub.pool, everything=True)
    assert (done["state"], done["events"][-1]["by"], done["events"][-1]["note"]) == (
        "ACCEPTED", "alice", "meter replaced",
    )  # fmt: skip


async def test_follow_a_trace_from_its_correlation_id(
    browser: Browser, hub: RunningHub, operator_token: str, cpo: FakeParty, emsp: FakeParty
) -> None:
    """An authorization relayed through the hub with a known X-Correlation-ID: pasted into
    the Trace page, its request, relay and answer are listed in that order on a timeline; an
    id never seen says so."""
    allowing(emsp)
    correlation_id = str(uuid.uuid4())
    headers = {**to_headers(emsp), "X-Correlation-ID": correlation_id}
    ok(await cpo.call_url("POST", f"{hub.url}{HUB}/sender/tokens/U1/authorize", headers=headers))

    async def kept() -> bool:
        found = await trace.timeline(hub.pool, correlation_id)
        return found is not None and len(found["hops"]) >= 3

    await eventually(kept, message="the relay's hops are kept")
    page = await signed_in(browser, hub, operator_token)
    await follow(page, "Trace")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Trace")
    await page.get_by_label("Correlation id").fill(correlation_id)
    await page.get_by_role("button", name="Trace").click()
    await expect(page.get_by_role("heading", name=f"3 hops of {correlation_id}")).to_be_visible()
    kinds = page.locator("table.list tbody tr td:nth-child(3)")
    await expect(kinds).to_have_text(["request", "relay", "answer"])
    hops = page.locator("table.list tbody tr")
    await expect(hops.nth(1).get_by_role("cell").nth(4)).to_have_text("DE*EMA")
    await expect(page.get_by_role("img", name="The hops on a timeline")).to_be_visible()
    await shoot(page, "trace")

    await page.get_by_label("Correlation id").fill("never-seen")
    await page.get_by_role("button", name="Trace").click()
    await expect(page.get_by_role("status")).to_contain_text("No hop of never-seen is kept")
