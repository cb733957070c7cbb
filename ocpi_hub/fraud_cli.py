"""`ocpi-hub fraud alerts|close`: the fraud signals the hub raised (core.fraud), and closing one
once it is dealt with (a closed alert no longer makes the hub refuse the token on its eMSP's
behalf, and the same signal may be raised again). Each action is ocpi_hub.operations.fraud,
as the admin API's."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Coroutine
from typing import Any

import orjson

from ocpi_hub.operations import Refused, fraud
from ocpi_hub.settings import Settings
from ocpi_hub.storage.db import open_database
from ocpi_hub.terminal import fail, table

__all__ = ["COMMANDS", "add_parser"]


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    """The `fraud` command and its actions."""
    parser = commands.add_parser("fraud", parents=[common], help="fraud signals (alerts)")
    actions = parser.add_subparsers(dest="fraud_command", required=True, metavar="ACTION")
    listing = actions.add_parser("alerts", parents=[common], help="list open alerts, newest first")
    listing.add_argument("--all", action="store_true", help="closed ones too")
    listing.add_argument("--json", action="store_true")
    close = actions.add_parser("close", parents=[common], help="close an open alert")
    close.add_argument("--id", type=int, required=True)
    close.add_argument("--note", help="why (kept with the alert)")


async def cmd_alerts(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings) as pool:
        found = await fraud.alerts(pool, everything=args.all)
    if args.json:
        print(orjson.dumps(found).decode())
        return 0
    rows = [{**a, "evidence": orjson.dumps(a["evidence"]).decode()} for a in found]
    table(rows, ["id", "code", "severity", "subject", "found_at", "closed_at", "evidence"])
    return 0


async def cmd_close(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings) as pool:
        try:
            await fraud.close(pool, alert_id=args.id, note=args.note)
        except Refused as exc:
            return fail(exc.message)
    print(f"alert {args.id} closed")
    return 0


COMMANDS: dict[str, Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]] = {
    "fraud alerts": cmd_alerts,
    "fraud close": cmd_close,
}
