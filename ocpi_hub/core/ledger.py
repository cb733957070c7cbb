"""The settlement ledger's rules (issue 9 §3), sans I/O: what a CDR, a credit CDR and a payment
book, and the hub's fee. Storage writes what these functions return (storage.repositories.ledger);
nothing here knows SQL.

The hub is the merchant in the middle: it carries every money flow between the parties and
guarantees each one is paid. Its books are double entry. A transaction is a set of entries, each
an amount in a currency on an account; debits are positive, credits negative, and the entries of
one transaction sum to zero in each currency (`sums`; the database checks it again). Accounts:

| account      | whose    | its sum means                                                   |
|--------------|----------|-----------------------------------------------------------------|
| `receivable` | a party  | what the party owes the hub (an eMSP, for its tokens' CDRs)     |
| `payable`    | a party  | minus what the hub owes the party (a CPO, for its CDRs)         |
| `fees`       | the hub  | minus the fees the hub has earned                               |
| `cash`       | the hub  | the money the hub has received less what it has paid out        |
| `disputed`   | a party  | what an eMSP disputes: taken out of its `receivable` while its  |
|              |          | disputes are open (core.disputes), owed by nobody until settled |

So a party's balance, the sum of its `receivable` and `payable`, is positive when it owes the hub
and negative when the hub owes it; that is the one sign every command prints. Its `disputed`
amount is shown beside the balance, not in it: an open dispute is owed by nobody until it is
rejected (back to `receivable`) or accepted (the CPO's claim reduced).

**A CDR** of amount A, with the hub's fee F between its CPO and its token's eMSP, books
`receivable(eMSP) +A`, `payable(CPO) -(A - F)`, `fees(hub) -F`. The amount is
`total_cost.excl_vat`, as sent, unrounded: it is the one price every CDR carries (`incl_vat`
is optional, and absent where a network prices the CDR itself, Gireve's `[*]` remark), and VAT
is not money between the parties that the hub carries: who owes it depends on the parties'
countries (cross-border B2B roaming is commonly reverse-charged) and it is settled with the tax
authorities, not through the hub.

**The fee** is agreed per pair of parties (core.agreements, `ocpi-hub agreements fee`; none
agreed: zero): a percentage of the CDR's amount plus a fixed amount per CDR in the fee's
currency, rounded half up to the minor unit of the CDR's currency (ISO 4217: two decimals but
for the currencies in `MINOR_UNITS`). The hub converts no currencies: it has no exchange rate
whose figure a statement could show. A percentage means the same in every currency, so it
applies to a CDR in any currency; the fixed part applies only to CDRs in the fee's currency and
is left out of the others (`fee_of` says which terms applied; the transaction keeps them). The fee
is what was agreed even when it exceeds the CDR's amount (a fixed fee on a free session): the
CPO then owes the hub the difference.

**A credit CDR** (`credit: true`, `credit_reference_id`) reverses the transaction of the CDR
it credits, entry by entry (`reversal`), whatever amounts the credit itself carries: the original
is what the eMSP was charged and the CPO credited, at the fee of its day; a corrected price comes
as a new CDR, booked as any other. A transaction is reversed once at most.

**A payment** (`ocpi-hub settlement pay`) is signed as money seen from the hub: positive, the
hub received it from the party (an eMSP paying what it owes): `cash +P`, `receivable(party) -P`;
negative, the hub paid it to the party (a CPO being paid): `cash P`, `payable(party) -P`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from ocpi_hub.core.routing import PartyKey
from ocpi_hub.core.types import json_decimal

__all__ = [
    "MINOR_UNITS",
    "ZERO_FEE",
    "Account",
    "BadAmount",
    "CdrBooking",
    "Entry",
    "Fee",
    "book_cdr",
    "fee_of",
    "minor_unit",
    "parse_amount",
    "parse_currency",
    "parse_decimal",
    "payment",
    "reversal",
    "shown",
    "sums",
]

ZERO = Decimal(0)
HUNDRED = Decimal(100)

# ISO 4217 currencies whose minor unit is not the cent; every other currency has two decimals.
MINOR_UNITS: Mapping[str, int] = {
    code: places
    for places, codes in (
        (0, "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"),
        (3, "BHD IQD JOD KWD LYD OMR TND"),
        (4, "CLF UYW"),
    )
    for code in codes.split()
}

_CURRENCY = re.compile(r"^[A-Za-z]{3}$")


class BadAmount(ValueError):
    """An amount, percentage or currency that cannot be: not a number, negative where it may
    not be, finer than the currency's minor unit, a currency that is not three letters."""


class Account(StrEnum):
    RECEIVABLE = "receivable"
    PAYABLE = "payable"
    FEES = "fees"
    CASH = "cash"
    DISPUTED = "disputed"


@dataclass(frozen=True)
class Entry:
    """One row of a transaction: `amount` (debit positive) on `account` of `party`."""

    account: Account
    party: PartyKey
    currency: str
    amount: Decimal


