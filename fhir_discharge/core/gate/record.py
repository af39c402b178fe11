"""How the gate reads the record: which resources are of this encounter, when the visit began,
whether a Condition holds. Shared by every check of the gate; pure functions over the context."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from ...types import Resource
from ..codes import CONDITION_CLINICAL, CONDITION_VERIFICATION
from ..context import DischargeContext, parse_instant
from ..references import ref_of, same_target
from ..terminology import codings

# A Condition the physician ruled out, or recorded in error, does not hold (condition-ver-status).
NOT_HOLDING_VERIFICATION = frozenset({"refuted", "entered-in-error"})
# A condition that is over does not hold either (condition-clinical), except a cancer: a history
# of cancer is a red flag whatever its status (pathway.md).
NOT_HOLDING_CLINICAL = frozenset({"inactive", "remission", "resolved"})
ANY_STATUS_RED_FLAGS = frozenset({"malignancy"})
# A working diagnosis (pathway.md: provisional or differential may be discharged, and said so).
CONFIRMED = "confirmed"
# Resources that never happened, or were recorded in error, say nothing about the patient.
VOID = frozenset({"entered-in-error", "cancelled", "not-done", "draft", "preparation"})


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


def _status(condition: Resource, element: str, system: str) -> str | None:
    for coding in (condition.get(element) or {}).get("coding") or []:
        if coding.get("system") == system:
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
