"""Route choice end to end (issue 8): an eMSP reachable directly and through a network (a fake
e-clearing.net that enforces its dialect); faults on the direct route move its traffic to the
network, recovery moves it back, and every object reaches the party exactly once.

The hub runs with a short window and interval (settings), so that routes are judged in seconds;
the rule itself is the shipped one (core.routes). The network answers more slowly than the
direct link (a delay on the fake), so that once both work the direct route wins back by p95.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator, Callable, MutableMapping
from typing import Any

import pytest

from ocpi_hub.core.parties import Platform
from ocpi_hub.storage.repositories import platforms, routes
from ocpi_hub.web.keys import PLATFORMS
from tests import factories
from tests.conftest import RunningHub, start_hub
from tests.e2e.conftest import (
    MakeNetwork,
    MakeParty,
    eventually,
    member_of,
    registered,
    to_headers,
)
from tests.e2e.fakes import FakeParty
from tests.e2e.processes import cli
from tests.e2e.test_network_cli import listed, ocpi_hub

Logs = list[MutableMapping[str, Any]]
EMSP = ("FR", "EMX")  # behind the network, and connected directly too


@pytest.fixture
async def quick_hub(database_url: str) -> AsyncIterator[RunningHub]:
    """A hub judging routes over 3 s, choosing every 0.1 s; deliveries retried until they go."""
    running = await start_hub(
        database_url,
        route_window=3.0,
        route_flush_interval=0.05,
        route_choice_interval=0.1,
        push_max_attempts=1000,
    )
    yield running
    await running.stop()
    await running.pool.close()


async def routes_of(hub: RunningHub) -> tuple[Platform, Platform]:
    """(direct, network): the two platforms reaching EMSP."""
    hosts = await platforms.platforms_of_party(hub.pool, *EMSP)
    direct = [p for p in hosts if not p.network]
    network = [p for p in hosts if p.network]
    assert len(direct) == 1 and len(network) == 1, hosts
    return direct[0], network[0]


async def chosen(hub: RunningHub) -> int | None:
    stored = (await routes.choices(hub.pool)).get(EMSP)
    return stored.chosen if stored is not None else None


def arrivals(party: FakeParty) -> list[str]:
    """The ids of the Sessions (PUT) and CDRs (POST) that reached `party` for EMSP."""
    return [
        str(r.body["id"])
        for r in party.received
        if r.routing("to") in (None, EMSP)
        and isinstance(r.body, dict)
        and (("/sessions/" in r.path and r.method == "PUT") or r.path.endswith("/cdrs"))
    ]


async def send_personal_data(hub: RunningHub, cpo: FakeParty, *ids: str) -> None:
    """The CPO pushes a Session and a CDR per id, on tokens of EMSP (open routing)."""
    base = f"{hub.url}/ocpi/2.2.1/receiver"
    for ident in ids:
        body = factories.session(f"S{ident}", emsp=EMSP)
        answer = await cpo.call_url("PUT", f"{base}/sessions/NL/CPA/S{ident}", json=body)
        assert answer.status_code == 1000, answer.body
        cdr = factories.cdr(f"C{ident}", emsp=EMSP)
        assert (await cpo.call_url("POST", f"{base}/cdrs", json=cdr)).status_code == 1000


async def authorize(hub: RunningHub, cpo: FakeParty) -> Any:
    url = f"{hub.url}/ocpi/2.2.1/sender/tokens/012345678/authorize?type=RFID"
    return await cpo.call_url("POST", url, headers=to_headers(EMSP))


async def test_every_relay_and_delivery_is_a_sample_of_its_route(
    quick_hub: RunningHub, make_party: MakeParty
) -> None:
    """Two relays (one answered HTTP 503 without an envelope) and a Session and a CDR
    delivered: four requests to the eMSP's platform, one failed, in the figures every process
    reads (a party with one route is not probed: nothing else is counted)."""
    hub = quick_hub
    cpo = await registered(hub, await make_party("CPO", "NL", "CPA"))
    emsp = await registered(hub, await make_party("EMSP", *EMSP))
    (platform,) = await platforms.platforms_of_party(hub.pool, *EMSP)

    assert (await authorize(hub, cpo)).status_code == 1000
    emsp.fail_next(1)
    assert (await authorize(hub, cpo)).status_code != 1000
    await send_personal_data(hub, cpo, "1")
    await eventually(lambda: set(arrivals(emsp)) == {"S1", "C1"}, message="delivered")

    async def counted() -> tuple[int, int] | None:
        found = (await routes.figures(hub.pool, 60)).get(platform.id)
        return (found.sent, found.failed) if found else None

    await eventually(lambda: _holds(counted, (4, 1)), message="four requests, one failed")


async def _holds(read: Callable[[], Any], expected: Any) -> bool:
    return await read() == expected


async def test_faults_move_a_party_to_its_network_route_and_recovery_moves_it_back(
    quick_hub: RunningHub, make_party: MakeParty, make_network: MakeNetwork, logs: Logs
) -> None:
    """Timeouts and 5xx on the direct route move the eMSP's traffic (relays and personal data)
    to the network; queued deliveries follow. Once the direct route works again and, measured
    faster, wins by the margins, the traffic comes back. Every Session and CDR reaches the
    eMSP exactly once, over one route or the other; the switches are logged."""
    hub = quick_hub
    cpo = await registered(hub, await make_party("CPO", "NL", "CPA"))
    network = await make_network("eclearing", [(*EMSP, "EMSP")])
    await member_of(hub, network, "eclearing", [(*EMSP, "EMSP")])
    direct_party = await registered(hub, await make_party("EMSP", *EMSP))
    direct, via_network = await routes_of(hub)
    network.delay = 0.15  # slower than the direct link, once both work
    await eventually(lambda: _chosen_is(hub, direct.id), message="the static order first")

    # Timeouts first (the authorization and a delivery wait longer than the hub does), then
    # the whole server answering 503, versions included.
    direct_party.fail_next(2, after=3.0)
    direct_party.fail_next(100_000, versions=True)
    timed_out = await authorize(hub, cpo)
    assert timed_out.status_code == 4002, timed_out.body
    await send_personal_data(hub, cpo, "1", "2", "3")

    await eventually(
        lambda: _chosen_is(hub, via_network.id), timeout=20, message="moved to the network"
    )
    await eventually(
        lambda: sorted(arrivals(network)) == ["C1", "C2", "C3", "S1", "S2", "S3"],
        timeout=20,
        message="queued deliveries followed the party",
    )
    relayed = await authorize(hub, cpo)
    assert relayed.status_code == 1000, relayed.body
    assert [r.path for r in network.reached(EMSP) if r.path.endswith("/authorize")] != []

    direct_party.faults.clear()  # recovery
    await eventually(lambda: _chosen_is(hub, direct.id), timeout=30, message="moved back")
    await send_personal_data(hub, cpo, "4")
    await eventually(
        lambda: {"S4", "C4"} <= set(arrivals(direct_party)), message="new data goes direct"
    )

    counted = Counter(arrivals(network) + arrivals(direct_party))
    assert counted == Counter({f"{k}{n}": 1 for k in "SC" for n in "1234"})
    assert direct_party.refused, "the direct route did fail"
    switches = [(e["from"], e["to"]) for e in logs if e["event"] == "route_chosen"]
    assert (direct.id, via_network.id) in switches and switches[-1] == (via_network.id, direct.id)


async def _chosen_is(hub: RunningHub, platform_id: int) -> bool:
    return await chosen(hub) == platform_id


async def test_a_direct_link_and_a_network_are_two_routes_of_one_party_the_operator_can_choose(
    hub: RunningHub, make_party: MakeParty, hub_env_for: Callable[[str], dict[str, str]]
) -> None:
    """`parties add --via` for a party connected directly adds a network route, and a party
    invited while reachable through a network gets a direct route when it registers: neither
    replaces the other. `routes list` shows both routes of each; `routes prefer` moves a party
    to the route named (every serving process uses it when the command returns), `--via auto`
    gives it back to measured choice; a bad party or a via that is not one of its routes is
    refused and changes nothing."""
    run = ocpi_hub(hub, hub_env_for)
    await registered(hub, await make_party("EMSP", "FR", "EMX"))
    network = await make_party("HUB", "FR", "007", modules=[("sessions", "RECEIVER")])
    answer = await network.register_with(hub.versions_url, await hub.invite("HUB", "FR", "007"))
    assert answer.status_code == 1000, answer.body
    net = next(r["platform_id"] for r in await listed(run) if r["role"] == "HUB")
    for party_id in ("EMX", "EMY"):
        add = await run("parties", "add", "--via", str(net), "--role", "EMSP",
                        "--country-code", "FR", "--party-id", party_id)  # fmt: skip
        assert add.returncode == 0, add.stderr
    await registered(hub, await make_party("EMSP", "FR", "EMY"))

    rows = {(r["party_id"], r["via"]): r for r in await listed(run) if r["role"] == "EMSP"}
    assert set(rows) == {("EMX", None), ("EMX", net), ("EMY", None), ("EMY", net)}
    direct = rows[("EMX", None)]["platform_id"]
    listing = await run("routes", "list", "--json")
    assert listing.returncode == 0, listing.stderr
    found = {row["party"]: row for row in json.loads(listing.stdout)}
    assert sorted(found) == ["FR*EMX", "FR*EMY"]
    assert [(r["kind"], r["sent"]) for r in found["FR*EMX"]["routes"]] == [
        ("direct", 0), ("network", 0)
    ]  # fmt: skip

    preferred = await run("routes", "prefer", "--party", "fr*emx", "--via", str(net), "--json")
    assert preferred.returncode == 0, preferred.stderr
    [row] = json.loads(preferred.stdout)
    assert (row["chosen"], row["preference"], row["reason"]) == (
        net, str(net), "the operator's preference"
    )  # fmt: skip
    hosts = await hub.app[PLATFORMS].platforms_of_party("FR", "EMX")
    assert hosts[0].id == net

    before = (await run("routes", "list", "--json")).stdout
    for args, why in (
        (("--party", "FR*EMX", "--via", "999"), "not a route of FR*EMX"),
        (("--party", "FR*EMZ", "--via", "direct"), "no platform reaches"),
        (("--party", "FREMX", "--via", "direct"), "--party"),
        (("--party", "FR*EMX", "--via", "fast"), "a platform id, direct or auto"),
    ):
        refused = await run("routes", "prefer", *args)
        assert refused.returncode == 1 and why in refused.stderr, (args, refused.stderr)
    assert (await run("routes", "list", "--json")).stdout == before

    automatic = await run("routes", "prefer", "--party", "FR*EMX", "--via", "auto", "--json")
    [row] = json.loads(automatic.stdout)
    assert (row["preference"], row["chosen"]) == ("auto", direct)  # no samples: direct first
    table = (await run("routes", "list")).stdout.splitlines()
    assert table[0].split()[:4] == ["PARTY", "PLATFORM_ID", "KIND", "SENT"]
    assert len(table) == 5


async def test_a_route_setting_that_is_no_number_of_seconds_is_refused(
    hub: RunningHub, hub_env_for: Callable[[str], dict[str, str]]
) -> None:
    """OCPI_HUB_ROUTE_WINDOW and the route intervals take seconds above 0: anything else stops
    the command with a message naming the setting."""
    assert hub.settings.database_url is not None
    env = hub_env_for(hub.settings.database_url)
    for name, value in (("OCPI_HUB_ROUTE_WINDOW", "0"), ("OCPI_HUB_ROUTE_CHOICE_INTERVAL", "x")):
        done = await asyncio.to_thread(cli, {**env, name: value}, "routes", "list")
        assert done.returncode == 1 and name in done.stderr, done.stderr
