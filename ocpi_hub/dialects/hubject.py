"""`hubject`: Hubject's HBS, which speaks OICP 2.3, not OCPI (hub-dialects.md §5).

The hub's client hands every request to a platform speaking this dialect to the OICP bridge
(ocpi_hub/push/oicp), which translates it into OICP operations (dialects.oicp) and Hubject's
answers back; Hubject's calls to the hub are translated the other way by the bridge's listener.
Everything else in the hub sees one more network. The fields below are the OCPI-side rules the
bridge relies on.
"""

from __future__ import annotations

from ocpi_hub.dialects.base import Delivery, Dialect, Presents, PullSchedule

HUBJECT = Dialect(
    name="hubject",
    summary="Hubject (HBS), OICP 2.3 through the hub's bridge",
    # §5 [I]: the bridge's OCPI face: the hub speaks 2.2.1 to it.
    version="2.2.1",
    # §5.1 [S]: mutual TLS authenticates us; the token is never sent anywhere.
    token_base64=True,
    routing_headers=True,  # §5 [I]: the bridge reads OCPI-from/to: whose message it carries
    # §5.1 [S]: Hubject has no party identity of its own in OICP. Choice [I]: DE*HBS, the label
    # the hub gives the network's HUB party; `hubject connect --party` sets another.
    hub_party=("DE", "HBS"),
    # §5.2 [S]: no charging profiles, no ClientInfo in OICP: Hubject's partners are learned from
    # the OperatorIDs and ProviderIDs the bridge sees.
    missing_modules=frozenset({"chargingprofiles", "hubclientinfo"}),
    # §5.2 [S]: remote start/stop only (Reservation 1.1 is optional and not bridged [I]).
    missing_commands=frozenset({"RESERVE_NOW", "CANCEL_RESERVATION", "UNLOCK_CONNECTOR"}),
    # §5.2 [I]: the bridge takes PATCHes: an EVSE status PATCH is eRoamingPushEvseStatus.
    put_instead_of_patch=frozenset(),
    page_limits={},  # §5.2 [I]: the bridge pages OICP itself
    ids_case_sensitive=False,  # §5.3 [S]: Hubject upper-cases ids
    # §5.3 [S]: EvseIDs with or without `*`, Hubject upper-cases.
    evse_ids_normalised=True,
    # §5.1 [S]: the OperatorID must be ours (the certificate's): checked by the bridge per
    # record, each EVSE becoming its own record (a foreign one is a loss, not a refusal).
    evse_ids_of_owner=False,
    required_fields={},  # §5.4 [I]: what the bridge cannot map is a loss, not a refusal
    added_fields={},  # §5 [I]: none
    lenient_timestamps=False,  # §5.1 [S]: the bridge converts offsets
    # §5.1 [S]: push operations strictly sequential per operation.
    delivery=Delivery.PER_MODULE,
    presents=Presents.PARTIES,  # §5.3 [I]: each local party as its OperatorID/ProviderID
    # §5.2 [S]: an EMP pulls EVSE data (delta with LastCall) and statuses, polled every 1-5
    # minutes as advised (statuses: 6 pulls a minute at most); [I] a full pull daily catches
    # what a delta missed. The puller's GETs are answered by the bridge from OICP pulls.
    pull=PullSchedule(delta_every=120.0, full_every=86400.0),
    hubclientinfo_partial=False,  # §5.2 [S]: no ClientInfo in OICP
    # §5.2 [S]: AuthorizeStart is routed by HBS to the token's EMP (or broadcast to all).
    foreign_tokens=True,
    bridge="oicp-2.3",  # §5.1 [S]: REST/JSON OICP 2.3 over mutual TLS
    sources={
        "version": "§5 [I]: the bridge's OCPI face speaks 2.2.1",
        "token_base64": "§5.1 [S]: mutual TLS; no token is sent",
        "routing_headers": "§5 [I]: the bridge reads whose message it carries",
        "hub_party": "§5.1 [S]: no HUB identity in OICP; DE*HBS chosen [I]",
        "missing_modules": "§5.2 [S]: no charging profiles, no ClientInfo",
        "missing_commands": "§5.2 [S]: remote start/stop; reservation not bridged [I]",
        "put_instead_of_patch": "§5 [I]: the bridge maps status PATCHes to PushEvseStatus",
        "page_limits": "§5 [I]: the bridge pages OICP itself",
        "ids_case_sensitive": "§5.3 [S]: Hubject upper-cases",
        "evse_ids_normalised": "§5.3 [S]: EvseID with or without separators",
        "evse_ids_of_owner": "§5.1 [S]: checked per record by the bridge",
        "required_fields": "§5 [I]: the bridge reports what it cannot map as losses",
        "added_fields": "§5 [I]: none",
        "lenient_timestamps": "§5.1 [S]: offsets converted by the bridge",
        "delivery": "§5.1 [S]: push operations strictly sequential per operation",
        "presents": "§5.3 [S]: each local party as its OperatorID/ProviderID [I]",
        "pull": "§5.2 [S]: EMPs pull EVSE data/status every 1-5 min; a daily full pull [I]",
        "hubclientinfo_partial": "§5.2 [S]: no ClientInfo",
        "forbidden_as_unauthorized": "§5 [I]: not OCPI",
        "errors_without_envelope": "§5 [I]: the bridge answers in envelopes",
        "single_object_as_list": "§5 [I]: not OCPI",
        "lower_case_ids": "§5 [I]: not OCPI",
        "foreign_tokens": "§5.2 [S]: HBS routes AuthorizeStart to the token's EMP",
        "bridge": "§5.1 [S]: REST/JSON OICP 2.3, mutual TLS",
    },
)
