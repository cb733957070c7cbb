"""A month of charging, scripted: one simulated CPO and several simulated eMSPs, their sessions
planned at given instants of simulated time, with the anomalies of the money layer injected
where the plan says (issue 9, "Done when").

The scenario drives the simulators step by step instead of letting them draw traffic at
random, so that what the hub must find follows from the plan alone:
- **Time** is one `Clock` the parties share, standing still (scale 0) and moved on by the
  scenario to each planned instant: Sessions and CDRs carry the planned times however fast
  the machine runs, and a month passes in seconds.
- **Each charge** is a driver badging an eMSP's RFID card at one of the CPO's EVSEs: real-time
  authorization through the hub (the eMSP answers, or the hub for it), then, if ALLOWED, the
  Session PUT, one PATCH halfway, the last PATCH (COMPLETED) at the planned end, and the CDR,
  as `CpoSimulator.charge` does in free-running traffic.
- **No accidents**: charges of one day use different cards, and a card charges again only after
  every other card of the plan has (a week at two charges a day and seven cards per eMSP), so
  no token is in two places at once or travels fast but where the plan says so; charges go
  round the EVSEs in turn, so an EVSE's history stays short and even.
- **Anomalies**: the CDR ones (simulate.anomalies) on the first charge of the day the plan
  names; `impossible-travel` sends that day's first card, just after it unplugs, to the
  Location farthest from where it charged, arriving at `travel_kmh` (far above any car).

Every charge is kept in `charges` with what happened to it (the authorization's answer, the
Session's id); the CPO keeps the CDRs it sent (`cdrs`) and the anomalies it injected
(`injected`), and an eMSP the commands it issued (`commands`): a test derives from these what
the hub must show, never from the hub's own output.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ocpi_hub.core.fraud import Visit, distance_km
from ocpi_hub.simulate.anomalies import Anomaly
from ocpi_hub.simulate.charging import cdr_token
from ocpi_hub.simulate.cpo import CpoSimulator
from ocpi_hub.simulate.emsp import EmspSimulator
from ocpi_hub.simulate.generate import Clock, JsonObject

__all__ = ["Charge", "MonthScenario"]

# The first charge of each day starts at 07:00 and the day's charges are this far apart; each
# lasts from 30 minutes to two hours.
FIRST_HOUR = 7
SPACING = timedelta(hours=5)
MINUTES = (30, 120)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Locations closer than this are no test of travel speed (the hub ignores under 1 km).
FAR_ENOUGH_KM = 20.0


@dataclass
class Charge:
    """One planned charge, and what became of it."""

    start: datetime
    minutes: int
    emsp: int  # index into the scenario's eMSPs
    token: JsonObject  # the eMSP's Token
    location_id: str
    evse_uid: str
    anomaly: Anomaly | None = None
    allowed: str | None = None  # the authorization's answer; None: none came
    reason: str | None = None  # its `info` text, if any
    session_id: str | None = None  # the Session, when it was allowed

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.minutes)

    @property
    def token_subject(self) -> str:
        """The token as the hub names it: `CC*PID*UID` of its eMSP."""
        return f"{self.token['country_code']}*{self.token['party_id']}*{self.token['uid']}"


class MonthScenario:
    """`days` days of `per_day` charges from `start`, the eMSPs' cards taken in turn, with
    `anomalies` (day number from 0 -> anomaly) on the first charge of their day."""

    def __init__(
        self,
        cpo: CpoSimulator,
        emsps: Sequence[EmspSimulator],
        clock: Clock,
        start: datetime,
        *,
        days: int = 28,
        per_day: int = 2,
        anomalies: Mapping[int, Anomaly] | None = None,
        travel_kmh: float = 1000.0,
        seed: int = 1,
    ) -> None:
        if clock.scale != 0 or any(p.clock is not clock for p in (cpo, *emsps)):
            raise ValueError("the scenario moves time: give every party its clock, standing still")
        if not 1 <= per_day <= 2:
            raise ValueError("per_day takes 1 or 2 (charges of a day are 5 hours apart)")
        self.cpo, self.emsps, self.clock = cpo, list(emsps), clock
        self.travel_kmh = travel_kmh
        self.rng = random.Random(f"scenario:{seed}")
        self.cards = [
            [t for t in e.tokens.values() if t["type"] == "RFID" and t["valid"]] for e in emsps
        ]
        if not all(self.cards):
            raise ValueError("every eMSP needs a valid RFID card")
        self.spots = [(loc, evse) for loc in cpo.locations.values() for evse in loc["evses"]]
        self.charges: list[Charge] = []
        self._plan(start, days, per_day, dict(anomalies or {}))

    # ---- the plan -----------------------------------------------------------------------------

    def _plan(
        self, start: datetime, days: int, per_day: int, anomalies: dict[int, Anomaly]
    ) -> None:
        unknown = [d for d in anomalies if not 0 <= d < days]
        if unknown:
            raise ValueError(f"anomalies on days outside the plan: {unknown}")
        turns = [0] * len(self.emsps)  # the next card of each eMSP
        for day in range(days):
            for slot in range(per_day):
                n = day * per_day + slot
                emsp = n % len(self.emsps)
                card = self.cards[emsp][turns[emsp] % len(self.cards[emsp])]
                turns[emsp] += 1
                loc, evse = self.spots[n % len(self.spots)]
                begin = start + timedelta(days=day, hours=FIRST_HOUR) + slot * SPACING
                charge = Charge(
                    begin + timedelta(minutes=self.rng.randrange(0, 30)),
                    self.rng.randint(*MINUTES),
                    emsp,
                    card,
                    loc["id"],
                    evse["uid"],
                    anomalies.get(day) if slot == 0 else None,
                )
                self.charges.append(charge)
                if charge.anomaly == Anomaly.IMPOSSIBLE_TRAVEL:
                    self.charges.append(self._far_away(charge))

    def _far_away(self, first: Charge) -> Charge:
        """The same card at the Location farthest from `first`'s, arriving at travel_kmh."""
        here = self._visit(first.location_id)
        loc, evse, km = max(
            ((loc, evse, distance_km(here, self._visit(loc["id"])) or 0.0)
             for loc, evse in self.spots),
            key=lambda found: found[2],
        )  # fmt: skip
        if km < FAR_ENOUGH_KM:
            raise ValueError(f"the CPO's Locations are within {km:.0f} km: try another seed")
        gap = timedelta(hours=km / self.travel_kmh)
        return Charge(
            first.end + gap,
            self.rng.randint(*MINUTES),
            first.emsp,
            first.token,
            loc["id"],
            evse["uid"],
            Anomaly.IMPOSSIBLE_TRAVEL,
        )

    def _visit(self, location_id: str) -> Visit:
        loc = self.cpo.locations[location_id]
        where = loc["coordinates"]
        # Only the place matters to the distance: the time is any.
        return Visit("", EPOCH, None, float(where["latitude"]), float(where["longitude"]))

    # ---- running it ---------------------------------------------------------------------------

    async def prepare(self) -> None:
        """The first pushes: the eMSPs' Tokens, then the CPO's Tariffs and Locations."""
        for emsp in self.emsps:
            await emsp.begin()
        await self.cpo.begin()

    async def run(self) -> None:
        """Every planned charge, in time order."""
        for charge in sorted(self.charges, key=lambda c: c.start):
            await self.charge(charge)

    async def charge(self, charge: Charge) -> None:
        """One charge: authorization, and if allowed the session from PUT to CDR."""
        self.clock.advance_to(charge.start)
        loc = self.cpo.locations[charge.location_id]
        evse = next(e for e in loc["evses"] if e["uid"] == charge.evse_uid)
        info = await self.cpo.authorize(charge.token, loc, evse)
        charge.allowed = None if info is None else str(info["allowed"])
        charge.reason = _text(info)
        if charge.allowed != "ALLOWED":
            return
        assert info is not None
        spot = (loc, evse, evse["connectors"][0])
        token, reference = cdr_token(charge.token), info.get("authorization_reference")
        session = await self.cpo.open_session(spot, token, "AUTH_REQUEST", reference)
        charge.session_id = session.id
        self.clock.advance_to(charge.start + (charge.end - charge.start) / 2)
        await self.cpo.progress(session)
        self.clock.advance_to(charge.end)
        cdr = await self.cpo.close_session(session)
        cdr_anomaly = None if charge.anomaly == Anomaly.IMPOSSIBLE_TRAVEL else charge.anomaly
        await self.cpo.deliver(cdr, cdr_anomaly)

    async def another(self, emsp: int, after: timedelta = timedelta(days=1)) -> Charge:
        """One more charge by eMSP `emsp`'s next card, `after` the last planned one ends."""
        last = max(self.charges, key=lambda c: c.end)
        n = len(self.charges)
        loc, evse = self.spots[n % len(self.spots)]
        card = self.cards[emsp][n % len(self.cards[emsp])]
        charge = Charge(last.end + after, MINUTES[0], emsp, card, loc["id"], evse["uid"])
        self.charges.append(charge)
        await self.charge(charge)
        return charge

    async def remote_start(self, emsp: int) -> dict[str, Any]:
        """eMSP `emsp` asks the hub to start a session on its first card at the first EVSE:
        the command's record (simulate.emsp: `status_code`, `response`, `message`)."""
        loc, evse = self.spots[0]
        party = self.emsps[emsp]
        command_id = await party.start_session(self.cards[emsp][0], loc["id"], evse)
        return party.commands[command_id]


def _text(info: Mapping[str, Any] | None) -> str | None:
    shown = (info or {}).get("info")
    return str(shown["text"]) if isinstance(shown, Mapping) and "text" in shown else None
