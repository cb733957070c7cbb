"""Fault modes as a client of a simulated party sees them (issue 4): 429 with Retry-After, 5xx,
slow answers, truncated JSON, one-item pages, refused auth, offline (reset, and not listening);
switched at start and at run time through /admin/faults."""

from __future__ import annotations

import re
from typing import Any

import aiohttp
import orjson
import pytest

from ocpi_hub.core.parties import Role
from ocpi_hub.simulate import CpoSimulator
from ocpi_hub.simulate.faults import Fault, FaultMode
from ocpi_hub.simulate.party import Party
from ocpi_hub.simulate.wire import next_link
from tests.conftest import RunningHub
from tests.e2e.conftest import eventually
from tests.simulate.conftest import StartSimulator, as_hub, register

LOCATIONS = "/ocpi/2.2.1/locations"


@pytest.fixture
async def cpo(hub: RunningHub, start_simulator: StartSimulator) -> CpoSimulator:
    """A CPO simulator with 6 Locations, registered with the hub, making no traffic."""
    party = await register(hub, await start_simulator(Role.CPO, "NL", "CPA", locations=6))
    assert isinstance(party, CpoSimulator)
    return party


async def set_faults(http: aiohttp.ClientSession, party: Party, *faults: str) -> Any:
    async with http.post(f"{party.url}/admin/faults", json={"faults": list(faults)}) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def get(
    http: aiohttp.ClientSession, party: Party, path: str = LOCATIONS, timeout: float = 10.0
) -> tuple[int, dict[str, str], bytes]:
    async with http.get(
        party.url + path, headers=as_hub(party), timeout=aiohttp.ClientTimeout(total=timeout)
    ) as response:
        return response.status, dict(response.headers), await response.read()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("429", Fault(FaultMode.TOO_MANY_REQUESTS, 2)),
        ("429=30", Fault(FaultMode.TOO_MANY_REQUESTS, 30)),
        ("5xx", Fault(FaultMode.SERVER_ERROR, 0.5)),
        ("5XX=1", Fault(FaultMode.SERVER_ERROR, 1)),
        ("slow=0.25", Fault(FaultMode.SLOW, 0.25)),
        ("truncated", Fault(FaultMode.TRUNCATED)),
        ("one-item-pages", Fault(FaultMode.ONE_ITEM_PAGES)),
        ("refuse-auth", Fault(FaultMode.REFUSE_AUTH)),
        ("offline", Fault(FaultMode.OFFLINE)),
        ("offline=2.5", Fault(FaultMode.OFFLINE, 2.5)),
    ],
)
def test_fault_parsing(text: str, expected: Fault) -> None:
    """`MODE[=ARG]` parses with the documented defaults and prints back the same way."""
    assert Fault.parse(text) == expected
    assert Fault.parse(str(expected)) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("500", "unknown fault mode"),
        ("429=1.5", "whole number"),
        ("5xx=2", "in [0, 1]"),
        ("slow=-1", "in [0, 3600]"),
        ("slow=soon", "not a number"),
        ("truncated=1", "takes no argument"),
    ],
)
def test_fault_parsing_refuses_nonsense(text: str, reason: str) -> None:
    """A bad fault is refused with a message saying what is wrong."""
    with pytest.raises(ValueError, match=re.escape(reason)):
        Fault.parse(text)


async def test_no_fault_answers_normally(cpo: Party, http: aiohttp.ClientSession) -> None:
    """Without faults a list GET is a valid OCPI page (the baseline for every mode below)."""
    status, headers, body = await get(http, cpo)
    assert status == 200 and orjson.loads(body)["status_code"] == 1000
    assert headers["X-Total-Count"] == "6"


async def test_429_with_retry_after(cpo: Party, http: aiohttp.ClientSession) -> None:
    """429=s: every request gets HTTP 429 with Retry-After: s."""
    await set_faults(http, cpo, "429=7")
    status, headers, _ = await get(http, cpo)
    assert (status, headers["Retry-After"]) == (429, "7")
    assert cpo.stats.faults["429"] == 1


async def test_5xx(cpo: Party, http: aiohttp.ClientSession) -> None:
    """5xx=1: every request fails with 500, 502 or 503; 5xx=0: none does."""
    await set_faults(http, cpo, "5xx=1")
    statuses = {(await get(http, cpo))[0] for _ in range(12)}
    assert statuses <= {500, 502, 503} and statuses
    await set_faults(http, cpo, "5xx=0")
    assert (await get(http, cpo))[0] == 200


async def test_slow(cpo: Party, http: aiohttp.ClientSession) -> None:
    """slow=s: a client that waits less than s gets no answer; one that waits longer does."""
    await set_faults(http, cpo, "slow=0.5")
    with pytest.raises(TimeoutError):
        await get(http, cpo, timeout=0.1)
    status, _, body = await get(http, cpo, timeout=10)
    assert status == 200 and orjson.loads(body)["status_code"] == 1000


