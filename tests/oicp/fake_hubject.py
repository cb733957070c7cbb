"""FakeHubject: a real TLS aiohttp server that plays Hubject's HBS and ENFORCES OICP 2.3, so
that a hub bridge that breaks a rule fails the test that caused it.

Rules, written from hub-dialects.md §5 and the OICP 2.3 spec (never from ocpi_hub/dialects/),
each with the answer Hubject gives; (V) marks a violation, a rule a correct hub never breaks:
- mutual TLS: a client certificate signed by the test CA, else the TLS handshake fails;
- the certificate's partner (`partner(cn, operator_ids=..., provider_ids=...)`) owns the
  OperatorID / ProviderID of the path and of the body: else HTTP 200, StatusCode 017 (V);
- the body is JSON and validates against schemas/oicp/NAME.request.json: else HTTP 400,
  StatusCode 022 naming the field (V);
- a push waits for the answer to the previous push of the same operation and operator (§5.1):
  else HTTP 429 with Retry-After (V);
- at most `rate_limits[operation]` requests per minute per partner (the AUP table, §5.1):
  else HTTP 429 with Retry-After, counted in `throttled` (not a violation: the hub backs off);
- EvseIDs pushed (data, status, EVSE pricing) or charged (CDR) are the operator's, once each
  per request: else 018 (V); EvcoIDs pushed as authentication data are the provider's: else
  019 (V);
- ActionType semantics (hubject_state.py): insert of a record that exists, update of one that
  does not: 009;
- a CDR names a SessionID Hubject issued to this operator (400), once per SessionID (009);
  AuthorizeStop, RemoteStop and notifications name a known SessionID (NotAuthorized / 400);
- RemoteStart names an EVSE of the operator's EVSE data (603), Hubject compatible (604), of a
  CPO behind Hubject (300) that answers (310).

Violations are hub bugs: the `fake_hubject` fixture fails the test at teardown unless the test
called `expect_violations`. Refusals of the last four rows are answers a correct hub may meet.

Hubject's partners besides the hub are callbacks (hubject_operations.py: `emp(provider_id,
authorize_start=...)`, `cpo(operator_id, remote_start=...)`), routed as HBS does. Hubject's calls
to the hub (`authorize_start`, `remote_start`, `forward_cdr`, ...) go to the partner URL the test
names plus the operation's path under `partner_path` (the code snippets: Hubject appends
`/api/oicp/...` to the partner's endpoint), with the fake's own client certificate ("Hubject
HBS", from the test CA); an answer that is not HTTP 200 with a valid body is a violation.

The module is split in three (the project keeps modules under ~400 lines): this one (transport,
enforcement, calls to the hub), hubject_operations.py (the operations and the routing) and
hubject_state.py (the data Hubject keeps and the pulls, without I/O).
"""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson
from aiohttp import web

from tests.e2e.fakes import Answer, socket_on
from tests.oicp.certs import TestCA
from tests.oicp.hubject_operations import HubjectOperations, Partner, ack
from tests.oicp.hubject_state import (
    Body,
    ReceivedCdr,
    Refused,
    Session,
    normal,
    now,
    operator_id_of,
)
from tests.oicp.schemas import request_problems, response_problems

# Requests per minute per operation, from Hubject's Acceptable Use Policy (hub-dialects §5.1).
RATE_LIMITS = {
    "eRoamingPullEvseStatusById": 300,
    "eRoamingPullEvseStatusByOperatorId": 75,
    "eRoamingPullEvseStatus": 6,
    "eRoamingPullEvseData": 100,
    "eRoamingPushEvseStatus": 2000,
    "eRoamingPushEvseData": 375,
    "eRoamingAuthorizeStart": 200,
    "eRoamingAuthorizeStop": 50,
    "eRoamingAuthorizeRemoteStart": 100,
    "eRoamingAuthorizeRemoteStop": 200,
    "eRoamingPushAuthenticationData": 50,
    "eRoamingChargeDetailRecord": 350,
    "eRoamingGetChargeDetailRecords": 200,
    "eRoamingChargingNotifications": 100,
    "eRoamingPushEVSEPricing": 6,
    "eRoamingPushPricingProductData": 6,
}


