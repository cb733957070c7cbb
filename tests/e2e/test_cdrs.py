"""CDRs through the hub, end to end: POST answered 201 with a Location at the hub's copy, delivered
to the token's eMSP only and durably, stored immutably, read back only by those it concerns.

Spec: checklist §4.3 (CDRs), §1.5 (paging), §1.6 (routing headers), §1.4 (status codes),
§5 (hub rules: open routing, personal data never broadcast).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from ocpi_hub.core.modules.cdrs import SESSION_ONLY_DIMENSIONS
from ocpi_hub.storage.repositories import outbox
from tests.conftest import RunningHub
from tests.e2e.conftest import eventually
from tests.e2e.conftest import to_headers as to
from tests.e2e.fakes import Answer, FakeParty
from tests.factories import cdr as a_cdr
from tests.factories import charging_period as a_period

RECEIVER = "/ocpi/2.2.1/receiver/cdrs"
SENDER = "/ocpi/2.2.1/sender/cdrs"
PUSHED = "/ocpi/2.2.1/cdrs"  # each eMSP's own CDRs endpoint: a POST goes to it as is
HUB = ("XX", "HUB")
CPA = ("NL", "CPA")


# ---- helpers ------------------------------------------------------------------------------


async def post(
    cpo: FakeParty, hub: RunningHub, cdr: Any, headers: dict[str, str] | None = None
) -> Answer:
    return await cpo.call_url("POST", hub.url + RECEIVER, json=cdr, headers=headers)


def location(hub: RunningHub, cdr_id: str, owner: tuple[str, str] = CPA) -> str:
    return f"{hub.url}{RECEIVER}/{owner[0]}/{owner[1]}/{cdr_id}"


async def listing(party: FakeParty, hub: RunningHub, query: str = "") -> Answer:
    return await party.call_url("GET", f"{hub.url}{SENDER}" + (f"?{query}" if query else ""))


def assert_ok(answer: Answer, status: int = 200) -> None:
    assert (answer.status, answer.status_code) == (status, 1000), answer.body


def assert_refused(answer: Answer, status: int, code: int) -> None:
    assert (answer.status, answer.status_code) == (status, code), answer.body


def posted(party: FakeParty) -> list[Any]:
    """Bodies of the CDRs POSTed to this party."""
    return [r.body for r in party.pushes("POST", module="cdrs")]


async def outbox_counts(hub: RunningHub, expected: dict[str, int]) -> None:
    """Poll the outbox until its status counts are `expected` (tests never sleep to wait)."""
    deadline = time.monotonic() + 10
    while (counts := await outbox.counts(hub.pool)) != expected:
        assert time.monotonic() < deadline, f"outbox counts stayed {counts}, not {expected}"
        await asyncio.sleep(0.02)


# ---- POST, Location, GET -------------------------------------------------------------------


@pytest.mark.parametrize("addressed", [None, HUB, ("DE", "EMA")], ids=["open", "hub", "eMSP"])
async def test_post_answers_201_with_location_and_reaches_only_the_token_emsp(
    hub: RunningHub,
    cpo: FakeParty,
    emsp: FakeParty,
    emsp2: FakeParty,
    addressed: tuple[str, str] | None,
) -> None:
    """POST → 201 + Location of the hub's copy; delivered to the token's eMSP only, FROM the CPO
    TO it as "Via Hub" (open routing too), same correlation id; the Location URL returns the
    same CDR (§4.3 [M], §1.6, §5)."""
    cdr = a_cdr(x_vendor={"kept": [1, None]})
    headers = {"X-Request-ID": "cpo-req-1", "X-Correlation-ID": "cpo-corr-1"}
    headers |= to(addressed) if addressed else {}

    answer = await post(cpo, hub, cdr, headers)

    assert_ok(answer, 201)
    assert answer.header("Location") == location(hub, "CDR1")
    assert answer.routing("from") == HUB and answer.routing("to") == CPA
    for reader in (cpo, emsp):
        copy = await reader.call_url("GET", str(answer.header("Location")))
        assert_ok(copy)
        assert copy.data == cdr, "the hub's copy is the CDR as sent"
    await outbox_counts(hub, {"DELIVERED": 1})
    (delivery,) = emsp.pushes("POST", module="cdrs")
    assert delivery.path == PUSHED
    assert delivery.body == cdr
    assert delivery.routing("from") == CPA, "the CPO that sent it, not the hub"
    assert delivery.routing("to") == emsp.key
    assert delivery.header("X-Correlation-ID") == "cpo-corr-1"
    assert delivery.header("X-Request-ID") not in (None, "cpo-req-1")
    assert emsp2.requests("cdrs") == [], "a second eMSP receives nothing"


async def test_reading_another_partys_cdr_is_refused(
    hub: RunningHub, cpo: FakeParty, cpo2: FakeParty, emsp: FakeParty, emsp2: FakeParty
) -> None:
    """GET of a CDR by id: its CPO and its token's eMSP only; others 404 like unknown ids (§5)."""
    assert_ok(await post(cpo, hub, a_cdr()), 201)
    url = location(hub, "CDR1")

    for other in (cpo2, emsp2):
        assert_refused(await other.call_url("GET", url), 404, 2001)
    assert_refused(await emsp.call_url("GET", location(hub, "CDR9")), 404, 2001)
    assert_refused(await emsp.call_url("GET", location(hub, "CDR1", ("NL", "CPB"))), 404, 2001)
    assert_ok(await emsp.call_url("GET", location(hub, "cdr1", ("nl", "cpa"))))  # CiStrings


