"""`ocpi-hub simulate cpo|emsp`: run a simulated party against a hub, from the command line.

The party serves on `--host/--port`, advertises `--public-url`, registers (with a token A from
`--versions-url/--token`, or from the JSON `ocpi-hub parties invite --json` prints, given as
`--invitation FILE`) or waits to be registered (`--issue-token`), then generates traffic for
`--duration` seconds (0: until SIGTERM or Ctrl-C). At exit it prints its counters as one JSON
line on stdout; its log goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from ocpi_hub import logging as hub_logging
from ocpi_hub.core.parties import Role
from ocpi_hub.core.types import parse_datetime
from ocpi_hub.simulate.config import (
    HOST_VARIABLE,
    PUBLIC_URL_VARIABLE,
    SimulatorConfig,
    env_default,
)
from ocpi_hub.simulate.cpo import CpoSimulator
from ocpi_hub.simulate.emsp import EmspSimulator
from ocpi_hub.simulate.faults import Fault
from ocpi_hub.simulate.handshake import RegistrationFailed
from ocpi_hub.simulate.party import Party

log = hub_logging.get_logger("ocpi_hub.simulate")

FAULTS_HELP = """\
fault modes (--fault MODE[=ARG], repeatable; also POST /admin/faults at run time):
  429[=s]          answer HTTP 429 with Retry-After: s (default 2)
  5xx[=p]          answer HTTP 500/502/503 with probability p (default 0.5)
  slow[=s]         answer after s seconds (default 3)
  truncated        cut every JSON body in half
  one-item-pages   list GETs return one item per page
  refuse-auth      answer 401 to every request
  offline          reset every connection; offline=s: stop listening for s seconds
Faults apply to OCPI requests once the party is registered, never to /admin/.

admin API (no OCPI token: bind to loopback, for local testing only):
  GET  /admin/stats    counters: sent/received per module and method, errors, faults
  GET  /admin/faults   the faults in force
  POST /admin/faults   {"faults": [...]} replace, {"add": [...]}, {"remove": ["429"]},
                       {"clear": true}
