"""The suite against a fake endpoint: whole when the fake is right, and with each fault
switched on, exactly the checks that should FAIL do, with the evidence attached and a message
naming the problem (a check that cannot fail is a defect)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from conformance import checks
from conformance.client import OcpiClient, ReadOnlyRefused
from conformance.context import Options
from conformance.model import Check, Outcome, Role, Verdict
from conformance.runner import Run
from tests.conformance.conftest import failures, run_suite
from tests.conformance.fake_endpoint import FakeEndpoint
from tests.conftest import free_socket

ROLES = {
    Role.CPO: [("CPO", "NL", "CPA")],
    Role.EMSP: [("EMSP", "NL", "EMP")],
    Role.HUB: [("HUB", "XX", "HUB")],
}

Checked = Callable[..., Awaitable[Run]]


@pytest.fixture
async def checked() -> AsyncIterator[Checked]:
    """Run the suite against a fake endpoint with the given faults."""
    started: list[FakeEndpoint] = []

    async def check(role: Role, *faults: str, **options: object) -> Run:
        fake = await FakeEndpoint(roles=ROLES[role], faults=set(faults)).start()
        started.append(fake)
        return await run_suite(Options(fake.versions_url, role, token_a=fake.token_a, **options))  # type: ignore[arg-type]

    yield check
    for fake in started:
        await fake.stop()


@pytest.mark.parametrize("role", list(Role))
async def test_a_correct_endpoint_passes_whole(checked: Checked, role: Role) -> None:
    """With no fault the fake is a correct endpoint: nothing FAILs or WARNs, in every role."""
    result = await checked(role)
    print("\n".join(f"{r.outcome} {r.check_id} {r.message}" for r in result.results))
    assert not result.failed, failures(result)
    assert result.count(Outcome.WARN) == 0, failures(result)


# (fault, role of the endpoint, the checks that must FAIL, a fragment of the first one's message)
BROKEN = [
    ("no_timestamp", Role.CPO, {"transport.envelope"}, "timestamp is missing"),
    ("offset_timestamp", Role.CPO, {"transport.timestamp"}, "UTC offset"),
    (
        "no_request_id",
        Role.CPO,
        {"transport.request_ids", "transport.request_ids_on_error"},
        "X-Request-ID not echoed",
    ),
    ("routing_on_config", Role.CPO, {"transport.routing_headers"}, "configuration module"),
    ("no_routing_headers", Role.HUB, {"transport.routing_headers"}, "needed: hub"),
    ("auth_optional", Role.CPO, {"transport.auth_missing"}, "no Authorization header"),
    (
        "any_token",
        Role.CPO,
        {"transport.auth_unknown", "credentials.token_a_dead", "credentials.put_rotates"},
        "an unknown token was answered",
    ),
    ("raw_only", Role.CPO, {"transport.auth_base64"}, "Base64 token refused"),
    ("token_a_everywhere", Role.CPO, {"transport.token_a_scope"}, "token A on a functional"),
    ("json_500", Role.CPO, {"transport.invalid_json"}, "invalid JSON was answered"),
    ("versions_22", Role.CPO, {"versions.list", "credentials.registration"}, "2.2.1 is not"),
    ("bad_endpoint_role", Role.CPO, {"versions.details"}, "'SENDERS' is not a InterfaceRole"),
    (
        "no_credentials_endpoint",
        Role.CPO,
        {"versions.credentials_endpoint", "credentials.registration"},
        "no credentials endpoint",
    ),
    (
        "bad_token_c",
        Role.CPO,
        {"credentials.registration", "credentials.get"},
        "not a valid CredentialsToken",
    ),
    (
        "no_callback",
        Role.CPO,
        {"credentials.callback", "credentials.put_rotates"},
        "did not GET our versions",
    ),
    ("token_a_lives", Role.CPO, {"credentials.token_a_dead"}, "token A still works"),
    (
        "credentials_without_url",
        Role.CPO,
        {"credentials.registration", "credentials.get"},
        "data.url: is required",
    ),
    ("post_again_ok", Role.CPO, {"credentials.post_again"}, "second POST answered"),
    ("old_token_lives", Role.CPO, {"credentials.put_rotates"}, "the old token still works"),
    ("delete_keeps", Role.CPO, {"credentials.delete"}, "still served after unregistering"),
    ("no_total_count", Role.CPO, {"pagination.headers"}, "no X-Total-Count"),
    (
        "ignore_limit",
        Role.CPO,
        {"pagination.limit", "pagination.date_filters"},
        "limit=1 returned 5 objects",
    ),
    ("link_on_last_page", Role.CPO, {"pagination.link"}, "Link on the last page"),
    ("duplicates", Role.CPO, {"pagination.walk", "pagination.offset"}, "appears twice"),
    (
        "ignore_offset",
        Role.CPO,
        {"pagination.link", "pagination.walk", "pagination.offset"},
        "links back to a page already read",
    ),
    (
        "ignore_date_filters",
        Role.CPO,
        {"pagination.date_filters", "pagination.date_forms"},
        "date_from=2024-01-03T10:00:00Z returned",
    ),
    ("strict_date_form", Role.CPO, {"pagination.date_forms"}, "date_from=2024-01-03T10:00:00 "),
    (
        "invalid_objects",
        Role.HUB,
        {
            "objects.locations",
            "objects.tariffs",
            "objects.tokens",
            "objects.sessions",
            "objects.cdrs",
            "objects.clientinfo",
        },
        "Location[1] NL/CPA/LOC2.city: is required",
    ),
    (
        "sessions_need_more",
        Role.CPO,
        {"modules.sender_lists"},
        "GET sessions: answered",
    ),
    ("wrong_location_by_id", Role.CPO, {"modules.locations.sender_object"}, "asked for LOC1"),
    ("unknown_location_ok", Role.CPO, {"modules.locations.unknown"}, "an unknown Location"),
    ("authorize_unknown_200", Role.EMSP, {"modules.tokens.authorize_unknown"}, "HTTP 200, not"),
    (
        "patch_without_last_updated_ok",
        Role.CPO,
        {"modules.tokens.receiver"},
        "PATCH without last_updated was answered",
    ),
    (
        "token_type_ignored",
        Role.CPO,
        {"modules.tokens.receiver"},
        "GET ?type=APP_USER answered the RFID Token",
    ),
    ("command_accepted", Role.CPO, {"modules.commands.unknown_location"}, "was ACCEPTED"),
    ("no_parent_bump", Role.EMSP, {"modules.locations.receiver"}, "not bumped"),
    (
        "tariff_survives_delete",
        Role.EMSP,
        {"modules.tariffs.receiver"},
        "the deleted Tariff is still served",
    ),
    ("patch_replaces_periods", Role.EMSP, {"modules.sessions.receiver"}, "1 charging period(s)"),
    (
        "put_keeps_periods",
        Role.EMSP,
        {"modules.sessions.receiver"},
        "2 charging period(s) left after a PUT without any",
    ),
    ("cdr_no_location_header", Role.EMSP, {"modules.cdrs.receiver"}, "no Location header"),
]


@pytest.mark.parametrize(
    ("fault", "role", "failing", "fragment"), BROKEN, ids=[case[0] for case in BROKEN]
)
async def test_a_fault_fails_exactly_its_checks(
    checked: Checked, fault: str, role: Role, failing: set[str], fragment: str
) -> None:
    """Each fault makes exactly the checks that judge it FAIL, with evidence and a message
    naming the problem."""
    result = await checked(role, fault)
    failed = {r.check_id: r for r in result.results if r.outcome == Outcome.FAIL}
    assert set(failed) == failing, failures(result)
    first = failed[sorted(failing, key=list(failed).index)[0]]
    assert fragment in first.message, first.message
    for found in failed.values():
        assert found.evidence, f"{found.check_id} FAILed without evidence"
    assert result.failed


@pytest.mark.parametrize(
    ("fault", "warning"),
    [
        ("base64_only", "transport.auth_raw"),
        ("no_tariffs", "versions.module_interfaces"),
        ("always_201", "modules.tokens.receiver"),
    ],
)
async def test_a_doubtful_endpoint_warns_without_failing(
    checked: Checked, fault: str, warning: str
) -> None:
    """Refusing raw tokens (2.2.1 says Base64), lacking a typical interface, or HTTP 201 for a
    replaced object (a SHOULD) is a WARN only."""
    result = await checked(Role.CPO, fault)
    assert not result.failed, failures(result)
    assert [r.check_id for r in result.results if r.outcome == Outcome.WARN] == [warning]


async def test_a_url_id_other_than_the_body_id_is_a_warning(checked: Checked) -> None:
    """A Receiver that stores a Location PUT under a URL id other than its own id breaks a
    SHOULD (2001 advised, §1.7): WARN."""
    result = await checked(Role.EMSP, "url_id_ignored")
    assert not result.failed, failures(result)
    warnings = [r for r in result.results if r.outcome == Outcome.WARN]
    assert [r.check_id for r in warnings] == ["modules.locations.receiver"]
    assert "URL id is not the body's" in warnings[0].message


async def test_roles_that_are_not_the_role_under_test_fail(checked: Checked) -> None:
    """An endpoint checked as a CPO that announces only an EMSP party fails credentials.roles."""
    fake = await FakeEndpoint(roles=ROLES[Role.EMSP]).start()
    try:
        result = await run_suite(Options(fake.versions_url, Role.CPO, token_a=fake.token_a))
    finally:
        await fake.stop()
    failed = [r for r in result.results if r.outcome == Outcome.FAIL]
    assert [r.check_id for r in failed] == ["credentials.roles"], failures(result)
    assert "announces ['EMSP'], not CPO" in failed[0].message


async def test_evidence_shows_the_problem_itself(checked: Checked) -> None:
    """The attached exchange is the one that shows the problem: the answer without the
    X-Request-ID, the last page with its Link, the page with the invalid Location."""
    missing_id = await checked(Role.CPO, "no_request_id")
    result = next(r for r in missing_id.results if r.check_id == "transport.request_ids")
    for exchange in result.evidence:
        assert exchange.sent_header("X-Request-ID") and exchange.header("X-Request-ID") is None

    last_link = await checked(Role.CPO, "link_on_last_page")
    result = next(r for r in last_link.results if r.check_id == "pagination.link")
    assert "locations: Link on the last page (5 of 5 served)" in result.message
    assert all(e.header("Link") for e in result.evidence)
    assert any("offset=4" in e.url for e in result.evidence)

    invalid = await checked(Role.CPO, "invalid_objects")
    result = next(r for r in invalid.results if r.check_id == "objects.locations")
    for problem in (
        "Location[1] NL/CPA/LOC2.city: is required (string [1])",
        "Location[2] NL/CPA/" + "X" * 40 + ".id: is 40 characters, longer than CiString(36)",
        "Location[3] NL/CPA/LOC4.evses[0].status: 'FREE' is not a Status",
    ):
        assert problem in result.message
    assert len(result.evidence) == 1 and "/locations" in result.evidence[0].url
    assert '"LOC2"' in (result.evidence[0].response_body or "")


async def test_read_only_writes_nothing(checked: Checked) -> None:
    """--read-only: every check sending anything but GET is NOT_APPLICABLE (the invalid-JSON
    PUT and the authorization POST too); the endpoint received GETs and the one registration
    POST only, keeps the suite's registration and holds no object the suite made."""
    fake = await FakeEndpoint(roles=ROLES[Role.EMSP]).start()
    try:
        options = Options(fake.versions_url, Role.EMSP, token_a=fake.token_a, read_only=True)
        result = await run_suite(options)
    finally:
        await fake.stop()
    assert not result.failed, failures(result)
    writing = {r.check_id: r for r in result.results if "--read-only" in r.message}
    assert set(writing) == {
        "transport.invalid_json",
        "credentials.post_again",
        "credentials.put_rotates",
        "credentials.delete",
        "modules.tokens.authorize_unknown",
        "modules.locations.receiver",
        "modules.tariffs.receiver",
        "modules.sessions.receiver",
        "modules.cdrs.receiver",
    }
    assert all(r.outcome == Outcome.NOT_APPLICABLE for r in writing.values())
    assert fake.stored == {}
    assert list(fake.tokens.values()) == ["C"]
    sent = [(method, path) for method, path in fake.requests if method != "GET"]
    assert sent == [("POST", "/ocpi/2.2.1/credentials")], "the registration, nothing else"


