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
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Coroutine
from decimal import Decimal
from typing import Any

import orjson

from ocpi_hub.core.agreements import BadAgreement, parse_party, party_text
from ocpi_hub.core.credit import Estimate, Exposure, Limit
from ocpi_hub.core.ledger import BadAmount, parse_amount, parse_currency, shown
from ocpi_hub.core.parties import Role
from ocpi_hub.core.routing import PartyKey
from ocpi_hub.core.types import format_datetime
from ocpi_hub.settings import Settings
from ocpi_hub.storage import Executor
from ocpi_hub.storage.credit_watch import exposure_of, reassess
from ocpi_hub.storage.db import open_database
from ocpi_hub.storage.repositories import credit, ledger, platforms
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


async def _is_emsp(conn: Executor, party: PartyKey) -> bool:
    """A party the hub knows as an eMSP, or whose receivable the ledger holds."""
    for platform in await platforms.platforms_of_party(conn, *party):
        if any(p.key == party and p.role == Role.EMSP for p in platform.parties):
            return True
    return bool(await ledger.known_party(conn, party)) and bool(await credit.owed(conn, party))


async def cmd_limit(settings: Settings, args: argparse.Namespace) -> int:
    try:
        party = parse_party(args.party)
        if args.remove:
            if args.amount is not None or args.currency is not None:
                return fail("--remove takes no --amount or --currency")
            limit = None
        else:
            if args.amount is None or args.currency is None:
                return fail("write --amount A --currency C, or --remove")
            currency = parse_currency(args.currency)
            amount = parse_amount(args.amount, currency, "--amount")
            if amount < 0:
                return fail(f"--amount {args.amount}: a credit limit is 0 or more")
            limit = Limit(amount, currency)
    except (BadAgreement, BadAmount) as exc:
        return fail(str(exc))
    async with open_database(settings) as pool:
        if party == (settings.country_code, settings.party_id) or not await _is_emsp(pool, party):
            return fail(f"--party {party_text(party)}: not an eMSP of this hub")
        if limit is None:
            if not await credit.remove_limit(pool, party):
                return fail(f"{party_text(party)} has no credit limit: nothing removed")
        else:
            await credit.set_limit(pool, party, limit)
        done = await reassess(pool, party, settings)
        standing = await credit.standing(pool, party)
    rows = [_row(e, standing.state.suspended) for e in done.exposures]
    if args.json:
        print(orjson.dumps({"party": party_text(party), "limit": _limit_json(limit),
                            "exposure": rows}).decode())  # fmt: skip
        return 0
    what = "removed" if limit is None else f"{shown(limit.amount, limit.currency)} {limit.currency}"
    print(f"credit limit of {party_text(party)}: {what}; {done.why}")
    return 0


def _limit_json(limit: Limit | None) -> dict[str, str] | None:
    if limit is None:
        return None
    return {"amount": shown(limit.amount, limit.currency), "currency": limit.currency}


def _estimate_json(found: Estimate) -> dict[str, Any]:
    return {
        "session": found.session,
        "estimate": shown(found.amount, found.currency),
        "by": found.by,
        "note": found.note or None,
    }


def _row(found: Exposure, suspended: bool) -> dict[str, Any]:
    c = found.currency
    ratio = found.ratio
    return {
        "party": party_text(found.party),
        "currency": c,
        "counted": found.counted,
        "limit": None if found.limit is None else shown(found.limit.amount, c),
        "owed": shown(found.owed, c),
        "in_progress": shown(found.in_progress, c),
        "exposure": shown(found.exposure, c),
        "ratio": None if ratio is None else format(ratio.quantize(Decimal("0.0001")), "f"),
        "state": None if found.level is None else found.level.value,
        "suspended": suspended,
        "sessions": [_estimate_json(s) for s in found.sessions],
        "unpriced": sum(1 for s in found.sessions if not s.priced),
    }


async def cmd_exposure(settings: Settings, args: argparse.Namespace) -> int:
    try:
        only = parse_party(args.party) if args.party else None
    except BadAgreement as exc:
        return fail(str(exc))
    async with (
        open_database(settings) as pool,
        pool.acquire() as conn,
        conn.transaction(isolation="repeatable_read"),  # one snapshot: figures that agree
    ):
        if only is not None and not await _is_emsp(conn, only):
            return fail(f"--party {party_text(only)}: not an eMSP of this hub")
        parties = [only] if only else await credit.assessed_parties(conn, owing=True)
        rows = []
        for party in parties:
            standing = await credit.standing(conn, party)
            found = await exposure_of(conn, party, settings.credit_warn)
            rows += [_row(e, standing.state.suspended) for e in found]
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


def _alert_json(event: dict[str, Any]) -> dict[str, Any]:
    currency = event["currency"]

    def figure(amount: Decimal | None) -> str | None:
        return None if amount is None else shown(amount, currency)

    return {
        "id": event["id"],
        "at": format_datetime(event["at"]),
        "party": f"{event['country_code']}*{event['party_id']}",
        "events": list(event["events"]),
        "level": event["level"],
        "suspended": event["suspended"],
        "exposure": figure(event["exposure"]),
        "limit": figure(event["limit_amount"]),
        "currency": currency,
        "why": event["why"],
    }


async def cmd_alerts(settings: Settings, args: argparse.Namespace) -> int:
    try:
        only = parse_party(args.party) if args.party else None
    except BadAgreement as exc:
        return fail(str(exc))
    async with open_database(settings) as pool:
        rows = [_alert_json(e) for e in await credit.events(pool, only)]
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
