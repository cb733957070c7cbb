"""The credentials module end to end: the hub as server (POST/PUT/DELETE/GET) and as initiator.

Checklist §3 (credentials and the A → B → C handshake) and §1.1/§1.4 (tokens, 401/405).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web

from ocpi_hub.core.parties import InterfaceRole, Party, Platform, PlatformStatus
from ocpi_hub.push.connect import ConnectFailed
from ocpi_hub.storage.repositories import outbox, platforms
from tests import factories
from tests.conftest import RunningHub, free_socket, start_hub
from tests.e2e.conftest import RECEIVER_MODULES, eventually
from tests.e2e.fakes import OCPI, Answer, FakeParty, token_header

MakeParty = Callable[..., Any]

CREDENTIALS = f"/ocpi/{OCPI}/credentials"
SENDER_LOCATIONS = f"/ocpi/{OCPI}/sender/locations"
DETAILS = f"/ocpi/{OCPI}"


# ---- helpers ---------------------------------------------------------------------------------


async def invited(hub: RunningHub, party: FakeParty) -> str:
    """A token A for exactly the party's identity, as `ocpi-hub parties invite` issues it."""
    return await hub.invite(party.role, party.country_code, party.party_id)


def accepted_token(party: FakeParty) -> str:
    """A fresh token the fake party accepts on its endpoints (a token B from its side)."""
    return party.issue_token_a()


async def post_credentials(
    hub: RunningHub, party: FakeParty, token: str, body: Any = None
) -> tuple[Answer, str]:
    """POST the party's credentials (with a fresh token B, unless `body` is given) to the hub."""
    token_b = accepted_token(party)
    json = party.credentials(token_b) if body is None else body
    answer = await party.call_url("POST", hub.url + CREDENTIALS, token=token, json=json)
    return answer, token_b


async def put_credentials(
    hub: RunningHub, party: FakeParty, token_c: str, body: dict[str, Any]
) -> Answer:
    """PUT new credentials for a registered party, authenticated with its token C."""
    return await party.call_url("PUT", hub.url + CREDENTIALS, token=token_c, json=body)


async def platform_of(hub: RunningHub, party: FakeParty) -> Platform:
    """The one platform hosting the party's identity."""
    found = await platforms.platforms_of_party(hub.pool, party.country_code, party.party_id)
    assert len(found) == 1, found
    return found[0]


def callbacks(party: FakeParty) -> list[tuple[str, str, str | None]]:
    """What the hub asked the party: (method, path, Authorization) per request."""
    return [(r.method, r.path, r.header("Authorization")) for r in party.received]


async def status_with(hub: RunningHub, party: FakeParty, token: str, path: str) -> int:
    answer = await party.call_url("GET", hub.url + path, token=token)
    return answer.status


async def assert_works(hub: RunningHub, party: FakeParty, token: str) -> None:
    """The token opens a functional module (so it is a registered platform's token C)."""
    answer = await party.call_url("GET", hub.url + SENDER_LOCATIONS, token=token)
    assert (answer.status, answer.status_code) == (200, 1000), answer.body


async def assert_refused(hub: RunningHub, party: FakeParty, token: str, *paths: str) -> None:
    """The token is refused with HTTP 401 on every path."""
    for path in paths or ("/ocpi/versions", CREDENTIALS, SENDER_LOCATIONS):
        assert await status_with(hub, party, token, path) == 401, path


async def assert_nothing_stored(hub: RunningHub, party: FakeParty, token_a: str) -> None:
    """A failed registration left the invitation as it was: INVITED, no token B, A still valid."""
    platform = await platform_of(hub, party)
    assert platform.status == PlatformStatus.INVITED
    assert platform.outgoing_token is None
    assert platform.endpoints == ()
    versions = await party.call_url("GET", hub.versions_url, token=token_a)
    assert versions.status_code == 1000, versions.body


async def register(hub: RunningHub, party: FakeParty) -> tuple[str, str]:
    """Register the party; return (its token B, the hub's token C)."""
    answer, token_b = await post_credentials(hub, party, await invited(hub, party))
    assert answer.status_code == 1000, answer.body
    party.token_for_hub = answer.data["token"]
    party.hub_token = token_b
    return token_b, answer.data["token"]


