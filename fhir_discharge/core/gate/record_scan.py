"""The coded record, screened for red flags (pathway.md: it wins over the questionnaire)."""

from __future__ import annotations

from ...errors import FindingValue
from ...types import Resource
from ..codes import BODY_TEMPERATURE, FEVER_CELSIUS, RED_FLAG_LABELS, Code
from ..context import DischargeContext
from ..terminology import RED_FLAG_CODES, codings
from .findings import Findings
from .record import (
    ANY_STATUS_RED_FLAGS,
    NOT_HOLDING_CLINICAL,
    NOT_HOLDING_VERIFICATION,
    VOID,
    clinical,
    of_encounter,
    verification,
)

_UCUM = "http://unitsofmeasure.org"
_TEMPERATURE_CODES = {(c.system, c.code) for c in BODY_TEMPERATURE}


def scan_record(ctx: DischargeContext, findings: Findings) -> None:
    encounter = ctx.encounter
    for position, concept in enumerate(encounter.get("reasonCode") or []):
        _red_flag_in(
            findings,
            concept,
            "recorded as reason for the encounter",
            f"Encounter.reasonCode[{position}]",
            "red-flag-reason",
        )
    for condition in ctx.conditions:
        where = f"Condition/{condition.get('id')}"
        if verification(condition) in NOT_HOLDING_VERIFICATION:
            continue
        if not list(codings(condition.get("code"))):
            findings.missing(
                "a Condition of the patient has no code (text only) and cannot be screened "
                "for red flags: code it (SNOMED CT or ICD-10), or mark it entered-in-error",
                where,
                "condition-uncoded",
            )
            continue
        over = clinical(condition) in NOT_HOLDING_CLINICAL
        on_encounter = of_encounter(ctx, condition)
        whose = "on this encounter" if on_encounter else "on the patient"
        hit = RED_FLAG_CODES.first_match(condition.get("code"))
        if hit and over and hit[2][0] in ANY_STATUS_RED_FLAGS:
            status = str(clinical(condition))
            _flag(
                findings,
                hit,
                f"in the history ({status})",
                where,
                "red-flag-history",
                clinical_status=status,
            )
        elif hit and not over:
            _flag(
                findings,
                hit,
                whose,
                where,
                "red-flag-encounter" if on_encounter else "red-flag-patient",
            )
        for evidence in condition.get("evidence") or [] if not over else []:
            for concept in evidence.get("code") or []:
                _red_flag_in(
                    findings, concept, "as evidence of a Condition", where, "red-flag-evidence"
                )
    for observation in ctx.observations:
        if observation.get("status") in VOID or not of_encounter(ctx, observation):
            continue
        _observation(observation, findings)


def _red_flag_in(
    findings: Findings, concept: object, context: str, where: str, finding: str
) -> None:
    hit = RED_FLAG_CODES.first_match(concept)
    if hit:
        _flag(findings, hit, context, where, finding)


def _flag(
    findings: Findings,
    hit: tuple[str, str, tuple[str, Code]],
    context: str,
    where: str,
    finding: str,
    **params: FindingValue,
) -> None:
    _, code, (item, listed) = hit
    findings.off(
        f"{RED_FLAG_LABELS[item]} {context} ({listed.display}, {code})",
        where,
        finding,
        red_flag=item,
        display=listed.display,
        matched_code=code,
        **params,
    )


def _observation(observation: Resource, findings: Findings) -> None:
    where = f"Observation/{observation.get('id')}"
    _red_flag_in(
        findings,
        observation.get("valueCodeableConcept"),
        "observed on this encounter",
        where,
        "red-flag-observation",
    )
    # A temperature stands alone or as a component of a vital-signs panel (LOINC 85353-1).
    for measured in [observation, *(observation.get("component") or [])]:
        _temperature(measured, where, findings)


def _temperature(measured: Resource, where: str, findings: Findings) -> None:
    if not any(c in _TEMPERATURE_CODES for c in codings(measured.get("code"))):
        return
    quantity = measured.get("valueQuantity")
    if quantity is None:
        return  # no value (dataAbsentReason): no temperature to read
    celsius = _celsius(quantity)
    if celsius is None:
        findings.missing(
            "a body temperature of the encounter has no readable value in UCUM Cel or "
            "[degF]: correct it or mark it entered-in-error",
            where,
            "temperature-unreadable",
        )
    elif celsius >= FEVER_CELSIUS:
        findings.off(
            f"{RED_FLAG_LABELS['infection']}: body temperature {celsius:.1f} °C on this "
            f"encounter (fever from {FEVER_CELSIUS:.1f} °C)",
            where,
            "fever",
            red_flag="infection",
            celsius=celsius,
            fever_from=FEVER_CELSIUS,
        )


def _celsius(quantity: Resource) -> float | None:
    value, unit = quantity.get("value"), quantity.get("code")
    if not isinstance(value, int | float) or quantity.get("system") != _UCUM:
        return None
    if unit == "Cel":
        return float(value)
    if unit == "[degF]":
        return (float(value) - 32) * 5 / 9
    return None
