"""Belgian identifiers: a well-formed SSIN or NIHDI number told from a typo (core/belgian_ids.py).

A KMEHR message is filed by the SSIN it names and delivered to the NIHDI number it names: one
wrong digit would file the letter under another patient or send it to another physician, so
each check is shown to refuse what it must.
"""

from __future__ import annotations

import pytest

from fhir_discharge.core.belgian_ids import (
    NIHDI_SYSTEM,
    SSIN_SYSTEM,
    hospital_nihdi,
    identifier_value,
    nihdi,
    physician_nihdi,
    ssin,
)
from fhir_discharge.core.carry import NIHDI, SSIN


def _with_check_digits(body: str, *, born_2000s: bool = False) -> str:
    return f"{body}{97 - int(('2' if born_2000s else '') + body) % 97:02d}"


def test_the_naming_systems_are_the_ones_the_record_travels_by() -> None:
    assert (SSIN_SYSTEM, NIHDI_SYSTEM) == (SSIN, NIHDI)


@pytest.mark.parametrize(
    "number",
    [
        "81031412414",  # the example patient (born 14 March 1981)
        "93051822361",  # a man born 18 May 1993, the municipalities' worked example
        _with_check_digits("050402123", born_2000s=True),  # born 2 April 2005: 2 before the body
        _with_check_digits("814314124"),  # a BIS number: month + 40
        _with_check_digits("812314124"),  # a BIS number: month + 20
        _with_check_digits("810000123"),  # birth month and day unknown
        "81.03.14-124.14",  # as the eID card prints it
        " 810314 124 14 ",
    ],
)
def test_a_well_formed_ssin_is_taken_as_eleven_digits(number: str) -> None:
    digits = ssin(number)
    assert digits is not None and len(digits) == 11 and digits.isdigit()


@pytest.mark.parametrize(
    "number",
    [
        "81031412415",  # one check digit off
        "81031421414",  # two digits swapped
        "81031412345",  # the number the examples had before: it fails its check digits
        _with_check_digits("811314124"),  # month 13
        _with_check_digits("815314124"),  # month 53
        _with_check_digits("810332124"),  # day 32
        "8103141241",  # ten digits
        "810314124140",
        "8103141241a",
        "٨١٠٣١٤١٢٤١٤",  # Arabic-Indic digits: digits to Python, not to the National Register
        "",
        None,
        81031412414,  # a number, not a string
    ],
)
def test_an_ssin_that_is_not_well_formed_is_refused(number: object) -> None:
    assert ssin(number) is None


@pytest.mark.parametrize(
    ("number", "physician", "hospital"),
    [
        ("12345625003", True, False),  # the example GP: 123456 mod 97 = 72, 97 - 72 = 25
        ("16543250000", True, False),  # the example ED physician
        ("1-23456-25-003", True, False),  # as the RIZIV/INAMI writes it
        ("12345676003", True, False),  # the modulus-89 rule (since 2012; physicians since 2019)
        ("71000436000", False, True),  # a hospital, 11 digits (eHealth's FHIR examples)
        ("71000436", False, True),  # the same hospital, 8 digits
        ("45432127002", False, False),  # profession 4 (nurse or midwife): not a physician
        ("16543250", False, False),  # a physician's first 8 digits only
    ],
)
def test_a_well_formed_nihdi_number_and_whose_it_can_be(
    number: str, physician: bool, hospital: bool
) -> None:
    assert nihdi(number) is not None
    assert (physician_nihdi(number) is not None) is physician
    assert (hospital_nihdi(number) is not None) is hospital


@pytest.mark.parametrize(
    "number",
    [
        "12345626003",  # one check digit off
        "12345652003",  # check digits swapped
        "21345625003",  # two digits of the number swapped
        "10000000002",  # the number the examples had before
        "71000000001",  # the hospital number the examples had before
        "1234562500",  # ten digits
        "123456250031",
        "1234562500x",
        "",
        None,
    ],
)
def test_a_nihdi_number_that_is_not_well_formed_is_refused(number: object) -> None:
    assert nihdi(number) is None
    assert physician_nihdi(number) is None
    assert hospital_nihdi(number) is None


def test_the_number_read_is_the_official_one_of_its_system_and_never_an_old_one() -> None:
    patient = {
        "identifier": [
            {"system": "https://example.org/mrn", "value": "P-1"},
            {"use": "old", "system": SSIN_SYSTEM, "value": "81031412415"},
            {"system": SSIN_SYSTEM, "value": "93051822361"},
            {"use": "official", "system": SSIN_SYSTEM, "value": "81031412414"},
        ]
    }
    assert identifier_value(patient, SSIN_SYSTEM) == "81031412414"
    del patient["identifier"][3]
    assert identifier_value(patient, SSIN_SYSTEM) == "93051822361"
    del patient["identifier"][2]
    assert identifier_value(patient, SSIN_SYSTEM) is None  # only an old one is left
    assert identifier_value(None, SSIN_SYSTEM) is None
    assert identifier_value({"identifier": "81031412414"}, SSIN_SYSTEM) is None
