"""What the hub pulls from a network and when (core.pulls, issue 8): the schedule and the
settings overriding it, the modules pulled, delta and full pulls, a cued full pull, retries after
a failure, the page cap on `limit`, and the Link the hub follows."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from ocpi_hub.core.parties import Endpoint, InterfaceRole, Party
from ocpi_hub.core.pulls import (
    CLIENT_INFO_SCHEDULE,
    FAILED_RETRY,
    Pull,
    PullState,
    UnfollowedLink,
    first_query,
    next_pull,
    next_url,
    pulled_modules,
    schedule,
)
from ocpi_hub.dialects import ENAPI, GIREVE, OCPI_221, PullSchedule, page_limit
from tests import factories

NOW = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
EVERY = PullSchedule(delta_every=3600, full_every=86400)
HUB = Party.of("DE", "ENA", "HUB")
SENDERS = ("locations", "tariffs", "tokens", "sessions", "cdrs", "hubclientinfo", "commands")
# A network pulled and capped (no shipped profile does both yet), exchanging ClientInfo.
CAPPED = replace(ENAPI, page_limits={"locations": 2}, hubclientinfo_partial=False)


def network(*senders: str, status: str = "REGISTERED") -> object:
    base = factories.platform(7, HUB, Party.of("FR", "CPX", "CPO"), dialect="enapi", status=status)
    offered = tuple(
        Endpoint(identifier=m, role=InterfaceRole.SENDER, url=f"http://enapi/{m}") for m in senders
    )
    return replace(base, endpoints=base.endpoints + offered)


def ago(seconds: float) -> datetime:
    return NOW - timedelta(seconds=seconds)


def test_the_schedule_is_the_dialects_unless_the_settings_override_it() -> None:
    """ENAPI is pulled daily (delta) and weekly (full) by default; each setting overrides its
    period; a dialect that pushes to the hub has no schedule, whatever the settings say."""
    assert schedule(ENAPI) == ENAPI.pull
    assert schedule(ENAPI, 60.0) == PullSchedule(60.0, 7 * 86400.0)
    assert schedule(ENAPI, None, 600.0) == PullSchedule(86400.0, 600.0)
    assert schedule(GIREVE, 60.0, 600.0) is None


def test_a_pushing_network_has_only_its_hubclientinfo_pulled_hourly() -> None:
    """A network that pushes its objects (the spec, Gireve) has its HubClientInfo Sender read,
    in full once registered and every hour after, whatever the pull settings; nothing else."""
    assert schedule(OCPI_221, 60.0, 600.0, "hubclientinfo") == CLIENT_INFO_SCHEDULE
    assert schedule(OCPI_221, 60.0, 600.0, "locations") is None
    assert pulled_modules(network("locations", "hubclientinfo"), OCPI_221) == ["hubclientinfo"]
    assert pulled_modules(network("locations", "hubclientinfo"), ENAPI) == ["locations"]


def test_a_network_is_pulled_for_each_stored_module_it_offers_a_sender_of() -> None:
    """The five stored modules, in order, where the network offers their Sender; no commands;
    no HubClientInfo from ENAPI, which only PUTs it for agreements (§3)."""
    assert pulled_modules(network(*SENDERS), ENAPI) == [
        "locations",
        "tariffs",
        "tokens",
        "sessions",
        "cdrs",
    ]
    assert pulled_modules(network("cdrs", "locations"), ENAPI) == ["locations", "cdrs"]


def test_hubclientinfo_is_pulled_where_the_dialect_exchanges_it() -> None:
    """A pulled network that exchanges ClientInfo has its HubClientInfo Sender pulled too."""
    assert pulled_modules(network("locations", "hubclientinfo"), CAPPED) == [
        "locations",
        "hubclientinfo",
    ]


@pytest.mark.parametrize(
    ("dialect", "status", "pulled"),
    [
        (OCPI_221, "REGISTERED", ["hubclientinfo"]),
        (GIREVE, "REGISTERED", []),
        (ENAPI, "INVITED", []),
    ],
)
def test_of_a_network_that_pushes_only_its_clientinfo_is_pulled(
    dialect: object, status: str, pulled: list[str]
) -> None:
    """A dialect without a pull schedule pushes its objects to the hub: only its HubClientInfo
    Sender is read, where its dialect exchanges ClientInfo (Gireve only PUTs it); an
    unregistered network is not called at all."""
    assert pulled_modules(network(*SENDERS, status=status), dialect) == pulled  # type: ignore[arg-type]


def test_nothing_is_pulled_from_a_peer() -> None:
    """Only a network is pulled (a peer speaking a pulling dialect pulls us, or pushes)."""
    peer = replace(network(*SENDERS), parties=(Party.of("FR", "CPX", "CPO"),))
    peer = replace(peer, kind=type(peer.kind).PEER)
    assert pulled_modules(peer, ENAPI) == []


def test_the_first_pull_is_a_full_list() -> None:
    assert next_pull("locations", PullState(), EVERY, NOW, ENAPI) == Pull("locations", full=True)


def test_a_delta_starts_where_the_last_complete_pull_started() -> None:
    """Past delta_every since the last complete pull: a delta, date_from its start."""
    done = PullState(last_success=ago(3600), last_full=ago(7200), last_attempt=ago(3600))
    assert next_pull("locations", done, EVERY, NOW, ENAPI) == Pull(
        "locations", full=False, date_from=ago(3600)
    )
    recent = replace(done, last_success=ago(3599), last_attempt=ago(3599))
    assert next_pull("locations", recent, EVERY, NOW, ENAPI) is None


def test_a_full_list_comes_every_full_period() -> None:
    state = PullState(last_success=ago(10), last_full=ago(86400), last_attempt=ago(10))
    assert next_pull("locations", state, EVERY, NOW, ENAPI) == Pull("locations", full=True)


def test_a_clientinfo_cues_a_full_pull_where_the_dialect_says_so() -> None:
    """ENAPI's ClientInfo PUT (an agreement signed) asks for a full pull (§3); a cue before the
    last full pull is spent; a dialect without that rule ignores the cue."""
    state = PullState(
        last_success=ago(10), last_full=ago(600), last_attempt=ago(10), cued_at=ago(5)
    )
    assert next_pull("tariffs", state, EVERY, NOW, ENAPI) == Pull("tariffs", full=True)
    spent = replace(state, cued_at=ago(700))
    assert next_pull("tariffs", spent, EVERY, NOW, ENAPI) is None
    assert next_pull("tariffs", state, EVERY, NOW, CAPPED) is None


def test_a_failed_pull_waits_before_it_is_tried_again() -> None:
    """After an attempt that did not complete, nothing for min(delta_every, FAILED_RETRY)."""
    failed = PullState(last_success=ago(7200), last_full=ago(7200), last_attempt=ago(10))
    assert next_pull("cdrs", failed, EVERY, NOW, ENAPI) is None
    later = replace(failed, last_attempt=ago(FAILED_RETRY))
    assert next_pull("cdrs", later, EVERY, NOW, ENAPI) == Pull(
        "cdrs", full=False, date_from=ago(7200)
    )
    never = PullState(last_attempt=ago(1))
    quick = PullSchedule(delta_every=0.5, full_every=86400)
    assert next_pull("cdrs", never, quick, NOW, ENAPI) == Pull("cdrs", full=True)


def test_the_first_page_asks_the_dialects_cap_and_a_delta_its_date_from() -> None:
    """`limit` is the dialect's page cap (Gireve's 20 CDRs, §0), absent where it has none;
    a delta carries date_from in the spec's DateTime form."""
    assert page_limit(GIREVE, "cdrs") == 20 and page_limit(ENAPI, "cdrs") is None
    delta = Pull("cdrs", full=False, date_from=datetime(2024, 3, 1, 1, 2, 3, 456, tzinfo=UTC))
    assert first_query(GIREVE, delta) == {"date_from": "2024-03-01T01:02:03Z", "limit": "20"}
    assert first_query(ENAPI, Pull("cdrs", full=True)) == {}


