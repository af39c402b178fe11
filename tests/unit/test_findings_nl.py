"""The gate's findings in Dutch for the physician's app (core/i18n/said.py, the `findings` of
core/i18n/nl-BE.toml; tests/asgi/test_catalogues.py holds the other languages to the same keys).

Every finding the gate can give has a code (read from the source of core/gate/), the catalogue has
a Dutch sentence for each code and for no other, and a real record built with the factories
makes the gate give each one: the sentence is filled with the finding's own values, and the
app's answer carries it beside the English message. Findings without a code fall back to English.
"""

from __future__ import annotations

import ast
import inspect
import string
from typing import Any

import pytest

from fhir_discharge import IncompleteRecord, NotOnPathway
from fhir_discharge.core.app_preview import gate_reasons
from fhir_discharge.core.codes import RED_FLAG_LABELS, SNOMED
from fhir_discharge.core.gate.record import NOT_HOLDING_CLINICAL
from fhir_discharge.core.i18n import said as saying
from fhir_discharge.core.i18n.catalogue import catalogue
from fhir_discharge.core.pathway.definition import BROCHURE_GIVEN, SCREENING_RED_FLAG_ITEMS
from fhir_discharge.core.record import matching
from fhir_discharge.errors import Finding, operation_outcome
from fhir_discharge.io import discharging, launch_record, terminology
from tests.support.factories import (
    add,
    condition,
    happy_bundle,
)
from tests.support.finding_records import RECORDS, SERVER_FINDINGS, named, server_conflicts
from tests.support.gate import gate_modules, gate_refusal
from tests.support.site import SITE

NL_BE_FINDINGS = catalogue("nl-BE").findings
NL_BE_FINDING_VALUES = catalogue("nl-BE").values


def finding_text(finding: Finding, language: str = "nl-BE") -> str | None:
    return saying.finding_text(finding, language)


# The helpers that pass a finding's code on; the code itself is given where they are called.
_FINDING_CALLS = {"off": 2, "missing": 2, "once": 0, "Finding": 2}
# Functions that forward a code another function chose (record_scan.py: red_flag), and the
# functions that choose it: each returns a tuple whose first element is the code.
_FORWARDERS = {"red_flag"}
_CODE_CHOOSERS = {"_finding_kind"}


def _codes_in_source(module: Any) -> tuple[set[str], list[str]]:
    """Every finding code written in `module`, and the calls that give a finding no code."""
    tree = ast.parse(inspect.getsource(module))
    codes: set[str] = set()
    uncoded: list[str] = []
    for function in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
        if function.name in _CODE_CHOOSERS:
            codes |= {
                node.value.elts[0].value
                for node in ast.walk(function)
                if isinstance(node, ast.Return)
                and isinstance(node.value, ast.Tuple)
                and isinstance(node.value.elts[0], ast.Constant)
                and isinstance(node.value.elts[0].value, str)
            }
            continue
        if function.name in _FINDING_CALLS or function.name in _FORWARDERS:
            continue  # the helpers themselves: they forward the code they were given
        assigned: dict[str, list[ast.expr]] = {}
        for node in ast.walk(function):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        assigned.setdefault(target.id, []).append(node.value)
        for call in (n for n in ast.walk(function) if isinstance(n, ast.Call)):
            func = call.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name not in _FINDING_CALLS:
                continue
            position = _FINDING_CALLS[name]
            given = [k.value for k in call.keywords if k.arg == "code"]
            argument = call.args[position] if len(call.args) > position else None
            expressions = [argument] if argument is not None else given
            if isinstance(argument, ast.Name):
                expressions = assigned.get(argument.id, [])
            found = {
                c.value
                for e in expressions
                for c in ast.walk(e)
                if isinstance(c, ast.Constant) and isinstance(c.value, str)
            }
            codes |= found
            if not found:
                uncoded.append(ast.unparse(call)[:120])
    return codes, uncoded