def assert_hub_credentials(hub: RunningHub, data: Any, token: str) -> None:
    """`data` is the hub's Credentials object carrying `token` (checklist §3.1)."""
    assert data["token"] == token
    assert data["url"] == hub.versions_url
    roles = [(r["role"], r["country_code"], r["party_id"]) for r in data["roles"]]
    assert roles == [("HUB", "XX", "HUB")]
    assert data["roles"][0]["business_details"]["name"]


async def start(parties: list[FakeParty], party: FakeParty) -> FakeParty:
    """Start a hand-built fake party; the `parties` fixture stops it after the test."""
    await party.start()
    parties.append(party)
    return party


class NoCredentialsParty(FakeParty):
    """A party whose 2.2.1 details lack the credentials endpoint."""

    async def _details(self, request: web.Request) -> web.Response:
        endpoints = [
            {"identifier": m, "role": r, "url": f"{self.url}/ocpi/{OCPI}/{m}"}
            for m, r in self.modules
        ]
        return self._reply(request, {"version": OCPI, "endpoints": endpoints})


class OldVersionParty(FakeParty):
    """A party that speaks only OCPI 2.1.1."""

    async def _versions(self, request: web.Request) -> web.Response:
        return self._reply(request, [{"version": "2.1.1", "url": f"{self.url}/ocpi/2.1.1"}])


class AncientParty(FakeParty):
    """A party that speaks only OCPI 2.0, which the hub does not."""

    async def _versions(self, request: web.Request) -> web.Response:
        return self._reply(request, [{"version": "2.0", "url": f"{self.url}/ocpi/2.0"}])


class RefusingParty(FakeParty):
    """A peer that answers the hub's credentials POST with an error (or no credentials)."""

    http_status = 200
    code = 2001

    async def _credentials(self, request: web.Request) -> web.Response:
        return self._reply(
            request, None, status=self.http_status, code=self.code, message="not welcome"
        )


def closed_port_url() -> str:
    """A versions URL on a loopback port nobody listens on."""
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}/ocpi/versions"


@pytest.fixture
async def party(make_party: MakeParty) -> FakeParty:
    """An unregistered eMSP DE*EMA."""
    result: FakeParty = await make_party("EMSP", "DE", "EMA")
    return result


# ---- the hub as server: POST ---------------------------------------------------------------


async def test_post_with_token_a_registers(hub: RunningHub, party: FakeParty) -> None:
    """POST with token A: callbacks with B, hub credentials with a new C, A dead (§3.2, §3.3)."""
    token_a = await invited(hub, party)
    answer, token_b = await post_credentials(hub, party, token_a)

    assert (answer.status, answer.status_code) == (200, 1000), answer.body
    assert callbacks(party) == [
        ("GET", "/ocpi/versions", token_header(token_b)),
        ("GET", DETAILS, token_header(token_b)),
    ]
    token_c = answer.data["token"]
    assert token_c not in (token_a, token_b)
    assert_hub_credentials(hub, answer.data, token_c)

    await assert_refused(hub, party, token_a, "/ocpi/versions", CREDENTIALS)
    await assert_works(hub, party, token_c)
    platform = await platform_of(hub, party)
    assert platform.status == PlatformStatus.REGISTERED
    assert platform.outgoing_token == token_b
    assert platform.versions_url == party.versions_url


async def test_token_c_is_stored_only_as_its_hash(hub: RunningHub, party: FakeParty) -> None:
    """The hub keeps the token C it issued only as SHA-256 (DESIGN.md decision 5, §3.3)."""
    _, token_c = await register(hub, party)
    platform = await platform_of(hub, party)
    row = await hub.pool.fetchrow("SELECT * FROM platforms WHERE id = $1", platform.id)
    assert row is not None
    assert bytes(row["incoming_token_hash"]) == hashlib.sha256(token_c.encode()).digest()
    assert token_c not in repr(dict(row))


async def test_token_a_is_refused_on_functional_modules(hub: RunningHub, party: FakeParty) -> None:
    """Token A on a functional module before registering → HTTP 401 in an envelope (§1.1)."""
    token_a = await invited(hub, party)
    answer = await party.call_url("GET", hub.url + SENDER_LOCATIONS, token=token_a)
    assert answer.status == 401
    assert isinstance(answer.body, dict) and isinstance(answer.status_code, int)
    assert "timestamp" in answer.body


