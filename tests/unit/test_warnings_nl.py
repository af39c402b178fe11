"""A discharge's warnings in Dutch for the physician's app (core/warnings_nl.py, WARNING_PHRASES).

Every place the core writes a warning (read from the source of context.py, the gate's modules
and transaction.py) is a kind the module knows, and the catalogue has a Dutch sentence for each kind
and no other. A real record built with the factories makes each warning, through the core: the
app's answer shows the Dutch sentence, and the English stays the API's. A warning the module
cannot account for (unknown, changed, or not backed by the discharge's facts) stays English.
"""

from __future__ import annotations

import ast
import inspect
import string
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from fhir_discharge.core import carry, context, transaction
from fhir_discharge.core.app_preview import warning_texts
from fhir_discharge.core.ehealthbox import UNREACHABLE, unreachable_warning
from fhir_discharge.core.phrases import NL_BE_WARNINGS
from fhir_discharge.core.transaction import Discharge
from fhir_discharge.core.warnings_nl import KINDS, DischargeWarning, discharge_warnings
from fhir_discharge.errors import warnings_outcome
from tests.support.factories import add, happy_bundle, resource
from tests.support.gate import gate_modules
from tests.support.warning_records import (
    RECORDS,
    allergy,
    build,
    ignored_entries,
    no_general_practitioner,
    older_patient,
)

# --- the kinds and the catalogue ----------------------------------------------------------


def _warning_sites(module: Any) -> list[str]:
    """Each place `module` writes a warning: an append to a list named `warnings`, or the
    context's `notes` made from a formatted string."""
    tree = ast.parse(inspect.getsource(module))
    sites: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", None)
            if node.func.attr in {"append", "extend", "insert"} and name == "warnings":
                sites.append(ast.unparse(node)[:80])
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "notes" for t in node.targets
        ):
            if any(isinstance(n, ast.JoinedStr) for n in ast.walk(node.value)):
                sites.append(ast.unparse(node)[:80])
    return sites


def test_every_warning_the_core_writes_is_a_kind_with_a_dutch_sentence() -> None:
    sites = [s for m in (context, *gate_modules(), transaction, carry) for s in _warning_sites(m)]
    # One note per ignored type (context.py), six of the gate, two of the transaction (the letter
    # that cannot reach the GP electronically, one kind per reason: ehealthbox.UNREACHABLE, and a
    # message too large), one of the carried record (a national number not matched on).
    assert len(sites) == 10 and len(KINDS) == 8 + len(UNREACHABLE), (
        "a warning was added or removed in the core: give it a kind in core/warnings_nl.py and "
        f"a sentence in phrases.WARNING_PHRASES: {sites}"
    )
    assert set(KINDS) == set(NL_BE_WARNINGS)


@pytest.mark.parametrize("code", sorted(NL_BE_WARNINGS))
def test_the_dutch_sentences_are_not_english(code: str) -> None:
    sentence = f" {NL_BE_WARNINGS[code]} "
    for english in (" the ", " has no ", " not ", " and ", " must ", " with ", " by "):
        assert english not in sentence, (code, english)


# --- each warning, made by a record (tests/support/warning_records.py) -------------

_NOT_ELECTRONIC_NL = (
    "De huisarts kan de brief niet elektronisch ontvangen (geen KMEHR-bericht naar de eHealthBox): "
)
_HAND_OVER_NL = "; geef de brief op papier mee aan de patiënt of bezorg hem zelf."

