"""Parties and invitations through the admin API: the same actions as `parties list` and
`parties invite` (ocpi_hub.operations.parties)."""

from __future__ import annotations

from tests.admin.conftest import Admin
from tests.e2e.fakes import FakeParty


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


async def test_parties_filter_by_status_and_role_and_invitations_are_the_invited(
    admin: Admin, cpo: FakeParty
) -> None:
    """GET /parties?status=&role= keeps the parties of that platform status and role (any
    case); GET /invitations lists the invited parties that have not registered."""
    status, _ = await admin.call(
        "POST", "/invitations", {"role": "EMSP", "country_code": "DE", "party_id": "EMB"}
    )
    assert status == 201

    def keys(parties: list[dict[str, str]]) -> list[tuple[str, str]]:
        return [(p["party_id"], p["status"]) for p in parties]

    for query, expected in (
        ("", [("CPA", "REGISTERED"), ("EMB", "INVITED")]),
        ("?status=invited", [("EMB", "INVITED")]),
        ("?role=CPO", [("CPA", "REGISTERED")]),
        ("?status=REGISTERED&role=emsp", []),
    ):
        status, listed = await admin.call("GET", f"/parties{query}")
        assert status == 200 and sorted(keys(listed)) == expected, (query, listed)
    status, invited = await admin.call("GET", "/invitations")
    assert status == 200 and keys(invited) == [("EMB", "INVITED")]


async def test_a_bad_party_filter_names_it(admin: Admin) -> None:
    """An unknown status or role is a 400 naming the query parameter."""
    for query, field in (("status=GONE", "status"), ("role=KING", "role")):
        status, answer = await admin.call("GET", f"/parties?{query}")
        assert status == 400 and answer["error"]["field"] == field, (query, answer)
