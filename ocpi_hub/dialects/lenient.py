"""`lenient`: a direct OCPI 2.2.1 peer with the common deviations (issue 8 "Profiles shipped";
hub-dialects.md §1 "Direct-peer pitfalls worth a peer profile [I]")."""

from __future__ import annotations

from ocpi_hub.dialects.base import Delivery, Dialect, Presents

LENIENT = Dialect(
    name="lenient",
    summary="a direct OCPI 2.2.1 peer with the common deviations",
    # §1 [S]: 2.2.1 (a 2.1.1 peer is a dialect of its own).
    version="2.2.1",
    # §1 [I]: token encoding is a direct-peer pitfall (2.1.1 peers use it raw). Choice: base64,
    # as this is a 2.2.1 peer; inbound we accept both whatever the profile.
    token_base64=True,
    # §1 [S]: a direct peer, no hub routes: headers only where the spec wants them.
    routing_headers=False,
    hub_party=None,  # §1 [S]: a direct peer has no hub identity.
    missing_modules=frozenset(),  # §1 [?]: nothing known missing.
    missing_commands=frozenset(),  # §1 [?]: nothing known missing.
    put_instead_of_patch=frozenset(),  # §1 [?]: PATCH as the spec.
    page_limits={},  # §1 [S]: offset/limit with its own X-Limit.
    # issue 8 [S]: it lower-cases ids; the spec's CiString makes those the same ids.
    ids_case_sensitive=False,
    # §1 [I]: evse_id formats are a direct-peer pitfall. Choice: compare EVSE ids normalised, so
    # "nl*abc*e1" and "NLABCE1" are the one EVSE, as a lenient reading should.
    evse_ids_normalised=True,
    required_fields={},  # §1 [?]: nothing beyond the spec.
    added_fields={},  # §1 [?]: none known (unknown fields are kept in any case).
    # §1 [I]: not listed. Choice: accept naive timestamps from it (as UTC): accepting costs no
    # correctness and is the most common slip after those the issue lists.
    lenient_timestamps=True,
    delivery=Delivery.PER_OBJECT,  # §0 [S]: the outbox's per-object order.
    presents=Presents.PARTIES,  # §1 [S]: our parties with their roles.
    pull=None,  # §0 [S]: push preferred. Peers that only pull (§1) pull us.
    hubclientinfo_partial=False,  # §1 [S]: not a hub; hubclientinfo as the spec.
    # issue 8 "Profiles shipped" [S], the common deviations of a direct peer:
    forbidden_as_unauthorized=True,  # issue 8 [S]: HTTP 403 where the spec says 401
    errors_without_envelope=True,  # issue 8 [S]: error answers not in the OCPI envelope
    single_object_as_list=True,  # issue 8 [S]: a GET of one object answers a one-item list
    lower_case_ids=True,  # issue 8 [S]: ids sent lower-cased
    sources={
        "version": "§1 [S]: OCPI 2.2.1",
        "token_base64": "§1 [I]: token encoding a peer pitfall; base64 chosen",
        "routing_headers": "§1 [S]: direct peer, headers only when routed",
        "hub_party": "§1 [S]: a direct peer has no hub identity",
        "missing_modules": "§1 [?]: none known",
        "missing_commands": "§1 [?]: none known",
        "put_instead_of_patch": "§1 [?]: PATCH as the spec",
        "page_limits": "§1 [S]: offset/limit, its own X-Limit",
        "ids_case_sensitive": "issue 8 [S]: lower-cased ids, CiString equal",
        "evse_ids_normalised": "§1 [I]: evse_id formats a pitfall; normalised chosen",
        "evse_ids_of_owner": "§1 [?]: evse_id formats a pitfall; not checked",
        "required_fields": "§1 [?]: none beyond the spec",
        "added_fields": "§1 [?]: none known",
        "lenient_timestamps": "§1 [I]: naive times accepted, chosen",
        "delivery": "§0 [S]: per-object order",
        "presents": "§1 [S]: our parties with their roles",
        "pull": "§0 [S]: push preferred",
        "hubclientinfo_partial": "§1 [S]: not a hub",
        "forbidden_as_unauthorized": "issue 8 [S]: 403 instead of 401",
        "errors_without_envelope": "issue 8 [S]: errors without the envelope",
        "single_object_as_list": "issue 8 [S]: one-item list for a single GET",
        "lower_case_ids": "issue 8 [S]: lower-cased ids",
        "foreign_tokens": "§1 [I]: a peer holds its own tokens only",
        "bridge": "§1 [I]: OCPI, no bridge",
    },
)
