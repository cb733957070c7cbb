"""Transport and format against a real hub: envelope, ids, tokens, trailing slashes, routing
headers (checklist §1.1-§1.4, §1.6), and the sans-I/O core staying free of I/O libraries."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import textwrap
import uuid
from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest

from tests import factories
from tests.conftest import RunningHub
from tests.e2e.conftest import RECEIVER_MODULES, SENDER_MODULES, registered
from tests.e2e.fakes import OCPI, Answer, FakeParty

VERSIONS = "/ocpi/versions"
DETAILS = f"/ocpi/{OCPI}"
CREDENTIALS = f"/ocpi/{OCPI}/credentials"
SENDER_LOCATIONS = f"/ocpi/{OCPI}/sender/locations"
RECEIVER_LOCATIONS = f"/ocpi/{OCPI}/receiver/locations"

TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
ROUTING_HEADERS = (
    "OCPI-to-country-code",
    "OCPI-to-party-id",
    "OCPI-from-country-code",
    "OCPI-from-party-id",
)


# ---- fixtures and helpers --------------------------------------------------------------------


async def _registered_party(
    hub: RunningHub, role: str, cc: str, pid: str, modules: list[tuple[str, str]]
) -> AsyncIterator[FakeParty]:
    party = await FakeParty(role, cc, pid, modules=modules).start()
    try:
        yield await registered(hub, party)
    finally:
        await party.stop()


@pytest.fixture
async def emsp(hub: RunningHub) -> AsyncIterator[FakeParty]:
    """A registered eMSP DE*EMA."""
    async for party in _registered_party(hub, "EMSP", "DE", "EMA", RECEIVER_MODULES):
        yield party


@pytest.fixture
async def cpo(hub: RunningHub) -> AsyncIterator[FakeParty]:
    """A registered CPO NL*CPA."""
    async for party in _registered_party(hub, "CPO", "NL", "CPA", SENDER_MODULES):
        yield party


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


def b64(token: str) -> str:
    return base64.b64encode(token.encode()).decode()


async def send(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    authorization: str | None = None,
    headers: dict[str, str] | None = None,
    data: bytes | None = None,
) -> Answer:
    """One request exactly as given: no ids or token added unless passed."""
    sent = dict(headers or {})
    if authorization is not None:
        sent["Authorization"] = authorization
    if data is not None:
        sent["Content-Type"] = "application/json"
    async with session.request(method, url, headers=sent, data=data) as response:
        return await Answer.read(response)


def assert_envelope(answer: Answer) -> None:
    """An OCPI response envelope: int status_code, timestamp YYYY-MM-DDThh:mm:ssZ (§1.3)."""
    assert isinstance(answer.body, dict), answer.body
    assert isinstance(answer.body.get("status_code"), int), answer.body
    assert TIMESTAMP.fullmatch(answer.body.get("timestamp", "")), answer.body


def assert_uuid(value: str | None) -> None:
    assert value is not None
    uuid.UUID(value)


def header(answer: Answer, name: str) -> str | None:
    return next((v for k, v in answer.headers.items() if k.lower() == name.lower()), None)


def routing(answer: Answer) -> dict[str, str | None]:
    return {name: header(answer, name) for name in ROUTING_HEADERS}


async def get_as(party: FakeParty, hub: RunningHub, path: str, **headers: str) -> Answer:
    """GET a hub path as the registered party with its token C (Base64)."""
    return await party.call_url("GET", hub.url + path, headers=headers or None)


# ---- §1.3 envelope and §1.2 ids on every kind of response ------------------------------------

# (method, path, send the caller's token, body, expected HTTP status)
RESPONSES = {
    "success": ("GET", VERSIONS, True, None, 200),
    "unauthorized": ("GET", VERSIONS, False, None, 401),
    "unknown path": ("GET", f"/ocpi/{OCPI}/no-such-module", True, None, 404),
    "wrong method": ("DELETE", VERSIONS, True, None, 405),
    "invalid JSON": ("PUT", CREDENTIALS, True, b'{"token": ', 400),
}


@pytest.mark.parametrize("kind", RESPONSES)
@pytest.mark.parametrize("with_ids", [True, False], ids=["ids-given", "ids-absent"])
async def test_every_response_is_an_envelope_with_ids(
    hub: RunningHub,
    emsp: FakeParty,
    session: aiohttp.ClientSession,
    kind: str,
    with_ids: bool,
) -> None:
    """Success and error responses alike: an envelope, ids echoed or generated (§1.2, §1.3)."""
    method, path, with_token, data, http_status = RESPONSES[kind]
    ids = {"X-Request-ID": "req-42", "X-Correlation-ID": "corr-42"} if with_ids else {}
    token = emsp.token_for_hub
    assert token is not None
    answer = await send(
        session,
        method,
        hub.url + path,
        authorization="Token " + b64(token) if with_token else None,
        headers=ids,
        data=data,
    )
    assert answer.status == http_status, answer.body
    assert_envelope(answer)
    assert (answer.status_code == 1000) == (http_status == 200), answer.body
    for name in ("X-Request-ID", "X-Correlation-ID"):
        if with_ids:
            assert header(answer, name) == ids[name]
        else:
            assert_uuid(header(answer, name))


# ---- §1.1 Authorization ----------------------------------------------------------------------

ACCEPTED: dict[str, Callable[[str], str]] = {
    "base64": lambda t: "Token " + b64(t),
    "raw": lambda t: "Token " + t,
    "lower-case scheme": lambda t: "token " + b64(t),
    "upper-case scheme, raw": lambda t: "TOKEN " + t,
}

REFUSED: dict[str, Callable[[str], str | None]] = {
    "missing header": lambda t: None,
    "bearer scheme": lambda t: "Bearer " + b64(t),
    "bearer scheme, raw": lambda t: "Bearer " + t,
    "unknown token": lambda t: "Token " + b64("no-such-token"),
    "scheme only": lambda t: "Token ",
}


@pytest.mark.parametrize("path", [VERSIONS, SENDER_LOCATIONS])
@pytest.mark.parametrize("form", ACCEPTED)
async def test_token_forms_accepted(
    hub: RunningHub, emsp: FakeParty, session: aiohttp.ClientSession, form: str, path: str
) -> None:
    """`Token` + Base64 or raw token, scheme in any case, is accepted (§1.1)."""
    assert emsp.token_for_hub is not None
    authorization = ACCEPTED[form](emsp.token_for_hub)
    answer = await send(session, "GET", hub.url + path, authorization=authorization)
    assert (answer.status, answer.status_code) == (200, 1000), answer.body


@pytest.mark.parametrize("path", [VERSIONS, CREDENTIALS, SENDER_LOCATIONS])
@pytest.mark.parametrize("form", REFUSED)
async def test_token_forms_refused(
    hub: RunningHub, emsp: FakeParty, session: aiohttp.ClientSession, form: str, path: str
) -> None:
    """Missing header, another scheme or an unknown token → HTTP 401 in an envelope (§1.1)."""
    assert emsp.token_for_hub is not None
    authorization = REFUSED[form](emsp.token_for_hub)
    answer = await send(session, "GET", hub.url + path, authorization=authorization)
    assert answer.status == 401, answer.body
    assert_envelope(answer)


# ---- trailing slashes ------------------------------------------------------------------------


@pytest.mark.parametrize("path", [VERSIONS, DETAILS, CREDENTIALS, SENDER_LOCATIONS])
@pytest.mark.parametrize("slash", ["", "/"], ids=["bare", "trailing-slash"])
async def test_trailing_slash_tolerated(
    hub: RunningHub, emsp: FakeParty, path: str, slash: str
) -> None:
    """Each endpoint answers with and without one trailing slash (checklist §4, §7.7)."""
    answer = await get_as(emsp, hub, path + slash)
    assert (answer.status, answer.status_code) == (200, 1000), answer.body


# ---- §1.6 routing headers --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "http_status"),
    [(SENDER_LOCATIONS, 200), (SENDER_LOCATIONS + "/NO-SUCH-LOCATION", 404)],
)
async def test_functional_responses_carry_routing_headers(
    hub: RunningHub, emsp: FakeParty, path: str, http_status: int
) -> None:
    """Functional-module answers: OCPI-to = the caller's party, OCPI-from = the hub (§1.6)."""
    answer = await get_as(emsp, hub, path)
    assert answer.status == http_status, answer.body
    assert routing(answer) == {
        "OCPI-to-country-code": "DE",
        "OCPI-to-party-id": "EMA",
        "OCPI-from-country-code": "XX",
        "OCPI-from-party-id": "HUB",
    }


