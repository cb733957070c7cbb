"""A small OCPI 2.2.1 hub to test the suite's HUB-role checks against: it registers platforms
(token A → B → C, reading their versions and details with token B), routes pushes by OCPI-to
(4001 unknown, 4003 not connected), broadcasts pushes addressed to it to the platforms of the
other role, proxies a command's response_url, and keeps each Session for its eMSP. Correct by
default (every hub.* check passes), broken on demand by named faults.

A test double: everything in memory, no retries, no validation beyond what the checks need.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from tests.conftest import free_socket

BASE = "/ocpi/2.2.1"
HUB = ("XX", "HUB")
FAULTS = frozenset(
    {
        "echo_broadcast",  # a broadcast goes back to the sender's platform too
        "keep_request_id",  # forwarded hops carry the incoming X-Request-ID
        "rewrite_last_updated",  # forwarded objects get the hub's own last_updated
        "unknown_2000",  # OCPI-to nobody: 2000 instead of 4001
        "not_connected_3000",  # a party down or gone: 3000 instead of 4003
        "rewrite_answer",  # a receiver's answer to a Location push comes back as 1000
        "no_proxy",  # a command's response_url passed on as it is
        "personal_to_all",  # Sessions delivered to, and listed for, every eMSP
        "routed_config",  # routing headers on the hub's registration callbacks
    }
)
Key = tuple[str, str]


@dataclass(eq=False)
class Platform:
    """One registered (or invited) platform with one party."""

    role: str
    key: Key
    token_b: str = ""
    endpoints: dict[tuple[str, str], str] = field(default_factory=dict)
    connected: bool = False


PLATFORM = web.RequestKey("platform", Platform)


def _auth(token: str) -> str:
    return "Token " + base64.b64encode(token.encode()).decode()


def _routing(origin: Key, to: Key) -> dict[str, str]:
    return {
        "OCPI-from-country-code": origin[0],
        "OCPI-from-party-id": origin[1],
        "OCPI-to-country-code": to[0],
        "OCPI-to-party-id": to[1],
    }


@dataclass
class FakeHub:
    faults: set[str] = field(default_factory=set)
    url: str = ""
    invited: dict[str, Platform] = field(default_factory=dict)  # token A → platform
    platforms: dict[str, Platform] = field(default_factory=dict)  # token C → platform
    sessions: list[tuple[Key, dict[str, Any]]] = field(default_factory=list)  # (eMSP, Session)
    results: dict[str, tuple[Platform, str]] = field(default_factory=dict)  # id → response_url
    gone: list[Platform] = field(default_factory=list)  # unregistered: known, not connected
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _runner: web.AppRunner | None = None
    _http: aiohttp.ClientSession | None = None

    def __post_init__(self) -> None:
        assert self.faults <= FAULTS, f"unknown faults {self.faults - FAULTS}"

    @property
    def versions_url(self) -> str:
        return f"{self.url}/ocpi/versions"

    def invite(self, role: str, country_code: str, party_id: str) -> str:
        token = "A-" + secrets.token_hex(8)
        self.invited[token] = Platform(role, (country_code, party_id))
        return token

    async def start(self) -> FakeHub:
        sock = free_socket()
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        app = web.Application(middlewares=[self._middleware])
        app.add_routes(
            [
                web.get("/ocpi/versions", self._versions, name="config"),
                web.get(BASE, self._details, name="config-details"),
                web.route("*", BASE + "/credentials", self._credentials, name="config-credentials"),
                web.get(BASE + "/sessions", self._session_list),
                web.post(BASE + "/results/{id}", self._result),
                web.route("*", BASE + "/receiver/{module}/{tail:.*}", self._receiver),
            ]
        )
        self._http = aiohttp.ClientSession()
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()
        return self

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
        if self._http is not None:
            await self._http.close()

    # ---- the edge ------------------------------------------------------------------------

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        header = request.headers.get("Authorization", "")
        token = base64.b64decode(header[6:] or "").decode() if header.startswith("Token ") else ""
        config = (request.match_info.route.name or "").startswith("config")
        platform = self.platforms.get(token) or (self.invited.get(token) if config else None)
        response: web.StreamResponse
        if platform is None:
            response = self.reply(None, status=401, code=2000)
        else:
            request[PLATFORM] = platform
            response = await handler(request)
        for name in ("X-Request-ID", "X-Correlation-ID"):
            response.headers[name] = request.headers.get(name, "")
        return response

    def reply(
        self, data: Any, *, status: int = 200, code: int = 1000, message: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> web.Response:  # fmt: skip
        envelope: dict[str, Any] = {"status_code": code, "timestamp": "2024-05-01T10:00:00Z"}
        if data is not None:
            envelope["data"] = data
        if message is not None:
            envelope["status_message"] = message
        return web.json_response(envelope, status=status, headers=headers)

    async def _send(
        self, target: Platform, method: str, url: str, body: Any, origin: Key, request: web.Request
    ) -> dict[str, Any] | None:
        """One hop to `target`, FROM `origin`; its envelope, None when it cannot be reached."""
        assert self._http is not None
        request_id = str(uuid.uuid4())
        if "keep_request_id" in self.faults:
            request_id = request.headers.get("X-Request-ID", request_id)
        if (
            "rewrite_last_updated" in self.faults
            and isinstance(body, dict)
            and "last_updated" in body
        ):
            body = {**body, "last_updated": "2024-05-01T10:00:00Z"}
        headers = {
            "Authorization": _auth(target.token_b),
            "X-Request-ID": request_id,
            "X-Correlation-ID": request.headers.get("X-Correlation-ID", ""),
            **_routing(origin, target.key),
        }
        try:
            async with self._http.request(method, url, json=body, headers=headers) as answer:
                found: dict[str, Any] = await answer.json()
                return found
        except aiohttp.ClientError:
            return None

    # ---- versions and credentials --------------------------------------------------------

    async def _versions(self, request: web.Request) -> web.Response:
        return self.reply([{"version": "2.2.1", "url": self.url + BASE}])

    async def _details(self, request: web.Request) -> web.Response:
        endpoints = [("credentials", "SENDER", "/credentials"), ("sessions", "SENDER", "/sessions")]
        endpoints += [
            (m, "RECEIVER", f"/receiver/{m}") for m in ("locations", "tokens", "sessions")
        ]
        endpoints.append(("commands", "RECEIVER", "/receiver/commands"))
        listed = [{"identifier": m, "role": r, "url": self.url + BASE + p} for m, r, p in endpoints]
        return self.reply({"version": "2.2.1", "endpoints": listed})

    def _credentials_object(self, token: str) -> dict[str, Any]:
        hub = {"role": "HUB", "business_details": {"name": "Fake hub"}}
        return {
            "token": token,
            "url": self.versions_url,
            "roles": [{**hub, "country_code": HUB[0], "party_id": HUB[1]}],
        }

    async def _credentials(self, request: web.Request) -> web.Response:
        platform = request[PLATFORM]
        token = next((t for t, p in self.platforms.items() if p is platform), "")
        if request.method == "GET":
            return self.reply(self._credentials_object(token))
        if request.method == "DELETE" and platform.connected:
            platform.connected = False
            del self.platforms[token]
            self.gone.append(platform)
            return self.reply(None)
        if request.method != "POST" or platform.connected:
            return self.reply(None, status=405, code=2000)
        theirs = await request.json()
        platform.token_b = theirs["token"]
        await self._read_endpoints(platform, theirs["url"])
        new = "C-" + secrets.token_hex(8)
        self.invited = {t: p for t, p in self.invited.items() if p is not platform}
        self.platforms[new] = platform
        platform.connected = True
        return self.reply(self._credentials_object(new))

    async def _read_endpoints(self, platform: Platform, versions_url: str) -> None:
        """GET the platform's versions and 2.2.1 details with its token B (credentials §3.3)."""
        assert self._http is not None
        headers = {"Authorization": _auth(platform.token_b)}
        if "routed_config" in self.faults:
            headers |= _routing(HUB, platform.key)
        async with self._http.get(versions_url, headers=headers) as answer:
            versions = (await answer.json())["data"]
        details_url = next(v["url"] for v in versions if v["version"] == "2.2.1")
        async with self._http.get(details_url, headers=headers) as answer:
            listed = (await answer.json())["data"]["endpoints"]
        platform.endpoints = {(e["identifier"], e["role"]): e["url"] for e in listed}

    # ---- routing -------------------------------------------------------------------------

    async def _receiver(self, request: web.Request) -> web.Response:
        sender = request[PLATFORM]
        module, tail = request.match_info["module"], request.match_info["tail"]
        body = await request.json() if request.body_exists else None
        cc, pid = (
            request.headers.get("OCPI-to-country-code"),
            request.headers.get("OCPI-to-party-id"),
        )
        to = (cc.upper(), pid.upper()) if cc and pid else HUB
        if to == HUB:
            return await self._to_the_hub(request, sender, module, tail, body)
        target = next((p for p in self.platforms.values() if p.key == to), None)
        known = target is not None or any(p.key == to for p in self.gone)
        if not known:
            code = 2000 if "unknown_2000" in self.faults else 4001
            return self.reply(None, code=code, message=f"{to} is unknown")
        lost = 3000 if "not_connected_3000" in self.faults else 4003
        if target is None:
            return self.reply(None, code=lost, message=f"{to} is not connected")
        if module == "commands" and isinstance(body, dict):
            body = self._proxied(sender, body)
        url = f"{target.endpoints[(module, 'RECEIVER')]}/{tail}"
        answer = await self._send(target, request.method, url, body, sender.key, request)
        if answer is None:
            return self.reply(None, code=lost, message=f"{to} cannot be reached")
        if module == "sessions" and isinstance(body, dict):
            self.sessions.append((to, body))
            if "personal_to_all" in self.faults:
                for other in self.platforms.values():
                    if other.role == "EMSP" and other is not target:
                        elsewhere = f"{other.endpoints[('sessions', 'RECEIVER')]}/{tail}"
                        await self._send(other, request.method, elsewhere, body, HUB, request)
        if "rewrite_answer" in self.faults and module == "locations":
            answer = {"status_code": 1000, "timestamp": "2024-05-01T10:00:00Z"}
        return web.json_response(answer, headers=_routing(to, sender.key))

    async def _to_the_hub(
        self, request: web.Request, sender: Platform, module: str, tail: str, body: Any
    ) -> web.Response:
        """Broadcast Push (§5): answer first, then fan out to the other role; GET: own copy."""
        if request.method == "GET":
            # Only personal_to_all serves a Session by id to a party it is not meant for.
            everyone = "personal_to_all" in self.faults
            found = [s for _, s in self.sessions if everyone and tail.endswith(s["id"])]
            return self.reply(found[0]) if found else self.reply(None, status=404, code=2001)
        audience = "EMSP" if sender.role == "CPO" else "CPO"
        for target in list(self.platforms.values()):
            url = target.endpoints.get((module, "RECEIVER"))
            echo = target is sender and "echo_broadcast" in self.faults
            if url and ((target.role == audience and target is not sender) or echo):
                task = asyncio.create_task(
                    self._fan_out(target, request, f"{url}/{tail}", body), name="fan-out"
                )
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        return self.reply(None, headers=_routing(HUB, sender.key))

    async def _fan_out(self, target: Platform, request: web.Request, url: str, body: Any) -> None:
        await asyncio.sleep(0.01)  # after the answer, as the spec's sequence diagram has it
        await self._send(target, request.method, url, body, HUB, request)

    # ---- commands and personal data ------------------------------------------------------

    def _proxied(self, sender: Platform, command: dict[str, Any]) -> dict[str, Any]:
        if "no_proxy" in self.faults:
            return command
        result_id = secrets.token_hex(8)
        self.results[result_id] = (sender, command["response_url"])
        return {**command, "response_url": f"{self.url}{BASE}/results/{result_id}"}

    async def _result(self, request: web.Request) -> web.Response:
        emsp, response_url = self.results[request.match_info["id"]]
        body = await request.json()
        await self._send(emsp, "POST", response_url, body, request[PLATFORM].key, request)
        return self.reply(None)

    async def _session_list(self, request: web.Request) -> web.Response:
        reader = request[PLATFORM].key
        everyone = "personal_to_all" in self.faults
        return self.reply([s for emsp, s in self.sessions if everyone or emsp == reader])
