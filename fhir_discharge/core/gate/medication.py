"""Medication (pathway.md, "Medication"): the prescriptions of this encounter, listed in the
letter as the record names them; the pathway's medication advice stays advice, apart from them."""

from __future__ import annotations

from ..context import DischargeContext
from ..terminology import concept_name
from .findings import Findings
from .record import VOID, of_encounter
from .result import RecordItem


def prescriptions(ctx: DischargeContext, findings: Findings) -> tuple[RecordItem, ...]:
    items: list[RecordItem] = []
    for request in ctx.medication_requests:
        if request.get("status") in VOID or not of_encounter(ctx, request):
            continue
        concept = request.get("medicationCodeableConcept")
        if concept is None:
            reference = request.get("medicationReference") or {}
            medication = ctx.resolve(reference)
            concept = (medication or {}).get("code")
            name = concept_name(concept) or (reference.get("display") or None)
        else:
            name = concept_name(concept)
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
            if isinstance(d.get("text"), str) and d["text"].strip()
        )
        items.append(RecordItem(request, str(name), dosage or None))
    return tuple(items)
