"""The hub's outbound HTTP/1.1 (push.http): framing, keep-alive, failures, TLS.

The peer is a real TCP server on loopback that reads each request and answers with the exact
bytes a test scripts (an aiohttp server cannot answer chunked, cut short or malformed on demand).
TLS uses a certificate made by `openssl` for the test.
"""

from __future__ import annotations

import asyncio
import ssl
import subprocess
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ocpi_hub.push.http import HttpClient, HttpError
from tests.e2e.fakes import FakeParty, token_header

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: application/json\r\n\r\n{}"

# What the server does with the n-th request on the c-th connection (both from 0): the bytes to
# answer (None: close without answering; b"": answer nothing, keep the connection open).
Script = Callable[[int, int], bytes | None]


@dataclass
class Peer:
    script: Script
    requests: list[tuple[int, bytes]] = field(default_factory=list)  # (connection, request)
    connections: int = 0
    closed: int = 0  # connections the client closed
    url: str = ""

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        number, self.connections = self.connections, self.connections + 1
        served = 0
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":", 1)[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    0,
                )
                request = head + await reader.readexactly(length)
                self.requests.append((number, request))
                answer = self.script(number, served)
                served += 1
                if answer is None:
                    break
                writer.write(answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            self.closed += 1
        finally:
            writer.close()


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Script], asyncio.Future[Peer]]]:
    servers: list[asyncio.Server] = []

    async def start(script: Script) -> Peer:
        peer = Peer(script)
        server = await asyncio.start_server(peer.serve, "127.0.0.1", 0)
        servers.append(server)
        peer.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        return peer

    yield start  # type: ignore[misc]
    for server in servers:
        server.close()


async def test_keep_alive_connection_is_reused(serve: Callable[..., asyncio.Future[Peer]]) -> None:
    """Two requests to one origin, one after the other, share one connection."""
    peer = await serve(lambda c, n: OK)
    async with HttpClient() as http:
        first = await http.request("GET", f"{peer.url}/a", headers={}, timeout=5)
        second = await http.request("GET", f"{peer.url}/b", headers={}, timeout=5)

    assert (first.status, first.body, second.body) == (200, b"{}", b"{}")
    assert peer.connections == 1
    assert [r.split(b"\r\n")[0] for _, r in peer.requests] == [
        b"GET /a HTTP/1.1",
        b"GET /b HTTP/1.1",
    ]


async def test_chunked_answer_is_read_whole(serve: Callable[..., asyncio.Future[Peer]]) -> None:
    """Transfer-Encoding: chunked is joined; headers are read by any case."""
    answer = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nlink: <x>\r\n\r\n"
        b'3\r\n{"a\r\n4\r\n":1}\r\n0\r\n\r\n'
    )
    peer = await serve(lambda c, n: answer)
    async with HttpClient() as http:
        response = await http.request("GET", peer.url, headers={}, timeout=5)

    assert response.body == b'{"a":1}'
    assert response.headers["Link"] == "<x>"


async def test_answer_read_to_the_close_is_whole() -> None:
    """An answer with neither Content-Length nor chunked ends when the peer closes."""

    async def answer_and_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b'HTTP/1.1 200 OK\r\n\r\n{"until":"close"}')
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer_and_close, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/"
    try:
        async with HttpClient() as http:
            response = await http.request("GET", url, headers={}, timeout=5)
    finally:
        server.close()

    assert response.body == b'{"until":"close"}'


async def test_a_get_on_a_connection_closed_under_it_is_sent_again(
    serve: Callable[..., asyncio.Future[Peer]],
) -> None:
    """The peer closes a kept-alive connection as the next request arrives (its keep-alive
    timeout racing ours): an idempotent request is sent again on a new connection."""
    peer = await serve(lambda c, n: None if (c, n) == (0, 1) else OK)
    async with HttpClient() as http:
        await http.request("GET", peer.url, headers={}, timeout=5)
        again = await http.request("PUT", peer.url, headers={}, body=b"{}", timeout=5)

    assert again.status == 200
    assert [c for c, _ in peer.requests] == [0, 0, 1]


async def test_a_post_on_a_connection_closed_under_it_is_not_sent_again(
    serve: Callable[..., asyncio.Future[Peer]],
) -> None:
    """A POST or PATCH the peer may have acted on is never repeated by the client: the caller
    (the outbox) decides."""
    peer = await serve(lambda c, n: None if (c, n) == (0, 1) else OK)
    async with HttpClient() as http:
        await http.request("GET", peer.url, headers={}, timeout=5)
        with pytest.raises(ConnectionResetError):
            await http.request("POST", peer.url, headers={}, body=b"{}", timeout=5)

    assert [c for c, _ in peer.requests] == [0, 0]


