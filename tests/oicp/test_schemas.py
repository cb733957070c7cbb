"""schemas/oicp/: valid JSON Schemas (draft 2020-12) that accept the spec's examples and refuse
what OICP 2.3 forbids."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing.exceptions import Unresolvable

from tests.oicp import examples
from tests.oicp.schemas import DIRECTORY, OPERATIONS, files, problems, validator


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _refs(value)]
    return []


def test_every_operation_has_a_request_and_a_response_schema() -> None:
    """One request and one response file per operation of hub-dialects.md §5.2, and no stray
    file besides definitions.json."""
    expected = {f"{op}.{kind}.json" for op in OPERATIONS for kind in ("request", "response")}
    assert set(files()) == expected | {"definitions.json"}
    assert (DIRECTORY / "README.md").is_file()


@pytest.mark.parametrize("name", sorted(files()))
def test_each_schema_is_valid_draft_2020_12(name: str) -> None:
    """The file is a valid draft 2020-12 schema and every `$ref` in it resolves."""
    schema = files()[name]
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)
    resolver = validator(name)._resolver
    for ref in _refs(schema):
        try:
            resolver.lookup(ref)
        except Unresolvable as error:  # pragma: no cover - the failure message
            pytest.fail(f"{name}: {ref} does not resolve: {error}")


@pytest.mark.parametrize(
    ("name", "body"),
    examples.SNIPPETS,
    ids=[f"{name}-{i}" for i, (name, _) in enumerate(examples.SNIPPETS)],
)
def test_the_code_snippet_examples_validate(name: str, body: Any) -> None:
    """Every request and response of the spec's code snippets (re-authored) is valid."""
    assert problems(name, body) == []


def test_every_schema_has_an_example() -> None:
    assert {name for name, _ in examples.SNIPPETS} == set(files()) - {"definitions.json"}


