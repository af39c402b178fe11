"""How the service describes itself in FHIR: the $lbp-discharge OperationDefinition and metadata."""

from __future__ import annotations

from typing import Any

OPERATION_URL = "https://fhir.uzleuven.be/discharge/OperationDefinition/lbp-discharge"


def operation_definition() -> dict[str, Any]:
    return {
        "resourceType": "OperationDefinition",
        "id": "lbp-discharge",
        "url": OPERATION_URL,
        "version": "0.1.0",
        "name": "LbpDischarge",
        "title": "Discharge an ED encounter for acute non-specific mechanical low back pain",
        "status": "active",
        "kind": "operation",
        "description": (
            "Checks that the encounter is on the low back pain pathway (ED encounter, low back "
            "pain diagnosis, no red flag, no radicular pain), then creates in one transaction the "
            "GP letter (Composition), the brochure reference (DocumentReference), the care plan "
            "(CarePlan) and the two follow-up Tasks. Repeating the call creates nothing twice. "
            "With _dry-run=true, returns the transaction Bundle without posting it."
        ),
        "code": "lbp-discharge",
        "resource": ["Encounter"],
        "system": False,
        "type": True,
        "instance": True,
        "parameter": [
            {
                "name": "resource",
                "use": "in",
                "min": 0,
                "max": "1",
                "documentation": (
                    "Type level: the request body itself, a Bundle holding the Encounter and its "
                    "context (Patient, Practitioners, Organization, Conditions) or a bare "
                    "Encounter whose context is read from the FHIR server."
                ),
                "type": "Resource",
            },
            {
                "name": "_dry-run",
                "use": "in",
                "min": 0,
                "max": "1",
                "documentation": "URL parameter: build and return the transaction, post nothing.",
                "type": "boolean",
            },
            {
                "name": "outcome",
                "use": "out",
                "min": 1,
                "max": "1",
                "documentation": "Warnings (e.g. no GP on record), or one 'information' issue.",
                "type": "OperationOutcome",
            },
            *(
                {
                    "name": role,
                    "use": "out",
                    "min": 0 if role in ("letterToGp", "ehealthboxTask") else 1,
                    "max": "1",
                    "documentation": f"{what}: parts 'reference' (where it is on the server), "
                    "'location' (as the server gave it) and 'status' (created | existing).",
                    "part": [
                        _part("reference", "Reference"),
                        _part("location", "uri"),
                        _part("status", "code"),
                    ],
                }
                for role, what in ROLE_DESCRIPTIONS.items()
            ),
        ],
    }


def _part(name: str, type_: str) -> dict[str, Any]:
    return {"name": name, "use": "out", "min": 1, "max": "1", "type": type_}


ROLE_DESCRIPTIONS = {
    "letter": "The GP letter (Composition)",
    "brochure": "The brochure reference (DocumentReference)",
    "carePlan": "The care plan (CarePlan)",
    "followUpOneWeek": "The 1-week GP follow-up (Task)",
    "followUpSixWeeks": "The 6-week spine programme follow-up (Task)",
    "letterToGp": "The letter's delivery to the GP (Communication); absent without a GP",
    "ehealthboxTask": "What the hospital's integration engine is to send to the GP's eHealthBox "
    "(Task, focus the Communication with the letter as a KMEHR message); absent when the letter "
    "cannot reach the GP electronically (the warnings say why)",
}


def capability_statement(base_url: str) -> dict[str, Any]:
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-11-25",
        "kind": "instance",
        "software": {"name": "fhir-discharge", "version": "0.1.0"},
        "implementation": {"description": "fhir-discharge", "url": base_url},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json"],
        "rest": [
            {
                "mode": "server",
                "resource": [
                    {
                        "type": "Encounter",
                        "operation": [{"name": "lbp-discharge", "definition": OPERATION_URL}],
                    }
                ],
            }
        ],
    }