# What the English says, and what its Dutch must say instead (the values included).
ENGLISH = {
    "entries-ignored": "Bundle entries ignored: 2 AllergyIntolerance",
    "older-patient": "the patient is 70 or older",
    "nsaid-caution": "NSAIDs carry more risk for this patient",
    "report-free-text": "the report DiagnosticReport/xray has a free-text conclusion",
    "medication-by-name": "home medication without an ATC code was screened by its name only",
    "no-general-practitioner": "the patient has no general practitioner on record",
    "general-practitioner-not-in-use": "the patient's general practitioner on record is not in use",
    "national-number-not-matched": "the NIHDI number of Practitioner/lbp-example-gp",
    **{f"not-electronic-{reason}": unreachable_warning(reason) for reason in UNREACHABLE},
}
DUTCH = {
    "entries-ignored": (
        "De meegestuurde Bundle bevat 2 × AllergyIntolerance: genegeerd, want dat hoort niet "
        "bij een ontslagcontext."
    ),
    "older-patient": (
        "De patiënt is 70 jaar of ouder: een fractuur of maligniteit is op die leeftijd "
        "waarschijnlijker, en NSAID's houden meer risico in (NICE NG59 1.2.13); de brief raadt "
        "voorzichtigheid aan met NSAID's."
    ),
    "nsaid-caution": (
        "NSAID's houden voor deze patiënt meer risico in (een anticoagulans of plaatjesremmer, "
        "nierinsufficiëntie in het dossier; NICE NG59 1.2.13): de brief raadt voorzichtigheid "
        "aan met NSAID's."
    ),
    "report-free-text": (
        "Het verslag DiagnosticReport/xray heeft een besluit in vrije tekst dat de dienst niet "
        "kan lezen: de brief citeert het zoals het er staat; lees het voor u de brief bevestigt."
    ),
    "medication-by-name": (
        "Thuismedicatie zonder ATC-code werd enkel op haar naam nagekeken: "
        "MedicationStatement/paracetamol; voeg de ATC-code toe om ze per klasse na te kijken."
    ),
    "no-general-practitioner": (
        "Er staat geen huisarts van de patiënt in het dossier (Patient.generalPractitioner): de "
        "brief is gericht aan de behandelende huisarts, en de opvolgtaken aan de patiënt."
    ),
    "general-practitioner-not-in-use": (
        "De huisarts van de patiënt in het dossier is niet meer actief "
        "(Practitioner/lbp-example-gp, active false): de brief is gericht aan de behandelende "
        "huisarts, en de opvolgtaken aan de patiënt."
    ),
    "national-number-not-matched": (
        "Het RIZIV-nummer van Practitioner/lbp-example-gp is ongeldig: er wordt niet op gezocht "
        "op de FHIR-server en het wordt niet met de brief meegeschreven; verbeter het in het EPD."
    ),
    **{
        f"not-electronic-{reason}": f"{_NOT_ELECTRONIC_NL}{why}{_HAND_OVER_NL}"
        for reason, why in {
            "no-general-practitioner": "er staat geen huisarts van de patiënt in het dossier",
            "general-practitioner-no-nihdi": (
                "de huisarts in het dossier heeft geen RIZIV-nummer van een arts"
            ),
            "general-practitioner-nihdi-invalid": (
                "het RIZIV-nummer van de huisarts is geen geldig artsennummer (11 cijfers, "
                "beginnend met 1, juiste controlecijfers)"
            ),
            "patient-no-ssin": (
                "de patiënt heeft geen INSZ (rijksregister- of bisnummer) in het dossier"
            ),
            "patient-ssin-invalid": "het INSZ van de patiënt klopt niet (controlecijfers)",
            "patient-no-name": "de naam van de patiënt staat niet in het dossier",
            "physician-no-nihdi": (
                "de arts die de brief ondertekent, heeft geen RIZIV-nummer in het dossier"
            ),
            "physician-nihdi-invalid": (
                "het RIZIV-nummer van de arts die de brief ondertekent, is geen geldig artsennummer"
            ),
            "hospital-no-nihdi": "het ziekenhuis heeft geen RIZIV-nummer in het dossier",
            "hospital-nihdi-invalid": (
                "het RIZIV-nummer van het ziekenhuis is geen geldig ziekenhuisnummer"
            ),
            "message-too-large": (
                "het bericht zou groter zijn dan de 10 MB die de eHealthBox toelaat"
            ),
        }.items()
    },
}


def test_a_record_makes_every_warning_of_the_catalogue() -> None:
    assert set(RECORDS) == set(DUTCH) == set(NL_BE_WARNINGS)


def test_the_example_has_no_warning() -> None:
    assert discharge_warnings(build(happy_bundle())) == ()


@pytest.mark.parametrize("code", sorted(RECORDS))
def test_each_warning_is_shown_in_dutch_and_its_english_is_not(code: str) -> None:
    discharge = RECORDS[code]()
    (english,) = [w for w in discharge.warnings if w.startswith(ENGLISH[code])]
    (said,) = [w for w in discharge_warnings(discharge) if w.message == english]
    assert said == DischargeWarning(english, code, DUTCH[code])
    # The sentence needs exactly the values the warning has: none is left unfilled.
    fields = {f for _, f, _, _ in string.Formatter().parse(NL_BE_WARNINGS[code]) if f}
    assert "{" not in DUTCH[code] and len(fields) <= 2
    # What the app's page shows (message_nl, else message) is the Dutch, not the English.
    (shown,) = [w for w in warning_texts(discharge) if w["message"] == english]
    assert shown == {"message": english, "code": code, "message_nl": DUTCH[code]}
    page = shown["message_nl"] or shown["message"]
    assert page == DUTCH[code] and ENGLISH[code] not in page
    # The API keeps its English: the warnings and the operation's OperationOutcome.
    assert english in discharge.warnings
    outcome = warnings_outcome(list(discharge.warnings))
    assert english in [i["diagnostics"] for i in outcome["issue"]]


