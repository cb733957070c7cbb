"""Statements and balances from ledger rows (issue 9 §3), sans I/O: every figure
`ocpi-hub settlement` prints is computed here from rows the ledger holds, and from nothing else.

Signs are the ledger's (core.ledger): a party's figure is positive when it owes the hub and
negative when the hub owes it.

**A statement** is one party's lines for one calendar month (UTC) of bookings: one line per
entry on one of its accounts, in booking order. A month's statement is final once the month is
over: a transaction falls in the month the hub booked it, so a credit CDR for an earlier month's
CDR appears in the month it came, with the CDR it credits named. Each line carries:

- `amount`: the CDR's amount (what its eMSP is charged; negative on a credit's reversal), the
  payment's (positive received by the hub, negative paid by it), or the dispute's (on the lines
  of a dispute's steps, core.disputes);
- `fee`: the hub's fee on that CDR (none on a payment; on a dispute's step, what it changes in
  the fee: minus the fee returned on an acceptance);
- `net`: the entry's amount, what the line changes in what the party owes: a CDR's amount for
  its eMSP, minus (amount - fee) for its CPO, minus the payment for a payment; on the
  `disputed` account, what it changes in the party's disputed amount instead, which is held
  aside and not owed;
- `running`: the party's balance in the line's currency after the line, from the balance the
  month opened with (`disputed` lines leave it as it is).

Per currency the statement totals the month: the opening balance, the CDRs and their amounts
and fees (less the fees returned on accepted disputes), the payments, the net change of the
dispute steps (`disputes`), the net change and the closing balance (`opening + net`), and
the change in the amount disputed (`disputed`).
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
    "DISPUTE_KINDS",
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
    kind: str  # cdr, credit, payment, dispute, dispute_accepted|_rejected|_credited
    cdr: str | None  # CC*PID*ID of the CDR booked (a credit: the credit CDR; a dispute's: its)
    reference: str | None  # a payment's
    account: str
    currency: str
    amount: Decimal | None
    fee: Decimal | None
    net: Decimal
    running: Decimal = ZERO
    dispute: int | None = None  # the dispute a dispute step's line is of


DISPUTE_KINDS = frozenset({"dispute", "dispute_accepted", "dispute_rejected", "dispute_credited"})


@dataclass
class Totals:
    """One currency's figures for the period."""

    currency: str
    opening: Decimal = ZERO
    cdrs: int = 0  # CDR and credit lines
    amount: Decimal = ZERO  # of the CDR and credit lines
    fee: Decimal = ZERO
    payments: Decimal = ZERO  # net of the payment lines
    disputes: Decimal = ZERO  # net of the dispute steps' lines on owed accounts
    net: Decimal = ZERO
    disputed: Decimal = ZERO  # net of the `disputed` lines: the change in what is disputed

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
        running.setdefault(line.currency, ZERO)
        if line.account == Account.DISPUTED:
            total.disputed += line.net
        else:
            running[line.currency] += line.net
            total.net += line.net
        if line.kind == "payment":
            total.payments += line.net
        elif line.kind in DISPUTE_KINDS:
            total.fee += line.fee or ZERO
            if line.account != Account.DISPUTED:
                total.disputes += line.net
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
    disputed: Decimal = ZERO  # held aside by its open disputes: not in `balance`

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
        elif account == Account.DISPUTED:
            balance.disputed += value
        else:
            balance.payable += value
    return Balances(list(parties.values()), [own[c] for c in sorted(own)], total)
