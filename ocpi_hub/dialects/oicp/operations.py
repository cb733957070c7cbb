"""The OICP 2.3 operations the bridge calls on Hubject, as data (hub-dialects.md §5.1, §5.2).

Each has its path under the base URL (with `{operatorID}` / `{providerID}`), whether it is a
push (Hubject takes one at a time per operation and operator), and the requests per minute
Hubject's Acceptable Use Policy allows. The operator may lower or raise a limit with
OCPI_HUB_HUBJECT_RATE_LIMITS (`parse_rate_limits`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["OPERATIONS", "Operation", "operation", "parse_rate_limits"]


@dataclass(frozen=True)
class Operation:
    """One OICP operation as the bridge calls it."""

    name: str
    path: str  # below the base URL
    per_minute: int  # Hubject's AUP limit
    push: bool = False  # strictly one at a time per operator

    def url(self, base_url: str, **ids: str) -> str:
        return base_url.rstrip("/") + self.path.format(**ids)


OPERATIONS: Mapping[str, Operation] = {
    o.name: o
    for o in (
        # CPO role
        Operation(
            "eRoamingPushEvseData", "/evsepush/v23/operators/{operatorID}/data-records", 375, True
        ),
        Operation(
            "eRoamingPushEvseStatus",
            "/evsepush/v21/operators/{operatorID}/status-records",
            2000,
            True,
        ),
        Operation(
            "eRoamingAuthorizeStart", "/charging/v21/operators/{operatorID}/authorize/start", 200
        ),
        Operation(
            "eRoamingAuthorizeStop", "/charging/v21/operators/{operatorID}/authorize/stop", 50
        ),
        Operation(
            "eRoamingChargeDetailRecord",
            "/cdrmgmt/v22/operators/{operatorID}/charge-detail-record",
            350,
        ),
        Operation(
            "eRoamingPushPricingProductData",
            "/dynamicpricing/v10/operators/{operatorID}/pricing-products",
            6,
            True,
        ),
        Operation(
            "eRoamingPushEVSEPricing",
            "/dynamicpricing/v10/operators/{operatorID}/evse-pricing",
            6,
            True,
        ),
        # EMP role
        Operation("eRoamingPullEvseData", "/evsepull/v23/providers/{providerID}/data-records", 100),
        Operation(
            "eRoamingPullEvseStatus", "/evsepull/v21/providers/{providerID}/status-records", 6
        ),
        Operation(
            "eRoamingAuthorizeRemoteStart",
            "/charging/v21/providers/{providerID}/authorize-remote/start",
            100,
        ),
        Operation(
            "eRoamingAuthorizeRemoteStop",
            "/charging/v21/providers/{providerID}/authorize-remote/stop",
            200,
        ),
        Operation(
            "eRoamingGetChargeDetailRecords",
            "/cdrmgmt/v22/providers/{providerID}/get-charge-detail-records-request",
            200,
        ),
        Operation(
            "eRoamingPushAuthenticationData",
            "/authdata/v21/providers/{providerID}/push-request",
            50,
            True,
        ),
    )
}


def operation(name: str) -> Operation:
    return OPERATIONS[name]


def parse_rate_limits(text: str) -> dict[str, int]:
    """`NAME=N,NAME=N` (OCPI_HUB_HUBJECT_RATE_LIMITS) → requests per minute per operation;
    ValueError naming the entry that is not an operation or not a whole number above 0."""
    limits: dict[str, int] = {}
    for raw in text.split(","):
        entry = raw.strip()
        if not entry:
            continue
        name, _, value = entry.partition("=")
        name = name.strip()
        if name not in OPERATIONS:
            known = ", ".join(sorted(OPERATIONS))
            raise ValueError(f"OCPI_HUB_HUBJECT_RATE_LIMITS: {name!r} is not one of {known}")
        if not value.strip().isdigit() or int(value) <= 0:
            raise ValueError(
                f"OCPI_HUB_HUBJECT_RATE_LIMITS: {entry!r} needs a whole number above 0"
            )
        limits[name] = int(value)
    return limits
