"""`ocpi-hub settlement statement|balances|pay` (and `limit|exposure`, credit_cli): the money
the hub carries between its parties (issue 9 §3), read from and written to the settlement
ledger (core.ledger, core.statements).

Every figure printed is computed from the ledger's rows by core.statements: nothing is kept
beside them. Amounts are printed in at least their currency's decimals, and in `--json` as
strings, so that no figure passes through a binary float. The sign is the ledger's: a party's
balance is positive when it owes the hub, negative when the hub owes it; a payment is positive
when the hub received it, negative when the hub paid it. An amount in dispute (ocpi-hub disputes)
is shown beside a party's balance (`disputed`), not in it: nobody owes it until it is resolved.
Each action is ocpi_hub.operations.settlement, as the admin API's.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Coroutine
from typing import Any

import orjson

from ocpi_hub import credit_cli
from ocpi_hub.core.agreements import party_text
from ocpi_hub.operations import Refused, settlement
from ocpi_hub.settings import Settings
from ocpi_hub.storage.db import open_database
from ocpi_hub.terminal import fail, table

__all__ = ["COMMANDS", "add_parser"]

SIGNS = "positive: owes the hub; negative: the hub owes it"
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


async def cmd_statement(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings) as pool:
        try:
            done = await settlement.statement_of(pool, party=args.party, period=args.period)
        except Refused as exc:
            return fail(exc.message)
    if args.json:
        print(orjson.dumps(done).decode())
    elif args.csv:
        sys.stdout.write(settlement.statement_csv(done))
    else:
        print(f"statement of {done['party']} for {done['period']} (UTC; {SIGNS})")
        table(done["lines"], settlement.LINE_COLUMNS)
        print("totals:")
        table(done["totals"], _TOTAL_COLUMNS)
    return 0


async def cmd_balances(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings) as pool:
        body = await settlement.balances_of(pool)
    if args.json:
        print(orjson.dumps(body).decode())
        return 0
    print(f"balances ({SIGNS})")
    table(body["parties"], ["party", "currency", "receivable", "payable", "balance", "disputed"])
    print(f"the hub {party_text((settings.country_code, settings.party_id))}:")
    table(body["hub"], ["currency", "fees", "cash"])
    print("sum of every entry: " + (", ".join(f"{v} {c}" for c, v in body["total"].items())
                                    or "nothing booked"))  # fmt: skip
    return 0


async def cmd_pay(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings) as pool:
        try:
            done = await settlement.pay(
                pool,
                settings,
                party=args.party,
                amount=args.amount,
                currency=args.currency,
                reference=args.reference,
            )
        except Refused as exc:
            return fail(exc.message)
    if args.json:
        print(orjson.dumps(done).decode())
        return 0
    paid, currency = done["amount"], done["currency"]
    way = "paid to" if paid.startswith("-") else "received from"
    print(
        f"{paid.removeprefix('-')} {currency} {way} {done['party']}"
        f" (reference {done['reference']}, transaction {done['transaction']});"
        f" its balance is now {done['balance']} {currency} ({SIGNS})"
    )
    return 0


COMMANDS: dict[str, Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]] = {
    "settlement statement": cmd_statement,
    "settlement balances": cmd_balances,
    "settlement pay": cmd_pay,
    **credit_cli.COMMANDS,
}
