"""`ocpi-2.2.1`: the spec, strictly. Every rule at its `Dialect` default; the sources say where
the spec states it (hub-dialects.md §1 "Baseline: plain OCPI 2.2.1", from the OCPI 2.2.1 text)."""

from __future__ import annotations

from ocpi_hub.dialects.base import Dialect

OCPI_221 = Dialect(
    name="ocpi-2.2.1",
    summary="OCPI 2.2.1 as the spec says it, strictly",
    sources={
        "version": "§1 [S]: OCPI 2.2.1",
        "token_base64": "§1 [S]: Authorization: Token <base64(token)> in 2.2.1",
        "routing_headers": "§1 [S]: OCPI-from/to-* only required when a hub or platform routes",
        "hub_party": "§1 [S]: a direct peer has no hub identity",
        "missing_modules": "§1 [S]: every module of the spec",
        "missing_commands": "§1 [S]: every CommandType of the spec",
        "put_instead_of_patch": "§1 [S]: PATCH as the spec defines it, per module",
        "page_limits": "§1 [S]: offset/limit paging, the server's X-Limit",
        "ids_case_sensitive": "§1 [S]: ids are CiString (case-insensitive)",
        "evse_ids_normalised": "§1 [S]: evse_id compared as sent",
        "evse_ids_of_owner": "§1 [S]: the spec ties no evse_id to its CPO; not checked",
        "required_fields": "§1 [S]: the spec's required fields only",
        "added_fields": "§1 [S]: none beyond the spec",
        "lenient_timestamps": "§1 [S]: times are UTC DateTimes",
        "delivery": "§0 [S]: push preferred; the outbox orders per object",
        "presents": "§1 [S]: one connection may serve many parties, each with its roles",
        "pull": "§0 [S]: push preferred",
        "hubclientinfo_partial": "§1 [S]: hubclientinfo as the spec defines it",
        "forbidden_as_unauthorized": "§1 [S]: HTTP 401 for an unknown token",
        "errors_without_envelope": "§1 [S]: every answer in the OCPI envelope",
        "single_object_as_list": "§1 [S]: a GET of one object answers that object",
        "lower_case_ids": "§1 [S]: ids sent as stored",
        "foreign_tokens": "§1 [S]: a peer holds its own tokens only",
        "bridge": "§1 [S]: OCPI itself, no bridge",
    },
)
