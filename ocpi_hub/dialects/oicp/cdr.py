"""OCPI 2.2.1 CDR ⇄ OICP 2.3 ChargeDetailRecord (hub-dialects.md §5.4 "CDR"; OICP 2.3 CPO/EMP
"eRoamingChargeDetailRecord_V2.2").

| OCPI CDR                       | OICP ChargeDetailRecord               | lost                    |
|--------------------------------|---------------------------------------|-------------------------|
| id, session_id                 | SessionID in                          | in: CPOPartnerSessionID |
| session_id                     | CPOPartnerSessionID out               |                         |
| authorization_reference        | SessionID out; EMPPartnerSessionID in | out: another one        |
| start/end_date_time (UTC)      | SessionStart/End (local, offset)      | out: UTC, no time zone  |
| charging_periods               | ChargingStart/ChargingEnd             | approximated both ways  |
| total_energy                   | ConsumedEnergy (3 decimals)           | out: a 4th decimal      |
| total_time, total_parking_time | the four times                        |                         |
| cdr_token                      | Identification                        | in: an RFID's contract  |
| auth_method COMMAND            | RemoteIdentification                  | in: else AUTH_REQUEST   |
| cdr_location.evse_id           | EvseID                                | out: connector_id       |
| cdr_location (the rest)        | - (in: the stored Location)           |                         |
| tariffs[].id, tariff_id        | PartnerProductID                      | out: all but the first  |
| signed_data                    | (`metering`)                          |                         |
| currency, *_cost, remark,      | -                                     | out: dropped; in: the   |
| invoice_reference_id, meter_id |                                       | hub prices (guessed)    |
| credit                         | - (one CDR per SessionID)             | out: not sent at all    |
| -                              | MeterValue*, HubOperatorID,           | in: dropped             |
|                                | HubProviderID                         |                         |

Out (`oicp_cdr`, the hub as CPO): ChargingStart/End span the periods that charged (ENERGY or
TIME above 0); none did: both are SessionStart. HubOperatorID is our OperatorID when the EvseID
names another operator (a sub-operator). A credit CDR gives no record, only a Loss: not sent.
In (`ocpi_cdr`, the hub as EMP): parking (PARKING_TIME) up to ChargingStart, the charge (ENERGY,
TIME) up to ChargingEnd, parking after, each period only when it lasts; charging times outside
the session are clamped to it. id and session_id are the SessionID, by which the hub names
Hubject's sessions. The price is `core.pricing`'s for the tariff given, else 0 in `currency`:
GUESSED either way. Both spellings of HubProviderID/HubProviderId are read (§5.6).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ocpi_hub.core.modules.cdrs import CDR
from ocpi_hub.core.modules.tariffs import Tariff
from ocpi_hub.core.pricing import PricingError, price_cdr
from ocpi_hub.core.routing import PartyKey
from ocpi_hub.core.types import format_datetime, json_decimal, parse_datetime
from ocpi_hub.dialects.losses import Direction, Loss, Lost
from ocpi_hub.dialects.oicp import identification, ids, metering

__all__ = ["ocpi_cdr", "oicp_cdr"]

_OUT, _IN = Direction.OUT, Direction.IN
_MONEY = (
    "currency", "total_cost", "total_fixed_cost", "total_energy_cost", "total_time_cost",
    "total_parking_cost", "total_reservation_cost", "remark", "invoice_reference_id", "meter_id",
    "home_charging_compensation",
)  # fmt: skip
# Hubject's fields OCPI has no place for; both spellings of HubProviderID (§5.6).
_UNPLACED = (
    "MeterValueStart", "MeterValueEnd", "MeterValueInBetween", "CPOPartnerSessionID",
    "HubOperatorID", "HubProviderID", "HubProviderId",
)  # fmt: skip
_CDR_TOKEN = ("country_code", "party_id", "uid", "type", "contract_id")
_TIMES = ("SessionStart", "SessionEnd", "ChargingStart", "ChargingEnd")
# What each lossy spot loses, and why: (direction, field) → (lost, why).
_LOSSES: Mapping[tuple[Direction, str], tuple[Lost, str]] = {
    (_OUT, "credit"): (Lost.DROPPED, "OICP has no credit CDR: one CDR per SessionID"),
    (_OUT, "start_date_time"): (Lost.APPROXIMATED, "no time zone given: UTC, not local time"),
    (_OUT, "total_energy"): (Lost.APPROXIMATED, "OICP's ConsumedEnergy has 3 decimals"),
    (_OUT, "charging_periods"): (Lost.APPROXIMATED, "OICP has the charging start and end only"),
    (_OUT, "cdr_location.connector_id"): (Lost.DROPPED, "OICP's CDR names the EVSE only"),
    (_OUT, "authorization_reference"): (Lost.DROPPED, "OICP's CDR carries Hubject's SessionID"),
    (_OUT, "tariffs"): (Lost.DROPPED, "OICP's CDR names one product"),
    **{(_OUT, name): (Lost.DROPPED, "OICP's CDR carries no money or billing") for name in _MONEY},
    (_IN, "charging_periods"): (Lost.APPROXIMATED, "made of the session and charging times"),
    (_IN, "auth_method"): (Lost.GUESSED, "Hubject may have authorized it offline (WHITELIST)"),
    (_IN, "cdr_token.contract_id"): (Lost.GUESSED, "OICP identifies an RFID card by its UID"),
    (_IN, "cdr_location.connector_id"): (Lost.GUESSED, "OICP names the EVSE: its first one"),
    (_IN, "tariffs"): (Lost.DROPPED, "no tariff of the operator is known for the product"),
    (_IN, "total_cost"): (Lost.GUESSED, "OICP's CDR carries no price"),
    **{(_IN, name): (Lost.DROPPED, "OCPI's CDR has no place for it") for name in _UNPLACED},
    **{(_IN, name): (Lost.GUESSED, "no offset (the station's): read as UTC") for name in _TIMES},
}
_MICROSECOND, _MICROHOURS = timedelta(microseconds=1), Decimal(3_600_000_000)
_FOUR, _THREE = Decimal("0.0001"), Decimal("0.001")
_COSTS = (
    ("total_fixed_cost", "FLAT"), ("total_energy_cost", "ENERGY"), ("total_time_cost", "TIME"),
    ("total_parking_cost", "PARKING_TIME"),
)  # fmt: skip


def _lose(losses: list[Loss], way: Direction, field: str, example: object, why: str = "") -> None:
    """Note the Loss of `field` (its row of `_LOSSES`; `why` says more for this one)."""
    lost, reason = _LOSSES[(way, field)]
    field = "HubProviderID" if field == "HubProviderId" else field
    losses.append(Loss("cdrs", field, way, lost, str(example), why or reason))


# --- Out: the hub as CPO ------------------------------------------------------------------------


def oicp_cdr(
    cdr: Mapping[str, Any], operator_id: str, session_id: str, *, time_zone: str | None = None
) -> tuple[dict[str, Any] | None, list[Loss]]:
    """The ChargeDetailRecord of our CPO's CDR, for Hubject's `session_id`; `operator_id` is the
    OperatorID we send it as, `time_zone` the Location's (for the station's offset). None and a
    Loss for a credit CDR. ValueError when the EVSE or the token has no OICP form."""
    losses: list[Loss] = []
    if cdr.get("credit") is True:
        _lose(losses, _OUT, "credit", cdr["id"])
        return None, losses
    token, location = cdr["cdr_token"], cdr["cdr_location"]
    if cdr["auth_method"] == "COMMAND":
        ident = identification.remote(str(token["contract_id"]))
    else:
        ident, approximated = identification.of_token(
            str(token["uid"]), str(token["type"]), token.get("contract_id"), module="cdrs"
        )
        losses += approximated
    evse_id = ids.oicp_evse_id(str(location["evse_id"]))
    zone = _zone(time_zone)
    if zone is None:
        _lose(losses, _OUT, "start_date_time", cdr["start_date_time"])
    start, end = parse_datetime(cdr["start_date_time"]), parse_datetime(cdr["end_date_time"])
    charging_start, charging_end = _charging(cdr["charging_periods"], start, end)
    energy = json_decimal(cdr["total_energy"])
    kwh = energy.quantize(_THREE, ROUND_HALF_UP)
    record: dict[str, Any] = {
        "SessionID": session_id,
        "EvseID": evse_id,
        "Identification": ident,
        "SessionStart": _oicp_time(start, zone),
        "SessionEnd": _oicp_time(end, zone),
        "ChargingStart": _oicp_time(charging_start, zone),
        "ChargingEnd": _oicp_time(charging_end, zone),
        "ConsumedEnergy": int(kwh) if kwh == kwh.to_integral_value() else float(kwh),
    }
    if kwh != energy:
        _lose(losses, _OUT, "total_energy", energy)
    if cdr.get("session_id"):
        record["CPOPartnerSessionID"] = cdr["session_id"]
    if ids.evse_operator(evse_id) != ids.operator_party(operator_id):
        record["HubOperatorID"] = operator_id
    products = list(dict.fromkeys(
        str(n) for n in [t.get("id") for t in cdr.get("tariffs") or []]
        + [p.get("tariff_id") for p in cdr["charging_periods"]] if n
    ))  # fmt: skip
    if products:
        record["PartnerProductID"] = products[0]
    if len(products) > 1:
        _lose(losses, _OUT, "tariffs", ", ".join(products[1:]))
    signed, signed_losses = metering.signed_metering(cdr.get("signed_data"))
    record.update(signed)
    losses += signed_losses
    _lose(losses, _OUT, "charging_periods", len(cdr["charging_periods"]))
    if location.get("connector_id"):
        _lose(losses, _OUT, "cdr_location.connector_id", location["connector_id"])
    reference = cdr.get("authorization_reference")
    if reference and reference != session_id:
        _lose(losses, _OUT, "authorization_reference", reference)
    for name in _MONEY:
        if cdr.get(name) is not None:
            _lose(losses, _OUT, name, cdr[name])
    return record, losses


def _zone(time_zone: str | None) -> ZoneInfo | None:
    try:
        return ZoneInfo(time_zone) if time_zone is not None else None
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"time_zone {time_zone!r} is not an IANA time zone") from exc


def _oicp_time(moment: datetime, zone: ZoneInfo | None) -> str:
    """ISO 8601 with the station's offset (UTC `Z` without a zone), as OICP wants its times."""
    spec = "milliseconds" if moment.microsecond else "seconds"
    if zone is None:
        return moment.astimezone(UTC).isoformat(timespec=spec).replace("+00:00", "Z")
    return moment.astimezone(zone).isoformat(timespec=spec)


