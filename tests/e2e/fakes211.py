"""A fake OCPI 2.1.1-only party (CPO or eMSP) that enforces 2.1.1, for end-to-end tests.

`FakeParty211` extends the one `FakeParty` through its hooks (version, token reading, the
refusal check, the module handler, its credentials) and enforces what a 2.1.1 party would:

| rule                                   | answer when broken                          | source |
|----------------------------------------|---------------------------------------------|--------|
| versions list only 2.1.1; details      | (it serves them so)                         | §1.7   |
| carry no `role`                        |                                             |        |
| `Authorization: Token <raw>`           | 401 (a Base64 token is not decoded)         | §1.1   |
| body is JSON                           | 400 / 2001                                  | §1.2   |
| every PUT/PATCH/POST body is a 2.1.1   | 400 / 2001 naming the field, in `refused`   | §2-§8  |
| object (strict: 2.2.1-only fields are  | (PATCH: only the fields present)            |        |
| errors too)                            |                                             |        |
| answers it reads (authorize, commands, | recorded in `breaches`                      | §5, §8 |
| pushes) are 2.1.1                      |                                             |        |
| credentials: POST when registered,     | 405                                         | §2     |
| PUT/DELETE when not                    |                                             |        |

Objects are checked with the conformance suite's 2.1.1 tables (`conformance.validate`), never
with the hub's translation modules. As a CPO endpoint it serves paged Sender lists (offset,
limit, Link, X-Total-Count, X-Limit) of `sender_data`, and a Location (EVSE, Connector) by id.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, ClassVar, cast
from urllib.parse import urlencode

from aiohttp import web
from yarl import URL

from conformance.register import INTERFACES_211, versions_listed
from conformance.validate import errors, validate
from ocpi_hub.core.handshake import new_token
from tests.e2e.fakes import BODY, Answer, FakeParty

V211 = "2.1.1"
# The object a push carries, by module and by the number of path segments after the module
# (receiver URLs: {cc}/{pid}/{id}[/{evse_uid}[/{connector_id}]]).
PUSHED_KIND: dict[str, dict[int, str]] = {
    "locations": {3: "Location", 4: "EVSE", 5: "Connector"},
    "tariffs": {3: "Tariff"},
    "sessions": {3: "Session"},
    "tokens": {3: "Token"},
    "cdrs": {0: "CDR"},
}
COMMAND_KIND = {
    "START_SESSION": "StartSession",
    "STOP_SESSION": "StopSession",
    "RESERVE_NOW": "ReserveNow",
    "UNLOCK_CONNECTOR": "UnlockConnector",
}
SENDER_MODULES = {"CPO": ("locations", "tariffs", "sessions", "cdrs"), "EMSP": ("tokens",)}
CALLBACK = "/callback/"  # where its commands' response_url points (it answers CommandResponse)
PAGE_CAP = 10


def problems_of(kind: str, value: Any, *, patch: bool = False) -> list[str]:
    """What breaks 2.1.1 in `value` as a `kind` (strict: unknown fields too)."""
    found = validate(kind, value, kind, V211, patch=patch, strict=True)
    return [str(p) for p in errors(found)]


@dataclass
class FakeParty211(FakeParty):
    version: ClassVar[str] = V211
    # What it serves on its Sender lists, by module, in list order.
    sender_data: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # What the hub answered that is not 2.1.1 (answers cannot be refused).
    breaches: list[str] = field(default_factory=list)
    # Why each refused request was refused, in order.
    refusals: list[str] = field(default_factory=list)
    page_cap: int = PAGE_CAP

    # ---- hooks ---------------------------------------------------------------------------

    def _token(self, authorization: str) -> str:
        """2.1.1: the token as written, never decoded."""
        return authorization[6:] if authorization.startswith("Token ") else ""

    def _check(self, request: web.Request, body: Any) -> web.Response | None:
        if request.method not in ("PUT", "PATCH", "POST"):
            return None
        if not isinstance(body, dict | list):
            return self._refuse(request, "the body is not a JSON object", status=400)
        kind = self._kind_of(request)
        if kind is None:
            return None
        found = problems_of(kind, body, patch=request.method == "PATCH")
        return self._refuse(request, "; ".join(found)) if found else None

    def _kind_of(self, request: web.Request) -> str | None:
        """The 2.1.1 object a request body must be, None when it is not checked."""
        path = request.path
        if path.startswith(CALLBACK):
            return "CommandResponse"
        prefix = f"/ocpi/{self.version}/"
        if not path.startswith(prefix):
            return None
        module, _, tail = path[len(prefix) :].partition("/")
        segments = [s for s in tail.split("/") if s]
        if module == "credentials":
            return "Credentials" if request.method in ("POST", "PUT") else None
        if module == "commands":
            return COMMAND_KIND.get(segments[0]) if segments else None
        return PUSHED_KIND.get(module, {}).get(len(segments))

    def _refuse(self, request: web.Request, why: str, status: int = 400) -> web.Response:
        self.refusals.append(why)
        return self._reply(request, None, status=status, code=2001, message=why)

    def credentials(self, token: str) -> dict[str, Any]:
        """The 2.1.1 Credentials: one party at top level, no roles (§2)."""
        return {
            "token": token,
            "url": self.versions_url,
            "business_details": {"name": f"Fake 2.1.1 {self.role} {self.party_id}"},
            "party_id": self.party_id,
            "country_code": self.country_code,
        }

    async def _details(self, request: web.Request) -> web.Response:
        """The interface of its role, without `role` (2.1.1 Endpoint: identifier and url)."""
        base = self.endpoints_url or self.url
        listed = ["credentials", *dict.fromkeys(m for m, _ in self.modules)]
        endpoints = [{"identifier": m, "url": f"{base}/ocpi/{V211}/{m}"} for m in listed]
        return self._reply(request, {"version": V211, "endpoints": endpoints})

    async def _credentials(self, request: web.Request) -> web.Response:
        """The other side registering (POST), updating (PUT) or unregistering (DELETE)."""
        registered = self.peer_credentials is not None
        method = request.method
        if method == "GET":
            return self._reply(request, self.credentials(self.hub_token or ""))
        if (method == "POST" and registered) or (method in ("PUT", "DELETE") and not registered):
            return self._reply(request, None, status=405, code=2000, message="method not allowed")
        if method == "DELETE":
            self.peer_credentials = None
            self.accepted_tokens = set()
            return self._reply(request, None)
        theirs = cast(dict[str, Any], request[BODY])
        # Like a real server: read their versions and 2.1.1 details with their token first.
        versions = await self.call_url("GET", theirs["url"], token=theirs["token"])
        listed = versions_listed(versions.data) or []
        details_url = next(
            (v["url"] for v in listed if isinstance(v, dict) and v.get("version") == V211), None
        )
        if versions.status_code != 1000 or details_url is None:
            return self._reply(request, None, code=3001, message="no 2.1.1 in your versions")
        details = await self.call_url("GET", details_url, token=theirs["token"])
        if details.status_code != 1000:
            return self._reply(request, None, code=3001, message="cannot read your details")
        self.callback_answers.append(versions)
        self.peer_credentials = theirs
        token_c = new_token()
        self.accepted_tokens = {token_c}
        self.hub_token = token_c
        self.token_for_hub = theirs["token"]
        return self._reply(request, self.credentials(token_c))

    async def _module(self, request: web.Request) -> web.Response:
        module = request.match_info.get("module", "")
        tail = request.match_info.get("tail", "").strip("/")
        if request.method == "GET" and module in self.sender_data:
            return self._sender_get(request, module, tail)
        if request.method == "POST" and module == "commands":
            body = request[BODY]
            self.objects.setdefault("commands", {})[tail] = body
            return self._reply(request, {"result": "ACCEPTED"})
        return await super()._module(request)

    # ---- Sender lists ----------------------------------------------------------------------

    def _sender_get(self, request: web.Request, module: str, tail: str) -> web.Response:
        items = self.sender_data[module]
        if tail:
            found = _by_id(items, tail.split("/")) if module == "locations" else None
            if found is None:
                return self._reply(request, None, status=404, code=2003, message="unknown object")
            return self._reply(request, found)
        query = request.query
        try:
            offset = max(0, int(query.get("offset", "0")))
            limit = min(self.page_cap, max(1, int(query.get("limit", str(self.page_cap)))))
        except ValueError:
            return self._reply(request, None, status=400, code=2001, message="bad offset/limit")
        selected = [i for i in items if _within(i, query.get("date_from"), query.get("date_to"))]
        page = selected[offset : offset + limit]
        response = self._reply(request, page)
        response.headers["X-Total-Count"] = str(len(selected))
        response.headers["X-Limit"] = str(self.page_cap)
        if offset + limit < len(selected):
            kept = {k: v for k, v in query.items() if k not in ("offset", "limit")}
            kept |= {"offset": str(offset + limit), "limit": str(limit)}
            response.headers["Link"] = f'<{self.url}{request.path}?{urlencode(kept)}>; rel="next"'
        return response

    # ---- client side: 2.1.1 both ways --------------------------------------------------------

    async def call_url(self, method: str, url: str | URL, **kwargs: Any) -> Answer:
        """Every call carries the raw token (2.1.1 §1.1)."""
        kwargs["raw_token"] = True
        return await super().call_url(method, url, **kwargs)

    def _details_url(self, versions: Answer) -> str:
        """2.1.1 from the hub's versions list (a bare list, or d2's `versions` wrapper)."""
        listed = versions_listed(versions.data) or []
        return str(
            next(v["url"] for v in listed if isinstance(v, dict) and v.get("version") == V211)
        )

    def _heard_credentials(self, details: Answer, answer: Answer) -> None:
        if "role" in str(details.data):
            self.breaches.append(f"the hub's 2.1.1 details carry a role: {details.data}")
        self._read("Credentials", answer)

    def _interface(self, endpoint: dict[str, Any]) -> str:
        """2.1.1 endpoints carry no role: the hub's interface for our role's counterpart
        (§1.7), so `endpoints` is keyed as for a 2.2.1 party."""
        counterpart = INTERFACES_211["EMSP" if self.role == "CPO" else "CPO"]
        return counterpart.get(endpoint["identifier"], "")

    def _read(self, kind: str, answer: Answer) -> None:
        """Record what is not 2.1.1 in an answer's data (a 1000 answer with data only)."""
        if answer.status_code == 1000 and answer.data is not None:
            self.breaches += problems_of(kind, answer.data)

    async def push(self, module: str, tail: str, body: Any, method: str = "PUT") -> Answer:
        """Call the hub's 2.1.1 receiver of `module` at `{url}/{tail}` (raw token)."""
        url = self.endpoints[(module, "RECEIVER")].rstrip("/") + "/" + tail.lstrip("/")
        return await self.call_url(method, url, json=body)

    async def post_cdr(self, body: dict[str, Any]) -> Answer:
        """POST a 2.1.1 CDR to the hub's cdrs receiver (it answers with a Location header)."""
        return await self.call_url("POST", self.endpoints[("cdrs", "RECEIVER")], json=body)

    async def authorize(self, uid: str, refs: dict[str, Any] | None = None) -> Answer:
        """Real-time authorization of `uid` at the hub (§5.4); the answer must be a 2.1.1
        AuthorizationInfo."""
        url = self.endpoints[("tokens", "SENDER")].rstrip("/") + f"/{uid}/authorize"
        answer = await self.call_url("POST", url, json=refs)
        self._read("AuthorizationInfo", answer)
        return answer

    async def command(self, command: str, body: dict[str, Any]) -> Answer:
        """As an eMSP: POST a 2.1.1 command to the hub; the answer is a CommandResponse."""
        url = self.endpoints[("commands", "RECEIVER")].rstrip("/") + f"/{command}"
        answer = await self.call_url("POST", url, json=body)
        self._read("CommandResponse", answer)
        return answer

    def response_url(self, name: str) -> str:
        """A callback URL for a command's asynchronous CommandResponse."""
        return f"{self.url}{CALLBACK}{name}"

    async def command_result(self, url: str, result: str) -> Answer:
        """As a CPO: POST the asynchronous 2.1.1 CommandResponse to a command's response_url."""
        return await self.call_url("POST", url, json={"result": result})