@dataclass(frozen=True)
class Route:
    operation: str
    path: str  # under the base URL; `{id}` is the OperatorID or ProviderID the path carries
    kind: str  # "operator" or "provider": whose id the path and the body fields carry
    body_ids: tuple[tuple[str, ...], ...] = ()  # where the body names the caller
    push: bool = False


ROUTES = (
    Route("eRoamingPushEvseData", "/evsepush/v23/operators/{id}/data-records", "operator",
          (("OperatorEvseData", "OperatorID"),), push=True),
    Route("eRoamingPushEvseStatus", "/evsepush/v21/operators/{id}/status-records", "operator",
          (("OperatorEvseStatus", "OperatorID"),), push=True),
    Route("eRoamingPushPricingProductData", "/dynamicpricing/v10/operators/{id}/pricing-products",
          "operator", (("PricingProductData", "OperatorID"),), push=True),
    Route("eRoamingPushEVSEPricing", "/dynamicpricing/v10/operators/{id}/evse-pricing",
          "operator", push=True),
    Route("eRoamingPushAuthenticationData", "/authdata/v21/providers/{id}/push-request",
          "provider", (("ProviderAuthenticationData", "ProviderID"),), push=True),
    Route("eRoamingPullEvseData", "/evsepull/v23/providers/{id}/data-records", "provider",
          (("ProviderID",),)),
    # The OpenAPI files take all three status pulls on status-records (the body tells which);
    # the code snippets give ById and ByOperatorID paths of their own. Both are served.
    Route("eRoamingPullEvseStatus", "/evsepull/v21/providers/{id}/status-records", "provider",
          (("ProviderID",),)),
    Route("eRoamingPullEvseStatusById", "/evsepull/v21/providers/{id}/status-records-by-id",
          "provider", (("ProviderID",),)),
    Route("eRoamingPullEvseStatusByOperatorId",
          "/evsepull/v21/providers/{id}/status-records-by-operator-id", "provider",
          (("ProviderID",),)),
    Route("eRoamingAuthorizeStart", "/charging/v21/operators/{id}/authorize/start", "operator",
          (("OperatorID",),)),
    Route("eRoamingAuthorizeStop", "/charging/v21/operators/{id}/authorize/stop", "operator",
          (("OperatorID",),)),
    Route("eRoamingAuthorizeRemoteStart", "/charging/v21/providers/{id}/authorize-remote/start",
          "provider", (("ProviderID",),)),
    Route("eRoamingAuthorizeRemoteStop", "/charging/v21/providers/{id}/authorize-remote/stop",
          "provider", (("ProviderID",),)),
    Route("eRoamingChargeDetailRecord", "/cdrmgmt/v22/operators/{id}/charge-detail-record",
          "operator"),
    Route("eRoamingGetChargeDetailRecords",
          "/cdrmgmt/v22/providers/{id}/get-charge-detail-records-request", "provider",
          (("ProviderID",),)),
    Route("eRoamingChargingNotifications", "/notificationmgmt/v11/charging-notifications",
          "operator", (("OperatorID",),)),
)  # fmt: skip
PATHS = {route.operation: route.path for route in ROUTES}


@dataclass
class Call:
    """One request that reached the fake, as it understood it."""

    operation: str
    partner: str  # the common name of the certificate that called
    path: str
    body: Any


