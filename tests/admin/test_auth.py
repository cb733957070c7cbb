"""Operator tokens (issue 12): no token, no data; OCPI tokens are never accepted on the admin
API, operator tokens never on OCPI endpoints; a revoked token stops working."""

from __future__ import annotations

from tests.admin.conftest import Admin
from tests.e2e.fakes import token_header


async def test_no_token_and_unknown_tokens_are_401_with_a_json_error(admin: Admin) -> None:
    """Without a token, or with one no operator has, the API answers 401 and no data."""
    for token in ("", "not-a-token"):
        status, body = await admin.call("GET", "/parties", token=token)
        assert status == 401 and "data" not in body
        assert body["error"]["status"] == 401 and body["error"]["message"]


async def test_an_ocpi_token_is_not_an_operator_token(admin: Admin) -> None:
    """A party's token A opens the OCPI credentials module, never the admin API."""
    token_a = await admin.hub.invite("CPO", "NL", "CPA")
    status, _ = await admin.call("GET", "/parties", token=token_a)
    assert status == 401


async def test_an_operator_token_is_not_an_ocpi_token(admin: Admin) -> None:
    """The operator's token, raw or Base64, is 401 on the hub's OCPI endpoints."""
    url = f"{admin.hub.url}/ocpi/2.2.1/credentials"
    for header in (f"Token {admin.token}", token_header(admin.token)):
        async with admin.session.get(url, headers={"Authorization": header}) as answer:
            assert answer.status == 401


async def test_a_revoked_operator_is_refused(admin: Admin) -> None:
    """Once revoked, the token is 401."""
    from ocpi_hub.storage.repositories import operators

    assert (await admin.call("GET", "/parties"))[0] == 200
    assert await operators.revoke(admin.hub.pool, "alice")
    assert (await admin.call("GET", "/parties"))[0] == 401


async def test_an_unknown_resource_is_a_json_404(admin: Admin) -> None:
    """A path under /admin/api that names nothing is 404 in the API's error shape."""
    status, body = await admin.call("GET", "/nothing-here")
    assert status == 404 and body["error"]["status"] == 404
