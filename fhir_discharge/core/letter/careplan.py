"""The care plan: the self-management advice as activities, and the two timed follow-ups as Tasks.

pathway.md, "Advice given to the patient" (one activity per item) and "Expected course and
follow-up" (a Task at discharge + 1 week for the GP, at + 6 weeks for the spine programme).
"""

from __future__ import annotations

from datetime import datetime

from ...types import Resource
from ..brussels_time import fhir_datetime
from ..codes import ADVICE_CODES, FOLLOW_UP_CODES, Code
from ..pathway.canonicals import claims
from ..pathway.content import SAFETY_NET_ED_KEYS, SAFETY_NET_GP_KEYS
from ..pathway.definition import ONE_WEEK, SIX_WEEKS
from ..record.identity import business_identifier
from ..record.references import Ref
from .composition import medication_advice, medication_advice_keys, safety_net_keys
from .facts import DischargeFacts
from .narrative import generated, paragraph, text


def build_care_plan(facts: DischargeFacts) -> Resource:
    p = facts.phrases
    activities: list[Resource] = []
    advice = facts.site.pathway.advice
    for key in advice:
        detail: Resource = {"status": "in-progress", "description": _advice_text(facts, key)}
        code = ADVICE_CODES.get(key)
        if code is not None:
            detail = {"code": code.concept(), **detail}
        activities.append({"detail": detail})
    # pathway.md, "Safety-netting": the patient's instructions, so in the patient's plan too.
    activities += [
        {"detail": {"status": "in-progress", "description": line}} for line in _safety_net(facts)
    ]
    activities += [
        {"reference": facts.task_week.as_reference()},
        {"reference": facts.task_six_weeks.as_reference()},
    ]
    care_plan: Resource = {
        "resourceType": "CarePlan",
        "meta": claims(facts.site.canonicals.care_plan_profile),
        "language": facts.language,
        "text": generated(
            paragraph(text(p["care-plan-title"]))
            + "".join(paragraph(text(_advice_text(facts, key))) for key in advice)
            + "".join(paragraph(text(line)) for line in _safety_net(facts))
            + paragraph(text(_week_text(facts)))
            + paragraph(text(_six_weeks_text(facts))),
            facts.language,
        ),
        "identifier": [business_identifier(facts.care_plan.literal)],
        # As PlanDefinition/$apply would make it: this plan instantiates the pathway.
        "instantiatesCanonical": [facts.site.pathway.canonical],
        "status": "active",
        "intent": "plan",
        "title": p["care-plan-title"],
        "description": p["care-plan-description"],
        "subject": facts.patient.as_reference(),
        "encounter": facts.encounter.as_reference(),
        "period": {
            "start": fhir_datetime(facts.discharge),
            "end": fhir_datetime(facts.six_week_follow_up),
        },
        "created": fhir_datetime(facts.discharge),
        "author": facts.physician.as_reference(),
    }
    previous = facts.previous("care-plan")
    if previous is not None:
        # A corrected letter's plan replaces the earlier plan (named by its identifier).
        care_plan["replaces"] = [{"identifier": business_identifier(previous.literal)}]
    care_plan["addresses"] = [facts.diagnosis_condition.as_reference()]
    care_plan["supportingInfo"] = [facts.letter.as_reference(), facts.brochure.as_reference()]
    care_plan["activity"] = activities
    return care_plan


def follow_up_tasks(facts: DischargeFacts) -> list[Resource]:
    """The 1-week GP visit and the 6-week referral to the spine programme, owned by the GP."""
    return [
        _task(
            facts,
            facts.task_week,
            facts.site.pathway.follow_ups[ONE_WEEK].definition,
            FOLLOW_UP_CODES["one-week"],
            _week_text(facts),
            facts.week_follow_up,
        ),
        _task(
            facts,
            facts.task_six_weeks,
            facts.site.pathway.follow_ups[SIX_WEEKS].definition,
            FOLLOW_UP_CODES["six-weeks"],
            _six_weeks_text(facts),
            facts.six_week_follow_up,
        ),
    ]


def _task(
    facts: DischargeFacts,
    me: Ref,
    definition: str,
    code: Code,
    description: str,
    start: datetime,
) -> Resource:
    # Without a GP on record the patient arranges the visit: the Task is the patient's. A GP
    # recorded by identifier only owns it by that identifier.
    owner = facts.gp_reference or facts.patient.as_reference()
    task: Resource = {
        "resourceType": "Task",
        "meta": claims(facts.site.canonicals.task_profile),
        "language": facts.language,
        "text": generated(paragraph(text(description)), facts.language),
        "identifier": [business_identifier(me.literal)],
        "instantiatesCanonical": definition,
        "basedOn": [facts.care_plan.as_reference()],
        "status": "requested",
        "intent": "plan",
        "priority": "routine",
        "code": code.concept(),
        "description": description,
        "for": facts.patient.as_reference(),
        "encounter": facts.encounter.as_reference(),
        "authoredOn": fhir_datetime(facts.discharge),
        "requester": facts.physician.as_reference(),
        "owner": owner,
    }
    task["reasonReference"] = facts.diagnosis_condition.as_reference()
    task["restriction"] = {"period": {"start": fhir_datetime(start)}}
    return task


def _advice_text(facts: DischargeFacts, key: str) -> str:
    if key == "medication":
        return " ".join(medication_advice(facts, k) for k in medication_advice_keys(facts))
    return facts.say(f"advice-{key}")


def _safety_net(facts: DischargeFacts) -> list[str]:
    return [
        facts.say(intro, items=" ".join(facts.say(k) for k in safety_net_keys(facts, keys)))
        for intro, keys in (
            ("care-plan-safety-net-gp", SAFETY_NET_GP_KEYS),
            ("care-plan-safety-net-ed", SAFETY_NET_ED_KEYS),
        )
    ]


def _week_text(facts: DischargeFacts) -> str:
    return facts.say("task-week", date=facts.said(facts.week_follow_up))


def _six_weeks_text(facts: DischargeFacts) -> str:
    return facts.say("task-six-weeks", date=facts.said(facts.six_week_follow_up))
