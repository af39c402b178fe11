"""The one way the gate tells what a coded fact of the record is: every coding of every position
of the record goes through `categories`, so the code lists of codes.py, the ATC classes and a
terminology server's answers (DischargeContext.red_flags_by_terminology_server) count alike
everywhere.

A category is a red-flag screening item (codes.RED_FLAG_ITEMS), "pregnancy", or an NSAID-caution
reason (codes.NSAID_CAUTION, "anticoagulant" for ATC B01A).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..codes import MEDICATION_CLASSES, NSAID_CAUTION_ATC, RED_FLAG_ITEMS, SNOMED
from ..record.context import DischargeContext
from ..terminology import (
    NSAID_CAUTION_CODES,
    PREGNANCY_CODES,
    RED_FLAG_CODES,
    CodeList,
    canonical_system,
    codings,
)

PREGNANCY = "pregnancy"
_MEDICATION_CLASS_CODES = CodeList((c.code, c) for c, _ in MEDICATION_CLASSES)
_MEDICATION_CLASS_ITEMS = {c.code: items for c, items in MEDICATION_CLASSES}
_ANTICOAGULANT_CODES = CodeList(("anticoagulant", c) for c in NSAID_CAUTION_ATC)


@dataclass(frozen=True)
class Match:
    """A coding of the record that falls in a category."""

    category: str
    code: str  # as the record writes it
    display: str  # the listed code's display (what the list matched), or the record's own


def coding_categories(
    ctx: DischargeContext, system: str, code: str, display: str | None = None
) -> list[Match]:
    """Every category one coding falls in."""
    found: list[Match] = []
    hit = RED_FLAG_CODES.match(system, code)
    if hit is not None:
        found.append(Match(hit[0], code, hit[1].display))
    elif canonical_system(system) == SNOMED:
        # A concept a terminology server placed below a red-flag concept (pathway.md, "SNOMED CT
        # descendants"); keyed by the canonical URI, whatever the record wrote.
        item = ctx.red_flags_by_terminology_server.get((SNOMED, code.strip()))
        if item in RED_FLAG_ITEMS:
            found.append(Match(item, code, display or "SNOMED CT " + code.strip()))
    for code_list in (PREGNANCY_CODES, NSAID_CAUTION_CODES, _ANTICOAGULANT_CODES):
        hit = code_list.match(system, code)
        if hit is not None:
            found.append(Match(hit[0], code, hit[1].display))
    hit = _MEDICATION_CLASS_CODES.match(system, code)
    if hit is not None:
        found += [Match(item, code, hit[1].display) for item in _MEDICATION_CLASS_ITEMS[hit[0]]]
    return found


def categories(ctx: DischargeContext, concept: Any) -> list[Match]:
    """Every category a CodeableConcept falls in, each once (its first coding that does)."""
    found: dict[str, Match] = {}
    for system, code in codings(concept):
        display = _display(concept, system, code)
        for match in coding_categories(ctx, system, code, display):
            found.setdefault(match.category, match)
    return list(found.values())


def _display(concept: Any, system: str, code: str) -> str | None:
    for coding in concept.get("coding") or []:
        if isinstance(coding, dict) and (coding.get("system"), coding.get("code")) == (
            system,
            code,
        ):
            display = coding.get("display")
            return display.strip() if isinstance(display, str) and display.strip() else None
    return None
