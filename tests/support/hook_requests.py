"""A CDS Hooks `encounter-discharge` call as an EHR makes it: a fresh record's ids, its prefetch
for every template of the service (web/cds_hooks/service.py), the request
(tests/integration/test_cds_hooks.py, tests/asgi/test_cds_feedback.py)."""

from __future__ import annotations

import uuid
from typing import Any

from fhir_discharge.io.gathering import RECORD_SEARCHES
from tests.support.factories import fresh_record, resource


def new_record() -> dict:
    return fresh_record(uuid.uuid4().hex[:10])


def ids(record: dict) -> tuple[str, str]:
    return resource(record, "Patient")["id"], resource(record, "Encounter")["id"]


def searchset(matches: list[dict], includes: list[dict] = ()) -> dict:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(matches),
        "entry": [
            {
                "fullUrl": f"http://ehr.example/fhir/{r['resourceType']}/{r['id']}",
                "resource": r,
                "search": {"mode": mode},
            }
            for mode, batch in (("match", matches), ("include", includes))
            for r in batch
        ],
    }


def referenced(record: dict, references: list[dict | None]) -> list[dict]:
    wanted = {r["reference"] for r in references if r}
    return [
        e["resource"]
        for e in record["entry"]
        if f"{e['resource']['resourceType']}/{e['resource']['id']}" in wanted
    ]


def of_type(record: dict, resource_type: str) -> list[dict]:
    return [
        e["resource"] for e in record["entry"] if e["resource"]["resourceType"] == resource_type
    ]


def full_prefetch(record: dict) -> dict:
    """What an EHR sends for every prefetch template of the service."""
    patient, encounter = resource(record, "Patient"), resource(record, "Encounter")
    participants = [p.get("individual") for p in encounter.get("participant", [])]
    return {
        "patient": patient,
        "encounter": encounter,
        **{key: searchset(of_type(record, rtype)) for key, (rtype, _) in RECORD_SEARCHES.items()},
        "encounterParticipants": searchset(
            [encounter], referenced(record, [*participants, encounter.get("serviceProvider")])
        ),
        "generalPractitioner": searchset(
            [patient], referenced(record, patient.get("generalPractitioner", []))
        ),
        "letters": searchset(of_type(record, "Composition")),
    }


def hook_request(record: dict, **fields: Any) -> dict:
    patient_id, encounter_id = ids(record)
    return {
        "hook": "encounter-discharge",
        "hookInstance": str(uuid.uuid4()),
        "context": {
            "userId": resource(record, "Encounter")["participant"][0]["individual"]["reference"],
            "patientId": patient_id,
            "encounterId": encounter_id,
        },
        **fields,
    }
