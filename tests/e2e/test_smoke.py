"""A CPO push reaching two eMSPs through the hub, end to end."""

from tests import factories
from tests.conftest import RunningHub
from tests.e2e.conftest import eventually
from tests.e2e.fakes import FakeParty


async def test_location_put_reaches_both_emsps(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty, emsp2: FakeParty
) -> None:
    """A CPO's Location PUT to the hub is stored and delivered to every eMSP (checklist §5)."""
    location = factories.location(country_code="NL", party_id="CPA", id="LOC1")
    url = f"{hub.url}/ocpi/2.2.1/receiver/locations/NL/CPA/LOC1"
    answer = await cpo.call_url("PUT", url, json=location)
    assert answer.status == 201, answer.body
    assert answer.status_code == 1000
    await eventually(lambda: len(emsp.pushes()) == 1 and len(emsp2.pushes()) == 1)
    assert emsp.pushes()[0].body == location
