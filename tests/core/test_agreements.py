"""Partner agreements: who trades with whom, module by module (core.agreements, issue 8)."""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocpi_hub.core.agreements import (
    MODULES,
    Agreement,
    Agreements,
    BadAgreement,
    Effect,
    Policy,
    Visible,
    entitled,
    newly_trading,
    parse_party,
)
from ocpi_hub.core.parties import InterfaceRole, Party, Role
from ocpi_hub.core.routes import audience
from tests.factories import platform

A, B, C = ("NL", "CPA"), ("DE", "EMB"), ("FR", "EMC")
EMSPS = frozenset({Role.EMSP, Role.NSP, Role.OTHER})


Rule = tuple[tuple[str, str], tuple[str, str], Effect, "Iterable[str] | None"]


def agreed(policy: Policy, *rules: Rule) -> Agreements:
    return Agreements(policy, tuple(Agreement.of(a, b, e, m) for a, b, e, m in rules))


def test_open_policy_lets_everyone_trade_unless_denied() -> None:
    """open: every pair trades in every module; a deny takes its modules away."""
    rules = agreed(Policy.OPEN, (A, B, Effect.DENY, ["cdrs"]))

    assert rules.allows(A, C, "locations") and rules.allows(A, B, "locations")
    assert not rules.allows(A, B, "cdrs")
    assert Agreements().allows(A, B, "locations")


def test_closed_policy_lets_only_allowed_pairs_trade() -> None:
    """closed: only a pair an allow names trades, and only in its modules."""
    rules = agreed(Policy.CLOSED, (A, B, Effect.ALLOW, ["locations", "tariffs"]))

    assert rules.allows(A, B, "locations") and rules.allows(A, B, "tariffs")
    assert not rules.allows(A, B, "cdrs")
    assert not rules.allows(A, C, "locations")


def test_a_deny_wins_over_an_allow() -> None:
    """An allow of every module and a deny of one: that one is refused, under either policy."""
    for policy in Policy:
        rules = agreed(policy, (A, B, Effect.ALLOW, None), (A, B, Effect.DENY, ["tokens"]))
        assert rules.allows(A, B, "locations")
        assert not rules.allows(A, B, "tokens")


def test_agreements_are_symmetric_and_a_party_trades_with_itself() -> None:
    """Between A and B is between B and A; a party is never refused its own data."""
    rules = agreed(Policy.CLOSED, (B, A, Effect.ALLOW, None))

    assert rules.allows(A, B, "sessions") and rules.allows(B, A, "sessions")
    assert agreed(Policy.CLOSED).allows(A, A, "locations")


def test_configuration_modules_are_never_governed() -> None:
    """credentials, versions and hubclientinfo stay per connection, whatever the policy."""
    assert agreed(Policy.CLOSED).allows(A, B, "hubclientinfo")
    assert "hubclientinfo" not in MODULES and "credentials" not in MODULES


@pytest.mark.parametrize(
    ("between", "and_", "modules", "message"),
    [
        ("NLCPA", "DE*EMB", None, "is not a party"),
        ("NL*CPA", "NL*cpa", None, "always trades with itself"),
        ("NL*CPA", "DE*EMB", ["locations", "versions"], "unknown module versions"),
        ("NL*CPA", "DE*EMB", [], "at least one module"),
    ],
)
def test_an_impossible_agreement_is_refused_with_the_reason(
    between: str, and_: str, modules: list[str] | None, message: str
) -> None:
    """Malformed party, the same party twice, an unknown module, an empty module list."""
    with pytest.raises(BadAgreement, match=message):
        Agreements().changed(parse_party(between), parse_party(and_), Effect.ALLOW, modules)


def test_an_allow_does_not_lift_a_deny_until_it_is_removed() -> None:
    """deny tokens, then allow everything: tokens stay refused; remove the deny of tokens and
    the allow holds for them too."""
    denied = agreed(Policy.CLOSED, (A, B, Effect.DENY, ["tokens"]))

    allowed = Agreements(Policy.CLOSED, denied.changed(A, B, Effect.ALLOW, None))

    assert [r.as_json() for r in allowed.rules] == [
        {"between": "DE*EMB", "and": "NL*CPA", "effect": "allow", "modules": None},
        {"between": "DE*EMB", "and": "NL*CPA", "effect": "deny", "modules": ["tokens"]},
    ]
    assert allowed.allows(A, B, "locations") and not allowed.allows(A, B, "tokens")
    lifted = Agreements(Policy.CLOSED, allowed.changed(A, B, None, ["tokens"]))
    assert lifted.allows(A, B, "tokens") is False  # removed from the allow as well
    again = Agreements(Policy.CLOSED, lifted.changed(A, B, Effect.ALLOW, ["tokens"]))
    assert all(again.allows(A, B, m) for m in MODULES)


