"""Realistic OCPI 2.2.1 objects for the simulators, from a seeded random generator.

Everything a simulator sends passes `valid()` first: the hub's own models (core.modules) check
it, and their JSON dump is what goes on the wire, so a simulator never sends what the hub would
refuse as malformed. Ids carry the owner's identity (`NLCPA-L0001`), so several simulators on
one hub never collide where the hub routes by id (open routing finds a Location's or a Token's
owner by its id).
"""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from ocpi_hub.core.model import OcpiModel
from ocpi_hub.core.routing import PartyKey

JsonObject = dict[str, Any]


def valid(model: type[OcpiModel], data: JsonObject) -> JsonObject:
    """`data` checked by the hub's model, as the JSON the model writes (numbers from Decimal)."""
    return model.model_validate(data).model_dump(mode="json", exclude_none=True)


def as_json(value: Any) -> Any:
    """Decimals in a structure as JSON numbers, for bodies not dumped through a model (PATCHes)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    return value


def random_uuid(rng: random.Random) -> str:
    """A version-4 UUID drawn from `rng` (so a seed reproduces it)."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


class Clock:
    """Strictly increasing times: each `last_updated` a party writes is later than the one
    before, so (object, last_updated) names one version of an object, even within a second.

    By default the wall clock. Given a `start`, simulated time: it begins at `start` and each
    real second moves it on `scale` seconds (3600: an hour a second, so a month passes in
    twelve minutes; 0: it stands still), and `advance_to` moves it on at once. A scenario that
    plans its sessions at given instants (simulate.scenario) uses a clock standing still and
    moves it itself, so its timestamps do not depend on how fast the machine is."""

    def __init__(self, start: datetime | None = None, scale: float = 1.0) -> None:
        if scale < 0:
            raise ValueError("a clock's scale must not be negative")
        self.scale = scale
        self._simulated = start is not None or scale != 1
        self._origin = start or datetime.now(UTC)  # the simulated time at _began
        self._began = time.monotonic()
        self._last = datetime(1970, 1, 1, tzinfo=UTC)

    def _time(self) -> datetime:
        if not self._simulated:
            return datetime.now(UTC)
        return self._origin + timedelta(seconds=(time.monotonic() - self._began) * self.scale)

    def now(self) -> datetime:
        moment = max(self._time(), self._last + timedelta(milliseconds=1))
        self._last = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
        return self._last

    def stamp(self) -> str:
        return stamp(self.now())

    def advance_to(self, moment: datetime) -> None:
        """Simulated time jumps on to `moment` (a moment already passed changes nothing)."""
        if not self._simulated:
            raise ValueError("the wall clock cannot be moved: give the clock a start")
        ahead = moment - self._time()
        if ahead > timedelta(0):
            self._origin += ahead


def stamp(moment: datetime) -> str:
    """An OCPI DateTime with milliseconds: `2024-03-01T10:00:00.123Z` (24 characters)."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class Country:
    alpha3: str
    time_zone: str
    language: str
    vat: Decimal
    postal_code: str  # a format: "#" a digit, "@" a letter
    cities: tuple[tuple[str, float, float], ...]
    streets: tuple[str, ...]


COUNTRIES: dict[str, Country] = {
    "NL": Country(
        "NLD",
        "Europe/Amsterdam",
        "nl",
        Decimal(21),
        "#### @@",
        (("Amsterdam", 52.3676, 4.9041), ("Utrecht", 52.0907, 5.1214), ("Delft", 52.0116, 4.3571)),
        ("Keizersgracht", "Stationsplein", "Marktstraat", "Kanaalweg", "Oude Gracht"),
    ),
    "BE": Country(
        "BEL",
        "Europe/Brussels",
        "nl",
        Decimal(21),
        "####",
        (("Antwerpen", 51.2194, 4.4025), ("Gent", 51.0543, 3.7174), ("Brussel", 50.8503, 4.3517)),
        ("Meir", "Korenmarkt", "Kouter", "Frankrijklei", "Avenue Louise"),
    ),
    "DE": Country(
        "DEU",
        "Europe/Berlin",
        "de",
        Decimal(19),
        "#####",
        (("Berlin", 52.5200, 13.4050), ("Hamburg", 53.5511, 9.9937), ("Köln", 50.9375, 6.9603)),
        ("Hauptstraße", "Bahnhofstraße", "Schillerstraße", "Am Markt", "Gartenweg"),
    ),
    "FR": Country(
        "FRA",
        "Europe/Paris",
        "fr",
        Decimal(20),
        "#####",
        (("Paris", 48.8566, 2.3522), ("Lyon", 45.7640, 4.8357), ("Lille", 50.6292, 3.0573)),
        ("Rue de la Paix", "Avenue Jean Jaurès", "Place de la Gare", "Quai Saint-Antoine"),
    ),
}


def country(code: str) -> Country:
    """Where a party's places are: its own country, or the Netherlands for one we do not know."""
    return COUNTRIES.get(code.upper(), COUNTRIES["NL"])


