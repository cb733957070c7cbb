"""What the CDR translation tests share: our CPO's CDR, a CDR Hubject forwards, and the call of
`ocpi_cdr` for our eMSP at the stored Location (dialects.oicp.cdr)."""

from __future__ import annotations

from typing import Any

from ocpi_hub.core.modules.cdrs import CDR
from ocpi_hub.dialects.losses import Direction, Loss, Lost
from ocpi_hub.dialects.oicp.cdr import ocpi_cdr
from tests import factories

SID = "b2688855-7f00-0002-6d8e-48d883f6abb6"
EVCO = "DE-EMA-CAet5e4XY-3"
NOW = "2024-03-01T12:00:00Z"
LOCATION = factories.location(party_id="CPA")  # LOC1, EVSE1 (NL*CPA*EEVSE1), connector "1"


def losses_of(losses: list[Loss]) -> set[tuple[str, Direction, Lost]]:
    return {(x.field, x.direction, x.lost) for x in losses}


def our_cdr(**overrides: Any) -> dict[str, Any]:
    """10:00-11:00 UTC, charging 10:00-10:45 (11.5 kWh), parking after, an RFID card."""
    ours = {"cdr_token": factories.cdr_token(uid="0123abcd"), "authorization_reference": SID}
    return factories.plausible_cdr(**(ours | overrides))


def hubject_cdr(**fields: Any) -> dict[str, Any]:
    """A CDR Hubject forwards: session 11:00-12:00 +01:00, charging 11:05-11:50, 11.5 kWh."""
    body = {
        "SessionID": SID,
        "EvseID": "NL*CPA*EEVSE1",
        "Identification": {"RFIDMifareFamilyIdentification": {"UID": "0123ABCD"}},
        "SessionStart": "2024-03-01T11:00:00+01:00",
        "SessionEnd": "2024-03-01T12:00:00+01:00",
        "ChargingStart": "2024-03-01T11:05:00+01:00",
        "ChargingEnd": "2024-03-01T11:50:00+01:00",
        "ConsumedEnergy": 11.5,
    }
    return body | fields


def to_ocpi(record: dict[str, Any], **kw: Any) -> tuple[dict[str, Any], list[Loss]]:
    """ocpi_cdr at LOC1/EVSE1 of NL*CPA for DE*EMA; the result checked by the hub's CDR model."""
    args: dict[str, Any] = {
        "location": LOCATION,
        "evse_uid": "EVSE1",
        "connector_id": None,
        "tariff": None,
        "cpo": ("NL", "CPA"),
        "emsp": ("DE", "EMA"),
        "currency": "EUR",
        "now": NOW,
    }
    cdr, losses = ocpi_cdr(record, **(args | kw))
    CDR.model_validate(cdr)
    return cdr, losses
