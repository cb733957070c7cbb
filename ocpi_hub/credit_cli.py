"""`ocpi-hub settlement limit|exposure|alerts`: each eMSP's credit limit and exposure (issue 9
§7), and the moves of its credit level (its alerts).

`limit` sets (or with `--remove` lifts) an eMSP's credit limit and assesses it at once: a limit
raised above its exposure lifts a suspension before the command returns; a limit it is over
suspends it at the next assessment of `serve` (the command does not know the action `serve`
runs with). `exposure` prints each eMSP's limit, what it owes, the estimate of its sessions in
progress, its exposure, the ratio, its level and whether it is suspended, computed now from
the stored rows (storage.credit_watch.exposure_of); it changes nothing. Amounts are printed in
at least their currency's decimals, in `--json` as strings. `alerts` lists every move of an
eMSP's credit level as stored (`credit_events`, oldest first): the warnings and the times it
went over its limit, was suspended, came back under it and was lifted, each with its figures.
Each action is ocpi_hub.operations.credit, as the admin API's.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Coroutine
from typing import Any

import orjson

from ocpi_hub.operations import Refused, credit
from ocpi_hub.settings import Settings
from ocpi_hub.storage.db import open_database
from ocpi_hub.terminal import fail, table

__all__ = ["COMMANDS", "add_actions"]

_COLUMNS = ["party", "currency", "limit", "owed", "in_progress", "exposure", "ratio", "state",
            "suspended", "sessions", "unpriced"]  # fmt: skip


def add_actions(actions: Any, common: argparse.ArgumentParser) -> None:
    """`settlement limit` and `settlement exposure`."""
    limit = actions.add_parser(
        "limit", parents=[common], help="set or remove an eMSP's credit limit"
    )
    limit.add_argument("--party", required=True, metavar="CC*PID")
    limit.add_argument("--amount", metavar="A", help="0 or more, in whole minor units")
    limit.add_argument("--currency", metavar="C", help="only exposure in it counts")
    limit.add_argument("--remove", action="store_true", help="lift the eMSP's limit")
    limit.add_argument("--json", action="store_true")
    exposure = actions.add_parser(
        "exposure", parents=[common], help="each eMSP's credit exposure against its limit, now"
    )
    exposure.add_argument("--party", metavar="CC*PID")
    exposure.add_argument("--json", action="store_true")
    alerts = actions.add_parser(
        "alerts", parents=[common], help="every move of the eMSPs' credit levels, oldest first"
    )
    alerts.add_argument("--party", metavar="CC*PID")
    alerts.add_argument("--json", action="store_true")


async def cmd_limit(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings) as pool:
        try:
            done = await credit.limit(
                pool,
                settings,
                party=args.party,
                amount=args.amount,
                currency=args.currency,
                remove=args.remove,
            )
        except Refused as exc:
            return fail(exc.message)
    why = done.pop("why")
    if args.json:
        print(orjson.dumps(done).decode())
        return 0
    chosen = done["limit"]
    what = "removed" if chosen is None else f"{chosen['amount']} {chosen['currency']}"
    print(f"credit limit of {done['party']}: {what}; {why}")
    return 0


async def cmd_exposure(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings) as pool:
        try:
            rows = await credit.exposure(pool, settings, party=args.party)
        except Refused as exc:
            return fail(exc.message)
    if args.json:
        print(orjson.dumps(rows).decode())
        return 0
    print(
        "credit exposure (owed: unpaid and disputed; in progress: sessions ACTIVE or PENDING,"
        " priced now; only the limit's currency counts against it)"
    )
    table(
        [{**r, "sessions": len(r["sessions"]), "state": r["state"] or "not counted"} for r in rows],
        _COLUMNS,
    )
    unpriced = [s for r in rows for s in r["sessions"] if not s["by"].startswith("tariff ")]
    for s in unpriced:
        print(f"not priced: {s['session']} counted as {s['estimate']} ({s['by']}): {s['note']}")
    return 0


async def cmd_alerts(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings) as pool:
        try:
            rows = await credit.alerts(pool, party=args.party)
        except Refused as exc:
            return fail(exc.message)
    if args.json:
        print(orjson.dumps(rows).decode())
        return 0
    table(
        [{**r, "events": ",".join(r["events"])} for r in rows],
        ["id", "at", "party", "events", "level", "suspended", "exposure", "limit", "currency"],
    )
    return 0


COMMANDS: dict[str, Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]] = {
    "settlement limit": cmd_limit,
    "settlement exposure": cmd_exposure,
    "settlement alerts": cmd_alerts,
}
