"""The fake Hubject refuses what Hubject refuses: each enforced rule, met by a plain aiohttp
client carrying a test client certificate. This is how we know a hub bug will be caught."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.e2e.conftest import eventually
from tests.e2e.fakes import Answer
from tests.oicp import examples
from tests.oicp.certs import TestCA
from tests.oicp.examples import EVSE, OPERATOR, PROVIDER
from tests.oicp.fake_hubject import PATHS, FakeHubject
from tests.oicp.hubject_state import now, rendered
from tests.oicp.schemas import response_problems

HUB = "ocpi-hub under test"
OTHER = "DE*OTH"  # an operator behind Hubject, not the hub


@dataclass
class Partner:
    """A plain client of the fake, with one partner's certificate."""

    session: aiohttp.ClientSession
    base: str

    async def post(self, operation: str, body: Any, path_id: str = "", query: str = "") -> Answer:
        url = self.base + PATHS[operation].replace("{id}", path_id) + query
        async with self.session.post(url, json=body) as response:
            return await Answer.read(response)


def connector(context: ssl.SSLContext | None) -> aiohttp.TCPConnector:
    return aiohttp.TCPConnector(ssl=context if context else False)


@pytest.fixture
async def hub(hubject_ca: TestCA, fake_hubject: FakeHubject) -> AsyncIterator[Partner]:
    """The hub as Hubject knows it: operator DE*OPA and provider DE-EMA."""
    fake_hubject.partner(HUB, operator_ids=(OPERATOR,), provider_ids=(PROVIDER,))
    context = hubject_ca.client(HUB).client_context()
    async with aiohttp.ClientSession(connector=connector(context)) as session:
        yield Partner(session, fake_hubject.url)


def code(answer: Answer) -> str | None:
    return answer.body["StatusCode"]["Code"] if isinstance(answer.body, dict) else None


# ---- transport: mutual TLS, partners, schemas ------------------------------------------------


async def test_a_certificate_the_test_ca_did_not_sign_fails_the_handshake(
    hubject_ca: TestCA, fake_hubject: FakeHubject, tmp_path: Path
) -> None:
    """Mutual TLS: a client certificate of another CA, or none, never reaches Hubject (both
    clients trust the fake's server certificate: the refusal is the server's)."""
    stranger = TestCA(tmp_path).client("stranger").client_context()
    stranger.load_verify_locations(str(hubject_ca.ca_file))
    anonymous = ssl.create_default_context(cafile=str(hubject_ca.ca_file))
    for context in (stranger, anonymous):
        async with aiohttp.ClientSession(connector=connector(context)) as session:
            with pytest.raises(aiohttp.ClientError):
                url = fake_hubject.url + PATHS["eRoamingPushEvseData"].replace("{id}", OPERATOR)
                async with session.post(url, json=examples.push_evse_data()) as response:
                    await response.read()
    assert fake_hubject.received == []


async def test_a_partner_pushes_evse_data_and_hubject_keeps_it(
    hub: Partner, fake_hubject: FakeHubject
) -> None:
    answer = await hub.post("eRoamingPushEvseData", examples.push_evse_data(), OPERATOR)
    assert (answer.status, answer.body["Result"], code(answer)) == (200, True, "000")
    assert list(fake_hubject.current_evse_data(OPERATOR)) == [EVSE]


async def test_an_unregistered_certificate_is_unauthorized(
    hubject_ca: TestCA, fake_hubject: FakeHubject
) -> None:
    """A certificate of the CA whose CN the portal does not know: 017."""
    fake_hubject.expect_violations("unknown partner 'nobody'")
    context = hubject_ca.client("nobody").client_context()
    async with aiohttp.ClientSession(connector=connector(context)) as session:
        answer = await Partner(session, fake_hubject.url).post(
            "eRoamingPushEvseData", examples.push_evse_data(), OPERATOR
        )
    assert (answer.status, answer.body["Result"], code(answer)) == (200, False, "017")
    assert fake_hubject.current_evse_data() == {}


