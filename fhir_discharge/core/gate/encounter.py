"""The encounter and the patient (pathway.md, "Who the patient is", "Dates", "Older patients"):
an ED visit that has ended, with the patient sent home; an adult patient record in use, alive."""

from __future__ import annotations

from datetime import date

from ...types import Resource
from ..brussels_time import local
from ..codes import EMERGENCY
from ..record.context import DischargeContext
from ..record.identifiers import SSIN_SYSTEMS, ssin_problem
from ..terminology import codings
from .findings import Findings
from .record import visit_start

_DISCHARGE_DISPOSITION = "http://terminology.hl7.org/CodeSystem/discharge-disposition"
# pathway.md, "Home": home and alt-home (HL7 discharge-disposition "Alternative home") are home.
_HOME = frozenset({"home", "alt-home"})
ADULT_AGE = 18
# pathway.md, "Older patients": NICE NG59 1.2.13 (NSAID risk with age), red-flag literature.
OLDER_PATIENT_AGE = 70


def check_encounter(ctx: DischargeContext, findings: Findings) -> None:
    encounter = ctx.encounter
    status = encounter.get("status")
    if status != "finished":
        findings.off(
            f"the encounter is not ended (status '{status}'): discharge a finished encounter",
            "Encounter.status",
            "encounter-not-finished",
            status=str(status),
        )
    encounter_class = encounter.get("class") or {}
    if (encounter_class.get("system"), encounter_class.get("code")) != (
        EMERGENCY.system,
        EMERGENCY.code,
    ):
        findings.off(
            "not an emergency department encounter (Encounter.class is not v3 ActCode EMER)",
            "Encounter.class",
            "encounter-not-emergency",
        )
    start = visit_start(ctx)
    if start is None:
        findings.missing(
            "the encounter has no start time: the letter dates the visit by it",
            "Encounter.period.start",
            "encounter-no-start",
        )
    if ctx.discharge_time is None:
        findings.missing(
            "the encounter has no end time: the follow-up dates count from it",
            "Encounter.period.end",
            "encounter-no-end",
        )
    elif start is not None and ctx.discharge_time < start:
        # Contradictory: the follow-up dates would count from a moment before the visit.
        findings.missing(
            "the encounter ends before it starts (Encounter.period.end is before "
            "Encounter.period.start): correct the encounter's period",
            "Encounter.period",
            "encounter-period-reversed",
        )
    _check_disposition(
        (encounter.get("hospitalization") or {}).get("dischargeDisposition"), findings
    )


def _check_disposition(disposition: object, findings: Findings) -> None:
    # pathway.md: the patient goes home; admitted, transferred or deceased is off the pathway.
    where = "Encounter.hospitalization.dischargeDisposition"
    codes = [c for s, c in codings(disposition) if s == _DISCHARGE_DISPOSITION]
    if not codes:
        findings.missing(
            "the discharge disposition is not documented (HL7 discharge-disposition): the "
            "pathway is for patients sent home; document 'home'",
            where,
            "disposition-missing",
        )
    elif any(c not in _HOME for c in codes):
        other = next(c for c in codes if c not in _HOME)
        findings.off(
            f"the patient was not sent home (discharge disposition '{other}')",
            where,
            "disposition-not-home",
            disposition=other,
        )


def check_patient(ctx: DischargeContext, patient: Resource, findings: Findings) -> None:
    # A record the EHR no longer uses (merged into another, or inactive) is not the one the
    # letter may be filed on (FHIR R4 Patient.active, Patient.link "replaced-by").
    if patient.get("active") is False:
        findings.missing(
            "the patient record is not in use (Patient.active is false): discharge the "
            "encounter on the patient record in use",
            "Patient.active",
            "patient-inactive",
        )
    for link in patient.get("link") or []:
        if isinstance(link, dict) and link.get("type") == "replaced-by":
            other = str((link.get("other") or {}).get("reference") or "another record")[:100]
            findings.missing(
                f"the patient record was replaced by {other} (Patient.link replaced-by): "
                "discharge the encounter on the patient record in use",
                "Patient.link",
                "patient-replaced",
                other=other,
            )
            break
    check_national_number(patient, findings)
    if patient.get("deceasedBoolean") is True or "deceasedDateTime" in patient:
        findings.off("the patient is recorded as deceased", "Patient.deceased", "patient-deceased")
    ages = patient_ages(ctx, patient)
    if ages is None:
        findings.missing(
            "the patient's birth date is not on record: the pathway is for adults, and "
            "the letter's advice depends on age; document Patient.birthDate",
            "Patient.birthDate",
            "birth-date-missing",
        )
    elif ages[0] < ADULT_AGE:
        findings.off(
            "the patient is not (certainly) an adult: the pathway is for adults",
            "Patient.birthDate",
            "patient-not-adult",
        )


def patient_ages(ctx: DischargeContext, patient: Resource) -> tuple[int, int] | None:
    """(youngest, oldest) possible age at the visit, for a full or partial birth date."""
    birth = patient.get("birthDate")
    visit = visit_start(ctx)
    if not isinstance(birth, str) or visit is None:
        return None
    parts = [int(p) for p in birth[:10].split("-")]
    day = local(visit).date()
    if len(parts) == 3:
        born_first = born_last = date(*parts)
    elif len(parts) == 2:
        born_first = date(parts[0], parts[1], 1)
        born_last = date(parts[0], parts[1], 28)
    else:
        born_first, born_last = date(parts[0], 1, 1), date(parts[0], 12, 31)
    return _age(born_last, day), _age(born_first, day)


def older_patient(ctx: DischargeContext, patient: Resource) -> bool:
    ages = patient_ages(ctx, patient)
    return ages is not None and ages[1] >= OLDER_PATIENT_AGE


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def check_national_number(patient: Resource, findings: Findings) -> None:
    """Two different well-formed national numbers (SSIN) leave it open which patient this is:
    refused. A malformed one is no identity at all: the discharge goes on without it (carry.py
    neither matches on it nor writes it, the letter cannot go to the eHealthBox, and the caller
    is told to correct it; issue 20: "a patient without a valid SSIN: the discharge still
    happens")."""
    identifiers = patient.get("identifier")
    numbers: dict[str, int] = {}
    for index, identifier in enumerate(identifiers if isinstance(identifiers, list) else []):
        if not isinstance(identifier, dict) or identifier.get("system") not in SSIN_SYSTEMS:
            continue
        if ssin_problem(identifier.get("value")) is None and identifier.get("use") != "old":
            # one no longer in use is no alternative
            numbers.setdefault(str(identifier["value"]), index)
    if len(numbers) > 1:
        where = "Patient.identifier"
        findings.missing(
            f"the patient has {len(numbers)} different national numbers (SSIN, {where}): "
            "keep the one in use, mark the others `old`, in the EHR",
            where,
            "patient-ssin-ambiguous",
            count=str(len(numbers)),
        )
