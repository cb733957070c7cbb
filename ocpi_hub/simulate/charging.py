"""One charging session at a simulated CPO, from start to CDR, without I/O.

While it runs, the CPO reports it period by period: each PATCH carries the one new
ChargingPeriod since the last report (the receiver appends it, checklist §4.2), the session's
kWh so far and its running cost. When it ends, the last PATCH says COMPLETED, and the CDR holds
the same periods, the Location as it was at the start, the Tariff, and totals priced by the
hub's one pricing (`core.pricing.price_session`, in the Location's time zone), which the
simulated CPO rounds to the cent, each total on its own (its choice: OCPI sets no rounding).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from ocpi_hub.core.modules.cdrs import CDR
from ocpi_hub.core.modules.sessions import Session
from ocpi_hub.core.modules.tariffs import Tariff, TariffDimensionType
from ocpi_hub.core.pricing import Amount, Cost, price_session
from ocpi_hub.core.routing import PartyKey
from ocpi_hub.simulate.generate import JsonObject, as_json, stamp, valid

WH = Decimal("0.001")  # energy is metered to the Wh
CENT = Decimal("0.01")
MICRO_HOUR = Decimal("0.000001")
_HOUR = Decimal(3600)


def cdr_token(token: JsonObject) -> JsonObject:
    """The CdrToken of a Token: who charged, and (new in 2.2.1) which eMSP it belongs to."""
    return {k: token[k] for k in ("country_code", "party_id", "uid", "type", "contract_id")}


@dataclass
class ChargingSession:
    """A session's state at the CPO; every method returns JSON the hub's models accept."""

    owner: PartyKey
    id: str
    location: JsonObject  # as it was when the session started
    evse: JsonObject
    connector: JsonObject
    token: JsonObject  # a CdrToken
    auth_method: str  # COMMAND, AUTH_REQUEST or WHITELIST
    authorization_reference: str | None
    tariff: JsonObject
    power_kw: Decimal
    started: datetime
    last_report: datetime = field(init=False)
    ended: datetime | None = None
    kwh: Decimal = Decimal(0)  # delivered so far
    hours: Decimal = Decimal(0)  # charging time so far
    periods: list[JsonObject] = field(default_factory=list)
    status: str = "ACTIVE"
    cost: Cost | None = None

    def __post_init__(self) -> None:
        self.last_report = self.started
        self._tariff = Tariff.model_validate(self.tariff)

    @property
    def running(self) -> bool:
        return self.status == "ACTIVE"

    def _priced(self, until: datetime) -> Cost:
        """The session so far, its periods up to `until`, as the hub prices it."""
        session = Session.model_validate(self._session(stamp(until)))
        return price_session(self._tariff, session, self.location["time_zone"])

    def session(self, last_updated: str) -> JsonObject:
        """The full Session as it stands (what a PUT sends, and what the Sender lists)."""
        return valid(Session, self._session(last_updated))

    def _session(self, last_updated: str) -> JsonObject:
        body: JsonObject = {
            "country_code": self.owner[0],
            "party_id": self.owner[1],
            "id": self.id,
            "start_date_time": stamp(self.started),
            "kwh": self.kwh,
            "cdr_token": self.token,
            "auth_method": self.auth_method,
            "location_id": self.location["id"],
            "evse_uid": self.evse["uid"],
            "connector_id": self.connector["id"],
            "currency": self._tariff.currency,
            "charging_periods": self.periods,
            "status": self.status,
            "last_updated": last_updated,
        }
        if self.authorization_reference:
            body["authorization_reference"] = self.authorization_reference
        if self.ended is not None:
            body["end_date_time"] = stamp(self.ended)
        if self.cost is not None:
            body["total_cost"] = _cents(self.cost.total)
        return body

    def _period(self, until: datetime) -> JsonObject:
        """The period since the last report. Its volumes are differences of running totals
        (like meter readings), so the periods always add up to the session's totals."""
        elapsed = Decimal(str(max((until - self.started).total_seconds(), 0.0)))
        kwh = (self.power_kw * elapsed / _HOUR).quantize(WH, rounding=ROUND_HALF_UP)
        hours = (elapsed / _HOUR).quantize(MICRO_HOUR, rounding=ROUND_HALF_UP)
        period = {
            "start_date_time": stamp(self.last_report),
            "dimensions": [
                {"type": "ENERGY", "volume": kwh - self.kwh},
                {"type": "TIME", "volume": hours - self.hours},
            ],
            "tariff_id": self.tariff["id"],
        }
        self.kwh, self.hours = kwh, hours
        self.periods.append(period)
        self.last_report = until
        return period

    def progress(self, now: datetime, last_updated: str) -> JsonObject:
        """A running session's PATCH: one new period, kWh and cost so far."""
        period = self._period(now)
        self.cost = self._priced(now)
        self.session(last_updated)  # the CPO never reports a state the spec forbids
        patch: JsonObject = {
            "kwh": self.kwh,
            "charging_periods": [period],
            "total_cost": _cents(self.cost.total),
            "last_updated": last_updated,
        }
        wire: JsonObject = as_json(patch)  # Decimals to JSON numbers
        return wire

    def complete(self, now: datetime, last_updated: str) -> JsonObject:
        """The final PATCH: the last period, COMPLETED, the end time and the final cost."""
        patch = self.progress(now, last_updated)
        self.status = "COMPLETED"
        self.ended = now
        self.session(last_updated)
        return {**patch, "status": "COMPLETED", "end_date_time": stamp(now)}

    def cdr(self, cdr_id: str, last_updated: str) -> JsonObject:
        """The CDR of a completed session, priced from its tariff."""
        assert self.ended is not None and self.cost is not None, "complete() the session first"
        location, evse, connector = self.location, self.evse, self.connector
        cdr_location = {
            "id": location["id"],
            "name": location.get("name"),
            "address": location["address"],
            "city": location["city"],
            "postal_code": location.get("postal_code"),
            "country": location["country"],
            "coordinates": location["coordinates"],
            "evse_uid": evse["uid"],
            "evse_id": evse.get("evse_id", evse["uid"]),
            "connector_id": connector["id"],
            "connector_standard": connector["standard"],
            "connector_format": connector["format"],
            "connector_power_type": connector["power_type"],
        }
        body: JsonObject = {
            "country_code": self.owner[0],
            "party_id": self.owner[1],
            "id": cdr_id,
            "start_date_time": stamp(self.started),
            "end_date_time": stamp(self.ended),
            "session_id": self.id,
            "cdr_token": self.token,
            "auth_method": self.auth_method,
            "authorization_reference": self.authorization_reference,
            "cdr_location": {k: v for k, v in cdr_location.items() if v is not None},
            "currency": self._tariff.currency,
            "tariffs": [self.tariff],
            "charging_periods": self.periods,
            "total_cost": _cents(self.cost.total),
            "total_energy": self.kwh,
            "total_time": self.hours,
            "last_updated": last_updated,
        }
        parts = self.cost.cdr_totals()
        for name, dimension in (
            ("total_fixed_cost", TariffDimensionType.FLAT),
            ("total_energy_cost", TariffDimensionType.ENERGY),
            ("total_time_cost", TariffDimensionType.TIME),
        ):
            if any(c.type == dimension for e in self._tariff.elements for c in e.price_components):
                body[name] = _cents(parts[name])
        return valid(CDR, {k: v for k, v in body.items() if v is not None})


def _cents(amount: Amount) -> dict[str, Decimal]:
    """An amount as the simulated CPO states it: an OCPI Price, rounded half up to the cent."""
    return {
        "excl_vat": amount.excl_vat.quantize(CENT, rounding=ROUND_HALF_UP),
        "incl_vat": amount.incl_vat.quantize(CENT, rounding=ROUND_HALF_UP),
    }