FOREIGN = [
    # (operation, body, the id in the path, the id that is not the caller's)
    ("eRoamingPushEvseData", examples.push_evse_data(), OTHER, OTHER),
    (
        "eRoamingAuthorizeStart",
        {**examples.authorize_start(), "OperatorID": OTHER},
        OPERATOR,
        OTHER,
    ),
    (
        "eRoamingPullEvseData",
        {**examples.pull_evse_data_delta(), "ProviderID": "DE-OTH"},
        PROVIDER,
        "DE-OTH",
    ),
    (
        "eRoamingChargingNotifications",
        {**examples.charging_notification("End"), "OperatorID": OTHER},
        "",
        OTHER,
    ),
]


@pytest.mark.parametrize(("operation", "body", "path_id", "named"), FOREIGN)
async def test_an_id_of_another_partner_is_unauthorized(
    hub: Partner, fake_hubject: FakeHubject, operation: str, body: Any, path_id: str, named: str
) -> None:
    """§5.1: the OperatorID / ProviderID of the path or the body must be the certificate's."""
    fake_hubject.expect_violations(f"{named} is not {HUB}'s")
    answer = await hub.post(operation, body, path_id)
    assert (answer.status, answer.body["Result"], code(answer)) == (200, False, "017")


async def test_an_invalid_body_is_refused_with_022_naming_the_field(
    hub: Partner, fake_hubject: FakeHubject
) -> None:
    fake_hubject.expect_violations("EvseDataRecord/0: 'HotlinePhoneNumber' is a required property")
    body = examples.push_evse_data()
    del body["OperatorEvseData"]["EvseDataRecord"][0]["HotlinePhoneNumber"]
    answer = await hub.post("eRoamingPushEvseData", body, OPERATOR)
    assert (answer.status, answer.body["Result"], code(answer)) == (400, False, "022")
    assert "HotlinePhoneNumber" in answer.body["StatusCode"]["AdditionalInfo"]
    assert fake_hubject.current_evse_data() == {}


async def test_a_body_that_is_not_json_is_refused(hub: Partner, fake_hubject: FakeHubject) -> None:
    fake_hubject.expect_violations("not JSON")
    url = hub.base + PATHS["eRoamingPushEvseStatus"].replace("{id}", OPERATOR)
    async with hub.session.post(url, data=b"{ActionType: fullLoad") as response:
        answer = await Answer.read(response)
    assert (answer.status, code(answer)) == (400, "022")


async def test_the_violations_fixture_fails_a_test_with_an_unexpected_violation() -> None:
    fake = FakeHubject()
    fake.violations.append("eRoamingPushEvseData: concurrent push for DE*OPA")
    with pytest.raises(AssertionError, match="OICP violations"):
        fake.check_violations()
    fake.expect_violations("concurrent push")
    fake.check_violations()
    fake.expect_violations("never happened")
    with pytest.raises(AssertionError):
        fake.check_violations()


# ---- sequence and rate -----------------------------------------------------------------------


async def test_a_push_while_the_previous_one_is_in_flight_is_refused(
    hub: Partner, fake_hubject: FakeHubject
) -> None:
    """§5.1: pushes of one operation are sequential; a second one in flight gets 429."""
    fake_hubject.expect_violations("concurrent push for DE*OPA")
    fake_hubject.delay = 2.0
    first = asyncio.create_task(
        hub.post("eRoamingPushEvseStatus", examples.push_evse_status("fullLoad"), OPERATOR)
    )
    await eventually(lambda: len(fake_hubject.received) == 1, message="the first push arrives")
    second = await hub.post("eRoamingPushEvseStatus", examples.push_evse_status(), OPERATOR)
    assert (second.status, second.header("Retry-After")) == (429, "1")
    assert (await first).status == 200


