"""Which queued changes travel as one request, and what replaces a PATCH the receiver cannot
apply (core.delivery; issue 7 §1: superseded changes merged while a receiver is down)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ocpi_hub.core.delivery import Change, disjoint, merge, object_path, stored_object
from ocpi_hub.core.modules.sessions import patch_session
from ocpi_hub.core.patch import apply_to_location
from ocpi_hub.errors import InvalidParameters
from tests import factories

A, B, HUB, CPO = ("DE", "EMA"), ("DE", "EMB"), ("XX", "HUB"), ("NL", "CPA")
LOC = "/NL/CPO/LOC1"


def change(
    id: int,
    method: str,
    path: str,
    body: Any,
    *,
    to: tuple[str, str] = A,
    sender: tuple[str, str] = HUB,
    url: str | None = None,
) -> Change:
    raw = body if isinstance(body, str) or body is None else orjson.dumps(body).decode()
    return Change(id, to, sender, method, path, raw, url)


class TestMergeTable:
    def test_put_then_patch_is_one_put_of_the_merged_object(self) -> None:
        """PUT x, PATCH p at one path → one PUT of x with p's fields."""
        sent = merge(
            "locations",
            [
                change(1, "PUT", LOC, {"id": "LOC1", "name": "Old", "city": "Utrecht"}),
                change(2, "PATCH", LOC, {"name": "New", "last_updated": "2024-02-01T00:00:00Z"}),
            ],
        )
        assert (sent.method, sent.ids) == ("PUT", (1, 2))
        assert orjson.loads(sent.body or "") == {
            "id": "LOC1",
            "name": "New",
            "city": "Utrecht",
            "last_updated": "2024-02-01T00:00:00Z",
        }

    def test_patches_are_one_patch_with_every_field_the_latest_winning(self) -> None:
        """PATCH a, PATCH b, PATCH c at one EVSE → one PATCH: the union, later values win."""
        evse = LOC + "/EVSE1"
        sent = merge(
            "locations",
            [
                change(1, "PATCH", evse, {"status": "CHARGING", "last_updated": "T1"}),
                change(2, "PATCH", evse, {"status": "AVAILABLE", "last_updated": "T2"}),
                change(3, "PATCH", evse, {"floor_level": "2", "last_updated": "T3"}),
            ],
        )
        assert (sent.method, sent.ids) == ("PATCH", (1, 2, 3))
        assert orjson.loads(sent.body or "") == {
            "status": "AVAILABLE",
            "floor_level": "2",
            "last_updated": "T3",
        }

    def test_a_later_put_replaces_what_came_before(self) -> None:
        """PATCH then PUT at one path → the PUT alone, carrying both ids."""
        sent = merge(
            "locations",
            [
                change(1, "PATCH", LOC, {"name": "A"}),
                change(2, "PUT", LOC, {"id": "LOC1", "name": "B"}),
            ],
        )
        assert (sent.method, sent.ids, orjson.loads(sent.body or "")) == (
            "PUT",
            (1, 2),
            {"id": "LOC1", "name": "B"},
        )

    def test_session_patches_append_their_charging_periods(self) -> None:
        """Session PATCHes merge as the hub applies them: periods of both, in order (§4.2)."""
        first = {"kwh": 1, "charging_periods": [{"start_date_time": "P1"}]}
        second = {"kwh": 2, "charging_periods": [{"start_date_time": "P2"}]}
        sent = merge(
            "sessions",
            [change(1, "PATCH", "/NL/CPA/S1", first), change(2, "PATCH", "/NL/CPA/S1", second)],
        )
        assert orjson.loads(sent.body or "") == patch_session(first, second)
        assert orjson.loads(sent.body or "")["charging_periods"] == [
            {"start_date_time": "P1"},
            {"start_date_time": "P2"},
        ]

    @pytest.mark.parametrize(
        "head",
        [
            change(1, "POST", "", {"id": "CDR1"}),
            change(1, "POST", "", {"result": "ACCEPTED"}, url="http://127.0.0.1/r/1"),
            change(1, "PUT", "/NL/CPA/S1", {"result": "x"}, url="http://127.0.0.1/r/1"),
            change(1, "DELETE", "/NL/CPO/T1", None),
            change(1, "PATCH", LOC, "not json"),
            change(1, "PATCH", LOC, [1, 2]),
        ],
    )
    def test_never_merged_heads(self, head: Change) -> None:
        """POSTs (CDRs), results to a url, DELETEs and bodies that are not JSON objects are
        sent alone, body untouched."""
        later = change(2, head.method, head.path, head.body, url=head.url)
        assert merge("cdrs", [head, later]) == merge("cdrs", [head]) == (merge("cdrs", [head]))
        assert merge("cdrs", [head, later]).ids == (1,)
        assert merge("cdrs", [head, later]).body == head.body

    def test_a_lone_head_is_sent_byte_for_byte(self) -> None:
        """Nothing to merge: the body goes out exactly as the sender wrote it."""
        body = '{ "name" : "spaced",  "last_updated":"2024-01-01T00:00:00.123Z" }'
        sent = merge("locations", [change(1, "PATCH", LOC, body)])
        assert (sent.method, sent.body, sent.ids) == ("PATCH", body, (1,))


