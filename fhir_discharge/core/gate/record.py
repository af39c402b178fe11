"""How the gate reads the record: which resources are of this visit, when the visit began, and
the one rule of what negates a fact (`holding`). Shared by every check of the gate; pure
functions over the context."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from enum import Enum

from ...types import Resource
from ..brussels_time import BRUSSELS
from ..codes import CONDITION_CLINICAL, CONDITION_VERIFICATION
from ..record.context import DischargeContext, parse_instant
from ..record.references import ref_of, same_target
from ..terminology import codings

# A Condition the physician ruled out, or recorded in error, does not hold (condition-ver-status).
NOT_HOLDING_VERIFICATION = frozenset({"refuted", "entered-in-error"})
# A condition that is over does not hold either (condition-clinical), except a cancer: a history
# of cancer is a red flag whatever its status (pathway.md).
NOT_HOLDING_CLINICAL = frozenset({"inactive", "remission", "resolved"})
ANY_STATUS_RED_FLAGS = frozenset({"malignancy"})
# A working diagnosis (pathway.md: provisional or differential may be discharged, and said so).
CONFIRMED = "confirmed"
# Resources that never happened, were never taken, or were recorded in error, say nothing about
# the patient (the status codes of Observation, DiagnosticReport, Procedure, ImagingStudy,
# MedicationRequest and MedicationStatement that say so).
VOID = frozenset({"entered-in-error", "cancelled", "not-done", "not-taken", "draft", "preparation"})
# Medication the patient no longer takes.
_MEDICATION_OVER = frozenset({"completed", "stopped"})
# Resources that record something done or seen at a time: of this visit, or of another time.
EVENT_TYPES = frozenset({"Observation", "DiagnosticReport", "Procedure", "ImagingStudy"})
_EVENT_TIMES = (
    "effectiveDateTime",
    "effectiveInstant",
    "effectivePeriod",
    "performedDateTime",
    "performedPeriod",
    "started",
    "issued",
)


class Holding(Enum):
    """What a resource of the record says of the patient now (pathway.md, "Reading the whole
    record": a red-flag code refuses unless the resource itself says it does not hold).

    The one rule, for every resource the gate reads (`holding`):
    - VOID: it says nothing about the patient: entered in error, cancelled, not done, not taken,
      a draft (status); a Condition refuted or entered in error (verificationStatus);
    - OVER: it held once and no longer does: a Condition inactive, in remission or resolved
      (clinicalStatus); medication completed or stopped (home medication); an observation,
      report or procedure of another time than this visit. It counts only for what counts
      whatever its status: a history of cancer (and for the NSAID caution, a history);
    - CURRENT: everything else, suspected (provisional, differential) included.
    Within a finding Observation, a value of absent or negative (valueBoolean false, codes.
    NEGATIVE_VALUES, the words of `NEGATIVE_WORDS`) or an interpretation of negative or not
    detected negates the Observation's code (record_scan.py).
    """

    VOID = "void"
    OVER = "over"
    CURRENT = "current"


def holding(ctx: DischargeContext, resource: Resource) -> Holding:
    if resource.get("status") in VOID:
        return Holding.VOID
    rtype = resource.get("resourceType")
    if rtype == "Condition":
        if verification(resource) in NOT_HOLDING_VERIFICATION:
            return Holding.VOID
        return Holding.OVER if clinical(resource) in NOT_HOLDING_CLINICAL else Holding.CURRENT
    if rtype in EVENT_TYPES:
        return Holding.CURRENT if of_visit(ctx, resource) else Holding.OVER
    if rtype == "MedicationRequest" and of_encounter(ctx, resource):
        return Holding.CURRENT  # ordered at this visit
    if rtype in ("MedicationRequest", "MedicationStatement"):
        return Holding.OVER if resource.get("status") in _MEDICATION_OVER else Holding.CURRENT
    return Holding.CURRENT


# A value or an answer that says absent, no or negative, in the words a record may hold (Dutch,
# English), compared without case and punctuation.
NEGATIVE_WORDS = frozenset(
    {
        "no",
        "nee",
        "neen",
        "absent",
        "afwezig",
        "negative",
        "negatief",
        "not present",
        "niet aanwezig",
        "not detected",
        "niet gedetecteerd",
        "none",
        "geen",
    }
)


def negative_text(value: object) -> bool:
    if not isinstance(value, str):
        return False
    words = re.sub(r"[^\w ]+", " ", value.casefold())
    return " ".join(words.split()) in NEGATIVE_WORDS


def visit_start(ctx: DischargeContext) -> datetime | None:
    """The encounter's start: the letter's visit date."""
    value = (ctx.encounter.get("period") or {}).get("start")
    return parse_instant(value, "Encounter.period.start") if value is not None else None


def diagnosis_references(ctx: DischargeContext) -> list[object]:
    return [d.get("condition") for d in ctx.encounter.get("diagnosis") or []]


def of_encounter(ctx: DischargeContext, resource: Resource) -> bool:
    """Linked to this encounter, or named among its diagnoses."""
    encounter = ref_of(ctx.encounter)
    return same_target(resource.get("encounter"), encounter) or any(
        same_target(r, ref_of(resource)) for r in diagnosis_references(ctx)
    )


def of_visit(ctx: DischargeContext, resource: Resource) -> bool:
    """Of this visit: linked to the encounter, or recorded at a time within its period, linked
    or not (pathway.md, "Observations of the visit"). One with no time and linked to no other
    encounter cannot be shown to be of another time, so it counts as of this visit."""
    if of_encounter(ctx, resource):
        return True
    when = event_time(resource)
    if when is None:
        return resource.get("encounter") is None
    start = visit_start(ctx)
    if start is None:
        return True
    end = ctx.discharge_time
    earliest, latest = when
    return latest >= start and (end is None or earliest <= end)


def event_time(resource: Resource) -> tuple[datetime, datetime] | None:
    """(earliest, latest) moment an observation, report or procedure records, None when it has
    no readable time."""
    for key in _EVENT_TIMES:
        value = resource.get(key)
        if isinstance(value, dict):  # a Period: open at an end it does not give
            low, high = time_range(value.get("start")), time_range(value.get("end"))
            if low or high:
                return (low[0] if low else _EARLIEST, high[1] if high else _LATEST)
            continue
        found = time_range(value)
        if found is not None:
            return found
    return None


_EARLIEST = datetime.min.replace(tzinfo=BRUSSELS) + timedelta(days=2)
_LATEST = datetime.max.replace(tzinfo=BRUSSELS) - timedelta(days=2)
_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def time_range(value: object) -> tuple[datetime, datetime] | None:
    """The first and last moment a FHIR date or dateTime may mean (a year, a month, a day or an
    instant; a date without a zone is a day in Brussels), None when it is not one."""
    if not isinstance(value, str):
        return None
    match = _PARTIAL.match(value.strip())
    try:
        if match is None:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=BRUSSELS)
            return moment, moment
        year, month, day = (int(g) if g else None for g in match.groups())
        assert year is not None
        first = date(year, month or 1, day or 1)
        if day is not None:
            last = first
        elif month is not None:
            last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        else:
            last = date(year, 12, 31)
    except (ValueError, OverflowError):
        return None
    return (
        datetime.combine(first, time.min, BRUSSELS),
        datetime.combine(last, time.max, BRUSSELS),
    )


def _status(condition: Resource, element: str, system: str) -> str | None:
    concept = condition.get(element)
    for coding in (concept.get("coding") or []) if isinstance(concept, dict) else []:
        if isinstance(coding, dict) and coding.get("system") == system:
            code = coding.get("code")
            return code if isinstance(code, str) else None
    return None


def verification(condition: Resource) -> str | None:
    return _status(condition, "verificationStatus", CONDITION_VERIFICATION)


def clinical(condition: Resource) -> str | None:
    return _status(condition, "clinicalStatus", CONDITION_CLINICAL)


def holds(condition: Resource) -> bool:
    """Whether a Condition counts: not refuted, not entered in error, not over."""
    return (
        verification(condition) not in NOT_HOLDING_VERIFICATION
        and clinical(condition) not in NOT_HOLDING_CLINICAL
    )


def all_codings(concepts: object) -> Iterator[tuple[str, str]]:
    for concept in concepts if isinstance(concepts, list) else []:
        yield from codings(concept)
