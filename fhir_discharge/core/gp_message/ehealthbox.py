"""The letter's way into the GP's record: a KMEHR message for the eHealthBox, in the Communication.

Belgian GP software imports hospital letters from the eHealthBox as KMEHR messages (kmehr.py),
filed by the patient's SSIN. This module decides whether the letter can go that way (`gp_route`:
the patient's SSIN, the GP's, the signing physician's and the hospital's NIHDI numbers, each
well formed: identifiers.py, the rule the gate and the carried record follow too), builds the
message (the letter's text and its PDF, rendered from the attested document the transaction
stores, as `$document?_format=pdf` renders it), puts it in the Communication to the GP beside the
letter, with what the eHealthBox envelope needs, and writes the Task by which the hospital's
integration engine finds what is still to send and reports back (README, "The GP's eHealthBox").

This service holds no eHealth credentials and sends nothing to the eHealthBox: sending,
encryption and acknowledgements are the integration engine's. A letter that cannot go this way
says why, as a warning of the discharge (the physician then hands it over), and has no message
and no Task.

Pure: no network, no clock.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from dataclasses import dataclass
from typing import Any, Final

from ...errors import DischargeWarning
from ...types import Resource
from ..brussels_time import fhir_datetime
from ..letter.composition import plain_text
from ..letter.facts import DischargeFacts, letter_version_key
from ..letter.narrative import generated, one_line, paragraph, text
from ..pathway.canonicals import Canonicals, claims
from ..record.identifiers import (
    NIHDI,
    NIHDI_SYSTEMS,
    SSIN,
    SSIN_SYSTEMS,
    hospital_nihdi,
    identifier_value,
    physician_nihdi,
    ssin,
)
from ..record.identity import business_identifier, derived_uuid
from ..record.references import Ref
from .kmehr import HOSPITAL, PHYSICIAN, ContactReport, HealthcareParty, KmehrPatient, kmehr_message

# The eHealthBox takes messages of at most 10 MB (eHealthBox's cookbook); the engine's
# encryption adds to it, so this is a floor the message itself must stay under.
EHEALTHBOX_MAX_BYTES: Final = 10_000_000
# The eHealthBox envelope's PublicationId: at most 13 characters, unique per sender.
PUBLICATION_ID_LENGTH: Final = 13
# The KMEHR message as a FHIR Attachment (RFC 7303): what the engine hands to the eHealthBox.
KMEHR_CONTENT_TYPE: Final = "application/xml"

# Our CodeSystem (profiles/input/fsh/gp-message.fsh, under the site's canonical base:
# Canonicals.gp_message_system): what the Task asks, and where it stands.
SEND_CODE: Final = "kmehr-ehealthbox"
GP_MESSAGE_CODES: Final[dict[str, str]] = {
    SEND_CODE: "Send the letter to the GP's eHealthBox as a KMEHR message",
    # Task.businessStatus, set by this service (to-send) and then by the integration engine
    "to-send": "Waiting for the hospital's integration engine to send it",
    "sent": "The eHealthBox accepted the message for the GP",
    "received": "The GP's eHealthBox acknowledged receipt",
    "read": "The GP's eHealthBox acknowledged it was read",
    "failed": "Not sent: the eHealthBox refused it, or the engine gave up (see statusReason)",
}

# Why a letter cannot reach the GP electronically, in English (the API's warnings); the
# catalogues' `not_electronic` say each in their language, by the same keys (warning code
# "not-electronic-<key>").
UNREACHABLE: Final[dict[str, str]] = {
    "no-general-practitioner": "no general practitioner on record",
    "general-practitioner-no-nihdi": "the general practitioner on record has no physician's "
    "NIHDI number",
    "general-practitioner-nihdi-invalid": "the general practitioner's NIHDI number is not a "
    "valid physician's number (11 digits, starting with 1, check digits)",
    "patient-no-ssin": "the patient has no SSIN on record",
    "patient-ssin-invalid": "the patient's SSIN fails its check digits",
    "patient-no-name": "the patient has no name on record",
    "physician-no-nihdi": "the signing physician has no NIHDI number on record",
    "physician-nihdi-invalid": "the signing physician's NIHDI number is not a valid physician's "
    "number",
    "hospital-no-nihdi": "the hospital has no NIHDI number on record",
    "hospital-nihdi-invalid": "the hospital's NIHDI number is not a valid hospital's number",
    "message-too-large": "the message would exceed the eHealthBox's limit of 10 MB",
}


def unreachable_warning(reason: str) -> DischargeWarning:
    """The discharge's warning for `reason` (a key of UNREACHABLE)."""
    return DischargeWarning(
        "the GP cannot receive the letter electronically (no KMEHR message for the eHealthBox): "
        f"{UNREACHABLE[reason]}; hand the letter over on paper",
        f"not-electronic-{reason}",
    )


