"""`eclearing`: e-clearing.net's ECHX core, its OCPI 2.2.1 side (hub-dialects.md §4, from the
public "ChangeLog Summary - System Update" v3.0; no OCPI implementation guide is public).

Rules the hub knows of ECHX but no `Dialect` field states: duplicates inside lists silently
ignored (§4 [S]); missing required fields filled with `-`, to be read as null (§4 [S]/[I]);
`last_updated` replaced by ECHX's entry time, so "changed since" is our own receive time (§4 [S]/
[I]); OCHP DirectID mapped to `authorization_reference` (§4 [S]).
"""

from __future__ import annotations

from ocpi_hub.dialects.base import Delivery, Dialect, Presents

ECLEARING = Dialect(
    name="eclearing",
    summary="e-clearing.net (ECHX), a roaming hub serving OCHP and OCPI",
    # §4 [S]: ECHX serves OCPI 2.1.1 and 2.2.1; we speak 2.2.1.
    version="2.2.1",
    # §0 [I]: OCPI credentials, so the 2.2.1 base64 token.
    token_base64=True,
    # §0 [?]: its header rules are not published. Choice: send them on every functional request:
    # a hub that ignores them loses nothing, one that requires them would refuse their absence.
    routing_headers=True,
    # §0 / §9 [?]: its hub party id is not published; learned from the roles it presents.
    hub_party=None,
    # §4 [S]: ChargingProfiles not implemented (2.2.1).
    missing_modules=frozenset({"chargingprofiles"}),
    # §4 [?]: no command said missing.
    missing_commands=frozenset(),
    # §4 [?]: nothing says PATCH is refused.
    put_instead_of_patch=frozenset(),
    # §9 [?]: paging limits not published: we follow its Link headers and X-Limit.
    page_limits={},
    # §4 [S]: all ids case-sensitive (token, tariff, location, EVSE uid, session, CDR), also in
    # 2.2.1, contrary to CiString.
    ids_case_sensitive=True,
    # §4 [S]: ids with optional separators (EVSE-ID) normalised: separators removed, upper-cased.
    evse_ids_normalised=True,
    # §4 [?]: no requirement beyond the spec published (it fills missing ones with `-`).
    required_fields={},
    # §4 [S]: it generates internal ids for cross-protocol mapping, but names no added field.
    added_fields={},
    # §4 [S]: a missing time zone is taken as UTC on its side. Choice [I]: strict towards us;
    # nothing says it sends naive times.
    lenient_timestamps=False,
    # §4 [S]: pushes forwarded through a FIFO queue. Choice [I]: we deliver to it in the same
    # discipline, one queue per network.
    delivery=Delivery.FIFO,
    # §4 [?]: not stated. Choice: our parties, as a 2.2.1 platform hosting many parties does.
    presents=Presents.PARTIES,
    # §0 [S]: FIFO push queue: it pushes to us.
    pull=None,
    # §4 [?]: hubclientinfo not mentioned; the spec's.
    hubclientinfo_partial=False,
    sources={
        "version": "§4 [S]: OCPI 2.1.1 and 2.2.1; we speak 2.2.1",
        "token_base64": "§0 [I]: OCPI credentials, base64 in 2.2.1",
        "routing_headers": "§0 [?]: not published; always sent [I]",
        "hub_party": "§0, §9 [?]: not published; from its credentials roles",
        "missing_modules": "§4 [S]: ChargingProfiles not implemented",
        "missing_commands": "§4 [?]: none said missing",
        "put_instead_of_patch": "§4 [?]: not stated; PATCH as the spec",
        "page_limits": "§9 [?]: not published; follow Link",
        "ids_case_sensitive": "§4 [S]: all ids case-sensitive, also in 2.2.1",
        "evse_ids_normalised": "§4 [S]: separators removed, upper-cased",
        "evse_ids_of_owner": "§4 [?]: not stated; not checked",
        "required_fields": "§4 [?]: none published (fills missing with `-`)",
        "added_fields": "§4 [S]: internal ids only, no field named",
        "lenient_timestamps": "§4 [S]: missing zone taken as UTC there; strict here [I]",
        "delivery": "§4 [S]: pushes through a FIFO queue",
        "presents": "§4 [?]: not stated; our parties",
        "pull": "§0 [S]: FIFO push queue",
        "hubclientinfo_partial": "§4 [?]: not mentioned; the spec's",
        "forbidden_as_unauthorized": "§4 [?]: not stated; the spec's 401",
        "errors_without_envelope": "§4 [?]: not stated; the spec's envelope",
        "single_object_as_list": "§4 [?]: not stated; the spec's object",
        "lower_case_ids": "§4 [S]: ids preserved exactly",
        "foreign_tokens": "§4 [?]: not stated; not asked",
        "bridge": "§4 [S]: OCPI, no bridge",
    },
)
