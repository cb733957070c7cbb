"""The money resources of the admin API: findings and reconciliation, disputes, fraud alerts,
settlement and credit, over real HTTP to a running hub, with CDRs sent through it by a fake
CPO. They are the actions the CLI runs (ocpi_hub.operations): bad input is a 400 naming the
field and changes nothing.

Figures as in tests/e2e/test_settlement.py: a CDR of 4.60 EUR under a fee of 2 % + 0.10 EUR
books the eMSP 4.60, the hub 0.19 and the CPO 4.41.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from ocpi_hub.admin.api import ENDPOINTS, Endpoint
from ocpi_hub.admin.api_money import ENDPOINTS as MONEY
from ocpi_hub.core.fraud import Alert, Code
from ocpi_hub.core.ledger import Fee
from ocpi_hub.storage.platform_cache import announce
from ocpi_hub.storage.repositories import agreements, fraud
from tests import factories
from tests.admin.conftest import Admin
from tests.conftest import RunningHub
from tests.e2e.fakes import FakeParty
from tests.e2e.test_cdr_checks import post_cdr, the_cpos_place
from tests.e2e.test_cdrs import assert_ok, post
from tests.e2e.test_network_cli import ocpi_hub
from tests.e2e.test_settlement import delivered, ledger_rows, period

Cases = list[tuple[str, str, Any, str]]


def endpoint_of(method: str, path: str) -> Endpoint:
    """The endpoint that serves `method path` (its query aside)."""
    [found] = [
        e for e in ENDPOINTS
        if e.method == method
        and re.fullmatch(re.sub(r"\{\w+\}", "[^/]+", e.path), path.partition("?")[0])
    ]  # fmt: skip
    return found


class Checked(Admin):
    """The admin client, checking each success against what its endpoint declares: its
    status, the JSON Schema of its answer and of the body sent."""

    async def call(
        self, method: str, path: str, body: Any = None, token: str | None = None
    ) -> tuple[int, Any]:
        status, answer = await super().call(method, path, body, token)
        if status < 300:
            endpoint = endpoint_of(method, path)
            assert status == endpoint.status, (method, path)
            Draft202012Validator(endpoint.answer).validate(answer)
            if endpoint.body is not None and body is not None:
                Draft202012Validator(endpoint.body).validate(body)
        return status, answer


@pytest.fixture
def admin(admin: Admin) -> Admin:
    return Checked(admin.hub, admin.session, admin.token)


def test_the_money_endpoints_are_served_and_their_schemas_valid() -> None:
    """Every money endpoint is among the API's, with valid JSON Schemas."""
    for endpoint in MONEY:
        assert endpoint in ENDPOINTS and endpoint.name.startswith("admin:")
        for schema in (endpoint.answer, endpoint.body or {}, *endpoint.query.values()):
            Draft202012Validator.check_schema(schema)


async def a_cdr_booked(hub: RunningHub, cpo: FakeParty, emsp: FakeParty) -> None:
    """The fee agreed between NL*CPA and DE*EMA, and CDR1 sent through the hub and delivered
    (the console's tests book theirs so too)."""
    fee = Fee.of(Decimal("2"), Decimal("0.10"), "EUR")
    await agreements.set_fee(hub.pool, ("NL", "CPA"), ("DE", "EMA"), fee)
    await announce(hub.pool, None)
    assert_ok(await post(cpo, hub, factories.cdr()), 201)
    await delivered(emsp, 1)


async def refused(admin: Admin, cases: Cases) -> None:
    """Each (method, path, body, field) is a 400 whose error names the field."""
    for method, path, body, field in cases:
        status, answer = await admin.call(method, path, body)
        assert status == 400 and answer["error"]["field"] == field, (path, body, answer)
        assert answer["error"]["message"], answer


