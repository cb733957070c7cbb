"""The I/O half of the credentials handshake: discovering a peer, and connecting to it.

`discover` is what the hub does both as server (checklist §3.2 POST/PUT: call the client back with
its token B) and as initiator (`ocpi-hub connect`: read the peer's versions with token A).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from pydantic import ValidationError

from ocpi_hub import dialects
from ocpi_hub.core.handshake import (
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
from ocpi_hub.dialects.v211 import V211, VERSIONS
from ocpi_hub.dialects.v211.credentials import credentials_in, credentials_out, endpoints_in
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
    *,
    versions: Sequence[str] = VERSIONS,
    role: Role | None = None,
) -> VersionDetails:
    """GET the peer's versions and the details of the best of `versions` (best first) it
    offers, with `token` (encoded as `dialect` wants, in the version it speaks: a 2.1.1 peer
    that refuses the Base64 token is asked again with the raw one). A 2.1.1 peer's endpoints
    carry no role: `role`, the peer's, gives them theirs (dialects.v211.credentials).

    3001 when the peer cannot be used (unreachable, refuses the token, answers nonsense, a
    2.1.1 peer whose role is not known), and when its versions URL or one of its endpoints is
    not a URL the hub may call: each must resolve only into OCPI_HUB_PEER_NETWORKS
    (push.networks), checked before the hub calls the versions URL; 3002 when it offers none
    of `versions`.
    """
    await _check_callable(client, versions_url, "versions URL")
    try:
        listed = await _versions(client, versions_url, token, timeout, dialect, versions)
        version = pick_version([Version.model_validate(v) for v in listed], versions)
        speaks = dialects.speaking(dialect, version.version)
        data = await client.get_data(version.url, token=token, timeout=timeout, dialect=speaks)
        if version.version == V211 and isinstance(data, dict):
            if role is None:
                raise ClientApiUnusable(
                    f"{versions_url} speaks OCPI 2.1.1, whose endpoints and credentials carry"
                    " no role: say which the peer is (--role)"
                )
            data = {**data, "endpoints": endpoints_in(data.get("endpoints") or [], role)}
        details = VersionDetails.model_validate(data)
    except (PeerUnreachable, ValidationError, TypeError) as exc:
        raise ClientApiUnusable(f"could not read the versions at {versions_url}: {exc}") from exc
    if details.version != version.version:
        raise ClientApiUnusable(f"{version.url} describes version {details.version}")
    for endpoint in details.endpoints:
        await _check_callable(client, endpoint.url, f"{endpoint.identifier} endpoint")
    return details


async def _versions(
    client: PeerClient,
    url: str,
    token: str,
    timeout: float,
    dialect: dialects.Dialect,
    versions: Sequence[str],
) -> Any:
    """The versions list, asked with the token as `dialect` encodes it; once more with the raw
    token (2.1.1, §1.1) when that is refused and 2.1.1 would do."""
    answer = await client.request("GET", url, token=token, timeout=timeout, dialect=dialect)
    raw = dialects.speaking(dialect, V211)
    if answer.http_status == 401 and V211 in versions and raw != dialect:
        answer = await client.request("GET", url, token=token, timeout=timeout, dialect=raw)
    if not answer.ok:
        raise PeerUnreachable(
            f"GET {url}: HTTP {answer.http_status}, status_code {answer.status_code}"
        )
    return answer.data


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
    role: Role | None = None,
) -> int:
    """Run the handshake as initiator (checklist §3.3, S side); return the new platform id.
    The peer speaks `dialect`, in the highest OCPI version both sides share (2.2.1, else
    2.1.1, whose credentials carry no role: `role` says which the peer is); a peer presenting
    a HUB role is a network (issue 8), and is presented the local parties as well
    (`our_credentials`): in the POST when its dialect says
    it is a hub, else by a PUT of our credentials once its answer shows a HUB role.

    The hub's server must be reachable at its public URL meanwhile: the peer calls it back with
    our token B before it answers. On any failure nothing is left behind. On success the peer's
    parties are CONNECTED, with the HubClientInfo pushes that go with it (checklist §4.8).
    """
    timeout = settings.forward_timeout
    try:
        details = await discover(client, versions_url, token_a, timeout,
                                 dialects.dialect(dialect), role=role)  # fmt: skip
    except OcpiError as exc:
        raise ConnectFailed(exc.message) from exc
    speaks = dialects.speaking(dialects.dialect(dialect), details.version)
    credentials_url = next(
        (e.url for e in details.endpoints if e.identifier == ModuleID.CREDENTIALS.value), None
    )
    if credentials_url is None:
        raise ConnectFailed(f"{versions_url} offers no credentials endpoint")

    token_b = new_token()
    platform_id = await platforms.begin_connect(
        conn, token=token_b, versions_url=versions_url, dialect=dialect, role=role
    )
    # Whether the peer is a network is known from its answer only: a hub dialect says so first.
    presumed_network = speaks.hub_party is not None
    ours = await our_credentials(conn, settings, token_b, dialect, network=presumed_network)
    try:
        theirs = await _send_credentials(client, "POST", credentials_url, ours, speaks, token_a,
                                         timeout, role)  # fmt: skip
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
            version=details.version,
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
    role: Role | None = None,
) -> Credentials:
    """POST or PUT our credentials; the peer's in its answer (ConnectFailed if none). In 2.1.1
    both are the one-party shape (dialects.v211.credentials); the peer's has the `role`."""
    sent: dict[str, Any] = ours.model_dump(mode="json")
    if dialect.version == V211:
        sent, _ = credentials_out(sent)
    response = await client.request(
        method, url, dialect=dialect, token=token, timeout=timeout, body=orjson.dumps(sent)
    )
    if not response.ok:
        raise ConnectFailed(
            f"the peer refused our credentials ({method}): HTTP {response.http_status}, "
            f"status_code {response.status_code}, {_message(response.body)}"
        )
    data = response.data
    if dialect.version == V211 and isinstance(data, dict) and role is not None:
        data, _ = credentials_in(data, role)
    try:
        theirs = Credentials.model_validate(data)
        parties_of(theirs.roles)
    except (ValidationError, InvalidParameters) as exc:
        raise ConnectFailed(f"the peer answered with invalid credentials: {exc}") from exc
    return theirs


def _message(body: Any) -> str:
    if isinstance(body, dict) and body.get("status_message"):
        return str(body["status_message"])
    return "no status_message"
