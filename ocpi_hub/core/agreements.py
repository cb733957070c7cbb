"""Partner agreements: who trades with whom, module by module (issue 8), sans I/O.

The operator keeps control of its partners. An agreement names two parties (local or remote,
by country code and party id) and an effect, `allow` or `deny`, for some modules or all of
them. Under the policy:

- `open` (the default): every pair trades, except where a deny says otherwise;
- `closed`: only pairs an allow names trade, and a deny still wins.

Agreements are symmetric (an agreement between A and B is one between B and A), and a party
always trades with itself. They govern the functional modules only: configuration (versions,
credentials, hubclientinfo) stays per connection.

What "trading" means where it is enforced (web layer, one check per kind):
- a broadcast goes to a receiver only when its owner and the receiver trade; a network gets
  one copy for all its members when every member it is known to host may have it, else one
  copy per member that may, addressed to that member (`entitled`);
- lists, single reads and open-routing lookups see only the objects of owners the reader
  trades with (`Visible`): an object of a party it may not trade with is as if absent;
- a request naming a party (OCPI-to), or personal data meant for one, between parties that
  do not trade is answered exactly as if that party were unknown, so a party cannot learn who
  else is on the hub.

A network's own identity (its HUB role) is a party like any other: an agreement naming it
governs what is addressed to the network itself, not to the parties behind it.

A pair may also agree the hub's fee on the CDRs between them (`FeeAgreement`, issue 9 §3): a
percentage plus a fixed amount per CDR (core.ledger.Fee); a pair with none pays no fee. It
decides nothing about who trades: a fee is booked when a CDR is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any

from ocpi_hub.core.ledger import ZERO_FEE, Fee
from ocpi_hub.core.parties import ModuleID, Party, Platform, Role

__all__ = [
    "MODULES",
    "Agreement",
    "Agreements",
    "BadAgreement",
    "Effect",
    "FeeAgreement",
    "Policy",
    "Visible",
    "entitled",
    "newly_trading",
    "parse_party",
]

PartyKey = tuple[str, str]

# The modules agreements govern: the functional ones (issue 8: configuration stays per
# connection), in the order `agreements list` prints them.
MODULES: tuple[str, ...] = tuple(
    m.value
    for m in (
        ModuleID.LOCATIONS,
        ModuleID.TARIFFS,
        ModuleID.TOKENS,
        ModuleID.SESSIONS,
        ModuleID.CDRS,
        ModuleID.COMMANDS,
        ModuleID.CHARGING_PROFILES,
    )
)

_PARTY = re.compile(r"^([A-Za-z]{2})\*([A-Za-z0-9]{3})$")


class BadAgreement(ValueError):
    """An agreement that cannot be: a malformed party, the same party twice, an unknown module."""


class Policy(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Effect(StrEnum):
    ALLOW = "allow"
    DENY = "deny"


def parse_party(text: str) -> PartyKey:
    """`CC*PID` (ISO 3166 alpha-2 and three letters or digits) as an upper-case key."""
    match = _PARTY.match(text.strip())
    if match is None:
        raise BadAgreement(f"{text!r} is not a party: write it CC*PID, as NL*ABC")
    return (match[1].upper(), match[2].upper())


def party_text(key: PartyKey) -> str:
    return f"{key[0]}*{key[1]}"


def _modules(modules: Iterable[str] | None) -> frozenset[str] | None:
    if modules is None:
        return None
    chosen = frozenset(m.strip().lower() for m in modules)
    unknown = sorted(chosen - set(MODULES))
    if unknown:
        raise BadAgreement(
            f"unknown module {', '.join(unknown)}: agreements govern {', '.join(MODULES)}"
        )
    if not chosen:
        raise BadAgreement("name at least one module, or none for all of them")
    return chosen


@dataclass(frozen=True)
class Agreement:
    """One rule: `effect` between two parties for `modules` (None: every module). The pair is
    kept in order (`between` < `and_`), so one pair has one allow and one deny at most."""

    between: PartyKey
    and_: PartyKey
    effect: Effect
    modules: frozenset[str] | None = None

    @classmethod
    def of(
        cls, a: PartyKey, b: PartyKey, effect: Effect, modules: Iterable[str] | None = None
    ) -> Agreement:
        if a == b:
            raise BadAgreement(f"{party_text(a)} always trades with itself: name two parties")
        first, second = sorted((a, b))
        return cls(first, second, Effect(effect), _modules(modules))

    @property
    def pair(self) -> frozenset[PartyKey]:
        return frozenset((self.between, self.and_))

    def covers(self, module: str) -> bool:
        return self.modules is None or module in self.modules

    def as_json(self) -> dict[str, Any]:
        """As `agreements list --json` prints it (issue 8)."""
        return {
            "between": party_text(self.between),
            "and": party_text(self.and_),
            "effect": self.effect.value,
            "modules": None if self.modules is None else [m for m in MODULES if m in self.modules],
        }


@dataclass(frozen=True)
class FeeAgreement:
    """The hub's fee on the CDRs between two parties (in order, as an `Agreement`'s)."""

    between: PartyKey
    and_: PartyKey
    fee: Fee

    @classmethod
    def of(cls, a: PartyKey, b: PartyKey, fee: Fee) -> FeeAgreement:
        if a == b:
            raise BadAgreement(f"{party_text(a)} pays no fee to itself: name two parties")
        first, second = sorted((a, b))
        return cls(first, second, fee)

    @property
    def pair(self) -> frozenset[PartyKey]:
        return frozenset((self.between, self.and_))

    def as_json(self) -> dict[str, Any]:
        """As `agreements list --json` prints it: an agreement of effect `fee`, on CDRs."""
        return {
            "between": party_text(self.between),
            "and": party_text(self.and_),
            "effect": "fee",
            "modules": [ModuleID.CDRS.value],
            **self.fee.as_json(),
        }


@dataclass(frozen=True)
class Visible:
    """Which owners' objects a reader sees: only those in `only`, or all but those in `but`."""

    only: frozenset[PartyKey] | None = None
    but: frozenset[PartyKey] = frozenset()

    def sees(self, owner: PartyKey) -> bool:
        return owner not in self.but and (self.only is None or owner in self.only)


