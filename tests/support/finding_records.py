"""A record for each finding of the gate (test_findings_nl.py, test_statement_meaning.py).

`RECORDS[code]()` is a record, built with the factories from the example, that makes the gate
give the finding `code`; `server_conflicts()` gives the findings of what a FHIR server already
holds under the record's identifiers (core/matching.py), which no record alone makes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fhir_discharge import build_discharge, context_from_bundle
from fhir_discharge.core.codes import ICD10, SNOMED
from fhir_discharge.core.record import matching
from fhir_discharge.core.record.identifiers import SSIN
from fhir_discharge.errors import Finding
from tests.support.factories import (
    add,
    answer,
    clinical,
    condition,
    happy_bundle,
    remove,
    resource,
    screening,
    temperature,
)
from tests.support.site import SITE


def _set(bundle: dict[str, Any], resource_type: str, **fields: Any) -> dict[str, Any]:
    resource(bundle, resource_type).update(fields)
    return bundle


def _encounter(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    bundle = happy_bundle()
    change(resource(bundle, "Encounter"))
    return bundle


def _patient(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    bundle = happy_bundle()
    change(resource(bundle, "Patient"))
    return bundle


def _screening(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    bundle = happy_bundle()
    change(screening(bundle))
    return bundle


def named(condition_: dict[str, Any], text: str | None) -> dict[str, Any]:
    if text:
        condition_["code"]["text"] = text
    return condition_


def _diagnosis_refuted() -> dict[str, Any]:
    bundle = happy_bundle()
    resource(bundle, "Condition")["verificationStatus"]["coding"][0]["code"] = "refuted"
    return bundle


_CAUDA = {"coding": [{"system": ICD10, "code": "G83.4"}]}
_ATC = "http://www.whocc.no/atc"


def _home_medication(system: str | None, code: str) -> dict[str, Any]:
    concept = {"coding": [{"system": system, "code": code}]} if system else {"text": code}
    return {
        "resourceType": "MedicationStatement",
        "id": "home",
        "status": "active",
        "medicationCodeableConcept": concept,
        "subject": {"reference": "Patient/lbp-example-patient"},
    }


def _condition(change: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    bundle = happy_bundle()
    change(resource(bundle, "Condition"))
    return bundle


def _practitioner(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    bundle = happy_bundle()
    change(resource(bundle, "Practitioner", "lbp-example-ed-physician"))
    return bundle


def _screener_not_participant() -> dict[str, Any]:
    # The GP (a Practitioner of the record) is named as the screening's author.
    return _screening(lambda s: s.update(author={"reference": "Practitioner/lbp-example-gp"}))


RECORDS: dict[str, Callable[[], dict[str, Any]]] = {
    "patient-missing": lambda: remove(happy_bundle(), "Patient"),
    "physician-missing": lambda: remove(happy_bundle(), "Practitioner", "lbp-example-ed-physician"),
    "hospital-missing": lambda: remove(happy_bundle(), "Organization"),
    "modifier-extension": lambda: _set(
        happy_bundle(),
        "Condition",
        modifierExtension=[{"url": "http://example.org/of-a-relative", "valueBoolean": True}],
    ),
    "implicit-rules": lambda: _set(
        happy_bundle(), "Patient", implicitRules="http://example.org/local-rules"
    ),
    "encounter-not-finished": lambda: _set(happy_bundle(), "Encounter", status="in-progress"),
    "encounter-not-emergency": lambda: _encounter(lambda e: e["class"].update(code="AMB")),
    "encounter-no-start": lambda: _encounter(lambda e: e["period"].pop("start")),
    "encounter-no-end": lambda: _encounter(lambda e: e["period"].pop("end")),
    "encounter-period-reversed": lambda: _encounter(
        lambda e: e["period"].update(end="2026-11-24T12:40:00+01:00")
    ),
    "disposition-missing": lambda: _encounter(lambda e: e.pop("hospitalization")),
    "disposition-not-home": lambda: _encounter(
        lambda e: e["hospitalization"]["dischargeDisposition"]["coding"][0].update(code="hosp")
    ),
    "patient-inactive": lambda: _set(happy_bundle(), "Patient", active=False),
    "patient-replaced": lambda: _set(
        happy_bundle(),
        "Patient",
        link=[{"other": {"reference": "Patient/in-use"}, "type": "replaced-by"}],
    ),
    "patient-deceased": lambda: _set(happy_bundle(), "Patient", deceasedBoolean=True),
    "birth-date-missing": lambda: _patient(lambda p: p.pop("birthDate")),
    "patient-not-adult": lambda: _set(happy_bundle(), "Patient", birthDate="2010-01-01"),
    "patient-ssin-ambiguous": lambda: _patient(
        lambda p: p["identifier"].append({"system": SSIN, "value": "85073003328"})
    ),
    "diagnosis-not-in-record": lambda: _encounter(
        lambda e: e["diagnosis"].append({"condition": {"reference": "Condition/not-sent"}})
    ),
    "other-diagnosis": lambda: add(
        happy_bundle(), named(condition("sprain", SNOMED, "44465007"), "Verstuiking enkel")
    ),
    "other-diagnosis-unnamed": lambda: add(happy_bundle(), condition("sprain", SNOMED, "44465007")),
    "diagnosis-not-holding": _diagnosis_refuted,
    "diagnosis-missing": lambda: _set(
        remove(happy_bundle(), "Condition"), "Encounter", diagnosis=[]
    ),
    "condition-uncoded": lambda: add(
        happy_bundle(), {**condition("text-only", SNOMED, "x"), "code": {"text": "rugletsel"}}
    ),
    "red-flag-reason": lambda: _set(happy_bundle(), "Encounter", reasonCode=[_CAUDA]),
    "red-flag-encounter": lambda: add(happy_bundle(), condition("flag", ICD10, "G83.4")),
    "red-flag-patient": lambda: add(
        happy_bundle(), condition("flag", ICD10, "G83.4", encounter=False)
    ),
    "red-flag-history": lambda: add(
        happy_bundle(), condition("cancer", ICD10, "C50.9", encounter=False, clinical="remission")
    ),
    "red-flag-evidence": lambda: _set(
        happy_bundle(),
        "Condition",
        evidence=[{"code": [{"coding": [{"system": ICD10, "code": "R33"}]}]}],
    ),
    "red-flag-observation": lambda: add(
        happy_bundle(),
        clinical(
            "Observation",
            "seen",
            status="final",
            code={"text": "bevinding"},
            valueCodeableConcept=_CAUDA,
        ),
    ),
    "fever": lambda: add(happy_bundle(), temperature("temp", 38.64)),
    "temperature-unreadable": lambda: add(happy_bundle(), temperature("temp", 39.0, unit="mm[Hg]")),
    "low-back-pain-not-acute": lambda: _set(
        happy_bundle(), "Condition", onsetDateTime="2026-07-01"
    ),
    "low-back-pain-chronic": lambda: add(
        happy_bundle(), condition("chronic", SNOMED, "278860009", encounter=False)
    ),
    "onset-unreadable": lambda: _condition(
        lambda c: c.update(onsetString="ergens vorig jaar") or c.pop("onsetDateTime")
    ),
    "red-flag-report": lambda: add(
        happy_bundle(),
        clinical(
            "DiagnosticReport", "mri", status="final", code={"text": "MRI"}, conclusionCode=[_CAUDA]
        ),
    ),
    "red-flag-procedure": lambda: add(
        happy_bundle(),
        clinical(
            "Procedure",
            "p",
            status="completed",
            code={"coding": [{"system": SNOMED, "code": "86553008"}]},
        ),
    ),
    "red-flag-medication": lambda: add(happy_bundle(), _home_medication(_ATC, "H02AB06")),
    "red-flag-earlier": lambda: add(
        happy_bundle(),
        clinical(
            "DiagnosticReport",
            "old",
            status="final",
            code={"text": "PET-CT"},
            encounter={"reference": "Encounter/earlier"},
            conclusionCode=[{"coding": [{"system": ICD10, "code": "C50.9"}]}],
        ),
    ),
    "code-unreadable": lambda: add(
        happy_bundle(), condition("local", "https://example.org/local-codes", "X1", encounter=False)
    ),
    "pregnancy": lambda: add(
        happy_bundle(), condition("preg", SNOMED, "77386006", encounter=False)
    ),
    "screener-not-participant": _screener_not_participant,
    "screener-not-physician": lambda: _practitioner(
        lambda p: p.update(
            qualification=[
                {
                    "code": {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/v2-0360",
                                "code": "RN",
                                "display": "Registered Nurse",
                            }
                        ]
                    }
                }
            ]
        )
    ),
    "practitioner-unnamed": lambda: _practitioner(lambda p: p.pop("name")),
    "red-flag-screening": lambda: answer(happy_bundle(), "cauda-equina", True),
    "screening-not-completed": lambda: _screening(lambda s: s.update(status="in-progress")),
    "screening-of-another-encounter": lambda: _screening(
        lambda s: s.update(encounter={"reference": "Encounter/earlier-visit"})
    ),
    "screening-missing": lambda: remove(happy_bundle(), "QuestionnaireResponse"),
    "screening-unknown-items": lambda: _screening(
        lambda s: s["item"].append({"linkId": "pain-score", "answer": [{"valueBoolean": True}]})
    ),
    "screening-incomplete": lambda: answer(happy_bundle(), "malignancy", None),
    "screening-no-time": lambda: _screening(lambda s: s.pop("authored")),
    "screening-before-visit": lambda: _screening(
        lambda s: s.update(authored="2026-11-25T08:00:00+01:00")
    ),
    "screening-author-not-practitioner": lambda: _screening(
        lambda s: s.update(author={"reference": "Patient/lbp-example-patient"})
    ),
    "screening-author-missing": lambda: _screening(
        lambda s: s.update(author={"reference": "Practitioner/not-sent"})
    ),
    "examination-unnamed": lambda: add(
        happy_bundle(),
        clinical(
            "Procedure", "p", status="completed", code={"coding": [{"system": SNOMED, "code": "1"}]}
        ),
    ),
    "prescription-unnamed": lambda: add(
        happy_bundle(),
        clinical(
            "MedicationRequest",
            "rx",
            status="active",
            intent="order",
            medicationCodeableConcept={"coding": [{"system": SNOMED, "code": "2"}]},
        ),
    ),
}

# What the FHIR server already holds under the record's identifiers (core/matching.py).
SERVER_FINDINGS = {
    "patient-identity-conflict",
    "encounter-of-another-patient",
    "letter-of-another-patient",
    "identifier-matches-several",
    "document-not-attested",
}


def server_conflicts() -> list[Finding]:
    """Every server finding, from a carried transaction and what a server holds under its
    identifiers: another person under the SSIN (twice), the encounter and the letter for a
    third patient, another document under the letter's document identifier."""
    transaction = build_discharge(context_from_bundle(happy_bundle()), SITE).bundle
    by_type = {e["resource"]["resourceType"]: e["fullUrl"] for e in transaction["entry"]}
    stranger = {"resourceType": "Patient", "id": "p9", "name": [{"family": "Peeters"}]}
    someone_else = {"subject": {"reference": "Patient/p7"}}
    found = {
        by_type["Patient"]: [stranger, {**stranger, "id": "p8"}],
        by_type["Encounter"]: [{"resourceType": "Encounter", "id": "e1", **someone_else}],
        by_type["Composition"]: [{"resourceType": "Composition", "id": "c1", **someone_else}],
        # another document under the letter's document identifier
        by_type["Bundle"]: [{"resourceType": "Bundle", "id": "b1", "type": "document"}],
    }
    findings = matching.identity_conflicts(transaction, found)
    found[by_type["Patient"]] = [{**stranger, "birthDate": "1990-01-01"}]
    return findings + matching.identity_conflicts(transaction, found)
