"""The operator's side of OCPI 2.1.1 (issue 11): `connect` to a 2.1.1-only peer (the highest
version both share, `--role` since 2.1.1 credentials carry none), and `translations losses`.
Each command runs as a real `ocpi-hub` process against the test hub's database."""

from __future__ import annotations

import json
from collections.abc import Callable

from conformance.register import INTERFACES_211
from tests import factories
from tests.conftest import RunningHub
from tests.e2e.conftest import MakeParty, eventually, ok, registered
from tests.e2e.fakes import FakeParty
from tests.e2e.fakes211 import FakeParty211
from tests.e2e.test_network_cli import listed, ocpi_hub

HUB = "/ocpi/2.2.1"


async def emsp211(parties: list[FakeParty]) -> FakeParty211:
    modules = [(m, r) for m, r in INTERFACES_211["EMSP"].items() if m != "credentials"]
    party = await FakeParty211("EMSP", "DE", "EMB", modules=modules).start()
    parties.append(party)
    return party


async def test_connect_speaks_211_to_a_211_only_peer_given_its_role(
    hub: RunningHub,
    make_party: MakeParty,
    parties: list[FakeParty],
    hub_env_for: Callable[[str], dict[str, str]],
) -> None:
    """Without --role the connection to a 2.1.1-only eMSP is refused, naming --role, and
    nothing is kept; with it the hub registers in 2.1.1 (raw tokens, 2.1.1 credentials) and a
    2.2.1 CPO's Location reaches the eMSP in 2.1.1."""
    run = ocpi_hub(hub, hub_env_for)
    emsp = await emsp211(parties)

    refused = await run("connect", "--versions-url", emsp.versions_url,
                        "--token", emsp.issue_token_a())  # fmt: skip
    assert refused.returncode == 1 and "--role" in refused.stderr, refused.stderr
    assert await listed(run) == []

    done = await run("connect", "--versions-url", emsp.versions_url,
                     "--token", emsp.issue_token_a(), "--role", "emsp", "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    connected = json.loads(done.stdout)
    assert connected["version"] == "2.1.1"
    assert [(p["country_code"], p["party_id"], p["role"]) for p in connected["parties"]] == [
        ("DE", "EMB", "EMSP")
    ]
    assert emsp.peer_credentials is not None and "roles" not in emsp.peer_credentials

    cpo = await registered(hub, await make_party("CPO", "NL", "CPA"))
    location = factories.location("NL", "CPA", "LOC1")
    url = f"{hub.url}{HUB}/receiver/locations/NL/CPA/LOC1"
    ok(await cpo.call_url("PUT", url, json=location), 201)
    await eventually(lambda: "NL/CPA/LOC1" in emsp.objects.get("locations", {}))
    assert emsp.refusals == [] and emsp.breaches == []


async def test_translation_losses_are_listed_per_translation(
    hub: RunningHub,
    make_party: MakeParty,
    parties: list[FakeParty],
    hub_env_for: Callable[[str], dict[str, str]],
) -> None:
    """What a 2.1.1 eMSP could not get is counted under ocpi-2.1.1, with an example; another
    translation named shows none of it."""
    run = ocpi_hub(hub, hub_env_for)
    emsp = await registered(hub, await emsp211(parties))
    cpo = await registered(hub, await make_party("CPO", "NL", "CPA"))
    tariff = factories.tariff("T1") | {"type": "REGULAR", "min_price": {"excl_vat": 1}}
    url = f"{hub.url}{HUB}/receiver/tariffs/NL/CPA/T1"
    ok(await cpo.call_url("PUT", url, json=tariff), 201)
    await eventually(lambda: "NL/CPA/T1" in emsp.objects.get("tariffs", {}))

    done = await run("translations", "losses", "--json")
    assert done.returncode == 0, done.stderr
    rows = {(r["translation"], r["module"], r["field"], r["direction"], r["lost"]): r
            for r in json.loads(done.stdout)}  # fmt: skip
    min_price = rows[("ocpi-2.1.1", "tariffs", "min_price", "out", "dropped")]
    assert min_price["count"] == 1 and "1" in min_price["example"]
    other = await run("translations", "losses", "--translation", "hubject", "--json")
    assert other.returncode == 0 and json.loads(other.stdout) == []
    table = await run("translations", "losses")
    assert table.returncode == 0 and "min_price" in table.stdout
