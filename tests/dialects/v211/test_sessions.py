"""Session between OCPI 2.2.1 and 2.1.1 (ocpi-2.1.1-differences.md §6, §7.3, §10.3 "Session")."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from conformance.spec import V211
from conformance.validate import errors, validate
from ocpi_hub.core.modules.sessions import Session
from ocpi_hub.dialects.losses import Lost
from ocpi_hub.dialects.v211.locations import Level, location_out
from ocpi_hub.dialects.v211.sessions import (
    auth_id_party,
    embedded,
    session_in,
    session_out,
)
from ocpi_hub.errors import InvalidParameters
from tests import factories, strategies

CPO = ("NL", "CPA")
RECEIVED = "2024-03-02T08:00:00Z"
DIMENSIONS_211 = {"ENERGY", "MAX_CURRENT", "MIN_CURRENT", "PARKING_TIME", "TIME"}


def problems_211(kind: str, obj: Any, *, patch: bool = False) -> list[str]:
    """Errors of `obj` as a strict 2.1.1 `kind`; `x_*` extensions and the errata's longer
    address (checklist §7.18, relayed as is) aside."""
    found = validate(kind, obj, version=V211, patch=patch, strict=True)
    return [
        str(p) for p in errors(found) if ".x_" not in p.path and not p.path.endswith(".address")
    ]


def fields(losses: list[Any]) -> dict[str, Lost]:
    return {loss.field: loss.lost for loss in losses}


def location_211() -> dict[str, Any]:
    """NL*CPA's factory Location with two EVSEs of two connectors, as 2.1.1 has it."""
    evses = [factories.evse(f"EVSE{n}", connector_count=2) for n in (1, 2)]
    made, _ = location_out(factories.location(party_id="CPA", evses=evses), Level.LOCATION)
    assert made is not None
    return made


def stored_token(cdr_token: dict[str, Any]) -> dict[str, Any]:
    """The hub's stored 2.2.1 Token behind a CdrToken."""
    return factories.token(**{k: cdr_token[k] for k in ("country_code", "party_id", "uid", "type")})


# --- out ---------------------------------------------------------------------------------------


def test_session_out_is_a_strict_2_1_1_session_and_back_the_same_session() -> None:
    """Renames, auth_id, location trimmed to the used EVSE/connector; in again: the original."""
    session = factories.completed_session(evse_uid="EVSE2", connector_id="2")
    out, losses = session_out(session, location_211())
    assert problems_211("Session", out) == []
    assert out["start_datetime"] == session["start_date_time"]
    assert out["end_datetime"] == session["end_date_time"]
    assert out["auth_id"] == session["cdr_token"]["contract_id"]
    assert [e["uid"] for e in out["location"]["evses"]] == ["EVSE2"]
    assert [c["id"] for c in out["location"]["evses"][0]["connectors"]] == ["2"]
    assert fields(losses) == {
        "cdr_token.uid": Lost.DROPPED,
        "cdr_token.type": Lost.DROPPED,
        "charging_periods[].tariff_id": Lost.DROPPED,
    }
    back, _ = session_in(out, CPO, stored_token(session["cdr_token"]), received_at=RECEIVED)
    Session.model_validate(back)
    expected = copy.deepcopy(session)
    for period in expected["charging_periods"]:
        del period["tariff_id"]
    assert back == expected


def test_embedded_keeps_only_the_used_evse_and_connector() -> None:
    """embedded() trims a copy (ids case-insensitive) and leaves the Location alone."""
    location = location_211()
    before = copy.deepcopy(location)
    trimmed = embedded(location, "evse1", "2")
    assert location == before
    assert [(e["uid"], [c["id"] for c in e["connectors"]]) for e in trimmed["evses"]] == [
        ("EVSE1", ["2"])
    ]
    with pytest.raises(LookupError):
        embedded(location, "EVSE9", "1")
    with pytest.raises(LookupError):
        embedded(location, "EVSE1", "9")


