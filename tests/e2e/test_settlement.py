"""Settlement end to end (issue 9 §3): CDRs sent through a running hub are booked in its ledger
at the fee their parties agreed, a credit CDR reverses its CDR, a duplicate is booked once, a CDR
pulled from a network is booked too; statements, balances and payments are read and made with
the real `ocpi-hub` commands against the serving hub's database, and bad input to any of them
changes nothing.

Every figure is checked against what the scenario implies, worked out by hand: a CDR of 4.60 EUR
(factories.cdr) under a fee of 2 % + 0.10 EUR costs its eMSP 4.60, the hub keeps 0.19 and owes
its CPO 4.41.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

import pytest

from tests import factories
from tests.conftest import RunningHub, start_hub
from tests.e2e.conftest import MakeNetwork, eventually
from tests.e2e.fakes import FakeParty
from tests.e2e.test_cdrs import a_credit_cdr, assert_ok, assert_refused, post
from tests.e2e.test_network_cli import ocpi_hub
from tests.e2e.test_puller import PULLING, joined, remote

FEE = ("--percent", "2", "--fixed", "0.10", "--currency", "EUR")
Run = Callable[..., Any]


@pytest.fixture
def run(hub: RunningHub, hub_env_for: Callable[[str], dict[str, str]]) -> Run:
    """`ocpi-hub ARGS` against the hub's database."""
    return ocpi_hub(hub, hub_env_for)