@dataclass(frozen=True)
class GpRoute:
    """Whether the letter can reach the GP's eHealthBox, and who it names if it can."""

    reasons: tuple[str, ...]  # keys of UNREACHABLE; none: reachable
    patient: KmehrPatient | None
    recipient: HealthcareParty | None
    physician: HealthcareParty | None
    hospital: HealthcareParty | None

    @property
    def reachable(self) -> bool:
        return not self.reasons

    def warnings(self) -> list[DischargeWarning]:
        return [unreachable_warning(reason) for reason in self.reasons]


def gp_route(facts: DischargeFacts) -> GpRoute:
    """The patient, the GP, the signing physician and the hospital as KMEHR names them, or why
    it cannot: a missing or malformed number would file the letter under another patient, send
    it to another physician, or nowhere."""
    ctx = facts.context
    reasons: list[str] = []

    patient = facts.patient_resource
    raw_ssin = identifier_value(patient, SSIN_SYSTEMS)
    patient_ssin = ssin(raw_ssin)
    if raw_ssin is None:
        reasons.append("patient-no-ssin")
    elif patient_ssin is None:
        reasons.append("patient-ssin-invalid")
    firstnames, familyname = _split_name(patient)
    if not firstnames and not familyname:
        reasons.append("patient-no-name")

    recipient = None
    gp = ctx.general_practitioner if facts.general_practitioner is not None else None
    # A GP known by identifier only (pathway.md, "The GP by identifier only"): a logical
    # reference with the NIHDI number and the name as its display.
    logical = ctx.general_practitioner_logical if gp is None else None
    if gp is None and logical is None:
        reasons.append("no-general-practitioner")
    else:
        # A PractitionerRole's own NIHDI number, else its Practitioner's; an Organization (a
        # practice) is no physician to address.
        person = _person(facts, gp) if gp is not None else None
        if gp is not None:
            raw = identifier_value(gp, NIHDI_SYSTEMS) if person is not None else None
            raw = raw or identifier_value(person, NIHDI_SYSTEMS)
        else:
            raw = identifier_value(logical, NIHDI_SYSTEMS)
        if raw is None:
            reasons.append("general-practitioner-no-nihdi")
        elif (number := physician_nihdi(raw)) is None:
            reasons.append("general-practitioner-nihdi-invalid")
        elif gp is not None:
            recipient = _party(number, PHYSICIAN, person)
        else:
            display = one_line((logical or {}).get("display"))
            recipient = HealthcareParty(number, PHYSICIAN, name=display)

    physician = None
    signer = ctx.physician
    raw = identifier_value(signer, NIHDI_SYSTEMS)
    if raw is None:
        reasons.append("physician-no-nihdi")
    elif (number := physician_nihdi(raw)) is None:
        reasons.append("physician-nihdi-invalid")
    else:
        physician = _party(number, PHYSICIAN, signer)

    hospital = None
    raw = identifier_value(ctx.hospital, NIHDI_SYSTEMS)
    if raw is None:
        reasons.append("hospital-no-nihdi")
    elif (number := hospital_nihdi(raw)) is None:
        reasons.append("hospital-nihdi-invalid")
    else:
        name = one_line((ctx.hospital or {}).get("name")) or facts.site.name
        hospital = HealthcareParty(number, HOSPITAL, name=name)

    kmehr_patient = None
    if patient_ssin is not None:
        kmehr_patient = KmehrPatient(
            ssin=patient_ssin,
            firstnames=firstnames,
            familyname=familyname,
            birth_date=patient.get("birthDate")
            if isinstance(patient.get("birthDate"), str)
            else None,
            gender=patient.get("gender") if isinstance(patient.get("gender"), str) else None,
        )
    return GpRoute(tuple(reasons), kmehr_patient, recipient, physician, hospital)


