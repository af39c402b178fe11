# ruff: noqa: F811
"""The independent FHIR validator (tools/validator) catches what it must.

Each negative test asserts the specific issue (path and message) so that a validator that
stops reporting it makes the test fail; each positive test asserts zero errors.
"""

from __future__ import annotations

import copy
import json
import sys
import time
import uuid
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:  # lets `pytest` (not only `python -m pytest`) import tests.*
    sys.path.insert(0, str(_ROOT))

from tests.support.fhir_validator import WORKER_DIR, IndependentValidator, format_issues  # noqa: E402

# The session fixture `fhir_validator`, imported so that this module works with or without a
# tests/conftest.py that provides it too (the validator behind it is a process-wide singleton,
# so either way ONE worker runs). Test arguments named like it are why F811 is off for this file.
from tests.support.validator_fixture import fhir_validator  # noqa: E402, F401

NARRATIVE = {
    "status": "generated",
    "div": '<div xmlns="http://www.w3.org/1999/xhtml">Reason for admission</div>',
}
PROFILE_URL = "http://example.org/fhir/StructureDefinition/test-discharge-composition"
LOINC_REASON = {"system": "http://loinc.org", "code": "29299-5"}


def _urn() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def find_issue(issues: list[dict], path: str, *fragments: str, severity: str = "error") -> dict:
    """The issue at ``path`` whose message contains every fragment; fails the test otherwise."""
    for issue in issues:
        if (
            issue.get("severity") == severity
            and issue.get("path") == path
            and all(f in issue.get("message", "") for f in fragments)
        ):
            return issue
    pytest.fail(
        f"expected {severity} at {path!r} mentioning {fragments}; got:\n{format_issues(issues)}"
    )


def assert_no_errors(validator: IndependentValidator, resource: dict) -> None:
    errors = validator.errors(resource)
    assert errors == [], format_issues(errors)


# -- resources ------------------------------------------------------------------------------


def good_patient() -> dict:
    return {
        "resourceType": "Patient",
        "identifier": [{"system": "urn:oid:2.16.840.1.113883.2.4.6.3", "value": "123456789"}],
        "name": [{"family": "Peeters", "given": ["An"]}],
        "gender": "female",
        "birthDate": "1980-02-29",
        "communication": [
            {"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "nl-BE"}]}}
        ],
    }


def good_careplan(subject: str = "Patient/example") -> dict:
    return {
        "resourceType": "CarePlan",
        "status": "active",
        "intent": "plan",
        "subject": {"reference": subject},
        "title": "Low back pain self-management",
        "activity": [
            {
                "detail": {
                    "kind": "ServiceRequest",
                    "status": "scheduled",
                    "description": "Stay active; paracetamol as needed",
                }
            }
        ],
    }


def good_task(subject: str) -> dict:
    return {
        "resourceType": "Task",
        "status": "requested",
        "intent": "order",
        "for": {"reference": subject},
        "description": "GP follow-up within 2 weeks if no improvement",
    }


def good_transaction_bundle() -> dict:
    patient_url, careplan_url, task_url = _urn(), _urn(), _urn()
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": patient_url,
                "resource": good_patient(),
                "request": {
                    "method": "POST",
                    "url": "Patient",
                    "ifNoneExist": "identifier=urn:oid:2.16.840.1.113883.2.4.6.3|123456789",
                },
            },
            {
                "fullUrl": careplan_url,
                "resource": good_careplan(patient_url),
                "request": {"method": "POST", "url": "CarePlan"},
            },
            {
                "fullUrl": task_url,
                "resource": good_task(patient_url),
                "request": {"method": "POST", "url": "Task"},
            },
        ],
    }


def composition(sections: list[dict], profile: str | None = None) -> dict:
    resource = {
        "resourceType": "Composition",
        "status": "final",
        "type": {"coding": [{"system": "http://loinc.org", "code": "18842-5"}]},
        "subject": {"reference": "Patient/example"},
        "date": "2024-05-01T10:00:00+02:00",
        "author": [{"display": "Emergency department"}],
        "title": "Discharge summary",
        "section": sections,
    }
    if profile:
        resource["meta"] = {"profile": [profile]}
    return resource


def reason_section(**extra: object) -> dict:
    return {
        "title": "Reason for admission",
        "code": {"coding": [dict(LOINC_REASON)]},
        "text": NARRATIVE,
        **extra,
    }


def other_section() -> dict:
    return {
        "title": "Plan of care",
        "code": {"coding": [{"system": "http://loinc.org", "code": "18776-5"}]},
        "text": NARRATIVE,
    }


