"""`conformance --version 2.1.1` against a 2.1.1 CPO endpoint (tests/e2e/fakes211.py): a correct
one passes whole; a 2.2.1-shaped object or a missing 2.1.1 field in a list fails the run, the
message naming the field; the 2.1.1 tables themselves."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from conformance import checks
from conformance.context import Options
from conformance.model import ONLY_221, Outcome, Role
from conformance.runner import Run
from conformance.validate import errors, validate
from tests.conformance.conftest import failures, run_suite
from tests.e2e.fakes211 import FakeParty211, cpo211, location211
from tests.factories import location as location_221

Checked = Callable[[FakeParty211], Awaitable[Run]]


@pytest.fixture
async def checked() -> AsyncIterator[Checked]:
    """Run the suite in 2.1.1 against a started 2.1.1 CPO fake."""
    started: list[FakeParty211] = []

    async def check(fake: FakeParty211) -> Run:
        await fake.start()
        started.append(fake)
        options = Options(
            fake.versions_url, Role.CPO, token_a=fake.issue_token_a(), version="2.1.1"
        )
        return await run_suite(options)

    yield check
    for fake in started:
        await fake.stop()


def _result(run: Run, check_id: str) -> Any:
    return next(r for r in run.results if r.check_id == check_id)


async def test_a_correct_211_cpo_passes(checked: Checked) -> None:
    """A 2.1.1 CPO endpoint: nothing FAILs; lists, objects, pagination and the credentials
    life cycle PASS; the 2.2.1-only checks are NOT_APPLICABLE."""
    result = await checked(cpo211())
    print("\n".join(f"{r.outcome} {r.check_id} {r.message}" for r in result.results))
    assert not result.failed, failures(result)
    outcomes = {r.check_id: r.outcome for r in result.results}
    for check_id in (
        "versions.list",
        "versions.details",
        "credentials.registration",
        "credentials.callback",
        "credentials.get",
        "credentials.post_again",
        "credentials.put_rotates",
        "credentials.delete",
        "transport.auth_unknown",
        "transport.invalid_json",
        "objects.locations",
        "objects.tariffs",
        "objects.sessions",
        "objects.cdrs",
        "pagination.headers",
        "pagination.link",
        "pagination.walk",
        "pagination.offset",
        "modules.locations.sender_object",
    ):
        assert outcomes[check_id] == Outcome.PASS, (check_id, failures(result))
    for check_id in ("transport.request_ids", "transport.routing_headers", "credentials.roles"):
        assert outcomes[check_id] == Outcome.NOT_APPLICABLE


async def test_a_221_shaped_location_fails_naming_the_field(checked: Checked) -> None:
    """A 2.2.1 Location in a 2.1.1 list: objects.locations FAILs naming `type` and `voltage`."""
    fake = cpo211()
    fake.sender_data["locations"][2] = location_221("NL", "CPA", "LOC3")
    result = await checked(fake)
    verdict = _result(result, "objects.locations")
    assert verdict.outcome == Outcome.FAIL
    assert "Location[2] NL/CPA/LOC3.type: is required" in verdict.message
    assert "voltage: is required" in verdict.message


async def test_a_missing_211_field_fails_naming_it(checked: Checked) -> None:
    """A 2.1.1 Tariff without currency, a Session without auth_id: the run fails naming each."""
    fake = cpo211()
    del fake.sender_data["tariffs"][0]["currency"]
    del fake.sender_data["sessions"][1]["auth_id"]
    result = await checked(fake)
    assert result.failed
    tariffs = _result(result, "objects.tariffs")
    sessions = _result(result, "objects.sessions")
    assert tariffs.outcome == sessions.outcome == Outcome.FAIL
    assert ".currency: is required" in tariffs.message
    assert ".auth_id: is required" in sessions.message


def test_211_tables_know_the_211_shapes() -> None:
    """The 2.1.1 tables: 6-decimal coordinates, Hours a choice, no 2.2.1 enum values."""
    good = location211("LOC1")
    assert errors(validate("Location", good, version="2.1.1")) == []
    seven = {**good, "coordinates": {"latitude": "52.0894440", "longitude": "5.1100000"}}
    assert any("latitude" in p.path for p in validate("Location", seven, version="2.1.1"))
    no_hours = {**good, "opening_times": {"exceptional_openings": []}}
    assert errors(validate("Location", no_hours, version="2.1.1"))
    motorway = {**good, "type": "ALONG_MOTORWAY"}
    assert "is not a LocationType" in str(validate("Location", motorway, version="2.1.1"))
    strict = validate("Location", {**good, "publish": True}, version="2.1.1", strict=True)
    assert [p.path for p in strict] == ["Location.publish"]


def test_version_filter_is_data() -> None:
    """Each 2.2.1-only check says so in its registration, none by an if of its own."""
    registry = checks.load()
    only_221 = {c.id for c in registry.values() if c.versions == ONLY_221}
    assert {"transport.routing_headers", "credentials.roles", "objects.clientinfo"} <= only_221
    assert "objects.locations" not in only_221
