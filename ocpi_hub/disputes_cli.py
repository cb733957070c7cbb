"""`ocpi-hub disputes open|list|resolve`: an eMSP's dispute of a CDR it was charged (issue 9 §5;
the rules are core.disputes, what each step books is in the settlement ledger).

Each step is kept with who took it (`--by`, default the operating system's user), when, and why
(the reason of `open`, the `--note` of `resolve`). Amounts are printed in at least their
currency's decimals, and in `--json` as strings. Bad input (a CDR the hub does not hold or has not
booked as charged, an amount that is not a number, finer than the currency's minor unit or above
what can be disputed, an unknown or closed dispute) is refused on stderr with exit 1, and
nothing changes.
"""

from __future__ import annotations

import argparse
import getpass
from collections.abc import Callable, Coroutine
from typing import Any

import orjson

from ocpi_hub.core.agreements import party_text
from ocpi_hub.core.disputes import BadDispute, Step, parse_cdr, parse_text
from ocpi_hub.core.ledger import Account, shown
from ocpi_hub.core.types import format_datetime
from ocpi_hub.settings import Settings
from ocpi_hub.storage.db import open_database
from ocpi_hub.storage.repositories import disputes
from ocpi_hub.storage.repositories.disputes import Dispute, Event
from ocpi_hub.terminal import fail, table

__all__ = ["COMMANDS", "add_parser", "as_json"]

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
    if text is None:
        try:
            text = getpass.getuser()
        except (OSError, KeyError):
            raise BadDispute("--by: no user name is known here: say who you are") from None
    return parse_text(text, "--by", 255)


async def cmd_open(settings: Settings, args: argparse.Namespace) -> int:
    try:
        owner, cdr_id = parse_cdr(args.cdr)
        reason = parse_text(args.reason, "--reason")
        by = _by(args.by)
    except BadDispute as exc:
        return fail(str(exc))
    async with open_database(settings) as pool:
        try:
            dispute = await disputes.open_dispute(pool, owner, cdr_id, args.amount, reason, by)
        except BadDispute as exc:
            return fail(str(exc))
    if args.json:
        print(orjson.dumps(as_json(dispute)).decode())
        return 0
    c = dispute.currency
    print(
        f"dispute {dispute.id} opened: {shown(dispute.amount, c)} {c} of {dispute.cdr} is no"
        f" longer owed by {party_text(dispute.emsp)} but disputed, until it is resolved"
    )
    return 0


async def cmd_list(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings) as pool:
        found = await disputes.listing(pool, everything=args.all)
    rows = [as_json(d) for d in found]
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
    step = Step.ACCEPTED if args.accept else Step.REJECTED
    try:
        note = None if args.note is None else parse_text(args.note, "--note")
        by = _by(args.by)
    except BadDispute as exc:
        return fail(str(exc))
    async with open_database(settings) as pool:
        try:
            dispute = await disputes.resolve(pool, args.id, step, by, note)
        except BadDispute as exc:
            return fail(str(exc))
    if args.json:
        print(orjson.dumps(as_json(dispute)).decode())
        return 0
    c, amount = dispute.currency, shown(dispute.amount, dispute.currency)
    if step == Step.REJECTED:
        print(f"dispute {dispute.id} rejected: {party_text(dispute.emsp)} owes {amount} {c} again")
        return 0
    entries = {e.account: e.amount for e in dispute.events[-1].entries}
    print(
        f"dispute {dispute.id} accepted: {party_text(dispute.emsp)} does not owe {amount} {c};"
        f" {party_text(dispute.cpo)} is owed {shown(entries[Account.PAYABLE], c)} {c} less and"
        f" the hub returns {shown(entries[Account.FEES], c)} {c} of its fee"
    )
    return 0


def as_json(dispute: Dispute) -> dict[str, Any]:
    """A dispute as `--json` prints it."""
    c = dispute.currency
    return {
        "id": dispute.id,
        "cdr": dispute.cdr,
        "emsp": party_text(dispute.emsp),
        "cpo": party_text(dispute.cpo),
        "amount": shown(dispute.amount, c),
        "currency": c,
        "state": dispute.state.value,
        "reason": dispute.reason,
        "opened_at": format_datetime(dispute.opened_at),
        "events": [_event_json(e) for e in dispute.events],
    }


def _event_json(event: Event) -> dict[str, Any]:
    return {
        "step": event.step.value,
        "state": event.state.value,
        "by": event.by,
        "at": format_datetime(event.at),
        "note": event.note,
        "transaction": event.transaction,
        "booked": [
            {
                "account": e.account.value,
                "party": party_text(e.party),
                "amount": shown(e.amount, e.currency),
            }
            for e in event.entries
        ],
    }


COMMANDS: dict[str, Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]] = {
    "disputes open": cmd_open,
    "disputes list": cmd_list,
    "disputes resolve": cmd_resolve,
}
