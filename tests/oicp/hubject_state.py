"""What the fake Hubject keeps, and the pulls it serves from it, without I/O.

Every pushed kind of data (EVSE data, EVSE status, pricing products, EVSE pricing,
authentication data) is a `RecordSet`: records by key and by owner (an OperatorID or a
ProviderID), changed by OICP's four ActionTypes as the spec describes them for
eRoamingPushAuthenticationData, which the other pushes refer to:
- fullLoad replaces all of the owner's records (an empty list deletes them all);
- insert adds records; one that exists already aborts the request (nothing is stored);
- update changes records; one that does not exist aborts the request (for EVSE status, an EVSE
  the operator's EVSE data holds counts as existing: the status of a known EVSE);
- delete removes records; one that does not exist is ignored.
A refused request raises `Refused` with the StatusCode to answer (009, data transaction
error). Deleted records are kept as tombstones, so a delta pull (LastCall) can say `delete`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

Body = dict[str, Any]


class Refused(Exception):
    """A request Hubject refuses with StatusCode `code` (Result false, HTTP `status`). A
    `violation` is a rule a correct hub never breaks; other refusals a correct hub may meet."""

    def __init__(self, code: str, message: str, *, violation: bool = False, status: int = 200):
        super().__init__(message)
        self.code = code
        self.message = message
        self.violation = violation
        self.status = status


# ---- identifiers ---------------------------------------------------------------------------


def normal(identifier: str) -> str:
    """An OperatorID, ProviderID, EvseID or EvcoID as Hubject compares it: upper case, without
    the optional `*`/`-` separators (`DE*ABC` = `DEABC`, `DE-8EO` = `DE*8EO` = `DE8EO`)."""
    return re.sub(r"[*-]", "", identifier).upper()


def operator_id_of(evse_id: str) -> str:
    """The OperatorID an EvseID starts with, spelled as in the EvseID: `DE*AB7` of
    `DE*AB7*E840*6487`, `DEAB7` of `DEAB7E8406487`, `+49*810` of `+49*810*000*438`."""
    if evse_id[:1] == "+" or evse_id[:1].isdigit():
        return "*".join(evse_id.split("*")[:2])
    return evse_id[:6] if evse_id[2:3] == "*" else evse_id[:5]


def provider_id_of(evco_id: str) -> str:
    """The ProviderID (normalised) an EvcoID starts with."""
    return normal(evco_id)[:5]


def identification_key(identification: Body) -> tuple[str, str]:
    """("UID", uid) or ("EvcoID", evco_id) of an Identification, upper-cased as Hubject does."""
    ((variant, data),) = identification.items()
    if variant in ("RFIDMifareFamilyIdentification", "RFIDIdentification"):
        return "UID", str(data["UID"]).upper()
    return "EvcoID", str(data["EvcoID"]).upper()


# ---- time ----------------------------------------------------------------------------------


def now() -> datetime:
    """The time, to the millisecond: what `rendered` shows is exactly what is compared."""
    moment = datetime.now(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def rendered(moment: datetime) -> str:
    """A Hubject timestamp: UTC with milliseconds, `2025-03-04T08:15:00.123Z`."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def parsed(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# ---- records -------------------------------------------------------------------------------


@dataclass
class Stored:
    owner: str  # normalised OperatorID or ProviderID
    record: Body
    created: datetime
    updated: datetime
    deleted: bool = False