@pytest.mark.parametrize("role", [Role.CPO, Role.EMSP])
async def test_read_only_with_token_c_sends_gets_only(role: Role) -> None:
    """--read-only --token-c: the endpoint receives nothing but GETs, in every check the role
    runs; none of them crashes on the client's refusal to send anything else."""
    fake = await FakeEndpoint(roles=ROLES[role]).start()
    fake.tokens["C-given"] = "C"
    try:
        options = Options(fake.versions_url, role, token_c="C-given", read_only=True)
        result = await run_suite(options)
    finally:
        await fake.stop()
    assert not result.failed, failures(result)
    assert fake.requests, "the suite ran"
    assert {method for method, _ in fake.requests} == {"GET"}, fake.requests


async def test_existing_token_c_skips_registration(checked: Checked) -> None:
    """--token-c: no registration checks, everything else runs and passes."""
    fake = await FakeEndpoint().start()
    fake.tokens["C-given"] = "C"
    try:
        result = await run_suite(Options(fake.versions_url, Role.CPO, token_c="C-given"))
    finally:
        await fake.stop()
    assert not result.failed, failures(result)
    skipped = {r.check_id for r in result.results if r.outcome == Outcome.NOT_APPLICABLE}
    assert skipped == {
        "credentials.registration",
        "credentials.callback",
        "credentials.token_a_dead",
        "transport.token_a_scope",
    }


