"""Disputes end to end (issue 9 §5): a CDR sent through a running hub is disputed, accepted or
rejected with the real `ocpi-hub disputes` commands against the serving hub's database; a credit
CDR the CPO sends for a disputed CDR settles the dispute; bad input changes nothing.

The figures, worked out by hand: a CDR of 4.60 EUR (factories.cdr) under a fee of 2 % + 0.10 EUR
books the eMSP 4.60, the hub 0.19 and the CPO 4.41. A dispute of 1.00 accepted returns 0.19 x
1.00 / 4.60 = 0.0413 -> 0.04 of the fee: the eMSP owes 3.60, the CPO is owed 3.45, the hub keeps
0.15.
"""

from __future__ import annotations

import asyncio
import getpass
import json
from collections.abc import Callable
from typing import Any

import pytest

from tests import factories
from tests.conftest import RunningHub
from tests.e2e.fakes import FakeParty
from tests.e2e.test_cdrs import a_credit_cdr, assert_ok, post
from tests.e2e.test_network_cli import ocpi_hub
from tests.e2e.test_settlement import FEE, delivered, ledger_rows, ok, party, period

Run = Callable[..., Any]


@pytest.fixture
def run(hub: RunningHub, hub_env_for: Callable[[str], dict[str, str]]) -> Run:
    """`ocpi-hub ARGS` against the hub's database."""
    return ocpi_hub(hub, hub_env_for)


async def a_cdr_booked(hub: RunningHub, cpo: FakeParty, emsp: FakeParty, run: Run) -> None:
    """The fee agreed, and CDR1 of NL*CPA for DE*EMA's token through the hub and delivered."""
    await ok(run, "agreements", "fee", "--between", "NL*CPA", "--and", "DE*EMA", *FEE)
    assert_ok(await post(cpo, hub, factories.cdr()), 201)
    await delivered(emsp, 1)


def owed(balances: dict[str, Any], name: str) -> tuple[str, str, str]:
    row = party(balances, name)
    return row["receivable"], row["payable"], row["disputed"]


async def test_a_dispute_accepted_through_the_cli(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty, run: Run
) -> None:
    """1.00 of the CDR disputed: the eMSP owes 3.60 with 1.00 disputed; accepted, the CPO is
    owed 3.45 and the hub keeps 0.15; the dispute lists its steps with who, when and why, and
    both statements show the steps' lines."""
    await a_cdr_booked(hub, cpo, emsp, run)

    reason = "charged for 30 kWh, the car took 20"
    opened = await ok(run, "disputes", "open", "--cdr", "nl*cpa*cdr1", "--reason", reason,
                      "--amount", "1", "--by", "alice")  # fmt: skip
    assert {k: v for k, v in opened.items() if k not in ("events", "opened_at")} == {
        "id": opened["id"], "cdr": "NL*CPA*CDR1", "emsp": "DE*EMA", "cpo": "NL*CPA",
        "amount": "1.00", "currency": "EUR", "state": "OPEN",
        "reason": reason,
    }  # fmt: skip
    balances = await ok(run, "settlement", "balances")
    assert owed(balances, "DE*EMA") == ("3.60", "0.00", "1.00")
    assert party(balances, "DE*EMA")["balance"] == "3.60"
    assert [d["id"] for d in await ok(run, "disputes", "list")] == [opened["id"]]

    accepted = await ok(run, "disputes", "resolve", "--id", str(opened["id"]), "--accept",
                        "--note", "the meter was replaced", "--by", "bob")  # fmt: skip

    assert accepted["state"] == "ACCEPTED"
    assert [(e["step"], e["state"], e["by"], e["note"]) for e in accepted["events"]] == [
        ("opened", "OPEN", "alice", reason),
        ("accepted", "ACCEPTED", "bob", "the meter was replaced"),
    ]  # fmt: skip
    booked = accepted["events"][1]["booked"]
    assert sorted((b["account"], b["party"], b["amount"]) for b in booked) == [
        ("disputed", "DE*EMA", "-1.00"), ("fees", "XX*HUB", "0.04"), ("payable", "NL*CPA", "0.96"),
    ]  # fmt: skip
    balances = await ok(run, "settlement", "balances")
    assert owed(balances, "DE*EMA") == ("3.60", "0.00", "0.00")
    assert owed(balances, "NL*CPA") == ("0.00", "-3.45", "0.00")
    assert balances["hub"] == [{"currency": "EUR", "fees": "0.15", "cash": "0.00"}]
    assert balances["total"] == {"EUR": "0.00"}
    assert await ok(run, "disputes", "list") == []
    assert [d["state"] for d in await ok(run, "disputes", "list", "--all")] == ["ACCEPTED"]

    month = await period(hub)
    cpo_lines = await ok(run, "settlement", "statement", "--party", "NL*CPA", "--period", month)
    assert [(x["kind"], x["cdr"], x["dispute"], x["amount"], x["fee"], x["net"], x["running"])
            for x in cpo_lines["lines"]] == [
        ("cdr", "NL*CPA*CDR1", None, "4.60", "0.19", "-4.41", "-4.41"),
        ("dispute_accepted", "NL*CPA*CDR1", opened["id"], "1.00", "-0.04", "0.96", "-3.45"),
    ]  # fmt: skip
    emsp_statement = await ok(run, "settlement", "statement", "--party", "DE*EMA", "--period",
                              month)  # fmt: skip
    assert [(x["kind"], x["account"], x["net"], x["running"])
            for x in emsp_statement["lines"]] == [
        ("cdr", "receivable", "4.60", "4.60"),
        ("dispute", "disputed", "1.00", "4.60"),
        ("dispute", "receivable", "-1.00", "3.60"),
        ("dispute_accepted", "disputed", "-1.00", "3.60"),
    ]  # fmt: skip
    [totals] = emsp_statement["totals"]
    assert (totals["fee"], totals["disputes"], totals["closing"], totals["disputed"]) == (
        "0.15", "-1.00", "3.60", "0.00",
    )  # fmt: skip
    text = await run("disputes", "list", "--all")
    assert text.returncode == 0 and "accepted by bob" in text.stdout, text.stderr


