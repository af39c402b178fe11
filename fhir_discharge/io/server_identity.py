"""Before a transaction is posted: what the FHIR server already holds under its identifiers (the
carried record's, the letter's document's), read back, and compared by the core
(core/matching.py).

The reads are the very searches of the transaction's conditional creates (`ifNoneExist`), made
in parallel just before each attempt to post it, so what is compared is what the server would
match then. A conflict refuses the discharge with nothing written (errors.IdentityConflict, 409).
"""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qsl

from ..core.matching import identity_conflicts, lookups
from ..errors import IdentityConflict
from ..types import Resource
from .fhir_client import FhirClient


async def check_identity_on_server(client: FhirClient, transaction: Resource) -> None:
    """Raise IdentityConflict when the server holds someone else's record under the
    transaction's identifiers; FhirServerError when it cannot be asked."""
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
    conflicts = identity_conflicts(
        transaction, {w.full_url: matches for w, matches in zip(wanted, found, strict=True)}
    )
    if conflicts:
        raise IdentityConflict(
            "the FHIR server holds, under the discharge's identifiers, what is not this "
            "patient's record or letter: " + "; ".join(f.message for f in conflicts),
            conflicts,
        )