async def test_pushes_one_after_the_other_are_fine_and_other_operations_run_alongside(
    hub: Partner, fake_hubject: FakeHubject
) -> None:
    await hub.post("eRoamingPushEvseData", examples.push_evse_data(), OPERATOR)
    fake_hubject.delay = 0.2
    answers = await asyncio.gather(
        hub.post("eRoamingPushEvseStatus", examples.push_evse_status("fullLoad"), OPERATOR),
        hub.post("eRoamingPullEvseData", examples.pull_evse_data_delta(), PROVIDER),
    )
    assert [a.status for a in answers] == [200, 200]
    second = await hub.post("eRoamingPushEvseStatus", examples.push_evse_status(), OPERATOR)
    assert (second.status, second.body["Result"]) == (200, True)


async def test_over_the_rate_limit_hubject_answers_429_with_retry_after(
    hub: Partner, fake_hubject: FakeHubject
) -> None:
    """The AUP's requests per minute, made small for the test: not a violation, counted."""
    fake_hubject.rate_limits["eRoamingPullEvseStatus"] = 2
    pull = {"ProviderID": PROVIDER}
    answers = [await hub.post("eRoamingPullEvseStatus", pull, PROVIDER) for _ in range(3)]
    assert [a.status for a in answers] == [200, 200, 429]
    assert 1 <= int(answers[2].header("Retry-After") or 0) <= 60
    assert fake_hubject.throttled == {"eRoamingPullEvseStatus": 1}
    by_id = await hub.post("eRoamingPullEvseStatus", examples.pull_evse_status_by_id(), PROVIDER)
    assert by_id.status == 200, "each operation has its own limit"


# ---- what pushes change ----------------------------------------------------------------------


async def test_action_types_insert_update_delete_and_full_load(
    hub: Partner, fake_hubject: FakeHubject
) -> None:
    second = examples.evse_data_record("DE*OPA*E0002*1")
    push = examples.push_evse_data

    async def send(body: Any) -> str | None:
        return code(await hub.post("eRoamingPushEvseData", body, OPERATOR))

    assert await send(push("update")) == "009", "update of a record Hubject does not have"
    assert await send(push("insert")) == "000"
    assert await send(push("insert")) == "009", "insert of a record Hubject has"
    assert await send(push("insert", [second])) == "000"
    assert await send(push("update", [examples.evse_data_record(IsOpen24Hours=True)])) == "000"
    assert fake_hubject.current_evse_data()[EVSE]["IsOpen24Hours"] is True
    assert await send(push("delete", [second])) == "000"
    assert list(fake_hubject.current_evse_data()) == [EVSE]
    assert await send(push("fullLoad", [second])) == "000"
    assert list(fake_hubject.current_evse_data()) == ["DE*OPA*E0002*1"]
    assert await send(push("fullLoad", [])) == "000"
    assert fake_hubject.current_evse_data() == {}


async def test_a_status_update_needs_the_evse_in_hubjects_data(
    hub: Partner, fake_hubject: FakeHubject
) -> None:
    status = examples.push_evse_status
    refused = await hub.post("eRoamingPushEvseStatus", status("update", "Occupied"), OPERATOR)
    assert code(refused) == "009"
    await hub.post("eRoamingPushEvseData", examples.push_evse_data(), OPERATOR)
    accepted = await hub.post("eRoamingPushEvseStatus", status("update", "Occupied"), OPERATOR)
    assert code(accepted) == "000"
    assert fake_hubject.current_evse_status() == {EVSE: "Occupied"}


async def test_an_evse_of_another_operator_or_twice_is_inconsistent(
    hub: Partner, fake_hubject: FakeHubject
) -> None:
    fake_hubject.expect_violations(
        "inconsistent EvseID DE*OTH*E1", "inconsistent EvseID DE*OPA*E0001*1"
    )
    foreign = examples.push_evse_data(records=[examples.evse_data_record("DE*OTH*E1")])
    twice = examples.push_evse_data(records=[examples.evse_data_record()] * 2)
    for body in (foreign, twice):
        answer = await hub.post("eRoamingPushEvseData", body, OPERATOR)
        assert (answer.body["Result"], code(answer)) == (False, "018")
    assert fake_hubject.current_evse_data() == {}