async def ok(run: Run, *args: str) -> Any:
    """Run a command that must succeed; its `--json` output."""
    done = await run(*args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


async def delivered(emsp: FakeParty, count: int) -> None:
    await eventually(lambda: len(emsp.requests("cdrs", "POST")) == count, message="CDRs at eMSP")


async def period(hub: RunningHub) -> str:
    """The month (UTC) the ledger's first transaction was booked in."""
    found: str = await hub.pool.fetchval(
        "SELECT to_char(booked_at AT TIME ZONE 'UTC', 'YYYY-MM') FROM ledger_transactions"
        " ORDER BY id LIMIT 1"
    )
    return found


async def ledger_rows(hub: RunningHub) -> list[tuple[Any, ...]]:
    """Every transaction and entry, for "nothing changed" comparisons."""
    rows = await hub.pool.fetch(
        "SELECT t.id, t.kind, t.cdr_id, e.account, e.country_code, e.party_id, e.currency,"
        " e.amount FROM ledger_transactions t JOIN ledger_entries e ON e.transaction_id = t.id"
        " ORDER BY 1, 4, 5, 6"
    )
    return [tuple(r) for r in rows]


def party(balances: dict[str, Any], name: str) -> dict[str, Any]:
    [row] = [b for b in balances["parties"] if b["party"] == name]
    return row


# ---- booking ------------------------------------------------------------------------------


async def test_cdrs_through_the_hub_are_booked_at_the_agreed_fee(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty, emsp2: FakeParty, run: Run
) -> None:
    """`agreements fee` between NL*CPA and DE*EMA, none with FR*EMB: a CDR for each eMSP's
    token is delivered and booked; `settlement balances` shows each eMSP owing its CDR, the
    CPO owed both less the one fee, the hub holding the fee, and the ledger summing to zero."""
    agreed = await ok(run, "agreements", "fee", "--between", "DE*EMA", "--and", "NL*CPA", *FEE)
    assert agreed == [{"between": "DE*EMA", "and": "NL*CPA", "effect": "fee",
                       "modules": ["cdrs"], "percent": "2", "fixed": "0.10",
                       "currency": "EUR"}]  # fmt: skip

    assert_ok(await post(cpo, hub, factories.cdr("C1")), 201)
    assert_ok(await post(cpo, hub, factories.cdr("C2", emsp=emsp2.key)), 201)
    await delivered(emsp, 1)
    await delivered(emsp2, 1)

    balances = await ok(run, "settlement", "balances")
    assert party(balances, "DE*EMA") == {"party": "DE*EMA", "currency": "EUR",
                                         "receivable": "4.60", "payable": "0.00",
                                         "balance": "4.60", "disputed": "0.00"}  # fmt: skip
    assert party(balances, "FR*EMB")["balance"] == "4.60"
    assert party(balances, "NL*CPA")["payable"] == "-9.01"  # 4.41 + 4.60
    assert balances["hub"] == [{"currency": "EUR", "fees": "0.19", "cash": "0.00"}]
    assert balances["total"] == {"EUR": "0.00"}
    listed = await ok(run, "agreements", "list")
    assert [r["effect"] for r in listed] == ["fee"]


async def test_a_credit_cdr_reverses_and_a_duplicate_is_booked_once(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty, run: Run
) -> None:
    """The same CDR POSTed twice is refused the second time and booked once; its credit CDR
    reverses it, so every balance is back to zero, and the CPO's statement shows both lines
    with the running total back at zero."""
    await ok(run, "agreements", "fee", "--between", "NL*CPA", "--and", "DE*EMA", *FEE)
    assert_ok(await post(cpo, hub, factories.cdr()), 201)
    assert_refused(await post(cpo, hub, factories.cdr()), 200, 2001)
    assert await hub.pool.fetchval("SELECT count(*) FROM ledger_transactions") == 1

    assert_ok(await post(cpo, hub, a_credit_cdr()), 201)
    await delivered(emsp, 2)

    balances = await ok(run, "settlement", "balances")
    assert {b["party"]: b["balance"] for b in balances["parties"]} == {
        "DE*EMA": "0.00", "NL*CPA": "0.00",
    }  # fmt: skip
    assert balances["hub"] == [{"currency": "EUR", "fees": "0.00", "cash": "0.00"}]
    statement = await ok(run, "settlement", "statement", "--party", "NL*CPA", "--period",
                         await period(hub))  # fmt: skip
    assert [(x["kind"], x["cdr"], x["amount"], x["fee"], x["net"], x["running"])
            for x in statement["lines"]] == [
        ("cdr", "NL*CPA*CDR1", "4.60", "0.19", "-4.41", "-4.41"),
        ("credit", "NL*CPA*CDR1-C", "-4.60", "-0.19", "4.41", "0.00"),
    ]  # fmt: skip


async def test_a_cdr_pulled_from_a_network_is_booked(
    database_url: str,
    make_party: Any,
    make_network: MakeNetwork,
    hub_env_for: Callable[[str], dict[str, str]],
) -> None:
    """ENAPI does not push: the CDR the hub pulls from it, of the remote CPO FR*CPX for the
    local eMSP's token, is booked as one pushed is."""
    from tests.e2e.conftest import registered

    hub = await start_hub(database_url, **PULLING)
    try:
        emsp = await registered(hub, await make_party("EMSP", "DE", "EMA"))
        network = await joined(hub, make_network, "enapi")
        network.hold("cdrs", remote(factories.cdr("C1")))
        await delivered(emsp, 1)

        balances = await ok(ocpi_hub(hub, hub_env_for), "settlement", "balances")
    finally:
        await hub.stop()
        await hub.pool.close()
    assert {b["party"]: b["balance"] for b in balances["parties"]} == {
        "DE*EMA": "4.60", "FR*CPX": "-4.60",
    }  # fmt: skip


# ---- statements and payments ---------------------------------------------------------------


async def test_statement_and_payments_through_the_cli(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty, run: Run
) -> None:
    """Two CDRs, the eMSP pays 5.00, the hub pays the CPO 8.82: each payment says the party's
    balance after it; the eMSP's statement lists both CDRs and its payment with running totals
    and the month's totals, alike in JSON, CSV and text."""
    await ok(run, "agreements", "fee", "--between", "NL*CPA", "--and", "DE*EMA", *FEE)
    assert_ok(await post(cpo, hub, factories.cdr("C1")), 201)
    assert_ok(await post(cpo, hub, factories.cdr("C2")), 201)

    received = await ok(run, "settlement", "pay", "--party", "DE*EMA", "--amount", "5",
                        "--currency", "eur", "--reference", "INV-2024-03")  # fmt: skip
    paid = await ok(run, "settlement", "pay", "--party", "NL*CPA", "--amount=-8.82",
                    "--currency", "EUR", "--reference", "PAYOUT-1")  # fmt: skip

    assert {k: received[k] for k in ("party", "amount", "currency", "balance")} == {
        "party": "DE*EMA", "amount": "5.00", "currency": "EUR", "balance": "4.20",
    }  # fmt: skip
    assert paid["balance"] == "0.00"
    month = await period(hub)
    statement = await ok(run, "settlement", "statement", "--party", "de*ema", "--period", month)
    assert statement["party"] == "DE*EMA" and statement["period"] == month
    assert [(x["kind"], x["cdr"], x["reference"], x["amount"], x["fee"], x["net"], x["running"])
            for x in statement["lines"]] == [
        ("cdr", "NL*CPA*C1", None, "4.60", "0.19", "4.60", "4.60"),
        ("cdr", "NL*CPA*C2", None, "4.60", "0.19", "4.60", "9.20"),
        ("payment", None, "INV-2024-03", "5.00", None, "-5.00", "4.20"),
    ]  # fmt: skip
    assert statement["totals"] == [{"currency": "EUR", "opening": "0.00", "cdrs": 2,
                                    "amount": "9.20", "fee": "0.38", "payments": "-5.00",
                                    "disputes": "0.00", "net": "4.20", "closing": "4.20",
                                    "disputed": "0.00"}]  # fmt: skip

    as_csv = await run("settlement", "statement", "--party", "DE*EMA", "--period", month, "--csv")
    assert as_csv.returncode == 0, as_csv.stderr
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [(r["kind"], r["net"], r["running"]) for r in rows] == [
        ("opening", "", "0.00"), ("cdr", "4.60", "4.60"), ("cdr", "4.60", "9.20"),
        ("payment", "-5.00", "4.20"), ("total", "4.20", "4.20"),
    ]  # fmt: skip
    as_text = await run("settlement", "statement", "--party", "DE*EMA", "--period", month)
    assert as_text.returncode == 0 and "INV-2024-03" in as_text.stdout
    assert "statement of DE*EMA for " + month in as_text.stdout

    balances = await ok(run, "settlement", "balances")
    assert balances["hub"] == [{"currency": "EUR", "fees": "0.38", "cash": "-3.82"}]
    assert balances["total"] == {"EUR": "0.00"}


async def test_bad_settlement_input_changes_nothing(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty, run: Run
) -> None:
    """Malformed or unknown parties, periods, amounts, currencies, references and fees, a
    payment reference used twice: a clear error, exit 1, and the ledger and fees as they were.
    """
    assert_ok(await post(cpo, hub, factories.cdr()), 201)
    await ok(run, "settlement", "pay", "--party", "DE*EMA", "--amount", "1", "--currency", "EUR",
             "--reference", "R1")  # fmt: skip
    before = await ledger_rows(hub)
    month = await period(hub)
    pay = ("settlement", "pay", "--party", "DE*EMA", "--currency", "EUR", "--reference", "R2")

    for args, message in (
        (("settlement", "statement", "--party", "DEEMA", "--period", month), "is not a party"),
        (("settlement", "statement", "--party", "BE*ZZZ", "--period", month),
         "BE*ZZZ: not a party of this hub"),
        (("settlement", "statement", "--party", "DE*EMA", "--period", "2024-13"), "YYYY-MM"),
        ((*pay, "--amount", "ten"), "--amount 'ten' is not a number"),
        ((*pay, "--amount", "0"), "pays nothing"),
        ((*pay, "--amount", "1.001"), "EUR has 2 decimals"),
        (("settlement", "pay", "--party", "DE*EMA", "--amount", "1", "--currency", "EURO",
          "--reference", "R2"), "three-letter"),
        (("settlement", "pay", "--party", "BE*ZZZ", "--amount", "1", "--currency", "EUR",
          "--reference", "R2"), "not a party of this hub"),
        (("settlement", "pay", "--party", "XX*HUB", "--amount", "1", "--currency", "EUR",
          "--reference", "R2"), "not a party of this hub"),
        (("settlement", "pay", "--party", "DE*EMA", "--amount", "2", "--currency", "EUR",
          "--reference", "R1"), "reference 'R1' is recorded already"),
        ((*pay[:-1], " ", "--amount", "1"), "--reference"),
        (("agreements", "fee", "--between", "NL*CPA", "--and", "DE*EMA", "--percent", "101",
          "--currency", "EUR"), "from 0 to 100"),
        (("agreements", "fee", "--between", "NL*CPA", "--and", "DE*EMA", "--fixed", "0.001",
          "--currency", "EUR"), "EUR has 2 decimals"),
        (("agreements", "fee", "--between", "NL*CPA", "--and", "nl*cpa", "--percent", "1",
          "--currency", "EUR"), "pays no fee to itself"),
        (("agreements", "fee", "--between", "NL*CPA", "--and", "DE*EMA", "--percent", "x",
          "--currency", "EUR"), "--percent 'x' is not a number"),
    ):  # fmt: skip
        done = await run(*args)
        assert done.returncode == 1 and message in done.stderr, (args, done.stderr)

    both = await run("settlement", "statement", "--party", "DE*EMA", "--period", month,
                     "--json", "--csv")  # fmt: skip
    assert both.returncode == 2 and "not allowed with argument" in both.stderr
    assert await ledger_rows(hub) == before
    assert await hub.pool.fetchval("SELECT count(*) FROM fee_schedules") == 0
