"""The console's Money and Trace pages over real data (issue 12): balances and a statement
with its CSV (the admin API's, byte for byte), disputes opened and resolved from the page in
the operator's name, fraud alerts closed, credit exposure drawn against its limit, a trace
and an unknown id. Bad input is the page again naming the field, and changes nothing."""

from __future__ import annotations

import re

from ocpi_hub.core.fraud import Alert, Code
from ocpi_hub.operations import credit, disputes
from ocpi_hub.storage.repositories import fraud
from tests.admin.test_money import a_cdr_booked
from tests.console.conftest import Console
from tests.console.test_pages import cells
from tests.e2e.fakes import FakeParty
from tests.e2e.test_settlement import ledger_rows, period


async def test_balances_and_a_statement_with_the_admin_apis_csv(
    console: Console, operator_token: str, cpo: FakeParty, emsp: FakeParty
) -> None:
    """After a CDR of 4.60 EUR: DE*EMA owes 4.60, NL*CPA is owed 4.41; DE*EMA's statement of
    the month lists the CDR; its CSV download is the admin API's, byte for byte."""
    await a_cdr_booked(console.hub, cpo, emsp)
    await console.sign_in(operator_token)
    page = await console.get("/money")
    assert page.status == 200
    assert cells(page.html, "DE*EMA")[:5] == ["EUR", "4.60", "0.00", "4.60", "0.00"]
    assert cells(page.html, "NL*CPA")[3] == "-4.41"
    month = await period(console.hub)
    shown = await console.get(f"/money?party=de*ema&period={month}")
    assert shown.status == 200 and "DE*EMA, " + month in shown.html
    assert "<td>cdr</td><td>NL*CPA*CDR1</td><td>EUR</td>" in shown.html
    async with console.session.get(
        console.url(f"/money/statement.csv?party=DE*EMA&period={month}")
    ) as answer:
        assert answer.status == 200 and answer.content_type == "text/csv"
        disposition = answer.headers["Content-Disposition"]
        downloaded = await answer.text()
    async with console.session.get(
        f"{console.hub.url}/admin/api/settlement/statements?party=DE*EMA&period={month}&format=csv",
        headers={"Authorization": f"Bearer {operator_token}"},
    ) as api:
        assert downloaded == await api.text()
        assert disposition == api.headers["Content-Disposition"]


async def test_a_bad_statement_query_names_the_field(console: Console, operator_token: str) -> None:
    """A month that is not one, or a party the hub does not know: 400 naming the field, on the
    page and on the download."""
    await console.sign_in(operator_token)
    page = await console.get("/money?party=DE*EMA&period=2024-13")
    assert page.status == 400 and "period: " in page.html
    assert re.search(r'id="period"[^>]*aria-invalid="true"', page.html)
    unknown = await console.get("/money?party=FR*ZZZ&period=2024-03")
    assert unknown.status == 400 and "party: " in unknown.html
    download = await console.get("/money/statement.csv?party=DEEMA&period=2024-03")
    assert download.status == 400 and "party: " in download.html


async def test_a_dispute_opened_and_rejected_from_the_page(
    console: Console, operator_token: str, cpo: FakeParty, emsp: FakeParty
) -> None:
    """Opening a dispute of 1.00 by the form: it is listed OPEN, opened by alice; DE*EMA owes
    3.60 with 1.00 disputed. Rejected with a note: REJECTED, and DE*EMA owes 4.60 again."""
    await a_cdr_booked(console.hub, cpo, emsp)
    await console.sign_in(operator_token)
    csrf = (await console.get("/money")).csrf
    form = {"csrf": csrf, "cdr": "nl*cpa*cdr1", "amount": "1", "reason": "20 kWh, not 30"}
    opened = await console.post("/money/disputes", form)
    [listed] = await disputes.listed(console.hub.pool)
    assert opened.status == 200 and f"Dispute {listed['id']} opened." in opened.html
    assert (listed["amount"], listed["events"][0]["by"]) == ("1.00", "alice")
    assert cells(opened.html, "DE*EMA")[3:5] == ["3.60", "1.00"]
    assert f'aria-label="Accept dispute {listed["id"]}"' in opened.html

    form = {"csrf": csrf, "decision": "reject", "note": "the meter is right"}
    rejected = await console.post(f"/money/disputes/{listed['id']}/resolve", form)
    assert f"Dispute {listed['id']} rejected." in rejected.html
    assert await disputes.listed(console.hub.pool) == []
    [done] = await disputes.listed(console.hub.pool, everything=True)
    assert [(e["step"], e["by"], e["note"]) for e in done["events"]][1] == (
        "rejected", "alice", "the meter is right",
    )  # fmt: skip
    assert cells(rejected.html, "DE*EMA")[3:5] == ["4.60", "0.00"]
    assert "REJECTED" in (await console.get("/money?disputes=all")).html


