"""Commands between OCPI 2.2.1 and 2.1.1: bodies, the sync CommandResponse and the async result
(ocpi-2.1.1-differences.md §8, §10.3 "Commands")."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocpi_hub.core.modules.commands import (
    COMMANDS,
    CommandResponse,
    CommandResult,
    CommandType,
    ReserveNow,
    StartSession,
)
from ocpi_hub.dialects.losses import Direction, Lost
from ocpi_hub.dialects.v211.commands import (
    COMMANDS_211,
    RESULT_OUT,
    command_in,
    command_out,
    command_response_in,
    command_response_out,
    command_result_in,
    command_result_out,
)
from ocpi_hub.errors import InvalidParameters
from tests import factories, strategies
from tests.dialects.v211.test_tokens import EMSP, RECEIVED, assert_211, fields, token_211

URL = "https://emsp.example/ocpi/emsp/2.2.1/commands/START_SESSION/42"
RESPONSE_TYPES_211 = {"NOT_SUPPORTED", "REJECTED", "ACCEPTED", "TIMEOUT", "UNKNOWN_SESSION"}
BODY_KIND = {
    "START_SESSION": "StartSession",
    "STOP_SESSION": "StopSession",
    "RESERVE_NOW": "ReserveNow",
    "UNLOCK_CONNECTOR": "UnlockConnector",
}


def start_session(**overrides: Any) -> dict[str, Any]:
    body = {
        "response_url": URL,
        "token": factories.token(),
        "location_id": "LOC1",
        "evse_uid": "EVSE1",
    }
    body.update(overrides)
    return body


def reserve_now(**overrides: Any) -> dict[str, Any]:
    body = {
        "response_url": URL,
        "token": factories.token(),
        "expiry_date": "2024-03-01T12:00:00Z",
        "reservation_id": "42",
        "location_id": "LOC1",
        "evse_uid": "EVSE1",
    }
    body.update(overrides)
    return body


OTHER_BODIES = {
    "STOP_SESSION": {"response_url": URL, "session_id": "S1"},
    "UNLOCK_CONNECTOR": {
        "response_url": URL,
        "location_id": "LOC1",
        "evse_uid": "EVSE1",
        "connector_id": "1",
    },
}


def test_211_has_four_commands() -> None:
    """2.1.1 CommandType: every 2.2.1 one but CANCEL_RESERVATION (§8)."""
    assert {m.value for m in CommandType} - {"CANCEL_RESERVATION"} == COMMANDS_211


# --- command_out -------------------------------------------------------------------------------


def test_cancel_reservation_has_no_211_form() -> None:
    """None, and a DROPPED Loss: the edge answers NOT_SUPPORTED without forwarding."""
    out, losses = command_out("CANCEL_RESERVATION", {"response_url": URL, "reservation_id": "7"})
    assert out is None
    assert [(x.field, x.direction, x.lost, x.example) for x in losses] == [
        ("CANCEL_RESERVATION", Direction.OUT, Lost.DROPPED, "7")
    ]


def test_command_out_refuses_an_unknown_command_type() -> None:
    """A type that is no CommandType: 2001."""
    with pytest.raises(InvalidParameters, match="command"):
        command_out("SELF_DESTRUCT", {})


def test_start_session_out_translates_the_token_and_drops_what_211_lacks() -> None:
    """Token via token_out; connector_id and authorization_reference DROPPED."""
    body = start_session(
        token=factories.token(type="APP_USER"), connector_id="1", authorization_reference="REF"
    )
    before = copy.deepcopy(body)
    out, losses = command_out("START_SESSION", body)
    assert out is not None
    assert out["token"]["auth_id"] == "DE-EMA-C00000001" and "contract_id" not in out["token"]
    assert "connector_id" not in out and "authorization_reference" not in out
    assert fields(losses) == {
        "token.type": Lost.APPROXIMATED,
        "connector_id": Lost.DROPPED,
        "authorization_reference": Lost.DROPPED,
    }
    assert all(x.module == "commands" and x.direction is Direction.OUT for x in losses)
    assert_211("StartSession", out)
    assert body == before


def test_reserve_now_out_makes_the_reservation_id_an_int() -> None:
    """2.1.1 reservation_id is an int (§8): decimal digits become one, without a Loss."""
    out, losses = command_out("RESERVE_NOW", reserve_now())
    assert out is not None and out["reservation_id"] == 42
    assert losses == []
    assert_211("ReserveNow", out)


def test_reserve_now_out_notes_lost_leading_zeros() -> None:
    """ "007" is 7 to a 2.1.1 CPO: APPROXIMATED."""
    out, losses = command_out("RESERVE_NOW", reserve_now(reservation_id="007"))
    assert out is not None and out["reservation_id"] == 7
    assert [(x.field, x.lost, x.example) for x in losses] == [
        ("reservation_id", Lost.APPROXIMATED, "007")
    ]


@pytest.mark.parametrize("reservation_id", ["R-1", "4 2", "", "١٢", "2147483648"])
def test_reserve_now_out_refuses_a_reservation_id_211_cannot_hold(reservation_id: str) -> None:
    """Not ASCII decimal digits, or above a 32-bit int: 2001 naming reservation_id."""
    with pytest.raises(InvalidParameters, match="reservation_id"):
        command_out("RESERVE_NOW", reserve_now(reservation_id=reservation_id))


def test_reserve_now_out_cuts_the_fraction_of_expiry_date() -> None:
    """2.1.1 DateTime has whole seconds: APPROXIMATED."""
    out, losses = command_out("RESERVE_NOW", reserve_now(expiry_date="2024-03-01T12:00:00.5Z"))
    assert out is not None and out["expiry_date"] == "2024-03-01T12:00:00Z"
    assert fields(losses) == {"expiry_date": Lost.APPROXIMATED}


@pytest.mark.parametrize("command", sorted(OTHER_BODIES))
def test_stop_and_unlock_out_are_unchanged(command: str) -> None:
    """StopSession and UnlockConnector have the same fields in both versions."""
    body = OTHER_BODIES[command]
    assert command_out(command, body) == (body, [])
    assert_211(BODY_KIND[command], body)


# --- command_in --------------------------------------------------------------------------------


def test_start_session_in_gives_the_token_its_emsp() -> None:
    """The token gets the sending eMSP as its owner (token_in); the body validates."""
    body = {"response_url": URL, "token": token_211(), "location_id": "LOC1"}
    out, losses = command_in("START_SESSION", body, EMSP, received_at=RECEIVED)
    assert losses == []
    assert (out["token"]["country_code"], out["token"]["party_id"]) == EMSP
    assert out["token"]["contract_id"] == "DE-EMA-C00000001"
    StartSession.model_validate(out)
    assert "country_code" not in body["token"]


def test_reserve_now_in_makes_the_reservation_id_a_string() -> None:
    """2.1.1 int → 2.2.1 CiString."""
    body = {
        "response_url": URL,
        "token": token_211(),
        "expiry_date": "2024-03-01T12:00:00Z",
        "reservation_id": 42,
        "location_id": "LOC1",
    }
    out, losses = command_in("RESERVE_NOW", body, EMSP, received_at=RECEIVED)
    assert out["reservation_id"] == "42" and losses == []
    ReserveNow.model_validate(out)


@pytest.mark.parametrize("reservation_id", [True, 4.2, None, [1]])
def test_reserve_now_in_refuses_a_reservation_id_that_is_no_int(reservation_id: Any) -> None:
    """2001 naming reservation_id."""
    body = {"response_url": URL, "token": token_211(), "reservation_id": reservation_id}
    with pytest.raises(InvalidParameters, match="reservation_id"):
        command_in("RESERVE_NOW", body, EMSP, received_at=RECEIVED)


@pytest.mark.parametrize("command", sorted(OTHER_BODIES))
def test_stop_and_unlock_in_are_unchanged(command: str) -> None:
    """StopSession and UnlockConnector have the same fields in both versions."""
    body = OTHER_BODIES[command]
    out, losses = command_in(command, body, EMSP, received_at=RECEIVED)
    assert (out, losses) == (body, [])
    COMMANDS[CommandType(command)].model_validate(out)


def test_command_in_refuses_what_211_does_not_define() -> None:
    """CANCEL_RESERVATION is no 2.1.1 command: 2001."""
    with pytest.raises(InvalidParameters, match="command"):
        command_in("CANCEL_RESERVATION", {}, EMSP, received_at=RECEIVED)


def test_command_in_names_the_token_when_its_owner_is_wrong() -> None:
    """A token naming another eMSP than the sender: 2001 naming token.party_id."""
    body = {"response_url": URL, "token": token_211(party_id="XXX"), "location_id": "LOC1"}
    with pytest.raises(InvalidParameters, match=r"token\.party_id"):
        command_in("START_SESSION", body, EMSP, received_at=RECEIVED)


@given(
    strategies.tokens,
    st.fixed_dictionaries(
        {},
        optional={
            "evse_uid": strategies.ci_strings(36),
            "authorization_reference": strategies.ci_strings(36),
        },
    ),
    st.integers(0, 2**31 - 1),
)
def test_reserve_now_round_trip_keeps_what_211_carries(
    token: dict[str, Any], extra: dict[str, Any], number: int
) -> None:
    """2.2.1 → 2.1.1 → 2.2.1 keeps the ReserveNow but the fields the Losses name."""
    body = reserve_now(token=token, reservation_id=str(number), **extra)
    out, losses = command_out("RESERVE_NOW", body)
    assert out is not None
    relayed = {k: v for k, v in out["token"].items() if not k.startswith("x_")}
    assert_211("ReserveNow", {**out, "token": relayed})
    owner = (token["country_code"], token["party_id"])
    back, back_losses = command_in("RESERVE_NOW", out, owner, received_at=RECEIVED)
    assert back_losses == []
    ReserveNow.model_validate(back)
    lost = set(fields(losses))
    token_lost = {f.removeprefix("token.") for f in lost if f.startswith("token.")}

    def kept(obj: dict[str, Any]) -> dict[str, Any]:
        flat = {k: v for k, v in obj.items() if k not in lost and k != "token"}
        flat["token"] = {
            k: v
            for k, v in obj["token"].items()
            if k not in token_lost
            and not (k in ("group_id", "default_profile_type", "energy_contract") and v is None)
        }
        return flat

    assert kept(back) == kept(body)


# --- CommandResponse ---------------------------------------------------------------------------


def test_command_response_out_keeps_the_result_only() -> None:
    """timeout and message DROPPED; 2.1.1-d2's {result} object."""
    response = {
        "result": "ACCEPTED",
        "timeout": 30,
        "message": [{"language": "en", "text": "Sent to the charger"}],
    }
    out, losses = command_response_out(response)
    assert out == {"result": "ACCEPTED"}
    assert fields(losses) == {"timeout": Lost.DROPPED, "message": Lost.DROPPED}
    assert {x.field: x.example for x in losses}["timeout"] == "30"
    assert_211("CommandResponse", out)
    assert "timeout" in response