@pytest.mark.parametrize("location", [None, "without the EVSE"])
def test_location_unknown_is_built_from_the_ids_and_guessed(location: str | None) -> None:
    """No 2.1.1 Location (or none with that EVSE): built from the ids, one GUESSED loss; the
    Location's own fields kept when there is one."""
    given_211 = None if location is None else {**location_211(), "evses": []}
    out, losses = session_out(factories.session(evse_uid="E9", connector_id="3"), given_211)
    assert problems_211("Session", out) == []
    assert fields(losses)["location_id"] is Lost.GUESSED
    made = out["location"]
    assert (made["id"], made["evses"][0]["uid"], made["evses"][0]["connectors"][0]["id"]) == (
        "LOC1",
        "E9",
        "3",
    )
    assert made["type"] == ("UNKNOWN" if location is None else "ON_STREET")
    back, _ = session_in(out, CPO, None, received_at=RECEIVED)
    assert (back["location_id"], back["evse_uid"], back["connector_id"]) == ("LOC1", "E9", "3")


def test_total_cost_goes_out_excluding_vat() -> None:
    """total_cost Price -> excl_vat; incl_vat DROPPED; in: {excl_vat} only."""
    out, losses = session_out(
        factories.session(total_cost={"excl_vat": 1.5, "incl_vat": 1.8}), None
    )
    assert out["total_cost"] == 1.5 and fields(losses)["total_cost.incl_vat"] is Lost.DROPPED
    back, _ = session_in(out, CPO, None, received_at=RECEIVED)
    assert back["total_cost"] == {"excl_vat": 1.5}


def test_reservation_status_goes_out_pending() -> None:
    """status RESERVATION -> PENDING (APPROXIMATED); the 2.1.1 values pass as they are."""
    out, losses = session_out(factories.session(status="RESERVATION"), None)
    assert out["status"] == "PENDING" and fields(losses)["status"] is Lost.APPROXIMATED
    out, losses = session_out(factories.session(status="INVALID"), None)
    assert out["status"] == "INVALID" and "status" not in fields(losses)


def test_command_auth_method_goes_out_as_auth_request() -> None:
    """auth_method COMMAND -> AUTH_REQUEST (APPROXIMATED)."""
    out, losses = session_out(factories.session(auth_method="COMMAND"), None)
    assert out["auth_method"] == "AUTH_REQUEST"
    assert fields(losses)["auth_method"] is Lost.APPROXIMATED


def test_authorization_reference_and_owner_go_out() -> None:
    """authorization_reference DROPPED; country_code/party_id go without a loss (the URL)."""
    out, losses = session_out(factories.session(authorization_reference="AUTH-1"), None)
    assert not {"authorization_reference", "country_code", "party_id"} & set(out)
    assert fields(losses)["authorization_reference"] is Lost.DROPPED
    assert "country_code" not in fields(losses)


def test_periods_lose_221_dimensions_and_an_empty_one_keeps_its_place() -> None:
    """Dimensions 2.1.1 lacks are DROPPED; a period left empty gets TIME 0 (GUESSED)."""
    periods = [
        factories.charging_period(0, dimensions=[{"type": "POWER", "volume": 7}]),
        factories.charging_period(
            15,
            dimensions=[{"type": "ENERGY", "volume": 2}, {"type": "STATE_OF_CHARGE", "volume": 50}],
        ),
    ]
    out, losses = session_out(factories.session(charging_periods=periods), None)
    assert [p["dimensions"] for p in out["charging_periods"]] == [
        [{"type": "TIME", "volume": 0}],
        [{"type": "ENERGY", "volume": 2}],
    ]
    assert not any("tariff_id" in p for p in out["charging_periods"])
    assert [(x.field, x.lost) for x in losses if x.field.startswith("charging_periods")] == [
        ("charging_periods[].tariff_id", Lost.DROPPED),
        ("charging_periods[].dimensions", Lost.DROPPED),
        ("charging_periods[].dimensions", Lost.GUESSED),
    ]


def test_flat_dimensions_are_dropped_in() -> None:
    """2.1.1 FLAT has no 2.2.1 CdrDimensionType: DROPPED; an emptied period gets TIME 0."""
    out, _ = session_out(factories.session(), None)
    out["charging_periods"] = [
        {"start_date_time": "2024-03-01T10:00:00Z", "dimensions": [{"type": "FLAT", "volume": 1}]},
        {
            "start_date_time": "2024-03-01T10:15:00Z",
            "dimensions": [{"type": "FLAT", "volume": 1}, {"type": "TIME", "volume": 0.25}],
        },
    ]
    back, losses = session_in(out, CPO, None, received_at=RECEIVED)
    Session.model_validate(back)
    assert [p["dimensions"] for p in back["charging_periods"]] == [
        [{"type": "TIME", "volume": 0}],
        [{"type": "TIME", "volume": 0.25}],
    ]
    assert [(x.field, x.lost) for x in losses if x.field.startswith("charging_periods")] == [
        ("charging_periods[].dimensions", Lost.DROPPED),
        ("charging_periods[].dimensions", Lost.GUESSED),
    ]