async def test_post_when_registered_is_405(hub: RunningHub, party: FakeParty) -> None:
    """A second POST by a registered platform → 405, registration unchanged (§3.2 POST)."""
    token_b, token_c = await register(hub, party)
    answer, _ = await post_credentials(hub, party, token_c)
    assert answer.status == 405, answer.body
    await assert_works(hub, party, token_c)
    assert (await platform_of(hub, party)).outgoing_token == token_b


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
async def test_put_and_delete_while_invited_are_405(
    hub: RunningHub, party: FakeParty, method: str
) -> None:
    """PUT/DELETE with token A by a not yet registered platform → 405 (§3.2 PUT, DELETE)."""
    token_a = await invited(hub, party)
    json = party.credentials(accepted_token(party)) if method == "PUT" else None
    answer = await party.call_url(method, hub.url + CREDENTIALS, token=token_a, json=json)
    assert answer.status == 405, answer.body
    await assert_nothing_stored(hub, party, token_a)


async def test_concurrent_posts_register_once(hub: RunningHub, party: FakeParty) -> None:
    """Two simultaneous POSTs with one token A: exactly one registers (§3.2 POST 405)."""
    token_a = await invited(hub, party)
    party.delay = 0.2  # both POSTs are inside their callbacks at the same time
    results = await asyncio.gather(
        post_credentials(hub, party, token_a), post_credentials(hub, party, token_a)
    )
    party.delay = 0.0
    winners = [(answer, token_b) for answer, token_b in results if answer.status_code == 1000]
    losers = [answer for answer, _ in results if answer.status_code != 1000]
    assert len(winners) == 1, [answer.body for answer, _ in results]
    assert losers[0].status in (401, 405), losers[0].body
    answer, token_b = winners[0]
    assert (await platform_of(hub, party)).outgoing_token == token_b
    await assert_works(hub, party, answer.data["token"])


async def test_concurrent_puts_rotate_once(hub: RunningHub, party: FakeParty) -> None:
    """Two simultaneous PUTs with one token C: the first rotation kills C, so the other
    fails instead of overwriting it with a token authenticated by a dead C (§3.2 PUT, §3.3)."""
    _, token_c = await register(hub, party)
    party.delay = 0.2  # both PUTs are inside their callbacks at the same time
    bodies = [party.credentials(accepted_token(party)) for _ in range(2)]
    results = await asyncio.gather(*(put_credentials(hub, party, token_c, b) for b in bodies))
    party.delay = 0.0
    winners = [
        (answer, body["token"])
        for answer, body in zip(results, bodies, strict=True)
        if answer.status_code == 1000
    ]
    losers = [answer for answer in results if answer.status_code != 1000]
    assert len(winners) == 1, [answer.body for answer in results]
    assert losers[0].status in (401, 405), losers[0].body
    answer, token_b = winners[0]
    assert (await platform_of(hub, party)).outgoing_token == token_b
    await assert_works(hub, party, answer.data["token"])


# ---- the hub as server: failed POSTs -------------------------------------------------------


async def test_unreachable_versions_url_is_3001(hub: RunningHub, party: FakeParty) -> None:
    """Credentials whose versions URL cannot be reached → 3001, nothing stored (§3.3)."""
    token_a = await invited(hub, party)
    body = party.credentials(accepted_token(party)) | {"url": closed_port_url()}
    answer, _ = await post_credentials(hub, party, token_a, body)
    assert (answer.status, answer.status_code) == (200, 3001), answer.body
    await assert_nothing_stored(hub, party, token_a)


async def test_token_b_refused_by_the_party_is_3001(hub: RunningHub, party: FakeParty) -> None:
    """The party's versions endpoint refuses the token B it sent → 3001, nothing stored."""
    token_a = await invited(hub, party)
    body = party.credentials("a-token-the-party-does-not-accept")
    answer, _ = await post_credentials(hub, party, token_a, body)
    assert (answer.status, answer.status_code) == (200, 3001), answer.body
    await assert_nothing_stored(hub, party, token_a)
    retry, _ = await post_credentials(hub, party, token_a)
    assert retry.status_code == 1000, retry.body


async def test_slow_callback_is_3001(database_url: str, party: FakeParty) -> None:
    """A party that does not answer the callback in time → 3001, nothing stored (§3.3)."""
    hub = await start_hub(database_url, forward_timeout=0.3)
    try:
        token_a = await invited(hub, party)
        party.delay = 1.0
        answer, _ = await post_credentials(hub, party, token_a)
        party.delay = 0.0
        assert (answer.status, answer.status_code) == (200, 3001), answer.body
        await assert_nothing_stored(hub, party, token_a)
    finally:
        await hub.stop()
        await hub.pool.close()


