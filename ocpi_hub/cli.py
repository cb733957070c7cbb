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
from ocpi_hub import (
    agreements_cli,
    disputes_cli,
    findings_cli,
    fraud_cli,
    hubject_cli,
    operators_cli,
    parties_cli,
    pricing_cli,
    routes_cli,
    settlement_cli,
    trace_cli,
    translations_cli,
)
from ocpi_hub import logging as hub_logging
from ocpi_hub.dialects import cli as dialects_cli
from ocpi_hub.operations import Refused, outbox
from ocpi_hub.settings import Settings
from ocpi_hub.simulate import cli as simulate_cli
from ocpi_hub.storage.db import open_database
from ocpi_hub.terminal import fail, refused, table
from ocpi_hub.web.app import create_app
from ocpi_hub.web.server import HubRunner, raise_open_file_limit

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
  OCPI_HUB_PULL_INTERVAL       seconds between looks for due pulls of networks (default 60)
  OCPI_HUB_PULL_DELTA_EVERY    seconds between delta pulls of a network we pull (default:
                               its dialect's; enapi: a day)
  OCPI_HUB_PULL_FULL_EVERY     seconds between full pulls of a network we pull (default: its
                               dialect's; enapi: a week)
  OCPI_HUB_ROUTE_WINDOW        seconds of requests each route is judged on (default 900)
  OCPI_HUB_ROUTE_FLUSH_INTERVAL  seconds between writes of what each process measured (5)
  OCPI_HUB_ROUTE_CHOICE_INTERVAL  seconds between route choices, and probes of idle routes (30)
  OCPI_HUB_FRAUD_INTERVAL      seconds between rounds of the fraud watch (default 60)
  OCPI_HUB_FRAUD_MAX_KMH       fastest a token may travel between two sessions (default 250)
  OCPI_HUB_FRAUD_REFUSED_BURST refused authorizations of one token or EVSE that alert (5) ...
  OCPI_HUB_FRAUD_REFUSED_WINDOW  ... within this many seconds (default 600)
  OCPI_HUB_CHECK_INTERVAL      seconds between checks of new CDRs and completed Sessions (10)
  OCPI_HUB_RECONCILE_INTERVAL  seconds between reconciliations by serve (default 3600)
  OCPI_HUB_MAX_SESSION_HOURS   hours a charge may last before it is a finding (default 48)
  OCPI_HUB_CDR_GRACE_HOURS     hours a completed Session may wait for its CDR (default 48;
                               decimal, e.g. 0.5)
  OCPI_HUB_PRICE_TOLERANCE     how far a CDR's total_cost may be from its tariff's price
                               (default 0.01, in the CDR's currency; 0: exact)
  OCPI_HUB_CREDIT_INTERVAL     seconds between assessments of eMSPs' credit exposure (60)
  OCPI_HUB_CREDIT_WARN         fraction of a credit limit that alerts, in (0, 1] (default 0.8)
  OCPI_HUB_CREDIT_ACTION       alert, or suspend an eMSP at its limit (default alert)
  OCPI_HUB_OICP_HOST           where serve listens for Hubject's calls (default 127.0.0.1)
  OCPI_HUB_OICP_PORT           ... and on which port; 0: not at all (default 0)
  OCPI_HUB_HUBJECT_TIMEOUT     seconds one call to Hubject may take (default 10)
  OCPI_HUB_HUBJECT_ANSWER_BUDGET  seconds to answer one of Hubject's calls (default 10)
  OCPI_HUB_HUBJECT_RATE_LIMITS NAME=N,...: requests per minute per OICP operation
  OCPI_HUB_METRICS_PARTIES     parties with a label of their own in /metrics; the rest
                               are "other" (default 200)
  OCPI_HUB_TRACE_RETENTION     seconds each hop of a trace is kept (default 604800, 7 days)
  OCPI_HUB_CONSOLE_SESSION_HOURS  hours a console sign-in lasts (default 8)
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

    parties_cli.add_parser(commands, common)

    box = commands.add_parser(
        "outbox", parents=[common], help="see and replay pending and dead deliveries"
    )
    box_commands = box.add_subparsers(dest="outbox_command", required=True, metavar="ACTION")
    box_list = box_commands.add_parser(
        "list", parents=[common], help="list deliveries, newest first"
    )
    box_list.add_argument("--status", choices=outbox.STATUSES, type=str.upper)
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
    # Pricing needs no hub settings either: a Tariff and a CDR or Session, from files.
    pricing_cli.add_parser(commands)
    agreements_cli.add_parser(commands, common)
    fraud_cli.add_parser(commands, common)
    hubject_cli.add_parser(commands, common)
    translations_cli.add_parser(commands, common)
    operators_cli.add_parser(commands, common)
    routes_cli.add_parser(commands, common)
    findings_cli.add_parser(commands, common)
    settlement_cli.add_parser(commands, common)
    disputes_cli.add_parser(commands, common)
    trace_cli.add_parser(commands, common)
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
    if args.command == "price":
        return pricing_cli.run(args)
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


async def cmd_outbox_list(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings) as pool:
        try:
            found = await outbox.listed(pool, status=args.status, limit=args.limit)
        except Refused as exc:
            return refused(exc)
    rows, totals = found["deliveries"], found["totals"]
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
        try:
            done = await outbox.replay(pool, args.ids)
        except Refused as exc:
            return refused(exc, {"ids": "--id"})
    print(f"{done['replayed']} dead deliveries queued again")
    return 0


COMMANDS: dict[str, Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]] = {
    "serve": cmd_serve,
    "migrate": cmd_migrate,
    **parties_cli.COMMANDS,
    "outbox list": cmd_outbox_list,
    "outbox replay": cmd_outbox_replay,
    **agreements_cli.COMMANDS,
    **fraud_cli.COMMANDS,
    **hubject_cli.COMMANDS,
    **translations_cli.COMMANDS,
    **operators_cli.COMMANDS,
    **routes_cli.COMMANDS,
    **findings_cli.COMMANDS,
    **settlement_cli.COMMANDS,
    **disputes_cli.COMMANDS,
    **trace_cli.COMMANDS,
}
