"""`ocpi-hub`: the one entry point. Every command reads the same environment (settings.py) and
works while `serve` runs, against the embedded or an external PostgreSQL."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from aiohttp import web

from conformance import cli as conformance_cli
from ocpi_hub import agreements_cli, dialects
from ocpi_hub import logging as hub_logging
from ocpi_hub.core.handshake import new_token
from ocpi_hub.core.parties import Party, Platform, Role
from ocpi_hub.core.urls import id_segment
from ocpi_hub.dialects import cli as dialects_cli
from ocpi_hub.errors import InvalidParameters
from ocpi_hub.push.client import peer_client
from ocpi_hub.push.connect import ConnectFailed, connect
from ocpi_hub.settings import Settings
from ocpi_hub.simulate import cli as simulate_cli
from ocpi_hub.storage.db import open_database
from ocpi_hub.storage.platform_cache import announce
from ocpi_hub.storage.repositories import outbox, platforms
from ocpi_hub.terminal import fail, table
from ocpi_hub.web.app import create_app
from ocpi_hub.web.server import HubRunner, raise_open_file_limit

DEFAULT_DIALECT = dialects.DEFAULT

log = hub_logging.get_logger("ocpi_hub.cli")

ENVIRONMENT_HELP = """\
Every command takes --database-url, --data-dir, --host, --port, --public-url,
--hub-country-code, --hub-party-id and --log-format; each overrides its variable below.