def _charging(
    periods: list[Mapping[str, Any]], start: datetime, end: datetime
) -> tuple[datetime, datetime]:
    """Where the first period that charged starts and the last one ends; none: the start."""
    ordered = sorted(periods, key=lambda p: parse_datetime(p["start_date_time"]))
    starts = [parse_datetime(p["start_date_time"]) for p in ordered] + [end]
    spans = [
        (starts[i], starts[i + 1])
        for i, period in enumerate(ordered)
        if any(
            d.get("type") in ("ENERGY", "TIME") and json_decimal(d.get("volume")) > 0
            for d in period.get("dimensions", [])
        )
    ]
    return (spans[0][0], spans[-1][1]) if spans else (start, start)


# --- In: the hub as EMP -------------------------------------------------------------------------


def ocpi_cdr(
    record: Mapping[str, Any],
    *,
    location: Mapping[str, Any],
    evse_uid: str,
    connector_id: str | None,
    tariff: Mapping[str, Any] | None,
    cpo: PartyKey,
    emsp: PartyKey,
    currency: str,
    now: str,
    token: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], list[Loss]]:
    """The OCPI CDR for our eMSP (`emsp`) of Hubject's ChargeDetailRecord from the operator
    `cpo`, at `evse_uid` of the stored `location` (`connector_id` None: its first connector),
    priced with `tariff` when given (module docstring). `token` is our eMSP's stored Token of
    the identification, when the hub found it: the CdrToken is then exact. ValueError naming the
    field when the record or the location cannot make a valid CDR."""
    session_id = record.get("SessionID")
    if not isinstance(session_id, str) or not session_id:
        raise ValueError("SessionID: missing")
    ident, losses = identification.read(record.get("Identification"), module="cdrs")
    start, end, *charging = (_read_time(record, name, losses) for name in _TIMES)
    if end < start:
        raise ValueError(f"SessionEnd {record['SessionEnd']!r} is before SessionStart")
    begin, finish = (min(max(moment, start), end) for moment in charging)
    finish = max(begin, finish)
    if [begin, finish] != charging:
        example = f"{record['ChargingStart']} - {record['ChargingEnd']}"
        _lose(losses, _IN, "charging_periods", example, "charging outside the session: clamped")
    try:
        energy = json_decimal(record.get("ConsumedEnergy"))
    except ValueError as exc:
        raise ValueError(f"ConsumedEnergy: {exc}") from exc
    if energy < 0:
        raise ValueError(f"ConsumedEnergy {energy} is negative")
    periods = _periods(start, end, begin, finish, energy, tariff["id"] if tariff else None)
    parking = _hours(start, begin) + _hours(finish, end)
    body: dict[str, Any] = {
        "country_code": cpo[0],
        "party_id": cpo[1],
        "id": session_id,
        "start_date_time": format_datetime(start),
        "end_date_time": format_datetime(end),
        "session_id": session_id,
        "cdr_token": _cdr_token(ident, emsp, token, losses),
        "auth_method": "COMMAND" if ident.kind == "RemoteIdentification" else "AUTH_REQUEST",
        "authorization_reference": _reference(record, session_id),
        "cdr_location": _cdr_location(location, evse_uid, connector_id, losses),
        "currency": tariff["currency"] if tariff is not None else currency,
        "charging_periods": periods,
        "total_cost": {"excl_vat": 0},
        "total_energy": energy,
        "total_time": _hours(start, end),
        "total_parking_time": parking if parking > 0 else None,
        "last_updated": now,
    }
    if body["auth_method"] == "AUTH_REQUEST":
        _lose(losses, _IN, "auth_method", "AUTH_REQUEST")
    _lose(losses, _IN, "charging_periods", len(periods))
    body["signed_data"], signed_losses = metering.signed_data(record)
    losses += signed_losses
    _price(body, tariff, location, losses)
    if record.get("PartnerProductID") and tariff is None:
        _lose(losses, _IN, "tariffs", record["PartnerProductID"])
    for name in _UNPLACED:
        if record.get(name) is not None:
            _lose(losses, _IN, name, record[name])
    body = {name: value for name, value in body.items() if value is not None}
    return CDR.model_validate(body).model_dump(mode="json", exclude_none=True), losses


