"""The suite's own OCPI 2.2.1 party, served on a local port so the endpoint under test can call
back: during registration (it reads our versions and details with token B, credentials §3.3
[M]) and afterwards (pushes to our Receiver interfaces, a Hub's ClientInfo).

It serves versions, 2.2.1 details (credentials plus the Receiver interfaces of the modules its
role consumes, and HubClientInfo's Receiver, which every party connected to a Hub implements,
mod_hub_client_info §4.8), credentials GET, and one generic receiver that records every request
and answers as a tolerant OCPI party would. Only the tokens it issued (token B, and each new B of
a rotation) are accepted; the form each call used (Base64 or raw) is recorded so checks can
report it.

In a `--version 2.1.1` run it is a 2.1.1 party: it lists only 2.1.1, its details carry no
`role` (the interface of the role it presents), its Credentials hold the party at top level
(differences §1.7, §2), and it expects the raw token form (a Base64 one is still accepted, and
recorded as such, so the credentials checks can say so).

More than one can run at once (the HUB-role checks bring parties of their own): each instance
is one platform hosting one party.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import secrets
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from conformance.validate import format_datetime_now

OCPI_VERSION = "2.2.1"
# What a party of each role receives (the modules whose data the other side owns).
RECEIVER_MODULES: dict[str, tuple[str, ...]] = {
    "EMSP": ("locations", "tariffs", "sessions", "cdrs", "hubclientinfo"),
    "CPO": ("tokens", "hubclientinfo"),
}
# 2.1.1 has no HubClientInfo; the eMSP interface has a commands endpoint of its own, but
# the callback goes to a free-form response_url, so the suite does not list one.
RECEIVER_MODULES_211: dict[str, tuple[str, ...]] = {
    "EMSP": ("locations", "tariffs", "sessions", "cdrs"),
    "CPO": ("tokens",),
}


def _listening_socket(host: str, port: int) -> socket.socket:
    """A bound socket, so the port chosen for port 0 is known before we advertise it."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(address)
    return sock