async def test_a_dispute_rejected_through_the_cli(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty, run: Run
) -> None:
    """The whole CDR disputed by default, by the operating system's user: the eMSP owes
    nothing, 4.60 disputed; rejected, it owes 4.60 again, as before the dispute."""
    await a_cdr_booked(hub, cpo, emsp, run)
    before = await ok(run, "settlement", "balances")

    opened = await ok(run, "disputes", "open", "--cdr", "NL*CPA*CDR1", "--reason", "not mine")
    assert (opened["amount"], opened["events"][0]["by"]) == ("4.60", getpass.getuser())
    assert owed(await ok(run, "settlement", "balances"), "DE*EMA") == ("0.00", "0.00", "4.60")

    done = await run("disputes", "resolve", "--id", str(opened["id"]), "--reject")

    assert done.returncode == 0, done.stderr
    assert f"dispute {opened['id']} rejected: DE*EMA owes 4.60 EUR again" in done.stdout
    assert await ok(run, "settlement", "balances") == before


async def test_two_resolutions_at_once_from_two_processes(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty, run: Run
) -> None:
    """`resolve --accept` and `resolve --reject` of one dispute at the same time: one books,
    the other exits 1 saying the dispute is closed already."""
    await a_cdr_booked(hub, cpo, emsp, run)
    opened = await ok(run, "disputes", "open", "--cdr", "NL*CPA*CDR1", "--reason", "twice")
    number = str(opened["id"])

    results = await asyncio.gather(
        run("disputes", "resolve", "--id", number, "--accept"),
        run("disputes", "resolve", "--id", number, "--reject"),
    )

    assert sorted(r.returncode for r in results) == [0, 1]
    [lost] = [r for r in results if r.returncode == 1]
    [state] = [d["state"] for d in await ok(run, "disputes", "list", "--all")]
    assert f"dispute {number} is {state} already" in lost.stderr
    steps = [e["step"] for e in (await ok(run, "disputes", "list", "--all"))[0]["events"]]
    assert len(steps) == 2


