"""What one simulated party is and how busy it is: identity, address, seed, counts and rates.

Rates are events per second, drawn as a Poisson process (exponential gaps) from the party's
seeded random generator, so a run with the same seed generates the same objects (ids, tokens,
locations); only the interleaving of concurrent events depends on timing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime

from ocpi_hub.core.parties import Role
from ocpi_hub.simulate.faults import Fault

# Environment variables a deployment sets once for every simulator (docker-compose.yml), so the
# command lines stay the same everywhere. Flags win over them.
HOST_VARIABLE = "OCPI_SIM_HOST"
PUBLIC_URL_VARIABLE = "OCPI_SIM_PUBLIC_URL"


@dataclass
class SimulatorConfig:
    """Settings of one simulated CPO or eMSP; the role-specific ones are ignored by the other."""

    role: Role
    country_code: str
    party_id: str
    name: str | None = None
    host: str = "127.0.0.1"
    port: int = 0  # 0: any free port (tests)
    public_url: str | None = None  # default http://HOST:PORT
    seed: int = 1
    duration: float = 0.0  # seconds of traffic; 0: until SIGTERM
    faults: list[Fault] = field(default_factory=list)
    timeout: float = 10.0  # seconds one request to the hub may take
    stats_interval: float = 0.0  # log the counters every so many seconds; 0: only at exit
    # Simulated time (generate.Clock): timestamps from clock_start on, clock_scale simulated
    # seconds per real second. None and 1: the wall clock. Rates and intervals stay real seconds.
    clock_start: datetime | None = None
    clock_scale: float = 1.0
    # --- CPO ---
    locations: int = 3
    max_evses: int = 4  # EVSEs per Location: 1 to this many
    status_rate: float = 0.2  # EVSE status changes per second
    rfid_rate: float = 0.05  # drivers badging an RFID card per second (real-time authorization)
    patch_interval: float = 10.0  # seconds between a Session's PATCHes
    session_duration: float = 120.0  # a Session nobody stops ends after about this long
    command_delay: float = 0.5  # seconds before the charge point's CommandResult
    # --- eMSP ---
    tokens: int = 10
    start_rate: float = 0.1  # remote starts per second
    stop_after: float = 60.0  # mean seconds before the eMSP stops a session it started

    def __post_init__(self) -> None:
        self.country_code = self.country_code.upper()
        self.party_id = self.party_id.upper()
        if len(self.country_code) != 2 or not 1 <= len(self.party_id) <= 3:
            raise ValueError("country_code takes 2 characters and party_id 1 to 3")
        if self.role not in (Role.CPO, Role.EMSP):
            raise ValueError(f"a simulator is a CPO or an EMSP, not {self.role}")
        for name in (
            "status_rate",
            "rfid_rate",
            "start_rate",
            "duration",
            "stats_interval",
            "clock_scale",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        for name in ("patch_interval", "session_duration", "stop_after", "timeout"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.locations < 1 or self.max_evses < 1 or self.tokens < 1:
            raise ValueError("locations, max_evses and tokens must be at least 1")

    @property
    def identity(self) -> tuple[str, str]:
        return (self.country_code, self.party_id)

    @property
    def display_name(self) -> str:
        return self.name or f"Simulated {self.role.value} {self.country_code}*{self.party_id}"

    def base_url(self, port: int) -> str:
        """The URL the party advertises, once its port is known."""
        if self.public_url:
            return self.public_url.rstrip("/")
        # A wildcard address is where to listen, not where to be called.
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{port}"


def env_default(variable: str, default: str | None) -> str | None:
    """A flag's default from the environment (see HOST_VARIABLE)."""
    return os.environ.get(variable) or default
