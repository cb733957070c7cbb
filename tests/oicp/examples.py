"""OICP 2.3 request and response bodies, one per message of the spec's code snippets
(`06_CPO_Code_Snippets.asciidoc`, `06_EMP_Code_Snippets.asciidoc` in hubject/oicp), re-authored:
the same fields and shapes, our own values, consistent with each other and valid where the
snippets are not (the snippets fill all five Identification variants at once, put
"string" in SessionIDs, a 9-digit UID and a delta pull with a SearchCenter). Each function
returns a fresh dict, so tests may change it. An adaptation of CC BY-SA 4.0 material, shared
under the same licence (see schemas/oicp/README.md).

The actors: the operator DE*OPA (a CPO) with EVSE DE*OPA*E0001*1, the provider DE-EMA (an EMP)
with the contract DE-EMA-C00000001-4 and the RFID card 04A1B2C3D4E5F6.
"""

from __future__ import annotations

from typing import Any

OPERATOR = "DE*OPA"
PROVIDER = "DE-EMA"
EVSE = "DE*OPA*E0001*1"
EVCO = "DE-EMA-C00000001-4"
UID = "04A1B2C3D4E5F6"
SESSION = "6b3f8a52-1c4e-4a7d-9f0e-2d5c8b7a9e13"
START = "2025-03-04T09:15:00+01:00"
END = "2025-03-04T10:05:00+01:00"

Body = dict[str, Any]


def status_code(code: str = "000", description: str = "Success") -> Body:
    return {"Code": code, "Description": description, "AdditionalInfo": "re-authored example"}


def acknowledgement(result: bool = True, session_id: str | None = SESSION) -> Body:
    body: Body = {
        "Result": result,
        "StatusCode": status_code(),
        "CPOPartnerSessionID": "cpo-session-17",
        "EMPPartnerSessionID": "emp-session-42",
    }
    if session_id is not None:
        body["SessionID"] = session_id
    return body


def rfid(uid: str = UID) -> Body:
    return {"RFIDMifareFamilyIdentification": {"UID": uid}}


def remote(evco_id: str = EVCO) -> Body:
    return {"RemoteIdentification": {"EvcoID": evco_id}}


def evse_data_record(evse_id: str = EVSE, **changes: Any) -> Body:
    """Every field of EvseDataRecordType, as the push snippet fills them."""
    record: Body = {
        "EvseID": evse_id,
        "ChargingPoolID": "DE*OPA*P0001",
        "ChargingStationID": "station-1",
        "ChargingStationNames": [
            {"lang": "en", "value": "Market Square charging"},
            {"lang": "de", "value": "Laden am Marktplatz"},
        ],
        "HardwareManufacturer": "Example Chargers Ltd",
        "ChargingStationImage": "https://images.example.com/station-1.jpg",
        "SubOperatorName": "OPA Municipal",
        "Address": {
            "Country": "DEU",
            "City": "Leipzig",
            "Street": "Marktplatz",
            "PostalCode": "04109",
            "HouseNum": "1",
            "Floor": "0",
            "Region": "Sachsen",
            "ParkingFacility": True,
            "ParkingSpot": "P12",
            "TimeZone": "UTC+01:00",
        },
        "GeoCoordinates": {"DecimalDegree": {"Latitude": "51.340199", "Longitude": "12.374830"}},
        "Plugs": ["Type 2 Outlet"],
        "DynamicPowerLevel": True,
        "ChargingFacilities": [
            {
                "PowerType": "AC_3_PHASE",
                "Voltage": 400,
                "Amperage": 32,
                "Power": 22,
                "ChargingModes": ["Mode_3"],
            }
        ],
        "RenewableEnergy": True,
        "EnergySource": [
            {"Energy": "Wind", "Percentage": 60},
            {"Energy": "Solar", "Percentage": 40},
        ],
        "EnvironmentalImpact": {"CO2Emission": 0, "NuclearWaste": 0},
        "CalibrationLawDataAvailability": "Local",
        "AuthenticationModes": ["NFC RFID Classic", "REMOTE"],
        "MaxCapacity": 60,
        "PaymentOptions": ["Contract"],
        "ValueAddedServices": ["Reservation"],
        "Accessibility": "Free publicly accessible",
        "AccessibilityLocation": "OnStreet",
        "HotlinePhoneNumber": "+4934112345678",
        "AdditionalInfo": [{"lang": "en", "value": "Two bays, signed for EVs only"}],
        "ChargingStationLocationReference": [{"lang": "en", "value": "North side of the square"}],
        "GeoChargingPointEntrance": {"Google": {"Coordinates": "51.340250 12.374900"}},
        "IsOpen24Hours": False,
        "OpeningTimes": [{"Period": [{"begin": "06:00", "end": "22:00"}], "on": "Everyday"}],
        "HubOperatorID": OPERATOR,
        "ClearinghouseID": "clearing-1",
        "IsHubjectCompatible": True,
        "DynamicInfoAvailable": "true",
    }
    record.update(changes)
    return record