@pytest.mark.parametrize("result", ["NOT_SUPPORTED", "REJECTED", "ACCEPTED", "UNKNOWN_SESSION"])
def test_command_response_out_keeps_every_221_value(result: str) -> None:
    """Every 2.2.1 CommandResponseType is a 2.1.1 one; an empty message is no loss."""
    out, losses = command_response_out({"result": result, "timeout": 0, "message": []})
    assert out == {"result": result}
    assert fields(losses) == {"timeout": Lost.DROPPED}


@pytest.mark.parametrize("shape", ["object", "bare"])
@pytest.mark.parametrize(
    ("result", "expected"),
    [
        ("ACCEPTED", "ACCEPTED"),
        ("REJECTED", "REJECTED"),
        ("NOT_SUPPORTED", "NOT_SUPPORTED"),
        ("UNKNOWN_SESSION", "UNKNOWN_SESSION"),
        ("TIMEOUT", "REJECTED"),
    ],
)
def test_command_response_in_reads_both_shapes(shape: str, result: str, expected: str) -> None:
    """d2's {result} and the original bare string; timeout GUESSED; TIMEOUT → REJECTED."""
    response: dict[str, Any] | str = {"result": result} if shape == "object" else result
    out, losses = command_response_in(response, timeout=45)
    assert out == {"result": expected, "timeout": 45}
    CommandResponse.model_validate(out)
    wanted = {"timeout": Lost.GUESSED}
    if result != expected:
        wanted["result"] = Lost.APPROXIMATED
    assert fields(losses) == wanted
    assert all(x.direction is Direction.IN and x.module == "commands" for x in losses)