async def test_a_wrong_token_a_fails_registration(checked: Checked) -> None:
    """A token A the endpoint does not know: versions and registration FAIL, the rest is not
    run."""
    fake = await FakeEndpoint().start()
    try:
        result = await run_suite(Options(fake.versions_url, Role.CPO, token_a="not-issued"))
    finally:
        await fake.stop()
    failed = {r.check_id for r in result.results if r.outcome == Outcome.FAIL}
    assert failed == {"versions.list", "credentials.registration"}, failures(result)
    registration = next(r for r in result.results if r.check_id == "credentials.registration")
    assert "versions not readable" in registration.message
    assert registration.evidence[0].status == 401
    rest = [r for r in result.results if r.check_id not in failed]
    assert all(r.outcome == Outcome.NOT_APPLICABLE for r in rest)


async def test_a_crashing_check_fails_with_its_traceback_and_the_run_goes_on(
    checked: Checked, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A check that raises is a FAIL whose message is the traceback; later checks still run."""

    async def crash(ctx: object) -> Verdict:
        raise RuntimeError("the check itself is broken")

    crashing = Check("aaa.crash", "none", "crashes", frozenset(Role), crash)
    checks.load()  # the real areas first: "aaa" is no module to import
    monkeypatch.setitem(checks.REGISTRY, crashing.id, crashing)
    monkeypatch.setattr(checks, "AREAS", ["aaa", *checks.AREAS])
    result = await checked(Role.CPO, only=("aaa.crash", "transport.envelope"))
    assert [r.check_id for r in result.results] == ["aaa.crash", "transport.envelope"]
    crashed, after = result.results
    assert crashed.outcome == Outcome.FAIL
    assert "Traceback" in crashed.message and "the check itself is broken" in crashed.message
    assert after.outcome == Outcome.PASS


async def test_callback_url_is_what_the_suite_advertises(checked: Checked) -> None:
    """--callback-url: the suite's Credentials carry that address, and the endpoint reaches
    the suite's party through it (here `localhost` instead of the bound 127.0.0.1)."""
    probe = free_socket()
    port = probe.getsockname()[1]
    probe.close()
    result = await checked(
        Role.CPO, callback_port=port, callback_url=f"http://localhost:{port}/", read_only=True
    )
    assert not result.failed, failures(result)
    registration = next(r for r in result.results if r.check_id == "credentials.registration")
    post = next(e for e in registration.evidence if e.method == "POST")
    assert json.loads(post.request_body or "")["url"] == f"http://localhost:{port}/ocpi/versions"
    callback = next(r for r in result.results if r.check_id == "credentials.callback")
    assert callback.outcome == Outcome.PASS


async def test_read_only_client_refuses_anything_but_get() -> None:
    """--read-only is enforced where requests leave: a PUT raises before anything is sent, so
    a check that forgets its `writes` flag fails instead of writing."""
    fake = await FakeEndpoint().start()
    try:
        async with OcpiClient(read_only=True, token=fake.token_a) as client:
            with pytest.raises(ReadOnlyRefused):
                await client.request("PUT", fake.versions_url, json_body={})
            await client.get(fake.versions_url)
    finally:
        await fake.stop()
    assert fake.requests == [("GET", "/ocpi/versions")]
