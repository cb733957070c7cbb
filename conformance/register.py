"""Getting a token C for the suite (credentials §3.3): token A → GET versions → GET the 2.2.1
details → POST our credentials with a fresh token B → the endpoint reads our versions and
details with B → token C. Or an existing token C (`--token-c`), skipping registration.

In 2.1.1 (`--version 2.1.1`) the same steps with the 2.1.1 shapes: the details' endpoints carry
no role, so which interface each is comes from the role of the endpoint under test (the
"CPO interface" or the "eMSP interface", ocpi-2.1.1-differences §1.7); the versions list may be
wrapped in `{"versions": [...]}` (d2's table) as well as bare (its example).

Nothing here judges the endpoint: the record of what happened (every exchange, the callbacks
our party saw while the POST was open) is what the credentials and transport checks judge. It
only stops when it cannot go on, saying why.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from conformance.client import Auth, OcpiClient
from conformance.model import Exchange
from conformance.peer import Received, SuiteParty
from conformance.spec import V211, V221

# Version information and credentials are configuration modules: token A may use them.
CONFIGURATION_MODULES = frozenset({"credentials", "hubclientinfo"})
# 2.1.1 interfaces as 2.2.1 roles, by the role of the endpoint (differences §1.7): a CPO
# endpoint's version details list its "CPO interface", an eMSP's its "eMSP interface".
INTERFACES_211: dict[str, dict[str, str]] = {
    "CPO": {
        "locations": "SENDER",
        "tariffs": "SENDER",
        "sessions": "SENDER",
        "cdrs": "SENDER",
        "tokens": "RECEIVER",
        "commands": "RECEIVER",
        "credentials": "SENDER",
    },
    "EMSP": {
        "locations": "RECEIVER",
        "tariffs": "RECEIVER",
        "sessions": "RECEIVER",
        "cdrs": "RECEIVER",
        "tokens": "SENDER",
        "commands": "SENDER",
        "credentials": "SENDER",
    },
}


@dataclass(frozen=True)
class Endpoint:
    """One entry of the endpoint's 2.2.1 version details."""

    identifier: str
    role: str  # SENDER / RECEIVER
    url: str


@dataclass
class Registration:
    """What registering (or adopting a token C) looked like."""

    token_a: str | None = None
    token_b: str | None = None
    token_c: str | None = None
    versions: Exchange | None = None
    details: Exchange | None = None
    details_url: str | None = None
    endpoints: list[Endpoint] = field(default_factory=list)
    token_a_probe: Exchange | None = None  # token A on a functional module, before the POST
    post: Exchange | None = None
    callbacks: list[Received] = field(default_factory=list)  # what reached us during the POST
    error: str | None = None

    @property
    def evidence(self) -> list[Exchange]:
        found = [self.versions, self.details, self.token_a_probe, self.post]
        return [e for e in found if e is not None]


def _endpoints(details: Exchange, interfaces: dict[str, str] | None = None) -> list[Endpoint]:
    """The details' endpoints; with `interfaces` (2.1.1) each one's role from that map."""
    data = details.data
    listed = data.get("endpoints") if isinstance(data, dict) else None
    return [
        Endpoint(
            str(e["identifier"]),
            str(e.get("role", ""))
            if interfaces is None
            else interfaces.get(str(e["identifier"]), ""),
            str(e["url"]),
        )
        for e in (listed if isinstance(listed, list) else [])
        if isinstance(e, dict) and isinstance(e.get("identifier"), str) and e.get("url")
    ]


def versions_listed(data: object) -> list[object] | None:
    """The Version objects of a versions answer: a bare list, or (2.1.1-d2's table) a list
    under `versions`."""
    if isinstance(data, dict) and isinstance(data.get("versions"), list):
        return list(data["versions"])
    return data if isinstance(data, list) else None


