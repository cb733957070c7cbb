"""/metrics read from the database at each scrape (issue 12): the outbox's depth and oldest
age per receiver, open findings and fraud alerts by code; and party labels past the cap."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from ocpi_hub.core import findings as finding_rules
from ocpi_hub.core.fraud import Alert
from ocpi_hub.core.fraud import Code as FraudCode
from ocpi_hub.storage.repositories import findings, fraud
from tests import factories
from tests.admin.conftest import Admin, admin  # noqa: F401 (the fixture, for these tests)
from tests.conftest import RunningHub, start_hub
from tests.e2e.conftest import MakeParty, drained, ok, registered
from tests.e2e.test_metrics import HUB, labels, series


@pytest.fixture
async def hub(database_url: str) -> AsyncIterator[RunningHub]:
    """A hub that waits a minute before retrying a delivery, with one party label at most."""
    running = await start_hub(
        database_url, push_backoff_base=60.0, push_backoff_max=60.0, metrics_parties=1
    )
    yield running
    await running.stop()
    await running.pool.close()


async def test_outbox_findings_and_alerts_are_read_at_each_scrape(
    admin: Admin,  # noqa: F811
    make_party: MakeParty,
) -> None:
    """A delivery waiting for an unreachable receiver shows as its pending depth and age;
    open findings and fraud alerts show by code; past the cap a party is `other`."""
    hub = admin.hub
    cpo = await registered(hub, await make_party("CPO", "NL", "CPA"))
    emsp = await registered(hub, await make_party("EMSP", "DE", "EMA"))
    await drained(hub)  # the HubClientInfo pushes of the registrations
    await emsp.go_offline()
    url = f"{hub.url}{HUB}/receiver/locations/NL/CPA/LOC1"
    ok(await cpo.call_url("PUT", url, json=factories.location("NL", "CPA", "LOC1")), 201)
    subject = finding_rules.Subject("cdrs", ("NL", "CPA"), "CDR1")
    unknown_token = finding_rules.Finding(finding_rules.Code.UNKNOWN_TOKEN)
    async with hub.pool.acquire() as conn:
        await findings.record(conn, subject, 1, [("NL", "CPA")], [unknown_token])
        await fraud.raise_alerts(conn, [Alert(FraudCode.REFUSED_BURST, "DE*EMA*U1")])

    found = await series(admin)

    # NL*CPA registered first and took the only party label: DE*EMA is `other`.
    assert found["ocpi_hub_outbox_pending_deliveries"] == {labels(receiver="other"): 1}
    [age] = found["ocpi_hub_outbox_oldest_pending_age_seconds"].values()
    assert 0 <= age < 60
    assert found["ocpi_hub_findings_open"] == {labels(module="cdrs", code="UNKNOWN_TOKEN"): 1}
    assert found["ocpi_hub_fraud_alerts_open"] == {labels(code="REFUSED_BURST"): 1}
    parties = {dict(k)["party"] for k in found["ocpi_hub_requests_total"]}
    assert parties - {"none"} == {"NL*CPA", "other"}
    put = labels(module="locations", interface="RECEIVER", party="NL*CPA", status_code="1000")
    assert found["ocpi_hub_requests_total"][put] == 1
