"""Every code the module reads or writes, in one place, each with its display and where it was verified.

The eligibility gate reads LOW_BACK_PAIN and EXCLUSIONS; the builders read the rest. Displays are
the code system's own (LOINC long common name / SNOMED CT preferred term / ICD-10 title), because
receiving systems compare them. See docs/terminology.md for the verification notes.
"""

from __future__ import annotations

from dataclasses import dataclass

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
ICD10_CM = "http://hl7.org/fhir/sid/icd-10-cm"
V3_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
V3_PARTICIPATION_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
SYSTEM_NAMES = {LOINC: "LOINC", SNOMED: "SNOMED CT", ICD10: "ICD-10", ICD10_CM: "ICD-10-CM"}


@dataclass(frozen=True)
class Code:
    system: str
    code: str
    display: str
    source: str  # where the display was verified

    @property
    def label(self) -> str:
        """'SNOMED CT 279039007': how a letter cites the code, whatever its language."""
        return f"{SYSTEM_NAMES.get(self.system, self.system)} {self.code}"

    def coding(self) -> dict[str, str]:
        return {"system": self.system, "code": self.code, "display": self.display}

    def concept(self, text: str | None = None) -> dict[str, object]:
        concept: dict[str, object] = {"coding": [self.coding()]}
        if text is not None:
            concept["text"] = text
        return concept


def _loinc(code: str, display: str) -> Code:
    return Code(LOINC, code, display, f"https://loinc.org/{code}")


def _sct(code: str, display: str) -> Code:
    return Code(SNOMED, code, display, f"https://browser.ihtsdotools.org/?conceptId1={code}")


def _icd10(code: str, display: str) -> Code:
    return Code(ICD10, code, display, f"https://icd.who.int/browse10/2019/en#/{code}")


def _icd10cm(code: str, display: str) -> Code:
    return Code(ICD10_CM, code, display, f"https://www.icd10data.com/search?s={code}")


# Encounter.class of an emergency department visit.
EMERGENCY = Code(
    V3_ACT_CODE, "EMER", "emergency", "https://terminology.hl7.org/CodeSystem-v3-ActCode.html"
)

# Composition.type: the GP letter.
ED_DISCHARGE_SUMMARY = _loinc("59258-4", "Emergency department Discharge summary")

# Composition.section.code, keyed by the section's role in the letter.
SECTION_CODES: dict[str, Code] = {
    "reason": _loinc("29299-5", "Reason for visit Narrative"),
    "assessment": _loinc("51848-0", "Evaluation note"),
    "imaging": _loinc("18748-4", "Diagnostic imaging study"),
    "advice": _loinc("69730-0", "Instructions"),
    "medication": _loinc("10183-2", "Hospital discharge medications Narrative"),
    "follow-up": _loinc("18776-5", "Plan of care note"),
    "safety-net": _loinc("8653-8", "Hospital Discharge instructions"),
    "patient-info": _loinc("34895-3", "Education note"),
    "care-plan": _loinc("18776-5", "Plan of care note"),
}

# DocumentReference.type / category of the patient brochure.
BROCHURE_TYPE = _loinc("34895-3", "Education note")
BROCHURE_CATEGORY = _loinc("34895-3", "Education note")

# The diagnosis that puts an ED encounter on the pathway (pathway.md: "Who the pathway is for").
LOW_BACK_PAIN: tuple[Code, ...] = (
    _sct("279039007", "Low back pain"),
    _sct("278862001", "Acute low back pain"),
    _icd10("M54.5", "Low back pain"),
    _icd10cm("M54.50", "Low back pain, unspecified"),
    _icd10cm("M54.59", "Other low back pain"),
)

# What takes a patient off the pathway (pathway.md: red flags, radicular pain), keyed by the
# kind named in the refusal.
EXCLUSIONS: dict[str, tuple[Code, ...]] = {
    "radicular pain": (
        _sct("23056005", "Sciatica"),
        _sct("72274001", "Radiculopathy"),
        _icd10("M54.1", "Radiculopathy"),
        _icd10("M54.3", "Sciatica"),
        _icd10("M54.4", "Lumbago with sciatica"),
    ),
    "cauda equina syndrome": (
        _sct("192970008", "Cauda equina syndrome"),
        _icd10("G83.4", "Cauda equina syndrome"),
    ),
    "leg weakness": (_sct("309249007", "Weakness of leg"),),
    "saddle anaesthesia": (_sct("705121009", "Saddle anesthesia"),),
    "bladder dysfunction": (
        _sct("267064002", "Retention of urine"),
        _sct("165232002", "Urinary incontinence"),
        _icd10("R33", "Retention of urine"),
        _icd10("R32", "Unspecified urinary incontinence"),
    ),
    "bowel dysfunction": (
        _sct("72042002", "Incontinence of feces"),
        _icd10("R15", "Faecal incontinence"),
    ),
    "erectile dysfunction": (_sct("860914002", "Erectile dysfunction"),),
    "suspected fracture": (
        _sct("207957008", "Fracture of lumbar spine"),
        _icd10("S32.0", "Fracture of lumbar vertebra"),
    ),
    "suspected tumour": (
        _icd10("C41.2", "Malignant neoplasm: Vertebral column"),
        _icd10("C79.5", "Secondary malignant neoplasm of bone and bone marrow"),
    ),
}

# CarePlan.activity.detail.code for the advice items of pathway.md, keyed like phrases.ADVICE_KEYS;
# an item without a fitting, verified code stays uncoded (described in Dutch only).
ADVICE_CODES: dict[str, Code] = {}