def test_every_finding_of_the_gate_has_a_code_and_every_code_a_dutch_sentence() -> None:
    codes: set[str] = set()
    uncoded: list[str] = []
    for module in gate_modules():
        found, missed = _codes_in_source(module)
        codes |= found
        uncoded += missed
    # and the refusals of what the FHIR server already holds (core/record/matching.py)
    server_codes, server_uncoded = _codes_in_source(matching)
    assert server_codes == SERVER_FINDINGS | {CORRECTION_OF_ANOTHER} and server_uncoded == []
    codes |= server_codes
    # and the refusals of a correction, and the app's of a screening once discharged
    # (io/discharging.py)
    correction_codes, correction_uncoded = _codes_in_source(discharging)
    assert correction_codes == CORRECTION_FINDINGS - {CORRECTION_OF_ANOTHER} | {ALREADY_DISCHARGED}
    assert correction_uncoded == []
    codes |= correction_codes
    # and of what the terminology server says of the record's codes (io/terminology.py)
    terminology_codes, terminology_uncoded = _codes_in_source(terminology)
    assert terminology_codes == TERMINOLOGY_FINDINGS and terminology_uncoded == []
    codes |= terminology_codes
    assert uncoded == []
    assert len(codes) >= 30  # the reader found the codes, not nothing
    assert codes == set(NL_BE_FINDINGS), (
        f"no Dutch sentence: {sorted(codes - set(NL_BE_FINDINGS))}; "
        f"no such finding: {sorted(set(NL_BE_FINDINGS) - codes)}"
    )
    app_codes, app_uncoded = _codes_in_source(launch_record)
    assert app_uncoded == [] and app_codes <= set(NL_BE_FINDINGS)


def test_the_catalogue_says_every_red_flag_and_every_screening_item() -> None:
    assert set(NL_BE_FINDING_VALUES["red_flag"]) == set(RED_FLAG_LABELS)
    assert set(NL_BE_FINDING_VALUES["items"]) == {*SCREENING_RED_FLAG_ITEMS, BROCHURE_GIVEN}
    assert set(NL_BE_FINDING_VALUES["clinical_status"]) == NOT_HOLDING_CLINICAL


@pytest.mark.parametrize("code", sorted(NL_BE_FINDINGS))
def test_the_dutch_sentences_are_not_english(code: str) -> None:
    sentence = f" {NL_BE_FINDINGS[code]} "
    for english in (" the ", " is not ", " of this ", " has no ", " not ", " and "):
        assert english not in sentence, (code, english)


# --- each finding, made by a record -------------------------------------------------------------


def test_a_record_makes_every_finding_of_the_catalogue() -> None:
    # A record alone makes every finding of the gate; the others need a server that holds
    # someone else's record, or a terminology server that does not know a code (below).
    assert set(RECORDS) == (
        set(NL_BE_FINDINGS)
        - SERVER_FINDINGS
        - TERMINOLOGY_FINDINGS
        - CORRECTION_FINDINGS
        - {ALREADY_DISCHARGED}
    )


# --- what the FHIR server already holds (core/record/matching.py) ----------------------------


def test_every_server_finding_is_said_in_dutch_with_its_own_values() -> None:
    findings = server_conflicts()
    assert {f.code for f in findings} == SERVER_FINDINGS
    for finding in findings:
        assert finding.code is not None
        template = NL_BE_FINDINGS[finding.code]
        fields = {f for _, f, _, _ in string.Formatter().parse(template) if f}
        assert fields == set(finding.params)
        text = finding_text(finding)
        assert text and text[0].isupper() and text.endswith(".") and "{" not in text
        for field in fields:
            for said in _said(finding.params[field], NL_BE_FINDING_VALUES.get(field, {})):
                assert said in text, (field, said, text)
    conflict = next(f for f in findings if f.code == "patient-identity-conflict")
    assert "(andere naam, geboortedatum)" in str(finding_text(conflict))


# --- what the terminology server says of the record's codes (io/terminology.py) ---------------

TERMINOLOGY_FINDINGS = {"code-unknown-to-terminology-server"}


def test_a_code_the_terminology_server_does_not_know_is_said_in_dutch_with_its_values() -> None:
    # The real server's refusal: tests/integration/test_terminology_hapi.py (HAPI FHIR does not
    # know it).
    finding = terminology.unknown_code_finding("1234567890123", "Condition/problem-0")
    assert finding.code in TERMINOLOGY_FINDINGS
    template = NL_BE_FINDINGS["code-unknown-to-terminology-server"]
    assert {f for _, f, _, _ in string.Formatter().parse(template) if f} == set(finding.params)
    assert finding_text(finding) == (
        "SNOMED CT-code 1234567890123 in Condition/problem-0 is onbekend bij de "
        "terminologieserver: of het een alarmsignaal is (of een verfijning ervan) valt niet na "
        "te gaan; codeer het met een concept uit de SNOMED CT-editie van de server, of markeer "
        "het als entered-in-error."
    )
    [issue] = operation_outcome(IncompleteRecord("unknown", [finding]), SITE.canonical_base)[
        "issue"
    ]
    assert issue["details"]["coding"][0]["code"] == "code-unknown-to-terminology-server"
    assert issue["expression"] == ["Condition/problem-0"]
    # What the app's page and the CDS card show: the Dutch, beside the English
    [shown] = gate_reasons(IncompleteRecord("unknown", [finding]), SITE)["findings"]
    assert shown["text"] == finding_text(finding)


