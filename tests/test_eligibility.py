"""The pathway gate (pathway.md, "Who the pathway is for")."""

from __future__ import annotations

import pytest

from fhir_discharge import IncompleteRecord, InvalidInput, NotOnPathway, context_from_bundle
from fhir_discharge.codes import EXCLUSIONS, ICD10, ICD10_CM, SNOMED
from fhir_discharge.eligibility import check_eligibility
from tests.factories import add, condition, happy_bundle, remove, resource


def gate(bundle):
    return check_eligibility(context_from_bundle(bundle))


def test_the_example_is_on_the_pathway_without_warnings():
    result = gate(happy_bundle())
    assert result.diagnosis_code.code == "279039007"
    assert result.diagnosis_condition["id"] == "lbp-example-diagnosis"
    assert result.warnings == ()


@pytest.mark.parametrize(
    ("kind", "code"),
    [(kind, code) for kind, codes in EXCLUSIONS.items() for code in codes],
    ids=lambda v: v if isinstance(v, str) else f"{v.system.rsplit('/', 1)[-1]}-{v.code}",
)
def test_every_red_flag_and_radicular_code_on_the_encounter_is_refused(kind, code):
    bundle = add(happy_bundle(), condition("flag", code.system, code.code))
    with pytest.raises(NotOnPathway) as refusal:
        gate(bundle)
    assert kind in refusal.value.message
    assert refusal.value.findings[0].expression == "Condition/flag"


def test_a_red_flag_active_on_the_patient_outside_this_encounter_is_refused():
    bundle = add(happy_bundle(), condition("old", SNOMED, "192970008", encounter=False))
    with pytest.raises(NotOnPathway, match="cauda equina syndrome active on the patient"):
        gate(bundle)


@pytest.mark.parametrize("code", ["M54.16", "M54.17", "M54.41", "M5442"])
def test_more_specific_icd10_cm_radicular_codes_are_refused_with_their_parent(code):
    bundle = add(happy_bundle(), condition("radic", ICD10_CM, code))
    with pytest.raises(NotOnPathway, match="radicular pain"):
        gate(bundle)


def test_a_red_flag_given_as_reason_for_the_encounter_is_refused():
    bundle = happy_bundle()
    resource(bundle, "Encounter")["reasonCode"] = [{"coding": [{"system": ICD10, "code": "G83.4"}]}]
    with pytest.raises(NotOnPathway) as refusal:
        gate(bundle)
    assert refusal.value.findings[0].expression == "Encounter.reasonCode[0]"


def test_every_finding_is_reported_not_only_the_first():
    bundle = add(happy_bundle(), condition("a", SNOMED, "23056005"))
    bundle = add(bundle, condition("b", SNOMED, "192970008"))
    with pytest.raises(NotOnPathway) as refusal:
        gate(bundle)
    assert [f.expression for f in refusal.value.findings] == ["Condition/a", "Condition/b"]


@pytest.mark.parametrize(
    ("clinical", "verification"),
    [
        ("active", "refuted"),
        (None, "entered-in-error"),
        ("resolved", "confirmed"),
        ("inactive", None),
    ],
)
def test_a_red_flag_that_does_not_hold_keeps_the_patient_on_the_pathway(clinical, verification):
    bundle = add(
        happy_bundle(),
        condition("ruled-out", SNOMED, "23056005", clinical=clinical, verification=verification),
    )
    assert gate(bundle).diagnosis_code.code == "279039007"


@pytest.mark.parametrize("verification", ["provisional", "differential", "unconfirmed"])
def test_a_suspected_red_flag_counts(verification):
    bundle = add(happy_bundle(), condition("susp", ICD10, "S32.0", verification=verification))
    with pytest.raises(NotOnPathway, match="suspected fracture"):
        gate(bundle)


def test_a_non_emergency_encounter_is_refused():
    bundle = happy_bundle()
    resource(bundle, "Encounter")["class"]["code"] = "AMB"
    with pytest.raises(NotOnPathway, match="not an emergency department encounter"):
        gate(bundle)


def test_a_cancelled_encounter_is_refused():
    bundle = happy_bundle()
    resource(bundle, "Encounter")["status"] = "cancelled"
    with pytest.raises(NotOnPathway, match="cancelled"):
        gate(bundle)


def test_a_missing_patient_is_refused_with_the_reason():
    with pytest.raises(IncompleteRecord, match=r"Patient \(Encounter.subject\) is missing"):
        gate(remove(happy_bundle(), "Patient"))


def test_no_low_back_pain_diagnosis_is_refused():
    bundle = happy_bundle()
    resource(bundle, "Condition")["code"]["coding"] = [{"system": SNOMED, "code": "38341003"}]
    with pytest.raises(NotOnPathway, match="no low back pain diagnosis"):
        gate(bundle)


def test_a_refuted_low_back_pain_diagnosis_is_no_diagnosis():
    bundle = happy_bundle()
    resource(bundle, "Condition")["verificationStatus"]["coding"][0]["code"] = "refuted"
    with pytest.raises(NotOnPathway, match="no low back pain diagnosis"):
        gate(bundle)


def test_a_diagnosis_in_reason_code_only_passes_with_a_warning():
    bundle = remove(happy_bundle(), "Condition")
    encounter = resource(bundle, "Encounter")
    del encounter["diagnosis"]
    encounter["reasonCode"] = [{"coding": [{"system": ICD10_CM, "code": "M54.50"}]}]
    result = gate(bundle)
    assert result.diagnosis_condition is None
    assert any("reasonCode" in w for w in result.warnings)


def test_a_missing_gp_passes_with_a_warning():
    bundle = happy_bundle()
    del resource(bundle, "Patient")["generalPractitioner"]
    assert any("general practitioner" in w for w in gate(bundle).warnings)


def test_a_minor_is_refused():
    bundle = happy_bundle()
    resource(bundle, "Patient")["birthDate"] = "2010-01-01"
    with pytest.raises(NotOnPathway, match="not an adult"):
        gate(bundle)


def test_an_encounter_without_end_is_refused():
    bundle = happy_bundle()
    del resource(bundle, "Encounter")["period"]["end"]
    with pytest.raises(IncompleteRecord, match=r"period.end"):
        gate(bundle)


def test_a_missing_physician_or_hospital_is_refused():
    with pytest.raises(IncompleteRecord, match="physician"):
        gate(remove(happy_bundle(), "Practitioner", "lbp-example-ed-physician"))
    with pytest.raises(IncompleteRecord, match="hospital"):
        gate(remove(happy_bundle(), "Organization"))


def test_a_condition_of_another_patient_is_bad_input():
    bundle = add(
        happy_bundle(), condition("x", SNOMED, "279039007", patient="Patient/someone-else")
    )
    with pytest.raises(InvalidInput, match="another patient"):
        gate(bundle)


def test_a_diagnosis_missing_from_the_context_is_bad_input():
    bundle = remove(happy_bundle(), "Condition")
    with pytest.raises(InvalidInput, match=r"Encounter.diagnosis\[0\]"):
        gate(bundle)
