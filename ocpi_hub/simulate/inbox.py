"""The eMSP's Receiver interfaces: Locations, Tariffs, Sessions and CDRs, as the hub delivers
them (checklist §4.1-§4.4).

Each keeps what it received and counts it by a key the CPO's sent counters share: the path below
the module URL and `last_updated` (a CDR: its path), so that "everything the CPO sent arrived"
can be checked key by key, however often the hub re-delivered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from ocpi_hub.core.model import OcpiModel
from ocpi_hub.core.modules.cdrs import CDR
from ocpi_hub.core.modules.locations import Connector, Evse, Location
from ocpi_hub.core.modules.sessions import Session, patch_session
from ocpi_hub.core.modules.tariffs import Tariff
from ocpi_hub.core.patch import merge_patch
from ocpi_hub.simulate.generate import JsonObject
from ocpi_hub.simulate.receivers import agrees, check, newer, stamped, tail
from ocpi_hub.simulate.stats import Stats
from ocpi_hub.simulate.wire import Refused, json_object, reply

ObjectKey = tuple[str, str, str]  # (country_code, party_id, id)


def object_key(info: Any, name: str = "id") -> ObjectKey:
    return (info["country_code"].upper(), info["party_id"].upper(), info[name])


class LocationInbox:
    """Locations pushed to the eMSP, whole or an EVSE or Connector at a time."""

    def __init__(self, stats: Stats) -> None:
        self.stats = stats
        self.locations: dict[ObjectKey, JsonObject] = {}
        self._prefix = ""

    def routes(self, prefix: str) -> list[web.RouteDef]:
        self._prefix = prefix
        base = prefix + "/{country_code}/{party_id}/{id}"
        paths = (base, base + "/{evse}", base + "/{evse}/{connector}")
        return [web.route(m, p, self._handle) for p in paths for m in ("GET", "PUT", "PATCH")]

    def _find(self, info: Any) -> tuple[JsonObject | None, list[JsonObject]]:
        """The addressed object and its parents (Location first), None when unknown."""
        found = self.locations.get(object_key(info))
        chain: list[JsonObject] = []
        for name, children, field in (("evse", "evses", "uid"), ("connector", "connectors", "id")):
            if found is None or name not in info:
                break
            chain.append(found)
            found = next((c for c in found.get(children, []) if c[field] == info[name]), None)
        return found, chain

    async def _handle(self, request: web.Request) -> web.Response:
        info = request.match_info
        found, parents = self._find(info)
        if request.method == "GET":
            if found is None:
                raise Refused(404, 2003, "unknown Location, EVSE or Connector")
            return reply(request, found)
        body = await json_object(request)
        last_updated = stamped(body, request.method)
        level: type[OcpiModel] = (
            Connector if "connector" in info else Evse if "evse" in info else Location
        )
        if level is Location:
            agrees(
                body, country_code=info["country_code"], party_id=info["party_id"], id=info["id"]
            )
        if request.method == "PATCH":
            if found is None:
                raise Refused(404, 2003, "unknown Location, EVSE or Connector")
            body = merge_patch(found, body)
        check(level, body)
        if level is Location:
            if newer(found, body):
                self.locations[object_key(info)] = body
        elif not parents:
            raise Refused(404, 2003, "unknown Location")
        elif newer(found, body):
            self._place(
                parents, body, "connectors" if level is Connector else "evses", last_updated
            )
        self.stats.count_received(
            f"locations {request.method}", f"{tail(request, self._prefix)}@{last_updated}"
        )
        return reply(request)

    @staticmethod
    def _place(parents: list[JsonObject], child: JsonObject, children: str, moment: str) -> None:
        # A child's new last_updated is its parents' too (checklist §4.1, receiver rule).
        field = "id" if children == "connectors" else "uid"
        parent = parents[-1]
        kept = [c for c in parent.get(children, []) if c[field] != child[field]]
        parent[children] = [*kept, child]
        for ancestor in parents:
            if moment and newer(ancestor, {"last_updated": moment}):
                ancestor["last_updated"] = moment

    def evses(self) -> list[tuple[JsonObject, JsonObject]]:
        """Every (Location, EVSE) known."""
        return [(loc, evse) for loc in self.locations.values() for evse in loc.get("evses", [])]


class ObjectInbox:
    """Tariffs or Sessions: PUT replaces, PATCH (Sessions) merges, DELETE (Tariffs) removes."""

    def __init__(
        self,
        stats: Stats,
        module: str,
        model: type[OcpiModel],
        patch: Callable[[JsonObject, JsonObject], JsonObject] | None = None,
        on_change: Callable[[JsonObject], None] | None = None,
    ) -> None:
        self.stats = stats
        self.module = module
        self.model = model
        self.patch = patch
        self.on_change = on_change
        self.objects: dict[ObjectKey, JsonObject] = {}
        self._prefix = ""

    def routes(self, prefix: str) -> list[web.RouteDef]:
        self._prefix = prefix
        methods = ["GET", "PUT", "PATCH" if self.patch else "DELETE"]
        path = prefix + "/{country_code}/{party_id}/{id}"
        return [web.route(m, path, self._handle) for m in methods]

    async def _handle(self, request: web.Request) -> web.Response:
        key = object_key(request.match_info)
        stored = self.objects.get(key)
        if request.method in ("GET", "DELETE", "PATCH") and stored is None:
            raise Refused(404, 2001, f"unknown {self.module} object")
        if request.method == "GET":
            return reply(request, stored)
        if request.method == "DELETE":
            self.objects.pop(key)
            self.stats.count_received(f"{self.module} DELETE", tail(request, self._prefix))
            return reply(request)
        body = await json_object(request)
        agrees(body, country_code=key[0], party_id=key[1], id=key[2])
        last_updated = stamped(body, request.method)
        if request.method == "PATCH" and self.patch is not None and stored is not None:
            body = self.patch(stored, body)
        check(self.model, body)
        if newer(stored, body):
            self.objects[key] = body
            if self.on_change is not None:
                self.on_change(body)
        label = f"{self.module} {request.method}"
        self.stats.count_received(label, f"{tail(request, self._prefix)}@{last_updated}")
        return reply(request)


def tariff_inbox(stats: Stats) -> ObjectInbox:
    return ObjectInbox(stats, "tariffs", Tariff)


def session_inbox(stats: Stats, on_change: Callable[[JsonObject], None]) -> ObjectInbox:
    # A Session PATCH appends its charging periods (checklist §4.2).
    return ObjectInbox(stats, "sessions", Session, patch_session, on_change)


class CdrInbox:
    """CDRs: POSTed once each (a re-delivery is accepted again, idempotently), read back at
    the URL the POST answered in its `Location` header."""

    def __init__(self, stats: Stats, public_url: Callable[[], str]) -> None:
        self.stats = stats
        self.public_url = public_url  # our CDRs endpoint URL (known once we serve)
        self.cdrs: dict[ObjectKey, JsonObject] = {}

    def routes(self, prefix: str) -> list[web.RouteDef]:
        return [
            web.post(prefix, self._post),
            web.get(prefix + "/{country_code}/{party_id}/{id}", self._get),
        ]

    async def _post(self, request: web.Request) -> web.Response:
        cdr = await json_object(request)
        check(CDR, cdr)
        key = (str(cdr["country_code"]).upper(), str(cdr["party_id"]).upper(), str(cdr["id"]))
        self.cdrs.setdefault(key, cdr)
        path = "/".join(key)
        self.stats.count_received("cdrs POST", path)
        return reply(request, status=201, headers={"Location": f"{self.public_url()}/{path}"})

    async def _get(self, request: web.Request) -> web.Response:
        found = self.cdrs.get(object_key(request.match_info))
        if found is None:
            raise Refused(404, 2001, "unknown CDR")
        return reply(request, found)
