"""OCPI 2.1.1 laid over a dialect (dialects.v211.speaking): the version's rules, the dialect's
own kept (issue 11; ocpi-2.1.1-differences.md §1.1, §1.7, §8)."""

from __future__ import annotations

import pytest

from ocpi_hub.core.handshake import pick_version
from ocpi_hub.core.parties import Platform, PlatformStatus, Version
from ocpi_hub.dialects import GIREVE, HUBJECT, OCPI_221, authorization_value, spoken_by
from ocpi_hub.dialects.v211 import V211, V221, VERSIONS, speaking
from ocpi_hub.errors import UnsupportedVersion


def test_221_and_unknown_versions_leave_the_dialect_as_it_is() -> None:
    """A platform in 2.2.1, or not yet negotiated, speaks its dialect unchanged."""
    assert speaking(GIREVE, V221) is GIREVE
    assert speaking(GIREVE, None) is GIREVE


def test_211_sends_the_raw_token_and_no_routing_headers() -> None:
    """2.1.1 tokens travel raw (§1.1) and 2.1.1 has no OCPI-to/from."""
    spoken = speaking(OCPI_221, V211)
    assert spoken.version == V211
    assert authorization_value(spoken, "abc") == "Token abc"
    assert authorization_value(OCPI_221, "abc") != "Token abc"
    assert not spoken.routing_headers


def test_211_lacks_two_modules_and_a_command_and_sessions_go_whole() -> None:
    """No hubclientinfo/chargingprofiles (§1.7), no CANCEL_RESERVATION (§8); Sessions PUT."""
    spoken = speaking(GIREVE, V211)
    assert {"hubclientinfo", "chargingprofiles"} <= spoken.missing_modules
    assert "CANCEL_RESERVATION" in spoken.missing_commands
    assert "sessions" in spoken.put_instead_of_patch
    # The dialect's own rules stay on top of the version's.
    assert GIREVE.missing_commands <= spoken.missing_commands
    assert spoken.page_limits == GIREVE.page_limits
    assert spoken.hub_party == GIREVE.hub_party


def test_a_bridged_dialect_is_not_ocpi_and_has_no_211() -> None:
    """Hubject is OICP through a bridge: no OCPI version to lay over it."""
    assert speaking(HUBJECT, V211) is HUBJECT


def test_a_platform_speaks_its_dialect_in_its_version() -> None:
    """spoken_by reads the platform's negotiated version."""
    platform = Platform(1, "p", PlatformStatus.REGISTERED, version=V211, dialect="gireve")
    assert spoken_by(platform).version == V211
    assert spoken_by(platform).name == "gireve"


def test_the_highest_version_both_sides_share_is_picked() -> None:
    """connect prefers 2.2.1 and falls back to 2.1.1; neither is 3002."""
    both = [Version(version=v, url=f"https://p.test/{v}") for v in ("2.1.1", "2.2.1", "2.0")]
    assert pick_version(both, VERSIONS).version == V221
    only = [Version(version="2.1.1", url="https://p.test/211")]
    assert pick_version(only, VERSIONS).version == V211
    with pytest.raises(UnsupportedVersion):
        pick_version([Version(version="2.0", url="https://p.test/20")], VERSIONS)
