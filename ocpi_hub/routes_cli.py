"""`ocpi-hub routes prefer|list`: the route each party with several routes is sent its traffic
over (route choice, core.routes; carried out by push.routes).

`prefer` stores the operator's preference and applies it at once, as a round of the serving
hub's route choice would (every serving process uses it before the command returns). `list`
prints, for each party with more than one registered route, each route's figures over the
window (OCPI_HUB_ROUTE_WINDOW, the setting of this command's environment), which route is
chosen and why, and the preference.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Coroutine
from typing import Any

import orjson

from ocpi_hub.core.agreements import parse_party, party_text
from ocpi_hub.core.parties import Platform
from ocpi_hub.core.route_quality import Figures
from ocpi_hub.core.routes import DIRECT, Preference, multi_routed, parse_preference, preferred
from ocpi_hub.core.routing import PartyKey
from ocpi_hub.push.routes import choose_routes
from ocpi_hub.settings import Settings
from ocpi_hub.storage.db import open_database
from ocpi_hub.storage.repositories import platforms, routes
from ocpi_hub.terminal import fail, table

__all__ = ["COMMANDS", "add_parser"]


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    """The `routes` command and its actions."""
    parser = commands.add_parser(
        "routes", parents=[common], help="route choice: which route reaches each party"
    )
    actions = parser.add_subparsers(dest="routes_command", required=True, metavar="ACTION")
    prefer = actions.add_parser(
        "prefer", parents=[common], help="send a party's traffic over one of its routes"
    )
    prefer.add_argument("--party", required=True, metavar="CC*PID")
    prefer.add_argument(
        "--via",
        required=True,
        metavar="PLATFORM_ID|direct|auto",
        help="one of its routes (a platform id, or its direct connection); auto: measured",
    )
    prefer.add_argument("--json", action="store_true", help="print the party's routes")
    listing = actions.add_parser(
        "list", parents=[common], help="each party with several routes, their figures"
    )
    listing.add_argument("--json", action="store_true")


def _preference_text(preference: Preference) -> str:
    return "auto" if preference is None else str(preference)


async def _rows(settings: Settings, pool: Any, only: PartyKey | None = None) -> list[Any]:
    """Each party with more than one registered route (or `only`), as `list --json` prints."""
    known = await platforms.all_platforms(pool)
    figures = await routes.figures(pool, settings.route_window)
    stored = await routes.choices(pool)
    rows = []
    for party, candidates in multi_routed(known).items():
        if only is not None and party != only:
            continue
        row = stored.get(party)
        chosen = row.chosen if row is not None else None
        rows.append(
            {
                "party": party_text(party),
                "chosen": chosen,
                "reason": row.reason if row is not None else None,
                "changed_at": row.changed_at.isoformat() if row and row.changed_at else None,
                "preference": _preference_text(row.preference if row else None),
                "routes": [
                    _route(p, figures.get(p.id, Figures()), p.id == chosen) for p in candidates
                ],
            }
        )
    return rows


def _route(platform: Platform, figures: Figures, chosen: bool) -> dict[str, Any]:
    rate = figures.success_rate
    return {
        "platform_id": platform.id,
        "kind": "network" if platform.network else "direct",
        "sent": figures.sent,
        "failed": figures.failed,
        "success_rate": round(rate, 4) if rate is not None else None,
        "p95_ms": figures.p95_ms,
        "chosen": chosen,
    }


async def cmd_prefer(settings: Settings, args: argparse.Namespace) -> int:
    try:
        party = parse_party(args.party)
    except ValueError as exc:
        return fail(f"--party: {exc}")
    try:
        preference = parse_preference(args.via)
    except ValueError as exc:
        return fail(str(exc))
    async with open_database(settings) as pool:
        known = await platforms.all_platforms(pool)
        hosts = [p for p in known if any(q.key == party for q in p.parties)]
        if not hosts:
            return fail(f"--party {party_text(party)}: no platform reaches that party")
        if preference is not None and preferred(hosts, preference) is None:
            ids = ", ".join(f"{p.id} ({'network' if p.network else DIRECT})" for p in hosts)
            return fail(f"--via {args.via}: not a route of {party_text(party)}; its routes: {ids}")
        await routes.set_preference(pool, party, preference)
        figures = await routes.figures(pool, settings.route_window)
        await choose_routes(pool, known, figures, only=party)
        rows = await _rows(settings, pool, party)
    if args.json:
        print(orjson.dumps(rows).decode())
        return 0
    print(f"{party_text(party)}: preference {_preference_text(preference)}")
    _print_table(rows)
    return 0


async def cmd_list(settings: Settings, args: argparse.Namespace) -> int:
    async with open_database(settings) as pool:
        rows = await _rows(settings, pool)
    if args.json:
        print(orjson.dumps(rows).decode())
    else:
        _print_table(rows)
    return 0


def _print_table(rows: list[dict[str, Any]]) -> None:
    lines = [
        {
            "party": row["party"],
            **route,
            "success_rate": (
                f"{route['success_rate']:.1%}" if route["success_rate"] is not None else None
            ),
            "chosen": "*" if route["chosen"] else "",
            "preference": row["preference"],
            "reason": row["reason"] if route["chosen"] else "",
        }
        for row in rows
        for route in row["routes"]
    ]
    table(
        lines,
        ["party", "platform_id", "kind", "sent", "failed", "success_rate", "p95_ms", "chosen",
         "preference", "reason"],
    )  # fmt: skip


COMMANDS: dict[str, Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]] = {
    "routes prefer": cmd_prefer,
    "routes list": cmd_list,
}
