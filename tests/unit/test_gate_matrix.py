"""The main proof of the gate's scan: generated, not hand-written (issue 17, pathway.md "Reading
the whole record").

Every code of codes.py (every red flag, pregnancy, every NSAID-caution reason, every medication
class), in every placement of tests/support/placements.py (which covers every position of the
scan), in every form the spec allows (the system by URI or by OID; an ICD code with or without
its dot, a code below a listed one; an ATC class by a substance below it; a SNOMED CT concept a
terminology server placed below a red flag), gives the right answer: a red flag or a pregnancy
refuses with the right finding at the right place; an NSAID-caution reason gives a letter with
the caution. The same facts negated (refuted, entered in error, a value of absent or negative,
of another time) give a letter, except a history of cancer. Ordinary records (comorbidities,
usual home medication, normal vital signs in every value form) give a letter.

A new code in codes.py, or a new position of the scan, is covered by construction. Each test
loops over its cases and reports every case that failed, by name.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from typing import Any

import pytest

from fhir_discharge import DischargeError, IncompleteRecord, NotOnPathway, context_from_bundle
from fhir_discharge.core import codes
from fhir_discharge.core.codes import (
    ATC,
    ICD10,
    ICD10_CM,
    ICD_RANGE_CATEGORIES,
    LOINC,
    MEDICATION_CLASSES,
    NSAID_CAUTION,
    NSAID_CAUTION_ATC,
    PREGNANCY,
    RED_FLAGS,
    SNOMED,
    Code,
)
from fhir_discharge.core.gate import Eligibility, check_eligibility
from fhir_discharge.core.gate.record_scan import POSITIONS
from fhir_discharge.core.record import context as context_module
from tests.support.factories import add, clinical, happy_bundle
from tests.support.placements import LONG_AGO, PLACEMENTS, Placement
from tests.support.site import SITE

Coding = dict[str, str]
HAPPY = happy_bundle()
_HAPPY_JSON = json.dumps(HAPPY)
_OIDS = {uri: f"urn:oid:{oid}" for oid, uri in codes.SYSTEM_OIDS.items()}


@pytest.fixture(autouse=True)
def _structure_checked_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each placement's shape is proven valid FHIR R4 once (the test below it, with the real
    check); the tens of thousands of records that differ from those only by a code skip the R4B
    models (~3 ms a record), so the matrix runs in seconds."""
    monkeypatch.setattr(context_module, "check_structure", lambda resource, where: resource)


def _run(change: Callable[[dict[str, Any]], str | None]) -> tuple[Any, str | None]:
    """The gate's answer (an Eligibility or the refusal) for the example record changed by
    `change`, and what `change` said the finding's expression would be."""
    bundle = json.loads(_HAPPY_JSON)
    where = change(bundle)
    try:
        return check_eligibility(context_from_bundle(bundle), SITE.pathway), where
    except DischargeError as error:
        return error, where


def _report(failures: list[str], total: int) -> None:
    assert not failures, f"{len(failures)} of {total} cases wrong; first ones:\n" + "\n".join(
        failures[:25]
    )


def _findings(answer: Any) -> list[Any]:
    return list(answer.findings) if isinstance(answer, NotOnPathway | IncompleteRecord) else []


# --- the codes, and the forms a record may write them in ---------------------------------------


def _coding(system: str, code: str) -> Coding:
    return {"system": system, "code": code}


def _listed_form(code: Code) -> Coding:
    """A code of codes.py as a record writes it (an ICD range by its first category)."""
    if code.system in (ICD10, ICD10_CM) and "-" in code.code:
        return _coding(code.system, ICD_RANGE_CATEGORIES[(code.system, code.code)][0])
    return _coding(code.system, code.code)