@dataclass
class FakeHubject(HubjectOperations):
    ca: TestCA | None = None
    host: str = "127.0.0.1"
    partner_path: str = "/api/oicp"  # what Hubject puts between a partner's URL and the path
    delay: float = 0.0  # seconds each request takes to answer (to provoke concurrent pushes)
    answer_timeout: float = 10.0  # how long Hubject waits for the hub's answer to its calls
    rate_limits: dict[str, int] = field(default_factory=lambda: dict(RATE_LIMITS))
    received: list[Call] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    throttled: Counter[str] = field(default_factory=Counter)
    url: str = ""  # the base URL, like https://service.hubject.com/api/oicp
    _expected: list[str] = field(default_factory=list)
    _in_flight: set[tuple[str, str]] = field(default_factory=set)
    _calls: dict[tuple[str, str], deque[float]] = field(default_factory=dict)
    _runner: web.AppRunner | None = None
    _client: aiohttp.ClientSession | None = None

    async def start(self) -> FakeHubject:
        assert self.ca is not None, "FakeHubject(ca=TestCA(...))"
        app = web.Application(client_max_size=64 * 1024 * 1024)
        for route in ROUTES:
            app.router.add_post("/api/oicp" + route.path, self._handler(route))
        sock = socket_on(0, self.host)
        self.url = f"https://{self.host}:{sock.getsockname()[1]}/api/oicp"
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        server = self.ca.server().server_context()
        await web.SockSite(self._runner, sock, ssl_context=server).start()
        calling = self.ca.client("Hubject HBS").client_context()
        self._client = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=calling))
        return self

    async def stop(self) -> None:
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def expect_violations(self, *fragments: str) -> None:
        """This test provokes violations on purpose: each recorded one must contain one of
        `fragments`, and each fragment must occur."""
        self._expected.extend(fragments)

    def check_violations(self) -> None:
        """What the `fake_hubject` fixture asserts at teardown."""
        unexpected = [v for v in self.violations if not any(f in v for f in self._expected)]
        missing = [f for f in self._expected if not any(f in v for v in self.violations)]
        assert (unexpected, missing) == ([], []), (
            f"OICP violations: {unexpected} unexpected, expected but absent: {missing}"
        )

    # ---- what tests seed and read -------------------------------------------------------------

    def seed_evse_data(
        self, operator_id: str, records: list[Body], action: str = "insert",
        operator_name: str | None = None,
    ) -> None:  # fmt: skip
        """EVSE data of another operator, as if it had pushed it."""
        owner = self.operator_named(operator_id, operator_name)
        self.evse_data.apply(owner, action, records)

    def seed_evse_status(
        self, operator_id: str, statuses: dict[str, str], action: str = "update"
    ) -> None:
        """EVSE statuses of another operator, as if it had pushed them (an update needs the
        EVSEs' data seeded first, as a push does)."""
        owner = self.operator_named(operator_id, None)
        records = [{"EvseID": e, "EvseStatus": s} for e, s in statuses.items()]
        self.evse_status.apply(owner, action, records, self.evse_data.current(owner))

    def seed_cdr(self, cdr: Body, provider_id: str, forwarded: bool = False) -> None:
        """A CDR another operator sent for a session `provider_id` authorized."""
        operator = self.known_as(operator_id_of(cdr["EvseID"]))
        provider = self.known_as(provider_id)
        self.sessions[cdr["SessionID"]] = Session(
            cdr["SessionID"], operator, provider, cdr["EvseID"], cdr["Identification"]
        )
        self.cdrs[cdr["SessionID"]] = ReceivedCdr(cdr, operator, provider, now(), forwarded)

    def current_evse_data(self, operator_id: str | None = None) -> dict[str, Body]:
        """The EVSE data Hubject holds now, by EvseID."""
        owner = normal(operator_id) if operator_id else None
        return {s.record["EvseID"]: s.record for s in self.evse_data.current(owner).values()}

    def current_evse_status(self, operator_id: str | None = None) -> dict[str, str]:
        """The EVSE statuses Hubject holds now, by EvseID."""
        owner = normal(operator_id) if operator_id else None
        current = self.evse_status.current(owner).values()
        return {s.record["EvseID"]: s.record["EvseStatus"] for s in current}

    # ---- the request pipeline -----------------------------------------------------------------

    def _handler(self, route: Route) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handle(request: web.Request) -> web.Response:
            try:
                return await self._serve(route, request)
            except Refused as refused:
                if refused.violation:
                    self.violations.append(f"{route.operation}: {refused.message}")
                if refused.status == 429:
                    return web.Response(status=429, headers={"Retry-After": "1"})
                return _json(ack(False, refused.code, refused.message), refused.status)

        return handle

    async def _serve(self, route: Route, request: web.Request) -> web.Response:
        path_id = request.match_info.get("id")
        cert = request.transport.get_extra_info("peercert") if request.transport else None
        name = dict(pair[0] for pair in cert["subject"]).get("commonName", "") if cert else ""
        partner = self.partners.get(name)
        if partner is None:
            raise Refused("017", f"unknown partner {name!r}", violation=True)
        key = (route.operation, normal(path_id or ""))
        if route.push and key in self._in_flight:
            # Answered 429 with Retry-After (not a StatusCode: OICP has none for this), so a
            # hub that breaks the sequence backs off as from a rate limit, and fails its test.
            raise Refused(
                "", f"concurrent push for {path_id}: pushes are sequential (§5.1)",
                violation=True, status=429,
            )  # fmt: skip
        if route.push:
            self._in_flight.add(key)
        try:
            return await self._answer(route, request, partner, path_id)
        finally:
            if route.push:
                self._in_flight.discard(key)

    async def _answer(
        self, route: Route, request: web.Request, partner: Partner, path_id: str | None
    ) -> web.Response:
        try:
            body = orjson.loads(await request.read())
        except orjson.JSONDecodeError as error:
            raise Refused("022", f"not JSON: {error}", violation=True, status=400) from None
        operation = _shape(route, body)
        self.received.append(Call(operation, partner.common_name, request.path, body))
        if (wait := self._throttle(operation, partner.common_name)) is not None:
            self.throttled[operation] += 1
            return web.Response(status=429, headers={"Retry-After": str(wait)})
        if problems := request_problems(operation, body):
            raise Refused("022", "; ".join(problems), violation=True, status=400)
        self._check_ids(route, partner, path_id, body)
        if self.delay:
            await asyncio.sleep(self.delay)
        answer = await self.serve(operation, partner, path_id, body, request.query)
        problems = response_problems(operation, answer)
        assert not problems, f"the fake's own {operation} answer is invalid: {problems}"
        return _json(answer)

    def _throttle(self, operation: str, partner: str) -> int | None:
        """Seconds to wait when `partner` has used up this minute's requests, else None."""
        calls = self._calls.setdefault((operation, partner), deque())
        moment = time.monotonic()
        while calls and moment - calls[0] >= 60:
            calls.popleft()
        if len(calls) >= self.rate_limits.get(operation, math.inf):
            return max(1, math.ceil(60 - (moment - calls[0])))
        calls.append(moment)
        return None

    def _check_ids(self, route: Route, partner: Partner, path_id: str | None, body: Body) -> None:
        """017 unless the caller's certificate owns every OperatorID / ProviderID it names."""
        named = [path_id] if path_id else []
        for where in route.body_ids:
            value: Any = body
            for part in where:
                value = value.get(part) if isinstance(value, dict) else None
            if isinstance(value, str):
                named.append(value)
        for identifier in named:
            if not partner.owns(route.kind, identifier):
                message = f"{route.kind} {identifier} is not {partner.common_name}'s"
                raise Refused("017", message, violation=True)

    # ---- Hubject calling the hub --------------------------------------------------------------

    async def authorize_start(self, partner_url: str, body: Body, *, valid: bool = True) -> Answer:
        """Forward a CPO's AuthorizeStart to the hub as EMP (with a SessionID Hubject issues)."""
        body = {"SessionID": str(uuid.uuid4()), **body}
        answer = await self._call(
            "eRoamingAuthorizeStart", partner_url, body["OperatorID"], body, valid
        )
        reply = answer.body if isinstance(answer.body, dict) else {}
        if reply.get("AuthorizationStatus") == "Authorized":
            operator, provider = (
                self.known_as(body["OperatorID"]),
                normal(reply.get("ProviderID", "")),
            )
            self.sessions[body["SessionID"]] = Session(
                body["SessionID"], operator, provider, body.get("EvseID"), body["Identification"]
            )
        return answer

    async def authorize_stop(self, partner_url: str, body: Body, *, valid: bool = True) -> Answer:
        return await self._call(
            "eRoamingAuthorizeStop", partner_url, body["OperatorID"], body, valid
        )

    async def remote_start(self, partner_url: str, body: Body, *, valid: bool = True) -> Answer:
        """Forward an EMP's AuthorizeRemoteStart to the hub as CPO (with a SessionID)."""
        body = {"SessionID": str(uuid.uuid4()), **body}
        operation = "eRoamingAuthorizeRemoteStart"
        answer = await self._call(operation, partner_url, body["ProviderID"], body, valid)
        if isinstance(answer.body, dict) and answer.body.get("Result") is True:
            operator = self.known_as(operator_id_of(body["EvseID"]))
            self.sessions[body["SessionID"]] = Session(
                body["SessionID"], operator, self.known_as(body["ProviderID"]), body["EvseID"],
                body["Identification"],
            )  # fmt: skip
        return answer

    async def remote_stop(self, partner_url: str, body: Body, *, valid: bool = True) -> Answer:
        operation = "eRoamingAuthorizeRemoteStop"
        return await self._call(operation, partner_url, body["ProviderID"], body, valid)

    async def forward_cdr(self, partner_url: str, cdr: Body, *, valid: bool = True) -> Answer:
        """Forward a CDR to the hub as EMP: the CDR path under the partner's URL (§5.1), with
        the operator the EvseID names."""
        operator_id = operator_id_of(cdr["EvseID"])
        answer = await self._call(
            "eRoamingChargeDetailRecord", partner_url, operator_id, cdr, valid
        )
        delivered = isinstance(answer.body, dict) and answer.body.get("Result") is True
        session = self.sessions.get(cdr["SessionID"])
        if session is not None:
            stored = self.cdrs.get(cdr["SessionID"])
            if stored is None:
                stored = ReceivedCdr(cdr, session.operator, session.provider, now(), False)
                self.cdrs[cdr["SessionID"]] = stored
            stored.forwarded = stored.forwarded or delivered
        return answer

    async def forward_notification(
        self, partner_url: str, body: Body, *, valid: bool = True
    ) -> Answer:
        return await self._call("eRoamingChargingNotifications", partner_url, None, body, valid)

    async def _call(
        self, operation: str, partner_url: str, path_id: str | None, body: Body, valid: bool
    ) -> Answer:
        """POST `body` to the hub; an answer that is not HTTP 200 with a valid body, or none
        within `answer_timeout`, is a violation. `valid=False` lets a test send a body that
        breaks the schema (to see the hub refuse it)."""
        if valid:
            problems = request_problems(operation, body)
            assert not problems, f"the test's {operation} body is invalid: {problems}"
        assert self._client is not None, "start() the fake first"
        url = (
            partner_url.rstrip("/")
            + self.partner_path
            + PATHS[operation].replace("{id}", path_id or "")
        )
        timeout = aiohttp.ClientTimeout(total=self.answer_timeout)
        try:
            async with self._client.post(url, json=body, timeout=timeout) as response:
                answer = await Answer.read(response)
        except TimeoutError:
            self.violations.append(f"{operation}: no answer within {self.answer_timeout} s")
            raise
        if answer.status != 200:
            self.violations.append(f"{operation}: the hub answered HTTP {answer.status}")
        elif problems := response_problems(operation, answer.body):
            self.violations.append(f"{operation}: the hub's answer: {'; '.join(problems)}")
        return answer


def _shape(route: Route, body: Any) -> str:
    """The status pull a body asks for, on the path the OpenAPI files give all three."""
    if route.operation == "eRoamingPullEvseStatus" and isinstance(body, dict):
        if "EvseID" in body:
            return "eRoamingPullEvseStatusById"
        if "OperatorID" in body:
            return "eRoamingPullEvseStatusByOperatorId"
    return route.operation


def _json(body: Body, status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=lambda v: orjson.dumps(v).decode())
