"""`ocpi-hub disputes open|list|resolve`: an eMSP's dispute of a CDR it was charged (issue 9 §5;
the rules are core.disputes, what each step books is in the settlement ledger).

Each step is kept with who took it (`--by`, default the operating system's user), when, and why
(the reason of `open`, the `--note` of `resolve`). Amounts are printed in at least their
currency's decimals, and in `--json` as strings. Bad input (a CDR the hub does not hold or has not
booked as charged, an amount that is not a number, finer than the currency's minor unit or above
what can be disputed, an unknown or closed dispute) is refused on stderr with exit 1, and
nothing changes. Each action is ocpi_hub.operations.disputes, as the admin API's.
"""

from __future__ import annotations

import argparse
import getpass
from collections.abc import Callable, Coroutine
from typing import Any

import orjson

from ocpi_hub.core.ledger import Account
from ocpi_hub.operations import Refused, disputes
from ocpi_hub.settings import Settings
from ocpi_hub.storage.db import open_database
from ocpi_hub.terminal import fail, table

__all__ = ["COMMANDS", "add_parser"]

_COLUMNS = ["id", "cdr", "emsp", "cpo", "amount", "currency", "state", "reason", "events"]


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    """The `disputes` command and its actions."""
    parser = commands.add_parser("disputes", parents=[common], help="disputes of CDRs")
    actions = parser.add_subparsers(dest="disputes_command", required=True, metavar="ACTION")
    opening = actions.add_parser(
        "open", parents=[common], help="dispute (part of) a CDR: out of what its eMSP owes"
    )
    opening.add_argument("--cdr", required=True, metavar="CC*PID*CDR_ID", help="the CPO's CDR")
    opening.add_argument("--reason", required=True, metavar="TEXT")
    opening.add_argument(
        "--amount", metavar="A", help="in the CDR's currency; default: all that can be disputed"
    )
    opening.add_argument("--by", metavar="NAME", help="who opens it (default: your user name)")
    opening.add_argument("--json", action="store_true")
    listing = actions.add_parser("list", parents=[common], help="open disputes, oldest first")
    listing.add_argument("--all", action="store_true", help="resolved ones too")
    listing.add_argument("--json", action="store_true")
    resolve = actions.add_parser("resolve", parents=[common], help="accept or reject a dispute")
    resolve.add_argument("--id", type=int, required=True, metavar="N")
    decision = resolve.add_mutually_exclusive_group(required=True)
    decision.add_argument(
        "--accept", action="store_true", help="the CPO's claim is reduced by the amount"
    )
    decision.add_argument("--reject", action="store_true", help="the eMSP owes the amount again")
    resolve.add_argument("--note", metavar="TEXT", help="why (kept with the step)")
    resolve.add_argument("--by", metavar="NAME", help="who decides (default: your user name)")
    resolve.add_argument("--json", action="store_true")


def _by(text: str | None) -> str:
    """Who takes a step: `--by`, else the operating system's user."""
    if text is not None:
        return text
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        raise Refused("by", "--by: no user name is known here: say who you are") from None


async def cmd_open(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings) as pool:
        try:
            dispute = await disputes.open_dispute(
                pool, cdr=args.cdr, reason=args.reason, by=_by(args.by), amount=args.amount
            )
        except Refused as exc:
            return fail(exc.message)
    if args.json:
        print(orjson.dumps(dispute).decode())
        return 0
    c = dispute["currency"]
    print(
        f"dispute {dispute['id']} opened: {dispute['amount']} {c} of {dispute['cdr']} is no"
        f" longer owed by {dispute['emsp']} but disputed, until it is resolved"
    )
    return 0


async def cmd_list(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings) as pool:
        rows = await disputes.listed(pool, everything=args.all)
    if args.json:
        print(orjson.dumps(rows).decode())
        return 0
    for row in rows:
        row["events"] = "; ".join(
            f"{e['step']} by {e['by']} at {e['at']}" + (f" ({e['note']})" if e["note"] else "")
            for e in row["events"]
        )
    table(rows, _COLUMNS)
    return 0


async def cmd_resolve(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings) as pool:
        try:
            dispute = await disputes.resolve(
                pool, dispute_id=args.id, accept=args.accept, by=_by(args.by), note=args.note
            )
        except Refused as exc:
            return fail(exc.message)
    if args.json:
        print(orjson.dumps(dispute).decode())
        return 0
    c, amount, emsp = dispute["currency"], dispute["amount"], dispute["emsp"]
    if not args.accept:
        print(f"dispute {dispute['id']} rejected: {emsp} owes {amount} {c} again")
        return 0
    booked = {b["account"]: b["amount"] for b in dispute["events"][-1]["booked"]}
    print(
        f"dispute {dispute['id']} accepted: {emsp} does not owe {amount} {c};"
        f" {dispute['cpo']} is owed {booked[Account.PAYABLE]} {c} less and"
        f" the hub returns {booked[Account.FEES]} {c} of its fee"
    )
    return 0


COMMANDS: dict[str, Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]] = {
    "disputes open": cmd_open,
    "disputes list": cmd_list,
    "disputes resolve": cmd_resolve,
}
