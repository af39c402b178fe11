"""Business identifiers: the Belgian national numbers checked, one rule per number, and every
identifier written into a conditional URL escaped and percent-encoded.

One rule, for everyone who reads these numbers: the gate (a malformed SSIN refuses the
discharge), the record carried with the letter (a number that fails is neither matched on nor
written, core/carry.py and core/identity.py) and the KMEHR message (it is filed by the SSIN and
delivered to the NIHDI number it names, core/ehealthbox.py). A number one of them takes, the
others take; a number one refuses, the others refuse.

Why the numbers are checked: a conditional create finds what is already on the server by
`identifier=system|value`, and a GP package files a letter under the SSIN it names; a value with
a typo finds someone else, or no one. A value that is not encoded (`&_id=victim-1`) becomes a
search parameter of its own and finds whoever the caller names. So national numbers are checked
before they are matched on or addressed to, and every value is escaped as FHIR search requires,
then percent-encoded, before it is put in a URL. The checks say whether a number is well formed;
they cannot say whether it is the right person's.

**Plain digits only.** The value of an identifier in the be-core naming systems is the number's
digits, as every example of hl7-be's ehealth-be-core and KMEHR's ID-PATIENT / ID-HCPARTY carry it
(the NamingSystems themselves define no printed form). A printed form (`81.03.14-124.14`,
`1-23456-25-003`) is refused, not tidied: FHIR token search matches the value exactly, so the
copy on the server and the EHR's record would not find each other, and a KMEHR message would name
a number the record does not hold. The EHR stores the digits; one that does not is told so.

SSIN (INSZ/NISS: the national register number, or a BIS number for those not in it), 11 digits
YYMMDD SSS CC: the birth date (month + 20 or + 40 in a BIS number; month or day 00 when unknown),
a sequence number, and check digits CC = 97 - (YYMMDDSSS mod 97), computed on 2YYMMDDSSS for
those born from 2000 on (the National Register's rule, as the eHealth platform and the
municipalities publish it; e.g. the City of Westerlo's "Rijksregisternummer" page and
python-stdnum's be.nn).

NIHDI (RIZIV/INAMI) number of a care provider or institution: 11 digits P NNNNN CC QQQ for a
person (P the profession, 1 for a physician; CC check digits; QQQ the qualification, e.g. GP or
specialist), 8 digits (or the same 8 followed by a 3-digit qualification) for an institution
(first digit 7 for a hospital). CC = 97 - (first six digits mod 97); since RIZIV/INAMI note
I 2012/26 (31 October 2012) new numbers may use modulus 89 instead (CC = 89 - (first six mod
89)), for physicians since 1 April 2019. Sources: https://www.infohos.be/nl/blog/12189 (the
structure, modulo 97, then 89 since note I 2012/26) and RIZIV's page for software vendors
(https://www.riziv.fgov.be/nl/professionals/andere-professionals/softwareleveranciers, on the
new numbers with a modulo 89 check digit); the complement form checked against numbers
published as examples: 1-01857-48-004 (modulo 89), 1-08290-59 (modulo 97, hl7-be
ehealth-be-core's vaccination example), hospital 71000436 (eHealth's examples: 710004 mod 97 =
61, 97 - 61 = 36).

Pure: no network, no clock.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any, Final
from urllib.parse import parse_qsl, quote

# Belgian core naming systems (hl7-be ehealth-be-core, NamingSystem be-ssin and be-nihdi; the
# professional and organisation variants of NIHDI, and the OIDs the same systems are known by).
# SSIN and NIHDI are the ones this service writes; the others are read as the same numbers.
SSIN: Final = "https://www.ehealth.fgov.be/standards/fhir/core/NamingSystem/ssin"
NIHDI: Final = "https://www.ehealth.fgov.be/standards/fhir/core/NamingSystem/nihdi"
SSIN_SYSTEMS: Final = frozenset({SSIN, "urn:oid:2.16.840.1.113883.3.6777.5.1"})
NIHDI_SYSTEMS: Final = frozenset(
    {
        NIHDI,
        "https://www.ehealth.fgov.be/standards/fhir/core/NamingSystem/nihdi-professional",
        "https://www.ehealth.fgov.be/standards/fhir/core/NamingSystem/nihdi-organization",
        "urn:oid:2.16.840.1.113883.3.6777.5.2",
    }
)

# ASCII digits only: `\d` would take Arabic-Indic or full-width digits, which are digits to
# Python and to no register.
_SSIN: Final = re.compile(r"[0-9]{11}")
_NIHDI: Final = re.compile(r"[0-9]{8}(?:[0-9]{3})?")
_PHYSICIAN: Final = "1"  # the NIHDI profession digit of a physician
_HOSPITAL: Final = "7"  # the NIHDI first digit of a hospital


def ssin_problem(value: object) -> str | None:
    """What is wrong with an SSIN, or None when it is well formed (the module docstring)."""
    if not isinstance(value, str) or _SSIN.fullmatch(value) is None:
        return "is not 11 digits"
    month, day = int(value[2:4]), int(value[4:6])
    # month: 00-12 (national register), 20-32 or 40-52 (BIS); 00, and day 00, when unknown
    if month % 20 > 12 or month > 52 or day > 31:
        return "has no birth month or day a national register or BIS number can have"
    body, check = value[:9], int(value[9:])
    if check not in (97 - int(body) % 97, 97 - int("2" + body) % 97):
        return "fails its check digits (mod 97)"
    return None


def ssin(value: object) -> str | None:
    """The SSIN when `value` is a well-formed one; else None."""
    return value if isinstance(value, str) and ssin_problem(value) is None else None


def nihdi_problem(value: object) -> str | None:
    """What is wrong with a NIHDI number, or None when it is well formed."""
    if not isinstance(value, str) or _NIHDI.fullmatch(value) is None:
        return "is not 8 or 11 digits"
    base, check = int(value[:6]), int(value[6:8])
    if check not in (97 - base % 97, 89 - base % 89):
        return "fails its NIHDI check digits"
    return None


def nihdi(value: object) -> str | None:
    """The NIHDI number (8 or 11 digits) when `value` is a well-formed one; else None."""
    return value if isinstance(value, str) and nihdi_problem(value) is None else None


def physician_nihdi(value: object) -> str | None:
    """A physician's NIHDI number (11 digits, profession 1), well formed; else None."""
    number = nihdi(value)
    return number if number is not None and len(number) == 11 and number[0] == _PHYSICIAN else None