class TestMergeWalk:
    def test_other_parties_and_disjoint_paths_are_passed_over(self) -> None:
        """Another party's change and another EVSE's change stay queued; the walk goes on."""
        queue = [
            change(1, "PATCH", LOC + "/E1", {"status": "CHARGING"}),
            change(2, "PATCH", LOC + "/E1", {"status": "BLOCKED"}, to=B),
            change(3, "PATCH", LOC + "/E2", {"status": "CHARGING"}),
            change(4, "PATCH", LOC + "/E1", {"status": "AVAILABLE"}),
        ]
        sent = merge("locations", queue)
        assert sent.ids == (1, 4)
        assert orjson.loads(sent.body or "") == {"status": "AVAILABLE"}

    @pytest.mark.parametrize(
        "barrier",
        [
            change(2, "PATCH", LOC, {"name": "enclosing"}),
            change(2, "PATCH", LOC + "/E1/1", {"max_amperage": 16}),
            change(2, "PATCH", LOC + "/e1", {"status": "spelt otherwise"}),
            change(2, "PATCH", LOC + "/E%31", {"status": "encoded otherwise"}),
            change(2, "PATCH", LOC + "/E1", {"status": "other sender"}, sender=CPO),
            change(2, "DELETE", LOC + "/E1", None),
        ],
    )
    def test_an_overlapping_change_stops_the_walk(self, barrier: Change) -> None:
        """A change the head's path encloses or is enclosed by, the same path spelt otherwise,
        another sender or an unmergeable change: nothing after it is merged past it."""
        queue = [
            change(1, "PATCH", LOC + "/E1", {"status": "CHARGING"}),
            barrier,
            change(3, "PATCH", LOC + "/E1", {"status": "AVAILABLE"}),
        ]
        assert merge("locations", queue).ids == (1,)

    def test_disjoint(self) -> None:
        """Paths are disjoint when neither contains the other, compared decoded and
        case-insensitively; a query does not make two spellings of one path disjoint."""
        assert disjoint("/NL/CPO/L1/E1", "/NL/CPO/L1/E2")
        assert not disjoint("/NL/CPO/L1", "/NL/CPO/L1/E1")
        assert not disjoint("/NL/CPO/L1/E1/1", "/NL/CPO/L1/E1")
        assert not disjoint("/NL/CPO/l1/%45%31", "/NL/CPO/L1/E1")
        assert not disjoint("/NL/CPO/T1?type=RFID", "/NL/CPO/T1")
        assert not disjoint("", "/NL/CPO/L1")


# ---- Merging never changes what the receiver ends up with ---------------------------------

EVSES, CONNECTORS = ("E1", "E2"), ("1", "2")


def start() -> dict[str, Any]:
    body = factories.location(id="LOC1", evse_count=0, last_updated="2024-01-01T00:00:00Z")
    body["evses"] = [
        factories.evse(uid, connector_count=2, last_updated="2024-01-01T00:00:00Z") for uid in EVSES
    ]
    return body


@st.composite
def queues(draw: st.DrawFn) -> list[Change]:
    """Changes a CPO could make to Location LOC1 (every level, PUT and PATCH) for two parties
    of one receiver platform, with rising last_updated."""
    found = []
    for n in range(draw(st.integers(1, 30))):
        at = f"2024-01-01T00:{n // 60:02d}:{n % 60:02d}Z"
        evse, connector = draw(st.sampled_from(EVSES)), draw(st.sampled_from(CONNECTORS))
        kind = draw(st.sampled_from(["loc-put", "loc-patch", "evse-put", "evse-patch", "conn"]))
        if kind == "loc-put":
            body = start() | {"name": f"name {n}", "last_updated": at}
            for each in body["evses"]:
                each["last_updated"] = at
            path, method = LOC, "PUT"
        elif kind == "loc-patch":
            path, method, body = LOC, "PATCH", {"name": f"patched {n}", "last_updated": at}
        elif kind == "evse-put":
            body = factories.evse(evse, connector_count=2, floor_level=str(n), last_updated=at)
            path, method = f"{LOC}/{evse}", "PUT"
        elif kind == "evse-patch":
            status = draw(st.sampled_from(["AVAILABLE", "CHARGING", "BLOCKED"]))
            path, method, body = f"{LOC}/{evse}", "PATCH", {"status": status, "last_updated": at}
        else:
            path, method = f"{LOC}/{evse}/{connector}", "PATCH"
            body = {"max_amperage": n, "last_updated": at}
        found.append(change(n + 1, method, path, body, to=draw(st.sampled_from([A, B]))))
    return found