def _with(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """`body` with the field at `path` ("A/B/0/C") set, or removed when `value` is ...."""
    changed = copy.deepcopy(body)
    *parents, last = path.split("/")
    node: Any = changed
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if value is ...:
        del node[last]
    else:
        node[int(last) if isinstance(node, list) else last] = value
    return changed


RECORD = "OperatorEvseData/EvseDataRecord/0"
REFUSED = [
    # (what the spec forbids, schema, body, field, value or ... to remove it)
    (
        "unknown ActionType",
        "eRoamingPushEvseData",
        examples.push_evse_data(),
        "ActionType",
        "upsert",
    ),
    (
        "EvseID without its E",
        "eRoamingPushEvseData",
        examples.push_evse_data(),
        f"{RECORD}/EvseID",
        "DE*OPA*0001",
    ),
    (
        "missing mandatory field",
        "eRoamingPushEvseData",
        examples.push_evse_data(),
        f"{RECORD}/HotlinePhoneNumber",
        ...,
    ),
    (
        "unknown field (a misspelling)",
        "eRoamingPushEvseData",
        examples.push_evse_data(),
        f"{RECORD}/EvseId",
        "x",
    ),
    (
        "both spellings at once",
        "eRoamingPushEvseData",
        examples.push_evse_data(),
        f"{RECORD}/ChargingStationId",
        "s",
    ),
    (
        "plug not in the list",
        "eRoamingPushEvseData",
        examples.push_evse_data(),
        f"{RECORD}/Plugs/0",
        "GB/T",
    ),
    (
        "country not alpha-3",
        "eRoamingPushEvseData",
        examples.push_evse_data(),
        f"{RECORD}/Address/Country",
        "DE",
    ),
    (
        "amperage over 2 digits",
        "eRoamingPushEvseData",
        examples.push_evse_data(),
        f"{RECORD}/ChargingFacilities/0/Amperage",
        125,
    ),
    (
        "two geo formats",
        "eRoamingPushEvseData",
        examples.push_evse_data(),
        f"{RECORD}/GeoCoordinates/Google",
        {"Coordinates": "51.3 12.3"},
    ),
    (
        "no opening times when not 24h",
        "eRoamingPushEvseData",
        examples.push_evse_data(),
        f"{RECORD}/OpeningTimes",
        ...,
    ),
    (
        "No Payment with another option",
        "eRoamingPushEvseData",
        examples.push_evse_data(),
        f"{RECORD}/PaymentOptions",
        ["No Payment", "Direct"],
    ),
    (
        "DynamicInfoAvailable as a boolean",
        "eRoamingPushEvseData",
        examples.push_evse_data(),
        f"{RECORD}/DynamicInfoAvailable",
        True,
    ),
    (
        "unknown EVSE status",
        "eRoamingPushEvseStatus",
        examples.push_evse_status(),
        "OperatorEvseStatus/EvseStatusRecord/0/EvseStatus",
        "CHARGING",
    ),
    (
        "two identification variants",
        "eRoamingAuthorizeStart",
        examples.authorize_start(),
        "Identification/RemoteIdentification",
        {"EvcoID": examples.EVCO},
    ),
    (
        "UID of 9 digits",
        "eRoamingAuthorizeStart",
        examples.authorize_start(),
        "Identification/RFIDMifareFamilyIdentification/UID",
        "12345ABCD",
    ),
    (
        "SessionID not a GUID",
        "eRoamingAuthorizeStart",
        examples.authorize_start(),
        "SessionID",
        "string",
    ),
    ("OperatorID missing", "eRoamingAuthorizeStart", examples.authorize_start(), "OperatorID", ...),
    (
        "stop without SessionID",
        "eRoamingAuthorizeStop",
        examples.authorize_stop(),
        "SessionID",
        ...,
    ),
    (
        "time without offset",
        "eRoamingChargeDetailRecord",
        examples.charge_detail_record(),
        "SessionStart",
        "2025-03-04T09:15:00",
    ),
    (
        "both HubProviderID spellings",
        "eRoamingChargeDetailRecord",
        examples.charge_detail_record(),
        "HubProviderId",
        examples.PROVIDER,
    ),
    (
        "energy as a string",
        "eRoamingChargeDetailRecord",
        examples.charge_detail_record(),
        "ConsumedEnergy",
        "14.75",
    ),
    (
        "delta pull with a filter",
        "eRoamingPullEvseData",
        examples.pull_evse_data_delta(),
        "CountryCodes",
        ["DEU"],
    ),
    (
        "pull without a coordinates format",
        "eRoamingPullEvseData",
        examples.pull_evse_data_delta(),
        "GeoCoordinatesResponseFormat",
        ...,
    ),
    (
        "over 100 EvseIDs by id",
        "eRoamingPullEvseStatusById",
        examples.pull_evse_status_by_id(),
        "EvseID",
        [examples.EVSE] * 101,
    ),
    (
        "ProviderID with two separators",
        "eRoamingAuthorizeRemoteStart",
        examples.authorize_remote_start(),
        "ProviderID",
        "DE--EMA",
    ),
    (
        "progress without duration or energy",
        "eRoamingChargingNotifications",
        _with(examples.charging_notification("Progress"), "ConsumedEnergyProgress", ...),
        "ChargingDuration",
        ...,
    ),
    (
        "unknown notification type",
        "eRoamingChargingNotifications",
        examples.charging_notification("Start"),
        "Type",
        "Pause",
    ),
    (
        "error field on a start",
        "eRoamingChargingNotifications",
        examples.charging_notification("Start"),
        "ErrorType",
        "CriticalError",
    ),
    (
        "PIN and HashedPIN",
        "eRoamingPushAuthenticationData",
        examples.push_authentication_data(),
        "ProviderAuthenticationData/AuthenticationDataRecord/1/Identification/QRCodeIdentification/PIN",
        "1234",
    ),
    (
        "empty EVSE pricing product list",
        "eRoamingPushEVSEPricing",
        examples.push_evse_pricing(),
        "EVSEPricing/0/EvseIDProductList",
        [],
    ),
    (
        "unknown reference unit",
        "eRoamingPushPricingProductData",
        examples.push_pricing_product_data(),
        "PricingProductData/PricingDefaultReferenceUnit",
        "DAY",
    ),
]


@pytest.mark.parametrize(
    ("rule", "operation", "body", "path", "value"), REFUSED, ids=[r[0] for r in REFUSED]
)
def test_schemas_refuse_what_oicp_forbids(
    rule: str, operation: str, body: dict[str, Any], path: str, value: Any
) -> None:
    """A body that breaks one rule of the spec is refused (and is valid without the break)."""
    assert problems(f"{operation}.request.json", body) == []
    found = problems(f"{operation}.request.json", _with(body, path, value))
    assert found, rule


ACCEPTED = [
    # (where Hubject's documents disagree, schema, body, field, value or ... to remove it)
    (
        "ChargingStationId (CPO AsciiDoc, OpenAPI)",
        "eRoamingPushEvseData.request.json",
        _with(examples.push_evse_data(), f"{RECORD}/ChargingStationID", ...),
        f"{RECORD}/ChargingStationId",
        "s-1",
    ),
    (
        "HubProviderId (EMP OpenAPI)",
        "eRoamingChargeDetailRecord.request.json",
        _with(examples.charge_detail_record(), "HubProviderID", ...),
        "HubProviderId",
        examples.PROVIDER,
    ),
    (
        "MeterValueInBetween as a list (AsciiDoc)",
        "eRoamingChargeDetailRecord.request.json",
        examples.charge_detail_record(),
        "MeterValueInBetween",
        [1205.0],
    ),
    (
        "Power as a decimal (EMP OpenAPI)",
        "eRoamingPushEvseData.request.json",
        examples.push_evse_data(),
        f"{RECORD}/ChargingFacilities/0/Power",
        3.7,
    ),
    (
        "ErrorType with a space (CPO AsciiDoc)",
        "eRoamingChargingNotifications.request.json",
        examples.charging_notification("Error"),
        "ErrorType",
        "Connector Error",
    ),
    (
        "Period as one object (AsciiDoc)",
        "eRoamingPushEvseData.request.json",
        examples.push_evse_data(),
        f"{RECORD}/OpeningTimes/0/Period",
        {"begin": "06:00", "end": "22:00"},
    ),
    (
        "On (EMP AsciiDoc)",
        "eRoamingPushEvseData.request.json",
        _with(examples.push_evse_data(), f"{RECORD}/OpeningTimes/0/on", ...),
        f"{RECORD}/OpeningTimes/0/On",
        "Everyday",
    ),
    (
        "Period, not Periods (AsciiDoc)",
        "eRoamingPushPricingProductData.request.json",
        _with(
            examples.push_pricing_product_data(),
            "PricingProductData/PricingProductDataRecords/0/ProductAvailabilityTimes/0/Periods",
            ...,
        ),
        "PricingProductData/PricingProductDataRecords/0/ProductAvailabilityTimes/0/Period",
        [{"begin": "00:00", "end": "06:00"}],
    ),
    (
        "EvseIDProductList of objects (AsciiDoc)",
        "eRoamingPushEVSEPricing.request.json",
        examples.push_evse_pricing(),
        "EVSEPricing/0/EvseIDProductList/0",
        {"ProductID": "AC3"},
    ),
    (
        "EvseStatus filter (code snippet)",
        "eRoamingPullEvseStatus.request.json",
        _with(examples.pull_evse_status(), "EVSEStatus", ...),
        "EvseStatus",
        "Occupied",
    ),
    (
        "OperatorID list and CDRForwarder (snippet, EMP OpenAPI)",
        "eRoamingGetChargeDetailRecords.request.json",
        _with(examples.get_charge_detail_records(), "CDRForwarded", ...),
        "CDRForwarder",
        True,
    ),
    (
        "OperatorId in a pulled record (EMP snippet)",
        "eRoamingPullEvseData.response.json",
        _with(examples.evse_data_page(), "content/0/OperatorID", ...),
        "content/0/OperatorId",
        examples.OPERATOR,
    ),
    (
        "a lower-case UID (Hubject upper-cases it)",
        "eRoamingAuthorizeStart.request.json",
        examples.authorize_start(),
        "Identification/RFIDMifareFamilyIdentification/UID",
        "04a1b2c3d4e5f6",
    ),
    (
        "a DIN EvseID and OperatorID",
        "eRoamingPushEvseStatus.request.json",
        _with(
            examples.push_evse_status(evse_id="+49*810*000*438"),
            "OperatorEvseStatus/OperatorID",
            "+49*810",
        ),
        "ActionType",
        "insert",
    ),
    (
        "GetCDRs page with a null StatusCode (EMP snippet)",
        "eRoamingGetChargeDetailRecords.response.json",
        examples.charge_detail_records(),
        "StatusCode",
        None,
    ),
]


@pytest.mark.parametrize(
    ("disagreement", "name", "body", "path", "value"), ACCEPTED, ids=[a[0] for a in ACCEPTED]
)
def test_schemas_read_both_spellings_where_hubjects_documents_disagree(
    disagreement: str, name: str, body: dict[str, Any], path: str, value: Any
) -> None:
    """hub-dialects.md §5.6: read both spellings (the writers use the AsciiDoc's)."""
    assert problems(name, _with(body, path, value)) == [], disagreement


def test_a_problem_names_the_field() -> None:
    body = _with(examples.push_evse_data(), f"{RECORD}/EvseID", "nonsense")
    (line,) = problems("eRoamingPushEvseData.request.json", body)
    assert line.startswith(f"{RECORD}/EvseID: 'nonsense' does not match")
