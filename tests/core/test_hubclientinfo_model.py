"""ClientInfo, ConnectionStatus and the status table of HubClientInfo (checklist §4.8, §5)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from ocpi_hub.core.modules.hubclientinfo import (
    TRANSITIONS,
    ClientInfo,
    ConnectionStatus,
    PartyEvent,
    next_status,
    snapshot_after,
)
from ocpi_hub.core.parties import Party, Role
from tests import strategies

FIELDS = ("party_id", "country_code", "role", "status", "last_updated")

client_infos = st.fixed_dictionaries(
    {
        "party_id": strategies.ci_strings(3),
        "country_code": strategies.ci_strings(2),
        "role": st.sampled_from([r.value for r in Role]),
        "status": strategies.enum_values(ConnectionStatus),
        "last_updated": strategies.datetimes(),
    }
)


def valid() -> dict[str, Any]:
    return {
        "party_id": "EMA",
        "country_code": "DE",
        "role": "EMSP",
        "status": "CONNECTED",
        "last_updated": "2024-01-01T10:00:00Z",
    }


@given(client_infos)
def test_client_info_round_trips_unchanged(body: dict[str, Any]) -> None:
    """Every spec-valid ClientInfo validates and serialises back to the same JSON (§4.8)."""
    assert ClientInfo.model_validate(body).model_dump(mode="json") == body


@pytest.mark.parametrize("field", FIELDS)
def test_every_client_info_field_is_required(field: str) -> None:
    """ClientInfo has no optional field: each one missing is refused, naming it (§4.8)."""
    body = valid()
    del body[field]
    with pytest.raises(ValidationError, match=field):
        ClientInfo.model_validate(body)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("party_id", "EMAX"),  # CiString(3)
        ("country_code", "DEU"),  # CiString(2)
        ("status", "connected"),  # enums are case-sensitive (§1.9)
        ("status", "ONLINE"),
        ("role", "PLATFORM"),  # a platform is not a role (§5)
        ("last_updated", "2024-01-01T10:00:00+00:00"),  # offsets are not OCPI DateTimes (§1.9)
    ],
)
def test_invalid_client_info_is_refused(field: str, value: str) -> None:
    """Lengths, enums and the DateTime form are checked (§4.8, §1.9)."""
    with pytest.raises(ValidationError, match=field):
        ClientInfo.model_validate({**valid(), field: value})


def test_connection_status_has_exactly_the_spec_values() -> None:
    """ConnectionStatus: CONNECTED, OFFLINE, PLANNED, SUSPENDED (§4.8)."""
    assert [s.value for s in ConnectionStatus] == ["CONNECTED", "OFFLINE", "PLANNED", "SUSPENDED"]


def test_client_info_of_a_stored_party_renders_the_hub_time_form() -> None:
    """The hub's own last_updated is `YYYY-MM-DDThh:mm:ssZ`, never `+00:00` (§1.9)."""
    moment = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    info = ClientInfo.of(Party.of("de", "ema", "EMSP"), "OFFLINE", moment)
    assert info.model_dump(mode="json") == {
        "party_id": "EMA",
        "country_code": "DE",
        "role": "EMSP",
        "status": "OFFLINE",
        "last_updated": "2024-05-06T07:08:09Z",
    }


@given(st.sampled_from(list(PartyEvent)), st.sampled_from(list(ConnectionStatus)))
def test_an_event_moves_a_party_to_its_status_or_not_at_all(
    event: PartyEvent, current: ConnectionStatus
) -> None:
    """A transition never "changes" a status to itself (nothing to push) and always lands on
    the event's status (§4.8: push on change)."""
    moved = next_status(event, current)
    assert moved != current
    assert moved in (None, TRANSITIONS[event].status)


