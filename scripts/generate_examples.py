"""Regenerate examples/: the input records and, for each, what the service makes of it.

    .venv/bin/python scripts/generate_examples.py          # write
    .venv/bin/python scripts/generate_examples.py --check  # exit 1 if anything would change

Inputs are derived from examples/input/happy-path-bundle.json (the one hand-written record).
Outputs: the transaction Bundle and the letter as plain text for each on-pathway input, the
OperationOutcome for each refused one. tests/unit/test_examples.py fails while they are stale.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from fhir_discharge import DischargeError, build_discharge, context_from_bundle, operation_outcome
from fhir_discharge.config import DEFAULT_SITE_FILE, load_site
from fhir_discharge.core.codes import RED_FLAGS, SNOMED
from fhir_discharge.core.letter.composition import plain_text
from fhir_discharge.core.pathway.definition import SCREENING_RED_FLAG_ITEMS

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
HAPPY = "happy-path-bundle"
# The EHR's FHIR base, for the absolute fullUrls R4 requires of the entries of a context Bundle.
EHR = "https://ehr.uzleuven.example/fhir"
Resource = dict[str, Any]

SITE = load_site(DEFAULT_SITE_FILE)


def _dump(resource: Any) -> str:
    return json.dumps(resource, indent=2, ensure_ascii=False) + "\n"


def _find(bundle: Resource, resource_type: str) -> Resource:
    return next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == resource_type
    )


_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
_ROLE = "http://terminology.hl7.org/CodeSystem/diagnosis-role"
_OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
_PATIENT = {"reference": "Patient/lbp-example-patient"}
_ENCOUNTER = {"reference": "Encounter/lbp-example-encounter"}


def _status(system: str, code: str) -> Resource:
    return {"coding": [{"system": system, "code": code}]}


def _condition(slug: str, code: Any, *, clinical: str = "active", **more: Any) -> Resource:
    return {
        "resourceType": "Condition",
        "id": f"lbp-example-{slug}",
        "identifier": [{"system": "https://example.uzleuven.be/sid/condition", "value": slug}],
        "clinicalStatus": _status(_CLINICAL, clinical),
        "verificationStatus": _status(_VERIFICATION, "confirmed"),
        "code": code,
        "subject": _PATIENT,
        **more,
    }


def _add(bundle: Resource, *resources: Resource) -> Resource:
    bundle = copy.deepcopy(bundle)
    for resource in resources:
        bundle["entry"].append(
            {"fullUrl": f"{EHR}/{resource['resourceType']}/{resource['id']}", "resource": resource}
        )
    return bundle


def _changed(bundle: Resource, resource_type: str, change: Any) -> Resource:
    bundle = copy.deepcopy(bundle)
    change(_find(bundle, resource_type))
    return bundle


def _answer(bundle: Resource, link_id: str, value: bool | None) -> Resource:
    def change(screening: Resource) -> None:
        for item in screening["item"]:
            if item["linkId"] == link_id:
                if value is None:
                    del item["answer"]
                else:
                    item["answer"] = [{"valueBoolean": value}]

    return _changed(bundle, "QuestionnaireResponse", change)


def _unprofiled(bundle: Resource) -> Resource:
    """An incomplete screening cannot claim the screening's profile (it breaks it on purpose)."""
    return _changed(bundle, "QuestionnaireResponse", lambda q: q.pop("meta", None))


def _without(bundle: Resource, resource_type: str) -> Resource:
    bundle = copy.deepcopy(bundle)
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"]["resourceType"] != resource_type]
    return bundle