def test_removing_one_module_from_an_allow_of_all_keeps_the_others() -> None:
    """remove --module cdrs after allow (all): every module but cdrs stays allowed."""
    rules = agreed(Policy.CLOSED, (A, B, Effect.ALLOW, None))

    after = Agreements(Policy.CLOSED, rules.changed(A, B, None, ["cdrs"]))

    assert [m for m in MODULES if after.allows(A, B, m)] == [m for m in MODULES if m != "cdrs"]
    assert Agreements(Policy.CLOSED, rules.changed(A, B, None, None)).rules == ()


def test_what_a_reader_sees_follows_its_agreements() -> None:
    """open without denies: everything (None); open with a deny: all but the denied; closed:
    only its partners and itself."""
    assert Agreements().visible(A, "locations") is None
    denied = agreed(Policy.OPEN, (A, B, Effect.DENY, ["locations"]))
    assert denied.visible(A, "locations") == Visible(but=frozenset({B}))
    assert denied.visible(A, "tariffs") is None
    closed = agreed(Policy.CLOSED, (A, B, Effect.ALLOW, ["locations"]))
    assert closed.visible(B, "locations") == Visible(only=frozenset({A, B}))
    assert closed.visible(B, "tariffs") == Visible(only=frozenset({B}))


CPO = Party.of(*A, Role.CPO)
REMOTE_1, REMOTE_2 = Party.of("FR", "EM1", Role.EMSP), Party.of("FR", "EM2", Role.EMSP)
NETWORK_HUB = Party.of("FR", "GIR", Role.HUB)
NETWORK = platform(1, NETWORK_HUB, REMOTE_1, REMOTE_2)
PEER = platform(2, Party.of(*B, Role.EMSP))


def _receivers(rules: Agreements) -> list[tuple[str, int]]:
    reached = audience([NETWORK, PEER], EMSPS, "locations", InterfaceRole.RECEIVER)
    return [
        (f"{p.country_code}*{p.party_id}", q.id)
        for p, q in entitled(reached, A, "locations", EMSPS, rules)
    ]


def test_a_network_gets_one_copy_when_all_its_members_may_have_it() -> None:
    """Every member (and the network itself) trades with the owner: one copy to the network."""
    rules = agreed(
        Policy.CLOSED,
        (A, NETWORK_HUB.key, Effect.ALLOW, None),
        (A, REMOTE_1.key, Effect.ALLOW, None),
        (A, REMOTE_2.key, Effect.ALLOW, None),
    )
    assert _receivers(rules) == [("FR*GIR", 1)]
    assert _receivers(Agreements()) == [("FR*GIR", 1), ("DE*EMB", 2)]


def test_a_network_gets_one_copy_per_allowed_member_when_some_may_not() -> None:
    """One member denied: the others are sent a copy each, addressed to them; the peer too."""
    rules = agreed(Policy.OPEN, (A, REMOTE_2.key, Effect.DENY, None))
    assert _receivers(rules) == [("FR*EM1", 1), ("DE*EMB", 2)]
    closed = agreed(Policy.CLOSED, (A, REMOTE_2.key, Effect.ALLOW, ["locations"]))
    assert _receivers(closed) == [("FR*EM2", 1)]
    assert _receivers(agreed(Policy.CLOSED)) == []


def test_newly_trading_names_what_each_side_may_now_be_sent() -> None:
    """From closed-and-nothing to an allow of locations: both directions, that module only."""
    before = agreed(Policy.CLOSED)
    after = agreed(Policy.CLOSED, (A, B, Effect.ALLOW, ["locations"]))

    assert newly_trading(before, after, A, B, ["locations", "tokens"]) == [
        (A, B, "locations"),
        (B, A, "locations"),
    ]
    assert newly_trading(after, after, A, B, ["locations"]) == []


PARTIES = st.sampled_from([A, B, C, ("BE", "XYZ")])
RULES = st.lists(
    st.tuples(
        PARTIES,
        PARTIES,
        st.sampled_from(list(Effect)),
        st.none() | st.sets(st.sampled_from(MODULES), min_size=1),
    ).filter(lambda r: r[0] != r[1]),
    max_size=6,
)


@given(policy=st.sampled_from(list(Policy)), rules=RULES, a=PARTIES, b=PARTIES,
       module=st.sampled_from(MODULES))  # fmt: skip
def test_the_rule_is_symmetric_and_a_deny_always_wins(
    policy: Policy,
    rules: list[Rule],
    a: tuple[str, str],
    b: tuple[str, str],
    module: str,
) -> None:
    """For any set of agreements: allows(a, b) == allows(b, a); a deny covering the module
    refuses it; the reader's visible owners agree with allows."""
    agreements = agreed(policy, *rules)
    assert agreements.allows(a, b, module) == agreements.allows(b, a, module)
    if a != b and any(
        {x, y} == {a, b} and e == Effect.DENY and (m is None or module in set(m))
        for x, y, e, m in rules
    ):
        assert not agreements.allows(a, b, module)
    visible = agreements.visible(a, module)
    assert (visible is None or visible.sees(b)) == agreements.allows(a, b, module)
