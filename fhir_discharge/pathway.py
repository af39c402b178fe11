"""The pathway as data: the PlanDefinition and ActivityDefinitions that profiles/ publishes.

The core builds the CarePlan and Tasks the way PlanDefinition/$apply would: one activity per
advice action, in the definition's order, and one Task per timed follow-up, starting its
ActivityDefinition's `timingDuration` after discharge. Another hospital changes the timings, the
advice list or the brochure in profiles/input/fsh/pathway.fsh and rebuilds
(`bash tools/sushi/build.sh` copies the compiled definitions here), not in code. The Dutch
wording stays in phrases.py, keyed by the action ids.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

DEFINITIONS = Path(__file__).resolve().parent / "definitions"
# The action ids of the two timed follow-ups (pathway.md, "Expected course and follow-up").
ONE_WEEK = "follow-up-gp-1-week"
SIX_WEEKS = "follow-up-spine-programme-6-weeks"
_DAYS_PER_UNIT = {"d": 1, "wk": 7}  # UCUM units a timingDuration may use here


@dataclass(frozen=True)
class FollowUp:
    action_id: str
    definition: str  # the ActivityDefinition's canonical URL (Task.instantiatesCanonical)
    days: int  # after discharge


@dataclass(frozen=True)
class Pathway:
    canonical: str
    advice: tuple[str, ...]  # action ids of the self-management advice, in order
    follow_ups: dict[str, FollowUp]
    brochure_url: str


@cache
def pathway() -> Pathway:
    plan = _load("PlanDefinition-*.json")[0]
    activities = {a["url"]: a for a in _load("ActivityDefinition-*.json")}
    advice: list[str] = []
    follow_ups: dict[str, FollowUp] = {}
    for action in plan["action"]:
        definition = action.get("definitionCanonical")
        if definition is None:
            advice.append(action["id"])
            continue
        timing = activities[definition]["timingDuration"]
        days = int(timing["value"]) * _DAYS_PER_UNIT[timing["code"]]
        follow_ups[action["id"]] = FollowUp(action["id"], definition, days)
    brochure = next(a["url"] for a in plan.get("relatedArtifact", []) if a.get("label") == "700457")
    return Pathway(plan["url"], tuple(advice), follow_ups, brochure)


def _load(pattern: str) -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(DEFINITIONS.glob(pattern))]