# --- what refuses a correction of the letter (io/discharging.py, core/record/matching.py) -------

CORRECTION_OF_ANOTHER = "letter-version-of-another-patient"
CORRECTION_FINDINGS = {"letter-versions-exhausted", CORRECTION_OF_ANOTHER}


def test_the_refusals_of_a_correction_are_said_in_dutch_with_what_to_do() -> None:
    # On the servers: tests/integration/test_letter_corrections.py.
    exhausted = discharging.letter_versions_exhausted(20)
    [another] = matching.correction_conflicts(
        [{"resourceType": "Composition", "subject": {"reference": "Patient/p7"}}], "Patient/p1"
    )
    assert {exhausted.code, another.code} == CORRECTION_FINDINGS
    assert finding_text(exhausted) == (
        "De brief van dit bezoek heeft al 20 versies, het maximum dat deze dienst schrijft: er "
        "werd geen verbeterde brief geschreven; bezorg de huisarts de verbetering op een andere "
        "manier (een brief of een telefoontje) en meld aan de ICT-dienst dat het dossier blijft "
        "veranderen."
    )
    assert "een andere patiënt" in str(finding_text(another))
    for finding in (exhausted, another):
        template = NL_BE_FINDINGS[str(finding.code)]
        assert {f for _, f, _, _ in string.Formatter().parse(template) if f} == set(finding.params)
        [issue] = operation_outcome(IncompleteRecord("x", [finding]), SITE.canonical_base)["issue"]
        assert issue["details"]["coding"][0]["code"] == finding.code


# --- the physician's app: a screening for an encounter discharged already (409) ----------------

ALREADY_DISCHARGED = "encounter-already-discharged"


def test_a_screening_once_discharged_is_refused_in_dutch_with_what_to_do() -> None:
    # In the app: tests/integration/test_app_workflow.py.
    letter = discharging.StoredLetter({"resourceType": "Composition", "id": "c1"}, None)
    finding = discharging.encounter_already_discharged(letter)
    assert finding.code == ALREADY_DISCHARGED
    assert finding_text(finding) == (
        "Dit bezoek werd al ontslagen door deze dienst (de ontslagbrief staat op de FHIR-server): "
        "uw screening werd niet opgeslagen, er werd niets geschreven; herlaad de app om het "
        "ontslag en de brief te zien."
    )
    assert "Composition/c1" not in str(finding_text(finding))  # the id for the ICT service only
    assert "Composition/c1" in finding.message


def _said(value: object, names: dict[str, str]) -> list[str]:
    if isinstance(value, tuple):
        return [names.get(v, v) for v in value]
    if isinstance(value, float):
        return [f"{value:.1f}".replace(".", ",")]
    return [names.get(str(value), str(value))]


_SAID_WITHOUT_THE_QUESTIONNAIRE = frozenset(
    {"screening-missing", "screening-not-completed", "screening-of-another-encounter"}
)


@pytest.mark.parametrize("code", sorted(RECORDS))
def test_each_finding_is_said_in_dutch_with_its_own_values(code: str) -> None:
    refusal = gate_refusal(RECORDS[code]())
    finding = next((f for f in refusal.findings if f.code == code), None)
    assert finding is not None, [(f.code, f.message) for f in refusal.findings]
    # The values are those the English message was built from (a red flag by its label).
    english = {"red_flag": RED_FLAG_LABELS}
    for name, value in finding.params.items():
        for part in value if isinstance(value, tuple) else (value,):
            if isinstance(part, float):
                part = f"{part:.1f}"
            assert english.get(name, {}).get(part, part) in finding.message, (name, part)
    # The sentence needs exactly the values the finding has, and says each of them.
    template = NL_BE_FINDINGS[code]
    fields = {f for _, f, _, _ in string.Formatter().parse(template) if f}
    # Left unsaid on purpose: an unnamed diagnosis's (empty) name, and the screening
    # Questionnaire's canonical URL (the physician documents the screening in the app, and the
    # card speaks no FHIR: issue 22, point 6); the API's English still names it.
    unsaid = {"name"} if code == "other-diagnosis-unnamed" else set()
    if code in _SAID_WITHOUT_THE_QUESTIONNAIRE:
        unsaid = {"questionnaire"}
    assert fields == set(finding.params) - unsaid
    text = finding_text(finding)
    assert text and text[0].isupper() and text.endswith(".")
    assert "{" not in text and text != finding.message
    for field in fields:
        for said in _said(finding.params[field], NL_BE_FINDING_VALUES.get(field, {})):
            assert said in text or said[:1].upper() + said[1:] in text, (field, said, text)
    # The app's answer carries it beside the English, for every finding of the refusal.
    answer_ = gate_reasons(refusal, SITE)
    assert answer_["outcome"] == (
        "off-pathway" if isinstance(refusal, NotOnPathway) else "incomplete"
    )
    for given, shown in zip(refusal.findings, answer_["findings"], strict=True):
        assert shown["message"] == given.message
        assert shown["expression"] == given.expression
        assert shown["code"] == given.code in NL_BE_FINDINGS
        assert shown["text"] == finding_text(given) and shown["text"]
    # The API's OperationOutcome is unchanged: English, as integrators read it.
    outcome = operation_outcome(refusal, SITE.canonical_base)
    assert [i["diagnostics"] for i in outcome["issue"]] == [f.message for f in refusal.findings]