def test_every_warning_of_one_discharge_is_said_in_its_order() -> None:
    bundle = add(happy_bundle(), allergy("a1"))
    patient = resource(bundle, "Patient")
    patient["birthDate"] = "1948-06-02"
    del patient["generalPractitioner"]
    resource(bundle, "Practitioner", "lbp-example-ed-physician")["identifier"][0]["value"] = "1"
    discharge = build(bundle, carry=True)
    said = discharge_warnings(discharge)
    assert [w.message for w in said] == list(discharge.warnings)
    assert [w.code for w in said] == [
        "entries-ignored",
        "older-patient",
        "no-general-practitioner",
        "not-electronic-no-general-practitioner",
        "not-electronic-physician-nihdi-invalid",
        "national-number-not-matched",
    ]
    assert all(w.message_nl for w in said)
    assert said[0].message_nl is not None and said[0].message_nl.startswith(
        "De meegestuurde Bundle bevat 1 × AllergyIntolerance:"
    )
    (not_matched,) = [w for w in said if w.code == "national-number-not-matched"]
    assert not_matched.message_nl == (
        "Het RIZIV-nummer van Practitioner/lbp-example-ed-physician is ongeldig: er wordt niet op "
        "gezocht op de FHIR-server en het wordt niet met de brief meegeschreven; verbeter het in "
        "het EPD."
    )


# --- what the module cannot account for: the English ---------------------------------------


def _with_warnings(discharge: Discharge, *warnings: str) -> Discharge:
    return replace(discharge, warnings=warnings)


def test_an_unknown_warning_is_shown_in_english() -> None:
    discharge = _with_warnings(build(happy_bundle()), "a warning of a newer core")
    assert discharge_warnings(discharge) == (DischargeWarning("a warning of a newer core"),)
    assert warning_texts(discharge) == [
        {"message": "a warning of a newer core", "code": None, "message_nl": None}
    ]


def test_a_changed_english_sentence_is_not_said_with_the_old_dutch() -> None:
    (older,) = older_patient().warnings
    changed = older.replace("caution with NSAIDs", "caution with NSAIDs and opioids")
    (said,) = discharge_warnings(_with_warnings(older_patient(), changed))
    assert said == DischargeWarning(changed)


@pytest.mark.parametrize(
    ("code", "backed_by"),
    [
        ("older-patient", no_general_practitioner),  # a patient of 44
        ("no-general-practitioner", older_patient),  # a GP on record
        ("entries-ignored", older_patient),  # not one of the context's notes
        ("national-number-not-matched", older_patient),  # the record was not carried
        ("not-electronic-patient-no-ssin", older_patient),  # the SSIN is on record
        ("not-electronic-no-general-practitioner", older_patient),  # a GP on record
        ("not-electronic-message-too-large", no_general_practitioner),  # nothing was built
    ],
)
def test_a_warning_the_facts_do_not_back_is_shown_in_english(
    code: str, backed_by: Callable[[], Discharge]
) -> None:
    (english,) = [w for w in RECORDS[code]().warnings if w.startswith(ENGLISH[code])]
    (said,) = discharge_warnings(_with_warnings(backed_by(), english))
    assert said == DischargeWarning(english)


@pytest.mark.parametrize(
    "warning",
    [
        "Bundle entries ignored: 1 <img src=x onerror=alert(1)> (not part of a discharge context)",
        "Bundle entries ignored: 1 {resource_type} (not part of a discharge context)",
        "the NIHDI number of Practitioner/<b>x</b> fails its NIHDI check digits: it is not "
        "matched on the FHIR server nor written with the letter; correct it in the EHR",
    ],
    ids=["markup", "placeholder", "markup reference"],
)
def test_a_warning_with_a_value_that_is_not_a_record_value_stays_plain_english(
    warning: str,
) -> None:
    # Values are a number, a resource type, Type/id references; anything else is not filled
    # into a Dutch sentence, and the English is kept exactly (the page puts it in as text).
    discharge = ignored_entries()
    discharge = replace(
        discharge,
        warnings=(warning,),
        facts=replace(
            discharge.facts,
            context=replace(discharge.facts.context, notes=(warning,), carry_record=True),
        ),
    )
    (said,) = discharge_warnings(discharge)
    assert said == DischargeWarning(warning)


def test_only_dutch_is_catalogued() -> None:
    discharge = older_patient()
    (said,) = discharge_warnings(discharge, "fr-BE")
    assert said.code == "older-patient" and said.message_nl is None
