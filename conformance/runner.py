"""Runs the checks for a role in a stable order and collects their Results.

Setup first: start the suite's own party, register with token A (or adopt a token C), learn
the endpoint's interfaces and roles. Then every selected check, one at a time (a check may
change what later ones see: a rotation changes the token), each isolated: a check that
crashes is a FAIL carrying its traceback, never the end of the run. A progress display on
stderr shows one updated line on a terminal, or a plain line per check otherwise.
"""

from __future__ import annotations

import sys
import time
import traceback
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol, TextIO

from conformance import checks
from conformance.client import Auth, OcpiClient
from conformance.context import Context, Options
from conformance.model import (
    Check,
    NotApplicable,
    Outcome,
    Result,
    Verdict,
    failed,
    not_applicable,
)
from conformance.peer import SuiteParty
from conformance.register import adopt_token_c, register
from conformance.spec import V211

# Exchanges kept per result; a walk of a long list would otherwise fill the report.
EVIDENCE_KEPT = 25


@dataclass
class Run:
    """One run of the suite: what was tested, how, and every result in run order."""

    options: Options
    results: list[Result] = field(default_factory=list)
    started_at: str = ""
    duration_s: float = 0.0
    endpoint_roles: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(r.outcome == Outcome.FAIL for r in self.results)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)


class Progress(Protocol):
    """What the runner reports to while it runs (a terminal display, or nothing)."""

    def start(self, check: Check, index: int, total: int) -> None: ...
    def done(self, result: Result, index: int, total: int) -> None: ...
    def finish(self, run: Run) -> None: ...


class TerminalProgress:
    """One line rewritten per check on a terminal; a plain line per check otherwise."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty()

    def _line(self, text: str) -> None:
        if self.tty:
            self.stream.write("\r\x1b[K" + text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def start(self, check: Check, index: int, total: int) -> None:
        if self.tty:
            self._line(f"[{index:>{len(str(total))}}/{total}] running {check.id} …")

    def done(self, result: Result, index: int, total: int) -> None:
        self._line(
            f"[{index:>{len(str(total))}}/{total}] {result.outcome.value:<14} {result.check_id}"
        )

    def finish(self, run: Run) -> None:
        counts = ", ".join(f"{run.count(o)} {o.value}" for o in Outcome)
        self._line(f"done in {run.duration_s:.1f} s: {counts}")
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


async def setup(ctx: Context) -> None:
    """Register (or adopt token C), then learn the endpoint's interfaces and roles."""
    options = ctx.options
    if options.token_c:
        record = await adopt_token_c(
            ctx.client, options.versions_url, options.token_c, options.version, options.role.value
        )
    else:
        assert options.token_a is not None, "a token A or a token C is needed"
        record = await register(
            ctx.client, ctx.party, options.versions_url, options.token_a, options.role.value
        )
    ctx.registration = record
    ctx.details_url = record.details_url
    ctx.endpoints = record.endpoints
    if record.error:
        ctx.setup_error = record.error
        return
    await _settle_auth(ctx)
    credentials = record.post.data if record.post is not None else None
    if not isinstance(credentials, dict) and ctx.credentials_url:
        credentials = (await ctx.client.get(ctx.credentials_url)).data
    if ctx.options.version == V211 and isinstance(credentials, dict):
        # 2.1.1 Credentials hold one party at top level, no role: the role is --role's.
        role = (ctx.role.value, credentials.get("country_code"), credentials.get("party_id"))
        ctx.endpoint_roles = [tuple(str(v) for v in role)]  # type: ignore[list-item]
        return
    roles = credentials.get("roles") if isinstance(credentials, dict) else None
    ctx.endpoint_roles = [
        (str(r.get("role")), str(r.get("country_code")), str(r.get("party_id")))
        for r in (roles if isinstance(roles, list) else [])
        if isinstance(r, dict)
    ]


async def _settle_auth(ctx: Context) -> None:
    """Use the raw token form for the checks when the endpoint refuses Base64 but takes raw
    (transport.auth_base64 still FAILs: it asks for Base64 explicitly). 2.1.1 is raw only."""
    if ctx.options.version == V211:
        ctx.client.auth = Auth.RAW
        return
    answer = await ctx.client.get(ctx.options.versions_url)
    if answer.status == 401:
        raw = await ctx.client.get(ctx.options.versions_url, auth=Auth.RAW)
        if raw.status == 200:
            ctx.client.auth = Auth.RAW


async def run_check(ctx: Context, check: Check) -> Result:
    """Run one check in isolation and turn its verdict into a Result with evidence."""
    started = time.perf_counter()
    mark = len(ctx.client.exchanges)
    verdict: Verdict
    if ctx.options.version not in check.versions:
        verdict = not_applicable(f"OCPI {', '.join(sorted(check.versions))} only")
    elif check.writes and ctx.options.read_only:
        verdict = not_applicable("skipped: --read-only (this check writes)")
    elif check.needs_registration and ctx.setup_error:
        verdict = not_applicable(f"not run: {ctx.setup_error}")
    else:
        try:
            verdict = await check.function(ctx)
        except NotApplicable as exc:
            verdict = not_applicable(str(exc))
        except Exception:
            verdict = failed("the check crashed:\n" + traceback.format_exc())
    evidence = verdict.evidence if verdict.evidence is not None else ctx.client.exchanges[mark:]
    return Result(
        check_id=check.id,
        clause=check.clause,
        title=check.title,
        outcome=verdict.outcome,
        message=verdict.message,
        expected=verdict.expected,
        evidence=evidence[:EVIDENCE_KEPT],
        evidence_omitted=max(0, len(evidence) - EVIDENCE_KEPT),
        elapsed_ms=round((time.perf_counter() - started) * 1000, 1),
    )


async def run(options: Options, progress: Progress | None = None) -> Run:
    """Run every check selected for `options.role` against the endpoint."""
    selected = checks.select(options.role, options.only, options.skip)
    result = Run(options, started_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    started = time.perf_counter()
    party = SuiteParty(
        options.country_code,
        options.party_id,
        options.presented_role,
        host=options.callback_host,
        port=options.callback_port,
        public_url=options.callback_url,
        version=options.version,
    )
    await party.start()
    try:
        async with OcpiClient(timeout=options.timeout, read_only=options.read_only) as client:
            if options.version == V211:
                client.auth = Auth.RAW  # 2.1.1: `Token <token>`, never Base64 (§1.1)
            ctx = Context(options, client, party)
            await setup(ctx)
            result.endpoint_roles = ctx.endpoint_roles
            async with ctx.stack:
                for index, check in enumerate(selected, start=1):
                    if progress is not None:
                        progress.start(check, index, len(selected))
                    outcome = await run_check(ctx, check)
                    result.results.append(outcome)
                    if progress is not None:
                        progress.done(outcome, index, len(selected))
            if ctx.setup_error and not result.failed:
                # Whatever was selected, a run that could not start must not exit 0.
                record = ctx.registration
                result.results.append(
                    Result(
                        check_id="setup.registration",
                        clause="credentials §3.3 [M]",
                        title="The suite can register with (or use a token C at) the endpoint",
                        outcome=Outcome.FAIL,
                        message=ctx.setup_error,
                        evidence=record.evidence if record else [],
                    )
                )
    finally:
        await party.stop()
    result.duration_s = round(time.perf_counter() - started, 2)
    if progress is not None:
        progress.finish(result)
    return result
