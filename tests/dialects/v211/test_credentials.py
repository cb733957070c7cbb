"""Credentials and version details between OCPI 2.2.1 and 2.1.1 (ocpi-2.1.1-differences.md §1.7,
§2, §10.3 "Credentials"), and the status codes a 2.1.1 party is sent (§1.2)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from ocpi_hub.core.parties import Credentials, Endpoint, Role
from ocpi_hub.dialects.losses import Direction, Lost
from ocpi_hub.dialects.v211.credentials import (
    credentials_in,
    credentials_out,
    endpoints_in,
    endpoints_out,
)
from ocpi_hub.dialects.v211.status_codes import status_code_out
from ocpi_hub.errors import InvalidParameters
from tests.dialects.v211.test_tokens import assert_211

HUB = "https://hub.example/ocpi/2.2.1"
TOKEN = "4f1c7a2e-hub-token"


def role(kind: str, country: str, party: str) -> dict[str, Any]:
    return {
        "role": kind,
        "business_details": {"name": f"{party} B.V."},
        "party_id": party,
        "country_code": country,
    }


def credentials_221(*roles: dict[str, Any]) -> dict[str, Any]:
    return {"token": TOKEN, "url": f"{HUB}/versions", "roles": list(roles)}


# --- Credentials -------------------------------------------------------------------------------


def test_credentials_out_puts_the_one_role_at_the_top() -> None:
    """One CredentialsRole → top-level party_id, country_code, business_details; no Loss."""
    creds = credentials_221(role("HUB", "NL", "HUB"))
    before = copy.deepcopy(creds)
    out, losses = credentials_out(creds)
    assert out == {
        "token": TOKEN,
        "url": f"{HUB}/versions",
        "business_details": {"name": "HUB B.V."},
        "party_id": "HUB",
        "country_code": "NL",
    }
    assert losses == []
    assert_211("Credentials", out)
    assert creds == before


@pytest.mark.parametrize("wanted", [Role.EMSP, "EMSP"])
def test_credentials_out_presents_the_role_named_and_drops_the_others(wanted: Role | str) -> None:
    """The role named is the 2.1.1 party; every other role is DROPPED (one party per 2.1.1
    connection, §2)."""
    creds = credentials_221(role("CPO", "NL", "CPA"), role("EMSP", "DE", "EMA"))
    out, losses = credentials_out(creds, wanted)
    assert (out["country_code"], out["party_id"]) == ("DE", "EMA")
    assert [(x.field, x.direction, x.lost, x.example) for x in losses] == [
        ("roles[]", Direction.OUT, Lost.DROPPED, "CPO NL*CPA")
    ]
    assert_211("Credentials", out)


def test_credentials_out_without_a_role_takes_the_first() -> None:
    """No role named: the first one."""
    out, losses = credentials_out(
        credentials_221(role("CPO", "NL", "CPA"), role("EMSP", "DE", "EMA"))
    )
    assert out["party_id"] == "CPA" and len(losses) == 1


def test_credentials_out_refuses_a_role_it_does_not_hold() -> None:
    """Asked for an eMSP the credentials do not have: 2001 naming roles."""
    with pytest.raises(InvalidParameters, match="roles"):
        credentials_out(credentials_221(role("CPO", "NL", "CPA")), Role.EMSP)


@pytest.mark.parametrize("invited", [Role.CPO, "EMSP"])
def test_credentials_in_makes_one_role_of_the_party(invited: Role | str) -> None:
    """roles=[{role, business_details, party_id, country_code}], the role GUESSED from the
    invitation (2.1.1 credentials carry none)."""
    creds = {
        "token": "peer-token",
        "url": "https://cpo.example/ocpi/versions",
        "business_details": {"name": "Example CPO", "website": "https://cpo.example"},
        "party_id": "CPA",
        "country_code": "NL",
    }
    before = copy.deepcopy(creds)
    out, losses = credentials_in(creds, invited)
    expected_role = Role(invited).value
    assert out == {
        "token": "peer-token",
        "url": "https://cpo.example/ocpi/versions",
        "roles": [
            {
                "role": expected_role,
                "business_details": {"name": "Example CPO", "website": "https://cpo.example"},
                "party_id": "CPA",
                "country_code": "NL",
            }
        ],
    }
    assert [(x.field, x.direction, x.lost, x.example) for x in losses] == [
        ("roles[].role", Direction.IN, Lost.GUESSED, expected_role)
    ]
    Credentials.model_validate(out)
    assert creds == before


@pytest.mark.parametrize("missing", ["business_details", "party_id", "country_code"])
def test_credentials_in_refuses_an_incomplete_party(missing: str) -> None:
    """Without its party there is no role to make: 2001 naming the 2.1.1 field."""
    creds = {"token": "t", "url": "https://cpo.example/v", "business_details": {"name": "X"}}
    creds |= {"party_id": "CPA", "country_code": "NL"}
    del creds[missing]
    with pytest.raises(InvalidParameters, match=missing):
        credentials_in(creds, Role.CPO)


def test_credentials_round_trip_keeps_a_single_role() -> None:
    """2.2.1 → 2.1.1 → 2.2.1 with the same role gives the credentials back."""
    creds = credentials_221(role("CPO", "NL", "CPA"))
    out, _ = credentials_out(creds)
    back, _ = credentials_in(out, Role.CPO)
    assert back == creds


# --- Version details ---------------------------------------------------------------------------

MODULES = ("locations", "tariffs", "sessions", "cdrs", "tokens", "commands")


def hub_endpoints() -> list[dict[str, Any]]:
    """The hub's 2.2.1 endpoints: both sides of every functional module, and 2.2.1-only ones."""
    listed = [{"identifier": "credentials", "role": "SENDER", "url": f"{HUB}/credentials"}]
    for module in (*MODULES, "hubclientinfo", "chargingprofiles"):
        for side in ("SENDER", "RECEIVER"):
            url = f"{HUB}/{side.lower()}/{module}"
            listed.append({"identifier": module, "role": side, "url": url})
    listed.append({"identifier": "x-custom", "role": "SENDER", "url": f"{HUB}/x"})
    return listed


