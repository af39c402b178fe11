"""The record of a physician's launch, read and written with their SMART token, on the launch's
FHIR server, for the launch's encounter and patient only (web/physician_app/).

A FHIR server's refusal of the token (401, 403) is the physician's: it is answered as such
(Unauthenticated: expired?; Forbidden), not as a failing FHIR server.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from ..core.draft_screening import screening_transaction
from ..core.record.context import DischargeContext
from ..core.record.references import parse_reference
from ..errors import FhirServerError, Finding, Forbidden, IncompleteRecord, Unauthenticated
from ..types import Resource
from .app_sessions import AppSession
from .fhir_client import FhirClient, FhirConnections, Landed
from .gathering import RecordGatherer
from .retry import RetryPolicy

# Reads of the physician's record: they are waiting; one quick retry at most.
_APP_RETRY: Final = RetryPolicy(attempts=2, base_delay=0.2, max_delay=1.0, total_seconds=5.0)


def launch_client(
    connections: FhirConnections, server: str, session: AppSession, timeout: float
) -> FhirClient:
    """The launch's FHIR server (`server`, the session's `iss` as the web layer trusts it), with
    the physician's SMART token on this client's requests only, over the app's shared
    `connections`."""
    return connections.client(
        server, timeout=timeout, bearer_token=session.access_token, retry=_APP_RETRY
    )


@contextmanager
def physician_token_refusals() -> Iterator[None]:
    """A FHIR server's 401 or 403 as the physician's refusal; any other failure as it is."""
    try:
        yield
    except FhirServerError as error:
        if error.server_status == 401:
            raise Unauthenticated(
                "the FHIR server refused the physician's token (expired?)"
            ) from None
        if error.server_status == 403:
            raise Forbidden("the FHIR server does not allow the physician this") from None
        raise


async def encounter_of_launch(client: FhirClient, session: AppSession) -> Resource:
    """The launch's Encounter, when it is of the launch's patient."""
    with physician_token_refusals():
        encounter = await client.read_encounter(session.encounter)
    if subject_id(encounter) != session.patient:
        raise Forbidden("the encounter is not of the patient the app was launched for")
    return encounter


def subject_id(encounter: Resource) -> str:
    """The id of the encounter's Patient; IncompleteRecord without one."""
    subject = parse_reference(str((encounter.get("subject") or {}).get("reference", "")))
    if subject is None or subject.resource_type != "Patient" or subject.id is None:
        raise IncompleteRecord(
            "the encounter has no Patient (Encounter.subject)",
            [Finding("Patient not found: include it", "Encounter.subject", "patient-missing")],
        )
    return subject.id


async def gather_launch_record(
    client: FhirClient, session: AppSession, encounter: Resource, draft: Resource | None
) -> DischargeContext:
    """The record of the launch's `encounter` (encounter_of_launch) as the physician may read
    it, with the `draft` screening (core/draft_screening.py) added to the screenings on record."""
    with physician_token_refusals():
        # The screenings on record are searched with the rest of the record, in the same round.
        gatherer = RecordGatherer(
            client, known=[encounter], added={"screenings": [draft] if draft else []}
        )
        return await gatherer.gather(encounter)


async def store_screening(client: FhirClient, screening: Resource) -> Landed:
    """`screening` stored once (a conditional create on its identifier), as the physician."""
    with physician_token_refusals():
        landed = await client.post_transaction(screening_transaction(screening))
    return landed[0]
