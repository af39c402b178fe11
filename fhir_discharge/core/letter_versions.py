"""Which Composition is the letter this service wrote for an encounter: one rule, for the
physician's app (io/discharging.py `stored_letter`, its Compositions searched by identifier), the
CDS hook (web/cds_hooks/, the encounter's Compositions prefetched or searched) and the
correction of a letter (io/discharging.py `current_discharge`, which writes the next version).

Ours are told by the business identifier each version derives from the encounter's discharge
key (core/letter/facts.py `letter_version_key`, core/record/identity.py), never by text, type or
encounter alone: a letter written otherwise, for the same encounter, is never taken for ours.
The versions count from 1 without a gap (each correction writes the next); a version 2 with no
1 is none of ours. A letter marked entered-in-error was withdrawn: its identifier stays taken
(the next correction is a version after it), but it is no letter; the latest of ours is then the
one before it. Pure: the I/O that fetches the Compositions is io/'s.
"""

from __future__ import annotations

from ..types import Resource
from .letter.facts import letter_version_key
from .record.identity import IDENTIFIER_SYSTEM, derived_uuid

WITHDRAWN = "entered-in-error"


def letter_identifier(key: str, version: int) -> dict[str, str]:
    """The business identifier of version `version` of the letter of discharge key `key`."""
    return {
        "system": IDENTIFIER_SYSTEM,
        "value": derived_uuid(letter_version_key(key, version), "letter"),
    }


def letter_versions(compositions: list[Resource], key: str) -> list[list[Resource]]:
    """Our letters among `compositions`, by version: item n-1 holds those of version n (a
    withdrawn one included), as far as versions 1, 2, ... follow each other."""
    by_value: dict[str, list[Resource]] = {}
    for composition in compositions:
        identifier = composition.get("identifier")  # R4 Composition: one Identifier
        if isinstance(identifier, dict) and identifier.get("system") == IDENTIFIER_SYSTEM:
            by_value.setdefault(str(identifier.get("value")), []).append(composition)
    versions: list[list[Resource]] = []
    while found := by_value.get(letter_identifier(key, len(versions) + 1)["value"]):
        versions.append(found)
    return versions


def latest_letter(compositions: list[Resource], key: str) -> Resource | None:
    """The latest letter of ours for discharge key `key` among `compositions`, withdrawn ones
    passed over; None: the encounter was not discharged by this service."""
    for found in reversed(letter_versions(compositions, key)):
        standing = [c for c in found if c.get("status") != WITHDRAWN]
        if standing:
            return standing[0]
    return None
