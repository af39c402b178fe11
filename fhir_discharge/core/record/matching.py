"""Whose record the server already holds: what a conditional create would match, compared with
what the letter is about, before anything is written.

A conditional create on a business identifier takes whatever the server holds under it. The
identifier says who the patient is only if the server's resource is the same person: a national
number with a typo that passes its check, a number recycled by a test system, an Encounter
identifier the EHR reused, a letter planted under the identifier this service derives: each
would file the letter on somebody else's record. So before the transaction is posted, the I/O
layer reads what each of the transaction's identity-bearing entries would match (the same search
as its `ifNoneExist`), and this module says whether that is the record the letter is about:
- the Patient: one at most, with a name and birth date that agree with the record's;
- the Encounter and the letter (Composition): one at most, whose subject is that Patient (or, if
  the server holds no such Patient yet, none at all: whatever it holds is somebody else's);
- the letter's document (a `document` Bundle, stored_document.py), for every transaction, the
  record carried or not: one at most, holding what this discharge attests (its digest), or the
  one this service stored for the letter before, unchanged since (the digest it recorded then:
  a repeat from a record that changed since, or read another way, finds the first document, as
  it finds the first letter). The Communication points the GP to whatever the conditional create
  matches: a document planted under the identifier this service derives (a public algorithm)
  would be what the GP reads.

Pure: the resources in, findings out.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ...errors import Finding
from ...types import Resource
from ..stored_document import document_digest
from .references import parse_reference

# The entries whose match decides whose record the letter lands on, in the order they are told;
# and the letter's document, which the GP is pointed to.
CHECKED_TYPES = ("Patient", "Encounter", "Composition")
DOCUMENT_TYPE = "Bundle"


@dataclass(frozen=True)
class Lookup:
    """What the server is asked for one entry of the transaction: its conditional create's
    search (`ifNoneExist`, already escaped and encoded)."""

    full_url: str
    resource_type: str
    condition: str


def lookups(transaction: Resource) -> list[Lookup]:
    """The searches to make before `transaction` is posted: the letter's document's always;
    the Patient's, the Encounter's and the letter's only for a transaction that carries the
    Patient (a record read from the server itself is referenced there by its ids)."""
    entries = [e for e in transaction.get("entry") or [] if isinstance(e, dict)]
    checked = {DOCUMENT_TYPE}
    if any(_type(e) == "Patient" for e in entries):
        checked.update(CHECKED_TYPES)
    return [
        Lookup(str(e["fullUrl"]), _type(e), str(e["request"]["ifNoneExist"]))
        for e in entries
        if _type(e) in checked and (e.get("request") or {}).get("ifNoneExist")
    ]


def identity_conflicts(
    transaction: Resource,
    found: Mapping[str, Sequence[Resource]],
    written_documents: Mapping[str, str] | None = None,
) -> list[Finding]:
    """What the server holds under the identifiers of `transaction` that is not the record the
    letter is about; `found`: for each Lookup's fullUrl, what its search found;
    `written_documents`: the digest this service recorded for each document it stored there
    (by the document's id on the server), for the documents found."""
    written_documents = written_documents or {}
    entries = {
        str(e.get("fullUrl")): e["resource"]
        for e in transaction.get("entry") or []
        if isinstance(e, dict) and isinstance(e.get("resource"), dict)
    }
    findings: list[Finding] = []
    patient_urn = next((u for u, r in entries.items() if r.get("resourceType") == "Patient"), None)
    patient_on_server: str | None = None
    for urn, matches in found.items():
        resource_type = str(entries.get(urn, {}).get("resourceType"))
        if len(matches) > 1:
            findings.append(
                Finding(
                    f"the FHIR server holds {len(matches)} {resource_type} resources under the "
                    f"identifier of the record's {resource_type}: which one is meant cannot be "
                    "told; nothing was written (have the duplicates merged on the server)",
                    resource_type,
                    "identifier-matches-several",
                    {"resource_type": resource_type},
                )
            )
    if patient_urn is not None:
        matches = found.get(patient_urn, ())
        if len(matches) == 1:
            patient_on_server = f"Patient/{matches[0].get('id')}"
            differs = _how_people_differ(entries[patient_urn], matches[0])
            if differs:
                findings.append(
                    Finding(
                        "the FHIR server holds another person under the patient's identifier "
                        f"(another {' and '.join(differs)}): the letter would be filed on their "
                        "record; nothing was written (check the identifier, or the person on "
                        "the server)",
                        "Patient.identifier",
                        "patient-identity-conflict",
                        {"differs": tuple(differs)},
                    )
                )
    for urn, matches in found.items():
        resource = entries.get(urn, {})
        if resource.get("resourceType") == DOCUMENT_TYPE and len(matches) == 1:
            held = document_digest(matches[0])
            if held not in (document_digest(resource), written_documents.get(_id(matches[0]))):
                findings.append(
                    Finding(
                        "the FHIR server holds another document under the identifier of this "
                        "letter's document: the GP would be pointed to it instead of the letter "
                        "as attested; nothing was written (have it removed from the server)",
                        "Bundle.identifier",
                        "document-not-attested",
                    )
                )
    for urn, matches in found.items():
        resource = entries.get(urn, {})
        resource_type = resource.get("resourceType")
        if resource_type not in ("Encounter", "Composition") or len(matches) != 1:
            continue
        subject = _subject(matches[0])
        if subject is not None and subject == patient_on_server:
            continue
        if resource_type == "Encounter":
            findings.append(
                Finding(
                    "the FHIR server holds the encounter's identifier (Encounter) for another "
                    "patient: the letter would be filed on their record; nothing was written "
                    "(check the identifier in the EHR)",
                    "Encounter.identifier",
                    "encounter-of-another-patient",
                )
            )
        else:
            findings.append(
                Finding(
                    "the FHIR server holds the letter's identifier (Composition) for another "
                    "patient: the letter would be filed on their record; nothing was written "
                    "(check the encounter's identifier in the EHR)",
                    "Composition.identifier",
                    "letter-of-another-patient",
                )
            )
    return findings


def correction_conflicts(
    replaced: Sequence[Resource], patient_on_server: str | None
) -> list[Finding]:
    """What a correction would replace that is not this patient's: `replaced`, the earlier
    versions' letters (Composition) and the letter index the correction updates
    (DocumentReference), as the server holds them under the identifiers this service derives;
    `patient_on_server`, the reference of the patient the letter is about there (None: the
    server holds no such patient, so whatever it holds is someone else's). Identifiers derived
    by a public algorithm can be taken first by anyone who writes to the server (H140): the
    correction would then replace another patient's letter and supersede their index."""
    if all(_subject(r) is not None and _subject(r) == patient_on_server for r in replaced):
        return []
    return [
        Finding(
            "the FHIR server holds an earlier version of this encounter's letter (or its index) "
            "for another patient: the correction would replace their letter; nothing was "
            "written (have the server's resources under the letter's identifiers checked)",
            "Composition.relatesTo",
            "letter-version-of-another-patient",
        )
    ]


def given_encounter_conflicts(given: Resource, held: Resource) -> list[Finding]:
    """A bare Encounter the caller gives, beside the one the FHIR server holds under its id (the
    letter will reference that one): of another patient, it is a conflict."""
    if _subject(given) == _subject(held):
        return []
    return [
        Finding(
            "the FHIR server holds this Encounter's id for another patient than the Encounter "
            "given names: the letter would be filed on their record; nothing was written (send "
            "the encounter as the server holds it, or a context Bundle)",
            "Encounter.subject",
            "encounter-of-another-patient",
        )
    ]


def _subject(resource: Resource) -> str | None:
    held = resource.get("subject")
    parsed = parse_reference(str(held.get("reference", ""))) if isinstance(held, dict) else None
    return parsed.literal if parsed is not None else None


def documents_found(found: Mapping[str, Sequence[Resource]], transaction: Resource) -> list[str]:
    """The ids of the documents found under the letter's document identifier (what the I/O
    layer asks the outbox about: did this service store it?)."""
    urns = {
        str(e.get("fullUrl"))
        for e in transaction.get("entry") or []
        if isinstance(e, dict) and _type(e) == DOCUMENT_TYPE
    }
    return [_id(m) for urn in urns for m in found.get(urn, ()) if _id(m)]


def _id(resource: Resource) -> str:
    found = resource.get("id") if isinstance(resource, dict) else None
    return found if isinstance(found, str) else ""


def _type(entry: Mapping[str, Any]) -> str:
    return str((entry.get("resource") or {}).get("resourceType"))


def _how_people_differ(ours: Resource, theirs: Resource) -> list[str]:
    """What tells the server's person apart from the record's: another birth date, another
    name (no family name in common, or no given name in common); what either side does not
    record is no difference."""
    differs = []
    if _name_parts(ours, "family") and _name_parts(theirs, "family"):
        if not _name_parts(ours, "family") & _name_parts(theirs, "family"):
            differs.append("name")
    if "name" not in differs and _name_parts(ours, "given") and _name_parts(theirs, "given"):
        if not _name_parts(ours, "given") & _name_parts(theirs, "given"):
            differs.append("name")
    born, their_born = ours.get("birthDate"), theirs.get("birthDate")
    if isinstance(born, str) and isinstance(their_born, str) and born != their_born:
        differs.append("birth date")
    return differs


def _name_parts(person: Resource, part: str) -> set[str]:
    """Every family name (or every given name) of every HumanName, compared without case,
    accents, spaces or punctuation ("Van den Bossche" is "vandenbossche")."""
    found = set()
    names = person.get("name")
    for name in names if isinstance(names, list) else []:
        if not isinstance(name, dict):
            continue
        values = name.get(part)
        for value in values if isinstance(values, list) else [values]:
            if isinstance(value, str) and (folded := _folded(value)):
                found.add(folded)
    return found


def _folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed.casefold() if c.isalnum())
