"""The pathway as data: the PlanDefinition, ActivityDefinitions and Questionnaire that profiles/
publishes.

The core builds the CarePlan and Tasks the way PlanDefinition/$apply would: one activity per
advice action, in the definition's order, and one Task per timed follow-up, starting its
ActivityDefinition's `timingDuration` after discharge. The timings or the advice list change in
profiles/input/fsh/pathway.fsh and a rebuild (`bash tools/sushi/build.sh` copies the compiled
definitions here), not in code; the sentences say the timings from here ({gp_after},
{spine_after}: core/site.py) and stay in the catalogues of core/i18n/, keyed by the action ids.

Every site follows the same definitions, published under its own canonical base
(sites/*.toml): `pathway(base)` gives them with the compiled base replaced by the site's.

The PlanDefinition's first action, `red-flag-screening`, is no activity of the care plan: its
definition is the Questionnaire of the physician's red-flag screening (the "collect information"
pattern), which the discharge requires (pathway.md, "The red-flag screening the physician
documents"). `Pathway.screening` gives its canonical, version and items; its linkIds are an
interface (the answers are read by them) and are checked at load against SCREENING_RED_FLAG_ITEMS
and BROCHURE_GIVEN.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
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
    text: str  # the question, in the Questionnaire's language (Dutch)
    explanation: str  # when the item is present ("Aanwezig wanneer: ..."), in the same
    # The same two in other languages, from the FHIR translation extension on `_text`.
    translations: dict[str, tuple[str, str]] = field(default_factory=dict, hash=False)
    language: str = "nl-BE"  # the Questionnaire's own language

    def said_in(self, language: str) -> tuple[str, str]:
        """(question, explanation) in `language`, else in the Questionnaire's own."""
        if language == self.language:
            return self.text, self.explanation
        return self.translations.get(language, (self.text, self.explanation))


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
    screening: Screening


@cache
def pathway(canonical_base: str) -> Pathway:
    """The shipped definitions, published under `canonical_base` (a site's)."""
    compiled = _load("PlanDefinition-*.json")[0]["url"].split("/PlanDefinition/", 1)[0]
    rebased = [
        json.loads(text.replace(f'"{compiled}/', f'"{canonical_base}/'))
        for text in _texts("*.json")
    ]
    plan = next(d for d in rebased if d["resourceType"] == "PlanDefinition")
    activities = {d["url"]: d for d in rebased if d["resourceType"] == "ActivityDefinition"}
    questionnaires = {d["url"]: d for d in rebased if d["resourceType"] == "Questionnaire"}
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
    return Pathway(plan["url"], tuple(advice), follow_ups, screening)


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
            f"{list(expected)} in this order (fhir_discharge/core/pathway/definition.py "
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
        items=tuple(_item(item, questionnaire.get("language", "nl-BE")) for item in items),
    )


def _item(item: dict[str, Any], language: str) -> ScreeningItem:
    displays = [child for child in item.get("item", []) if child.get("type") == "display"]
    translations = {}
    for other in sorted({*_translations(item), *(k for d in displays for k in _translations(d))}):
        question = _translations(item).get(other, item["text"])
        explanation = " ".join(_translations(d).get(other, d["text"]) for d in displays)
        translations[other] = (question, explanation)
    return ScreeningItem(
        item["linkId"],
        item["text"],
        " ".join(d["text"] for d in displays),
        translations,
        language,
    )


TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"


def _translations(element: dict[str, Any]) -> dict[str, str]:
    """language -> text: the FHIR translation extensions on an item's `_text`."""
    found = {}
    for extension in (element.get("_text") or {}).get("extension", []):
        if extension.get("url") != TRANSLATION:
            continue
        parts = {e.get("url"): e for e in extension.get("extension", [])}
        language = parts.get("lang", {}).get("valueCode")
        content = parts.get("content", {}).get("valueString")
        if isinstance(language, str) and isinstance(content, str):
            found[language] = content
    return found


def _texts(pattern: str) -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(DEFINITIONS.glob(pattern))]


def _load(pattern: str) -> list[dict[str, Any]]:
    return [json.loads(text) for text in _texts(pattern)]
