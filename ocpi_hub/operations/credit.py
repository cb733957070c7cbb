"""Credit (`ocpi-hub settlement limit|exposure|alerts`, `/admin/api/credit/...`): each eMSP's
credit limit and exposure (issue 9 §7), and the moves of its credit level (its alerts).

Setting or lifting a limit assesses the eMSP at once: a limit raised above its exposure lifts
a suspension before the action returns; a limit it is over suspends it at the next assessment
of `serve`. Exposure is computed now from the stored rows (storage.credit_watch.exposure_of)
and changes nothing. Amounts are strings in at least their currency's decimals.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import asyncpg

from ocpi_hub.core.agreements import parse_party, party_text
from ocpi_hub.core.credit import Estimate, Exposure, Limit
from ocpi_hub.core.ledger import parse_amount, parse_currency, shown
from ocpi_hub.core.parties import Role
from ocpi_hub.core.routing import PartyKey
from ocpi_hub.core.types import format_datetime
from ocpi_hub.operations import Refused, refusing
from ocpi_hub.settings import Settings
from ocpi_hub.storage import Executor
from ocpi_hub.storage.credit_watch import exposure_of, reassess
from ocpi_hub.storage.repositories import credit, ledger, platforms

__all__ = ["alerts", "exposure", "limit"]


async def _is_emsp(conn: Executor, party: PartyKey) -> bool:
    """A party the hub knows as an eMSP, or whose receivable the ledger holds."""
    for platform in await platforms.platforms_of_party(conn, *party):
        if any(p.key == party and p.role == Role.EMSP for p in platform.parties):
            return True
    return bool(await ledger.known_party(conn, party)) and bool(await credit.owed(conn, party))


def _party(text: str | None) -> PartyKey | None:
    with refusing("party"):
        return None if text is None else parse_party(text)


def _limit(amount: str | None, currency: str | None, remove: bool) -> Limit | None:
    """The limit these ask for (None: lift it)."""
    if remove:
        if amount is not None or currency is not None:
            raise Refused("remove", "--remove takes no --amount or --currency")
        return None
    if amount is None or currency is None:
        raise Refused("amount" if amount is None else "currency",
                      "write --amount A --currency C, or --remove")  # fmt: skip
    with refusing("currency"):
        currency = parse_currency(currency)
    with refusing("amount"):
        value = parse_amount(amount, currency, "--amount")
    if value < 0:
        raise Refused("amount", f"--amount {amount}: a credit limit is 0 or more")
    return Limit(value, currency)


async def limit(
    pool: asyncpg.Pool,
    settings: Settings,
    *,
    party: str,
    amount: str | None = None,
    currency: str | None = None,
    remove: bool = False,
) -> dict[str, Any]:
    """Set an eMSP's credit limit (`amount`, 0 or more in whole minor units, of `currency`:
    only exposure in it counts), or lift it (`remove`), and assess it now; `{"party", "limit",
    "exposure", "why"}` (`why`: what the assessment did)."""
    key = _party(party)
    assert key is not None
    chosen = _limit(amount, currency, remove)
    if key == (settings.country_code, settings.party_id) or not await _is_emsp(pool, key):
        raise Refused("party", f"--party {party_text(key)}: not an eMSP of this hub")
    if chosen is None:
        if not await credit.remove_limit(pool, key):
            raise Refused("party", f"{party_text(key)} has no credit limit: nothing removed")
    else:
        await credit.set_limit(pool, key, chosen)
    done = await reassess(pool, key, settings)
    standing = await credit.standing(pool, key)
    return {
        "party": party_text(key),
        "limit": _limit_json(chosen),
        "exposure": [_row(e, standing.state.suspended) for e in done.exposures],
        "why": done.why,
    }


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


async def exposure(
    pool: asyncpg.Pool, settings: Settings, *, party: str | None = None
) -> list[dict[str, Any]]:
    """Each eMSP's (or `party`'s) limit, what it owes, the estimate of its sessions in
    progress, its exposure, the ratio, its level and whether it is suspended, per currency."""
    only = _party(party)
    # One snapshot: figures that agree.
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
        if only is not None and not await _is_emsp(conn, only):
            raise Refused("party", f"--party {party_text(only)}: not an eMSP of this hub")
        parties = [only] if only else await credit.assessed_parties(conn, owing=True)
        rows = []
        for key in parties:
            standing = await credit.standing(conn, key)
            found = await exposure_of(conn, key, settings.credit_warn)
            rows += [_row(e, standing.state.suspended) for e in found]
    return rows


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


async def alerts(pool: asyncpg.Pool, *, party: str | None = None) -> list[dict[str, Any]]:
    """Every move of the eMSPs' (or `party`'s) credit levels as stored, oldest first: the
    warnings and the times one went over its limit, was suspended, came back under it and was
    lifted, each with its figures."""
    only = _party(party)
    return [_alert_json(e) for e in await credit.events(pool, only)]
