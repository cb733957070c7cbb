"""Disputes (issue 9 §5), sans I/O: an eMSP contests (part of) a CDR it was charged; the operator
accepts or rejects it, or the CPO's credit CDR settles it. What each step books in the ledger
(core.ledger) is decided here; storage.repositories.disputes writes it, in the transaction that
changes the dispute's state.

A dispute's lifecycle (`TRANSITIONS`, defined once), D its amount, F the hub's fee on the CDR:

| step       | from       | to         | books (kind)       | entries                         |
|------------|------------|------------|--------------------|---------------------------------|
| `opened`   | (new)      | `OPEN`     | `dispute`          | receivable(eMSP) -D,            |
|            |            |            |                    | disputed(eMSP) +D               |
| `rejected` | `OPEN`     | `REJECTED` | `dispute_rejected` | disputed(eMSP) -D,              |
|            |            |            |                    | receivable(eMSP) +D             |
| `accepted` | `OPEN`     | `ACCEPTED` | `dispute_accepted` | disputed(eMSP) -D,              |
|            |            |            |                    | payable(CPO) +(D - F'),         |
|            |            |            |                    | fees(hub) +F'                   |
| `credited` | `OPEN`     | `ACCEPTED` | `dispute_credited` | disputed(eMSP) -D,              |
|            |            |            |                    | receivable(eMSP) +D             |
| `credited` | `ACCEPTED` | `ACCEPTED` | `dispute_credited` | the acceptance's entries undone |
|            |            |            |                    | with its D back to receivable   |

Every step's entries sum to zero. Opening takes D out of what the eMSP owes (it owes it to nobody
while the dispute is open); rejecting gives it back to what it owes; accepting drops it for good:
the CPO's claim is reduced by D less F', the fee the hub returns.

**The fee returned** is the fee's share of D, pro rata to the CDR's amount A, rounded half up to
the currency's minor unit once over all of the CDR's accepted disputes: F' = round(F x (B + D) /
A) - round(F x B / A), B the amount accepted before on that CDR. So disputes accepted over a
whole CDR return exactly its fee, in whatever pieces, and a dispute of the whole CDR accepted
books exactly what a credit CDR reverses.

**The CPO's credit CDR** reverses the whole CDR (core.ledger.reversal), whatever was disputed.
Of that, an open dispute's D was no longer owed by the eMSP: the credit takes it off twice, so
the dispute's D goes back from `disputed` to `receivable`, and the dispute is accepted by the
credit CDR (waiting for the credit is leaving the dispute open). A dispute accepted before the
credit came had reduced the CDR already: its acceptance is undone, its D back to
`receivable`. Either way, after a credit every account of the CDR is back to zero. A rejected
dispute booked nothing that stays, so the credit changes nothing of it.

**What can be disputed** of a CDR is its booked amount less the disputes open or accepted on it,
nothing once it is credited; an amount is in whole minor units of the CDR's currency (the
default, the whole rest, may be finer: a CDR's amount is booked as sent).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from types import MappingProxyType

from ocpi_hub.core.agreements import BadAgreement, parse_party, party_text
from ocpi_hub.core.ledger import Account, BadAmount, Entry, minor_unit, parse_amount, shown
from ocpi_hub.core.routing import PartyKey

__all__ = [
    "TRANSITIONS",
    "BadDispute",
    "Booking",
    "Charge",
    "State",
    "Step",
    "Transition",
    "book",
    "cdr_text",
    "disputable",
    "fee_returned",
    "parse_cdr",
    "parse_text",
    "to_open",
]

ZERO = Decimal(0)
_CDR_ID = re.compile(r"^[\x21-\x7e]{1,36}$")  # a CiString(36) with no spaces


class BadDispute(ValueError):
    """A dispute that cannot be opened or a step that cannot be taken; the message says why,
    `field` which input was wrong where the message does not start with its option."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class State(StrEnum):
    OPEN = "OPEN"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"


class Step(StrEnum):
    OPENED = "opened"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    CREDITED = "credited"


@dataclass(frozen=True)
class Transition:
    """Where a step leads and the kind of ledger transaction it books."""

    state: State
    kind: str


TRANSITIONS: Mapping[tuple[Step, State | None], Transition] = MappingProxyType(
    {
        (Step.OPENED, None): Transition(State.OPEN, "dispute"),
        (Step.REJECTED, State.OPEN): Transition(State.REJECTED, "dispute_rejected"),
        (Step.ACCEPTED, State.OPEN): Transition(State.ACCEPTED, "dispute_accepted"),
        (Step.CREDITED, State.OPEN): Transition(State.ACCEPTED, "dispute_credited"),
        (Step.CREDITED, State.ACCEPTED): Transition(State.ACCEPTED, "dispute_credited"),
    }
)


@dataclass(frozen=True)
class Charge:
    """What a CDR booked (core.ledger.book_cdr): its eMSP charged `amount`, its CPO owed
    `amount - fee`, the hub's `fee`."""

    emsp: PartyKey
    cpo: PartyKey
    hub: PartyKey
    currency: str
    amount: Decimal
    fee: Decimal

    @classmethod
    def of(cls, entries: Iterable[Entry]) -> Charge:
        """The charge of a CDR's transaction, from its three entries."""
        by_account = {e.account: e for e in entries}
        receivable, fees = by_account[Account.RECEIVABLE], by_account[Account.FEES]
        return cls(
            emsp=receivable.party,
            cpo=by_account[Account.PAYABLE].party,
            hub=fees.party,
            currency=receivable.currency,
            amount=receivable.amount,
            fee=-fees.amount,
        )


