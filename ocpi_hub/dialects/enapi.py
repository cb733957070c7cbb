"""`enapi`: the ENAPI hub, OCPI 2.2.1 (hub-dialects.md §3, from docs.enapi.com).

Rules the hub knows of ENAPI but no `Dialect` field states: data flows only between parties with
a roaming agreement signed on its portal (§3 [S]); GETs are answered from its cache, not by the
owner (§3 [S]); unknown RFID tokens are broadcast to every eMSP contracted with the CPO (§3 [S]).
"""

from __future__ import annotations

from ocpi_hub.dialects.base import Delivery, Dialect, Presents, PullSchedule

DAY = 24 * 3600.0

ENAPI = Dialect(
    name="enapi",
    summary="ENAPI, an OCPI roaming hub and transaction broker",
    # §3 [S]: 2.1.1-d2, 2.2.1, 2.3.0 (not 2.2); we speak 2.2.1.
    version="2.2.1",
    # §3 [S]: token encoding in Authorization configurable per platform (base64 or raw).
    # Choice [I]: base64, the 2.2.1 rule; the operator sets ENAPI's side to match, so nothing
    # deviates from the spec on our side.
    token_base64=True,
    # §3 [S]: OCPI-to-* headers accepted but optional (hub behaviour per 2.2.1).
    routing_headers=False,
    # §3 [S]: ENAPI presents a single role, HUB; DE*ENA is its 2.1.1 fallback identity, its 2.2.1
    # party id [?]. Choice [I]: DE*ENA, the one identity it publishes; verify at onboarding.
    hub_party=("DE", "ENA"),
    # §3 [S]: ChargingProfiles not implemented (2.2.1 page).
    missing_modules=frozenset({"chargingprofiles"}),
    # §3 [S]: remote start routed to the CPO; no command said missing.
    missing_commands=frozenset(),
    # §3 [?]: nothing says PATCH is refused.
    put_instead_of_patch=frozenset(),
    # §3 / §9 [?]: the page sizes it serves are not published (it asks us for limit 1000);
    # no cap: we follow its Link headers and X-Limit.
    page_limits={},
    ids_case_sensitive=False,  # §3 [?]: not stated; the spec's CiString.
    evse_ids_normalised=False,  # §3 [?]: not stated; EVSE ids compared as sent.
    # §3 [?]: no requirement beyond the spec published.
    required_fields={},
    # §3 [S]: its additions are 2.1.1 back-ports only; none in 2.2.1.
    added_fields={},
    # §3 [?]: not stated; the spec's UTC DateTimes.
    lenient_timestamps=False,
    # §0 [S]: push preferred; no ordering rule beyond the spec: the outbox's per-object order.
    delivery=Delivery.PER_OBJECT,
    # §3 [S]: hub behaviour per 2.2.1 (agreements per party, owners' ids in objects). Choice [I]:
    # present each local party served there, as a 2.2.1 platform hosting many parties does.
    presents=Presents.PARTIES,
    # §3 [S]: ENAPI pulls us, delta daily at 01:00 UTC (date_from = last success) and full weekly,
    # as its safety net; our Sender interfaces already serve date_from/date_to. Choice [I]: we
    # pull it on the same schedule (delta every day, full every week), our own safety net for
    # pushes it did not make (some data it shares only on request, §3 [S]).
    pull=PullSchedule(delta_every=DAY, full_every=7 * DAY),
    # §3 [S]: HubClientInfo partly implemented: a PUT to both sides when an agreement is signed,
    # "use as trigger for a full pull".
    hubclientinfo_partial=True,
    sources={
        "version": "§3 [S]: 2.1.1-d2, 2.2.1, 2.3.0; we speak 2.2.1",
        "token_base64": "§3 [S]: base64 or raw per platform; base64 chosen [I]",
        "routing_headers": "§3 [S]: OCPI-to-* accepted but optional",
        "hub_party": "§3 [S]: role HUB, DE*ENA (2.1.1); 2.2.1 id [?], DE*ENA chosen [I]",
        "missing_modules": "§3 [S]: ChargingProfiles not implemented",
        "missing_commands": "§3 [S]: remote start routed to the CPO; none missing",
        "put_instead_of_patch": "§3 [?]: not stated; PATCH as the spec",
        "page_limits": "§3, §9 [?]: caps not published; follow Link",
        "ids_case_sensitive": "§3 [?]: not stated; the spec's CiString",
        "evse_ids_normalised": "§3 [?]: not stated; compared as sent",
        "evse_ids_of_owner": "§3 [?]: not stated; not checked",
        "required_fields": "§3 [?]: none published",
        "added_fields": "§3 [S]: back-ports are 2.1.1 only",
        "lenient_timestamps": "§3 [?]: not stated; UTC DateTimes",
        "delivery": "§0 [S]: push preferred; per-object order",
        "presents": "§3 [S]: 2.2.1 hub; our parties presented [I]",
        "pull": "§3 [S]: it pulls delta daily, full weekly; we mirror it [I]",
        "hubclientinfo_partial": "§3 [S]: ClientInfo PUT when an agreement is signed",
        "forbidden_as_unauthorized": "§3 [?]: not stated; the spec's 401",
        "errors_without_envelope": "§3 [?]: not stated; the spec's envelope",
        "single_object_as_list": "§3 [?]: not stated; the spec's object",
        "lower_case_ids": "§3 [?]: not stated; ids as stored",
        "foreign_tokens": "§3 [I]: not asked (ENAPI broadcasts its members' unknown tokens itself)",
        "bridge": "§3 [S]: OCPI, no bridge",
    },
)