def _by_id(items: list[dict[str, Any]], ids: list[str]) -> dict[str, Any] | None:
    """A Location, its EVSE or its Connector by the ids of a Sender object URL."""
    found: dict[str, Any] | None = next((i for i in items if i.get("id") == ids[0]), None)
    for key, child, wanted in (("evses", "uid", 1), ("connectors", "id", 2)):
        if found is None or len(ids) <= wanted:
            return found
        found = next((c for c in found.get(key) or [] if c.get(child) == ids[wanted]), None)
    return found


def _within(item: dict[str, Any], date_from: str | None, date_to: str | None) -> bool:
    """date_from inclusive, date_to exclusive on last_updated (2.1.1 leaves it unstated;
    2.2.1's reading, as the reference advises)."""
    updated = str(item.get("last_updated", ""))
    return (date_from is None or updated >= date_from) and (date_to is None or updated < date_to)


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


# ---- 2.1.1 example objects (valid against the 2.1.1 tables) --------------------------------


def location211(location_id: str, last_updated: str = "2024-01-01T10:00:00Z") -> dict[str, Any]:
    """A 2.1.1 Location with one EVSE and one Connector."""
    connector = {
        "id": "1",
        "standard": "IEC_62196_T2",
        "format": "SOCKET",
        "power_type": "AC_3_PHASE",
        "voltage": 230,
        "amperage": 16,
        "tariff_id": "T1",
        "last_updated": last_updated,
    }
    evse = {
        "uid": f"{location_id}-E1",
        "evse_id": "NL*CPA*E1",
        "status": "AVAILABLE",
        "capabilities": ["RFID_READER"],
        "connectors": [connector],
        "last_updated": last_updated,
    }
    return {
        "id": location_id,
        "type": "ON_STREET",
        "address": "Stationsplein 1",
        "city": "Utrecht",
        "postal_code": "3511ED",
        "country": "NLD",
        "coordinates": {"latitude": "52.089444", "longitude": "5.110000"},
        "evses": [evse],
        "opening_times": {"twentyfourseven": True},
        "last_updated": last_updated,
    }