@dataclass
class Received:
    """One request that reached the suite's party."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: Any
    token: str | None  # the token it carried, decoded; None when absent or unknown
    auth_form: str | None  # "base64", "raw", or None (no usable Authorization header)
    at: float = field(default_factory=time.monotonic)

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lowered), None)


@dataclass
class SuiteParty:
    """One OCPI platform with one party, served by the suite."""

    country_code: str
    party_id: str
    role: str
    host: str = "127.0.0.1"
    port: int = 0
    public_url: str | None = None  # what we advertise when reached through another address
    version: str = OCPI_VERSION  # the OCPI version it speaks: "2.2.1" or "2.1.1"
    name: str = "OCPI conformance suite"
    received: list[Received] = field(default_factory=list)
    accepted_tokens: set[str] = field(default_factory=set)
    objects: dict[str, Any] = field(default_factory=dict)  # path → last PUT/PATCHed body
    _runner: web.AppRunner | None = None

    async def start(self) -> SuiteParty:
        """Serve; the port is known (and the public URL set) when this returns."""
        app = web.Application(middlewares=[self._record])
        base = f"/ocpi/{self.version}"
        app.add_routes(
            [
                web.get("/ocpi/versions", self._versions),
                web.get(base, self._details),
                web.route("*", base + "/credentials", self._credentials),
                web.route("*", "/{tail:.*}", self._generic),
            ]
        )
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        sock = _listening_socket(self.host, self.port)
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        if self.public_url is None:
            if self.host in ("0.0.0.0", "::", ""):
                raise ValueError("listening on all addresses: give --callback-url")
            self.public_url = f"http://{self.host}:{self.port}"
        self.public_url = self.public_url.rstrip("/")
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def versions_url(self) -> str:
        return f"{self.public_url}/ocpi/versions"

    @property
    def key(self) -> tuple[str, str]:
        return (self.country_code, self.party_id)

    def module_url(self, module: str) -> str:
        return f"{self.public_url}/ocpi/{self.version}/{module}"

    def issue_token(self) -> str:
        """A fresh token B: the endpoint under test must call us with it."""
        token = secrets.token_urlsafe(24)
        self.accepted_tokens.add(token)
        return token

    def credentials(self, token: str) -> dict[str, Any]:
        """Our Credentials object (credentials §3.1) carrying `token` for the other side."""
        if self.version == "2.1.1":
            return {
                "token": token,
                "url": self.versions_url,
                "business_details": {"name": self.name},
                "party_id": self.party_id,
                "country_code": self.country_code,
            }
        return {
            "token": token,
            "url": self.versions_url,
            "roles": [
                {
                    "role": self.role,
                    "business_details": {"name": self.name},
                    "party_id": self.party_id,
                    "country_code": self.country_code,
                }
            ],
        }

    def since(self, mark: int) -> list[Received]:
        """Requests received after `mark` (a `len(received)` taken earlier)."""
        return self.received[mark:]

    async def wait_for(
        self, predicate: Callable[[Received], bool], timeout: float, mark: int = 0
    ) -> Received | None:
        """The first request after `mark` matching `predicate`, waiting up to `timeout` s."""
        deadline = time.monotonic() + timeout
        while True:
            found = next((r for r in self.received[mark:] if predicate(r)), None)
            if found is not None or time.monotonic() >= deadline:
                return found
            await asyncio.sleep(0.02)

    # ---- serving -------------------------------------------------------------------------

    def _token_of(self, header: str | None) -> tuple[str | None, str | None]:
        """(token, form) when the header carries one of our tokens, Base64 tried first."""
        if not header or not header.startswith("Token "):
            return None, None
        value = header[len("Token ") :]
        try:
            decoded = base64.b64decode(value, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            decoded = None
        if decoded is not None and decoded in self.accepted_tokens:
            return decoded, "base64"
        if value in self.accepted_tokens:
            return value, "raw"
        return None, None

    @web.middleware
    async def _record(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        raw = await request.read()
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        token, form = self._token_of(request.headers.get("Authorization"))
        self.received.append(
            Received(
                request.method,
                request.path,
                request.query_string,
                dict(request.headers),
                body,
                token,
                form,
            )
        )
        if token is None:
            return self.reply(request, None, status=401, code=2000, message="unknown token")
        return await handler(request)

    def reply(
        self,
        request: web.Request,
        data: Any,
        *,
        status: int = 200,
        code: int = 1000,
        message: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> web.Response:
        """An OCPI envelope with the request's ids echoed."""
        envelope: dict[str, Any] = {"status_code": code, "timestamp": format_datetime_now()}
        if data is not None:
            envelope["data"] = data
        if message:
            envelope["status_message"] = message
        sent = {
            "X-Request-ID": request.headers.get("X-Request-ID", ""),
            "X-Correlation-ID": request.headers.get("X-Correlation-ID", ""),
            **(headers or {}),
        }
        return web.json_response(envelope, status=status, headers=sent)

    async def _versions(self, request: web.Request) -> web.Response:
        details = f"{self.public_url}/ocpi/{self.version}"
        return self.reply(request, [{"version": self.version, "url": details}])

    async def _details(self, request: web.Request) -> web.Response:
        if self.version == "2.1.1":
            listed = ("credentials", *RECEIVER_MODULES_211.get(self.role, ()))
            endpoints_211 = [{"identifier": m, "url": self.module_url(m)} for m in listed]
            return self.reply(request, {"version": self.version, "endpoints": endpoints_211})
        endpoints = [
            {"identifier": "credentials", "role": "SENDER", "url": self.module_url("credentials")}
        ]
        endpoints += [
            {"identifier": module, "role": "RECEIVER", "url": self.module_url(module)}
            for module in RECEIVER_MODULES.get(self.role, ("hubclientinfo",))
        ]
        return self.reply(request, {"version": self.version, "endpoints": endpoints})

    async def _credentials(self, request: web.Request) -> web.Response:
        if request.method == "GET":
            token = self.received[-1].token or ""
            return self.reply(request, self.credentials(token))
        # The suite registers with the endpoint, never the other way round.
        return self.reply(request, None, status=405, code=2000, message="not supported")

    async def _generic(self, request: web.Request) -> web.Response:
        """Any Receiver interface or callback URL: store PUTs, merge PATCHes, answer GETs from
        what was stored, acknowledge everything else (a CDR POST with its Location header)."""
        path = request.path.rstrip("/")
        body = self.received[-1].body
        if request.method == "GET":
            if path in self.objects:
                return self.reply(request, self.objects[path])
            return self.reply(request, None, status=404, code=2000, message="unknown object")
        if request.method == "PUT":
            self.objects[path] = body
        elif request.method == "PATCH" and isinstance(body, dict):
            stored = self.objects.get(path)
            self.objects[path] = {**stored, **body} if isinstance(stored, dict) else body
        elif request.method == "DELETE":
            self.objects.pop(path, None)
        elif request.method == "POST" and path.endswith("/cdrs") and isinstance(body, dict):
            stored_at = f"{path}/{body.get('country_code')}/{body.get('party_id')}/{body.get('id')}"
            self.objects[stored_at] = body
            location = f"{self.public_url}{stored_at}"
            return self.reply(request, None, status=201, headers={"Location": location})
        return self.reply(request, None)
