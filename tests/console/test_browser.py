"""The console in a real headless Chromium (issue 12): sign in, see a party appear after a
registration, replay a dead letter, a wrong token, a form without its CSRF token, the phone
layout, labelled controls on every page (the Money and Trace pages' own browser tests are in
test_browser_money.py). Each page's screenshot lands in test-output/screenshots/."""

from __future__ import annotations

import re

from playwright.async_api import Browser, Page, expect

from ocpi_hub.core.fraud import Alert, Code
from ocpi_hub.operations import credit, disputes
from ocpi_hub.storage.repositories import fraud, outbox
from tests.admin.test_money import a_cdr_booked
from tests.conftest import RunningHub
from tests.console.conftest import SCREENSHOTS
from tests.e2e.conftest import MakeParty, eventually, registered
from tests.e2e.fakes import FakeParty
from tests.e2e.test_delivery import put_location
from tests.e2e.test_settlement import period

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


async def signed_in(browser: Browser, hub: RunningHub, token: str, **viewport: int) -> Page:
    """A fresh browser page signed in to the console with `token` through its form."""
    context = await browser.new_context(viewport=viewport or DESKTOP)  # type: ignore[arg-type]
    page = await context.new_page()
    await page.goto(f"{hub.url}/console/")
    await expect(page).to_have_url(f"{hub.url}/console/login")
    await page.get_by_label("Operator token").fill(token)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(f"{hub.url}/console/")
    return page


async def follow(page: Page, entry: str) -> None:
    """Follow an entry of the console's navigation."""
    await page.get_by_role("navigation", name="Console").get_by_role("link", name=entry).click()


async def shoot(page: Page, name: str) -> None:
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


async def test_sign_in_and_see_a_party_appear_after_its_registration(
    browser: Browser, hub: RunningHub, operator_token: str, make_party: MakeParty
) -> None:
    """Signed in, the Partners page has no NL*CPA; once a CPO registers with the hub, it is
    listed REGISTERED, direct, in ocpi-2.2.1 2.2.1; the overview counts it."""
    page = await signed_in(browser, hub, operator_token)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Overview")
    await follow(page, "Partners")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Partners")
    await expect(page.get_by_role("rowheader", name="NL*CPA")).to_have_count(0)

    await registered(hub, await make_party("CPO", "NL", "CPA"))
    await page.reload()
    listed = page.get_by_role("table", name="Every party, local and remote")
    row = listed.get_by_role("row").filter(has=page.get_by_role("rowheader", name="NL*CPA"))
    await expect(row.get_by_role("cell")).to_have_text(
        ["CPO", "NL*CPA", "direct", "ocpi-2.2.1", "2.2.1", "REGISTERED", re.compile(" UTC$")]
    )
    await shoot(page, "partners")
    await follow(page, "Overview")
    registered_row = page.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name="REGISTERED", exact=True)
    )
    await expect(registered_row.get_by_role("cell")).to_have_text(["1"])


async def test_replay_a_dead_letter_from_the_deliveries_page(
    browser: Browser, hub: RunningHub, operator_token: str, cpo: FakeParty, emsp: FakeParty
) -> None:
    """A push the eMSP refused until it died is listed DEAD; its Replay button queues it again
    and the eMSP receives it."""
    attempts = hub.settings.push_max_attempts
    emsp.fail_next(attempts, status=500)
    await put_location(hub, cpo, "LOC1")

    async def dead() -> bool:
        return (await outbox.counts(hub.pool)).get("DEAD") == 1

    await eventually(dead, message="the push is dead-lettered")
    [letter] = await outbox.listing(hub.pool, "DEAD")
    page = await signed_in(browser, hub, operator_token)
    await follow(page, "Deliveries")
    await page.get_by_label("State").select_option("DEAD")
    await page.get_by_role("button", name="Show").click()
    await expect(page).to_have_url(f"{hub.url}/console/deliveries?status=DEAD")
    await shoot(page, "deliveries")
    await page.get_by_role("button", name=f"Replay delivery {letter.id}").click()
    await expect(page.get_by_role("status")).to_have_text("1 dead delivery queued again.")
    await eventually(lambda: len(emsp.pushes()) == 1, message="the eMSP receives the replay")
    await page.get_by_label("State").select_option("DELIVERED")
    await page.get_by_role("button", name="Show").click()

    async def listed() -> bool:
        await page.reload()
        return await page.get_by_role("rowheader", name=str(letter.id)).count() == 1

    await eventually(listed, message="the replayed delivery is listed DELIVERED")
    await follow(page, "Overview")
    await expect(page.get_by_role("heading", name="Delivered: last hour (1)")).to_be_visible()
    await shoot(page, "overview")


async def test_a_wrong_token_stays_on_the_sign_in_page(
    browser: Browser, hub: RunningHub, operator_token: str
) -> None:
    """A wrong token: still the sign-in page, an alert saying so, no session cookie."""
    context = await browser.new_context(viewport=DESKTOP)  # type: ignore[arg-type]
    page = await context.new_page()
    await page.goto(f"{hub.url}/console/login")
    await shoot(page, "login")
    await page.get_by_label("Operator token").fill("not-" + operator_token)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(f"{hub.url}/console/login")
    await expect(page.get_by_role("alert")).to_contain_text("not the token of an operator")
    await expect(page.get_by_label("Operator token")).to_have_attribute("aria-invalid", "true")
    assert "ocpi_hub_console" not in {c["name"] for c in await context.cookies()}


