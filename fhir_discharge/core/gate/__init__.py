"""The pathway gate: may this ED encounter get the low back pain letter, and what may it say?

Closed world (pathway.md, "What the letter may assert"): the gate passes an encounter only when
the record shows everything the letter states, and returns exactly those facts. It refuses
- NotOnPathway (422) when the record shows the patient is off the pathway: a red flag or
  radicular pain in the coded record or in the physician's screening, another diagnosis, not an
  ED visit, not sent home, deceased, a minor;
- IncompleteRecord (422) when the record is silent, unreadable or contradictory where the letter
  needs it: no screening, an incomplete one, a diagnosis with no code, no end time...
Each finding names the data and, for an incomplete record, what to document. Absence of data is
never evidence: nothing here fills a gap with the pathway's default.

One module per concern, each a function over the context that adds what it finds to one
`Findings` collector: `modifiers` (what the service cannot read), `encounter` (the encounter and
the patient), `diagnosis`, `record_scan` (one scan of the whole coded record, every position, for
red flags, pregnancy and the NSAID caution), `screening` (the physician's, and who screened),
`medication` (home medication the gate must classify; what was prescribed) and `examinations`
(what the letter names); `record` holds how they all read the record and the one rule of what
negates a fact, `matching` the one way a coding is matched.
"""

from __future__ import annotations

from datetime import timedelta

from ...errors import Finding, IncompleteRecord
from ..codes import NSAID_CAUTION_REASONS
from ..letter.narrative import person_name
from ..pathway.definition import Pathway
from ..record.context import DischargeContext
from .diagnosis import check_diagnosis
from .encounter import OLDER_PATIENT_AGE, check_encounter, check_patient, patient_ages
from .examinations import examinations
from .findings import Findings
from .medication import prescriptions, warn_of_home_medication_by_name
from .modifiers import check_modifiers
from .record import CONFIRMED, holds, verification, visit_start
from .record_scan import scan_record
from .result import Eligibility, RecordItem, Screening
from .screening import check_screening

__all__ = [
    "NSAID_CAUTION_ENGLISH",
    "OLDER_PATIENT_AGE",
    "Eligibility",
    "RecordItem",
    "Screening",
    "check_eligibility",
    "holds",
]

# How the NSAID-caution warning names each reason besides age (pathway.md, "NSAID caution").
NSAID_CAUTION_ENGLISH = {
    "anticoagulant": "an anticoagulant or antiplatelet",
    "renal-impairment": "renal impairment",
    "heart-failure": "heart failure",
    "gastro-intestinal": "a peptic ulcer or gastro-intestinal bleeding",
}


# How long after the visit's end a screening still counts as the one at discharge without a
# warning: the EHR may close the encounter shortly before the physician confirms (H185).
LATE_SCREENING_AFTER = timedelta(hours=2)


