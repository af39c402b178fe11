"""What was examined at this visit (pathway.md, "Why no imaging"): each imaging study, report or
procedure of the encounter as the record names it; "no imaging" only when the record shows none."""

from __future__ import annotations

from ...types import Resource
from ..codes import LAB_REPORT_CATEGORIES
from ..context import DischargeContext
from ..terminology import concept_name
from .findings import Findings
from .record import VOID, all_codings, of_encounter
from .result import RecordItem

_LAB_CATEGORIES = {(c.system, c.code) for c in LAB_REPORT_CATEGORIES}


def examinations(ctx: DischargeContext, findings: Findings) -> tuple[tuple[RecordItem, ...], bool]:
    """The examinations of this encounter, and whether the record shows no imaging."""
    items: list[RecordItem] = []
    no_imaging = True
    record = [*ctx.imaging_studies, *ctx.diagnostic_reports, *ctx.procedures]
    for resource in record:
        if resource.get("status") in VOID or not of_encounter(ctx, resource):
            continue
        name, detail = _test_name(resource)
        where = f"{resource['resourceType']}/{resource.get('id')}"
        if name is None:
            findings.missing(
                "an examination of this encounter cannot be named (no code text or display, "
                "no description): document what it was",
                where,
                "examination-unnamed",
            )
            continue
        items.append(RecordItem(resource, name, detail))
        lab = resource["resourceType"] == "DiagnosticReport" and any(
            coding in _LAB_CATEGORIES for coding in all_codings(resource.get("category"))
        )
        # Anything but a laboratory report could be imaging: then the letter does not say
        # that none was done.
        no_imaging = no_imaging and lab
    return tuple(items), no_imaging


def _test_name(resource: Resource) -> tuple[str | None, str | None]:
    """How the record names an ImagingStudy, DiagnosticReport or Procedure, and its conclusion."""
    rtype = resource["resourceType"]
    if rtype == "ImagingStudy":
        name = resource.get("description") if isinstance(resource.get("description"), str) else None
        for concept in resource.get("procedureCode") or []:
            name = name or concept_name(concept)
        return name, None
    name = concept_name(resource.get("code"))
    if rtype != "DiagnosticReport":
        return name, None
    conclusion = resource.get("conclusion")
    if not isinstance(conclusion, str) or not conclusion.strip():
        names = [concept_name(c) for c in resource.get("conclusionCode") or []]
        conclusion = "; ".join(n for n in names if n) or None
    return name, conclusion.strip() if conclusion else None
