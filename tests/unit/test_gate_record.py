"""The records of issue 17 a clinician wrote, and pathway.md's "Who, when, what is given": each
as the record a clinician would write, through the gate and the letter (and the CLI for the
partial birth date). The generated matrix (tests/unit/test_gate_matrix.py) proves the scan by
construction; these name the failures the issue lists, for the hazard log.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fhir_discharge import IncompleteRecord, NotOnPathway, build_discharge, context_from_bundle
from fhir_discharge.cli import main as cli
from fhir_discharge.core.codes import ICD10, ICD10_CM, SNOMED
from fhir_discharge.core.gate import Eligibility, check_eligibility
from fhir_discharge.core.letter.composition import plain_text
from fhir_discharge.core.transaction import Discharge
from tests.support.factories import (
    add,
    answer,
    clinical,
    condition,
    happy_bundle,
    prescription,
    resource,
    screening,
)
from tests.support.site import SITE

ATC = "http://www.whocc.no/atc"
PATIENT = {"reference": "Patient/lbp-example-patient"}


def gate(bundle: dict[str, Any]) -> Eligibility:
    return check_eligibility(context_from_bundle(bundle), SITE.pathway)


def refusal(bundle: dict[str, Any]) -> NotOnPathway | IncompleteRecord:
    with pytest.raises((NotOnPathway, IncompleteRecord)) as raised:
        gate(bundle)
    assert isinstance(raised.value, NotOnPathway | IncompleteRecord)
    return raised.value


def codes_of(bundle: dict[str, Any]) -> set[str | None]:
    return {f.code for f in refusal(bundle).findings}


def built(bundle: dict[str, Any]) -> Discharge:
    return build_discharge(context_from_bundle(bundle), SITE)


def letter_text(bundle: dict[str, Any]) -> str:
    return plain_text(built(bundle).letter["text"]["div"])


def statement(statement_id: str, concept: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "resourceType": "MedicationStatement",
        "id": statement_id,
        "status": "active",
        "medicationCodeableConcept": concept,
        "subject": PATIENT,
        **fields,
    }


def atc(code: str, text: str, *more: dict[str, str]) -> dict[str, Any]:
    return {"coding": [*more, {"system": ATC, "code": code}], "text": text}


# --- what the coded record holds ----------------------------------------------------------------


def test_a_fever_written_as_a_string_or_an_integer_refuses() -> None:
    for value in ({"valueString": "38,9 °C"}, {"valueInteger": 39}):
        temperature = clinical(
            "Observation",
            "t",
            status="final",
            code={"coding": [{"system": "http://loinc.org", "code": "8310-5"}]},
            **value,
        )
        assert "fever" in codes_of(add(happy_bundle(), temperature)), value


def test_a_fever_timed_in_the_visit_without_an_encounter_link_refuses() -> None:
    temperature = clinical(
        "Observation",
        "t",
        status="final",
        code={"coding": [{"system": "http://loinc.org", "code": "8310-5"}]},
        effectiveDateTime="2026-11-25T10:41:00+01:00",
        valueQuantity={"value": 39.1, "system": "http://unitsofmeasure.org", "code": "Cel"},
    )
    del temperature["encounter"]
    assert "fever" in codes_of(add(happy_bundle(), temperature))


def test_an_observation_whose_code_is_a_red_flag_refuses_when_present() -> None:
    retention = clinical(
        "Observation",
        "retention",
        status="final",
        code={"coding": [{"system": SNOMED, "code": "267064002"}]},
        valueString="present",
    )
    [finding] = refusal(add(happy_bundle(), retention)).findings
    assert (finding.code, finding.params["red_flag"]) == ("red-flag-observation", "cauda-equina")
    retention["valueString"] = "afwezig"
    assert gate(add(happy_bundle(), retention)).prescriptions == ()


def test_a_reports_conclusion_code_of_a_vertebral_fracture_refuses() -> None:
    report = clinical(
        "DiagnosticReport",
        "xray",
        status="final",
        code={"text": "RX lumbale wervelzuil"},
        conclusionCode=[{"coding": [{"system": SNOMED, "code": "426646004"}]}],
        conclusion="Inzakkingsfractuur L1.",
    )
    [finding] = refusal(add(happy_bundle(), report)).findings
    assert (finding.code, finding.params["red_flag"]) == ("red-flag-report", "fracture")


@pytest.mark.parametrize(
    ("code", "item"),
    [("254637007", "malignancy"), ("6077001", "neurological-deficit")],
    ids=["non-small cell lung cancer", "foot drop"],
)
def test_snomed_concepts_below_the_listed_ones_are_listed_too(code: str, item: str) -> None:
    # Without a terminology server, codes.py lists the descendants that matter (pathway.md).
    flag = condition("below", SNOMED, code, encounter=False)
    [finding] = refusal(add(happy_bundle(), flag)).findings
    assert finding.params["red_flag"] == item


def test_prostate_cancer_coded_under_the_icd10_oid_refuses() -> None:
    cancer = condition("c61", "urn:oid:2.16.840.1.113883.6.3", "C61", encounter=False)
    [finding] = refusal(add(happy_bundle(), cancer)).findings
    assert (finding.code, finding.params["red_flag"]) == ("red-flag-patient", "malignancy")


def test_a_fall_from_a_ladder_as_the_reason_for_the_visit_refuses_as_trauma() -> None:
    bundle = happy_bundle()
    resource(bundle, "Encounter")["reasonCode"] = [
        {"coding": [{"system": ICD10, "code": "W11"}], "text": "val van ladder"}
    ]
    [finding] = refusal(bundle).findings
    assert (finding.code, finding.params["red_flag"]) == ("red-flag-reason", "fracture")


@pytest.mark.parametrize(
    "record",
    [
        statement("pred", atc("H02AB06", "Prednisolon 20 mg")),
        clinical(
            "MedicationRequest",
            "pred",
            status="active",
            intent="order",
            encounter={"reference": "Encounter/chronic-care"},
            medicationCodeableConcept=atc("H02AB06", "Prednisolon 5 mg"),
        ),
    ],
    ids=["MedicationStatement", "chronic MedicationRequest"],
)
def test_long_term_prednisolone_refuses_for_fracture_and_infection(record: dict[str, Any]) -> None:
    found = refusal(add(happy_bundle(), record)).findings
    assert {f.params["red_flag"] for f in found} == {"fracture", "infection"}
    assert {f.code for f in found} == {"red-flag-medication"}


@pytest.mark.parametrize("status", ["completed", "stopped"])
def test_a_prednisolone_course_that_is_over_is_of_another_time(status: str) -> None:
    # gate/record.py `holding`: home medication completed or stopped is over, and an over fact
    # is no red flag of today (H64); found by the bounded mutation run (survivors of `holding`).
    for record in (
        statement("pred", atc("H02AB06", "Prednisolon 20 mg"), status=status),
        clinical(
            "MedicationRequest",
            "pred",
            status=status,
            intent="order",
            encounter={"reference": "Encounter/chronic-care"},
            medicationCodeableConcept=atc("H02AB06", "Prednisolon 5 mg"),
        ),
    ):
        assert isinstance(built(add(happy_bundle(), record)), Discharge), record["resourceType"]


def test_prednisolone_ordered_at_this_visit_holds_whatever_its_status() -> None:
    # gate/record.py `holding`: a MedicationRequest of this encounter is of this visit, even
    # when the order is already completed (a single dose given in the ED).
    ordered = clinical(
        "MedicationRequest",
        "pred",
        status="completed",
        intent="order",
        encounter={"reference": "Encounter/lbp-example-encounter"},
        medicationCodeableConcept=atc("H02AB06", "Prednisolon 20 mg"),
    )
    found = refusal(add(happy_bundle(), ordered)).findings
    assert {f.params["red_flag"] for f in found} == {"fracture", "infection"}


def test_home_medication_without_an_atc_code_is_read_by_its_substance_name() -> None:
    # pathway.md reads medication by ATC; a record that gives none is read by the name of the
    # substance, taken systemically, and the answer says which medication was read so.
    prednisolone = statement("pred", {"text": "Prednisolon 10 mg, 1 x per dag"})
    found = refusal(add(happy_bundle(), prednisolone)).findings
    assert {(f.code, f.params["red_flag"]) for f in found} == {
        ("red-flag-medication", "fracture"),
        ("red-flag-medication", "infection"),
    }
    snomed_only = statement(
        "mtx",
        {"coding": [{"system": SNOMED, "code": "1", "display": "Methotrexate 2.5 mg tablet"}]},
    )
    assert {f.params["red_flag"] for f in refusal(add(happy_bundle(), snomed_only)).findings} == {
        "infection",
        "malignancy",
    }
    # A cream is not taken systemically; a brand name or paracetamol names no class: a letter,
    # with a warning naming what was read by its name only.
    for text in ("Betamethason crème 0,1%", "Medrol 32 mg", "Paracetamol 1 g"):
        discharge = built(add(happy_bundle(), statement("home", {"text": text})))
        assert discharge.facts.record.prescriptions == ()
        assert any(
            str(w).startswith(
                "home medication without an ATC code was screened by its name only: "
                "MedicationStatement/home"
            )
            for w in discharge.warnings
        ), text
    # With an ATC code beside a SNOMED CT or national code, the class is read by code.
    with_atc = statement("statin", atc("C10AA05", "Lipitor 20 mg", {"system": SNOMED, "code": "1"}))
    assert built(add(happy_bundle(), with_atc)).warnings == ()


def test_vertebrogenic_low_back_pain_is_not_the_pathways_diagnosis() -> None:
    bundle = happy_bundle()
    resource(bundle, "Condition")["code"] = {
        "coding": [{"system": ICD10_CM, "code": "M54.51"}],
        "text": "Vertebrogene lage rugpijn",
    }
    assert codes_of(bundle) == {"other-diagnosis", "diagnosis-missing"}
    for code in ("M54.50", "M54.59", "M54.5"):
        resource(bundle, "Condition")["code"]["coding"][0]["code"] = code
        assert gate(bundle).diagnosis_code.code == code


# --- who, when, what is given -------------------------------------------------------------------


def test_low_back_pain_with_an_onset_four_months_ago_is_not_acute() -> None:
    bundle = happy_bundle()
    resource(bundle, "Condition")["onsetDateTime"] = "2026-07-20"
    [finding] = refusal(bundle).findings
    assert finding.code == "low-back-pain-not-acute" and "2026-07" in finding.message
    resource(bundle, "Condition")["onsetDateTime"] = "2026-10-20"  # 5 weeks: acute
    assert gate(bundle).diagnosis_condition["id"] == "lbp-example-diagnosis"
    del resource(bundle, "Condition")["onsetDateTime"]  # no onset: allowed
    assert gate(bundle).diagnosis_condition["id"] == "lbp-example-diagnosis"


@pytest.mark.parametrize(
    ("onset", "acute"),
    [("sinds 4 maanden", False), ("3 weken", True), ("gisteren bij het tillen", True)],
)
def test_an_onset_written_as_text_is_read_when_it_can_be(onset: str, acute: bool) -> None:
    bundle = happy_bundle()
    diagnosis = resource(bundle, "Condition")
    del diagnosis["onsetDateTime"]
    diagnosis["onsetString"] = onset
    if acute:
        assert gate(bundle).diagnosis_condition["id"] == "lbp-example-diagnosis"
    else:
        assert codes_of(bundle) == {"low-back-pain-not-acute"}
    diagnosis["onsetString"] = "lang geleden"
    assert codes_of(bundle) == {"onset-unreadable"}


def test_chronic_low_back_pain_on_the_problem_list_is_not_acute() -> None:
    chronic = condition("chronic", SNOMED, "278860009", encounter=False)
    assert codes_of(add(happy_bundle(), chronic)) == {"low-back-pain-chronic"}


def test_a_31_week_pregnancy_refuses() -> None:
    pregnancy = condition("zwanger", ICD10_CM, "Z3A.31", encounter=False)
    assert codes_of(add(happy_bundle(), pregnancy)) == {"pregnancy"}
    status = clinical(
        "Observation",
        "status",
        status="final",
        code={"coding": [{"system": "http://loinc.org", "code": "82810-3"}]},
        valueCodeableConcept={"coding": [{"system": SNOMED, "code": "77386006"}]},
        effectiveDateTime="2026-10-02T10:00:00+02:00",  # at an antenatal visit 8 weeks ago
        encounter={"reference": "Encounter/antenatal"},
    )
    assert codes_of(add(happy_bundle(), status)) == {"pregnancy"}
    status["valueCodeableConcept"]["coding"][0]["code"] = "60001007"  # not pregnant
    assert gate(add(happy_bundle(), status)).nsaid_caution == ()


def test_an_apixaban_user_gets_the_nsaid_caution_and_its_warning() -> None:
    apixaban = statement("apixaban", atc("B01AF02", "Eliquis 5 mg"))
    discharge = built(add(happy_bundle(), apixaban))
    text = plain_text(discharge.letter["text"]["div"])
    assert "bij deze patiënte enkel met voorzichtigheid (gebruik van een anticoagulans" in text
    assert "Ontstekingsremmers (NSAID's) vragen bij uw patiënte voorzichtigheid" in text
    assert any(
        str(w).startswith("NSAIDs carry more risk for this patient") for w in discharge.warnings
    )
    assert discharge.facts.record.prescriptions == ()  # home medication is never prescribed
    care_plan = next(e["resource"] for e in discharge.bundle["entry"][2:3])
    assert "enkel met voorzichtigheid" in care_plan["activity"][4]["detail"]["description"]


@pytest.mark.parametrize(
    ("system", "code"),
    [(ICD10, "N18.3"), (ICD10_CM, "I50.9"), (SNOMED, "13200003"), (ICD10, "K92.2")],
)
def test_renal_heart_and_gastro_intestinal_risk_give_the_same_caution(
    system: str, code: str
) -> None:
    comorbidity = condition("risk", system, code, encounter=False)
    result = gate(add(happy_bundle(), comorbidity))
    assert len(result.nsaid_caution) == 1 and result.older_patient is False


def test_a_screening_by_a_triage_nurse_is_not_the_physicians() -> None:
    bundle = happy_bundle()
    nurse = {
        "resourceType": "Practitioner",
        "id": "triage",
        "name": [{"family": "Peeters", "given": ["Els"]}],
    }
    role = {
        "resourceType": "PractitionerRole",
        "id": "triage-role",
        "practitioner": {"reference": "Practitioner/triage"},
        "code": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/practitioner-role",
                        "code": "nurse",
                    }
                ]
            }
        ],
    }
    add(add(bundle, nurse), role)
    resource(bundle, "Encounter")["participant"].append(
        {"individual": {"reference": "PractitionerRole/triage-role"}}
    )
    screening(bundle)["author"] = {"reference": "PractitionerRole/triage-role"}
    [finding] = refusal(bundle).findings
    assert (finding.code, finding.params["role"]) == ("screener-not-physician", "nurse")


def test_a_screening_by_someone_outside_the_encounter_is_refused() -> None:
    bundle = happy_bundle()
    screening(bundle)["author"] = {"reference": "Practitioner/lbp-example-gp"}
    assert codes_of(bundle) == {"screener-not-participant"}


def test_a_physician_with_no_name_is_refused_not_written_as_a_blank() -> None:
    bundle = happy_bundle()
    del resource(bundle, "Practitioner", "lbp-example-ed-physician")["name"]
    found = refusal(bundle).findings
    assert {f.code for f in found} == {"practitioner-unnamed"}
    assert len(found) == 2  # the screener and the physician who signs


@pytest.mark.parametrize(
    ("intent", "status", "listed"),
    [
        ("order", "active", True),
        ("original-order", "completed", True),
        ("instance-order", "active", True),
        ("filler-order", "active", True),
        ("proposal", "active", False),
        ("plan", "active", False),
        ("order", "stopped", False),
        ("order", "cancelled", False),
        ("order", "entered-in-error", False),
        ("order", "draft", False),
    ],
)
def test_only_an_order_active_or_completed_is_listed_as_prescribed(
    intent: str, status: str, listed: bool
) -> None:
    request = prescription("ibu", "Ibuprofen 400 mg", intent=intent, status=status)
    result = gate(add(happy_bundle(), request))
    assert bool(result.prescriptions) is listed


def test_without_the_brochure_the_advice_is_the_pathways_for_the_gp_to_pass_on() -> None:
    text = letter_text(answer(happy_bundle(), "brochure-given", False))
    assert "kreeg de volgende adviezen mee" not in text and "werd gevraagd" not in text
    assert "Adviezen van het zorgpad" in text
    assert "Wilt u ze aan uw patiënte doorgeven?" in text
    assert "Het zorgpad vraagt de patiënte de huisarts te raadplegen bij" in text
    given = letter_text(happy_bundle())
    assert "kreeg de volgende adviezen mee" in given and "werd gevraagd" in given


def test_hypertension_as_a_comorbidity_of_the_encounter_is_no_other_diagnosis() -> None:
    bundle = happy_bundle()
    add(bundle, condition("htn", ICD10, "I10", encounter=False))
    resource(bundle, "Encounter")["diagnosis"].append(
        {
            "condition": {"reference": "Condition/htn"},
            "use": {
                "coding": [
                    {"system": "http://terminology.hl7.org/CodeSystem/diagnosis-role", "code": "CM"}
                ]
            },
        }
    )
    assert gate(bundle).diagnosis_condition["id"] == "lbp-example-diagnosis"


def test_an_alternative_home_is_home_and_no_disposition_is_refused() -> None:
    bundle = happy_bundle()
    disposition = resource(bundle, "Encounter")["hospitalization"]["dischargeDisposition"]
    disposition["coding"][0]["code"] = "alt-home"
    assert gate(bundle).diagnosis_condition["id"] == "lbp-example-diagnosis"
    del resource(bundle, "Encounter")["hospitalization"]
    assert codes_of(bundle) == {"disposition-missing"}


def test_an_imaging_study_and_its_report_are_one_examination() -> None:
    study = clinical(
        "ImagingStudy", "rx-study", status="available", description="RX lumbale wervelzuil"
    )
    report = clinical(
        "DiagnosticReport",
        "rx-report",
        status="final",
        code={"text": "RX lumbale wervelzuil"},
        imagingStudy=[{"reference": "ImagingStudy/rx-study"}],
        conclusion="Geen fractuur.",
    )
    discharge = built(add(add(happy_bundle(), study), report))
    text = plain_text(discharge.letter["text"]["div"])
    assert text.count("RX lumbale wervelzuil") == 1
    assert "RX lumbale wervelzuil, besluit van het verslag: “Geen fractuur.”" in text
    assert "geen beeldvorming" not in text.lower()
    # The answer warns the physician to read the free text it cannot.
    assert any(
        "DiagnosticReport/rx-report has a free-text conclusion" in str(w)
        for w in discharge.warnings
    )


def test_a_report_whose_conclusion_starts_with_its_name_is_named_once() -> None:
    crp = clinical(
        "DiagnosticReport",
        "crp",
        status="final",
        category=[
            {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0074", "code": "LAB"}]}
        ],
        code={"text": "CRP"},
        conclusion="CRP 3 mg/L",
    )
    text = letter_text(add(happy_bundle(), crp))
    assert "CRP: CRP" not in text and "Besluit van het verslag: “CRP 3 mg/L”" in text


@pytest.mark.parametrize(
    ("birth", "said", "older"),
    [
        (
            "1956",
            "geboren in 1956",
            "is mogelijk 70 jaar of ouder (het dossier vermeldt enkel 1956",
        ),
        ("1956-03", "geboren in maart 1956", "is 70 jaar of ouder"),  # 70 in any case
    ],
)
def test_a_partial_birth_date_is_said_as_recorded(birth: str, said: str, older: str) -> None:
    # The visit is on 25 November 2026: an age range that reaches 70 gets the caution.
    bundle = happy_bundle()
    resource(bundle, "Patient")["birthDate"] = birth
    text = letter_text(bundle)
    assert said in text and older in text
    assert "vanaf 70 jaar enkel met voorzichtigheid" in text


@pytest.mark.parametrize("birth", ["1956", "1956-03", "2009", "1926-02"])
def test_the_cli_dry_run_answers_a_partial_birth_date_with_exit_0_or_2(
    birth: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = happy_bundle()
    resource(bundle, "Patient")["birthDate"] = birth
    path = tmp_path / "record.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    code = cli(["discharge", str(path), "--dry-run"])
    out, err = capsys.readouterr()
    assert code in (0, 2) and "Traceback" not in err
    if code == 0:
        assert json.loads(out)["type"] == "transaction"
    else:
        assert '"resourceType": "OperationOutcome"' in err


def test_the_cli_dry_run_answers_a_file_that_is_not_json_with_an_outcome(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "record.json"
    path.write_text("{ not json", encoding="utf-8")
    assert cli(["discharge", str(path), "--dry-run"]) == 2
    assert '"resourceType": "OperationOutcome"' in capsys.readouterr().err


def _gp_by_identifier(bundle: dict[str, Any]) -> dict[str, Any]:
    resource(bundle, "Patient")["generalPractitioner"] = [
        {
            "identifier": {
                "system": "https://www.ehealth.fgov.be/standards/fhir/core/NamingSystem/nihdi",
                "value": "19234506004",
            },
            "display": "Dr. Lieve Wouters",
        }
    ]
    return bundle


def test_a_gp_recorded_by_identifier_only_gets_the_letter() -> None:
    discharge = built(_gp_by_identifier(happy_bundle()))
    text = plain_text(discharge.letter["text"]["div"])
    assert "Aan: Dr. Lieve Wouters" in text
    communication = next(
        e["resource"]
        for e in discharge.bundle["entry"]
        if e["resource"]["resourceType"] == "Communication"
    )
    [recipient] = communication["recipient"]
    assert recipient["identifier"]["value"] == "19234506004"
    assert recipient["display"] == "Dr. Lieve Wouters" and "reference" not in recipient
    follow_ups = [
        e["resource"]
        for e in discharge.bundle["entry"]
        if e["resource"]["resourceType"] == "Task" and "focus" not in e["resource"]
    ]
    assert len(follow_ups) == 2
    assert all(t["owner"]["identifier"]["value"] == "19234506004" for t in follow_ups)
    assert not any("general practitioner" in str(w) for w in discharge.warnings)


def test_a_home_medication_statement_is_in_the_context() -> None:
    statin = statement("statin", atc("C10AA05", "Atorvastatine 20 mg"))
    ctx = context_from_bundle(add(happy_bundle(), statin))
    assert [s["id"] for s in ctx.medication_statements] == ["statin"]
    assert not any("ignored" in note for note in ctx.notes)


def test_a_physician_taking_part_by_a_role_signs_and_may_screen() -> None:
    # Encounter.participant names a PractitionerRole; the screening's author is the
    # Practitioner, referenced by the Bundle's urn:uuid fullUrl.
    bundle = happy_bundle()
    role = {
        "resourceType": "PractitionerRole",
        "id": "ed-role",
        "practitioner": {"reference": "Practitioner/lbp-example-ed-physician"},
        "code": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/practitioner-role",
                        "code": "doctor",
                    }
                ]
            }
        ],
    }
    add(bundle, role)
    resource(bundle, "Encounter")["participant"][0]["individual"] = {
        "reference": "PractitionerRole/ed-role"
    }
    for entry in bundle["entry"]:
        if entry["resource"].get("id") == "lbp-example-ed-physician":
            entry["fullUrl"] = "urn:uuid:8f3e0c5e-3d1b-4a8e-9a53-1f0b6f1d2c11"
    screening(bundle)["author"] = {"reference": "urn:uuid:8f3e0c5e-3d1b-4a8e-9a53-1f0b6f1d2c11"}
    result = gate(bundle)
    assert result.screening.author["id"] == "lbp-example-ed-physician"
    assert context_from_bundle(bundle).physician["id"] == "lbp-example-ed-physician"


# --- H185: a screening documented after the patient left ----------------------------------------


@pytest.mark.parametrize(
    ("authored", "warned"),
    [
        ("2026-11-25T11:55:00+01:00", False),  # before the visit's end (12.40)
        ("2026-11-25T14:40:00+01:00", False),  # exactly LATE_SCREENING_AFTER after it
        ("2026-11-25T14:41:00+01:00", True),
        ("2026-12-07T03:00:00+01:00", True),  # days later: the independent walk's case
    ],
)
def test_a_screening_documented_hours_after_the_visit_ended_is_warned_of(
    authored: str, warned: bool
) -> None:
    bundle = happy_bundle()
    resource(bundle, "QuestionnaireResponse")["authored"] = authored
    codes = [w.code for w in gate(bundle).warnings]
    assert ("screening-after-visit" in codes) is warned, codes