async def test_money_resources_need_an_operator_token(admin: Admin) -> None:
    """Every money resource is 401 without an operator token."""
    for method, path in (
        ("GET", "/findings"), ("POST", "/reconcile"), ("GET", "/disputes"),
        ("POST", "/disputes"), ("POST", "/disputes/1/resolve"), ("GET", "/fraud/alerts"),
        ("POST", "/fraud/alerts/1/close"), ("GET", "/settlement/balances"),
        ("GET", "/settlement/statements"), ("POST", "/settlement/payments"),
        ("GET", "/credit/exposure"), ("PUT", "/credit/limits"), ("DELETE", "/credit/limits"),
        ("GET", "/credit/alerts"),
    ):  # fmt: skip
        status, body = await admin.call(method, path, {}, token="")
        assert (status, body["error"]["status"]) == (401, 401), path


# ---- findings -----------------------------------------------------------------------------


async def test_reconcile_answers_the_open_findings_and_findings_lists_them(
    admin: Admin, cpo: FakeParty, emsp: FakeParty
) -> None:
    """A CDR with more energy than its EVSE can give: POST /reconcile answers its finding (and
    none for an uninvolved party); GET /findings lists it by party and date."""
    await the_cpos_place(cpo, admin.hub)
    await post_cdr(cpo, admin.hub, factories.plausible_cdr(total_energy=30))

    status, done = await admin.call("POST", "/reconcile")
    assert status == 200, done
    [finding] = done["findings"]
    assert (finding["code"], finding["cdr"], finding["parties"]) == (
        "ENERGY_ABOVE_MAX_POWER", "NL*CPA*CDR1", ["NL*CPA", "DE*EMA"],
    )  # fmt: skip
    assert finding["resolved_at"] is None and done["judged"] >= 1
    assert (await admin.call("POST", "/reconcile?party=nl*cpb"))[1]["findings"] == []

    assert await admin.call("GET", "/findings") == (200, [finding])
    assert await admin.call("GET", "/findings?party=DE*EMA&since=2000-01-01&all=false") == (
        200, [finding],
    )  # fmt: skip
    assert await admin.call("GET", "/findings?since=2999-01-01T00:00:00Z&all=true") == (200, [])


async def test_bad_findings_queries_name_the_parameter(admin: Admin) -> None:
    """A party not CC*PID, a since that is no date, an all that is no flag: 400 naming it."""
    await refused(admin, [
        ("GET", "/findings?party=NLCPA", None, "party"),
        ("GET", "/findings?since=yesterday", None, "since"),
        ("GET", "/findings?all=maybe", None, "all"),
        ("POST", "/reconcile?party=NL", None, "party"),
    ])  # fmt: skip


# ---- disputes -----------------------------------------------------------------------------


async def test_a_dispute_opened_and_accepted(admin: Admin, cpo: FakeParty, emsp: FakeParty) -> None:
    """1.00 of the CDR disputed by the calling operator: DE*EMA owes 3.60 with 1.00 disputed;
    accepted by bob, NL*CPA is owed 3.45 and the dispute lists both steps; it is no longer
    open."""
    await a_cdr_booked(admin.hub, cpo, emsp)
    status, opened = await admin.call(
        "POST", "/disputes", {"cdr": "nl*cpa*cdr1", "reason": "20 kWh, not 30", "amount": "1"}
    )
    assert status == 201, opened
    assert (opened["cdr"], opened["amount"], opened["state"]) == ("NL*CPA*CDR1", "1.00", "OPEN")
    assert opened["events"][0]["by"] == "alice"  # the operator's name
    assert await admin.call("GET", "/disputes") == (200, [opened])
    balances = (await admin.call("GET", "/settlement/balances"))[1]
    assert owed(balances, "DE*EMA") == ("3.60", "1.00")

    status, accepted = await admin.call(
        "POST", f"/disputes/{opened['id']}/resolve",
        {"accept": True, "note": "meter replaced", "by": "bob"},
    )  # fmt: skip
    assert status == 200, accepted
    assert [(e["step"], e["by"], e["note"]) for e in accepted["events"]] == [
        ("opened", "alice", "20 kWh, not 30"), ("accepted", "bob", "meter replaced"),
    ]  # fmt: skip
    balances = (await admin.call("GET", "/settlement/balances"))[1]
    assert owed(balances, "NL*CPA") == ("-3.45", "0.00")
    assert await admin.call("GET", "/disputes") == (200, [])
    assert await admin.call("GET", "/disputes?all=true") == (200, [accepted])


