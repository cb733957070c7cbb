"""OICP 2.3 identifiers ⇄ OCPI party keys (hub-dialects.md §5.3; OICP 2.3 CPO data types,
"Simple Restricted String Data Types").

| OICP id    | forms read                                         | OCPI party of      |
|------------|----------------------------------------------------|--------------------|
| OperatorID | ISO `DE*ABC`, `DEABC`; DIN `+49*536`               | a CPO              |
| ProviderID | `DE-8EO`, `DE*8EO`, `DE8EO`                        | an eMSP            |
| EvseID     | ISO `DE*AB7*E840*6487`; DIN `+49*810*000*438`      | the EVSE's operator|
| EvcoID     | ISO `DE-8EO-CAet5e4XY-3`; DIN `DE*8EO*Aet5e4*3`    | the contract's eMSP|

Readers accept any case and return the party upper-cased (OCPI party ids are CiStrings). Writers
use one form: OperatorID `DE*ABC` (ISO with its optional `*`, as the spec's examples and
Hubject's own messages write it), ProviderID `DE-8EO` (ISO's separator is `-`). A party read from a
DIN id is written back in the ISO form of the same party.

DIN ids carry an E.164 calling code instead of a country: `+49*536` is Germany's operator 536.
Choice: the party is (the ISO country of the code, the three DIN digits), so `+49*536` is
("DE", "536"). OCPI's party_id is three characters, so the digits fit as they are; an ISO
OperatorID `DE*536` names the same party, which is how the two registries are meant to meet.
Only European calling codes are known (`CALLING_CODES`); Hubject's DIN ids are German in practice.
Codes shared by several countries (+44 for GB, GG, JE, IM; +39 for IT, VA; +47 for NO, SJ)
name the main one.

The spec's ProviderID and EvcoID patterns write `[\\*|-]`, whose `|` is a literal in a regex
class; we read that as the evident intent (`*` or `-`) and refuse a `|`.

EvseID and OCPI `evse_id`: both are eMI3 EVSE ids, one string family. The ISO form marks the
EVSE with an `E` after the operator (`DE*AB7*E840*6487`); that `E` is part of the id in both
protocols, never stripped, so `DEAB7E840` and `DEAB7840` are different ids (and the second is not
an OICP EvseID at all). eMI3 makes the `*` separators optional and the id case-insensitive, so two
ids are the same EVSE when they are equal after `normal()` (separators removed, upper case):
`same_evse("DE*AB7*E840", "deab7e840")` is true. An OCPI `evse_id` that is no OICP EvseID (no
`E`, a separator other than `*`) cannot be published to Hubject: `oicp_evse_id` refuses it.
"""

from __future__ import annotations

import re
from types import MappingProxyType

from ocpi_hub.core.routing import PartyKey

__all__ = [
    "CALLING_CODES",
    "PHONE_NUMBER",
    "evco_provider",
    "evse_operator",
    "normal",
    "oicp_evse_id",
    "operator_id",
    "operator_party",
    "provider_id",
    "provider_party",
    "same_evse",
]

# E.164 country calling code → ISO 3166-1 alpha-2, for the European countries (DIN ids).
CALLING_CODES: MappingProxyType[str, str] = MappingProxyType(
    {
        "30": "GR", "31": "NL", "32": "BE", "33": "FR", "34": "ES", "36": "HU", "39": "IT",
        "40": "RO", "41": "CH", "43": "AT", "44": "GB", "45": "DK", "46": "SE", "47": "NO",
        "48": "PL", "49": "DE", "90": "TR",
        "350": "GI", "351": "PT", "352": "LU", "353": "IE", "354": "IS", "355": "AL",
        "356": "MT", "357": "CY", "358": "FI", "359": "BG", "370": "LT", "371": "LV",
        "372": "EE", "373": "MD", "375": "BY", "376": "AD", "377": "MC", "378": "SM",
        "380": "UA", "381": "RS", "382": "ME", "385": "HR", "386": "SI", "387": "BA",
        "389": "MK", "420": "CZ", "421": "SK", "423": "LI",
    }
)  # fmt: skip

