"""Every place a record can hold a coded fact (core/gate/record_scan.py POSITIONS), as a way to
put a coding there in the example record. tests/unit/test_gate_matrix.py puts every code of codes.py
in each of them; a new position of the scan fails that test until it has a placement here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.support.factories import add, clinical, resource

Resource = dict[str, Any]
Coding = dict[str, str]
PATIENT = {"reference": "Patient/lbp-example-patient"}
ENCOUNTER = {"reference": "Encounter/lbp-example-encounter"}
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
_ROLE = "http://terminology.hl7.org/CodeSystem/diagnosis-role"
# Within the example visit (2026-11-25, 09:10 to 12:40 Brussels time).
DURING_THE_VISIT = "2026-11-25T10:30:00+01:00"
LONG_AGO = "2019-05-02T10:00:00+02:00"


@dataclass(frozen=True)
class Placement:
    """A way to put a coding in the record: `put(bundle, coding)` changes the bundle and gives
    back the expression of the resource (or element) a finding about it names."""

    name: str
    positions: tuple[str, ...]  # the scan's POSITIONS it exercises
    finding: str  # the finding code a current red flag here gets
    put: Callable[[Resource, Coding], str]
    diagnosis: bool = False  # a diagnosis of this visit: anything but low back pain refuses
    home_medication: bool = False  # home medication (screened, never listed as prescribed)


def _concept(coding: Coding) -> Resource:
    return {"coding": [dict(coding)], "text": "bevinding"}


def _condition(condition_id: str, coding: Coding, **fields: Any) -> Resource:
    return {
        "resourceType": "Condition",
        "id": condition_id,
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": "active",
                }
            ]
        },
        "verificationStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                    "code": "confirmed",
                }
            ]
        },
        "code": _concept(coding),
        "subject": PATIENT,
        **fields,
    }


def _diagnosis_entry(bundle: Resource, condition_id: str, use: str | None) -> None:
    entry: Resource = {"condition": {"reference": f"Condition/{condition_id}"}}
    if use:
        entry["use"] = {"coding": [{"system": _ROLE, "code": use}]}
    resource(bundle, "Encounter")["diagnosis"].append(entry)


def _encounter_diagnosis(bundle: Resource, coding: Coding) -> str:
    add(bundle, _condition("placed", coding, encounter=ENCOUNTER))
    _diagnosis_entry(bundle, "placed", "DD")
    return "Condition/placed"


def _problem(bundle: Resource, coding: Coding) -> str:
    category = [{"coding": [{"system": _CATEGORY, "code": "problem-list-item"}]}]
    add(bundle, _condition("placed", coding, category=category))
    return "Condition/placed"


def _diagnosis_use(use: str) -> Callable[[Resource, Coding], str]:
    def put(bundle: Resource, coding: Coding) -> str:
        add(bundle, _condition("placed", coding))
        _diagnosis_entry(bundle, "placed", use)
        return "Condition/placed"

    return put


def _evidence(bundle: Resource, coding: Coding) -> str:
    resource(bundle, "Condition")["evidence"] = [{"code": [_concept(coding)]}]
    return "Condition/lbp-example-diagnosis"


def _reason(bundle: Resource, coding: Coding) -> str:
    resource(bundle, "Encounter")["reasonCode"] = [_concept(coding)]
    return "Encounter.reasonCode[0]"


def _observation(**fields: Any) -> Resource:
    return clinical("Observation", "placed", status="final", **fields)


def _finding_code(bundle: Resource, coding: Coding) -> str:
    add(bundle, _observation(code=_concept(coding)))
    return "Observation/placed"


def _finding_present(bundle: Resource, coding: Coding) -> str:
    present = {"coding": [{"system": SNOMED, "code": "52101004", "display": "Present"}]}
    add(bundle, _observation(code=_concept(coding), valueCodeableConcept=present))
    return "Observation/placed"


_CLINICAL_FINDING = {"coding": [{"system": LOINC, "code": "75326-9", "display": "Problem"}]}


def _finding_value(bundle: Resource, coding: Coding) -> str:
    add(bundle, _observation(code=_CLINICAL_FINDING, valueCodeableConcept=_concept(coding)))
    return "Observation/placed"


def _finding_unlinked_in_the_visit(bundle: Resource, coding: Coding) -> str:
    # pathway.md: an Observation timed in the visit is of it, linked or not.
    observation = _observation(
        code=_CLINICAL_FINDING,
        valueCodeableConcept=_concept(coding),
        effectiveDateTime=DURING_THE_VISIT,
    )
    del observation["encounter"]
    add(bundle, observation)
    return "Observation/placed"


def _component_code(bundle: Resource, coding: Coding) -> str:
    add(
        bundle,
        _observation(code=_CLINICAL_FINDING, component=[{"code": _concept(coding)}]),
    )
    return "Observation/placed"


def _component_value(bundle: Resource, coding: Coding) -> str:
    component = {"code": _CLINICAL_FINDING, "valueCodeableConcept": _concept(coding)}
    add(bundle, _observation(code=_CLINICAL_FINDING, component=[component]))
    return "Observation/placed"


def _interpretation(bundle: Resource, coding: Coding) -> str:
    add(bundle, _observation(code=_CLINICAL_FINDING, interpretation=[_concept(coding)]))
    return "Observation/placed"


def _report_code(bundle: Resource, coding: Coding) -> str:
    add(bundle, clinical("DiagnosticReport", "placed", status="final", code=_concept(coding)))
    return "DiagnosticReport/placed"


def _report_conclusion(bundle: Resource, coding: Coding) -> str:
    report = clinical(
        "DiagnosticReport",
        "placed",
        status="final",
        code={"text": "MRI lumbale wervelzuil"},
        conclusionCode=[_concept(coding)],
    )
    add(bundle, report)
    return "DiagnosticReport/placed"


def _procedure(bundle: Resource, coding: Coding) -> str:
    add(bundle, clinical("Procedure", "placed", status="completed", code=_concept(coding)))
    return "Procedure/placed"


def _request_inline(bundle: Resource, coding: Coding) -> str:
    request = clinical(
        "MedicationRequest",
        "placed",
        status="active",
        intent="order",
        medicationCodeableConcept=_concept(coding),
    )
    add(bundle, request)
    return "MedicationRequest/placed"


def _medication(coding: Coding, medication_id: str = "med") -> Resource:
    return {"resourceType": "Medication", "id": medication_id, "code": _concept(coding)}


def _request_of_another_visit(bundle: Resource, coding: Coding) -> str:
    request = clinical(
        "MedicationRequest",
        "placed",
        status="active",
        intent="order",
        medicationReference={"reference": "Medication/med"},
        encounter={"reference": "Encounter/earlier-visit"},
    )
    add(add(bundle, request), _medication(coding))
    return "MedicationRequest/placed"


def _statement(**fields: Any) -> Resource:
    return {
        "resourceType": "MedicationStatement",
        "id": "placed",
        "status": "active",
        "subject": PATIENT,
        **fields,
    }


def _statement_inline(bundle: Resource, coding: Coding) -> str:
    add(bundle, _statement(medicationCodeableConcept=_concept(coding)))
    return "MedicationStatement/placed"


def _statement_contained(bundle: Resource, coding: Coding) -> str:
    statement = _statement(
        contained=[{**_medication(coding, "inner")}],
        medicationReference={"reference": "#inner"},
    )
    add(bundle, statement)
    return "MedicationStatement/placed"


def _statement_ingredient(bundle: Resource, coding: Coding) -> str:
    medication = {
        "resourceType": "Medication",
        "id": "med",
        "code": {"text": "combinatiepreparaat"},
        "ingredient": [{"itemCodeableConcept": _concept(coding)}],
    }
    add(add(bundle, _statement(medicationReference={"reference": "Medication/med"})), medication)
    return "MedicationStatement/placed"


PLACEMENTS: tuple[Placement, ...] = (
    Placement(
        "encounter diagnosis",
        ("Condition.code",),
        "red-flag-encounter",
        _encounter_diagnosis,
        diagnosis=True,
    ),
    Placement("problem list", ("Condition.code",), "red-flag-patient", _problem),
    Placement("comorbidity (CM)", ("Condition.code",), "red-flag-encounter", _diagnosis_use("CM")),
    Placement("billing", ("Condition.code",), "red-flag-encounter", _diagnosis_use("billing")),
    Placement("evidence", ("Condition.evidence",), "red-flag-evidence", _evidence),
    Placement("reason for the visit", ("Encounter.reasonCode",), "red-flag-reason", _reason),
    Placement("finding code", ("Observation.code",), "red-flag-observation", _finding_code),
    Placement(
        "finding code, present",
        ("Observation.code", "Observation.value"),
        "red-flag-observation",
        _finding_present,
    ),
    Placement("finding value", ("Observation.value",), "red-flag-observation", _finding_value),
    Placement(
        "finding of the visit, not linked",
        ("Observation.value",),
        "red-flag-observation",
        _finding_unlinked_in_the_visit,
    ),
    Placement(
        "component code",
        ("Observation.component.code",),
        "red-flag-observation",
        _component_code,
    ),
    Placement(
        "component value",
        ("Observation.component.value",),
        "red-flag-observation",
        _component_value,
    ),
    Placement(
        "interpretation",
        ("Observation.interpretation",),
        "red-flag-observation",
        _interpretation,
    ),
    Placement("report code", ("DiagnosticReport.code",), "red-flag-report", _report_code),
    Placement(
        "report conclusion",
        ("DiagnosticReport.conclusionCode",),
        "red-flag-report",
        _report_conclusion,
    ),
    Placement("procedure", ("Procedure.code",), "red-flag-procedure", _procedure),
    Placement(
        "prescription of the visit",
        ("MedicationRequest.medication",),
        "red-flag-medication",
        _request_inline,
    ),
    Placement(
        "request of another visit, through a Medication",
        ("MedicationRequest.medication",),
        "red-flag-medication",
        _request_of_another_visit,
        home_medication=True,
    ),
    Placement(
        "home medication",
        ("MedicationStatement.medication",),
        "red-flag-medication",
        _statement_inline,
        home_medication=True,
    ),
    Placement(
        "home medication, contained Medication",
        ("MedicationStatement.medication",),
        "red-flag-medication",
        _statement_contained,
        home_medication=True,
    ),
    Placement(
        "home medication, an ingredient",
        ("MedicationStatement.medication",),
        "red-flag-medication",
        _statement_ingredient,
        home_medication=True,
    ),
)
