"""One scan of the whole record (pathway.md, "Reading the whole record"): every coded element of
every resource of the record, at every position a code can stand, through one matcher
(matching.categories), under one rule of what negates a fact (record.holding). The coded record
wins over the physician's screening.

The positions (POSITIONS) and what each holds:
- Condition.code, Condition.evidence.code: the patient's diagnoses and problems, and what backs
  them (Encounter.diagnosis names Conditions: read here, whatever its use);
- Encounter.reasonCode: why the patient came (a fall from a ladder, retention of urine);
- Observation.code, .value[x], .component (code and value), .interpretation: a finding counts
  as present unless its value or interpretation says absent or negative; a body temperature
  of the visit is read in every value form (`celsius`);
- DiagnosticReport.code and .conclusionCode; Procedure.code;
- MedicationRequest and MedicationStatement: the medication, inline or a Medication
  (medication.medication_concepts), by its codes and its ATC classes.
A diagnosis, problem or finding coded only in a code system the gate cannot read refuses as
unreadable, like one with no code: it cannot be screened.

What the scan finds: red flags and a pregnancy refuse (`findings`); the NSAID-caution reasons are
returned for the letter and the warning.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from ...errors import FindingValue
from ...types import Resource
from ..codes import (
    BODY_TEMPERATURE,
    FEVER_CELSIUS,
    MEDICATION_CLASSES,
    NEGATIVE_VALUES,
    NSAID_CAUTION_ATC,
    PREGNANCY_OBSERVATION_DAYS,
    RED_FLAG_ITEMS,
    RED_FLAG_LABELS,
)
from ..record.context import DischargeContext
from ..terminology import canonical_system, codings, readable
from .findings import Findings
from .matching import PREGNANCY, Match, categories
from .medication import classes_by_name, medication_concepts
from .record import (
    ANY_STATUS_RED_FLAGS,
    Holding,
    clinical,
    event_time,
    holding,
    negative_text,
    of_encounter,
    visit_start,
)

# Every position of the record the scan reads (tests/unit/test_gate_matrix.py puts every code of
# codes.py at each of them).
POSITIONS: tuple[str, ...] = (
    "Condition.code",
    "Condition.evidence",
    "Encounter.reasonCode",
    "Observation.code",
    "Observation.value",
    "Observation.component.code",
    "Observation.component.value",
    "Observation.interpretation",
    "DiagnosticReport.code",
    "DiagnosticReport.conclusionCode",
    "Procedure.code",
    "MedicationRequest.medication",
    "MedicationStatement.medication",
)
_TEMPERATURE_CODES = {(c.system, c.code) for c in BODY_TEMPERATURE}
# What each ATC class counts for, and its name (codes.MEDICATION_CLASSES, NSAID_CAUTION_ATC).
_CLASS_CATEGORIES = {
    **{c.code: items for c, items in MEDICATION_CLASSES},
    **{c.code: ("anticoagulant",) for c in NSAID_CAUTION_ATC},
}
_CLASS_NAMES = {
    c.code: c.display for c in (*(c for c, _ in MEDICATION_CLASSES), *NSAID_CAUTION_ATC)
}
_NEGATIVE_CODES = {(c.system, c.code) for c in NEGATIVE_VALUES}
# A body temperature outside this range (degrees Celsius) is a unit or typing error: unreadable.
_PLAUSIBLE_CELSIUS = (25.0, 45.0)


@dataclass(frozen=True)
class Element:
    """A coded element of a resource, at one of the POSITIONS."""

    path: str  # where in the resource, e.g. Observation.component[0].code
    concept: object
    position: str
    finding: bool  # a diagnosis, problem or finding: coded only unreadably, it refuses
    negated: bool = False  # the resource says it is absent or negative


def scan_record(ctx: DischargeContext, findings: Findings) -> frozenset[str]:
    """Screen every coded element of the record; return the NSAID-caution reasons found."""
    scan = _Scan(ctx, findings)
    scan.element_findings(ctx.encounter, Holding.CURRENT)
    record = (
        *ctx.conditions,
        *ctx.observations,
        *ctx.diagnostic_reports,
        *ctx.procedures,
        *ctx.medication_requests,
        *ctx.medication_statements,
    )
    for resource in record:
        state = holding(ctx, resource)
        if state is Holding.VOID:
            continue
        scan.element_findings(resource, state)
        if resource["resourceType"] == "Observation" and state is Holding.CURRENT:
            for measured in [resource, *(resource.get("component") or [])]:
                if isinstance(measured, dict):
                    _temperature(measured, _where(resource), findings)
    return frozenset(scan.caution)


class _Scan:
    def __init__(self, ctx: DischargeContext, findings: Findings) -> None:
        self.ctx = ctx
        self.findings = findings
        self.caution: set[str] = set()
        self.reported: set[tuple[str, str | None, str]] = set()

    def element_findings(self, resource: Resource, state: Holding) -> None:
        for element in _elements(self.ctx, resource):
            # The encounter's elements are named by their path (Encounter.reasonCode[0]).
            where = (
                f"Encounter.{element.path}" if resource is self.ctx.encounter else _where(resource)
            )
            if element.finding and not readable(element.concept):
                self.unreadable(resource, element, where)
                continue
            if element.negated:
                continue
            for match in categories(self.ctx, element.concept):
                self.consequence(resource, element, state, match, where)
        if resource.get("resourceType") in ("MedicationRequest", "MedicationStatement"):
            # No ATC code: the classes' substances by name (medication.classes_by_name).
            element = Element("medication", None, f"{resource['resourceType']}.medication", False)
            for atc, substance in classes_by_name(self.ctx, resource):
                for category in _CLASS_CATEGORIES[atc]:
                    match = Match(category, substance, f"{_CLASS_NAMES[atc]}, by its name")
                    self.consequence(resource, element, state, match, _where(resource))

    def unreadable(self, resource: Resource, element: Element, where: str) -> None:
        systems = sorted({s for s, _ in codings(element.concept)})
        if not systems and element.position == "Condition.code":
            self.once(
                "condition-uncoded",
                where,
                "",
                "a Condition of the patient has no code (text only) and cannot be screened for "
                "red flags: code it (SNOMED CT or ICD-10), or mark it entered-in-error",
            )
        elif systems or element.position == "Observation.code":
            said = ", ".join(systems)[:200] or "no code, text only"
            self.once(
                "code-unreadable",
                where,
                element.path,
                f"{where} {element.path} is coded in no code system the service reads "
                f"({said}) and cannot be screened for red flags: add its SNOMED CT, ICD-10, "
                "ICD-10-CM or LOINC code, or mark it entered-in-error",
                resource=where,
                element=element.path,
            )

    def consequence(
        self, resource: Resource, element: Element, state: Holding, match: Match, where: str
    ) -> None:
        if match.category in RED_FLAG_ITEMS:
            if state is Holding.CURRENT or match.category in ANY_STATUS_RED_FLAGS:
                self.red_flag(resource, element, state, match, where)
        elif match.category == PREGNANCY:
            if state is Holding.CURRENT or self.recent_pregnancy(resource):
                self.once(
                    "pregnancy",
                    where,
                    "",
                    f"the patient is pregnant ({match.display}, {match.code}): the pathway's "
                    "advice includes NSAIDs, contraindicated from 20 weeks of pregnancy, and "
                    "pregnancy-related pain is outside the pathway",
                    display=match.display,
                    matched_code=match.code,
                )
        else:  # an NSAID-caution reason counts as history too (a past ulcer or bleed)
            self.caution.add(match.category)

    def recent_pregnancy(self, resource: Resource) -> bool:
        # An observation of a pregnancy weeks before this visit: the pregnancy still goes on.
        if resource.get("resourceType") != "Observation":
            return False
        when, start = event_time(resource), visit_start(self.ctx)
        return (
            when is not None
            and start is not None
            and when[1] >= start - timedelta(days=PREGNANCY_OBSERVATION_DAYS)
        )

    def red_flag(
        self, resource: Resource, element: Element, state: Holding, match: Match, where: str
    ) -> None:
        code, context, extra = _finding_kind(self.ctx, resource, element, state)
        self.once(
            code,
            where,
            match.category,
            f"{RED_FLAG_LABELS[match.category]} {context} ({match.display}, {match.code})",
            red_flag=match.category,
            display=match.display,
            matched_code=match.code,
            **extra,
        )

    def once(self, code: str, where: str, what: str, message: str, **params: FindingValue) -> None:
        if (code, where, what) in self.reported:
            return
        self.reported.add((code, where, what))
        if code in ("condition-uncoded", "code-unreadable"):
            self.findings.missing(message, where, code, **params)
        else:
            self.findings.off(message, where, code, **params)


def _finding_kind(
    ctx: DischargeContext, resource: Resource, element: Element, state: Holding
) -> tuple[str, str, dict[str, FindingValue]]:
    """The finding code of a red flag at this position, and how its message says where."""
    rtype = resource["resourceType"]
    if rtype == "Encounter":
        return "red-flag-reason", "recorded as reason for the encounter", {}
    if element.position == "Condition.evidence":
        return "red-flag-evidence", "as evidence of a Condition", {}
    if rtype == "Condition":
        if state is Holding.OVER:
            status = str(clinical(resource))
            return "red-flag-history", f"in the history ({status})", {"clinical_status": status}
        if of_encounter(ctx, resource):
            return "red-flag-encounter", "on this encounter", {}
        return "red-flag-patient", "on the patient", {}
    if state is Holding.OVER:
        return (
            "red-flag-earlier",
            "in an earlier record of the patient (it counts whatever its time)",
            {},
        )
    if rtype == "Observation":
        return "red-flag-observation", "observed on this encounter", {}
    if rtype == "DiagnosticReport":
        return "red-flag-report", "in a report of this visit", {}
    if rtype == "Procedure":
        return "red-flag-procedure", "in a procedure of this visit", {}
    return "red-flag-medication", "in the patient's medication", {}


def _where(resource: Resource) -> str:
    return f"{resource.get('resourceType')}/{resource.get('id')}"


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _elements(ctx: DischargeContext, resource: Resource) -> Iterator[Element]:
    """Every coded element of a resource at the POSITIONS."""
    rtype = resource.get("resourceType")
    if rtype == "Encounter":
        for i, concept in enumerate(_list(resource.get("reasonCode"))):
            yield Element(f"reasonCode[{i}]", concept, "Encounter.reasonCode", False)
    elif rtype == "Condition":
        yield Element("code", resource.get("code"), "Condition.code", True)
        for i, evidence in enumerate(_list(resource.get("evidence"))):
            codes = evidence.get("code") if isinstance(evidence, dict) else None
            for j, concept in enumerate(_list(codes)):
                path = f"evidence[{i}].code[{j}]"
                yield Element(path, concept, "Condition.evidence", _coded(concept))
    elif rtype == "Observation":
        absent = _says_absent(resource) or _interpreted_negative(resource)
        yield Element("code", resource.get("code"), "Observation.code", True, absent)
        value = resource.get("valueCodeableConcept")
        if value is not None:
            yield Element("valueCodeableConcept", value, "Observation.value", _coded(value))
        for i, component in enumerate(_list(resource.get("component"))):
            if not isinstance(component, dict):
                continue
            code = component.get("code")
            path = f"component[{i}]"
            absent = _says_absent(component)
            yield Element(f"{path}.code", code, "Observation.component.code", _coded(code), absent)
            value = component.get("valueCodeableConcept")
            if value is not None:
                yield Element(
                    f"{path}.valueCodeableConcept",
                    value,
                    "Observation.component.value",
                    _coded(value),
                )
        for i, concept in enumerate(_list(resource.get("interpretation"))):
            yield Element(f"interpretation[{i}]", concept, "Observation.interpretation", False)
    elif rtype == "DiagnosticReport":
        yield Element("code", resource.get("code"), "DiagnosticReport.code", False)
        for i, concept in enumerate(_list(resource.get("conclusionCode"))):
            path = f"conclusionCode[{i}]"
            yield Element(path, concept, "DiagnosticReport.conclusionCode", _coded(concept))
    elif rtype == "Procedure":
        yield Element("code", resource.get("code"), "Procedure.code", False)
    elif rtype in ("MedicationRequest", "MedicationStatement"):
        for path, concept in medication_concepts(ctx, resource):
            yield Element(path, concept, f"{rtype}.medication", False)


def _coded(concept: object) -> bool:
    """Coded (some coding with a code): then it must be coded readably. Text alone is read as
    free text: it names, it is not screened."""
    return any(True for _ in codings(concept))


def _says_absent(holder: Resource) -> bool:
    """The value of a finding (an Observation or a component) says absent, no or negative."""
    if holder.get("valueBoolean") is False:
        return True
    if negative_text(holder.get("valueString")):
        return True
    value = holder.get("valueCodeableConcept")
    if isinstance(value, dict):
        if any((canonical_system(s), c) in _NEGATIVE_CODES for s, c in codings(value)):
            return True
        if negative_text(value.get("text")):
            return True
        return any(
            isinstance(coding, dict) and negative_text(coding.get("display"))
            for coding in value.get("coding") or []
        )
    return False


def _interpreted_negative(observation: Resource) -> bool:
    return any(
        (canonical_system(s), c) in _NEGATIVE_CODES
        for concept in _list(observation.get("interpretation"))
        for s, c in codings(concept)
    )


# --- the body temperature, in every value form -----------------------------------------------

_NUMBER_AND_UNIT = re.compile(
    r"^\s*(?P<number>[+-]?\d+(?:[.,]\d+)?)\s*(?P<unit>[^\d\s].*?)?\s*$", re.IGNORECASE
)
_CELSIUS_UNITS = {"cel", "°c", "ºc", "c", "degc", "deg c", "celsius", "graden", "graden celsius"}
_FAHRENHEIT_UNITS = {"[degf]", "°f", "ºf", "f", "degf", "deg f", "fahrenheit"}
_KELVIN_UNITS = {"k", "kelvin"}


class _NoValue:
    """The temperature has no value to read (absent, or a code read as a code)."""


NO_VALUE = _NoValue()


def celsius(measured: Resource) -> float | _NoValue | None:
    """A body temperature in degrees Celsius, from a Quantity (Cel, [degF], K), an integer, or a
    string holding a number and a unit ("38,9 °C"); NO_VALUE when there is none to read; None
    when there is one but it cannot be read as degrees Celsius (pathway.md: unreadable)."""
    if "valueQuantity" in measured:
        quantity = measured["valueQuantity"]
        if not isinstance(quantity, dict):
            return None
        number = quantity.get("value")
        unit = quantity.get("code") or quantity.get("unit")
        if not isinstance(number, int | float) or isinstance(number, bool):
            return None
        return _to_celsius(float(number), unit if isinstance(unit, str) else None)
    if "valueInteger" in measured:
        number = measured["valueInteger"]
        if not isinstance(number, int) or isinstance(number, bool):
            return None
        return _to_celsius(float(number), None)
    if "valueString" in measured:
        text = measured["valueString"]
        found = _NUMBER_AND_UNIT.match(text) if isinstance(text, str) else None
        if found is None:
            return None
        number = float(found["number"].replace(",", "."))
        return _to_celsius(number, found["unit"])
    if "valueCodeableConcept" in measured:
        return NO_VALUE  # a coded value: the scan reads its code (e.g. fever)
    if any(key.startswith("value") for key in measured):
        return None  # a range, a ratio, a time...: not a temperature the gate can read
    return NO_VALUE  # no value (dataAbsentReason)


def _to_celsius(number: float, unit: str | None) -> float | None:
    said = " ".join(unit.casefold().split()) if unit else ""
    if said in _CELSIUS_UNITS:
        value = number
    elif said in _FAHRENHEIT_UNITS:
        value = (number - 32) * 5 / 9
    elif said in _KELVIN_UNITS:
        value = number - 273.15
    elif not said and _PLAUSIBLE_CELSIUS[0] <= number <= _PLAUSIBLE_CELSIUS[1]:
        value = number  # a bare number in the range of a body temperature: degrees Celsius
    else:
        return None
    low, high = _PLAUSIBLE_CELSIUS
    return value if low <= value <= high else None


def _temperature(measured: Resource, where: str, findings: Findings) -> None:
    if not any(
        (canonical_system(s), c) in _TEMPERATURE_CODES for s, c in codings(measured.get("code"))
    ):
        return
    found = celsius(measured)
    if isinstance(found, _NoValue):
        return
    if found is None:
        findings.missing(
            "a body temperature of the encounter has no value readable as degrees Celsius (a "
            "Quantity in Cel, [degF] or K, an integer, or a number with its unit): correct it "
            "or mark it entered-in-error",
            where,
            "temperature-unreadable",
        )
    elif found >= FEVER_CELSIUS:
        findings.off(
            f"{RED_FLAG_LABELS['infection']}: body temperature {found:.1f} °C on this "
            f"encounter (fever from {FEVER_CELSIUS:.1f} °C)",
            where,
            "fever",
            red_flag="infection",
            celsius=found,
            fever_from=FEVER_CELSIUS,
        )