def owed(balances: dict[str, Any], name: str) -> tuple[str, str]:
    [row] = [b for b in balances["parties"] if b["party"] == name]
    return row["balance"], row["disputed"]


async def test_bad_disputes_name_the_field_and_change_nothing(
    admin: Admin, cpo: FakeParty, emsp: FakeParty
) -> None:
    """Malformed or unknown CDRs, amounts above what can be disputed or too fine, no reason,
    a decision that is not a boolean, an unknown, malformed or closed dispute: 400 naming the
    field; the ledger and the disputes as they were."""
    await a_cdr_booked(admin.hub, cpo, emsp)
    _, closed = await admin.call("POST", "/disputes", {"cdr": "NL*CPA*CDR1", "reason": "r"})
    await admin.call("POST", f"/disputes/{closed['id']}/resolve", {"accept": False})
    before = (await ledger_rows(admin.hub), await admin.call("GET", "/disputes?all=true"))
    cdr = "NL*CPA*CDR1"
    await refused(admin, [
        ("POST", "/disputes", {"cdr": "NLCPA*CDR1", "reason": "r"}, "cdr"),
        ("POST", "/disputes", {"cdr": "NL*CPA*NOPE", "reason": "r"}, "cdr"),
        ("POST", "/disputes", {"cdr": cdr, "reason": "r", "amount": "4.61"}, "amount"),
        ("POST", "/disputes", {"cdr": cdr, "reason": "r", "amount": "1.001"}, "amount"),
        ("POST", "/disputes", {"cdr": cdr, "reason": "r", "amount": 1}, "amount"),
        ("POST", "/disputes", {"cdr": cdr, "reason": " "}, "reason"),
        ("POST", "/disputes", {"cdr": cdr}, "reason"),
        ("POST", "/disputes", {"cdr": cdr, "reason": "r", "by": ""}, "by"),
        ("POST", f"/disputes/{closed['id']}/resolve", {"accept": True}, "id"),
        ("POST", f"/disputes/{closed['id']}/resolve", {"accept": "yes"}, "accept"),
        ("POST", "/disputes/999/resolve", {"accept": True}, "id"),
        ("POST", "/disputes/one/resolve", {"accept": True}, "id"),
        ("POST", "/disputes", [cdr], None),
    ])  # fmt: skip
    assert (await ledger_rows(admin.hub), await admin.call("GET", "/disputes?all=true")) == before


# ---- fraud --------------------------------------------------------------------------------


async def test_a_fraud_alert_listed_and_closed(admin: Admin) -> None:
    """An open alert is listed; closed with a note it leaves the open list and shows, closed
    with its note, under all; closing it again is a 400 naming the id."""
    alert = Alert(Code.REFUSED_BURST, "DE*EMA*TOKEN1", {"refusals": 5})
    await fraud.raise_alerts(admin.hub.pool, [alert])
    status, [listed] = await admin.call("GET", "/fraud/alerts")
    assert status == 200
    assert (listed["code"], listed["subject"], listed["evidence"]) == (
        "REFUSED_BURST", "DE*EMA*TOKEN1", {"refusals": 5},
    )  # fmt: skip

    done = await admin.call("POST", f"/fraud/alerts/{listed['id']}/close", {"note": "a test"})
    assert done == (200, {"id": listed["id"], "closed": True, "note": "a test"})
    assert await admin.call("GET", "/fraud/alerts") == (200, [])
    [closed] = (await admin.call("GET", "/fraud/alerts?all=true"))[1]
    assert (closed["id"], closed["note"]) == (listed["id"], "a test") and closed["closed_at"]
    await refused(admin, [
        ("POST", f"/fraud/alerts/{listed['id']}/close", {}, "id"),
        ("POST", "/fraud/alerts/x/close", {}, "id"),
        ("POST", f"/fraud/alerts/{listed['id']}/close", {"note": 5}, "note"),
        ("GET", "/fraud/alerts?all=1", None, "all"),
    ])  # fmt: skip
    assert (await admin.call("GET", "/fraud/alerts?all=true"))[1] == [closed]