@pytest.mark.parametrize("response", ["MAYBE", {"result": "FAILED"}, {}])
def test_command_response_in_refuses_what_211_does_not_define(response: Any) -> None:
    """Not a 2.1.1 CommandResponseType: 2001 naming result."""
    with pytest.raises(InvalidParameters, match="result"):
        command_response_in(response, timeout=30)


# --- Async result ------------------------------------------------------------------------------


@pytest.mark.parametrize(("result", "expected"), sorted(RESULT_OUT.items()))
def test_command_result_out_maps_every_221_result(result: str, expected: str) -> None:
    """1:1 where 2.1.1 has the value, else REJECTED (APPROXIMATED); message DROPPED."""
    out, losses = command_result_out(
        {"result": result, "message": [{"language": "en", "text": "why"}]}
    )
    assert out == {"result": expected}
    assert expected in RESPONSE_TYPES_211
    wanted = {"message": Lost.DROPPED}
    if result != expected:
        wanted["result"] = Lost.APPROXIMATED
    assert fields(losses) == wanted
    assert_211("CommandResponse", out)


def test_command_result_out_passes_the_four_shared_values_through() -> None:
    """ACCEPTED, REJECTED, NOT_SUPPORTED, TIMEOUT are the same in both."""
    for value in ("ACCEPTED", "REJECTED", "NOT_SUPPORTED", "TIMEOUT"):
        assert command_result_out({"result": value}) == ({"result": value}, [])


@pytest.mark.parametrize("shape", ["object", "bare"])
@pytest.mark.parametrize(
    ("result", "expected"),
    [
        ("ACCEPTED", "ACCEPTED"),
        ("REJECTED", "REJECTED"),
        ("NOT_SUPPORTED", "NOT_SUPPORTED"),
        ("TIMEOUT", "TIMEOUT"),
        ("UNKNOWN_SESSION", "FAILED"),
    ],
)
def test_command_result_in_reads_both_shapes(shape: str, result: str, expected: str) -> None:
    """A 2.1.1 async CommandResponse, either shape, as a CommandResult; UNKNOWN_SESSION →
    FAILED (APPROXIMATED)."""
    response: dict[str, Any] | str = {"result": result} if shape == "object" else result
    out, losses = command_result_in(response)
    assert out == {"result": expected}
    CommandResult.model_validate(out)
    assert fields(losses) == ({} if result == expected else {"result": Lost.APPROXIMATED})


def test_command_result_in_refuses_a_221_only_value() -> None:
    """EVSE_OCCUPIED is no 2.1.1 value: 2001."""
    with pytest.raises(InvalidParameters, match="result"):
        command_result_in({"result": "EVSE_OCCUPIED"})