# --- in: cdr_token from auth_id ---------------------------------------------------------------


def test_known_token_fills_the_cdr_token_without_a_loss() -> None:
    """Token known: cdr_token = its owner, uid and type, contract_id = auth_id."""
    out, _ = session_out(factories.session(), None)
    token = factories.token("CARD-7", type="OTHER", contract_id=out["auth_id"])
    back, losses = session_in(out, CPO, token, received_at=RECEIVED)
    assert back["cdr_token"] == {
        "country_code": "DE",
        "party_id": "EMA",
        "uid": "CARD-7",
        "type": "OTHER",
        "contract_id": out["auth_id"],
    }
    assert not any(x.field.startswith("cdr_token") for x in losses)


@pytest.mark.parametrize(
    ("auth_id", "party"),
    [
        ("NL-TNM-C12345678-9", ("NL", "TNM")),
        ("NLTNMC12345678", ("NL", "TNM")),
        ("NL*TNM*C12345678*9", ("NL", "TNM")),
        ("de-ema-c00000001", ("DE", "EMA")),
        ("DE8EOC123456789", ("DE", "8EO")),
    ],
)
def test_unknown_token_is_guessed_from_an_ema_id(auth_id: str, party: tuple[str, str]) -> None:
    """Token unknown: uid = auth_id, type RFID, owner from the eMA-ID; each GUESSED."""
    assert auth_id_party(auth_id) == party
    out, _ = session_out(factories.session(), None)
    back, losses = session_in({**out, "auth_id": auth_id}, CPO, None, received_at=RECEIVED)
    Session.model_validate(back)
    assert back["cdr_token"] == {
        "country_code": party[0],
        "party_id": party[1],
        "uid": auth_id,
        "type": "RFID",
        "contract_id": auth_id,
    }
    guessed = {k: v for k, v in fields(losses).items() if k.startswith("cdr_token")}
    assert guessed == {
        f"cdr_token.{name}": Lost.GUESSED for name in ("uid", "type", "country_code", "party_id")
    }


@pytest.mark.parametrize("auth_id", ["04A2B3C4D5E6F7", "NL-TNM-C1234", "NL-TNM*C12345678", "x"])
def test_unknown_token_without_an_ema_id_is_refused(auth_id: str) -> None:
    """Not eMA-ID shaped and no token: 2001 naming auth_id; auth_id_party says None."""
    assert auth_id_party(auth_id) is None
    out, _ = session_out(factories.session(), None)
    with pytest.raises(InvalidParameters, match="auth_id"):
        session_in({**out, "auth_id": auth_id}, CPO, None, received_at=RECEIVED)


def test_several_evses_in_take_the_first_as_a_guess() -> None:
    """A 2.1.1 Location with more than the used EVSE/connector: the first ones, GUESSED."""
    out, _ = session_out(factories.session(), None)
    out["location"] = location_211()
    back, losses = session_in(out, CPO, None, received_at=RECEIVED)
    assert (back["evse_uid"], back["connector_id"]) == ("EVSE1", "1")
    assert fields(losses)["evse_uid"] is Lost.GUESSED
    assert fields(losses)["connector_id"] is Lost.GUESSED


def test_location_id_over_36_characters_is_refused_in() -> None:
    """2.1.1 Location ids may have 39 characters, 2.2.1 ones 36: 2001, never cut."""
    out, _ = session_out(factories.session(), None)
    out["location"]["id"] = "L" * 37
    with pytest.raises(InvalidParameters, match=r"location\.id"):
        session_in(out, CPO, None, received_at=RECEIVED)


# --- PATCH -------------------------------------------------------------------------------------


def test_patch_out_translates_only_what_it_holds() -> None:
    """A PATCH body: renames of the fields present, nothing added."""
    patch = {
        "end_date_time": "2024-03-01T11:00:00Z",
        "status": "COMPLETED",
        "total_cost": {"excl_vat": 2, "incl_vat": 2.42},
        "last_updated": "2024-03-01T11:00:01Z",
    }
    out, losses = session_out(patch, None, patch=True)
    assert out == {
        "end_datetime": "2024-03-01T11:00:00Z",
        "status": "COMPLETED",
        "total_cost": 2,
        "last_updated": "2024-03-01T11:00:01Z",
    }
    assert problems_211("Session", out, patch=True) == []
    assert fields(losses) == {"total_cost.incl_vat": Lost.DROPPED}