def _forms(code: Code) -> Iterator[tuple[str, Coding]]:
    """Every other form the spec allows for the same code (pathway.md: code systems by URI or
    OID; ICD hierarchies widen red flags; ATC by prefix)."""
    listed = _listed_form(code)
    if code.system in _OIDS:
        yield "by OID", {**listed, "system": _OIDS[code.system]}
    if code.system in (ICD10, ICD10_CM):
        yield (
            "without its dot, lower case",
            {**listed, "code": listed["code"].replace(".", "").lower()},
        )
        child = listed["code"] + ("9" if "." in listed["code"] else ".9")
        yield "a code below it", {**listed, "code": child}
        yield (
            "in the other ICD system",
            {**listed, "system": ICD10_CM if code.system == ICD10 else ICD10},
        )
        if "-" in code.code:
            last = ICD_RANGE_CATEGORIES[(code.system, code.code)][-1]
            yield "the range's last category", {**listed, "code": last}
    if code.system == ATC:
        yield "a substance of the class", {**listed, "code": _atc_substance(code.code)}


def _atc_substance(atc: str) -> str:
    # A fifth-level code below a class: L01 -> L01AA01, L04A -> L04AA01, H02AB -> H02AB01.
    return atc + {3: "AA01", 4: "A01", 5: "01"}.get(len(atc), "")


RED_FLAG_CODES = [(item, code) for item, listed in RED_FLAGS.items() for code in listed]
MEDICATION_CLASS_CODES = [(items, code) for code, items in MEDICATION_CLASSES]
NSAID_CODES = [
    *((reason, code) for reason, listed in NSAID_CAUTION.items() for code in listed),
    *(("anticoagulant", code) for code in NSAID_CAUTION_ATC),
]


def _id(code: Code) -> str:
    return f"{code.system.rsplit('/', 1)[-1]} {code.code}"


def _refused_with(answer: Any, where: str | None, finding: str, red_flag: str | None) -> bool:
    return any(
        f.expression == where
        and f.code == finding
        and (red_flag is None or f.params.get("red_flag") == red_flag)
        for f in _findings(answer)
    )


# --- every position is placed ------------------------------------------------------------------


def test_every_position_of_the_scan_has_a_placement() -> None:
    placed = {position for p in PLACEMENTS for position in p.positions}
    assert placed == set(POSITIONS), (
        f"positions without a placement: {sorted(set(POSITIONS) - placed)}; "
        f"placements of no position: {sorted(placed - set(POSITIONS))}"
    )


def test_every_placement_is_a_valid_record_the_gate_reads() -> None:
    # Each placement with a red flag, a benign code and a medication class: the record stays
    # valid FHIR R4 by the real structure check (not the fixture's), and the gate reaches a
    # verdict (no crash).
    from fhir_discharge.core.record.context import check_with_models

    for coding in (_coding(SNOMED, "38341003"), _coding(ICD10, "C61"), _coding(ATC, "H02AB06")):
        for placement in PLACEMENTS:
            bundle = copy.deepcopy(HAPPY)
            placement.put(bundle, coding)
            check_with_models(bundle, "record")  # R4B: refuses an invalid record (400)
            answer, _ = _run(lambda b, p=placement, c=coding: p.put(b, c))
            assert isinstance(answer, Eligibility | NotOnPathway | IncompleteRecord), placement.name


# --- red flags: every code, every placement, every form ------------------------------------------


def _red_flag_cases() -> Iterator[tuple[str, str, Placement, Coding]]:
    for item, code in RED_FLAG_CODES:
        for placement in PLACEMENTS:
            yield f"{item} {_id(code)} in {placement.name}", item, placement, _listed_form(code)
        for form, coding in _forms(code):
            for placement in (PLACEMENTS[1], PLACEMENTS[6], PLACEMENTS[18]):
                name = f"{item} {_id(code)} {form} in {placement.name}"
                yield name, item, placement, coding


