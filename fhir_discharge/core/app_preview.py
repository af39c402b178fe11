"""What the physician's app shows of a dry run: the letter as the GP will read it, the follow-up
dates, the brochure and the warnings; or the gate's reasons. The app speaks the site's language
(core/i18n/physician_texts.py); the letter it previews speaks the GP's. Each reason and warning
is said by its code (core/i18n/said.py), beside the English of the API; in English where it has
no code.
"""

from __future__ import annotations

from typing import Any

from ..errors import IncompleteRecord, NotOnPathway
from ..types import Resource
from .i18n.dates import say_date
from .i18n.physician_texts import app_sentences, finding_for_physician, warning_for_physician
from .letter.document import build_document, document_identifier, landed_resources
from .record.context import DischargeContext
from .rendering import render_letter_html
from .site import Site
from .transaction import Discharge


def preview_of(
    discharge: Discharge, ctx: DischargeContext, base_url: str, site: Site
) -> dict[str, Any]:
    """The dry run on the pathway, for the page: the letter rendered as HTML (as it will read
    once posted to `base_url`), the follow-up dates, the brochure and the warnings."""
    phrases = app_sentences(site)
    facts = discharge.facts
    language = site.default_language
    return {
        "outcome": "on-pathway",
        "letterHtml": letter_preview_html(discharge.bundle, ctx, base_url, site),
        # The letter's narrative as the discharge will store it (Composition.text.div): the
        # confirm stores the screening previewed (its `authored` included), so the stored
        # letter says the same, character for character (issue 22, point 4).
        "letterNarrative": str(discharge.bundle["entry"][0]["resource"]["text"]["div"]),
        "followUps": [
            phrases["follow-up-week"].format(date=say_date(facts.week_follow_up, language)),
            phrases["follow-up-six-weeks"].format(
                date=say_date(facts.six_week_follow_up, language)
            ),
        ],
        "brochureUrl": site.brochure(language)[0],
        "warnings": warning_texts(discharge, site),
    }


def gate_reasons(refusal: NotOnPathway | IncompleteRecord, site: Site) -> dict[str, Any]:
    """The gate's reasons for the page: each as the physician reads it (`text`, said by its code;
    its English for a finding without one; the page shows it as text), beside the English
    `message` of the API's OperationOutcome."""
    return {
        "outcome": "off-pathway" if isinstance(refusal, NotOnPathway) else "incomplete",
        "findings": [
            {
                "message": f.message,
                "expression": f.expression,
                "code": f.code,
                "text": finding_for_physician(f, site),
            }
            for f in refusal.findings
        ],
    }


def warning_texts(discharge: Discharge, site: Site) -> list[dict[str, Any]]:
    """The discharge's warnings for the page ("Let op"): each as the physician reads it (`text`,
    said by its code; the page shows it as text) beside its code and the English `message` of
    the operation's answer."""
    return [
        {"message": w.message, "code": w.code, "text": warning_for_physician(w, site)}
        for w in discharge.warnings
    ]


def letter_preview_html(
    transaction: Resource, ctx: DischargeContext, base_url: str, site: Site
) -> str:
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
    return render_letter_html(document.bundle, site)