_ISO_OPERATOR = re.compile(r"([A-Za-z]{2})\*?([A-Za-z0-9]{3})")
_DIN_OPERATOR = re.compile(r"\+?([0-9]{1,3})\*([0-9]{3})")
_PROVIDER = re.compile(r"([A-Za-z]{2})[*-]?([A-Za-z0-9]{3})")
# The spec's EvseID pattern is upper case only; OCPI ids are case-insensitive, so we read any case.
_ISO_EVSE = re.compile(r"([A-Za-z]{2})\*?([A-Za-z0-9]{3})\*?[Ee][A-Za-z0-9*]{1,30}")
_DIN_EVSE = re.compile(r"\+?([0-9]{1,3})\*([0-9]{3})\*[0-9*]{1,32}")
_ISO_EVCO = re.compile(r"([A-Za-z]{2})-?([A-Za-z0-9]{3})-?C[A-Za-z0-9]{8}-?[0-9A-Za-z]")
_DIN_EVCO = re.compile(r"([A-Za-z]{2})[*-]?([A-Za-z0-9]{3})[*-]?[A-Za-z0-9]{6}[*-]?[0-9Xx]")
_COUNTRY = re.compile(r"[A-Za-z]{2}")
# OICP PhoneNumberType (an operator's HotlinePhoneNumber): + and 5 to 15 digits.
PHONE_NUMBER = re.compile(r"\+[0-9]{5,15}")
_PARTY = re.compile(r"[A-Za-z0-9]{3}")


def _din_party(calling_code: str, digits: str, what: str, value: str) -> PartyKey:
    country = CALLING_CODES.get(calling_code)
    if country is None:
        raise ValueError(f"{what} {value!r}: calling code +{calling_code} is not a known country")
    return country, digits


def operator_party(operator_id: str) -> PartyKey:
    """The OCPI party of an OperatorID, ISO (`DE*ABC`, `DEABC`) or DIN (`+49*536`)."""
    if match := _ISO_OPERATOR.fullmatch(operator_id):
        return match[1].upper(), match[2].upper()
    if match := _DIN_OPERATOR.fullmatch(operator_id):
        return _din_party(match[1], match[2], "OperatorID", operator_id)
    raise ValueError(f"not an OICP OperatorID (DE*ABC or +49*536): {operator_id!r}")


def provider_party(provider_id: str) -> PartyKey:
    """The OCPI party of a ProviderID (`DE-8EO`, `DE*8EO`, `DE8EO`)."""
    if match := _PROVIDER.fullmatch(provider_id):
        return match[1].upper(), match[2].upper()
    raise ValueError(f"not an OICP ProviderID (DE-8EO): {provider_id!r}")


def evse_operator(evse_id: str) -> PartyKey:
    """The OCPI party of the operator an EvseID names, ISO or DIN."""
    if match := _ISO_EVSE.fullmatch(evse_id):
        return match[1].upper(), match[2].upper()
    if match := _DIN_EVSE.fullmatch(evse_id):
        return _din_party(match[1], match[2], "EvseID", evse_id)
    raise ValueError(_not_evse_id(evse_id))


def _not_evse_id(evse_id: str) -> str:
    return f"not an OICP EvseID (DE*AB7*E840*6487 or +49*810*000*438): {evse_id!r}"


def evco_provider(evco_id: str) -> PartyKey:
    """The OCPI party of the provider an EvcoID (contract id) names, ISO or DIN."""
    if match := _ISO_EVCO.fullmatch(evco_id) or _DIN_EVCO.fullmatch(evco_id):
        return match[1].upper(), match[2].upper()
    raise ValueError(f"not an OICP EvcoID (DE-8EO-CAet5e4XY-3 or DE*8EO*Aet5e4*3): {evco_id!r}")


def _checked(party: PartyKey) -> PartyKey:
    country, party_id = party
    if not (_COUNTRY.fullmatch(country) and _PARTY.fullmatch(party_id)):
        raise ValueError(f"not a party OICP can name (2 letters, 3 letters or digits): {party}")
    return country.upper(), party_id.upper()


def operator_id(party: PartyKey) -> str:
    """The OperatorID of a party: `DE*ABC`."""
    country, party_id = _checked(party)
    return f"{country}*{party_id}"


def provider_id(party: PartyKey) -> str:
    """The ProviderID of a party: `DE-8EO`."""
    country, party_id = _checked(party)
    return f"{country}-{party_id}"


def normal(oicp_id: str) -> str:
    """An id as compared: `*` and `-` removed, upper case (eMI3: neither carries meaning)."""
    return oicp_id.replace("*", "").replace("-", "").upper()


def same_evse(a: str, b: str) -> bool:
    """Whether two EVSE ids (OICP EvseID or OCPI evse_id) name the same EVSE."""
    return normal(a) == normal(b)


def oicp_evse_id(evse_id: str) -> str:
    """An OCPI `evse_id` as the EvseID Hubject takes: upper case, separators as written.
    ValueError when it is not an OICP EvseID (see the module docstring)."""
    if not (_ISO_EVSE.fullmatch(evse_id) or _DIN_EVSE.fullmatch(evse_id)):
        raise ValueError(_not_evse_id(evse_id))
    return evse_id.upper()
