"""The patient brochure: a DocumentReference pointing to the site's brochure (sites/*.toml).

The brochure's text is the hospital's and is not copied: the attachment is a link to it, in the
letter's language when the site publishes it in that one, else in the site's default language
(the letter then says which).
"""

from __future__ import annotations

from ...types import Resource
from ..brussels_time import fhir_datetime
from ..codes import BROCHURE_CATEGORY, BROCHURE_TYPE
from ..pathway.canonicals import claims
from ..record.identity import business_identifier
from .composition import brochure_sentence
from .facts import DischargeFacts
from .narrative import generated, paragraph, text


def build_brochure_reference(facts: DischargeFacts) -> Resource:
    title = facts.say("brochure-title")
    url, brochure_language = facts.site.brochure(facts.language)
    return {
        "resourceType": "DocumentReference",
        "meta": claims(facts.site.canonicals.brochure_profile),
        "language": facts.language,
        "text": generated(paragraph(text(brochure_sentence(facts))), facts.language),
        "identifier": [business_identifier(facts.brochure.literal)],
        "status": "current",
        "type": BROCHURE_TYPE.concept(),
        "category": [BROCHURE_CATEGORY.concept()],
        "subject": facts.patient.as_reference(),
        "date": fhir_datetime(facts.discharge),
        "author": [facts.hospital.as_reference()],
        "custodian": facts.hospital.as_reference(),
        "description": title,
        "content": [
            {
                "attachment": {
                    "contentType": "text/html",
                    "language": brochure_language,  # the brochure's own, maybe not the letter's
                    "url": url,
                    "title": title,
                }
            }
        ],
        "context": {"encounter": [facts.encounter.as_reference()]},
    }
