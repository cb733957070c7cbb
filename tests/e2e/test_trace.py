"""The trace of a message by its correlation id (issue 12): a relayed request is request in →
relay → answer, a push is request in → delivery; `ocpi-hub trace` prints the same as the
admin API, as a real process; an unknown id is refused."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

from tests import factories
from tests.admin.conftest import Admin, admin  # noqa: F401 (the fixture, for these tests)
from tests.e2e.conftest import eventually, ok, to_headers
from tests.e2e.fakes import FakeParty
from tests.e2e.test_metrics import HUB, allowing
from tests.e2e.test_network_cli import ocpi_hub


async def traced(operator: Admin, correlation_id: str, kinds: int) -> list[dict[str, Any]]:
    """The hops of `correlation_id` through the admin API, once `kinds` of them are kept."""

    async def kept() -> bool:
        status, body = await operator.call("GET", f"/trace/{correlation_id}")
        return status == 200 and len(body["hops"]) >= kinds

    await eventually(kept, message=f"{kinds} hops of {correlation_id} are kept")
    status, body = await operator.call("GET", f"/trace/{correlation_id}")
    assert status == 200 and body["correlation_id"] == correlation_id
    return list(body["hops"])


async def test_a_relayed_request_is_request_relay_answer(
    admin: Admin,  # noqa: F811
    cpo: FakeParty,
    emsp: FakeParty,
) -> None:
    """An authorization relayed to the eMSP: the CPO's request in, the relay to the eMSP with
    a request id of its own, and the eMSP's answer, in that order, each with its parties,
    statuses and duration."""
    allowing(emsp)
    correlation_id = str(uuid.uuid4())
    headers = {**to_headers(emsp), "X-Correlation-ID": correlation_id}
    url = f"{admin.hub.url}{HUB}/sender/tokens/U1/authorize"
    ok(await cpo.call_url("POST", url, headers=headers))

    hops = await traced(admin, correlation_id, 3)

    assert [h["kind"] for h in hops] == ["request", "relay", "answer"]
    request, relay, answer = hops
    assert (request["method"], request["url"]) == ("POST", f"{HUB}/sender/tokens/U1/authorize")
    assert (request["from"], request["to"]) == ("NL*CPA", "DE*EMA")
    assert (request["http_status"], request["ocpi_status"]) == (200, 1000)
    [received] = emsp.requests("tokens", "POST")
    assert relay["url"] == emsp.url + received.path + "?type=RFID"
    assert relay["request_id"] == received.header("X-Request-ID") == answer["request_id"]
    assert (relay["from"], relay["to"]) == ("NL*CPA", "DE*EMA")
    assert (answer["from"], answer["to"]) == ("DE*EMA", "NL*CPA")
    assert (answer["http_status"], answer["ocpi_status"], answer["note"]) == (200, 1000, None)
    assert 0 <= answer["duration_ms"] <= request["duration_ms"]
    assert request["offset_ms"] == 0 <= relay["offset_ms"] <= answer["offset_ms"]


async def test_a_push_is_request_then_delivery(
    admin: Admin,  # noqa: F811
    cpo: FakeParty,
    emsp: FakeParty,
) -> None:
    """A Location PUT by the CPO: its request in, then the delivery to the eMSP (from the
    hub, as a broadcast goes) with the eMSP's answer and the verdict."""
    correlation_id = str(uuid.uuid4())
    url = f"{admin.hub.url}{HUB}/receiver/locations/NL/CPA/LOC1"
    location = factories.location("NL", "CPA", "LOC1")
    headers = {"X-Correlation-ID": correlation_id}
    ok(await cpo.call_url("PUT", url, json=location, headers=headers), 201)

    hops = await traced(admin, correlation_id, 2)

    assert [h["kind"] for h in hops] == ["request", "delivery"]
    request, delivery = hops
    assert (request["method"], request["from"], request["http_status"]) == ("PUT", "NL*CPA", 201)
    [pushed] = emsp.pushes()
    assert (delivery["method"], delivery["url"]) == ("PUT", emsp.url + pushed.path)
    # A broadcast goes out FROM the hub, as the eMSP was told.
    assert (delivery["from"], delivery["to"]) == ("XX*HUB", "DE*EMA")
    assert pushed.routing("from") == ("XX", "HUB")
    assert (delivery["http_status"], delivery["ocpi_status"]) == (200, 1000)
    assert delivery["note"] == "DELIVERED"
    assert delivery["request_id"] == pushed.header("X-Request-ID")