# ---- settlement ---------------------------------------------------------------------------


async def test_balances_statement_and_a_payment(
    admin: Admin,
    cpo: FakeParty,
    emsp: FakeParty,
    hub_env_for: Callable[[str], dict[str, str]],
) -> None:
    """Balances after a CDR; DE*EMA's statement as JSON and as the CSV `settlement statement
    --csv` prints (a text/csv download); a payment of 4.60 brings its balance to zero."""
    await a_cdr_booked(admin.hub, cpo, emsp)
    status, balances = await admin.call("GET", "/settlement/balances")
    assert status == 200
    assert (owed(balances, "DE*EMA"), owed(balances, "NL*CPA")) == (
        ("4.60", "0.00"), ("-4.41", "0.00"),
    )  # fmt: skip
    assert balances["hub"] == [{"currency": "EUR", "fees": "0.19", "cash": "0.00"}]

    month = await period(admin.hub)
    query = f"/settlement/statements?party=de*ema&period={month}"
    status, statement = await admin.call("GET", query)
    assert status == 200 and statement["party"] == "DE*EMA"
    assert [(x["kind"], x["net"], x["running"]) for x in statement["lines"]] == [
        ("cdr", "4.60", "4.60")
    ]
    async with admin.session.get(
        f"{admin.hub.url}/admin/api{query}&format=csv",
        headers={"Authorization": f"Bearer {admin.token}"},
    ) as answer:
        assert answer.status == 200 and answer.content_type == "text/csv"
        assert answer.headers["Content-Disposition"] == (
            f'attachment; filename="statement-DE-EMA-{month}.csv"'
        )
        downloaded = await answer.text()
    printed = await ocpi_hub(admin.hub, hub_env_for)(
        "settlement", "statement", "--party", "DE*EMA", "--period", month, "--csv"
    )
    assert printed.returncode == 0 and downloaded == printed.stdout

    payment = {"party": "DE*EMA", "amount": "4.60", "currency": "eur", "reference": "R1"}
    status, paid = await admin.call("POST", "/settlement/payments", payment)
    assert status == 201, paid
    assert (paid["amount"], paid["currency"], paid["balance"]) == ("4.60", "EUR", "0.00")
    assert owed((await admin.call("GET", "/settlement/balances"))[1], "DE*EMA")[0] == "0.00"


async def test_bad_settlement_input_names_the_field_and_changes_nothing(
    admin: Admin, cpo: FakeParty, emsp: FakeParty
) -> None:
    """Statements and payments with a wrong party, period, format, amount, currency or
    reference, or a reference paid already: 400 naming the field; the ledger as it was."""
    await a_cdr_booked(admin.hub, cpo, emsp)
    pay = {"party": "DE*EMA", "amount": "1", "currency": "EUR", "reference": "R1"}
    assert (await admin.call("POST", "/settlement/payments", pay))[0] == 201
    before = await ledger_rows(admin.hub)
    await refused(admin, [
        ("GET", "/settlement/statements?party=DE*EMA&period=2024-13", None, "period"),
        ("GET", "/settlement/statements?party=DE*EMA", None, "period"),
        ("GET", "/settlement/statements?party=DEEMA&period=2024-03", None, "party"),
        ("GET", "/settlement/statements?party=FR*ZZZ&period=2024-03", None, "party"),
        ("GET", "/settlement/statements?party=DE*EMA&period=2024-03&format=xml", None,
         "format"),
        ("POST", "/settlement/payments", {**pay, "reference": "R2", "party": "FR*ZZZ"}, "party"),
        ("POST", "/settlement/payments", {**pay, "reference": "R2", "amount": "ten"}, "amount"),
        ("POST", "/settlement/payments", {**pay, "reference": "R2", "amount": "0"}, "amount"),
        ("POST", "/settlement/payments", {**pay, "reference": "R2", "currency": "EURO"},
         "currency"),
        ("POST", "/settlement/payments", {**pay, "reference": " "}, "reference"),
        ("POST", "/settlement/payments", pay, "reference"),  # paid already
    ])  # fmt: skip
    assert await ledger_rows(admin.hub) == before


