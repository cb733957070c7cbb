"""Credentials module and registration (credentials.asciidoc; checklist §3): the A → B → C
handshake, GET, the 405s, rotation by PUT, and unregistering by DELETE, which runs last of all
and never in --read-only (nor does the rotation: both change the suite's access)."""

from __future__ import annotations

from conformance.checks import check
from conformance.context import Context
from conformance.envelope import answer_problems, describe, succeeded
from conformance.lists import base_params, request_headers, sender_lists
from conformance.model import (
    ONLY_221,
    Exchange,
    Phase,
    Role,
    Verdict,
    failed,
    not_applicable,
    passed,
    warned,
)
from conformance.peer import Received, SuiteParty
from conformance.register import versions_listed
from conformance.spec import V211
from conformance.validate import errors, validate


def _callback_problems(
    party: SuiteParty, seen: list[Received], token: str
) -> tuple[list[str], list[str]]:
    """(errors, warnings) about the endpoint reading our versions and details with `token`
    (in the token form of the party's version: Base64 in 2.2.1, raw in 2.1.1)."""
    versions_path = "/ocpi/versions"
    details_path = f"/ocpi/{party.version}"
    with_token = [r for r in seen if r.token == token and r.method == "GET"]
    hard = [
        f"it did not GET our {what} with the new token"
        for what, path in (("versions", versions_path), (f"{party.version} details", details_path))
        if not any(r.path.rstrip("/") == path for r in with_token)
    ]
    wrong, right = ("base64", "raw") if party.version == V211 else ("raw", "Base64")
    sent = sorted({r.path for r in with_token if r.auth_form == wrong})
    soft = [f"it sent the token {wrong}, not {right}, to {', '.join(sent)}"] if sent else []
    return hard, soft


@check(
    "credentials.registration",
    clause="credentials §3.3 [M]",
    needs_registration=False,
)
async def registration(ctx: Context) -> Verdict:
    """POST credentials with token A and our token B is answered with the endpoint's token C"""
    record = ctx.registration
    if record is not None and record.token_a is None and record.error:
        return failed(
            f"the token C given does not open the endpoint: {record.error}",
            expected="versions and 2.2.1 details readable with token C",
            evidence=record.evidence,
        )
    if record is None or record.token_a is None:
        return not_applicable("registration skipped: an existing token C was given")
    if record.post is None:
        return failed(
            record.error or "registration did not get as far as POST credentials",
            expected="versions → 2.2.1 details → POST credentials",
            evidence=record.evidence,
        )
    problems = answer_problems(record.post, "object")
    if not problems:
        found = validate("Credentials", record.post.data, "data", ctx.options.version)
        problems += [str(p) for p in errors(found)]
        token_c = record.post.data.get("token")
        if token_c in (record.token_a, record.token_b):
            problems.append("the token returned is token A or B, not a new token C")
    if problems:
        return failed(
            "; ".join(problems),
            expected="1000 with Credentials holding a new token C",
            evidence=record.evidence,
        )
    return passed("registered: token C received", evidence=record.evidence)


@check(
    "credentials.callback",
    clause="credentials §3.3 [M]; transport_and_format §1.1",
    needs_registration=False,
)
async def callback(ctx: Context) -> Verdict:
    """Before answering the POST, the endpoint reads our versions and details with token B"""
    record = ctx.registration
    if record is None or record.token_a is None or record.token_b is None:
        return not_applicable("no credentials POST in this run")
    evidence = [record.post] if record.post else []
    hard, soft = _callback_problems(ctx.party, record.callbacks, record.token_b)
    seen = ", ".join(f"{r.method} {r.path}" for r in record.callbacks) or "nothing"
    if hard:
        return failed(
            f"{'; '.join(hard)} (we received {seen})",
            expected="GET versions and GET the details, Authorization: Token <B>",
            evidence=evidence,
        )
    if soft:
        return warned(
            "; ".join(soft), expected="Token <B> in the version's form", evidence=evidence
        )
    return passed(f"read our endpoints with token B ({seen})", evidence=evidence)


