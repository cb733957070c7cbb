"""HubClientInfo end to end: the hub as Sender, its pushes, and the liveness probe.

Checklist §4.8 (HubClientInfo is a configuration module: no routing headers), §5 (liveness:
GET the versions of a party silent too long), §1.5 (the list is paginated).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from ocpi_hub.core.handshake import new_token
from ocpi_hub.core.parties import Party
from ocpi_hub.storage.repositories import platforms
from tests.conftest import RunningHub, start_hub
from tests.e2e.conftest import MakeParty, eventually
from tests.e2e.fakes import OCPI, Answer, FakeParty, Received

CPO_MODULES = [("locations", "SENDER"), ("hubclientinfo", "RECEIVER")]
EMSP_MODULES = [("locations", "RECEIVER"), ("hubclientinfo", "RECEIVER")]
SENDER_LIST = f"/ocpi/{OCPI}/sender/hubclientinfo"


def client_infos(party: FakeParty, key: str) -> list[Received]:
    """The ClientInfo PUTs `party` received for the party `key` ("DE/EMA"), in order."""
    path = f"/ocpi/{OCPI}/hubclientinfo/{key}"
    return [r for r in party.requests("hubclientinfo", "PUT") if r.path == path]


def statuses(party: FakeParty, key: str) -> list[str]:
    return [r.body["status"] for r in client_infos(party, key)]


def versions_reads(party: FakeParty) -> list[Received]:
    return [r for r in party.received if r.method == "GET" and r.path == "/ocpi/versions"]


def has_routing_headers(headers: dict[str, str]) -> bool:
    return any(name.lower().startswith("ocpi-") for name in headers)


def next_url(answer: Answer) -> str | None:
    link = answer.header("Link")
    if link is None:
        return None
    match = re.fullmatch(r'<(.+)>; rel="next"', link)
    assert match, link
    return match.group(1)


async def invite(hub: RunningHub, role: str, country_code: str, party_id: str) -> str:
    """A token A as `ocpi-hub parties invite` issues it, telling the hub's identity so that
    the new PLANNED party is pushed."""
    token = new_token()
    async with hub.pool.acquire() as conn:
        await platforms.invite(
            conn,
            token=token,
            name=f"{country_code}*{party_id}",
            party=Party.of(country_code, party_id, role),
            hub=(hub.settings.country_code, hub.settings.party_id),
        )
    return token


async def join(hub: RunningHub, party: FakeParty) -> FakeParty:
    """Invite the party, then let it register (credentials POST)."""
    token_a = await invite(hub, party.role, party.country_code, party.party_id)
    answer = await party.register_with(hub.versions_url, token_a)
    assert answer.status_code == 1000, answer.body
    return party


async def cpo_and_emsp(hub: RunningHub, make_party: MakeParty) -> tuple[FakeParty, FakeParty]:
    """A CPO registered first, then an eMSP; both offer the hubclientinfo Receiver."""
    cpo = await join(hub, await make_party("CPO", "NL", "CPA", modules=CPO_MODULES))
    emsp = await join(hub, await make_party("EMSP", "DE", "EMA", modules=EMSP_MODULES))
    return cpo, emsp


@pytest.fixture
async def quick_hub(database_url: str) -> AsyncIterator[RunningHub]:
    """A hub that probes a party after 0.2 s of silence."""
    running = await start_hub(database_url, liveness_silence=0.2)
    yield running
    await running.stop()
    await running.pool.close()


async def test_registration_is_pushed_to_other_parties_without_routing_headers(
    hub: RunningHub, make_party: MakeParty
) -> None:
    """A registering eMSP reaches an earlier CPO as ClientInfo CONNECTED by PUT (after the
    PLANNED of its invitation), with no OCPI-to/from headers (§4.8: configuration module)."""
    cpo, _ = await cpo_and_emsp(hub, make_party)
    await eventually(
        lambda: statuses(cpo, "DE/EMA") == ["PLANNED", "CONNECTED"], message="CPO told"
    )
    planned, put = client_infos(cpo, "DE/EMA")
    assert put.body == {
        "party_id": "EMA",
        "country_code": "DE",
        "role": "EMSP",
        "status": "CONNECTED",
        "last_updated": put.body["last_updated"],
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", put.body["last_updated"])
    for request in (planned, put):
        assert request.routing("to") == (None, None)
        assert request.routing("from") == (None, None)
    assert cpo.objects["hubclientinfo"]["DE/EMA"]["status"] == "CONNECTED"
    assert client_infos(cpo, "NL/CPA") == []  # never told about itself


async def test_new_party_receives_the_existing_parties(
    hub: RunningHub, make_party: MakeParty
) -> None:
    """A platform that registers is sent the ClientInfo of every party already known (§4.8)."""
    _, emsp = await cpo_and_emsp(hub, make_party)
    await eventually(lambda: bool(client_infos(emsp, "NL/CPA")), message="eMSP told of NL*CPA")
    [put] = client_infos(emsp, "NL/CPA")
    assert (put.body["role"], put.body["status"]) == ("CPO", "CONNECTED")
    assert not has_routing_headers(put.headers)
    assert client_infos(emsp, "DE/EMA") == []


async def test_hub_initiated_connection_is_pushed_too(
    hub: RunningHub, make_party: MakeParty
) -> None:
    """A party the hub connects to (`ocpi-hub connect`, §3.3) becomes CONNECTED for others."""
    cpo = await join(hub, await make_party("CPO", "NL", "CPA", modules=CPO_MODULES))
    peer = await make_party("EMSP", "BE", "EMC", modules=EMSP_MODULES)
    await hub.connect(peer.versions_url, peer.issue_token_a())
    await eventually(lambda: statuses(cpo, "BE/EMC") == ["CONNECTED"], message="BE*EMC pushed")
    await eventually(lambda: statuses(peer, "NL/CPA") == ["CONNECTED"], message="peer told")


async def test_sender_list_is_paged_without_routing_headers(
    hub: RunningHub, make_party: MakeParty
) -> None:
    """GET sender/hubclientinfo lists every party but the hub, paged with Link and
    X-Total-Count (§1.5), PLANNED for an invited party, and no routing headers (§4.8)."""
    cpo, _ = await cpo_and_emsp(hub, make_party)
    await invite(hub, "EMSP", "FR", "EMB")
    url: str | None = cpo.endpoints[("hubclientinfo", "SENDER")] + "?limit=2"
    assert url is not None and url.startswith(hub.url + SENDER_LIST)
    seen: list[dict[str, Any]] = []
    pages = 0
    while url is not None:
        answer = await cpo.call_url("GET", url)
        assert (answer.status, answer.status_code) == (200, 1000), answer.body
        assert answer.header("X-Total-Count") == "3"
        assert answer.header("X-Limit") == str(hub.settings.page_limit)
        assert not has_routing_headers(answer.headers)
        seen += answer.data
        pages += 1
        url = next_url(answer)
    assert pages == 2
    assert {(i["country_code"], i["party_id"], i["role"], i["status"]) for i in seen} == {
        ("NL", "CPA", "CPO", "CONNECTED"),
        ("DE", "EMA", "EMSP", "CONNECTED"),
        ("FR", "EMB", "EMSP", "PLANNED"),
    }
    later = await cpo.call_url("GET", hub.url + SENDER_LIST + "?date_from=2999-01-01T00:00:00Z")
    assert (later.data, later.header("X-Total-Count")) == ([], "0")


async def test_deleted_credentials_are_pushed_as_suspended(
    hub: RunningHub, make_party: MakeParty
) -> None:
    """DELETE credentials makes the party SUSPENDED for every other party (§4.8: no delete,
    use SUSPENDED)."""
    cpo, emsp = await cpo_and_emsp(hub, make_party)
    answer = await emsp.call_url("DELETE", emsp.endpoints[("credentials", "SENDER")])
    assert answer.status_code == 1000, answer.body
    await eventually(
        lambda: statuses(cpo, "DE/EMA") == ["PLANNED", "CONNECTED", "SUSPENDED"],
        message="SUSPENDED pushed",
    )
    listed = await cpo.call_url("GET", hub.url + SENDER_LIST)
    assert {i["party_id"]: i["status"] for i in listed.data} == {
        "CPA": "CONNECTED",
        "EMA": "SUSPENDED",
    }


async def test_silent_unreachable_party_goes_offline_and_comes_back(
    quick_hub: RunningHub, make_party: MakeParty
) -> None:
    """The liveness probe (GET versions, §5) marks a silent party whose server is gone OFFLINE,
    pushed to the others, and CONNECTED again once it answers."""
    cpo, emsp = await cpo_and_emsp(quick_hub, make_party)
    connected = ["PLANNED", "CONNECTED"]
    await eventually(lambda: statuses(cpo, "DE/EMA") == connected, message="CONNECTED")
    await emsp.go_offline()
    await eventually(
        lambda: statuses(cpo, "DE/EMA") == [*connected, "OFFLINE"], message="OFFLINE pushed"
    )
    listed = await cpo.call_url("GET", quick_hub.url + SENDER_LIST)
    assert {i["party_id"]: i["status"] for i in listed.data} == {
        "CPA": "CONNECTED",  # probed as well, and answering
        "EMA": "OFFLINE",
    }
    probes_before = len(versions_reads(emsp))
    await emsp.come_back()
    await eventually(
        lambda: statuses(cpo, "DE/EMA") == [*connected, "OFFLINE", "CONNECTED"],
        message="CONNECTED again",
    )
    probes = versions_reads(emsp)
    assert len(probes) > probes_before
    assert probes[-1].header("Authorization") is not None
    assert not has_routing_headers(probes[-1].headers)


async def test_invited_platform_cannot_read_the_list(
    hub: RunningHub, make_party: MakeParty
) -> None:
    """Token A opens only versions and credentials: the ClientInfo list is 401 (§1.1, §4.8)."""
    await cpo_and_emsp(hub, make_party)
    newcomer = await make_party("EMSP", "FR", "EMB", modules=EMSP_MODULES)
    token_a = await invite(hub, "EMSP", "FR", "EMB")
    answer = await newcomer.call_url("GET", hub.url + SENDER_LIST, token=token_a)
    assert answer.status == 401
    assert answer.data is None


RACES = 12


async def test_parties_registering_at_once_each_end_with_the_other_connected(
    hub: RunningHub, make_party: MakeParty
) -> None:
    """Two platforms registering at the same moment, many times: each ends with the other
    CONNECTED in its HubClientInfo, whichever commits first (§4.8: every change is pushed to
    every other platform; a new platform gets the full picture)."""
    pairs: list[tuple[FakeParty, FakeParty]] = []
    for n in range(RACES):
        cpo = await make_party("CPO", "NL", f"C{n:02d}", modules=CPO_MODULES)
        emsp = await make_party("EMSP", "DE", f"E{n:02d}", modules=EMSP_MODULES)
        tokens = [await invite(hub, p.role, p.country_code, p.party_id) for p in (cpo, emsp)]
        answers = await asyncio.gather(
            *(
                p.register_with(hub.versions_url, t)
                for p, t in zip((cpo, emsp), tokens, strict=True)
            )
        )
        assert [a.status_code for a in answers] == [1000, 1000], [a.body for a in answers]
        pairs.append((cpo, emsp))

    def view(party: FakeParty, other: FakeParty) -> str | None:
        info = party.objects.get("hubclientinfo", {}).get(f"{other.country_code}/{other.party_id}")
        return info["status"] if info else None

    def settled() -> bool:
        return all(view(a, b) == view(b, a) == "CONNECTED" for a, b in pairs)

    await eventually(settled, message="every party sees its twin CONNECTED")
    everyone = [p for pair in pairs for p in pair]
    for party in everyone:  # and every other party too, earlier rounds included
        assert {view(party, other) for other in everyone if other is not party} == {"CONNECTED"}