async def test_missing_credentials_endpoint_is_3003(
    hub: RunningHub, parties: list[FakeParty]
) -> None:
    """A party whose details lack `credentials` → 3003, nothing stored (§3.3)."""
    party = await start(parties, NoCredentialsParty("EMSP", "DE", "EMA", RECEIVER_MODULES))
    token_a = await invited(hub, party)
    answer, _ = await post_credentials(hub, party, token_a)
    assert (answer.status, answer.status_code) == (200, 3003), answer.body
    assert "credentials" in answer.body.get("status_message", "")
    await assert_nothing_stored(hub, party, token_a)


async def test_no_mutual_version_is_3002(hub: RunningHub, parties: list[FakeParty]) -> None:
    """A party that offers no 2.2.1 → 3002, nothing stored (§1.4, §3.3)."""
    party = await start(parties, OldVersionParty("EMSP", "DE", "EMA", RECEIVER_MODULES))
    token_a = await invited(hub, party)
    answer, _ = await post_credentials(hub, party, token_a)
    assert (answer.status, answer.status_code) == (200, 3002), answer.body
    await assert_nothing_stored(hub, party, token_a)


def _other_party_id(roles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [roles[0] | {"party_id": "EMX"}]


def _other_role(roles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [roles[0] | {"role": "CPO"}]


def _extra_role(roles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [*roles, roles[0] | {"role": "CPO"}]


@pytest.mark.parametrize("change", [_other_party_id, _other_role, _extra_role])
async def test_roles_other_than_invited_are_2001(
    hub: RunningHub, party: FakeParty, change: Callable[[list[dict[str, Any]]], Any]
) -> None:
    """Roles presented ≠ the invited identity → 2001, nothing stored (§3.1 roles)."""
    token_a = await invited(hub, party)
    body = party.credentials(accepted_token(party))
    body["roles"] = change(body["roles"])
    answer, _ = await post_credentials(hub, party, token_a, body)
    assert (answer.status, answer.status_code) == (200, 2001), answer.body
    await assert_nothing_stored(hub, party, token_a)


async def test_identity_compares_case_insensitively(hub: RunningHub, party: FakeParty) -> None:
    """party_id/country_code are CiStrings: a lower-case spelling of the invited one registers."""
    token_a = await invited(hub, party)
    body = party.credentials(accepted_token(party))
    body["roles"] = [body["roles"][0] | {"country_code": "de", "party_id": "ema"}]
    answer, _ = await post_credentials(hub, party, token_a, body)
    assert answer.status_code == 1000, answer.body
    assert (await platform_of(hub, party)).parties == (Party.of("DE", "EMA", "EMSP"),)


async def test_role_listed_twice_is_2001(hub: RunningHub, party: FakeParty) -> None:
    """Each (role, party_id, country_code) is unique in roles (§3.1) → 2001, nothing stored."""
    token_a = await invited(hub, party)
    body = party.credentials(accepted_token(party))
    body["roles"] = body["roles"] * 2
    answer, _ = await post_credentials(hub, party, token_a, body)
    assert (answer.status, answer.status_code) == (200, 2001), answer.body
    await assert_nothing_stored(hub, party, token_a)


async def test_body_that_is_not_json_is_400(hub: RunningHub, party: FakeParty) -> None:
    """A credentials POST whose body is not JSON → HTTP 400 in an envelope (§1.4)."""
    token_a = await invited(hub, party)
    answer = await party.call_url(
        "POST", hub.url + CREDENTIALS, token=token_a, data=b'{"token": "abc",'
    )
    assert answer.status == 400
    assert isinstance(answer.status_code, int) and answer.status_code != 1000
    await assert_nothing_stored(hub, party, token_a)


def _without_token(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "token"}


def _empty_roles(body: dict[str, Any]) -> dict[str, Any]:
    return body | {"roles": []}


def _long_token(body: dict[str, Any]) -> dict[str, Any]:
    return body | {"token": "t" * 65}


def _token_with_space(body: dict[str, Any]) -> dict[str, Any]:
    return body | {"token": "two words"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (_without_token, "token"),
        (_empty_roles, "roles"),
        (_long_token, "token"),
        (_token_with_space, "token"),
    ],
)
async def test_invalid_credentials_are_2001(
    hub: RunningHub,
    party: FakeParty,
    change: Callable[[dict[str, Any]], dict[str, Any]],
    field: str,
) -> None:
    """A JSON credentials body breaking §3.1 (token string(64), roles +) → 2001 naming the field."""
    token_a = await invited(hub, party)
    body = change(party.credentials(accepted_token(party)))
    answer, _ = await post_credentials(hub, party, token_a, body)
    assert (answer.status, answer.status_code) == (200, 2001), answer.body
    assert field in answer.body.get("status_message", "")
    await assert_nothing_stored(hub, party, token_a)


# ---- the hub as server: PUT, DELETE, GET ---------------------------------------------------


async def test_put_rotates_tokens(hub: RunningHub, party: FakeParty, cpo: FakeParty) -> None:
    """PUT: hub re-fetches versions/details with B', answers a new C', C dies (§3.2 PUT)."""
    _, token_c = await register(hub, party)
    new_b = accepted_token(party)
    party.accepted_tokens = {new_b}  # the party now accepts only B'
    party.received.clear()

    answer = await put_credentials(hub, party, token_c, party.credentials(new_b))

    assert (answer.status, answer.status_code) == (200, 1000), answer.body
    assert callbacks(party) == [
        ("GET", "/ocpi/versions", token_header(new_b)),
        ("GET", DETAILS, token_header(new_b)),
    ]
    new_c = answer.data["token"]
    assert new_c != token_c
    assert_hub_credentials(hub, answer.data, new_c)
    await assert_refused(hub, party, token_c)
    await assert_works(hub, party, new_c)
    assert (await platform_of(hub, party)).outgoing_token == new_b

    location = factories.location(country_code="NL", party_id="CPA", id="LOC1")
    url = f"{hub.url}/ocpi/{OCPI}/receiver/locations/NL/CPA/LOC1"
    pushed = await cpo.call_url("PUT", url, json=location)
    assert pushed.status_code == 1000, pushed.body
    await eventually(lambda: len(party.pushes()) == 1, message="push with B' reaches the party")
    assert party.pushes()[0].header("Authorization") == token_header(new_b)


async def test_put_refetches_endpoints(hub: RunningHub, party: FakeParty) -> None:
    """PUT re-reads the party's endpoints even with the version unchanged (§3.2 PUT)."""
    _, token_c = await register(hub, party)
    party.modules = [*party.modules, ("sessions", "RECEIVER")]
    answer = await put_credentials(hub, party, token_c, party.credentials(accepted_token(party)))
    assert answer.status_code == 1000, answer.body
    platform = await platform_of(hub, party)
    assert platform.endpoint("sessions", InterfaceRole.RECEIVER) == f"{party.url}{DETAILS}/sessions"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda body: body | {"token": "a-token-the-party-does-not-accept"}, 3001),
        (lambda body: body | {"roles": _other_party_id(body["roles"])}, 2001),
        (lambda body: body | {"token": ""}, 2001),
    ],
    ids=["callback-refused", "other-identity", "empty-token"],
)
async def test_failed_put_keeps_the_registration(
    hub: RunningHub,
    party: FakeParty,
    change: Callable[[dict[str, Any]], dict[str, Any]],
    code: int,
) -> None:
    """A PUT that fails (3001, 2001) changes nothing: token C and token B stay (§3.2 PUT)."""
    token_b, token_c = await register(hub, party)
    body = change(party.credentials(accepted_token(party)))
    answer = await put_credentials(hub, party, token_c, body)
    assert (answer.status, answer.status_code) == (200, code), answer.body
    await assert_works(hub, party, token_c)
    platform = await platform_of(hub, party)
    assert (platform.status, platform.outgoing_token) == (PlatformStatus.REGISTERED, token_b)


