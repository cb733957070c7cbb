"""A CDR's signed meter values: OCPI `signed_data` ⇄ OICP SignedMeteringValues and
CalibrationLawVerificationInfo (OICP 2.3 CPO/EMP "SignedMeteringValuesType",
"CalibrationLawVerificationType"; hub-dialects.md §5.4 "CDR"). What German calibration law
(Eichrecht) asks a CDR to carry so that a driver can check the bill with transparency software.

| OCPI signed_data             | OICP                                  | lost                    |
|------------------------------|---------------------------------------|-------------------------|
| signed_values[].signed_data  | SignedMeteringValues[]                | out: past 10 values, or |
|                              |   .SignedMeteringValue                | over 3000 characters    |
| signed_values[].nature       | MeteringStatus                        | out: other natures; in: |
|   Start / Intermediate / End |   Start / Progress / End              | none, by its place      |
| signed_values[].plain_data   | -                                     | out: dropped; in: empty |
| encoding_method (+ _version) | MeteringSignatureEncodingFormat       | out: over 50 chars; in: |
|                              |   ("EDL40 Mennekes: V1")              | over 36, none: unknown  |
| public_key                   | PublicKey                             | 512 / 1000 characters   |
| url                          | MeteringSignatureUrl                  | 512 / 200 characters    |
| -                            | CalibrationLawCertificateID,          | in: dropped             |
|                              | SignedMeteringValuesVerification-     |                         |
|                              |   Instruction                         |                         |

Both return what they made (None: nothing to carry) and the `Loss`es, of the OCPI CDR's fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ocpi_hub.dialects.losses import Direction, Loss, Lost

__all__ = ["MAX_SIGNED_VALUES", "signed_data", "signed_metering"]

MAX_SIGNED_VALUES = 10  # SignedMeteringValues: "maximum 10"
_VALUE_MAX, _FORMAT_MAX, _METHOD_MAX = 3000, 50, 36
# OCPI field, OICP field, most characters OCPI takes, most OICP takes.
_LINKS = (("public_key", "PublicKey", 512, 1000), ("url", "MeteringSignatureUrl", 512, 200))
_STATUS = {"Start": "Start", "End": "End", "Intermediate": "Progress"}
_NATURE = {oicp: ocpi for ocpi, oicp in _STATUS.items()}
_VALUES, _NATURES, _PLAIN = (
    "signed_data.signed_values",
    "signed_data.signed_values[].nature",
    "signed_data.signed_values[].plain_data",
)


def _loss(field: str, direction: Direction, lost: Lost, example: object, why: str) -> Loss:
    return Loss("cdrs", field, direction, lost, str(example), why)


def signed_metering(signed: object) -> tuple[dict[str, Any], list[Loss]]:
    """OICP's SignedMeteringValues and CalibrationLawVerificationInfo of an OCPI `signed_data`
    (nothing for none)."""
    if not isinstance(signed, Mapping):
        return {}, []
    values: list[dict[str, Any]] = []
    losses: list[Loss] = []
    for value in signed.get("signed_values", []):
        if len(values) == MAX_SIGNED_VALUES or len(value["signed_data"]) > _VALUE_MAX:
            why = "OICP takes at most 10 signed values of at most 3000 characters"
            losses.append(_loss(_VALUES, Direction.OUT, Lost.DROPPED, value["signed_data"], why))
            continue
        nature = str(value["nature"])
        if nature not in _STATUS:
            why = "OICP's metering statuses are Start, Progress and End"
            losses.append(_loss(_NATURES, Direction.OUT, Lost.APPROXIMATED, nature, why))
        status = _STATUS.get(nature, "Progress")
        values.append({"SignedMeteringValue": value["signed_data"], "MeteringStatus": status})
    if any(v.get("plain_data") for v in signed.get("signed_values", [])):
        why = "OICP carries the signed values only"
        losses.append(_loss(_PLAIN, Direction.OUT, Lost.DROPPED, "", why))
    method = str(signed["encoding_method"])
    if signed.get("encoding_method_version") is not None:
        method = f"{method}: V{signed['encoding_method_version']}"
    if len(method) > _FORMAT_MAX:
        why = "OICP's MeteringSignatureEncodingFormat has 50 characters"
        field = "signed_data.encoding_method"
        losses.append(_loss(field, Direction.OUT, Lost.APPROXIMATED, method, why))
    info: dict[str, Any] = {"MeteringSignatureEncodingFormat": method[:_FORMAT_MAX]}
    for name, oicp_name, _, limit in _LINKS:
        if value := signed.get(name):
            if len(value) <= limit:
                info[oicp_name] = value
            else:
                why = f"OICP's {oicp_name} has {limit} characters"
                losses.append(_loss(f"signed_data.{name}", Direction.OUT, Lost.DROPPED, value, why))
    out: dict[str, Any] = {"CalibrationLawVerificationInfo": info}
    if values:
        out["SignedMeteringValues"] = values
    return out, losses


def signed_data(record: Mapping[str, Any]) -> tuple[dict[str, Any] | None, list[Loss]]:
    """The OCPI `signed_data` of an OICP ChargeDetailRecord; None when it has no signed value
    (OCPI's signed_data needs at least one)."""
    raw = record.get("SignedMeteringValues")
    entries = [
        v
        for v in (raw if isinstance(raw, list) else [])
        if isinstance(v, Mapping) and isinstance(v.get("SignedMeteringValue"), str)
    ]
    info = record.get("CalibrationLawVerificationInfo")
    info = info if isinstance(info, Mapping) else {}
    losses: list[Loss] = []
    for name in ("CalibrationLawCertificateID", "SignedMeteringValuesVerificationInstruction"):
        if info.get(name):
            why = "OCPI's signed_data has no place for it"
            losses.append(_loss(name, Direction.IN, Lost.DROPPED, info[name], why))
    if not entries:
        return None, losses
    values = []
    for i, entry in enumerate(entries):
        nature = _NATURE.get(str(entry.get("MeteringStatus")))
        if nature is None:
            nature = "Start" if i == 0 else "End" if i == len(entries) - 1 else "Intermediate"
            why = "no MeteringStatus: read from the value's place"
            losses.append(_loss(_NATURES, Direction.IN, Lost.GUESSED, nature, why))
        values.append(
            {"nature": nature, "plain_data": "", "signed_data": entry["SignedMeteringValue"]}
        )
    why = "OICP carries the signed values only: plain_data is empty"
    losses.append(_loss(_PLAIN, Direction.IN, Lost.GUESSED, "", why))
    signed: dict[str, Any] = {"encoding_method": _method(info, losses), "signed_values": values}
    for name, oicp_name, limit, _ in _LINKS:
        value = info.get(oicp_name)
        if isinstance(value, str) and 0 < len(value) <= limit:
            signed[name] = value
        elif value:
            why = f"OCPI's {name} has {limit} characters"
            losses.append(_loss(f"signed_data.{name}", Direction.IN, Lost.DROPPED, value, why))
    return signed, losses


def _method(info: Mapping[str, Any], losses: list[Loss]) -> str:
    method = info.get("MeteringSignatureEncodingFormat")
    field = "signed_data.encoding_method"
    if not isinstance(method, str) or not method:
        why = "OICP's MeteringSignatureEncodingFormat is optional, OCPI's encoding_method is not"
        losses.append(_loss(field, Direction.IN, Lost.GUESSED, "unknown", why))
        return "unknown"
    if len(method) > _METHOD_MAX or not method.isascii():
        why = "OCPI's encoding_method is 36 ASCII characters"
        losses.append(_loss(field, Direction.IN, Lost.APPROXIMATED, method, why))
        return method.encode("ascii", "replace").decode()[:_METHOD_MAX]
    return method