def _postal_code(rng: random.Random, form: str) -> str:
    pick = {"#": "0123456789", "@": "ABCDEFGHJKLMNPRSTVWXZ"}
    return "".join(rng.choice(pick[c]) if c in pick else c for c in form)


# ---- Tariffs ------------------------------------------------------------------------------------


def tariff_ids(owner: PartyKey) -> tuple[str, str]:
    """The ids of a CPO's AC and DC tariffs."""
    prefix = "".join(owner)
    return (f"{prefix}-AC", f"{prefix}-DC")


def tariffs(owner: PartyKey, last_updated: str) -> list[JsonObject]:
    """A CPO's two tariffs, prices excluding VAT at the country's rate: AC per kWh plus per
    hour (billed per minute), DC a start fee plus per kWh (billed per Wh)."""
    vat = country(owner[0]).vat
    ac, dc = tariff_ids(owner)

    def component(kind: str, price: str, step_size: int) -> JsonObject:
        return {"type": kind, "price": Decimal(price), "vat": vat, "step_size": step_size}

    def tariff(tariff_id: str, text: str, components: list[JsonObject]) -> JsonObject:
        return {
            "country_code": owner[0],
            "party_id": owner[1],
            "id": tariff_id,
            "currency": "EUR",
            "tariff_alt_text": [{"language": "en", "text": text}],
            "elements": [{"price_components": components}],
            "last_updated": last_updated,
        }

    return [
        tariff(
            ac,
            "€0.39/kWh and €0.60/h, excl. VAT",
            [component("ENERGY", "0.39", 1), component("TIME", "0.60", 60)],
        ),
        tariff(
            dc,
            "€0.50 per session and €0.59/kWh, excl. VAT",
            [component("FLAT", "0.50", 1), component("ENERGY", "0.59", 1)],
        ),
    ]


# ---- Locations ----------------------------------------------------------------------------------


def _connector(connector_id: str, kind: str, tariff_id: str, last_updated: str) -> JsonObject:
    standard, form, power, volts, amps, watts = {
        "AC": ("IEC_62196_T2", "SOCKET", "AC_3_PHASE", 230, 32, 22080),
        "CCS": ("IEC_62196_T2_COMBO", "CABLE", "DC", 920, 200, 150000),
        "CHADEMO": ("CHADEMO", "CABLE", "DC", 500, 125, 50000),
    }[kind]
    return {
        "id": connector_id,
        "standard": standard,
        "format": form,
        "power_type": power,
        "max_voltage": volts,
        "max_amperage": amps,
        "max_electric_power": watts,
        "tariff_ids": [tariff_id],
        "last_updated": last_updated,
    }


