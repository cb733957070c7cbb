"""`ocpi-hub conformance` (also `python -m conformance`): check any OCPI 2.2.1 endpoint.

Exit status: 0 when no check FAILs, 1 when one does, 2 when the suite itself cannot run (bad
arguments, the callback port is taken).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from conformance import checks, report
from conformance.context import COUNTERPART, ExtraParty, Options
from conformance.model import Role
from conformance.runner import TerminalProgress, run
from conformance.spec import V211, VERSIONS

DESCRIPTION = """\
Check an OCPI 2.2.1 endpoint (or, with --version 2.1.1, a 2.1.1 one) against the spec, as a
black box over HTTP. The suite registers with the endpoint (token A → its own token B → token
C), serving its own versions, credentials and receiver endpoints on a local port so the
endpoint can call back, then runs every check for the role: transport and envelope,
authentication, versions, the credentials life cycle, pagination, every object it can read,
and each module's interface. Results are PASS, FAIL, WARN or NOT_APPLICABLE, each tied to a
clause of the spec, with the requests and answers as evidence.
"""

EPILOG = """\
writes:
  The suite creates test objects only (ids start with CONFTEST-), rotates its token with a
  credentials PUT and unregisters with DELETE at the very end. --read-only does none of this:
  it sends GETs only (no invalid-JSON PUT, no authorization POST either), apart from the
  registration POST a --token asks for; with --token-c it sends nothing but GETs. Use it on
  production endpoints. With --token-c the rotation re-registers the suite's own callback URL
  and the DELETE ends that registration: give --read-only to keep it.

hub parties:
  --role HUB checks the hub's routing between parties the suite plays itself: give each with
  --party ROLE:CC:PID:TOKEN_A (ROLE is CPO or EMSP; the hub's operator issues each token A
  for that party). Each is registered as a platform of its own, served next to the suite's
  main identity, and unregistered at the end. At least one CPO and two eMSPs in all (the
  main identity counts) run every hub.* check; without --party they are not applicable.

versions:
  --version 2.1.1 checks a 2.1.1 endpoint with the 2.1.1 tables: raw tokens, no routing
  headers or X-Request-ID, 2.1.1 versions, details (no roles: --role says which interface the
  endpoint offers, CPO or EMSP) and credentials; the checks that only make sense in 2.2.1
  (request ids, routing headers, Base64 tokens, date filter bounds, receivers the suite pushes
  2.2.1 objects to, HUB) are NOT_APPLICABLE. 2.1.1 has no HUB role.

selection:
  --role picks the checks for the role of the endpoint under test (a Hub's versions,
  credentials, transport, pagination and object checks are the same as anyone's). --check and
  --skip narrow by id with shell globs, e.g. --check 'pagination.*' --skip '*.receiver'.
  --list-checks prints what would run.

exit status: 0 when no check FAILs, 1 when one does, 2 when the suite cannot run.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The command's arguments, on `parser` (ocpi-hub's subcommand or a standalone one)."""
    parser.add_argument("--versions-url", help="the endpoint's versions URL")
    tokens = parser.add_mutually_exclusive_group()
    tokens.add_argument(
        "--token",
        dest="token_a",
        help="a token A to register with (write --token=VALUE when it starts with '-')",
    )
    tokens.add_argument("--token-c", help="an existing token C: skip registration")
    parser.add_argument(
        "--role",
        required=True,
        type=str.upper,
        choices=[r.value for r in Role],
        help="the role of the endpoint under test",
    )
    parser.add_argument(
        "--version",
        dest="ocpi_version",
        default="2.2.1",
        choices=list(VERSIONS),
        help="the OCPI version of the endpoint under test (default 2.2.1)",
    )
    parser.add_argument(
        "--country-code", default="ZZ", help="the country code the suite presents (default ZZ)"
    )
    parser.add_argument(
        "--party-id", default="CNF", help="the party id the suite presents (default CNF)"
    )
    parser.add_argument(
        "--as-role",
        type=str.upper,
        choices=["CPO", "EMSP", "NSP", "OTHER", "SCSP"],
        help="the role the suite presents (default: EMSP for a CPO or a HUB, CPO for an EMSP)",
    )
    parser.add_argument(
        "--callback-host",
        default="127.0.0.1",
        help="address the suite's own OCPI party listens on (default 127.0.0.1)",
    )
    parser.add_argument(
        "--callback-port", type=int, default=0, help="its port (default: any free one)"
    )
    parser.add_argument(
        "--callback-url",
        help="the base URL the endpoint reaches that party at, when not "
        "http://HOST:PORT (a proxy, a container, another host)",
    )
    parser.add_argument(
        "--party",
        dest="parties",
        action="append",
        default=[],
        type=extra_party,
        metavar="ROLE:CC:PID:TOKEN_A",
        help="one more party the suite plays for --role HUB, registered with its own token A "
        "(repeatable; see 'hub parties' below)",
    )
    parser.add_argument(
        "--read-only",
        action="store_true",
        help="no writes: no test objects, no rotation, no unregistering",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print every result with its evidence as JSON instead of the table",
    )
    parser.add_argument("--junit", metavar="FILE", type=Path, help="write a JUnit XML report")
    parser.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        metavar="S",
        help="seconds to wait for each answer (default 30)",
    )
    parser.add_argument(
        "--max-pages",
        type=int,
        default=200,
        metavar="N",
        help="pages read per list walk at most (default 200)",
    )
    parser.add_argument(
        "--check",
        dest="only",
        action="append",
        default=[],
        metavar="GLOB",
        help="run only the checks whose id matches (repeatable)",
    )
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        metavar="GLOB",
        help="leave out the checks whose id matches (repeatable)",
    )
    parser.add_argument(
        "--list-checks", action="store_true", help="list the checks selected for the role and exit"
    )


def extra_party(value: str) -> ExtraParty:
    """`ROLE:CC:PID:TOKEN_A` as an ExtraParty (argparse type: a usage error when malformed)."""
    parts = value.split(":", 3)
    if len(parts) != 4:
        raise argparse.ArgumentTypeError(f"{value!r} is not ROLE:CC:PID:TOKEN_A")
    role, country_code, party_id, token_a = parts
    if role.upper() not in ("CPO", "EMSP"):
        raise argparse.ArgumentTypeError(f"party role {role!r}: CPO or EMSP")
    if len(country_code) != 2 or not 1 <= len(party_id) <= 3 or not token_a:
        raise argparse.ArgumentTypeError(
            f"{value!r}: a 2-character country code, a party id of up to 3, and a token A"
        )
    return ExtraParty(role.upper(), country_code.upper(), party_id.upper(), token_a)


def build_parser(prog: str = "ocpi-hub conformance") -> argparse.ArgumentParser:
    """The standalone parser (`python -m conformance`)."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    return parser