async def test_the_trace_command_prints_every_hop(
    admin: Admin,  # noqa: F811
    cpo: FakeParty,
    emsp: FakeParty,
    hub_env_for: Callable[[str], dict[str, str]],
) -> None:
    """`ocpi-hub trace ID --json` prints what the admin API answers; without --json, a table
    with a line per hop; an unknown or empty id exits 1 saying so."""
    correlation_id = str(uuid.uuid4())
    url = f"{admin.hub.url}{HUB}/receiver/locations/NL/CPA/LOC1"
    location = factories.location("NL", "CPA", "LOC1")
    headers = {"X-Correlation-ID": correlation_id}
    ok(await cpo.call_url("PUT", url, json=location, headers=headers), 201)
    hops = await traced(admin, correlation_id, 2)
    run = ocpi_hub(admin.hub, hub_env_for)

    as_json, as_table = (
        await run("trace", correlation_id, "--json"),
        await run("trace", correlation_id),
    )

    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout) == {"correlation_id": correlation_id, "hops": hops}
    assert as_table.returncode == 0, as_table.stderr
    lines = as_table.stdout.splitlines()
    assert correlation_id in lines[0] and lines[1].split()[:3] == ["OFFSET_MS", "KIND", "METHOD"]
    assert [line.split()[1] for line in lines[2:]] == ["request", "delivery"]
    unknown, empty = await run("trace", "no-such-id"), await run("trace", " ")
    assert unknown.returncode == 1 and "no-such-id" in unknown.stderr and not unknown.stdout
    assert empty.returncode == 1 and "CORRELATION_ID" in empty.stderr


async def test_the_api_refuses_unknown_and_bad_ids_and_callers_without_a_token(
    admin: Admin,  # noqa: F811
) -> None:
    """An id with no hops is 404 naming the field, one that cannot be an id (too long) 400
    naming it; no operator token, 401."""
    status, body = await admin.call("GET", "/trace/no-such-id")
    assert status == 404 and body["error"]["field"] == "correlation_id"
    status, body = await admin.call("GET", "/trace/" + "x" * 256)
    assert status == 400 and body["error"]["field"] == "correlation_id"
    status, body = await admin.call("GET", "/trace/no-such-id", token="")
    assert status == 401 and "hops" not in body


async def test_a_relay_without_an_answer_says_why(
    admin: Admin,  # noqa: F811
    cpo: FakeParty,
    emsp: FakeParty,
) -> None:
    """The eMSP offline: the relay's answer hop has no status and a note saying why; the
    request in shows what the hub answered instead."""
    await emsp.go_offline()
    correlation_id = str(uuid.uuid4())
    headers = {**to_headers(emsp), "X-Correlation-ID": correlation_id}
    url = f"{admin.hub.url}{HUB}/sender/tokens/U1/authorize"
    refused = await cpo.call_url("POST", url, headers=headers)
    assert refused.status_code == 4003, refused.body

    request, relay, answer = await traced(admin, correlation_id, 3)

    assert (request["kind"], request["ocpi_status"]) == ("request", 4003)
    assert (relay["kind"], answer["kind"]) == ("relay", "answer")
    assert (answer["http_status"], answer["ocpi_status"]) == (None, None)
    assert answer["note"] and emsp.url.split("//")[1] in answer["note"]