async def test_push_response_carries_routing_headers(hub: RunningHub, cpo: FakeParty) -> None:
    """A CPO's Location PUT to the hub is answered with to = the CPO, from = the hub (§1.6)."""
    location = factories.location(country_code="NL", party_id="CPA", id="LOC1")
    answer = await cpo.call_url("PUT", f"{hub.url}{RECEIVER_LOCATIONS}/NL/CPA/LOC1", json=location)
    assert answer.status_code == 1000, answer.body
    assert routing(answer) == {
        "OCPI-to-country-code": "NL",
        "OCPI-to-party-id": "CPA",
        "OCPI-from-country-code": "XX",
        "OCPI-from-party-id": "HUB",
    }


@pytest.mark.parametrize("path", [VERSIONS, DETAILS, CREDENTIALS])
async def test_configuration_responses_have_no_routing_headers(
    hub: RunningHub, emsp: FakeParty, path: str
) -> None:
    """versions and credentials never use routing headers (§1.6)."""
    answer = await get_as(emsp, hub, path)
    assert answer.status_code == 1000, answer.body
    assert routing(answer) == dict.fromkeys(ROUTING_HEADERS)


async def test_routing_headers_naming_the_caller_are_accepted(
    hub: RunningHub, emsp: FakeParty
) -> None:
    """OCPI-from = the caller's own party, OCPI-to = the hub: a normal request (§1.6)."""
    answer = await get_as(
        emsp,
        hub,
        SENDER_LOCATIONS,
        **{
            "OCPI-from-country-code": "de",
            "OCPI-from-party-id": "ema",
            "OCPI-to-country-code": "XX",
            "OCPI-to-party-id": "HUB",
        },
    )
    assert (answer.status, answer.status_code) == (200, 1000), answer.body