def check_eligibility(ctx: DischargeContext, pathway: Pathway) -> Eligibility:
    """Pass an on-pathway encounter; raise NotOnPathway / IncompleteRecord otherwise. `pathway`:
    the definitions as the site publishes them (the screening is a response to its
    Questionnaire)."""
    patient = ctx.patient
    if patient is None:
        raise IncompleteRecord(
            "the encounter's Patient (Encounter.subject) is missing from the record",
            [Finding("Patient not found: include it", "Encounter.subject", "patient-missing")],
        )
    findings = Findings(warnings=list(ctx.notes))
    check_modifiers(ctx, findings)
    check_encounter(ctx, findings)
    check_patient(ctx, patient, findings)
    diagnosis = check_diagnosis(ctx, findings)
    caution = scan_record(ctx, findings)
    warn_of_home_medication_by_name(ctx, findings)
    screening = check_screening(ctx, pathway.screening.canonical, findings)
    tests, no_imaging = examinations(ctx, findings)
    prescribed = prescriptions(ctx, findings)
    if ctx.physician is None:
        findings.missing(
            "no physician on the encounter to sign the letter: add the ED physician as a "
            "Practitioner participant",
            "Encounter.participant",
            "physician-missing",
        )
    elif not person_name(ctx.physician):
        signer = f"Practitioner/{ctx.physician.get('id')}"
        findings.missing(
            f"the physician who signs the letter ({signer}) has no name: record the name",
            f"{signer}.name",
            "practitioner-unnamed",
            resource=signer,
        )
    if ctx.hospital is None:
        findings.missing(
            "the hospital is missing from the record: add the Organization",
            "Encounter.serviceProvider",
            "hospital-missing",
        )
    findings.raise_refusal()
    assert diagnosis is not None and screening is not None
    visit = visit_start(ctx)
    discharge = ctx.discharge_time
    assert visit is not None and discharge is not None
    code, condition = diagnosis
    ages = patient_ages(ctx, patient)
    older = ages is not None and ages[1] >= OLDER_PATIENT_AGE
    if older:
        findings.warn(
            f"the patient is {OLDER_PATIENT_AGE} or older: fracture and malignancy are more "
            "likely, and NSAIDs carry more risk (NICE NG59 1.2.13); the letter advises "
            "caution with NSAIDs",
            "older-patient",
            age=str(OLDER_PATIENT_AGE),
        )
    if screening.authored > discharge + LATE_SCREENING_AFTER:
        # The letter reports the screening as the one at discharge, dated at the visit's end: a
        # screening documented after the patient left (late, from memory, or the wrong visit
        # opened) is said to the physician before they confirm (hazard H185).
        hours = int(LATE_SCREENING_AFTER.total_seconds() // 3600)
        findings.warn(
            f"the red-flag screening was documented more than {hours} hours after the visit "
            "ended (QuestionnaireResponse.authored after Encounter.period.end): the letter "
            "reports it as the screening at discharge; check that this is the right visit and "
            "that the answers are the patient's state when they left",
            "screening-after-visit",
            hours=str(hours),
        )
    others = [r for r in NSAID_CAUTION_REASONS if r in caution]
    if others:
        findings.warn(
            "NSAIDs carry more risk for this patient ("
            + ", ".join(NSAID_CAUTION_ENGLISH[r] for r in others)
            + " in the record; NICE NG59 1.2.13): the letter advises caution with NSAIDs",
            "nsaid-caution",
            reasons=tuple(others),
        )
    # A GP recorded by identifier only (no resource) is the patient's GP (pathway.md, "The GP
    # by identifier only"): no warning claims there is none.
    has_gp = ctx.general_practitioner is not None or ctx.general_practitioner_logical is not None
    if not has_gp and ctx.general_practitioners_not_in_use:
        findings.warn(
            "the patient's general practitioner on record is not in use ("
            + ", ".join(ctx.general_practitioners_not_in_use)
            + " active false): the letter is addressed to the treating GP and the follow-up "
            "tasks to the patient",
            "general-practitioner-not-in-use",
            references=tuple(ctx.general_practitioners_not_in_use),
        )
    elif not has_gp:
        findings.warn(
            "the patient has no general practitioner on record (Patient.generalPractitioner): "
            "the letter is addressed to the treating GP and the follow-up tasks to the patient",
            "no-general-practitioner",
        )
    gender = patient.get("gender")
    return Eligibility(
        diagnosis_code=code,
        diagnosis_condition=condition,
        working_diagnosis=verification(condition) != CONFIRMED,
        visit_time=visit,
        discharge_time=discharge,
        screening=screening,
        tests=tests,
        no_imaging_shown=no_imaging,
        prescriptions=prescribed,
        older_patient=older,
        sex=gender if isinstance(gender, str) else None,
        warnings=tuple(findings.warnings),
        nsaid_caution=(*(("older-patient",) if older else ()), *others),
        older_certainly=ages is not None and ages[0] >= OLDER_PATIENT_AGE,
    )
