"""The hub's edge under the attacks a public hub meets (issue 7 §5): control characters in what
is pushed, clients that leave mid-body, bodies too large, and the health views. Raw sockets where
a well-behaved client cannot do it.

Spec: types.asciidoc ("string: only printable UTF-8"), checklist §1.4 (status codes). Choices:
README "Limits and failure behaviour".
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import MutableMapping
from typing import Any

import aiohttp
import orjson
import pytest

from tests import factories
from tests.conftest import RunningHub
from tests.e2e.conftest import eventually
from tests.e2e.fakes import FakeParty, token_header

LOCATIONS = "/ocpi/2.2.1/receiver/locations"
TOKENS = "/ocpi/2.2.1/receiver/tokens"
Logs = list[MutableMapping[str, Any]]


async def connect(hub: RunningHub) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", hub.settings.port)


def put_head(path: str, party: FakeParty, length: int) -> bytes:
    """The head of an authenticated PUT whose body is `length` bytes long."""
    assert party.token_for_hub is not None
    return (
        f"PUT {path} HTTP/1.1\r\nHost: hub\r\nAuthorization: {token_header(party.token_for_hub)}"
        f"\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    ).encode()


async def stored_and_queued(hub: RunningHub) -> tuple[int, int]:
    """(objects stored, deliveries queued) in the hub's database."""
    async with hub.pool.acquire() as conn:
        objects = await conn.fetchval("SELECT count(*) FROM objects")
        deliveries = await conn.fetchval("SELECT count(*) FROM deliveries")
    return objects, deliveries


def events(logs: Logs, name: str) -> list[MutableMapping[str, Any]]:
    return [entry for entry in logs if entry["event"] == name]


# ---- printable strings -------------------------------------------------------------------------


def _location(**overrides: Any) -> dict[str, Any]:
    return factories.location(country_code="NL", party_id="CPA", id="L1", **overrides)


def _deep_location() -> dict[str, Any]:
    body = _location()
    body["evses"][0]["physical_reference"] = "1\x00"
    return body


CONTROL_CHARACTERS = {
    # name: (pushed by, path, body, the field as the message names it)
    "Location name": ("cpo", f"{LOCATIONS}/NL/CPA/L1", _location(name="a\x00b"), "name"),
    "unknown field": ("cpo", f"{LOCATIONS}/NL/CPA/L1", _location(**{"x\x00y": 1}), "x\\u0000y"),
    "nested": ("cpo", f"{LOCATIONS}/NL/CPA/L1", _deep_location(), "evses.0.physical_reference"),
    "Token issuer": ("emsp", f"{TOKENS}/DE/EMA/U1", factories.token(issuer="a\x00b"), "issuer"),
    "escape control": ("cpo", f"{LOCATIONS}/NL/CPA/L1", _location(city="a\x1bb"), "city"),
}


@pytest.mark.parametrize("case", CONTROL_CHARACTERS.values(), ids=list(CONTROL_CHARACTERS))
async def test_a_control_character_in_a_pushed_string_or_field_name_is_2001(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty, case: tuple[str, str, Any, str]
) -> None:
    """A string or field name holding U+0000 (or another control character), known field or
    not, is refused with 2001 naming the field; nothing is stored or delivered (types.asciidoc:
    strings are printable; it used to reach PostgreSQL and answer HTTP 500)."""
    pusher, path, body, field = case
    party = {"cpo": cpo, "emsp": emsp}[pusher]
    before = await stored_and_queued(hub)
    answer = await party.call_url("PUT", hub.url + path, json=body)
    assert (answer.status, answer.status_code) == (200, 2001), answer.body
    assert answer.body["status_message"].startswith(f"{field}: "), answer.body
    assert await stored_and_queued(hub) == before


async def test_a_control_character_in_a_url_segment_is_2001(
    hub: RunningHub, cpo: FakeParty
) -> None:
    """An id in the URL holding U+0000 is 2001 naming the segment, not a PostgreSQL error."""
    answer = await cpo.call_url("GET", f"{hub.url}{LOCATIONS}/NL/CPA/a%00b")
    assert (answer.status, answer.status_code) == (200, 2001), answer.body
    assert answer.body["status_message"].startswith("URL segment location_id: "), answer.body


async def test_tab_line_feed_and_escaped_accents_are_accepted_where_fields_allow(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty
) -> None:
    """Choice (tolerant in): TAB, LF and CR are left to the field types (refused in OCPI strings,
    kept in an unknown field), and a `\u00e9` escape is plain text; only the other control
    characters are refused everywhere."""
    body = _location(name="Caf\u00e9 Nord", x_note="a\tb\r\nc")
    raw = orjson.dumps(body).replace("é".encode(), b"\\u00e9")
    assert b"\\u00e9" in raw
    answer = await cpo.call_url("PUT", f"{hub.url}{LOCATIONS}/NL/CPA/L1", data=raw)
    assert (answer.status, answer.status_code) == (201, 1000), answer.body
    await eventually(lambda: len(emsp.pushes()) == 1, message="the Location is delivered")
    delivered = emsp.pushes()[0].body
    assert (delivered["name"], delivered["x_note"]) == ("Caf\u00e9 Nord", "a\tb\r\nc")


# ---- bodies too large -------------------------------------------------------------------------


async def test_a_body_over_the_size_limit_is_a_client_error(
    hub: RunningHub, cpo: FakeParty
) -> None:
    """A body over 1 MiB is answered HTTP 413 with status 2000 (the client's doing, not a 3000
    server error), in an envelope."""
    body = orjson.dumps(_location(x_padding="a" * (1 << 20)))
    answer = await cpo.call_url("PUT", f"{hub.url}{LOCATIONS}/NL/CPA/L1", data=body)
    assert (answer.status, answer.status_code) == (413, 2000), answer.body
    assert await stored_and_queued(hub) == (0, 0)


# ---- a client that leaves ----------------------------------------------------------------------


async def test_a_client_leaving_mid_body_is_not_a_hub_failure(
    hub: RunningHub, cpo: FakeParty, logs: Logs, caplog: pytest.LogCaptureFixture
) -> None:
    """A client closing its connection while the hub reads the body is logged as
    `client_disconnected` (info), not as an unhandled error with a traceback; nothing is
    stored."""
    body = orjson.dumps(_location())
    _, writer = await connect(hub)
    writer.write(put_head(f"{LOCATIONS}/NL/CPA/L1", cpo, len(body)) + body[: len(body) // 2])
    await writer.drain()
    writer.close()
    await eventually(lambda: bool(events(logs, "client_disconnected")), message="handled")
    assert events(logs, "unhandled_error") == []
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert await stored_and_queued(hub) == (0, 0)


# ---- health ------------------------------------------------------------------------------------


async def test_health_has_a_liveness_and_a_readiness_view(hub: RunningHub) -> None:
    """`/health` is readiness (the database answers), `/health/live` liveness; neither needs a
    token. (The database outage itself: tests/e2e/test_outage.py.)"""
    async with aiohttp.ClientSession() as session:
        async with session.get(hub.url + "/health") as ready:
            assert ready.status == 200
            assert (await ready.json())["data"] == {"status": "ok", "database": "reachable"}
        async with session.get(hub.url + "/health/live") as live:
            assert live.status == 200
            assert (await live.json())["data"] == {"status": "ok"}