@pytest.mark.slow
def test_every_red_flag_code_in_every_placement_and_form_refuses_naming_it() -> None:
    failures, total = [], 0
    for name, item, placement, coding in _red_flag_cases():
        total += 1
        answer, where = _run(lambda b, p=placement, c=coding: p.put(b, c))
        if not _refused_with(answer, where, placement.finding, item):
            failures.append(f"{name}: {_said(answer)}")
    _report(failures, total)
    assert total > 5000


def test_every_medication_class_refuses_for_each_of_its_items_in_every_placement() -> None:
    failures, total = [], 0
    for items, code in MEDICATION_CLASS_CODES:
        forms = [("as listed", _listed_form(code)), *_forms(code)]
        for form, coding in forms:
            for placement in PLACEMENTS:
                total += 1
                answer, where = _run(lambda b, p=placement, c=coding: p.put(b, c))
                for item in items:
                    if not _refused_with(answer, where, placement.finding, item):
                        failures.append(
                            f"{_id(code)} {form} in {placement.name}, {item}: {_said(answer)}"
                        )
    _report(failures, total)


def test_a_snomed_concept_a_terminology_server_placed_below_a_red_flag_refuses_everywhere() -> None:
    # No code list holds it; the I/O layer's terminology server said what it is below.
    unlisted = "999999991000119101"
    failures, total = [], 0
    for item in RED_FLAGS:
        for system in (SNOMED, _OIDS[SNOMED]):
            for placement in PLACEMENTS:
                total += 1
                bundle = json.loads(_HAPPY_JSON)
                where = placement.put(bundle, _coding(system, unlisted))
                ctx = replace(
                    context_from_bundle(bundle),
                    red_flags_by_terminology_server={(SNOMED, unlisted): item},
                )
                try:
                    answer: Any = check_eligibility(ctx, SITE.pathway)
                except DischargeError as error:
                    answer = error
                if not _refused_with(answer, where, placement.finding, item):
                    failures.append(f"{item} by {system} in {placement.name}: {_said(answer)}")
    _report(failures, total)


# --- pregnancy and the NSAID caution -----------------------------------------------------------


def test_every_pregnancy_code_in_every_placement_refuses() -> None:
    failures, total = [], 0
    for code in PREGNANCY:
        for form, coding in [("as listed", _listed_form(code)), *_forms(code)]:
            for placement in PLACEMENTS:
                total += 1
                answer, where = _run(lambda b, p=placement, c=coding: p.put(b, c))
                if not _refused_with(answer, where, "pregnancy", None):
                    failures.append(f"{_id(code)} {form} in {placement.name}: {_said(answer)}")
    _report(failures, total)


def test_every_nsaid_caution_code_gives_a_letter_with_the_caution() -> None:
    failures, total = [], 0
    for reason, code in NSAID_CODES:
        for form, coding in [("as listed", _listed_form(code)), *_forms(code)]:
            for placement in PLACEMENTS:
                if placement.diagnosis:
                    continue  # another diagnosis of the visit refuses
                total += 1
                answer, _ = _run(lambda b, p=placement, c=coding: p.put(b, c))
                if not isinstance(answer, Eligibility) or reason not in answer.nsaid_caution:
                    failures.append(
                        f"{reason} {_id(code)} {form} in {placement.name}: {_said(answer)}"
                    )
                elif not any("NSAIDs carry more risk" in str(w) for w in answer.warnings):
                    failures.append(f"{reason} {_id(code)} in {placement.name}: no warning")
    _report(failures, total)


# --- the same facts, negated --------------------------------------------------------------------