@check(
    "credentials.token_a_dead",
    clause="credentials §3.3 [M]",
)
async def token_a_dead(ctx: Context) -> Verdict:
    """After registration token A is no longer accepted"""
    record = ctx.registration
    if record is None or record.token_a is None:
        return not_applicable("no token A in this run")
    exchange = await ctx.client.get(ctx.options.versions_url, token=record.token_a)
    if exchange.status != 401:
        return failed(
            f"token A still works: {describe(exchange)}", expected="HTTP 401", evidence=[exchange]
        )
    return passed("token A refused after registration", evidence=[exchange])


async def _get_credentials(ctx: Context) -> Exchange:
    assert ctx.credentials_url is not None
    return await ctx.client.get(ctx.credentials_url)


@check(
    "credentials.get",
    clause="credentials §3.2, §3.1",
)
async def get(ctx: Context) -> Verdict:
    """GET credentials answers the endpoint's own Credentials object"""
    exchange = await _get_credentials(ctx)
    problems = answer_problems(exchange, "object")
    if not problems:
        found = validate("Credentials", exchange.data, "data", ctx.options.version)
        problems = [str(p) for p in errors(found)]
    if problems:
        return failed(
            "; ".join(problems),
            expected="1000 with a valid Credentials object",
            evidence=[exchange],
        )
    # Its `url` is the endpoint's versions URL (§3.1): it must lead to a versions list.
    versions = await ctx.client.get(str(exchange.data["url"]))
    listed = versions_listed(versions.data) if succeeded(versions) else None
    version = ctx.options.version
    if not isinstance(listed, list) or not any(
        isinstance(v, dict) and v.get("version") == version for v in listed
    ):
        return warned(
            f"its url does not lead to a versions list with {version}: {describe(versions)}",
            expected="url: the endpoint's versions URL",
            evidence=[exchange, versions],
        )
    return passed(
        f"Credentials object is valid; its url lists {version}", evidence=[exchange, versions]
    )


@check(
    "credentials.roles",
    clause="credentials §3.1 [M]",
    versions=ONLY_221,  # 2.1.1 Credentials carry one party and no role
)
async def roles(ctx: Context) -> Verdict:
    """The Credentials roles announce the role under test (a Hub: HUB and nothing else)"""
    exchange = await _get_credentials(ctx)
    data = exchange.data
    listed = (
        [r.get("role") for r in (data.get("roles") or []) if isinstance(r, dict)]
        if (isinstance(data, dict))
        else []
    )
    if not listed:
        return failed("no roles in the Credentials", expected="roles+", evidence=[exchange])
    if ctx.role == Role.HUB:
        if set(listed) != {"HUB"}:
            return failed(
                f"a Hub announces {listed}",
                expected="only HUB (its parties come via HubClientInfo)",
                evidence=[exchange],
            )
        return passed("only HUB is announced", evidence=[exchange])
    if ctx.role.value in listed:
        return passed(f"{ctx.role.value} is announced", evidence=[exchange])
    if set(listed) == {"HUB"}:
        return not_applicable(
            f"the endpoint is a Hub: it serves {ctx.role.value} interfaces for "
            "parties it announces through HubClientInfo, not in its roles"
        )
    return failed(
        f"announces {listed}, not {ctx.role.value}", expected=ctx.role.value, evidence=[exchange]
    )


@check(
    "credentials.post_again",
    clause="credentials §3.2 [M]",
    phase=Phase.WRITE,
    writes=True,
)
async def post_again(ctx: Context) -> Verdict:
    """POST credentials while registered is answered HTTP 405"""
    assert ctx.credentials_url is not None
    token_b = ctx.party.issue_token()
    exchange = await ctx.client.request(
        "POST", ctx.credentials_url, json_body=ctx.party.credentials(token_b)
    )
    if exchange.status == 405:
        return passed("second POST refused with 405", evidence=[exchange])
    data = exchange.data
    if succeeded(exchange) and isinstance(data, dict) and isinstance(data.get("token"), str):
        ctx.new_token(data["token"])  # it re-registered us: go on with what it gave
    return failed(
        f"second POST answered {describe(exchange)}", expected="HTTP 405", evidence=[exchange]
    )