CPO_INTERFACE = {
    "credentials": "SENDER",
    "locations": "SENDER",
    "tariffs": "SENDER",
    "sessions": "SENDER",
    "cdrs": "SENDER",
    "tokens": "RECEIVER",
    "commands": "RECEIVER",
}
EMSP_INTERFACE = {
    "credentials": "SENDER",
    "locations": "RECEIVER",
    "tariffs": "RECEIVER",
    "sessions": "RECEIVER",
    "cdrs": "RECEIVER",
    "tokens": "SENDER",
    "commands": "SENDER",
}


@pytest.mark.parametrize(
    ("peer", "shown"),
    [(Role.CPO, EMSP_INTERFACE), ("EMSP", CPO_INTERFACE), ("CPO", EMSP_INTERFACE)],
)
def test_endpoints_out_show_a_peer_the_other_side(peer: Role | str, shown: dict[str, str]) -> None:
    """A CPO peer sees the hub's eMSP interface, an eMSP peer its CPO interface; credentials
    always; no hubclientinfo, chargingprofiles nor custom modules; no roles (§1.7)."""
    out = endpoints_out(hub_endpoints(), peer)
    assert out == [
        {
            "identifier": module,
            "url": f"{HUB}/credentials"
            if module == "credentials"
            else f"{HUB}/{shown[module].lower()}/{module}",
        }
        for module in ("credentials", *MODULES)
    ]
    assert_211("VersionDetails", {"version": "2.1.1", "endpoints": out})


def test_endpoints_out_leaves_out_a_module_without_the_side_needed() -> None:
    """A module the hub has only on the wrong side is not offered."""
    listed = [{"identifier": "tokens", "role": "RECEIVER", "url": f"{HUB}/tokens"}]
    assert endpoints_out(listed, Role.CPO) == []
    assert endpoints_out(listed, Role.EMSP) == [{"identifier": "tokens", "url": f"{HUB}/tokens"}]


@pytest.mark.parametrize(
    ("peer", "interface"), [("CPO", CPO_INTERFACE), (Role.EMSP, EMSP_INTERFACE)]
)
def test_endpoints_in_give_each_module_its_interface_role(
    peer: Role | str, interface: dict[str, str]
) -> None:
    """A 2.1.1 party's endpoints get the 2.2.1 role its interface means (§1.7); identifiers
    2.1.1 does not define are left out."""
    listed = [
        {"identifier": module, "url": f"https://peer.example/{module}"}
        for module in (*interface, "hubclientinfo", "nltnm-tokens")
    ]
    out = endpoints_in(listed, peer)
    assert out == [
        {"identifier": m, "role": r, "url": f"https://peer.example/{m}"}
        for m, r in interface.items()
    ]
    for endpoint in out:
        Endpoint.model_validate(endpoint)


@pytest.mark.parametrize("peer", [Role.CPO, Role.EMSP])
def test_endpoints_out_read_back_as_the_opposite_party_are_the_hubs(peer: Role) -> None:
    """What the hub shows a peer, read as a 2.1.1 party of the opposite role, is the hub's own
    2.2.1 endpoints: the two tables agree."""
    opposite = Role.EMSP if peer is Role.CPO else Role.CPO
    shown = endpoints_out(hub_endpoints(), peer)
    back = endpoints_in(shown, opposite)
    assert all(endpoint in hub_endpoints() for endpoint in back)
    assert len(back) == len(shown) == 7


@pytest.mark.parametrize("peer", ["HUB", "NSP", "nobody"])
def test_endpoints_refuse_a_role_211_does_not_know(peer: str) -> None:
    """2.1.1 parties are CPOs or eMSPs."""
    with pytest.raises(ValueError):
        endpoints_out(hub_endpoints(), peer)
    with pytest.raises(ValueError):
        endpoints_in([], peer)


# --- Status codes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (1000, 1000),
        (1900, 1000),
        (1999, 1000),
        (2000, 2000),
        (2001, 2001),
        (2002, 2002),
        (2003, 2003),
        (2004, 2000),
        (2900, 2000),
        (2999, 2000),
        (3000, 3000),
        (3001, 3001),
        (3002, 3002),
        (3003, 3003),
        (3900, 3000),
        (3999, 3000),
        (4000, 3000),
        (4001, 3000),
        (4003, 3000),
        (4900, 3000),
        (4999, 3000),
    ],
)
def test_status_code_out_maps_what_211_lacks(code: int, expected: int) -> None:
    """§1.2: 2004, custom ranges and hub errors onto the nearest 2.1.1 code; the rest as is."""
    assert status_code_out(code) == expected
