"""The discharge context: the Encounter and everything the letter needs, gathered before building.

It comes either from a Bundle the EHR sends (`context_from_bundle`) or from reads on the FHIR
server (the FHIR client gathers the same resources and calls `assemble_context`). Both paths end
in `assemble_context`, so the pathway sees one shape whatever the source.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from .codes import V3_PARTICIPATION_TYPE
from .errors import IncompleteRecord, InvalidInput
from .references import Ref, Resource, ResourceIndex, parse_reference, ref_of

# Who, among the encounter's participants, signs the letter: attender first, then discharger,
# then primary performer (v3 ParticipationType).
_AUTHOR_ROLES = ("ATND", "DIS", "PPRF")
_CONTEXT_TYPES = {
    "Encounter",
    "Patient",
    "Practitioner",
    "PractitionerRole",
    "Organization",
    "Condition",
}


@dataclass(frozen=True)
class DischargeContext:
    """What the pathway core needs; plain FHIR JSON dicts, as read from the server or the EHR."""

    encounter: Resource
    patient: Resource | None
    physician: Resource | None
    hospital: Resource | None
    general_practitioner: Resource | None
    conditions: tuple[Resource, ...] = field(default_factory=tuple)
    discharge_time: datetime | None = None


def check_structure(resource: Any, where: str) -> Resource:
    """Reject anything that is not a structurally valid FHIR R4 resource (400, with paths only:
    pydantic's messages echo input values, which may be patient data)."""
    from fhir.resources.R4B import get_fhir_model_class

    if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
        raise InvalidInput(f"{where}: not a FHIR resource (no resourceType)")
    rtype = resource["resourceType"]
    try:
        model = get_fhir_model_class(rtype)
    except (KeyError, ValueError, ImportError, AttributeError):
        raise InvalidInput(f"{where}: '{rtype}' is not a FHIR R4 resource type") from None
    try:
        model.model_validate(resource)
    except ValidationError as error:
        problems = sorted(
            {".".join(str(p) for p in e.get("loc", ()) if p != "__root__") for e in error.errors()}
        )
        paths = ", ".join(f"{rtype}.{p}" if p else rtype for p in problems[:5])
        raise InvalidInput(f"{where}: invalid {rtype} at {paths}") from None
    except (TypeError, ValueError, KeyError, AttributeError, RecursionError):
        # fhir.resources itself trips on some hostile shapes (e.g. an unknown nested
        # resourceType raises KeyError): still the input's fault, still a 400.
        raise InvalidInput(f"{where}: invalid {rtype}") from None
    return resource


def parse_instant(value: Any, where: str) -> datetime:
    """A FHIR dateTime with a time and an offset, as an aware datetime."""
    if not isinstance(value, str) or "T" not in value:
        raise InvalidInput(f"{where} must be a dateTime with time and time zone")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"{where} is not a valid dateTime") from None
    if parsed.tzinfo is None:
        raise InvalidInput(f"{where} must carry a time zone offset")
    return parsed


def context_from_bundle(bundle: Any) -> DischargeContext:
    """The context from a Bundle holding exactly one Encounter and the resources it references."""
    check_structure(bundle, "request body")
    if bundle.get("resourceType") != "Bundle":
        raise InvalidInput("expected a Bundle or an Encounter")
    entries: list[tuple[str | None, Resource]] = []
    for position, entry in enumerate(bundle.get("entry") or []):
        resource = entry.get("resource")
        if resource is None:
            continue
        rtype = resource.get("resourceType")
        if rtype not in _CONTEXT_TYPES:
            raise InvalidInput(
                f"Bundle.entry[{position}]: a {rtype} has no place in a discharge context "
                f"(expected {', '.join(sorted(_CONTEXT_TYPES))})"
            )
        entries.append((entry.get("fullUrl"), resource))
    encounters = [r for _, r in entries if r["resourceType"] == "Encounter"]
    if len(encounters) != 1:
        raise InvalidInput(
            f"the Bundle must hold exactly one Encounter, it holds {len(encounters)}"
        )
    index = ResourceIndex(entries)
    conditions = [r for _, r in entries if r["resourceType"] == "Condition"]
    return assemble_context(encounters[0], index, conditions)


def assemble_context(
    encounter: Resource, index: ResourceIndex, conditions: Iterable[Resource]
) -> DischargeContext:
    """Resolve the encounter's patient, physician, hospital and the patient's GP from `index`."""
    for resource in (encounter, *conditions):
        if "id" not in resource:
            raise InvalidInput(
                f"every {resource.get('resourceType')} in the context needs its server id, "
                "so the letter can refer to it"
            )
    patient = index.resolve(encounter.get("subject"))
    if patient is not None and patient.get("resourceType") != "Patient":
        raise InvalidInput("Encounter.subject must reference a Patient")
    patient_ref = ref_of(patient) if patient is not None and "id" in patient else None
    _check_conditions_belong_to(conditions, patient_ref)
    end = (encounter.get("period") or {}).get("end")
    return DischargeContext(
        encounter=encounter,
        patient=patient,
        physician=_physician(encounter, index),
        hospital=_typed(index.resolve(encounter.get("serviceProvider")), "Organization"),
        general_practitioner=_general_practitioner(patient, index),
        conditions=tuple(conditions),
        discharge_time=parse_instant(end, "Encounter.period.end") if end is not None else None,
    )


def _check_conditions_belong_to(conditions: Iterable[Resource], patient: Ref | None) -> None:
    # A Condition of another patient in this context is a mix-up, never data to screen or cite.
    for condition in conditions:
        subject = parse_reference(str((condition.get("subject") or {}).get("reference", "")))
        if patient is not None and (subject is None or subject.literal != patient.literal):
            raise InvalidInput(
                f"Condition/{condition.get('id')} belongs to another patient than the encounter's"
            )


def _typed(resource: Resource | None, resource_type: str) -> Resource | None:
    return resource if resource and resource.get("resourceType") == resource_type else None


def _physician(encounter: Resource, index: ResourceIndex) -> Resource | None:
    ranked: list[tuple[int, Resource]] = []
    for participant in encounter.get("participant") or []:
        individual = _typed(index.resolve(participant.get("individual")), "Practitioner")
        if individual is None:
            continue
        codes = {
            coding.get("code")
            for concept in participant.get("type") or []
            for coding in concept.get("coding") or []
            if coding.get("system") == V3_PARTICIPATION_TYPE
        }
        rank = min(
            (i for i, role in enumerate(_AUTHOR_ROLES) if role in codes), default=len(_AUTHOR_ROLES)
        )
        ranked.append((rank, individual))
    return min(ranked, key=lambda pair: pair[0])[1] if ranked else None


def _general_practitioner(patient: Resource | None, index: ResourceIndex) -> Resource | None:
    # Patient.generalPractitioner: Practitioner, PractitionerRole or Organization; first resolvable.
    for reference in (patient or {}).get("generalPractitioner") or []:
        resource = index.resolve(reference)
        if resource is not None:
            return resource
    return None


def require(value: Resource | None, what: str) -> Resource:
    if value is None:
        raise IncompleteRecord(what)
    return value