async def test_an_answer_larger_than_the_cap_is_refused(
    serve: Callable[..., asyncio.Future[Peer]],
) -> None:
    """A hostile peer cannot make the hub hold an unbounded answer in memory."""
    peer = await serve(lambda c, n: b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"x" * 100)
    async with HttpClient(max_body=10) as http:
        with pytest.raises(HttpError, match="larger than 10 bytes"):
            await http.request("GET", peer.url, headers={}, timeout=5)


@pytest.mark.parametrize(
    ("first", "error", "timeout"),
    [(b"SMTP ready\r\n\r\n", HttpError, 5.0), (b"", TimeoutError, 0.2)],
    ids=["malformed", "no answer in time"],
)
async def test_a_failed_answer_drops_its_connection(
    serve: Callable[..., asyncio.Future[Peer]],
    first: bytes,
    error: type[Exception],
    timeout: float,
) -> None:
    """Bytes that are not HTTP, or no answer within the timeout, fail the request and the
    connection is not kept (a late answer must never be read as the next request's): the next
    request opens a new one."""
    peer = await serve(lambda c, n: first if c == 0 else OK)
    async with HttpClient() as http:
        with pytest.raises(error):
            await http.request("GET", peer.url, headers={}, timeout=timeout)
        after = await http.request("GET", peer.url, headers={}, timeout=5)

    assert after.status == 200
    assert peer.connections == 2


async def test_informational_answers_are_skipped(
    serve: Callable[..., asyncio.Future[Peer]],
) -> None:
    """A 100 Continue before the answer is not the answer."""
    peer = await serve(lambda c, n: b"HTTP/1.1 100 Continue\r\n\r\n" + OK)
    async with HttpClient() as http:
        response = await http.request("POST", peer.url, headers={}, body=b"{}", timeout=5)

    assert (response.status, response.body) == (200, b"{}")


async def test_the_request_is_sent_byte_for_byte(
    serve: Callable[..., asyncio.Future[Peer]],
) -> None:
    """The target is not re-normalised (an encoded `/`, `;` or dot segment stays encoded), Host
    and Content-Length are added, the body follows."""
    peer = await serve(lambda c, n: OK)
    target = "/ocpi/x/..%2F%3B/y?type=RFID&a=%20"
    async with HttpClient() as http:
        await http.request(
            "PATCH", peer.url + target, headers={"Authorization": "Token dA=="}, body=b'{"a":1}',
            timeout=5,
        )  # fmt: skip

    port = peer.url.rsplit(":", 1)[1]
    assert (
        peer.requests[0][1]
        == (
            f"PATCH {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Token dA==\r\n"
            'Content-Length: 7\r\n\r\n{"a":1}'
        ).encode()
    )


@pytest.mark.parametrize(
    ("url", "headers"),
    [
        ("http://127.0.0.1:9/x", {"X-Correlation-ID": "a\r\nX-Evil: 1"}),
        ("http://127.0.0.1:9/x y", {}),
        ("ftp://127.0.0.1:9/x", {}),
        ("http://user:pw@127.0.0.1:9/x", {}),
    ],
)
async def test_what_cannot_be_sent_as_given_is_refused(url: str, headers: dict[str, str]) -> None:
    """A header with a line break (header injection), a target with a space, a URL that is not
    plain http(s): ValueError before any connection is opened (nothing listens on port 9)."""
    async with HttpClient() as http:
        with pytest.raises(ValueError):
            await http.request("GET", url, headers=headers, timeout=5)


async def test_at_most_limit_requests_are_in_flight(
    serve: Callable[..., asyncio.Future[Peer]],
) -> None:
    """With limit=1, three concurrent requests are sent one after the other on one connection."""
    peer = await serve(lambda c, n: OK)
    async with HttpClient(limit=1) as http:
        answers = await asyncio.gather(
            *(http.request("GET", f"{peer.url}/{i}", headers={}, timeout=5) for i in range(3))
        )

    assert [a.status for a in answers] == [200, 200, 200]
    assert peer.connections == 1


# ---- TLS -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1, and its key."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
async def tls_party(certificate: tuple[Path, Path]) -> AsyncIterator[FakeParty]:
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    party = await FakeParty("EMSP", "DE", "EMA", ssl_context=context).start()
    party.accepted_tokens.add("t")
    yield party
    await party.stop()


async def test_https_verifies_the_peer_certificate(
    tls_party: FakeParty, certificate: tuple[Path, Path]
) -> None:
    """Over https the peer's certificate is verified: trusted, the call succeeds; signed by no
    CA the client trusts, it fails before any request is sent."""
    assert tls_party.versions_url.startswith("https://")
    trusted = ssl.create_default_context(cafile=str(certificate[0]))
    async with HttpClient(ssl_context=trusted) as http:
        answer = await http.request(
            "GET", tls_party.versions_url, headers={"Authorization": token_header("t")}, timeout=5
        )
    async with HttpClient() as http:
        with pytest.raises(ssl.SSLCertVerificationError):
            await http.request("GET", tls_party.versions_url, headers={}, timeout=5)

    assert answer.status == 200
    assert len(tls_party.received) == 1
