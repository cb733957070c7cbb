"""The suite's reports and command line: JSON, JUnit XML, the terminal table, the progress
display, exit codes, and `ocpi-hub conformance --help`."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import json
import sys
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from conformance import report
from conformance.context import Options
from conformance.model import Outcome, Role
from conformance.runner import Run, TerminalProgress, run
from tests.conformance.conftest import run_suite
from tests.conformance.fake_endpoint import FakeEndpoint


@pytest.fixture
async def broken() -> AsyncIterator[FakeEndpoint]:
    """A CPO endpoint without X-Total-Count and without the raw token form: FAILs and WARNs."""
    fake = await FakeEndpoint(faults={"no_total_count", "base64_only"}).start()
    yield fake
    await fake.stop()


@pytest.fixture
async def broken_run(broken: FakeEndpoint) -> Run:
    return await run_suite(Options(broken.versions_url, Role.CPO, token_a=broken.token_a))


def tokens_in(result: Run) -> set[str]:
    """Every token that went over the wire in the evidence: in Authorization headers (raw and
    Base64) and in Credentials bodies."""
    found: set[str] = set()
    for exchange in (e for r in result.results for e in r.evidence):
        header = exchange.sent_header("Authorization")
        if header:
            value = header.removeprefix("Token ")
            found.add(value)
            with contextlib.suppress(ValueError):
                found.add(base64.b64decode(value, validate=True).decode())
        for body in (exchange.request_body, exchange.response_body):
            with contextlib.suppress(ValueError, TypeError):
                parsed = json.loads(body or "")
                for holder in (parsed, parsed.get("data") if isinstance(parsed, dict) else None):
                    if isinstance(holder, dict) and isinstance(holder.get("token"), str):
                        found.add(holder["token"])
    return {t for t in found if len(t) > 8}


async def test_json_report_holds_every_result_with_evidence(broken_run: Run) -> None:
    """--json: what was tested, a summary, and each result with clause, outcome and evidence."""
    document = json.loads(json.dumps(report.to_json(broken_run)))
    assert document["role"] == "CPO"
    assert document["passed"] is False
    assert document["presented_as"] == {"role": "EMSP", "country_code": "ZZ", "party_id": "CNF"}
    assert sum(document["summary"].values()) == len(document["results"])
    assert document["summary"]["FAIL"] == 1
    assert document["summary"]["WARN"] == 1
    by_id = {r["id"]: r for r in document["results"]}
    failing = by_id["pagination.headers"]
    assert failing["outcome"] == "FAIL"
    assert failing["clause"].startswith("transport_and_format §1.5")
    assert "no X-Total-Count" in failing["message"]
    exchange = failing["evidence"][0]
    assert set(exchange) == {"request", "response", "elapsed_ms"}
    assert exchange["request"]["method"] == "GET"
    assert "/locations" in exchange["request"]["url"]
    assert exchange["response"]["status"] == 200
    assert "X-Total-Count" not in exchange["response"]["headers"]
    assert by_id["transport.auth_raw"]["outcome"] == "WARN"


async def test_reports_never_show_a_token(broken: FakeEndpoint, broken_run: Run) -> None:
    """Authorization headers and Credentials tokens are redacted in every report."""
    texts = [
        json.dumps(report.to_json(broken_run)),
        report.to_junit(broken_run),
        report.to_table(broken_run),
    ]
    seen = tokens_in(broken_run)
    # token A, the suite's token B (both rotations' too) and the endpoint's tokens C
    assert broken.token_a in seen and len(seen) >= 5, seen
    for text in texts:
        for token in seen:
            assert token not in text
    assert "Token <redacted>" in texts[0]


async def test_junit_counts_and_elements(broken_run: Run, tmp_path: Path) -> None:
    """--junit: one testcase per check; FAIL → failure, NOT_APPLICABLE → skipped, WARN →
    passed with system-out; the counts match."""
    path = tmp_path / "conformance.xml"
    path.write_text(report.to_junit(broken_run), encoding="utf-8")
    root = ET.parse(path).getroot()
    suite = root.find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert len(cases) == len(broken_run.results) == int(suite.get("tests", ""))
    assert int(suite.get("failures", "")) == broken_run.count(Outcome.FAIL) == 1
    assert int(suite.get("skipped", "")) == broken_run.count(Outcome.NOT_APPLICABLE)
    assert suite.get("errors") == "0"
    by_name = {c.get("name"): c for c in cases}
    failure = by_name["pagination.headers"].find("failure")
    assert failure is not None
    assert "no X-Total-Count" in (failure.get("message") or "")
    assert "evidence:" in (failure.text or "")
    warned = by_name["transport.auth_raw"]
    assert warned.find("failure") is None and warned.find("skipped") is None
    assert "WARN" in (warned.findtext("system-out") or "")
    assert by_name["transport.envelope"].get("classname") == "conformance.transport"
    assert [c for c in cases if c.find("skipped") is not None] == [
        by_name[r.check_id] for r in broken_run.results if r.outcome == Outcome.NOT_APPLICABLE
    ]


async def test_terminal_table_rows_and_fail_detail(broken_run: Run) -> None:
    """The table has a row per check and, for each FAIL, the clause, expectation and evidence."""
    table = report.to_table(broken_run)
    lines = table.splitlines()
    assert lines[0].split()[:3] == ["OUTCOME", "CHECK", "CLAUSE"]
    for result in broken_run.results:
        assert any(line.split()[:2] == [result.outcome.value, result.check_id] for line in lines)
    detail = table[table.index("FAIL pagination.headers — ") :]
    assert "expected: X-Total-Count" in detail
    assert "evidence 1:" in detail
    assert "> GET http://" in detail
    assert "< HTTP 200" in detail
    assert "— FAILED" in lines[-1]


async def test_progress_plain_lines_without_a_terminal(broken: FakeEndpoint) -> None:
    """Not a TTY: one plain line per check, then a summary."""
    stream = io.StringIO()
    result = await run(
        Options(broken.versions_url, Role.CPO, token_a=broken.token_a),
        TerminalProgress(stream),
    )
    lines = stream.getvalue().splitlines()
    assert len(lines) == len(result.results) + 1
    assert "\r" not in stream.getvalue()
    assert lines[0].split()[-2:] == ["PASS", "transport.envelope"]
    assert lines[-1].startswith("done in")


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


async def test_progress_one_updated_line_on_a_terminal(broken: FakeEndpoint) -> None:
    """A TTY: one line rewritten in place per check, one newline at the very end."""
    stream = FakeTerminal()
    await run(
        Options(broken.versions_url, Role.CPO, token_a=broken.token_a, only=("transport.*",)),
        TerminalProgress(stream),
    )
    text = stream.getvalue()
    assert text.count("\n") == 1 and text.endswith("\n")
    assert "\r\x1b[K" in text
    assert "running transport.envelope" in text


async def _cli(*args: str) -> tuple[int, str, str]:
    """`python -m ocpi_hub conformance ARGS` as a real process (the endpoint keeps serving)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ocpi_hub",
        "conformance",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_help_runs() -> None:
    """`ocpi-hub conformance --help` prints the usage and exits 0."""
    code, out, _ = await _cli("--help")
    assert code == 0
    for option in ("--versions-url", "--token", "--token-c", "--role", "--read-only", "--junit"):
        assert option in out


