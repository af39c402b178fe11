"""The patient brochure the patient took home: a DocumentReference pointing to UZ Leuven 700457.

The brochure's text is the hospital's and is not copied: the attachment is a link to it.
"""

from __future__ import annotations

from ...types import Resource
from ..codes import BROCHURE_CATEGORY, BROCHURE_TYPE
from ..pathway.canonicals import BROCHURE_PROFILE, claims
from ..phrases import BROCHURE_URL
from ..record.identity import business_identifier
from .composition import brochure_sentence
from .facts import DischargeFacts
from .narrative import fhir_datetime, generated, paragraph, text


def build_brochure_reference(facts: DischargeFacts) -> Resource:
    p = facts.phrases
    return {
        "resourceType": "DocumentReference",
        "meta": claims(BROCHURE_PROFILE),
        "language": facts.language,
        "text": generated(paragraph(text(brochure_sentence(facts)))),
        "identifier": [business_identifier(facts.brochure.literal)],
        "status": "current",
        "type": BROCHURE_TYPE.concept(),
        "category": [BROCHURE_CATEGORY.concept()],
        "subject": facts.patient.as_reference(),
        "date": fhir_datetime(facts.discharge),
        "author": [facts.hospital.as_reference()],
        "custodian": facts.hospital.as_reference(),
        "description": p["brochure-title"],
        "content": [
            {
                "attachment": {
                    "contentType": "text/html",
                    "language": "nl-BE",  # the brochure exists in Dutch only
                    "url": BROCHURE_URL,
                    "title": p["brochure-title"],
                }
            }
        ],
        "context": {"encounter": [facts.encounter.as_reference()]},
    }
