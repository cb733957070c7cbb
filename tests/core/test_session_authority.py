"""Who may stop a Session or manage its charging profile through the hub
(core.modules.sessions.may_act_on_session, issue 7 §5, checklist §4.6, §4.7)."""

from __future__ import annotations

import pytest

from ocpi_hub.core.modules.sessions import SessionRequest, may_act_on_session
from ocpi_hub.core.parties import Role
from tests import factories

S1 = factories.session("S1", owner=("NL", "CPA"), emsp=("DE", "EMA"))
COMMAND, PROFILE = SessionRequest.COMMAND, SessionRequest.CHARGING_PROFILE


@pytest.mark.parametrize(
    ("requester", "roles", "request_kind", "allowed"),
    [
        (("DE", "EMA"), {Role.EMSP}, COMMAND, True),  # the token's eMSP
        (("DE", "EMA"), {Role.EMSP}, PROFILE, True),
        (("FR", "EMB"), {Role.EMSP}, COMMAND, False),  # another eMSP
        (("FR", "EMB"), {Role.EMSP}, PROFILE, False),
        (("DE", "SCS"), {Role.SCSP}, PROFILE, True),  # an SCSP manages profiles...
        (("DE", "SCS"), {Role.SCSP}, COMMAND, False),  # ...but sends no commands
        (("NL", "CPA"), {Role.CPO}, COMMAND, False),  # not even the CPO, through the hub
        (("FR", "EMB"), {Role.EMSP, Role.SCSP}, PROFILE, True),  # one identity, both roles
    ],
)
def test_only_the_sessions_emsp_or_an_scsp_for_profiles(
    requester: tuple[str, str], roles: set[Role], request_kind: SessionRequest, allowed: bool
) -> None:
    """The eMSP owning the Session's token may do both; an SCSP profiles only; no one else."""
    assert may_act_on_session(S1, requester, roles, request_kind) is allowed


@pytest.mark.parametrize("request_kind", list(SessionRequest))
def test_a_session_the_hub_never_saw_is_the_cpos_to_judge(request_kind: SessionRequest) -> None:
    """No stored Session: the hub relays, whoever asks; the CPO decides."""
    assert may_act_on_session(None, ("FR", "EMB"), {Role.EMSP}, request_kind)


def test_a_session_without_a_token_owner_is_nobodys() -> None:
    """A stored Session naming no token party (not 2.2.1-valid) is refused to every eMSP."""
    assert not may_act_on_session({"id": "S1"}, ("DE", "EMA"), {Role.EMSP}, COMMAND)
