"""The record of a physician's launch, read and written with their SMART token, on the launch's
FHIR server, for the launch's encounter and patient only (web/physician_app/).

A FHIR server's refusal of the token (401, 403) is the physician's: it is answered as such
(Unauthenticated: expired?; Forbidden), not as a failing FHIR server.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Final, Literal

from ..core.draft_screening import (
    amended_screening,
    amendment_transaction,
    answers_of,
    app_screening,
    screening_transaction,
)
from ..core.record.context import DischargeContext
from ..core.record.references import parse_reference
from ..core.site import Site
from ..errors import FhirServerError, Finding, Forbidden, IncompleteRecord, Unauthenticated
from ..types import Resource
from .app_sessions import AppSession
from .fhir_client import FhirClient, FhirConnections
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
    client: FhirClient,
    session: AppSession,
    encounter: Resource,
    draft: Resource | None,
    site: Site,
) -> tuple[DischargeContext, Resource | None]:
    """The record of the launch's `encounter` (encounter_of_launch) as the physician may read
    it, with the `draft` screening (core/draft_screening.py) added to the screenings on record;
    and the screening the app stored for it before (None: none). The draft stands in for that
    one: storing it amends it (store_screening), so the gate reads the record as it will be."""
    found = await screenings_of_launch(client, session)
    stored = app_screening(found, site)
    screenings = [r for r in found if r is not stored]
    if draft is not None:
        screenings.append(amended_screening(stored, draft) if stored is not None else draft)
    with physician_token_refusals():
        gatherer = RecordGatherer(client, known=[encounter], searched={"screenings": screenings})
        return await gatherer.gather(encounter), stored


async def screenings_of_launch(client: FhirClient, session: AppSession) -> list[Resource]:
    """The QuestionnaireResponses of the launch's encounter, as the physician may read them."""
    with physician_token_refusals():
        return await client.search(
            "QuestionnaireResponse", {"encounter": f"Encounter/{session.encounter}"}
        )


@dataclass(frozen=True)
class StoredScreening:
    reference: str  # QuestionnaireResponse/{id}
    status: Literal["created", "existing", "amended"]


async def store_screening(
    client: FhirClient, session: AppSession, screening: Resource, site: Site
) -> StoredScreening:
    """`screening` (a draft_screening) stored as the physician documented it, red flags and all
    (hazard H124):
    - the app stored none for this encounter yet: a conditional create on its identifier (sent
      twice, stored once): `created`;
    - the app's stored one says the same: nothing written, `existing`;
    - it says otherwise (a corrected answer): that one amended (core/draft_screening.py), on the
      version read: `amended`. Never a second screening beside it."""
    stored = app_screening(await screenings_of_launch(client, session), site)
    with physician_token_refusals():
        if stored is None:
            landed = (await client.post_transaction(screening_transaction(screening)))[0]
            return StoredScreening(landed.reference, "created" if landed.created else "existing")
        reference = f"QuestionnaireResponse/{stored['id']}"
        if answers_of(stored) == answers_of(screening):
            return StoredScreening(reference, "existing")
        version = (stored.get("meta") or {}).get("versionId")
        amended = amended_screening(stored, screening)
        await client.post_transaction(amendment_transaction(amended, version))
    return StoredScreening(reference, "amended")