def hospital_nihdi(value: object) -> str | None:
    """A hospital's NIHDI number (8 digits, or 11 with the qualification), well formed; else
    None."""
    number = nihdi(value)
    return number if number is not None and number[0] == _HOSPITAL else None


def identifier_problem(system: object, value: object) -> str | None:
    """Why an identifier of a national naming system must not be matched on, or None."""
    if system in SSIN_SYSTEMS:
        return ssin_problem(value)
    if system in NIHDI_SYSTEMS:
        return nihdi_problem(value)
    return None


def identifier_value(resource: Mapping[str, Any] | None, systems: Collection[str]) -> str | None:
    """The value of the resource's first identifier in one of `systems` (official ones first, an
    `old` one never); None when it has none."""
    identifiers = (resource or {}).get("identifier")
    if isinstance(identifiers, dict):  # Composition.identifier and a few others: one, not a list
        identifiers = [identifiers]
    found = [
        i
        for i in identifiers or []
        if isinstance(i, dict)
        and i.get("system") in systems
        and isinstance(i.get("value"), str)
        and i.get("use") != "old"
    ]
    found.sort(key=lambda i: i.get("use") != "official")
    return found[0]["value"] if found else None


def search_escaped(value: str) -> str:
    """A value as a FHIR search parameter holds it literally (FHIR R4 search, "Escaping Search
    Parameters"): `\\`, `,`, `$` and `|` each preceded by a backslash."""
    for special in ("\\", ",", "$", "|"):
        value = value.replace(special, "\\" + special)
    return value


def _url_encoded(value: str) -> str:
    # Everything but unreserved characters and the ':' and '/' of URIs percent-encoded: a value's
    # '&', '=', '#', '+', '%', '?' or space can never start another parameter or end the query.
    return quote(value, safe=":/")


def identifier_token(system: str, value: str) -> str:
    """`system|value` as the value of a token search parameter in a URL: each part escaped as
    FHIR search requires, then percent-encoded (the server decodes first, then unescapes)."""
    return f"{_url_encoded(search_escaped(system))}|{_url_encoded(search_escaped(value))}"


def identifier_condition(system: str, value: str, parameter: str = "identifier") -> str:
    """The search of a conditional create (`ifNoneExist`) or a conditional reference on one
    business identifier (or, `parameter="_tag"`, on one tag)."""
    return f"{parameter}={identifier_token(system, value)}"


def identifier_of_condition(condition: str) -> dict[str, str] | None:
    """The business identifier a one-identifier condition (`identifier_condition`) searches for,
    as `{system, value}`: percent-decoded, then FHIR's search escapes undone; None for any other
    condition."""
    parameters = parse_qsl(condition, keep_blank_values=True)
    if len(parameters) != 1 or parameters[0][0] != "identifier":
        return None
    parts: list[str] = [""]
    escaped = False
    for character in parameters[0][1]:
        if escaped:
            parts[-1] += character
            escaped = False
        elif character == "\\":
            escaped = True
        elif character == "|":
            parts.append("")
        else:
            parts[-1] += character
    if len(parts) != 2 or not all(parts):
        return None
    return {"system": parts[0], "value": parts[1]}
