"""Settlement (`ocpi-hub settlement statement|balances|pay`, `/admin/api/settlement/...`): the
money the hub carries between its parties (issue 9 §3), read from and written to the
settlement ledger (core.ledger, core.statements).

Every figure is computed from the ledger's rows by core.statements: nothing is kept beside
them. Amounts are strings in at least their currency's decimals, so that no figure passes
through a binary float. The sign is the ledger's: a party's balance is positive when it owes
the hub, negative when the hub owes it; a payment is positive when the hub received it,
negative when the hub paid it. An amount in dispute is shown beside a party's balance
(`disputed`), not in it: nobody owes it until it is resolved.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import asyncpg

from ocpi_hub.core.agreements import parse_party, party_text
from ocpi_hub.core.ledger import parse_amount, parse_currency, payment, shown
from ocpi_hub.core.routing import PartyKey
from ocpi_hub.core.statements import Balances, Line, Statement, Totals, balances, month, statement
from ocpi_hub.core.types import format_datetime
from ocpi_hub.operations import Refused, refusing
from ocpi_hub.settings import Settings
from ocpi_hub.storage import Executor
from ocpi_hub.storage.credit_watch import reassess
from ocpi_hub.storage.repositories import ledger, platforms

__all__ = ["LINE_COLUMNS", "balances_of", "known", "pay", "statement_csv", "statement_of"]

LINE_COLUMNS = ["booked_at", "transaction", "kind", "cdr", "dispute", "reference", "account",
                "currency", "amount", "fee", "net", "running"]  # fmt: skip


async def known(conn: Executor, party: PartyKey) -> bool:
    """A party the hub knows (connected, invited or behind a network) or has booked."""
    return bool(await platforms.platforms_of_party(conn, *party)) or await ledger.known_party(
        conn, party
    )


# ---- statement ----------------------------------------------------------------------------


async def statement_of(pool: asyncpg.Pool, *, party: str, period: str) -> dict[str, Any]:
    """One party's CDRs, payments and disputes booked in a month (`YYYY-MM`, UTC):
    `{"party", "period", "lines", "totals"}`, totals per currency with the opening and closing
    balances."""
    with refusing("party"):
        key = parse_party(party)
    with refusing("period"):
        start, end = month(period)
    if not await known(pool, key):
        raise Refused("party", f"--party {party_text(key)}: not a party of this hub")
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
        # One snapshot: the opening balances and the lines agree.
        opening = await ledger.balance_of(conn, key, start)
        lines = await ledger.statement_lines(conn, key, start, end)
    return _statement_json(statement(key, period.strip(), lines, opening))


def _money(value: Decimal | None, currency: str) -> str | None:
    return None if value is None else shown(value, currency)


def _line_json(line: Line) -> dict[str, Any]:
    c = line.currency
    return {
        "booked_at": format_datetime(line.booked_at),
        "transaction": line.transaction,
        "kind": line.kind,
        "cdr": line.cdr,
        "dispute": line.dispute,
        "reference": line.reference,
        "account": line.account,
        "currency": c,
        "amount": _money(line.amount, c),
        "fee": _money(line.fee, c),
        "net": shown(line.net, c),
        "running": shown(line.running, c),
    }


def _totals_json(totals: Totals) -> dict[str, Any]:
    c = totals.currency
    return {
        "currency": c,
        "opening": shown(totals.opening, c),
        "cdrs": totals.cdrs,
        "amount": shown(totals.amount, c),
        "fee": shown(totals.fee, c),
        "payments": shown(totals.payments, c),
        "disputes": shown(totals.disputes, c),
        "net": shown(totals.net, c),
        "closing": shown(totals.closing, c),
        "disputed": shown(totals.disputed, c),
    }


def _statement_json(done: Statement) -> dict[str, Any]:
    return {
        "party": party_text(done.party),
        "period": done.period,
        "lines": [_line_json(line) for line in done.lines],
        "totals": [_totals_json(t) for t in done.totals],
    }


def statement_csv(done: dict[str, Any]) -> str:
    """A statement (as `statement_of` answers it) as CSV: the lines, between an `opening` line
    and a `total` line per currency, in one shape: `running` is the opening balance on the
    first and the closing balance on the last."""
    buffer = io.StringIO()
    out = csv.DictWriter(buffer, LINE_COLUMNS, lineterminator="\n")
    out.writeheader()
    for t in done["totals"]:
        out.writerow({"kind": "opening", "currency": t["currency"], "running": t["opening"]})
    out.writerows(done["lines"])
    for t in done["totals"]:
        out.writerow({"kind": "total", "currency": t["currency"], "amount": t["amount"],
                      "fee": t["fee"], "net": t["net"], "running": t["closing"]})  # fmt: skip
    return buffer.getvalue()


# ---- balances -----------------------------------------------------------------------------


async def balances_of(pool: asyncpg.Pool) -> dict[str, Any]:
    """What each party owes the hub or is owed, now, per currency (`parties`), the hub's fees
    and cash (`hub`), and the sum of every entry per currency (`total`: zero when the ledger
    balances)."""
    return _balances_json(balances(await ledger.balances(pool)))


def _balances_json(found: Balances) -> dict[str, Any]:
    return {
        "parties": [
            {
                "party": party_text(b.party),
                "currency": b.currency,
                "receivable": shown(b.receivable, b.currency),
                "payable": shown(b.payable, b.currency),
                "balance": shown(b.balance, b.currency),
                "disputed": shown(b.disputed, b.currency),
            }
            for b in found.parties
        ],
        "hub": [
            {
                "currency": h.currency,
                "fees": shown(h.fees, h.currency),
                "cash": shown(h.cash, h.currency),
            }
            for h in found.hub
        ],
        "total": {c: shown(v, c) for c, v in sorted(found.total.items())},
    }


# ---- pay ----------------------------------------------------------------------------------


async def pay(
    pool: asyncpg.Pool,
    settings: Settings,
    *,
    party: str,
    amount: str,
    currency: str,
    reference: str,
) -> dict[str, Any]:
    """Record a payment received from (`amount` positive) or made to (negative) a party, once
    per party and `reference`; `{"transaction", "party", "amount", "currency", "reference",
    "balance", "credit"}` (`credit`: what it did to an eMSP's credit standing)."""
    hub = (settings.country_code, settings.party_id)
    with refusing("party"):
        key = parse_party(party)
    with refusing("currency"):
        currency = parse_currency(currency)
    with refusing("amount"):
        value = parse_amount(amount, currency, "--amount")
        entries = payment(key, hub, value, currency)
    reference = reference.strip()
    if not reference or len(reference) > 255:
        raise Refused(
            "reference", "--reference: write the payment's reference, 1 to 255 characters"
        )
    async with pool.acquire() as conn:
        if key == hub or not await known(conn, key):
            raise Refused("party", f"--party {party_text(key)}: not a party of this hub")
        try:
            transaction = await ledger.record_payment(conn, key, reference, entries)
        except ledger.PaymentRecorded as exc:
            where = f" (transaction {exc.transaction})" if exc.transaction else ""
            raise Refused(
                "reference",
                f"a payment of {party_text(key)} with reference {reference!r} is recorded"
                f" already{where}: nothing recorded",
            ) from exc
        now = (await ledger.balance_of(conn, key)).get(currency, Decimal(0))
        # A payment may bring an eMSP under its credit limit: its suspension is lifted, in
        # every serving process, before this returns.
        credit = await reassess(pool, key, settings)
    return {
        "transaction": transaction,
        "party": party_text(key),
        "amount": shown(value, currency),
        "currency": currency,
        "reference": reference,
        "balance": shown(now, currency),
        "credit": credit.why,
    }
