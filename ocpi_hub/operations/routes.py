"""Routes: each party's routes with what they measured, and the operator's preference of one
(`ocpi-hub routes list|prefer`, `/admin/api/routes`).

The figures are over the window OCPI_HUB_ROUTE_WINDOW (the setting of the caller's
environment). A preference is stored and applied at once, as a round of the serving hub's
route choice would: every serving process uses it before the action returns.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from ocpi_hub.core.agreements import BadAgreement, parse_party, party_text
from ocpi_hub.core.parties import Platform
from ocpi_hub.core.route_quality import Figures
from ocpi_hub.core.routes import DIRECT, Preference, parse_preference, preferred, routed
from ocpi_hub.core.routing import PartyKey
from ocpi_hub.operations import Refused
from ocpi_hub.push.routes import choose_routes
from ocpi_hub.settings import Settings
from ocpi_hub.storage.repositories import platforms, routes

__all__ = ["ONLY_ROUTE", "listed", "prefer", "preference_text"]

# Why a party with one registered route is sent its traffic over it: there is no choice.
ONLY_ROUTE = "its only route"


def preference_text(preference: Preference) -> str:
    """A preference as listed: a platform id, `direct`, or `auto` (measured choice)."""
    return "auto" if preference is None else str(preference)


def party_of(text: str) -> PartyKey:
    """`CC*PID` as a party key; Refused naming `party` otherwise."""
    try:
        return parse_party(text)
    except BadAgreement as exc:
        raise Refused("party", str(exc)) from exc


async def listed(
    pool: asyncpg.Pool, settings: Settings, *, party: str | None = None, several: bool = True
) -> list[dict[str, Any]]:
    """Each party with more than one registered route (`several`; else every party with a
    registered route), or only `party` (`CC*PID`): which route is chosen and why, the
    preference, and each route's figures over the window (sent, failed, success rate, p95)."""
    only = None if party is None else party_of(party)
    return await _rows(pool, settings, only, several)


async def _rows(
    pool: asyncpg.Pool, settings: Settings, only: PartyKey | None, several: bool
) -> list[dict[str, Any]]:
    known = await platforms.all_platforms(pool)
    figures = await routes.figures(pool, settings.route_window)
    stored = await routes.choices(pool)
    rows = []
    for key, candidates in routed(known).items():
        if (only is not None and key != only) or (several and len(candidates) < 2):
            continue
        row = stored.get(key)
        chosen: int | None
        reason: str | None
        if len(candidates) == 1:
            chosen, reason = candidates[0].id, ONLY_ROUTE
        else:
            chosen = row.chosen if row is not None else None
            reason = row.reason if row is not None else None
        rows.append(
            {
                "party": party_text(key),
                "chosen": chosen,
                "reason": reason,
                "changed_at": row.changed_at.isoformat() if row and row.changed_at else None,
                "preference": preference_text(row.preference if row else None),
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


async def prefer(pool: asyncpg.Pool, settings: Settings, *, party: str, via: str) -> dict[str, Any]:
    """Send `party`'s traffic over `via` (a platform id of one of its routes, `direct` for its
    direct connection, `auto` for measured choice); the party's row as `listed` gives it."""
    key = party_of(party)
    try:
        preference = parse_preference(via)
    except ValueError as exc:
        raise Refused("via", str(exc)) from exc
    known = await platforms.all_platforms(pool)
    hosts = [p for p in known if any(q.key == key for q in p.parties)]
    if not hosts:
        raise Refused("party", f"{party_text(key)}: no platform reaches that party")
    if preference is not None and preferred(hosts, preference) is None:
        ids = ", ".join(f"{p.id} ({'network' if p.network else DIRECT})" for p in hosts)
        raise Refused("via", f"{via}: not a route of {party_text(key)}; its routes: {ids}")
    await routes.set_preference(pool, key, preference)
    figures = await routes.figures(pool, settings.route_window)
    await choose_routes(pool, known, figures, only=key)
    [row] = await _rows(pool, settings, key, several=False) or [_unrouted(key, preference)]
    return row


def _unrouted(key: PartyKey, preference: Preference) -> dict[str, Any]:
    """The row of a party no registered platform carries yet (only invited or connecting)."""
    return {
        "party": party_text(key),
        "chosen": None,
        "reason": None,
        "changed_at": None,
        "preference": preference_text(preference),
        "routes": [],
    }
