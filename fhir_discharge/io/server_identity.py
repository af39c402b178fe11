"""Before a transaction is posted: what the FHIR server already holds under its identifiers (the
carried record's, the letter's document's), read back, and compared by the core
(core/record/matching.py).

The reads are the very searches of the transaction's conditional creates (`ifNoneExist`), made
in parallel just before each attempt to post it, so what is compared is what the server would
match then. A conflict refuses the discharge with nothing written (errors.IdentityConflict, 409).
"""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qsl

from ..core.record.matching import documents_found, identity_conflicts, lookups
from ..errors import IdentityConflict
from ..types import Resource
from .fhir_client import FhirClient
from .outbox import Outbox


async def check_identity_on_server(
    client: FhirClient, transaction: Resource, outbox: Outbox | None = None
) -> None:
    """Raise IdentityConflict when the server holds someone else's record under the
    transaction's identifiers, or a document this service did not store under the letter's
    document identifier (`outbox`: what it recorded storing); FhirServerError when the server
    cannot be asked."""
    wanted = lookups(transaction)
    if not wanted:
        return
    found = await asyncio.gather(
        *(
            # The condition is already escaped and percent-encoded: decoded here into the
            # parameter it is, which the client encodes again (never pasted into a URL as text).
            client.search(lookup.resource_type, dict(parse_qsl(lookup.condition)))
            for lookup in wanted
        )
    )
    by_lookup = {w.full_url: matches for w, matches in zip(wanted, found, strict=True)}
    written: dict[str, str] = {}
    if outbox is not None:
        for document_id in documents_found(by_lookup, transaction):
            letter = await asyncio.to_thread(outbox.written_document, client.base_url, document_id)
            if letter is not None and letter.document_digest is not None:
                written[document_id] = letter.document_digest
    conflicts = identity_conflicts(transaction, by_lookup, written)
    if conflicts:
        raise IdentityConflict(
            "the FHIR server holds, under the discharge's identifiers, what is not this "
            "patient's record or letter: " + "; ".join(f.message for f in conflicts),
            conflicts,
        )
