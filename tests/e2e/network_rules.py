"""The rules each fake network enforces, written from `shared/reference/hub-dialects.md`.

Written from the reference alone, never from `ocpi_hub/dialects/`: a fake sharing the hub's rule
table would agree with the hub by construction and catch nothing. Each rule is a small named
check returning the `Refusal` the network is expected to answer, or None; its comment cites the
reference section. Where the reference is silent ([I]/[?]), the answer chosen is written beside
the rule. `tests/e2e/networks.py` runs them (its docstring has the table network → rules).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.e2e.networks import FakeNetwork

Key = tuple[str, str]  # (country_code, party_id)


@dataclass(frozen=True)
class Refusal:
    """What the network answers instead of handling the request."""

    status: int  # HTTP status
    code: int  # OCPI status_code
    message: str
    data: Any = None


@dataclass(frozen=True)
class Call:
    """A request to the network as a rule sees it."""

    method: str
    module: str  # "" for versions, version details and callback URLs
    parts: tuple[str, ...]  # path segments below the module's URL
    headers: Mapping[str, str]  # case-insensitive (aiohttp's CIMultiDictProxy)
    body: Any
    query: Mapping[str, str]

    def party(self, direction: str) -> Key | None:
        """The OCPI-from or OCPI-to pair, or None when either header is missing."""
        cc = self.headers.get(f"OCPI-{direction}-country-code")
        pid = self.headers.get(f"OCPI-{direction}-party-id")
        return (cc, pid) if cc and pid else None

    @property
    def functional(self) -> bool:
        """A request to a functional module (not versions, credentials or a callback)."""
        return self.module not in ("", "credentials")


Rule = Callable[["FakeNetwork", Call], Refusal | None]


def bad(field_name: str, why: str = "is required") -> Refusal:
    """2001 with HTTP 400, naming the field."""
    return Refusal(400, 2001, f"{field_name} {why}")


# ---- rules every fake network applies (the hub behaviour of OCPI 2.2.1, §1) -------------------


def module_implemented(net: FakeNetwork, call: Call) -> Refusal | None:
    """A module the network does not implement has no endpoint: HTTP 404, 2000 (§2.3 "Modules",
    §3, §4 list the missing ones; the answer itself is [?], chosen: an unknown URL)."""
    if call.functional and call.module not in net.dialect.modules:
        return Refusal(404, 2000, f"{call.module} is not implemented by {net.dialect.name}")
    return None


def command_implemented(net: FakeNetwork, call: Call) -> Refusal | None:
    """A CommandType the network lacks: CommandResponse NOT_SUPPORTED (§2.3 "Modules": Gireve
    only START/STOP_SESSION; the answer is OCPI's own CommandResponseType for it)."""
    commands = net.dialect.commands
    posted = call.module == "commands" and call.method == "POST"
    if posted and commands is not None and call.parts[:1] not in {(c,) for c in commands}:
        unsupported = {"result": "NOT_SUPPORTED", "timeout": 0}
        return Refusal(200, 1000, "command not supported", unsupported)
    return None


def receiver_known(net: FakeNetwork, call: Call) -> Refusal | None:
    """OCPI-to must name the network or a party behind it: 4001 with HTTP 200, as a hub answers
    an unknown receiver (§1 status codes)."""
    to = call.party("to")
    if call.functional and to is not None and to != net.key and to not in net.remote_keys:
        return Refusal(200, 4001, f"unknown receiver {to[0]}*{to[1]}")
    return None


# ---- Gireve (§2) -----------------------------------------------------------------------------


def tracing_ids_required(net: FakeNetwork, call: Call) -> Refusal | None:
    """X-Request-ID and X-Correlation-ID on every request (§2.1). Answer [?]: HTTP 400, 2001."""
    for name in ("X-Request-ID", "X-Correlation-ID"):
        if not call.headers.get(name):
            return bad(name)
    return None


def routing_headers_required(net: FakeNetwork, call: Call) -> Refusal | None:
    """OCPI-from/to-* on every functional request, not credentials or versions (§2.2).
    Answer [?]: HTTP 400, 2001 naming the header."""
    if call.functional:
        for name in ("from-country-code", "from-party-id", "to-country-code", "to-party-id"):
            if not call.headers.get(f"OCPI-{name}"):
                return bad(f"OCPI-{name}")
    return None


# Which role a configured operator must have to use each receiver the network offers (§2.1:
# "rejects requests outside configured roles (e.g. eMSP-only operator calling CDR receiver)").
PUSHED_BY = {"locations": "CPO", "tariffs": "CPO", "sessions": "CPO", "cdrs": "CPO"}
PUSHED_BY |= {"tokens": "EMSP", "commands": "EMSP"}


def sender_configured(net: FakeNetwork, call: Call) -> Refusal | None:
    """OCPI-from must be an operator configured on the network (out of band: the roles a
    platform presents are ignored), in a role that may use this interface (§2.1). Answer [?]:
    HTTP 400, 2001. An authorization (POST tokens/{uid}/authorize) is the CPO's call."""
    sender = call.party("from")
    if not call.functional or sender is None:
        return None
    role = net.members.get(sender)
    if role is None:
        return bad(f"OCPI-from {sender[0]}*{sender[1]}", "is not a configured operator")
    needed = PUSHED_BY.get(call.module) if call.method != "GET" else None
    if call.module == "tokens" and call.parts[-1:] == ("authorize",):
        needed = "CPO"
    if needed is not None and role != needed:
        return bad(f"OCPI-from {sender[0]}*{sender[1]} ({role})", f"may not call {call.module}")
    return None


def start_session_names_evse(net: FakeNetwork, call: Call) -> Refusal | None:
    """START_SESSION must carry `evse_uid` (§2.3 "Commands": mapped to eMIP)."""
    evse_uid = call.body.get("evse_uid") if isinstance(call.body, dict) else None
    if call.module == "commands" and call.parts[:1] == ("START_SESSION",) and not evse_uid:
        return bad("evse_uid", "is required in START_SESSION")
    return None


def no_patch(net: FakeNetwork, call: Call) -> Refusal | None:
    """PATCH on Tokens and Sessions is not implemented (§2.3 "Tokens (eMSP side)", "Sessions").
    Answer [?]: HTTP 405, 2000; the sender must PUT the whole object."""
    if call.method == "PATCH" and call.module in net.dialect.no_patch:
        return Refusal(405, 2000, f"PATCH {call.module} is not implemented: PUT the object")
    return None


def push_only(net: FakeNetwork, call: Call) -> Refusal | None:
    """No Sender list for Tokens (CPO token download not offered), Sessions and CDRs (eMSP cannot
    pull them: push only) (§2.3 "Tokens (CPO side)", "CDRs"). Answer [?]: HTTP 405, 2000."""
    if call.method == "GET" and not call.parts and call.module in ("tokens", "sessions", "cdrs"):
        return Refusal(405, 2000, f"GET {call.module} is not offered: it is pushed")
    return None


def _missing(obj: dict[str, Any], path: str) -> bool:
    value: Any = obj
    for step in path.split("."):
        value = value.get(step) if isinstance(value, dict) else None
    return value is None


def _evse_gaps(evse: Any, at: str) -> str | None:
    for name in ("evse_id", "capabilities"):
        if not isinstance(evse, dict) or _missing(evse, name):
            return f"{at}{name}"
    for j, connector in enumerate(evse.get("connectors") or []):
        if not isinstance(connector, dict) or _missing(connector, "tariff_ids"):
            return f"{at}connectors[{j}].tariff_ids"
    return None


def location_fields(net: FakeNetwork, call: Call) -> Refusal | None:
    """A pushed Location (or EVSE, or Connector) carries owner.name, operator.name,
    evses[].evse_id, evses[].capabilities, evses[].connectors[].tariff_ids (§2.3 "Locations
    (CPO→IOP)"): 2001 naming the first missing one. Present is enough; an empty list is a value."""
    if call.module != "locations" or call.method != "PUT" or not isinstance(call.body, dict):
        return None
    gap: str | None = None
    if len(call.parts) == 3:
        gap = next((f for f in ("owner.name", "operator.name") if _missing(call.body, f)), None)
        for i, evse in enumerate(call.body.get("evses") or []):
            gap = gap or _evse_gaps(evse, f"evses[{i}].")
    elif len(call.parts) == 4:
        gap = _evse_gaps(call.body, "")
    elif len(call.parts) == 5 and _missing(call.body, "tariff_ids"):
        gap = "tariff_ids"
    return bad(gap) if gap else None


def _foreign_evse_id(evse: Any, operator: str) -> bool:
    """Whether an EVSE's evse_id does not start with the operator's eMI3 id `CC*PID` (compared
    without separators, upper case: `NLCPAE1` is `NL*CPA*E1`)."""
    evse_id = evse.get("evse_id") if isinstance(evse, dict) else None
    plain = "".join(c for c in str(evse_id or "") if c.isalnum()).upper()
    return isinstance(evse_id, str) and not plain.startswith(operator)


def evse_ids_of_operator(net: FakeNetwork, call: Call) -> Refusal | None:
    """Every evse_id of a pushed Location (or EVSE) starts with its CPO's operator id, the
    eMI3 `CC*PID` of the URL (§2.1: "every evse_id must start with the CPO's operator id
    (FR*AB1*E...)"). Answer [?]: HTTP 400, 2001 naming the EVSE. A missing evse_id is
    `location_fields`' to refuse."""
    if call.module != "locations" or call.method != "PUT" or not isinstance(call.body, dict):
        return None
    operator = "".join(call.parts[:2]).upper()
    if len(call.parts) == 3:
        for i, evse in enumerate(call.body.get("evses") or []):
            if _foreign_evse_id(evse, operator):
                return bad(f"evses[{i}].evse_id", f"must start with {'*'.join(call.parts[:2])}")
    elif len(call.parts) == 4 and _foreign_evse_id(call.body, operator):
        return bad("evse_id", f"must start with {'*'.join(call.parts[:2])}")
    return None


def tariff_fields(net: FakeNetwork, call: Call) -> Refusal | None:
    """A pushed Tariff carries start_date_time (§2.3 "Tariffs": "`start_date_time` required").
    Answer [?]: HTTP 400, 2001 naming the field."""
    pushed = call.module == "tariffs" and call.method == "PUT" and isinstance(call.body, dict)
    if pushed and _missing(call.body, "start_date_time"):
        return bad("start_date_time")
    return None


def authorization_names_location(net: FakeNetwork, call: Call) -> Refusal | None:
    """A real-time authorization references one Location (§2.3 "Tokens (CPO side)": "request
    must reference 1 location, 0..N EVSEs"). Answer [?]: HTTP 400 with 2002, not enough
    information (the 2.1.1 guide answers 2002 or 2001 for a request without its EVSE)."""
    if call.module != "tokens" or call.method != "POST" or call.parts[-1:] != ("authorize",):
        return None
    if isinstance(call.body, dict) and call.body.get("location_id"):
        return None
    return Refusal(400, 2002, "location_id is required: reference the Location to charge at")


# ---- ENAPI (§3) ------------------------------------------------------------------------------


def agreement_signed(net: FakeNetwork, call: Call) -> Refusal | None:
    """Data flows only between parties with a signed roaming agreement (§3): a request addressed
    to a party behind ENAPI from one without an agreement is answered as an unknown receiver
    ([?] chosen: 4001, HTTP 200, so a party cannot learn who else is there)."""
    sender, to = call.party("from"), call.party("to")
    addressed = call.functional and sender is not None and to in net.remote_keys
    if addressed and to is not None and frozenset((sender, to)) not in net.agreements:
        return Refusal(200, 4001, f"unknown receiver {to[0]}*{to[1]}")
    return None


# ---- the profiles ----------------------------------------------------------------------------

ALL_MODULES = frozenset(
    {"locations", "tariffs", "tokens", "sessions", "cdrs", "commands"}
    | {"chargingprofiles", "hubclientinfo"}
)
SPEC_CHECKS: tuple[Rule, ...] = (module_implemented, receiver_known, command_implemented)


@dataclass(frozen=True)
class NetworkDialect:
    """One network as its fake plays it."""

    name: str
    identity: Key  # its own party, presented with role HUB (a peer: its first hosted party)
    hub: bool  # presents one HUB role; False: a peer presenting the parties it hosts
    modules: frozenset[str]  # implemented: offered as SENDER and RECEIVER in version details
    rules: tuple[Rule, ...]
    commands: frozenset[str] | None = None  # CommandTypes it implements; None: all
    no_patch: frozenset[str] = frozenset()
    page_caps: Mapping[str, int] = field(default_factory=dict)  # limit cap per module served
    page_default: int = 100  # cap of a module absent from page_caps
    token_base64: bool | None = True  # inbound `Authorization`: base64, raw, None = either
    case_sensitive_ids: bool = False  # OCPI CiString unless the network says otherwise
    # e-clearing.net's stamp on what it stores (§4).
    restamps: bool = False  # last_updated = its own receive time
    normalises_evse_ids: bool = False  # separators removed, upper case; duplicates dropped
    fills_missing: bool = False  # required fields missing → "-"
    # A lenient direct peer's answers (§1 pitfalls; the list of common deviations).
    lenient_answers: bool = False


GIREVE = NetworkDialect(
    name="gireve",
    identity=("FR", "007"),  # §2.1: FR/007 production (FR/107 pre-production)
    hub=True,
    # §2.3 "Modules": no ChargingProfiles, no HubClientInfo.
    modules=ALL_MODULES - {"chargingprofiles", "hubclientinfo"},
    rules=(
        tracing_ids_required,
        routing_headers_required,
        *SPEC_CHECKS,
        sender_configured,
        no_patch,
        push_only,
        start_session_names_evse,
        location_fields,
        evse_ids_of_operator,
        tariff_fields,
        authorization_names_location,
    ),
    commands=frozenset({"START_SESSION", "STOP_SESSION"}),  # §2.3 "Modules"
    no_patch=frozenset({"tokens", "sessions"}),  # §2.3 "Tokens (eMSP side)", "Sessions"
    page_caps={"locations": 100, "tokens": 1000, "cdrs": 20, "tariffs": 100},  # §0 "Paging"
    token_base64=True,  # §0 "Auth": base64 in 2.2.1
)

ENAPI = NetworkDialect(
    name="enapi",
    # §3: one role, HUB; its 2.2.1 party id is [?]: DE*ENA, the identity it uses in 2.1.1
    # back-ports (`DE/ENA/...` URLs), is the one it is publicly known by.
    identity=("DE", "ENA"),
    hub=True,
    # §3: ChargingProfiles not implemented; HubClientInfo "partially": it PUTs to both sides,
    # chosen [I]: it offers no hubclientinfo Sender to pull.
    modules=ALL_MODULES - {"chargingprofiles", "hubclientinfo"},
    rules=(*SPEC_CHECKS, agreement_signed),  # §3: routing headers accepted but optional
    page_default=1000,  # §0/§3: it pulls with limit 1000; what it serves is [?]: the same
    token_base64=True,  # §3: configurable per platform; `FakeNetwork.token_base64` switches it
)

ECLEARING = NetworkDialect(
    name="eclearing",
    # §4: hub identity [?]; chosen DE*ECH (ECHX, its core's name; a German operator).
    identity=("DE", "ECH"),
    hub=True,
    # §4: ChargingProfiles not implemented (2.2.1); the rest [?]: the spec's hub, including a
    # hubclientinfo Sender to pull its members from.
    modules=ALL_MODULES - {"chargingprofiles"},
    rules=SPEC_CHECKS,  # routing headers [?]: optional, as the spec
    page_default=100,  # [?]
    token_base64=True,  # §0 "Auth": OCPI credentials [I], base64 in 2.2.1
    case_sensitive_ids=True,  # §4: all ids case-sensitive, also in 2.2.1
    restamps=True,  # §4: last_updated replaced by ECHX entry time
    normalises_evse_ids=True,  # §4: separators removed, upper-cased; duplicates ignored
    fills_missing=True,  # §4: missing required fields filled with "-"
)

LENIENT = NetworkDialect(
    name="lenient",
    identity=("NL", "LNT"),  # a direct peer: its first hosted party (this is the default one)
    hub=False,
    modules=ALL_MODULES - {"hubclientinfo"},  # a peer is no hub: nothing to tell about members
    rules=SPEC_CHECKS,
    token_base64=None,  # §1 pitfalls: 2.1.1 habits; accepts raw or base64, sends raw
    # 403 for a bad token, bare errors, one-item lists, lower-case ids (served and sent)
    lenient_answers=True,
)

DIALECTS = {d.name: d for d in (GIREVE, ENAPI, ECLEARING, LENIENT)}

# The text fields OCPI 2.2.1 requires per object, which e-clearing.net fills with "-" (§4).
REQUIRED_TEXT = {
    "locations": ("country_code", "party_id", "id", "address", "city", "country", "time_zone"),
    "tariffs": ("country_code", "party_id", "id", "currency"),
    "tokens": ("country_code", "party_id", "uid", "type", "contract_id", "issuer", "whitelist"),
    "sessions": ("country_code", "party_id", "id", "currency", "location_id", "evse_uid"),
    "cdrs": ("country_code", "party_id", "id", "currency", "auth_method"),
}