def _negations() -> Iterator[tuple[str, Callable[[dict[str, Any], Coding], str]]]:
    """Each way the record says a fact does not hold (pathway.md; gate/record.py Holding)."""
    problem = PLACEMENTS[1]

    def condition(verification: str | None = None, clinical_status: str | None = None):
        def put(bundle: dict[str, Any], coding: Coding) -> str:
            where = problem.put(bundle, coding)
            placed = bundle["entry"][-1]["resource"]
            if verification:
                placed["verificationStatus"]["coding"][0]["code"] = verification
            if clinical_status:
                placed["clinicalStatus"]["coding"][0]["code"] = clinical_status
            return where

        return put

    def observation(**fields: Any):
        def put(bundle: dict[str, Any], coding: Coding) -> str:
            observation = clinical(
                "Observation",
                "placed",
                status="final",
                code={"coding": [coding]},
                **fields,
            )
            add(bundle, observation)
            return "Observation/placed"

        return put

    def of_status(placement: Placement, status: str):
        def put(bundle: dict[str, Any], coding: Coding) -> str:
            where = placement.put(bundle, coding)
            bundle["entry"][-1]["resource"]["status"] = status
            return where

        return put

    yield "a refuted problem", condition(verification="refuted")
    yield "a problem entered in error", condition(verification="entered-in-error")
    yield "a finding answered false", observation(valueBoolean=False)
    absent = {"coding": [{"system": SNOMED, "code": "2667000"}]}
    yield "a finding valued absent", observation(valueCodeableConcept=absent)
    yield "a finding valued 'afwezig'", observation(valueString="afwezig")
    negative = {"coding": [{"system": codes.V3_OBSERVATION_INTERPRETATION, "code": "NEG"}]}
    yield "a finding interpreted negative", observation(interpretation=[negative])
    yield "a finding entered in error", of_status(PLACEMENTS[6], "entered-in-error")
    yield "a report cancelled", of_status(PLACEMENTS[14], "cancelled")
    yield "a procedure not done", of_status(PLACEMENTS[15], "not-done")
    yield "home medication not taken", of_status(PLACEMENTS[18], "not-taken")


def _of_another_time() -> Iterator[tuple[str, Callable[[dict[str, Any], Coding], str]]]:
    """Over: it held once (pathway.md: only a history of cancer counts whatever its status)."""
    problem = PLACEMENTS[1]

    def resolved(bundle: dict[str, Any], coding: Coding) -> str:
        where = problem.put(bundle, coding)
        bundle["entry"][-1]["resource"]["clinicalStatus"]["coding"][0]["code"] = "resolved"
        return where

    def earlier_finding(bundle: dict[str, Any], coding: Coding) -> str:
        observation = clinical(
            "Observation",
            "placed",
            status="final",
            code={"coding": [coding]},
            effectiveDateTime=LONG_AGO,
            encounter={"reference": "Encounter/earlier-visit"},
        )
        add(bundle, observation)
        return "Observation/placed"

    yield "a resolved problem", resolved
    yield "a finding of another visit", earlier_finding


def test_a_negated_red_flag_gives_a_letter_in_every_form_of_negation() -> None:
    failures, total = [], 0
    for item, code in RED_FLAG_CODES:
        for how, put in _negations():
            total += 1
            answer, _ = _run(lambda b, p=put, c=_listed_form(code): p(b, c))
            if not isinstance(answer, Eligibility):
                failures.append(f"{item} {_id(code)}, {how}: {_said(answer)}")
    _report(failures, total)


def test_a_red_flag_of_another_time_counts_only_for_a_history_of_cancer() -> None:
    failures, total = [], 0
    for item, code in RED_FLAG_CODES:
        for how, put in _of_another_time():
            total += 1
            answer, _ = _run(lambda b, p=put, c=_listed_form(code): p(b, c))
            cancer = item == "malignancy"
            refused = any(f.params.get("red_flag") == item for f in _findings(answer))
            if cancer != refused or (not cancer and not isinstance(answer, Eligibility)):
                failures.append(f"{item} {_id(code)}, {how}: {_said(answer)}")
    _report(failures, total)


# --- ordinary records get a letter -------------------------------------------------------------

