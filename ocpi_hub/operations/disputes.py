"""Disputes of CDRs (`ocpi-hub disputes open|list|resolve`, `/admin/api/disputes`): an eMSP's
dispute of a CDR it was charged (issue 9 §5; the rules are core.disputes, what each step books
is in the settlement ledger).

Each step is kept with who took it (`by`), when, and why (the reason of opening, the note of
resolving). Amounts are strings in at least their currency's decimals.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from ocpi_hub.core.agreements import party_text
from ocpi_hub.core.disputes import BadDispute, Step, parse_cdr, parse_text
from ocpi_hub.core.ledger import shown
from ocpi_hub.core.types import format_datetime
from ocpi_hub.operations import refusing
from ocpi_hub.storage.repositories import disputes
from ocpi_hub.storage.repositories.disputes import Dispute, Event

__all__ = ["as_json", "listed", "open_dispute", "resolve"]


async def listed(pool: asyncpg.Pool, *, everything: bool = False) -> list[dict[str, Any]]:
    """The open disputes (resolved ones too with `everything`), oldest first."""
    return [as_json(d) for d in await disputes.listing(pool, everything=everything)]


async def open_dispute(
    pool: asyncpg.Pool, *, cdr: str, reason: str, by: str, amount: str | None = None
) -> dict[str, Any]:
    """Dispute `amount` (None: all that can be disputed) of the CDR `CC*PID*CDR_ID`, out of what
    its eMSP owes; the dispute. Refused for a CDR the hub does not hold or has not booked as
    charged, an amount that is not a number, finer than the currency's minor unit or above
    what can be disputed."""
    with refusing("cdr", BadDispute):
        owner, cdr_id = parse_cdr(cdr)
        reason = parse_text(reason, "--reason")
        by = parse_text(by, "--by", 255)
        return as_json(await disputes.open_dispute(pool, owner, cdr_id, amount, reason, by))


async def resolve(
    pool: asyncpg.Pool, *, dispute_id: int, accept: bool, by: str, note: str | None = None
) -> dict[str, Any]:
    """Accept (the CPO's claim is reduced by the amount) or reject (the eMSP owes it again) an
    open dispute; the dispute. Refused for an unknown dispute or one not open."""
    step = Step.ACCEPTED if accept else Step.REJECTED
    with refusing("id", BadDispute):
        note = None if note is None else parse_text(note, "--note")
        by = parse_text(by, "--by", 255)
        return as_json(await disputes.resolve(pool, dispute_id, step, by, note))


def as_json(dispute: Dispute) -> dict[str, Any]:
    """A dispute with its steps and what each booked."""
    c = dispute.currency
    return {
        "id": dispute.id,
        "cdr": dispute.cdr,
        "emsp": party_text(dispute.emsp),
        "cpo": party_text(dispute.cpo),
        "amount": shown(dispute.amount, c),
        "currency": c,
        "state": dispute.state.value,
        "reason": dispute.reason,
        "opened_at": format_datetime(dispute.opened_at),
        "events": [_event_json(e) for e in dispute.events],
    }


def _event_json(event: Event) -> dict[str, Any]:
    return {
        "step": event.step.value,
        "state": event.state.value,
        "by": event.by,
        "at": format_datetime(event.at),
        "note": event.note,
        "transaction": event.transaction,
        "booked": [
            {
                "account": e.account.value,
                "party": party_text(e.party),
                "amount": shown(e.amount, e.currency),
            }
            for e in event.entries
        ],
    }
