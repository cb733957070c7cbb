"""What a Hub delivers to whom beyond plain routing (hub rules §5; mod_commands §4.6; mod_sessions
§4.2; status_codes §1.4): a command's `response_url` proxied so the CPO's result finds its way
back, personal data (a Session) kept to the eMSP it is for, and 4003 for a party that is not
connected. The last one stops and unregisters one of the suite's --party parties, so it runs
last of the hub checks (definition order within the area).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from yarl import URL

from conformance import testobjects
from conformance.checks.hub_hops import (
    DELIVERY_WAIT,
    as_evidence,
    hop_problems,
    judged,
    quiet,
    waited,
)
from conformance.checks.hub_parties import (
    Member,
    hub_check,
    hub_key,
    members,
    new_push,
    pick,
    route,
)
from conformance.context import Context
from conformance.envelope import describe, succeeded
from conformance.lists import parse_link
from conformance.model import Exchange, NotApplicable, Verdict


@hub_check(
    "hub.response_url_proxied",
    clause="mod_commands §4.6 [M] (CommandResult POSTed to response_url); hub rules §5 [A] "
    "(checklist §7.14: a CPO behind a Hub holds no token for the eMSP's platform); §1.2 [M] "
    "(each forwarded hop: new X-Request-ID, same X-Correlation-ID); §1.6 [M]",
)
async def response_url_proxied(ctx: Context) -> Verdict:
    """A START_SESSION reaches the CPO with the hub's response_url; the result gets back"""
    found = await members(ctx)
    emsp = pick(found, "EMSP", why="a command is sent by an eMSP")
    cpo = pick(found, "CPO", scripted=True, why="the CPO commanded must take Commands")
    cc, pid = emsp.key
    original = f"{emsp.party.public_url}/callbacks/{testobjects.test_id('CMD')}"
    location_id = testobjects.test_id("LOC")
    command = {
        "response_url": original,
        "token": testobjects.token(cc, pid, testobjects.test_id("TOK"), valid=False),
        "location_id": location_id,
    }
    cpo_mark, emsp_mark = len(cpo.party.received), len(emsp.party.received)
    sent = await emsp.client.request(
        "POST",
        f"{emsp.endpoint('commands', 'RECEIVER')}/START_SESSION",
        json_body=command,
        headers=route(emsp.key, cpo.key),
    )
    evidence: list[Exchange] = [sent]
    expected = (
        "the CPO gets a response_url that is not the eMSP's; a CommandResult POSTed there "
        "reaches the eMSP's own response_url as posted; each hop with a new X-Request-ID, the "
        "sender's X-Correlation-ID and OCPI-from/to the requesting/receiving party"
    )
    result = sent.data.get("result") if isinstance(sent.data, dict) else None
    if not succeeded(sent) or result != "ACCEPTED":
        problems = [f"the CPO's ACCEPTED did not come back: {describe(sent)}"]
        return judged(problems, [], "", expected, evidence)
    got = await waited(cpo, lambda r: r.method == "POST" and "START_SESSION" in r.path, cpo_mark)
    body = got.body if got is not None else None
    if got is None or not isinstance(body, dict):
        return judged(["the command never reached the CPO"], [], "", expected, evidence)
    evidence.append(as_evidence(cpo, got))
    problems = hop_problems(f"the command at {cpo.name}", got, sent, emsp.key, cpo.key)
    proxied = body.get("response_url")
    if proxied == original:
        problems.append(f"reached {cpo.name} with the eMSP's own response_url: not proxied")
        return judged(problems, [], "", expected, evidence)
    if not isinstance(proxied, str) or not proxied.startswith(("http://", "https://")):
        problems.append(f"reached the CPO with response_url {proxied!r}")
        return judged(problems, [], "", expected, evidence)
    outcome: dict[str, Any] = {
        "result": "ACCEPTED",
        "message": [{"language": "en", "text": f"CONFTEST {location_id} started"}],
    }
    posted = await cpo.client.request(
        "POST", proxied, json_body=outcome, headers=route(cpo.key, emsp.key)
    )
    evidence.append(posted)
    if not succeeded(posted):
        problems.append(f"the CommandResult was answered {describe(posted)}")
    path = URL(original).path
    back = await waited(emsp, lambda r: r.method == "POST" and r.path == path, emsp_mark)
    if back is None:
        problems.append(f"the CommandResult never reached {original} within {DELIVERY_WAIT:g} s")
    else:
        evidence.append(as_evidence(emsp, back))
        # The hub forwards the CPO's POST: a new X-Request-ID, the POST's X-Correlation-ID.
        problems += hop_problems(f"the result at {emsp.name}", back, posted, cpo.key, emsp.key)
        if back.body != outcome:
            problems.append(f"the CommandResult arrived as {back.body!r}, not as posted")
    return judged(
        problems, [], f"proxied as {proxied}; the result reached {original}", expected, evidence
    )


async def _sender_list(
    ctx: Context, reader: Member, hub: tuple[str, str], evidence: list[Exchange]
) -> list[Any] | None:
    """Every Session `reader` may pull from the hub (recent ones), None when unreadable."""
    url: str | URL = reader.endpoint("sessions", "SENDER")
    params = {"date_from": testobjects.moment(-600)}  # Sessions' date_from: required (§7.6)
    items: list[Any] = []
    for _ in range(ctx.options.max_pages):
        page = await reader.client.get(url, params=params, headers=route(reader.key, hub))
        evidence.append(page)
        if not succeeded(page) or not isinstance(page.data, list):
            return None
        items += page.data
        link = parse_link(page.header("Link"))
        if link is None:
            break
        url, params = URL(link, encoded=True), {}
    return items