async def test_authentication_data_of_another_provider_is_inconsistent(
    hub: Partner, fake_hubject: FakeHubject
) -> None:
    fake_hubject.expect_violations("inconsistent EvcoID DE-OTH-C00000001-4")
    body = examples.push_authentication_data()
    records = body["ProviderAuthenticationData"]["AuthenticationDataRecord"]
    records[1]["Identification"]["QRCodeIdentification"]["EvcoID"] = "DE-OTH-C00000001-4"
    answer = await hub.post("eRoamingPushAuthenticationData", body, PROVIDER)
    assert code(answer) == "019"
    ok = await hub.post(
        "eRoamingPushAuthenticationData", examples.push_authentication_data(), PROVIDER
    )
    assert code(ok) == "000"
    assert len(fake_hubject.authentication_data.current()) == 2


async def test_pricing_products_and_evse_pricing_are_kept(
    hub: Partner, fake_hubject: FakeHubject
) -> None:
    products = await hub.post(
        "eRoamingPushPricingProductData", examples.push_pricing_product_data(), OPERATOR
    )
    pricing = await hub.post("eRoamingPushEVSEPricing", examples.push_evse_pricing(), OPERATOR)
    assert [code(products), code(pricing)] == ["000", "000"]
    (product,) = fake_hubject.pricing_products.current().values()
    assert (product.record["ProductID"], product.record["ProviderID"]) == ("AC3", "*")
    (assigned,) = fake_hubject.evse_pricing.current().values()
    assert assigned.record["EvseIDProductList"] == ["AC3"]


# ---- pulls -----------------------------------------------------------------------------------


def other_operator(fake: FakeHubject, count: int = 3) -> list[str]:
    evse_ids = [f"DE*OTH*E{n}" for n in range(1, count + 1)]
    records = [examples.evse_data_record(e, HubOperatorID=OTHER) for e in evse_ids]
    fake.seed_evse_data(OTHER, records, operator_name="Other Charging")
    return evse_ids


async def test_a_full_pull_serves_every_operators_evse_data_by_page(
    hub: Partner, fake_hubject: FakeHubject
) -> None:
    evse_ids = other_operator(fake_hubject)
    body = {"ProviderID": PROVIDER, "GeoCoordinatesResponseFormat": "Google"}
    first = await hub.post("eRoamingPullEvseData", body, PROVIDER, "?page=0&size=2")
    last = await hub.post("eRoamingPullEvseData", body, PROVIDER, "?page=1&size=2")
    assert response_problems("eRoamingPullEvseData", first.body) == []
    pages = [first.body, last.body]
    assert [r["EvseID"] for p in pages for r in p["content"]] == evse_ids
    assert [(p["first"], p["last"], p["totalElements"], p["totalPages"]) for p in pages] == [
        (True, False, 3, 2),
        (False, True, 3, 2),
    ]
    record = first.body["content"][0]
    assert (record["OperatorID"], record["OperatorName"]) == (OTHER, "Other Charging")
    assert record["GeoCoordinates"] == {"Google": {"Coordinates": "51.340199 12.374830"}}
    assert "deltaType" not in record and record["lastUpdate"].endswith("Z")


