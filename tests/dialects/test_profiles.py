"""The shipped dialect profiles hold the rules their sources state (hub-dialects.md), one test
per rule group, each naming its source; and every rule of every profile names its source."""

from __future__ import annotations

import ast
from dataclasses import fields
from pathlib import Path

import pytest

from ocpi_hub.core.modules.commands import CommandType
from ocpi_hub.core.parties import ModuleID
from ocpi_hub.dialects import (
    DEFAULT,
    DIALECTS,
    Delivery,
    Dialect,
    Presents,
    PullSchedule,
    UnknownDialect,
    dialect,
)
from ocpi_hub.dialects.rules import RULES, rule_names

DIALECTS_DIR = Path(__file__).parents[2] / "ocpi_hub" / "dialects"
GIREVE, ENAPI, ECLEARING, LENIENT, SPEC = (
    dialect(n) for n in ("gireve", "enapi", "eclearing", "lenient", "ocpi-2.2.1")
)


def test_registry_ships_the_profiles_spec_first() -> None:
    """Issue 8 "Profiles shipped": ocpi-2.2.1 (the default), gireve, enapi, eclearing, lenient;
    issue 10 adds hubject (OICP 2.3 through the bridge)."""
    assert list(DIALECTS) == ["ocpi-2.2.1", "gireve", "enapi", "eclearing", "lenient", "hubject"]
    assert DEFAULT == "ocpi-2.2.1"
    assert all(DIALECTS[name].name == name for name in DIALECTS)


def test_unknown_dialect_names_the_known_ones() -> None:
    """dialect(NAME) of no profile: UnknownDialect whose message lists every known name."""
    with pytest.raises(UnknownDialect) as raised:
        dialect("gireve-2.1.1")
    assert all(name in str(raised.value) for name in DIALECTS)


def test_spec_profile_is_every_default() -> None:
    """hub-dialects.md §1: ocpi-2.2.1 is the spec strictly, every rule at its Dialect default."""
    bare = Dialect(name=SPEC.name, summary=SPEC.summary, sources=SPEC.sources)
    assert bare == SPEC


@pytest.mark.parametrize("name", list(DIALECTS))
def test_every_rule_of_every_profile_names_its_source(name: str) -> None:
    """Every rule has a source citing hub-dialects.md (§n) or the issue, marked [S], [I] or [?]."""
    found = dialect(name)
    assert set(found.sources) == set(rule_names()) == set(RULES)
    for rule, source in found.sources.items():
        assert source.startswith(("§", "issue 8")), (rule, source)
        assert any(mark in source for mark in ("[S]", "[I]", "[?]")), (rule, source)


@pytest.mark.parametrize("name", [n for n in DIALECTS if n != "ocpi-2.2.1"])
def test_every_rule_in_a_profile_file_has_a_comment(name: str) -> None:
    """Each rule a profile module states has its own comment naming its source (§n or the
    issue); rules it leaves at the spec default are sourced in `sources` alone."""
    path = DIALECTS_DIR / f"{name}.py"
    text = path.read_text()
    call = next(
        node
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Dialect"
    )
    lines = text.splitlines()
    stated = {kw.arg: kw.lineno for kw in call.keywords if kw.arg not in ("name", "summary")}
    assert set(stated) - {"sources"} <= set(rule_names())
    for rule, lineno in stated.items():
        # The comment is on the rule's line or in the comment block right above it.
        above = lineno - 2
        block = [lines[lineno - 1]]
        while above >= 0 and lines[above].strip().startswith("#"):
            block.append(lines[above])
            above -= 1
        assert rule == "sources" or "§" in " ".join(block) or "issue 8" in " ".join(block), rule


