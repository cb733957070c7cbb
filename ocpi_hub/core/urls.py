"""The URLs the hub calls on a party's behalf, sans I/O (checklist §1.9 CiString, §4.6, §4.7).

A relay or a delivery calls `{receiver's endpoint}{suffix}`, where the suffix names an object
with ids the *requester* chose. With the hub's own token on that call, an id such as
`../../credentials` (sent as `..%2F..%2Fcredentials`) would make the hub read — and relay back —
another of the receiver's resources. So no suffix is ever spliced from a request's raw path:

- `object_path` builds it from the decoded ids, each a valid OCPI id of its field (a CiString
  of the field's length, printable ASCII), none a dot segment and none holding a character that
  changes which resource a URL names once decoded (`/`, `\\`, `?`, `#`, or `%`, which a second
  decoding would turn into any of them); each is percent-encoded exactly once. Only the query
  parameters the caller lists travel, form-encoded.
- `endpoint_url` joins it to the receiver's endpoint and checks the result is still under that
  endpoint: same scheme, host and port, the endpoint's path as a prefix, and no segment below it
  that a server would resolve upwards. Anything else is 2001, before any request leaves the hub.

`check_response_url` holds the rule for the `response_url` of Commands and ChargingProfiles: the
hub POSTs results there with the requester's own connection, so it must share its origin with a
URL that requester registered (its versions URL or one of its endpoints).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote, unquote, urlencode, urlsplit, urlunsplit

from ocpi_hub.core.parties import InterfaceRole, ModuleID, Platform
from ocpi_hub.errors import InvalidParameters

__all__ = [
    "ID_LENGTHS",
    "Origin",
    "check_response_url",
    "endpoint_url",
    "id_segment",
    "module_path",
    "object_path",
    "origin",
    "registered_urls",
]

# The CiString length of every id the hub puts in a URL, by its name in the routes (and the spec).
ID_LENGTHS: Mapping[str, int] = {
    "country_code": 2,
    "party_id": 3,
    "location_id": 36,
    "evse_uid": 36,
    "connector_id": 36,
    "tariff_id": 36,
    "session_id": 36,
    "uid": 36,
    "cdr_id": 39,
    "command": 18,  # a CommandType: CANCEL_RESERVATION is the longest
}

# Characters that, once a server decodes the segment, name another resource: path separators
# (a backslash is one on some servers), the start of a query or fragment, and "%", which a
# server (or a proxy before it) decoding twice would turn into any of those.
UNSAFE_IN_ID = frozenset("/\\?#%")
DOT_SEGMENTS = frozenset({".", ".."})
# Kept literal in a segment (RFC 3986 pchar), except ";" (a path parameter to some servers:
# Tomcat reads "..;" as "..") and "+" (a space to some).
_SEGMENT_SAFE = "-._~!$&'()*,=:@"
DEFAULT_PORTS = {"http": 80, "https": 443}

Origin = tuple[str, str, int]  # (scheme, host, port), lower case, default port filled in


def _id_problem(value: str, max_length: int) -> str | None:
    if not value:
        return "must not be empty"
    if len(value) > max_length:
        return f"is longer than the {max_length} characters of its CiString({max_length})"
    if not all(" " <= ch <= "~" for ch in value):
        return "must be printable ASCII (CiString)"
    unsafe = sorted(set(value) & UNSAFE_IN_ID)
    if unsafe:
        return f"must not contain {' '.join(repr(ch) for ch in unsafe)} (a URL delimiter)"
    if value in DOT_SEGMENTS:
        return "must not be a dot segment"
    return None


def id_segment(field: str, value: str) -> str:
    """`value` as one percent-encoded path segment; 2001 unless it is a valid `field` id."""
    problem = _id_problem(value, ID_LENGTHS[field])
    if problem is not None:
        shown = value if len(value) <= 60 else value[:60] + "..."
        raise InvalidParameters(f"{field}: {shown!r} {problem}")
    return quote(value, safe=_SEGMENT_SAFE)


def object_path(
    ids: Sequence[tuple[str, str]],
    *,
    then: Sequence[str] = (),
    query: Iterable[tuple[str, str]] = (),
) -> str:
    """The suffix naming an object below a module's endpoint: `/{id}/{id}...` from (field,
    decoded value) pairs in URL order, `then` fixed segments of the hub's own (`authorize`),
    and the `query` pairs form-encoded. 2001 when an id is not a valid OCPI id of its field."""
    segments = [id_segment(field, value) for field, value in ids]
    for literal in then:
        if _id_problem(literal, len(literal) or 1) is not None:
            raise ValueError(f"not a safe fixed segment: {literal!r}")
        segments.append(quote(literal, safe=_SEGMENT_SAFE))
    path = "".join("/" + segment for segment in segments)
    encoded = urlencode(list(query))
    return f"{path}?{encoded}" if encoded else path


def endpoint_url(endpoint: str, suffix: str) -> str:
    """`suffix` (from `object_path`, or "") below the receiver's `endpoint` URL; 2001 unless the
    result stays under it: same origin, the endpoint's path as prefix, no segment below it that
    is a dot segment or holds a path separator once decoded, no fragment."""
    base = _endpoint(endpoint)
    path, _, query = suffix.partition("?")
    joined_query = "&".join(q for q in (base.query, query) if q)
    url = urlunsplit((base.scheme, base.netloc, base.prefix + path, joined_query, base.fragment))
    # Built from the endpoint's own parts, the URL is under it when nothing in the suffix makes
    # a parser read it otherwise (what `is_under` checks of any URL).
    readable = base.origin is not None and not base.fragment and _readable(suffix, "#")
    if not (readable and (not path or path.startswith("/")) and _segments_stay(path)):
        raise InvalidParameters(f"{suffix!r} would leave the receiver's endpoint {endpoint}")
    return url


@dataclass(frozen=True)
class _Endpoint:
    scheme: str
    netloc: str
    prefix: str  # the path without its trailing "/"
    query: str
    fragment: str
    origin: Origin | None


@lru_cache(maxsize=4096)
def _endpoint(endpoint: str) -> _Endpoint:
    """An endpoint URL in parts: parsed once per endpoint, not once per call."""
    parts = urlsplit(endpoint)
    return _Endpoint(
        parts.scheme,
        parts.netloc,
        parts.path.rstrip("/"),
        parts.query,
        parts.fragment,
        origin(endpoint),
    )


def is_under(endpoint: str, url: str) -> bool:
    """Whether `url` names a resource at or below `endpoint` for any server, resolving dot
    segments or not, decoding the path once or twice."""
    base, target = _endpoint(endpoint), urlsplit(url)
    if base.origin is None or base.origin != origin(url) or target.fragment:
        return False
    if not target.path.startswith(base.prefix):
        return False
    rest = target.path[len(base.prefix) :]
    if rest and not rest.startswith("/"):
        return False
    return _segments_stay(rest)


def _segments_stay(rest: str) -> bool:
    """No segment of `rest` (a path below an endpoint, "" or starting with "/") is a dot segment
    or holds a URL delimiter once decoded."""
    for segment in rest.split("/")[1:]:
        decoded = unquote(segment)
        if decoded in DOT_SEGMENTS or set(decoded) & UNSAFE_IN_ID:
            return False
    return True


def _readable(url: str, also: str = "") -> bool:
    """Printable, with no space or backslash (nor any of `also`): read alike by every parser."""
    return url.isprintable() and not any(ch in url for ch in " \\" + also)


def origin(url: str) -> Origin | None:
    """(scheme, host, port) of an absolute http(s) URL; None for anything else, and for URLs
    that parsers read differently (userinfo, backslashes, whitespace or control characters),
    so that what the hub checks is what its HTTP client will call."""
    if not _readable(url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # a port that is not a number, or out of range
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname or "@" in parts.netloc:
        return None
    return (scheme, parts.hostname.lower(), port if port is not None else DEFAULT_PORTS[scheme])


def registered_urls(platform: Platform) -> list[str]:
    """The URLs a platform gave at registration: its versions URL and its endpoints."""
    urls = [endpoint.url for endpoint in platform.endpoints]
    return [platform.versions_url, *urls] if platform.versions_url else urls


def check_response_url(value: object, registered: Iterable[str], name: str = "response_url") -> str:
    """The requester's `response_url`, or 2001: an absolute http(s) URL whose origin (scheme,
    host, port) is the origin of one of the requester's registered URLs (`registered`: its
    versions URL and endpoints). The hub POSTs results there later with the requester's own
    token, so it must not be a way to make the hub call anything else (checklist §4.6, §4.7)."""
    if not isinstance(value, str) or not value:
        raise InvalidParameters(f"{name}: required")
    found = origin(value)
    if found is None:
        raise InvalidParameters(f"{name}: must be an absolute http(s) URL, not {value!r}")
    if found not in {origin(url) for url in registered}:
        scheme, host, port = found
        raise InvalidParameters(
            f"{name}: {scheme}://{host}:{port} is not the origin of any URL your platform"
            " registered (its versions URL or endpoints)"
        )
    return value


def module_path(module: ModuleID, interface: InterfaceRole) -> str:
    """Where the hub serves `module`'s `interface` (distinct URLs: see core.handshake)."""
    return f"/ocpi/2.2.1/{interface.value.lower()}/{module.value}"