@hub_check(
    "hub.party_scoping",
    clause="transport_and_format §1.6 [M] (delivered to the party OCPI-to names); hub rules §5 "
    "[S] (Sessions are personal, never broadcast); §1.5 (a list holds what is meant for the "
    "client)",
)
async def party_scoping(ctx: Context) -> Verdict:
    """A Session for eMSP A reaches A only; eMSP B can neither pull it nor read it by id"""
    found = await members(ctx)
    owner = pick(found, "EMSP", why="a Session is meant for one eMSP")
    bystander = pick(found, "EMSP", besides=(owner,), why="another eMSP must not get the Session")
    cpo = pick(found, "CPO", why="a Session is pushed by a CPO")
    hub = hub_key(ctx)
    cc, pid = cpo.key
    session_id = testobjects.test_id("SES")
    session = testobjects.session(cc, pid, session_id, owner.key, testobjects.test_id("LOC"))
    receiver = f"{cpo.endpoint('sessions', 'RECEIVER')}/{cc}/{pid}/{session_id}"
    owner_mark, bystander_mark = len(owner.party.received), len(bystander.party.received)
    started = time.monotonic()
    put = await cpo.client.request(
        "PUT", receiver, json_body=session, headers=route(cpo.key, owner.key)
    )
    evidence: list[Exchange] = [put]
    problems: list[str] = []
    doubts: list[str] = []
    if not succeeded(put):
        problems.append(f"the Session PUT was answered {describe(put)}")
    got = await waited(owner, lambda r: session_id in r.path, owner_mark)
    if got is None:
        problems.append(f"the Session never reached {owner.name} within {DELIVERY_WAIT:g} s")
    else:
        evidence.append(as_evidence(owner, got))
    await asyncio.sleep(quiet(time.monotonic() - started))
    leaked = [
        r for r in bystander.party.since(bystander_mark) if session_id in f"{r.path} {r.body}"
    ]
    if leaked:
        problems.append(f"{owner.name}'s Session was delivered to {bystander.name}")
        evidence += [as_evidence(bystander, r) for r in leaked]
    try:
        pulled = await _sender_list(ctx, bystander, hub, evidence)
    except NotApplicable:
        pulled = []  # no Sessions Sender: nothing to pull
    if pulled is None:
        unreadable = describe(evidence[-1])
        doubts.append(f"{bystander.name} could not read the Sessions list: {unreadable}")
    elif any(isinstance(s, dict) and s.get("id") == session_id for s in pulled):
        problems.append(f"{bystander.name} pulls {owner.name}'s Session from the Sessions list")
    by_id = await bystander.client.get(receiver, headers=route(bystander.key, hub))
    evidence.append(by_id)
    if succeeded(by_id) and isinstance(by_id.data, dict) and by_id.data.get("id") == session_id:
        problems.append(f"{bystander.name} reads {owner.name}'s Session by id")
    done = {"status": "COMPLETED", "end_date_time": testobjects.moment()}
    await cpo.client.request(
        "PATCH",
        receiver,
        json_body={**done, "last_updated": testobjects.moment()},
        headers=route(cpo.key, owner.key),
    )
    return judged(
        problems,
        doubts,
        f"Session {session_id} reached {owner.name} only; {bystander.name} cannot read it",
        f"the Session reaches {owner.name} alone; {bystander.name} neither receives it nor finds "
        "it in the Sessions list or by id",
        evidence,
    )


def _victim(found: list[Member]) -> tuple[Member, Member]:
    """(a --party party to take offline, a party of the other role to address it)."""
    for role, sender_role in (("EMSP", "CPO"), ("CPO", "EMSP")):
        victims = [m for m in found if m.role == role and m.scripted is not None]
        senders = [m for m in found if m.role == sender_role]
        if victims and senders:
            return victims[-1], senders[0]
    raise NotApplicable(
        "needs a --party party to take offline and a party of the other role to address it"
    )


@hub_check(
    "hub.not_connected",
    clause="hub rules §5 [M] (party not connected: 4003; forward timeout: 4002); status_codes "
    "§1.4; credentials §3.2 (DELETE unregisters)",
)
async def not_connected(ctx: Context) -> Verdict:
    """A push to a party whose server is down, then to one unregistered, is answered 4003"""
    found = await members(ctx)
    victim, sender = _victim(found)
    problems: list[str] = []
    doubts: list[str] = []
    # Taken out of the run first: no later check may count on it.
    found.remove(victim)
    await victim.party.stop()
    push = new_push(sender)
    down = await sender.client.request(
        "PUT", push.url, json_body=push.body, headers=route(sender.key, victim.key)
    )
    if down.status_code not in (4003, 4002):
        answered = describe(down)
        problems.append(f"with its server down, a push to {victim.name} was answered {answered}")
    gone = await victim.client.request("DELETE", victim.credentials_url)
    evidence = [down, gone]
    if not succeeded(gone):
        problems.append(f"{victim.name} could not unregister: {describe(gone)}")
    else:
        victim.registered = False
        push = new_push(sender)
        after = await sender.client.request(
            "PUT", push.url, json_body=push.body, headers=route(sender.key, victim.key)
        )
        evidence.append(after)
        if after.status_code == 4001:
            # Forgetting a party that was connected is not the spec's reading: ClientInfo keeps
            # such a party (SUSPENDED, §4.8), known but not connected.
            doubts.append(f"once {victim.name} unregistered, a push to it was answered 4001")
        elif after.status_code != 4003:
            answered = describe(after)
            problems.append(f"once {victim.name} unregistered, a push was answered {answered}")
    return judged(
        problems,
        doubts,
        f"{victim.name} offline and then unregistered: 4003",
        "status_code 4003 (4002 when the hub waited for the party that is down)",
        evidence,
    )
