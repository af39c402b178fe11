"""A record for each warning of a discharge (test_warnings_nl.py, test_statement_meaning.py).

`RECORDS[kind]()` builds, through the core, the discharge of a record made with the factories
from the example that gives the warning `kind` (errors.WARNING_DISPLAYS).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any
from unittest import mock

from fhir_discharge import build_discharge, context_from_bundle
from fhir_discharge.core.gp_message import ehealthbox
from fhir_discharge.core.transaction import Discharge
from tests.support.factories import add, clinical, condition, happy_bundle, resource
from tests.support.site import SITE


def build(bundle: dict[str, Any], carry: bool = False, gp_message: bool = False) -> Discharge:
    """The discharge of `bundle`. Without the KMEHR message unless asked (no PDF, ~0.2 s less
    per build): the warnings are the same (transaction.build_discharge), but for a message
    too large, which only a built message can be."""
    context = replace(context_from_bundle(bundle), carry_record=carry)
    return build_discharge(context, SITE, gp_message=gp_message)


def allergy(resource_id: str) -> dict[str, Any]:
    return {
        "resourceType": "AllergyIntolerance",
        "id": resource_id,
        "patient": {"reference": "Patient/lbp-example-patient"},
    }


def ignored_entries() -> Discharge:
    # Two entries of a type the discharge never reads (an EHR's export carries more).
    return build(add(add(happy_bundle(), allergy("a1")), allergy("a2")))


def older_patient() -> Discharge:
    bundle = happy_bundle()
    resource(bundle, "Patient")["birthDate"] = "1948-06-02"
    return build(bundle)


def screened_after_the_visit() -> Discharge:
    """Screened 2 hours and 1 minute after the visit's end (12.40): past LATE_SCREENING_AFTER."""
    bundle = happy_bundle()
    resource(bundle, "QuestionnaireResponse")["authored"] = "2026-11-25T14:41:00+01:00"
    return build(bundle)


def no_general_practitioner() -> Discharge:
    bundle = happy_bundle()
    del resource(bundle, "Patient")["generalPractitioner"]
    return build(bundle)


def _general_practitioner_not_in_use() -> Discharge:
    bundle = happy_bundle()
    resource(bundle, "Practitioner", "lbp-example-gp")["active"] = False
    return build(bundle)


def _national_number_not_matched() -> Discharge:
    # The record travels with the letter; the GP's NIHDI number fails its check digits.
    bundle = happy_bundle()
    resource(bundle, "Practitioner", "lbp-example-gp")["identifier"][0]["value"] = "10001293004"
    return build(bundle, carry=True)


def _nsaid_caution() -> Discharge:
    # An apixaban user with chronic kidney disease (pathway.md, "NSAID caution").
    apixaban = {
        "resourceType": "MedicationStatement",
        "id": "apixaban",
        "status": "active",
        "medicationCodeableConcept": {
            "coding": [{"system": "http://www.whocc.no/atc", "code": "B01AF02"}],
            "text": "Eliquis 5 mg",
        },
        "subject": {"reference": "Patient/lbp-example-patient"},
    }
    ckd = condition("ckd", "http://hl7.org/fhir/sid/icd-10", "N18.3", encounter=False)
    return build(add(add(happy_bundle(), apixaban), ckd))


def _medication_by_name() -> Discharge:
    paracetamol = {
        "resourceType": "MedicationStatement",
        "id": "paracetamol",
        "status": "active",
        "medicationCodeableConcept": {"text": "Paracetamol 1 g"},
        "subject": {"reference": "Patient/lbp-example-patient"},
    }
    return build(add(happy_bundle(), paracetamol))


def _report_free_text() -> Discharge:
    report = clinical(
        "DiagnosticReport",
        "xray",
        status="final",
        code={"text": "RX lumbale wervelzuil"},
        conclusion="Geen fractuur.",
    )
    return build(add(happy_bundle(), report))


def changed(change: Callable[[dict[str, Any]], object]) -> Callable[[], Discharge]:
    def make() -> Discharge:
        bundle = happy_bundle()
        change(bundle)
        return build(bundle)

    return make


def _gp(bundle: dict[str, Any]) -> dict[str, Any]:
    return resource(bundle, "Practitioner", "lbp-example-gp")


def _physician(bundle: dict[str, Any]) -> dict[str, Any]:
    return resource(bundle, "Practitioner", "lbp-example-ed-physician")


def _set_number(holder: Callable[[dict[str, Any]], dict[str, Any]], number: str):
    return lambda bundle: holder(bundle)["identifier"][0].update(value=number)


def _message_too_large() -> Discharge:
    with mock.patch.object(ehealthbox, "EHEALTHBOX_MAX_BYTES", 1000):
        return build(happy_bundle(), gp_message=True)


# ehealthbox.py: the letter cannot reach the GP electronically, for each reason.
NOT_ELECTRONIC: dict[str, Callable[[], Discharge]] = {
    "no-general-practitioner": no_general_practitioner,
    "general-practitioner-no-nihdi": changed(lambda b: _gp(b).pop("identifier")),
    "general-practitioner-nihdi-invalid": changed(_set_number(_gp, "12345652003")),
    "patient-no-ssin": changed(lambda b: resource(b, "Patient")["identifier"].pop(0)),
    "patient-ssin-invalid": changed(_set_number(lambda b: resource(b, "Patient"), "81031412441")),
    "patient-no-name": changed(lambda b: resource(b, "Patient").pop("name")),
    "physician-no-nihdi": changed(lambda b: _physician(b).pop("identifier")),
    "physician-nihdi-invalid": changed(_set_number(_physician, "16543205000")),
    "hospital-no-nihdi": changed(lambda b: resource(b, "Organization").pop("identifier")),
    "hospital-nihdi-invalid": changed(
        _set_number(lambda b: resource(b, "Organization"), "12345625003")
    ),
    "message-too-large": _message_too_large,
}


def _gp_reads(tag: str) -> Callable[[], Discharge]:
    """The GP's Practitioner.communication names `tag` (core/letter/facts.py language_warnings)."""

    def reads(bundle: dict[str, Any]) -> None:
        _gp(bundle)["communication"] = [{"coding": [{"system": "urn:ietf:bcp:47", "code": tag}]}]

    return changed(reads)


RECORDS: dict[str, Callable[[], Discharge]] = {
    "entries-ignored": ignored_entries,
    "older-patient": older_patient,
    "screening-after-visit": screened_after_the_visit,
    "nsaid-caution": _nsaid_caution,
    "report-free-text": _report_free_text,
    "medication-by-name": _medication_by_name,
    "no-general-practitioner": no_general_practitioner,
    "general-practitioner-not-in-use": _general_practitioner_not_in_use,
    "national-number-not-matched": _national_number_not_matched,
    **{f"not-electronic-{reason}": make for reason, make in NOT_ELECTRONIC.items()},
    # a language no catalogue speaks; English, in which UZ Leuven publishes no brochure
    "letter-language-not-available": _gp_reads("de"),
    "brochure-not-in-letter-language": _gp_reads("en"),
}