async def test_a_pull_filters_by_operator_country_and_search_center(
    hub: Partner, fake_hubject: FakeHubject
) -> None:
    other_operator(fake_hubject, 1)
    far = examples.evse_data_record(
        "DE*FAR*E1",
        GeoCoordinates={"DecimalDegree": {"Latitude": "48.137154", "Longitude": "11.576124"}},
    )
    fake_hubject.seed_evse_data("DE*FAR", [far])
    near = examples.pull_evse_data()
    del near["OperatorIds"]
    answer = await hub.post("eRoamingPullEvseData", near, PROVIDER)
    assert [r["EvseID"] for r in answer.body["content"]] == ["DE*OTH*E1"]
    only = {
        "ProviderID": PROVIDER,
        "GeoCoordinatesResponseFormat": "DecimalDegree",
        "OperatorIds": ["DEFAR"],
    }
    answer = await hub.post("eRoamingPullEvseData", only, PROVIDER)
    assert [r["EvseID"] for r in answer.body["content"]] == ["DE*FAR*E1"]


async def test_a_delta_pull_serves_what_changed_since_last_call(
    hub: Partner, fake_hubject: FakeHubject
) -> None:
    evse_ids = other_operator(fake_hubject)
    body = {"ProviderID": PROVIDER, "GeoCoordinatesResponseFormat": "DecimalDegree"}
    full = await hub.post("eRoamingPullEvseData", body, PROVIDER)
    last_call = max(r["lastUpdate"] for r in full.body["content"])
    await eventually(lambda: rendered(now()) > last_call, message="the clock moves")
    fake_hubject.seed_evse_data(
        OTHER, [examples.evse_data_record(evse_ids[0], IsOpen24Hours=True)], "update"
    )
    fake_hubject.seed_evse_data(OTHER, [examples.evse_data_record(evse_ids[1])], "delete")
    fake_hubject.seed_evse_data(OTHER, [examples.evse_data_record("DE*OTH*E9")], "insert")
    delta = await hub.post("eRoamingPullEvseData", {**body, "LastCall": last_call}, PROVIDER)
    assert response_problems("eRoamingPullEvseData", delta.body) == []
    changes = {r["EvseID"]: r["deltaType"] for r in delta.body["content"]}
    assert changes == {evse_ids[0]: "update", evse_ids[1]: "delete", "DE*OTH*E9": "insert"}


async def test_a_page_size_over_2000_is_refused(hub: Partner, fake_hubject: FakeHubject) -> None:
    fake_hubject.expect_violations("size 1..2000")
    body = examples.pull_evse_data_delta()
    answer = await hub.post("eRoamingPullEvseData", body, PROVIDER, "?page=0&size=2001")
    assert (answer.body["Result"], code(answer)) == (False, "022")


async def test_status_pulls_all_by_id_and_by_operator(
    hub: Partner, fake_hubject: FakeHubject
) -> None:
    evse_ids = other_operator(fake_hubject, 2)
    fake_hubject.seed_evse_status(OTHER, {evse_ids[0]: "Occupied", evse_ids[1]: "Available"})
    every = await hub.post(
        "eRoamingPullEvseStatus", {"ProviderID": PROVIDER, "EvseStatus": "Occupied"}, PROVIDER
    )
    (block,) = every.body["EvseStatuses"]["OperatorEvseStatus"]
    assert (block["OperatorID"], block["EvseStatusRecord"]) == (
        OTHER,
        [{"EvseID": evse_ids[0], "EvseStatus": "Occupied"}],
    )
    by_id = {"ProviderID": PROVIDER, "EvseID": [evse_ids[1], "DE*OTH*E7"]}
    for path in ("eRoamingPullEvseStatus", "eRoamingPullEvseStatusById"):
        answer = await hub.post(path, by_id, PROVIDER)
        assert answer.body["EVSEStatusRecords"]["EvseStatusRecord"] == [
            {"EvseID": evse_ids[1], "EvseStatus": "Available"},
            {"EvseID": "DE*OTH*E7", "EvseStatus": "EvseNotFound"},
        ]
    by_operator = {"ProviderID": PROVIDER, "OperatorID": [OTHER]}
    answer = await hub.post("eRoamingPullEvseStatusByOperatorId", by_operator, PROVIDER)
    assert len(answer.body["EvseStatuses"]["OperatorEvseStatus"][0]["EvseStatusRecord"]) == 2


