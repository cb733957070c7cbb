"""Fake OCPI 2.2.1 parties: real aiohttp servers on loopback that record what reaches them.

A `FakeParty` is one platform hosting one party. It serves versions, credentials (so the hub can
register with it) and the Locations receiver interface (so the hub can push to it); it can also
register with a hub as the initiator and then call the hub as a client. Faults are switched on
per test: answer N requests with an HTTP status (and Retry-After), answer slowly.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import socket
import ssl
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, cast

import aiohttp
import orjson
from aiohttp import web
from yarl import URL

from ocpi_hub.core.handshake import new_token

OCPI = "2.2.1"
BODY = web.RequestKey("body", object)


def socket_on(port: int, host: str = "127.0.0.1") -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def token_header(token: str) -> str:
    return "Token " + base64.b64encode(token.encode()).decode()


class _Headers:
    headers: dict[str, str]

    def header(self, name: str) -> str | None:
        """A header by any-case name."""
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)

    def routing(self, direction: str) -> tuple[str | None, str | None]:
        """(country_code, party_id) of the OCPI-from or OCPI-to pair."""
        return (
            self.header(f"OCPI-{direction}-country-code"),
            self.header(f"OCPI-{direction}-party-id"),
        )


@dataclass
class Received(_Headers):
    """One request as the fake party saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    query: dict[str, str] = field(default_factory=dict)


def _received(request: web.Request, body: Any) -> Received:
    return Received(request.method, request.path, dict(request.headers), body, dict(request.query))


@dataclass
class Answer(_Headers):
    """What the hub answered a fake party's call."""

    status: int
    body: Any
    headers: dict[str, str]

    @classmethod
    async def read(cls, response: aiohttp.ClientResponse) -> Answer:
        raw = await response.read()
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            body = raw
        return cls(response.status, body, dict(response.headers))

    @property
    def status_code(self) -> int | None:
        return self.body.get("status_code") if isinstance(self.body, dict) else None

    @property
    def data(self) -> Any:
        return self.body.get("data") if isinstance(self.body, dict) else None


