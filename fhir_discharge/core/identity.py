"""Deterministic identity: the same encounter always yields the same fullUrls and identifiers.

That is what makes a repeated discharge create nothing twice: each new resource carries a
business identifier derived from the encounter, and the transaction creates it only if no
resource with that identifier exists yet (conditional create).
"""

from __future__ import annotations

import uuid

from ..errors import InvalidInput
from ..types import Resource

# RFC 3986 URI identifiers (FHIR "identifier.system = urn:ietf:rfc:3986"): globally unique
# without inventing a hospital namespace.
IDENTIFIER_SYSTEM = "urn:ietf:rfc:3986"
# Fixed namespace for uuid5; changing it would re-create every letter on the next discharge.
_NAMESPACE = uuid.UUID("8f6c0a3e-2b1d-5c47-9e0f-a1b2c3d4e5f6")


def encounter_key(encounter: Resource) -> str:
    """The encounter's identity: its official (else first) business identifier, else its id."""
    identifiers = [
        i
        for i in encounter.get("identifier") or []
        if isinstance(i, dict) and i.get("system") and i.get("value")
    ]
    identifiers.sort(key=lambda i: i.get("use") != "official")  # stable: official ones first
    if identifiers:
        return f"identifier:{identifiers[0]['system']}|{identifiers[0]['value']}"
    if encounter.get("id"):
        return f"Encounter/{encounter['id']}"
    raise InvalidInput("the Encounter has neither an identifier nor an id")


def derived_uuid(key: str, role: str) -> str:
    """The urn:uuid of the resource playing `role` (e.g. 'letter') in the discharge of `key`."""
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'{key}#{role}')}"


def business_identifier(urn: str) -> dict[str, str]:
    return {"system": IDENTIFIER_SYSTEM, "value": urn}


def if_none_exist(urn: str) -> str:
    # Unqualified token search `identifier=system|value`, as HAPI and the spec's examples write it.
    return f"identifier={IDENTIFIER_SYSTEM}|{urn}"
