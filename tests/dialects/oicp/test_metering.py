"""A CDR's signed meter values, OCPI signed_data ⇄ OICP SignedMeteringValues and
CalibrationLawVerificationInfo (dialects.oicp.metering): each row of the table, its Losses, the
round trip of the subset both carry, and the CDR translations using it."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from ocpi_hub.core.modules.cdrs import SignedData
from ocpi_hub.dialects.losses import Direction, Lost
from ocpi_hub.dialects.oicp.metering import MAX_SIGNED_VALUES, signed_data, signed_metering


def ocpi_signed(*natures: str, **fields: Any) -> dict[str, Any]:
    values = [
        {"nature": nature, "plain_data": "", "signed_data": f"sig-{i}"}
        for i, nature in enumerate(natures)
    ]
    return {"encoding_method": "OCMF", "signed_values": values} | fields


def test_signed_values_and_their_verification_info_out() -> None:
    """Values in order with their status, Intermediate as Progress; method with its version,
    public key and url in CalibrationLawVerificationInfo; nothing lost."""
    signed = ocpi_signed(
        "Start",
        "Intermediate",
        "End",
        encoding_method_version=1,
        public_key="KEY",
        url="https://meter.example/1",
    )
    out, losses = signed_metering(signed)
    assert out == {
        "SignedMeteringValues": [
            {"SignedMeteringValue": "sig-0", "MeteringStatus": "Start"},
            {"SignedMeteringValue": "sig-1", "MeteringStatus": "Progress"},
            {"SignedMeteringValue": "sig-2", "MeteringStatus": "End"},
        ],
        "CalibrationLawVerificationInfo": {
            "MeteringSignatureEncodingFormat": "OCMF: V1",
            "PublicKey": "KEY",
            "MeteringSignatureUrl": "https://meter.example/1",
        },
    }
    assert losses == []


def test_no_signed_data_gives_nothing() -> None:
    """A CDR without signed_data: no OICP fields, no Loss."""
    assert signed_metering(None) == ({}, [])


def test_what_oicp_cannot_hold_out() -> None:
    """Past 10 values or over 3000 characters: DROPPED; another nature: Progress, APPROXIMATED;
    plain data DROPPED; a method over 50 characters cut; a url over 200 DROPPED."""
    signed = ocpi_signed(*(["Start"] + ["Intermediate"] * 10), "Stop", url="u" * 201)
    signed["signed_values"][0] |= {"plain_data": "meter 1", "signed_data": "s" * 3001}
    signed["encoding_method"] = "m" * 36
    signed["encoding_method_version"] = 123456789012345
    out, losses = signed_metering(signed)
    assert len(out["SignedMeteringValues"]) == MAX_SIGNED_VALUES
    assert len(out["CalibrationLawVerificationInfo"]["MeteringSignatureEncodingFormat"]) == 50
    assert "MeteringSignatureUrl" not in out["CalibrationLawVerificationInfo"]
    found = [(x.field, x.direction, x.lost) for x in losses]
    out_ = Direction.OUT
    assert found.count(("signed_data.signed_values", out_, Lost.DROPPED)) == 2
    assert ("signed_data.signed_values[].nature", out_, Lost.APPROXIMATED) not in found
    assert ("signed_data.signed_values[].plain_data", out_, Lost.DROPPED) in found
    assert ("signed_data.encoding_method", out_, Lost.APPROXIMATED) in found
    assert ("signed_data.url", out_, Lost.DROPPED) in found


def test_an_unknown_nature_is_progress() -> None:
    """A nature other than Start, Intermediate, End: Progress, APPROXIMATED."""
    out, losses = signed_metering(ocpi_signed("Start", "Pause"))
    assert out["SignedMeteringValues"][1]["MeteringStatus"] == "Progress"
    assert [(x.field, x.lost, x.example) for x in losses] == [
        ("signed_data.signed_values[].nature", Lost.APPROXIMATED, "Pause")
    ]


def test_signed_data_in() -> None:
    """Hubject's values become signed_values (plain_data empty, GUESSED), the format the
    encoding_method, key and url as they are; the certificate id and instruction DROPPED."""
    record = {
        "SignedMeteringValues": [
            {"SignedMeteringValue": "a", "MeteringStatus": "Start"},
            {"SignedMeteringValue": "b", "MeteringStatus": "Progress"},
            {"SignedMeteringValue": "c", "MeteringStatus": "End"},
        ],
        "CalibrationLawVerificationInfo": {
            "CalibrationLawCertificateID": "PTB-X : V1 : 01Jan2020",
            "PublicKey": "KEY",
            "MeteringSignatureUrl": "https://meter.example/1",
            "MeteringSignatureEncodingFormat": "EDL40 Mennekes: V1",
            "SignedMeteringValuesVerificationInstruction": "use the transparency software",
        },
    }
    signed, losses = signed_data(record)
    assert signed == {
        "encoding_method": "EDL40 Mennekes: V1",
        "signed_values": [
            {"nature": "Start", "plain_data": "", "signed_data": "a"},
            {"nature": "Intermediate", "plain_data": "", "signed_data": "b"},
            {"nature": "End", "plain_data": "", "signed_data": "c"},
        ],
        "public_key": "KEY",
        "url": "https://meter.example/1",
    }
    SignedData.model_validate(signed)
    assert {(x.field, x.lost) for x in losses} == {
        ("CalibrationLawCertificateID", Lost.DROPPED),
        ("SignedMeteringValuesVerificationInstruction", Lost.DROPPED),
        ("signed_data.signed_values[].plain_data", Lost.GUESSED),
    }


def test_signed_data_in_guesses_what_oicp_leaves_out() -> None:
    """No MeteringStatus: Start, Intermediate, End by place; no format: `unknown`; a format
    longer than OCPI's 36 characters cut; a key over 512 DROPPED; all said."""
    values = [{"SignedMeteringValue": v} for v in "abc"]
    signed, losses = signed_data({"SignedMeteringValues": values})
    assert signed is not None
    assert [v["nature"] for v in signed["signed_values"]] == ["Start", "Intermediate", "End"]
    assert signed["encoding_method"] == "unknown"
    SignedData.model_validate(signed)
    guessed = [x.field for x in losses if x.lost is Lost.GUESSED]
    assert guessed.count("signed_data.signed_values[].nature") == 3
    assert "signed_data.encoding_method" in guessed
    info = {"MeteringSignatureEncodingFormat": "F" * 40, "PublicKey": "k" * 513}
    long, losses = signed_data(
        {"SignedMeteringValues": values, "CalibrationLawVerificationInfo": info}
    )
    assert long is not None
    assert (long["encoding_method"], "public_key" in long) == ("F" * 36, False)
    assert {
        ("signed_data.encoding_method", Lost.APPROXIMATED),
        ("signed_data.public_key", Lost.DROPPED),
    } <= {(x.field, x.lost) for x in losses}