async def test_exit_status_0_when_nothing_fails() -> None:
    """A correct endpoint: exit 0, the table on stdout, progress lines on stderr."""
    fake = await FakeEndpoint().start()
    try:
        code, out, err = await _cli(
            "--versions-url", fake.versions_url, f"--token={fake.token_a}", "--role", "CPO"
        )
    finally:
        await fake.stop()
    assert code == 0, out
    assert "— passed" in out
    assert "PASS" in err and "transport.envelope" in err


async def test_exit_status_1_with_json_and_junit(broken: FakeEndpoint, tmp_path: Path) -> None:
    """A FAIL: exit 1; --json prints the JSON report, --junit writes the XML file."""
    junit = tmp_path / "out.xml"
    code, out, _ = await _cli(
        "--versions-url",
        broken.versions_url,
        f"--token={broken.token_a}",
        "--role",
        "cpo",
        "--json",
        "--junit",
        str(junit),
    )
    assert code == 1
    document = json.loads(out)
    assert document["summary"]["FAIL"] == 1
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "1"


async def test_exit_status_2_without_a_token() -> None:
    """No token A and no token C: the suite cannot run, exit 2 with the reason."""
    code, _, err = await _cli("--versions-url", "http://127.0.0.1:9/ocpi/versions", "--role", "CPO")
    assert code == 2
    assert "--token" in err


async def test_unreachable_endpoint_fails_even_when_checks_are_narrowed() -> None:
    """Registration that cannot happen is a FAIL (exit 1) whatever --check selected."""
    code, out, _ = await _cli(
        "--versions-url",
        "http://127.0.0.1:9/ocpi/versions",
        "--token=whatever",
        "--role",
        "CPO",
        "--check",
        "pagination.*",
    )
    assert code == 1
    assert "setup.registration" in out
