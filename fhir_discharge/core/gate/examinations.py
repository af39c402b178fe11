"""What was examined at this visit (pathway.md, "Why no imaging", "One examination, one line",
"Reports read as free text"): each imaging study, report or procedure of the visit as the record
names it; "no imaging" only when the record shows none. An ImagingStudy and the DiagnosticReport
that references it are one examination, named once, with the report's conclusion. A free-text
conclusion is quoted verbatim, and the physician is warned to read it: the gate cannot."""

from __future__ import annotations

from ...types import Resource
from ..codes import LAB_REPORT_CATEGORIES
from ..record.context import DischargeContext
from ..record.references import ref_of, same_target
from ..terminology import concept_name
from .findings import Findings
from .record import Holding, all_codings, holding
from .result import RecordItem

_LAB_CATEGORIES = {(c.system, c.code) for c in LAB_REPORT_CATEGORIES}


def examinations(ctx: DischargeContext, findings: Findings) -> tuple[tuple[RecordItem, ...], bool]:
    """The examinations of this visit, and whether the record shows no imaging."""
    items: list[RecordItem] = []
    no_imaging = True
    reports = [r for r in ctx.diagnostic_reports if holding(ctx, r) is Holding.CURRENT]
    record = [*ctx.imaging_studies, *ctx.diagnostic_reports, *ctx.procedures]
    for resource in record:
        if holding(ctx, resource) is not Holding.CURRENT:
            continue
        where = f"{resource['resourceType']}/{resource.get('id')}"
        if resource["resourceType"] == "ImagingStudy" and any(
            same_target(study, ref_of(resource))
            for report in reports
            for study in report.get("imagingStudy") or []
        ):
            no_imaging = False
            continue  # named once, by its report
        name, detail, quoted = _test_name(resource)
        if name is None:
            findings.missing(
                "an examination of this encounter cannot be named (no code text or display, "
                "no description): document what it was",
                where,
                "examination-unnamed",
            )
            continue
        items.append(RecordItem(resource, name, detail, quoted))
        if quoted:
            findings.warn(
                f"the report {where} has a free-text conclusion the service cannot read: the "
                "letter quotes it as written; read it before confirming the letter",
                "report-free-text",
                reference=where,
            )
        lab = resource["resourceType"] == "DiagnosticReport" and any(
            coding in _LAB_CATEGORIES for coding in all_codings(resource.get("category"))
        )
        # Anything but a laboratory report could be imaging: then the letter does not say
        # that none was done.
        no_imaging = no_imaging and lab
    return tuple(items), no_imaging


def _test_name(resource: Resource) -> tuple[str | None, str | None, bool]:
    """How the record names an ImagingStudy, DiagnosticReport or Procedure, its conclusion, and
    whether that conclusion is free text."""
    rtype = resource["resourceType"]
    if rtype == "ImagingStudy":
        description = resource.get("description")
        name = description.strip() if isinstance(description, str) and description.strip() else None
        for concept in resource.get("procedureCode") or []:
            name = name or concept_name(concept)
        return name, None, False
    name = concept_name(resource.get("code"))
    if rtype != "DiagnosticReport":
        return name, None, False
    conclusion = resource.get("conclusion")
    if isinstance(conclusion, str) and conclusion.strip():
        return name, conclusion.strip(), True
    names = [concept_name(c) for c in resource.get("conclusionCode") or []]
    return name, "; ".join(n for n in names if n) or None, False
