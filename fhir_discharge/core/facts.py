"""The facts every builder shares, derived once from a context that passed the gate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..types import Resource
from .codes import Code
from .context import DischargeContext, require
from .document import document_identifier
from .gate import Eligibility
from .identity import business_identifier, derived_uuid, discharge_key
from .narrative import days_after
from .pathway import ONE_WEEK, SIX_WEEKS, pathway
from .phrases import PHRASES
from .references import Ref, ref_of


@dataclass(frozen=True)
class DischargeFacts:
    key: str  # the encounter's identity: what the record carried with the letter derives from
    # This version of the letter's identity (the key itself for version 1): what every new
    # fullUrl and identifier derives from, so a new version is created beside the old one.
    version_key: str
    version: int
    language: str
    phrases: dict[str, str]
    encounter: Ref
    patient: Ref
    physician: Ref
    hospital: Ref
    general_practitioner: Ref | None
    diagnosis: Code
    diagnosis_condition: Ref
    discharge: datetime
    week_follow_up: datetime
    six_week_follow_up: datetime
    # the new resources, by urn:uuid until the server gives them ids
    letter: Ref
    brochure: Ref
    care_plan: Ref
    task_week: Ref
    task_six_weeks: Ref
    communication: Ref
    # the letter as the attested document the transaction stores (stored_document.py), the
    # Provenance of what the discharge wrote, and the service itself (provenance.py)
    document: Ref
    provenance: Ref
    service: Ref
    context: DischargeContext
    # what the gate found the record shows: the screening, tests, prescriptions, age, sex
    record: Eligibility

    def previous(self, role: str) -> Ref | None:
        """The resource playing `role` in the previous version of the letter (the one this
        version replaces), by its fullUrl and identifier; None for a first letter."""
        if self.version == 1:
            return None
        previous_key = letter_version_key(self.key, self.version - 1)
        return Ref(None, None, urn=derived_uuid(previous_key, role))

    @property
    def gp_reference(self) -> Resource | None:
        """The patient's GP as a Reference: the resource on record, else the logical reference
        (identifier and display) the record holds (pathway.md, "The GP by identifier only");
        None without a GP."""
        if self.general_practitioner is not None:
            return self.general_practitioner.as_reference()
        logical = self.context.general_practitioner_logical
        if logical is None:
            return None
        reference: Resource = {"identifier": dict(logical["identifier"])}
        # The profiles let a Task be owned by a Practitioner(Role) or the patient only: another
        # type the record gives (a practice) is left out, the identifier says who it is.
        if logical.get("type") in ("Practitioner", "PractitionerRole"):
            reference["type"] = logical["type"]
        display = logical.get("display")
        if isinstance(display, str) and display.strip():
            reference["display"] = display.strip()
        return reference

    @property
    def patient_resource(self) -> Resource:
        return require(self.context.patient, "Patient")

    @property
    def visit(self) -> datetime:
        return self.record.visit_time

    @property
    def patient_word(self) -> str:
        """'patiënt', or 'patiënte' for a woman (Patient.gender as recorded)."""
        female = self.record.sex == "female"
        return self.phrases["patient-female" if female else "patient"]

    def say(self, key: str, **values: str) -> str:
        """The phrase `key`, with the patient word and `values` filled in."""
        return self.phrases[key].format(patient=self.patient_word, **values)


def discharge_facts(
    ctx: DischargeContext, eligibility: Eligibility, language: str = "nl-BE"
) -> DischargeFacts:
    key = discharge_key(ctx.encounter, ctx.patient, carried=ctx.carry_record)
    version = ctx.letter_version
    if version < 1:
        raise ValueError(f"letter version {version}: versions count from 1")
    version_key = letter_version_key(key, version)

    def new(role: str) -> Ref:
        return Ref(None, None, urn=derived_uuid(version_key, role))

    letter = new("letter")
    discharge = eligibility.discharge_time
    follow_ups = pathway().follow_ups
    gp = ctx.general_practitioner
    condition = eligibility.diagnosis_condition
    return DischargeFacts(
        key=key,
        version_key=version_key,
        version=version,
        language=language,
        phrases=PHRASES[language],
        encounter=ref_of(ctx.encounter),
        patient=ref_of(require(ctx.patient, "Patient")),
        physician=ref_of(require(ctx.physician, "physician")),
        hospital=ref_of(require(ctx.hospital, "hospital")),
        general_practitioner=ref_of(gp) if gp is not None and "id" in gp else None,
        diagnosis=eligibility.diagnosis_code,
        diagnosis_condition=ref_of(condition),
        discharge=discharge,
        # pathway.md, "Expected course and follow-up": the timings are the PlanDefinition's.
        week_follow_up=days_after(discharge, follow_ups[ONE_WEEK].days),
        six_week_follow_up=days_after(discharge, follow_ups[SIX_WEEKS].days),
        letter=letter,
        # The brochure is the same for every version of the letter: written once.
        brochure=Ref(None, None, urn=derived_uuid(key, "brochure")),
        care_plan=new("care-plan"),
        task_week=new("follow-up-1-week"),
        task_six_weeks=new("follow-up-6-weeks"),
        communication=new("letter-to-gp"),
        # The document's identifier is the one `$document` has always given this letter's
        # document (document.document_identifier), now also its fullUrl in the transaction.
        document=Ref(
            None,
            None,
            urn=document_identifier({"identifier": business_identifier(letter.literal)})["value"],
        ),
        provenance=new("provenance"),
        service=new("service-device"),
        context=ctx,
        record=eligibility,
    )


def letter_version_key(key: str, version: int) -> str:
    """What version `version` of the letter of `key` derives its resources from: `key` itself for
    the first (the identities every letter written before versions existed has), then
    `key@v2`, `key@v3`, ..."""
    return key if version == 1 else f"{key}@v{version}"