def push_evse_data(action: str = "fullLoad", records: list[Body] | None = None) -> Body:
    return {
        "ActionType": action,
        "OperatorEvseData": {
            "OperatorID": OPERATOR,
            "OperatorName": "OPA Charging",
            "EvseDataRecord": [evse_data_record()] if records is None else records,
        },
    }


def push_evse_status(
    action: str = "update", status: str = "Available", evse_id: str = EVSE
) -> Body:
    return {
        "ActionType": action,
        "OperatorEvseStatus": {
            "OperatorID": OPERATOR,
            "OperatorName": "OPA Charging",
            "EvseStatusRecord": [{"EvseID": evse_id, "EvseStatus": status}],
        },
    }


def pull_evse_data() -> Body:
    """A filtered full pull (the snippet's filters, without its LastCall: a delta pull cannot
    be combined with SearchCenter, CountryCodes or OperatorIds)."""
    return {
        "ProviderID": PROVIDER,
        "SearchCenter": {
            "GeoCoordinates": {
                "DecimalDegree": {"Latitude": "51.340000", "Longitude": "12.370000"}
            },
            "Radius": 5.5,
        },
        "GeoCoordinatesResponseFormat": "DecimalDegree",
        "CountryCodes": ["DEU"],
        "OperatorIds": [OPERATOR],
        "AuthenticationModes": ["NFC RFID Classic"],
        "Accessibility": ["Free publicly accessible"],
        "CalibrationLawDataAvailability": ["Local"],
        "RenewableEnergy": True,
        "IsHubjectCompatible": True,
        "IsOpen24Hours": False,
    }


def pull_evse_data_delta(last_call: str = START) -> Body:
    return {"ProviderID": PROVIDER, "LastCall": last_call, "GeoCoordinatesResponseFormat": "Google"}


