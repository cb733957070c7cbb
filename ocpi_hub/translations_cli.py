"""`ocpi-hub translations losses`: what the hub's translations could not carry, so an operator
sees what a partner on another protocol or version does not get (dialects.losses): per
translation ("ocpi-2.1.1", "hubject"), module, way and field, how often, and the latest example.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Coroutine
from typing import Any

import orjson

from ocpi_hub.settings import Settings
from ocpi_hub.storage.db import open_database
from ocpi_hub.storage.repositories import losses
from ocpi_hub.terminal import table

__all__ = ["COMMANDS", "add_parser", "show_losses"]


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    """The `translations` command and its action."""
    parser = commands.add_parser(
        "translations", parents=[common], help="translations between protocols and versions"
    )
    actions = parser.add_subparsers(dest="translations_command", required=True, metavar="ACTION")
    listing = actions.add_parser("losses", parents=[common], help="what translations lost")
    listing.add_argument(
        "--translation", metavar="NAME", help="one translation only: ocpi-2.1.1, hubject"
    )
    listing.add_argument("--json", action="store_true")


async def show_losses(settings: Settings, translation: str | None, as_json: bool) -> int:
    """Print the losses counted (of one translation when named): a table, or JSON."""
    async with open_database(settings) as pool:
        found = await losses.listed(pool, translation)
    if as_json:
        print(orjson.dumps(found).decode())
        return 0
    columns = ["translation", "module", "direction", "field", "lost", "count", "example", "why"]
    table(found, columns)
    return 0


async def cmd_losses(settings: Settings, args: argparse.Namespace) -> int:
    return await show_losses(settings, args.translation, args.json)


COMMANDS: dict[str, Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]] = {
    "translations losses": cmd_losses,
}
