"""The diagnosis (pathway.md, "The diagnosis", "No other diagnosis of the encounter"): a holding
low back pain Condition of this encounter, and no other diagnosis of it."""

from __future__ import annotations

from ...types import Resource
from ..codes import Code
from ..context import DischargeContext
from ..references import ref_of, same_target
from ..terminology import LOW_BACK_PAIN_CODES, RED_FLAG_CODES, codings, concept_name
from .findings import Findings
from .record import CONFIRMED, all_codings, diagnosis_references, holds, of_encounter, verification


def is_encounter_diagnosis(ctx: DischargeContext, condition: Resource) -> bool:
    # Named in Encounter.diagnosis, or of this encounter and not a problem-list item.
    if any(same_target(r, ref_of(condition)) for r in diagnosis_references(ctx)):
        return True
    categories = {c for _, c in all_codings(condition.get("category"))}
    return of_encounter(ctx, condition) and "problem-list-item" not in categories


def check_diagnosis(ctx: DischargeContext, findings: Findings) -> tuple[Code, Resource] | None:
    """The low back pain diagnosis the letter states (a confirmed one first), or None."""
    for position, reference in enumerate(diagnosis_references(ctx)):
        if ctx.resolve(reference) is None and not any(
            same_target(reference, ref_of(c)) for c in ctx.conditions
        ):
            findings.missing(
                "a diagnosis of the encounter is not in the record: include the Condition",
                f"Encounter.diagnosis[{position}]",
                "diagnosis-not-in-record",
            )
    low_back_pain: list[tuple[Code, Resource]] = []
    refuted = False
    for condition in ctx.conditions:
        if not is_encounter_diagnosis(ctx, condition):
            continue
        where = f"Condition/{condition.get('id')}"
        hit = LOW_BACK_PAIN_CODES.first_match(condition.get("code"))
        if not holds(condition):
            refuted = refuted or hit is not None
            continue
        if not list(codings(condition.get("code"))):
            continue  # said by the record scan
        if hit is not None:
            low_back_pain.append((hit[2][1], condition))
        elif RED_FLAG_CODES.first_match(condition.get("code")) is None:
            name = concept_name(condition.get("code"))
            if name:
                findings.off(
                    f"another diagnosis on this encounter: {name} (the letter could not "
                    "describe it)",
                    where,
                    "other-diagnosis",
                    name=name,
                )
            else:  # coded, but neither a text nor a display names it
                findings.off(
                    "another diagnosis on this encounter, without a name (no code text or "
                    "display; the letter could not describe it)",
                    where,
                    "other-diagnosis-unnamed",
                )
    if not low_back_pain:
        findings.off(
            "the low back pain diagnosis on this encounter does not hold (refuted, entered in "
            "error or resolved)"
            if refuted
            else "no low back pain diagnosis on the encounter: a Condition of the encounter "
            "(Encounter.diagnosis) coded as low back pain is required; a complaint in "
            "Encounter.reasonCode is not a diagnosis",
            "Encounter.diagnosis",
            "diagnosis-not-holding" if refuted else "diagnosis-missing",
        )
        return None
    # A confirmed diagnosis first, else a working one.
    low_back_pain.sort(key=lambda pair: verification(pair[1]) != CONFIRMED)
    return low_back_pain[0]
