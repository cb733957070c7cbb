"""The URLs the hub calls on a party's behalf (core.urls): ids made safe, URLs kept under the
receiver's endpoint, and the response_url origin rule (checklist §1.9 CiString, §4.6, §4.7)."""

from __future__ import annotations

import posixpath
from urllib.parse import unquote, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocpi_hub.core.parties import Endpoint, InterfaceRole, Platform, PlatformStatus
from ocpi_hub.core.urls import (
    ID_LENGTHS,
    UNSAFE_IN_ID,
    check_response_url,
    endpoint_url,
    is_under,
    object_path,
    origin,
    registered_urls,
)
from ocpi_hub.errors import InvalidParameters
from tests.strategies import ci_strings

ENDPOINT = "https://emsp.example/ocpi/2.2.1/locations"
LOCATION_FIELDS = ("country_code", "party_id", "location_id", "evse_uid", "connector_id")


def valid_id(max_size: int) -> st.SearchStrategy[str]:
    """A CiString the hub accepts in a URL: no URL delimiter, not a dot segment."""
    return ci_strings(max_size).filter(lambda v: not set(v) & UNSAFE_IN_ID and v not in (".", ".."))


def resolved(path: str) -> str:
    """The path a server that resolves dot segments serves (RFC 3986 §5.2.4)."""
    return posixpath.normpath(path) if path else path


# ---- ids to a path ----------------------------------------------------------------------------


@given(st.lists(st.sampled_from(LOCATION_FIELDS), min_size=1, max_size=5).flatmap(
    lambda fields: st.tuples(*(valid_id(ID_LENGTHS[f]).map(lambda v, f=f: (f, v)) for f in fields))
))  # fmt: skip
def test_valid_ids_round_trip(ids: tuple[tuple[str, str], ...]) -> None:
    """Every valid OCPI id survives the trip: one segment each, decoded back to itself (§1.9)."""
    path = object_path(ids)

    segments = path.split("/")[1:]
    assert [unquote(s) for s in segments] == [value for _, value in ids]


ANY_ID = st.one_of(
    st.text(max_size=40),
    ci_strings(40),
    st.sampled_from(["..", ".", "%2e%2e", "../x", "..;", "a%252F", "LOC1?x=1", "\\"]),
)


@given(st.lists(ANY_ID, min_size=1, max_size=3))
def test_any_accepted_path_stays_under_the_endpoint(values: list[str]) -> None:
    """Whatever ids a requester sends, a URL the hub accepts names a resource below the
    receiver's endpoint — decoded once or twice, dot segments resolved or not (issue 7 §5)."""
    ids = [("location_id", v) for v in values]
    try:
        url = endpoint_url(ENDPOINT, object_path(ids, query=[("type", "RFID")]))
    except InvalidParameters:
        return
    base = urlsplit(ENDPOINT).path
    path = urlsplit(url).path
    for decoded in (unquote(path), unquote(unquote(path))):
        assert resolved(decoded).startswith(base + "/")
        assert decoded.count("/") == base.count("/") + len(values)
    assert urlsplit(url).query == "type=RFID"


@pytest.mark.parametrize(
    "value",
    [
        "../../../credentials",  # sent as ..%2F..%2F..%2Fcredentials
        "..",  # sent as %2e%2e
        ".",
        "LOC1?x=1",  # sent as LOC1%3Fx%3D1: a query of the hub's making
        "LOC1#x",
        "..\\..\\credentials",
        "%2e%2e",  # a second decoding would make it ".."
        "%2F",
        "L" * 37,  # over CiString(36)
        "LOC\x00",
        "LOC\n1",
        "LOCé",
        "",
    ],
)
def test_an_id_a_url_cannot_carry_safely_is_2001(value: str) -> None:
    """Ids with path separators, dot segments, query or fragment starts, "%", control or
    non-ASCII characters, or over their CiString length are refused (issue 7 §5, §1.9)."""
    with pytest.raises(InvalidParameters) as refused:
        object_path([("country_code", "BE"), ("party_id", "CPB"), ("location_id", value)])
    assert refused.value.status_code == 2001
    assert "location_id" in refused.value.message