def test_module_and_command_names_are_the_spec_identifiers() -> None:
    """Missing modules, PATCH modules, page caps and required/added keys use ModuleID values;
    missing commands and "commands/<X>" keys use CommandType values, so the seam can match them;
    "tokens/authorize" keys a real-time authorization's LocationReferences."""
    modules = {m.value for m in ModuleID}
    commands = {c.value for c in CommandType}
    for d in DIALECTS.values():
        assert d.missing_modules <= modules and d.put_instead_of_patch <= modules
        assert set(d.page_limits) <= modules and set(d.added_fields) <= modules
        assert d.missing_commands <= commands
        for key in d.required_fields:
            module, _, command = key.partition("/")
            operations = commands if module == "commands" else {"authorize"}
            assert module in modules and (not command or command in operations), key


def test_gireve_identity_and_routing() -> None:
    """hub-dialects.md §2.1, §2.2 [S]: HUB FR*007 (production), OCPI-to/from mandatory, 2.2.1
    with base64 token (§0), and it configures operators manually: we present the HUB only."""
    assert GIREVE.hub_party == ("FR", "007")
    assert GIREVE.routing_headers is True
    assert (GIREVE.version, GIREVE.token_base64) == ("2.2.1", True)
    assert GIREVE.presents is Presents.HUB


def test_gireve_modules_commands_and_patch() -> None:
    """hub-dialects.md §2.3 [S]: no ChargingProfiles nor HubClientInfo, only START/STOP_SESSION,
    no PATCH of Tokens nor (choice [I], §2.5) Sessions."""
    assert GIREVE.missing_modules == {"chargingprofiles", "hubclientinfo"}
    assert GIREVE.missing_commands == {"RESERVE_NOW", "CANCEL_RESERVATION", "UNLOCK_CONNECTOR"}
    assert GIREVE.put_instead_of_patch == {"tokens", "sessions"}
    assert GIREVE.hubclientinfo_partial is False


def test_gireve_page_caps() -> None:
    """hub-dialects.md §0 [S]: caps 100 Locations, 1000 Tokens, 20 CDRs, 100 Tariffs."""
    assert GIREVE.page_limits == {"locations": 100, "tokens": 1000, "cdrs": 20, "tariffs": 100}


def test_gireve_required_and_added_fields() -> None:
    """hub-dialects.md §2.3 [S]: Location extra mandatory fields, Tariff start_date_time,
    START_SESSION evse_uid, an authorization's location_id; gireve_id and target_operator_*
    added (kept)."""
    assert set(GIREVE.required_fields["locations"]) == {
        "owner.name",
        "operator.name",
        "evses[].capabilities",
        "evses[].connectors[].tariff_ids",
        "evses[].evse_id",
    }
    assert GIREVE.required_fields["tariffs"] == ("start_date_time",)
    assert GIREVE.required_fields["commands/START_SESSION"] == ("evse_uid",)
    assert GIREVE.required_fields["tokens/authorize"] == ("location_id",)
    assert "evses[].connectors[].gireve_id" in GIREVE.added_fields["locations"]
    assert "target_operator_party_id" in GIREVE.added_fields["tariffs"]


def test_gireve_timestamps_delivery_and_push() -> None:
    """hub-dialects.md §2.4 [S]: naive timestamps accepted; §2.3 [S]: FIFO store-and-forward,
    push only (we never pull it); ids CiString ([?], the spec kept)."""
    assert GIREVE.lenient_timestamps is True
    assert GIREVE.delivery is Delivery.FIFO
    assert GIREVE.pull is None
    assert (GIREVE.ids_case_sensitive, GIREVE.evse_ids_normalised) == (False, False)


def test_enapi_identity_routing_and_token() -> None:
    """hub-dialects.md §3 [S]: HUB role, DE*ENA (2.1.1 id; 2.2.1 id [?], chosen), routing headers
    optional; token encoding per platform [S], base64 chosen [I]; we present our parties [I]."""
    assert ENAPI.hub_party == ("DE", "ENA")
    assert ENAPI.routing_headers is False
    assert ENAPI.token_base64 is True
    assert ENAPI.presents is Presents.PARTIES


