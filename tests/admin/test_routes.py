"""Routes through the admin API: each party's routes with what they measured, and the
operator's preference (the same actions as `routes list|prefer`, ocpi_hub.operations.routes)."""

from __future__ import annotations

import time

from ocpi_hub.core.route_quality import BUCKETS, LATENCY_BOUNDS_MS, Figures
from ocpi_hub.operations import parties
from ocpi_hub.storage.repositories import routes
from ocpi_hub.storage.repositories.routes import Sample
from ocpi_hub.web.keys import PLATFORMS
from tests.admin.conftest import Admin
from tests.e2e.conftest import MakeParty, registered


async def two_routes(admin: Admin, make_party: MakeParty) -> tuple[int, int]:
    """FR*EMX connected directly and reached through the network FR*007 (which also hosts
    itself): (the direct platform id, the network's)."""
    hub = admin.hub
    await registered(hub, await make_party("EMSP", "FR", "EMX"))
    network = await make_party("HUB", "FR", "007", modules=[("sessions", "RECEIVER")])
    answer = await network.register_with(hub.versions_url, await hub.invite("HUB", "FR", "007"))
    assert answer.status_code == 1000, answer.body
    listed = await parties.listed(hub.pool)
    net = next(r["platform_id"] for r in listed if r["role"] == "HUB")
    await parties.add_remote(
        hub.pool, hub.settings, via=net, role="EMSP", country_code="FR", party_id="EMX"
    )
    direct = next(r["platform_id"] for r in listed if r["party_id"] == "EMX")
    return direct, net


async def test_routes_list_every_party_with_the_figures_measured(
    admin: Admin, make_party: MakeParty
) -> None:
    """GET /routes gives each party with a registered route its routes, the network's with the
    success rate and p95 it measured; `several=true` keeps the parties with a choice, `party`
    one party."""
    direct, net = await two_routes(admin, make_party)
    latencies = [0] * BUCKETS
    latencies[LATENCY_BOUNDS_MS.index(250)] = 20
    await routes.add_samples(
        admin.hub.pool, [Sample(net, time.time(), Figures.of(20, 2, latencies))]
    )

    status, found = await admin.call("GET", "/routes")
    assert status == 200, found
    by_party = {row["party"]: row for row in found}
    assert sorted(by_party) == ["FR*007", "FR*EMX"]
    assert (by_party["FR*007"]["chosen"], by_party["FR*007"]["reason"]) == (net, "its only route")
    emx = by_party["FR*EMX"]
    assert [(r["platform_id"], r["kind"]) for r in emx["routes"]] == [
        (direct, "direct"),
        (net, "network"),
    ]
    network_route = emx["routes"][1]
    assert (network_route["sent"], network_route["failed"]) == (20, 2)
    assert (network_route["success_rate"], network_route["p95_ms"]) == (0.9, 250)

    assert [r["party"] for r in (await admin.call("GET", "/routes?several=true"))[1]] == ["FR*EMX"]
    status, one = await admin.call("GET", "/routes?party=fr*007")
    assert status == 200 and [r["party"] for r in one] == ["FR*007"]


async def test_prefer_moves_a_party_to_the_route_named_and_back_to_measured_choice(
    admin: Admin, make_party: MakeParty
) -> None:
    """POST /routes/prefer {party, via: <network id>} chooses the network for FR*EMX in every
    serving process before it answers; via "auto" gives it back to measured choice."""
    direct, net = await two_routes(admin, make_party)

    status, row = await admin.call("POST", "/routes/prefer", {"party": "fr*emx", "via": net})

    assert status == 200, row
    assert (row["party"], row["chosen"], row["preference"], row["reason"]) == (
        "FR*EMX", net, str(net), "the operator's preference"
    )  # fmt: skip
    hosts = await admin.hub.app[PLATFORMS].platforms_of_party("FR", "EMX")
    assert hosts[0].id == net
    status, row = await admin.call("POST", "/routes/prefer", {"party": "FR*EMX", "via": "auto"})
    assert status == 200 and (row["preference"], row["chosen"]) == ("auto", direct)


async def test_bad_route_requests_name_the_field_and_change_nothing(
    admin: Admin, make_party: MakeParty
) -> None:
    """A malformed or unknown party, a via that is no route of it or not one at all, a missing
    field, a bad filter: 400 naming the field, and the stored choices as they were."""
    await two_routes(admin, make_party)
    before = await routes.choices(admin.hub.pool)
    for body, field in (
        ({"party": "FREMX", "via": "direct"}, "party"),
        ({"party": "FR*EMZ", "via": "direct"}, "party"),
        ({"via": "direct"}, "party"),
        ({"party": "FR*EMX", "via": 999}, "via"),
        ({"party": "FR*EMX", "via": "fast"}, "via"),
        ({"party": "FR*EMX", "via": True}, "via"),
        ({"party": "FR*EMX"}, "via"),
    ):
        status, answer = await admin.call("POST", "/routes/prefer", body)
        assert status == 400 and answer["error"]["field"] == field, (body, answer)
    for query, field in (("several=maybe", "several"), ("party=FREMX", "party")):
        status, answer = await admin.call("GET", f"/routes?{query}")
        assert status == 400 and answer["error"]["field"] == field, (query, answer)
    assert await routes.choices(admin.hub.pool) == before
