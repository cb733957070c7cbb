"""The conformance suite against ocpi-hub itself (a real hub on loopback with its own
PostgreSQL database): it must pass whole, with no FAIL and no WARN, in every role the hub can
be checked as. A FAIL here is a hub bug or a suite bug, never a reason to weaken a check.

The hub's role is HUB; its versions, credentials, transport, pagination and object checks are
the same as any party's, so `--role HUB` runs them (the HUB-only checks, ids `hub.*`, are
skipped here). The hub also offers every CPO-facing and eMSP-facing interface, so it is
checked as a CPO (the suite as an eMSP) and as an eMSP (the suite as a CPO) too.
"""

from __future__ import annotations

import ast
from pathlib import Path

from conformance import checks
from conformance.context import Options
from conformance.model import Outcome, Role
from conformance.runner import Run
from tests.conformance.conftest import SUITE, SeededHub, failures, run_suite, seed


def not_applicable(result: Run) -> set[str]:
    return {r.check_id for r in result.results if r.outcome == Outcome.NOT_APPLICABLE}


def assert_whole(result: Run) -> None:
    assert not result.failed, failures(result)
    assert result.count(Outcome.WARN) == 0, failures(result)


async def test_hub_role_passes_whole(seeded_hub: SeededHub) -> None:
    """--role HUB, the suite as an eMSP: everything passes; only Tokens are not applicable
    (an eMSP sees only its own, and the suite has none)."""
    hub = seeded_hub.hub
    token_a = await hub.invite("EMSP", *SUITE)
    await seed(hub, seeded_hub.cpo, seeded_hub.emsp, SUITE)
    result = await run_suite(Options(hub.versions_url, Role.HUB, token_a=token_a, skip=("hub.*",)))
    assert_whole(result)
    assert not_applicable(result) == {"objects.tokens"}
    selected = checks.select(Role.HUB, skip=("hub.*",))
    assert [r.check_id for r in result.results] == [c.id for c in selected]


async def test_hub_role_as_a_cpo_pages_the_tokens(seeded_hub: SeededHub) -> None:
    """--role HUB, the suite as a CPO: the Tokens list (every eMSP's) passes too; Sessions and
    CDRs are other parties' personal data, so the suite sees none."""
    hub = seeded_hub.hub
    token_a = await hub.invite("CPO", *SUITE)
    await seed(hub, seeded_hub.cpo, seeded_hub.emsp, ("DE", "EMA"))
    options = Options(hub.versions_url, Role.HUB, token_a=token_a, as_role="CPO", skip=("hub.*",))
    result = await run_suite(options)
    assert_whole(result)
    assert not_applicable(result) == {"objects.sessions", "objects.cdrs"}
    tokens = next(r for r in result.results if r.check_id == "objects.tokens")
    assert tokens.outcome == Outcome.PASS and "3 Token" in tokens.message


async def test_cpo_role_passes_whole(seeded_hub: SeededHub) -> None:
    """--role CPO (the suite as an eMSP): the hub's CPO-facing interfaces pass, writes
    included (a CONFTEST Token, a command for an unknown Location)."""
    hub = seeded_hub.hub
    token_a = await hub.invite("EMSP", *SUITE)
    await seed(hub, seeded_hub.cpo, seeded_hub.emsp, SUITE)
    result = await run_suite(Options(hub.versions_url, Role.CPO, token_a=token_a))
    assert_whole(result)
    # A Hub announces HUB, not CPO (credentials §3.1).
    assert not_applicable(result) == {"credentials.roles"}


async def test_emsp_role_passes_whole(seeded_hub: SeededHub) -> None:
    """--role EMSP (the suite as a CPO): the hub's eMSP-facing interfaces pass; Sessions and
    CDRs need an eMSP party of the endpoint to address, which a Hub does not announce."""
    hub = seeded_hub.hub
    token_a = await hub.invite("CPO", *SUITE)
    await seed(hub, seeded_hub.cpo, seeded_hub.emsp, ("DE", "EMA"))
    result = await run_suite(Options(hub.versions_url, Role.EMSP, token_a=token_a))
    assert_whole(result)
    assert not_applicable(result) == {
        "credentials.roles",
        "modules.sessions.receiver",
        "modules.cdrs.receiver",
    }


async def test_read_only_leaves_the_registration_in_place(seeded_hub: SeededHub) -> None:
    """--read-only against the hub: no FAIL, and the suite's token C still works afterwards
    (no rotation, no DELETE)."""
    hub = seeded_hub.hub
    token_a = await hub.invite("EMSP", *SUITE)
    await seed(hub, seeded_hub.cpo, seeded_hub.emsp, SUITE)
    options = Options(hub.versions_url, Role.CPO, token_a=token_a, read_only=True)
    result = await run_suite(options)
    assert_whole(result)
    registration = next(r for r in result.results if r.check_id == "credentials.registration")
    token_c = registration.evidence[-1].data["token"]
    again = await run_suite(Options(hub.versions_url, Role.CPO, token_c=token_c, read_only=True))
    assert_whole(again)


def test_the_suite_imports_nothing_of_the_hub() -> None:
    """The suite is a black box over HTTP: no module of conformance/ imports ocpi_hub."""
    package = Path(__file__).resolve().parents[2] / "conformance"
    for path in package.rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            assert not [n for n in names if n.split(".")[0] == "ocpi_hub"], path


async def test_cpo_role_in_211_passes_whole(seeded_hub: SeededHub) -> None:
    """--version 2.1.1 --role CPO (the suite a 2.1.1 eMSP): the hub's 2.1.1 side passes, its
    lists translated from what 2.2.1 parties pushed (issue 11)."""
    hub = seeded_hub.hub
    token_a = await hub.invite("EMSP", *SUITE)
    await seed(hub, seeded_hub.cpo, seeded_hub.emsp, SUITE)
    result = await run_suite(Options(hub.versions_url, Role.CPO, token_a=token_a, version="2.1.1"))
    assert_whole(result)


async def test_emsp_role_in_211_passes_whole(seeded_hub: SeededHub) -> None:
    """--version 2.1.1 --role EMSP (the suite a 2.1.1 CPO): the hub's 2.1.1 eMSP side passes."""
    hub = seeded_hub.hub
    token_a = await hub.invite("CPO", *SUITE)
    await seed(hub, seeded_hub.cpo, seeded_hub.emsp, ("DE", "EMA"))
    options = Options(hub.versions_url, Role.EMSP, token_a=token_a, version="2.1.1")
    assert_whole(await run_suite(options))