async def _functional_get(ctx: Context, token: str) -> Exchange:
    """A GET that needs a registered party: a Sender list, else versions."""
    lists = sender_lists(ctx)
    if not lists:
        return await ctx.client.get(ctx.options.versions_url, token=token)
    module, url = lists[0]
    return await ctx.client.get(
        url, token=token, params=base_params(module), headers=request_headers(ctx, module)
    )


@check(
    "credentials.put_rotates",
    clause="credentials §3.2 [M], §3.3 [M] (rotate on compromise)",
    phase=Phase.ROTATE,
    writes=True,
)
async def put_rotates(ctx: Context) -> Verdict:
    """PUT credentials re-reads our endpoints, returns a new token, and the old one dies"""
    assert ctx.credentials_url is not None and ctx.client.token is not None
    old = ctx.client.token
    token_b = ctx.party.issue_token()
    mark = len(ctx.party.received)
    put = await ctx.client.request(
        "PUT", ctx.credentials_url, json_body=ctx.party.credentials(token_b)
    )
    data = put.data
    new = data.get("token") if isinstance(data, dict) else None
    if isinstance(new, str) and new:
        ctx.new_token(new)  # whatever else is wrong, it is the token from now on
    problems = answer_problems(put, "object")
    if not problems and (not isinstance(new, str) or not new or new == old):
        problems.append("no new token in the answer")
    if problems or not isinstance(new, str):
        return failed(
            "; ".join(problems),
            expected="1000 with Credentials holding a new token",
            evidence=[put],
        )
    hard, soft = _callback_problems(ctx.party, ctx.party.since(mark), token_b)
    with_old = await _functional_get(ctx, old)
    with_new = await _functional_get(ctx, new)
    evidence = [put, with_old, with_new]
    if with_old.status != 401:
        hard.append(f"the old token still works: {describe(with_old)}")
    if not succeeded(with_new):
        hard.append(f"the new token does not work: {describe(with_new)}")
    if hard:
        return failed(
            "; ".join(hard),
            expected="endpoints re-read with the new B; old token 401; new token 1000",
            evidence=evidence,
        )
    if soft:
        return warned("; ".join(soft), expected="Token <Base64>", evidence=evidence)
    return passed(
        "rotated: endpoints re-read, old token refused, new token works", evidence=evidence
    )


@check(
    "credentials.delete",
    clause="credentials §3.2 [M]",
    phase=Phase.UNREGISTER,
    writes=True,
)
async def delete(ctx: Context) -> Verdict:
    """DELETE credentials unregisters: functional calls are refused, a second DELETE too"""
    assert ctx.credentials_url is not None and ctx.client.token is not None
    token = ctx.client.token
    deleted = await ctx.client.request("DELETE", ctx.credentials_url)
    if not succeeded(deleted):
        return failed(f"DELETE answered {describe(deleted)}", expected="1000", evidence=[deleted])
    after = await _functional_get(ctx, token)
    again = await ctx.client.request("DELETE", ctx.credentials_url)
    evidence = [deleted, after, again]
    problems = []
    if succeeded(after) and sender_lists(ctx):
        problems.append(f"still served after unregistering: {describe(after)}")
    if again.status not in (401, 405):
        problems.append(f"a second DELETE answered {describe(again)}")
    if problems:
        return failed(
            "; ".join(problems),
            expected="functional calls 401 after DELETE; a second DELETE 405 (or 401)",
            evidence=evidence,
        )
    return passed("unregistered; later calls refused", evidence=evidence)