# -- test profiles ---------------------------------------------------------------------------


def differential_profile() -> dict:
    """A SUSHI-style profile (differential only): section sliced by code, section:reason 1..1."""
    return {
        "resourceType": "StructureDefinition",
        "id": "test-discharge-composition",
        "url": PROFILE_URL,
        "name": "TestDischargeComposition",
        "status": "draft",
        "fhirVersion": "4.0.1",
        "kind": "resource",
        "abstract": False,
        "type": "Composition",
        "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Composition",
        "derivation": "constraint",
        "differential": {
            "element": [
                {
                    "id": "Composition.section",
                    "path": "Composition.section",
                    "slicing": {
                        "discriminator": [{"type": "pattern", "path": "code"}],
                        "rules": "open",
                    },
                    "min": 1,
                },
                {
                    "id": "Composition.section:reason",
                    "path": "Composition.section",
                    "sliceName": "reason",
                    "min": 1,
                    "max": "1",
                },
                {
                    "id": "Composition.section:reason.code",
                    "path": "Composition.section.code",
                    "min": 1,
                    "patternCodeableConcept": {"coding": [dict(LOINC_REASON)]},
                },
                {
                    "id": "Composition.section:reason.text",
                    "path": "Composition.section.text",
                    "min": 1,
                },
                {"id": "Composition.section.title", "path": "Composition.section.title", "min": 1},
            ]
        },
    }


def snapshot_profile() -> dict:
    """The same slice rule with a hand-made snapshot: base R4 Composition + the reason slice."""
    base_file = (
        WORKER_DIR
        / "node_modules"
        / "hl7.fhir.r4.examples"
        / "StructureDefinition-Composition.json"
    )
    base = json.loads(base_file.read_text(encoding="utf-8"))
    elements = base["snapshot"]["element"]
    url = PROFILE_URL + "-snapshot"
    out: list[dict] = []
    section_children: list[dict] = []
    for el in elements:
        out.append(el)
        if el["id"] == "Composition.section":
            el["slicing"] = {
                "discriminator": [{"type": "pattern", "path": "code"}],
                "rules": "open",
            }
            el["min"] = 1
        elif el["id"].startswith("Composition.section."):
            section_children.append(el)
    # slice root + copies of the section's children, placed after the section subtree
    last_child = max(i for i, el in enumerate(out) if el["id"].startswith("Composition.section"))
    section = next(el for el in elements if el["id"] == "Composition.section")
    slice_root = {
        **copy.deepcopy(section),
        "id": "Composition.section:reason",
        "sliceName": "reason",
        "min": 1,
        "max": "1",
    }
    slice_root.pop("slicing", None)
    slice_elements = [slice_root]
    for child in section_children:
        c = copy.deepcopy(child)
        c["id"] = c["id"].replace("Composition.section", "Composition.section:reason", 1)
        if c["id"] == "Composition.section:reason.code":
            c["min"] = 1
            c["patternCodeableConcept"] = {"coding": [dict(LOINC_REASON)]}
        slice_elements.append(c)
    out[last_child + 1 : last_child + 1] = slice_elements
    return {
        **{k: v for k, v in base.items() if k not in ("snapshot", "differential", "text")},
        "id": "test-discharge-composition-snapshot",
        "url": url,
        "name": "TestDischargeCompositionSnapshot",
        "derivation": "constraint",
        "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Composition",
        "snapshot": {"element": out},
    }


# -- structure -------------------------------------------------------------------------------


def test_unknown_element_is_reported(fhir_validator):
    issues = fhir_validator.errors({**good_patient(), "foo": 1})
    find_issue(issues, "Patient.foo", "foo")


def test_medplum_only_meta_elements_are_rejected(fhir_validator):
    """Proves the pure R4 Meta is used, not Medplum's patched one (meta.author/meta.project)."""
    patient = {**good_patient(), "meta": {"author": {"reference": "Practitioner/x"}}}
    find_issue(fhir_validator.errors(patient), "Patient.meta.author", "author")
    medplum_type = {"resourceType": "Project", "name": "not an R4 resource"}
    find_issue(
        fhir_validator.errors(medplum_type),
        "Project",
        "not a FHIR R4 resource type",
        severity="fatal",
    )


def test_bad_date_is_reported(fhir_validator):
    issues = fhir_validator.errors({**good_patient(), "birthDate": "2020-13-45"})
    find_issue(issues, "Patient.birthDate", "Invalid date")


