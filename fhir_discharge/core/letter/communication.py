"""The letter's delivery to the GP: a Communication, so a GP system finds its letters with
`Communication?recipient=Practitioner/{id}` (the FHIR pattern for "a message was sent to").

Its payload points to the letter as the attested document the same transaction stores
(stored_document.py): `Bundle/{id}` once it landed, which a GP system reads with a plain GET."""

from __future__ import annotations

from ...types import Resource
from ..brussels_time import fhir_datetime
from ..record.identity import business_identifier
from .facts import DischargeFacts
from .narrative import generated, paragraph, text


def build_letter_communication(facts: DischargeFacts) -> Resource | None:
    """None without a GP on record: there is no one to address it to. A GP recorded by
    identifier only is addressed by that identifier (a logical reference)."""
    recipient = facts.gp_reference
    if recipient is None:
        return None
    p = facts.phrases
    return {
        "resourceType": "Communication",
        "language": facts.language,
        "text": generated(paragraph(text(p["communication"])), facts.language),
        "identifier": [business_identifier(facts.communication.literal)],
        "status": "completed",
        "category": [{"text": p["communication-category"]}],
        "subject": facts.patient.as_reference(),
        "encounter": facts.encounter.as_reference(),
        "sent": fhir_datetime(facts.discharge),
        "recipient": [recipient],
        "sender": facts.hospital.as_reference(),
        "payload": [{"contentReference": facts.document.as_reference()}],
    }
