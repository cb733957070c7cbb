"""Versions module (version_information_endpoint.asciidoc; checklist §2): the versions list,
the 2.2.1 details, and which interfaces the endpoint offers for its role."""

from __future__ import annotations

from collections import Counter

from conformance.checks import check
from conformance.context import Context
from conformance.envelope import answer_problems
from conformance.model import Role, Verdict, failed, not_applicable, passed, warned
from conformance.register import versions_listed
from conformance.spec import V211, V221
from conformance.validate import errors, validate, warnings

_HUB_MODULES = (
    "cdrs",
    "chargingprofiles",
    "commands",
    "locations",
    "sessions",
    "tariffs",
    "tokens",
)
# The interfaces a party of each role typically offers (terminology.asciidoc; checklist §5 for
# a Hub). None is strictly required besides credentials, so a missing one is a warning.
TYPICAL_INTERFACES: dict[Role, tuple[tuple[str, str], ...]] = {
    Role.CPO: (
        ("locations", "SENDER"),
        ("tariffs", "SENDER"),
        ("sessions", "SENDER"),
        ("cdrs", "SENDER"),
        ("tokens", "RECEIVER"),
        ("commands", "RECEIVER"),
    ),
    Role.EMSP: (
        ("tokens", "SENDER"),
        ("locations", "RECEIVER"),
        ("tariffs", "RECEIVER"),
        ("sessions", "RECEIVER"),
        ("cdrs", "RECEIVER"),
    ),
    Role.HUB: (
        *((module, interface) for module in _HUB_MODULES for interface in ("SENDER", "RECEIVER")),
        ("hubclientinfo", "SENDER"),
    ),
}


@check(
    "versions.list",
    clause="version_information_endpoint §2 [M]",
    needs_registration=False,
)
async def versions_list(ctx: Context) -> Verdict:
    """GET versions lists Version objects (version, url), the version checked among them"""
    version = ctx.options.version
    exchange = await ctx.client.get(ctx.options.versions_url)
    # 2.1.1-d2's table wraps the list in `versions`, its example does not: take both there.
    problems = answer_problems(exchange, "list" if version == V221 else None)
    listed = versions_listed(exchange.data)
    if not problems and listed is None:
        problems = ["data is neither a list nor {versions: [...]}"]
    if problems or listed is None:
        return failed(
            "; ".join(problems), expected="a 1000 envelope with a list", evidence=[exchange]
        )
    found = [
        p for i, v in enumerate(listed) for p in validate("Version", v, f"versions[{i}]", version)
    ]
    if not listed:
        found_msg = "the versions list is empty (cardinality +)"
        return failed(found_msg, expected="at least one Version", evidence=[exchange])
    if errors(found):
        message = "; ".join(map(str, errors(found)))
        return failed(
            message, expected="Version: version VersionNumber, url URL", evidence=[exchange]
        )
    if not any(isinstance(v, dict) and v.get("version") == version for v in listed):
        offered = ", ".join(str(v.get("version")) for v in listed if isinstance(v, dict))
        return failed(
            f"{version} is not offered ({offered})", expected=version, evidence=[exchange]
        )
    return passed(f"{len(listed)} version(s), {version} among them", evidence=[exchange])


@check(
    "versions.details",
    clause="version_information_endpoint §2 [M]",
    needs_registration=False,
)
async def versions_details(ctx: Context) -> Verdict:
    """The details list endpoints with identifier, role (SENDER/RECEIVER; none in 2.1.1), URL"""
    version = ctx.options.version
    if ctx.details_url is None:
        return not_applicable(f"no {version} details URL was found")
    exchange = await ctx.client.get(ctx.details_url)
    problems = answer_problems(exchange, "object")
    if problems:
        return failed(
            "; ".join(problems), expected="a 1000 envelope with an object", evidence=[exchange]
        )
    found = validate("VersionDetails", exchange.data, "details", version)
    hard = [str(p) for p in errors(found)]
    data = exchange.data
    if data.get("version") != version:
        hard.append(f"details.version is {data.get('version')!r}, not {version!r}")
    endpoints = [e for e in data.get("endpoints") or [] if isinstance(e, dict)]
    for i, endpoint in enumerate(endpoints):
        url = endpoint.get("url")
        if isinstance(url, str) and not url.startswith(("http://", "https://")):
            hard.append(f"details.endpoints[{i}].url {url!r} is not an absolute URL")
    pairs = Counter((e.get("identifier"), e.get("role")) for e in endpoints)
    hard += [f"{m} {r} is listed {n} times" for (m, r), n in pairs.items() if n > 1]
    if version == V211:
        hard += [
            f"details.endpoints[{i}] has a role {e['role']!r}: 2.1.1 endpoints have none"
            for i, e in enumerate(endpoints)
            if "role" in e
        ]
    expected = f"version {version}; endpoints+: identifier ModuleID, url URL" + (
        ", role InterfaceRole" if version == V221 else " (no role)"
    )
    if hard:
        return failed("; ".join(hard), expected=expected, evidence=[exchange])
    if warnings(found):
        message = "; ".join(map(str, warnings(found))) + " (custom modules: by agreement only)"
        return warned(message, expected=expected, evidence=[exchange])
    return passed(f"{len(endpoints)} endpoints, each well formed", evidence=[exchange])


@check(
    "versions.credentials_endpoint",
    clause="version_information_endpoint §2; credentials §3 (required module)",
    needs_registration=False,
)
async def credentials_endpoint(ctx: Context) -> Verdict:
    """The details list the credentials endpoint, once"""
    if ctx.details_url is None:
        return not_applicable(f"no {ctx.options.version} details were read")
    listed = [e for e in ctx.endpoints if e.identifier == "credentials"]
    evidence = [ctx.registration.details] if ctx.registration and ctx.registration.details else []
    if not listed:
        return failed("no credentials endpoint", expected="credentials listed", evidence=evidence)
    if len(listed) > 1:
        roles = ", ".join(e.role for e in listed)
        return warned(
            f"credentials listed {len(listed)} times ({roles})",
            expected="once; its role is meaningless, d2 advises SENDER",
            evidence=evidence,
        )
    return passed(f"credentials at {listed[0].url}", evidence=evidence)


@check(
    "versions.module_interfaces",
    clause="terminology (interfaces per role); checklist §4, §5",
)
async def module_interfaces(ctx: Context) -> Verdict:
    """The interfaces a party of this role typically offers are present"""
    offered = {(e.identifier, e.role) for e in ctx.endpoints}
    missing = [f"{m} {r}" for m, r in TYPICAL_INTERFACES[ctx.role] if (m, r) not in offered]
    evidence = [ctx.registration.details] if ctx.registration and ctx.registration.details else []
    if missing:
        return warned(
            f"no {', '.join(missing)} (not required, but a {ctx.role.value} usually offers them)",
            expected=", ".join(f"{m} {r}" for m, r in TYPICAL_INTERFACES[ctx.role]),
            evidence=evidence,
        )
    return passed(f"every typical {ctx.role.value} interface is offered", evidence=evidence)
