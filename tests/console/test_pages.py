"""The console's pages over real data (issue 12): Overview, Partners (invite), Deliveries
(filter, replay); bad input is the page again naming the field, and changes nothing."""

from __future__ import annotations

import re

from ocpi_hub.operations import trace
from ocpi_hub.storage.repositories import outbox
from tests.console.conftest import Console
from tests.e2e.conftest import drained, eventually
from tests.e2e.fakes import FakeParty, token_header
from tests.e2e.test_delivery import put_location, receiver_url


def cells(html: str, row_head: str) -> list[str]:
    """The cells of the table row whose header cell is `row_head`."""
    found = re.search(rf"<th scope=\"row\">{re.escape(row_head)}</th>(.*?)</tr>", html, re.S)
    assert found, f"no row {row_head}"
    return [
        re.sub(r"<[^>]+>", "", c).strip()
        for c in re.findall(r"<td[^>]*>(.*?)</td>", found.group(1), re.S)
    ]


async def test_an_invitation_shows_its_token_once_and_the_party_is_listed(
    console: Console, operator_token: str
) -> None:
    """Inviting from the page answers 201 with token A and the versions URL; token A opens
    the hub's versions; the list shows the party INVITED; the token is never shown again."""
    await console.sign_in(operator_token)
    partners = await console.get("/partners")
    form = {
        "csrf": partners.csrf,
        "role": "EMSP",
        "country_code": "de",
        "party_id": "ema",
        "name": "Emma",
        "dialect": "gireve",
    }
    page = await console.post("/partners", form)
    assert page.status == 201, page.html
    token = re.search(r'<code class="token" id="invited-token">([^<]+)</code>', page.html)
    assert token and console.hub.versions_url in page.html
    listed = cells(page.html, "DE*EMA")
    assert listed[:6] == ["EMSP", "Emma", "direct", "gireve", "—", "INVITED"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", listed[6])  # last seen
    headers = {"Authorization": token_header(token.group(1))}
    async with console.session.get(console.hub.versions_url, headers=headers) as versions:
        assert versions.status == 200
    again = await console.get("/partners")
    assert token.group(1) not in again.html and "DE*EMA" in again.html


async def test_bad_invitations_name_the_field_and_change_nothing(
    console: Console, operator_token: str
) -> None:
    """Each wrong field is a 400 page naming it, the field marked invalid, the other values
    kept; no party is created."""
    await console.sign_in(operator_token)
    csrf = (await console.get("/partners")).csrf
    good = {"csrf": csrf, "role": "CPO", "country_code": "NL", "party_id": "CPA"}
    for bad, field in (
        ({"country_code": "NLD"}, "country_code"),
        ({"party_id": "CPAX"}, "party_id"),
        ({"party_id": ""}, "party_id"),
        ({"role": "KING"}, "role"),
        ({"dialect": "klingon"}, "dialect"),
    ):
        page = await console.post("/partners", {**good, **bad})
        assert page.status == 400, bad
        assert f"Not invited: {field}:" in page.html
        assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', page.html), field
    assert await console.hub.pool.fetchval("SELECT count(*) FROM parties") == 0


async def test_what_a_party_names_itself_is_escaped(console: Console, operator_token: str) -> None:
    """A name holding markup is shown as text, never as markup (templates autoescape)."""
    await console.sign_in(operator_token)
    csrf = (await console.get("/partners")).csrf
    name = '<script>alert("x")</script>'
    form = {"csrf": csrf, "role": "CPO", "country_code": "NL", "party_id": "CPA", "name": name}
    page = await console.post("/partners", form)
    assert page.status == 201 and name not in page.html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.html


async def test_overview_counts_parties_the_outbox_and_what_was_delivered(
    console: Console, operator_token: str, cpo: FakeParty, emsp: FakeParty
) -> None:
    """Two registered parties and one delivered push: the overview's figures and charts."""
    await put_location(console.hub, cpo, "LOC1")
    await drained(console.hub)
    await eventually(lambda: len(emsp.pushes()) == 1)
    await console.sign_in(operator_token)
    page = await console.get("/")
    assert cells(page.html, "REGISTERED") == ["2"] and cells(page.html, "INVITED") == ["0"]
    assert "Delivered: last hour (1)" in page.html and "Delivered: last day (1)" in page.html
    assert page.html.count('<svg class="chart"') == 5  # parties, delivered and messages in x2
    assert '<span class="figure">0</span> dead letters' in page.html


async def test_deliveries_filter_and_replay_a_dead_letter(
    console: Console, operator_token: str, cpo: FakeParty, emsp: FakeParty
) -> None:
    """A dead letter is listed under DEAD with a replay button; replaying it queues it again
    (outbox.replay) and the eMSP receives the push."""
    attempts = console.hub.settings.push_max_attempts
    emsp.fail_next(attempts, status=500)
    await put_location(console.hub, cpo, "LOC1")
    await eventually(lambda: len(emsp.refused) == attempts)
    await eventually(lambda: _dead(console), message="dead-lettered")
    [dead] = await outbox.listing(console.hub.pool, "DEAD")
    await console.sign_in(operator_token)
    page = await console.get("/deliveries?status=DEAD")
    assert page.status == 200 and f'aria-label="Replay delivery {dead.id}"' in page.html
    assert (await console.get("/deliveries?status=PENDING")).html.count("Replay delivery") == 0
    replayed = await console.post("/deliveries/replay", {"csrf": page.csrf, "id": str(dead.id)})
    assert replayed.url == console.url("/deliveries?status=DEAD&replayed=1")
    assert "1 dead delivery queued again." in replayed.html
    await eventually(lambda: len(emsp.pushes()) == 1)


async def _dead(console: Console, count: int = 1) -> bool:
    return (await outbox.counts(console.hub.pool)).get("DEAD") == count


async def test_replay_every_dead_letter_at_once(
    console: Console, operator_token: str, cpo: FakeParty, emsp: FakeParty
) -> None:
    """The "replay every dead delivery" form queues them all again; both reach the eMSP."""
    attempts = console.hub.settings.push_max_attempts
    emsp.fail_next(2 * attempts, status=500)
    await put_location(console.hub, cpo, "LOC1")
    await put_location(console.hub, cpo, "LOC2")
    await eventually(lambda: _dead(console, 2), message="both dead-lettered")
    await console.sign_in(operator_token)
    page = await console.get("/deliveries")
    assert "Replay every dead delivery (2)" in page.html
    replayed = await console.post("/deliveries/replay", {"csrf": page.csrf, "all": "1"})
    assert "2 dead deliveries queued again." in replayed.html
    await eventually(lambda: len(emsp.pushes()) == 2)


async def test_bad_filters_and_replays_are_400_naming_the_field(
    console: Console, operator_token: str
) -> None:
    """An unknown state is a 400 naming `status`; a replay without a whole-number id is a 400
    naming `id`."""
    await console.sign_in(operator_token)
    page = await console.get("/deliveries?status=LOST")
    assert page.status == 400 and "status: &#39;LOST&#39;: one of PENDING" in page.html
    for form in ({}, {"id": "x"}, {"id": "-1"}):
        answer = await console.post("/deliveries/replay", {"csrf": page.csrf, **form})
        assert answer.status == 400 and "id: " in answer.html


async def test_overview_counts_messages_in_per_module_and_errors(
    console: Console, operator_token: str, cpo: FakeParty, emsp: FakeParty
) -> None:
    """A Location PUT and a PUT with an invalid body, once their hops are kept: 2 messages in
    for locations in the last hour (2/60 per minute); of all the day's requests in (the
    registrations' too), that one is the only error."""
    await put_location(console.hub, cpo, "LOC1")
    url = receiver_url(console.hub, "NL", "CPA", "LOC2")
    refused = await cpo.call_url("PUT", url, json={"id": 5})
    assert refused.status_code == 2001

    async def kept() -> bool:
        seen = await trace.traffic(console.hub.pool, seconds=300, count=12)
        return seen.modules.get("locations", [0])[-1] == 2

    await eventually(kept, message="both requests are kept")
    seen = await trace.traffic(console.hub.pool, seconds=3600, count=24)
    assert sum(seen.errors) == 1  # the registrations' requests succeeded
    total = sum(seen.messages)
    await console.sign_in(operator_token)
    page = await console.get("/")
    assert f"Last day: {total} ({total / 1440:.1f}/min), errors {100 / total:.1f} %" in page.html
    assert cells(page.html, "locations") == ["2", "0.03"]  # the last hour's table comes first