@pytest.mark.parametrize(("field", "length"), sorted(ID_LENGTHS.items()))
def test_each_field_takes_exactly_its_cistring_length(field: str, length: int) -> None:
    """country_code CiString(2), party_id CiString(3), object ids CiString(36), a CDR id
    CiString(39): the longest valid id passes, one more character is 2001 (§4.x objects)."""
    assert object_path([(field, "A" * length)]) == "/" + "A" * length
    with pytest.raises(InvalidParameters):
        object_path([(field, "A" * (length + 1))])


def test_delimiters_a_server_might_misread_are_encoded() -> None:
    """ ";" (a path parameter to Tomcat, "..;" is ".."), "+" and spaces travel encoded; the
    sub-delimiters OCPI ids use, like "*", travel as they are."""
    path = object_path([("location_id", "..;"), ("evse_uid", "NL*CPA*E1 +")])

    assert path == "/..%3B/NL*CPA*E1%20%2B"


def test_fixed_segments_and_query_follow_the_ids() -> None:
    """Fixed segments of the hub's own come after the ids; the query is form-encoded."""
    path = object_path(
        [("uid", "0102")], then=("authorize",), query=[("type", "RFID"), ("x", "a&b=c")]
    )

    assert path == "/0102/authorize?type=RFID&x=a%26b%3Dc"


# ---- joining to the endpoint ----------------------------------------------------------------


@pytest.mark.parametrize(
    "suffix",
    [
        "/BE/CPB/../../../credentials",
        "/BE/CPB/..%2F..%2Fcredentials",
        "/BE/CPB/%2e%2e",
        "/BE/CPB/%252e%252e",
        "/BE/CPB/LOC1#frag",
        "/BE/CPB/a%5Cb",
    ],
)
def test_a_raw_path_that_leaves_the_endpoint_is_2001(suffix: str) -> None:
    """The last check before a request leaves: a path spliced from a raw request (were a
    handler to forget object_path) is refused when it could name another resource."""
    with pytest.raises(InvalidParameters):
        endpoint_url(ENDPOINT, suffix)


@pytest.mark.parametrize(
    ("endpoint", "suffix", "url"),
    [
        (ENDPOINT, "/BE/CPB/LOC1", ENDPOINT + "/BE/CPB/LOC1"),
        (ENDPOINT + "/", "/BE/CPB/LOC1", ENDPOINT + "/BE/CPB/LOC1"),
        (ENDPOINT, "", ENDPOINT),
        ("https://e.example/cb?key=1", "/X?type=RFID", "https://e.example/cb/X?key=1&type=RFID"),
    ],
)
def test_the_suffix_goes_below_the_endpoint_path(endpoint: str, suffix: str, url: str) -> None:
    """The endpoint's path gets the suffix (a trailing slash is not doubled); an endpoint's own
    query stays, the suffix's query is added to it."""
    assert endpoint_url(endpoint, suffix) == url


# Path segments a suffix might hold, harmless and hostile: dot segments plain and encoded once
# or twice, encoded separators, a fragment, a backslash, a space, a path parameter.
SEGMENTS = [
    "LOC1",
    "",
    ".",
    "..",
    "%2e%2e",
    "%252e%252e",
    "..%2F",
    "a%5Cb",
    "x#y",
    "b\\c",
    "a b",
    "..;",
]