async def test_delete_unregisters(hub: RunningHub, party: FakeParty) -> None:
    """DELETE: 1000, the token stops working, the platform is UNREGISTERED (§3.2 DELETE)."""
    _, token_c = await register(hub, party)
    answer = await party.call_url("DELETE", hub.url + CREDENTIALS, token=token_c)
    assert (answer.status, answer.status_code) == (200, 1000), answer.body
    await assert_refused(hub, party, token_c)
    listed = [
        (party_, platform.status)
        for platform in await platforms.all_platforms(hub.pool)
        for party_ in platform.parties
    ]
    assert listed == [(Party.of("DE", "EMA", "EMSP"), PlatformStatus.UNREGISTERED)]
    assert (await platform_of(hub, party)).outgoing_token is None


async def test_delete_stops_pushes(hub: RunningHub, party: FakeParty, cpo: FakeParty) -> None:
    """After DELETE the hub queues no more pushes for the platform (§3.2 DELETE: traffic stops)."""
    _, token_c = await register(hub, party)
    platform = await platform_of(hub, party)
    answer = await party.call_url("DELETE", hub.url + CREDENTIALS, token=token_c)
    assert answer.status_code == 1000, answer.body
    location = factories.location(country_code="NL", party_id="CPA", id="LOC1")
    url = f"{hub.url}/ocpi/{OCPI}/receiver/locations/NL/CPA/LOC1"
    pushed = await cpo.call_url("PUT", url, json=location)
    assert pushed.status_code == 1000, pushed.body
    queued = await outbox.listing(hub.pool)
    assert [d for d in queued if d.receiver_platform_id == platform.id] == []


