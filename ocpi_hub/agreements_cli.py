"""`ocpi-hub agreements allow|deny|remove|fee|list`: who trades with whom, and the hub's fee on
the CDRs between two parties. Each action is ocpi_hub.operations.agreements (what a change
does, and when it holds, is said there), as the admin API's `/agreements` are.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Coroutine
from typing import Any

import orjson

from ocpi_hub.core.agreements import MODULES
from ocpi_hub.operations import Refused, agreements
from ocpi_hub.settings import Settings
from ocpi_hub.storage.db import open_database
from ocpi_hub.terminal import refused, table

__all__ = ["COMMANDS", "add_parser"]


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    """The `agreements` command and its actions."""
    parser = commands.add_parser(
        "agreements", parents=[common], help="partner agreements: who trades with whom"
    )
    actions = parser.add_subparsers(dest="agreements_command", required=True, metavar="ACTION")
    for name, what in (
        ("allow", "let two parties trade (in some modules, or all)"),
        ("deny", "forbid two parties to trade (a deny always wins)"),
        ("remove", "forget what was agreed between two parties (in some modules, or all)"),
    ):
        action = actions.add_parser(name, parents=[common], help=what)
        action.add_argument("--between", required=True, metavar="CC*PID")
        action.add_argument("--and", dest="and_", required=True, metavar="CC*PID")
        action.add_argument(
            "--module",
            dest="modules",
            action="extend",
            nargs="+",
            metavar="MODULE",
            help=f"one or more of {', '.join(MODULES)}; default all",
        )
        action.add_argument("--json", action="store_true", help="print the pair's agreements")
    fee = actions.add_parser(
        "fee",
        parents=[common],
        help="set the hub's fee on the CDRs between two parties (zero: no fee)",
    )
    fee.add_argument("--between", required=True, metavar="CC*PID")
    fee.add_argument("--and", dest="and_", required=True, metavar="CC*PID")
    fee.add_argument("--percent", default="0", metavar="P", help="of each CDR's amount")
    fee.add_argument("--fixed", default="0", metavar="AMOUNT", help="per CDR, in --currency")
    fee.add_argument("--currency", required=True, metavar="CUR", help="of --fixed (ISO 4217)")
    fee.add_argument("--json", action="store_true", help="print the pair's agreements")
    listing = actions.add_parser("list", parents=[common], help="list every agreement and fee")
    listing.add_argument("--json", action="store_true")


# The field of an action whose option is named otherwise.
OPTIONS = {"modules": "--module"}


async def _change(settings: Settings, args: argparse.Namespace, action: str) -> int:
    async with open_database(settings) as pool:
        try:
            done = await agreements.change(
                pool,
                settings,
                action=action,
                between=args.between,
                and_=args.and_,
                modules=args.modules,
            )
        except Refused as exc:
            return refused(exc, OPTIONS)
    if args.json:
        print(orjson.dumps(done["agreements"]).decode())
        return 0
    pair = f"{done['between']} and {done['and']}"
    now = [_describe(r) for r in done["agreements"] if r["effect"] != "fee"]
    said = "; ".join(now) if now else f"no agreement ({done['policy']} policy)"
    print(f"{pair}: {said}")
    if done["queued"]:
        print(f"{done['queued']} stored objects queued for the party newly allowed to see them")
    return 0


def _describe(rule: dict[str, Any]) -> str:
    modules = rule["modules"]
    return f"{rule['effect']} {', '.join(modules) if modules else 'all modules'}"


async def cmd_allow(settings: Settings, args: argparse.Namespace) -> int:
    return await _change(settings, args, "allow")


async def cmd_deny(settings: Settings, args: argparse.Namespace) -> int:
    return await _change(settings, args, "deny")


async def cmd_remove(settings: Settings, args: argparse.Namespace) -> int:
    return await _change(settings, args, "remove")


async def cmd_fee(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings) as pool:
        try:
            done = await agreements.fee(
                pool,
                settings,
                between=args.between,
                and_=args.and_,
                percent=args.percent,
                fixed=args.fixed,
                currency=args.currency,
            )
        except Refused as exc:
            return refused(exc)
    if args.json:
        print(orjson.dumps(done["agreements"]).decode())
        return 0
    terms = done["fee"]
    said = f"{terms['percent']} % + {terms['fixed']} {terms['currency']} per CDR" if terms else None
    print(f"{done['between']} and {done['and']}: {said or 'no fee'}")
    return 0


async def cmd_list(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings) as pool:
        found = await agreements.listed(pool, settings)
    if args.json:
        print(orjson.dumps(found["agreements"]).decode())
        return 0
    print(f"policy: {found['policy']}")
    rows = [r for r in found["agreements"] if r["effect"] != "fee"]
    table(
        [{**r, "modules": ", ".join(r["modules"]) if r["modules"] else "all"} for r in rows],
        ["between", "and", "effect", "modules"],
    )
    fees = [r for r in found["agreements"] if r["effect"] == "fee"]
    if fees:
        print("fees on the CDRs between two parties (none agreed: no fee):")
        table(fees, ["between", "and", "percent", "fixed", "currency"])
    return 0


COMMANDS: dict[str, Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]] = {
    "agreements allow": cmd_allow,
    "agreements deny": cmd_deny,
    "agreements remove": cmd_remove,
    "agreements fee": cmd_fee,
    "agreements list": cmd_list,
}