def test_patch_out_naming_part_of_the_place_drops_it() -> None:
    """A PATCH with some of location_id/evse_uid/connector_id: 2.1.1 has only the whole
    Location, so they are DROPPED; all three make a Location."""
    out, losses = session_out({"evse_uid": "EVSE2"}, location_211(), patch=True)
    assert out == {} and fields(losses) == {"evse_uid": Lost.DROPPED}
    ids = {"location_id": "LOC1", "evse_uid": "EVSE2", "connector_id": "1"}
    out, losses = session_out(ids, location_211(), patch=True)
    assert out["location"]["evses"][0]["uid"] == "EVSE2" and losses == []


def test_patch_in_renames_and_stamps_last_updated() -> None:
    """A 2.1.1 PATCH without last_updated gets received_at (GUESSED); nothing else added."""
    patch = {"end_datetime": "2024-03-01T11:00:00Z", "kwh": 11.5, "total_cost": 3}
    back, losses = session_in(patch, CPO, None, patch=True, received_at=RECEIVED)
    assert back == {
        "end_date_time": "2024-03-01T11:00:00Z",
        "kwh": 11.5,
        "total_cost": {"excl_vat": 3},
        "last_updated": RECEIVED,
    }
    assert fields(losses) == {"last_updated": Lost.GUESSED}
    back, losses = session_in({"last_updated": "2024-03-01T11:00:00Z"}, CPO, None, patch=True,
                              received_at=RECEIVED)  # fmt: skip
    assert back == {"last_updated": "2024-03-01T11:00:00Z"} and losses == []


def test_translations_do_not_mutate_their_input() -> None:
    """Pure functions: what they are given stays as it was, both ways."""
    session = factories.completed_session(total_cost={"excl_vat": 1, "incl_vat": 1.2})
    location, before, before_location = location_211(), copy.deepcopy(session), location_211()
    out, _ = session_out(session, location)
    assert session == before and location == before_location
    out_before = copy.deepcopy(out)
    session_in(out, CPO, None, received_at=RECEIVED)
    assert out == out_before


# --- properties --------------------------------------------------------------------------------


def periods_211(periods: Any) -> Any:
    """2.2.1 periods as 2.1.1 can carry them, in 2.2.1 terms."""
    if not isinstance(periods, list):
        return periods
    kept = []
    for period in periods:
        dimensions = [d for d in period["dimensions"] if d["type"] in DIMENSIONS_211]
        rest = {k: v for k, v in period.items() if k != "tariff_id"}
        kept.append({**rest, "dimensions": dimensions or [{"type": "TIME", "volume": 0}]})
    return kept


def kept_211(session: dict[str, Any]) -> dict[str, Any]:
    """What a 2.2.1 Session is after 2.1.1 and back, the hub knowing its token."""
    kept = {k: copy.deepcopy(v) for k, v in session.items() if k != "authorization_reference"}
    kept["cdr_token"] = {k: v for k, v in kept["cdr_token"].items() if not k.startswith("x_")}
    if kept.get("status") == "RESERVATION":
        kept["status"] = "PENDING"
    if kept.get("auth_method") == "COMMAND":
        kept["auth_method"] = "AUTH_REQUEST"
    if isinstance(kept.get("total_cost"), dict):
        kept["total_cost"] = {"excl_vat": kept["total_cost"]["excl_vat"]}
    if "charging_periods" in kept:
        kept["charging_periods"] = periods_211(kept["charging_periods"])
    return kept


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(strategies.sessions)
def test_session_out_then_in_keeps_what_2_1_1_carries(session: dict[str, Any]) -> None:
    """Any 2.2.1 Session out is a strict 2.1.1 one, and in again (token known) equals it but
    for what the losses name: status, auth_method, incl_vat, the reference, periods."""
    out, losses = session_out(session, None)
    assert problems_211("Session", out) == []
    assert fields(losses)["location_id"] is Lost.GUESSED
    owner = (session["country_code"], session["party_id"])
    back, _ = session_in(out, owner, stored_token(session["cdr_token"]), received_at=RECEIVED)
    Session.model_validate(back)
    assert back == kept_211(session)
