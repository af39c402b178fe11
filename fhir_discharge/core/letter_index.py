"""The index of a corrected letter's versions: a DocumentReference per version, as IHE MHD and
GP systems that read FHIR list documents (issue 19, correction; hazard H140).

A letter, once attested, is never changed: a correction is a new letter that replaces it
(Composition.relatesTo). What tells a GP system which of the two is current is the
DocumentReference status (R4 DocumentReferenceStatus: `current`, `superseded`), which document
registries and GP systems filter on (`DocumentReference?status=current`). So the transaction of
version n (n >= 2) writes:
- the index of version n-1 with status `superseded`: a conditional update on its identifier
  (created when version n-1 had none: a first letter, written before a correction existed);
- the index of version n, `current`, whose relatesTo `replaces` the index of version n-1.
A first letter has no index (nothing to tell apart: the Communication points to its document).

Each index names its letter's stored document by `masterIdentifier` (the document Bundle's
identifier, as MHD's uniqueId) and its attachment's URL, the search that finds it on the server.
Everything is derived from the discharge's key and the version, so the index of a previous
version is built without reading it. Pure: no network, no clock.
"""

from __future__ import annotations

from urllib.parse import quote

from ..types import Resource
from .codes import ED_DISCHARGE_SUMMARY
from .letter.document import document_identifier
from .letter.facts import DischargeFacts, letter_version_key
from .letter.narrative import generated, paragraph, text
from .record.identity import IDENTIFIER_SYSTEM, business_identifier, derived_uuid

CURRENT = "current"
SUPERSEDED = "superseded"


def index_urn(facts: DischargeFacts, version: int) -> str:
    """The fullUrl and identifier value of the index of `version` of the letter."""
    return derived_uuid(letter_version_key(facts.key, version), "letter-index")


def letter_indexes(facts: DischargeFacts) -> list[tuple[str, Resource]]:
    """The indexes the transaction of this version writes: the previous version's, superseded,
    then this one's, current (none for a first letter), each with its fullUrl."""
    if facts.version == 1:
        return []
    previous = facts.version - 1
    return [
        (index_urn(facts, previous), _index(facts, previous, SUPERSEDED)),
        (index_urn(facts, facts.version), _index(facts, facts.version, CURRENT)),
    ]


def _index(facts: DischargeFacts, version: int, status: str) -> Resource:
    letter = derived_uuid(letter_version_key(facts.key, version), "letter")
    document = document_identifier({"identifier": business_identifier(letter)})["value"]
    title = facts.phrases["title"]
    index: Resource = {
        "resourceType": "DocumentReference",
        "language": facts.language,
        "text": generated(paragraph(text(f"{title} ({version}, {status})")), facts.language),
        "masterIdentifier": {"system": IDENTIFIER_SYSTEM, "value": document},
        "identifier": [business_identifier(index_urn(facts, version))],
        "status": status,
        "docStatus": "final",
        "type": ED_DISCHARGE_SUMMARY.concept(),
        "subject": facts.patient.as_reference(),
        "custodian": facts.hospital.as_reference(),
        "description": title,
        "content": [
            {
                "attachment": {
                    "contentType": "application/fhir+json",
                    "language": facts.language,
                    # the search that finds the stored document on the server (its identifier)
                    "url": f"Bundle?identifier={quote(IDENTIFIER_SYSTEM, safe=':')}%7C{document}",
                    "title": title,
                }
            }
        ],
        "context": {"encounter": [facts.encounter.as_reference()]},
    }
    if version > 1:
        # by its identifier: the previous index is written in the same transaction (or was
        # written before), and an identifier is what no server rewrites
        replaced = business_identifier(index_urn(facts, version - 1))
        index["relatesTo"] = [
            {"code": "replaces", "target": {"type": "DocumentReference", "identifier": replaced}}
        ]
    return index
