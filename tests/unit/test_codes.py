"""fhir_discharge/core/codes.py: the red-flag code sets and the other code lists hold together.

pathway.md, "The red-flag screening the physician documents": every item of the screening has a
code set and a label; a code belongs to one item; the pathway's own diagnosis is in no red-flag
set; the ValueSets published with the profiles are generated from these lists. The matcher below
is the one codes.py's comment specifies (ICD prefix and range match, SNOMED CT exact).
"""

from __future__ import annotations

import re

import pytest

from fhir_discharge.core import codes
from fhir_discharge.core.codes import (
    BODY_TEMPERATURE,
    FEVER_CELSIUS,
    FOLLOW_UP_CODES,
    ICD10,
    ICD10_CM,
    ICD_RANGE_CATEGORIES,
    LAB_REPORT_CATEGORIES,
    LOINC,
    LOW_BACK_PAIN,
    MEDICATION_CLASSES,
    NEGATIVE_VALUES,
    NSAID_CAUTION,
    NSAID_CAUTION_ATC,
    PREGNANCY,
    RED_FLAG_ITEMS,
    RED_FLAG_LABELS,
    RED_FLAGS,
    SNOMED,
    SRC_UNVERIFIED,
    V2_0074,
    Code,
)
from fhir_discharge.core.terminology import RED_FLAG_CODES

ICD_SYSTEMS = (ICD10, ICD10_CM)
# (system, code) pairs deliberately in two categories, with the reason in docs/terminology.md.
DOCUMENTED_SHARED: frozenset[tuple[str, str]] = frozenset()
# The only codes whose display could not be verified (docs/terminology.md says why they stay).
KNOWN_UNVERIFIED = {(SNOMED, "705121009")}


def _norm(code: str) -> str:
    return code.replace(".", "").strip().upper()


def icd_matches(listed: str, code: str) -> bool:
    """codes.py's ICD semantics: prefix match (dots ignored), or a range of 3-char categories."""
    if "-" in listed:
        start, end = listed.upper().split("-")
        return start <= _norm(code)[:3] <= end
    return _norm(code).startswith(_norm(listed))


def red_flags_of(system: str, code: str) -> set[str]:
    """The red-flag items a coded record element would raise."""
    found = set()
    for item, listed in RED_FLAGS.items():
        for c in listed:
            if system in ICD_SYSTEMS and c.system in ICD_SYSTEMS:
                if icd_matches(c.code, code):
                    found.add(item)
            elif (c.system, c.code) == (system, code.strip()):
                found.add(item)
    return found


def all_codes() -> list[Code]:
    singles = [
        codes.EMERGENCY,
        codes.ED_DISCHARGE_SUMMARY,
        codes.BROCHURE_TYPE,
        codes.BROCHURE_CATEGORY,
    ]
    return [
        *singles,
        *codes.SECTION_CODES.values(),
        *LOW_BACK_PAIN,
        *codes.CHRONIC_LOW_BACK_PAIN,
        *(c for listed in RED_FLAGS.values() for c in listed),
        *PREGNANCY,
        *(c for listed in NSAID_CAUTION.values() for c in listed),
        *(c for c, _ in MEDICATION_CLASSES),
        *NSAID_CAUTION_ATC,
        *NEGATIVE_VALUES,
        *BODY_TEMPERATURE,
        *LAB_REPORT_CATEGORIES,
        *codes.ADVICE_CODES.values(),
        *FOLLOW_UP_CODES.values(),
    ]


def test_every_screening_item_has_codes_and_a_label() -> None:
    assert RED_FLAG_ITEMS == (
        "malignancy",
        "fracture",
        "infection",
        "cauda-equina",
        "neurological-deficit",
        "radicular-pain",
        "other-serious-cause",
    )
    assert set(RED_FLAGS) == set(RED_FLAG_ITEMS) == set(RED_FLAG_LABELS)
    for item in RED_FLAG_ITEMS:
        assert RED_FLAG_LABELS[item].strip(), item
        systems = {c.system for c in RED_FLAGS[item]}
        # Every category can be recognised in SNOMED CT, WHO ICD-10 and ICD-10-CM records.
        assert systems == {SNOMED, ICD10, ICD10_CM}, item


def test_a_code_belongs_to_one_category_only() -> None:
    seen: dict[tuple[str, str], str] = {}
    for item, listed in RED_FLAGS.items():
        for c in listed:
            key = (c.system, c.code)
            assert key not in seen or key in DOCUMENTED_SHARED, f"{key}: {seen.get(key)} and {item}"
            seen[key] = item
        assert len({(c.system, c.code) for c in listed}) == len(listed), f"duplicate in {item}"


def test_no_icd_code_is_caught_by_another_categorys_code() -> None:
    """An ICD code, read as a record's code, raises its own category only."""
    for item, listed in RED_FLAGS.items():
        for c in listed:
            if c.system not in ICD_SYSTEMS:
                continue
            probes = ICD_RANGE_CATEGORIES[(c.system, c.code)] if "-" in c.code else (c.code,)
            for probe in probes:
                assert red_flags_of(c.system, probe) == {item}, (c.code, probe)


