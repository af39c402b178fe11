"""The facts every builder shares, derived once from a context that passed the gate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .codes import Code
from .context import DischargeContext, require
from .eligibility import Eligibility
from .identity import derived_uuid, encounter_key
from .narrative import days_after
from .phrases import PHRASES
from .references import Ref, Resource, ref_of

# pathway.md, "Expected course and follow-up": GP after 1 week, spine programme after 6 weeks.
WEEK_FOLLOW_UP_DAYS = 7
SIX_WEEK_FOLLOW_UP_DAYS = 42


@dataclass(frozen=True)
class DischargeFacts:
    key: str  # the encounter's identity, from which every new fullUrl and identifier derives
    language: str
    phrases: dict[str, str]
    encounter: Ref
    patient: Ref
    physician: Ref
    hospital: Ref
    general_practitioner: Ref | None
    diagnosis: Code
    diagnosis_condition: Ref | None
    discharge: datetime
    week_follow_up: datetime
    six_week_follow_up: datetime
    # the new resources, by urn:uuid until the server gives them ids
    letter: Ref
    brochure: Ref
    care_plan: Ref
    task_week: Ref
    task_six_weeks: Ref
    communication: Ref
    context: DischargeContext

    @property
    def patient_resource(self) -> Resource:
        return require(self.context.patient, "Patient")


def discharge_facts(
    ctx: DischargeContext, eligibility: Eligibility, language: str = "nl-BE"
) -> DischargeFacts:
    key = encounter_key(ctx.encounter)

    def new(role: str) -> Ref:
        return Ref(None, None, urn=derived_uuid(key, role))

    discharge = eligibility.discharge_time
    gp = ctx.general_practitioner
    condition = eligibility.diagnosis_condition
    return DischargeFacts(
        key=key,
        language=language,
        phrases=PHRASES[language],
        encounter=ref_of(ctx.encounter),
        patient=ref_of(require(ctx.patient, "Patient")),
        physician=ref_of(require(ctx.physician, "physician")),
        hospital=ref_of(require(ctx.hospital, "hospital")),
        general_practitioner=ref_of(gp) if gp is not None and "id" in gp else None,
        diagnosis=eligibility.diagnosis_code,
        diagnosis_condition=ref_of(condition) if condition is not None else None,
        discharge=discharge,
        week_follow_up=days_after(discharge, WEEK_FOLLOW_UP_DAYS),
        six_week_follow_up=days_after(discharge, SIX_WEEK_FOLLOW_UP_DAYS),
        letter=new("letter"),
        brochure=new("brochure"),
        care_plan=new("care-plan"),
        task_week=new("follow-up-1-week"),
        task_six_weeks=new("follow-up-6-weeks"),
        communication=new("letter-to-gp"),
        context=ctx,
    )