async def test_bad_dispute_forms_name_the_field_and_change_nothing(
    console: Console, operator_token: str, cpo: FakeParty, emsp: FakeParty
) -> None:
    """An unknown CDR, an amount above the CDR's, no reason, a decision that is neither accept
    nor reject, an unknown dispute: 400 naming the field, values kept; nothing booked."""
    await a_cdr_booked(console.hub, cpo, emsp)
    await console.sign_in(operator_token)
    csrf = (await console.get("/money")).csrf
    before = await ledger_rows(console.hub)
    good = {"csrf": csrf, "cdr": "NL*CPA*CDR1", "amount": "1", "reason": "r"}
    for bad, field in (
        ({"cdr": "NL*CPA*NOPE"}, "cdr"),
        ({"amount": "4.61"}, "amount"),
        ({"reason": " "}, "reason"),
    ):
        page = await console.post("/money/disputes", {**good, **bad})
        assert page.status == 400 and f"Not opened: {field}:" in page.html, bad
        assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', page.html), field
    for path, form, field in (
        ("/money/disputes/999/resolve", {"decision": "accept"}, "id"),
        ("/money/disputes/1/resolve", {"decision": "maybe"}, "decision"),
        ("/money/fraud/999/close", {}, "id"),
    ):
        page = await console.post(path, {"csrf": csrf, **form})
        assert page.status == 400 and f"Not done: {field}:" in page.html, path
    assert await disputes.listed(console.hub.pool, everything=True) == []
    assert await ledger_rows(console.hub) == before


async def test_a_fraud_alert_closed_from_the_page(console: Console, operator_token: str) -> None:
    """An open alert is listed with a Close form; closed with a note it leaves the list and
    keeps the note."""
    await fraud.raise_alerts(console.hub.pool, [Alert(Code.REFUSED_BURST, "DE*EMA*T1", {"n": 5})])
    [alert] = await fraud.alerts(console.hub.pool)
    await console.sign_in(operator_token)
    page = await console.get("/money")
    assert cells(page.html, str(alert["id"]))[:3] == [
        "REFUSED_BURST",
        alert["severity"],
        "DE*EMA*T1",
    ]
    closed = await console.post(
        f"/money/fraud/{alert['id']}/close", {"csrf": page.csrf, "note": "a test"}
    )
    assert f"Fraud alert {alert['id']} closed." in closed.html
    assert "No open fraud alerts." in closed.html
    [kept] = await fraud.alerts(console.hub.pool, everything=True)
    assert kept["note"] == "a test" and kept["closed_at"]


async def test_credit_exposure_is_a_bar_against_the_limit(
    console: Console, operator_token: str, cpo: FakeParty, emsp: FakeParty
) -> None:
    """DE*EMA owes 4.60 against a limit of 5.00: its bar fills 92 % of the way to the limit's
    mark; with a limit of 4.00 it runs past the mark, drawn as over."""
    await a_cdr_booked(console.hub, cpo, emsp)
    settings = console.hub.settings
    await credit.limit(console.hub.pool, settings, party="DE*EMA", amount="5", currency="EUR")
    await console.sign_in(operator_token)
    page = await console.get("/money")
    assert "DE*EMA: exposure 4.60 EUR of a limit of 5.00 (92.0 %)" in page.html
    assert '<svg class="gauge"' in page.html
    assert '<rect class="fill" x="0" y="0" width="220.8"' in page.html  # 240 * 4.60 / 5.00
    await credit.limit(console.hub.pool, settings, party="DE*EMA", amount="4", currency="EUR")
    over = await console.get("/money")
    assert '<svg class="gauge over"' in over.html


async def test_an_unknown_or_malformed_correlation_id(
    console: Console, operator_token: str
) -> None:
    """An id the hub never saw says so (200); an id that cannot be one is a 400 naming the
    field; the bare page is only the form."""
    await console.sign_in(operator_token)
    bare = await console.get("/trace")
    assert bare.status == 200 and "hops of" not in bare.html
    unknown = await console.get("/trace?id=never-seen")
    assert unknown.status == 200 and "No hop of <code>never-seen</code> is kept" in unknown.html
    bad = await console.get("/trace?id=%20")
    assert bad.status == 400 and "correlation_id: " in bad.html
