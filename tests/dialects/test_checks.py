"""The pure helpers the hub's dialect seam calls: required fields (Gireve §2.3), id comparison
(CiString §1, ECHX §4), EVSE id normalisation (ECHX §4) and the Authorization value (§1, §3)."""

from __future__ import annotations

import base64
from typing import Any

import orjson
from hypothesis import given
from hypothesis import strategies as st

from ocpi_hub.core.handshake import authorization_header, token_candidates
from ocpi_hub.dialects import (
    DIALECTS,
    Dialect,
    authorization_value,
    dialect,
    missing_required,
    normalise_evse_id,
    same_evse_id,
    same_id,
    spec_answer,
)
from tests import factories
from tests.strategies import ci_strings, locations

GIREVE, ECLEARING, SPEC, LENIENT = (
    dialect(n) for n in ("gireve", "eclearing", "ocpi-2.2.1", "lenient")
)
# An id alphabet with letters in both cases and every EVSE id separator.
ID_CHARS = st.sampled_from("aAbBeEzZ019*- _")


def gireve_location(**overrides: Any) -> dict[str, Any]:
    """A Location with every field Gireve requires beyond the spec (hub-dialects.md §2.3)."""
    fields = {"owner": {"name": "Owner BV"}, "operator": {"name": "Operator BV"}}
    return factories.location(evse_count=2, **{**fields, **overrides})


def test_gireve_location_with_every_required_field_misses_nothing() -> None:
    """§2.3 [S]: owner.name, operator.name and each EVSE's fields present: nothing missing."""
    assert missing_required(GIREVE, "locations", gireve_location()) == []


def test_gireve_location_names_every_missing_path_with_indices() -> None:
    """§2.3 [S]: each absent or empty field is named by its path, list elements by index."""
    location = gireve_location(owner=None)
    del location["operator"]
    location["evses"][1]["evse_id"] = ""
    location["evses"][1]["capabilities"] = []
    location["evses"][0]["connectors"][0].pop("tariff_ids")
    assert missing_required(GIREVE, "locations", location) == [
        "owner.name",
        "operator.name",
        "evses[1].capabilities",
        "evses[1].evse_id",
        "evses[0].connectors[0].tariff_ids",
    ]


def test_nested_object_without_the_field_is_named() -> None:
    """§2.3 [S]: an owner with no name (an empty object) misses owner.name."""
    assert missing_required(GIREVE, "locations", gireve_location(owner={})) == ["owner.name"]


def test_object_of_the_wrong_shape_counts_as_missing() -> None:
    """An owner that is not an object, evses that are not a list: each path named once."""
    location = gireve_location(owner="Owner BV", evses={"uid": "E1"})
    assert missing_required(GIREVE, "locations", location) == ["owner.name", "evses"]


def test_location_without_evses_has_no_evse_to_check() -> None:
    """A path through a list applies to every element: no EVSEs, no EVSE field missing."""
    assert missing_required(GIREVE, "locations", gireve_location(evses=[])) == []


def test_gireve_start_session_requires_evse_uid() -> None:
    """§2.3 [S]: START_SESSION needs evse_uid, keyed "commands/START_SESSION"; STOP does not."""
    start = {"response_url": "http://127.0.0.1/r", "token": {}, "location_id": "LOC1"}
    assert missing_required(GIREVE, "commands/START_SESSION", start) == ["evse_uid"]
    assert missing_required(GIREVE, "commands/START_SESSION", {**start, "evse_uid": "E1"}) == []
    assert missing_required(GIREVE, "commands/STOP_SESSION", {"session_id": "S1"}) == []


@given(locations())
def test_spec_requires_nothing_beyond_itself(location: dict[str, Any]) -> None:
    """§1 [S]: outside Gireve no dialect finds a field missing in a spec-valid Location."""
    for d in DIALECTS.values():
        if d is not GIREVE:
            assert missing_required(d, "locations", location) == []


@given(ci_strings(36))
def test_same_id_is_case_insensitive_by_the_spec(value: str) -> None:
    """§1 [S]: ids are CiString: an id and its other-cased form are the same (ocpi-2.2.1,
    lenient, whose lower-cased ids must still match)."""
    for d in (SPEC, LENIENT):
        assert same_id(d, value, value.lower()) and same_id(d, value.upper(), value)


def test_same_id_is_exact_for_eclearing() -> None:
    """§4 [S]: ECHX ids are case-sensitive, also in 2.2.1."""
    assert not same_id(ECLEARING, "Loc1", "LOC1")
    assert same_id(ECLEARING, "Loc1", "Loc1")
    assert same_id(SPEC, "Loc1", "LOC1")