async def test_truncated(cpo: Party, http: aiohttp.ClientSession) -> None:
    """truncated: HTTP 200, but the JSON body is cut and does not parse."""
    await set_faults(http, cpo, "truncated")
    status, _, body = await get(http, cpo)
    assert status == 200 and body.startswith(b"{")
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(body)


async def test_one_item_pages(cpo: CpoSimulator, http: aiohttp.ClientSession) -> None:
    """one-item-pages: one Location per page with a next Link; the walk returns each once."""
    await set_faults(http, cpo, "one-item-pages")
    path: str | None = LOCATIONS + "?limit=10"
    ids = []
    while path is not None:
        status, headers, body = await get(http, cpo, path)
        page = orjson.loads(body)["data"]
        assert (status, len(page), headers["X-Limit"]) == (200, 1, "1")
        ids += [item["id"] for item in page]
        url = next_link(headers.get("Link"))
        path = url.removeprefix(cpo.url) if url else None
    assert sorted(ids) == sorted(cpo.locations) and len(ids) == 6


async def test_refuse_auth(cpo: Party, http: aiohttp.ClientSession) -> None:
    """refuse-auth: 401 even with the right token."""
    await set_faults(http, cpo, "refuse-auth")
    status, _, body = await get(http, cpo)
    assert status == 401 and orjson.loads(body)["status_code"] == 2000


async def test_offline_resets_connections_admin_stays(
    cpo: Party, http: aiohttp.ClientSession
) -> None:
    """offline: OCPI requests get the connection reset; /admin/ still answers."""
    await set_faults(http, cpo, "offline")
    with pytest.raises(aiohttp.ClientConnectionError):
        await get(http, cpo)
    assert (await set_faults(http, cpo))["faults"] == []
    assert (await get(http, cpo))[0] == 200


async def test_offline_for_seconds_stops_listening(cpo: Party, http: aiohttp.ClientSession) -> None:
    """offline=s: new connections are refused, then the party listens again by itself."""
    await set_faults(http, cpo, "offline=1")
    async with aiohttp.ClientSession() as fresh:  # no pooled connection to the old listener
        with pytest.raises(aiohttp.ClientConnectionError):
            await get(fresh, cpo)

        async def answers() -> bool:
            try:
                return (await get(fresh, cpo, timeout=1))[0] == 200
            except aiohttp.ClientConnectionError:
                return False

        await eventually(answers, timeout=10, message="the party listens again")
    assert FaultMode.OFFLINE not in cpo.faults.active


async def test_faults_switch_at_run_time(cpo: Party, http: aiohttp.ClientSession) -> None:
    """POST /admin/faults replaces, adds, removes, clears; nonsense is a 400 saying why."""
    assert (await set_faults(http, cpo, "429=1", "slow=0.1"))["faults"] == ["429=1", "slow=0.1"]
    async with http.post(f"{cpo.url}/admin/faults", json={"add": ["truncated"]}) as response:
        assert (await response.json())["faults"] == ["429=1", "slow=0.1", "truncated"]
    async with http.post(f"{cpo.url}/admin/faults", json={"remove": ["429", "slow"]}) as response:
        assert (await response.json())["faults"] == ["truncated"]
    for bad in ({"faults": ["teapot"]}, {"faults": "429"}, {"remove": ["nope"]}, [1]):
        async with http.post(f"{cpo.url}/admin/faults", json=bad) as response:
            assert response.status == 400 and (await response.json())["error"]
    async with http.get(f"{cpo.url}/admin/faults") as response:
        assert await response.json() == {"faults": ["truncated"], "armed": True}
    async with http.post(f"{cpo.url}/admin/faults", json={"clear": True}) as response:
        assert (await response.json())["faults"] == []
    assert (await get(http, cpo))[0] == 200


async def test_faults_given_at_start_spare_the_handshake(
    hub: RunningHub, start_simulator: StartSimulator, http: aiohttp.ClientSession
) -> None:
    """--fault at start: the party registers normally, then every OCPI request is faulted."""
    party = await start_simulator(
        Role.EMSP, "DE", "EMA", faults=[Fault.parse("refuse-auth"), Fault.parse("429=3")]
    )
    assert party.faults.armed is False
    await register(hub, party)
    assert party.faults.armed is True
    status, _, _ = await get(http, party, "/ocpi/versions")
    assert status == 401  # refuse-auth wins over 429: nothing gets past a refused token
    async with http.get(f"{party.url}/admin/stats") as response:
        stats = await response.json()
    assert stats["registered"] is True and stats["active_faults"] == ["429=3", "refuse-auth"]
    await eventually(lambda: party.stats.faults["refuse-auth"] >= 1)
