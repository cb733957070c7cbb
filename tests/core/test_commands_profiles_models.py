"""Commands and ChargingProfiles models against OCPI 2.2.1 (checklist §4.6, §4.7), and the
rules the hub applies to them (response_url, the receiver's timeout)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from ocpi_hub.core.model import OcpiModel, validation_message
from ocpi_hub.core.modules import chargingprofiles as cp
from ocpi_hub.core.modules import commands as cmd
from ocpi_hub.core.modules.commands import (
    TIMEOUT_UNSTATED,
    CommandResponse,
    CommandType,
    StartSession,
    response_timeout,
)
from ocpi_hub.core.modules.tokens import TokenType, WhitelistType
from tests.strategies import ci_strings, datetimes, display_texts, enum_values, strings

JsonObject = dict[str, Any]

# ---- strategies: spec-valid JSON as a peer sends it, unknown `x_*` fields included ----------

_EXTRA = st.none() | st.integers() | strings(10)
response_urls = st.sampled_from(
    ["https://emsp.example/ocpi/cmd/1", "http://127.0.0.1:9000/callbacks/a?b=c"]
)
ids36 = ci_strings(36)


def objects(required: dict[str, Any], optional: dict[str, Any]) -> st.SearchStrategy[JsonObject]:
    """Required fields always, optional ones sometimes (some as null), plus an unknown one."""
    return st.fixed_dictionaries(required, optional={**optional, "x_vendor": _EXTRA})


def maybe_null(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


def star(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | st.lists(strategy, max_size=2)


tokens = objects(
    {
        "country_code": ci_strings(2, min_size=2),
        "party_id": ci_strings(3, min_size=3),
        "uid": ids36,
        "type": enum_values(TokenType),
        "contract_id": ids36,
        "issuer": strings(64),
        "valid": st.booleans(),
        "whitelist": enum_values(WhitelistType),
        "last_updated": datetimes(),
    },
    {"visual_number": maybe_null(strings(64)), "group_id": maybe_null(ids36)},
)


@st.composite
def start_sessions(draw: st.DrawFn) -> JsonObject:
    """StartSession; connector_id only with evse_uid (§4.6)."""
    body = draw(
        objects(
            {"response_url": response_urls, "token": tokens, "location_id": ids36},
            {"authorization_reference": maybe_null(ids36)},
        )
    )
    if draw(st.booleans()):
        body["evse_uid"] = draw(ids36)
        if draw(st.booleans()):
            body["connector_id"] = draw(maybe_null(ids36))
    return body


stop_sessions = objects({"response_url": response_urls, "session_id": ids36}, {})
reserve_nows = objects(
    {
        "response_url": response_urls,
        "token": tokens,
        "expiry_date": datetimes(),
        "reservation_id": ids36,
        "location_id": ids36,
    },
    {"evse_uid": maybe_null(ids36), "authorization_reference": maybe_null(ids36)},
)
cancel_reservations = objects({"response_url": response_urls, "reservation_id": ids36}, {})
unlock_connectors = objects(
    {"response_url": response_urls, "location_id": ids36, "evse_uid": ids36, "connector_id": ids36},
    {},
)
COMMAND_BODIES = {
    CommandType.START_SESSION: start_sessions(),
    CommandType.STOP_SESSION: stop_sessions,
    CommandType.RESERVE_NOW: reserve_nows,
    CommandType.CANCEL_RESERVATION: cancel_reservations,
    CommandType.UNLOCK_CONNECTOR: unlock_connectors,
}
command_responses = objects(
    {"result": enum_values(cmd.CommandResponseType), "timeout": st.integers(0, 86_400)},
    {"message": star(display_texts)},
)
command_results = objects(
    {"result": enum_values(cmd.CommandResultType)}, {"message": star(display_texts)}
)

# number(1 decimal) limits, as a JSON parser hands them over.
limits = st.integers(0, 1_000) | st.decimals(0, 1_000, places=1).map(float)
periods = objects({"start_period": st.integers(0, 86_400), "limit": limits}, {})
profiles = objects(
    {"charging_rate_unit": enum_values(cp.ChargingRateUnit)},
    {
        "start_date_time": maybe_null(datetimes()),
        "duration": maybe_null(st.integers(0, 86_400)),
        "min_charging_rate": maybe_null(limits),
        "charging_profile_period": star(periods),
    },
)
active_profiles = objects({"start_date_time": datetimes(), "charging_profile": profiles}, {})
PROFILE_OBJECTS: dict[type[OcpiModel], st.SearchStrategy[JsonObject]] = {
    cp.ChargingProfilePeriod: periods,
    cp.ChargingProfile: profiles,
    cp.ActiveChargingProfile: active_profiles,
    cp.SetChargingProfile: objects(
        {"charging_profile": profiles, "response_url": response_urls}, {}
    ),
    cp.ChargingProfileResponse: objects(
        {
            "result": enum_values(cp.ChargingProfileResponseType),
            "timeout": st.integers(0, 3_600),
        },
        {},
    ),
    cp.ActiveChargingProfileResult: objects(
        {"result": enum_values(cp.ChargingProfileResultType)},
        {"profile": maybe_null(active_profiles)},
    ),
    cp.ChargingProfileResult: objects({"result": enum_values(cp.ChargingProfileResultType)}, {}),
    cp.ClearProfileResult: objects({"result": enum_values(cp.ChargingProfileResultType)}, {}),
}


def round_trip(model: type[OcpiModel], doc: JsonObject) -> JsonObject:
    return model.model_validate(doc).model_dump(mode="json", exclude_unset=True)


def refusal(model: type[OcpiModel], doc: JsonObject) -> str:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(doc)
    return validation_message(caught.value)


SLOW = settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])


# ---- round trips ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(CommandType), ids=lambda k: k.value)
@SLOW
@given(data=st.data())
def test_generated_commands_round_trip(kind: CommandType, data: st.DataObject) -> None:
    """Every spec-valid command body validates and dumps back to the same JSON (§4.6)."""
    doc = data.draw(COMMAND_BODIES[kind])
    assert round_trip(cmd.COMMANDS[kind], doc) == doc


@SLOW
@given(doc=command_responses)
def test_generated_command_responses_round_trip(doc: JsonObject) -> None:
    """Any CommandResponse round-trips unchanged (§4.6 CommandResponse)."""
    assert round_trip(CommandResponse, doc) == doc


@SLOW
@given(doc=command_results)
def test_generated_command_results_round_trip(doc: JsonObject) -> None:
    """Any CommandResult round-trips unchanged, as the hub relays it (§4.6 CommandResult)."""
    assert round_trip(cmd.CommandResult, doc) == doc


@pytest.mark.parametrize("model", list(PROFILE_OBJECTS), ids=lambda m: m.__name__)
@SLOW
@given(data=st.data())
def test_generated_profile_objects_round_trip(model: type[OcpiModel], data: st.DataObject) -> None:
    """Every ChargingProfiles object round-trips unchanged, unknown fields kept (§4.7)."""
    doc = data.draw(PROFILE_OBJECTS[model])
    assert round_trip(model, doc) == doc


# ---- refusals -------------------------------------------------------------------------------

TOKEN = {
    "country_code": "DE",
    "party_id": "EMA",
    "uid": "0102030405",
    "type": "RFID",
    "contract_id": "DE-EMA-C12345678-X",
    "issuer": "EMA",
    "valid": True,
    "whitelist": "ALLOWED",
    "last_updated": "2024-01-01T10:00:00Z",
}
START = {"response_url": "https://emsp.example/r/1", "token": TOKEN, "location_id": "LOC1"}

REQUIRED = [
    (StartSession, START, "response_url"),
    (StartSession, START, "token"),
    (StartSession, START, "location_id"),
    (cmd.StopSession, {"response_url": "https://e/1", "session_id": "S1"}, "session_id"),
    (
        cmd.UnlockConnector,
        {"response_url": "https://e/1", "location_id": "L", "evse_uid": "E", "connector_id": "1"},
        "connector_id",
    ),
    (CommandResponse, {"result": "ACCEPTED", "timeout": 30}, "timeout"),
    (cp.ChargingProfile, {"charging_rate_unit": "W"}, "charging_rate_unit"),
    (cp.ChargingProfilePeriod, {"start_period": 0, "limit": 11}, "limit"),
    (cp.ActiveChargingProfile, {"start_date_time": "2024-01-01T10:00:00Z"}, "charging_profile"),
]


@pytest.mark.parametrize(
    ("model", "doc", "field"), REQUIRED, ids=lambda v: getattr(v, "__name__", v)
)
def test_missing_required_field_is_refused_by_name(
    model: type[OcpiModel], doc: JsonObject, field: str
) -> None:
    """A missing `1` field is refused, naming it (§4.6, §4.7 object tables)."""
    assert refusal(model, {k: v for k, v in doc.items() if k != field}).startswith(field)


def test_connector_without_evse_is_refused() -> None:
    """StartSession.connector_id needs evse_uid: connector ids are unique per EVSE (§4.6)."""
    assert "evse_uid is required" in refusal(StartSession, {**START, "connector_id": "1"})
    assert StartSession.model_validate({**START, "evse_uid": "E1", "connector_id": "1"})


def test_incomplete_token_in_start_session_is_refused() -> None:
    """StartSession carries a complete Token (§4.6): one without `whitelist` is refused."""
    token = {k: v for k, v in TOKEN.items() if k != "whitelist"}
    assert refusal(StartSession, {**START, "token": token}) == "token.whitelist: Field required"


@pytest.mark.parametrize(
    ("model", "doc"),
    [
        (CommandResponse, {"result": "accepted", "timeout": 1}),
        (CommandResponse, {"result": "ACCEPTED", "timeout": "30"}),
        (cmd.CommandResult, {"result": "TIMED_OUT"}),
        (cp.ChargingProfile, {"charging_rate_unit": "kW"}),
        (cp.ChargingProfilePeriod, {"start_period": -1, "limit": 1}),
        (cp.ChargingProfilePeriod, {"start_period": 0, "limit": "16"}),
        (cp.ChargingProfileResponse, {"result": "TIMEOUT", "timeout": 1}),
    ],
)
def test_wrong_enum_or_type_is_refused(model: type[OcpiModel], doc: JsonObject) -> None:
    """Enums are case-sensitive and closed; ints and numbers are JSON ints/numbers (§1.9)."""
    refusal(model, doc)


def test_results_table_names_the_result_of_each_request() -> None:
    """GET → ActiveChargingProfileResult, PUT → ChargingProfileResult, DELETE → Clear (§4.7)."""
    assert dict(cp.RESULTS) == {
        "GET": cp.ActiveChargingProfileResult,
        "PUT": cp.ChargingProfileResult,
        "DELETE": cp.ClearProfileResult,
    }


# ---- the hub's rules ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ok", "data", "wait"),
    [
        (True, {"result": "ACCEPTED", "timeout": 30}, 30),
        (True, {"result": "ACCEPTED", "timeout": -5}, 0),
        (True, {"result": "ACCEPTED"}, TIMEOUT_UNSTATED),
        (True, {"result": "ACCEPTED", "timeout": True}, TIMEOUT_UNSTATED),
        (True, {"result": "REJECTED", "timeout": 30}, None),
        (True, {"result": "UNKNOWN_SESSION", "timeout": 30}, None),
        (False, {"result": "ACCEPTED", "timeout": 30}, None),
        (True, None, None),
        (True, ["ACCEPTED"], None),
    ],
)
def test_response_timeout_waits_only_for_accepted(ok: bool, data: object, wait: int | None) -> None:
    """A result is awaited only after an OCPI success with result ACCEPTED, `timeout` s (§4.6)."""
    assert response_timeout(ok, data) == wait


@given(timeout=st.integers(-10_000, 10_000))
def test_response_timeout_is_never_negative(timeout: int) -> None:
    """Whatever timeout a CPO states, the hub waits 0 s or more for an ACCEPTED result."""
    assert response_timeout(True, {"result": "ACCEPTED", "timeout": timeout}) == max(0, timeout)