def test_every_code_has_a_display_and_a_source() -> None:
    for c in all_codes():
        assert c.system and c.code.strip() == c.code and c.code, c
        assert c.display.strip() == c.display and c.display, c
        assert c.source.strip(), c
        assert '"' not in c.display, f"{c.code}: a display must be FSH-safe"


def test_only_the_known_codes_are_unverified() -> None:
    unverified = {(c.system, c.code) for c in all_codes() if c.source == SRC_UNVERIFIED}
    assert unverified == KNOWN_UNVERIFIED


def test_the_pathway_diagnosis_is_no_red_flag() -> None:
    for c in LOW_BACK_PAIN:
        assert red_flags_of(c.system, c.code) == set(), c
        # Also as a sender may write it (M545, lower case).
        if c.system in ICD_SYSTEMS:
            assert red_flags_of(c.system, c.code.replace(".", "").lower()) == set(), c


def test_icd_ranges_are_well_formed() -> None:
    ranges = [
        (c.system, c.code)
        for listed in [*RED_FLAGS.values(), PREGNANCY]
        for c in listed
        if c.system in ICD_SYSTEMS and "-" in c.code
    ]
    assert sorted(ranges) == sorted(ICD_RANGE_CATEGORIES)
    for (system, code), categories in ICD_RANGE_CATEGORIES.items():
        start, end = code.split("-")
        assert re.fullmatch(r"[A-Z]\d\d", start) and re.fullmatch(r"[A-Z]\d\d", end), code
        assert categories[0] == start and categories[-1] == end, code
        assert len(set(categories)) == len(categories), code
        assert all(start <= cat <= end and len(cat) == 3 for cat in categories), code
    # ICD-10-CM's letter-suffixed categories fall inside C00-C96 by string order.
    assert {"C4A", "C7A", "C7B"} <= set(ICD_RANGE_CATEGORIES[(ICD10_CM, "C00-C96")])


# Records that got a letter saying "no red flags" before these lists existed.
MUST_CATCH = [
    ("malignancy", ICD10, "C61"),  # prostate cancer
    ("malignancy", ICD10, "C50.9"),  # breast cancer
    ("malignancy", ICD10, "C90.0"),  # multiple myeloma
    ("malignancy", ICD10, "C79.5"),  # bone metastases
    ("malignancy", ICD10, "Z85.3"),  # history of breast cancer
    ("malignancy", ICD10, "R63.4"),  # abnormal weight loss
    ("malignancy", ICD10_CM, "C7B.03"),  # secondary carcinoid tumour of bone
    ("malignancy", ICD10_CM, "Z85.46"),  # history of prostate cancer
    ("malignancy", SNOMED, "94602001"),  # metastasis to vertebral column
    ("malignancy", SNOMED, "448765001"),  # unintentional weight loss
    ("malignancy", SNOMED, "428262008"),  # history of prostate cancer
    ("fracture", ICD10, "S32.0"),
    ("fracture", ICD10, "S22.0"),
    ("fracture", ICD10, "T08"),
    ("fracture", ICD10, "M80.08"),
    ("fracture", ICD10, "M48.56"),
    ("fracture", ICD10_CM, "S32.009A"),
    ("fracture", ICD10_CM, "S12.000A"),
    ("fracture", ICD10_CM, "Z79.52"),
    ("fracture", SNOMED, "274146004"),
    ("fracture", SNOMED, "64859006"),
    ("infection", ICD10, "R50.9"),
    ("infection", ICD10, "M46.46"),
    ("infection", ICD10, "G06.1"),
    ("infection", ICD10, "A18.0"),
    ("infection", ICD10, "B24"),
    ("infection", ICD10, "D84.9"),
    ("infection", ICD10_CM, "A18.01"),
    ("infection", ICD10_CM, "Z79.69"),
    ("infection", SNOMED, "386661006"),
    ("infection", SNOMED, "228388006"),
    ("cauda-equina", ICD10, "G83.4"),
    ("cauda-equina", ICD10, "R33"),
    ("cauda-equina", ICD10, "R15"),
    ("cauda-equina", ICD10, "N48.4"),
    ("cauda-equina", ICD10_CM, "R39.14"),
    ("cauda-equina", ICD10_CM, "N52.9"),
    ("cauda-equina", SNOMED, "860914002"),
    ("cauda-equina", SNOMED, "705121009"),
    ("neurological-deficit", ICD10, "G82.2"),
    ("neurological-deficit", ICD10, "M21.37"),
    ("neurological-deficit", ICD10_CM, "M21.371"),
    ("neurological-deficit", SNOMED, "102568007"),
    ("radicular-pain", ICD10, "M54.16"),
    ("radicular-pain", ICD10, "M51.1"),
    ("radicular-pain", ICD10_CM, "M51.16"),
    ("radicular-pain", ICD10_CM, "M54.41"),
    ("radicular-pain", SNOMED, "23056005"),
    ("other-serious-cause", ICD10, "I71.4"),
    ("other-serious-cause", ICD10, "I71.0"),
    ("other-serious-cause", ICD10, "N23"),
    ("other-serious-cause", ICD10, "M45.6"),
    ("other-serious-cause", ICD10_CM, "M45.A6"),
    ("other-serious-cause", SNOMED, "233985008"),
]


