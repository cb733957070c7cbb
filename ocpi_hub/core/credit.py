"""Credit exposure of each eMSP (issue 9 §7), sans I/O: what it owes plus what its sessions in
progress will cost, against the credit limit the operator set, and what crossing it does.

**Exposure** = owed + in progress, in the limit's currency:
- *owed*: the sum of the eMSP's `receivable` and `disputed` ledger accounts (core.ledger): what
  it has been charged and not paid, a disputed amount included (it is not paid either). A
  payment in advance makes it negative and lowers the exposure.
- *in progress*: each of its Sessions ACTIVE or PENDING, priced live with the one pricing
  (core.pricing.price_session) under its tariff, in its Location's time zone (`estimate`),
  excl. VAT as the ledger books CDRs, rounded half up to the currency's minor unit.
  The tariff is the one its charging periods name, else its connector's `tariff_ids`; where
  several are candidates, the dearest estimate counts (choice: a credit limit is there against
  underestimating). A Session no tariff prices counts as its `total_cost` if it has one, else
  0, and the estimate says so (`Estimate.by`).

**Currencies** (choice): the hub converts none (core.ledger), so a limit is in one currency and
only exposure in that currency counts against it; what the eMSP owes or spends in other
currencies is shown beside it, not counted.

**Levels**: `ok` below OCPI_HUB_CREDIT_WARN (a fraction of the limit, default 0.8), `warn` from
there, `over` at 100 % and above; nothing exposed (zero or less) is `ok` whatever the limit, so
a limit of 0 means "no credit": any exposure is `over`.

**What a move does** (`LEVEL_MOVES`, `step`):

| from -> to          | event         | effect                                                   |
|---------------------|---------------|----------------------------------------------------------|
| ok -> warn          | `warning`     | an alert (logged, kept in the credit events)             |
| ok/warn -> over     | `over_limit`  | an alert; with OCPI_HUB_CREDIT_ACTION=suspend, suspended |
| over -> warn/ok     | `under_limit` | a suspension is lifted                                   |
| warn -> ok          | `cleared`     | recorded                                                 |

A suspension holds exactly while the eMSP is `over` and the action is `suspend`: an operator
who sets the action back to `alert` lifts the suspensions at the next assessment. An
assessment that may only lift (after a payment or a new limit, made by a command that does not
know the action `serve` runs with: `action=None`) keeps a suspension while still over, and
never suspends anew. `suspended` and `lifted` are events of their own, recorded with the move.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from ocpi_hub.core.ledger import minor_unit
from ocpi_hub.core.modules.sessions import Session
from ocpi_hub.core.modules.tariffs import Tariff
from ocpi_hub.core.pricing import PricingError, price_session
from ocpi_hub.core.routing import PartyKey
from ocpi_hub.core.types import json_decimal

__all__ = [
    "IN_PROGRESS",
    "LEVEL_MOVES",
    "Action",
    "BadCreditSetting",
    "CreditEvent",
    "CreditState",
    "Estimate",
    "Exposure",
    "Level",
    "Limit",
    "Step",
    "estimate",
    "exposures",
    "level_of",
    "parse_action",
    "parse_warn",
    "step",
]

ZERO = Decimal(0)
# The Session statuses whose cost is still to come (a RESERVATION is charged, if at all, when
# it becomes a session).
IN_PROGRESS = ("ACTIVE", "PENDING")


class BadCreditSetting(ValueError):
    """OCPI_HUB_CREDIT_WARN or OCPI_HUB_CREDIT_ACTION that cannot be."""


class Action(StrEnum):
    """What being over the limit does (OCPI_HUB_CREDIT_ACTION)."""

    ALERT = "alert"  # an alert, nothing refused
    SUSPEND = "suspend"  # an alert, and the eMSP's new charging stopped


class Level(StrEnum):
    OK = "ok"
    WARN = "warn"
    OVER = "over"


class CreditEvent(StrEnum):
    WARNING = "warning"
    OVER_LIMIT = "over_limit"
    UNDER_LIMIT = "under_limit"
    CLEARED = "cleared"
    SUSPENDED = "suspended"
    LIFTED = "lifted"


_L, _E = Level, CreditEvent
LEVEL_MOVES: Mapping[tuple[Level, Level], CreditEvent] = MappingProxyType(
    {
        (_L.OK, _L.WARN): _E.WARNING,
        (_L.OK, _L.OVER): _E.OVER_LIMIT,
        (_L.WARN, _L.OVER): _E.OVER_LIMIT,
        (_L.OVER, _L.WARN): _E.UNDER_LIMIT,
        (_L.OVER, _L.OK): _E.UNDER_LIMIT,
        (_L.WARN, _L.OK): _E.CLEARED,
    }
)
ALERTS = frozenset({CreditEvent.WARNING, CreditEvent.OVER_LIMIT, CreditEvent.SUSPENDED})


@dataclass(frozen=True)
class Limit:
    """An eMSP's credit limit: `amount` (not below zero) in `currency`."""

    amount: Decimal
    currency: str


@dataclass(frozen=True)
class CreditState:
    """Where an eMSP stands: its level and whether it is suspended."""

    level: Level = Level.OK
    suspended: bool = False


@dataclass(frozen=True)
class Step:
    """An assessment's outcome: the new state and the events of the move (empty: no change)."""

    state: CreditState
    events: tuple[CreditEvent, ...]


def level_of(exposure: Decimal, limit: Decimal, warn: Decimal) -> Level:
    """The level of `exposure` against `limit`, warning from `warn` x the limit."""
    if exposure <= ZERO:
        return Level.OK
    if exposure >= limit:
        return Level.OVER
    return Level.WARN if exposure >= warn * limit else Level.OK


