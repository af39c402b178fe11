"""The diagnosis (pathway.md, "The diagnosis", "No other diagnosis of the encounter", "Acute"):
a holding low back pain Condition of this encounter, matched exactly in its own code system,
acute (onset within 6 weeks of the visit, or no onset recorded), and no other diagnosis of it.
A comorbidity or billing entry of Encounter.diagnosis is not another diagnosis: the record scan
screens it like an active problem."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from ...types import Resource
from ..codes import DIAGNOSIS_ROLE, RED_FLAG_ITEMS, Code
from ..record.context import DischargeContext
from ..record.references import ref_of, same_target
from ..terminology import (
    CHRONIC_LOW_BACK_PAIN_CODES,
    LOW_BACK_PAIN_CODES,
    codings,
    concept_name,
    readable,
)
from .findings import Findings
from .matching import PREGNANCY, categories
from .record import (
    CONFIRMED,
    all_codings,
    diagnosis_references,
    holds,
    of_encounter,
    time_range,
    verification,
    visit_start,
)

# Encounter.diagnosis.use (diagnosis-role) of an entry that is not a diagnosis of this visit.
_NOT_THIS_VISITS_DIAGNOSIS = frozenset({"CM", "billing"})
# Condition.category of a problem-list entry or a health concern: screened, not a diagnosis.
_NOT_A_DIAGNOSIS_CATEGORY = frozenset({"problem-list-item", "health-concern"})
# pathway.md, "Acute": under 6 weeks (KCE report 287).
ACUTE = timedelta(weeks=6)


def _uses(ctx: DischargeContext, condition: Resource) -> list[set[str]] | None:
    """The diagnosis-role uses of each Encounter.diagnosis entry naming this Condition; None
    when no entry names it."""
    found: list[set[str]] = []
    for entry in ctx.encounter.get("diagnosis") or []:
        if isinstance(entry, dict) and same_target(entry.get("condition"), ref_of(condition)):
            found.append({c for s, c in codings(entry.get("use")) if s == DIAGNOSIS_ROLE})
    return found or None


def is_encounter_diagnosis(ctx: DischargeContext, condition: Resource) -> bool:
    """A diagnosis of this visit: named in Encounter.diagnosis other than only as a comorbidity
    or for billing, or of this encounter and not a problem-list item or health concern."""
    uses = _uses(ctx, condition)
    if uses is not None:
        return any(not use or not use <= _NOT_THIS_VISITS_DIAGNOSIS for use in uses)
    categories_ = {c for _, c in all_codings(condition.get("category"))}
    return of_encounter(ctx, condition) and not categories_ & _NOT_A_DIAGNOSIS_CATEGORY


def _named_by_encounter(ctx: DischargeContext, condition: Resource) -> bool:
    return _uses(ctx, condition) is not None


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
        hit = LOW_BACK_PAIN_CODES.first_match(condition.get("code"))
        # The low back pain diagnosis may be named in Encounter.diagnosis with any use.
        diagnosis = is_encounter_diagnosis(ctx, condition) or (
            hit is not None and _named_by_encounter(ctx, condition)
        )
        if not diagnosis:
            continue
        where = f"Condition/{condition.get('id')}"
        if not holds(condition):
            refuted = refuted or hit is not None
            continue
        if not readable(condition.get("code")):
            continue  # no code, or none the gate reads: said by the record scan
        if hit is not None:
            low_back_pain.append((hit[2][1], condition))
        elif not any(
            m.category in RED_FLAG_ITEMS or m.category == PREGNANCY
            for m in categories(ctx, condition.get("code"))
        ):
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
    _check_acute(ctx, findings)
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


def _check_acute(ctx: DischargeContext, findings: Findings) -> None:
    """pathway.md, "Acute": a holding low back pain Condition of the patient whose onset lies
    more than 6 weeks before the visit, or one coded as chronic, refuses; no onset is allowed.
    An onset the gate cannot read (a text it cannot date) refuses as unreadable."""
    start = visit_start(ctx)
    for condition in ctx.conditions:
        code = condition.get("code")
        chronic = CHRONIC_LOW_BACK_PAIN_CODES.first_match(code) is not None
        if not holds(condition) or not (chronic or LOW_BACK_PAIN_CODES.first_match(code)):
            continue
        where = f"Condition/{condition.get('id')}"
        if chronic:
            findings.off(
                "the low back pain is recorded as chronic (not acute): the pathway is for "
                "acute low back pain, under 6 weeks (KCE report 287)",
                where,
                "low-back-pain-chronic",
            )
            continue
        onset = _latest_onset(ctx, condition)
        if onset is None or start is None:
            continue
        if onset == "unreadable":
            findings.missing(
                "the onset of the low back pain cannot be read as a date "
                "(Condition.onset[x]): record it as onsetDateTime, or leave it out",
                f"{where}.onset",
                "onset-unreadable",
            )
        elif isinstance(onset, datetime) and start - onset > ACUTE:
            since = onset.date().isoformat()
            findings.off(
                f"the low back pain began more than 6 weeks before the visit (onset {since}): "
                "the pathway is for acute low back pain, under 6 weeks (KCE report 287)",
                f"{where}.onset",
                "low-back-pain-not-acute",
                since=since,
            )


_DURATION = re.compile(
    r"(?P<number>\d+(?:[.,]\d+)?)\s*(?P<unit>dagen|dag|days?|d|weken|week|weeks|wk|w|maanden|"
    r"maand|months?|mo|jaren|jaar|years?|j|a)\b",
    re.IGNORECASE,
)
# Words that date an onset to the day of the visit or the days just before it.
_RECENT = re.compile(
    r"\b(vandaag|gisteren|eergisteren|vanochtend|vanmorgen|vannacht|gisteravond|today|"
    r"yesterday|this morning|last night|tonight)\b",
    re.IGNORECASE,
)
_DAYS = {
    "d": 1.0,
    "dag": 1.0,
    "dagen": 1.0,
    "day": 1.0,
    "days": 1.0,
    "w": 7.0,
    "wk": 7.0,
    "week": 7.0,
    "weken": 7.0,
    "weeks": 7.0,
    "mo": 30.4,
    "maand": 30.4,
    "maanden": 30.4,
    "month": 30.4,
    "months": 30.4,
    "a": 365.25,
    "j": 365.25,
    "jaar": 365.25,
    "jaren": 365.25,
    "year": 365.25,
    "years": 365.25,
}


def _latest_onset(ctx: DischargeContext, condition: Resource) -> datetime | str | None:
    """The latest moment the recorded onset may mean (a partial date at its end); "unreadable"
    when an onset is recorded that the gate cannot date; None when none is recorded."""
    if "onsetDateTime" in condition:
        found = time_range(condition["onsetDateTime"])
        return found[1] if found else "unreadable"
    if "onsetPeriod" in condition:
        period = condition["onsetPeriod"]
        found = time_range(period.get("start")) if isinstance(period, dict) else None
        return found[1] if found else "unreadable"
    start = visit_start(ctx)
    if "onsetString" in condition and start is not None:
        # "sinds 4 maanden", "3 weeks": a duration before the visit.
        text = condition["onsetString"]
        if isinstance(text, str) and _RECENT.search(text):
            return start
        found_duration = _DURATION.search(text) if isinstance(text, str) else None
        if found_duration is None:
            return "unreadable"
        number = float(found_duration["number"].replace(",", "."))
        days = number * _DAYS[found_duration["unit"].casefold()]
        return start - timedelta(days=days)
    if any(key in condition for key in ("onsetAge", "onsetRange", "onsetString")):
        return "unreadable"
    return None