def test_enapi_modules_and_hubclientinfo() -> None:
    """hub-dialects.md §3 [S]: ChargingProfiles not implemented; HubClientInfo partial (a PUT
    when an agreement is signed, the cue for a full pull)."""
    assert ENAPI.missing_modules == {"chargingprofiles"}
    assert ENAPI.missing_commands == frozenset()
    assert ENAPI.hubclientinfo_partial is True


def test_enapi_pull_schedule() -> None:
    """hub-dialects.md §3 [S]: ENAPI pulls delta daily and full weekly; we mirror it [I]."""
    assert ENAPI.pull == PullSchedule(delta_every=86400.0, full_every=7 * 86400.0)
    assert ENAPI.delivery is Delivery.PER_OBJECT


def test_eclearing_ids_and_evse_ids() -> None:
    """hub-dialects.md §4 [S]: all ids case-sensitive, also in 2.2.1; EVSE ids normalised."""
    assert ECLEARING.ids_case_sensitive is True
    assert ECLEARING.evse_ids_normalised is True
    assert ECLEARING.lower_case_ids is False


def test_eclearing_modules_and_delivery() -> None:
    """hub-dialects.md §4 [S]: ChargingProfiles not implemented; pushes through a FIFO queue;
    routing headers sent ([?], chosen), hub party learned ([?])."""
    assert ECLEARING.missing_modules == {"chargingprofiles"}
    assert ECLEARING.delivery is Delivery.FIFO
    assert ECLEARING.pull is None
    assert ECLEARING.routing_headers is True
    assert ECLEARING.hub_party is None


def test_lenient_peer_deviations() -> None:
    """Issue 8 "Profiles shipped": 403 instead of 401, errors without envelope, a one-item list
    for a single GET, lower-cased ids (CiString equal)."""
    assert LENIENT.forbidden_as_unauthorized is True
    assert LENIENT.errors_without_envelope is True
    assert LENIENT.single_object_as_list is True
    assert LENIENT.lower_case_ids is True
    assert LENIENT.ids_case_sensitive is False


def test_lenient_chosen_leniencies() -> None:
    """hub-dialects.md §1 [I] direct-peer pitfalls, chosen: naive timestamps accepted, EVSE ids
    normalised; a direct peer (no hub party, no routing headers), base64 token."""
    assert LENIENT.lenient_timestamps is True
    assert LENIENT.evse_ids_normalised is True
    assert (LENIENT.hub_party, LENIENT.routing_headers, LENIENT.token_base64) == (
        None,
        False,
        True,
    )


def test_only_lenient_has_the_direct_peer_deviations() -> None:
    """The four direct-peer deviations are the lenient profile's alone (§2-§4 [?] elsewhere)."""
    deviations = [
        "forbidden_as_unauthorized",
        "errors_without_envelope",
        "single_object_as_list",
        "lower_case_ids",
    ]
    for d in DIALECTS.values():
        assert all(getattr(d, f) is (d is LENIENT) for f in deviations), d.name


def test_dialect_fields_are_kept() -> None:
    """The seam's field names (the lead codes against them) are all still there."""
    names = {f.name for f in fields(Dialect)}
    assert {
        "version", "token_base64", "routing_headers", "hub_party", "missing_modules",
        "missing_commands", "put_instead_of_patch", "page_limits", "ids_case_sensitive",
        "evse_ids_normalised", "required_fields", "lenient_timestamps", "delivery", "presents",
        "pull", "forbidden_as_unauthorized", "errors_without_envelope", "single_object_as_list",
        "lower_case_ids", "sources",
    } <= names  # fmt: skip


def test_dialects_package_is_sans_io() -> None:
    """ocpi_hub/dialects is data and pure functions: no aiohttp, asyncpg, storage, web nor push."""
    banned = ("aiohttp", "asyncpg", "ocpi_hub.storage", "ocpi_hub.web", "ocpi_hub.push")
    for path in DIALECTS_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not [n for n in names if n.startswith(banned)], (path.name, names)