def test_a_link_is_followed_with_its_limit_never_above_the_cap() -> None:
    endpoint = "https://enapi.example/ocpi/2.2.1/locations"
    link = f'<{endpoint}?offset=2&limit=50&date_from=x>; rel="next"'
    assert next_url(link, endpoint, 2) == f"{endpoint}?offset=2&limit=2&date_from=x"
    assert next_url(link, endpoint, None) == f"{endpoint}?offset=2&limit=50&date_from=x"
    assert next_url(f'<{endpoint}?offset=2&limit=1>; rel="next"', endpoint, 2).endswith("limit=1")
    assert next_url(f'<{endpoint}?offset=2>; rel="next"', endpoint, 2).endswith("&limit=2")
    assert next_url(None, endpoint, 2) is None and next_url("", endpoint, 2) is None


@pytest.mark.parametrize(
    "elsewhere",
    ["https://evil.example/ocpi/2.2.1/locations?offset=2", "http://enapi.example/locations", "/x"],
)
def test_a_link_out_of_the_endpoints_origin_is_not_followed(elsewhere: str) -> None:
    """A page may not send the hub to another origin (scheme, host, port) with its token."""
    with pytest.raises(UnfollowedLink):
        next_url(f'<{elsewhere}>; rel="next"', "https://enapi.example/ocpi/2.2.1/locations", 2)