async def test_a_form_sent_without_its_csrf_token_is_403(
    browser: Browser, hub: RunningHub, operator_token: str
) -> None:
    """The invite form with its CSRF field taken out: 403, and no party is invited."""
    page = await signed_in(browser, hub, operator_token)
    await page.goto(f"{hub.url}/console/partners")
    await page.locator("form.invite input[name=csrf]").evaluate("field => field.remove()")
    await page.get_by_label("Country code").fill("NL")
    await page.get_by_label("Party id").fill("CPA")
    async with page.expect_response(f"{hub.url}/console/partners") as answer:
        await page.get_by_role("button", name="Invite").click()
    assert (await answer.value).status == 403
    await expect(page.get_by_role("alert")).to_contain_text("CSRF")
    assert await hub.pool.fetchval("SELECT count(*) FROM parties") == 0


async def test_an_invitation_from_the_page_shows_its_token(
    browser: Browser, hub: RunningHub, operator_token: str
) -> None:
    """Filling the invite form shows the new party's token A once and lists it INVITED."""
    page = await signed_in(browser, hub, operator_token)
    await follow(page, "Partners")
    await page.get_by_label("Role").select_option("EMSP")
    await page.get_by_label("Country code").fill("DE")
    await page.get_by_label("Party id").fill("EMA")
    await page.get_by_role("button", name="Invite").click()
    await expect(page.get_by_role("heading", name="DE*EMA (EMSP) is invited")).to_be_visible()
    assert len(await page.locator("#invited-token").inner_text()) >= 32
    await shoot(page, "partners-invited")


async def test_on_a_phone_the_navigation_folds_behind_a_menu_link(
    browser: Browser, hub: RunningHub, operator_token: str
) -> None:
    """At 390 px the navigation is hidden until Menu is followed (no script); at 1280 px it
    shows at once. Nothing is wider than the screen."""
    page = await signed_in(browser, hub, operator_token, **PHONE)
    nav = page.get_by_role("navigation", name="Console")
    await expect(nav).to_be_hidden()
    await page.get_by_role("link", name="Menu").click()
    await expect(nav).to_be_visible()
    await shoot(page, "overview-phone")
    await nav.get_by_role("link", name="Deliveries").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Deliveries")
    overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    await page.set_viewport_size(DESKTOP)  # type: ignore[arg-type]
    await expect(nav).to_be_visible()


# Every visible form control has a label; headings never skip a level; the landmarks exist.
_AUDIT = """() => {
  const problems = [];
  for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
    if (!(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
      problems.push('unlabelled ' + (el.name || el.outerHTML));
  }
  for (const b of document.querySelectorAll('button')) {
    if (!(b.textContent.trim() || b.getAttribute('aria-label'))) problems.push('nameless button');
  }
  let last = 0;
  for (const h of document.querySelectorAll('h1, h2, h3, h4, h5, h6')) {
    const level = Number(h.tagName[1]);
    if (level > last + 1) problems.push('heading jumps to ' + h.tagName + ': ' + h.textContent);
    last = level;
  }
  if (document.querySelectorAll('h1').length !== 1) problems.push('not one h1');
  if (!document.querySelector('main')) problems.push('no main landmark');
  for (const t of document.querySelectorAll('table')) {
    if (!t.querySelector('th')) problems.push('a table without headers');
  }
  return problems;
}"""


async def test_every_page_has_labelled_controls_ordered_headings_and_landmarks(
    browser: Browser, hub: RunningHub, operator_token: str, cpo: FakeParty, emsp: FakeParty
) -> None:
    """On each page (with data in it): each control labelled, headings in order, one h1, a
    main landmark, table headers."""
    context = await browser.new_context(viewport=DESKTOP)  # type: ignore[arg-type]
    login = await context.new_page()
    await login.goto(f"{hub.url}/console/login")
    assert await login.evaluate(_AUDIT) == []
    page = await signed_in(browser, hub, operator_token)
    await a_cdr_booked(hub, cpo, emsp)
    await disputes.open_dispute(hub.pool, cdr="NL*CPA*CDR1", reason="r", by="alice")
    await fraud.raise_alerts(hub.pool, [Alert(Code.REFUSED_BURST, "DE*EMA*T1", {"n": 5})])
    await credit.limit(hub.pool, hub.settings, party="DE*EMA", amount="5", currency="EUR")
    month = await period(hub)
    for path in (
        "/", "/partners", "/deliveries", "/deliveries?status=LOST",
        f"/money?party=DE*EMA&period={month}", "/money?period=2024-13", "/trace",
        "/trace?id=never-seen",
    ):  # fmt: skip
        await page.goto(f"{hub.url}/console{path}")
        assert await page.evaluate(_AUDIT) == [], path
        assert await page.get_by_role("navigation", name="Console").count() == 1
