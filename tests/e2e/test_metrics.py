"""/metrics (issue 12): the Prometheus series after real traffic through a running hub, party
labels bounded by OCPI_HUB_METRICS_PARTIES, and no series without an operator token."""

from __future__ import annotations

from typing import Any

import aiohttp
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from tests import factories
from tests.admin.conftest import Admin, admin  # noqa: F401 (the fixture, for these tests)
from tests.conftest import RunningHub
from tests.e2e.conftest import eventually, ok, to_headers
from tests.e2e.fakes import FakeParty

HUB = "/ocpi/2.2.1"
Labels = frozenset[tuple[str, str]]


async def scrape(hub: RunningHub, token: str | None) -> tuple[int, str]:
    """(HTTP status, body) of GET /metrics with `token` as a bearer token (None: no header)."""
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{hub.url}/metrics", headers=headers) as answer,
    ):
        return answer.status, await answer.text()


async def series(operator: Admin) -> dict[str, dict[Labels, float]]:
    """Every sample of a scrape, by sample name and labels (parsed as Prometheus does)."""
    status, text = await scrape(operator.hub, operator.token)
    assert status == 200, text
    found: dict[str, dict[Labels, float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, {})[frozenset(sample.labels.items())] = sample.value
    return found


def labels(**values: str) -> Labels:
    return frozenset(values.items())


def allowing(emsp: FakeParty) -> None:
    """Make `emsp` answer real-time authorizations ALLOWED."""

    async def authorize(request: web.Request, body: Any) -> web.Response:
        return emsp.reply(request, {"allowed": "ALLOWED", "token": factories.token("U1")})

    emsp.handlers["tokens"] = authorize


async def test_traffic_shows_in_the_series_with_its_labels(
    admin: Admin,  # noqa: F811
    cpo: FakeParty,
    emsp: FakeParty,
) -> None:
    """A Location pushed by the CPO and an authorization relayed to the eMSP show as requests
    by module, interface, party and status code; a relay latency of the eMSP; a delivery
    delivered; an authorization ALLOWED answered by the eMSP itself."""
    hub = admin.hub
    location = factories.location("NL", "CPA", "LOC1")
    url = f"{hub.url}{HUB}/receiver/locations/NL/CPA/LOC1"
    ok(await cpo.call_url("PUT", url, json=location), 201)
    await eventually(lambda: len(emsp.pushes()) == 1, message="the Location is delivered")
    allowing(emsp)
    authorize = f"{hub.url}{HUB}/sender/tokens/U1/authorize"
    ok(await cpo.call_url("POST", authorize, headers=to_headers(emsp)))

    async def counted() -> bool:
        found = await series(admin)
        return found.get("ocpi_hub_deliveries_total", {}).get(labels(result="delivered"), 0) >= 1

    await eventually(counted, message="the delivery is counted")
    found = await series(admin)
    requests = found["ocpi_hub_requests_total"]
    put = labels(module="locations", interface="RECEIVER", party="NL*CPA", status_code="1000")
    asked = labels(module="tokens", interface="SENDER", party="NL*CPA", status_code="1000")
    assert requests[put] == 1 and requests[asked] == 1
    assert requests[labels(module="credentials", interface="", party="DE*EMA", status_code="1000")]
    assert found["ocpi_hub_relay_duration_seconds_count"] == {labels(party="DE*EMA"): 1}
    assert found["ocpi_hub_relay_duration_seconds_sum"][labels(party="DE*EMA")] > 0
    assert found["ocpi_hub_authorizations_total"] == {
        labels(outcome="ALLOWED", on_behalf="false"): 1
    }


async def test_metrics_need_an_operator_token(admin: Admin, cpo: FakeParty) -> None:  # noqa: F811
    """No token, an unknown one, or a party's OCPI token: 401 and no series."""
    assert cpo.token_for_hub is not None
    for token in (None, "", "not-a-token", cpo.token_for_hub):
        status, body = await scrape(admin.hub, token)
        assert status == 401 and "ocpi_hub_" not in body
    assert (await scrape(admin.hub, admin.token))[0] == 200


async def test_an_authorization_answered_on_the_emsps_behalf_is_counted_so(
    admin: Admin,  # noqa: F811
    cpo: FakeParty,
    emsp: FakeParty,
) -> None:
    """The eMSP offline, its Token whitelisted ALWAYS: the hub answers ALLOWED for it, counted
    with on_behalf="true"; the failed relay is still a latency sample of the eMSP."""
    hub = admin.hub
    url = f"{hub.url}{HUB}/receiver/tokens/DE/EMA/U1"
    ok(await emsp.call_url("PUT", url, json=factories.token("U1", whitelist="ALWAYS")), 201)
    await emsp.go_offline()

    answer = ok(await cpo.call_url("POST", f"{hub.url}{HUB}/sender/tokens/U1/authorize"))

    assert answer["allowed"] == "ALLOWED"
    found = await series(admin)
    assert found["ocpi_hub_authorizations_total"] == {
        labels(outcome="ALLOWED", on_behalf="true"): 1
    }
    assert found["ocpi_hub_relay_duration_seconds_count"] == {labels(party="DE*EMA"): 1}
