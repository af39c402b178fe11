"""Business identifiers (core/identifiers.py): the Belgian national numbers checked, and every
identifier escaped and percent-encoded before it is put in a conditional URL."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest

from fhir_discharge.core.identifiers import (
    NIHDI,
    SSIN,
    identifier_condition,
    identifier_problem,
    nihdi_valid,
    ssin_problem,
)
from fhir_discharge.core.identity import match_identifier
from tests.support.factories import valid_nihdi, valid_ssin


@pytest.mark.parametrize(
    "ssin",
    [
        "81031412414",  # the example: born 1981, 97 - (810314124 mod 97) = 14
        "85073003328",
        "00010100105",  # born 2000: the check is taken over 2 followed by the nine digits
        "17073003384",  # born 2017, likewise
        "40010100140",  # born 1940: the same digits without the 2 give another check
    ],
)
def test_a_valid_ssin_passes(ssin):
    assert ssin_problem(ssin) is None


@pytest.mark.parametrize(
    ("ssin", "problem"),
    [
        ("81031412345", "fails its check digits (mod 97)"),  # issue 18's example
        ("81031412415", "fails its check digits (mod 97)"),
        ("00010100106", "fails its check digits (mod 97)"),
        ("8103141241", "is not 11 digits"),
        ("810314124140", "is not 11 digits"),
        ("81.03.14-124.14", "is not 11 digits"),  # printed form: the EHR stores the digits
        ("&_id=victim-1", "is not 11 digits"),
        ("８１０３１４１２４１４", "is not 11 digits"),  # full-width digits are not ASCII digits
        ("", "is not 11 digits"),
        (None, "is not 11 digits"),
        (81031412414, "is not 11 digits"),
    ],
)
def test_a_malformed_ssin_says_what_is_wrong(ssin, problem):
    assert ssin_problem(ssin) == problem


def test_the_2000_rule_decides_which_check_applies():
    # 000101001: 97 - (000101001 mod 97) = 73 (before 2000), 97 - (2000101001 mod 97) = 5.
    assert ssin_problem("00010100173") is None  # someone born 1 January 1900
    assert ssin_problem("00010100105") is None  # someone born 1 January 2000
    assert ssin_problem("00010100174") is not None


@pytest.mark.parametrize(
    "number",
    [
        "10829059",  # modulo 97: 97 - (108290 mod 97) = 59
        "10185748004",  # modulo 89 (numbers issued since 2012): 89 - (101857 mod 89) = 48
        "10001292004",  # the example's GP
        "71001228000",  # the example's hospital (an institution: first digit 7)
        "71001228",
    ],
)
def test_a_valid_nihdi_passes(number):
    assert nihdi_valid(number)


@pytest.mark.parametrize(
    "number",
    ["10001293004", "1000129200", "100012920040", "10001292-04", "abcdefgh", "00000000", "", None],
)
def test_a_malformed_nihdi_fails(number):
    assert not nihdi_valid(number)


def test_the_test_factories_make_numbers_that_pass():
    assert all(ssin_problem(valid_ssin(seed)) is None for seed in range(0, 10**6, 997))
    assert all(nihdi_valid(valid_nihdi(100000 + n)) for n in range(0, 900000, 991))


def test_only_national_naming_systems_are_checked():
    assert identifier_problem(SSIN, "1") == "is not 11 digits"
    assert identifier_problem(NIHDI, "1") == "fails its NIHDI check digits"
    assert identifier_problem("https://example.uzleuven.be/sid/patient", "1") is None


@pytest.mark.parametrize(
    ("value", "escaped"),
    [
        ("&_id=victim-1", "&_id=victim-1"),
        ("a|b", "a\\|b"),
        ("a,b", "a\\,b"),
        ("a$b", "a\\$b"),
        ("a\\b", "a\\\\b"),
        ("a#b?c=d e+f%20g;h", "a#b?c=d e+f%20g;h"),
        ("\\|,$", "\\\\\\|\\,\\$"),
    ],
)
def test_a_conditional_url_holds_the_identifier_as_one_parameter(value, escaped):
    condition = identifier_condition("https://example.uzleuven.be/sid/x", value)
    # Nothing in the value can end the parameter, start another or end the query.
    assert not {"&", "=", "#", " ", "+", "?"} & set(condition.split("=", 1)[1])
    # What a server reads: percent-decoded first, one `identifier` parameter, then FHIR's escapes.
    assert parse_qsl(condition, keep_blank_values=True) == [
        ("identifier", f"https://example.uzleuven.be/sid/x|{escaped}")
    ]


def test_the_match_is_a_national_number_that_passes_then_official_then_first():
    patient = {
        "resourceType": "Patient",
        "identifier": [
            {"system": "https://example.uzleuven.be/sid/patient", "value": "P-1"},
            {"system": SSIN, "value": "81031412414", "use": "old"},
            {"system": SSIN, "value": "85073003328"},
        ],
    }
    assert match_identifier(patient) == patient["identifier"][2]
    gp = {
        "resourceType": "Practitioner",
        "identifier": [
            {"system": NIHDI, "value": "10001293004"},  # fails its check: never matched on
            {"system": "https://example.uzleuven.be/sid/staff", "value": "S-1"},
        ],
    }
    assert match_identifier(gp) == gp["identifier"][1]
    assert (
        match_identifier({"resourceType": "Practitioner", "identifier": [gp["identifier"][0]]})
        is None
    )