async def test_get_charge_detail_records_by_time_and_page(
    hub: Partner, fake_hubject: FakeHubject
) -> None:
    sessions = ["00000000-0000-0000-0000-00000000000" + str(n) for n in range(3)]
    for session_id in sessions:
        fake_hubject.seed_cdr(
            examples.charge_detail_record(session_id, EvseID="DE*OTH*E1"), PROVIDER
        )
    fake_hubject.seed_cdr(examples.charge_detail_record(EvseID="DE*OTH*E1"), "DE-OTH")
    window = {"ProviderID": PROVIDER, "From": "2000-01-01T00:00:00Z", "To": "2100-01-01T00:00:00Z"}
    first = await hub.post("eRoamingGetChargeDetailRecords", window, PROVIDER, "?page=0&size=2")
    rest = await hub.post("eRoamingGetChargeDetailRecords", window, PROVIDER, "?page=1&size=2")
    assert response_problems("eRoamingGetChargeDetailRecords", first.body) == []
    assert [c["SessionID"] for p in (first, rest) for c in p.body["content"]] == sessions
    past = {**window, "To": "2001-01-01T00:00:00Z"}
    assert (await hub.post("eRoamingGetChargeDetailRecords", past, PROVIDER)).body["content"] == []


# ---- routing: authorization, remote start, CDRs ----------------------------------------------


async def test_authorize_start_is_routed_to_the_emp_and_issues_a_session(
    hub: Partner, fake_hubject: FakeHubject
) -> None:
    emp = fake_hubject.emp(
        "DE-EMB", authorize_start=lambda body: {"AuthorizationStatus": "Authorized"}
    )
    body = examples.authorize_start()
    del body["SessionID"]
    body["Identification"] = examples.remote("DE-EMB-C00000009-1")
    answer = await hub.post("eRoamingAuthorizeStart", body, OPERATOR)
    assert response_problems("eRoamingAuthorizeStart", answer.body) == []
    assert (answer.body["AuthorizationStatus"], answer.body["ProviderID"]) == (
        "Authorized",
        "DE-EMB",
    )
    session_id = answer.body["SessionID"]
    ((operation, forwarded),) = emp.received
    assert (operation, forwarded["SessionID"]) == ("eRoamingAuthorizeStart", session_id)
    assert fake_hubject.sessions[session_id].provider == "DEEMB"


async def test_an_rfid_is_broadcast_and_any_authorized_answer_wins(
    hub: Partner, fake_hubject: FakeHubject
) -> None:
    refusing = fake_hubject.emp(
        "DE-EMB",
        authorize_start=lambda b: {
            "AuthorizationStatus": "NotAuthorized",
            "StatusCode": {"Code": "102"},
        },
    )
    unreachable = fake_hubject.emp("DE-EMC")
    accepting = fake_hubject.emp(
        "DE-EMD", authorize_start=lambda b: {"AuthorizationStatus": "Authorized"}
    )
    body = {k: v for k, v in examples.authorize_start().items() if k != "SessionID"}
    answer = await hub.post("eRoamingAuthorizeStart", body, OPERATOR)
    assert (answer.body["AuthorizationStatus"], answer.body["ProviderID"]) == (
        "Authorized",
        "DE-EMD",
    )
    assert [len(e.received) for e in (refusing, unreachable, accepting)] == [1, 1, 1]
    fake_hubject.emps.pop("DEEMD")
    refused = await hub.post("eRoamingAuthorizeStart", body, OPERATOR)
    assert (refused.body["AuthorizationStatus"], code(refused)) == ("NotAuthorized", "102")
    assert "SessionID" not in refused.body


