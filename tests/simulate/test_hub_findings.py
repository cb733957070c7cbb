"""What the simulators found out about the hub. Each test states what the spec asks of a hub;
each was a bug when the simulators found it. A receiver's HTTP 401 to the hub was relayed to
the requester as if its own credentials were dead (the hub now answers 4003); simulators
registering together, as in `make demo`, ended with each other still PLANNED."""

from __future__ import annotations

import asyncio
from urllib.parse import quote

from ocpi_hub.core.parties import InterfaceRole, ModuleID, Role
from ocpi_hub.simulate import CpoSimulator, EmspSimulator, commands
from ocpi_hub.simulate.faults import Fault
from tests.conftest import RunningHub
from tests.e2e.conftest import eventually
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


async def test_simulators_starting_together_end_with_every_other_party_connected(
    hub: RunningHub, start_simulator: StartSimulator
) -> None:
    """The `make demo` topology: four simulators invited, then registering at the same moment,
    several times over; each ends with every other party CONNECTED in its HubClientInfo, not
    PLANNED (§4.8). Concurrent registrations used to miss each other's CONNECTED push."""
    parties = []
    for round_ in range(3):
        group = [
            await start_simulator(Role.CPO, "NL", f"CP{round_}"),
            await start_simulator(Role.CPO, "BE", f"CP{round_}"),
            await start_simulator(Role.EMSP, "DE", f"EM{round_}"),
            await start_simulator(Role.EMSP, "FR", f"EM{round_}"),
        ]
        tokens = [await hub.invite(p.role, *p.identity) for p in group]
        await asyncio.gather(
            *(
                p.registration.register(hub.versions_url, t)
                for p, t in zip(group, tokens, strict=True)
            )
        )
        parties += group
    names = {p: "*".join(p.identity) for p in parties}

    def settled() -> bool:
        return all(
            p.clientinfo.statuses() == {n: "CONNECTED" for q, n in names.items() if q is not p}
            for p in parties
        )

    await eventually(settled, message="every simulator sees every other party CONNECTED")
