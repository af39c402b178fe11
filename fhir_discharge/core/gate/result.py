"""What a passed gate hands the letter: exactly the facts the record shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ...errors import DischargeWarning
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
    # The detail is the record's free text (a report's conclusion), quoted verbatim: the gate
    # cannot read it, and the physician is warned to read it.
    quoted: bool = False


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
    warnings: tuple[DischargeWarning, ...]
    # pathway.md, "NSAID caution": why the medication advice says NSAIDs need caution
    # (codes.NSAID_CAUTION_REASONS, in that order); empty when they do not.
    nsaid_caution: tuple[str, ...] = ()
    # 70 or older for certain (False when a partial birth date only may be).
    older_certainly: bool = False
