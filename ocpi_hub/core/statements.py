"""Statements and balances from ledger rows (issue 9 §3), sans I/O: every figure
`ocpi-hub settlement` prints is computed here from rows the ledger holds, and from nothing else.

Signs are the ledger's (core.ledger): a party's figure is positive when it owes the hub and
negative when the hub owes it.

**A statement** is one party's lines for one calendar month (UTC) of bookings: one line per
entry on one of its accounts, in booking order. A month's statement is final once the month is
over: a transaction falls in the month the hub booked it, so a credit CDR for an earlier month's
CDR appears in the month it came, with the CDR it credits named. Each line carries:

- `amount`: the CDR's amount (what its eMSP is charged; negative on a credit's reversal), or
  the payment's (positive received by the hub, negative paid by it);
- `fee`: the hub's fee on that CDR (none on a payment);
- `net`: what the line changes in what the party owes: a CDR's amount for its eMSP, minus
  (amount - fee) for its CPO, minus the payment for a payment;
- `running`: the party's balance in the line's currency after the line, from the balance the
  month opened with.

Per currency the statement totals the month: the opening balance, the CDRs and their amounts
and fees, the payments, the net change and the closing balance (`opening + net`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal

from ocpi_hub.core.ledger import Account, BadAmount
from ocpi_hub.core.routing import PartyKey

__all__ = [
    "Balance",
    "Balances",
    "HubBalance",
    "Line",
    "Statement",
    "Totals",
    "balances",
    "month",
    "statement",
]

ZERO = Decimal(0)
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def month(text: str) -> tuple[datetime, datetime]:
    """`YYYY-MM` as [its first instant, the next month's) in UTC."""
    match = _MONTH.match(text.strip())
    if match is None:
        raise BadAmount(f"period {text!r} is not a month: write it YYYY-MM, as 2024-03")
    year, number = int(match[1]), int(match[2])
    start = datetime(year, number, 1, tzinfo=UTC)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=UTC)
    return start, end


@dataclass(frozen=True)
class Line:
    """One entry on the party's accounts, with its transaction's figures (module docstring)."""

    transaction: int
    booked_at: datetime
    kind: str  # cdr, credit, payment
    cdr: str | None  # CC*PID*ID of the CDR booked (for a credit: the credit CDR)
    reference: str | None  # a payment's
    account: str
    currency: str
    amount: Decimal | None
    fee: Decimal | None
    net: Decimal
    running: Decimal = ZERO


@dataclass
class Totals:
    """One currency's figures for the period."""

    currency: str
    opening: Decimal = ZERO
    cdrs: int = 0  # CDR and credit lines
    amount: Decimal = ZERO  # of the CDR and credit lines
    fee: Decimal = ZERO
    payments: Decimal = ZERO  # net of the payment lines
    net: Decimal = ZERO

    @property
    def closing(self) -> Decimal:
        return self.opening + self.net


@dataclass(frozen=True)
class Statement:
    party: PartyKey
    period: str
    lines: tuple[Line, ...]
    totals: tuple[Totals, ...]  # by currency


def statement(
    party: PartyKey, period: str, lines: Iterable[Line], opening: Mapping[str, Decimal]
) -> Statement:
    """The statement of `lines` (in booking order) on top of the `opening` balances."""
    totals = {currency: Totals(currency, opening=value) for currency, value in opening.items()}
    running = dict(opening)
    done: list[Line] = []
    for line in lines:
        total = totals.setdefault(line.currency, Totals(line.currency))
        running[line.currency] = running.get(line.currency, ZERO) + line.net
        total.net += line.net
        if line.kind == "payment":
            total.payments += line.net
        else:
            total.cdrs += 1
            total.amount += line.amount or ZERO
            total.fee += line.fee or ZERO
        done.append(replace(line, running=running[line.currency]))
    return Statement(party, period, tuple(done), tuple(totals[c] for c in sorted(totals)))


@dataclass
class Balance:
    """What a party owes the hub (`balance` > 0) or is owed by it (< 0), in one currency."""

    party: PartyKey
    currency: str
    receivable: Decimal = ZERO
    payable: Decimal = ZERO

    @property
    def balance(self) -> Decimal:
        return self.receivable + self.payable


@dataclass
class HubBalance:
    """The hub's own accounts in one currency: fees earned, cash held (received less paid)."""

    currency: str
    fees: Decimal = ZERO
    cash: Decimal = ZERO


@dataclass
class Balances:
    parties: list[Balance] = field(default_factory=list)
    hub: list[HubBalance] = field(default_factory=list)
    # The sum of every entry per currency: zero, as each transaction's is.
    total: dict[str, Decimal] = field(default_factory=dict)


def balances(rows: Iterable[tuple[PartyKey, Account, str, Decimal]]) -> Balances:
    """Balances of every party, and of the hub (its fees and cash accounts), from the sum of
    each account (party, account, currency, sum), in the order given."""
    parties: dict[tuple[PartyKey, str], Balance] = {}
    own: dict[str, HubBalance] = {}
    total: dict[str, Decimal] = {}
    for party, account, currency, value in rows:
        total[currency] = total.get(currency, ZERO) + value
        if account in (Account.FEES, Account.CASH):
            held = own.setdefault(currency, HubBalance(currency))
            if account == Account.FEES:
                held.fees -= value  # earned: the credit balance of the fees account
            else:
                held.cash += value
            continue
        balance = parties.setdefault((party, currency), Balance(party, currency))
        if account == Account.RECEIVABLE:
            balance.receivable += value
        else:
            balance.payable += value
    return Balances(list(parties.values()), [own[c] for c in sorted(own)], total)
