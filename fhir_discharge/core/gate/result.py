"""What a passed gate hands the letter: exactly the facts the record shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ...types import Resource
from ..codes import Code


@dataclass(frozen=True)
class Screening:
    """The physician's documented red-flag screening of this encounter, all clear."""

    response: Resource
    author: Resource  # the Practitioner who screened
    authored: datetime
    brochure_given: bool


@dataclass(frozen=True)
class RecordItem:
    """Something of the record the letter names as the record names it."""

    resource: Resource
    name: str
    detail: str | None = None  # a report's conclusion, a prescription's dosage


@dataclass(frozen=True)
class Eligibility:
    """A passed gate: the facts the letter may state, and warnings for the caller."""

    diagnosis_code: Code
    diagnosis_condition: Resource
    working_diagnosis: bool  # not confirmed: the letter says it is a working diagnosis
    visit_time: datetime  # the encounter's start: the visit date
    discharge_time: datetime  # the encounter's end: the follow-ups count from it
    screening: Screening
    tests: tuple[RecordItem, ...]  # imaging, reports and procedures of this encounter
    no_imaging_shown: bool  # the record shows no imaging and nothing that could be imaging
    prescriptions: tuple[RecordItem, ...]
    older_patient: bool  # 70 or older (or possibly, for a partial birth date)
    sex: str | None  # Patient.gender as recorded
    warnings: tuple[str, ...]
