"""`ocpi-hub operators create|list|revoke`: who may use the admin API, the console and /metrics.
A token is printed once, at creation; the hub keeps only its hash."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Coroutine
from typing import Any

import orjson

from ocpi_hub.core.handshake import new_token
from ocpi_hub.settings import Settings
from ocpi_hub.storage.db import open_database
from ocpi_hub.storage.repositories import operators
from ocpi_hub.terminal import fail, table

__all__ = ["COMMANDS", "add_parser"]


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    """The `operators` command and its actions."""
    parser = commands.add_parser(
        "operators", parents=[common], help="operator tokens: the admin API, console, metrics"
    )
    actions = parser.add_subparsers(dest="operators_command", required=True, metavar="ACTION")
    create = actions.add_parser("create", parents=[common], help="a new operator and its token")
    create.add_argument("--name", required=True, help="who it is (unique, up to 100 characters)")
    create.add_argument("--json", action="store_true", help='print {"id", "name", "token"}')
    listing = actions.add_parser("list", parents=[common], help="every operator, revoked too")
    listing.add_argument("--json", action="store_true")
    revoke = actions.add_parser("revoke", parents=[common], help="the token stops working")
    revoke.add_argument("--name", required=True)


async def cmd_create(settings: Settings, args: argparse.Namespace) -> int:
    name = args.name.strip()
    if not name or len(name) > 100 or not name.isprintable():
        return fail("--name: a printable name of 1 to 100 characters")
    token = new_token()
    async with open_database(settings) as pool:
        try:
            created = await operators.create(pool, name, token)
        except operators.NameTaken:
            return fail(f"--name: an operator is called {name!r} already")
    if args.json:
        print(orjson.dumps({"id": created.id, "name": created.name, "token": token}).decode())
    else:
        print(f"operator {created.name} (id {created.id}); its token, shown this once:\n{token}")
    return 0


async def cmd_list(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings) as pool:
        found = [o.as_json() for o in await operators.listing(pool)]
    if args.json:
        print(orjson.dumps(found).decode())
    else:
        table(found, ["id", "name", "created_at", "revoked_at"])
    return 0


async def cmd_revoke(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings) as pool:
        revoked = await operators.revoke(pool, args.name)
    if not revoked:
        return fail(f"--name: no active operator is called {args.name!r}")
    print(f"operator {args.name} revoked")
    return 0


COMMANDS: dict[str, Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]] = {
    "operators create": cmd_create,
    "operators list": cmd_list,
    "operators revoke": cmd_revoke,
}
