"""What the fake endpoint serves, and the faults it can be switched into."""

from __future__ import annotations

from typing import Any

from tests import factories
from tests.conformance.conftest import day

# Every fault the fake knows; a test names the ones it switches on.
FAULTS = frozenset(
    {
        "no_timestamp", "offset_timestamp", "no_request_id", "routing_on_config",
        "no_routing_headers",
        "auth_optional", "any_token", "raw_only", "base64_only", "token_a_everywhere",
        "json_500", "versions_22", "no_credentials_endpoint", "bad_endpoint_role",
        "no_tariffs", "bad_token_c",
        "no_callback", "token_a_lives", "credentials_without_url", "post_again_ok",
        "old_token_lives", "delete_keeps", "no_total_count", "ignore_limit",
        "link_on_last_page", "duplicates", "ignore_offset", "ignore_date_filters",
        "strict_date_form", "invalid_objects", "sessions_need_more", "wrong_location_by_id",
        "unknown_location_ok", "authorize_unknown_200", "patch_without_last_updated_ok",
        "command_accepted", "no_parent_bump", "tariff_survives_delete",
        "patch_replaces_periods", "put_keeps_periods", "token_type_ignored",
        "cdr_no_location_header", "url_id_ignored", "always_201",
    }
)  # fmt: skip


def valid_objects() -> dict[str, list[dict[str, Any]]]:
    """Valid objects of every list, with distinct last_updated values."""
    suite = ("ZZ", "CNF")
    return {
        "locations": [
            factories.location("NL", "CPA", f"LOC{n}", evse_count=2, last_updated=day(n))
            for n in range(1, 6)
        ],
        "tariffs": [factories.tariff(f"T{n}", last_updated=day(n)) for n in range(1, 4)],
        "tokens": [factories.token(f"U{n}", last_updated=day(n)) for n in range(1, 4)],
        "sessions": [
            factories.session(f"S{n}", emsp=suite, last_updated=day(n)) for n in range(1, 4)
        ],
        "cdrs": [factories.cdr(f"CDR{n}", emsp=suite, last_updated=day(n)) for n in range(1, 4)],
        "hubclientinfo": [
            {"party_id": f"P{n}", "country_code": "NL", "role": "CPO", "status": "CONNECTED",
             "last_updated": day(n)}
            for n in range(1, 4)
        ],
    }  # fmt: skip


def break_objects(data: dict[str, list[dict[str, Any]]]) -> None:
    """invalid_objects: a missing required field, an over-long id, a wrong enum, and so on."""
    del data["locations"][1]["city"]
    data["locations"][2]["id"] = "X" * 40
    data["locations"][3]["evses"][0]["status"] = "FREE"
    data["tariffs"][0]["elements"] = []
    data["tokens"][0]["whitelist"] = "SOMETIMES"
    data["sessions"][0]["status"] = "RUNNING"
    data["cdrs"][0]["charging_periods"][0]["dimensions"] = [{"type": "POWER", "volume": 11}]
    data["hubclientinfo"][0]["role"] = "DRIVER"