def _read_time(record: Mapping[str, Any], name: str, losses: list[Loss]) -> datetime:
    value = record.get(name, "")
    try:
        moment = datetime.fromisoformat(value)  # a value not a str: TypeError
    except (TypeError, ValueError):
        raise ValueError(f"{name}: {value!r} is not a date and time") from None
    if moment.tzinfo is None:
        _lose(losses, _IN, name, value)
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _hours(begin: datetime, end: datetime) -> Decimal:
    """Hours to OCPI's 4 decimals, half up."""
    return (Decimal((end - begin) / _MICROSECOND) / _MICROHOURS).quantize(_FOUR, ROUND_HALF_UP)


def _periods(
    start: datetime,
    end: datetime,
    begin: datetime,
    finish: datetime,
    energy: Decimal,
    tariff_id: str | None,
) -> list[dict[str, Any]]:
    """Parking before the charge (`begin`-`finish`), the charge, parking after; at least one."""

    def period(moment: datetime, *dimensions: tuple[str, Decimal]) -> dict[str, Any]:
        volumes = [{"type": kind, "volume": volume} for kind, volume in dimensions]
        made = {"start_date_time": format_datetime(moment), "dimensions": volumes}
        return made | ({"tariff_id": tariff_id} if tariff_id is not None else {})

    before, after = begin > start, end > finish
    periods = [period(start, ("PARKING_TIME", _hours(start, begin)))] if before else []
    if finish > begin or energy > 0 or not (before or after):
        periods.append(period(begin, ("ENERGY", energy), ("TIME", _hours(begin, finish))))
    if after:
        periods.append(period(finish, ("PARKING_TIME", _hours(finish, end))))
    return periods