"""

DEFAULT_IDENTITY = {Role.CPO: ("NL", "CPO", 9101), Role.EMSP: ("DE", "MSP", 9102)}


def _fault(text: str) -> Fault:
    try:
        return Fault.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _instant(text: str) -> datetime:
    try:
        return parse_datetime(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _common(role: Role) -> argparse.ArgumentParser:
    country, party, port = DEFAULT_IDENTITY[role]
    common = argparse.ArgumentParser(add_help=False)
    who = common.add_argument_group("identity and address")
    who.add_argument("--country-code", default=country, help=f"(default {country})")
    who.add_argument("--party-id", default=party, help=f"(default {party})")
    who.add_argument("--name", help="business name in our credentials")
    who.add_argument(
        "--host",
        default=env_default(HOST_VARIABLE, "127.0.0.1"),
        help=f"listen address ({HOST_VARIABLE}, default 127.0.0.1)",
    )
    who.add_argument("--port", type=int, default=port, help=f"listen port (default {port})")
    who.add_argument(
        "--public-url",
        default=env_default(PUBLIC_URL_VARIABLE, None),
        help=f"base URL we advertise ({PUBLIC_URL_VARIABLE}, default http://HOST:PORT)",
    )
    joining = common.add_argument_group("registration (one of)")
    joining.add_argument("--versions-url", help="the hub's versions URL (with --token)")
    joining.add_argument(
        "--token", help="the token A the hub issued (write --token=VALUE if it starts with -)"
    )
    joining.add_argument(
        "--invitation", type=Path, help="a file with what `ocpi-hub parties invite --json` printed"
    )
    joining.add_argument(
        "--issue-token",
        action="store_true",
        help="print a token A and wait for the hub to register (ocpi-hub connect)",
    )
    run = common.add_argument_group("run")
    run.add_argument("--seed", type=int, default=1, help="random seed of generated objects")
    run.add_argument(
        "--duration", type=float, default=0.0, help="seconds of traffic; 0: until SIGTERM"
    )
    run.add_argument("--fault", type=_fault, action="append", default=[], metavar="MODE[=ARG]")
    run.add_argument("--timeout", type=float, default=10.0, help="seconds per request to the hub")
    run.add_argument("--stats-interval", type=float, default=0.0, help="log counters every N s")
    run.add_argument(
        "--clock-start",
        type=_instant,
        metavar="DATETIME",
        help="simulated time: timestamps from this UTC instant on (default: the wall clock)",
    )
    run.add_argument(
        "--clock-scale",
        type=float,
        default=1.0,
        metavar="S",
        help="simulated seconds per real second (default 1; 3600: an hour a second)",
    )
    run.add_argument(
        "--log-format",
        choices=["console", "json"],
        default=env_default("OCPI_HUB_LOG_FORMAT", "console"),
        help="log lines on stderr (OCPI_HUB_LOG_FORMAT, default console)",
    )
    run.add_argument(
        "--log-level",
        default=env_default("OCPI_HUB_LOG_LEVEL", "info"),
        help="debug, info, warning, error (OCPI_HUB_LOG_LEVEL, default info)",
    )
    return common


def add_parser(commands: Any) -> None:
    """Add `simulate cpo|emsp` to the `ocpi-hub` subcommands."""
    simulate = commands.add_parser(
        "simulate",
        help="run a simulated CPO or eMSP that registers with a hub and generates traffic",
        description=__doc__,
        epilog=FAULTS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    roles = simulate.add_subparsers(dest="simulate_role", required=True, metavar="ROLE")
    cpo = roles.add_parser(
        "cpo",
        parents=[_common(Role.CPO)],
        help="a charge point operator",
        epilog=FAULTS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    traffic = cpo.add_argument_group("traffic")
    traffic.add_argument("--locations", type=int, default=3, help="Locations pushed at start")
    traffic.add_argument("--max-evses", type=int, default=4, help="EVSEs per Location, at most")
    traffic.add_argument("--status-rate", type=float, default=0.2, help="EVSE status changes per s")
    traffic.add_argument("--rfid-rate", type=float, default=0.05, help="RFID card badges per s")
    traffic.add_argument(
        "--patch-interval", type=float, default=10.0, help="s between Session PATCHes"
    )
    traffic.add_argument(
        "--session-duration", type=float, default=120.0, help="s a session lasts unless stopped"
    )
    traffic.add_argument(
        "--command-delay", type=float, default=0.5, help="s before a CommandResult"
    )
    emsp = roles.add_parser(
        "emsp",
        parents=[_common(Role.EMSP)],
        help="an e-mobility service provider",
        epilog=FAULTS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    traffic = emsp.add_argument_group("traffic")
    traffic.add_argument("--tokens", type=int, default=10, help="Tokens pushed at start")
    traffic.add_argument("--start-rate", type=float, default=0.1, help="remote starts per s")
    traffic.add_argument(
        "--stop-after", type=float, default=60.0, help="mean s before a remote stop"
    )


def config_from(args: argparse.Namespace) -> SimulatorConfig:
    """The SimulatorConfig the flags describe; ValueError when they contradict each other."""
    role = Role.CPO if args.simulate_role == "cpo" else Role.EMSP
    own = {
        name: getattr(args, name)
        for name in (
            "locations",
            "max_evses",
            "status_rate",
            "rfid_rate",
            "patch_interval",
            "session_duration",
            "command_delay",
            "tokens",
            "start_rate",
            "stop_after",
        )
        if hasattr(args, name)
    }
    return SimulatorConfig(
        role=role,
        country_code=args.country_code,
        party_id=args.party_id,
        name=args.name,
        host=args.host,
        port=args.port,
        public_url=args.public_url,
        seed=args.seed,
        duration=args.duration,
        faults=list(args.fault),
        timeout=args.timeout,
        stats_interval=args.stats_interval,
        clock_start=args.clock_start,
        clock_scale=args.clock_scale,
        **own,
    )


def invitation_of(args: argparse.Namespace) -> tuple[str, str] | None:
    """(versions URL, token A) to register with, or None for --issue-token."""
    given = [bool(args.versions_url or args.token), args.invitation is not None, args.issue_token]
    if sum(given) != 1:
        raise ValueError("give one of --versions-url with --token, --invitation, --issue-token")
    if args.issue_token:
        return None
    if args.invitation is not None:
        try:
            found = json.loads(args.invitation.read_text())
            return str(found["versions_url"]), str(found["token"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"--invitation {args.invitation}: {exc!r}") from exc
    if not (args.versions_url and args.token):
        raise ValueError("--versions-url and --token go together")
    return args.versions_url, args.token


def run(args: argparse.Namespace) -> int:
    """`ocpi-hub simulate ...`: the exit code (0 done, 1 not registered, 2 bad flags)."""
    try:
        config = config_from(args)
        invitation = invitation_of(args)
    except ValueError as exc:
        print(f"ocpi-hub simulate: {exc}", file=sys.stderr)
        return 2
    hub_logging.configure(args.log_format, args.log_level)
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(simulate(config, invitation))
    return 130


async def simulate(config: SimulatorConfig, invitation: tuple[str, str] | None) -> int:
    """Start, register, make traffic until the duration ends or a signal comes, stop."""
    party: Party = (CpoSimulator if config.role == Role.CPO else EmspSimulator)(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await party.start()
    code = 0
    try:
        if invitation is None:
            token = party.registration.issue_token_a()
            print(
                orjson.dumps({"token": token, "versions_url": party.versions_url}).decode(),
                flush=True,
            )
            log.info(
                "waiting_for_registration",
                hint=f"ocpi-hub connect --versions-url {party.versions_url} --token={token}",
            )
            await _first(party.registration.registered.wait(), stop.wait())
        else:
            await _first(party.registration.register(*invitation), stop.wait())
        if party.registration.registered.is_set():
            party.start_traffic()
            reporter = asyncio.create_task(_report_every(party, config.stats_interval))
            await _first(
                stop.wait(), asyncio.sleep(config.duration) if config.duration else stop.wait()
            )
            reporter.cancel()
            await party.stop_traffic()
    except RegistrationFailed as exc:
        log.error("registration_failed", reason=str(exc))
        code = 1
    finally:
        print(orjson.dumps({"event": "simulator_stats", **party.report()}).decode(), flush=True)
        await party.stop()
    return code


async def _first(*awaitables: Any) -> None:
    """Wait until the first of `awaitables` completes (its exception raised); cancel the rest."""
    tasks = [asyncio.ensure_future(a) for a in awaitables]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            task.result()
    finally:
        for task in tasks:
            task.cancel()


async def _report_every(party: Party, interval: float) -> None:
    while interval > 0:
        await asyncio.sleep(interval)
        log.info("stats", **party.stats.snapshot(), state=party.state())
