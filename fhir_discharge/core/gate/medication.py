"""Medication (pathway.md, "Medication", "Medication as evidence", "Prescribed").

What the patient takes is evidence: the record scan (record_scan.py) reads every
MedicationRequest and MedicationStatement's medication, inline or through a Medication, by its
ATC classes (codes.MEDICATION_CLASSES), or, when the record gives no ATC code, by the names of
the classes' substances in its text (`classes_by_name`; home medication read so is named in a
warning). What was prescribed at this visit is listed in the letter as the record names it: a
MedicationRequest of the encounter that is an order (order, original-order, instance-order,
filler-order) and active or completed. Proposals, plans, stopped, cancelled and entered-in-error
requests are not listed; home medication (a MedicationStatement, a request of another encounter)
never is. The pathway's medication advice stays advice, apart from them.
"""

from __future__ import annotations

import re

from ...types import Resource
from ..codes import ATC, MEDICATION_CLASS_SUBSTANCES
from ..record.context import DischargeContext
from ..terminology import canonical_system, codings, concept_name
from .findings import Findings
from .record import Holding, holding, of_encounter
from .result import RecordItem

PRESCRIBED_INTENTS = frozenset({"order", "original-order", "instance-order", "filler-order"})
PRESCRIBED_STATUSES = frozenset({"active", "completed"})


def medication_of(ctx: DischargeContext, request: Resource) -> Resource | None:
    """The Medication a request or statement names by reference (contained ones included)."""
    reference = request.get("medicationReference")
    literal = reference.get("reference") if isinstance(reference, dict) else None
    if isinstance(literal, str) and literal.startswith("#"):
        for contained in request.get("contained") or []:
            if isinstance(contained, dict) and contained.get("id") == literal[1:]:
                return contained if contained.get("resourceType") == "Medication" else None
        return None
    found = ctx.resolve(reference)
    return found if found is not None and found.get("resourceType") == "Medication" else None


def medication_concepts(ctx: DischargeContext, request: Resource) -> list[tuple[str, object]]:
    """(element, CodeableConcept) of every code that says what the medication is: inline, or
    the Medication's code and its ingredients'."""
    inline = request.get("medicationCodeableConcept")
    if inline is not None:
        return [("medicationCodeableConcept", inline)]
    medication = medication_of(ctx, request)
    if medication is None:
        return []
    found: list[tuple[str, object]] = [("Medication.code", medication.get("code"))]
    for position, ingredient in enumerate(medication.get("ingredient") or []):
        if isinstance(ingredient, dict) and "itemCodeableConcept" in ingredient:
            found.append((f"Medication.ingredient[{position}]", ingredient["itemCodeableConcept"]))
    return found


def medication_name(ctx: DischargeContext, request: Resource) -> str | None:
    inline = request.get("medicationCodeableConcept")
    if inline is not None:
        return concept_name(inline)
    medication = medication_of(ctx, request)
    reference = request.get("medicationReference")
    display = reference.get("display") if isinstance(reference, dict) else None
    return concept_name((medication or {}).get("code")) or (
        display.strip() if isinstance(display, str) and display.strip() else None
    )


def has_atc(ctx: DischargeContext, request: Resource) -> bool:
    return any(
        canonical_system(system) == ATC
        for _, concept in medication_concepts(ctx, request)
        for system, _ in codings(concept)
    )


def prescribed(ctx: DischargeContext, request: Resource) -> bool:
    """pathway.md, "Prescribed": an order of this encounter, active or completed."""
    return (
        request.get("resourceType") == "MedicationRequest"
        and of_encounter(ctx, request)
        and request.get("intent") in PRESCRIBED_INTENTS
        and request.get("status") in PRESCRIBED_STATUSES
    )


# Words that say a medication is not taken systemically (a cream, an inhaler, eye drops): its
# substance's name then says nothing of the class (betamethasone cream is not H02AB).
_NOT_SYSTEMIC = re.compile(
    r"cr[eè]me|cream|zalf|ointment|\bgel\b|lotion|emulsie|schuim|foam|shampoo|inhal|puff|"
    r"aerosol|spray|\bneus|nasal|\boog|\beye|ocular|druppel|drops|\boor\b|otic|\bear\b|"
    r"topical|topisch|cutaan|cutane|dermal|\bhuid|\bskin",
    re.IGNORECASE,
)
# The qualifier words of a two-word substance name, read by its first word alone.
_QUALIFIERS = frozenset(
    {"acid", "sodium", "calcium", "pegol", "vedotin", "emtansine", "etexilate", "poliglumex"}
)