async def test_a_credit_cdr_for_a_disputed_cdr_accepts_the_dispute(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty, run: Run
) -> None:
    """1.00 of the CDR disputed, then the CPO sends its credit CDR: the dispute is accepted by
    "credit CDR NL*CPA*CDR1-C", every balance is zero, nothing disputed, and the CDR can no
    longer be disputed."""
    await a_cdr_booked(hub, cpo, emsp, run)
    opened = await ok(run, "disputes", "open", "--cdr", "NL*CPA*CDR1", "--reason", "x",
                      "--amount", "1.00")  # fmt: skip

    assert_ok(await post(cpo, hub, a_credit_cdr()), 201)
    await delivered(emsp, 2)

    [dispute] = await ok(run, "disputes", "list", "--all")
    assert (dispute["id"], dispute["state"]) == (opened["id"], "ACCEPTED")
    assert [(e["step"], e["by"]) for e in dispute["events"]] == [
        ("opened", getpass.getuser()), ("credited", "credit CDR NL*CPA*CDR1-C"),
    ]  # fmt: skip
    balances = await ok(run, "settlement", "balances")
    assert {b["party"]: (b["balance"], b["disputed"]) for b in balances["parties"]} == {
        "DE*EMA": ("0.00", "0.00"), "NL*CPA": ("0.00", "0.00"),
    }  # fmt: skip
    assert balances["hub"] == [{"currency": "EUR", "fees": "0.00", "cash": "0.00"}]
    again = await run("disputes", "open", "--cdr", "NL*CPA*CDR1", "--reason", "again")
    assert again.returncode == 1 and "the CDR is credited" in again.stderr


async def test_bad_dispute_input_changes_nothing(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty, run: Run
) -> None:
    """A malformed, unknown, unbooked or credited CDR, an amount above what can be disputed or
    with too many decimals, an empty reason, a closed or unknown dispute: a clear error, exit
    1, and the ledger and disputes as they were."""
    await a_cdr_booked(hub, cpo, emsp, run)
    assert_ok(await post(cpo, hub, factories.cdr("C2")), 201)
    assert_ok(await post(cpo, hub, a_credit_cdr()), 201)
    rejected = await ok(run, "disputes", "open", "--cdr", "NL*CPA*C2", "--reason", "r",
                        "--amount", "4")  # fmt: skip
    await ok(run, "disputes", "resolve", "--id", str(rejected["id"]), "--reject")
    before = (await ledger_rows(hub), await ok(run, "disputes", "list", "--all"))
    dispute = ("disputes", "open", "--reason", "r", "--cdr")

    for args, message in (
        ((*dispute, "NLCPA*C2"), "is not a CDR: write it CC*PID*CDR_ID"),
        ((*dispute, "NL*CPA*NOPE"), "NL*CPA*NOPE: the hub holds no such CDR"),
        ((*dispute, "NL*CPA*CDR1-C"), "a credit CDR the ledger has not booked as charged"),
        ((*dispute, "NL*CPA*CDR1"), "the CDR is credited"),
        ((*dispute, "NL*CPA*C2", "--amount", "4.61"),
         "above what can be disputed of the CDR: 4.60 EUR"),
        ((*dispute, "NL*CPA*C2", "--amount", "1.001"), "EUR has 2 decimals"),
        ((*dispute, "NL*CPA*C2", "--amount", "0"), "above zero"),
        (("disputes", "open", "--cdr", "NL*CPA*C2", "--reason", " "), "--reason: write it"),
        (("disputes", "resolve", "--id", str(rejected["id"]), "--accept"),
         f"dispute {rejected['id']} is REJECTED already"),
        (("disputes", "resolve", "--id", "999", "--reject"), "--id 999: no dispute has that id"),
    ):  # fmt: skip
        done = await run(*args)
        assert done.returncode == 1 and message in done.stderr, (args, done.stderr)

    both = await run("disputes", "resolve", "--id", "1", "--accept", "--reject")
    assert both.returncode == 2 and "not allowed with argument" in both.stderr
    assert (await ledger_rows(hub), await ok(run, "disputes", "list", "--all")) == before
    assert json.loads((await run("disputes", "list", "--json")).stdout) == []
