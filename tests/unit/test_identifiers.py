"""Business identifiers (core/identifiers.py): the Belgian national numbers checked, one rule per
number for the gate, the record carried with the letter and the KMEHR message, and every identifier
escaped and percent-encoded before it is put in a conditional URL.

A KMEHR message is filed by the SSIN it names and delivered to the NIHDI number it names, and a
conditional create matches on them: one wrong digit would file the letter under another patient
or send it to another physician, so each check is shown to refuse what it must.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest

from fhir_discharge import build_discharge
from fhir_discharge.core.record.context import context_from_bundle
from fhir_discharge.core.record.identifiers import (
    NIHDI,
    NIHDI_SYSTEMS,
    SSIN,
    SSIN_SYSTEMS,
    hospital_nihdi,
    identifier_condition,
    identifier_problem,
    identifier_value,
    nihdi,
    nihdi_problem,
    physician_nihdi,
    ssin,
    ssin_problem,
)
from fhir_discharge.core.record.identity import match_identifier
from tests.support.factories import happy_bundle, resource, valid_nihdi, valid_ssin
from tests.support.site import SITE


def _with_check_digits(body: str, *, born_2000s: bool = False) -> str:
    return f"{body}{97 - int(('2' if born_2000s else '') + body) % 97:02d}"


# --- SSIN -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        "81031412414",  # the example: born 1981, 97 - (810314124 mod 97) = 14
        "85073003328",
        "93051822361",  # a man born 18 May 1993, the municipalities' worked example
        "00010100105",  # born 2000: the check is taken over 2 followed by the nine digits
        "17073003384",  # born 2017, likewise
        "40010100140",  # born 1940: the same digits without the 2 give another check
        _with_check_digits("050402123", born_2000s=True),  # born 2 April 2005
        _with_check_digits("814314124"),  # a BIS number: month + 40
        _with_check_digits("812314124"),  # a BIS number: month + 20
        _with_check_digits("810000123"),  # birth month and day unknown
    ],
)
def test_a_valid_ssin_passes(number):
    assert ssin_problem(number) is None
    assert ssin(number) == number


@pytest.mark.parametrize(
    ("number", "problem"),
    [
        ("81031412345", "fails its check digits (mod 97)"),  # issue 18's example
        ("81031412415", "fails its check digits (mod 97)"),  # one check digit off
        ("81031421414", "fails its check digits (mod 97)"),  # two digits swapped
        ("00010100106", "fails its check digits (mod 97)"),
        (_with_check_digits("811314124"), "has no birth month or day"),  # month 13
        (_with_check_digits("813314124"), "has no birth month or day"),  # month 33
        (_with_check_digits("815314124"), "has no birth month or day"),  # month 53
        (_with_check_digits("810332124"), "has no birth month or day"),  # day 32
        ("8103141241", "is not 11 digits"),
        ("810314124140", "is not 11 digits"),
        ("8103141241a", "is not 11 digits"),
        # printed forms: the EHR stores the digits, as be-core's examples and KMEHR carry them
        ("81.03.14-124.14", "is not 11 digits"),
        (" 810314 124 14 ", "is not 11 digits"),
        ("81031412414 ", "is not 11 digits"),
        ("&_id=victim-1", "is not 11 digits"),
        ("８１０３１４１２４１４", "is not 11 digits"),  # full-width digits are not ASCII digits
        ("٨١٠٣١٤١٢٤١٤", "is not 11 digits"),  # Arabic-Indic: digits to Python, not to the register
        ("", "is not 11 digits"),
        (None, "is not 11 digits"),
        (81031412414, "is not 11 digits"),  # a number, not a string
    ],
)
def test_a_malformed_ssin_says_what_is_wrong(number, problem):
    assert (ssin_problem(number) or "").startswith(problem)
    assert ssin(number) is None


def test_the_2000_rule_decides_which_check_applies():
    # 000101001: 97 - (000101001 mod 97) = 73 (before 2000), 97 - (2000101001 mod 97) = 5.
    assert ssin_problem("00010100173") is None  # someone born 1 January 1900
    assert ssin_problem("00010100105") is None  # someone born 1 January 2000
    assert ssin_problem("00010100174") is not None


# --- NIHDI ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "physician", "hospital"),
    [
        ("10829059", False, False),  # modulo 97: 97 - (108290 mod 97) = 59 (8 digits: no person)
        ("10185748004", True, False),  # modulo 89 (since 2012): 89 - (101857 mod 89) = 48
        ("12345676003", True, False),  # the modulus-89 rule again
        ("12345625003", True, False),  # the example GP: 123456 mod 97 = 72, 97 - 72 = 25
        ("16543250000", True, False),  # the example ED physician
        ("10001292004", True, False),
        ("71000436000", False, True),  # a hospital, 11 digits (eHealth's FHIR examples)
        ("71000436", False, True),  # the same hospital, 8 digits
        ("71001228000", False, True),
        ("45432127002", False, False),  # profession 4 (nurse or midwife): not a physician
        ("16543250", False, False),  # a physician's first 8 digits only
    ],
)
def test_a_well_formed_nihdi_number_and_whose_it_can_be(number, physician, hospital):
    assert nihdi_problem(number) is None and nihdi(number) == number
    assert (physician_nihdi(number) is not None) is physician
    assert (hospital_nihdi(number) is not None) is hospital


@pytest.mark.parametrize(
    ("number", "problem"),
    [
        ("12345626003", "fails its NIHDI check digits"),  # one check digit off
        ("12345652003", "fails its NIHDI check digits"),  # check digits swapped
        ("21345625003", "fails its NIHDI check digits"),  # two digits of the number swapped
        ("10000000002", "fails its NIHDI check digits"),  # the number the examples had before
        ("71000000001", "fails its NIHDI check digits"),  # the hospital number of before
        ("10001293004", "fails its NIHDI check digits"),
        ("00000000", "fails its NIHDI check digits"),
        ("1234562500", "is not 8 or 11 digits"),
        ("123456250031", "is not 8 or 11 digits"),
        ("1234562500x", "is not 8 or 11 digits"),
        # printed forms: the digits only, as for the SSIN
        ("1-23456-25-003", "is not 8 or 11 digits"),
        ("10001292-04", "is not 8 or 11 digits"),
        ("abcdefgh", "is not 8 or 11 digits"),
        ("", "is not 8 or 11 digits"),
        (None, "is not 8 or 11 digits"),
    ],
)
def test_a_nihdi_number_that_is_not_well_formed_says_what_is_wrong(number, problem):
    assert nihdi_problem(number) == problem
    assert nihdi(number) is None
    assert physician_nihdi(number) is None
    assert hospital_nihdi(number) is None


def test_the_test_factories_make_numbers_that_pass():
    assert all(ssin_problem(valid_ssin(seed)) is None for seed in range(0, 10**6, 997))
    assert all(nihdi_problem(valid_nihdi(100000 + n)) is None for n in range(0, 900000, 991))


def test_only_national_naming_systems_are_checked():
    assert identifier_problem(SSIN, "1") == "is not 11 digits"
    assert identifier_problem("urn:oid:2.16.840.1.113883.3.6777.5.1", "1") == "is not 11 digits"
    assert identifier_problem(NIHDI, "1") == "is not 8 or 11 digits"
    assert identifier_problem(NIHDI, "12345626003") == "fails its NIHDI check digits"
    assert all(identifier_problem(system, "12345625003") is None for system in NIHDI_SYSTEMS)
    assert identifier_problem("https://example.uzleuven.be/sid/patient", "1") is None


def test_the_number_read_is_the_official_one_of_its_systems_and_never_an_old_one():
    patient = {
        "identifier": [
            {"system": "https://example.org/mrn", "value": "P-1"},
            {"use": "old", "system": SSIN, "value": "81031412415"},
            {"system": SSIN, "value": "93051822361"},
            {"use": "official", "system": SSIN, "value": "81031412414"},
        ]
    }
    assert identifier_value(patient, SSIN_SYSTEMS) == "81031412414"
    del patient["identifier"][3]
    assert identifier_value(patient, SSIN_SYSTEMS) == "93051822361"
    del patient["identifier"][2]
    assert identifier_value(patient, SSIN_SYSTEMS) is None  # only an old one is left
    assert identifier_value(None, SSIN_SYSTEMS) is None
    assert identifier_value({"identifier": "81031412414"}, SSIN_SYSTEMS) is None
    # the same number under the naming system's OID is the same number
    oid = {"identifier": [{"system": "urn:oid:2.16.840.1.113883.3.6777.5.1", "value": "1"}]}
    assert identifier_value(oid, SSIN_SYSTEMS) == "1"


# --- one rule: the gate, the carried record and the KMEHR message agree ------------------------

SSIN_CASES = [
    "81031412414",
    "81.03.14-124.14",
    _with_check_digits("811314124"),  # check digits right, month 13: once taken by the gate
    "81031412415",
    "８１０３１４１２４１４",
]
NIHDI_CASES = [
    "12345625003",
    "1-23456-25-003",  # once addressed by the KMEHR message, and not matched on by the copy
    "12345 625003",
    "12345626003",
    "１２３４５６２５００３",
]


@pytest.mark.parametrize("number", SSIN_CASES)
def test_the_gate_the_carried_record_and_the_kmehr_message_take_the_same_ssins(number):
    bundle = happy_bundle()
    patient = resource(bundle, "Patient")
    (index,) = [i for i, x in enumerate(patient["identifier"]) if x["system"] == SSIN]
    patient["identifier"][index]["value"] = number
    # A malformed SSIN is no identity: the discharge goes on, the number is neither carried
    # nor put on a KMEHR message, and the caller is told to correct it (issue 20).
    discharge = build_discharge(context_from_bundle(bundle), SITE, gp_message=False)
    carried = not [w for w in discharge.warnings if "SSIN" in w.message or "INSZ" in w.message]
    assert discharge.gp_route is not None
    filed = discharge.gp_route.patient is not None and discharge.gp_route.patient.ssin == number
    assert carried is filed is (ssin(number) is not None) is (number == "81031412414")


@pytest.mark.parametrize("number", NIHDI_CASES)
def test_the_carried_record_and_the_kmehr_message_take_the_same_gp_nihdi_numbers(number):
    bundle = happy_bundle()
    gp = resource(bundle, "Practitioner", "lbp-example-gp")
    gp["identifier"][0]["value"] = number
    discharge = build_discharge(context_from_bundle(bundle), SITE, gp_message=False)
    carried = not [w for w in discharge.warnings if "NIHDI number of Practitioner/" in w.message]
    assert discharge.gp_route is not None
    addressed = "general-practitioner-nihdi-invalid" not in discharge.gp_route.reasons
    assert carried is addressed is (number == "12345625003")
    if addressed:
        assert discharge.gp_route.recipient is not None
        assert discharge.gp_route.recipient.nihdi == number


# --- identifiers in a conditional URL ---------------------------------------------------------


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
