"""A discharge's warnings in Dutch for the physician's app and the CDS card (core/i18n/said.py,
the `warnings` of core/i18n/nl-BE.toml; tests/asgi/test_catalogues.py holds the other languages
to the same keys).

Every place the core writes a warning (read from the source of context.py, the gate's modules,
transaction.py, ehealthbox.py and carry.py) gives it a code, and the catalogue has a Dutch
sentence for each code and no other. A real record built with the factories makes each warning,
through the core: the app's answer shows the Dutch sentence, said by the warning's code and
values, and the English stays the API's, with the code in the OperationOutcome. Nothing reads the
English back: a warning is said by its code whatever its English says.
"""

from __future__ import annotations

import ast
import inspect
import string
from dataclasses import replace
from typing import Any

import pytest

from fhir_discharge.core import transaction
from fhir_discharge.core.app_preview import warning_texts
from fhir_discharge.core.gate import findings as gate_findings
from fhir_discharge.core.gp_message import ehealthbox
from fhir_discharge.core.gp_message.ehealthbox import UNREACHABLE, unreachable_warning
from fhir_discharge.core.i18n.catalogue import catalogue
from fhir_discharge.core.i18n.said import warning_text
from fhir_discharge.core.letter import facts as letter_facts
from fhir_discharge.core.record import carry, context
from fhir_discharge.errors import WARNING_DISPLAYS, DischargeWarning, warnings_outcome
from fhir_discharge.io import discharging
from tests.support.factories import add, happy_bundle, resource
from tests.support.gate import gate_modules
from tests.support.site import SITE
from tests.support.warning_records import (
    RECORDS,
    allergy,
    build,
    no_general_practitioner,
    older_patient,
)

NL_BE_WARNINGS = catalogue("nl-BE").warnings

# --- the codes and the catalogue ----------------------------------------------------------


def _warning_codes(module: Any) -> tuple[set[str], list[str]]:
    """The codes `module` gives the warnings it writes (DischargeWarning(message, code, ...),
    Findings.warn(message, code, ...)), and the calls whose code is not a literal."""
    tree = ast.parse(inspect.getsource(module))
    codes: set[str] = set()
    unread: list[str] = []
    for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
        func = call.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if name not in ("DischargeWarning", "warn") or len(call.args) < 2:
            continue
        code = call.args[1]
        if isinstance(code, ast.Constant) and isinstance(code.value, str):
            codes.add(code.value)
        elif isinstance(code, ast.JoinedStr):  # ehealthbox: f"not-electronic-{reason}"
            codes |= {f"not-electronic-{reason}" for reason in UNREACHABLE}
        else:
            unread.append(ast.unparse(call)[:80])
    return codes, unread


def test_every_warning_the_core_writes_is_a_kind_with_a_dutch_sentence() -> None:
    codes: set[str] = set()
    unread: list[str] = []
    modules = (context, *gate_modules(), transaction, letter_facts, ehealthbox, carry)
    for module in modules:
        found, missed = _warning_codes(module)
        codes |= found
        unread += missed
    # Findings.warn forwards the code it is given (gate/findings.py): not a site of its own.
    forwarded, forwarders = _warning_codes(gate_findings)
    assert forwarded == set() and forwarders == ["DischargeWarning(message, code, params)"]
    assert [call for call in unread if call not in forwarders] == []
    # io/discharging.py: the FHIR server not asked for the letter's earlier versions
    io_codes, io_unread = _warning_codes(discharging)
    codes |= io_codes
    unread += io_unread
    assert len(codes) == 12 + len(UNREACHABLE), (
        "a warning was added or removed in the core: give it a code in errors.WARNING_DISPLAYS "
        f"and a sentence in every catalogue (core/i18n/*.toml): {sorted(codes)}"
    )
    assert codes == set(WARNING_DISPLAYS) == set(NL_BE_WARNINGS)


@pytest.mark.parametrize("code", sorted(NL_BE_WARNINGS))
def test_the_dutch_sentences_are_not_english(code: str) -> None:
    sentence = f" {NL_BE_WARNINGS[code]} "
    for english in (" the ", " has no ", " not ", " and ", " must ", " with ", " by "):
        assert english not in sentence, (code, english)