def receive(state: dict[str, Any], method: str, path: str, body: str | None) -> dict[str, Any]:
    """What a receiver holding `state` has after a PUT or PATCH at `path`."""
    levels = path.removeprefix(LOC).strip("/").split("/") if path != LOC else []
    evse, connector = [*levels, None, None][:2]
    data = orjson.loads(body or "null")
    change = {"patch": data} if method == "PATCH" else {"replacement": data}
    return apply_to_location(state, evse, connector, **change)


@settings(max_examples=300, deadline=None)
@given(queues())
def test_merging_never_changes_the_final_state(queue: list[Change]) -> None:
    """Replaying a queue as the worker does (merge its head, send, drop what was carried,
    again) leaves each receiving party with the Location it would hold after every change
    one by one; and never takes more requests than changes."""
    expected = {A: start(), B: start()}
    for each in queue:
        party = each.to_party
        expected[party] = receive(expected[party], each.method, each.path, each.body)
    held = {A: start(), B: start()}
    pending, requests = list(queue), 0
    while pending:
        sent = merge("locations", pending)
        head = pending[0]
        held[head.to_party] = receive(held[head.to_party], sent.method, head.path, sent.body)
        pending = [each for each in pending if each.id not in sent.ids]
        requests += 1
    assert held == expected
    assert requests <= len(queue)


def test_a_long_outage_of_status_changes_is_one_request_per_evse() -> None:
    """Forty status PATCHes over two EVSEs, queued while the receiver was down, go out as two
    PATCHes carrying each EVSE's last status."""
    queue = [
        change(n, "PATCH", f"{LOC}/{EVSES[n % 2]}", {"status": f"S{n}", "last_updated": f"T{n}"})
        for n in range(1, 41)
    ]
    first = merge("locations", queue)
    rest = [c for c in queue if c.id not in first.ids]
    second = merge("locations", rest)
    assert len(first.ids) + len(second.ids) == 40
    assert orjson.loads(first.body or "")["status"] == "S39"
    assert orjson.loads(second.body or "")["status"] == "S40"


# ---- The whole object, for a receiver that lacks it ---------------------------------------


def test_stored_object_reads_the_keys_of_stored_objects_only() -> None:
    """Keys of stored objects a receiver can be PUT name (module, owner, id, kind); results,
    ClientInfo, profile and CDR keys do not."""
    assert stored_object("locations/NL/CPA/LOC%201/") == ("locations", "NL", "CPA", "LOC 1", "")
    assert stored_object("tokens/DE/EMA/U1/RFID") == ("tokens", "DE", "EMA", "U1", "RFID")
    assert stored_object("cdrs/NL/CPA/CDR1/") is None
    assert stored_object("commands/123") is None
    assert stored_object("hubclientinfo/NL/CPA") is None
    assert stored_object("chargingprofiles/NL*CPA/S1") is None


def test_object_path_is_the_objects_own_url() -> None:
    """The PUT goes to /{country_code}/{party_id}/{id} as the object spells them; a Token's
    to its uid with ?type=; each id encoded once, as every URL the hub calls (core.urls)."""
    location = factories.location(id="Loc1")
    assert object_path(("locations", "NL", "CPO", "LOC1", ""), location) == "/NL/CPO/Loc1"
    token = factories.token("u 1")
    key = ("tokens", token["country_code"], token["party_id"], "U 1", "RFID")
    owner = f"/{token['country_code']}/{token['party_id']}"
    assert object_path(key, token) == f"{owner}/u%201?type=RFID"


def test_object_path_refuses_an_id_no_url_may_carry() -> None:
    """An id that would leave the receiver's endpoint (core.urls) gives no path: 2001."""
    with pytest.raises(InvalidParameters):
        object_path(("locations", "NL", "CPO", "..", ""), {"id": ".."})
