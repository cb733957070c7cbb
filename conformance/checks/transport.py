"""Transport and format (transport_and_format.asciidoc, status_codes.asciidoc, types.asciidoc;
checklist §1.1 to §1.4, §1.6, §1.9): the envelope, DateTime form, id headers, authentication,
invalid JSON, routing headers."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from conformance.checks import check
from conformance.client import Auth
from conformance.context import Context
from conformance.envelope import describe, envelope_problems, id_problems, succeeded, unique
from conformance.lists import base_params, request_headers, sender_lists
from conformance.model import (
    ONLY_221,
    Exchange,
    Verdict,
    failed,
    not_applicable,
    passed,
    warned,
)
from conformance.validate import datetime_problem

ROUTING = (
    "OCPI-to-country-code",
    "OCPI-to-party-id",
    "OCPI-from-country-code",
    "OCPI-from-party-id",
)
# Whose objects a module's Receiver URL carries in {country_code}/{party_id} (§1.7).
OWNER_ROLE = {"locations": "CPO", "tariffs": "CPO", "sessions": "CPO", "tokens": "EMSP"}


@dataclass
class Sample:
    """Answers to a few ordinary requests, shared by the envelope, timestamp and id checks."""

    answers: list[tuple[str, Exchange, str | None]]  # (what, exchange, data shape)
    functional: Exchange | None  # a functional-module answer, for the routing headers
    errors: list[tuple[str, Exchange]]


async def _sample(ctx: Context) -> Sample:
    cached = ctx.cache.get("transport.sample")
    if isinstance(cached, Sample):
        return cached
    get = ctx.client.get
    answers: list[tuple[str, Exchange, str | None]] = [
        ("versions", await get(ctx.options.versions_url), "list")
    ]
    if ctx.details_url:
        answers.append(("version details", await get(ctx.details_url), "object"))
    if ctx.credentials_url:
        answers.append(("credentials", await get(ctx.credentials_url), "object"))
    functional = None
    lists = sender_lists(ctx)
    if lists:
        module, url = lists[0]
        functional = await get(
            url, params=base_params(module), headers=request_headers(ctx, module)
        )
        answers.append((f"{module} list", functional, "list"))
    errors = [("no token", await get(ctx.options.versions_url, auth=Auth.NONE))]
    unknown = _unknown_object_url(ctx)
    if unknown is not None:
        exchange = await get(unknown, headers=ctx.routing_headers())
        errors.append(("unknown object", exchange))
        functional = functional or exchange
    sample = Sample(answers, functional, errors)
    ctx.cache["transport.sample"] = sample
    return sample


def _unknown_object_url(ctx: Context) -> str | None:
    """A GET of an object that cannot exist: a Location by id on the Sender, or one of our own
    objects on a Receiver."""
    sender = ctx.endpoint("locations", "SENDER")
    if sender is not None:
        return f"{sender}/CONFTEST-NO-SUCH-LOCATION"
    cc, pid = ctx.identity
    for module in ("locations", "tariffs", "sessions", "tokens"):
        receiver = ctx.endpoint(module, "RECEIVER")
        if receiver is not None:
            return f"{receiver}/{cc}/{pid}/CONFTEST-NO-SUCH-OBJECT"
    return None


@check(
    "transport.envelope",
    clause="transport_and_format §1.3 [M]",
)
async def envelope(ctx: Context) -> Verdict:
    """Every answer is an OCPI envelope: status_code, timestamp, data of the right shape"""
    sample = await _sample(ctx)
    problems = [
        (f"{what}: {p}", ex)
        for what, ex, shape in sample.answers
        for p in envelope_problems(ex, shape)
    ]
    error_problems = [
        (f"{what} error: {p}", ex) for what, ex in sample.errors for p in envelope_problems(ex)
    ]
    evidence = [ex for _, ex, _ in sample.answers] + [ex for _, ex in sample.errors]
    expected = "JSON object with integer status_code, timestamp, status_message, data"
    if problems:
        bad = unique(ex for _, ex in problems)
        return failed("; ".join(p for p, _ in problems), expected=expected, evidence=bad)
    if error_problems:
        # The spec's error rows say "with more details" in the envelope, less firmly than §1.3.
        bad = unique(ex for _, ex in error_problems)
        return warned("; ".join(p for p, _ in error_problems), expected=expected, evidence=bad)
    return passed(f"{len(evidence)} answers carry a proper envelope", evidence=evidence)


@check(
    "transport.timestamp",
    clause="types §1.9 DateTime [M]; transport_and_format §1.3",
)
async def timestamp(ctx: Context) -> Verdict:
    """Envelope timestamps are OCPI DateTimes: YYYY-MM-DDThh:mm:ss[.f]Z, UTC, ≤25 chars"""
    sample = await _sample(ctx)
    exchanges = [ex for _, ex, _ in sample.answers] + [ex for _, ex in sample.errors]
    found = []
    for ex in exchanges:
        envelope = ex.envelope
        if envelope is None or "timestamp" not in envelope:
            continue  # the envelope check reports a missing timestamp
        problem = datetime_problem(envelope["timestamp"])
        if problem is not None:
            found.append((problem, ex))
    expected = "e.g. 2024-05-01T10:00:00Z; no +00:00 offset; at most 25 characters"
    hard = [(p, ex) for p, ex in found if not p.warning]
    if hard:
        message = "; ".join(f"{ex.method} {ex.url}: {p.message}" for p, ex in hard)
        return failed(message, expected=expected, evidence=unique(ex for _, ex in hard))
    if found:
        message = "; ".join(f"{ex.method} {ex.url}: {p.message}" for p, ex in found)
        return warned(message, expected=expected, evidence=unique(ex for _, ex in found))
    return passed(f"{len(exchanges)} timestamps in the spec's form", evidence=exchanges)


@check(
    "transport.request_ids",
    clause="transport_and_format §1.2 [M]",
    versions=ONLY_221,
)
async def request_ids(ctx: Context) -> Verdict:
    """X-Request-ID and X-Correlation-ID are echoed on every answer"""
    sample = await _sample(ctx)
    return _ids_verdict([(what, ex) for what, ex, _ in sample.answers])


@check(
    "transport.request_ids_on_error",
    clause="transport_and_format §1.2 [M]",
    versions=ONLY_221,
)
async def request_ids_on_error(ctx: Context) -> Verdict:
    """X-Request-ID and X-Correlation-ID are echoed on error answers too"""
    sample = await _sample(ctx)
    return _ids_verdict(sample.errors)


def _ids_verdict(answers: list[tuple[str, Exchange]]) -> Verdict:
    problems = [(f"{what}: {p}", ex) for what, ex in answers for p in id_problems(ex)]
    if problems:
        return failed(
            "; ".join(p for p, _ in problems),
            expected="the same X-Request-ID and X-Correlation-ID values as sent",
            evidence=unique(ex for _, ex in problems),
        )
    return passed(f"ids echoed on {len(answers)} answers", evidence=[ex for _, ex in answers])


async def _auth_probe(ctx: Context, auth: Auth, token: str | None = None) -> list[Exchange]:
    """GET versions and a functional module (a Sender list, else an unknown own object)."""
    exchanges = [await ctx.client.get(ctx.options.versions_url, auth=auth, token=token)]
    lists = sender_lists(ctx)
    url = lists[0][1] if lists else _unknown_object_url(ctx)
    if url is not None:
        module = lists[0][0] if lists else ""
        exchanges.append(
            await ctx.client.get(
                url,
                auth=auth,
                token=token,
                params=base_params(module),
                headers=request_headers(ctx, module),
            )
        )
    return exchanges


@check(
    "transport.auth_missing",
    clause="transport_and_format §1.1 [M]",
)
async def auth_missing(ctx: Context) -> Verdict:
    """A request without Authorization is answered HTTP 401"""
    exchanges = await _auth_probe(ctx, Auth.NONE)
    return _expect_401(exchanges, "no Authorization header")


@check(
    "transport.auth_unknown",
    clause="transport_and_format §1.1 [M]",
)
async def auth_unknown(ctx: Context) -> Verdict:
    """A request with a token nobody was given is answered HTTP 401"""
    exchanges = await _auth_probe(ctx, ctx.client.auth, token="CONFTEST-" + secrets.token_hex(12))
    return _expect_401(exchanges, "an unknown token")


def _expect_401(exchanges: list[Exchange], what: str) -> Verdict:
    wrong = [ex for ex in exchanges if ex.status != 401]
    if wrong:
        return failed(
            f"{what} was answered {', '.join(describe(ex) for ex in wrong)}",
            expected="HTTP 401",
            evidence=wrong,
        )
    return passed(f"{what}: HTTP 401 on {len(exchanges)} requests", evidence=exchanges)


@check(
    "transport.auth_base64",
    clause="transport_and_format §1.1 [M] (2.2.1: Token <Base64 of the token>)",
    versions=ONLY_221,
)
async def auth_base64(ctx: Context) -> Verdict:
    """The token is accepted in its 2.2.1 form, Base64-encoded"""
    exchanges = await _auth_probe(ctx, Auth.BASE64)
    refused = [ex for ex in exchanges if not succeeded(ex)]
    if refused:
        return failed(
            f"Base64 token refused: {', '.join(describe(ex) for ex in refused)}",
            expected="HTTP 200, status_code 1000",
            evidence=refused,
        )
    return passed("Base64 token accepted", evidence=exchanges)


@check(
    "transport.auth_raw",
    clause="transport_and_format §1.1 [A] (d2 NOTE: stay compatible with raw 2.1.1/2.2 tokens)",
    versions=ONLY_221,
)
async def auth_raw(ctx: Context) -> Verdict:
    """The token is also accepted raw (a WARN, not a FAIL, when refused)"""
    exchanges = await _auth_probe(ctx, Auth.RAW)
    refused = [ex for ex in exchanges if not succeeded(ex)]
    if refused:
        return warned(
            f"raw token refused: {', '.join(describe(ex) for ex in refused)}; 2.2.1 says Base64,"
            " but 2.1.1/2.2 peers send raw tokens",
            expected="accepted, for interoperability",
            evidence=refused,
        )
    return passed("raw token accepted too", evidence=exchanges)


@check(
    "transport.token_a_scope",
    clause="transport_and_format §1.1 [M]; credentials §3.3",
    versions=ONLY_221,
)
async def token_a_scope(ctx: Context) -> Verdict:
    """Token A opens only versions and credentials: a functional module answers 401"""
    probe = ctx.registration.token_a_probe if ctx.registration else None
    if probe is None:
        return not_applicable("no registration with a token A in this run (--token-c)")
    if probe.status != 401:
        return failed(
            f"token A on a functional module was answered {describe(probe)}",
            expected="HTTP 401",
            evidence=[probe],
        )
    return passed("token A refused on a functional module", evidence=[probe])


@check(
    "transport.invalid_json",
    clause="status_codes §1.4 [M]",
    writes=True,  # a PUT, though nothing can be stored from it: not in --read-only
)
async def invalid_json(ctx: Context) -> Verdict:
    """A body that is not JSON is answered HTTP 400"""
    method, url, module = _invalid_json_target(ctx)
    exchange = await ctx.client.request(
        method, url, body=b'{"id": "CONFTEST-', headers=request_headers(ctx, module)
    )
    if exchange.status != 400:
        return failed(
            f"invalid JSON was answered {describe(exchange)}",
            expected="HTTP 400",
            evidence=[exchange],
        )
    return passed(f"{method} {url} with invalid JSON: HTTP 400", evidence=[exchange])


def _invalid_json_target(ctx: Context) -> tuple[str, str, str]:
    """A push to a Receiver URL of our own party (so that no party check comes first), else
    a credentials PUT: nothing can be stored from a body that does not parse."""
    cc, pid = ctx.identity
    for module, owner in OWNER_ROLE.items():
        url = ctx.endpoint(module, "RECEIVER")
        if url is not None and owner == ctx.options.presented_role:
            return "PUT", f"{url}/{cc}/{pid}/CONFTEST-INVALID-JSON", module
    return "PUT", ctx.credentials_url or ctx.options.versions_url, "credentials"


@check(
    "transport.routing_headers",
    clause="transport_and_format §1.6 [M]",
    versions=ONLY_221,
)
async def routing_headers(ctx: Context) -> Verdict:
    """Functional answers carry OCPI-to (us) and OCPI-from; configuration ones carry none"""
    sample = await _sample(ctx)
    config = [
        ex
        for what, ex, _ in sample.answers
        if what in ("versions", "version details", "credentials")
    ]
    hubclientinfo = ctx.endpoint("hubclientinfo", "SENDER")
    if hubclientinfo is not None:  # a configuration module too, though a Hub's list
        config.append(await ctx.client.get(hubclientinfo))
    leaked = [ex for ex in config if any(ex.header(h) is not None for h in ROUTING)]
    if leaked:
        return failed(
            "routing headers on configuration module answers: "
            + ", ".join(f"{ex.method} {ex.url}" for ex in leaked),
            expected="no OCPI-to/OCPI-from on versions, credentials, hubclientinfo (§1.6 [M])",
            evidence=leaked,
        )
    functional = sample.functional
    if functional is None:
        return not_applicable("the endpoint offers no functional module to call")
    to = (functional.header("OCPI-to-country-code"), functional.header("OCPI-to-party-id"))
    sender = (functional.header("OCPI-from-country-code"), functional.header("OCPI-from-party-id"))
    cc, pid = ctx.identity
    expected = f"OCPI-to {cc}*{pid} (us) and OCPI-from the answering party"
    if to == (None, None) and sender == (None, None):
        message = f"no routing headers on {functional.method} {functional.url}"
        if ctx.endpoint_is_hub or len(ctx.endpoint_roles) > 1:
            return failed(
                message + " (needed: hub or multi-party platform)",
                expected=expected,
                evidence=[functional],
            )
        # §1.6: the one case routing headers are not needed; the suite is one party too.
        return not_applicable(message + ", which two single-party platforms do not need")
    if (str(to[0]).upper(), str(to[1]).upper()) != (cc.upper(), pid.upper()) or None in sender:
        return failed(
            f"answer routed OCPI-to {to[0]}*{to[1]}, OCPI-from {sender[0]}*{sender[1]}",
            expected=expected,
            evidence=[functional],
        )
    return passed(f"OCPI-to {cc}*{pid}, OCPI-from {sender[0]}*{sender[1]}", evidence=[functional])
