"""What the physician's app shows of an encounter this service already discharged (issue 22,
points 2 and 3): when and by whom, who received the letter, the follow-up dates, the brochure,
and the letter itself, all read from the letter's stored document on the FHIR server, never from
what the page remembers. The same view answers a second launch, a reload and the confirmation
after the discharge. In the site's language; the letter speaks the GP's. Resource ids only under
`technical` (the page folds them away).
"""

from __future__ import annotations

from typing import Any

from ..types import Resource
from .i18n.dates import say_date, say_time
from .i18n.physician_texts import app_sentences
from .pathway.definition import ONE_WEEK, SIX_WEEKS
from .rendering import render_letter_html
from .rendering.reader import letter_view, parse_datetime
from .site import Site


def said_moment(value: Any, site: Site) -> str:
    """A FHIR dateTime as the app says a moment, in Brussels time ("25 november 2026 om 12.40
    uur"); a date without a time as a date; "" when it is neither."""
    language = site.default_language
    moment = parse_datetime(value)
    if moment is not None:
        return app_sentences(site)["moment"].format(
            date=say_date(moment, language), time=say_time(moment, language)
        )
    if isinstance(value, str) and value[:4].isdigit():
        return say_date(value, language)
    return ""


def discharged_view(
    composition: Resource, document: Resource | None, references: dict[str, str], site: Site
) -> dict[str, Any]:
    """The discharge of the letter `composition` as the page shows it, read from its stored
    `document` (None: a letter written before documents were stored; then the Composition's
    date and no letter). `references`: the FHIR references the ICT service may need."""
    phrases = app_sentences(site)
    language = site.default_language
    answer: dict[str, Any] = {
        "dischargedAt": said_moment(composition.get("date"), site),
        "physician": "",
        "generalPractitioner": "",
        "followUps": [],
        "brochureUrl": site.brochure(language)[0],
        "letterHtml": None,
        "technical": [f"{role}: {reference}" for role, reference in references.items()],
    }
    if document is None:
        return answer
    view = letter_view(document, site)
    resources = [e.get("resource") or {} for e in document.get("entry") or []]
    dates = _follow_up_starts(resources, site)
    follow_ups = []
    if ONE_WEEK in dates:
        follow_ups.append(phrases["follow-up-week"].format(date=dates[ONE_WEEK]))
    if SIX_WEEKS in dates:
        follow_ups.append(phrases["follow-up-six-weeks"].format(date=dates[SIX_WEEKS]))
    answer.update(
        physician=view.author,
        generalPractitioner=view.general_practitioner,
        followUps=follow_ups,
        brochureUrl=view.brochure_url or answer["brochureUrl"],
        letterHtml=render_letter_html(document, site),
    )
    return answer


def _follow_up_starts(resources: list[Resource], site: Site) -> dict[str, str]:
    """The follow-up Tasks' start dates (Task.restriction.period.start), said, by the pathway's
    action id (matched on Task.instantiatesCanonical)."""
    by_definition = {f.definition: f.action_id for f in site.pathway.follow_ups.values()}
    starts: dict[str, str] = {}
    for task in resources:
        if task.get("resourceType") != "Task":
            continue
        action = by_definition.get(str(task.get("instantiatesCanonical", "")))
        period = (task.get("restriction") or {}).get("period") or {}
        moment = parse_datetime(period.get("start"))
        if action is not None and moment is not None:
            starts[action] = say_date(moment, site.default_language)
    return starts