async def test_sender_list_is_scoped_to_the_caller(
    hub: RunningHub, cpo: FakeParty, cpo2: FakeParty, emsp: FakeParty, emsp2: FakeParty
) -> None:
    """GET-all CDRs: a party sees those it owns or is meant for, counted so (§1.5, §4.3)."""
    assert_ok(await post(cpo, hub, a_cdr("C1")), 201)
    assert_ok(await post(cpo, hub, a_cdr("C2", emsp=emsp2.key)), 201)
    assert_ok(await post(cpo2, hub, a_cdr("C3", owner=cpo2.key)), 201)

    seen = {}
    for party in (cpo, cpo2, emsp, emsp2):
        answer = await listing(party, hub)
        assert_ok(answer)
        seen[party.party_id] = [cdr["id"] for cdr in answer.data]
        assert answer.header("X-Total-Count") == str(len(answer.data))
    assert seen == {"CPA": ["C1", "C2"], "CPB": ["C3"], "EMA": ["C1", "C3"], "EMB": ["C2"]}
    paged = await listing(emsp, hub, "limit=1")
    assert [cdr["id"] for cdr in paged.data] == ["C1"]
    assert paged.header("Link") is not None


# ---- immutability, credit CDRs, refusals ---------------------------------------------------


async def test_duplicate_cdr_is_refused_and_not_delivered_twice(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty
) -> None:
    """A second POST of the same CDR id: 2001 (HTTP 200), stored CDR unchanged, delivered once
    (§4.3 CDRs are immutable; duplicate handling is our choice, §7.12)."""
    first = a_cdr()
    assert_ok(await post(cpo, hub, first), 201)
    await outbox_counts(hub, {"DELIVERED": 1})

    again = await post(cpo, hub, a_cdr(total_cost={"excl_vat": 99}))
    same = await post(cpo, hub, first)

    assert_refused(again, 200, 2001)
    assert_refused(same, 200, 2001)
    assert "credit CDR" in again.body["status_message"]
    assert again.header("Location") is None
    assert (await cpo.call_url("GET", location(hub, "CDR1"))).data == first
    assert await outbox.counts(hub.pool) == {"DELIVERED": 1}
    assert posted(emsp) == [first]


def a_credit_cdr() -> dict[str, Any]:
    """A credit CDR for `a_cdr()`: a new id, credit=true, credit_reference_id, negated costs."""
    return a_cdr(
        "CDR1-C",
        credit=True,
        credit_reference_id="CDR1",
        total_cost={"excl_vat": -4.6, "incl_vat": -5.57},
    )


async def test_credit_cdr_is_accepted_and_delivered(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty
) -> None:
    """A credit CDR (new id, credit=true, credit_reference_id = original, negated costs) is a new
    CDR: 201 and delivered; without credit_reference_id it is 2001 (§4.3 [M])."""
    original, credit = a_cdr(), a_credit_cdr()
    unreferenced = {**credit, "id": "CDR1-D", "credit_reference_id": None}

    assert_ok(await post(cpo, hub, original), 201)
    answer = await post(cpo, hub, credit)
    refused = await post(cpo, hub, unreferenced)

    assert_ok(answer, 201)
    assert answer.header("Location") == location(hub, "CDR1-C")
    assert_refused(refused, 200, 2001)
    assert "credit_reference_id" in refused.body["status_message"]
    await outbox_counts(hub, {"DELIVERED": 2})
    assert posted(emsp) == [original, credit]


async def test_a_credit_cdr_reaches_the_emsp_after_the_cdr_it_credits(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty
) -> None:
    """The eMSP refuses the original once (HTTP 503): the credit, queued behind it, waits for
    its retry instead of arriving first."""
    original, credit = a_cdr(), a_credit_cdr()
    emsp.fail_next(1, retry_after="0")

    assert_ok(await post(cpo, hub, original), 201)
    assert_ok(await post(cpo, hub, credit), 201)
    await outbox_counts(hub, {"DELIVERED": 2})

    assert [r.body["id"] for r in emsp.refused] == ["CDR1"]
    assert posted(emsp) == [original, credit]


