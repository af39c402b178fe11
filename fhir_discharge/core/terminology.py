"""Matching a record's codings against the pathway's code lists (codes.py), offline.

No terminology server is assumed. A code system is read by its canonical URI or its OID
(`canonical_system`). ICD-10 and ICD-10-CM are hierarchical by their codes, so for red flags a
code matches a listed code and every code below it (M54.16 under M54.1), and a listed range such
as "C00-C97" matches every category in it and their descendants; senders write M54.5 or M545
alike. ATC is hierarchical by prefix too (H02AB06 under H02AB). SNOMED CT matches the listed
concepts exactly: codes.py lists the descendants that matter, and a terminology server, when the
I/O layer has one, adds what it places below them (the context's red_flags_by_terminology_server).
The diagnosis is matched exactly in its own system (`CodeList(..., exact=True)`): a hierarchy
widens red flags, never the diagnosis (pathway.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from .codes import (
    ATC,
    CHRONIC_LOW_BACK_PAIN,
    ICD10,
    ICD10_CM,
    LOINC,
    LOW_BACK_PAIN,
    NSAID_CAUTION,
    PREGNANCY,
    RED_FLAGS,
    SNOMED,
    SYSTEM_OIDS,
    Code,
)

_ICD_SYSTEMS = (ICD10, ICD10_CM)
_HIERARCHICAL = (*_ICD_SYSTEMS, ATC)
# The clinical code systems the gate reads (pathway.md, "Every code system the record may use").
CLINICAL_SYSTEMS = frozenset({SNOMED, ICD10, ICD10_CM, LOINC, ATC})


def canonical_system(system: str) -> str:
    """The canonical URI of a code system written by its URI or its OID (`urn:oid:...`)."""
    bare = system.strip()
    if bare.startswith("urn:oid:"):
        bare = bare[len("urn:oid:") :]
    if bare in SYSTEM_OIDS:
        return SYSTEM_OIDS[bare]
    # The same URI with https, or a trailing slash, names the same system.
    normal = bare.rstrip("/")
    if normal.startswith("https://"):
        normal = "http://" + normal[len("https://") :]
    return normal if normal in CLINICAL_SYSTEMS else system


def _key(code: str) -> str:
    return code.replace(".", "").strip().upper()


class CodeList:
    """A set of codes with the matching rules above, each match giving back its tag."""

    def __init__(self, tagged: Iterable[tuple[str, Code]], exact: bool = False) -> None:
        self._exact_only = exact
        self._exact: dict[tuple[str, str], tuple[str, Code]] = {}
        self._ranges: list[tuple[str, str, str, tuple[str, Code]]] = []
        for tag, code in tagged:
            if code.system in _HIERARCHICAL and "-" in code.code:
                low, high = (_key(part) for part in code.code.split("-", 1))
                self._ranges.append((self._family(code.system), low, high, (tag, code)))
            elif code.system in _HIERARCHICAL:
                self._exact.setdefault((self._family(code.system), _key(code.code)), (tag, code))
            else:
                self._exact.setdefault((code.system, code.code.strip()), (tag, code))

    def _family(self, system: str) -> str:
        # For red flags both ICD systems share their hierarchy (an ICD-10 category matches the
        # ICD-10-CM codes below it); an exact list keeps each system to itself.
        if system in _ICD_SYSTEMS and not self._exact_only:
            return "icd"
        return system

    def match(self, system: str, code: str) -> tuple[str, Code] | None:
        system = canonical_system(system)
        if system not in _HIERARCHICAL:
            return self._exact.get((system, code.strip()))
        family, key = self._family(system), _key(code)
        if self._exact_only:
            return self._exact.get((family, key))
        for length in range(len(key), 2, -1):
            hit = self._exact.get((family, key[:length]))
            if hit:
                return hit
        for range_family, low, high, hit in self._ranges:
            if range_family == family and len(key) >= len(low) and low <= key[: len(low)] <= high:
                return hit
        return None

    def first_match(self, concept: Any) -> tuple[str, str, tuple[str, Code]] | None:
        """(system, code, hit) for the first coding of a CodeableConcept that matches."""
        for system, code in codings(concept):
            hit = self.match(system, code)
            if hit:
                return system, code, hit
        return None


def codings(concept: Any) -> Iterator[tuple[str, str]]:
    """(system, code) of each coding of a CodeableConcept that has both."""
    if not isinstance(concept, dict):
        return
    for coding in concept.get("coding") or []:
        if not isinstance(coding, dict):
            continue
        system, code = coding.get("system"), coding.get("code")
        if isinstance(system, str) and isinstance(code, str):
            yield system, code


def readable(concept: Any) -> bool:
    """Whether a CodeableConcept has a coding in a code system the gate reads."""
    return any(canonical_system(system) in CLINICAL_SYSTEMS for system, _ in codings(concept))


def concept_name(concept: Any) -> str | None:
    """How the record names a CodeableConcept: its text, else the first coding's display."""
    if not isinstance(concept, dict):
        return None
    if isinstance(concept.get("text"), str) and concept["text"].strip():
        return str(concept["text"]).strip()
    for coding in concept.get("coding") or []:
        display = coding.get("display") if isinstance(coding, dict) else None
        if isinstance(display, str) and display.strip():
            return display.strip()
    return None


LOW_BACK_PAIN_CODES = CodeList((("low back pain", c) for c in LOW_BACK_PAIN), exact=True)
CHRONIC_LOW_BACK_PAIN_CODES = CodeList(("chronic", c) for c in CHRONIC_LOW_BACK_PAIN)
RED_FLAG_CODES = CodeList((item, c) for item, codes in RED_FLAGS.items() for c in codes)
PREGNANCY_CODES = CodeList(("pregnancy", c) for c in PREGNANCY)
NSAID_CAUTION_CODES = CodeList(
    (reason, c) for reason, codes in NSAID_CAUTION.items() for c in codes
)
