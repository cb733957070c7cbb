"""A bounded run of a CPO and an eMSP simulator through a real hub (issue 4): sessions and CDRs
reach the eMSP, and while the eMSP goes through every fault mode the hub keeps delivering with
nothing lost, compared key by key at the end."""

from __future__ import annotations

from typing import Any

import aiohttp

from ocpi_hub.core.parties import Role
from ocpi_hub.simulate.faults import FaultMode
from ocpi_hub.simulate.party import Party
from ocpi_hub.storage.repositories import outbox
from tests.conftest import RunningHub
from tests.e2e.conftest import eventually
from tests.simulate.conftest import StartSimulator, register

# What the CPO pushes that the hub must deliver to the eMSP, each message known by a key.
DELIVERED = [
    "locations PUT",
    "locations PATCH",
    "tariffs PUT",
    "sessions PUT",
    "sessions PATCH",
    "cdrs POST",
]
# Each fault, and how many requests it must have spoiled before it is switched off again. The
# hub test settings allow 8 attempts over about a second of backoff per delivery, so a phase
# stops after a few hits: enough for the hub to see the fault, never enough to dead-letter.
PHASES = [
    ("429=1", FaultMode.TOO_MANY_REQUESTS, 3),
    ("5xx=0.7", FaultMode.SERVER_ERROR, 5),
    ("slow=0.3", FaultMode.SLOW, 5),
    ("truncated", FaultMode.TRUNCATED, 5),
    ("refuse-auth", FaultMode.REFUSE_AUTH, 5),
    ("offline", FaultMode.OFFLINE, 5),
]


async def admin(http: aiohttp.ClientSession, party: Party, body: dict[str, Any]) -> Any:
    async with http.post(f"{party.url}/admin/faults", json=body) as response:
        assert response.status == 200, await response.text()
        return await response.json()


def arrived(cpo: Party, emsp: Party) -> bool:
    """Everything the CPO got accepted by the hub has reached the eMSP."""
    results = len(emsp.stats.received_keys("commands RESULT"))
    return results == cpo.stats.sent["commands RESULT"] and all(
        emsp.stats.received_keys(label) >= cpo.stats.sent_keys(label) for label in DELIVERED
    )


async def test_hub_delivers_everything_through_every_fault_mode(
    hub: RunningHub, start_simulator: StartSimulator, http: aiohttp.ClientSession
) -> None:
    """Through every eMSP fault mode the hub delivers all the CPO sent; nothing dead-lettered."""
    # Faults: 429, 5xx, slow, truncated, refuse-auth, offline (reset), then offline=s (not
    # listening). Keys compare what the CPO got accepted with what the eMSP took, duplicates aside.
    emsp = await register(
        hub,
        await start_simulator(
            Role.EMSP, "DE", "EMA", seed=7, tokens=8, start_rate=4.0, stop_after=0.5
        ),
    )
    cpo = await register(
        hub,
        await start_simulator(
            Role.CPO,
            "NL",
            "CPA",
            seed=7,
            locations=5,
            max_evses=4,
            status_rate=2.0,
            rfid_rate=2.0,
            patch_interval=0.15,
            session_duration=1.0,
            command_delay=0.05,
        ),
    )
    emsp.start_traffic()
    cpo.start_traffic()
    await eventually(
        lambda: emsp.stats.received["sessions PATCH"] > 0 and emsp.stats.received["cdrs POST"] > 0,
        timeout=20,
        message="sessions and CDRs reach the eMSP",
    )

    for fault, mode, hits in PHASES:
        before = emsp.stats.faults[mode.value]
        await admin(http, emsp, {"faults": [fault]})
        await eventually(
            lambda m=mode, b=before, h=hits: emsp.stats.faults[m.value] >= b + h,
            timeout=20,
            message=f"the hub meets fault {fault}",
        )
        assert (await admin(http, emsp, {"clear": True}))["faults"] == []

    # Not listening at all for a moment; the party comes back by itself.
    assert (await admin(http, emsp, {"faults": ["offline=0.5"]}))["faults"] == ["offline=0.5"]
    await eventually(lambda: FaultMode.OFFLINE not in emsp.faults.active, message="back online")
    async with http.get(f"{emsp.url}/admin/faults") as response:
        assert (await response.json())["faults"] == []

    await emsp.stop_traffic()
    await cpo.stop_traffic()  # every running session ends, with its CDR
    await eventually(lambda: arrived(cpo, emsp), timeout=30, message="everything delivered")

    for label in DELIVERED:
        assert emsp.stats.received_keys(label) == cpo.stats.sent_keys(label), label
    assert len(emsp.stats.received_keys("commands RESULT")) == cpo.stats.sent["commands RESULT"]
    assert cpo.stats.sent["sessions PUT"] > 0
    assert cpo.stats.sent["cdrs POST"] == cpo.stats.sent["sessions PUT"]
    assert len(emsp.cdrs.cdrs) == cpo.stats.sent["cdrs POST"]
    assert all(s["status"] == "COMPLETED" for s in emsp.sessions.objects.values())
    assert cpo.stats.sent["tokens AUTHORIZE"] > 0 and emsp.stats.received["commands RESULT"] > 0
    # A delivery the eMSP took but spoiled the answer to (truncated, slow) is retried: wait
    # for the hub to settle, then nothing may be dead-lettered.
    await eventually(lambda: _settled(hub), timeout=30, message="the hub's outbox settles")
    assert set(await outbox.counts(hub.pool)) == {"DELIVERED"}
    retried = [d for d in await outbox.listing(hub.pool, "DELIVERED", 100_000) if d.attempts > 1]
    assert retried, "the faults made the hub retry deliveries"


async def _settled(hub: RunningHub) -> bool:
    return "PENDING" not in await outbox.counts(hub.pool)