@dataclass
class RecordSet:
    key: Callable[[Body], str]
    stored: dict[str, Stored] = field(default_factory=dict)

    def current(self, owner: str | None = None) -> dict[str, Stored]:
        return {
            k: s
            for k, s in self.stored.items()
            if not s.deleted and (owner is None or s.owner == owner)
        }

    def apply(
        self, owner: str, action: str, records: list[Body], known: Iterable[str] = ()
    ) -> None:
        """Carry out one push of `owner`'s records, or raise `Refused` and change nothing."""
        at = now()
        mine = self.current(owner)
        keys = [self.key(r) for r in records]
        if action == "insert" and (present := [k for k in keys if k in mine]):
            raise Refused("009", f"insert of records that exist: {', '.join(present)}")
        if action == "update":
            allowed = set(mine) | set(known)
            if missing := [k for k in keys if k not in allowed]:
                raise Refused("009", f"update of records that do not exist: {', '.join(missing)}")
        if action == "delete":
            for k in keys:
                if k in mine:
                    mine[k].deleted, mine[k].updated = True, at
            return
        if action == "fullLoad":
            for k, s in mine.items():
                if k not in keys:
                    s.deleted, s.updated = True, at
        for k, record in zip(keys, records, strict=True):
            self.put(owner, k, record, at)

    def put(self, owner: str, key: str, record: Body, at: datetime) -> None:
        old = self.stored.get(key)
        if old is not None and not old.deleted and old.owner == owner:
            old.record, old.updated = record, at
        else:
            self.stored[key] = Stored(owner, record, at, at)

    def changed_since(self, moment: datetime) -> list[tuple[str, Stored]]:
        """(deltaType, record) of every record changed after `moment`."""
        changed = []
        for s in self.stored.values():
            if s.updated <= moment:
                continue
            kind = "delete" if s.deleted else "insert" if s.created > moment else "update"
            changed.append((kind, s))
        return changed


# ---- geo coordinates -----------------------------------------------------------------------


def _dms(text: str) -> float:
    match = re.fullmatch(r"(-?)(\d+)°\s?(\d+)'\s?([\d.]+)''", text)
    assert match, text
    sign, degrees, minutes, seconds = match.groups()
    value = int(degrees) + int(minutes) / 60 + float(seconds) / 3600
    return -value if sign else value


def position(geo: Body) -> tuple[float, float]:
    """(latitude, longitude) of a GeoCoordinates in any of its three formats."""
    if "Google" in geo:
        latitude, longitude = re.split(r"[\s,]+", geo["Google"]["Coordinates"].strip())
        return float(latitude), float(longitude)
    if "DecimalDegree" in geo:
        d = geo["DecimalDegree"]
        return float(d["Latitude"]), float(d["Longitude"])
    d = geo["DegreeMinuteSeconds"]
    return _dms(d["Latitude"]), _dms(d["Longitude"])


def _to_dms(value: float) -> str:
    sign = "-" if value < 0 else ""
    value = abs(value)
    degrees, rest = int(value), (abs(value) - int(value)) * 60
    minutes = int(rest)
    return f"{sign}{degrees}°{minutes}'{(rest - minutes) * 60:.2f}''"


def geo_in(fmt: str, geo: Body) -> Body:
    """GeoCoordinates converted to the format a pull asked for."""
    latitude, longitude = position(geo)
    if fmt == "Google":
        return {"Google": {"Coordinates": f"{latitude:.6f} {longitude:.6f}"}}
    if fmt == "DecimalDegree":
        return {"DecimalDegree": {"Latitude": f"{latitude:.6f}", "Longitude": f"{longitude:.6f}"}}
    return {"DegreeMinuteSeconds": {"Latitude": _to_dms(latitude), "Longitude": _to_dms(longitude)}}


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Air distance (haversine) between two positions."""
    (lat1, lon1), (lat2, lon2) = (tuple(map(math.radians, p)) for p in (a, b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def within(search_center: Body, geo: Body) -> bool:
    center = position(search_center["GeoCoordinates"])
    return distance_km(center, position(geo)) <= float(search_center["Radius"])


# ---- pages ---------------------------------------------------------------------------------

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 2000


def page_numbers(query: dict[str, str]) -> tuple[int, int]:
    """`page` and `size` of a paged pull, or `Refused` (022) when they are not what Hubject
    takes (size 1 to 2000, default 20; page from 0)."""
    try:
        number = int(query.get("page", "0"))
        size = int(query.get("size", str(DEFAULT_PAGE_SIZE)))
    except ValueError:
        raise Refused(
            "022", f"page and size must be integers: {dict(query)}", violation=True, status=400
        ) from None
    if number < 0 or not 1 <= size <= MAX_PAGE_SIZE:
        message = f"page must be >= 0 and size 1..{MAX_PAGE_SIZE}: {dict(query)}"
        raise Refused("022", message, violation=True, status=400)
    return number, size


def page(items: list[Body], number: int, size: int) -> Body:
    """One page as Hubject's paged pulls answer it."""
    pages = math.ceil(len(items) / size)
    content = items[number * size : (number + 1) * size]
    return {
        "content": content,
        "number": number,
        "size": size,
        "totalElements": len(items),
        "totalPages": pages,
        "numberOfElements": len(content),
        "first": number == 0,
        "last": number >= pages - 1,
        "StatusCode": {"Code": "000", "Description": "Success"},
    }