@dataclass(frozen=True)
class GpMessage:
    """The letter as a KMEHR message, with what the eHealthBox envelope needs."""

    kmehr: bytes
    pdf: bytes  # the letter's PDF, as in the message
    text: str  # the letter's text, as in the message
    title: str
    publication_id: str
    task: Ref  # the Task for the integration engine

    @property
    def fits(self) -> bool:
        """Whether the eHealthBox takes a message this size."""
        return len(self.kmehr) <= EHEALTHBOX_MAX_BYTES


def build_gp_message(
    facts: DischargeFacts, route: GpRoute, letter: Resource, document: Resource
) -> GpMessage:
    """The KMEHR message of the letter (the Composition): its narrative as text, and the PDF of
    the attested document the transaction stores (stored_document.py), which
    `$document?_format=pdf` renders from the stored one once it landed."""
    from ..rendering import render_letter_pdf  # fpdf2, loaded only where a PDF is made

    if not (route.patient and route.recipient and route.physician and route.hospital):
        raise ValueError(f"no KMEHR message for a letter that cannot reach the GP: {route.reasons}")
    pdf = render_letter_pdf(document, facts.site)
    letter_text = plain_text(letter["text"]["div"])
    key = facts.version_key
    report = ContactReport(
        message_id=message_id(route.hospital.nihdi, key),
        # a correction is a new version of the earlier message (KMEHR CD-LNK isanewversionof)
        replaces_message_id=(
            message_id(route.hospital.nihdi, letter_version_key(facts.key, facts.version - 1))
            if facts.version > 1
            else None
        ),
        letter_id=facts.letter.literal,
        written=facts.discharge,
        hospital=route.hospital,
        physician=route.physician,
        recipient=route.recipient,
        patient=route.patient,
        language=facts.language,
        text=letter_text,
        pdf=pdf,
    )
    title = facts.phrases["gp-message-title"].format(
        title=facts.phrases["title"], date=facts.said(facts.visit)
    )
    return GpMessage(
        kmehr=kmehr_message(report),
        pdf=pdf,
        text=letter_text,
        title=title,
        publication_id=publication_id(key),
        task=ehealthbox_task_ref(facts),
    )


def ehealthbox_task_ref(facts: DischargeFacts) -> Ref:
    """The Task for the integration engine, by its fullUrl (and identifier)."""
    return Ref(None, None, urn=derived_uuid(facts.version_key, "ehealthbox-task"))


def message_id(hospital_nihdi: str, version_key: str) -> str:
    """The KMEHR message id of a version of the letter: unique in Belgium (the sender's NIHDI
    number, a dot, our own id)."""
    return f"{hospital_nihdi}.{_uuid(version_key, 'kmehr-message').hex}"


def publication_id(key: str) -> str:
    """The eHealthBox PublicationId of the letter of the encounter `key`: 13 characters of
    [0-9A-Z], derived like every identifier (a repeated discharge gives the same one)."""
    number = _uuid(key, "ehealthbox-publication").int % 36**PUBLICATION_ID_LENGTH
    digits = ""
    for _ in range(PUBLICATION_ID_LENGTH):
        number, digit = divmod(number, 36)
        digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[digit] + digits
    return digits