def test_impossible_calendar_date_is_reported(fhir_validator):
    issues = fhir_validator.errors({**good_patient(), "birthDate": "2021-02-29"})
    find_issue(issues, "Patient.birthDate", "not a calendar date")


def test_missing_required_element_is_reported(fhir_validator):
    task = good_task("Patient/example")
    del task["intent"]
    find_issue(fhir_validator.errors(task), "Task.intent", "Missing required")


def test_composition_empty_section_violates_cmp_1(fhir_validator):
    resource = composition([reason_section(), {"title": "Empty section"}])
    issues = fhir_validator.errors(resource)
    find_issue(issues, "Composition.section[1]", "cmp-1")
    assert not any(i["path"] == "Composition.section[0]" for i in issues), format_issues(issues)


def test_composition_empty_reason_with_entries_violates_cmp_2(fhir_validator):
    section = reason_section(
        entry=[{"reference": "Condition/example"}],
        emptyReason={
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/list-empty-reason",
                    "code": "nilknown",
                }
            ]
        },
    )
    find_issue(fhir_validator.errors(composition([section])), "Composition.section[0]", "cmp-2")


def test_transaction_entry_without_request_violates_bdl_3(fhir_validator):
    bundle = good_transaction_bundle()
    del bundle["entry"][1]["request"]
    find_issue(fhir_validator.errors(bundle), "Bundle", "bdl-3")


# -- required bindings -----------------------------------------------------------------------


def test_careplan_bad_intent_is_reported(fhir_validator):
    issues = fhir_validator.errors({**good_careplan(), "intent": "bogus"})
    find_issue(
        issues, "CarePlan.intent", '"bogus"', "http://hl7.org/fhir/ValueSet/care-plan-intent"
    )


def test_task_bad_status_is_reported(fhir_validator):
    issues = fhir_validator.errors({**good_task("Patient/example"), "status": "bogus"})
    find_issue(issues, "Task.status", '"bogus"', "http://hl7.org/fhir/ValueSet/task-status")


def test_nested_backbone_code_binding_is_checked(fhir_validator):
    careplan = good_careplan()
    careplan["activity"][0]["detail"]["status"] = "bogus"
    find_issue(
        fhir_validator.errors(careplan),
        "CarePlan.activity[0].detail.status",
        "http://hl7.org/fhir/ValueSet/care-plan-activity-status",
    )


def test_codeable_concept_required_binding_is_checked(fhir_validator):
    condition = {
        "resourceType": "Condition",
        "subject": {"reference": "Patient/example"},
        "code": {"text": "Low back pain"},
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": "active",
                }
            ]
        },
    }
    assert_no_errors(fhir_validator, condition)
    condition["clinicalStatus"]["coding"][0]["code"] = "bogus"
    find_issue(
        fhir_validator.errors(condition),
        "Condition.clinicalStatus",
        "condition-clinical#bogus",
        "http://hl7.org/fhir/ValueSet/condition-clinical",
    )


def test_mime_type_and_language_get_a_syntax_check(fhir_validator):
    doc = {
        "resourceType": "DocumentReference",
        "status": "current",
        "language": "nl-BE",
        "content": [{"attachment": {"contentType": "application/pdf", "url": "http://x/y.pdf"}}],
    }
    assert_no_errors(fhir_validator, doc)
    doc["language"] = "Dutch (Belgium)"
    doc["content"][0]["attachment"]["contentType"] = "pdf file"
    issues = fhir_validator.errors(doc)
    find_issue(issues, "DocumentReference.language", "BCP-47")
    find_issue(issues, "DocumentReference.content[0].attachment.contentType", "MIME")


# -- good resources --------------------------------------------------------------------------


def test_good_patient_has_no_errors(fhir_validator):
    assert_no_errors(fhir_validator, good_patient())


def test_good_careplan_has_no_errors(fhir_validator):
    assert_no_errors(fhir_validator, good_careplan())


def test_good_transaction_bundle_has_no_errors(fhir_validator):
    assert_no_errors(fhir_validator, good_transaction_bundle())


def test_invariants_that_evaluate_to_empty_are_not_violations(fhir_validator):
    """bdl-8 on an entry without fullUrl and ras-2 without probability evaluate to empty: valid
    R4 (the worker wraps invariants so that empty is not a failure, unlike plain Medplum)."""
    bundle = good_transaction_bundle()
    bundle["entry"].append({"request": {"method": "DELETE", "url": "Task/obsolete"}})
    assert_no_errors(fhir_validator, bundle)
    risk = {
        "resourceType": "RiskAssessment",
        "status": "final",
        "subject": {"reference": "Patient/example"},
        "prediction": [{"qualitativeRisk": {"text": "low"}}],
    }
    assert_no_errors(fhir_validator, risk)
    risk["prediction"][0]["probabilityDecimal"] = 150
    find_issue(fhir_validator.errors(risk), "RiskAssessment.prediction[0]", "ras-2")