# Comorbidities and findings of an ordinary ED patient (SNOMED CT, ICD-10, ICD-10-CM, LOINC).
BENIGN_FINDINGS = [
    _coding(SNOMED, "38341003"),  # hypertensive disorder
    _coding(SNOMED, "44054006"),  # diabetes mellitus type 2
    _coding(SNOMED, "55822004"),  # hyperlipidemia
    _coding(SNOMED, "195967001"),  # asthma
    _coding(SNOMED, "40930008"),  # hypothyroidism
    _coding(SNOMED, "235595009"),  # gastroesophageal reflux disease
    _coding(SNOMED, "239873007"),  # osteoarthritis of knee
    _coding(SNOMED, "35489007"),  # depressive disorder
    _coding(ICD10, "I10"),
    _coding(ICD10, "E11.9"),
    _coding(ICD10_CM, "E78.5"),
    _coding(ICD10_CM, "J45.909"),
    _coding(ICD10, "E03.9"),
    _coding(ICD10, "K21.9"),
    _coding(_OIDS[ICD10], "M17.1"),
    _coding(_OIDS[SNOMED], "38341003"),
    _coding(LOINC, "8867-4"),  # heart rate
    _coding(LOINC, "2160-0"),  # creatinine
]
# The usual home medication, by ATC (with SNOMED CT beside it where a record has both).
BENIGN_MEDICATION = [
    _coding(ATC, "C10AA05"),  # atorvastatin
    _coding(ATC, "C10AA01"),  # simvastatin
    _coding(ATC, "C09AA02"),  # enalapril
    _coding(ATC, "C07AB02"),  # metoprolol
    _coding(ATC, "C08CA01"),  # amlodipine
    _coding(ATC, "C03CA01"),  # furosemide
    _coding(ATC, "N02BE01"),  # paracetamol
    _coding(ATC, "A10BA02"),  # metformin
    _coding(ATC, "H03AA01"),  # levothyroxine
    _coding(ATC, "A02BC01"),  # omeprazole
    _coding(ATC, "R03AC02"),  # salbutamol
    _coding(ATC, "R03BA02"),  # budesonide, inhaled (not systemic)
    _coding(ATC, "D07AC01"),  # betamethasone cream (not systemic)
    _coding(ATC, "M01AE01"),  # ibuprofen
    _coding(ATC, "N02AX02"),  # tramadol
    _coding(_OIDS[ATC], "C09AA05"),  # ramipril, by OID
]


def test_ordinary_comorbidities_and_findings_in_every_placement_give_a_letter() -> None:
    failures, total = [], 0
    for coding in BENIGN_FINDINGS:
        for placement in PLACEMENTS:
            if placement.diagnosis:
                continue  # another diagnosis of the visit refuses
            total += 1
            answer, _ = _run(lambda b, p=placement, c=coding: p.put(b, c))
            if not isinstance(answer, Eligibility) or answer.nsaid_caution:
                failures.append(f"{coding} in {placement.name}: {_said(answer)}")
    _report(failures, total)


def test_the_usual_home_medication_gives_a_letter_and_is_never_listed_as_prescribed() -> None:
    failures, total = [], 0
    medication = [p for p in PLACEMENTS if "MedicationStatement.medication" in p.positions]
    medication += [p for p in PLACEMENTS if p.home_medication and p not in medication]
    for coding in BENIGN_MEDICATION:
        for placement in medication:
            total += 1
            answer, _ = _run(lambda b, p=placement, c=coding: p.put(b, c))
            if not isinstance(answer, Eligibility) or answer.nsaid_caution:
                failures.append(f"{coding} in {placement.name}: {_said(answer)}")
            elif answer.prescriptions:
                failures.append(f"{coding} in {placement.name}: listed as prescribed")
    _report(failures, total)


def _said(answer: Any) -> str:
    if isinstance(answer, Eligibility):
        return f"a letter (caution {answer.nsaid_caution})"
    return "; ".join(f"{f.code} at {f.expression}" for f in _findings(answer))[:300]


# --- the body temperature, in every value form ----------------------------------------------------

_UCUM = "http://unitsofmeasure.org"