INVALID_ROUTING = {
    "from another party": {"OCPI-from-country-code": "NL", "OCPI-from-party-id": "CPA"},
    "to country only": {"OCPI-to-country-code": "XX"},
    "to party only": {"OCPI-to-party-id": "HUB"},
    "from party only": {"OCPI-from-party-id": "EMA"},
}


@pytest.mark.parametrize("case", INVALID_ROUTING)
async def test_invalid_routing_headers_are_2001(
    hub: RunningHub, emsp: FakeParty, case: str
) -> None:
    """OCPI-from naming a party not the caller's, or half a header pair → 2001 (§1.6)."""
    answer = await get_as(emsp, hub, SENDER_LOCATIONS, **INVALID_ROUTING[case])
    assert answer.status_code == 2001, answer.body
    assert_envelope(answer)


# ---- architecture ----------------------------------------------------------------------------

_IMPORT_CORE = textwrap.dedent(
    """
    import importlib, json, pkgutil, sys
    import ocpi_hub.core as core
    names = [m.name for m in pkgutil.walk_packages(core.__path__, core.__name__ + ".")]
    for name in names:
        importlib.import_module(name)
    forbidden = sorted(
        m for m in sys.modules if m.split(".")[0] in ("aiohttp", "asyncpg")
    )
    print(json.dumps({"imported": names, "forbidden": forbidden}))
    """
)


def test_core_imports_no_io_libraries() -> None:
    """Every module under ocpi_hub.core imports neither aiohttp nor asyncpg (sans-I/O core)."""
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_CORE], capture_output=True, text=True, check=True
    )
    report = json.loads(result.stdout)
    assert "ocpi_hub.core.handshake" in report["imported"]
    assert "ocpi_hub.core.modules.locations" in report["imported"]
    assert report["forbidden"] == []