@pytest.mark.parametrize(("item", "system", "code"), MUST_CATCH)
def test_known_red_flag_records_are_caught(item: str, system: str, code: str) -> None:
    assert red_flags_of(system, code) == {item}  # by this file's own reading of the lists
    hit = RED_FLAG_CODES.match(system, code)  # by the gate's matcher (terminology.py)
    assert hit is not None and hit[0] == item


def test_body_temperature_codes() -> None:
    assert FEVER_CELSIUS == 38.0
    assert {c.system for c in BODY_TEMPERATURE} == {LOINC, SNOMED}
    found = {c.code for c in BODY_TEMPERATURE}
    # The generic code and the site-specific ones a thermometer in the ED produces.
    assert {"8310-5", "8331-1", "8332-9", "8328-7", "8333-7", "8329-5"} <= found
    assert len(found) == len(BODY_TEMPERATURE)


def test_report_categories() -> None:
    lab = {(c.system, c.code) for c in LAB_REPORT_CATEGORIES}
    assert {(V2_0074, "LAB"), (V2_0074, "HM"), (V2_0074, "CH")} <= lab
    # An imaging report is never read as a laboratory one (it is an examination the letter names).
    imaging = {"RAD", "IMG", "RX", "CT", "NMR", "RUS", "MR", "US"}
    assert not {(V2_0074, code) for code in imaging} & lab


def test_follow_up_codes_do_not_claim_a_referral() -> None:
    assert set(FOLLOW_UP_CODES) == {"one-week", "six-weeks"}
    for code in FOLLOW_UP_CODES.values():
        assert "referral" not in code.display.lower(), code


def test_the_generated_valueset_fsh_is_up_to_date(tmp_path) -> None:
    from scripts.generate_fsh import VALUESETS, valueset_fsh

    fresh = tmp_path / "valuesets.fsh"
    fresh.write_text(valueset_fsh(), encoding="utf-8")
    assert VALUESETS.read_text(encoding="utf-8") == fresh.read_text(encoding="utf-8"), (
        "run: .venv/bin/python scripts/generate_fsh.py (then the profiles are rebuilt)"
    )


def test_the_generated_valuesets_hold_every_red_flag_code() -> None:
    from scripts.generate_fsh import valueset_fsh, valueset_id

    text = valueset_fsh()
    assert "Id: lbp-exclusion\n" in text
    for item in RED_FLAG_ITEMS:
        block = text.split(f"Id: {valueset_id(item)}\n", 1)[1].split("\nValueSet: ", 1)[0]
        for c in RED_FLAGS[item]:
            if "-" in c.code and c.system in ICD_SYSTEMS:
                for cat in ICD_RANGE_CATEGORIES[(c.system, c.code)]:
                    assert f"#{cat}\n" in block + "\n", (item, cat)
            elif c.system == SNOMED:  # the concept and its descendants, its display beside
                assert f"where concept is-a #{c.code}\n" in block + "\n", (item, c.code)
                assert f'// {c.code} "{c.display}" and its descendants' in block, (item, c.code)
            else:
                assert f'#{c.code} "{c.display}"' in block, (item, c.code)


def test_the_other_code_lists_hold_together() -> None:
    """Pregnancy, the NSAID-caution reasons and the medication classes (pathway.md, "Who, when,
    what is given", "Medication as evidence"): no code is also a red flag or the diagnosis, and
    each medication class names screening items."""
    others = [*PREGNANCY, *(c for listed in NSAID_CAUTION.values() for c in listed)]
    for c in others:
        assert red_flags_of(c.system, c.code.split("-")[0]) == set(), c
    diagnosis = {(c.system, c.code) for c in LOW_BACK_PAIN}
    assert not diagnosis & {(c.system, c.code) for c in others}
    assert set(NSAID_CAUTION) == set(codes.NSAID_CAUTION_REASONS) - {"older-patient"}
    for atc, items in MEDICATION_CLASSES:
        assert atc.system == codes.ATC and set(items) <= set(RED_FLAG_ITEMS), atc
    assert [c.code for c in NSAID_CAUTION_ATC] == ["B01A"]
    # The diagnosis is the pathway's, never widened: ICD-10-CM M54.51 (vertebrogenic) is out.
    assert ("http://hl7.org/fhir/sid/icd-10-cm", "M54.51") not in diagnosis


@pytest.mark.parametrize(
    ("system", "code"),
    [
        ("urn:oid:2.16.840.1.113883.6.3", "C61"),
        ("urn:oid:2.16.840.1.113883.6.90", "C61"),
        ("urn:oid:2.16.840.1.113883.6.96", "399068003"),
        ("https://snomed.info/sct/", "399068003"),
    ],
)
def test_a_code_system_named_by_its_oid_is_read_as_its_uri(system: str, code: str) -> None:
    hit = RED_FLAG_CODES.match(system, code)
    assert hit is not None and hit[0] == "malignancy"