def _quantity(value: float, unit: str) -> dict[str, Any]:
    return {"valueQuantity": {"value": value, "system": _UCUM, "code": unit}}


TEMPERATURES: list[tuple[str, dict[str, Any], str]] = [
    # (how, value element, what the gate must say: fever, normal or unreadable)
    ("39.1 Cel", _quantity(39.1, "Cel"), "fever"),
    ("38.0 Cel", _quantity(38.0, "Cel"), "fever"),
    ("37.9 Cel", _quantity(37.9, "Cel"), "normal"),
    ("102.2 [degF]", _quantity(102.2, "[degF]"), "fever"),
    ("98.6 [degF]", _quantity(98.6, "[degF]"), "normal"),
    ("312.25 K", _quantity(312.25, "K"), "fever"),
    ("310.15 K", _quantity(310.15, "K"), "normal"),
    ("unit only, °C", {"valueQuantity": {"value": 38.6, "unit": "°C"}}, "fever"),
    ("integer 39", {"valueInteger": 39}, "fever"),
    ("integer 37", {"valueInteger": 37}, "normal"),
    ("string 38,9 °C", {"valueString": "38,9 °C"}, "fever"),
    ("string 38.4C", {"valueString": "38.4C"}, "fever"),
    ("string 37,2 °C", {"valueString": "37,2 °C"}, "normal"),
    ("string 101.5 °F", {"valueString": "101.5 °F"}, "fever"),
    ("string 39", {"valueString": "39"}, "fever"),
    ("string 'warm'", {"valueString": "warm"}, "unreadable"),
    ("string 39 mmHg", {"valueString": "39 mmHg"}, "unreadable"),
    ("39 in mm[Hg]", _quantity(39.0, "mm[Hg]"), "unreadable"),
    ("39 K", _quantity(39.0, "K"), "unreadable"),
    ("integer 100 (no unit)", {"valueInteger": 100}, "unreadable"),
    ("a range", {"valueRange": {"low": {"value": 38}, "high": {"value": 39}}}, "unreadable"),
]
_TEMPERATURE_CODES = [c for c in codes.BODY_TEMPERATURE]


def _temperature_placements() -> Iterator[
    tuple[str, Callable[[dict[str, Any], dict[str, Any]], str]]
]:
    def linked(bundle: dict[str, Any], value: dict[str, Any], code: Code) -> str:
        add(
            bundle,
            clinical(
                "Observation", "t", status="final", code={"coding": [_listed_form(code)]}, **value
            ),
        )
        return "Observation/t"

    def unlinked(bundle: dict[str, Any], value: dict[str, Any], code: Code) -> str:
        observation = clinical(
            "Observation",
            "t",
            status="final",
            code={"coding": [{**_listed_form(code), "system": _OIDS[code.system]}]},
            effectiveDateTime="2026-11-25T11:02:00+01:00",
            **value,
        )
        del observation["encounter"]
        add(bundle, observation)
        return "Observation/t"

    def component(bundle: dict[str, Any], value: dict[str, Any], code: Code) -> str:
        panel = clinical(
            "Observation",
            "t",
            status="final",
            code={"coding": [{"system": LOINC, "code": "85353-1"}]},
            component=[{"code": {"coding": [_listed_form(code)]}, **value}],
        )
        add(bundle, panel)
        return "Observation/t"

    yield "linked", linked
    yield "in the visit, not linked, the code system by OID", unlinked
    yield "a vital-signs panel's component", component


def test_a_body_temperature_in_every_value_form_and_place_is_read() -> None:
    failures, total = [], 0
    for code in _TEMPERATURE_CODES:
        for how, value, expected in TEMPERATURES:
            for place, put in _temperature_placements():
                total += 1
                answer, where = _run(lambda b, p=put, v=value, c=code: p(b, v, c))
                said = {
                    "fever": _refused_with(answer, where, "fever", "infection"),
                    "unreadable": _refused_with(answer, where, "temperature-unreadable", None),
                    "normal": isinstance(answer, Eligibility),
                }[expected]
                if not said:
                    failures.append(f"{_id(code)} {how}, {place}: {_said(answer)}")
    _report(failures, total)


