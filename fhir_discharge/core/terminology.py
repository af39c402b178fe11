"""Matching a record's codings against the pathway's code lists (codes.py), offline.

No terminology server is assumed. ICD-10 and ICD-10-CM are hierarchical by their codes, so a code
matches a listed code and every code below it (M54.16 under M54.1), and a listed range such as
"C00-C97" matches every category in it and their descendants; senders write M54.5 or M545
alike. SNOMED CT matches the listed concepts exactly: codes.py lists the descendants that matter.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from .codes import ICD10, ICD10_CM, LOW_BACK_PAIN, RED_FLAGS, Code

_ICD_SYSTEMS = (ICD10, ICD10_CM)


def _icd(code: str) -> str:
    return code.replace(".", "").strip().upper()


class CodeList:
    """A set of codes with the matching rules above, each match giving back its tag."""

    def __init__(self, tagged: Iterable[tuple[str, Code]]) -> None:
        self._exact: dict[tuple[str, str], tuple[str, Code]] = {}
        self._icd_ranges: list[tuple[str, str, tuple[str, Code]]] = []
        for tag, code in tagged:
            if code.system in _ICD_SYSTEMS and "-" in code.code:
                low, high = (_icd(part) for part in code.code.split("-", 1))
                self._icd_ranges.append((low, high, (tag, code)))
            elif code.system in _ICD_SYSTEMS:
                self._exact.setdefault(("icd", _icd(code.code)), (tag, code))
            else:
                self._exact.setdefault((code.system, code.code.strip()), (tag, code))

    def match(self, system: str, code: str) -> tuple[str, Code] | None:
        if system not in _ICD_SYSTEMS:
            return self._exact.get((system, code.strip()))
        key = _icd(code)
        for length in range(len(key), 2, -1):
            hit = self._exact.get(("icd", key[:length]))
            if hit:
                return hit
        for low, high, hit in self._icd_ranges:
            if len(key) >= len(low) and low <= key[: len(low)] <= high:
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
        system, code = coding.get("system"), coding.get("code")
        if isinstance(system, str) and isinstance(code, str):
            yield system, code


def concept_name(concept: Any) -> str | None:
    """How the record names a CodeableConcept: its text, else the first coding's display."""
    if not isinstance(concept, dict):
        return None
    if isinstance(concept.get("text"), str) and concept["text"].strip():
        return str(concept["text"]).strip()
    for coding in concept.get("coding") or []:
        display = coding.get("display")
        if isinstance(display, str) and display.strip():
            return display.strip()
    return None


LOW_BACK_PAIN_CODES = CodeList(("low back pain", c) for c in LOW_BACK_PAIN)
RED_FLAG_CODES = CodeList((item, c) for item, codes in RED_FLAGS.items() for c in codes)