@dataclass(frozen=True)
class Booking:
    """What a step does: the dispute's state after it, and the ledger transaction it books."""

    state: State
    kind: str
    entries: tuple[Entry, ...]


def disputable(charge: Charge, held: Decimal, credited: bool) -> Decimal:
    """What can still be disputed of a CDR with `held` open or accepted on it already."""
    if credited:
        return ZERO
    return max(ZERO, charge.amount - held)


def to_open(charge: Charge, amount: str | None, held: Decimal, credited: bool) -> Decimal:
    """The amount of a new dispute: `amount` as the operator wrote it, or (None) all that can
    be disputed. BadDispute when it is not a number, finer than the currency's minor unit, not
    above zero or above what can be disputed."""
    rest = disputable(charge, held, credited)
    c = charge.currency
    if credited:
        raise BadDispute("the CDR is credited (its credit CDR is booked): nothing to dispute")
    if rest <= ZERO:
        raise BadDispute(f"nothing left to dispute: {shown(held, c)} {c} of it is disputed")
    if amount is None:
        return rest
    try:
        value = parse_amount(amount, c, "--amount")
    except BadAmount as exc:
        raise BadDispute(str(exc), "amount") from None
    if value <= ZERO:
        raise BadDispute(f"--amount {amount}: a dispute is of an amount above zero")
    if value > rest:
        raise BadDispute(
            f"--amount {shown(value, c)} {c} is above what can be disputed of the CDR:"
            f" {shown(rest, c)} {c} (booked {shown(charge.amount, c)}, disputed {shown(held, c)})"
        )
    return value


def fee_returned(charge: Charge, amount: Decimal, accepted_before: Decimal) -> Decimal:
    """The hub's fee returned on accepting `amount` of the CDR, `accepted_before` accepted on it
    already (module docstring: pro rata, rounded once over the CDR's accepted disputes)."""
    if not charge.amount:
        return ZERO  # nothing can be disputed of a CDR of zero

    def share(accepted: Decimal) -> Decimal:
        raw = charge.fee * accepted / charge.amount
        return raw.quantize(minor_unit(charge.currency), ROUND_HALF_UP)

    return share(accepted_before + amount) - share(accepted_before)


def book(
    step: Step,
    state: State | None,
    charge: Charge,
    amount: Decimal,
    *,
    accepted_before: Decimal = ZERO,
    acceptance: Sequence[Entry] = (),
) -> Booking:
    """What `step` does to a dispute of `amount` in `state` (None: not opened yet) on a CDR of
    `charge`: for `accepted`, `accepted_before` on that CDR; for `credited` after an acceptance,
    the `acceptance`'s entries. BadDispute when the step cannot be taken from `state`."""
    transition = TRANSITIONS.get((step, state))
    if transition is None:
        raise BadDispute(f"a dispute {state or 'not opened'} cannot be {step}")
    c, emsp = charge.currency, charge.emsp
    if step == Step.OPENED:
        entries = _moved(emsp, c, amount, Account.RECEIVABLE, Account.DISPUTED)
    elif step == Step.REJECTED or (step == Step.CREDITED and state == State.OPEN):
        entries = _moved(emsp, c, amount, Account.DISPUTED, Account.RECEIVABLE)
    elif step == Step.ACCEPTED:
        fee = fee_returned(charge, amount, accepted_before)
        entries = (
            Entry(Account.DISPUTED, emsp, c, -amount),
            Entry(Account.PAYABLE, charge.cpo, c, amount - fee),
            Entry(Account.FEES, charge.hub, c, fee),
        )
    else:  # credited after an acceptance: undone, its amount owed until the credit's reversal
        entries = tuple(
            Entry(Account.RECEIVABLE if e.account == Account.DISPUTED else e.account,
                  e.party, e.currency, -e.amount)
            for e in acceptance
        )  # fmt: skip
    return Booking(transition.state, transition.kind, entries)


def _moved(
    party: PartyKey, currency: str, amount: Decimal, source: Account, target: Account
) -> tuple[Entry, ...]:
    return (Entry(source, party, currency, -amount), Entry(target, party, currency, amount))


# ---- input --------------------------------------------------------------------------------


def parse_cdr(text: str) -> tuple[PartyKey, str]:
    """`CC*PID*CDR_ID`: the CDR's CPO (upper case) and its id as written."""
    parts = text.strip().split("*", 2)  # a CDR id may hold a `*`, a party does not
    try:
        party = parse_party("*".join(parts[:2])) if len(parts) == 3 else None
    except BadAgreement:
        party = None
    cdr_id = parts[-1]
    if party is None or not _CDR_ID.match(cdr_id):
        raise BadDispute(f"--cdr {text!r} is not a CDR: write it CC*PID*CDR_ID, as NL*CPA*CDR1")
    return party, cdr_id


def cdr_text(owner: PartyKey, cdr_id: str) -> str:
    return f"{party_text(owner)}*{cdr_id}"


def parse_text(text: str, what: str, limit: int = 1000) -> str:
    """A reason, note or name: stripped, not empty, at most `limit` characters."""
    value = text.strip()
    if not value or len(value) > limit:
        raise BadDispute(f"{what}: write it, 1 to {limit} characters")
    return value