async def discover(
    client: OcpiClient,
    versions_url: str,
    record: Registration,
    version: str = V221,
    endpoint_role: str = "CPO",
) -> bool:
    """GET the versions and the `version` details with the client's current token into
    `record`; False (with `record.error`) when there is no usable `version`."""
    record.versions = await client.get(versions_url)
    if record.versions.status == 401 and client.auth == Auth.BASE64 and version == V221:
        # A 2.1.1/2.2-minded endpoint may want the token raw (d2 NOTE): try once, go on so.
        raw = await client.get(versions_url, auth=Auth.RAW)
        if raw.status == 200:
            client.auth = Auth.RAW
            record.versions = raw
    listed = record.versions.data if version == V221 else versions_listed(record.versions.data)
    if record.versions.status != 200 or not isinstance(listed, list):
        record.error = f"versions not readable: {record.versions.summary()}"
        return False
    record.details_url = next(
        (
            str(v["url"])
            for v in listed
            if isinstance(v, dict) and v.get("version") == version and v.get("url")
        ),
        None,
    )
    if record.details_url is None:
        record.error = f"the versions list offers no {version}"
        return False
    record.details = await client.get(record.details_url)
    interfaces = INTERFACES_211.get(endpoint_role, {}) if version == V211 else None
    record.endpoints = _endpoints(record.details, interfaces)
    if record.details.status != 200 or not record.endpoints:
        record.error = f"{version} details not readable: {record.details.summary()}"
        return False
    return True


def _functional_probe_url(endpoints: list[Endpoint], identity: tuple[str, str]) -> str | None:
    """A GET on a functional module that needs no test data: a Sender list when there is one,
    else a Receiver object of our own party."""
    functional = [e for e in endpoints if e.identifier not in CONFIGURATION_MODULES]
    sender = next((e for e in functional if e.role == "SENDER"), None)
    if sender is not None:
        url = sender.url.rstrip("/")
        # Sessions marks date_from required (checklist §7.6): do not give a reason to refuse.
        return url + "?date_from=2000-01-01T00:00:00Z" if sender.identifier == "sessions" else url
    receiver = next((e for e in functional if e.role == "RECEIVER"), None)
    if receiver is not None:
        return f"{receiver.url.rstrip('/')}/{identity[0]}/{identity[1]}/CONFTEST-PROBE"
    return None


async def register(
    client: OcpiClient,
    party: SuiteParty,
    versions_url: str,
    token_a: str,
    endpoint_role: str = "CPO",
) -> Registration:
    """The whole handshake as initiator (in the party's OCPI version); the client uses token C
    afterwards when it worked."""
    record = Registration(token_a=token_a)
    client.token = token_a
    if not await discover(client, versions_url, record, party.version, endpoint_role):
        return record
    probe = _functional_probe_url(record.endpoints, party.key)
    if probe is not None:
        record.token_a_probe = await client.get(probe)
    credentials_url = next((e.url for e in record.endpoints if e.identifier == "credentials"), None)
    if credentials_url is None:
        record.error = f"the {party.version} details list no credentials endpoint"
        return record
    record.token_b = party.issue_token()
    mark = len(party.received)
    record.post = await client.request(
        "POST", credentials_url, json_body=party.credentials(record.token_b), handshake=True
    )
    record.callbacks = party.since(mark)
    data = record.post.data
    token = data.get("token") if isinstance(data, dict) else None
    if record.post.status_code != 1000 or not isinstance(token, str) or not token:
        record.error = f"registration refused: {record.post.summary()}"
        return record
    record.token_c = token
    client.token = token
    return record


async def adopt_token_c(
    client: OcpiClient,
    versions_url: str,
    token_c: str,
    version: str = V221,
    endpoint_role: str = "CPO",
) -> Registration:
    """Use an existing token C: only discover the endpoint with it."""
    record = Registration(token_c=token_c)
    client.token = token_c
    await discover(client, versions_url, record, version, endpoint_role)
    return record
