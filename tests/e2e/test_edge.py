"""The hub's edge under the attacks a public hub meets (issue 7 §5): control characters in what
is pushed, clients that leave mid-body, bodies too large, the health views, requests aiohttp's
parser refuses, idle floods, slowloris heads and bodies, and the open-file limit. Raw sockets
where a well-behaved client cannot do it.

Spec: checklist §1.3 (every answer an envelope), §1.4 (status codes), types.asciidoc ("string:
only printable UTF-8"). Choices: README "Limits and failure behaviour".
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from tests import factories
from tests.conftest import RunningHub, start_hub
from tests.e2e.conftest import MakeParty, eventually, registered
from tests.e2e.fakes import FakeParty, token_header
from tests.e2e.processes import HubProcess

LOCATIONS = "/ocpi/2.2.1/receiver/locations"
TOKENS = "/ocpi/2.2.1/receiver/tokens"
Logs = list[MutableMapping[str, Any]]


@dataclass
class RawAnswer:
    """An HTTP answer read off a raw socket."""

    status: int
    headers: dict[str, str]  # lower-case names
    body: Any

    @classmethod
    def parse(cls, raw: bytes) -> RawAnswer:
        head, _, body = raw.partition(b"\r\n\r\n")
        status_line, *lines = head.decode().split("\r\n")
        headers = dict(line.split(": ", 1) for line in lines)
        return cls(
            int(status_line.split()[1]),
            {k.lower(): v for k, v in headers.items()},
            orjson.loads(body),
        )


async def connect(hub: RunningHub) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", hub.settings.port)


async def exchange(hub: RunningHub, request: bytes) -> RawAnswer:
    """Send raw bytes on a new connection and read the answer until the hub closes it."""
    reader, writer = await connect(hub)
    try:
        writer.write(request)
        return RawAnswer.parse(await asyncio.wait_for(reader.read(), 10))
    finally:
        writer.close()


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


@pytest.fixture
async def hubs(database_url: str) -> AsyncIterator[Callable[..., Awaitable[RunningHub]]]:
    """Start hubs with setting overrides (small limits); stopped after the test."""
    started: list[RunningHub] = []

    async def start(**overrides: object) -> RunningHub:
        started.append(await start_hub(database_url, **overrides))
        return started[-1]

    yield start
    for running in started:
        await running.stop()
        await running.pool.close()


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


# ---- what the parser refuses -------------------------------------------------------------------

REFUSED_BY_THE_PARSER = {
    "unknown method": (b"FOO /ocpi/versions HTTP/1.1\r\nHost: hub\r\n\r\n", 400),
    "header line over 8190 bytes": (
        b"GET /ocpi/versions HTTP/1.1\r\nHost: hub\r\nX-Long: " + b"a" * 9000 + b"\r\n\r\n",
        431,
    ),
    "TLS on the HTTP port": (b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + b"\x00" * 32, 400),
}


@pytest.mark.parametrize("case", REFUSED_BY_THE_PARSER.values(), ids=list(REFUSED_BY_THE_PARSER))
async def test_requests_the_parser_refuses_get_an_ocpi_envelope(
    hub: RunningHub, logs: Logs, case: tuple[bytes, int]
) -> None:
    """What aiohttp's parser refuses before the application sees it is answered with an OCPI
    envelope (2000, with ids) instead of plain text (checklist §1.3), and logged without a
    traceback."""
    request, http_status = case
    answer = await exchange(hub, request)
    assert answer.status == http_status
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.body["status_code"] == 2000
    assert answer.body["status_message"].startswith("bad HTTP request: ")
    assert "timestamp" in answer.body
    assert answer.headers["x-request-id"] and answer.headers["x-correlation-id"]
    assert [e["http_status"] for e in events(logs, "bad_http_request")] == [http_status]
    assert [e for e in logs if e["log_level"] in ("error", "critical")] == []


# ---- connection limits -------------------------------------------------------------------------


async def test_idle_connections_over_the_cap_make_room_for_new_ones(
    hubs: Callable[..., Awaitable[RunningHub]], make_party: MakeParty
) -> None:
    """Idle connections past OCPI_HUB_MAX_CONNECTIONS do not lock the hub out: the one idle
    longest is closed for a new one, and /health and OCPI calls are answered (it used to run
    out of open files)."""
    hub = await hubs(max_connections=8)
    cpo = await registered(hub, await make_party("CPO", "NL", "CPA"))
    idle = [await connect(hub) for _ in range(30)]
    try:
        async with aiohttp.ClientSession() as session, session.get(hub.url + "/health") as ready:
            assert ready.status == 200
        answer = await cpo.call_url("GET", hub.url + "/ocpi/versions")
        assert (answer.status, answer.status_code) == (200, 1000)
        server = hub.runner.server
        assert server is not None
        await eventually(lambda: len(server.connections) <= 8, message="at most the cap open")
        await eventually(
            lambda: sum(reader.at_eof() for reader, _ in idle) >= 30 - 8,
            message="the idle connections were closed by the hub",
        )
    finally:
        for _, writer in idle:
            writer.close()


async def test_a_newcomer_is_answered_503_when_every_connection_is_busy(
    hubs: Callable[..., Awaitable[RunningHub]], make_party: MakeParty
) -> None:
    """When every connection under the cap is busy with a request, a new one is answered 3000
    with HTTP 503 and Retry-After and closed; once one frees up the hub answers again."""
    hub = await hubs(max_connections=4)
    cpo = await registered(hub, await make_party("CPO", "NL", "CPA"))
    server = hub.runner.server
    assert server is not None
    busy = [await connect(hub) for _ in range(4)]
    try:
        for _, writer in busy:  # bodies announced, never sent: each handler waits for its body
            writer.write(put_head(f"{LOCATIONS}/NL/CPA/L1", cpo, 100))
        await eventually(
            lambda: sum(getattr(c, "busy", False) for c in server.connections) == 4,
            message="four requests in progress",
        )
        answer = await exchange(hub, b"")
        assert (answer.status, answer.body["status_code"]) == (503, 3000)
        assert answer.headers["retry-after"] == "1"
    finally:
        for _, writer in busy:
            writer.close()
    await eventually(lambda: len(server.connections) < 4, message="the busy ones are gone")
    answer = await cpo.call_url("GET", hub.url + "/ocpi/versions")
    assert (answer.status, answer.status_code) == (200, 1000)


async def test_a_request_head_sent_slowly_is_closed(
    hubs: Callable[..., Awaitable[RunningHub]],
) -> None:
    """A head trickled in byte by byte (slowloris) is closed after OCPI_HUB_KEEPALIVE_TIMEOUT,
    however steadily it trickles (it used to stay open)."""
    hub = await hubs(keepalive_timeout=0.5)
    reader, writer = await connect(hub)

    async def trickle() -> None:
        writer.write(b"GET /health HTTP/1.1\r\nHost: hub\r\n")
        while not writer.is_closing():
            writer.write(b"X-Slow: 1\r\n")  # a header line every 50 ms, never the end
            await asyncio.sleep(0.05)

    trickling = asyncio.create_task(trickle())
    try:
        assert await asyncio.wait_for(reader.read(), 10) == b""  # closed, no answer
    finally:
        writer.close()
        await trickling


async def test_a_body_sent_slowly_is_answered_408_and_closed(
    hubs: Callable[..., Awaitable[RunningHub]], make_party: MakeParty
) -> None:
    """A body that has not all arrived OCPI_HUB_READ_TIMEOUT after its head is answered 2000
    with HTTP 408, the connection is closed, and nothing is stored."""
    hub = await hubs(read_timeout=0.5)
    cpo = await registered(hub, await make_party("CPO", "NL", "CPA"))
    answer = await exchange(hub, put_head(f"{LOCATIONS}/NL/CPA/L1", cpo, 1000) + b'{"id": ')
    assert (answer.status, answer.body["status_code"]) == (408, 2000)
    assert answer.headers["x-request-id"]
    assert await stored_and_queued(hub) == (0, 0)


# ---- the open-file limit -----------------------------------------------------------------------


async def test_serve_under_a_1024_open_file_limit_answers_through_1100_idle_connections(
    database_url: str, tmp_path: Path
) -> None:
    """Under the common service limit of 1,024 open files, `ocpi-hub serve` sizes its connection
    cap to fit (768) and keeps answering /health through 1,100 idle connections, without a
    "Too many open files" in its log (it used to fail /health and log 11,381 tracebacks)."""
    hub = HubProcess.on_free_port(database_url, tmp_path / "hub.log")
    hub.open_files = 1024
    await hub.start()
    idle: list[asyncio.StreamWriter] = []
    try:
        port = int(hub.env["OCPI_HUB_PORT"])
        for _ in range(1100):
            idle.append((await asyncio.open_connection("127.0.0.1", port))[1])
        async with aiohttp.ClientSession() as session:
            async with session.get(hub.url + "/health") as ready:
                assert ready.status == 200
            async with session.get(hub.url + "/ocpi/versions") as versions:
                assert versions.status == 401  # answered: an envelope refusing the missing token
    finally:
        for writer in idle:
            writer.close()
        assert hub.terminate() == 0
    serving = next(e for e in hub.log_events() if e.get("event") == "serving")
    assert (serving["open_files"], serving["max_connections"]) == (1024, 768)
    assert "Too many open files" not in hub.log_path.read_text()
    assert [e["event"] for e in hub.log_events() if e.get("level") == "warning"] == [
        "connection_limit_reached"
    ]