@dataclass(frozen=True)
class Fee:
    """The hub's fee between two parties: `percent` of each CDR's amount plus `fixed` per CDR,
    `fixed` in `currency`."""

    percent: Decimal
    fixed: Decimal
    currency: str

    @classmethod
    def of(cls, percent: Decimal, fixed: Decimal, currency: str) -> Fee:
        """A fee as agreed, checked: 0 to 100 percent, a fixed part not below zero and in whole
        minor units of a three-letter currency."""
        code = parse_currency(currency)
        if not percent.is_finite() or not ZERO <= percent <= HUNDRED:
            raise BadAmount(f"percent {percent}: it must be from 0 to 100")
        if not fixed.is_finite() or fixed < ZERO:
            raise BadAmount(f"fixed {fixed}: a fee is not below zero")
        _in_minor_units(fixed, code)
        return cls(percent, fixed, code)

    @property
    def zero(self) -> bool:
        return not self.percent and not self.fixed

    def as_json(self) -> dict[str, str]:
        return {
            "percent": format(self.percent, "f"),
            "fixed": shown(self.fixed, self.currency),
            "currency": self.currency,
        }


ZERO_FEE = Fee(ZERO, ZERO, "")


@dataclass(frozen=True)
class CdrBooking:
    """What a CDR books: its entries, and the fee's terms that applied to it (`terms.fixed` is
    zero where the fee's currency is not the CDR's)."""

    entries: tuple[Entry, ...]
    amount: Decimal
    currency: str
    fee: Decimal
    terms: Fee


def minor_unit(currency: str) -> Decimal:
    """The smallest amount of `currency`: 0.01 for most, 1 for JPY, 0.001 for KWD."""
    return Decimal(1).scaleb(-MINOR_UNITS.get(currency.upper(), 2))


def fee_of(amount: Decimal, currency: str, fee: Fee) -> tuple[Decimal, Fee]:
    """The hub's fee on a CDR of `amount` in `currency`, and the terms that applied."""
    applied = fee if fee.currency == currency else Fee(fee.percent, ZERO, fee.currency)
    raw = amount * applied.percent / HUNDRED + applied.fixed
    return raw.quantize(minor_unit(currency), ROUND_HALF_UP), applied


def book_cdr(
    cdr: Mapping[str, Any], cpo: PartyKey, emsp: PartyKey, hub: PartyKey, fee: Fee
) -> CdrBooking:
    """The entries of a CDR (not a credit CDR: see `reversal`) of `cpo` for a token of `emsp`."""
    currency = str(cdr["currency"]).upper()
    amount = json_decimal(cdr["total_cost"]["excl_vat"])
    charged, terms = fee_of(amount, currency, fee)
    entries = (
        Entry(Account.RECEIVABLE, emsp, currency, amount),
        Entry(Account.PAYABLE, cpo, currency, charged - amount),
        Entry(Account.FEES, hub, currency, -charged),
    )
    return CdrBooking(entries, amount, currency, charged, terms)


def reversal(entries: Iterable[Entry]) -> tuple[Entry, ...]:
    """The entries that undo a transaction exactly (a credit CDR's)."""
    return tuple(Entry(e.account, e.party, e.currency, -e.amount) for e in entries)


def payment(party: PartyKey, hub: PartyKey, amount: Decimal, currency: str) -> tuple[Entry, ...]:
    """A payment seen from the hub: received from `party` when positive, paid to it when
    negative (module docstring)."""
    if not amount:
        raise BadAmount("--amount 0: a payment of zero pays nothing")
    account = Account.RECEIVABLE if amount > ZERO else Account.PAYABLE
    return (
        Entry(Account.CASH, hub, currency, amount),
        Entry(account, party, currency, -amount),
    )


def sums(entries: Iterable[Entry]) -> dict[str, Decimal]:
    """The sum of `entries` per currency: zero in each for a transaction."""
    found: dict[str, Decimal] = {}
    for entry in entries:
        found[entry.currency] = found.get(entry.currency, ZERO) + entry.amount
    return found


# ---- input and output ---------------------------------------------------------------------


def parse_decimal(text: str, what: str) -> Decimal:
    """A decimal number as an operator writes it (`12.50`, `-3`); `what` names it in errors."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise BadAmount(f"{what} {text!r} is not a number: write it as 12.50") from None
    if not value.is_finite():
        raise BadAmount(f"{what} {text!r} is not a number: write it as 12.50")
    return value


def parse_currency(text: str) -> str:
    """An ISO 4217 code as three letters, upper case."""
    if not _CURRENCY.match(text.strip()):
        raise BadAmount(f"currency {text!r} is not a three-letter ISO 4217 code, as EUR")
    return text.strip().upper()


def parse_amount(text: str, currency: str, what: str) -> Decimal:
    """An amount of `currency` in whole minor units (12.50 EUR, not 12.505)."""
    value = parse_decimal(text, what)
    _in_minor_units(value, currency)
    return value


def _places(amount: Decimal) -> int:
    """How many decimals `amount` is written with (0 for 100 and for 1E+2)."""
    exponent = amount.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _in_minor_units(value: Decimal, currency: str) -> None:
    places = MINOR_UNITS.get(currency, 2)
    if _places(value.normalize()) > places:
        raise BadAmount(f"{format(value, 'f')} {currency}: {currency} has {places} decimals")


def shown(amount: Decimal, currency: str) -> str:
    """An amount as printed: at least the currency's decimals (4.6 EUR is 4.60), never fewer
    than it has (a CDR's 4.6123 stays so), never in exponent form."""
    if _places(amount) <= MINOR_UNITS.get(currency.upper(), 2):
        amount = amount.quantize(minor_unit(currency))
    return format(amount if amount else abs(amount), "f")
