"""`gireve`: Gireve's IOP hub, OCPI 2.2.1 (hub-dialects.md §2, from the GIREVE_Tech_OCPI guides).

Rules the hub knows of Gireve but no `Dialect` field states (left to the code that needs them):
no credentials PUT, unregister and register again (§2.1 [S]); `X-Request-ID`/`X-Correlation-ID`
echoed (§2.1 [S]); Session ids replaced by Gireve's towards eMSPs (§2.3 [S]); credit CDRs not
forwarded (§2.3 [S]); the CDR `remark` price prefix (§2.3 [S]); RFID uid as zero-padded hex
(§2.3 [S]).
"""

from __future__ import annotations

from ocpi_hub.dialects.base import Delivery, Dialect, Presents

GIREVE = Dialect(
    name="gireve",
    summary="Gireve IOP (France), a roaming hub: FR*007 in production",
    # §2.1 [S]: versions 2.1.1 and 2.2.1; we speak 2.2.1 (2.1.1 is its own issue).
    version="2.2.1",
    # §0 [S]: the credentials token, base64 in 2.2.1 (raw only in 2.1.1).
    token_base64=True,
    # §2.2 [S]: OCPI-to/from-* mandatory for all modules except credentials.
    routing_headers=True,
    # §2.1 [S]: IOP presents one role, HUB, one party: FR/007 production (FR/107 pre-production).
    # Choice: production; a pre-production link is the same profile with FR*107, learned from
    # the credentials roles Gireve presents.
    hub_party=("FR", "007"),
    # §2.3 [S]: ChargingProfiles and HubClientInfo not implemented.
    missing_modules=frozenset({"chargingprofiles", "hubclientinfo"}),
    # §2.3 [S]: Commands only START/STOP_SESSION.
    missing_commands=frozenset({"CANCEL_RESERVATION", "RESERVE_NOW", "UNLOCK_CONNECTOR"}),
    # §2.3 [S]: PATCH Tokens to IOP not implemented; PATCH Sessions not implemented either
    # (Gireve calls sending one anyway "recommended"). Choice [I]: PUT the whole Session too, as
    # citrineos-ocpi's Gireve code does (§2.5 [S]): a PUT is always taken, a dropped PATCH is lost.
    put_instead_of_patch=frozenset({"sessions", "tokens"}),
    # §0 / §2 [S]: always paged; caps 100 Locations, 1000 Tokens, 20 CDRs, 100 Tariffs.
    page_limits={"cdrs": 20, "locations": 100, "tariffs": 100, "tokens": 1000},
    # §2 [?]: nothing says Gireve breaks CiString; the spec's case-insensitive ids.
    ids_case_sensitive=False,
    # §2.3 [S]: evse_id may be non-eMI3 from IOP and must not be rejected; how IOP compares
    # them [?]. Choice: compared as sent (the spec), since no normalisation is documented.
    evse_ids_normalised=False,
    # §2.1 [S]: "every evse_id must start with the CPO's operator id (FR*AB1*E...)".
    evse_ids_of_owner=True,
    # §2.3 [S], per module below. START_SESSION's body is keyed "commands/START_SESSION".
    required_fields={
        # §2.3 [S]: Locations CPO→IOP: owner.name, operator.name, evses.capabilities,
        # connectors.tariff_ids, evse_id are mandatory.
        "locations": (
            "owner.name",
            "operator.name",
            "evses[].capabilities",
            "evses[].evse_id",
            "evses[].connectors[].tariff_ids",
        ),
        # §2.3 [S]: Tariffs: start_date_time required.
        "tariffs": ("start_date_time",),
        # §2.3 [S]: evse_uid mandatory in START_SESSION (mapping to eMIP).
        "commands/START_SESSION": ("evse_uid",),
        # §2.3 [S]: Tokens (CPO side): an authorization must reference 1 location, 0..N EVSEs.
        "tokens/authorize": ("location_id",),
    },
    # §2.3 [S], per module below.
    added_fields={
        # §2.3 [S]: gireve_id on Location, EVSE and Connector (IOP→eMSP).
        "locations": ("gireve_id", "evses[].gireve_id", "evses[].connectors[].gireve_id"),
        # §2.3 [S]: tariff extension target_operator_country_code/party_id, and gireve_id.
        "tariffs": ("gireve_id", "target_operator_country_code", "target_operator_party_id"),
    },
    # §2.4 [S]: its JSON examples use naive timestamps without `Z`; parse leniently.
    lenient_timestamps=True,
    # §2.3 [S]: store-and-forward with FIFO retry on any non-2xx or timeout.
    delivery=Delivery.FIFO,
    # §2.1 [S]: the roles a platform presents are ignored; Gireve configures operators manually.
    presents=Presents.HUB,
    # §2.3 [S]: push required (eMSP cannot pull CDRs/Sessions from IOP); IOP pushes to us.
    pull=None,
    # §2.3 [S]: HubClientInfo not implemented at all (in missing_modules), not partly.
    hubclientinfo_partial=False,
    sources={
        "version": "§2.1 [S]: 2.1.1 and 2.2.1; we speak 2.2.1",
        "token_base64": "§0 [S]: credentials token, base64 in 2.2.1",
        "routing_headers": "§2.2 [S]: OCPI-to/from-* mandatory except credentials",
        "hub_party": "§2.1 [S]: HUB FR/007 production (FR/107 pre-production)",
        "missing_modules": "§2.3 [S]: ChargingProfiles, HubClientInfo not implemented",
        "missing_commands": "§2.3 [S]: Commands only START/STOP_SESSION",
        "put_instead_of_patch": "§2.3 [S] tokens, sessions; sessions PUT chosen [I] (§2.5)",
        "page_limits": "§0 [S]: caps 100 loc / 1000 tok / 20 CDR / 100 tariff",
        "ids_case_sensitive": "§2 [?]: not stated; the spec's CiString",
        "evse_ids_normalised": "§2.3 [?]: non-eMI3 evse_id accepted; compared as sent",
        "evse_ids_of_owner": "§2.1 [S]: every evse_id must start with the CPO's operator id",
        "required_fields": "§2.3 [S]: Locations extra mandatory; Tariffs start_date_time;"
        " START_SESSION evse_uid; authorization location_id",
        "added_fields": "§2.3 [S]: gireve_id; tariff target_operator_*",
        "lenient_timestamps": "§2.4 [S]: examples without `Z`; parse leniently [I]",
        "delivery": "§2.3 [S]: store-and-forward, FIFO retry",
        "presents": "§2.1 [S]: presented roles ignored; operators configured manually",
        "pull": "§2.3 [S]: push only",
        "hubclientinfo_partial": "§2.3 [S]: HubClientInfo not implemented",
        "forbidden_as_unauthorized": "§2 [?]: not stated; the spec's 401",
        "errors_without_envelope": "§2 [?]: not stated; the spec's envelope",
        "single_object_as_list": "§2 [?]: not stated; the spec's object",
        "lower_case_ids": "§2 [?]: not stated; ids as stored",
        "foreign_tokens": "§2 [?]: not stated; not asked",
        "bridge": "§2 [S]: OCPI, no bridge",
    },
)
