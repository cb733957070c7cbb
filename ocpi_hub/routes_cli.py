"""`ocpi-hub routes prefer|list`: the route each party with several routes is sent its traffic
over (route choice, core.routes; carried out by push.routes).

`prefer` stores the operator's preference and applies it at once, as a round of the serving
hub's route choice would (every serving process uses it before the command returns). `list`
prints, for each party with more than one registered route, each route's figures over the
window (OCPI_HUB_ROUTE_WINDOW, the setting of this command's environment), which route is
chosen and why, and the preference. Both are ocpi_hub.operations.routes, as the admin API's
`/routes` are.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Coroutine
from typing import Any

import orjson

from ocpi_hub.operations import Refused, routes
from ocpi_hub.settings import Settings
from ocpi_hub.storage.db import open_database
from ocpi_hub.terminal import refused, table

__all__ = ["COMMANDS", "add_parser"]


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    """The `routes` command and its actions."""
    parser = commands.add_parser(
        "routes", parents=[common], help="route choice: which route reaches each party"
    )
    actions = parser.add_subparsers(dest="routes_command", required=True, metavar="ACTION")
    prefer = actions.add_parser(
        "prefer", parents=[common], help="send a party's traffic over one of its routes"
    )
    prefer.add_argument("--party", required=True, metavar="CC*PID")
    prefer.add_argument(
        "--via",
        required=True,
        metavar="PLATFORM_ID|direct|auto",
        help="one of its routes (a platform id, or its direct connection); auto: measured",
    )
    prefer.add_argument("--json", action="store_true", help="print the party's routes")
    listing = actions.add_parser(
        "list", parents=[common], help="each party with several routes, their figures"
    )
    listing.add_argument("--json", action="store_true")


async def cmd_prefer(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings) as pool:
        try:
            row = await routes.prefer(pool, settings, party=args.party, via=args.via)
        except Refused as exc:
            return refused(exc)
    if args.json:
        print(orjson.dumps([row]).decode())
        return 0
    print(f"{row['party']}: preference {row['preference']}")
    _print_table([row])
    return 0


async def cmd_list(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings) as pool:
        rows = await routes.listed(pool, settings)
    if args.json:
        print(orjson.dumps(rows).decode())
    else:
        _print_table(rows)
    return 0


def _print_table(rows: list[dict[str, Any]]) -> None:
    lines = [
        {
            "party": row["party"],
            **route,
            "success_rate": (
                f"{route['success_rate']:.1%}" if route["success_rate"] is not None else None
            ),
            "chosen": "*" if route["chosen"] else "",
            "preference": row["preference"],
            "reason": row["reason"] if route["chosen"] else "",
        }
        for row in rows
        for route in row["routes"]
    ]
    table(
        lines,
        ["party", "platform_id", "kind", "sent", "failed", "success_rate", "p95_ms", "chosen",
         "preference", "reason"],
    )  # fmt: skip


COMMANDS: dict[str, Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]] = {
    "routes prefer": cmd_prefer,
    "routes list": cmd_list,
}
