"""Parties and invitations through the admin API: the same actions as `parties list` and
`parties invite` (ocpi_hub.operations.parties)."""

from __future__ import annotations

from tests.admin.conftest import Admin


async def test_an_invitation_makes_a_party_the_list_shows(admin: Admin) -> None:
    """POST /invitations answers the token A and versions URL; GET /parties lists the party."""
    status, invited = await admin.call(
        "POST", "/invitations", {"role": "EMSP", "country_code": "de", "party_id": "ema"}
    )
    assert status == 201, invited
    assert invited["token"] and invited["versions_url"] == admin.hub.versions_url
    status, listed = await admin.call("GET", "/parties")
    assert status == 200
    assert [(p["country_code"], p["party_id"], p["role"], p["status"]) for p in listed] == [
        ("DE", "EMA", "EMSP", "INVITED")
    ]


async def test_bad_invitations_name_the_field_and_change_nothing(admin: Admin) -> None:
    """Each wrong field is a 400 naming it; no party is created."""
    cases = [
        ({"role": "EMSP", "country_code": "DEU", "party_id": "EMA"}, "country_code"),
        ({"role": "EMSP", "country_code": "DE", "party_id": "EMAX"}, "party_id"),
        ({"role": "KING", "country_code": "DE", "party_id": "EMA"}, "role"),
        ({"country_code": "DE", "party_id": "EMA"}, "role"),
        ({"role": "EMSP", "country_code": "DE", "party_id": "EMA", "dialect": "x"}, "dialect"),
    ]
    for body, field in cases:
        status, answer = await admin.call("POST", "/invitations", body)
        assert status == 400 and answer["error"]["field"] == field, (body, answer)
    status, answer = await admin.call("POST", "/invitations", [1, 2])
    assert status == 400 and answer["error"]["field"] is None
    assert (await admin.call("GET", "/parties")) == (200, [])