def test_a_temperature_of_another_visit_is_not_this_visits_fever() -> None:
    observation = clinical(
        "Observation",
        "t",
        status="final",
        code={"coding": [{"system": LOINC, "code": "8310-5"}]},
        effectiveDateTime=LONG_AGO,
        **_quantity(39.4, "Cel"),
    )
    del observation["encounter"]
    answer, _ = _run(lambda b: add(b, observation) and None)
    assert isinstance(answer, Eligibility), _said(answer)


# --- a diagnosis, problem or finding the gate cannot read -------------------------------------


def test_a_finding_coded_only_in_an_unreadable_system_refuses_in_every_finding_position() -> None:
    local = _coding("https://ehr.example.org/codes", "RUG-17")
    failures, total = [], 0
    for placement in PLACEMENTS:
        if placement.positions[0] not in (
            "Condition.code",
            "Condition.evidence",
            "Observation.code",
            "Observation.value",
            "Observation.component.code",
            "Observation.component.value",
            "DiagnosticReport.conclusionCode",
        ):
            continue
        total += 1
        answer, where = _run(lambda b, p=placement: p.put(b, local))
        if not _refused_with(answer, where, "code-unreadable", None):
            failures.append(f"{placement.name}: {_said(answer)}")
    _report(failures, total)
    assert total >= 10


@pytest.mark.parametrize("cases", [_red_flag_cases])
def test_the_matrix_is_generated_from_codes_py(cases: Callable[[], Iterable[Any]]) -> None:
    # Every red-flag code of codes.py is in the matrix (a new code is covered by construction).
    named = {name.split(" in ", 1)[0] for name, *_ in cases()}
    for item, code in RED_FLAG_CODES:
        assert f"{item} {_id(code)}" in named


# --- medication without an ATC code, read by its substance's name --------------------------------


def test_every_substance_of_the_classes_named_without_an_atc_code_counts() -> None:
    # codes.MEDICATION_CLASS_SUBSTANCES, each as home medication written as text only (as a
    # Dutch record writes it, e.g. "Prednisolon"), refuses for its class's items or gives the
    # NSAID caution; taken on the skin, in the eye or inhaled, it does not.
    items = {**{c.code: its for c, its in MEDICATION_CLASSES}, "B01A": ("anticoagulant",)}
    failures, total = [], 0
    home = next(p for p in PLACEMENTS if p.name == "home medication")
    for atc, substances in codes.MEDICATION_CLASS_SUBSTANCES.items():
        for substance in substances:
            for text in (f"{substance.capitalize()} 10 mg", f"{substance.rstrip('e')} tablet"):
                total += 1

                def put(bundle: dict[str, Any], name: str = text) -> str:
                    where = home.put(bundle, {"system": SNOMED, "code": "1"})
                    bundle["entry"][-1]["resource"]["medicationCodeableConcept"] = {"text": name}
                    return where

                answer, where = _run(put)
                expected = items[atc]
                if expected == ("anticoagulant",):
                    ok = isinstance(answer, Eligibility) and "anticoagulant" in answer.nsaid_caution
                else:
                    ok = all(
                        _refused_with(answer, where, "red-flag-medication", i) for i in expected
                    )
                if not ok:
                    failures.append(f"{atc} {text!r}: {_said(answer)}")
            total += 1
            answer, _ = _run(
                lambda b, n=f"{substance} crème": (
                    home.put(b, {"system": SNOMED, "code": "1"})
                    and b["entry"][-1]["resource"].update(medicationCodeableConcept={"text": n})
                )
            )
            if not isinstance(answer, Eligibility) or (atc != "B01A" and answer.nsaid_caution):
                failures.append(f"{atc} {substance} crème (not systemic): {_said(answer)}")
    _report(failures, total)