async def test_get_returns_hub_credentials_with_callers_token(
    hub: RunningHub, party: FakeParty
) -> None:
    """GET credentials: the hub's credentials with the caller's current token (§3.2 GET)."""
    _, token_c = await register(hub, party)
    answer = await party.call_url("GET", hub.url + CREDENTIALS, token=token_c)
    assert (answer.status, answer.status_code) == (200, 1000), answer.body
    assert_hub_credentials(hub, answer.data, token_c)


# ---- the hub as initiator ------------------------------------------------------------------


async def connect_to(hub: RunningHub, peer: FakeParty, token_a: str) -> int:
    """`ocpi-hub connect` towards the peer with token A."""
    return await hub.connect(peer.versions_url, token_a)


async def connect_fails(hub: RunningHub, peer: FakeParty, token_a: str) -> str:
    """Connecting fails; no platform row is left behind. Returns the operator's message."""
    with pytest.raises(ConnectFailed) as failed:
        await connect_to(hub, peer, token_a)
    assert await platforms.all_platforms(hub.pool) == []
    return str(failed.value)


async def test_connect_stores_token_c_and_parties(hub: RunningHub, make_party: MakeParty) -> None:
    """connect: token C and the peer's roles stored as its parties (§3.3, initiator side)."""
    peer: FakeParty = await make_party("CPO", "BE", "CPC")
    platform_id = await connect_to(hub, peer, peer.issue_token_a())
    platform = await platforms.get(hub.pool, platform_id)
    assert platform is not None and platform.registered
    assert platform.outgoing_token == peer.hub_token
    assert platform.parties == (Party.of("BE", "CPC", "CPO"),)
    assert platform.versions_url == peer.versions_url


async def test_connect_with_refused_token_a_fails(hub: RunningHub, make_party: MakeParty) -> None:
    """connect with a token A the peer refuses → ConnectFailed naming the cause, nothing kept."""
    peer: FakeParty = await make_party("EMSP", "BE", "EMC")
    message = await connect_fails(hub, peer, "not-a-token-the-peer-issued")
    assert peer.versions_url in message
    assert "401" in message


async def test_connect_without_mutual_version_fails(
    hub: RunningHub, parties: list[FakeParty]
) -> None:
    """connect to a peer with neither 2.2.1 nor 2.1.1 → ConnectFailed naming both, nothing
    kept (§3.3)."""
    peer = await start(parties, AncientParty("EMSP", "BE", "EMC", RECEIVER_MODULES))
    message = await connect_fails(hub, peer, peer.issue_token_a())
    assert "2.2.1 or 2.1.1" in message


@pytest.mark.parametrize(("http_status", "code"), [(200, 2001), (405, 2000), (500, 3000)])
async def test_connect_refused_post_fails(
    hub: RunningHub, parties: list[FakeParty], http_status: int, code: int
) -> None:
    """The peer answers our credentials POST with an error → ConnectFailed, nothing kept."""
    peer = RefusingParty("EMSP", "BE", "EMC", RECEIVER_MODULES)
    peer.http_status, peer.code = http_status, code
    await start(parties, peer)
    message = await connect_fails(hub, peer, peer.issue_token_a())
    assert str(http_status) in message and str(code) in message
    assert "not welcome" in message


async def test_connect_with_invalid_answer_fails(hub: RunningHub, parties: list[FakeParty]) -> None:
    """The peer answers our POST with 1000 but no credentials → ConnectFailed, nothing kept."""
    peer = RefusingParty("EMSP", "BE", "EMC", RECEIVER_MODULES)
    peer.code = 1000
    await start(parties, peer)
    message = await connect_fails(hub, peer, peer.issue_token_a())
    assert "invalid credentials" in message
