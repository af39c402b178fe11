"""What the physician's app shows of a dry run: the letter as the GP will read it, the follow-up
dates, the brochure and the warnings; or the gate's reasons. Each reason and warning in Dutch
from the catalogues written in advance (core/findings_nl.py, core/warnings_nl.py), beside the
English of the API; in English where the catalogue has no sentence.
"""

from __future__ import annotations

from typing import Any

from ..errors import IncompleteRecord, NotOnPathway
from ..types import Resource
from .context import DischargeContext
from .document import build_document, document_identifier, landed_resources
from .findings_nl import finding_text
from .narrative import dutch_date
from .phrases import APP_PHRASES, BROCHURE_URL, SPINE_PROGRAMME_PHONE
from .rendering import render_letter_html
from .transaction import Discharge
from .warnings_nl import discharge_warnings


def app_phrases(language: str) -> dict[str, str]:
    """The app's sentences in `language`, in Dutch where there are none in it."""
    return APP_PHRASES.get(language, APP_PHRASES["nl-BE"])


def preview_of(
    discharge: Discharge, ctx: DischargeContext, base_url: str, language: str
) -> dict[str, Any]:
    """The dry run on the pathway, for the page: the letter rendered as HTML (as it will read
    once posted to `base_url`), the follow-up dates, the brochure and the warnings."""
    phrases = app_phrases(language)
    facts = discharge.facts
    return {
        "outcome": "on-pathway",
        "letterHtml": letter_preview_html(discharge.bundle, ctx, base_url),
        "followUps": [
            phrases["follow-up-week"].format(date=dutch_date(facts.week_follow_up)),
            phrases["follow-up-six-weeks"].format(
                date=dutch_date(facts.six_week_follow_up), phone=SPINE_PROGRAMME_PHONE
            ),
        ],
        "brochureUrl": BROCHURE_URL,
        "warnings": list(discharge.warnings),  # English, as the operation's answer has them
        "warningTexts": warning_texts(discharge),
    }


def gate_reasons(refusal: NotOnPathway | IncompleteRecord) -> dict[str, Any]:
    """The gate's reasons for the page: each in Dutch (`message_nl`, from the catalogue by its
    code; the page shows it as text), beside the English `message` of the API's
    OperationOutcome. A finding without a Dutch sentence has `message_nl` null: the page says
    the English one."""
    return {
        "outcome": "off-pathway" if isinstance(refusal, NotOnPathway) else "incomplete",
        "findings": [
            {
                "message": f.message,
                "expression": f.expression,
                "code": f.code,
                "message_nl": finding_text(f),
            }
            for f in refusal.findings
        ],
    }


def warning_texts(discharge: Discharge) -> list[dict[str, Any]]:
    """The discharge's warnings for the page ("Let op"): each in Dutch (`message_nl`, from the
    catalogue, when core/warnings_nl.py can tell what the warning is; the page shows it as text)
    beside its English `message`. One it cannot tell has `message_nl` null: the page says the
    English one."""
    return [
        {"message": w.message, "code": w.code, "message_nl": w.message_nl}
        for w in discharge_warnings(discharge)
    ]


def letter_preview_html(transaction: Resource, ctx: DischargeContext, base_url: str) -> str:
    """The letter as `GET /Composition/{id}/$document?_format=html` will give it once posted:
    the transaction's resources as if landed under their uuids, plus the record they cite."""
    locations = {
        str(e["fullUrl"]): f"{e['resource']['resourceType']}/"
        + str(e["fullUrl"]).removeprefix("urn:uuid:")
        for e in transaction["entry"]
    }
    landed = landed_resources(transaction, locations)
    composition, created = landed[0], landed[1:]
    cited = [
        r
        for r in (ctx.encounter, ctx.patient, ctx.physician, ctx.hospital, ctx.general_practitioner)
        if r is not None
    ]
    cited += [*ctx.conditions, *ctx.screenings, *ctx.imaging_studies, *ctx.diagnostic_reports]
    cited += [*ctx.procedures, *ctx.medication_requests]
    author = [ctx.resolve(s.get("author")) for s in ctx.screenings]
    document = build_document(
        composition,
        [*created, *cited, *(a for a in author if a is not None)],
        identifier=document_identifier(composition),
        timestamp=str(composition["date"]),
        base_url=base_url,
    )
    return render_letter_html(document.bundle)
