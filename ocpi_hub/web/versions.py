"""Versions module (checklist §2): the versions list and the 2.2.1 and 2.1.1 details; and the
two health views operators and orchestrators poll (not OCPI modules, no token)."""

from __future__ import annotations

from aiohttp import web

from ocpi_hub.core.envelope import envelope
from ocpi_hub.core.handshake import OCPI_VERSION
from ocpi_hub.core.parties import InterfaceRole, ModuleID, Platform, Role
from ocpi_hub.dialects.v211 import V211, VERSIONS, path_211
from ocpi_hub.dialects.v211.credentials import endpoints_out
from ocpi_hub.errors import DatabaseUnavailable, InvalidParameters
from ocpi_hub.web.keys import CALLER, DATABASE, SETTINGS
from ocpi_hub.web.middleware import ocpi_response


async def versions(request: web.Request) -> web.Response:
    """Both versions the hub serves: a party picks one by registering at its credentials."""
    public_url = request.app[SETTINGS].public_url
    data = [{"version": v, "url": f"{public_url}/ocpi/{v}"} for v in VERSIONS]
    return ocpi_response(envelope(data))


# Every interface the hub serves, filled by web.app from the modules it registers.
OFFERED = web.AppKey("offered", list[tuple[ModuleID, InterfaceRole, str]])


async def version_details(request: web.Request) -> web.Response:
    public_url = request.app[SETTINGS].public_url
    endpoints = [
        {"identifier": module.value, "role": role.value, "url": public_url + path}
        for module, role, path in request.app[OFFERED]
    ]
    return ocpi_response(envelope({"version": OCPI_VERSION, "endpoints": endpoints}))


async def version_details_211(request: web.Request) -> web.Response:
    """The 2.1.1 details: endpoints carry no role in 2.1.1, so each party is given the side it
    talks to (§1.7): a CPO the hub's eMSP interfaces, an eMSP its CPO interfaces, by the role
    it was invited in."""
    public_url = request.app[SETTINGS].public_url
    offered = [
        {"identifier": module.value, "role": role.value, "url": public_url + path_211(path)}
        for module, role, path in request.app[OFFERED]
    ]
    caller: Platform = request[CALLER]
    role = caller.role or Role.OTHER
    if role not in (Role.CPO, Role.EMSP):
        raise InvalidParameters(f"OCPI 2.1.1 has CPOs and eMSPs only, not a {role.value}")
    endpoints = endpoints_out(offered, role)
    return ocpi_response(envelope({"version": V211, "endpoints": endpoints}))


async def ready(request: web.Request) -> web.Response:
    """Readiness, `/health`: 200 while the hub can serve OCPI, i.e. its database answers a
    bounded `SELECT 1`; else HTTP 503 with 3000 and Retry-After, `data.database` "unreachable"."""
    if await request.app[DATABASE].check():
        return ocpi_response(envelope({"status": "ok", "database": "reachable"}))
    raise DatabaseUnavailable(
        "the hub's database is unreachable",
        data={"status": "unavailable", "database": "unreachable"},
    )


async def live(request: web.Request) -> web.Response:
    """Liveness, `/health/live`: 200 while the process serves HTTP, whatever its database does
    (restart the process when this fails, not when readiness does)."""
    return ocpi_response(envelope({"status": "ok"}))


def routes() -> list[web.RouteDef]:
    return [
        web.get("/health", ready, name="health:ready"),
        web.get("/health/live", live, name="health:live"),
        web.get("/ocpi/versions", versions, name="config:versions"),
        web.get(f"/ocpi/{OCPI_VERSION}", version_details, name="config:version_details"),
        web.get(f"/ocpi/{V211}", version_details_211, name="config:version_details_211"),
    ]
