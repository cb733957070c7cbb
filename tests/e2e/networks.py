"""Fake networks: a `FakeParty` that plays another hub (or a lenient direct peer) and enforces
its dialect, so that a hub shim that forgets a rule fails against it.

A `FakeNetwork` presents the network's own identity with role HUB (a lenient peer: the parties
it hosts), hosts **remote parties** behind it (it calls the hub with `OCPI-from` = one of them
and accepts requests with `OCPI-to` = one of them), records what reaches each, offers in its
version details only the modules the network implements, and answers as the network would.
Its rules are written from `shared/reference/hub-dialects.md` in `tests/e2e/network_rules.py`,
never from `ocpi_hub/dialects/`.

| network           | rules enforced (functions in network_rules.py)                | reference |
|-------------------|---------------------------------------------------------------|-----------|
| all four          | module_implemented (404/2000), receiver_known (4001),         | §1-§4     |
|                   | command_implemented (CommandResponse NOT_SUPPORTED)           |           |
| Gireve FR*007     | tracing_ids_required, routing_headers_required (400/2001);    | §2.1 §2.2 |
|                   | sender_configured (members and roles, 400/2001);              | §2.1      |
|                   | evse_ids_of_operator (evse_id starts with CC*PID, 2001);      | §2.1      |
|                   | no chargingprofiles/hubclientinfo; START/STOP_SESSION only;   | §2.3      |
|                   | start_session_names_evse (2001); no_patch tokens/sessions     |           |
|                   | (405); push_only: no GET list of tokens/sessions/cdrs (405);  |           |
|                   | location_fields (2001 naming the field); tariff_fields        |           |
|                   | (start_date_time, 2001); authorization_names_location (2002); |           |
|                   | base64 token only;                                            |           |
|                   | pages capped: 100 loc, 1000 tok, 20 CDR, 100 tariffs (a       | §0        |
|                   | client asking more is served the cap, and it is a breach)     |           |
| ENAPI DE*ENA      | routing headers optional; agreement_signed (else 4001);       | §3        |
|                   | no chargingprofiles; `sign_agreement` PUTs a HubClientInfo;   |           |
|                   | `pull` with date_from/date_to and limit 1000                  |           |
| e-clearing DE*ECH | ids case-sensitive; EVSE ids normalised, duplicates dropped;  | §4        |
|                   | last_updated = its receive time; missing text fields "-";     |           |
|                   | no chargingprofiles; a HubClientInfo Sender of its `member`s  |           |
| lenient NL*LNT    | 403 for a bad token; errors without the envelope (plain);     | §1, issue |
|                   | a single GET answered as a one-item list; ids served and sent |           |
|                   | lower-cased; raw or base64 token in, raw token out            |           |
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from yarl import URL

from tests.e2e.fakes import BODY, Answer, FakeParty, Received
from tests.e2e.network_rules import GIREVE, REQUIRED_TEXT, Call, Key, NetworkDialect, Refusal

Remote = tuple[str, str, str]  # (country_code, party_id, role) of a party behind the network
ID_FIELDS = frozenset({"id", "uid", "evse_uid", "location_id", "session_id", "connector_id"})


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def normalised_evse_id(evse_id: str) -> str:
    """An EVSE id compared as e-clearing.net does (§4): separators removed, upper case."""
    return re.sub(r"[^0-9A-Za-z]", "", evse_id).upper()


def lower_ids(value: Any) -> Any:
    """`value` with every id field lower-cased, as a lenient peer serves it."""
    if isinstance(value, list):
        return [lower_ids(v) for v in value]
    if isinstance(value, dict):
        return {
            k: v.lower() if k in ID_FIELDS and isinstance(v, str) else lower_ids(v)
            for k, v in value.items()
        }
    return value


@dataclass
class FakeNetwork(FakeParty):
    dialect: NetworkDialect = GIREVE
    remote: list[Remote] = field(default_factory=list)
    # Gireve configures its operators out of band (§2.1): the hub's local parties it accepts.
    members: dict[Key, str] = field(default_factory=dict)
    # ENAPI's signed roaming agreements (§3), as pairs of parties.
    agreements: set[frozenset[Key]] = field(default_factory=set)
    token_base64: bool = True  # its token encoding, both ways (ENAPI: per platform, §3)
    # What the hub got wrong: its answers (Gireve's tracing ids), the pages it asked for.
    breaches: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, dialect: NetworkDialect, remote: list[Remote] | None = None) -> FakeNetwork:
        """A network with its identity, its modules and the parties behind it."""
        hosted = remote or []
        cc, pid = hosted[0][:2] if not dialect.hub and hosted else dialect.identity
        role = "HUB" if dialect.hub else (hosted[0][2] if hosted else "CPO")
        modules = [(m, r) for m in sorted(dialect.modules) for r in ("SENDER", "RECEIVER")]
        return cls(
            role,
            cc,
            pid,
            modules=modules,
            dialect=dialect,
            remote=hosted,
            token_base64=dialect.token_base64 is True,
        )

    @property
    def remote_keys(self) -> set[Key]:
        return {(cc, pid) for cc, pid, _ in self.remote}

    def reached(self, remote: Key) -> list[Received]:
        """What reached this network addressed (`OCPI-to`) to one remote party."""
        return [r for r in self.received if r.routing("to") == remote]

    def configure_member(self, party: Key, role: str) -> None:
        """Gireve's manual configuration of an operator (§2.1)."""
        self.members[party] = role

    def credentials(self, token: str) -> dict[str, Any]:
        """A hub presents one HUB role (§2.1, §3); a peer the parties it hosts."""
        if self.dialect.hub:
            roles = [(self.country_code, self.party_id, "HUB")]
        else:
            roles = list(self.remote) or [(self.country_code, self.party_id, self.role)]
        return {
            "token": token,
            "url": self.versions_url,
            "roles": [
                {
                    "role": role,
                    "business_details": {"name": f"Fake {self.dialect.name} {cc}*{pid}"},
                    "party_id": pid,
                    "country_code": cc,
                }
                for cc, pid, role in roles
            ],
        }

    # ---- the hooks of FakeParty, as the dialect says --------------------------------------

    def _token(self, authorization: str) -> str:
        if not authorization.startswith("Token "):
            return ""
        decoded = super()._token(authorization)
        raw = authorization[6:]
        # Either way for a lenient peer; else as configured (ENAPI: per platform, §3).
        encoding = None if self.dialect.token_base64 is None else self.token_base64
        if encoding is None:  # either: the raw value when it is a token we know
            return raw if raw in self.accepted_tokens else decoded
        return decoded if encoding else raw

    def _check(self, request: web.Request, body: Any) -> web.Response | None:
        module = request.match_info.get("module", "")
        tail = request.match_info.get("tail", "") if module else ""
        parts = tuple(p for p in tail.split("/") if p)
        call = Call(request.method, module, parts, request.headers, body, request.query)
        for rule in self.dialect.rules:
            refusal = rule(self, call)
            if refusal is not None:
                return self._refuse(request, refusal)
        return None

    def _refuse(self, request: web.Request, refusal: Refusal) -> web.Response:
        return self._reply(
            request,
            refusal.data,
            status=refusal.status,
            code=refusal.code,
            message=refusal.message,
        )

    def _key(self, tail: str) -> str:
        return tail if self.dialect.case_sensitive_ids else tail.upper()

    def _ingest(self, module: str, body: Any) -> Any:
        if not isinstance(body, dict):
            return body
        stored = dict(body)
        if self.dialect.restamps:
            stored["last_updated"] = now()
        if self.dialect.fills_missing:
            for name in REQUIRED_TEXT.get(module, ()):
                if stored.get(name) in (None, ""):
                    stored[name] = "-"
        if self.dialect.normalises_evse_ids and isinstance(stored.get("evses"), list):
            evses: dict[str, Any] = {}
            for evse in stored["evses"]:
                key = normalised_evse_id(str(evse.get("evse_id", "")))
                evses.setdefault(key, {**evse, "evse_id": key} if key else evse)
            stored["evses"] = list(evses.values())
        return stored

    def _reply(
        self,
        request: web.Request,
        data: Any,
        *,
        status: int = 200,
        code: int = 1000,
        message: str | None = None,
    ) -> web.Response:
        if not self.dialect.lenient_answers:
            return super()._reply(request, data, status=status, code=code, message=message)
        if status == 401:
            status = 403  # §1 pitfalls / issue 8: 403 instead of 401
        if code != 1000:  # errors without the envelope
            return web.Response(status=status, text=message or "error")
        single = request.method == "GET" and request.match_info.get("tail")
        if single and isinstance(data, dict):
            data = [data]
        return super()._reply(request, lower_ids(data), status=status, code=code)

    async def _module(self, request: web.Request) -> web.Response:
        """Sender lists are served from what the network holds, paged; POSTed CDRs are held
        too; everything else as the plain fake does."""
        module = request.match_info.get("module", "")
        if module and not request.match_info.get("tail"):
            if request.method == "GET":
                return self._page(request, module)
            body = request[BODY]
            if request.method == "POST" and module == "cdrs" and isinstance(body, dict):
                self.hold(module, body)
        return await super()._module(request)

    # ---- what the network holds and serves ------------------------------------------------

    def hold(self, module: str, obj: dict[str, Any]) -> None:
        """Hold an object of a party behind the network, to serve it (a remote CPO's Location,
        a CDR pushed to it)."""
        ident = obj.get("id") or obj.get("uid")
        tail = self._key(f"{obj.get('country_code')}/{obj.get('party_id')}/{ident}")
        self.objects.setdefault(module, {})[tail] = self._ingest(module, obj)

    def member(self, remote: Remote, status: str = "CONNECTED") -> None:
        """A party behind the network as its HubClientInfo Sender lists it (§1: a hub's
        ClientInfo of each party connected to it)."""
        cc, pid, role = remote
        info = {"country_code": cc, "party_id": pid, "role": role, "status": status}
        self.objects.setdefault("hubclientinfo", {})[f"{cc}/{pid}/{role}"] = info | {
            "last_updated": now()
        }

    def held(self, module: str, cc: str, pid: str, ident: str) -> Any:
        """One object as the network holds it, looked up as the network compares ids."""
        return self.objects.get(module, {}).get(self._key(f"{cc}/{pid}/{ident}"))

    def evse(self, evse_id: str) -> Any:
        """The EVSE whose evse_id compares equal (e-clearing.net: normalised, §4)."""
        norm = normalised_evse_id if self.dialect.normalises_evse_ids else str
        for location in self.objects.get("locations", {}).values():
            for evse in location.get("evses") or [] if isinstance(location, dict) else []:
                if norm(str(evse.get("evse_id"))) == norm(evse_id):
                    return evse
        return None

    def page_cap(self, module: str) -> int:
        return self.dialect.page_caps.get(module, self.dialect.page_default)

    def _page(self, request: web.Request, module: str) -> web.Response:
        """A Sender list: whole objects, of the OCPI-to party when one is named (§2.2), within
        date_from/date_to, offset/limit with the limit capped, Link/X-Total-Count/X-Limit."""
        q = request.query
        to = (request.headers.get("OCPI-to-country-code"), request.headers.get("OCPI-to-party-id"))
        objects = [
            o
            for k, o in self.objects.get(module, {}).items()
            if isinstance(o, dict)
            and k.count("/") == 2
            and (to not in self.remote_keys or (o.get("country_code"), o.get("party_id")) == to)
            and q.get("date_from", "") <= str(o.get("last_updated", ""))
            and ("date_to" not in q or str(o.get("last_updated", "")) < q["date_to"])
        ]
        offset = int(q.get("offset", 0))
        asked = int(q.get("limit", self.page_cap(module)))
        if module in self.dialect.page_caps and asked > self.page_cap(module):
            self.breaches.append(
                f"GET {module}: limit {asked} above the cap {self.page_cap(module)}"
            )
        limit = min(asked, self.page_cap(module))
        page = objects[offset : offset + limit]
        answer = self._reply(request, page)
        answer.headers["X-Total-Count"] = str(len(objects))
        answer.headers["X-Limit"] = str(limit)
        if offset + limit < len(objects):
            following = request.url.update_query(offset=offset + limit, limit=limit)
            answer.headers["Link"] = f'<{following}>; rel="next"'
        return answer

    # ---- the network as a client of the hub -----------------------------------------------

    async def call_url(
        self, method: str, url: str | URL, *, raw_token: bool | None = None, **kw: Any
    ) -> Answer:
        """As FakeParty's, with the network's own token encoding unless told otherwise."""
        raw = not self.token_base64 if raw_token is None else raw_token
        return await super().call_url(method, url, raw_token=raw, **kw)

    async def discover(self) -> None:
        """After the hub registered with us: read its endpoints with the token it gave us."""
        assert self.peer_credentials is not None
        versions = await self.call_url("GET", self.peer_credentials["url"])
        details = await self.call_url("GET", versions.data[0]["url"])
        self.endpoints = {(e["identifier"], e["role"]): e["url"] for e in details.data["endpoints"]}

    def hub_key(self) -> Key | None:
        """The party the hub presented as HUB (else its first role), default OCPI-to."""
        roles = (self.peer_credentials or {}).get("roles") or []
        role = next((r for r in roles if r["role"] == "HUB"), roles[0] if roles else None)
        return (role["country_code"], role["party_id"]) if role else None

    async def send(
        self,
        sender: Key,
        method: str,
        module: str,
        interface: str,
        tail: str = "",
        *,
        to: Key | None = None,
        json: Any = None,
        query: str = "",
    ) -> Answer:
        """One request to the hub on behalf of `sender` (a remote party or the network itself):
        OCPI-from = sender, OCPI-to = `to` or the hub's own party."""
        headers = self._routing(sender, to)
        if self.dialect.lenient_answers:  # issue 8: a lenient peer sends its ids lower-cased
            tail, json = tail.lower(), lower_ids(json)
        ids = {"X-Request-ID": str(uuid.uuid4()), "X-Correlation-ID": str(uuid.uuid4())}
        url = self.endpoints[(module, interface)] + (f"/{tail}" if tail else "") + query
        answer = await self.call_url(method, url, json=json, headers=headers | ids)
        if self.dialect.name == "gireve":  # §2.1: answer with the same tracing ids
            for name, value in ids.items():
                if answer.header(name) != value:
                    self.breaches.append(f"{method} {url}: {name} not echoed")
        return answer

    async def push_location(self, cpo: Key, location: dict[str, Any], **kw: Any) -> Answer:
        """PUT a remote CPO's Location to the hub's Locations Receiver."""
        tail = f"{cpo[0]}/{cpo[1]}/{location['id']}"
        return await self.send(cpo, "PUT", "locations", "RECEIVER", tail, json=location, **kw)

    async def push_token(self, emsp: Key, token: dict[str, Any], **kw: Any) -> Answer:
        """PUT a remote eMSP's Token to the hub's Tokens Receiver."""
        tail = f"{emsp[0]}/{emsp[1]}/{token['uid']}"
        query = f"?type={token.get('type', 'RFID')}"
        return await self.send(
            emsp, "PUT", "tokens", "RECEIVER", tail, json=token, query=query, **kw
        )

    async def authorize(self, cpo: Key, uid: str, references: Any = None, **kw: Any) -> Answer:
        """A remote CPO's real-time authorization of a Token (POST tokens/{uid}/authorize)."""
        return await self.send(
            cpo, "POST", "tokens", "SENDER", f"{uid}/authorize", json=references, **kw
        )

    async def command(self, emsp: Key, command: str, body: dict[str, Any], **kw: Any) -> Answer:
        """A remote eMSP's command to the hub's Commands Receiver."""
        return await self.send(emsp, "POST", "commands", "RECEIVER", command, json=body, **kw)

    async def post_cdr(self, cpo: Key, cdr: dict[str, Any], **kw: Any) -> Answer:
        """A remote CPO's CDR to the hub's CDRs Receiver."""
        return await self.send(cpo, "POST", "cdrs", "RECEIVER", json=cdr, **kw)

    async def post_result(self, cpo: Key, url: str, result: dict[str, Any], to: Key) -> Answer:
        """A remote CPO's CommandResult to the response_url the hub gave it, FROM the CPO, TO
        `to` (the requester the hub proxies it to)."""
        return await self.call_url("POST", url, json=result, headers=self._routing(cpo, to))

    async def pull(
        self,
        module: str,
        *,
        date_from: str | None = None,
        date_to: str | None = None,
        limit: int | None = None,
        to: Key | None = None,
    ) -> list[Any]:
        """GET the hub's Sender list as the network itself, following Link to the end (ENAPI
        pulls with date_from/date_to and limit 1000, §3); every object received, in order."""
        params = {"limit": str(limit or self.page_cap(module))}
        params |= {k: v for k, v in (("date_from", date_from), ("date_to", date_to)) if v}
        query = "?" + "&".join(f"{k}={v}" for k, v in params.items())
        answer = await self.send(self.key, "GET", module, "SENDER", query=query, to=to)
        objects: list[Any] = []
        while True:
            assert answer.status_code == 1000, answer.body
            objects += answer.data
            link = answer.header("Link")
            if not link:
                return objects
            following = URL(link[link.index("<") + 1 : link.index(">")], encoded=True)
            answer = await self.call_url("GET", following, headers=self._routing(self.key, to))

    def _routing(self, sender: Key, to: Key | None) -> dict[str, str]:
        to = to or self.hub_key()
        headers = {"OCPI-from-country-code": sender[0], "OCPI-from-party-id": sender[1]}
        if to is not None:
            headers |= {"OCPI-to-country-code": to[0], "OCPI-to-party-id": to[1]}
        return headers

    async def sign_agreement(self, local: Key, remote: Remote) -> Answer:
        """ENAPI: a roaming agreement between a hub's local party and a party behind ENAPI is
        signed: from now on they may trade, and ENAPI PUTs the remote party's ClientInfo to the
        hub (§3 "HubClientInfo partially implemented: PUT to both sides")."""
        self.agreements.add(frozenset((local, remote[:2])))
        cc, pid, role = remote
        info = {"party_id": pid, "country_code": cc, "role": role, "status": "CONNECTED"}
        url = self.endpoints[("hubclientinfo", "RECEIVER")] + f"/{cc}/{pid}"
        # A configuration module: no routing headers (OCPI §4.8), as per connection.
        return await self.call_url("PUT", url, json=info | {"last_updated": now()})
