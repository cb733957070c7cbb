"""The 2.1.1 fake party enforces 2.1.1 (tests/e2e/fakes211.py), called directly."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.e2e.fakes import token_header
from tests.e2e.fakes211 import FakeParty211, cpo211, location211
from tests.factories import location as location_221


@pytest.fixture
async def cpo() -> AsyncIterator[FakeParty211]:
    fake = await cpo211().start()
    try:
        yield fake
    finally:
        await fake.stop()


async def test_details_carry_no_role_and_versions_only_211(cpo: FakeParty211) -> None:
    """Versions lists only 2.1.1; its Endpoints are identifier and url, no role."""
    token = cpo.issue_token_a()
    versions = await cpo.call_url("GET", cpo.versions_url, token=token)
    assert [v["version"] for v in versions.data] == ["2.1.1"]
    details = await cpo.call_url("GET", versions.data[0]["url"], token=token)
    endpoints = details.data["endpoints"]
    assert {e["identifier"] for e in endpoints} >= {"credentials", "locations", "tokens"}
    assert all(set(e) == {"identifier", "url"} for e in endpoints)


async def test_base64_token_is_401(cpo: FakeParty211) -> None:
    """A Base64-encoded valid token is refused 401; the raw one is accepted."""
    token = cpo.issue_token_a()
    assert cpo.session is not None
    async with cpo.session.get(
        cpo.versions_url, headers={"Authorization": token_header(token)}
    ) as answer:
        assert answer.status == 401
    assert (await cpo.call_url("GET", cpo.versions_url, token=token)).status == 200


async def test_221_location_put_is_refused_naming_type(cpo: FakeParty211) -> None:
    """A 2.2.1-shaped Location PUT is answered 400/2001 naming `type` and recorded refused."""
    token = cpo.issue_token_a()
    url = f"{cpo.url}/ocpi/2.1.1/locations/NL/CPA/LOC9"
    answer = await cpo.call_url("PUT", url, token=token, json=location_221("NL", "CPA", "LOC9"))
    assert (answer.status, answer.status_code) == (400, 2001)
    message = answer.body["status_message"]
    assert "Location.type: is required" in message
    assert "Location.publish: is not a field of the 2.1.1 Location" in message
    assert len(cpo.refused) == 1 and not cpo.locations


async def test_211_location_put_and_patch_are_stored(cpo: FakeParty211) -> None:
    """A 2.1.1 Location PUT is stored; a PATCH is checked on the fields present only."""
    token = cpo.issue_token_a()
    url = f"{cpo.url}/ocpi/2.1.1/locations/NL/CPA/LOC9"
    assert (await cpo.call_url("PUT", url, token=token, json=location211("LOC9"))).status == 200
    patch = await cpo.call_url("PATCH", url, token=token, json={"type": "PARKING_LOT"})
    assert patch.status_code == 1000
    bad = await cpo.call_url("PATCH", url, token=token, json={"parking_type": "PARKING_LOT"})
    assert bad.status_code == 2001 and "parking_type" in bad.body["status_message"]
    assert cpo.locations["NL/CPA/LOC9"]["type"] == "PARKING_LOT"


async def test_command_answered_with_211_command_response(cpo: FakeParty211) -> None:
    """A valid START_SESSION is answered {"result": "ACCEPTED"}; a connector_id is refused."""
    token = cpo.issue_token_a()
    url = f"{cpo.url}/ocpi/2.1.1/commands/START_SESSION"
    body = {
        "response_url": "http://127.0.0.1:1/cb",
        "token": {
            "uid": "U1",
            "type": "RFID",
            "auth_id": "NL-EMA-U1",
            "issuer": "x",
            "valid": True,
            "whitelist": "ALLOWED",
            "last_updated": "2024-01-01T10:00:00Z",
        },
        "location_id": "LOC1",
    }
    answer = await cpo.call_url("POST", url, token=token, json=body)
    assert answer.data == {"result": "ACCEPTED"}
    refused = await cpo.call_url("POST", url, token=token, json={**body, "connector_id": "1"})
    assert refused.status_code == 2001


async def test_two_211_fakes_register_and_relay_a_command_result(cpo: FakeParty211) -> None:
    """register_with speaks 2.1.1 credentials both ways (raw tokens); command_result POSTs a
    2.1.1 CommandResponse, and a 2.2.1 CommandResult detail value is refused there."""
    emsp = FakeParty211("EMSP", "DE", "EMA", modules=[("tokens", "SENDER")])
    await emsp.start()
    try:
        answer = await emsp.register_with(cpo.versions_url, cpo.issue_token_a())
        assert answer.status_code == 1000, answer.body
        assert set(answer.data) == {"token", "url", "business_details", "party_id", "country_code"}
        assert cpo.peer_credentials is not None and cpo.peer_credentials["party_id"] == "EMA"
        assert emsp.endpoints[("locations", "SENDER")].endswith("/ocpi/2.1.1/locations")
        assert emsp.breaches == []
        url = emsp.response_url("cmd1")
        assert (await cpo.command_result(url, "ACCEPTED")).status_code == 1000
        refused = await cpo.command_result(url, "EVSE_OCCUPIED")
        assert refused.status_code == 2001 and "CommandResponse.result" in str(refused.body)
    finally:
        await emsp.stop()
