"""Business identifiers: the Belgian national numbers checked, and every identifier written into a
conditional URL escaped and percent-encoded.

A conditional create finds what is already on the server by `identifier=system|value`. A value
that is not what it claims (a national number with a typo) finds someone else, or no one; a value
that is not encoded (`&_id=victim-1`) becomes a search parameter of its own and finds whoever the
caller names. So national numbers are checked before they are matched on, and every value is
escaped as FHIR search requires, then percent-encoded, before it is put in a URL.

Pure: no network, no clock.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import quote

# Belgian core naming systems (hl7-be ehealth-be-core, NamingSystem be-ssin and be-nihdi; the
# professional and organisation variants of NIHDI, and the OIDs the same systems are known by).
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

_SSIN = re.compile(r"[0-9]{11}")
_NIHDI = re.compile(r"[0-9]{8}(?:[0-9]{3})?")


def ssin_problem(value: object) -> str | None:
    """What is wrong with an SSIN (INSZ/NISS: a national register or BIS number), or None.

    11 digits: the birth date (YYMMDD), a day counter (3 digits), and a check number, 97 minus
    the first nine digits modulo 97; for people born from 2000 on, a 2 is put before the nine
    digits first (the national register's rule; the BIS number has the same check)."""
    if not isinstance(value, str) or _SSIN.fullmatch(value) is None:
        return "is not 11 digits"
    check = int(value[9:])
    if check not in (97 - int(value[:9]) % 97, 97 - int("2" + value[:9]) % 97):
        return "fails its check digits (mod 97)"
    return None


def nihdi_valid(value: object) -> bool:
    """Whether a NIHDI (RIZIV/INAMI) number passes its check.

    8 digits (the provider or institution) and optionally 3 more (the qualification): a digit
    for the profession (7 an institution), a 5-digit sequence, then 2 check digits over those 6
    digits: 97 minus their value modulo 97, or, for the numbers NIHDI has issued since 2012 when
    the modulo 97 range ran out (its note I 2012/26; doctors since 1 April 2019), 89 minus their
    value modulo 89. Sources: https://www.infohos.be/nl/blog/12189 (the structure, modulo 97,
    then 89 since note I 2012/26) and RIZIV's page for software vendors
    (https://www.riziv.fgov.be/nl/professionals/andere-professionals/softwareleveranciers, on
    the new numbers with a modulo 89 check digit); the complement form (97 or 89 minus the
    remainder) checked against numbers published as examples: 1-01857-48-004 (modulo 89) and
    1-08290-59 (modulo 97, hl7-be ehealth-be-core's vaccination example)."""
    if not isinstance(value, str) or _NIHDI.fullmatch(value) is None:
        return False
    number, check = int(value[:6]), int(value[6:8])
    return check in (97 - number % 97, 89 - number % 89)


def identifier_problem(system: object, value: object) -> str | None:
    """Why an identifier of a national naming system must not be matched on, or None."""
    if system in SSIN_SYSTEMS:
        return ssin_problem(value)
    if system in NIHDI_SYSTEMS and not nihdi_valid(value):
        return "fails its NIHDI check digits"
    return None


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
