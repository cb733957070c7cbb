"""`ocpi-hub agreements allow|deny|remove|fee|list`: who trades with whom, and the hub's fee on
the CDRs between two parties (core.agreements).

A change is stored, announced to every serving process (it holds from their next request on,
storage.platform_cache.announce) and, where it lets two parties newly trade in a broadcast
module, the stored objects each may now see are queued for it (push.share), all in one
transaction with the change. The policy is the one `serve` last started with
(OCPI_HUB_AGREEMENT_POLICY); before any `serve`, this process's own setting. A fee holds for
the CDRs booked from the command's return on; those booked before keep the fee of their day.
"""

from __future__ import annotations

import argparse
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

import orjson

from ocpi_hub.core.agreements import (
    MODULES,
    Agreements,
    BadAgreement,
    Effect,
    FeeAgreement,
    newly_trading,
    parse_party,
    party_text,
)
from ocpi_hub.core.ledger import BadAmount, Fee, parse_currency, parse_decimal
from ocpi_hub.core.routing import BROADCAST_MODULES
from ocpi_hub.push.share import share
from ocpi_hub.settings import Settings
from ocpi_hub.storage.db import open_database
from ocpi_hub.storage.platform_cache import announce
from ocpi_hub.storage.repositories import agreements, platforms
from ocpi_hub.terminal import fail, table

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


async def _change(settings: Settings, args: argparse.Namespace, effect: Effect | None) -> int:
    try:
        a, b = parse_party(args.between), parse_party(args.and_)
        async with open_database(settings) as pool:
            async with pool.acquire() as conn, conn.transaction():
                before = await _load(conn, settings)
                rules = before.changed(a, b, effect, args.modules)
                await agreements.replace_pair(conn, a, b, rules)
                after = await _load(conn, settings)
                grants = newly_trading(before, after, a, b, sorted(BROADCAST_MODULES))
                queued = await share(
                    conn,
                    [stored.platform for stored in await platforms.load(conn)],
                    grants,
                    (settings.country_code, settings.party_id),
                    f"agreements-{uuid.uuid4()}",
                )
            # Holds in every serving process before we say so.
            await announce(pool, None)
    except BadAgreement as exc:
        return fail(str(exc))
    if args.json:
        print(orjson.dumps(after.as_json((a, b))).decode())
        return 0
    pair = f"{party_text(a)} and {party_text(b)}"
    now = [_describe(r.as_json()) for r in after.of_pair(a, b)]
    print(f"{pair}: {'; '.join(now) if now else f'no agreement ({after.policy.value} policy)'}")
    if queued:
        print(f"{len(queued)} stored objects queued for the party newly allowed to see them")
    return 0


async def _load(conn: Any, settings: Settings) -> Agreements:
    policy = await agreements.recorded_policy(conn) or settings.agreement_policy
    return await agreements.load(conn, policy)


def _describe(rule: dict[str, Any]) -> str:
    modules = rule["modules"]
    return f"{rule['effect']} {', '.join(modules) if modules else 'all modules'}"


async def cmd_allow(settings: Settings, args: argparse.Namespace) -> int:
    return await _change(settings, args, Effect.ALLOW)


async def cmd_deny(settings: Settings, args: argparse.Namespace) -> int:
    return await _change(settings, args, Effect.DENY)


async def cmd_remove(settings: Settings, args: argparse.Namespace) -> int:
    return await _change(settings, args, None)


async def cmd_fee(settings: Settings, args: argparse.Namespace) -> int:
    try:
        a, b = parse_party(args.between), parse_party(args.and_)
        fee = Fee.of(
            parse_decimal(args.percent, "--percent"),
            parse_decimal(args.fixed, "--fixed"),
            parse_currency(args.currency),
        )
        agreed = FeeAgreement.of(a, b, fee)
    except (BadAgreement, BadAmount) as exc:
        return fail(str(exc))
    async with open_database(settings) as pool:
        await agreements.set_fee(pool, a, b, fee)
        # Holds in every serving process (the CDRs they book) before we say so.
        await announce(pool, None)
        async with pool.acquire() as conn:
            after = await _load(conn, settings)
    if args.json:
        print(orjson.dumps(after.as_json((a, b))).decode())
        return 0
    pair = f"{party_text(agreed.between)} and {party_text(agreed.and_)}"
    print(f"{pair}: {_fee_text(fee) if not fee.zero else 'no fee'}")
    return 0


def _fee_text(fee: Fee) -> str:
    terms = fee.as_json()
    return f"{terms['percent']} % + {terms['fixed']} {terms['currency']} per CDR"


async def cmd_list(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings) as pool, pool.acquire() as conn:
        found = await _load(conn, settings)
    if args.json:
        print(orjson.dumps(found.as_json()).decode())
        return 0
    print(f"policy: {found.policy.value}")
    rows = [r.as_json() for r in found.rules]
    table(
        [{**r, "modules": ", ".join(r["modules"]) if r["modules"] else "all"} for r in rows],
        ["between", "and", "effect", "modules"],
    )
    if found.fees:
        print("fees on the CDRs between two parties (none agreed: no fee):")
        table([f.as_json() for f in found.fees], ["between", "and", "percent", "fixed", "currency"])
    return 0


COMMANDS: dict[str, Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]] = {
    "agreements allow": cmd_allow,
    "agreements deny": cmd_deny,
    "agreements remove": cmd_remove,
    "agreements fee": cmd_fee,
    "agreements list": cmd_list,
}
