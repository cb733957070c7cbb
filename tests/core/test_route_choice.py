"""Route choice (core.routes.choose, issue 8): the operator's preference, else the route
measured best, with hysteresis so that traffic does not flap; the chosen route first in every
lookup; what moves with a party's route (core.planner.rerouted)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocpi_hub.core.parties import InterfaceRole, Party, Platform, Role
from ocpi_hub.core.planner import FIFO_QUEUE, rerouted
from ocpi_hub.core.route_quality import BUCKETS, Figures, latency_bucket
from ocpi_hub.core.routes import (
    DIRECT,
    FAILING_SAMPLES,
    MIN_SAMPLES,
    choose,
    multi_routed,
    parse_preference,
    remote_parties,
    routes,
)
from tests.factories import platform

EMSP = Party.of("FR", "EMX", Role.EMSP)
NETWORK = platform(1, Party.of("FR", "007", Role.HUB), EMSP, module="sessions")
OTHER_NETWORK = platform(2, Party.of("DE", "ENA", Role.HUB), EMSP, module="sessions")
DIRECT_LINK = platform(3, EMSP, module="sessions")
ROUTES = [NETWORK, OTHER_NETWORK, DIRECT_LINK]


def fig(sent: int, failed: int = 0, p95_ms: float = 20) -> Figures:
    """`sent` requests, `failed` of them failed, all as slow as `p95_ms`."""
    counts = [0] * BUCKETS
    counts[latency_bucket(p95_ms)] = sent
    return Figures(sent, failed, tuple(counts))


GOOD = fig(MIN_SAMPLES)


def test_the_chosen_route_comes_first_then_the_static_order() -> None:
    """Whatever was chosen for the party leads; the rest stay direct first, then networks."""
    assert [p.id for p in routes(ROUTES, EMSP.key)] == [3, 1, 2]
    assert [p.id for p in routes(ROUTES, EMSP.key, chosen=2)] == [2, 3, 1]
    assert [p.id for p in routes(ROUTES, EMSP.key, chosen=99)] == [3, 1, 2]


def test_only_parties_with_several_registered_routes_are_chosen_for() -> None:
    """A party with one registered route has nothing to choose; a network's own identity and
    an unregistered route do not count."""
    gone = platform(4, Party.of("NL", "EMY", Role.EMSP), status="UNREGISTERED")
    hosted = platform(5, Party.of("NL", "HUB", Role.HUB), Party.of("NL", "EMY", Role.EMSP))
    found = multi_routed([*ROUTES, gone, hosted])
    assert {key: [p.id for p in hosts] for key, hosts in found.items()} == {EMSP.key: [3, 1, 2]}
    assert remote_parties(ROUTES) == {EMSP.key}


def test_the_operators_preference_wins_while_its_route_is_registered() -> None:
    """`--via ID` or `--via direct` wins over any figures; a preferred route that is not
    registered is passed over, and the reason says so."""
    measured = {3: fig(MIN_SAMPLES, MIN_SAMPLES), 1: GOOD}
    assert choose(ROUTES, measured, DIRECT, current=1).platform_id == 3
    assert choose(ROUTES, measured, 2, current=3).platform_id == 2
    unregistered = choose(ROUTES[:2], {}, DIRECT)
    assert unregistered.platform_id == 1
    assert unregistered.reason.startswith("preferred route direct is not registered")


def test_without_samples_the_static_order_holds() -> None:
    """No route measured yet: a direct connection first, whatever was chosen before."""
    choice = choose(ROUTES, {}, None, current=2)
    assert choice.platform_id == 3
    assert "no samples yet" in choice.reason


def test_a_route_better_by_the_success_margin_takes_the_party() -> None:
    """Both routes with enough samples, the other succeeding 5 points more: it wins."""
    choice = choose(ROUTES, {3: fig(40, 4), 1: fig(40, 1)}, None, current=3)
    assert choice.platform_id == 1
    assert "more successful" in choice.reason and "90% of 40" in choice.reason


def test_a_small_difference_keeps_the_current_route() -> None:
    """Within the margins the party stays where it is, in either direction (no flapping)."""
    close = {3: fig(40, 1), 1: fig(40, 0, p95_ms=60)}
    assert choose(ROUTES, close, None, current=3).platform_id == 3
    assert choose(ROUTES, close, None, current=1).platform_id == 1
    assert (
        choose(ROUTES, close, None, current=1).reason == "kept: no route is better by the margins"
    )


def test_too_few_samples_never_move_a_working_route() -> None:
    """A better-looking route with fewer than MIN_SAMPLES (or a current one with too few) is
    not trusted yet."""
    assert choose(ROUTES, {3: fig(40, 10), 1: fig(MIN_SAMPLES - 1)}, None, 3).platform_id == 3
    assert choose(ROUTES, {3: fig(3, 1), 1: fig(40)}, None, 3).platform_id == 3


def test_a_faster_route_wins_at_equal_success() -> None:
    """Same success rate, p95 250 ms against 20 ms: the faster route wins; 25 against 50 ms is
    no difference worth following."""
    slow = {3: fig(40, p95_ms=250), 1: fig(40, p95_ms=20)}
    choice = choose(ROUTES, slow, None, current=3)
    assert choice.platform_id == 1 and "as successful, faster" in choice.reason
    assert choose(ROUTES, {3: fig(40, p95_ms=50), 1: fig(40, p95_ms=25)}, None, 3).platform_id == 3


def test_a_failing_route_is_left_without_waiting_for_samples() -> None:
    """Under half succeeding over FAILING_SAMPLES requests: the party leaves for a route that
    succeeds more, even with few samples, or for an untried one when none has samples."""
    failing = fig(FAILING_SAMPLES, FAILING_SAMPLES)
    left = choose(ROUTES, {3: failing, 1: fig(2)}, None, current=3)
    assert left.platform_id == 1 and "the current route is failing" in left.reason
    tried = choose(ROUTES, {3: failing}, None, current=3)
    assert tried.platform_id == 1 and "no samples yet: tried" in tried.reason


def test_a_route_no_longer_registered_gives_way_to_the_static_order() -> None:
    """The chosen route unregistered: the first registered route, saying why."""
    choice = choose([NETWORK, DIRECT_LINK], {3: GOOD, 1: GOOD}, None, current=2)
    assert choice.platform_id == 3
    assert choice.reason.startswith("route 2 is no longer registered")


def test_preferences_parse_from_the_command_line() -> None:
    assert parse_preference("auto") is None
    assert parse_preference(" Direct ") == DIRECT
    assert parse_preference("12") == 12
    with pytest.raises(ValueError, match="a platform id, direct or auto"):
        parse_preference("gireve")


def test_a_delivery_follows_its_party_only_where_it_can_go_as_planned() -> None:
    """Moved to a spec peer it keeps its queue; to a FIFO network it joins the network's one
    queue; never to a route without the interface, whose dialect lacks the module or takes no
    PATCH of it, nor from a network to a network."""
    eclearing = platform(6, Party.of("DE", "ECH", Role.HUB), EMSP, module="sessions",
                         dialect="eclearing")  # fmt: skip
    gireve = platform(7, Party.of("FR", "007", Role.HUB), EMSP, module="sessions",
                      dialect="gireve")  # fmt: skip
    receiver = InterfaceRole.RECEIVER

    def moved(to: Platform, method: str = "PUT", network_data: bool = False) -> str | None:
        return rerouted(to, "sessions", receiver, method, "q", from_network=network_data)

    assert moved(DIRECT_LINK) == "q"
    assert moved(eclearing) == FIFO_QUEUE
    assert moved(gireve, "PATCH") is None and moved(gireve, "PUT") == FIFO_QUEUE
    assert moved(NETWORK, network_data=True) is None and moved(DIRECT_LINK, network_data=True)
    assert rerouted(DIRECT_LINK, "cdrs", receiver, "POST", "q", from_network=False) is None
    assert rerouted(eclearing, "chargingprofiles", InterfaceRole.SENDER, "PUT", "q",
                    from_network=False) is None  # fmt: skip


# ---- properties ------------------------------------------------------------------------------

figures = st.builds(
    lambda sent, failed, ms: fig(sent, min(failed, sent), ms),
    st.integers(0, 60),
    st.integers(0, 60),
    st.sampled_from([5, 20, 40, 80, 200, 400, 900, 3000]),
)
measurements = st.fixed_dictionaries({}, optional={1: figures, 2: figures, 3: figures})
currents = st.sampled_from([None, 1, 2, 3, 4])


@given(measurements, currents)
def test_a_choice_holds_while_the_figures_do(measured: dict[int, Figures], current: int) -> None:
    """Whatever the figures and the current route: the choice is one of the party's routes,
    and choosing again from it with the same figures keeps it (traffic cannot flap)."""
    first = choose(ROUTES, measured, None, current)
    again = choose(ROUTES, measured, None, first.platform_id)
    assert first.platform_id in {1, 2, 3}
    assert again.platform_id == first.platform_id


@given(measurements, st.sampled_from([1, 2, 3]))
def test_a_working_route_is_left_only_for_a_measured_better_one(
    measured: dict[int, Figures], current: int
) -> None:
    """Unless the current route is failing outright, the party moves only to a route with
    MIN_SAMPLES that succeeds at least as well within the margin, with MIN_SAMPLES on the
    current one too."""
    mine = measured.get(current, Figures())
    failing = mine.sent >= FAILING_SAMPLES and (mine.success_rate or 0) < 0.5
    chosen = choose(ROUTES, measured, None, current).platform_id
    if chosen != current and not failing and any(f.sent for f in measured.values()):
        theirs = measured[chosen]
        assert theirs.sent >= MIN_SAMPLES and mine.sent >= MIN_SAMPLES
        assert (theirs.success_rate or 0) > (mine.success_rate or 0) - 0.05