def test_bundle_entry_issues_carry_the_entry_path(fhir_validator):
    bundle = good_transaction_bundle()
    bundle["entry"][2]["resource"]["status"] = "bogus"
    del bundle["entry"][1]["resource"]["intent"]
    issues = fhir_validator.errors(bundle)
    find_issue(issues, "Bundle.entry[2].resource.status", "task-status")
    find_issue(issues, "Bundle.entry[1].resource.intent", "Missing required")


# -- profiles --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make_profile", [differential_profile, snapshot_profile], ids=["differential-only", "snapshot"]
)
def test_profile_required_slice_is_enforced(fhir_validator, make_profile):
    profile = make_profile()
    url = profile["url"]
    ok = composition([other_section(), reason_section()], profile=url)
    errors = fhir_validator.errors(ok, profiles=[profile])
    assert errors == [], format_issues(errors)

    missing = composition([other_section()], profile=url)
    issue = find_issue(
        fhir_validator.errors(missing, profiles=[profile]), "Composition.section", "reason"
    )
    assert url in issue["message"]

    # without the profile claim the same resource is valid R4
    unclaimed = composition([other_section()])
    assert_no_errors(fhir_validator, unclaimed)


def test_profile_nested_rules_are_enforced(fhir_validator):
    """Rules below the root (section.title 1..1, inside the slice: text 1..1) are checked too."""
    profile = differential_profile()
    section = reason_section(entry=[{"reference": "Condition/example"}])
    del section["title"]
    del section["text"]
    issues = fhir_validator.errors(composition([section], profile=PROFILE_URL), profiles=[profile])
    find_issue(issues, "Composition.section[0].title", "Missing required property", PROFILE_URL)
    find_issue(issues, "Composition.section[0].text", "Missing required property", PROFILE_URL)


def test_profile_required_slice_is_enforced_when_the_element_is_absent(fhir_validator):
    profile = differential_profile()
    resource = composition([], profile=PROFILE_URL)
    del resource["section"]
    issues = fhir_validator.errors(resource, profiles=[profile])
    find_issue(issues, "Composition.section", "slice 'reason'", "found 0", PROFILE_URL)


def test_profile_claimed_inside_a_bundle_entry_is_checked(fhir_validator):
    profile = differential_profile()
    bundle = good_transaction_bundle()
    bundle["entry"].append(
        {
            "fullUrl": _urn(),
            "resource": composition([other_section()], profile=PROFILE_URL),
            "request": {"method": "POST", "url": "Composition"},
        }
    )
    issues = fhir_validator.errors(bundle, profiles=[profile])
    find_issue(issues, "Bundle.entry[3].resource.section", "reason", PROFILE_URL)


def test_unknown_profile_is_a_warning(fhir_validator):
    resource = composition([reason_section()], profile="http://example.org/nope")
    issues = fhir_validator.validate(resource)
    find_issue(issues, "Composition.meta.profile", "not known", severity="warning")
    assert fhir_validator.errors(resource) == []


def _pain_extension() -> dict:
    return {
        "resourceType": "StructureDefinition",
        "url": PAIN_EXT_URL,
        "name": "PainScore",
        "status": "draft",
        "fhirVersion": "4.0.1",
        "kind": "complex-type",
        "abstract": False,
        "context": [{"type": "element", "expression": "Condition"}],
        "type": "Extension",
        "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Extension",
        "derivation": "constraint",
        "differential": {
            "element": [
                {"id": "Extension", "path": "Extension"},
                {"id": "Extension.extension", "path": "Extension.extension", "max": "0"},
                {"id": "Extension.url", "path": "Extension.url", "fixedUri": PAIN_EXT_URL},
                {
                    "id": "Extension.value[x]",
                    "path": "Extension.value[x]",
                    "type": [{"code": "integer"}],
                },
            ]
        },
    }


PAIN_EXT_URL = "http://example.org/fhir/StructureDefinition/pain-score"
LBP_CONDITION_URL = "http://example.org/fhir/StructureDefinition/lbp-condition"
LBP_VS_URL = "http://example.org/fhir/ValueSet/lbp-codes"


