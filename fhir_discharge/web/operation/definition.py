"""How the service describes itself in FHIR: the $lbp-discharge OperationDefinition and metadata."""

from __future__ import annotations

from typing import Any

from ...config import Settings
from ...core.site import Site


def operation_definition(site: Site) -> dict[str, Any]:
    return {
        "resourceType": "OperationDefinition",
        "id": "lbp-discharge",
        "url": site.canonicals.operation_definition,
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


SECURITY_SERVICE_SYSTEM = "http://terminology.hl7.org/CodeSystem/restful-security-service"
OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"


def rest_security(settings: Settings) -> dict[str, Any]:
    """CapabilityStatement.rest.security: bearer tokens on every patient-data endpoint (web/
    deps.py), SMART on FHIR; the authorization server's URIs (the SMART oauth-uris
    extension, R4) when they are configured."""
    security: dict[str, Any] = {
        "cors": False,  # the service sends no CORS headers: browsers reach it from its own pages
        "service": [
            {
                "coding": [
                    {
                        "system": SECURITY_SERVICE_SYSTEM,
                        "code": "SMART-on-FHIR",
                        "display": "SMART-on-FHIR",
                    }
                ],
                "text": "OAuth 2.0 bearer tokens (RFC 6750), SMART on FHIR",
            }
        ],
        "description": (
            "Every operation on patient data needs `Authorization: Bearer`. The EHR as a "
            "system ($lbp-discharge, /discharges, $document; the CDS Hooks call): a JWT of the "
            "configured authorization server whose audience is this service (SMART Backend "
            "Services), or, with CDS clients configured, the EHR's CDS Hooks JWT. The "
            "physician: the app's session handle, from a SMART App Launch this service saw "
            "through, on that launch's patient and encounter, through /app/api only."
        ),
    }
    if settings.api_oauth_authorize_url and settings.api_oauth_token_url:
        security["extension"] = [
            {
                "url": OAUTH_URIS,
                "extension": [
                    {"url": "authorize", "valueUri": settings.api_oauth_authorize_url},
                    {"url": "token", "valueUri": settings.api_oauth_token_url},
                ],
            }
        ]
    return security


def capability_statement(base_url: str, settings: Settings) -> dict[str, Any]:
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
                "security": rest_security(settings),
                "resource": [
                    {
                        "type": "Encounter",
                        "operation": [
                            {
                                "name": "lbp-discharge",
                                "definition": settings.site.canonicals.operation_definition,
                            }
                        ],
                    }
                ],
            }
        ],
    }
