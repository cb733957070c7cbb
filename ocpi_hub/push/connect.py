"""The I/O half of the credentials handshake: discovering a peer, and connecting to it.

`discover` is what the hub does both as server (checklist §3.2 POST/PUT: call the client back with
its token B) and as initiator (`ocpi-hub connect`: read the peer's versions with token A).
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import ValidationError

from ocpi_hub import dialects
from ocpi_hub.core.handshake import (
    OCPI_VERSION,
    check_endpoints,
    hub_credentials,
    new_token,
    parties_of,
    pick_version,
)
from ocpi_hub.core.parties import (
    Credentials,
    ModuleID,
    Party,
    Role,
    Version,
    VersionDetails,
)
from ocpi_hub.errors import ClientApiUnusable, InvalidParameters, OcpiError
from ocpi_hub.logging import get_logger
from ocpi_hub.push.client import PeerClient, PeerUnreachable
from ocpi_hub.settings import Settings
from ocpi_hub.storage import Connection, Executor
from ocpi_hub.storage.repositories import platforms

log = get_logger("ocpi_hub.push.connect")


async def discover(
    client: PeerClient,
    versions_url: str,
    token: str,
    timeout: float,
    dialect: dialects.Dialect = dialects.OCPI_221,
) -> VersionDetails:
    """GET the peer's versions and its 2.2.1 details with `token` (encoded as `dialect` wants).

    3001 when the peer cannot be used (unreachable, refuses the token, answers nonsense), and
    when its versions URL or one of its endpoints is not a URL the hub may call: each must
    resolve only into OCPI_HUB_PEER_NETWORKS (push.networks), checked before the hub calls the
    versions URL; 3002 when it offers no 2.2.1.
    """
    await _check_callable(client, versions_url, "versions URL")
    try:
        listed = await client.get_data(versions_url, token=token, timeout=timeout, dialect=dialect)
        versions = [Version.model_validate(v) for v in listed]
        version = pick_version(versions)
        details = VersionDetails.model_validate(
            await client.get_data(version.url, token=token, timeout=timeout, dialect=dialect)
        )
    except (PeerUnreachable, ValidationError, TypeError) as exc:
        raise ClientApiUnusable(f"could not read the versions at {versions_url}: {exc}") from exc
    if details.version != OCPI_VERSION:
        raise ClientApiUnusable(f"{version.url} describes version {details.version}")
    for endpoint in details.endpoints:
        await _check_callable(client, endpoint.url, f"{endpoint.identifier} endpoint")
    return details


async def _check_callable(client: PeerClient, url: str, what: str) -> None:
    try:
        await client.check_url(url)
    except OSError as exc:  # OutsidePeerNetworks, or a name that does not resolve
        raise ClientApiUnusable(f"{what} {url}: {exc}") from exc


def business_details(credentials: Credentials) -> list[tuple[Party, dict[str, Any]]]:
    """Each presented party with its business details as sent."""
    return [
        (Party.of(r.country_code, r.party_id, r.role), r.business_details.model_dump(mode="json"))
        for r in credentials.roles
    ]


async def our_credentials(
    conn: Executor, settings: Settings, token: str, dialect: str, *, network: bool
) -> Credentials:
    """The credentials the hub presents with `token`: its HUB role; towards a network whose
    dialect does not configure members out of band, also each local party it serves there."""
    parties = []
    if network and dialects.dialect(dialect).presents == dialects.Presents.PARTIES:
        parties = await platforms.local_parties(conn)
    return hub_credentials(
        token,
        settings.versions_url,
        settings.country_code,
        settings.party_id,
        settings.name,
        parties,
    )


class ConnectFailed(Exception):
    """`ocpi-hub connect` could not complete; the message says why, for the operator."""


async def connect(
    conn: Connection,
    client: PeerClient,
    settings: Settings,
    *,
    versions_url: str,
    token_a: str,
    dialect: str = dialects.DEFAULT,
) -> int:
    """Run the handshake as initiator (checklist §3.3, S side); return the new platform id.
    The peer speaks `dialect`; a peer presenting a HUB role is a network (issue 8), and is
    presented the local parties as well (`our_credentials`): in the POST when its dialect says
    it is a hub, else by a PUT of our credentials once its answer shows a HUB role.

    The hub's server must be reachable at its public URL meanwhile: the peer calls it back with
    our token B before it answers. On any failure nothing is left behind. On success the peer's
    parties are CONNECTED, with the HubClientInfo pushes that go with it (checklist §4.8).
    """
    timeout = settings.forward_timeout
    speaks = dialects.dialect(dialect)
    try:
        details = await discover(client, versions_url, token_a, timeout, speaks)
    except OcpiError as exc:
        raise ConnectFailed(exc.message) from exc
    credentials_url = next(
        (e.url for e in details.endpoints if e.identifier == ModuleID.CREDENTIALS.value), None
    )
    if credentials_url is None:
        raise ConnectFailed(f"{versions_url} offers no credentials endpoint")

    token_b = new_token()
    platform_id = await platforms.begin_connect(
        conn, token=token_b, versions_url=versions_url, dialect=dialect
    )
    # Whether the peer is a network is known from its answer only: a hub dialect says so first.
    presumed_network = speaks.hub_party is not None
    ours = await our_credentials(conn, settings, token_b, dialect, network=presumed_network)
    try:
        theirs = await _send_credentials(client, "POST", credentials_url, ours, speaks, token_a,
                                         timeout)  # fmt: skip
        presented = parties_of(theirs.roles)
        check_endpoints(details, (p.role for p in presented))
        await _check_callable(client, theirs.url, "versions URL")
        stored = await platforms.register(
            conn,
            platform_id,
            current_token=token_b,
            incoming_token=token_b,
            outgoing_token=theirs.token,
            versions_url=theirs.url,
            version=OCPI_VERSION,
            endpoints=details.endpoints,
            parties=business_details(theirs),
            hub=(settings.country_code, settings.party_id),
        )
        if not stored:
            raise ConnectFailed("the connection was changed while connecting; try again")
        if not presumed_network and any(p.role == Role.HUB for p in presented):
            # A network after all: it is presented the local parties too, by the update the
            # spec has for changed credentials (PUT, checklist §3.2), with the token it gave us.
            ours = await our_credentials(conn, settings, token_b, dialect, network=True)
            if len(ours.roles) > 1:
                await _present_parties(conn, client, platform_id, credentials_url, ours, speaks,
                                       theirs.token, timeout)  # fmt: skip
    except (ConnectFailed, OcpiError, PeerUnreachable, platforms.IdentityTaken) as exc:
        await platforms.delete(conn, platform_id)
        if isinstance(exc, ConnectFailed):
            raise
        raise ConnectFailed(getattr(exc, "message", None) or str(exc)) from exc
    return platform_id


async def _present_parties(
    conn: Connection,
    client: PeerClient,
    platform_id: int,
    url: str,
    ours: Credentials,
    dialect: dialects.Dialect,
    token: str,
    timeout: float,
) -> None:
    """PUT our credentials with the local parties to a peer that turned out to be a network.
    The connection stands if it refuses: it was made, and the operator is told in the log."""
    try:
        updated = await _send_credentials(client, "PUT", url, ours, dialect, token, timeout)
    except (ConnectFailed, PeerUnreachable) as exc:
        log.warning("network_not_presented_parties", platform=platform_id, reason=str(exc))
        return
    await platforms.set_outgoing_token(conn, platform_id, updated.token)


async def _send_credentials(
    client: PeerClient,
    method: str,
    url: str,
    ours: Credentials,
    dialect: dialects.Dialect,
    token: str,
    timeout: float,
) -> Credentials:
    """POST or PUT our credentials; the peer's in its answer (ConnectFailed if none)."""
    response = await client.request(
        method,
        url,
        dialect=dialect,
        token=token,
        timeout=timeout,
        body=orjson.dumps(ours.model_dump(mode="json")),
    )
    if not response.ok:
        raise ConnectFailed(
            f"the peer refused our credentials ({method}): HTTP {response.http_status}, "
            f"status_code {response.status_code}, {_message(response.body)}"
        )
    try:
        theirs = Credentials.model_validate(response.data)
        parties_of(theirs.roles)
    except (ValidationError, InvalidParameters) as exc:
        raise ConnectFailed(f"the peer answered with invalid credentials: {exc}") from exc
    return theirs


def _message(body: Any) -> str:
    if isinstance(body, dict) and body.get("status_message"):
        return str(body["status_message"])
    return "no status_message"