def _evse(location_id: str, owner: PartyKey, n: int, dc: bool, last_updated: str) -> JsonObject:
    ac_tariff, dc_tariff = tariff_ids(owner)
    kinds = ["CCS", "CHADEMO"] if dc else ["AC"]
    capabilities = ["RFID_READER", "REMOTE_START_STOP_CAPABLE"]
    capabilities += ["CREDIT_CARD_PAYABLE"] if dc else ["UNLOCK_CAPABLE"]
    return {
        "uid": f"{location_id}-E{n}",
        "evse_id": f"{owner[0]}*{owner[1]}*E{location_id.rsplit('-L', 1)[-1]}{n}",
        "status": "AVAILABLE",
        "capabilities": capabilities,
        "connectors": [
            _connector(str(i), kind, dc_tariff if dc else ac_tariff, last_updated)
            for i, kind in enumerate(kinds, start=1)
        ],
        "physical_reference": str(n),
        "last_updated": last_updated,
    }


def location(
    rng: random.Random, owner: PartyKey, number: int, max_evses: int, last_updated: str
) -> JsonObject:
    """A public charging Location of CPO `owner`: an on-street AC site or a DC fast-charging
    site, with 1 to `max_evses` EVSEs, all AVAILABLE."""
    land = country(owner[0])
    city, latitude, longitude = rng.choice(land.cities)
    street = rng.choice(land.streets)
    location_id = f"{''.join(owner)}-L{number:04d}"
    dc = rng.random() < 0.3
    evses = [
        _evse(location_id, owner, n, dc, last_updated)
        for n in range(1, rng.randint(1, max_evses) + 1)
    ]
    hours: JsonObject = {"twentyfourseven": True}
    if rng.random() < 0.2:
        days = range(1, 7)  # shops and garages close on Sunday
        hours = {
            "twentyfourseven": False,
            "regular_hours": [
                {"weekday": day, "period_begin": "07:00", "period_end": "22:00"} for day in days
            ],
        }
    return {
        "country_code": owner[0],
        "party_id": owner[1],
        "id": location_id,
        "publish": True,
        "name": f"{city} {street}" + (" fast charging" if dc else ""),
        "address": f"{street} {rng.randint(1, 250)}",
        "city": city,
        "postal_code": _postal_code(rng, land.postal_code),
        "country": land.alpha3,
        "coordinates": {
            "latitude": f"{latitude + rng.uniform(-0.03, 0.03):.6f}",
            "longitude": f"{longitude + rng.uniform(-0.03, 0.03):.6f}",
        },
        "parking_type": rng.choice(["ALONG_MOTORWAY", "PARKING_LOT"] if dc else ["ON_STREET"]),
        "evses": evses,
        "operator": {"name": f"{owner[0]}*{owner[1]} Charging"},
        "facilities": rng.sample(["CAFE", "SUPERMARKET", "WIFI", "PARKING_LOT"], rng.randint(0, 2)),
        "time_zone": land.time_zone,
        "opening_times": hours,
        "charging_when_closed": False,
        "last_updated": last_updated,
    }


# ---- Tokens -------------------------------------------------------------------------------------


def tokens(
    rng: random.Random, owner: PartyKey, count: int, issuer: str, last_updated: str
) -> list[JsonObject]:
    """An eMSP's tokens: RFID cards, and every fourth an app account (APP_USER, which the spec
    says to push with whitelist NEVER); every tenth is no longer valid."""
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    found = []
    for n in range(1, count + 1):
        app = n % 4 == 0
        number = rng.randint(0, 99_999_999)
        uid = (
            random_uuid(rng)
            if app
            else "04" + "".join(rng.choice("0123456789ABCDEF") for _ in range(12))
        )
        whitelist = (
            "NEVER" if app else rng.choices(["ALLOWED", "ALLOWED_OFFLINE", "NEVER"], [6, 2, 2])[0]
        )
        token: JsonObject = {
            "country_code": owner[0],
            "party_id": owner[1],
            "uid": uid,
            "type": "APP_USER" if app else "RFID",
            "contract_id": f"{owner[0]}-{owner[1]}-C{number:08d}-{rng.choice(letters)}",
            "issuer": issuer,
            "valid": n % 10 != 0,
            "whitelist": whitelist,
            "language": country(owner[0]).language,
            "default_profile_type": "REGULAR",
            "last_updated": last_updated,
        }
        if not app:
            token["visual_number"] = f"{owner[0]}-{owner[1]}-{n:06d}"
        found.append(token)
    return found
