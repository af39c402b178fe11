"""The facts every builder shares, derived once from a context that passed the gate: who, what,
when, the site the letter is from, and the language it speaks (the GP's: core/i18n/language.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from ...errors import DischargeWarning
from ...types import Resource
from ..brussels_time import days_after
from ..codes import Code
from ..gate import Eligibility
from ..i18n.catalogue import catalogue
from ..i18n.dates import say_date
from ..i18n.language import languages_not_spoken, letter_language
from ..pathway.definition import ONE_WEEK, SIX_WEEKS
from ..record.context import DischargeContext, require
from ..record.identity import business_identifier, derived_uuid, discharge_key
from ..record.references import Ref, ref_of
from ..site import Site
from .document import document_identifier


@dataclass(frozen=True)
class DischargeFacts:
    key: str  # the encounter's identity: what the record carried with the letter derives from
    # This version of the letter's identity (the key itself for version 1): what every new
    # fullUrl and identifier derives from, so a new version is created beside the old one.
    version_key: str
    version: int
    language: str  # the letter's: the GP's, else the site's default
    phrases: Mapping[str, str]  # the letter's sentences in that language (catalogue `letter`)
    site: Site
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
        """The sentence `key`, with the patient word, what the site says of itself and its
        pathway (Site.sentence_values) and `values` filled in."""
        site = self.site.sentence_values(self.language)
        return self.phrases[key].format_map({**site, "patient": self.patient_word, **values})

    def said(self, moment: datetime | str) -> str:
        """A moment or a FHIR date as the letter's language writes it ('2 december 2026')."""
        return say_date(moment, self.language)

    def speaking(self, language: str) -> DischargeFacts:
        """The same facts, said in `language` (the CDS card says the letter's sentences in the
        physician's language)."""
        return replace(self, language=language, phrases=catalogue(language).letter)


def discharge_facts(ctx: DischargeContext, eligibility: Eligibility, site: Site) -> DischargeFacts:
    key = discharge_key(ctx.encounter, ctx.patient, carried=ctx.carry_record)
    version = ctx.letter_version
    if version < 1:
        raise ValueError(f"letter version {version}: versions count from 1")
    version_key = letter_version_key(key, version)

    def new(role: str) -> Ref:
        return Ref(None, None, urn=derived_uuid(version_key, role))

    letter = new("letter")

    discharge = eligibility.discharge_time
    follow_ups = site.pathway.follow_ups
    gp = ctx.general_practitioner
    # pathway.md: the letter is for the GP, in the first language the GP reads that a catalogue
    # speaks (Practitioner.communication), else the site's default.
    language = letter_language(gp_person(ctx), site.default_language)
    condition = eligibility.diagnosis_condition
    return DischargeFacts(
        key=key,
        version_key=version_key,
        version=version,
        language=language,
        phrases=catalogue(language).letter,
        site=site,
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


def gp_person(ctx: DischargeContext) -> Resource | None:
    """The Practitioner the patient's GP on record is: itself, or a PractitionerRole's
    practitioner when the record holds it; None for an Organization (a practice) or no GP."""
    gp = ctx.general_practitioner
    if gp is None:
        return None
    if gp.get("resourceType") == "PractitionerRole":
        found = ctx.resolve(gp.get("practitioner"))
        return found if found is not None and found.get("resourceType") == "Practitioner" else None
    return gp if gp.get("resourceType") == "Practitioner" else None


def language_warnings(facts: DischargeFacts) -> list[DischargeWarning]:
    """What the physician is told when part of the letter is not in the GP's language: nothing is
    translated at run time, so a language no catalogue is written in gets the site's default
    language, and a brochure not published in the letter's language is linked in the site's (the
    letter says which)."""
    warnings = []
    unspoken = languages_not_spoken(gp_person(facts.context))
    if unspoken:
        warnings.append(
            DischargeWarning(
                f"the GP reads {', '.join(unspoken)}, a language this service has no letter "
                f"in: the letter is in {facts.language} (the site's default), not translated",
                "letter-language-not-available",
                {"tags": unspoken, "language": facts.language},
            )
        )
    _, brochure_language = facts.site.brochure(facts.language)
    if brochure_language != facts.language:
        warnings.append(
            DischargeWarning(
                f"the hospital's brochure is not published in {facts.language}: the letter links "
                f"the one in {brochure_language} and says so",
                "brochure-not-in-letter-language",
                {"language": brochure_language},
            )
        )
    return warnings


def letter_version_key(key: str, version: int) -> str:
    """What version `version` of the letter of `key` derives its resources from: `key` itself for
    the first (the identities every letter written before versions existed has), then
    `key@v2`, `key@v3`, ..."""
    return key if version == 1 else f"{key}@v{version}"
