"""Medication (pathway.md, "Medication", "Medication as evidence", "Prescribed").

What the patient takes is evidence: the record scan (record_scan.py) reads every
MedicationRequest and MedicationStatement's medication, inline or through a Medication, by its
ATC classes (codes.MEDICATION_CLASSES); home medication the gate cannot classify (no ATC coding)
is unreadable. What was prescribed at this visit is listed in the letter as the record names it:
a MedicationRequest of the encounter that is an order (order, original-order, instance-order,
filler-order) and active or completed. Proposals, plans, stopped, cancelled and entered-in-error
requests are not listed; home medication (a MedicationStatement, a request of another encounter)
never is. The pathway's medication advice stays advice, apart from them.
"""

from __future__ import annotations

from ...types import Resource
from ..codes import ATC
from ..context import DischargeContext
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


def check_home_medication(ctx: DischargeContext, findings: Findings) -> None:
    """Home medication the patient takes must say its ATC class: the gate cannot otherwise tell
    a corticosteroid, an immunosuppressant, an antineoplastic or an anticoagulant from the rest
    (pathway.md: "SNOMED or a national code with an ATC translation")."""
    for resource in (*ctx.medication_statements, *ctx.medication_requests):
        if resource.get("resourceType") == "MedicationRequest" and of_encounter(ctx, resource):
            continue  # ordered at this visit, by the physician who screened
        if holding(ctx, resource) is not Holding.CURRENT or has_atc(ctx, resource):
            continue
        where = f"{resource['resourceType']}/{resource.get('id')}"
        name = medication_name(ctx, resource) or "(no name)"
        findings.missing(
            f"the patient's medication {name} ({where}) has no ATC code: the service cannot "
            "tell whether it is a corticosteroid, an immunosuppressant, an antineoplastic or "
            "an anticoagulant; add its ATC code (WHO ATC, beside any other code), or mark it "
            "entered-in-error",
            where,
            "medication-unclassified",
            name=name,
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