def _cdr_token(
    ident: identification.Identified,
    emsp: PartyKey,
    token: Mapping[str, Any] | None,
    losses: list[Loss],
) -> dict[str, Any]:
    if token is not None:
        return {name: token[name] for name in _CDR_TOKEN}
    if ident.contract_id is None:
        _lose(losses, _IN, "cdr_token.contract_id", ident.uid)
    return {
        "country_code": emsp[0],
        "party_id": emsp[1],
        "uid": ident.uid,
        "type": ident.type.value,
        "contract_id": ident.contract_id or ident.uid,
    }


def _reference(record: Mapping[str, Any], session_id: str) -> str:
    """Our eMSP's own reference when the record brings it back (the hub sent it as
    EMPPartnerSessionID), else Hubject's SessionID."""
    theirs = record.get("EMPPartnerSessionID")
    fits = isinstance(theirs, str) and 0 < len(theirs) <= 36 and theirs.isascii()
    return str(theirs) if fits else session_id


def _cdr_location(
    location: Mapping[str, Any], evse_uid: str, connector_id: str | None, losses: list[Loss]
) -> dict[str, Any]:
    evse = next((e for e in location.get("evses") or [] if e.get("uid") == evse_uid), None)
    if evse is None:
        raise ValueError(f"evse_uid {evse_uid!r} is not an EVSE of Location {location.get('id')!r}")
    connectors = evse.get("connectors") or []
    if connector_id is None and len(connectors) > 1:
        _lose(losses, _IN, "cdr_location.connector_id", connectors[0]["id"])
    wanted = connectors[0].get("id") if connector_id is None and connectors else connector_id
    connector = next((c for c in connectors if c.get("id") == wanted), None)
    if connector is None:
        raise ValueError(f"connector_id {connector_id!r} is not a connector of EVSE {evse_uid!r}")
    body = {
        **{name: location.get(name) for name in (
            "id", "name", "address", "city", "postal_code", "state", "country", "coordinates")},
        "evse_uid": evse_uid,
        "evse_id": evse.get("evse_id") or evse_uid,
        "connector_id": connector["id"],
        "connector_standard": connector.get("standard"),
        "connector_format": connector.get("format"),
        "connector_power_type": connector.get("power_type"),
    }  # fmt: skip
    return {name: value for name, value in body.items() if value is not None}


def _price(
    body: dict[str, Any],
    tariff: Mapping[str, Any] | None,
    location: Mapping[str, Any],
    losses: list[Loss],
) -> None:
    """The CDR's costs from the tariff (`core.pricing`), else 0: a GUESSED Loss either way."""
    why = "OICP's CDR carries no price and no tariff was given: 0"
    if tariff is not None:
        body["tariffs"] = [dict(tariff)]
        model = Tariff.model_validate(tariff)
        draft = {name: value for name, value in body.items() if value is not None}
        try:
            cost = price_cdr(model, CDR.model_validate(draft), str(location.get("time_zone")))
        except PricingError as exc:
            why = f"OICP's CDR carries no price and the tariff cannot price it ({exc}): 0"
        else:
            why = "OICP's CDR carries no price: the hub priced it with the operator's tariff"
            body["total_cost"] = asdict(cost.total)
            totals = cost.cdr_totals()
            priced = {c.type.value for e in model.elements for c in e.price_components}
            for name, dimension in _COSTS:
                if dimension in priced:
                    body[name] = asdict(totals[name])
    example = f"{body['total_cost']['excl_vat']} {body['currency']}"
    _lose(losses, _IN, "total_cost", example, why)
