"""The pathway as data: the PlanDefinition, ActivityDefinitions and Questionnaire that profiles/
publishes.

The core builds the CarePlan and Tasks the way PlanDefinition/$apply would: one activity per
advice action, in the definition's order, and one Task per timed follow-up, starting its
ActivityDefinition's `timingDuration` after discharge. Another hospital changes the timings, the
advice list or the brochure in profiles/input/fsh/pathway.fsh and rebuilds
(`bash tools/sushi/build.sh` copies the compiled definitions here), not in code. The Dutch
wording stays in phrases.py, keyed by the action ids.

The PlanDefinition's first action, `red-flag-screening`, is no activity of the care plan: its
definition is the Questionnaire of the physician's red-flag screening (the "collect information"
pattern), which the discharge requires (pathway.md, "The red-flag screening the physician
documents"). `Pathway.screening` gives its canonical, version and items; its linkIds are an
interface (the answers are read by them) and are checked at load against SCREENING_RED_FLAG_ITEMS
and BROCHURE_GIVEN.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from ..codes import RED_FLAG_ITEMS

DEFINITIONS = Path(__file__).resolve().parent / "definitions"
# The action ids of the two timed follow-ups (pathway.md, "Expected course and follow-up").
ONE_WEEK = "follow-up-gp-1-week"
SIX_WEEKS = "follow-up-spine-programme-6-weeks"
# The action id of the red-flag screening, and the linkIds of its Questionnaire's boolean items, in
# order (pathway.md's table): the seven red flags (true = present), then the brochure handed over.
SCREENING_ACTION = "red-flag-screening"
# The red flags are codes.py's RED_FLAG_ITEMS: the coded record is screened per screening item.
SCREENING_RED_FLAG_ITEMS: tuple[str, ...] = RED_FLAG_ITEMS
BROCHURE_GIVEN = "brochure-given"
_DAYS_PER_UNIT = {"d": 1, "wk": 7}  # UCUM units a timingDuration may use here


@dataclass(frozen=True)
class FollowUp:
    action_id: str
    definition: str  # the ActivityDefinition's canonical URL (Task.instantiatesCanonical)
    days: int  # after discharge


@dataclass(frozen=True)
class ScreeningItem:
    link_id: str
    text: str  # the Dutch question
    explanation: str  # when the item is present ("Aanwezig wanneer: ..."), Dutch


@dataclass(frozen=True)
class Screening:
    canonical: str  # the Questionnaire's url, no |version (QuestionnaireResponse.questionnaire)
    version: str
    items: tuple[ScreeningItem, ...]  # SCREENING_RED_FLAG_ITEMS, then BROCHURE_GIVEN


class PathwayDefinitionError(ValueError):
    """The shipped definitions do not say what the code relies on (rebuild profiles/)."""


@dataclass(frozen=True)
class Pathway:
    canonical: str
    advice: tuple[str, ...]  # action ids of the self-management advice, in order
    follow_ups: dict[str, FollowUp]
    brochure_url: str
    screening: Screening


@cache
def pathway() -> Pathway:
    plan = _load("PlanDefinition-*.json")[0]
    activities = {a["url"]: a for a in _load("ActivityDefinition-*.json")}
    questionnaires = {q["url"]: q for q in _load("Questionnaire-*.json")}
    advice: list[str] = []
    follow_ups: dict[str, FollowUp] = {}
    screening: Screening | None = None
    for action in plan["action"]:
        definition = action.get("definitionCanonical")
        if definition is None:
            advice.append(action["id"])
            continue
        url, _, version = definition.partition("|")
        if url in questionnaires:
            if screening is not None:
                raise PathwayDefinitionError(f"{plan['url']}: more than one screening action")
            screening = _screening(questionnaires[url], version)
            continue
        if definition not in activities:
            raise PathwayDefinitionError(
                f"{plan['url']}: action {action['id']!r} defined by {definition}, which is "
                f"neither a shipped ActivityDefinition nor a shipped Questionnaire"
            )
        timing = activities[definition]["timingDuration"]
        days = int(timing["value"]) * _DAYS_PER_UNIT[timing["code"]]
        follow_ups[action["id"]] = FollowUp(action["id"], definition, days)
    if screening is None:
        raise PathwayDefinitionError(
            f"{plan['url']}: no action requires the red-flag screening Questionnaire "
            f"(action {SCREENING_ACTION!r} with a definitionCanonical): rebuild profiles/"
        )
    brochure = next(a["url"] for a in plan.get("relatedArtifact", []) if a.get("label") == "700457")
    return Pathway(plan["url"], tuple(advice), follow_ups, brochure, screening)


def _screening(questionnaire: dict[str, Any], version: str) -> Screening:
    """The red-flag screening's items; its linkIds must be exactly the ones the code reads."""
    url = questionnaire["url"]
    if version and version != questionnaire.get("version"):
        raise PathwayDefinitionError(
            f"the PlanDefinition requires {url}|{version}, but the shipped Questionnaire is "
            f"version {questionnaire.get('version')!r}"
        )
    items = questionnaire.get("item", [])
    link_ids = tuple(item.get("linkId") for item in items)
    expected = (*SCREENING_RED_FLAG_ITEMS, BROCHURE_GIVEN)
    if link_ids != expected:
        raise PathwayDefinitionError(
            f"Questionnaire {url}: item linkIds {list(link_ids)}, expected exactly "
            f"{list(expected)} in this order (fhir_discharge/core/pathway.py "
            "SCREENING_RED_FLAG_ITEMS "
            f"+ BROCHURE_GIVEN): the screening's answers are read by these linkIds"
        )
    for item in items:
        if item.get("type") != "boolean" or item.get("required") is not True:
            raise PathwayDefinitionError(
                f"Questionnaire {url}: item {item['linkId']!r} must be a required boolean"
            )
    return Screening(
        canonical=url,
        version=questionnaire["version"],
        items=tuple(
            ScreeningItem(item["linkId"], item["text"], _explanation(item)) for item in items
        ),
    )


def _explanation(item: dict[str, Any]) -> str:
    """The text of the item's nested display item(s): when the red flag is present."""
    return " ".join(
        child["text"] for child in item.get("item", []) if child.get("type") == "display"
    )


def _load(pattern: str) -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(DEFINITIONS.glob(pattern))]
