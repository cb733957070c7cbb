"""`ocpi-hub reconcile` and `ocpi-hub cdrs findings`: what the CDR checks and reconciliation
found (core.findings; run by storage.checker).

Both call ocpi_hub.operations.findings, as the admin API does. `reconcile` does now, in this
process, what the serving hub does every OCPI_HUB_RECONCILE_INTERVAL seconds: it checks every
CDR and completed Session not checked yet, judges again every open finding (closing those
whose cause went away) and each Session awaiting its CDR, then prints every open finding with
its evidence. It reads the settings the
checks read (OCPI_HUB_MAX_SESSION_HOURS, OCPI_HUB_CDR_GRACE_HOURS) from its own environment.
`cdrs findings` only lists what is stored.

In `--json`, each finding is an object with at least `code`, `severity`, `cdr` or `session`
(`CC*PID*ID`) and `evidence`; and `id`, `parties`, `found_at`, `resolved_at`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Coroutine, Sequence
from datetime import datetime
from typing import Any

import orjson

from ocpi_hub.operations import Refused, findings
from ocpi_hub.settings import Settings
from ocpi_hub.storage.db import open_database
from ocpi_hub.terminal import fail, table

__all__ = ["COMMANDS", "add_parser"]


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


def _print(rows: Sequence[dict[str, Any]], as_json_list: bool, *, resolved: bool = False) -> None:
    if as_json_list:
        print(orjson.dumps(rows).decode())
        return
    lines = [
        {
            "id": row["id"],
            "code": row["code"],
            "severity": row["severity"],
            "subject": next(f"{k} {row[k]}" for k in ("cdr", "session") if k in row),
            "parties": ",".join(row["parties"]),
            "found_at": _stamp(row["found_at"]),
            "resolved_at": _stamp(row["resolved_at"]),
            "evidence": orjson.dumps(row["evidence"]).decode(),
        }
        for row in rows
    ]
    columns = ["id", "code", "severity", "subject", "parties", "found_at"]
    table(lines, [*columns, "resolved_at", "evidence"] if resolved else [*columns, "evidence"])


def _stamp(value: str | None) -> str | None:
    """An RFC 3339 time as the table shows it, to the second."""
    return None if value is None else datetime.fromisoformat(value).strftime("%Y-%m-%dT%H:%M:%SZ")


async def cmd_reconcile(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings) as pool:
        try:
            done = await findings.reconcile(pool, settings, party=args.party)
        except Refused as exc:
            return fail(exc.message)
    rows = done["findings"]
    _print(rows, args.json)
    if not args.json:
        print(f"reconciled: {done['judged']} judged again; {len(rows)} open findings")
    return 0


async def cmd_findings(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings) as pool:
        try:
            rows = await findings.listed(
                pool, party=args.party, since=args.since, everything=args.all
            )
        except Refused as exc:
            return fail(exc.message)
    _print(rows, args.json, resolved=args.all)
    return 0


COMMANDS: dict[str, Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]] = {
    "reconcile": cmd_reconcile,
    "cdrs findings": cmd_findings,
}
