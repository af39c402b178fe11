"""Deterministic identity: the same encounter always yields the same fullUrls and identifiers.

That is what makes a repeated discharge create nothing twice: each new resource carries a
business identifier derived from the encounter, and the transaction creates it only if no
resource with that identifier exists yet (conditional create). The record that travels with the
letter (carry.py) is matched on the server by its own business identifier, or, where it has none,
by one derived here that can never be another patient's.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from ...errors import InvalidInput
from ...types import Resource
from .identifiers import NIHDI_SYSTEMS, SSIN_SYSTEMS, identifier_condition, identifier_problem

# RFC 3986 URI identifiers (FHIR "identifier.system = urn:ietf:rfc:3986"): globally unique
# without inventing a hospital namespace.
IDENTIFIER_SYSTEM = "urn:ietf:rfc:3986"
# Fixed namespace for uuid5; changing it would re-create every letter on the next discharge.
_NAMESPACE = uuid.UUID("8f6c0a3e-2b1d-5c47-9e0f-a1b2c3d4e5f6")

# National identifiers first where the type has one (Belgian core naming systems), so the match
# is the one a regional server indexes by.
_PREFERRED_SYSTEMS = {
    "Patient": SSIN_SYSTEMS,
    "Practitioner": NIHDI_SYSTEMS,
    "Organization": NIHDI_SYSTEMS,
}


def encounter_key(encounter: Resource) -> str:
    """The encounter's identity: its official (else first) business identifier, else its id."""
    identifiers = _identifiers(encounter)
    identifiers.sort(key=lambda i: i.get("use") != "official")  # stable: official ones first
    if identifiers:
        return f"identifier:{identifiers[0]['system']}|{identifiers[0]['value']}"
    if encounter.get("id"):
        return f"Encounter/{encounter['id']}"
    raise InvalidInput("the Encounter has neither an identifier nor an id")


def discharge_key(encounter: Resource, patient: Resource | None, *, carried: bool) -> str:
    """What every new resource of the discharge derives its identity from: the encounter's.

    An Encounter read from the FHIR server the letter goes to is known there by its id. One given
    in a context Bundle (`carried`) without a business identifier is known only by the EHR's id,
    and another EHR's `Encounter/1` is not this one: its key is bound to the patient and the
    visit's start as well, so two patients' records never share a letter."""
    key = encounter_key(encounter)
    if not carried or key.startswith("identifier:"):
        return key
    start = (encounter.get("period") or {}).get("start")
    return f"{key}@{start}|{patient_basis(patient)}"


def patient_basis(patient: Resource | None) -> str:
    """The patient's identity as the record states it: the business identifier they are matched
    on (`system|value`), else a digest of who they are (names, birth date, gender)."""
    if patient is None:
        return "no-patient"
    identifier = match_identifier(patient)
    if identifier is not None:
        return f"{identifier['system']}|{identifier['value']}"
    return "unidentified:" + content_digest(
        {k: patient.get(k) for k in ("name", "birthDate", "gender")}
    )


def match_identifier(resource: Resource) -> dict[str, str] | None:
    """The business identifier a copy of `resource` is matched on (conditional create): a
    national number of its type first (one that passes its check: a malformed one would find
    someone else, or no one), then an official one, then the first; never one marked `old`."""
    usable = [
        i
        for i in _identifiers(resource)
        if i.get("use") != "old" and identifier_problem(i["system"], i["value"]) is None
    ]
    preferred = _PREFERRED_SYSTEMS.get(str(resource.get("resourceType")), frozenset())
    usable.sort(key=lambda i: (i["system"] not in preferred, i.get("use") != "official"))
    return usable[0] if usable else None


def _identifiers(resource: Resource) -> list[dict[str, Any]]:
    identifiers = resource.get("identifier")
    if isinstance(identifiers, dict):  # QuestionnaireResponse, Composition: a single one
        identifiers = [identifiers]
    if not isinstance(identifiers, list):
        return []
    return [
        i
        for i in identifiers
        if isinstance(i, dict)
        and isinstance(i.get("system"), str)
        and i["system"]
        and isinstance(i.get("value"), str)
        and i["value"]
    ]


def content_digest(content: Any) -> str:
    """A SHA-256 of `content` in canonical JSON (sorted keys, no spaces): the same content, the
    same digest, whatever order its fields came in."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def derived_uuid(key: str, role: str) -> str:
    """The urn:uuid of the resource playing `role` (e.g. 'letter') in the discharge of `key`."""
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'{key}#{role}')}"


def business_identifier(urn: str) -> dict[str, str]:
    return {"system": IDENTIFIER_SYSTEM, "value": urn}


def if_none_exist(urn: str) -> str:
    # Unqualified token search `identifier=system|value`, as HAPI and the spec's examples write it.
    return identifier_condition(IDENTIFIER_SYSTEM, urn)
