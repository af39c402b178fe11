"""What the record already says, as the physician's app shows it before the screening: the
patient, the encounter, its diagnoses, the other conditions that hold, the examinations and the
prescriptions, each by its name (dates in the app's language, the site's)."""

from __future__ import annotations

from typing import Any

from ..types import Resource
from .gate import holds
from .i18n.dates import say_date
from .letter.narrative import person_name
from .record.context import DischargeContext
from .record.references import ref_of, same_target
from .terminology import concept_name


def record_summary(ctx: DischargeContext, language: str) -> dict[str, Any]:
    patient = ctx.patient or {}
    period = ctx.encounter.get("period") or {}
    conditions = [c for c in ctx.conditions if holds(c)]
    tests = [
        *(_name(r, "procedureCode", "description") for r in ctx.imaging_studies),
        *(_name(r, "code") for r in ctx.diagnostic_reports),
        *(_name(r, "code") for r in ctx.procedures),
    ]
    return {
        "patient": {
            "name": person_name(patient) or "",
            "birthDate": say_date(born, language) if (born := patient.get("birthDate")) else "",
            "gender": patient.get("gender") or "unknown",
        },
        "encounter": {
            "id": ctx.encounter["id"],
            "start": say_date(period["start"], language) if period.get("start") else "",
            "end": say_date(period["end"], language) if period.get("end") else "",
        },
        "diagnoses": [_name(c, "code") for c in conditions if _of_encounter(c, ctx)],
        "otherConditions": [_name(c, "code") for c in conditions if not _of_encounter(c, ctx)],
        "tests": tests,
        "prescriptions": [
            _name(r, "medicationCodeableConcept")
            if "medicationCodeableConcept" in r
            else concept_name((ctx.resolve(r.get("medicationReference")) or {}).get("code"))
            or "MedicationRequest"
            for r in ctx.medication_requests
        ],
    }


def _name(resource: Resource, *elements: str) -> str:
    for element in elements:
        name = concept_name(resource.get(element))
        if name:
            return name
    return f"{resource['resourceType']}/{resource.get('id')}"


def _of_encounter(condition: Resource, ctx: DischargeContext) -> bool:
    listed = any(
        same_target(d.get("condition"), ref_of(condition))
        for d in ctx.encounter.get("diagnosis") or []
    )
    return listed or same_target(condition.get("encounter"), ref_of(ctx.encounter))
