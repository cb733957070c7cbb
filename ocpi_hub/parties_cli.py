"""`ocpi-hub parties invite|add|list` and `ocpi-hub connect`: the partners and networks the
hub knows, and the credentials handshakes the operator starts (README "Connecting a partner",
"Networks")."""

from __future__ import annotations

import argparse
import getpass
from collections.abc import Callable, Coroutine
from typing import Any

import orjson

from ocpi_hub import dialects
from ocpi_hub.core.parties import Party, Role
from ocpi_hub.operations import Refused, parties
from ocpi_hub.push.client import peer_client
from ocpi_hub.push.connect import ConnectFailed, connect
from ocpi_hub.settings import Settings
from ocpi_hub.storage.db import open_database
from ocpi_hub.storage.platform_cache import announce
from ocpi_hub.storage.repositories import platforms
from ocpi_hub.terminal import fail, refused, table

__all__ = ["COMMANDS", "add_parser"]

DEFAULT_DIALECT = dialects.DEFAULT


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    """The `parties` and `connect` commands."""
    group = commands.add_parser("parties", parents=[common], help="invite and list parties")
    party_commands = group.add_subparsers(dest="parties_command", required=True, metavar="ACTION")
    invite = party_commands.add_parser(
        "invite", parents=[common], help="issue a token A for a partner"
    )
    invite.add_argument(
        "--role",
        required=True,
        choices=["CPO", "EMSP", "HUB"],
        type=str.upper,
        help="HUB: a network (another hub) that will register with us",
    )
    invite.add_argument("--country-code", dest="invite_country_code", required=True)
    invite.add_argument("--party-id", dest="invite_party_id", required=True)
    invite.add_argument("--name", help="the partner's name (business details)")
    invite.add_argument("--dialect", default=DEFAULT_DIALECT, help="how it speaks OCPI")
    invite.add_argument(
        "--json", action="store_true", help='print {"token": ..., "versions_url": ...}'
    )
    add = party_commands.add_parser(
        "add", parents=[common], help="a remote party reached through a network"
    )
    add.add_argument("--via", type=int, required=True, help="the network's platform id")
    add.add_argument("--role", required=True, choices=["CPO", "EMSP"], type=str.upper)
    add.add_argument("--country-code", dest="invite_country_code", required=True)
    add.add_argument("--party-id", dest="invite_party_id", required=True)
    add.add_argument("--name", help="the party's name")
    add.add_argument("--json", action="store_true")
    listing = party_commands.add_parser("list", parents=[common], help="list parties")
    listing.add_argument("--json", action="store_true")
    suspend = party_commands.add_parser(
        "suspend", parents=[common], help="stop an eMSP's new charging until lifted"
    )
    suspend.add_argument("--party", required=True, help="the eMSP, CC*PID")
    suspend.add_argument("--why", required=True, help="the reason its partners are told")
    suspend.add_argument("--by", help="who decides (default: the system user)")
    suspend.add_argument("--json", action="store_true")
    lift = party_commands.add_parser("lift", parents=[common], help="lift an eMSP's suspension")
    lift.add_argument("--party", required=True, help="the eMSP, CC*PID")
    lift.add_argument("--json", action="store_true")
    suspensions = party_commands.add_parser(
        "suspensions", parents=[common], help="the eMSPs an operator suspended"
    )
    suspensions.add_argument("--json", action="store_true")

    conn = commands.add_parser(
        "connect", parents=[common], help="start the handshake with a peer that gave us a token A"
    )
    conn.add_argument("--versions-url", required=True, help="the peer's versions URL")
    conn.add_argument(
        "--token",
        required=True,
        help="the token A the peer issued to us (write --token=VALUE when it starts with '-')",
    )
    conn.add_argument("--dialect", default=DEFAULT_DIALECT, help="how the peer speaks OCPI")
    conn.add_argument(
        "--role",
        choices=["CPO", "EMSP"],
        type=str.upper,
        help="the peer's role: needed when it speaks only OCPI 2.1.1 (credentials carry none)",
    )
    conn.add_argument(
        "--json", action="store_true", help='print {"platform_id": ..., "version": ..., ...}'
    )