def step(current: CreditState, level: Level, action: Action | None) -> Step:
    """The state after an assessment found `level` (module docstring: the table). `action`
    None: an assessment that may lift a suspension and never suspends."""
    if action is None:
        suspended = current.suspended and level == Level.OVER
    else:
        suspended = action == Action.SUSPEND and level == Level.OVER
    events: list[CreditEvent] = []
    if (move := LEVEL_MOVES.get((current.level, level))) is not None:
        events.append(move)
    if suspended and not current.suspended:
        events.append(CreditEvent.SUSPENDED)
    elif current.suspended and not suspended:
        events.append(CreditEvent.LIFTED)
    return Step(CreditState(level, suspended), tuple(events))


# ---- sessions in progress -----------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """What a Session in progress is expected to cost, and how that was found: `by` is
    "tariff <id>" (priced), "total_cost" (no tariff priced it; the CPO's figure) or "nothing"
    (neither: counted as 0); `note` says why it was not priced."""

    session: str  # CC*PID*ID of the CPO
    currency: str
    amount: Decimal
    by: str
    note: str = ""

    @property
    def priced(self) -> bool:
        return self.by.startswith("tariff ")


def estimate(
    session: Mapping[str, Any], tariffs: Sequence[Mapping[str, Any]], time_zone: str | None
) -> Estimate:
    """The cost of a stored Session in progress so far under the dearest of `tariffs` that
    prices it (excl. VAT, the amount the ledger books), else its `total_cost`, else 0."""
    name = f"{session['country_code']}*{session['party_id']}*{session['id']}".upper()
    reasons = []
    best: Estimate | None = None
    if time_zone is None:
        reasons.append("its Location (its time zone, its connector's tariffs) is not known")
    elif not tariffs:
        reasons.append("no tariff known")
    else:
        parsed = Session.model_validate(session)
        for tariff in tariffs:
            try:
                cost = price_session(Tariff.model_validate(tariff), parsed, time_zone)
            except (PricingError, ValueError) as exc:
                reasons.append(f"tariff {tariff.get('id')}: {exc}")
                continue
            currency = cost.currency.upper()
            # An estimate, in the currency's minor unit (the CPO's CDR sets the real price).
            amount = cost.total.excl_vat.quantize(minor_unit(currency), ROUND_HALF_UP)
            found = Estimate(name, currency, amount, f"tariff {tariff['id']}")
            if best is None or found.amount > best.amount:
                best = found
    if best is not None:
        return best
    note = "; ".join(reasons)
    currency = str(session.get("currency", "")).upper()
    total = session.get("total_cost")
    if isinstance(total, Mapping):
        try:
            return Estimate(name, currency, json_decimal(total["excl_vat"]), "total_cost", note)
        except (KeyError, ValueError, InvalidOperation):
            pass
    return Estimate(name, currency, ZERO, "nothing", note)


# ---- exposure -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Exposure:
    """An eMSP's exposure in one currency; `counted` when that is its limit's currency, and
    only then `limit`, `ratio` and `level` are set."""

    party: PartyKey
    currency: str
    owed: Decimal
    in_progress: Decimal
    sessions: tuple[Estimate, ...]
    limit: Limit | None = None
    level: Level | None = None

    @property
    def exposure(self) -> Decimal:
        return self.owed + self.in_progress

    @property
    def counted(self) -> bool:
        return self.limit is not None

    @property
    def ratio(self) -> Decimal | None:
        """Exposure over the limit (1 is 100 %); None without a limit or for a limit of 0."""
        if self.limit is None or not self.limit.amount:
            return None
        return self.exposure / self.limit.amount


def exposures(
    party: PartyKey,
    limit: Limit | None,
    owed: Mapping[str, Decimal],
    sessions: Iterable[Estimate],
    warn: Decimal,
) -> list[Exposure]:
    """The eMSP's exposure per currency: the limit's currency first (always, even at zero),
    then any other it owes or spends in, by name."""
    by_currency: dict[str, list[Estimate]] = {}
    for found in sessions:
        by_currency.setdefault(found.currency, []).append(found)
    currencies = set(owed) | set(by_currency)
    if limit is not None:
        currencies.add(limit.currency)
    ordered = sorted(currencies, key=lambda c: (limit is None or c != limit.currency, c))
    found_exposures = []
    for currency in ordered:
        spent = tuple(by_currency.get(currency, ()))
        figure = Exposure(party, currency, owed.get(currency, ZERO),
                          sum((s.amount for s in spent), ZERO), spent)  # fmt: skip
        if limit is not None and currency == limit.currency:
            level = level_of(figure.exposure, limit.amount, warn)
            figure = replace(figure, limit=limit, level=level)
        found_exposures.append(figure)
    return found_exposures


# ---- settings -----------------------------------------------------------------------------


def parse_warn(text: str) -> Decimal:
    """OCPI_HUB_CREDIT_WARN: a fraction of the limit in (0, 1]."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or not ZERO < value <= 1:
        raise BadCreditSetting(
            f"OCPI_HUB_CREDIT_WARN is {text!r}: it takes a fraction of the limit above 0 and"
            " at most 1, as 0.8"
        )
    return value


def parse_action(text: str) -> Action:
    """OCPI_HUB_CREDIT_ACTION: alert or suspend."""
    try:
        return Action(text.strip().lower())
    except ValueError:
        raise BadCreditSetting(
            f"OCPI_HUB_CREDIT_ACTION is {text!r}: it takes alert or suspend"
        ) from None