async def test_pushed_authentication_data_authorizes_offline(
    hub: Partner, fake_hubject: FakeHubject
) -> None:
    await hub.post("eRoamingPushAuthenticationData", examples.push_authentication_data(), PROVIDER)
    body = {k: v for k, v in examples.authorize_start().items() if k != "SessionID"}
    answer = await hub.post("eRoamingAuthorizeStart", body, OPERATOR)
    assert (answer.body["AuthorizationStatus"], answer.body["ProviderID"]) == (
        "Authorized",
        PROVIDER,
    )
    stop = {**examples.authorize_stop(), "SessionID": answer.body["SessionID"]}
    other_card = {**stop, "Identification": examples.rfid("0A1B2C3D")}
    refused = await hub.post("eRoamingAuthorizeStop", other_card, OPERATOR)
    assert refused.body["AuthorizationStatus"] == "NotAuthorized", "the same medium stops it"
    stopped = await hub.post("eRoamingAuthorizeStop", stop, OPERATOR)
    assert stopped.body["AuthorizationStatus"] == "Authorized"


async def test_authorize_stop_needs_a_session_hubject_issued(
    hub: Partner, fake_hubject: FakeHubject
) -> None:
    answer = await hub.post("eRoamingAuthorizeStop", examples.authorize_stop(), OPERATOR)
    assert (answer.body["AuthorizationStatus"], code(answer)) == ("NotAuthorized", "400")


async def test_a_cdr_needs_an_issued_session_and_is_accepted_once(
    hub: Partner, fake_hubject: FakeHubject
) -> None:
    unknown = await hub.post(
        "eRoamingChargeDetailRecord", examples.charge_detail_record(), OPERATOR
    )
    assert (unknown.body["Result"], code(unknown)) == (False, "400")
    emp = fake_hubject.emp(
        PROVIDER, authorize_start=lambda b: {"AuthorizationStatus": "Authorized"}
    )
    body = {k: v for k, v in examples.authorize_start().items() if k != "SessionID"}
    session_id = (await hub.post("eRoamingAuthorizeStart", body, OPERATOR)).body["SessionID"]
    cdr = examples.charge_detail_record(session_id)
    first = await hub.post("eRoamingChargeDetailRecord", cdr, OPERATOR)
    again = await hub.post("eRoamingChargeDetailRecord", cdr, OPERATOR)
    assert [(a.body["Result"], code(a)) for a in (first, again)] == [(True, "000"), (False, "009")]
    assert fake_hubject.cdrs[session_id].forwarded
    assert emp.received[-1] == ("eRoamingChargeDetailRecord", cdr)
    notification = {**examples.charging_notification("End"), "SessionID": session_id}
    assert code(await hub.post("eRoamingChargingNotifications", notification)) == "000"


async def test_remote_start_and_stop_reach_the_cpo(hub: Partner, fake_hubject: FakeHubject) -> None:
    cpo = fake_hubject.cpo(
        OTHER,
        remote_start=lambda body: {"Result": True, "StatusCode": {"Code": "000"}},
        remote_stop=lambda body: {"Result": True, "StatusCode": {"Code": "000"}},
    )
    start = {**examples.authorize_remote_start(), "EvseID": "DE*OTH*E1"}
    answer = await hub.post("eRoamingAuthorizeRemoteStart", start, PROVIDER)
    assert (answer.body["Result"], code(answer)) == (True, "000")
    session_id = answer.body["SessionID"]
    assert cpo.received[0] == ("eRoamingAuthorizeRemoteStart", {**start, "SessionID": session_id})
    stop = {**examples.authorize_remote_stop(), "EvseID": "DE*OTH*E1", "SessionID": session_id}
    assert (await hub.post("eRoamingAuthorizeRemoteStop", stop, PROVIDER)).body["Result"] is True
    assert fake_hubject.sessions[session_id].stopped


