"""The record of a CDS Hooks call: the prefetch first, then, for what it lacks, the EHR's
`fhirServer` with the hook's `fhirAuthorization.access_token` as bearer token (web/cds_hooks/).

The encounter's letters (the `letters` prefetch key, else a search on `fhirServer`) come along,
read beside the record, so the card can tell an encounter this service discharged already
(core/letter_versions.py `latest_letter`, the app's rule too); without either they are unknown
(None).

When neither has it the answer is PrefetchUnavailable (412 Precondition Failed, as CDS Hooks 2.0
says), as it is when the server refuses the hook's token: the token does not grant what the
discharge needs to read. Whether `fhirServer` is one to read from at all is the web layer's to
say (the calling EHR's own servers); here it is one it trusts.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Final

from ..core.record.context import DischargeContext
from ..core.record.references import parse_reference
from ..errors import FhirServerError, InvalidInput, PrefetchUnavailable, UnknownEncounter
from ..types import Resource
from .fhir_client import FhirClient, FhirConnections
from .gathering import RECORD_SEARCHES, RecordGatherer
from .retry import RetryPolicy

log = logging.getLogger(__name__)

# A CDS Service should answer in about 500 ms: one retry at most, and a short timeout.
_CDS_RETRY: Final = RetryPolicy(attempts=2, base_delay=0.2, max_delay=1.0, total_seconds=3.0)
_CDS_TIMEOUT_SECONDS: Final = 10.0


@dataclass
class Prefetched:
    """What the client prefetched, per key: None when not satisfied (key absent, or an
    OperationOutcome instead of data), else the resources (empty for a null value)."""

    values: dict[str, list[Resource] | None] = field(default_factory=dict)
    paginated: set[str] = field(default_factory=set)

    def resources(self) -> list[Resource]:
        return [r for found in self.values.values() if found for r in found]


@dataclass(frozen=True)
class HookRecord:
    """The hook's record, and the encounter's Compositions (None: not prefetched, and no
    fhirServer to search)."""

    context: DischargeContext
    letters: list[Resource] | None


async def gather_hook_context(
    encounter_id: str,
    patient_id: str,
    prefetched: Prefetched,
    server: str | None,
    access_token: str | None,
    timeout: float,
    connections: FhirConnections,
) -> HookRecord:
    """The context of the hook's encounter: the prefetch, then `server` (None: the prefetch
    alone) read with `access_token` (on this call's requests only), over the service's shared
    `connections`, within `timeout` seconds a request (at most 10)."""
    if server is None:
        context = await _gather(encounter_id, patient_id, prefetched, None)
        return HookRecord(context, prefetched.values.get("letters"))
    client = connections.client(
        server,
        timeout=min(timeout, _CDS_TIMEOUT_SECONDS),
        bearer_token=access_token,
        retry=_CDS_RETRY,
    )
    try:
        # The letters are searched while the record is read: no round of their own.
        searching = asyncio.create_task(_letters(encounter_id, prefetched, client))
        try:
            context = await _gather(encounter_id, patient_id, prefetched, client)
        except BaseException:
            searching.cancel()
            # its own failure, if it ended first, is taken here (never logged as unretrieved)
            await asyncio.gather(searching, return_exceptions=True)
            raise
        return HookRecord(context, await searching)
    except UnknownEncounter as error:
        raise PrefetchUnavailable(error.message) from None
    except FhirServerError as error:
        if error.server_status in (401, 403):
            raise PrefetchUnavailable(
                f"the FHIR server refused access (HTTP {error.server_status}): "
                "fhirAuthorization does not grant what the discharge needs to read"
            ) from None
        raise
    finally:
        await client.aclose()


async def _gather(
    encounter_id: str, patient_id: str, prefetched: Prefetched, client: FhirClient | None
) -> DischargeContext:
    # A paginated search is not the whole record: read it again from the server.
    searched = {
        key: prefetched.values.get(key) if key not in prefetched.paginated else None
        for key in RECORD_SEARCHES
    }
    gatherer = RecordGatherer(client, prefetched.resources(), searched)
    encounter = await gatherer.required("Encounter", encounter_id)
    subject = parse_reference(str((encounter.get("subject") or {}).get("reference", "")))
    if subject is None or subject.literal != f"Patient/{patient_id}":
        raise InvalidInput("Encounter.subject is not the Patient of context.patientId")
    await gatherer.required("Patient", patient_id)
    return await gatherer.gather(encounter)


async def _letters(
    encounter_id: str, prefetched: Prefetched, client: FhirClient
) -> list[Resource] | None:
    """The encounter's Compositions: prefetched, else searched. A server that does not answer
    this search (a token without Composition read, as EHRs set up before it was asked for) leaves
    them unknown: the card is then the one of an encounter without a letter, as before."""
    given = prefetched.values.get("letters")
    if given is not None and "letters" not in prefetched.paginated:
        return given
    try:
        return await client.search("Composition", {"encounter": f"Encounter/{encounter_id}"})
    except FhirServerError as error:
        log.warning("the encounter's letters were not searched: %s", error.server_status)
        return None