@pytest.mark.parametrize("kind", sorted(t.value for t in SESSION_ONLY_DIMENSIONS))
async def test_cdr_with_a_session_only_dimension_is_refused(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty, kind: str
) -> None:
    """A CDR carrying CURRENT, POWER, STATE_OF_CHARGE… is refused with 2001 naming it; nothing
    stored or delivered (§4.3 CdrDimensionType)."""
    dimensions = [{"type": "ENERGY", "volume": 2}, {"type": kind, "volume": 11}]
    cdr = a_cdr(charging_periods=[a_period(dimensions=dimensions)])

    answer = await post(cpo, hub, cdr)

    assert_refused(answer, 200, 2001)
    assert f"{kind} is a session-only dimension" in answer.body["status_message"]
    assert (await listing(cpo, hub)).data == []
    assert await outbox.counts(hub.pool) == {}


UNKNOWN = ("BE", "ZZZ")
UNKNOWN_TOKEN = a_cdr(emsp=UNKNOWN)["cdr_token"]
BAD_POSTS: dict[str, tuple[dict[str, Any], dict[str, str], int, int]] = {
    "no charging periods": ({"charging_periods": []}, {}, 200, 2001),
    "not the caller's CPO party": ({"party_id": "CPB"}, {}, 200, 2001),
    "token eMSP unknown to the hub": ({"cdr_token": UNKNOWN_TOKEN}, {}, 200, 2001),
    "OCPI-to another eMSP": ({}, to(("FR", "EMB")), 200, 2001),
    "OCPI-to an unknown party": ({"cdr_token": UNKNOWN_TOKEN}, to(UNKNOWN), 200, 4001),
}  # fmt: skip


@pytest.mark.parametrize(("change", "headers", "status", "code"), BAD_POSTS.values(), ids=BAD_POSTS)
async def test_refused_post_changes_nothing(
    hub: RunningHub,
    cpo: FakeParty,
    emsp: FakeParty,
    emsp2: FakeParty,
    change: dict[str, Any],
    headers: dict[str, str],
    status: int,
    code: int,
) -> None:
    """Invalid CDRs, a CDR of another CPO (2001 with HTTP 200: a field, not an unknown URL),
    unroutable tokens, OCPI-to not the token's eMSP: refused, nothing stored, booked or delivered
    (§1.4, §4.3, §5; our choices for unknown eMSPs)."""
    answer = await post(cpo, hub, {**a_cdr(), **change}, headers)

    assert_refused(answer, status, code)
    assert answer.header("Location") is None
    assert (await listing(cpo, hub)).data == []
    assert await outbox.counts(hub.pool) == {}
    assert await hub.pool.fetchval("SELECT count(*) FROM ledger_transactions") == 0


@pytest.mark.parametrize("owner", [("NL", "CPB"), ("DE", "EMA")], ids=["other CPO", "an eMSP"])
async def test_post_of_a_cdr_owned_by_another_party_is_2001_not_404(
    hub: RunningHub, cpo: FakeParty, cpo2: FakeParty, emsp: FakeParty, owner: tuple[str, str]
) -> None:
    """A CDR whose own country_code/party_id is not the caller's CPO: HTTP 200 with 2001 naming
    the fields; the URL is the module's, so no 404 (§1.4: 404 is for an unknown URL object)."""
    answer = await post(cpo, hub, a_cdr(owner=owner))

    assert_refused(answer, 200, 2001)
    assert "country_code/party_id" in answer.body["status_message"]
    assert f"{owner[0]}/{owner[1]}" in answer.body["status_message"]
    assert (await listing(cpo2, hub)).data == []
    assert await outbox.counts(hub.pool) == {}


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
async def test_cdrs_cannot_be_changed(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty, method: str
) -> None:
    """No PUT, PATCH or DELETE on CDRs: HTTP 405 (§4.3 immutable)."""
    cdr = a_cdr()
    assert_ok(await post(cpo, hub, cdr), 201)

    for url in (hub.url + RECEIVER, location(hub, "CDR1")):
        answer = await cpo.call_url(method, url, json=cdr)
        assert answer.status == 405, answer.body
    assert (await cpo.call_url("GET", location(hub, "CDR1"))).data == cdr


# ---- durable delivery ----------------------------------------------------------------------


async def test_offline_emsp_receives_the_cdr_when_back(
    hub: RunningHub, cpo: FakeParty, emsp: FakeParty
) -> None:
    """The CPO's POST succeeds while the eMSP is down; the outbox delivers later (DESIGN §4)."""
    await emsp.go_offline()
    cdr = a_cdr()

    assert_ok(await post(cpo, hub, cdr), 201)
    await outbox_counts(hub, {"PENDING": 1})
    await emsp.come_back()

    await eventually(lambda: len(posted(emsp)) == 1, timeout=15)
    assert posted(emsp) == [cdr]
    await outbox_counts(hub, {"DELIVERED": 1})
