"""What the simulators found out about the hub. Each test states what the spec asks of a hub;
Both were bugs when the simulators found them: a receiver's HTTP 401 to the hub was relayed to
the requester as if its own credentials were dead. The hub now answers 4003."""

from __future__ import annotations

from urllib.parse import quote

from ocpi_hub.core.parties import InterfaceRole, ModuleID, Role
from ocpi_hub.simulate import CpoSimulator, EmspSimulator, commands
from ocpi_hub.simulate.faults import Fault
from tests.conftest import RunningHub
from tests.simulate.conftest import StartSimulator, register


async def test_an_emsp_refusing_the_hubs_token_is_not_a_401_for_the_cpo(
    hub: RunningHub, start_simulator: StartSimulator
) -> None:
    """An eMSP refusing the hub's token is no HTTP 401 for the authorizing CPO (§1.4)."""
    # The CPO's own token is fine: 401 tells a client its Authorization is not valid, and a
    # CPO that believes it stops all traffic. The eMSP is unusable for the hub (a 4xxx answer,
    # or for a whitelist that allows it the hub's answer on the eMSP's behalf).
    emsp = await register(hub, await start_simulator(Role.EMSP, "DE", "EMA", tokens=8))
    cpo = await register(hub, await start_simulator(Role.CPO, "NL", "CPA"))
    assert isinstance(emsp, EmspSimulator) and isinstance(cpo, CpoSimulator)
    await emsp.begin()  # the eMSP's Tokens reach the hub
    card = next(t for t in emsp.tokens.values() if t["type"] == "RFID" and t["valid"])
    emsp.faults.set([Fault.parse("refuse-auth")])
    url = f"{cpo.link.url(ModuleID.TOKENS, InterfaceRole.SENDER)}/{quote(card['uid'])}/authorize"
    answer = await cpo.link.send(
        "tokens AUTHORIZE",
        "POST",
        url,
        {"location_id": next(iter(cpo.locations))},
        params={"type": "RFID"},
    )
    assert answer is not None
    assert emsp.stats.faults["refuse-auth"] == 1  # the hub did ask the eMSP
    assert answer.http_status != 401, answer.body


async def test_a_cpo_refusing_the_hubs_token_is_not_a_401_for_the_emsp(
    hub: RunningHub, start_simulator: StartSimulator
) -> None:
    """A CPO refusing the hub's token is no HTTP 401 for the commanding eMSP (§1.4)."""
    emsp = await register(hub, await start_simulator(Role.EMSP, "DE", "EMA", tokens=4))
    cpo = await register(hub, await start_simulator(Role.CPO, "NL", "CPA"))
    assert isinstance(emsp, EmspSimulator) and isinstance(cpo, CpoSimulator)
    await cpo.begin()  # the CPO's Locations reach the hub, so it can route the command
    cpo.faults.set([Fault.parse("refuse-auth")])
    place = next(iter(cpo.locations.values()))
    command = commands.start_session(
        f"{emsp.module_url(ModuleID.COMMANDS)}/c1",
        next(t for t in emsp.tokens.values() if t["valid"]),
        place["id"],
        place["evses"][0]["uid"],
        "1",
        "c1",
    )
    url = f"{emsp.link.url(ModuleID.COMMANDS, InterfaceRole.RECEIVER)}/START_SESSION"
    answer = await emsp.link.send("commands START_SESSION", "POST", url, command)
    assert answer is not None
    assert cpo.stats.faults["refuse-auth"] == 1  # the hub did relay it to the CPO
    assert answer.http_status != 401, answer.body