# --- each warning, made by a record -------------------------------------------------------


_NOT_ELECTRONIC_NL = (
    "De huisarts kan de brief niet elektronisch ontvangen (geen KMEHR-bericht naar de eHealthBox): "
)
_HAND_OVER_NL = "; geef de brief op papier mee aan de patiënt of bezorg hem zelf."

# What the English says, and what its Dutch must say instead (the values included).
ENGLISH = {
    "entries-ignored": "Bundle entries ignored: 2 AllergyIntolerance",
    "older-patient": "the patient is 70 or older",
    "screening-after-visit": "the red-flag screening was documented more than 2 hours after",
    "nsaid-caution": "NSAIDs carry more risk for this patient",
    "report-free-text": "the report DiagnosticReport/xray has a free-text conclusion",
    "medication-by-name": "home medication without an ATC code was screened by its name only",
    "no-general-practitioner": "the patient has no general practitioner on record",
    "general-practitioner-not-in-use": "the patient's general practitioner on record is not in use",
    "national-number-not-matched": "the NIHDI number of Practitioner/lbp-example-gp",
    "letter-language-not-available": "the GP reads de, a language this service has no letter",
    "brochure-not-in-letter-language": "the hospital's brochure is not published in en",
    **{f"not-electronic-{reason}": unreachable_warning(reason).message for reason in UNREACHABLE},
}
DUTCH = {
    "letter-language-not-available": (
        "De huisarts leest de, een taal waarin deze dienst geen brief heeft: de brief is in "
        "het Nederlands (de standaardtaal van het ziekenhuis), niet vertaald."
    ),
    "brochure-not-in-letter-language": (
        "De brochure van het ziekenhuis bestaat niet in de taal van de brief: de brief verwijst "
        "naar die in het Nederlands en zegt dat erbij."
    ),
    "entries-ignored": (
        "De meegestuurde Bundle bevat 2 × AllergyIntolerance: genegeerd, want dat hoort niet "
        "bij een ontslagcontext."
    ),
    "screening-after-visit": (
        "De screening is gedocumenteerd meer dan 2 uur na het einde van het bezoek: de brief "
        "meldt ze als de screening bij het ontslag; kijk na of dit het juiste bezoek is en of de "
        "antwoorden de toestand van de patiënt bij het vertrek weergeven."
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


# Warnings the I/O layer gives, not a record (tests/integration/test_letter_versions.py).
IO_WARNINGS = {discharging.LOOKUP_FAILED_WARNING.code}


def test_a_record_makes_every_warning_of_the_catalogue() -> None:
    assert set(RECORDS) == set(DUTCH) == set(NL_BE_WARNINGS) - IO_WARNINGS


def test_the_warning_of_letters_not_looked_up_is_said_in_dutch() -> None:
    said = warning_text(discharging.LOOKUP_FAILED_WARNING, "nl-BE")
    assert said is not None and "eerder geschreven" in said
    assert discharging.LOOKUP_FAILED_WARNING.message not in said


def test_the_example_has_no_warning() -> None:
    assert build(happy_bundle()).warnings == ()


@pytest.mark.parametrize("code", sorted(RECORDS))
def test_each_warning_is_shown_in_dutch_and_its_english_is_not(code: str) -> None:
    discharge = RECORDS[code]()
    (warning,) = [w for w in discharge.warnings if w.message.startswith(ENGLISH[code])]
    assert warning.code == code
    assert warning_text(warning, "nl-BE") == DUTCH[code]
    # The sentence needs exactly the values the warning has: none is left unfilled.
    fields = {f for _, f, _, _ in string.Formatter().parse(NL_BE_WARNINGS[code]) if f}
    assert fields == set(warning.params)
    assert "{" not in DUTCH[code]
    # What the app's page shows (text, else message) is the Dutch, not the English.
    (shown,) = [w for w in warning_texts(discharge, SITE) if w["message"] == warning.message]
    assert shown == {"message": warning.message, "code": code, "text": DUTCH[code]}
    assert ENGLISH[code] not in shown["text"]
    # The API keeps its English, and carries the code: the operation's OperationOutcome.
    outcome = warnings_outcome(discharge.warnings, SITE.canonical_base)
    (issue,) = [i for i in outcome["issue"] if i["diagnostics"] == warning.message]
    assert issue["details"]["coding"] == [
        {
            "system": f"{SITE.canonical_base}/CodeSystem/lbp-discharge-warning",
            "code": code,
            "display": WARNING_DISPLAYS[code],
        }
    ]


def test_every_warning_of_one_discharge_is_said_in_its_order() -> None:
    bundle = add(happy_bundle(), allergy("a1"))
    patient = resource(bundle, "Patient")
    patient["birthDate"] = "1948-06-02"
    del patient["generalPractitioner"]
    resource(bundle, "Practitioner", "lbp-example-ed-physician")["identifier"][0]["value"] = "1"
    discharge = build(bundle, carry=True)
    said = warning_texts(discharge, SITE)
    assert [w["message"] for w in said] == [w.message for w in discharge.warnings]
    assert [w["code"] for w in said] == [
        "entries-ignored",
        "older-patient",
        "no-general-practitioner",
        "not-electronic-no-general-practitioner",
        "not-electronic-physician-nihdi-invalid",
        "national-number-not-matched",
    ]
    assert said[0]["text"].startswith("De meegestuurde Bundle bevat 1 × AllergyIntolerance:")
    (not_matched,) = [w for w in said if w["code"] == "national-number-not-matched"]
    assert not_matched["text"] == (
        "Het RIZIV-nummer van Practitioner/lbp-example-ed-physician is ongeldig: er wordt niet op "
        "gezocht op de FHIR-server en het wordt niet met de brief meegeschreven; verbeter het in "
        "het EPD."
    )


# --- said by the code, never by the English ------------------------------------------------


def test_a_changed_english_sentence_is_not_said_with_the_old_dutch() -> None:
    # The Dutch follows the warning's code and values, whatever its English says: changing the
    # English (for integrators) cannot make the app say another warning's sentence.
    (older,) = older_patient().warnings
    changed = replace(older, message=older.message + " and opioids")
    assert warning_text(changed, "nl-BE") == DUTCH["older-patient"]
    # ... and an English that reads like another warning does not make it that one.
    disguised = replace(older, message=no_general_practitioner().warnings[0].message)
    assert warning_text(disguised, "nl-BE") == DUTCH["older-patient"]


def test_a_warning_the_facts_do_not_back_is_shown_in_english() -> None:
    # A warning without a code (an outbox item written before warnings had codes) or whose
    # values do not fill its sentence (a newer core's) is shown in English, as the API says it.
    uncoded = DischargeWarning("a warning of an older outbox item", "")
    half = DischargeWarning("NSAIDs carry more risk", "nsaid-caution", {})
    discharge = replace(build(happy_bundle()), warnings=(uncoded, half))
    assert [warning_text(w, "nl-BE") for w in discharge.warnings] == [None, None]
    assert warning_texts(discharge, SITE) == [
        {"message": uncoded.message, "code": "", "text": uncoded.message},
        {"message": half.message, "code": "nsaid-caution", "text": half.message},
    ]
    assert "details" not in warnings_outcome([uncoded], SITE.canonical_base)["issue"][0]


def test_each_warning_is_said_in_every_language() -> None:
    (older,) = older_patient().warnings
    assert warning_text(older, "fr-BE") == (
        "Le patient a 70 ans ou plus : à cet âge, une fracture ou une tumeur maligne est plus "
        "probable, et les AINS comportent plus de risques (NICE NG59 1.2.13) ; la lettre "
        "recommande la prudence avec les AINS."
    )
    assert warning_text(older, "en") == (
        "The patient is 70 or older: fracture and malignancy are more likely at that age, and "
        "NSAIDs carry more risk (NICE NG59 1.2.13); the letter advises caution with NSAIDs."
    )