@pytest.mark.parametrize(
    ("event", "current", "expected"),
    [
        (PartyEvent.INVITED, ConnectionStatus.SUSPENDED, ConnectionStatus.PLANNED),
        (PartyEvent.REGISTERED, ConnectionStatus.PLANNED, ConnectionStatus.CONNECTED),
        (PartyEvent.REGISTERED, ConnectionStatus.OFFLINE, ConnectionStatus.CONNECTED),
        (PartyEvent.UNREGISTERED, ConnectionStatus.CONNECTED, ConnectionStatus.SUSPENDED),
        (PartyEvent.UNREGISTERED, ConnectionStatus.OFFLINE, ConnectionStatus.SUSPENDED),
        (PartyEvent.UNREACHABLE, ConnectionStatus.CONNECTED, ConnectionStatus.OFFLINE),
        (PartyEvent.UNREACHABLE, ConnectionStatus.PLANNED, None),
        (PartyEvent.UNREACHABLE, ConnectionStatus.SUSPENDED, None),
        (PartyEvent.HEARD_FROM, ConnectionStatus.OFFLINE, ConnectionStatus.CONNECTED),
        (PartyEvent.HEARD_FROM, ConnectionStatus.SUSPENDED, None),
        (PartyEvent.HEARD_FROM, ConnectionStatus.PLANNED, None),
        (PartyEvent.CREDIT_SUSPENDED, ConnectionStatus.CONNECTED, ConnectionStatus.SUSPENDED),
        (PartyEvent.CREDIT_SUSPENDED, ConnectionStatus.OFFLINE, ConnectionStatus.SUSPENDED),
        (PartyEvent.CREDIT_SUSPENDED, ConnectionStatus.PLANNED, None),
        (PartyEvent.CREDIT_LIFTED, ConnectionStatus.SUSPENDED, ConnectionStatus.CONNECTED),
        (PartyEvent.CREDIT_LIFTED, ConnectionStatus.OFFLINE, None),
        (
            PartyEvent.CREDIT_LIFTED_UNREACHABLE,
            ConnectionStatus.SUSPENDED,
            ConnectionStatus.OFFLINE,
        ),
    ],
)
def test_status_table(
    event: PartyEvent, current: ConnectionStatus, expected: ConnectionStatus | None
) -> None:
    """The documented mapping: the probe only takes CONNECTED to OFFLINE and back (§5)."""
    assert next_status(event, current) == expected


def test_full_picture_on_registration_and_on_coming_back() -> None:
    """A (re-)registered platform, or one back from OFFLINE, gets every other ClientInfo."""
    assert snapshot_after(PartyEvent.REGISTERED, changed=False)
    assert snapshot_after(PartyEvent.HEARD_FROM, changed=True)
    assert not snapshot_after(PartyEvent.HEARD_FROM, changed=False)
    for event in (PartyEvent.INVITED, PartyEvent.UNREGISTERED, PartyEvent.UNREACHABLE):
        assert not snapshot_after(event, changed=True)


@pytest.mark.parametrize(
    ("event", "current", "expected"),
    [
        (PartyEvent.REGISTERED, ConnectionStatus.SUSPENDED, None),
        (PartyEvent.REGISTERED, ConnectionStatus.PLANNED, ConnectionStatus.SUSPENDED),
        (PartyEvent.HEARD_FROM, ConnectionStatus.OFFLINE, ConnectionStatus.SUSPENDED),
        (PartyEvent.UNREACHABLE, ConnectionStatus.SUSPENDED, None),
        (PartyEvent.UNREGISTERED, ConnectionStatus.SUSPENDED, None),
        (PartyEvent.INVITED, ConnectionStatus.SUSPENDED, ConnectionStatus.PLANNED),
        (PartyEvent.CREDIT_LIFTED, ConnectionStatus.SUSPENDED, ConnectionStatus.CONNECTED),
    ],
)
def test_a_party_whose_credit_is_suspended_stays_suspended_through_its_platform_events(
    event: PartyEvent, current: ConnectionStatus, expected: ConnectionStatus | None
) -> None:
    """Credit suspension (issue 9 §7): re-registering or coming back online does not make a
    suspended eMSP CONNECTED or OFFLINE; only its lift does (an invitation re-issued is PLANNED:
    not connected, so not shown as refused either)."""
    assert next_status(event, current, credit_suspended=True) == expected