def options_from(args: argparse.Namespace) -> Options:
    """The run's Options from the parsed arguments."""
    role = Role(args.role)
    return Options(
        versions_url=args.versions_url,
        role=role,
        token_a=args.token_a,
        token_c=args.token_c,
        country_code=args.country_code.upper(),
        party_id=args.party_id.upper(),
        as_role=args.as_role or COUNTERPART[role],
        callback_host=args.callback_host,
        callback_port=args.callback_port,
        callback_url=args.callback_url,
        read_only=args.read_only,
        timeout=args.timeout,
        max_pages=args.max_pages,
        only=tuple(args.only),
        skip=tuple(args.skip),
        parties=tuple(args.parties),
        version=args.ocpi_version,
    )


def _usage_error(message: str) -> int:
    print(f"ocpi-hub conformance: {message}", file=sys.stderr)
    return 2


def run_command(args: argparse.Namespace) -> int:
    """Run the suite as the parsed arguments say; the exit status."""
    if args.list_checks:
        for check in checks.select(Role(args.role), args.only, args.skip):
            if args.ocpi_version not in check.versions:
                continue
            writes = " (writes)" if check.writes else ""
            print(f"{check.id:<36} {check.clause}{writes}\n{'':<36} {check.title}")
        return 0
    if args.ocpi_version == V211 and args.role == Role.HUB.value:
        return _usage_error("OCPI 2.1.1 has no HUB role: --role CPO or EMSP")
    if not args.versions_url:
        return _usage_error("--versions-url is required")
    if not (args.token_a or args.token_c):
        return _usage_error("give --token TOKEN_A (to register) or --token-c TOKEN_C")
    if len(args.country_code) != 2 or not 1 <= len(args.party_id) <= 3:
        return _usage_error("--country-code takes 2 characters and --party-id up to 3")
    options = options_from(args)
    identities = [(options.country_code, options.party_id)] + [p.key for p in options.parties]
    if len(set(identities)) != len(identities):
        return _usage_error("each --party needs an identity of its own, not the main one's")
    try:
        outcome = asyncio.run(run(options, TerminalProgress()))
    except OSError as exc:  # the callback port cannot be bound
        return _usage_error(f"cannot serve the suite's party: {exc}")
    except ValueError as exc:
        return _usage_error(str(exc))
    if args.json:
        print(json.dumps(report.to_json(outcome), indent=2))
    else:
        print(report.to_table(outcome))
    if args.junit is not None:
        args.junit.write_text(report.to_junit(outcome), encoding="utf-8")
    return 1 if outcome.failed else 0


def main(argv: list[str] | None = None, prog: str = "ocpi-hub conformance") -> int:
    """Parse `argv` and run; the exit status."""
    return run_command(build_parser(prog).parse_args(argv))
