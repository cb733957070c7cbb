"""OICP 2.3 identifiers ⇄ OCPI party keys (dialects.oicp.ids; hub-dialects.md §5.3): each form
the spec's patterns allow is read, bad ids are refused naming the id, writers use one form."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocpi_hub.dialects.oicp.ids import (
    CALLING_CODES,
    evco_provider,
    evse_operator,
    normal,
    oicp_evse_id,
    operator_id,
    operator_party,
    provider_id,
    provider_party,
    same_evse,
)


@pytest.mark.parametrize(
    ("value", "party"),
    [
        ("DE*ABC", ("DE", "ABC")),
        ("DEABC", ("DE", "ABC")),
        ("nl*a1b", ("NL", "A1B")),
        ("+49*536", ("DE", "536")),
        ("49*536", ("DE", "536")),
        ("+33*012", ("FR", "012")),
    ],
)
def test_operator_party_reads_iso_and_din_operator_ids(value: str, party: tuple[str, str]) -> None:
    """OperatorIDType: ISO `DE*ABC`/`DEABC` and DIN `+49*536` (calling code → ISO country)."""
    assert operator_party(value) == party


@pytest.mark.parametrize(
    "value", ["", "DE", "DE*AB", "DE-ABC", "DE**ABC", "+49536", "+49*53", "D1*ABC"]
)
def test_operator_party_refuses_what_is_no_operator_id(value: str) -> None:
    """Anything the OperatorID pattern does not match is a ValueError naming the value."""
    with pytest.raises(ValueError, match="OperatorID") as caught:
        operator_party(value)
    assert repr(value) in str(caught.value)


def test_din_operator_of_an_unknown_calling_code_is_refused() -> None:
    """A DIN id whose calling code is no European country cannot name an OCPI party."""
    with pytest.raises(ValueError, match=r"\+1 is not a known country"):
        operator_party("+1*234")


@pytest.mark.parametrize("value", ["DE-8EO", "DE*8EO", "DE8EO", "de-8eo"])
def test_provider_party_reads_every_provider_id_form(value: str) -> None:
    """ProviderIDType: `DE-8EO`, `DE*8EO`, `DE8EO`, any case."""
    assert provider_party(value) == ("DE", "8EO")


@pytest.mark.parametrize("value", ["DE|8EO", "DE-8E", "DE--8EO", "D-8EO", "DE-8EO1"])
def test_provider_party_refuses_what_is_no_provider_id(value: str) -> None:
    """The spec's `[\\*|-]` class is read as `*` or `-`: a `|` separator is refused too."""
    with pytest.raises(ValueError, match="ProviderID"):
        provider_party(value)


@pytest.mark.parametrize(
    ("value", "party"),
    [
        ("DE*AB7*E840*6487", ("DE", "AB7")),
        ("DEAB7E8406487", ("DE", "AB7")),
        ("de*ab7*e840", ("DE", "AB7")),
        ("+49*810*000*438", ("DE", "810")),
    ],
)
def test_evse_operator_reads_iso_and_din_evse_ids(value: str, party: tuple[str, str]) -> None:
    """EvseIDType: ISO with its mandatory `E`, separators optional; DIN with `*` mandatory."""
    assert evse_operator(value) == party


@pytest.mark.parametrize("value", ["DE*AB7*840", "DE*AB7", "DE-AB7-E840", "+49*810", "+49810000"])
def test_evse_operator_refuses_what_is_no_evse_id(value: str) -> None:
    """No `E` after the operator, another separator, or a DIN id without its parts: refused."""
    with pytest.raises(ValueError, match="EvseID"):
        evse_operator(value)


@pytest.mark.parametrize(
    "value",
    ["DE-8EO-CAet5e4XY-3", "DE8EOCAet5e43X1", "DE*8EO*Aet5e4*3", "DE-8EO-Aet5e4-3", "DE8EOAet5e43"],
)
def test_evco_provider_reads_the_spec_examples(value: str) -> None:
    """EvcoIDType: the ISO (`C` + 8) and DIN (6 + check) examples of the spec all name DE*8EO."""
    assert evco_provider(value) == ("DE", "8EO")


@pytest.mark.parametrize(
    "value", ["DE-8EO-Aet5e4XY-3", "DE-8EO", "DE|8EO|Aet5e4|3", "DE*8EO*Aet5e*3"]
)
def test_evco_provider_refuses_what_is_no_evco_id(value: str) -> None:
    """A contract id of the wrong length or separator is refused naming it."""
    with pytest.raises(ValueError, match="EvcoID"):
        evco_provider(value)


def test_writers_use_the_spec_example_forms() -> None:
    """OperatorID written `DE*ABC`, ProviderID `DE-8EO`, both upper case."""
    assert operator_id(("de", "abc")) == "DE*ABC"
    assert provider_id(("DE", "8eo")) == "DE-8EO"


@pytest.mark.parametrize("party", [("D", "ABC"), ("DE", "AB"), ("DE", "A*C"), ("1E", "ABC")])
def test_writers_refuse_a_party_oicp_cannot_name(party: tuple[str, str]) -> None:
    """OCPI allows party ids OICP cannot carry (`A*C`, shorter ones): a ValueError, not a bad id."""
    with pytest.raises(ValueError, match="party"):
        operator_id(party)
    with pytest.raises(ValueError, match="party"):
        provider_id(party)


_parties = st.tuples(
    st.from_regex(r"[A-Za-z]{2}", fullmatch=True), st.from_regex(r"[A-Za-z0-9]{3}", fullmatch=True)
)


@given(_parties)
def test_ids_written_read_back_as_the_same_party(party: tuple[str, str]) -> None:
    """Writer then reader is the identity (upper-cased) for every party OICP can name."""
    upper = (party[0].upper(), party[1].upper())
    assert operator_party(operator_id(party)) == upper
    assert provider_party(provider_id(party)) == upper


@given(st.sampled_from(sorted(CALLING_CODES)), st.from_regex(r"[0-9]{3}", fullmatch=True))
def test_din_operator_written_back_in_iso_form_names_the_same_party(code: str, digits: str) -> None:
    """A DIN operator's party, written as an ISO OperatorID, reads back as that party."""
    party = operator_party(f"+{code}*{digits}")
    assert party == (CALLING_CODES[code], digits)
    assert operator_party(operator_id(party)) == party


def test_normal_removes_separators_and_case() -> None:
    """normal(): `*` and `-` carry no meaning (eMI3), case neither."""
    assert normal("de*ab7*e840*6487") == "DEAB7E8406487"
    assert normal("DE-8EO-CAet5e4XY-3") == "DE8EOCAET5E4XY3"


def test_same_evse_compares_ocpi_evse_id_and_oicp_evse_id() -> None:
    """An OCPI evse_id and an OICP EvseID are the same EVSE when equal but for `*` and case;
    the ISO `E` is part of the id, never stripped."""
    assert same_evse("DE*AB7*E840*6487", "deab7e8406487")
    assert not same_evse("DE*AB7*E840", "DE*AB7*840")
    assert not same_evse("DE*AB7*E840", "DE*AB7*E841")


def test_oicp_evse_id_upper_cases_and_refuses_ids_without_the_e() -> None:
    """An OCPI evse_id becomes the EvseID upper-cased, separators kept; without the `E`, refused."""
    assert oicp_evse_id("nl*cpo*e1*2") == "NL*CPO*E1*2"
    assert oicp_evse_id("+1*234*567") == "+1*234*567"  # a valid form, even of an unknown country
    with pytest.raises(ValueError, match="EvseID"):
        oicp_evse_id("NL*CPO*1")