@dataclass(frozen=True)
class Agreements:
    """The policy and every agreement, indexed by pair. Immutable: a change makes a new one."""

    policy: Policy = Policy.OPEN
    rules: tuple[Agreement, ...] = ()
    fees: tuple[FeeAgreement, ...] = ()
    _by_pair: dict[frozenset[PartyKey], tuple[Agreement, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )
    _by_party: dict[PartyKey, tuple[Agreement, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )
    _fee_by_pair: dict[frozenset[PartyKey], Fee] = field(
        default_factory=dict, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        for agreed in self.fees:
            self._fee_by_pair[agreed.pair] = agreed.fee
        for rule in self.rules:
            self._by_pair[rule.pair] = (*self._by_pair.get(rule.pair, ()), rule)
            for party in rule.pair:
                self._by_party[party] = (*self._by_party.get(party, ()), rule)

    @cached_property
    def unrestricted(self) -> bool:
        """Everyone trades with everyone in everything: no check can refuse anything."""
        return self.policy == Policy.OPEN and not any(r.effect == Effect.DENY for r in self.rules)

    def allows(self, a: PartyKey, b: PartyKey, module: str) -> bool:
        """Whether `a` and `b` trade in `module`: a deny wins, then an allow, then the policy."""
        if a == b or module not in MODULES:
            return True
        effects = {r.effect for r in self._by_pair.get(frozenset((a, b)), ()) if r.covers(module)}
        if Effect.DENY in effects:
            return False
        return Effect.ALLOW in effects or self.policy == Policy.OPEN

    def visible(self, reader: PartyKey, module: str) -> Visible | None:
        """The owners whose `module` objects `reader` sees; None when it sees every owner's."""
        if self.unrestricted or module not in MODULES:
            return None
        partners: dict[Effect, set[PartyKey]] = {Effect.ALLOW: set(), Effect.DENY: set()}
        for rule in self._by_party.get(reader, ()):
            if rule.covers(module):
                partners[rule.effect].add(rule.and_ if rule.between == reader else rule.between)
        denied = frozenset(partners[Effect.DENY])
        if self.policy == Policy.OPEN:
            return Visible(but=denied) if denied else None
        return Visible(only=frozenset(partners[Effect.ALLOW] - denied | {reader}))

    def of_pair(self, a: PartyKey, b: PartyKey) -> tuple[Agreement, ...]:
        return self._by_pair.get(frozenset((a, b)), ())

    def fee(self, a: PartyKey, b: PartyKey) -> Fee:
        """The hub's fee on the CDRs between `a` and `b`: zero unless agreed."""
        return self._fee_by_pair.get(frozenset((a, b)), ZERO_FEE)

    def as_json(self, pair: tuple[PartyKey, PartyKey] | None = None) -> list[dict[str, Any]]:
        """Every agreement (of `pair` only, if given) as `agreements list --json` prints it: the
        rules, then the fees."""
        wanted = None if pair is None else frozenset(pair)
        agreed: tuple[Agreement | FeeAgreement, ...] = (*self.rules, *self.fees)
        return [a.as_json() for a in agreed if wanted is None or a.pair == wanted]

    # ---- changes (what `agreements allow|deny|remove` store) ----------------------------------

    def changed(
        self, a: PartyKey, b: PartyKey, effect: Effect | None, modules: Sequence[str] | None
    ) -> tuple[Agreement, ...]:
        """The pair's rules after `allow` or `deny` (`effect`) of `modules` (None: all), which
        adds them to the pair's rule of that effect, or after `remove` of them (`effect` None),
        which takes them out of both. An allow never lifts a deny: the deny wins until it is
        removed."""
        Agreement.of(a, b, Effect.ALLOW, modules)  # validates the parties and the modules
        wanted = _modules(modules)
        current = {r.effect: r.modules for r in self.of_pair(a, b)}
        after: list[Agreement] = []
        for kind in Effect:
            held = current.get(kind, frozenset())
            if kind == effect:
                kept = None if wanted is None or held is None else held | wanted
            elif effect is None:
                kept = _without(held, wanted)
            else:
                kept = held
            if kept is None or kept:
                after.append(Agreement.of(a, b, kind, kept))
        return tuple(after)


def _without(modules: frozenset[str] | None, removed: frozenset[str] | None) -> frozenset[str]:
    """`modules` (None: all) less `removed` (None: all)."""
    if removed is None:
        return frozenset()
    return frozenset(MODULES if modules is None else modules) - removed


def entitled(
    audience: Iterable[tuple[Party, Platform]],
    owner: PartyKey,
    module: str,
    roles: frozenset[Role],
    agreements: Agreements,
) -> list[tuple[Party, Platform]]:
    """The receivers of `owner`'s broadcast among `audience` (core.routes.audience for
    `roles`) that trade with it. A network stands in the audience once, as its own HUB party:
    it keeps that single copy when it and every member it hosts in `roles` may have the data,
    and is otherwise sent one copy per member that may, addressed to that member."""
    if agreements.unrestricted:
        return list(audience)
    found: list[tuple[Party, Platform]] = []
    for party, platform in audience:
        if party.role != Role.HUB or not platform.network:
            if agreements.allows(owner, party.key, module):
                found.append((party, platform))
            continue
        members = [p for p in platform.parties if platform.is_remote(p) and p.role in roles]
        allowed = [p for p in members if agreements.allows(owner, p.key, module)]
        if len(allowed) == len(members) and agreements.allows(owner, party.key, module):
            found.append((party, platform))
        else:
            found.extend((p, platform) for p in allowed)
    return found


def newly_trading(
    before: Agreements, after: Agreements, a: PartyKey, b: PartyKey, modules: Iterable[str]
) -> list[tuple[PartyKey, PartyKey, str]]:
    """(owner, receiver, module) for each of `modules` in which `a` and `b` trade `after` a
    change and did not `before`, both ways: what each may now be sent of the other's data."""
    return [
        (owner, receiver, module)
        for owner, receiver in ((a, b), (b, a))
        for module in modules
        if after.allows(owner, receiver, module) and not before.allows(owner, receiver, module)
    ]