def page(content: list[Body], number: int = 0, size: int = 20, total: int | None = None) -> Body:
    total = len(content) if total is None else total
    pages = -(-total // size) if size else 0
    return {
        "content": content,
        "number": number,
        "size": size,
        "totalElements": total,
        "last": number >= pages - 1,
        "totalPages": pages,
        "first": number == 0,
        "numberOfElements": len(content),
        "StatusCode": status_code(),
    }


def evse_data_page() -> Body:
    record = evse_data_record(deltaType="insert", lastUpdate="2025-03-01T08:00:00.000Z")
    return page([{**record, "OperatorID": OPERATOR, "OperatorName": "OPA Charging"}])


def pull_evse_status() -> Body:
    return {
        "ProviderID": PROVIDER,
        "EVSEStatus": "Available",
        "SearchCenter": {
            "GeoCoordinates": {"Google": {"Coordinates": "51.340000 12.370000"}},
            "Radius": 10,
        },
    }


def evse_statuses() -> Body:
    return {
        "EvseStatuses": {
            "OperatorEvseStatus": [
                {
                    "OperatorID": OPERATOR,
                    "OperatorName": "OPA Charging",
                    "EvseStatusRecord": [{"EvseID": EVSE, "EvseStatus": "Available"}],
                }
            ]
        },
        "StatusCode": status_code(),
    }


def pull_evse_status_by_id() -> Body:
    return {"ProviderID": PROVIDER, "EvseID": [EVSE, "DE*OPA*E0002*1"]}


def evse_statuses_by_id() -> Body:
    return {
        "EVSEStatusRecords": {
            "EvseStatusRecord": [
                {"EvseID": EVSE, "EvseStatus": "Occupied"},
                {"EvseID": "DE*OPA*E0002*1", "EvseStatus": "EvseNotFound"},
            ]
        },
        "StatusCode": status_code(),
    }


def pull_evse_status_by_operator_id() -> Body:
    return {"ProviderID": PROVIDER, "OperatorID": [OPERATOR]}


def authorize_start() -> Body:
    return {
        "SessionID": SESSION,
        "CPOPartnerSessionID": "cpo-session-17",
        "EMPPartnerSessionID": "emp-session-42",
        "OperatorID": OPERATOR,
        "EvseID": EVSE,
        "Identification": rfid(),
        "PartnerProductID": "AC3",
    }


def authorization_start() -> Body:
    return {
        "SessionID": SESSION,
        "CPOPartnerSessionID": "cpo-session-17",
        "EMPPartnerSessionID": "emp-session-42",
        "ProviderID": PROVIDER,
        "AuthorizationStatus": "Authorized",
        "StatusCode": status_code(),
        "AuthorizationStopIdentifications": [rfid(), rfid("0A1B2C3D")],
    }


def authorize_stop() -> Body:
    body = authorize_start()
    del body["PartnerProductID"]
    return body


def authorization_stop() -> Body:
    body = authorization_start()
    del body["AuthorizationStopIdentifications"]
    return body


def authorize_remote_start() -> Body:
    """As the EMP sends it: no SessionID yet (Hubject adds one before forwarding)."""
    return {
        "CPOPartnerSessionID": "cpo-session-17",
        "EMPPartnerSessionID": "emp-session-42",
        "ProviderID": PROVIDER,
        "EvseID": EVSE,
        "Identification": remote(),
        "PartnerProductID": "AC3",
    }


def authorize_remote_stop() -> Body:
    return {
        "SessionID": SESSION,
        "CPOPartnerSessionID": "cpo-session-17",
        "EMPPartnerSessionID": "emp-session-42",
        "ProviderID": PROVIDER,
        "EvseID": EVSE,
    }


def charge_detail_record(session_id: str = SESSION, **changes: Any) -> Body:
    """Every field of the CDR, as the CDR snippet fills them."""
    cdr: Body = {
        "SessionID": session_id,
        "CPOPartnerSessionID": "cpo-session-17",
        "EMPPartnerSessionID": "emp-session-42",
        "PartnerProductID": "AC3",
        "EvseID": EVSE,
        "Identification": rfid(),
        "ChargingStart": "2025-03-04T09:16:00+01:00",
        "ChargingEnd": "2025-03-04T10:01:00+01:00",
        "SessionStart": START,
        "SessionEnd": END,
        "MeterValueStart": 1200.5,
        "MeterValueEnd": 1215.25,
        "MeterValueInBetween": {"meterValues": [1205.0, 1210.125]},
        "ConsumedEnergy": 14.75,
        "SignedMeteringValues": [
            {"SignedMeteringValue": "OCMF|{start}|{signature-1}", "MeteringStatus": "Start"},
            {"SignedMeteringValue": "OCMF|{end}|{signature-2}", "MeteringStatus": "End"},
        ],
        "CalibrationLawVerificationInfo": {
            "CalibrationLawCertificateID": "PTB-1-2-3 : V1 : 01Jan2024",
            "PublicKey": "3059301306072a8648ce3d020106082a8648ce3d03010703420004",
            "MeteringSignatureUrl": "https://meter.example.com/sessions/17.xml",
            "MeteringSignatureEncodingFormat": "OCMF: V1",
            "SignedMeteringValuesVerificationInstruction": "Open the file in the transparency"
            " software",
        },
        "HubOperatorID": OPERATOR,
        "HubProviderID": PROVIDER,
    }
    cdr.update(changes)
    return cdr


def get_charge_detail_records() -> Body:
    return {
        "ProviderID": PROVIDER,
        "From": "2025-03-01T00:00:00+01:00",
        "To": "2025-03-31T23:59:59+02:00",
        "SessionID": [SESSION],
        "OperatorID": OPERATOR,
        "CDRForwarded": False,
    }


def charge_detail_records() -> Body:
    body = page([charge_detail_record()])
    return body


def push_authentication_data(action: str = "fullLoad") -> Body:
    return {
        "ActionType": action,
        "ProviderAuthenticationData": {
            "ProviderID": PROVIDER,
            "AuthenticationDataRecord": [
                {"Identification": rfid()},
                {
                    "Identification": {
                        "QRCodeIdentification": {
                            "EvcoID": EVCO,
                            "HashedPIN": {
                                "Value": "$2b$10$abcdefghijklmnopqrstuv",
                                "Function": "Bcrypt",
                                "LegacyHashData": {
                                    "Function": "SHA-1",
                                    "Salt": "s4lt",
                                    "Value": "9f86d081",
                                },
                            },
                        }
                    }
                },
            ],
        },
    }


def push_pricing_product_data(action: str = "fullLoad") -> Body:
    return {
        "ActionType": action,
        "PricingProductData": {
            "OperatorID": OPERATOR,
            "OperatorName": "OPA Charging",
            "ProviderID": "*",
            "PricingDefaultPrice": 0.49,
            "PricingDefaultPriceCurrency": "EUR",
            "PricingDefaultReferenceUnit": "KILOWATT_HOUR",
            "PricingProductDataRecords": [
                {
                    "ProductID": "AC3",
                    "ReferenceUnit": "KILOWATT_HOUR",
                    "ProductPriceCurrency": "EUR",
                    "PricePerReferenceUnit": 0.45,
                    "MaximumProductChargingPower": 22,
                    "IsValid24hours": False,
                    "ProductAvailabilityTimes": [
                        {"Periods": [{"begin": "06:00", "end": "22:00"}], "on": "Workdays"}
                    ],
                    "AdditionalReferences": [
                        {
                            "AdditionalReference": "PARKING FEE",
                            "AdditionalReferenceUnit": "HOUR",
                            "PricePerAdditionalReferenceUnit": 1.5,
                        }
                    ],
                }
            ],
        },
    }


def push_evse_pricing(action: str = "fullLoad") -> Body:
    return {
        "ActionType": action,
        "EVSEPricing": [{"EvseID": EVSE, "ProviderID": "*", "EvseIDProductList": ["AC3"]}],
    }


def charging_notification(kind: str) -> Body:
    common: Body = {
        "Type": kind,
        "SessionID": SESSION,
        "CPOPartnerSessionID": "cpo-session-17",
        "EMPPartnerSessionID": "emp-session-42",
        "Identification": rfid(),
        "EvseID": EVSE,
        "OperatorID": OPERATOR,
    }
    start = {"ChargingStart": "2025-03-04T09:16:00+01:00", "SessionStart": START}
    if kind == "Start":
        return {**common, **start, "MeterValueStart": 1200.5, "PartnerProductID": "AC3"}
    if kind == "Progress":
        return {
            **common,
            **start,
            "EventOccurred": "2025-03-04T09:31:00+01:00",
            "ChargingDuration": 900000,
            "ConsumedEnergyProgress": 4.5,
            "MeterValueStart": 1200.5,
            "MeterValueInBetween": {"meterValues": [1205.0]},
            "PartnerProductID": "AC3",
        }
    if kind == "End":
        return {
            **common,
            **start,
            "ChargingEnd": "2025-03-04T10:01:00+01:00",
            "SessionEnd": END,
            "ConsumedEnergy": 14.75,
            "MeterValueStart": 1200.5,
            "MeterValueEnd": 1215.25,
            "MeterValueInBetween": {"meterValues": [1205.0, 1210.125]},
            "PartnerProductID": "AC3",
            "PenaltyTimeStart": "2025-03-04T10:31:00+01:00",
        }
    return {
        **common,
        "ErrorType": "ConnectorError",
        "ErrorAdditionalInfo": "The plug was not inserted before the start timed out",
    }


# (schema file, example) for every message of the code snippets.
SNIPPETS: list[tuple[str, Body]] = [
    ("eRoamingPushEvseData.request.json", push_evse_data()),
    ("eRoamingPushEvseData.response.json", acknowledgement(session_id=None)),
    ("eRoamingPushEvseStatus.request.json", push_evse_status("fullLoad")),
    ("eRoamingPushEvseStatus.response.json", acknowledgement(session_id=None)),
    ("eRoamingPullEvseData.request.json", pull_evse_data()),
    ("eRoamingPullEvseData.request.json", pull_evse_data_delta()),
    ("eRoamingPullEvseData.response.json", evse_data_page()),
    ("eRoamingPullEvseStatus.request.json", pull_evse_status()),
    ("eRoamingPullEvseStatus.response.json", evse_statuses()),
    ("eRoamingPullEvseStatusById.request.json", pull_evse_status_by_id()),
    ("eRoamingPullEvseStatusById.response.json", evse_statuses_by_id()),
    ("eRoamingPullEvseStatusByOperatorId.request.json", pull_evse_status_by_operator_id()),
    ("eRoamingPullEvseStatusByOperatorId.response.json", evse_statuses()),
    ("eRoamingAuthorizeStart.request.json", authorize_start()),
    ("eRoamingAuthorizeStart.response.json", authorization_start()),
    ("eRoamingAuthorizeStop.request.json", authorize_stop()),
    ("eRoamingAuthorizeStop.response.json", authorization_stop()),
    ("eRoamingAuthorizeRemoteStart.request.json", authorize_remote_start()),
    ("eRoamingAuthorizeRemoteStart.response.json", acknowledgement()),
    ("eRoamingAuthorizeRemoteStop.request.json", authorize_remote_stop()),
    ("eRoamingAuthorizeRemoteStop.response.json", acknowledgement()),
    ("eRoamingChargeDetailRecord.request.json", charge_detail_record()),
    ("eRoamingChargeDetailRecord.response.json", acknowledgement()),
    ("eRoamingGetChargeDetailRecords.request.json", get_charge_detail_records()),
    ("eRoamingGetChargeDetailRecords.response.json", charge_detail_records()),
    ("eRoamingPushAuthenticationData.request.json", push_authentication_data()),
    ("eRoamingPushAuthenticationData.response.json", acknowledgement(session_id=None)),
    ("eRoamingPushPricingProductData.request.json", push_pricing_product_data()),
    ("eRoamingPushPricingProductData.response.json", acknowledgement(session_id=None)),
    ("eRoamingPushEVSEPricing.request.json", push_evse_pricing()),
    ("eRoamingPushEVSEPricing.response.json", acknowledgement(session_id=None)),
    *[
        ("eRoamingChargingNotifications.request.json", charging_notification(kind))
        for kind in ("Start", "Progress", "End", "Error")
    ],
    ("eRoamingChargingNotifications.response.json", acknowledgement()),
]
