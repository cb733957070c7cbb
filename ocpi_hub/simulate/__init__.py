"""Peer simulators: real OCPI 2.2.1 parties that register with a hub and generate traffic.

`ocpi-hub simulate cpo` and `ocpi-hub simulate emsp` (cli.py) run a `CpoSimulator` or an
`EmspSimulator` (cpo.py, emsp.py): aiohttp servers on their own port that do the credentials
handshake in either direction (handshake.py), push what their role owns, answer what the hub
relays to them, and misbehave on demand (faults.py). Everything they send is validated by the
hub's own models first (generate.valid). For local testing and demos: see party.py about the
admin endpoints.
"""

from ocpi_hub.simulate.config import SimulatorConfig
from ocpi_hub.simulate.cpo import CpoSimulator
from ocpi_hub.simulate.emsp import EmspSimulator
from ocpi_hub.simulate.faults import Fault, FaultMode

__all__ = ["CpoSimulator", "EmspSimulator", "Fault", "FaultMode", "SimulatorConfig"]
