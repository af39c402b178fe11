"""The pathway gate: may this ED encounter get the low back pain letter, and what may it say?

Closed world (pathway.md, "What the letter may assert"): the gate passes an encounter only when
the record shows everything the letter states, and returns exactly those facts. It refuses
- NotOnPathway (422) when the record shows the patient is off the pathway: a red flag or
  radicular pain in the coded record or in the physician's screening, another diagnosis, not an
  ED visit, not sent home, deceased, a minor;
- IncompleteRecord (422) when the record is silent, unreadable or contradictory where the letter
  needs it: no screening, an incomplete one, a diagnosis with no code, no end time...
Each finding names the data and, for an incomplete record, what to document. Absence of data is
never evidence: nothing here fills a gap with the pathway's default.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ..errors import Finding, FindingValue, IncompleteRecord, NotOnPathway
from ..types import Resource
from .codes import (
    BODY_TEMPERATURE,
    CONDITION_CLINICAL,
    CONDITION_VERIFICATION,
    EMERGENCY,
    FEVER_CELSIUS,
    LAB_REPORT_CATEGORIES,
    RED_FLAG_LABELS,
    Code,
)
from .context import DischargeContext, parse_instant
from .identifiers import SSIN_SYSTEMS, ssin_problem
from .narrative import local
from .pathway import BROCHURE_GIVEN, SCREENING_RED_FLAG_ITEMS, pathway
from .references import parse_reference, ref_of, same_target
from .terminology import LOW_BACK_PAIN_CODES, RED_FLAG_CODES, codings, concept_name

# A Condition the physician ruled out, or recorded in error, does not hold (condition-ver-status).
_NOT_HOLDING_VERIFICATION = {"refuted", "entered-in-error"}
# A condition that is over does not hold either (condition-clinical), except a cancer: a history
# of cancer is a red flag whatever its status (pathway.md).
_NOT_HOLDING_CLINICAL = {"inactive", "remission", "resolved"}
_ANY_STATUS_RED_FLAGS = {"malignancy"}
# A working diagnosis (pathway.md: provisional or differential may be discharged, and said so).
_CONFIRMED = "confirmed"
_DISCHARGE_DISPOSITION = "http://terminology.hl7.org/CodeSystem/discharge-disposition"
_HOME = "home"
# Resources that never happened, or were recorded in error, say nothing about the patient.
_VOID = {"entered-in-error", "cancelled", "not-done", "draft", "preparation"}
_SCREENING_DONE = {"completed", "amended"}
_UCUM = "http://unitsofmeasure.org"
_LAB_CATEGORIES = {(c.system, c.code) for c in LAB_REPORT_CATEGORIES}
_TEMPERATURE_CODES = {(c.system, c.code) for c in BODY_TEMPERATURE}
ADULT_AGE = 18
# pathway.md, "Older patients": NICE NG59 1.2.13 (NSAID risk with age), red-flag literature.
OLDER_PATIENT_AGE = 70


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


def check_eligibility(ctx: DischargeContext) -> Eligibility:
    """Pass an on-pathway encounter; raise NotOnPathway / IncompleteRecord otherwise."""
    gate = _Gate(ctx)
    return gate.run()


class _Gate:
    def __init__(self, ctx: DischargeContext) -> None:
        self.ctx = ctx
        self.encounter = ref_of(ctx.encounter)
        self.off: list[Finding] = []  # the record shows the patient is off the pathway
        self.missing: list[Finding] = []  # the record is silent or unreadable here
        self.warnings: list[str] = list(ctx.notes)
        self.diagnosis_refs = [d.get("condition") for d in ctx.encounter.get("diagnosis") or []]

    def run(self) -> Eligibility:
        ctx = self.ctx
        if ctx.patient is None:
            raise IncompleteRecord(
                "the encounter's Patient (Encounter.subject) is missing from the record",
                [Finding("Patient not found: include it", "Encounter.subject", "patient-missing")],
            )
        self._modifiers()
        self._check_encounter()
        self._check_patient(ctx.patient)
        diagnosis = self._diagnoses()
        self._coded_red_flags()
        screening = self._screening()
        tests, no_imaging = self._tests()
        prescriptions = self._prescriptions()
        if ctx.physician is None:
            self._missing(
                "no physician on the encounter to sign the letter: add the ED physician as a "
                "Practitioner participant",
                "Encounter.participant",
                "physician-missing",
            )
        if ctx.hospital is None:
            self._missing(
                "the hospital is missing from the record: add the Organization",
                "Encounter.serviceProvider",
                "hospital-missing",
            )
        if self.off:
            raise NotOnPathway(
                "off the low back pain pathway: " + "; ".join(f.message for f in self.off),
                self.off,
            )
        if self.missing:
            raise IncompleteRecord(
                "the record does not show what the letter needs: "
                + "; ".join(f.message for f in self.missing),
                self.missing,
            )
        assert diagnosis is not None and screening is not None
        visit = self._visit_time()
        discharge = ctx.discharge_time
        assert visit is not None and discharge is not None
        code, condition = diagnosis
        older = self._older(ctx.patient)
        if older:
            self.warnings.append(
                f"the patient is {OLDER_PATIENT_AGE} or older: fracture and malignancy are more "
                "likely, and NSAIDs carry more risk (NICE NG59 1.2.13); the letter advises "
                "caution with NSAIDs"
            )
        if ctx.general_practitioner is None and ctx.general_practitioners_not_in_use:
            self.warnings.append(
                "the patient's general practitioner on record is not in use ("
                + ", ".join(ctx.general_practitioners_not_in_use)
                + " active false): the letter is addressed to the treating GP and the follow-up "
                "tasks to the patient"
            )
        elif ctx.general_practitioner is None:
            self.warnings.append(
                "the patient has no general practitioner on record (Patient.generalPractitioner): "
                "the letter is addressed to the treating GP and the follow-up tasks to the patient"
            )
        gender = ctx.patient.get("gender")
        return Eligibility(
            diagnosis_code=code,
            diagnosis_condition=condition,
            working_diagnosis=_verification(condition) != _CONFIRMED,
            visit_time=visit,
            discharge_time=discharge,
            screening=screening,
            tests=tests,
            no_imaging_shown=no_imaging,
            prescriptions=prescriptions,
            older_patient=older,
            sex=gender if isinstance(gender, str) else None,
            warnings=tuple(self.warnings),
        )

    # --- findings ----------------------------------------------------------------------------
    # Each finding has a stable code and the values its English message is built from, so the
    # physician's app can say it in Dutch (phrases.FINDING_PHRASES; tests/test_findings_nl.py).

    def _off(self, message: str, where: str | None, code: str, **params: FindingValue) -> None:
        self.off.append(Finding(message, where, code, params))

    def _missing(self, message: str, where: str | None, code: str, **params: FindingValue) -> None:
        self.missing.append(Finding(message, where, code, params))

    # --- what the service cannot read ------------------------------------------------------

    def _modifiers(self) -> None:
        """FHIR R4 (Extensibility, "Modifier Extensions"; Resource.implicitRules): a modifier
        extension may change what the element holding it means (negate a diagnosis, say it is a
        relative's), and a resource under implicit rules may mean something else under them; a
        reader that does not understand them may not read the resource as if they were absent.
        This service understands none, so whatever of the record carries one is refused,
        naming it, whatever its type: the gate reads every resource of the context."""
        found = 0
        for resource in self.ctx.index.resources():
            literal = f"{resource.get('resourceType')}/{resource.get('id')}"
            rules = resource.get("implicitRules")
            if isinstance(rules, str) and found < _MAX_MODIFIER_FINDINGS:
                found += 1
                self._missing(
                    f"{literal} is written under implicit rules this service does not "
                    f"understand ({rules[:200]}): record it without implicitRules, or discharge "
                    "the patient outside this pathway",
                    f"{literal}.implicitRules",
                    "implicit-rules",
                    resource=literal,
                    url=rules[:200],
                )
            for path, url in _modifier_extensions(resource):
                if found >= _MAX_MODIFIER_FINDINGS:
                    break
                found += 1
                self._missing(
                    f"{literal} carries a modifier extension this service does not understand "
                    f"({url}) at {path}: it may change what the resource means; record it "
                    "without the modifier extension, or discharge the patient outside this "
                    "pathway",
                    literal,
                    "modifier-extension",
                    resource=literal,
                    url=url,
                    path=path,
                )

    # --- the encounter and the patient -------------------------------------------------------

    def _check_encounter(self) -> None:
        encounter = self.ctx.encounter
        status = encounter.get("status")
        if status != "finished":
            self._off(
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
            self._off(
                "not an emergency department encounter (Encounter.class is not v3 ActCode EMER)",
                "Encounter.class",
                "encounter-not-emergency",
            )
        if self._visit_time() is None:
            self._missing(
                "the encounter has no start time: the letter dates the visit by it",
                "Encounter.period.start",
                "encounter-no-start",
            )
        if self.ctx.discharge_time is None:
            self._missing(
                "the encounter has no end time: the follow-up dates count from it",
                "Encounter.period.end",
                "encounter-no-end",
            )
        elif (start := self._visit_time()) is not None and self.ctx.discharge_time < start:
            # Contradictory: the follow-up dates would count from a moment before the visit.
            self._missing(
                "the encounter ends before it starts (Encounter.period.end is before "
                "Encounter.period.start): correct the encounter's period",
                "Encounter.period",
                "encounter-period-reversed",
            )
        self._check_disposition(
            (encounter.get("hospitalization") or {}).get("dischargeDisposition")
        )

    def _check_disposition(self, disposition: object) -> None:
        # pathway.md: the patient goes home; admitted, transferred or deceased is off the pathway.
        where = "Encounter.hospitalization.dischargeDisposition"
        codes = [c for s, c in codings(disposition) if s == _DISCHARGE_DISPOSITION]
        if not codes:
            self._missing(
                "the discharge disposition is not documented (HL7 discharge-disposition): the "
                "pathway is for patients sent home; document 'home'",
                where,
                "disposition-missing",
            )
        elif any(c != _HOME for c in codes):
            other = next(c for c in codes if c != _HOME)
            self._off(
                f"the patient was not sent home (discharge disposition '{other}')",
                where,
                "disposition-not-home",
                disposition=other,
            )

    def _visit_time(self) -> datetime | None:
        value = (self.ctx.encounter.get("period") or {}).get("start")
        return parse_instant(value, "Encounter.period.start") if value is not None else None

    def _check_patient(self, patient: Resource) -> None:
        # A record the EHR no longer uses (merged into another, or inactive) is not the one the
        # letter may be filed on (FHIR R4 Patient.active, Patient.link "replaced-by").
        if patient.get("active") is False:
            self._missing(
                "the patient record is not in use (Patient.active is false): discharge the "
                "encounter on the patient record in use",
                "Patient.active",
                "patient-inactive",
            )
        for link in patient.get("link") or []:
            if isinstance(link, dict) and link.get("type") == "replaced-by":
                other = str((link.get("other") or {}).get("reference") or "another record")[:100]
                self._missing(
                    f"the patient record was replaced by {other} (Patient.link replaced-by): "
                    "discharge the encounter on the patient record in use",
                    "Patient.link",
                    "patient-replaced",
                    other=other,
                )
                break
        self._check_national_number(patient)
        if patient.get("deceasedBoolean") is True or "deceasedDateTime" in patient:
            self._off("the patient is recorded as deceased", "Patient.deceased", "patient-deceased")
        ages = self._ages(patient)
        if ages is None:
            self._missing(
                "the patient's birth date is not on record: the pathway is for adults, and "
                "the letter's advice depends on age; document Patient.birthDate",
                "Patient.birthDate",
                "birth-date-missing",
            )
        elif ages[0] < ADULT_AGE:
            self._off(
                "the patient is not (certainly) an adult: the pathway is for adults",
                "Patient.birthDate",
                "patient-not-adult",
            )

    def _check_national_number(self, patient: Resource) -> None:
        # The letter is filed under the patient's national number (SSIN) on the FHIR server it
        # goes to (carry.py matches on it): a malformed one would file it under no one, or under
        # whoever holds that number; two different ones leave it open which patient it is.
        identifiers = patient.get("identifier")
        numbers: dict[str, int] = {}
        for index, identifier in enumerate(identifiers if isinstance(identifiers, list) else []):
            if not isinstance(identifier, dict) or identifier.get("system") not in SSIN_SYSTEMS:
                continue
            where = f"Patient.identifier[{index}].value"
            problem = ssin_problem(identifier.get("value"))
            if problem is not None:
                self._missing(
                    f"the patient's national number (SSIN, {where}) {problem}: correct it in "
                    "the EHR (the letter is never filed under a malformed national number)",
                    where,
                    "patient-ssin-invalid",
                    element=where,
                )
            elif identifier.get("use") != "old":  # one no longer in use is no alternative
                numbers.setdefault(str(identifier["value"]), index)
        if len(numbers) > 1:
            where = "Patient.identifier"
            self._missing(
                f"the patient has {len(numbers)} different national numbers (SSIN, {where}): "
                "keep the one in use, mark the others `old`, in the EHR",
                where,
                "patient-ssin-ambiguous",
                count=str(len(numbers)),
            )

    def _ages(self, patient: Resource) -> tuple[int, int] | None:
        """(youngest, oldest) possible age at the visit, for a full or partial birth date."""
        birth = patient.get("birthDate")
        visit = self._visit_time()
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

    def _older(self, patient: Resource) -> bool:
        ages = self._ages(patient)
        return ages is not None and ages[1] >= OLDER_PATIENT_AGE

    # --- diagnoses ---------------------------------------------------------------------------

    def _of_encounter(self, resource: Resource) -> bool:
        return same_target(resource.get("encounter"), self.encounter) or any(
            same_target(r, ref_of(resource)) for r in self.diagnosis_refs
        )

    def _is_encounter_diagnosis(self, condition: Resource) -> bool:
        # Named in Encounter.diagnosis, or of this encounter and not a problem-list item.
        if any(same_target(r, ref_of(condition)) for r in self.diagnosis_refs):
            return True
        categories = {c for _, c in _all_codings(condition.get("category"))}
        return self._of_encounter(condition) and "problem-list-item" not in categories

    def _diagnoses(self) -> tuple[Code, Resource] | None:
        for position, reference in enumerate(self.diagnosis_refs):
            if self.ctx.resolve(reference) is None and not any(
                same_target(reference, ref_of(c)) for c in self.ctx.conditions
            ):
                self._missing(
                    "a diagnosis of the encounter is not in the record: include the Condition",
                    f"Encounter.diagnosis[{position}]",
                    "diagnosis-not-in-record",
                )
        low_back_pain: list[tuple[Code, Resource]] = []
        refuted = False
        for condition in self.ctx.conditions:
            if not self._is_encounter_diagnosis(condition):
                continue
            where = f"Condition/{condition.get('id')}"
            hit = LOW_BACK_PAIN_CODES.first_match(condition.get("code"))
            if not holds(condition):
                refuted = refuted or hit is not None
                continue
            if not list(codings(condition.get("code"))):
                continue  # said by _uncoded_conditions
            if hit is not None:
                low_back_pain.append((hit[2][1], condition))
            elif RED_FLAG_CODES.first_match(condition.get("code")) is None:
                name = concept_name(condition.get("code"))
                if name:
                    self._off(
                        f"another diagnosis on this encounter: {name} (the letter could not "
                        "describe it)",
                        where,
                        "other-diagnosis",
                        name=name,
                    )
                else:  # coded, but neither a text nor a display names it
                    self._off(
                        "another diagnosis on this encounter, without a name (no code text or "
                        "display; the letter could not describe it)",
                        where,
                        "other-diagnosis-unnamed",
                    )
        if not low_back_pain:
            self._off(
                "the low back pain diagnosis on this encounter does not hold (refuted, entered in "
                "error or resolved)"
                if refuted
                else "no low back pain diagnosis on the encounter: a Condition of the encounter "
                "(Encounter.diagnosis) coded as low back pain is required; a complaint in "
                "Encounter.reasonCode is not a diagnosis",
                "Encounter.diagnosis",
                "diagnosis-not-holding" if refuted else "diagnosis-missing",
            )
            return None
        # A confirmed diagnosis first, else a working one.
        low_back_pain.sort(key=lambda pair: _verification(pair[1]) != _CONFIRMED)
        return low_back_pain[0]

    # --- the coded record --------------------------------------------------------------------

    def _coded_red_flags(self) -> None:
        # pathway.md: the coded record is screened too, and wins over the questionnaire.
        encounter = self.ctx.encounter
        for position, concept in enumerate(encounter.get("reasonCode") or []):
            self._red_flag_in(
                concept,
                "recorded as reason for the encounter",
                f"Encounter.reasonCode[{position}]",
                "red-flag-reason",
            )
        for condition in self.ctx.conditions:
            where = f"Condition/{condition.get('id')}"
            verification = _verification(condition)
            if verification in _NOT_HOLDING_VERIFICATION:
                continue
            if not list(codings(condition.get("code"))):
                self._missing(
                    "a Condition of the patient has no code (text only) and cannot be screened "
                    "for red flags: code it (SNOMED CT or ICD-10), or mark it entered-in-error",
                    where,
                    "condition-uncoded",
                )
                continue
            over = _clinical(condition) in _NOT_HOLDING_CLINICAL
            on_encounter = self._of_encounter(condition)
            whose = "on this encounter" if on_encounter else "on the patient"
            hit = RED_FLAG_CODES.first_match(condition.get("code"))
            if hit and over and hit[2][0] in _ANY_STATUS_RED_FLAGS:
                status = str(_clinical(condition))
                self._flag(
                    hit,
                    f"in the history ({status})",
                    where,
                    "red-flag-history",
                    clinical_status=status,
                )
            elif hit and not over:
                self._flag(
                    hit, whose, where, "red-flag-encounter" if on_encounter else "red-flag-patient"
                )
            for evidence in condition.get("evidence") or [] if not over else []:
                for concept in evidence.get("code") or []:
                    self._red_flag_in(
                        concept, "as evidence of a Condition", where, "red-flag-evidence"
                    )
        for observation in self.ctx.observations:
            if observation.get("status") in _VOID or not self._of_encounter(observation):
                continue
            self._observation(observation)

    def _red_flag_in(self, concept: object, context: str, where: str, finding: str) -> None:
        hit = RED_FLAG_CODES.first_match(concept)
        if hit:
            self._flag(hit, context, where, finding)

    def _flag(
        self,
        hit: tuple[str, str, tuple[str, Code]],
        context: str,
        where: str,
        finding: str,
        **params: FindingValue,
    ) -> None:
        _, code, (item, listed) = hit
        self._off(
            f"{RED_FLAG_LABELS[item]} {context} ({listed.display}, {code})",
            where,
            finding,
            red_flag=item,
            display=listed.display,
            matched_code=code,
            **params,
        )

    def _observation(self, observation: Resource) -> None:
        where = f"Observation/{observation.get('id')}"
        self._red_flag_in(
            observation.get("valueCodeableConcept"),
            "observed on this encounter",
            where,
            "red-flag-observation",
        )
        # A temperature stands alone or as a component of a vital-signs panel (LOINC 85353-1).
        for measured in [observation, *(observation.get("component") or [])]:
            self._temperature(measured, where)

    def _temperature(self, measured: Resource, where: str) -> None:
        if not any(c in _TEMPERATURE_CODES for c in codings(measured.get("code"))):
            return
        quantity = measured.get("valueQuantity")
        if quantity is None:
            return  # no value (dataAbsentReason): no temperature to read
        celsius = _celsius(quantity)
        if celsius is None:
            self._missing(
                "a body temperature of the encounter has no readable value in UCUM Cel or "
                "[degF]: correct it or mark it entered-in-error",
                where,
                "temperature-unreadable",
            )
        elif celsius >= FEVER_CELSIUS:
            self._off(
                f"{RED_FLAG_LABELS['infection']}: body temperature {celsius:.1f} °C on this "
                f"encounter (fever from {FEVER_CELSIUS:.1f} °C)",
                where,
                "fever",
                red_flag="infection",
                celsius=celsius,
                fever_from=FEVER_CELSIUS,
            )

    # --- the physician's screening -----------------------------------------------------------

    def _screening(self) -> Screening | None:
        canonical = pathway().screening.canonical
        patient = ref_of(self.ctx.patient) if self.ctx.patient else None
        ours: list[Resource] = []
        elsewhere = 0
        for response in self.ctx.screenings:
            questionnaire = str(response.get("questionnaire") or "").split("|", 1)[0]
            if questionnaire != canonical or response.get("status") == "entered-in-error":
                continue
            subject_ok = patient is not None and same_target(response.get("subject"), patient)
            if subject_ok and same_target(response.get("encounter"), self.encounter):
                ours.append(response)
            else:
                elsewhere += 1
        where = "QuestionnaireResponse"
        done = [r for r in ours if r.get("status") in _SCREENING_DONE]
        # A red flag ticked counts whatever the screening's status (in progress, stopped): the
        # physician saw it; a completed all-clear screening does not undo it.
        for unfinished in (r for r in ours if r not in done):
            self._red_flags_ticked(unfinished, f"QuestionnaireResponse/{unfinished.get('id')}")
        if not done:
            params: dict[str, FindingValue] = {"questionnaire": canonical}
            if ours:
                status = str(ours[0].get("status"))
                why = "is not completed (status '" + status + "')"
                code = "screening-not-completed"
                params["status"] = status
            elif elsewhere:
                why = "in the record is of another encounter or patient"
                code = "screening-of-another-encounter"
            else:
                why = "is not documented"
                code = "screening-missing"
            self._missing(
                f"the red-flag screening of this encounter {why}: the physician documents it as "
                f"a completed QuestionnaireResponse to {canonical}, with subject, encounter, "
                "author (Practitioner) and authored, every item answered",
                where,
                code,
                **params,
            )
            return None
        checked = [s for s in (self._one_screening(r) for r in done) if s is not None]
        if len(checked) != len(done):
            return None
        # Every completed screening must be all clear (a contradictory record refuses, above);
        # the letter cites the latest.
        return max(checked, key=lambda s: s.authored)

    def _one_screening(self, response: Resource) -> Screening | None:
        where = f"QuestionnaireResponse/{response.get('id')}"
        answers: dict[str, list[object]] = {}
        for item in response.get("item") or []:
            link = item.get("linkId")
            values = [a.get("valueBoolean", a) for a in item.get("answer") or []]
            answers.setdefault(str(link), []).extend(values)
        expected = (*SCREENING_RED_FLAG_ITEMS, BROCHURE_GIVEN)
        unknown = sorted(set(answers) - set(expected))
        unanswered = [
            link
            for link in expected
            if len(answers.get(link, [])) != 1 or not isinstance(answers[link][0], bool)
        ]
        ok = True
        if unknown:
            self._missing(
                f"the red-flag screening has items the pathway does not know: {', '.join(unknown)}",
                where,
                "screening-unknown-items",
                link_ids=tuple(unknown),
            )
            ok = False
        if unanswered:
            self._missing(
                "the red-flag screening is incomplete: answer yes or no (one valueBoolean) to "
                + ", ".join(unanswered),
                where,
                "screening-incomplete",
                items=tuple(unanswered),
            )
            ok = False
        ok = not self._red_flags_ticked(response, where) and ok
        author = self._screener(response, where)
        authored = response.get("authored")
        when: datetime | None = None
        if isinstance(authored, str) and "T" in authored:
            when = parse_instant(authored, f"{where}.authored")
            start = self._visit_time()
            if start is not None and when < start:
                # The letter says when the physician screened: a screening of this encounter
                # dated before the visit contradicts the record (and red flags change).
                self._missing(
                    "the red-flag screening is dated before the visit started (authored before "
                    "Encounter.period.start): correct its time, or screen again",
                    f"{where}.authored",
                    "screening-before-visit",
                )
                ok = False
        else:
            self._missing(
                "the red-flag screening has no time (authored)",
                f"{where}.authored",
                "screening-no-time",
            )
        if not ok or author is None or when is None:
            return None
        return Screening(response, author, when, answers[BROCHURE_GIVEN] == [True])

    def _red_flags_ticked(self, response: Resource, where: str) -> bool:
        ticked = False
        for item in response.get("item") or []:
            link = item.get("linkId")
            yes = any(a.get("valueBoolean") is True for a in item.get("answer") or [])
            if link in SCREENING_RED_FLAG_ITEMS and yes:
                self._off(
                    f"{RED_FLAG_LABELS[link]} present according to the physician's "
                    "red-flag screening",
                    f"{where} item {link}",
                    "red-flag-screening",
                    red_flag=str(link),
                )
                ticked = True
        return ticked

    def _screener(self, response: Resource, where: str) -> Resource | None:
        reference = response.get("author")
        parsed = parse_reference(str((reference or {}).get("reference", "")))
        if parsed is None or parsed.resource_type not in ("Practitioner", "PractitionerRole"):
            self._missing(
                "the red-flag screening is not authored by a practitioner: its author must be "
                "the Practitioner who screened",
                f"{where}.author",
                "screening-author-not-practitioner",
            )
            return None
        author = self.ctx.resolve(reference)
        if author is not None and author.get("resourceType") == "PractitionerRole":
            author = self.ctx.resolve(author.get("practitioner"))
        if author is None or author.get("resourceType") != "Practitioner":
            self._missing(
                "the practitioner who screened is not in the record: include the Practitioner "
                "(the letter names who screened)",
                f"{where}.author",
                "screening-author-missing",
            )
            return None
        return author

    # --- what was done and prescribed --------------------------------------------------------

    def _tests(self) -> tuple[tuple[RecordItem, ...], bool]:
        items: list[RecordItem] = []
        no_imaging = True
        record = [
            *self.ctx.imaging_studies,
            *self.ctx.diagnostic_reports,
            *self.ctx.procedures,
        ]
        for resource in record:
            if resource.get("status") in _VOID or not self._of_encounter(resource):
                continue
            name, detail = _test_name(resource)
            where = f"{resource['resourceType']}/{resource.get('id')}"
            if name is None:
                self._missing(
                    "an examination of this encounter cannot be named (no code text or display, "
                    "no description): document what it was",
                    where,
                    "examination-unnamed",
                )
                continue
            items.append(RecordItem(resource, name, detail))
            lab = resource["resourceType"] == "DiagnosticReport" and any(
                coding in _LAB_CATEGORIES for coding in _all_codings(resource.get("category"))
            )
            # Anything but a laboratory report could be imaging: then the letter does not say
            # that none was done.
            no_imaging = no_imaging and lab
        return tuple(items), no_imaging

    def _prescriptions(self) -> tuple[RecordItem, ...]:
        items: list[RecordItem] = []
        for request in self.ctx.medication_requests:
            if request.get("status") in _VOID or not self._of_encounter(request):
                continue
            concept = request.get("medicationCodeableConcept")
            if concept is None:
                reference = request.get("medicationReference") or {}
                medication = self.ctx.resolve(reference)
                concept = (medication or {}).get("code")
                name = concept_name(concept) or (reference.get("display") or None)
            else:
                name = concept_name(concept)
            where = f"MedicationRequest/{request.get('id')}"
            if not name:
                self._missing(
                    "a prescription of this encounter does not name its medication: document "
                    "the medication's text or display",
                    where,
                    "prescription-unnamed",
                )
                continue
            dosage = "; ".join(
                str(d["text"]).strip()
                for d in request.get("dosageInstruction") or []
                if isinstance(d.get("text"), str) and d["text"].strip()
            )
            items.append(RecordItem(request, str(name), dosage or None))
        return tuple(items)


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _status(condition: Resource, element: str, system: str) -> str | None:
    for coding in (condition.get(element) or {}).get("coding") or []:
        if coding.get("system") == system:
            code = coding.get("code")
            return code if isinstance(code, str) else None
    return None


def _verification(condition: Resource) -> str | None:
    return _status(condition, "verificationStatus", CONDITION_VERIFICATION)


def _clinical(condition: Resource) -> str | None:
    return _status(condition, "clinicalStatus", CONDITION_CLINICAL)


def holds(condition: Resource) -> bool:
    """Whether a Condition counts: not refuted, not entered in error, not over."""
    return (
        _verification(condition) not in _NOT_HOLDING_VERIFICATION
        and _clinical(condition) not in _NOT_HOLDING_CLINICAL
    )


def _all_codings(concepts: object) -> Iterator[tuple[str, str]]:
    for concept in concepts if isinstance(concepts, list) else []:
        yield from codings(concept)


def _celsius(quantity: Resource) -> float | None:
    value, unit = quantity.get("value"), quantity.get("code")
    if not isinstance(value, int | float) or quantity.get("system") != _UCUM:
        return None
    if unit == "Cel":
        return float(value)
    if unit == "[degF]":
        return (float(value) - 32) * 5 / 9
    return None


def _test_name(resource: Resource) -> tuple[str | None, str | None]:
    """How the record names an ImagingStudy, DiagnosticReport or Procedure, and its conclusion."""
    rtype = resource["resourceType"]
    if rtype == "ImagingStudy":
        name = resource.get("description") if isinstance(resource.get("description"), str) else None
        for concept in resource.get("procedureCode") or []:
            name = name or concept_name(concept)
        return name, None
    name = concept_name(resource.get("code"))
    if rtype != "DiagnosticReport":
        return name, None
    conclusion = resource.get("conclusion")
    if not isinstance(conclusion, str) or not conclusion.strip():
        names = [concept_name(c) for c in resource.get("conclusionCode") or []]
        conclusion = "; ".join(n for n in names if n) or None
    return name, conclusion.strip() if conclusion else None


# Enough to say what to correct; a record with hundreds is named by its first ones.
_MAX_MODIFIER_FINDINGS = 10


def _modifier_extensions(resource: Resource) -> list[tuple[str, str]]:
    """(path, url) of each distinct modifier extension in a resource, contained ones included,
    in document order (iterative: a deeply nested resource cannot exhaust the stack)."""
    if not _has_modifier_extension(resource):  # the usual case, without building paths
        return []
    found: dict[str, str] = {}
    stack: list[tuple[Any, str]] = [(resource, str(resource.get("resourceType")))]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            for ext in node.get("modifierExtension") or []:
                url = ext.get("url") if isinstance(ext, dict) else None
                url = url[:200] if isinstance(url, str) else "(no url)"
                found.setdefault(url, f"{path}.modifierExtension")
            children = [
                (value, f"{path}.{key}")
                for key, value in node.items()
                if key != "modifierExtension" and isinstance(value, (dict, list))
            ]
            stack.extend(reversed(children))
        elif isinstance(node, list):
            stack.extend(
                (value, f"{path}[{i}]")
                for i, value in reversed(list(enumerate(node)))
                if isinstance(value, (dict, list))
            )
    return [(path, url) for url, path in found.items()]


def _has_modifier_extension(resource: Resource) -> bool:
    stack: list[Any] = [resource]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "modifierExtension" in node:
                return True
            stack.extend(v for v in node.values() if isinstance(v, (dict, list)))
        else:
            stack.extend(v for v in node if isinstance(v, (dict, list)))
    return False
