"""CDRs through the hub (checklist §4.3, §1.5, §1.6, §5).

CDRs are a CPO's, personal and immutable. Each is stored once, with its audience, the eMSP owning
its token (`cdr_token.country_code/party_id`); only that eMSP and the owner CPO ever see it.

Receiver interface (a CPO posts): `POST {receiver}/cdrs` with a CDR.
- The CDR's country_code/party_id must be one of the caller's CPO parties (2001 with HTTP 200:
  a wrong field, not an unknown URL, so not the 404 of a URL naming another party), and the CDR
  valid (2001: e.g. no charging periods, a session-only dimension, a credit CDR without
  credit_reference_id).
- Open routing, OCPI-to the hub, or OCPI-to the token's eMSP (any other party: 2001): the hub
  stores the CDR and queues a POST of it, as sent, to the token eMSP's CDRs receiver endpoint, in
  one transaction. Delivery always goes through the outbox, even when OCPI-to names the eMSP: a
  CDR is money, and the outbox retries until the eMSP has it. A token eMSP the hub does not know
  is refused (2001), nothing stored; an OCPI-to party the hub does not know is 4001 before the
  CDR is read (relay.functional_call).
- The answer is HTTP 201 with a `Location` header naming the hub's own copy,
  `{public_url}/ocpi/2.2.1/receiver/cdrs/{cc}/{pid}/{id}`.
- A second POST of a CDR id the CPO used already is refused with 2001 (HTTP 200, the spec's
  advice for client errors once the OCPI layer is reached): the stored CDR stays as it was and
  nothing is delivered again. A correction is a credit CDR, with its own id; its delivery is
  queued behind those of the CDR it credits (one outbox queue), so an eMSP never receives a
  credit before the CDR it corrects, retries included.
- `GET` on the Location URL returns the CDR to the owner CPO and to the token's eMSP; to anyone
  else it does not exist (404/2001, the same answer as for an unknown CDR). It always serves the
  hub's copy: that URL names it, whatever OCPI-to says.

Sender interface: the paged list of CDRs the caller owns or is meant for.
"""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from ocpi_hub.core.envelope import envelope
from ocpi_hub.core.model import validate
from ocpi_hub.core.modules.cdrs import CDR
from ocpi_hub.core.objects import credited
from ocpi_hub.core.parties import InterfaceRole, ModuleID, Role
from ocpi_hub.core.stored import CDRS
from ocpi_hub.core.urls import module_path
from ocpi_hub.errors import ForeignParty, InvalidParameters
from ocpi_hub.storage.repositories.objects import ObjectKey
from ocpi_hub.web.keys import SETTINGS
from ocpi_hub.web.middleware import ocpi_response, read_json
from ocpi_hub.web.objects import (
    named_objects,
    personal_addressee,
    receive_new,
    sender_list,
    viewer,
)
from ocpi_hub.web.relay import functional_call, owned_party_in_body

SENDER_PATH = module_path(ModuleID.CDRS, InterfaceRole.SENDER)
RECEIVER_PATH = module_path(ModuleID.CDRS, InterfaceRole.RECEIVER)
ENDPOINTS = [
    (ModuleID.CDRS, InterfaceRole.SENDER, SENDER_PATH),
    (ModuleID.CDRS, InterfaceRole.RECEIVER, RECEIVER_PATH),
]


def location_of(public_url: str, country_code: str, party_id: str, cdr_id: str) -> str:
    """Where the hub serves its copy of a CDR: the POST answer's `Location` header."""
    parts = (quote(part, safe="") for part in (country_code, party_id, cdr_id))
    return f"{public_url}{RECEIVER_PATH}/" + "/".join(parts)


async def post_cdr(request: web.Request) -> web.Response:
    call = await functional_call(request, ModuleID.CDRS, InterfaceRole.RECEIVER)
    cdr = await read_json(request)
    if not isinstance(cdr, dict):
        raise InvalidParameters("the body must be a JSON object")
    validate(CDR, cdr)
    owner = owned_party_in_body(call.caller, cdr, Role.CPO)
    await personal_addressee(request, call, CDRS, cdr)
    location = location_of(
        request.app[SETTINGS].public_url, cdr["country_code"], cdr["party_id"], cdr["id"]
    )
    exists = InvalidParameters(
        f"CDR {cdr['id']!r} exists already ({location}): CDRs are immutable;"
        " correct one with a credit CDR under a new id"
    )
    key = ObjectKey(ModuleID.CDRS.value, owner, cdr["id"])
    corrected = credited(cdr)
    behind = ObjectKey(ModuleID.CDRS.value, owner, corrected) if corrected else None
    return await receive_new(
        request,
        call,
        CDRS,
        key,
        cdr,
        exists=exists,
        headers={"Location": location},
        behind=behind,
    )


async def get_cdr(request: web.Request) -> web.Response:
    call = await functional_call(request, ModuleID.CDRS, InterfaceRole.RECEIVER)
    info = request.match_info
    found = await named_objects(
        request,
        call,
        ModuleID.CDRS.value,
        info["cdr_id"],
        owner=(info["country_code"].upper(), info["party_id"].upper()),
        viewer=viewer(call, CDRS),
        visible=call.visible,
    )
    if not found:
        raise ForeignParty(f"no CDR {info['cdr_id']!r} of yours or for you")
    return ocpi_response(envelope(found[0]))


async def sender_cdrs(request: web.Request) -> web.Response:
    call = await functional_call(request, ModuleID.CDRS, InterfaceRole.SENDER)
    return await sender_list(request, call, CDRS)


def routes() -> list[web.RouteDef]:
    # Route names start with the module: the middleware logs it and tells functional modules
    # (token C only) from configuration modules by it. No PUT, PATCH or DELETE: CDRs are
    # immutable, so those methods are 405.
    return [
        web.get(SENDER_PATH, sender_cdrs, name="cdrs:sender_list"),
        web.post(RECEIVER_PATH, post_cdr, name="cdrs:receiver_post"),
        web.get(
            RECEIVER_PATH + "/{country_code}/{party_id}/{cdr_id}",
            get_cdr,
            name="cdrs:receiver_get",
        ),
    ]
