"""The pathway gate: is this ED encounter acute non-specific mechanical low back pain?

pathway.md, "Who the pathway is for": an adult seen at the ED, low back pain, red flags screened
and absent, no radicular pain. Everything else is refused with the data that put it off the
pathway, so the module never writes "no red flags" over a record that shows one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

from .codes import (
    CONDITION_CLINICAL,
    CONDITION_VERIFICATION,
    EMERGENCY,
    EXCLUSIONS,
    ICD10,
    ICD10_CM,
    LOW_BACK_PAIN,
    Code,
)
from .context import DischargeContext
from .errors import Finding, IncompleteRecord, InvalidInput, NotOnPathway
from .references import Ref, Resource, ref_of, same_target

_ICD_SYSTEMS = (ICD10, ICD10_CM)


def _match_key(system: str, code: str) -> tuple[str, str]:
    # ICD-10 and ICD-10-CM share their hierarchy here, and senders write M54.5 or M545 alike.
    if system in _ICD_SYSTEMS:
        return "icd-10", code.replace(".", "").strip().upper()
    return system, code.strip()


_ACCEPTED: dict[tuple[str, str], Code] = {_match_key(c.system, c.code): c for c in LOW_BACK_PAIN}
_EXCLUDED: dict[tuple[str, str], tuple[str, Code]] = {
    _match_key(c.system, c.code): (kind, c) for kind, codes in EXCLUSIONS.items() for c in codes
}
# A Condition the physician ruled out, or recorded in error, does not hold (condition-ver-status).
_NOT_HOLDING_VERIFICATION = {"refuted", "entered-in-error"}
# A patient's condition that is over does not hold either (condition-clinical).
_NOT_HOLDING_CLINICAL = {"inactive", "remission", "resolved"}
_CLOSED_ENCOUNTER = {"planned", "cancelled", "entered-in-error"}
ADULT_AGE = 18


@dataclass(frozen=True)
class Eligibility:
    """The outcome of a passed gate: the diagnosis found, and warnings for the response."""

    diagnosis_code: Code
    diagnosis_condition: Resource | None  # the low back pain Condition, when one was coded
    discharge_time: datetime
    warnings: tuple[str, ...]


def check_eligibility(ctx: DischargeContext) -> Eligibility:
    """Pass an on-pathway encounter; raise NotOnPathway / IncompleteRecord otherwise."""
    encounter = ctx.encounter
    encounter_ref = ref_of(encounter)
    if ctx.patient is None:
        raise IncompleteRecord(
            "the encounter's Patient (Encounter.subject) is missing from the record",
            [Finding("Patient not found", "Encounter.subject")],
        )
    if encounter.get("status") in _CLOSED_ENCOUNTER:
        raise NotOnPathway(
            f"the encounter's status is '{encounter['status']}'",
            [Finding(f"Encounter status '{encounter['status']}'", "Encounter.status")],
        )
    encounter_class = encounter.get("class") or {}
    if (encounter_class.get("system"), encounter_class.get("code")) != (
        EMERGENCY.system,
        EMERGENCY.code,
    ):
        raise NotOnPathway(
            "not an emergency department encounter (Encounter.class is not v3 ActCode EMER)",
            [Finding("Encounter.class is not EMER", "Encounter.class")],
        )
    _refuse_minor(ctx.patient, ctx.discharge_time)
    diagnosis_refs = [d.get("condition") for d in encounter.get("diagnosis") or []]
    _check_diagnoses_supplied(diagnosis_refs, ctx.conditions)

    findings = list(_red_flags(ctx, encounter_ref, diagnosis_refs))
    if findings:
        raise NotOnPathway(
            "off the low back pain pathway: " + "; ".join(f.message for f in findings), findings
        )
    code, condition = _low_back_pain_diagnosis(ctx, encounter_ref, diagnosis_refs)
    if ctx.physician is None:
        raise IncompleteRecord(
            "no physician on the encounter to sign the letter (Encounter.participant)",
            [Finding("no Practitioner participant", "Encounter.participant")],
        )
    if ctx.hospital is None:
        raise IncompleteRecord(
            "the hospital (Encounter.serviceProvider) is missing from the record",
            [Finding("Organization not found", "Encounter.serviceProvider")],
        )
    if ctx.discharge_time is None:
        raise IncompleteRecord(
            "the encounter has no end time (Encounter.period.end): follow-up dates count from it",
            [Finding("no discharge time", "Encounter.period.end")],
        )
    warnings: list[str] = []
    if ctx.general_practitioner is None:
        warnings.append(
            "the patient has no general practitioner on record (Patient.generalPractitioner): "
            "the letter is addressed to the treating GP and the follow-up tasks to the patient"
        )
    if not ctx.patient.get("birthDate"):
        warnings.append("the patient's birth date is not on record: adulthood not verified")
    if condition is None:
        warnings.append(
            "the low back pain diagnosis is coded only in Encounter.reasonCode: "
            "the care plan cannot reference a Condition (CarePlan.addresses left empty)"
        )
    return Eligibility(code, condition, ctx.discharge_time, tuple(warnings))


def _refuse_minor(patient: Resource, at: datetime | None) -> None:
    # pathway.md: the pathway is for adults.
    birth = patient.get("birthDate")
    if not isinstance(birth, str) or len(birth) < 10 or at is None:
        return
    born = date.fromisoformat(birth[:10])
    day = at.date()
    age = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
    if age < ADULT_AGE:
        raise NotOnPathway(
            "the patient is not an adult: the pathway is for adults",
            [Finding("patient younger than 18 at discharge", "Patient.birthDate")],
        )


def _check_diagnoses_supplied(diagnosis_refs: list[object], conditions: Iterable[Resource]) -> None:
    # A diagnosis we cannot read is a diagnosis we cannot screen for red flags.
    for position, reference in enumerate(diagnosis_refs):
        if not any(same_target(reference, ref_of(c)) for c in conditions):
            raise InvalidInput(
                f"Encounter.diagnosis[{position}] references a Condition that is not in the context"
            )


def holds(condition: Resource) -> bool:
    """Whether a Condition counts: not refuted, not entered in error, not over."""
    return (
        _status(condition, "verificationStatus", CONDITION_VERIFICATION)
        not in _NOT_HOLDING_VERIFICATION
        and _status(condition, "clinicalStatus", CONDITION_CLINICAL) not in _NOT_HOLDING_CLINICAL
    )


def _status(condition: Resource, element: str, system: str) -> str | None:
    for coding in (condition.get(element) or {}).get("coding") or []:
        if coding.get("system") == system:
            code = coding.get("code")
            return code if isinstance(code, str) else None
    return None


def _codings(concept: object) -> Iterator[tuple[str, str]]:
    if not isinstance(concept, dict):
        return
    for coding in concept.get("coding") or []:
        system, code = coding.get("system"), coding.get("code")
        if isinstance(system, str) and isinstance(code, str):
            yield system, code


def exclusion_of(system: str, code: str) -> tuple[str, Code] | None:
    """The red-flag kind of a coding, if any. ICD-10 is hierarchical, so a more specific code
    (M54.16 lumbar radiculopathy under M54.1) is excluded with its parent."""
    key_system, key_code = _match_key(system, code)
    if key_system != "icd-10":
        return _EXCLUDED.get((key_system, key_code))
    for length in range(len(key_code), 2, -1):
        hit = _EXCLUDED.get((key_system, key_code[:length]))
        if hit:
            return hit
    return None


def _red_flags(
    ctx: DischargeContext, encounter: Ref, diagnosis_refs: list[object]
) -> Iterator[Finding]:
    for position, concept in enumerate(ctx.encounter.get("reasonCode") or []):
        for system, code in _codings(concept):
            hit = exclusion_of(system, code)
            if hit:
                yield Finding(
                    f"{hit[0]} recorded as reason for the encounter ({hit[1].display}, {code})",
                    f"Encounter.reasonCode[{position}]",
                )
    for condition in ctx.conditions:
        if not holds(condition):
            continue
        for system, code in _codings(condition.get("code")):
            hit = exclusion_of(system, code)
            if hit:
                where = (
                    "on this encounter"
                    if _of_encounter(condition, encounter, diagnosis_refs)
                    else "active on the patient"
                )
                yield Finding(
                    f"{hit[0]} {where} ({hit[1].display}, {code})",
                    f"Condition/{condition.get('id')}",
                )
                break


def _of_encounter(condition: Resource, encounter: Ref, diagnosis_refs: list[object]) -> bool:
    """A Condition of this encounter: named in Encounter.diagnosis, or pointing back at it."""
    return same_target(condition.get("encounter"), encounter) or any(
        same_target(r, ref_of(condition)) for r in diagnosis_refs
    )


def _low_back_pain_diagnosis(
    ctx: DischargeContext, encounter: Ref, diagnosis_refs: list[object]
) -> tuple[Code, Resource | None]:
    # The diagnosis: a Condition of this encounter (via Encounter.diagnosis or
    # Condition.encounter) that holds, else Encounter.reasonCode.
    for condition in ctx.conditions:
        if not _of_encounter(condition, encounter, diagnosis_refs) or not holds(condition):
            continue
        for system, code in _codings(condition.get("code")):
            accepted = _ACCEPTED.get(_match_key(system, code))
            if accepted:
                return accepted, condition
    for concept in ctx.encounter.get("reasonCode") or []:
        for system, code in _codings(concept):
            accepted = _ACCEPTED.get(_match_key(system, code))
            if accepted:
                return accepted, None
    raise NotOnPathway(
        "no low back pain diagnosis on the encounter (Encounter.diagnosis or reasonCode)",
        [Finding("no low back pain diagnosis", "Encounter.diagnosis")],
    )
