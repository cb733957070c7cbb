"""A small OCPI 2.2.1 endpoint to test the conformance suite against: correct by default (the
suite passes it whole), broken on demand by named faults, one per way an implementation goes
wrong. It registers the suite like a real server (reads the suite's versions and details with
token B before answering), serves paged Sender lists, a Location by id, real-time
authorization, and Receiver interfaces that store what they get.

It is a test double: one client, everything in memory, no routing beyond what the suite needs.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

from conformance.validate import parse_datetime
from tests.conformance.fake_data import FAULTS, break_objects, valid_objects
from tests.conformance.fake_receivers import BASE, Receivers, Refused
from tests.conftest import free_socket

SENDER_LISTS = ("locations", "tariffs", "tokens", "sessions", "cdrs", "hubclientinfo")
RECEIVERS = ("locations", "tariffs", "tokens", "sessions", "cdrs", "commands", "chargingprofiles")
# Sender interfaces it lists without serving them: the suite never calls them.
OTHER_SENDERS = ("commands", "chargingprofiles")
TOKEN = web.RequestKey("token", str)
CONFIG = ("versions", "details", "credentials")


@dataclass
class FakeEndpoint(Receivers):
    roles: list[tuple[str, str, str]] = field(default_factory=lambda: [("CPO", "NL", "CPA")])
    faults: set[str] = field(default_factory=set)
    page_cap: int = 10
    url: str = ""
    token_a: str = field(default_factory=lambda: "A-" + secrets.token_hex(8))
    tokens: dict[str, str] = field(default_factory=dict)  # token → "A" or "C"
    lists: dict[str, list[dict[str, Any]]] = field(default_factory=valid_objects)
    stored: dict[str, Any] = field(default_factory=dict)  # receiver objects by path
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, path) as received
    _runner: web.AppRunner | None = None

    def __post_init__(self) -> None:
        unknown = self.faults - FAULTS
        assert not unknown, f"unknown faults {unknown}"
        self.tokens[self.token_a] = "A"
        if "invalid_objects" in self.faults:
            break_objects(self.lists)

    @property
    def versions_url(self) -> str:
        return f"{self.url}/ocpi/versions"

    async def start(self) -> FakeEndpoint:
        sock = free_socket()
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        app = web.Application(middlewares=[self._middleware])
        app.add_routes(
            [
                web.get("/ocpi/versions", self._versions, name="versions"),
                web.get(BASE, self._details, name="details"),
                web.route("*", BASE + "/credentials", self._credentials, name="credentials"),
                web.post(BASE + "/tokens/{uid}/authorize", self._authorize),
                web.route("*", BASE + "/receiver/{module}/{tail:.*}", self._receiver),
                web.route("*", BASE + "/receiver/{module}", self._receiver),
                web.get(BASE + "/locations/{tail:.+}", self._location_by_id),
                web.get(BASE + "/{module}", self._sender_list),
            ]
        )
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # ---- the edge: tokens, ids, routing headers ------------------------------------------

    def _token(self, header: str | None) -> str | None:
        if not header or not header.startswith("Token "):
            return None
        value = header[6:]
        try:
            decoded: str | None = base64.b64decode(value, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            decoded = None
        # raw_only refuses Base64 for token C only: registration with token A still works.
        if decoded in self.tokens and not (
            "raw_only" in self.faults and self.tokens[decoded] == "C"
        ):
            return decoded
        if value in self.tokens and "base64_only" not in self.faults:
            return value
        return None

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        self.requests.append((request.method, request.path))
        name = request.match_info.route.name or ""
        header = request.headers.get("Authorization")
        token = self._token(header)
        if token is None and header is None and "auth_optional" in self.faults:
            token = self._current_c()
        if token is None and header is not None and "any_token" in self.faults:
            token = self._current_c()
        request[TOKEN] = token or ""
        response: web.StreamResponse
        if token is None:
            response = self.reply(None, status=401, code=2000, message="unknown token")
        elif (
            self.tokens.get(token) == "A"
            and name not in CONFIG
            and "token_a_everywhere" not in self.faults
        ):
            response = self.reply(None, status=401, code=2000, message="token A")
        else:
            response = await handler(request)
        if "no_request_id" not in self.faults:
            for key in ("X-Request-ID", "X-Correlation-ID"):
                response.headers[key] = request.headers.get(key, "")
        configuration = name in CONFIG or request.match_info.get("module") == "hubclientinfo"
        if "no_routing_headers" in self.faults:
            configuration = True
        if not configuration or "routing_on_config" in self.faults:
            _, cc, pid = self.roles[0]
            response.headers["OCPI-from-country-code"] = cc
            response.headers["OCPI-from-party-id"] = pid
            response.headers["OCPI-to-country-code"] = request.headers.get(
                "OCPI-from-country-code", ""
            )
            response.headers["OCPI-to-party-id"] = request.headers.get("OCPI-from-party-id", "")
        return response

    def _current_c(self) -> str | None:
        return next((t for t, kind in self.tokens.items() if kind == "C"), None)

    def reply(
        self, data: Any, *, status: int = 200, code: int = 1000, message: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> web.Response:  # fmt: skip
        envelope: dict[str, Any] = {"status_code": code}
        if data is not None:
            envelope["data"] = data
        if message:
            envelope["status_message"] = message
        if "offset_timestamp" in self.faults:
            envelope["timestamp"] = "2024-05-01T10:00:00+00:00"
        elif "no_timestamp" not in self.faults:
            envelope["timestamp"] = "2024-05-01T10:00:00Z"
        return web.json_response(envelope, status=status, headers=headers)

    async def _body(self, request: web.Request) -> Any:
        try:
            return json.loads(await request.read())
        except ValueError:
            status = 500 if "json_500" in self.faults else 400
            raise Refused(self.reply(None, status=status, code=2000)) from None

    # ---- versions and credentials --------------------------------------------------------

    async def _versions(self, request: web.Request) -> web.Response:
        version = "2.2" if "versions_22" in self.faults else "2.2.1"
        return self.reply([{"version": version, "url": self.url + BASE}])

    async def _details(self, request: web.Request) -> web.Response:
        endpoints = []
        if "no_credentials_endpoint" not in self.faults:
            url = self.url + BASE + "/credentials"
            endpoints.append({"identifier": "credentials", "role": "SENDER", "url": url})
        for module in SENDER_LISTS:
            if module == "tariffs" and "no_tariffs" in self.faults:
                continue
            role = (
                "SENDERS"
                if module == "tariffs" and "bad_endpoint_role" in self.faults
                else "SENDER"
            )
            endpoints.append(
                {"identifier": module, "role": role, "url": f"{self.url}{BASE}/{module}"}
            )
        endpoints += [
            {"identifier": m, "role": "SENDER", "url": f"{self.url}{BASE}/{m}"}
            for m in OTHER_SENDERS
        ]
        endpoints += [
            {"identifier": m, "role": "RECEIVER", "url": f"{self.url}{BASE}/receiver/{m}"}
            for m in RECEIVERS
        ]
        return self.reply({"version": "2.2.1", "endpoints": endpoints})

    def _credentials_object(self, token: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "token": token,
            "url": self.versions_url,
            "roles": [
                {
                    "role": r,
                    "business_details": {"name": "Fake"},
                    "party_id": pid,
                    "country_code": cc,
                }
                for r, cc, pid in self.roles
            ],
        }
        if "credentials_without_url" in self.faults:
            del body["url"]
        return body

    async def _call_back(self, theirs: dict[str, Any]) -> bool:
        """Read the client's versions and 2.2.1 details with its token B (credentials §3.3)."""
        if "no_callback" in self.faults:
            return True
        auth = "Token " + base64.b64encode(str(theirs["token"]).encode()).decode()
        async with aiohttp.ClientSession(headers={"Authorization": auth}) as session:
            async with session.get(theirs["url"]) as response:
                versions = (await response.json())["data"]
            url = next(v["url"] for v in versions if v["version"] == "2.2.1")
            async with session.get(url) as response:
                return response.status == 200

    async def _credentials(self, request: web.Request) -> web.Response:
        token = request[TOKEN]
        kind = self.tokens.get(token)
        if request.method == "GET":
            return self.reply(self._credentials_object(token))
        if request.method == "DELETE":
            if kind != "C":
                return self.reply(None, status=405, code=2000)
            if "delete_keeps" not in self.faults:
                del self.tokens[token]
            return self.reply(None)
        registering = request.method == "POST" and (kind == "A" or "post_again_ok" in self.faults)
        rotating = request.method == "PUT" and kind == "C"
        if not (registering or rotating):
            return self.reply(None, status=405, code=2000)
        try:
            theirs = await self._body(request)
        except Refused as refused:
            return refused.response
        if not await self._call_back(theirs):
            return self.reply(None, code=3001)
        if kind == "A" and "token_a_lives" in self.faults:
            pass
        elif kind != "C" or "old_token_lives" not in self.faults:
            del self.tokens[token]
        new = "C-" + secrets.token_hex(8)
        if "bad_token_c" in self.faults:
            new = f"not a token C {new}: it has spaces and is longer than the 64 characters allowed"
        self.tokens[new] = "C"
        return self.reply(self._credentials_object(new))

    # ---- Sender interfaces ---------------------------------------------------------------

    def _page_bounds(self, request: web.Request) -> tuple[int, int]:
        offset = int(request.query.get("offset", "0"))
        limit = min(int(request.query.get("limit", self.page_cap)), self.page_cap)
        if "ignore_limit" in self.faults:
            limit = self.page_cap
        if "ignore_offset" in self.faults:
            offset = 0
        return offset, limit

    def _filtered(self, request: web.Request, module: str) -> list[dict[str, Any]]:
        found = self.lists[module]
        if "ignore_date_filters" in self.faults:
            return found
        for name in ("date_from", "date_to"):
            raw = request.query.get(name)
            if raw is None:
                continue
            if "strict_date_form" in self.faults and not raw.endswith("Z"):
                raise Refused(self.reply(None, code=2001, message=f"{name} needs a Z"))
            moment = parse_datetime(raw)
            if moment is None:
                raise Refused(self.reply(None, code=2001, message=f"bad {name}"))
            found = [
                o for o in found
                if (when := parse_datetime(o["last_updated"])) is not None
                and (when >= moment if name == "date_from" else when < moment)
            ]  # fmt: skip
        return found

    async def _sender_list(self, request: web.Request) -> web.Response:
        module = request.match_info["module"]
        if module not in self.lists:
            return self.reply(None, status=404, code=2000)
        if module == "sessions" and "sessions_need_more" in self.faults:
            return self.reply(None, code=2001, message="date_from and more are required")
        try:
            found = self._filtered(request, module)
        except Refused as refused:
            return refused.response
        total = len(found)
        offset, limit = self._page_bounds(request)
        start = offset - 1 if "duplicates" in self.faults and offset > 0 else offset
        page = found[start : start + limit]
        headers = {"X-Limit": str(self.page_cap)}
        if "no_total_count" not in self.faults:
            headers["X-Total-Count"] = str(total)
        more = offset + len(page) < total
        if page and (more or "link_on_last_page" in self.faults):
            query = {k: v for k, v in request.query.items() if k in ("date_from", "date_to")}
            query |= {"offset": str(offset + len(page)), "limit": str(limit)}
            headers["Link"] = f'<{self.url}{BASE}/{module}?{urlencode(query)}>; rel="next"'
        return self.reply(page, headers=headers)

    async def _location_by_id(self, request: web.Request) -> web.Response:
        parts = request.match_info["tail"].strip("/").split("/")
        locations = self.lists["locations"]
        found = next((o for o in locations if o["id"] == parts[0]), None)
        if "wrong_location_by_id" in self.faults and found is not None:
            found = next(o for o in locations if o is not found)
        if found is None:
            if "unknown_location_ok" in self.faults:
                return self.reply(locations[0])
            return self.reply(None, status=404, code=2003, message="unknown Location")
        target: Any = found
        if len(parts) >= 2:
            target = next((e for e in found.get("evses", []) if e["uid"] == parts[1]), None)
        if target is not None and len(parts) >= 3:
            target = next((c for c in target.get("connectors", []) if c["id"] == parts[2]), None)
        if target is None:
            return self.reply(None, status=404, code=2003, message="unknown EVSE or Connector")
        return self.reply(target)

    async def _authorize(self, request: web.Request) -> web.Response:
        uid = request.match_info["uid"]
        token = next((t for t in self.lists["tokens"] if t["uid"] == uid), None)
        if token is None:
            status = 200 if "authorize_unknown_200" in self.faults else 404
            return self.reply(None, status=status, code=2004, message="unknown token")
        return self.reply({"allowed": "ALLOWED", "token": token})