async def cmd_invite(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings) as pool:
        try:
            invited = await parties.invite(
                pool,
                settings,
                role=args.role,
                country_code=args.invite_country_code,
                party_id=args.invite_party_id,
                name=args.name,
                dialect=args.dialect,
            )
        except Refused as exc:
            return refused(exc)
    if args.json:
        print(orjson.dumps({k: invited[k] for k in ("token", "versions_url")}).decode())
    else:
        party = Party.of(args.invite_country_code, args.invite_party_id, args.role)
        print(
            f"Invited {party}.\nGive the partner, out of band:\n"
            f"  versions URL: {invited['versions_url']}\n  token A:      {invited['token']}\n"
            "The token works for the credentials handshake only, and once."
        )
    return 0


async def cmd_parties_add(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings) as pool:
        try:
            added = await parties.add_remote(
                pool,
                settings,
                via=args.via,
                role=args.role,
                country_code=args.invite_country_code,
                party_id=args.invite_party_id,
                name=args.name,
            )
        except Refused as exc:
            return refused(exc)
    if args.json:
        print(orjson.dumps(added).decode())
    else:
        party = Party.of(added["country_code"], added["party_id"], added["role"])
        done = "now" if added["added"] else "already"
        print(f"{party} is {done} reached through platform {args.via}.")
    return 0


async def cmd_parties_list(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings) as pool:
        rows = await parties.listed(pool)
    if args.json:
        print(orjson.dumps(rows).decode())
    else:
        table(
            rows,
            ["country_code", "party_id", "role", "status", "platform_id", "via", "dialect",
             "version", "name", "versions_url"],
        )  # fmt: skip
    return 0


async def cmd_connect(settings: Settings, args: argparse.Namespace) -> int:
    try:
        dialects.dialect(args.dialect)
    except dialects.UnknownDialect as exc:
        return fail(f"--dialect: {exc}")
    async with (
        open_database(settings) as pool,
        pool.acquire() as conn,
        peer_client(settings.peer_networks) as client,
    ):
        try:
            platform_id = await connect(
                conn,
                client,
                settings,
                versions_url=args.versions_url,
                token_a=args.token,
                dialect=args.dialect,
                role=Role(args.role) if args.role else None,
            )
        except ConnectFailed as exc:
            return fail(f"connect failed: {exc}")
        # Serving processes knew the platform as CONNECTING: the peer's first call with our
        # token B must find it REGISTERED everywhere.
        await announce(pool, platform_id)
        platform = await platforms.get(conn, platform_id)
    assert platform is not None
    if args.json:
        rows = [parties.row(party, platform) for party in platform.parties]
        print(
            orjson.dumps(
                {
                    "platform_id": platform.id,
                    "dialect": platform.dialect,
                    "version": platform.version,
                    "parties": rows,
                }
            ).decode()
        )
    else:
        print(
            f"Connected to {', '.join(map(str, platform.parties))}"
            f" (platform {platform.id}, OCPI {platform.version})."
        )
    return 0


async def cmd_suspend(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings) as pool:
        try:
            by = args.by or getpass.getuser()
            done = await parties.suspend(pool, party=args.party, why=args.why, by=by)
        except Refused as exc:
            return refused(exc)
        except (OSError, KeyError):
            return fail("--by: no user name is known here: say who you are")
    if args.json:
        print(orjson.dumps(done).decode())
    else:
        print(f"{done['party']} suspended: no new charging on its tokens until lifted.")
    return 0


async def cmd_lift(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings) as pool:
        try:
            done = await parties.lift(pool, party=args.party)
        except Refused as exc:
            return refused(exc)
    if args.json:
        print(orjson.dumps(done).decode())
    elif done["lifted"]:
        print(f"{done['party']}'s suspension lifted.")
    else:
        print(f"{done['party']} was not suspended by an operator.")
    return 0


async def cmd_suspensions(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings) as pool:
        found = await parties.suspended(pool)
    if args.json:
        print(orjson.dumps(found).decode())
    else:
        table(found, ["party", "why", "by", "since"])
    return 0


COMMANDS: dict[str, Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]] = {
    "parties invite": cmd_invite,
    "parties suspend": cmd_suspend,
    "parties lift": cmd_lift,
    "parties suspensions": cmd_suspensions,
    "parties add": cmd_parties_add,
    "parties list": cmd_parties_list,
    "connect": cmd_connect,
}
