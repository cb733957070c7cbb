"""The simulated CPO: Locations whose EVSEs change status, Tariffs, and sessions started by
RFID card (real-time authorization through the hub) or remotely (an eMSP's commands), reported
by PATCH and closed with a priced CDR (a scenario may drive each step: simulate.scenario).

Interfaces: the Sender of Locations, Tariffs, Sessions and CDRs (paged lists), the Receiver of
Tokens and Commands. Pushes go to the hub's Receivers: Locations and Tariffs to everyone (OCPI-to
the hub), Sessions and CDRs by open routing, CommandResults to the command's response_url.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
from collections import Counter
from collections.abc import Callable, Coroutine
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from aiohttp import web

from ocpi_hub.core.modules.commands import StartSession, StopSession, UnlockConnector
from ocpi_hub.core.modules.locations import Location
from ocpi_hub.core.modules.tariffs import Tariff
from ocpi_hub.core.modules.tokens import AuthorizationInfo
from ocpi_hub.core.parties import InterfaceRole, ModuleID, Role
from ocpi_hub.logging import get_logger
from ocpi_hub.simulate import anomalies, commands
from ocpi_hub.simulate.anomalies import Anomaly
from ocpi_hub.simulate.charging import ChargingSession, cdr_token
from ocpi_hub.simulate.generate import JsonObject, location, random_uuid, stamp, tariffs, valid
from ocpi_hub.simulate.party import BASE, Party
from ocpi_hub.simulate.receivers import TokenStore
from ocpi_hub.simulate.wire import Refused, reply

log = get_logger("ocpi_hub.simulate")

S, R = InterfaceRole.SENDER, InterfaceRole.RECEIVER
# What takes an EVSE out of service for a while, and how often (weights).
OUT_OF_SERVICE = ("OUTOFORDER", "INOPERATIVE", "BLOCKED")
OUT_OF_SERVICE_WEIGHTS = (3, 2, 1)
Spot = tuple[JsonObject, JsonObject, JsonObject]  # (Location, EVSE, Connector)


class CpoSimulator(Party):
    """A charge point operator with `config.locations` Locations."""

    role = Role.CPO
    interfaces = (
        (ModuleID.LOCATIONS, S),
        (ModuleID.TARIFFS, S),
        (ModuleID.SESSIONS, S),
        (ModuleID.CDRS, S),
        (ModuleID.TOKENS, R),
        (ModuleID.COMMANDS, R),
        (ModuleID.HUB_CLIENT_INFO, R),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        first = self.clock.stamp()
        self.tariffs = {t["id"]: valid(Tariff, t) for t in tariffs(self.identity, first)}
        self.locations: dict[str, JsonObject] = {}
        for n in range(1, self.config.locations + 1):
            body = location(self.rng, self.identity, n, self.config.max_evses, first)
            self.locations[body["id"]] = valid(Location, body)
        self.tokens = TokenStore(self.stats)
        self.sessions: dict[str, ChargingSession] = {}
        self.session_json: dict[str, JsonObject] = {}  # each Session as last reported
        self.cdrs: list[JsonObject] = []  # every CDR sent, in order
        self.injected: list[JsonObject] = []  # each anomaly injected, with the ids it touched
        self.busy: set[str] = set()  # EVSE uids charging, or a driver there being authorized
        self.stops: dict[str, asyncio.Event] = {}
        self.flows: set[asyncio.Task[Any]] = set()
        self.answers: Counter[str] = Counter()  # CommandResponses given, by command and result

    # ---- interfaces -------------------------------------------------------------------------

    def routes(self) -> list[web.RouteDef]:
        locations = f"{BASE}/locations"
        return [
            self.sender_list(locations, lambda: list(self.locations.values())),
            web.get(locations + "/{id}", self._location),
            web.get(locations + "/{id}/{evse}", self._location),
            web.get(locations + "/{id}/{evse}/{connector}", self._location),
            self.sender_list(f"{BASE}/tariffs", lambda: list(self.tariffs.values())),
            self.sender_list(f"{BASE}/sessions", lambda: list(self.session_json.values())),
            self.sender_list(f"{BASE}/cdrs", lambda: self.cdrs),
            *self.tokens.routes(f"{BASE}/tokens"),
            web.post(f"{BASE}/commands/{{command}}", self._command),
        ]

    async def _location(self, request: web.Request) -> web.Response:
        """GET one Location, EVSE or Connector of ours (Sender interface)."""
        info = request.match_info
        found: JsonObject | None = self.locations.get(info["id"])
        if found is not None and "evse" in info:
            found = next((e for e in found["evses"] if e["uid"] == info["evse"]), None)
        if found is not None and "connector" in info:
            found = next((c for c in found["connectors"] if c["id"] == info["connector"]), None)
        if found is None:
            raise Refused(404, 2003, "unknown Location, EVSE or Connector")
        return reply(request, found)

    async def _command(self, request: web.Request) -> web.Response:
        """A command from an eMSP, relayed by the hub: answered at once, the result later."""
        kind, command = await commands.parse(request)
        self.stats.count_received(f"commands {kind}")
        answer = self._decide(kind, command)
        self.answers[f"{kind} {answer.result}"] += 1
        return reply(request, answer.body(), code=answer.status_code)

    def _decide(self, kind: str, command: Any) -> commands.Answer:
        if not self.trafficking:
            return commands.Answer("REJECTED", "the operator is not taking commands now")
        if kind in ("START_SESSION", "UNLOCK_CONNECTOR"):
            spot = self._spot(command.location_id, command.evse_uid, command.connector_id)
            if spot is None:
                return commands.Answer("REJECTED", "unknown Location, EVSE or Connector", 2003)
            flow = self._start(command, spot) if kind == "START_SESSION" else self._unlock(command)
            self._flow(flow)
            return commands.Answer("ACCEPTED")
        if kind == "STOP_SESSION":
            session = self.sessions.get(command.session_id)
            if session is None:
                return commands.Answer("UNKNOWN_SESSION")
            if not session.running:
                return commands.Answer("REJECTED", "the session has ended already")
            self._flow(self._stop(command))
            return commands.Answer("ACCEPTED")
        return commands.Answer("NOT_SUPPORTED", f"{kind} is not supported by this operator")

    # ---- traffic ------------------------------------------------------------------------------

    async def begin(self) -> None:
        """Tariffs first (Locations name them), then Locations; then the Tokens we missed."""
        for tariff in self.tariffs.values():
            await self.push(ModuleID.TARIFFS, "PUT", self._tail(tariff["id"]), tariff)
        for body in self.locations.values():
            await self.push(ModuleID.LOCATIONS, "PUT", self._tail(body["id"]), body)
        for token in await self.link.pull(ModuleID.TOKENS):
            self.tokens.keep(token)

    def loops(self) -> list[Callable[[], Coroutine[Any, Any, None]]]:
        return [
            lambda: self.every(self.config.status_rate, self.change_status),
            lambda: self.every(self.config.rfid_rate, self.badge_rfid),
        ]

    def _tail(self, object_id: str) -> str:
        return f"{self.identity[0]}/{self.identity[1]}/{quote(object_id, safe='')}"

    async def push(self, module: ModuleID, method: str, tail: str, body: JsonObject) -> bool:
        """PUT or PATCH one of our objects to the hub's Receiver interface."""
        broadcast = module in (ModuleID.LOCATIONS, ModuleID.TARIFFS)
        response = await self.link.send(
            f"{module.value} {method}",
            method,
            f"{self.link.url(module, R)}/{tail}",
            body,
            to_hub=broadcast,
            key=f"{tail}@{body['last_updated']}",
        )
        return response is not None and response.ok

    def _idle(self, available: bool) -> list[tuple[JsonObject, JsonObject]]:
        return [
            (loc, evse)
            for loc in self.locations.values()
            for evse in loc["evses"]
            if evse["uid"] not in self.busy and (evse["status"] == "AVAILABLE") == available
        ]

    async def change_status(self) -> None:
        """An idle EVSE breaks down or is repaired (repairs are likelier, so most stay up)."""
        down, up = self._idle(False), self._idle(True)
        if down and (not up or self.rng.random() < 0.7):
            await self.set_status(*self.rng.choice(down), "AVAILABLE")
        elif up:
            status = self.rng.choices(OUT_OF_SERVICE, OUT_OF_SERVICE_WEIGHTS)[0]
            await self.set_status(*self.rng.choice(up), status)

    async def set_status(self, loc: JsonObject, evse: JsonObject, status: str) -> None:
        """PATCH an EVSE's status; our copy's EVSE and Location get the new last_updated."""
        moment = self.clock.stamp()
        evse.update(status=status, last_updated=moment)
        loc["last_updated"] = moment
        tail = f"{self._tail(loc['id'])}/{quote(evse['uid'], safe='')}"
        await self.push(
            ModuleID.LOCATIONS, "PATCH", tail, {"status": status, "last_updated": moment}
        )

    def _spot(
        self, location_id: str, evse_uid: str | None, connector_id: str | None
    ) -> Spot | None:
        loc = self.locations.get(location_id)
        if loc is None:
            return None
        evses = [e for e in loc["evses"] if evse_uid in (None, e["uid"])]
        evse = next((e for e in evses if e["status"] == "AVAILABLE"), evses[0] if evses else None)
        if evse is None:
            return None
        connector = next((c for c in evse["connectors"] if connector_id in (None, c["id"])), None)
        return (loc, evse, connector) if connector is not None else None

    async def badge_rfid(self) -> None:
        """A driver holds an RFID card we know to a free charger: ask the eMSP (through the hub)
        unless the card's whitelist is ALWAYS, and charge if allowed."""
        cards = [t for t in self.tokens.all() if t["type"] == "RFID"]
        free = self._idle(True)
        if not cards or not free:
            return
        token = self.rng.choice(cards)
        loc, evse = self.rng.choice(free)
        self.busy.add(evse["uid"])
        started = False
        try:
            method, reference = "WHITELIST", None
            if not (token["whitelist"] == "ALWAYS" and token["valid"]):
                info = await self.authorize(token, loc, evse)
                if info is None or info.get("allowed") != "ALLOWED":
                    return
                method, reference = "AUTH_REQUEST", info.get("authorization_reference")
            self._flow(
                self.charge((loc, evse, evse["connectors"][0]), cdr_token(token), method, reference)
            )
            started = True
        finally:
            if not started:
                self.busy.discard(evse["uid"])

    async def authorize(
        self, token: JsonObject, loc: JsonObject, evse: JsonObject
    ) -> JsonObject | None:
        """Real-time authorization (`POST tokens/{uid}/authorize`) through the hub."""
        url = f"{self.link.url(ModuleID.TOKENS, S)}/{quote(token['uid'], safe='')}/authorize"
        references = {"location_id": loc["id"], "evse_uids": [evse["uid"]]}
        response = await self.link.send(
            "tokens AUTHORIZE", "POST", url, references, params={"type": token["type"]}
        )
        if response is None or not response.ok or not isinstance(response.data, dict):
            return None
        info = valid(AuthorizationInfo, response.data)
        log.info("authorized", uid=token["uid"], allowed=info["allowed"])
        return info

    def _flow(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """A command or session flow: wind_down waits for these to finish."""
        task = self.spawn(coroutine)
        self.flows.add(task)
        task.add_done_callback(self.flows.discard)

    async def _result(self, response_url: str, result: str) -> None:
        await asyncio.sleep(self.config.command_delay)  # the charge point takes its time
        await self.link.send(
            "commands RESULT", "POST", response_url, {"result": result}, key=response_url
        )

    async def _start(self, command: StartSession, spot: Spot) -> None:
        await asyncio.sleep(self.config.command_delay)
        evse = spot[1]
        if evse["uid"] in self.busy or evse["status"] != "AVAILABLE" or not self.trafficking:
            occupied = evse["status"] == "CHARGING" or evse["uid"] in self.busy
            await self._result(
                command.response_url, "EVSE_OCCUPIED" if occupied else "EVSE_INOPERATIVE"
            )
            return
        self.busy.add(evse["uid"])
        await self.link.send(
            "commands RESULT",
            "POST",
            command.response_url,
            {"result": "ACCEPTED"},
            key=command.response_url,
        )
        token = command.token.model_dump(mode="json", exclude_none=True)
        await self.charge(spot, cdr_token(token), "COMMAND", command.authorization_reference)

    async def _stop(self, command: StopSession) -> None:
        stop = self.stops.get(command.session_id)
        if stop is not None:
            stop.set()
        await self._result(command.response_url, "ACCEPTED" if stop is not None else "REJECTED")

    async def _unlock(self, command: UnlockConnector) -> None:
        await self._result(command.response_url, "ACCEPTED")

    async def charge(
        self, spot: Spot, token: JsonObject, method: str, reference: str | None
    ) -> None:
        """One session, from PUT to CDR: PATCHes every `patch_interval` until an eMSP stops it
        or about `session_duration` has passed (or traffic stops)."""
        session_id = None
        try:
            session = await self.open_session(spot, token, method, reference)
            session_id = session.id
            stop = self.stops[session.id] = asyncio.Event()
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self.config.session_duration * self.rng.uniform(0.5, 1.5)
            while not stop.is_set() and self.trafficking and loop.time() < deadline:
                with contextlib.suppress(TimeoutError):
                    wait = min(self.config.patch_interval, deadline - loop.time())
                    await asyncio.wait_for(stop.wait(), max(wait, 0))
                if stop.is_set() or loop.time() >= deadline:
                    break
                await self.progress(session)
            await self.deliver(await self.close_session(session))
        finally:
            self.stops.pop(session_id or "", None)
            self.busy.discard(spot[1]["uid"])

    async def open_session(
        self, spot: Spot, token: JsonObject, method: str, reference: str | None
    ) -> ChargingSession:
        """A driver plugs in at `spot` (Location, EVSE, Connector) with `token` (a CdrToken):
        the EVSE turns CHARGING and the Session is PUT, ACTIVE, starting now."""
        loc, evse, connector = spot
        tariff = self.tariffs[connector["tariff_ids"][0]]
        power = (
            Decimal(connector["max_electric_power"])
            / 1000
            * Decimal(str(round(self.rng.uniform(0.5, 0.95), 2)))
        )
        session = ChargingSession(
            self.identity,
            random_uuid(self.rng),
            copy.deepcopy(loc),
            copy.deepcopy(evse),
            copy.deepcopy(connector),
            token,
            method,
            reference,
            tariff,
            power,
            self.clock.now(),
        )
        self.sessions[session.id] = session
        await self.set_status(loc, evse, "CHARGING")
        self.session_json[session.id] = session.session(self.clock.stamp())
        await self.push(
            ModuleID.SESSIONS, "PUT", self._tail(session.id), self.session_json[session.id]
        )
        return session

    async def progress(self, session: ChargingSession, *, final: bool = False) -> None:
        """PATCH the running session with its new period, kWh and cost until now (`final`:
        the last PATCH, COMPLETED)."""
        moment = self.clock.now()
        patch = (session.complete if final else session.progress)(moment, stamp(moment))
        self.session_json[session.id] = session.session(patch["last_updated"])
        await self.push(ModuleID.SESSIONS, "PATCH", self._tail(session.id), patch)

    async def close_session(self, session: ChargingSession) -> JsonObject:
        """The driver unplugs now: the last PATCH says COMPLETED, the EVSE is AVAILABLE again;
        returns the session's CDR, priced, for `deliver`."""
        await self.progress(session, final=True)
        cdr = session.cdr(random_uuid(self.rng), self.clock.stamp())
        loc = self.locations[session.location["id"]]
        evse = next(e for e in loc["evses"] if e["uid"] == session.evse["uid"])
        await self.set_status(loc, evse, "AVAILABLE")
        return cdr

    async def deliver(self, cdr: JsonObject, anomaly: Anomaly | None = None) -> None:
        """Send the CDR of a closed session, as it is or with `anomaly` injected (recorded in
        `injected`): wrong-priced, not at all, followed by a duplicate or by its Credit CDR."""
        if anomaly is None:
            await self.send_cdr(cdr)
            return
        injected = await anomalies.inject(
            anomaly, cdr, self.send_cdr, lambda: random_uuid(self.rng), self.clock.stamp
        )
        self.injected.append(injected)
        log.info("anomaly_injected", **injected)

    async def send_cdr(self, cdr: JsonObject) -> bool:
        """POST a CDR to the hub (and list it in our CDRs Sender interface)."""
        self.cdrs.append(cdr)
        response = await self.link.send(
            "cdrs POST", "POST", self.link.url(ModuleID.CDRS, R), cdr, key=self._tail(cdr["id"])
        )
        accepted = bool(response and response.ok)
        log.info("cdr", id=cdr["id"], kwh=cdr["total_energy"], cost=cdr["total_cost"], ok=accepted)
        return accepted

    async def wind_down(self) -> None:
        """Every session still running ends now, with its CDR."""
        for stop in self.stops.values():
            stop.set()
        await asyncio.gather(*self.flows, return_exceptions=True)

    def state(self) -> dict[str, Any]:
        statuses = [s.status for s in self.sessions.values()]
        return {
            "locations": len(self.locations),
            "evses": sum(len(loc["evses"]) for loc in self.locations.values()),
            "tokens_known": len(self.tokens.all()),
            "sessions": {s: statuses.count(s) for s in sorted(set(statuses))},
            "cdrs": len(self.cdrs),
            "injected": dict(sorted(Counter(a["anomaly"] for a in self.injected).items())),
            "command_responses": dict(sorted(self.answers.items())),
        }