def _on_pathway_variants(happy: Resource) -> dict[str, Resource]:
    """Records on the pathway whose letter must say more, or less, than the happy path's."""
    x_ray = {
        "resourceType": "DiagnosticReport",
        "id": "lbp-example-lumbar-x-ray",
        "identifier": [
            {"system": "https://example.uzleuven.be/sid/report", "value": "RX-2026-77812"}
        ],
        "status": "final",
        "category": [
            {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0074", "code": "RAD"}]}
        ],
        "code": {"text": "RX lumbale wervelzuil, 2 opnamen"},
        "subject": _PATIENT,
        "encounter": _ENCOUNTER,
        "effectiveDateTime": "2026-11-25T10:05:00+01:00",
        "conclusion": "Geen fractuur. Lichte degeneratieve veranderingen L4-L5.",
    }
    tramadol = {
        "resourceType": "MedicationRequest",
        "id": "lbp-example-tramadol",
        "identifier": [
            {"system": "https://example.uzleuven.be/sid/prescription", "value": "VS-2026-55120"}
        ],
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": {"text": "Tramadol 50 mg capsule"},
        "subject": _PATIENT,
        "encounter": _ENCOUNTER,
        "authoredOn": "2026-11-25T12:30:00+01:00",
        "requester": {"reference": "Practitioner/lbp-example-ed-physician"},
        "dosageInstruction": [{"text": "1 capsule tot 3 keer per dag indien nodig, max. 5 dagen"}],
    }
    older_man = _changed(happy, "Patient", _older_man)
    older_man = _changed(
        older_man,
        "Condition",
        lambda c: c.update({"verificationStatus": _status(_VERIFICATION, "provisional")}),
    )
    # An ordinary ED patient (pathway.md, "Reading the whole record"): comorbidities on the
    # problem list and as a comorbidity of the encounter, the usual home medication by ATC, a
    # normal temperature written as text and timed in the visit without a link, and a lumbar
    # X-ray's ImagingStudy with the report that references it (one examination, one line).
    hypertension = _condition(
        "hypertension",
        {
            "coding": [
                {"system": SNOMED, "code": "38341003", "display": "Hypertensive disorder"},
                {"system": ICD10, "code": "I10", "display": "Essential (primary) hypertension"},
            ],
            "text": "Arteriële hypertensie",
        },
    )
    diabetes = _condition(
        "diabetes",
        {"coding": [{"system": ICD10, "code": "E11.9"}], "text": "Diabetes mellitus type 2"},
        category=[_status(_CATEGORY, "problem-list-item")],
    )
    comorbid = _changed(
        _add(happy, hypertension, diabetes),
        "Encounter",
        lambda e: e["diagnosis"].append(
            {
                "condition": {"reference": "Condition/lbp-example-hypertension"},
                "use": _status(_ROLE, "CM"),
            }
        ),
    )
    statin = _statement("atorvastatin", "C10AA05", "Atorvastatine 20 mg, 1 x per dag")
    metformin = _statement("metformin", "A10BA02", "Metformine 850 mg, 2 x per dag")
    temperature = {
        "resourceType": "Observation",
        "id": "lbp-example-temperature-triage",
        "status": "final",
        "category": [_status(_OBSERVATION_CATEGORY, "vital-signs")],
        "code": {"coding": [{"system": "http://loinc.org", "code": "8310-5"}]},
        "subject": _PATIENT,
        "effectiveDateTime": "2026-11-25T09:18:00+01:00",
        "valueString": "37,2 °C",
    }
    study = {
        "resourceType": "ImagingStudy",
        "id": "lbp-example-lumbar-study",
        "status": "available",
        "subject": _PATIENT,
        "encounter": _ENCOUNTER,
        "description": "RX lumbale wervelzuil, 2 opnamen",
    }
    report = {**x_ray, "imagingStudy": [{"reference": "ImagingStudy/lbp-example-lumbar-study"}]}
    ordinary = _add(comorbid, statin, metformin, temperature, study, report)
    # An apixaban user (ATC B01A): the NSAID caution, with its warning.
    apixaban = _statement("apixaban", "B01AF02", "Eliquis 5 mg, 2 x per dag")
    # The GP recorded only by NIHDI number and name, no resource (as many Belgian EHRs hold the
    # GMD holder).
    by_identifier = _changed(
        _without_id(happy, "lbp-example-gp"),
        "Patient",
        lambda p: p.update(
            {
                "generalPractitioner": [
                    {
                        "identifier": {
                            "system": "https://www.ehealth.fgov.be/standards/fhir/core/"
                            "NamingSystem/nihdi",
                            "value": "12345625003",
                        },
                        "display": "dr. Pieter Claes",
                    }
                ]
            }
        ),
    )
    return {
        "imaging-and-prescription-bundle": _add(happy, x_ray, tramadol),
        "older-man-working-diagnosis-bundle": _answer(older_man, "brochure-given", False),
        "ordinary-patient-with-comorbidities-bundle": ordinary,
        "anticoagulant-nsaid-caution-bundle": _add(happy, apixaban),
        "gp-by-identifier-bundle": by_identifier,
        "home-medication-by-name-bundle": _add(
            happy,
            {
                "resourceType": "MedicationStatement",
                "id": "lbp-example-paracetamol",
                "status": "active",
                "medicationCodeableConcept": {"text": "Paracetamol 1 g, zo nodig"},
                "subject": _PATIENT,
            },
        ),
        "partial-birth-date-bundle": _changed(
            happy, "Patient", lambda p: p.update({"birthDate": "1956"})
        ),
        # A GP who reads French, and one who reads English (Practitioner.communication, BCP 47):
        # the letter in their language; the site's brochure in Dutch, and said to be.
        "french-gp-bundle": _gp_speaking(happy, "fr-BE", "Français (Belgique)"),
        "english-gp-bundle": _gp_speaking(happy, "en", "English"),
    }


def _gp_speaking(happy: Resource, tag: str, name: str) -> Resource:
    bundle = copy.deepcopy(happy)
    gp = next(e["resource"] for e in bundle["entry"] if e["resource"].get("id") == "lbp-example-gp")
    gp["communication"] = [{"coding": [{"system": "urn:ietf:bcp:47", "code": tag}], "text": name}]
    return bundle


def _statement(slug: str, atc: str, text: str) -> Resource:
    """Home medication, by its ATC code (pathway.md, "Medication as evidence")."""
    return {
        "resourceType": "MedicationStatement",
        "id": f"lbp-example-{slug}",
        "status": "active",
        "medicationCodeableConcept": {
            "coding": [{"system": "http://www.whocc.no/atc", "code": atc}],
            "text": text,
        },
        "subject": _PATIENT,
    }


def _without_id(bundle: Resource, resource_id: str) -> Resource:
    bundle = copy.deepcopy(bundle)
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"].get("id") != resource_id]
    return bundle


def _older_man(patient: Resource) -> None:
    """Another patient: a man born on 2 June 1949, with an SSIN of his own (the first six digits
    his birth date, an odd sequence number for a man, its check digits)."""
    patient.update({"gender": "male", "birthDate": "1949-06-02"})
    patient["identifier"][0]["value"] = "49060212315"


def _refusals(happy: Resource) -> dict[str, Resource]:
    """One record per kind of refusal: what the record shows, or fails to show."""
    inputs: dict[str, Resource] = {}
    # The coded record: one Condition per red-flag category of the screening.
    for item, codes in RED_FLAGS.items():
        code = next(c for c in codes if "-" not in c.code)  # a code, not an ICD range
        inputs[f"off-pathway-coded-{item}"] = _add(
            happy, _condition(item, {"coding": [code.coding()]}, encounter=_ENCOUNTER)
        )
    # The physician's screening: each red flag answered yes.
    for item in SCREENING_RED_FLAG_ITEMS:
        inputs[f"off-pathway-screened-{item}"] = _answer(happy, item, True)
    inputs["off-pathway-cancer-in-remission"] = _add(
        happy,
        _condition(
            "breast-cancer-history",
            {"coding": [{"system": SNOMED, "code": "254837009"}], "text": "Borstkanker (2015)"},
            clinical="remission",
        ),
    )
    inputs["off-pathway-fever-observation"] = _add(
        happy,
        {
            "resourceType": "Observation",
            "id": "lbp-example-temperature",
            "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "8310-5"}]},
            "subject": _PATIENT,
            "encounter": _ENCOUNTER,
            "effectiveDateTime": "2026-11-25T09:20:00+01:00",
            "valueQuantity": {
                "value": 39.4,
                "unit": "°C",
                "system": "http://unitsofmeasure.org",
                "code": "Cel",
            },
        },
    )
    retention = next(c for c in RED_FLAGS["cauda-equina"] if c.code == "267064002")
    inputs["off-pathway-evidence-urinary-retention"] = _changed(
        happy,
        "Condition",
        lambda c: c.update({"evidence": [{"code": [{"coding": [retention.coding()]}]}]}),
    )
    inputs["off-pathway-other-diagnosis"] = _add(
        happy,
        _condition(
            "ankle-sprain",
            {"coding": [{"system": SNOMED, "code": "44465007"}], "text": "Verstuiking enkel"},
            encounter=_ENCOUNTER,
        ),
    )
    inputs["off-pathway-reason-code-only"] = _changed(
        _without(happy, "Condition"),
        "Encounter",
        lambda e: (
            e.pop("diagnosis"),
            e.update({"reasonCode": [_find(happy, "Condition")["code"]]}),
        ),
    )
    inputs["off-pathway-refuted-diagnosis"] = _changed(
        happy,
        "Condition",
        lambda c: c.update({"verificationStatus": _status(_VERIFICATION, "refuted")}),
    )
    inputs["off-pathway-deceased"] = _changed(
        happy, "Patient", lambda p: p.update({"deceasedDateTime": "2026-11-26T08:00:00+01:00"})
    )
    inputs["off-pathway-transferred"] = _changed(
        happy,
        "Encounter",
        lambda e: e["hospitalization"]["dischargeDisposition"]["coding"][0].update(
            {"code": "other-hcf", "display": "Other healthcare facility"}
        ),
    )
    inputs["off-pathway-not-ended"] = _changed(
        happy, "Encounter", lambda e: e.update({"status": "in-progress"})
    )
    inputs["off-pathway-not-ed"] = _changed(
        happy,
        "Encounter",
        lambda e: e.update(
            {
                "class": {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                    "code": "AMB",
                    "display": "ambulatory",
                }
            }
        ),
    )
    # What the record fails to show: the letter is not written until it is documented.
    inputs["incomplete-no-screening"] = _without(happy, "QuestionnaireResponse")
    inputs["incomplete-screening-unanswered"] = _answer(_unprofiled(happy), "infection", None)
    inputs["incomplete-screening-in-progress"] = _changed(
        _unprofiled(happy), "QuestionnaireResponse", lambda q: q.update({"status": "in-progress"})
    )
    inputs["incomplete-screening-of-another-encounter"] = _changed(
        happy,
        "QuestionnaireResponse",
        lambda q: q.update({"encounter": {"reference": "Encounter/an-earlier-visit"}}),
    )
    inputs["incomplete-screening-not-by-a-practitioner"] = _changed(
        _unprofiled(happy), "QuestionnaireResponse", lambda q: q.update({"author": _PATIENT})
    )
    inputs["incomplete-uncoded-diagnosis"] = _add(
        happy,
        _condition("uncoded", {"text": "Nierkoliek?"}, encounter=_ENCOUNTER),
    )
    inputs["incomplete-no-discharge-disposition"] = _changed(
        happy, "Encounter", lambda e: e.pop("hospitalization")
    )
    # Issue 17: the whole record, and who, when, what is given.
    inputs["off-pathway-pregnancy"] = _add(
        happy,
        _condition(
            "pregnancy",
            {"coding": [{"system": SNOMED, "code": "77386006"}], "text": "Zwanger, 31 weken"},
        ),
    )
    inputs["off-pathway-not-acute"] = _changed(
        happy, "Condition", lambda c: c.update({"onsetDateTime": "2026-07-20"})
    )
    inputs["off-pathway-home-corticosteroid"] = _add(
        happy, _statement("prednisolone", "H02AB06", "Prednisolon 10 mg, 1 x per dag")
    )
    inputs["off-pathway-fall-from-a-ladder"] = _changed(
        happy,
        "Encounter",
        lambda e: e.update(
            {
                "reasonCode": [
                    {
                        "coding": [{"system": ICD10, "code": "W11"}],
                        "text": "Val van een ladder",
                    }
                ]
            }
        ),
    )
    inputs["off-pathway-report-vertebral-fracture"] = _add(
        happy,
        {
            "resourceType": "DiagnosticReport",
            "id": "lbp-example-ct",
            "status": "final",
            "code": {"text": "CT lumbale wervelzuil"},
            "subject": _PATIENT,
            "encounter": _ENCOUNTER,
            "conclusionCode": [{"coding": [{"system": SNOMED, "code": "426646004"}]}],
        },
    )
    inputs["off-pathway-urinary-retention-observed"] = _add(
        happy,
        {
            "resourceType": "Observation",
            "id": "lbp-example-retention",
            "status": "final",
            "code": {"coding": [{"system": SNOMED, "code": "267064002"}]},
            "subject": _PATIENT,
            "encounter": _ENCOUNTER,
            "valueString": "aanwezig",
        },
    )
    nurse_takes_part = _changed(
        happy,
        "Encounter",
        lambda e: e["participant"].append(
            {"individual": {"reference": "Practitioner/lbp-example-triage-nurse"}}
        ),
    )
    inputs["incomplete-screened-by-a-nurse"] = _changed(
        _add(
            nurse_takes_part,
            {
                "resourceType": "Practitioner",
                "id": "lbp-example-triage-nurse",
                "name": [{"family": "Peeters", "given": ["Els"]}],
                "qualification": [
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
                ],
            },
        ),
        "QuestionnaireResponse",
        lambda q: q.update({"author": {"reference": "Practitioner/lbp-example-triage-nurse"}}),
    )
    inputs["incomplete-unreadable-code-system"] = _add(
        happy,
        _condition(
            "local-code",
            {
                "coding": [
                    {"system": "https://ehr.uzleuven.example/codes/problems", "code": "R17"}
                ],
                "text": "Rugprobleem",
            },
        ),
    )
    inputs["off-pathway-home-corticosteroid-by-name"] = _add(
        happy,
        {
            "resourceType": "MedicationStatement",
            "id": "lbp-example-prednisolone-text",
            "status": "active",
            "medicationCodeableConcept": {"text": "Prednisolon 5 mg, 1 x per dag (al 2 jaar)"},
            "subject": _PATIENT,
        },
    )
    return inputs


def example_inputs() -> dict[str, Resource]:
    happy = json.loads((EXAMPLES / "input" / f"{HAPPY}.json").read_text(encoding="utf-8"))
    inputs: dict[str, Resource] = {HAPPY: happy}
    no_gp = copy.deepcopy(happy)
    del _find(no_gp, "Patient")["generalPractitioner"]
    no_gp["entry"] = [e for e in no_gp["entry"] if e["resource"].get("id") != "lbp-example-gp"]
    inputs["no-gp-bundle"] = no_gp
    # The bare Encounter: the service reads the rest from the FHIR server.
    inputs["bare-encounter"] = copy.deepcopy(_find(happy, "Encounter"))
    inputs.update(_on_pathway_variants(happy))
    inputs.update(_refusals(happy))
    return inputs


def example_files() -> dict[Path, str]:
    """Every file of examples/ (but the hand-written record) and its content."""
    inputs = example_inputs()
    files: dict[Path, str] = {}
    for name, record in inputs.items():
        if name != HAPPY:
            files[EXAMPLES / "input" / f"{name}.json"] = _dump(record)
        # A bare Encounter discharges from the same record on the server as the happy path.
        context_record = inputs[HAPPY] if record["resourceType"] == "Encounter" else record
        try:
            # As the service builds it: a context Bundle's record travels with the letter.
            ctx = context_from_bundle(context_record)
            discharge = build_discharge(replace(ctx, carry_record=record is context_record), SITE)
        except DischargeError as error:
            files[EXAMPLES / "output" / f"{name}.outcome.json"] = _dump(
                operation_outcome(error, SITE.canonical_base)
            )
            continue
        files[EXAMPLES / "output" / f"{name}.transaction.json"] = _dump(discharge.bundle)
        files[EXAMPLES / "output" / f"{name}.letter.txt"] = (
            plain_text(discharge.letter["text"]["div"]) + "\n"
        )
    return files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    stale = []
    for path, content in example_files().items():
        if not path.exists() or path.read_text(encoding="utf-8") != content:
            stale.append(path)
            if not args.check:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(content, encoding="utf-8")
    for path in stale:
        print(f"{'stale' if args.check else 'wrote'}: {path.relative_to(EXAMPLES.parent)}")
    return 1 if stale and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