def _stems(name: str) -> set[str]:
    """How a substance's name is written in a Dutch or English record: its INN without the ending
    that differs ("prednisolon", "methotrex", "mycophenol"), with "ph" also as "f"."""
    words = name.casefold().split()
    stem = words[0] if len(words) == 2 and words[1] in _QUALIFIERS else " ".join(words)
    for ending in ("ate", "ic", "e"):
        if stem.endswith(ending) and len(stem) - len(ending) >= 5:
            stem = stem[: -len(ending)]
            break
    return {stem, stem.replace("ph", "f")}


_SUBSTANCES: tuple[tuple[re.Pattern[str], str, str], ...] = tuple(
    (re.compile(r"\b" + re.escape(stem)), atc, substance)
    for atc, names in MEDICATION_CLASS_SUBSTANCES.items()
    for substance in names
    for stem in sorted(_stems(substance))
)


def _words(ctx: DischargeContext, request: Resource) -> str:
    """Everything a request or statement says of its medication and route, as text."""
    said: list[str] = []
    for _, concept in medication_concepts(ctx, request):
        if isinstance(concept, dict):
            said.append(str(concept.get("text") or ""))
            said += [
                str(c.get("display") or "")
                for c in concept.get("coding") or []
                if isinstance(c, dict)
            ]
    reference = request.get("medicationReference")
    if isinstance(reference, dict):
        said.append(str(reference.get("display") or ""))
    return " ".join(said)


def _route(request: Resource) -> str:
    said: list[str] = []
    for dosage in [*(request.get("dosage") or []), *(request.get("dosageInstruction") or [])]:
        if not isinstance(dosage, dict):
            continue
        said.append(str(dosage.get("text") or ""))
        route = dosage.get("route")
        if isinstance(route, dict):
            said.append(str(route.get("text") or ""))
            said += [
                str(c.get("display") or "")
                for c in route.get("coding") or []
                if isinstance(c, dict)
            ]
    return " ".join(said)


def classes_by_name(ctx: DischargeContext, request: Resource) -> list[tuple[str, str]]:
    """(ATC class, substance) a medication without an ATC code names in its text or display,
    taken systemically (pathway.md, "Medication as evidence": read by its ATC class; a record
    that gives none is read by the substance's name, the next best thing it says)."""
    if has_atc(ctx, request):
        return []
    words = _words(ctx, request)
    if not words.strip() or _NOT_SYSTEMIC.search(words) or _NOT_SYSTEMIC.search(_route(request)):
        return []
    found: dict[str, str] = {}
    for pattern, atc, substance in _SUBSTANCES:
        if atc not in found and pattern.search(words.casefold()):
            found[atc] = substance
    return list(found.items())


def warn_of_home_medication_by_name(ctx: DischargeContext, findings: Findings) -> None:
    """Home medication with no ATC code and no substance of the classes in its name passes the
    class screen unread: say so, naming it (the physician's screening asks about long-term
    corticosteroids and immunosuppression; pathway.md asks for an ATC code)."""
    unread: list[str] = []
    for resource in (*ctx.medication_statements, *ctx.medication_requests):
        if resource.get("resourceType") == "MedicationRequest" and of_encounter(ctx, resource):
            continue  # ordered at this visit, by the physician who screened
        if holding(ctx, resource) is not Holding.CURRENT or has_atc(ctx, resource):
            continue
        if not classes_by_name(ctx, resource):
            unread.append(f"{resource['resourceType']}/{resource.get('id')}")
    if unread:
        findings.warn(
            "home medication without an ATC code was screened by its name only: "
            + ", ".join(unread[:20])
            + "; add the ATC code to screen it by class",
            "medication-by-name",
            references=tuple(unread[:20]),
        )


def prescriptions(ctx: DischargeContext, findings: Findings) -> tuple[RecordItem, ...]:
    items: list[RecordItem] = []
    for request in ctx.medication_requests:
        if not prescribed(ctx, request):
            continue
        name = medication_name(ctx, request)
        where = f"MedicationRequest/{request.get('id')}"
        if not name:
            findings.missing(
                "a prescription of this encounter does not name its medication: document "
                "the medication's text or display",
                where,
                "prescription-unnamed",
            )
            continue
        dosage = "; ".join(
            str(d["text"]).strip()
            for d in request.get("dosageInstruction") or []
            if isinstance(d, dict) and isinstance(d.get("text"), str) and d["text"].strip()
        )
        items.append(RecordItem(request, name, dosage or None))
    return tuple(items)