def test_no_signed_value_no_signed_data() -> None:
    """OCPI's signed_data needs a signed value: none (or none usable) gives None."""
    assert signed_data({}) == (None, [])
    assert signed_data({"SignedMeteringValues": [{"MeteringStatus": "Start"}, "x"]}) == (None, [])


signed_values = st.lists(
    st.tuples(
        st.sampled_from(["Start", "Intermediate", "End"]),
        st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=100),
    ),
    min_size=1,
    max_size=MAX_SIGNED_VALUES,
)


@given(
    values=signed_values,
    method=st.from_regex(r"[A-Za-z0-9 ]{1,36}", fullmatch=True).filter(str.strip),
    key=st.none() | st.from_regex(r"[A-Za-z0-9+/=]{1,512}", fullmatch=True),
    url=st.none() | st.from_regex(r"https://[a-z]{1,20}\.example/[a-z0-9]{0,40}", fullmatch=True),
)
def test_signed_data_round_trip(
    values: list[tuple[str, str]], method: str, key: str | None, url: str | None
) -> None:
    """signed_data → OICP → signed_data keeps the values, their natures, the method, key and
    url, for what both carry (≤ 10 values, no plain data, no method version, a url ≤ 200)."""
    signed: dict[str, Any] = {
        "encoding_method": method,
        "signed_values": [{"nature": n, "plain_data": "", "signed_data": s} for n, s in values],
    }
    signed |= {k: v for k, v in (("public_key", key), ("url", url)) if v is not None}
    out, losses = signed_metering(signed)
    assert losses == []
    back, _ = signed_data(out)
    assert back == signed