def _lbp_conformance() -> list[dict]:
    """SUSHI-style: a required extension slice and a required binding to a project ValueSet."""
    value_set = {
        "resourceType": "ValueSet",
        "url": LBP_VS_URL,
        "name": "LowBackPainCodes",
        "status": "draft",
        "compose": {
            "include": [{"system": "http://snomed.info/sct", "concept": [{"code": "279039007"}]}]
        },
    }
    profile = {
        "resourceType": "StructureDefinition",
        "url": LBP_CONDITION_URL,
        "name": "LowBackPainCondition",
        "status": "draft",
        "fhirVersion": "4.0.1",
        "kind": "resource",
        "abstract": False,
        "type": "Condition",
        "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Condition",
        "derivation": "constraint",
        "differential": {
            "element": [
                {
                    "id": "Condition.extension:painScore",
                    "path": "Condition.extension",
                    "sliceName": "painScore",
                    "min": 1,
                    "max": "1",
                    "type": [{"code": "Extension", "profile": [PAIN_EXT_URL]}],
                },
                {
                    "id": "Condition.code",
                    "path": "Condition.code",
                    "min": 1,
                    "binding": {"strength": "required", "valueSet": LBP_VS_URL},
                },
            ]
        },
    }
    return [_pain_extension(), value_set, profile]


def _lbp_condition() -> dict:
    return {
        "resourceType": "Condition",
        "meta": {"profile": [LBP_CONDITION_URL]},
        "extension": [{"url": PAIN_EXT_URL, "valueInteger": 7}],
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": "active",
                }
            ]
        },
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "279039007"}]},
        "subject": {"reference": "Patient/example"},
    }


def test_profile_extension_slice_and_project_value_set(fhir_validator):
    conformance = _lbp_conformance()
    assert fhir_validator.errors(_lbp_condition(), profiles=conformance) == []

    no_extension = _lbp_condition()
    del no_extension["extension"]
    find_issue(
        fhir_validator.errors(no_extension, profiles=conformance),
        "Condition.extension",
        "slice 'painScore'",
        LBP_CONDITION_URL,
    )

    wrong_type = _lbp_condition()
    wrong_type["extension"] = [{"url": PAIN_EXT_URL, "valueString": "seven"}]
    find_issue(
        fhir_validator.errors(wrong_type, profiles=conformance),
        "Condition.extension[0].valueString",
        "not allowed",
        PAIN_EXT_URL,
    )

    wrong_code = _lbp_condition()
    wrong_code["code"]["coding"][0]["code"] = "22298006"
    find_issue(
        fhir_validator.errors(wrong_code, profiles=conformance),
        "Condition.code",
        "22298006",
        LBP_VS_URL,
    )


def test_core_profile_with_slices_inside_slices(fhir_validator):
    """R4 bp profile: component slices recognised through nested coding slices (Medplum alone
    mistakes those for sibling slices and rejects a valid blood pressure)."""
    example = (
        WORKER_DIR / "node_modules" / "hl7.fhir.r4.examples" / "Observation-blood-pressure.json"
    )
    bp = json.loads(example.read_text(encoding="utf-8"))
    bp["meta"] = {"profile": ["http://hl7.org/fhir/StructureDefinition/bp"]}
    assert_no_errors(fhir_validator, bp)
    bp["component"][0]["valueQuantity"]["code"] = "kPa"
    find_issue(
        fhir_validator.errors(bp),
        "Observation.component[0].valueQuantity.code",
        "mm[Hg]",
    )
    del bp["component"][0]
    find_issue(fhir_validator.errors(bp), "Observation.component", "SystolicBP")


# -- performance -----------------------------------------------------------------------------


def test_one_worker_validates_a_hundred_resources_quickly(fhir_validator):
    resources = []
    for i in range(25):
        resources.append({**good_patient(), "id": f"p{i}"})
        resources.append(good_careplan(f"Patient/p{i}"))
        resources.append(good_task(f"Patient/p{i}"))
        resources.append(good_transaction_bundle())
    before = fhir_validator.resources_validated
    t0 = time.perf_counter()
    for r in resources:
        assert fhir_validator.errors(r) == []
    elapsed = time.perf_counter() - t0
    assert fhir_validator.resources_validated - before == len(resources) == 100
    assert fhir_validator.seconds > 0
    print(f"\n100 resources validated in {elapsed:.3f}s; {fhir_validator.summary()}")
    assert elapsed < 60, f"100 resources took {elapsed:.1f}s"
