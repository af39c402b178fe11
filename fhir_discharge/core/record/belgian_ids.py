"""Belgian national identifiers: the patient's SSIN and the NIHDI numbers of care providers.

What a KMEHR message and the eHealthBox address people by: a GP package files a hospital letter
under the patient whose SSIN it names, and the eHealthBox delivers it to the mailbox of the NIHDI
number it names. A number that fails its check digits is a typo (or worse): a letter addressed
with it would be filed under another patient, or reach another physician, or nobody. So these
functions say whether a number is well formed; they cannot say whether it is the right person's.

Pure: no network, no clock.

SSIN (INSZ/NISS: the national register number, or a BIS number for those not in it), 11 digits
YYMMDD SSS CC: the birth date (month + 20 or + 40 in a BIS number; month or day 00 when unknown),
a sequence number, and check digits CC = 97 - (YYMMDDSSS mod 97), computed on 2YYMMDDSSS for those
born from 2000 on (the National Register's rule, as the eHealth platform and the municipalities
publish it; e.g. the City of Westerlo's "Rijksregisternummer" page and python-stdnum's be.nn).

NIHDI (RIZIV/INAMI) number of a care provider or institution: 11 digits P NNNNN CC QQQ for a
person (P the profession, 1 for a physician; CC check digits; QQQ the qualification, e.g. GP or
specialist), 8 digits (or the same 8 followed by a 3-digit qualification) for an institution
(first digit 7 for a hospital). CC = 97 - (first six digits mod 97); since RIZIV/INAMI note
I 2012/26 (31 October 2012) new numbers may use modulus 89 instead (CC = 89 - (first six mod 89)),
for physicians since 1 April 2019 (RIZIV/INAMI, "Softwareleveranciers: ... Riziv-nummers"; the
hospital software vendor Infohos on the same change). Hospital numbers in eHealth's examples
follow the first rule (71000436: 710004 mod 97 = 61, 97 - 61 = 36).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

# The Belgian core FHIR naming systems (hl7-be/ehealth-be-core).
SSIN_SYSTEM: Final = "https://www.ehealth.fgov.be/standards/fhir/core/NamingSystem/ssin"
NIHDI_SYSTEM: Final = "https://www.ehealth.fgov.be/standards/fhir/core/NamingSystem/nihdi"

# Separators people write numbers with (81.03.14-124.14, 1-23456-25-003): not part of them.
_SEPARATORS: Final = re.compile(r"[ .\-/]")
_PHYSICIAN: Final = "1"  # the NIHDI profession digit of a physician
_HOSPITAL: Final = "7"  # the NIHDI first digit of a hospital


def _digits(value: object, lengths: tuple[int, ...]) -> str | None:
    if not isinstance(value, str):
        return None
    digits = _SEPARATORS.sub("", value.strip())
    if len(digits) not in lengths or not digits.isascii() or not digits.isdigit():
        return None
    return digits


def ssin(value: object) -> str | None:
    """The SSIN as 11 digits when `value` is a well-formed one (separators allowed); else None."""
    digits = _digits(value, (11,))
    if digits is None:
        return None
    month, day = int(digits[2:4]), int(digits[4:6])
    # month: 00-12 (national register), 20-32 or 40-52 (BIS); 00 and day 00 when unknown
    if month % 20 > 12 or month > 52 or day > 31:
        return None
    body, check = digits[:9], int(digits[9:])
    if check in (97 - int(body) % 97, 97 - int("2" + body) % 97):
        return digits
    return None


def nihdi(value: object) -> str | None:
    """The NIHDI number as digits (8 or 11) when `value` is a well-formed one; else None."""
    digits = _digits(value, (8, 11))
    if digits is None:
        return None
    base, check = int(digits[:6]), int(digits[6:8])
    if check in (97 - base % 97, 89 - base % 89):
        return digits
    return None


def physician_nihdi(value: object) -> str | None:
    """A physician's NIHDI number (11 digits, profession 1), well formed; else None."""
    digits = nihdi(value)
    return digits if digits is not None and len(digits) == 11 and digits[0] == _PHYSICIAN else None


def hospital_nihdi(value: object) -> str | None:
    """A hospital's NIHDI number (8 digits, or 11 with the qualification), well formed; else
    None."""
    digits = nihdi(value)
    return digits if digits is not None and digits[0] == _HOSPITAL else None


def identifier_value(resource: Mapping[str, Any] | None, system: str) -> str | None:
    """The value of the resource's first identifier in `system` (official ones first, an `old`
    one never); None when it has none."""
    identifiers = (resource or {}).get("identifier")
    if isinstance(identifiers, dict):  # Composition.identifier and a few others: one, not a list
        identifiers = [identifiers]
    found = [
        i
        for i in identifiers or []
        if isinstance(i, dict)
        and i.get("system") == system
        and isinstance(i.get("value"), str)
        and i.get("use") != "old"
    ]
    found.sort(key=lambda i: i.get("use") != "official")
    return found[0]["value"] if found else None