@given(st.sampled_from(list(DIALECTS.values())), st.text(ID_CHARS), st.text(ID_CHARS))
def test_same_id_and_same_evse_id_are_symmetric(d: Dialect, a: str, b: str) -> None:
    """Comparison does not depend on which side an id comes from, in any dialect."""
    assert same_id(d, a, b) == same_id(d, b, a)
    assert same_evse_id(d, a, b) == same_evse_id(d, b, a)


def test_normalise_evse_id_removes_separators_and_upper_cases() -> None:
    """§4 [S]: separators `*`, `-` and space removed, upper case."""
    assert normalise_evse_id("nl*abc-e 12*3") == "NLABCE123"
    assert normalise_evse_id("DE*ABC*E1234") == "DEABCE1234"


@given(st.text(ID_CHARS))
def test_normalise_evse_id_is_idempotent(value: str) -> None:
    """A normalised EVSE id normalises to itself, and holds no separator."""
    once = normalise_evse_id(value)
    assert normalise_evse_id(once) == once
    assert not set(once) & set("*- ")


def test_evse_ids_compare_normalised_where_the_dialect_says() -> None:
    """§4 [S]: ECHX compares "DE*ABC*E1" and "deabce1" as one EVSE; the spec does not."""
    assert same_evse_id(ECLEARING, "DE*ABC*E1", "deabce1")
    assert not same_evse_id(SPEC, "DE*ABC*E1", "DEABCE1")
    assert same_evse_id(SPEC, "DE*ABC*E1", "de*abc*e1")


def test_authorization_value_is_base64_by_the_spec() -> None:
    """§1 [S]: 2.2.1 sends `Token <base64>`, the one encoder of core.handshake."""
    assert authorization_value(SPEC, "tok-1") == authorization_header("tok-1")
    assert authorization_value(SPEC, "tok-1") == "Token " + base64.b64encode(b"tok-1").decode()


def test_authorization_value_raw_where_the_dialect_says() -> None:
    """§3 [S]: a platform may want the raw token; inbound the hub reads it back either way."""
    raw = Dialect(name="raw", summary="a raw-token peer", token_base64=False)
    assert authorization_value(raw, "tok-1") == "Token tok-1"
    assert "tok-1" in token_candidates(authorization_value(raw, "tok-1"))
    assert "tok-1" in token_candidates(authorization_value(SPEC, "tok-1"))


# ---- answers in the spec's form (issue 8: the lenient peer's deviations) ----------------------


def _answer(dialect: Dialect, status: int, raw: bytes, *, single: bool = False) -> Any:
    document = orjson.loads(raw) if raw.startswith(b"{") else None
    return spec_answer(dialect, status, document, raw, single=single, timestamp=lambda: "T")


def test_an_error_without_envelope_becomes_an_ocpi_error_by_http_status() -> None:
    """issue 8: a lenient peer's bare error is read as the OCPI error its HTTP status means,
    2000 below 500 and 3000 from 500, quoting what the peer said."""
    client = _answer(LENIENT, 404, b"unknown location\n")
    server = _answer(LENIENT, 503, b"")
    assert client == {
        "status_code": 2000,
        "status_message": "answered HTTP 404 without an OCPI envelope: unknown location",
        "timestamp": "T",
    }
    assert (server["status_code"], server["status_message"][-7:]) == (3000, "nothing")


def test_a_spec_peer_error_without_envelope_stays_what_it_is() -> None:
    """§1: a spec peer always answers an envelope; one that does not is not guessed at (the
    relay answers 4000 for it), nor is an envelope of a lenient peer rewritten."""
    assert _answer(SPEC, 404, b"unknown") is None
    enveloped = b'{"status_code": 2003, "timestamp": "2024-01-01T00:00:00Z"}'
    assert _answer(LENIENT, 404, enveloped) == orjson.loads(enveloped)


def test_a_one_item_list_for_a_single_get_is_the_object() -> None:
    """issue 8: a GET of one object answered as a one-item list is that object; a list GET,
    a list of several and a spec peer's answer are left as they are."""
    one = b'{"status_code": 1000, "data": [{"id": "loc1"}], "timestamp": "T"}'
    two = b'{"status_code": 1000, "data": [{"id": "a"}, {"id": "b"}], "timestamp": "T"}'
    assert _answer(LENIENT, 200, one, single=True)["data"] == {"id": "loc1"}
    assert _answer(LENIENT, 200, one)["data"] == [{"id": "loc1"}]
    assert _answer(LENIENT, 200, two, single=True)["data"] == [{"id": "a"}, {"id": "b"}]
    assert _answer(SPEC, 200, one, single=True)["data"] == [{"id": "loc1"}]
