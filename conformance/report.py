"""The run's reports: a readable terminal table (with the evidence of every FAIL), JSON with
every result and its evidence, and JUnit XML for CI systems (one testcase per check: FAIL →
failure, NOT_APPLICABLE → skipped, WARN → passed with system-out).

Tokens never reach a report: the Authorization header and every string `token` member of a
JSON body (the Credentials object's) are replaced by `<redacted>`; a report may well end up
in a CI log.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Any

from conformance.model import Exchange, Outcome, Result
from conformance.runner import Run

REDACTED = "<redacted>"
TABLE_MESSAGE_WIDTH = 90
TERMINAL_BODY = 1200
JSON_BODY = 20000


def _redact_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: REDACTED if k == "token" and isinstance(v, str) else _redact_json(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_redact_json(v) for v in value]
    return value


def redact_body(body: str | None) -> str | None:
    """The body with Credentials tokens replaced (left as is when it is not JSON)."""
    if body is None:
        return None
    try:
        parsed = json.loads(body)
    except ValueError:
        return body
    redacted = _redact_json(parsed)
    return body if redacted == parsed else json.dumps(redacted)


def redact_headers(headers: dict[str, str]) -> dict[str, str]:
    """The headers with the Authorization value replaced."""
    return {
        k: (f"Token {REDACTED}" if k.lower() == "authorization" else v) for k, v in headers.items()
    }


def _cut(text: str | None, limit: int) -> str | None:
    if text is None or len(text) <= limit:
        return text
    return text[:limit] + f"… ({len(text) - limit} more characters)"


def exchange_json(exchange: Exchange, body_limit: int = JSON_BODY) -> dict[str, Any]:
    """One exchange as JSON, redacted, bodies cut at `body_limit` characters."""
    return {
        "request": {
            "method": exchange.method,
            "url": exchange.url,
            "headers": redact_headers(exchange.request_headers),
            "body": _cut(redact_body(exchange.request_body), body_limit),
        },
        "response": {
            "status": exchange.status,
            "headers": exchange.response_headers,
            "body": _cut(redact_body(exchange.response_body), body_limit),
            "error": exchange.error,
        },
        "elapsed_ms": exchange.elapsed_ms,
    }


def result_json(result: Result) -> dict[str, Any]:
    """One result as JSON, with its evidence."""
    return {
        "id": result.check_id,
        "clause": result.clause,
        "title": result.title,
        "outcome": result.outcome.value,
        "message": result.message,
        "expected": result.expected,
        "elapsed_ms": result.elapsed_ms,
        "evidence": [exchange_json(e) for e in result.evidence],
        "evidence_omitted": result.evidence_omitted,
    }


def to_json(run: Run) -> dict[str, Any]:
    """Every result with its evidence, and what was tested."""
    options = run.options
    return {
        "suite": "ocpi-hub conformance",
        "ocpi_version": "2.2.1",
        "versions_url": options.versions_url,
        "role": options.role.value,
        "presented_as": {
            "role": options.presented_role,
            "country_code": options.country_code,
            "party_id": options.party_id,
        },
        "read_only": options.read_only,
        "registered": options.token_c is None,
        "endpoint_roles": [
            {"role": r, "country_code": cc, "party_id": pid} for r, cc, pid in run.endpoint_roles
        ],
        "started_at": run.started_at,
        "duration_s": run.duration_s,
        "summary": {o.value: run.count(o) for o in Outcome},
        "passed": not run.failed,
        "results": [result_json(r) for r in run.results],
    }


def _exchange_lines(exchange: Exchange) -> list[str]:
    lines = [f"    > {exchange.method} {exchange.url}"]
    sent = redact_headers(exchange.request_headers)
    lines += [f"    > {k}: {v}" for k, v in sent.items()]
    body = _cut(redact_body(exchange.request_body), TERMINAL_BODY)
    if body:
        lines.append(f"    > {body}")
    if exchange.status is None:
        lines.append(f"    < no answer: {exchange.error} ({exchange.elapsed_ms} ms)")
        return lines
    lines.append(f"    < HTTP {exchange.status} ({exchange.elapsed_ms} ms)")
    lines += [f"    < {k}: {v}" for k, v in exchange.response_headers.items()]
    answer = _cut(redact_body(exchange.response_body), TERMINAL_BODY)
    if answer:
        lines.append(f"    < {answer}")
    return lines


def _one_line(text: str, width: int) -> str:
    first = text.splitlines()[0] if text else ""
    return first if len(first) <= width else first[: width - 1] + "…"


def _main_clause(clause: str) -> str:
    """The clause's first citation (`transport_and_format §1.1 [M]`) for the table; the
    details and the JSON carry it whole."""
    return clause.split(";")[0].split(" (")[0].strip()


def to_table(run: Run) -> str:
    """The terminal report: one row per check, then the detail of each FAIL and WARN."""
    rows = [
        (
            r.outcome.value,
            r.check_id,
            _main_clause(r.clause),
            _one_line(r.message, TABLE_MESSAGE_WIDTH),
        )
        for r in run.results
    ]
    headings = ("OUTCOME", "CHECK", "CLAUSE", "MESSAGE")
    widths = [max([len(h)] + [len(row[i]) for row in rows]) for i, h in enumerate(headings[:3])]
    out = ["  ".join(h.ljust(w) for h, w in zip(headings[:3], widths, strict=True)) + "  MESSAGE"]
    out += [
        "  ".join(c.ljust(w) for c, w in zip(row[:3], widths, strict=True)) + "  " + row[3]
        for row in rows
    ]
    for result in run.results:
        if result.outcome not in (Outcome.FAIL, Outcome.WARN):
            continue
        out += ["", f"{result.outcome.value} {result.check_id} — {result.title}"]
        out.append(f"  clause:   {result.clause}")
        out += [f"  message:  {line}" for line in result.message.splitlines()]
        if result.expected:
            out.append(f"  expected: {result.expected}")
        if result.outcome == Outcome.FAIL:
            for number, exchange in enumerate(result.evidence, start=1):
                out.append(f"  evidence {number}:")
                out += _exchange_lines(exchange)
            if result.evidence_omitted:
                out.append(f"  ({result.evidence_omitted} more exchanges omitted)")
    counts = ", ".join(f"{run.count(o)} {o.value}" for o in Outcome)
    verdict = "FAILED" if run.failed else "passed"
    out += [
        "",
        f"{len(run.results)} checks against {run.options.versions_url} as "
        f"{run.options.role.value}: {counts} — {verdict}",
    ]
    return "\n".join(out)


_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_safe(text: str) -> str:
    """Text an XML 1.0 document can hold (an endpoint's body may carry control characters)."""
    return _NOT_XML.sub("\ufffd", text)


def to_junit(run: Run) -> str:
    """JUnit XML: one testsuite, one testcase per check."""
    suite = ET.Element(
        "testsuite",
        name=f"ocpi-conformance {run.options.role.value}",
        tests=str(len(run.results)),
        failures=str(run.count(Outcome.FAIL)),
        skipped=str(run.count(Outcome.NOT_APPLICABLE)),
        errors="0",
        time=f"{run.duration_s:.3f}",
        timestamp=run.started_at,
    )
    for result in run.results:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"conformance.{result.area}",
            name=result.check_id,
            time=f"{result.elapsed_ms / 1000:.3f}",
        )
        detail = f"{result.message}\nclause: {result.clause}"
        if result.expected:
            detail += f"\nexpected: {result.expected}"
        if result.outcome == Outcome.FAIL:
            evidence = "\n".join(line for e in result.evidence for line in _exchange_lines(e))
            failure = ET.SubElement(
                case, "failure", message=_xml_safe(_one_line(result.message, 200)), type="FAIL"
            )
            failure.text = _xml_safe(detail + ("\nevidence:\n" + evidence if evidence else ""))
        elif result.outcome == Outcome.NOT_APPLICABLE:
            ET.SubElement(case, "skipped", message=_xml_safe(_one_line(result.message, 200)))
        elif result.outcome == Outcome.WARN:
            ET.SubElement(case, "system-out").text = _xml_safe("WARN: " + detail)
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