# ---- credit -------------------------------------------------------------------------------


async def test_a_credit_limit_set_shown_and_removed(
    admin: Admin, cpo: FakeParty, emsp: FakeParty
) -> None:
    """A limit of 5.00 EUR against 4.60 owed: DE*EMA's exposure is 92 % of it, a warning
    among its credit alerts; removing the limit answers no limit."""
    await a_cdr_booked(admin.hub, cpo, emsp)
    limit = {"party": "de*ema", "amount": "5", "currency": "EUR"}
    status, done = await admin.call("PUT", "/credit/limits", limit)
    assert status == 200, done
    assert done["limit"] == {"amount": "5.00", "currency": "EUR"} and done["why"]

    status, [row] = await admin.call("GET", "/credit/exposure?party=DE*EMA")
    assert status == 200
    assert (row["limit"], row["owed"], row["exposure"], row["ratio"]) == (
        "5.00", "4.60", "4.60", "0.9200",
    )  # fmt: skip
    assert [r["party"] for r in (await admin.call("GET", "/credit/exposure"))[1]] == ["DE*EMA"]
    status, alerts = await admin.call("GET", "/credit/alerts?party=DE*EMA")
    assert status == 200 and [a["events"] for a in alerts] == [["warning"]]

    status, removed = await admin.call("DELETE", "/credit/limits", {"party": "DE*EMA"})
    assert status == 200 and removed["limit"] is None


async def test_bad_credit_input_names_the_field_and_changes_nothing(
    admin: Admin, cpo: FakeParty, emsp: FakeParty
) -> None:
    """A party that is no eMSP, an amount below zero or not a number, a currency not ISO
    4217, a missing field, a limit to remove that is not there: 400 naming the field; the
    limits as they were."""
    limit = {"party": "DE*EMA", "amount": "5", "currency": "EUR"}
    assert (await admin.call("PUT", "/credit/limits", limit))[0] == 200
    before = await limits(admin)
    await refused(admin, [
        ("PUT", "/credit/limits", {**limit, "party": "NL*CPA"}, "party"),
        ("PUT", "/credit/limits", {**limit, "party": "XX*HUB"}, "party"),
        ("PUT", "/credit/limits", {**limit, "amount": "-1"}, "amount"),
        ("PUT", "/credit/limits", {**limit, "amount": "ten"}, "amount"),
        ("PUT", "/credit/limits", {**limit, "currency": "EURO"}, "currency"),
        ("PUT", "/credit/limits", {"party": "DE*EMA", "amount": "5"}, "currency"),
        ("DELETE", "/credit/limits", {"party": "NL*CPA"}, "party"),
        ("GET", "/credit/exposure?party=NL*CPA", None, "party"),
        ("GET", "/credit/alerts?party=NL", None, "party"),
    ])  # fmt: skip
    assert await limits(admin) == before
    assert (await admin.call("DELETE", "/credit/limits", {"party": "DE*EMA"}))[0] == 200
    await refused(admin, [("DELETE", "/credit/limits", {"party": "DE*EMA"}, "party")])
    assert await limits(admin) == []


async def limits(admin: Admin) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in await admin.hub.pool.fetch("SELECT * FROM credit_limits")]