# ---- everything Hubject keeps, and the pulls served from it --------------------------------


@dataclass
class Session:
    """A process Hubject issued a SessionID for (AuthorizeStart or AuthorizeRemoteStart)."""

    session_id: str
    operator: str  # normalised OperatorID of the CPO
    provider: str  # normalised ProviderID of the EMP that authorized it
    evse_id: str | None
    identification: Body | None
    offline: bool = False  # authorized by Hubject from pushed authentication data
    stopped: bool = False


@dataclass
class ReceivedCdr:
    record: Body
    operator: str
    provider: str
    received: datetime
    forwarded: bool


def _evse_key(record: Body) -> str:
    return normal(record["EvseID"])


def _auth_key(record: Body) -> str:
    return ":".join(identification_key(record["Identification"]))


@dataclass
class HubjectData:
    evse_data: RecordSet = field(default_factory=lambda: RecordSet(_evse_key))
    evse_status: RecordSet = field(default_factory=lambda: RecordSet(_evse_key))
    pricing_products: RecordSet = field(default_factory=lambda: RecordSet(lambda r: r["ProductID"]))
    evse_pricing: RecordSet = field(
        default_factory=lambda: RecordSet(lambda r: f"{normal(r['EvseID'])}|{r['ProviderID']}")
    )
    authentication_data: RecordSet = field(default_factory=lambda: RecordSet(_auth_key))
    # Normalised OperatorID → (OperatorID as pushed, OperatorName), for what pulls serve.
    operators: dict[str, tuple[str, str]] = field(default_factory=dict)
    spellings: dict[str, str] = field(default_factory=dict)  # normalised id → as first seen
    sessions: dict[str, Session] = field(default_factory=dict)
    cdrs: dict[str, ReceivedCdr] = field(default_factory=dict)

    def spelled(self, identifier: str) -> str:
        """An OperatorID or ProviderID as its partner spells it (`DE*ABC`, not `DEABC`)."""
        return self.spellings.get(identifier, identifier)

    def known_as(self, identifier: str) -> str:
        """Remember how a partner spells an id; its normalised form."""
        key = normal(identifier)
        self.spellings.setdefault(key, identifier)
        return key

    def operator_named(self, operator_id: str, name: str | None) -> str:
        key = self.known_as(operator_id)
        known = self.operators.get(key, (operator_id, operator_id))[1]
        self.operators[key] = (operator_id, name or known)
        return key

    def _pulled(self, stored: Stored, fmt: str, delta: str | None) -> Body:
        operator_id, name = self.operators[stored.owner]
        record = {k: v for k, v in stored.record.items() if k not in ("deltaType", "lastUpdate")}
        record["GeoCoordinates"] = geo_in(fmt, record["GeoCoordinates"])
        if "GeoChargingPointEntrance" in record:
            record["GeoChargingPointEntrance"] = geo_in(fmt, record["GeoChargingPointEntrance"])
        record.update(
            OperatorID=operator_id, OperatorName=name, lastUpdate=rendered(stored.updated)
        )
        if delta:
            record["deltaType"] = delta
        return record

    def pull_evse_data(self, body: Body, number: int, size: int) -> Body:
        """eRoamingEvseData: every current record (or, with LastCall, every change since) of
        every operator, filtered, in the coordinates format asked for, one page."""
        fmt = body["GeoCoordinatesResponseFormat"]
        chosen: list[tuple[str | None, Stored]]
        if "LastCall" in body:
            chosen = list(self.evse_data.changed_since(parsed(body["LastCall"])))
        else:
            chosen = [(None, s) for s in self.evse_data.current().values() if _kept(body, s)]
        items = [self._pulled(s, fmt, delta) for delta, s in chosen]
        items.sort(key=lambda r: r["EvseID"])
        return page(items, number, size)

    def _statuses(self, operators: set[str] | None, wanted: Callable[[str, Stored], bool]) -> Body:
        grouped: dict[str, list[Body]] = {}
        for key, s in sorted(self.evse_status.current().items()):
            if (operators is None or s.owner in operators) and wanted(key, s):
                grouped.setdefault(s.owner, []).append(s.record)
        blocks = []
        for owner, records in grouped.items():
            operator_id, name = self.operators.get(owner, (owner, owner))
            blocks.append(
                {"OperatorID": operator_id, "OperatorName": name, "EvseStatusRecord": records}
            )
        return {"EvseStatuses": {"OperatorEvseStatus": blocks}, "StatusCode": {"Code": "000"}}

    def pull_evse_status(self, body: Body) -> Body:
        """eRoamingEvseStatus of every operator, by EVSE status and around a SearchCenter (an
        EVSE whose data Hubject lacks has no position: a radial search leaves it out)."""
        status = body.get("EvseStatus", body.get("EVSEStatus"))
        center = body.get("SearchCenter")
        data = self.evse_data.current()

        def wanted(key: str, s: Stored) -> bool:
            if status is not None and s.record["EvseStatus"] != status:
                return False
            if center is None:
                return True
            return key in data and within(center, data[key].record["GeoCoordinates"])

        return self._statuses(None, wanted)

    def pull_evse_status_by_operator_id(self, body: Body) -> Body:
        return self._statuses({normal(o) for o in body["OperatorID"]}, lambda key, s: True)

    def pull_evse_status_by_id(self, body: Body) -> Body:
        """The status of each EvseID asked for; EvseNotFound for one Hubject does not know."""
        current = self.evse_status.current()
        records = [
            {"EvseID": evse_id, "EvseStatus": current[normal(evse_id)].record["EvseStatus"]}
            if normal(evse_id) in current
            else {"EvseID": evse_id, "EvseStatus": "EvseNotFound"}
            for evse_id in body["EvseID"]
        ]
        return {"EVSEStatusRecords": {"EvseStatusRecord": records}, "StatusCode": {"Code": "000"}}

    def charge_detail_records(self, provider: str, body: Body, number: int, size: int) -> Body:
        """The CDRs of `provider` Hubject received between From and To, filtered, one page."""
        start, end = parsed(body["From"]), parsed(body["To"])
        sessions = {s for s in body.get("SessionID", ())}
        operators = body.get("OperatorID")
        operators = {
            normal(o) for o in ([operators] if isinstance(operators, str) else operators or [])
        }
        forwarded = body.get("CDRForwarded", body.get("CDRForwarder"))
        items = [
            c.record
            for c in sorted(self.cdrs.values(), key=lambda c: c.received)
            if c.provider == provider
            and start <= c.received <= end
            and (not sessions or c.record["SessionID"] in sessions)
            and (not operators or c.operator in operators)
            and (forwarded is None or c.forwarded is forwarded)
        ]
        return page(items, number, size)


# Filters of a full eRoamingPullEvseData: request field → does the record pass.
FILTERS: dict[str, Callable[[Any, Stored], bool]] = {
    "OperatorIds": lambda ids, s: s.owner in {normal(i) for i in ids},
    "CountryCodes": lambda codes, s: s.record["Address"]["Country"] in codes,
    "SearchCenter": lambda center, s: within(center, s.record["GeoCoordinates"]),
    "AuthenticationModes": lambda modes, s: bool(set(modes) & set(s.record["AuthenticationModes"])),
    "Accessibility": lambda values, s: s.record["Accessibility"] in values,
    "CalibrationLawDataAvailability": lambda v, s: s.record["CalibrationLawDataAvailability"] in v,
    "RenewableEnergy": lambda flag, s: s.record["RenewableEnergy"] is flag,
    "IsHubjectCompatible": lambda flag, s: s.record["IsHubjectCompatible"] is flag,
    "IsOpen24Hours": lambda flag, s: s.record["IsOpen24Hours"] is flag,
}


def _kept(body: Body, stored: Stored) -> bool:
    return all(check(body[name], stored) for name, check in FILTERS.items() if name in body)