@given(
    st.sampled_from([ENDPOINT, ENDPOINT + "/", "https://e.example:8443/cb?key=1", "http://h/#f"]),
    st.lists(st.sampled_from(SEGMENTS), max_size=4)
    .map(lambda parts: "".join("/" + p for p in parts))
    .flatmap(lambda path: st.sampled_from([path, path + "?type=RFID", path + "?a#b"])),
)
def test_joined_urls_are_those_any_parser_reads_under_the_endpoint(
    endpoint: str, suffix: str
) -> None:
    """endpoint_url checks the suffix alone (the endpoint is parsed once and cached): whatever URL
    it returns, the check of the whole URL agrees that it is under the endpoint."""
    try:
        url = endpoint_url(endpoint, suffix)
    except InvalidParameters:
        return
    assert is_under(endpoint, url)


@pytest.mark.parametrize(
    "url",
    [
        "https://other.example/ocpi/2.2.1/locations/X",
        "http://emsp.example/ocpi/2.2.1/locations/X",
        "https://emsp.example:8443/ocpi/2.2.1/locations/X",
        "https://emsp.example/ocpi/2.2.1/locationsX",
        "https://emsp.example/ocpi/2.2.1/credentials",
    ],
)
def test_another_origin_or_path_is_not_under_the_endpoint(url: str) -> None:
    """Same scheme, host and port, and the endpoint's path as a whole-segment prefix."""
    assert not is_under(ENDPOINT, url)


# ---- response_url ---------------------------------------------------------------------------


def platform(versions_url: str, *endpoints: str) -> Platform:
    return Platform(
        id=1,
        name="eMSP",
        status=PlatformStatus.REGISTERED,
        versions_url=versions_url,
        endpoints=tuple(
            Endpoint(identifier="commands", role=InterfaceRole.SENDER, url=url) for url in endpoints
        ),
    )


EMSP = platform("https://emsp.example/ocpi/versions", "https://api.emsp.example:8443/ocpi/cmd")


@pytest.mark.parametrize(
    "url",
    [
        "https://emsp.example/callbacks/1",
        "HTTPS://EMSP.example:443/cb?x=1",
        "https://api.emsp.example:8443/anything/else",
    ],
)
def test_response_url_on_a_registered_origin_is_accepted(url: str) -> None:
    """A response_url sharing scheme, host and port with the requester's versions URL or one of
    its endpoints is accepted as given (issue 7 §5, checklist §4.6)."""
    assert check_response_url(url, registered_urls(EMSP)) == url


@pytest.mark.parametrize(
    "url",
    [
        "http://emsp.example/callbacks/1",  # another scheme
        "https://emsp.example:8443/callbacks/1",  # another port
        "https://api.emsp.example/cb",  # 443, not the endpoint's 8443
        "http://127.0.0.1:9999/cb",  # a loopback listener
        "http://169.254.169.254/latest/meta-data/",  # a metadata service
        "http://10.0.0.5/internal",
        "https://emsp.example@169.254.169.254/x",  # userinfo: the host is the metadata service
        "https://emsp.example\\@169.254.169.254/x",  # parsers disagree on the host
        "https://emsp.example:99999/x",
    ],
)
def test_response_url_on_any_other_origin_is_2001(url: str) -> None:
    """Anything else is refused: the hub would POST there with the requester's token."""
    with pytest.raises(InvalidParameters) as refused:
        check_response_url(url, registered_urls(EMSP))
    assert refused.value.message.startswith("response_url: ")


@pytest.mark.parametrize("url", [None, "", "/relative", "ftp://e.example/x", "https://", 42])
def test_unusable_response_url_is_2001(url: object) -> None:
    """A response_url the hub could never deliver to is 2001 at once, not a dead letter later."""
    with pytest.raises(InvalidParameters):
        check_response_url(url, ["https://e.example/ocpi/versions"])


def test_origin_fills_in_the_default_port() -> None:
    """https://h and https://h:443 are one origin; case does not matter in scheme or host."""
    assert origin("HTTPS://H.example/x") == origin("https://h.example:443/y") == (
        "https", "h.example", 443,
    )  # fmt: skip
    assert origin("http://[::1]:8080/x") == ("http", "::1", 8080)
