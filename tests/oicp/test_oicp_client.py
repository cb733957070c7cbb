"""The OICP client's rules on our side (push.oicp.client), against the enforcing FakeHubject
over mutual TLS: a call over an operation's rate limit is answered 429 without being sent, and
pushes of one operation go one at a time (the fake fails the test on a concurrent push)."""

from __future__ import annotations

import asyncio

from ocpi_hub.push.oicp.client import OicpClient
from tests.oicp import examples
from tests.oicp.certs import TestCA
from tests.oicp.fake_hubject import FakeHubject


def client_of(fake: FakeHubject, ca: TestCA, name: str, limits: dict[str, int]) -> OicpClient:
    certificate = ca.client(name)
    fake.partner(name, operator_ids=(examples.OPERATOR,))
    return OicpClient(fake.url, certificate.client_context(), rate_limits=limits)


def sent(fake: FakeHubject, operation: str) -> int:
    return len([c for c in fake.received if c.operation == operation])


async def test_a_call_over_the_rate_limit_is_answered_429_and_not_sent(
    fake_hubject: FakeHubject, hubject_ca: TestCA
) -> None:
    """With 2 AuthorizeStarts a minute, the third within the minute is not sent: HTTP 429 with
    the seconds until the oldest leaves the window as its Retry-After."""
    ids = {"operatorID": examples.OPERATOR}
    limits = {"eRoamingAuthorizeStart": 2}
    async with client_of(fake_hubject, hubject_ca, "limited.ocpi.test", limits) as client:
        for _ in range(2):
            done = await client.call(
                "eRoamingAuthorizeStart", examples.authorize_start(), timeout=5, ids=ids
            )
            assert done.http_status == 200, done.body
        third = await client.call(
            "eRoamingAuthorizeStart", examples.authorize_start(), timeout=1, ids=ids
        )
    assert third.http_status == 429 and third.retry_after is not None
    assert 58 <= third.retry_after <= 60
    assert sent(fake_hubject, "eRoamingAuthorizeStart") == 2


async def test_pushes_of_one_operation_go_one_at_a_time(
    fake_hubject: FakeHubject, hubject_ca: TestCA
) -> None:
    """Three EVSE status pushes started together reach Hubject one after the other (the fake
    answers each after 0.2 s and records any push that overlaps another as a violation)."""
    fake_hubject.delay = 0.2
    fake_hubject.seed_evse_data(examples.OPERATOR, [examples.evse_data_record()])
    ids = {"operatorID": examples.OPERATOR}
    async with client_of(fake_hubject, hubject_ca, "pusher.ocpi.test", {}) as client:
        body = examples.push_evse_status()
        calls = [client.call("eRoamingPushEvseStatus", body, timeout=5, ids=ids) for _ in range(3)]
        answers = await asyncio.gather(*calls)
    assert [a.http_status for a in answers] == [200, 200, 200]
    assert sent(fake_hubject, "eRoamingPushEvseStatus") == 3