async def test_remote_start_checks_the_operators_evse_data(
    hub: Partner, fake_hubject: FakeHubject
) -> None:
    fake_hubject.cpo(
        OTHER, remote_start=lambda body: {"Result": True, "StatusCode": {"Code": "000"}}
    )
    other_operator(fake_hubject, 1)
    fake_hubject.seed_evse_data(
        OTHER, [examples.evse_data_record("DE*OTH*E2", IsHubjectCompatible=False)]
    )
    codes = []
    for evse_id in ("DE*OTH*E8", "DE*OTH*E2", "DE*NON*E1"):
        start = {**examples.authorize_remote_start(), "EvseID": evse_id}
        codes.append(code(await hub.post("eRoamingAuthorizeRemoteStart", start, PROVIDER)))
    assert codes == ["603", "604", "300"]


# ---- Hubject calling the hub -----------------------------------------------------------------


@dataclass
class StandIn:
    """A TLS server in place of the hub: requires a client certificate of the CA, records what
    arrives (path, certificate CN, body) and answers `answer`."""

    answer: Any
    status: int = 200
    calls: list[tuple[str, str, Any]] | None = None


@pytest.fixture
async def stand_in(hubject_ca: TestCA) -> AsyncIterator[tuple[str, StandIn]]:
    from aiohttp import web

    from tests.e2e.fakes import socket_on

    state = StandIn(answer=None, calls=[])

    async def handle(request: web.Request) -> web.Response:
        cert = request.transport.get_extra_info("peercert") if request.transport else None
        name = dict(pair[0] for pair in cert["subject"])["commonName"] if cert else ""
        assert state.calls is not None
        state.calls.append((request.path, name, await request.json()))
        return web.json_response(state.answer, status=state.status)

    app = web.Application()
    app.router.add_post("/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    sock = socket_on(0)
    await web.SockSite(runner, sock, ssl_context=hubject_ca.server().server_context()).start()
    yield f"https://127.0.0.1:{sock.getsockname()[1]}/oicp", state
    await runner.cleanup()


async def test_hubject_calls_the_hub_with_its_certificate_on_the_partner_path(
    fake_hubject: FakeHubject, stand_in: tuple[str, StandIn]
) -> None:
    url, hub = stand_in
    hub.answer = examples.authorization_start()
    body = {k: v for k, v in examples.authorize_start().items() if k != "SessionID"}
    answer = await fake_hubject.authorize_start(url, body)
    assert answer.body == hub.answer
    ((path, common_name, sent),) = hub.calls or []
    assert path == "/oicp/api/oicp/charging/v21/operators/DE*OPA/authorize/start"
    assert common_name == "Hubject HBS"
    assert sent == {**body, "SessionID": sent["SessionID"]}, "Hubject adds the SessionID"
    assert fake_hubject.sessions[sent["SessionID"]].provider == "DEEMA"


async def test_the_hubs_answers_must_be_valid(
    fake_hubject: FakeHubject, stand_in: tuple[str, StandIn]
) -> None:
    fake_hubject.expect_violations("'Result' is a required property", "answered HTTP 500")
    url, hub = stand_in
    hub.answer = {"StatusCode": {"Code": "000"}}
    await fake_hubject.remote_start(url, examples.authorize_remote_start())
    hub.answer, hub.status = examples.acknowledgement(), 500
    await fake_hubject.forward_cdr(url, examples.charge_detail_record())
    paths = [path for path, _, _ in hub.calls or []]
    assert paths == [
        "/oicp/api/oicp/charging/v21/providers/DE-EMA/authorize-remote/start",
        "/oicp/api/oicp/cdrmgmt/v22/operators/DE*OPA/charge-detail-record",
    ]


async def test_a_cdr_forwarded_to_the_hub_is_kept_as_forwarded(
    fake_hubject: FakeHubject, stand_in: tuple[str, StandIn]
) -> None:
    url, hub = stand_in
    hub.answer = examples.acknowledgement()
    cdr = examples.charge_detail_record()
    fake_hubject.seed_cdr(cdr, PROVIDER)
    answer = await fake_hubject.forward_cdr(url, cdr)
    assert answer.body["Result"] is True
    assert fake_hubject.cdrs[cdr["SessionID"]].forwarded
