"""One way to gather a discharge's record: what the caller sent first, then the FHIR server.

Used by `$lbp-discharge` with a bare Encounter or an id, and by the CDS Hooks service with its
prefetch. It reads the Encounter, its Patient, every resource the record references that the
letter names (physicians, hospital, GP, diagnoses, the screening's author, a medication's
Medication), and searches the patient's Conditions, medication requests and statements (home
medication is screened too), the Observations of the patient in the visit's period (linked to
the encounter or not: pathway.md, "Observations of the visit"), and the encounter's screening,
observations, imaging, reports and procedures. Reads go out in parallel, but never more than
MAX_READS_IN_FLIGHT at once and never more than MAX_REFERENCES in all: a hostile Encounter with
thousands of participants is refused, not read for minutes. A context Bundle needs no reads:
`context.context_from_bundle` takes it, and both end in `context.assemble_context`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from typing import Any, Final

from ..core.record.context import DischargeContext, assemble_context, check_structure
from ..core.record.matching import given_encounter_conflicts
from ..core.record.record_types import CLINICAL_TYPES, REFERENCED_TYPES
from ..core.record.references import ResourceIndex, is_fhir_id, parse_reference
from ..errors import IdentityConflict, InvalidInput, PrefetchUnavailable, UnknownEncounter
from ..types import Resource
from .fhir_client import FhirClient

# A letter names some ten resources; a record that asks for far more is not one we read.
MAX_REFERENCES: Final = 64
MAX_READS_IN_FLIGHT: Final = 8

# The searches that make up the record, by the name a CDS Hooks prefetch key gives them:
# (resource type, what it searches by: the patient, the encounter, or the patient in the
# visit's period).
RECORD_SEARCHES: Final[dict[str, tuple[str, str]]] = {
    # All the patient's Conditions: a red flag anywhere on the record keeps them off the pathway.
    "conditions": ("Condition", "patient"),
    "screenings": ("QuestionnaireResponse", "encounter"),
    "observations": ("Observation", "encounter"),
    # An Observation of the patient timed in the visit is of the visit, linked or not.
    "observationsOfVisit": ("Observation", "visit"),
    "imagingStudies": ("ImagingStudy", "encounter"),
    "diagnosticReports": ("DiagnosticReport", "encounter"),
    "procedures": ("Procedure", "encounter"),
    # The patient's medication, of this visit and at home: screened for its ATC classes.
    "medicationRequests": ("MedicationRequest", "patient"),
    "medicationStatements": ("MedicationStatement", "patient"),
}
assert {t for t, _ in RECORD_SEARCHES.values()} == set(CLINICAL_TYPES)


class RecordGatherer:
    """Gathers one discharge context.

    `known`: resources the caller already sent (a prefetch), by `Type/id`, read before asking
    the server. `searched`: search results the caller sent, by RECORD_SEARCHES key; a key that
    is absent (or None) is searched on the server. `added`: resources added to a search's
    results, by key, wherever they came from (the physician's draft screening: the app's
    preview). `server`: where the rest is read; None when there is none (then what is missing
    is PrefetchUnavailable, 412).

    The reads go out in as few rounds as the record allows (each round waits for the FHIR
    server once): with the Encounter, the Patient, the Encounter's references and every search
    together (a search by patient takes the id of `Encounter.subject`, and its results are
    dropped if no Patient is found there); then the GP and what the first round's resources
    reference. A resource being read is never asked for a second time in the same gathering.
    """

    def __init__(
        self,
        server: FhirClient | None,
        known: Iterable[Resource] = (),
        searched: Mapping[str, list[Resource] | None] | None = None,
        added: Mapping[str, list[Resource]] | None = None,
    ) -> None:
        self.server = server
        self.searched = dict(searched or {})
        self.added = dict(added or {})
        self.known: dict[str, Resource] = {}
        self.read_from_server: list[Resource] = []
        self._references = 0
        self._in_flight = asyncio.Semaphore(MAX_READS_IN_FLIGHT)
        self._reading: dict[str, asyncio.Future[Resource | None]] = {}
        for resource in known:
            if isinstance(resource.get("id"), str):
                self.known.setdefault(f"{resource['resourceType']}/{resource['id']}", resource)

    async def gather(self, encounter: Resource | str) -> DischargeContext:
        """The context of `encounter` (the resource itself, or its id)."""
        if isinstance(encounter, str):
            encounter = await self.required("Encounter", encounter)
        subject = encounter.get("subject")
        subject_key = _key(subject)
        # The searches by patient need the Patient's id, not the Patient: with Encounter.subject
        # naming one, they go out with its read (one round less for the physician to wait).
        patient_id = (
            subject_key.split("/", 1)[1]
            if subject_key is not None and subject_key.startswith("Patient/")
            else None
        )
        references = [p.get("individual") for p in encounter.get("participant") or []]
        references += [encounter.get("serviceProvider")]
        references += [d.get("condition") for d in encounter.get("diagnosis") or []]

        async def patient_and_gp() -> tuple[Resource | None, list[Resource | None]]:
            patient = await self.resolve(subject)
            gps = list((patient or {}).get("generalPractitioner") or [])
            return patient, await self.resolve_all(gps)

        (patient, gps), resolved, found = await asyncio.gather(
            patient_and_gp(),
            self.resolve_all(references),
            asyncio.gather(*(self._search(key, encounter, patient_id) for key in RECORD_SEARCHES)),
        )
        if patient is None or patient.get("id") != patient_id:
            # No Patient at Encounter.subject: nothing of a patient searched is of this record.
            by_patient = [
                RECORD_SEARCHES[key][1] in ("patient", "visit") for key in RECORD_SEARCHES
            ]
            dropped = {
                id(r) for batch, drop in zip(found, by_patient, strict=True) if drop for r in batch
            }
            found = [[] if drop else batch for batch, drop in zip(found, by_patient, strict=True)]
            self.read_from_server = [r for r in self.read_from_server if id(r) not in dropped]
        found = [
            batch
            + [
                r
                for r in self.added.get(key, [])
                if r.get("resourceType") == RECORD_SEARCHES[key][0]
            ]
            for key, batch in zip(RECORD_SEARCHES, found, strict=True)
        ]
        resolved = [*gps, *resolved]
        clinical = [r for batch in found for r in batch]
        clinical += [r for r in resolved if r is not None and r["resourceType"] == "Condition"]
        # Second hop: who signed the screening, what a medication's Medication is, who fills a
        # participant's PractitionerRole.
        second = [
            *(
                r.get("practitioner")
                for r in resolved
                if r is not None and r["resourceType"] == "PractitionerRole"
            ),
            *(
                a
                for r in clinical
                if r["resourceType"] == "QuestionnaireResponse"
                for a in [r.get("author")]
            ),
            *(
                r.get("medicationReference")
                for r in clinical
                if r["resourceType"] in ("MedicationRequest", "MedicationStatement")
            ),
        ]
        more = await self.resolve_all(second)
        # The FHIR server's answers are checked as the caller's are (off the event loop: a
        # large record is CPU work).
        await asyncio.to_thread(_check_all, self.read_from_server)
        people = [r for r in [patient, *resolved, *more] if r is not None]
        index = ResourceIndex((None, r) for r in [encounter, *people, *clinical])
        return assemble_context(encounter, index, clinical)

    async def required(self, resource_type: str, resource_id: str) -> Resource:
        key = f"{resource_type}/{resource_id}"
        if key in self.known:
            return self.known[key]
        if self.server is None:
            raise PrefetchUnavailable(
                f"{key} is not in the prefetch and the request names no fhirServer to read it"
            )
        found = await self._read(resource_type, resource_id)
        if found is None:
            if resource_type == "Encounter":
                raise UnknownEncounter(f"{key} does not exist on the FHIR server")
            raise PrefetchUnavailable(f"{key} does not exist on the FHIR server")
        return found

    async def resolve_all(self, references: Iterable[Any]) -> list[Resource | None]:
        wanted: dict[str, Any] = {}
        for reference in references:
            key = _key(reference)
            if key is not None:
                wanted.setdefault(key, reference)
        self._references += len(wanted)
        if self._references > MAX_REFERENCES:
            raise InvalidInput(
                f"the record references more than {MAX_REFERENCES} resources: "
                "not a discharge context this service reads"
            )
        found = await asyncio.gather(*(self.resolve(r) for r in wanted.values()))
        return list(found)

    async def resolve(self, reference: Any) -> Resource | None:
        """What a reference of the record points to; None when it is dangling, points to
        another server, or is of a type the discharge does not read."""
        key = _key(reference)
        if key is None:
            return None
        if key in self.known:
            return self.known[key]
        literal = str(reference["reference"])
        if "://" in literal and (
            self.server is None or not literal.startswith(self.server.base_url + "/")
        ):
            return None  # on another server: not ours to read
        if self.server is None:
            raise PrefetchUnavailable(
                f"{key}, referenced by the record, is not in the prefetch and the request "
                "names no fhirServer to read it"
            )
        resource_type, resource_id = key.split("/", 1)
        return await self._read(resource_type, resource_id)

    async def _search(
        self, key: str, encounter: Resource, patient_id: str | None
    ) -> list[Resource]:
        resource_type, by = RECORD_SEARCHES[key]
        given = self.searched.get(key)
        if given is not None:
            return [r for r in given if r.get("resourceType") == resource_type]
        if self.server is None:
            raise PrefetchUnavailable(
                f"prefetch.{key} is missing or incomplete and the request names no fhirServer "
                f"to search the {resource_type} resources of the record"
            )
        params: dict[str, str]
        if by in ("patient", "visit"):
            if patient_id is None:
                return []
            params = {"patient": f"Patient/{patient_id}"}
            start = (encounter.get("period") or {}).get("start")
            if by == "visit" and isinstance(start, str):
                # From the visit's start; the gate decides what lies within its period.
                params["date"] = f"ge{start}"
        else:
            params = {"encounter": f"Encounter/{encounter['id']}"}
        found = await self.server.search(resource_type, params)
        self.read_from_server += found
        return found

    async def _read(self, resource_type: str, resource_id: str) -> Resource | None:
        """One read of `Type/id` however many references ask for it at once."""
        key = f"{resource_type}/{resource_id}"
        if key not in self._reading:
            self._reading[key] = asyncio.ensure_future(self._read_once(resource_type, resource_id))
        return await self._reading[key]

    async def _read_once(self, resource_type: str, resource_id: str) -> Resource | None:
        assert self.server is not None
        async with self._in_flight:
            found = await self.server.read(resource_type, resource_id)
        key = f"{resource_type}/{resource_id}"
        if found is not None:
            if found.get("resourceType") != resource_type:
                raise InvalidInput(f"the FHIR server answered a read of {key} with another type")
            self.known[key] = found
            self.read_from_server.append(found)
        return found


def _key(reference: Any) -> str | None:
    literal = reference.get("reference") if isinstance(reference, dict) else None
    parsed = parse_reference(literal) if isinstance(literal, str) else None
    if parsed is None or parsed.id is None:
        return None
    if parsed.resource_type not in REFERENCED_TYPES and parsed.resource_type != "Condition":
        return None
    return f"{parsed.resource_type}/{parsed.id}"


def _check_all(resources: list[Resource]) -> None:
    for resource in resources:
        check_structure(resource, f"{resource.get('resourceType')}/{resource.get('id')}")


async def gather_context(server: FhirClient, encounter: Resource | str) -> DischargeContext:
    """The context of an Encounter (given, or by id) read from `server`: `$lbp-discharge`'s
    bare-Encounter and by-id forms.

    Nothing of this record is carried: the letter references it on `server` by its ids. So a
    given Encounter must be the one `server` holds under its id, of the same patient; else the
    letter would reference another patient's encounter there (409), or none (404)."""
    if isinstance(encounter, dict):
        check_structure(encounter, "Encounter")
        if encounter.get("resourceType") != "Encounter" or not is_fhir_id(encounter.get("id")):
            raise InvalidInput("expected an Encounter with its server id")
        held = await server.read_encounter(str(encounter["id"]))
        conflicts = given_encounter_conflicts(encounter, held)
        if conflicts:
            raise IdentityConflict(conflicts[0].message, conflicts)
    return await RecordGatherer(server).gather(encounter)
