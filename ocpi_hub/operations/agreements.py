"""Agreements: who trades with whom, and the hub's fee between two parties (`ocpi-hub
agreements allow|deny|remove|fee|list`, `/admin/api/agreements`); the rules are
core.agreements.

A change is stored, announced to every serving process (it holds from their next request on,
storage.platform_cache.announce) and, where it lets two parties newly trade in a broadcast
module, the stored objects each may now see are queued for it (push.share), all in one
transaction with the change. The policy is the one `serve` last started with
(OCPI_HUB_AGREEMENT_POLICY); before any `serve`, the caller's own setting. A fee holds for the
CDRs booked from the action's return on; those booked before keep the fee of their day.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg

from ocpi_hub.core.agreements import (
    Agreement,
    Agreements,
    BadAgreement,
    Effect,
    FeeAgreement,
    newly_trading,
    parse_party,
    party_text,
)
from ocpi_hub.core.ledger import ZERO, BadAmount, Fee, parse_currency, parse_decimal
from ocpi_hub.core.routing import BROADCAST_MODULES, PartyKey
from ocpi_hub.operations import Refused
from ocpi_hub.push.share import share
from ocpi_hub.settings import Settings
from ocpi_hub.storage import Executor
from ocpi_hub.storage.platform_cache import announce
from ocpi_hub.storage.repositories import agreements, platforms

__all__ = ["ACTIONS", "change", "fee", "listed"]

# What `change` does to a pair: add to its allow, add to its deny, or forget (remove).
ACTIONS: dict[str, Effect | None] = {"allow": Effect.ALLOW, "deny": Effect.DENY, "remove": None}


async def listed(pool: asyncpg.Pool, settings: Settings) -> dict[str, Any]:
    """The policy and every agreement: `{"policy", "agreements"}`, the rules then the fees (a
    fee is an agreement of effect `fee`), as `agreements list --json` prints the list."""
    async with pool.acquire() as conn:
        found = await _load(conn, settings)
    return {"policy": found.policy.value, "agreements": found.as_json()}


def _pair(between: str, and_: str) -> tuple[PartyKey, PartyKey]:
    """Two parties written `CC*PID`, different ones; Refused naming the wrong field."""
    parsed = []
    for field, text in (("between", between), ("and", and_)):
        try:
            parsed.append(parse_party(text))
        except BadAgreement as exc:
            raise Refused(field, str(exc)) from exc
    return parsed[0], parsed[1]


async def change(
    pool: asyncpg.Pool,
    settings: Settings,
    *,
    action: str,
    between: str,
    and_: str,
    modules: Sequence[str] | None = None,
) -> dict[str, Any]:
    """`allow` or `deny` two parties to trade in `modules` (None: all), or `remove` what was
    agreed between them for those modules; a deny wins over an allow until it is removed.
    `{"between", "and" (as given), "policy", "agreements" (the pair's, as `list` gives them),
    "queued" (stored objects sent to a party newly allowed to see them)}`."""
    if action not in ACTIONS:
        raise Refused("action", f"{action!r}: one of {', '.join(ACTIONS)}")
    a, b = _pair(between, and_)
    for field, named in (("and", None), ("modules", modules)):
        try:  # the same checks the change makes, one field at a time
            Agreement.of(a, b, Effect.ALLOW, named)
        except BadAgreement as exc:
            raise Refused(field, str(exc)) from exc
    async with pool.acquire() as conn, conn.transaction():
        before = await _load(conn, settings)
        await agreements.replace_pair(conn, a, b, before.changed(a, b, ACTIONS[action], modules))
        after = await _load(conn, settings)
        grants = newly_trading(before, after, a, b, sorted(BROADCAST_MODULES))
        queued = await share(
            conn,
            [stored.platform for stored in await platforms.load(conn)],
            grants,
            (settings.country_code, settings.party_id),
            f"agreements-{uuid.uuid4()}",
        )
    # Holds in every serving process before we say so.
    await announce(pool, None)
    return {
        "between": party_text(a),
        "and": party_text(b),
        "policy": after.policy.value,
        "agreements": after.as_json((a, b)),
        "queued": len(queued),
    }


async def fee(
    pool: asyncpg.Pool,
    settings: Settings,
    *,
    between: str,
    and_: str,
    currency: str,
    percent: str = "0",
    fixed: str = "0",
) -> dict[str, Any]:
    """Make the hub's fee on the CDRs between two parties `percent` of each CDR's amount plus
    `fixed` (in `currency`) per CDR; zero: no fee. `{"between", "and" (in the order agreements
    are listed), "policy", "agreements" (the pair's), "fee" (its terms; null: none)}`."""
    a, b = _pair(between, and_)
    try:
        code = parse_currency(currency)
    except BadAmount as exc:
        raise Refused("currency", str(exc)) from exc
    terms = {}
    for field, value in (("percent", percent), ("fixed", fixed)):
        try:
            terms[field] = parse_decimal(value, field)
            # Fee.of checks each part's range; one at a time, so the refusal names the part.
            Fee.of(terms.get("percent", ZERO), terms.get("fixed", ZERO), code)
        except BadAmount as exc:
            raise Refused(field, str(exc)) from exc
    agreed_fee = Fee.of(terms["percent"], terms["fixed"], code)
    try:
        agreed = FeeAgreement.of(a, b, agreed_fee)
    except BadAgreement as exc:
        raise Refused("and", str(exc)) from exc
    await agreements.set_fee(pool, a, b, agreed_fee)
    # Holds in every serving process (the CDRs they book) before we say so.
    await announce(pool, None)
    async with pool.acquire() as conn:
        after = await _load(conn, settings)
    return {
        "between": party_text(agreed.between),
        "and": party_text(agreed.and_),
        "policy": after.policy.value,
        "agreements": after.as_json((a, b)),
        "fee": None if agreed_fee.zero else agreed_fee.as_json(),
    }


async def _load(conn: Executor, settings: Settings) -> Agreements:
    policy = await agreements.recorded_policy(conn) or settings.agreement_policy
    return await agreements.load(conn, policy)
