"""The fake endpoint's Receiver interfaces: Locations (with EVSE and Connector PATCHes that
bump their parents), Tariffs, Tokens (by uid and type), Sessions (PATCH appends charging
periods), CDRs (POST answered with a Location header) and Commands; and the faults that break
each of them."""

from __future__ import annotations

from typing import Any

from aiohttp import web

BASE = "/ocpi/2.2.1"


class Refused(Exception):
    """A request refused before its handler could use it (invalid JSON)."""

    def __init__(self, response: web.Response) -> None:
        self.response = response


class Receivers:
    """Mixed into FakeEndpoint, which provides the state and the envelope."""

    url: str
    faults: set[str]
    lists: dict[str, list[dict[str, Any]]]
    stored: dict[str, Any]

    def reply(
        self,
        data: Any,
        *,
        status: int = 200,
        code: int = 1000,
        message: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> web.Response:
        raise NotImplementedError

    async def _body(self, request: web.Request) -> Any:
        raise NotImplementedError

    async def _receiver(self, request: web.Request) -> web.Response:
        module, tail = request.match_info["module"], request.match_info.get("tail", "")
        path = f"{module}/{tail}".rstrip("/")
        body: Any = None
        if request.method in ("PUT", "PATCH", "POST"):
            try:
                body = await self._body(request)
            except Refused as refused:
                return refused.response
        if module == "commands":
            return self._command(body)
        if module == "cdrs" and request.method == "POST":
            key = f"cdrs/{body['country_code']}/{body['party_id']}/{body['id']}"
            self.stored[key] = body
            headers = {} if "cdr_no_location_header" in self.faults else {
                "Location": f"{self.url}{BASE}/receiver/{key}"
            }  # fmt: skip
            return self.reply(None, status=201, headers=headers)
        if request.method == "GET":
            found = self._find(path)
            wanted_type = request.query.get("type", "RFID")
            if module == "tokens" and found and "token_type_ignored" not in self.faults:
                found = found if found.get("type") == wanted_type else None
            return (
                self.reply(found) if found is not None else self.reply(None, status=404, code=2000)
            )
        parts = path.split("/")
        if request.method == "PUT" and len(parts) == 4:
            own_id = body.get("uid" if module == "tokens" else "id")
            if own_id != parts[3] and "url_id_ignored" not in self.faults:
                return self.reply(None, code=2001, message="URL id is not the object's id")
        if request.method == "PUT":
            created = path not in self.stored or "always_201" in self.faults
            if "put_keeps_periods" in self.faults and path in self.stored:
                body.setdefault("charging_periods", self.stored[path].get("charging_periods"))
            self.stored[path] = body
            return self.reply(None, status=201 if created else 200)
        if request.method == "DELETE":
            if "tariff_survives_delete" not in self.faults:
                self.stored.pop(path, None)
            return self.reply(None)
        if request.method == "PATCH":
            return self._patch(module, path, body)
        return self.reply(None, status=405, code=2000)

    def _find(self, path: str) -> Any:
        """A stored object, or a Location's EVSE or Connector by its longer path."""
        if path in self.stored:
            return self.stored[path]
        parts = path.split("/")
        location = self.stored.get("/".join(parts[:4]))
        if location is None or len(parts) < 5:
            return None
        evse = next((e for e in location["evses"] if e["uid"] == parts[4]), None)
        if evse is None or len(parts) == 5:
            return evse
        return next((c for c in evse["connectors"] if c["id"] == parts[5]), None)

    def _patch(self, module: str, path: str, body: dict[str, Any]) -> web.Response:
        if "last_updated" not in body and "patch_without_last_updated_ok" not in self.faults:
            return self.reply(None, code=2001, message="a PATCH needs last_updated")
        target = self._find(path)
        if target is None:
            return self.reply(None, status=404, code=2000)
        if module == "sessions" and "charging_periods" in body:
            periods = body.pop("charging_periods")
            if "patch_replaces_periods" not in self.faults:
                periods = target.get("charging_periods", []) + periods
            target["charging_periods"] = periods
        target.update(body)
        parts = path.split("/")
        if module == "locations" and len(parts) > 4 and "no_parent_bump" not in self.faults:
            location = self.stored["/".join(parts[:4])]
            location["last_updated"] = body.get("last_updated", location["last_updated"])
            if len(parts) == 6:
                evse = self._find("/".join(parts[:5]))
                evse["last_updated"] = body.get("last_updated", evse["last_updated"])
        return self.reply(None)

    def _command(self, body: dict[str, Any]) -> web.Response:
        known = {o["id"] for o in self.lists["locations"]}
        if "command_accepted" in self.faults:
            return self.reply({"result": "ACCEPTED", "timeout": 30})
        if body.get("location_id") not in known:
            return self.reply({"result": "REJECTED", "timeout": 30}, code=2003)
        return self.reply({"result": "ACCEPTED", "timeout": 30})
