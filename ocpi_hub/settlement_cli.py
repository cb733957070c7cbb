"""`ocpi-hub settlement statement|balances|pay` (and `limit|exposure`, credit_cli): the money
the hub carries between its parties (issue 9 §3), read from and written to the settlement
ledger (core.ledger, core.statements).

Every figure printed is computed from the ledger's rows by core.statements: nothing is kept
beside them. Amounts are printed in at least their currency's decimals, and in `--json` as
strings, so that no figure passes through a binary float. The sign is the ledger's: a party's
balance is positive when it owes the hub, negative when the hub owes it; a payment is positive
when the hub received it, negative when the hub paid it. An amount in dispute (ocpi-hub disputes)
is shown beside a party's balance (`disputed`), not in it: nobody owes it until it is resolved.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Callable, Coroutine
from decimal import Decimal
from typing import Any

import orjson

from ocpi_hub import credit_cli
from ocpi_hub.core.agreements import BadAgreement, parse_party, party_text
from ocpi_hub.core.ledger import BadAmount, parse_amount, parse_currency, payment, shown
from ocpi_hub.core.routing import PartyKey
from ocpi_hub.core.statements import Balances, Line, Statement, Totals, balances, month, statement
from ocpi_hub.core.types import format_datetime
from ocpi_hub.settings import Settings
from ocpi_hub.storage import Executor
from ocpi_hub.storage.credit_watch import reassess
from ocpi_hub.storage.db import open_database
from ocpi_hub.storage.repositories import ledger, platforms
from ocpi_hub.terminal import fail, table

__all__ = ["COMMANDS", "add_parser"]

SIGNS = "positive: owes the hub; negative: the hub owes it"
_LINE_COLUMNS = ["booked_at", "transaction", "kind", "cdr", "dispute", "reference", "account",
                 "currency", "amount", "fee", "net", "running"]  # fmt: skip
_TOTAL_COLUMNS = ["currency", "opening", "cdrs", "amount", "fee", "payments", "disputes", "net",
                  "closing", "disputed"]  # fmt: skip


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    """The `settlement` command and its actions."""
    parser = commands.add_parser(
        "settlement", parents=[common], help="statements, balances and payments of the parties"
    )
    actions = parser.add_subparsers(dest="settlement_command", required=True, metavar="ACTION")
    report = actions.add_parser(
        "statement", parents=[common], help="one party's CDRs and payments booked in a month"
    )
    report.add_argument("--party", required=True, metavar="CC*PID")
    report.add_argument("--period", required=True, metavar="YYYY-MM", help="a month, in UTC")
    form = report.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true")
    form.add_argument("--csv", action="store_true")
    owed = actions.add_parser(
        "balances", parents=[common], help="what each party owes the hub or is owed, now"
    )
    owed.add_argument("--json", action="store_true")
    pay = actions.add_parser(
        "pay", parents=[common], help="record a payment received from or made to a party"
    )
    pay.add_argument("--party", required=True, metavar="CC*PID")
    pay.add_argument(
        "--amount",
        required=True,
        metavar="A",
        help="positive: received by the hub (an eMSP paying); negative: paid by the hub (to a CPO)",
    )
    pay.add_argument("--currency", required=True, metavar="C")
    pay.add_argument("--reference", required=True, metavar="REF", help="once per party")
    pay.add_argument("--json", action="store_true")
    credit_cli.add_actions(actions, common)


async def _known(conn: Executor, party: PartyKey) -> bool:
    """A party the hub knows (connected, invited or behind a network) or has booked."""
    return bool(await platforms.platforms_of_party(conn, *party)) or await ledger.known_party(
        conn, party
    )


# ---- statement ----------------------------------------------------------------------------


async def cmd_statement(settings: Settings, args: argparse.Namespace) -> int:
    try:
        party = parse_party(args.party)
        start, end = month(args.period)
    except (BadAgreement, BadAmount) as exc:
        return fail(str(exc))
    async with open_database(settings) as pool:
        if not await _known(pool, party):
            return fail(f"--party {party_text(party)}: not a party of this hub")
        async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
            # One snapshot: the opening balances and the lines agree.
            opening = await ledger.balance_of(conn, party, start)
            lines = await ledger.statement_lines(conn, party, start, end)
    done = statement(party, args.period.strip(), lines, opening)
    if args.json:
        print(orjson.dumps(_statement_json(done)).decode())
    elif args.csv:
        _statement_csv(done)
    else:
        _statement_text(done)
    return 0


def _money(value: Decimal | None, currency: str) -> str | None:
    return None if value is None else shown(value, currency)


def _line_json(line: Line) -> dict[str, Any]:
    c = line.currency
    return {
        "booked_at": format_datetime(line.booked_at),
        "transaction": line.transaction,
        "kind": line.kind,
        "cdr": line.cdr,
        "dispute": line.dispute,
        "reference": line.reference,
        "account": line.account,
        "currency": c,
        "amount": _money(line.amount, c),
        "fee": _money(line.fee, c),
        "net": shown(line.net, c),
        "running": shown(line.running, c),
    }


def _totals_json(totals: Totals) -> dict[str, Any]:
    c = totals.currency
    return {
        "currency": c,
        "opening": shown(totals.opening, c),
        "cdrs": totals.cdrs,
        "amount": shown(totals.amount, c),
        "fee": shown(totals.fee, c),
        "payments": shown(totals.payments, c),
        "disputes": shown(totals.disputes, c),
        "net": shown(totals.net, c),
        "closing": shown(totals.closing, c),
        "disputed": shown(totals.disputed, c),
    }


def _statement_json(done: Statement) -> dict[str, Any]:
    return {
        "party": party_text(done.party),
        "period": done.period,
        "lines": [_line_json(line) for line in done.lines],
        "totals": [_totals_json(t) for t in done.totals],
    }


def _statement_csv(done: Statement) -> None:
    """The lines, between an `opening` line and a `total` line per currency, in one shape:
    `running` is the opening balance on the first and the closing balance on the last."""
    out = csv.DictWriter(sys.stdout, _LINE_COLUMNS, lineterminator="\n")
    out.writeheader()
    for t in done.totals:
        out.writerow({"kind": "opening", "currency": t.currency,
                      "running": shown(t.opening, t.currency)})  # fmt: skip
    for line in done.lines:
        out.writerow(_line_json(line))
    for t in done.totals:
        figures = _totals_json(t)
        out.writerow({"kind": "total", "currency": t.currency, "amount": figures["amount"],
                      "fee": figures["fee"], "net": figures["net"],
                      "running": figures["closing"]})  # fmt: skip


def _statement_text(done: Statement) -> None:
    print(f"statement of {party_text(done.party)} for {done.period} (UTC; {SIGNS})")
    table([_line_json(line) for line in done.lines], _LINE_COLUMNS)
    print("totals:")
    table([_totals_json(t) for t in done.totals], _TOTAL_COLUMNS)


# ---- balances -----------------------------------------------------------------------------


async def cmd_balances(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings) as pool:
        found = balances(await ledger.balances(pool))
    if args.json:
        print(orjson.dumps(_balances_json(found)).decode())
        return 0
    body = _balances_json(found)
    print(f"balances ({SIGNS})")
    table(body["parties"], ["party", "currency", "receivable", "payable", "balance", "disputed"])
    print(f"the hub {party_text((settings.country_code, settings.party_id))}:")
    table(body["hub"], ["currency", "fees", "cash"])
    print("sum of every entry: " + (", ".join(f"{v} {c}" for c, v in body["total"].items())
                                    or "nothing booked"))  # fmt: skip
    return 0


def _balances_json(found: Balances) -> dict[str, Any]:
    return {
        "parties": [
            {
                "party": party_text(b.party),
                "currency": b.currency,
                "receivable": shown(b.receivable, b.currency),
                "payable": shown(b.payable, b.currency),
                "balance": shown(b.balance, b.currency),
                "disputed": shown(b.disputed, b.currency),
            }
            for b in found.parties
        ],
        "hub": [
            {
                "currency": h.currency,
                "fees": shown(h.fees, h.currency),
                "cash": shown(h.cash, h.currency),
            }
            for h in found.hub
        ],
        "total": {c: shown(v, c) for c, v in sorted(found.total.items())},
    }


# ---- pay ----------------------------------------------------------------------------------


async def cmd_pay(settings: Settings, args: argparse.Namespace) -> int:
    hub = (settings.country_code, settings.party_id)
    try:
        party = parse_party(args.party)
        currency = parse_currency(args.currency)
        amount = parse_amount(args.amount, currency, "--amount")
        entries = payment(party, hub, amount, currency)
    except (BadAgreement, BadAmount) as exc:
        return fail(str(exc))
    reference = args.reference.strip()
    if not reference or len(reference) > 255:
        return fail("--reference: write the payment's reference, 1 to 255 characters")
    async with open_database(settings) as pool, pool.acquire() as conn:
        if party == hub or not await _known(conn, party):
            return fail(f"--party {party_text(party)}: not a party of this hub")
        try:
            transaction = await ledger.record_payment(conn, party, reference, entries)
        except ledger.PaymentRecorded as exc:
            where = f" (transaction {exc.transaction})" if exc.transaction else ""
            return fail(
                f"a payment of {party_text(party)} with reference {reference!r} is recorded"
                f" already{where}: nothing recorded"
            )
        now = (await ledger.balance_of(conn, party)).get(currency, Decimal(0))
        # A payment may bring an eMSP under its credit limit: its suspension is lifted, in
        # every serving process, before this command returns.
        credit = await reassess(pool, party, settings)
    done = {
        "transaction": transaction,
        "party": party_text(party),
        "amount": shown(amount, currency),
        "currency": currency,
        "reference": reference,
        "balance": shown(now, currency),
        "credit": credit.why,
    }
    if args.json:
        print(orjson.dumps(done).decode())
        return 0
    way = "received from" if amount > 0 else "paid to"
    print(
        f"{shown(abs(amount), currency)} {currency} {way} {party_text(party)}"
        f" (reference {reference}, transaction {transaction});"
        f" its balance is now {done['balance']} {currency} ({SIGNS})"
    )
    return 0


COMMANDS: dict[str, Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]] = {
    "settlement statement": cmd_statement,
    "settlement balances": cmd_balances,
    "settlement pay": cmd_pay,
    **credit_cli.COMMANDS,
}