def with_gp_message(
    communication: Resource, facts: DischargeFacts, route: GpRoute, message: GpMessage
) -> Resource:
    """The Communication to the GP carrying the KMEHR message beside the letter, with what the
    eHealthBox envelope needs: the GP's NIHDI number (recipient), the patient's SSIN (subject),
    the title and size (the attachment), the publication id (an identifier)."""
    if route.patient is None or route.recipient is None:
        raise ValueError(f"no KMEHR message for a letter that cannot reach the GP: {route.reasons}")
    payload = {
        "contentAttachment": {
            "contentType": KMEHR_CONTENT_TYPE,
            "language": facts.language,
            "data": base64.b64encode(message.kmehr).decode("ascii"),
            "size": len(message.kmehr),
            "hash": base64.b64encode(hashlib.sha1(message.kmehr).digest()).decode("ascii"),  # noqa: S324 (FHIR Attachment.hash is SHA-1)
            "title": message.title,
            "creation": fhir_datetime(facts.discharge),
        }
    }
    (recipient,) = communication["recipient"]
    return {
        **communication,
        "identifier": [
            *communication["identifier"],
            {
                "type": {"text": "eHealthBox publication id"},
                "system": facts.site.canonicals.publication_id_system,
                "value": message.publication_id,
            },
        ],
        "subject": {
            **communication["subject"],
            "identifier": {"system": SSIN, "value": route.patient.ssin},
        },
        "recipient": [
            {**recipient, "identifier": {"system": NIHDI, "value": route.recipient.nihdi}}
        ],
        "payload": [*communication["payload"], payload],
    }


def ehealthbox_task(facts: DischargeFacts) -> Resource:
    """What the hospital's integration engine searches for (`Task?status=requested&code=...`):
    send the Communication's KMEHR message to the GP's eHealthBox, then complete or fail it."""
    description = facts.phrases["gp-message-task"]
    return {
        "resourceType": "Task",
        "meta": claims(facts.site.canonicals.gp_message_task_profile),
        "language": facts.language,
        "text": generated(paragraph(text(description)), facts.language),
        "identifier": [business_identifier(ehealthbox_task_ref(facts).literal)],
        "status": "requested",
        "businessStatus": {"coding": [gp_message_coding("to-send", facts.site.canonicals)]},
        "intent": "order",
        "priority": "routine",
        "code": {"coding": [gp_message_coding(SEND_CODE, facts.site.canonicals)]},
        "description": description,
        "focus": facts.communication.as_reference(),
        "for": facts.patient.as_reference(),
        "encounter": facts.encounter.as_reference(),
        "authoredOn": fhir_datetime(facts.discharge),
        "requester": facts.physician.as_reference(),
        "owner": facts.hospital.as_reference(),
    }


def gp_message_coding(code: str, canonicals: Canonicals) -> dict[str, str]:
    """A code of the GP message CodeSystem, as the site publishes it."""
    system = canonicals.gp_message_system
    return {"system": system, "code": code, "display": GP_MESSAGE_CODES[code]}


def _uuid(key: str, role: str) -> uuid.UUID:
    return uuid.UUID(derived_uuid(key, role).removeprefix("urn:uuid:"))


def _person(facts: DischargeFacts, resource: Resource) -> Resource | None:
    """The Practitioner a GP on record is: itself, a PractitionerRole's practitioner (or the
    role itself when that is not in the record), none for an Organization."""
    if resource.get("resourceType") == "Practitioner":
        return resource
    if resource.get("resourceType") == "PractitionerRole":
        found = facts.context.resolve(resource.get("practitioner"))
        return (
            found if found is not None and found.get("resourceType") == "Practitioner" else resource
        )
    return None


def _split_name(resource: Resource | None) -> tuple[tuple[str, ...], str]:
    """(given names, family name) of a person's official (else first) HumanName; the name's text
    as the family name when it has no parts."""
    names = (resource or {}).get("name")
    names = [n for n in names if isinstance(n, dict)] if isinstance(names, list) else []
    if not names:
        return (), ""
    name = next((n for n in names if n.get("use") == "official"), names[0])
    given = tuple(g for g in (one_line(v) for v in _strings(name.get("given"))) if g)
    family = one_line(name.get("family"))
    if not given and not family:
        family = one_line(name.get("text"))
    return given, family


def _party(nihdi: str, kind: str, person: Resource | None) -> HealthcareParty:
    given, family = _split_name(person)
    return HealthcareParty(nihdi, kind, firstname=" ".join(given), familyname=family)


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