@dataclass
class FakeParty:
    # The OCPI version it speaks and serves under /ocpi/<version> (a hook: FakeParty211).
    version: ClassVar[str] = OCPI
    role: str
    country_code: str
    party_id: str
    # Modules this party offers, as (identifier, role) pairs, besides credentials.
    modules: list[tuple[str, str]] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)  # requests answered normally
    refused: list[Received] = field(default_factory=list)  # requests answered with a fault
    # Tokens this party accepts on its own endpoints: the token A it handed out, then token B.
    accepted_tokens: set[str] = field(default_factory=set)
    token_for_hub: str | None = None  # the token the hub gave us (C), used to call the hub
    hub_token: str | None = None  # the token the hub uses to call us
    # Pending faults for functional-module requests: (HTTP status, Retry-After, OCPI status_code
    # or None, seconds before answering, whether versions requests take it too). Credentials are
    # never faulted.
    faults: list[tuple[int, str | None, int | None, float, bool]] = field(default_factory=list)
    delay: float = 0.0
    # What the hub pushed, by module and by path below the module's URL ("NL/CPA/LOC1").
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Custom answers per module: called after the default handling has recorded and stored the
    # request; returns the response to send instead of the default one.
    handlers: dict[str, Callable[[web.Request, Any], Awaitable[web.Response]]] = field(
        default_factory=dict
    )
    callback_answers: list[Answer] = field(default_factory=list)
    endpoints: dict[tuple[str, str], str] = field(default_factory=dict)
    host: str = "127.0.0.1"  # the loopback address it listens on
    ssl_context: ssl.SSLContext | None = None  # serve https with this server context
    # Where it says its module endpoints are (default: its own URL).
    endpoints_url: str | None = None
    # The other side's credentials object (from the handshake, whichever side started it).
    peer_credentials: dict[str, Any] | None = None
    _runner: web.AppRunner | None = None
    url: str = ""
    session: aiohttp.ClientSession | None = None

    # ---- server side ---------------------------------------------------------------------

    async def start(self) -> FakeParty:
        sock = socket_on(0, self.host)
        scheme = "https" if self.ssl_context else "http"
        self.url = f"{scheme}://{self.host}:{sock.getsockname()[1]}"
        await self._serve(sock)
        self.session = aiohttp.ClientSession()
        return self

    async def _serve(self, sock: socket.socket) -> None:
        app = web.Application(middlewares=[self._record])
        base = f"/ocpi/{self.version}"
        app.add_routes(
            [
                web.get("/ocpi/versions", self._versions),
                web.get(base, self._details),
                web.route("*", base + "/credentials", self._credentials),
                web.route("*", base + "/{module}", self._module),
                web.route("*", base + "/{module}/{tail:.*}", self._module),
                # Anything else: callback URLs such as a command's response_url.
                web.route("*", "/{tail:.*}", self._module),
            ]
        )
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.SockSite(self._runner, sock, ssl_context=self.ssl_context).start()

    async def stop(self) -> None:
        if self.session is not None:
            await self.session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def versions_url(self) -> str:
        return f"{self.url}/ocpi/versions"

    @property
    def key(self) -> tuple[str, str]:
        return (self.country_code, self.party_id)

    def issue_token_a(self) -> str:
        token = new_token()
        self.accepted_tokens.add(token)
        return token

    def fail_next(
        self,
        count: int,
        status: int = 503,
        retry_after: str | None = None,
        status_code: int | None = None,
        after: float = 0.0,
        versions: bool = False,
    ) -> None:
        """Answer the next `count` functional-module requests (and versions requests too, with
        `versions`: the whole server is down) with `status` (an OCPI envelope carrying
        `status_code` when given, else a plain-text body), `after` seconds (longer than the hub
        waits: a timeout). A faulted request is never handled, however late its answer: the
        fault is taken when it arrives."""
        self.faults.extend([(status, retry_after, status_code, after, versions)] * count)

    async def go_offline(self) -> None:
        """Stop serving (connections refused) but keep the port for `come_back`."""
        assert self._runner is not None
        await self._runner.cleanup()

    async def come_back(self) -> None:
        port = int(self.url.rsplit(":", 1)[1])
        await self._serve(socket_on(port, self.host))

    @property
    def locations(self) -> dict[str, Any]:
        return self.objects.setdefault("locations", {})

    def requests(self, module: str, method: str | None = None) -> list[Received]:
        """Requests received on one module's endpoint, optionally of one method."""
        prefix = f"/ocpi/{self.version}/{module}"
        return [
            r
            for r in self.received
            if (r.path == prefix or r.path.startswith(prefix + "/"))
            and (method is None or r.method == method)
        ]

    def pushes(self, method: str | None = None, module: str = "locations") -> list[Received]:
        """Pushes received on a module's receiver interface (PUT/PATCH by default)."""
        methods = (method,) if method else ("PUT", "PATCH")
        return [r for r in self.requests(module) if r.method in methods]

    @web.middleware
    async def _record(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        raw = await request.read()
        try:
            body = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            body = raw
        if self.delay:
            await asyncio.sleep(self.delay)
        if self._token(request.headers.get("Authorization", "")) not in self.accepted_tokens:
            return self._reply(request, None, status=401, code=2000, message="unknown token")
        refusal = self._check(request, body)
        if refusal is not None:
            self.refused.append(_received(request, body))
            return refusal
        functional = request.path.startswith(
            f"/ocpi/{self.version}/"
        ) and not request.path.startswith(f"/ocpi/{self.version}/credentials")
        versions = (
            request.path.startswith("/ocpi/versions") or request.path == f"/ocpi/{self.version}"
        )
        if self.faults and (functional or (versions and self.faults[0][4])):
            status, retry_after, code, after, _ = self.faults.pop(0)
            if after:
                await asyncio.sleep(after)
            self.refused.append(_received(request, body))
            if code is not None:
                return self._reply(request, None, status=status, code=code, message="refused")
            headers = {"Retry-After": retry_after} if retry_after else {}
            return web.Response(status=status, text="unavailable", headers=headers)
        self.received.append(_received(request, body))
        request[BODY] = body
        return await handler(request)

    # ---- hooks a network's dialect overrides (tests/e2e/networks.py) ------------------------

    def _token(self, authorization: str) -> str:
        """The token an `Authorization` header carries (2.2.1: base64); "" when unreadable."""
        if not authorization.startswith("Token "):
            return ""
        try:
            return base64.b64decode(authorization[6:], validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return ""

    def _check(self, request: web.Request, body: Any) -> web.Response | None:
        """A refusal for a request with a good token, or None to handle it (the plain fake
        refuses nothing)."""
        return None

    def _key(self, tail: str) -> str:
        """Where an object addressed by `tail` is stored (the plain fake: exactly as sent)."""
        return tail

    def _ingest(self, module: str, body: Any) -> Any:
        """An object as this party stores what it received (the plain fake: unchanged)."""
        return body

    def _reply(
        self,
        request: web.Request,
        data: Any,
        *,
        status: int = 200,
        code: int = 1000,
        message: str | None = None,
    ) -> web.Response:
        envelope: dict[str, Any] = {
            "status_code": code,
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        if data is not None:
            envelope["data"] = data
        if message:
            envelope["status_message"] = message
        headers = {
            "X-Request-ID": request.headers.get("X-Request-ID", ""),
            "X-Correlation-ID": request.headers.get("X-Correlation-ID", ""),
        }
        return web.json_response(
            envelope, status=status, headers=headers, dumps=lambda o: orjson.dumps(o).decode()
        )

    async def _versions(self, request: web.Request) -> web.Response:
        return self._reply(
            request, [{"version": self.version, "url": f"{self.url}/ocpi/{self.version}"}]
        )

    async def _details(self, request: web.Request) -> web.Response:
        endpoints = [
            {
                "identifier": "credentials",
                "role": "SENDER",
                "url": f"{self.url}/ocpi/{self.version}/credentials",
            }
        ]
        base = self.endpoints_url or self.url
        endpoints += [
            {"identifier": m, "role": r, "url": f"{base}/ocpi/{self.version}/{m}"}
            for m, r in self.modules
        ]
        return self._reply(request, {"version": self.version, "endpoints": endpoints})

    def credentials(self, token: str) -> dict[str, Any]:
        return {
            "token": token,
            "url": self.versions_url,
            "roles": [
                {
                    "role": self.role,
                    "business_details": {"name": f"Fake {self.role} {self.party_id}"},
                    "party_id": self.party_id,
                    "country_code": self.country_code,
                }
            ],
        }

    async def _credentials(self, request: web.Request) -> web.Response:
        """The hub registering with us (we issued it a token A out of band), or updating its
        registration (PUT, once registered: checklist §3.2)."""
        if request.method == "PUT" and self.peer_credentials is None:
            return self._reply(request, None, status=405, code=2000, message="not registered")
        if request.method in ("POST", "PUT"):
            theirs = cast(dict[str, Any], request[BODY])
            self.peer_credentials = theirs
            # Like a real server (checklist §3.3): read the client's versions with its token B
            # before answering, so the hub must already accept B while it waits for our C.
            callback = await self.call_url("GET", theirs["url"], token=theirs["token"])
            if callback.status_code != 1000:
                return self._reply(request, None, code=3001, message="cannot read your versions")
            self.callback_answers.append(callback)
            token_c = new_token()
            self.accepted_tokens = {token_c}
            self.hub_token = token_c  # the hub calls us with C from now on
            self.token_for_hub = theirs["token"]  # we call the hub with its token B
            return self._reply(request, self.credentials(token_c))
        return self._reply(request, None, code=2000, message="not supported by the fake")

    async def _module(self, request: web.Request) -> web.Response:
        """Any module: GET answers what is stored, PUT stores, PATCH merges, DELETE removes,
        POST is recorded; then a custom handler for the module may answer instead."""
        module = request.match_info.get("module", "")
        tail = self._key(request.match_info.get("tail", ""))
        stored = self.objects.setdefault(module, {})
        body = request[BODY]
        if request.method in ("PUT", "PATCH"):
            body = self._ingest(module, body)
        default: web.Response
        if request.method == "GET":
            if tail in stored:
                default = self._reply(request, stored[tail])
            else:
                default = self._reply(request, None, status=404, code=2003, message="unknown")
        else:
            if request.method == "PUT":
                stored[tail] = body
            elif request.method == "PATCH" and isinstance(body, dict):
                stored[tail] = {**stored.get(tail, {}), **body}
            elif request.method == "DELETE":
                stored.pop(tail, None)
            default = self._reply(request, None)
        custom = self.handlers.get(module)
        return await custom(request, body) if custom is not None else default

    def reply(
        self, request: web.Request, data: Any, *, status: int = 200, code: int = 1000
    ) -> web.Response:
        """An OCPI answer with this request's ids echoed, for custom handlers."""
        return self._reply(request, data, status=status, code=code)

    # ---- client side ---------------------------------------------------------------------

    async def register_with(self, hub_versions_url: str, token_a: str) -> Answer:
        """The handshake as initiator: discover the hub with token A, POST our token B."""
        versions = await self.call_url("GET", hub_versions_url, token=token_a)
        details = await self.call_url("GET", self._details_url(versions), token=token_a)
        credentials_url = next(
            e["url"] for e in details.data["endpoints"] if e["identifier"] == "credentials"
        )
        token_b = new_token()
        self.accepted_tokens.add(token_b)
        answer = await self.call_url(
            "POST", credentials_url, token=token_a, json=self.credentials(token_b)
        )
        self._heard_credentials(details, answer)
        if answer.status_code == 1000:
            self.peer_credentials = answer.data
            self.token_for_hub = answer.data["token"]
            self.hub_token = token_b
            self.endpoints = {
                (e["identifier"], self._interface(e)): e["url"] for e in details.data["endpoints"]
            }
        return answer

    def _details_url(self, versions: Answer) -> str:
        """The details of the version we speak, from the hub's versions list."""
        return str(next(v["url"] for v in versions.data if v["version"] == self.version))

    def _heard_credentials(self, details: Answer, answer: Answer) -> None:
        """What a stricter party checks in the hub's details and credentials (nothing here)."""

    def _interface(self, endpoint: dict[str, Any]) -> str:
        """The interface role an endpoint of the hub's is (2.2.1: it says so)."""
        return str(endpoint["role"])

    async def call_url(
        self,
        method: str,
        url: str | URL,
        *,
        token: str | None = None,
        json: Any = None,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
        raw_token: bool = False,
    ) -> Answer:
        """Call `url`; a `yarl.URL(..., encoded=True)` goes out exactly as written (a str is
        normalised first: `%2e%2e` would become `..` and be resolved away)."""
        assert self.session is not None
        token = token if token is not None else self.token_for_hub
        sent = {"X-Request-ID": str(uuid.uuid4()), "X-Correlation-ID": str(uuid.uuid4())}
        if token is not None:
            sent["Authorization"] = f"Token {token}" if raw_token else token_header(token)
        if json is not None:
            data = orjson.dumps(json)
        if data is not None:
            sent["Content-Type"] = "application/json"
        sent.update(headers or {})
        async with self.session.request(method, url, data=data, headers=sent) as response:
            return await Answer.read(response)