def test_what_a_few_findings_say() -> None:
    def said(code: str) -> str:
        refusal = gate_refusal(RECORDS[code]())
        return next(str(finding_text(f)) for f in refusal.findings if f.code == code)

    assert said("fever") == (
        "Infectie (koorts, spinale infectie, sepsis, intraveneus druggebruik, "
        "immunosuppressie): lichaamstemperatuur 38,6 °C bij dit bezoek (koorts vanaf 38,0 °C)."
    )
    assert said("red-flag-history").startswith("Maligniteit (voorgeschiedenis van kanker")
    assert "in de voorgeschiedenis (in remissie) (" in said("red-flag-history")
    assert ", C50.9)." in said("red-flag-history")
    assert said("red-flag-screening") == (
        "Caudasyndroom (zadelanesthesie, urineretentie of urine-incontinentie, fecale "
        "incontinentie, erectiestoornis): aanwezig volgens de screening op alarmsignalen door "
        "de arts."
    )
    assert said("screening-incomplete").endswith("(één valueBoolean): maligniteit.")
    assert said("screening-unknown-items").endswith("die het zorgpad niet kent: pain-score.")
    assert said("encounter-not-finished").startswith(
        "Het bezoek is niet afgesloten (status 'in-progress')"
    )
    assert said("other-diagnosis") == (
        "Een andere diagnose bij dit bezoek: Verstuiking enkel (de brief zou die niet kunnen "
        "beschrijven)."
    )


def test_a_value_that_looks_like_markup_or_a_placeholder_is_kept_as_plain_text() -> None:
    # The page puts the text in as text (app.js: textContent); here it stays as recorded.
    name = "<img src=x onerror=alert(1)> {red_flag}"
    refusal = gate_refusal(
        add(happy_bundle(), named(condition("sprain", SNOMED, "44465007"), name))
    )
    said = gate_reasons(refusal, SITE)["findings"]
    (shown,) = [f for f in said if f["code"] == "other-diagnosis"]
    assert shown["text"] == (
        f"Een andere diagnose bij dit bezoek: {name} (de brief zou die niet kunnen beschrijven)."
    )


# --- no Dutch sentence: the English one ----------------------------------------------------------


@pytest.mark.parametrize(
    "finding",
    [
        Finding("the record lacks the Patient"),  # a refusal from outside the gate: no code
        Finding("something new", "Encounter", "no-such-code"),
        Finding("the patient was not sent home", "Encounter", "disposition-not-home"),  # no value
    ],
    ids=["no code", "unknown code", "missing value"],
)
def test_a_finding_without_a_dutch_sentence_keeps_its_english_message(finding: Finding) -> None:
    assert finding_text(finding) is None
    answer_ = gate_reasons(IncompleteRecord("the record lacks something", [finding]), SITE)
    assert answer_["findings"] == [
        {
            "message": finding.message,
            "expression": finding.expression,
            "code": finding.code,
            "text": finding.message,
        }
    ]


def test_a_finding_is_said_in_each_language_by_its_code() -> None:
    finding = Finding("the patient is recorded as deceased", "Patient.deceased", "patient-deceased")
    assert finding_text(finding) == "De patiënt staat in het dossier als overleden."
    assert (
        finding_text(finding, "fr-BE") == "Le patient est enregistré comme décédé dans le dossier."
    )
    assert finding_text(finding, "en") == "The patient is recorded as deceased."
