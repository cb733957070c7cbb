"""`ocpi-hub reconcile` and `ocpi-hub cdrs findings`: what the CDR checks and reconciliation
found (core.findings; run by storage.checker).

`reconcile` does now, in this process, what the serving hub does every
OCPI_HUB_RECONCILE_INTERVAL seconds: it checks every CDR and completed Session not checked
yet, judges again every open finding (closing those whose cause went away) and each Session
awaiting its CDR, then prints every open finding with its evidence. It reads the settings the
checks read (OCPI_HUB_MAX_SESSION_HOURS, OCPI_HUB_CDR_GRACE_HOURS) from its own environment.
`cdrs findings` only lists what is stored.

In `--json`, each finding is an object with at least `code`, `severity`, `cdr` or `session`
(`CC*PID*ID`) and `evidence`; and `id`, `parties`, `found_at`, `resolved_at`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Coroutine, Sequence
from datetime import UTC, date, datetime
from typing import Any

import orjson

from ocpi_hub.core.agreements import parse_party
from ocpi_hub.core.routing import PartyKey
from ocpi_hub.core.types import parse_datetime
from ocpi_hub.settings import Settings
from ocpi_hub.storage.checker import Checker
from ocpi_hub.storage.db import open_database
from ocpi_hub.storage.repositories import findings
from ocpi_hub.terminal import fail, table

__all__ = ["COMMANDS", "add_parser", "as_json"]


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    """The `reconcile` command, and `cdrs findings`."""
    reconcile = commands.add_parser(
        "reconcile",
        parents=[common],
        help="check pending CDRs and Sessions, reconcile now, print every open finding",
    )
    reconcile.add_argument("--party", metavar="CC*PID", help="only findings involving it")
    reconcile.add_argument("--json", action="store_true")
    cdrs = commands.add_parser("cdrs", parents=[common], help="what the CDR checks found")
    actions = cdrs.add_subparsers(dest="cdrs_command", required=True, metavar="ACTION")
    listing = actions.add_parser(
        "findings", parents=[common], help="findings of the CDR checks and reconciliation"
    )
    listing.add_argument("--party", metavar="CC*PID", help="only findings involving it")
    listing.add_argument(
        "--since", metavar="DATE", help="found at or after DATE (YYYY-MM-DD or a DateTime, UTC)"
    )
    listing.add_argument("--all", action="store_true", help="resolved findings too")
    listing.add_argument("--json", action="store_true")


def _party(value: str | None) -> PartyKey | None:
    return parse_party(value) if value is not None else None


def _since(value: str | None) -> datetime | None:
    """A day YYYY-MM-DD (from midnight UTC) or an OCPI DateTime; ValueError saying what it
    takes."""
    if value is None:
        return None
    try:
        if len(value) == len("YYYY-MM-DD"):
            day = date.fromisoformat(value)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        return parse_datetime(value)
    except ValueError:
        raise ValueError(
            f"--since {value!r}: it takes a date YYYY-MM-DD or a DateTime YYYY-MM-DDThh:mm:ssZ"
        ) from None


def as_json(row: findings.Row) -> dict[str, Any]:
    """A finding as `--json` prints it."""
    return {
        "id": row.id,
        "code": row.code,
        "severity": row.severity,
        row.subject.kind: str(row.subject),
        "parties": row.parties,
        "evidence": row.evidence,
        "found_at": row.found_at.isoformat(),
        "resolved_at": row.resolved_at.isoformat() if row.resolved_at else None,
    }


def _print(rows: Sequence[findings.Row], as_json_list: bool, *, resolved: bool = False) -> None:
    if as_json_list:
        print(orjson.dumps([as_json(row) for row in rows]).decode())
        return
    lines = [
        {
            "id": row.id,
            "code": row.code,
            "severity": row.severity,
            "subject": f"{row.subject.kind} {row.subject}",
            "parties": ",".join(row.parties),
            "found_at": row.found_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "resolved_at": row.resolved_at.strftime("%Y-%m-%dT%H:%M:%SZ")
            if row.resolved_at
            else None,
            "evidence": orjson.dumps(row.evidence).decode(),
        }
        for row in rows
    ]
    columns = ["id", "code", "severity", "subject", "parties", "found_at"]
    table(lines, [*columns, "resolved_at", "evidence"] if resolved else [*columns, "evidence"])


async def cmd_reconcile(settings: Settings, args: argparse.Namespace) -> int:
    try:
        party = _party(args.party)
    except ValueError as exc:
        return fail(f"--party: {exc}")
    async with open_database(settings) as pool:
        # Judged as the serving hub judges (its limits, recorded when it started), not by this
        # shell's environment: a finding must not close because a default differs here.
        served = await findings.served_checks(pool, settings)
        judged = await Checker(pool, served).reconcile()
        rows = await findings.listing(pool, party=party)
    _print(rows, args.json)
    if not args.json:
        print(f"reconciled: {judged} judged again; {len(rows)} open findings")
    return 0


async def cmd_findings(settings: Settings, args: argparse.Namespace) -> int:
    try:
        party = _party(args.party)
    except ValueError as exc:
        return fail(f"--party: {exc}")
    try:
        since = _since(args.since)
    except ValueError as exc:
        return fail(str(exc))
    async with open_database(settings) as pool:
        rows = await findings.listing(pool, party=party, since=since, resolved=args.all)
    _print(rows, args.json, resolved=args.all)
    return 0


COMMANDS: dict[str, Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]] = {
    "reconcile": cmd_reconcile,
    "cdrs findings": cmd_findings,
}