environment:
  OCPI_HUB_DATABASE_URL        PostgreSQL DSN; unset: an embedded PostgreSQL under the data dir
  OCPI_HUB_DATA_DIR            data dir of the embedded PostgreSQL (default .ocpi-hub)
  OCPI_HUB_HOST                address serve listens on (default 127.0.0.1)
  OCPI_HUB_PORT                port serve listens on (default 8080)
  OCPI_HUB_PUBLIC_URL          base URL the hub advertises (default http://HOST:PORT)
  OCPI_HUB_COUNTRY_CODE        the hub's own country code (default XX)
  OCPI_HUB_PARTY_ID            the hub's own party id (default HUB); its only role is HUB
  OCPI_HUB_NAME                name in the hub's business details (default ocpi-hub)
  OCPI_HUB_LOG_FORMAT          console or json (default console)
  OCPI_HUB_LOG_LEVEL           debug, info, warning, error (default info)
  OCPI_HUB_PAGE_LIMIT          largest page served, announced in X-Limit (default 100)
  OCPI_HUB_FORWARD_TIMEOUT     seconds to wait for a party the hub relays to (default 10)
  OCPI_HUB_PUSH_MAX_ATTEMPTS   attempts per delivery before it is dead-lettered (default 12)
  OCPI_HUB_PUSH_BACKOFF_BASE   first retry delay in seconds, doubling per attempt (default 1)
  OCPI_HUB_PUSH_BACKOFF_MAX    longest retry delay in seconds (default 300)
  OCPI_HUB_PUSH_TIMEOUT        seconds one delivery attempt may take (default 10)
  OCPI_HUB_PUSH_CONCURRENCY    deliveries one process sends at once (default 256)
  OCPI_HUB_PUSH_MERGE_AFTER    seconds a delivery waits before later changes merge into it (60)
  OCPI_HUB_DELIVERED_RETENTION_DAYS  days delivered deliveries are kept as history (default 7)
  OCPI_HUB_PUSH_POLL_INTERVAL  seconds between looks for due retries (default 1)
  OCPI_HUB_AUTHORIZATION_TIMEOUT  seconds to wait for an eMSP's real-time authorization (2.5)
  OCPI_HUB_RESULT_SWEEP_INTERVAL  seconds between looks for command results that never came (1)
  OCPI_HUB_LIVENESS_SILENCE    seconds of silence before a party is probed (default 300)
  OCPI_HUB_LIVENESS_INTERVAL   seconds between liveness checks (default 60)
  OCPI_HUB_KEEPALIVE_TIMEOUT   seconds a connection may wait for its next request head (30)
  OCPI_HUB_READ_TIMEOUT        seconds a request body may take to arrive (default 30)
  OCPI_HUB_MAX_CONNECTIONS     client connections kept open at most (default 4096)
  OCPI_HUB_PEER_NETWORKS       CIDRs the hub may call, "!CIDR" excluded (default: all but
                               link-local, multicast and unspecified addresses; see README)
  OCPI_HUB_AGREEMENT_POLICY    open (everyone trades unless an agreement denies it) or closed
                               (only pairs an agreement allows); read by serve (default open)
"""


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--database-url", help="PostgreSQL DSN (OCPI_HUB_DATABASE_URL)")
    common.add_argument("--data-dir", help="embedded PostgreSQL data dir (OCPI_HUB_DATA_DIR)")
    common.add_argument("--host", help="listen address (OCPI_HUB_HOST)")
    common.add_argument("--port", type=int, help="listen port (OCPI_HUB_PORT)")
    common.add_argument("--public-url", help="advertised base URL (OCPI_HUB_PUBLIC_URL)")
    common.add_argument("--hub-country-code", help="the hub's country code (OCPI_HUB_COUNTRY_CODE)")
    common.add_argument("--hub-party-id", help="the hub's party id (OCPI_HUB_PARTY_ID)")
    common.add_argument("--log-format", choices=["console", "json"], help="(OCPI_HUB_LOG_FORMAT)")

    parser = argparse.ArgumentParser(
        prog="ocpi-hub",
        description="An OCPI 2.2.1 roaming hub: connect once, reach every party.",
        epilog=ENVIRONMENT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("serve", parents=[common], help="run the hub in the foreground")
    commands.add_parser("migrate", parents=[common], help="apply database migrations")

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
        "--json", action="store_true", help='print {"platform_id": ..., "dialect": ..., ...}'
    )

    box = commands.add_parser(
        "outbox", parents=[common], help="see and replay pending and dead deliveries"
    )
    box_commands = box.add_subparsers(dest="outbox_command", required=True, metavar="ACTION")
    box_list = box_commands.add_parser(
        "list", parents=[common], help="list deliveries, newest first"
    )
    box_list.add_argument("--status", choices=["PENDING", "DELIVERED", "DEAD"], type=str.upper)
    box_list.add_argument("--limit", type=int, default=100)
    box_list.add_argument("--json", action="store_true")
    replay = box_commands.add_parser("replay", parents=[common], help="queue dead deliveries again")
    replay.add_argument(
        "--id",
        type=int,
        action="append",
        dest="ids",
        help="a delivery id (repeatable); default all dead",
    )

    # The conformance suite needs no hub settings: it only talks OCPI to the endpoint it checks.
    conformance = commands.add_parser(
        "conformance",
        help="check an OCPI 2.2.1 endpoint (ours or anyone's) against the spec",
        description=conformance_cli.DESCRIPTION,
        epilog=conformance_cli.EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    conformance_cli.add_arguments(conformance)
    # The simulators need no hub settings either: they are OCPI parties of their own.
    simulate_cli.add_parser(commands)
    dialects_cli.add_parser(commands)
    agreements_cli.add_parser(commands, common)
    return parser


def settings_from(args: argparse.Namespace) -> Settings:
    return Settings.from_env(
        database_url=args.database_url,
        data_dir=args.data_dir,
        host=args.host,
        port=args.port,
        public_url_setting=args.public_url,
        country_code=args.hub_country_code.upper() if args.hub_country_code else None,
        party_id=args.hub_party_id.upper() if args.hub_party_id else None,
        log_format=args.log_format,
    )


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "conformance":
        return conformance_cli.run_command(args)
    if args.command == "simulate":
        return simulate_cli.run(args)
    if args.command == "dialects":
        return dialects_cli.run(args)
    try:
        settings = settings_from(args)
    except ValueError as exc:  # a setting that does not parse: say which, no traceback
        return fail(str(exc))
    hub_logging.configure(settings.log_format, settings.log_level)
    command = args.command
    if command != "serve":
        command = f"{command} {getattr(args, f'{command}_command', '') or ''}".strip()
    handler = COMMANDS[command]
    try:
        return asyncio.run(handler(settings, args))
    except KeyboardInterrupt:
        return 130


async def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    open_files = raise_open_file_limit()
    async with open_database(settings) as pool:
        runner = HubRunner(create_app(settings, pool), settings, open_files=open_files)
        await runner.setup()
        site = web.TCPSite(runner, settings.host, settings.port)
        await site.start()
        log.info(
            "serving",
            versions_url=settings.versions_url,
            listen=f"{settings.host}:{settings.port}",
            open_files=open_files,
            max_connections=runner.max_connections,
        )
        # Whoever reads our output may go away at any time; that must not stop the hub.
        with contextlib.suppress(OSError):
            print(
                f"ocpi-hub is serving OCPI 2.2.1 at {settings.versions_url}\n"
                "Invite a partner:  ocpi-hub parties invite --role CPO"
                " --country-code NL --party-id ABC\n"
                f"Connect to a peer: ocpi-hub connect --versions-url URL --token TOKEN_A",
                flush=True,
            )
        await stop.wait()
        log.info("stopping")
        await runner.cleanup()
    return 0


async def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings):
        print("migrations applied")
    return 0


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
                conn, network.id, party, name=args.name, source="OPERATOR"
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
                {"platform_id": platform.id, "dialect": platform.dialect, "parties": rows}
            ).decode()
        )
    else:
        print(f"Connected to {', '.join(map(str, platform.parties))} (platform {platform.id}).")
    return 0


async def cmd_outbox_list(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings) as pool:
        rows = [d.as_json() for d in await outbox.listing(pool, args.status, args.limit)]
        totals = await outbox.counts(pool)
    if args.json:
        print(orjson.dumps(rows).decode())
    else:
        table(
            rows,
            ["id", "to", "method", "path", "status", "attempts", "next_attempt_at", "last_error"],
        )
        print("totals: " + (", ".join(f"{k} {v}" for k, v in sorted(totals.items())) or "none"))
    return 0


async def cmd_outbox_replay(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings) as pool:
        count = await outbox.replay(pool, args.ids)
    print(f"{count} dead deliveries queued again")
    return 0


COMMANDS: dict[str, Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]] = {
    "serve": cmd_serve,
    "migrate": cmd_migrate,
    "parties invite": cmd_invite,
    "parties add": cmd_parties_add,
    "parties list": cmd_parties_list,
    "connect": cmd_connect,
    "outbox list": cmd_outbox_list,
    "outbox replay": cmd_outbox_replay,
    **agreements_cli.COMMANDS,
}
