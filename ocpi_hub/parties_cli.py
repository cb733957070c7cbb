"""`ocpi-hub parties invite|add|list` and `ocpi-hub connect`: the partners and networks the
hub knows, and the credentials handshakes the operator starts (README "Connecting a partner",
"Networks")."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Coroutine
from typing import Any

import orjson

from ocpi_hub import dialects
from ocpi_hub.core.handshake import new_token
from ocpi_hub.core.parties import Party, Platform, Role
from ocpi_hub.core.urls import id_segment
from ocpi_hub.errors import InvalidParameters
from ocpi_hub.push.client import peer_client
from ocpi_hub.push.connect import ConnectFailed, connect
from ocpi_hub.settings import Settings
from ocpi_hub.storage.db import open_database
from ocpi_hub.storage.platform_cache import announce
from ocpi_hub.storage.repositories import platforms
from ocpi_hub.terminal import fail, table

__all__ = ["COMMANDS", "add_parser"]

DEFAULT_DIALECT = dialects.DEFAULT


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    """The `parties` and `connect` commands."""
    parties = commands.add_parser("parties", parents=[common], help="invite and list parties")
    party_commands = parties.add_subparsers(dest="parties_command", required=True, metavar="ACTION")
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


def _party_argument(args: argparse.Namespace) -> Party | str:
    """The party named by --role/--country-code/--party-id, or why it cannot be one."""
    party = Party.of(args.invite_country_code, args.invite_party_id, Role(args.role))
    if len(party.country_code) != 2 or not 1 <= len(party.party_id) <= 3:
        return "--country-code takes 2 characters and --party-id up to 3"
    try:  # the hub puts them in URLs (HubClientInfo pushes)
        id_segment("country_code", party.country_code)
        id_segment("party_id", party.party_id)
    except InvalidParameters as exc:
        return exc.message
    return party


def _dialect_argument(name: str) -> str | None:
    """Why --dialect NAME is refused, or None when a profile has that name."""
    try:
        dialects.dialect(name)
    except dialects.UnknownDialect as exc:
        return f"--dialect: {exc}"
    return None


async def cmd_invite(settings: Settings, args: argparse.Namespace) -> int:
    party = _party_argument(args)
    if isinstance(party, str):
        return fail(party)
    if refused := _dialect_argument(args.dialect):
        return fail(refused)
    token = new_token()
    async with open_database(settings) as pool:
        async with pool.acquire() as conn:
            try:
                platform = await platforms.invite(
                    conn,
                    token=token,
                    name=args.name or str(party),
                    party=party,
                    hub=(settings.country_code, settings.party_id),
                    dialect=args.dialect,
                )
            except platforms.IdentityTaken as exc:
                return fail(str(exc))
        # A re-issued invitation kills the old token A: in every serving process before we say so.
        await announce(pool, platform.id)
    if args.json:
        print(orjson.dumps({"token": token, "versions_url": settings.versions_url}).decode())
    else:
        print(
            f"Invited {party}.\nGive the partner, out of band:\n"
            f"  versions URL: {settings.versions_url}\n  token A:      {token}\n"
            "The token works for the credentials handshake only, and once."
        )
    return 0


async def cmd_parties_add(settings: Settings, args: argparse.Namespace) -> int:
    party = _party_argument(args)
    if isinstance(party, str):
        return fail(party)
    async with open_database(settings) as pool:
        network = await platforms.get(pool, args.via)
        if network is None or not network.network:
            return fail(f"--via {args.via}: no network has that platform id (see parties list)")
        async with pool.acquire() as conn:
            added = await platforms.add_remote(
                conn,
                network.id,
                party,
                name=args.name,
                source="OPERATOR",
                hub=(settings.country_code, settings.party_id),
            )
        await announce(pool, network.id)
    if args.json:
        print(orjson.dumps({**_party_row(party, network), "added": added}).decode())
    else:
        print(f"{party} is {'now' if added else 'already'} reached through platform {network.id}.")
    return 0


def _party_row(party: Party, platform: Platform) -> dict[str, object]:
    return {
        "country_code": party.country_code,
        "party_id": party.party_id,
        "role": party.role.value,
        "status": platform.status.value,
        "platform_id": platform.id,
        "via": platform.id if platform.is_remote(party) else None,
        "dialect": platform.dialect,
        "name": platform.name,
        "versions_url": platform.versions_url,
    }


async def cmd_parties_list(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings) as pool:
        found = await platforms.all_platforms(pool)
    rows = [_party_row(party, platform) for platform in found for party in platform.parties]
    if args.json:
        print(orjson.dumps(rows).decode())
    else:
        table(
            rows,
            ["country_code", "party_id", "role", "status", "platform_id", "via", "dialect",
             "name", "versions_url"],
        )  # fmt: skip
    return 0


async def cmd_connect(settings: Settings, args: argparse.Namespace) -> int:
    if refused := _dialect_argument(args.dialect):
        return fail(refused)
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
        rows = [_party_row(party, platform) for party in platform.parties]
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


COMMANDS: dict[str, Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]] = {
    "parties invite": cmd_invite,
    "parties add": cmd_parties_add,
    "parties list": cmd_parties_list,
    "connect": cmd_connect,
}