def tariff211(tariff_id: str, last_updated: str = "2024-01-01T10:00:00Z") -> dict[str, Any]:
    """A 2.1.1 Tariff: 0.25 per kWh, excl. VAT."""
    component = {"type": "ENERGY", "price": 0.25, "step_size": 1}
    return {
        "id": tariff_id,
        "currency": "EUR",
        "elements": [{"price_components": [component]}],
        "last_updated": last_updated,
    }


def session211(session_id: str, last_updated: str = "2024-01-01T10:00:00Z") -> dict[str, Any]:
    """A completed 2.1.1 Session at `location211("LOC1")`."""
    return {
        "id": session_id,
        "start_datetime": "2024-01-01T09:00:00Z",
        "end_datetime": "2024-01-01T10:00:00Z",
        "kwh": 11.0,
        "auth_id": "NL-EMA-C12345678",
        "auth_method": "WHITELIST",
        "location": location211("LOC1", last_updated),
        "currency": "EUR",
        "total_cost": 2.75,
        "status": "COMPLETED",
        "last_updated": last_updated,
    }


def cdr211(cdr_id: str, last_updated: str = "2024-01-01T10:00:00Z") -> dict[str, Any]:
    """A 2.1.1 CDR of one hour, 11 kWh."""
    return {
        "id": cdr_id,
        "start_date_time": "2024-01-01T09:00:00Z",
        "stop_date_time": "2024-01-01T10:00:00Z",
        "auth_id": "NL-EMA-C12345678",
        "auth_method": "WHITELIST",
        "location": location211("LOC1", last_updated),
        "currency": "EUR",
        "tariffs": [tariff211("T1", last_updated)],
        "charging_periods": [
            {
                "start_date_time": "2024-01-01T09:00:00Z",
                "dimensions": [{"type": "ENERGY", "volume": 11.0}],
            }
        ],
        "total_cost": 2.75,
        "total_energy": 11.0,
        "total_time": 1.0,
        "last_updated": last_updated,
    }


def token211(uid: str, last_updated: str = "2024-01-01T10:00:00Z") -> dict[str, Any]:
    """A valid 2.1.1 RFID Token."""
    return {
        "uid": uid,
        "type": "RFID",
        "auth_id": f"NL-EMA-{uid}",
        "issuer": "Fake eMSP",
        "valid": True,
        "whitelist": "ALLOWED",
        "last_updated": last_updated,
    }


def cpo211(country_code: str = "NL", party_id: str = "CPA") -> FakeParty211:
    """A 2.1.1 CPO offering the CPO interface, with 5 Locations, 3 Tariffs, Sessions, CDRs."""
    modules = [(m, r) for m, r in INTERFACES_211["CPO"].items() if m != "credentials"]
    day = "2024-01-{:02d}T10:00:00Z".format
    data = {
        "locations": [location211(f"LOC{n}", day(n)) for n in range(1, 6)],
        "tariffs": [tariff211(f"T{n}", day(n)) for n in range(1, 4)],
        "sessions": [session211(f"S{n}", day(n)) for n in range(1, 4)],
        "cdrs": [cdr211(f"C{n}", day(n)) for n in range(1, 4)],
    }
    return FakeParty211("CPO", country_code, party_id, modules=modules, sender_data=data)
