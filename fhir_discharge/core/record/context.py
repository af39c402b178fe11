"""The discharge context: the Encounter and everything the letter needs, gathered before building.

It comes either from a Bundle the EHR sends (`context_from_bundle`) or from reads on the FHIR
server (the FHIR client gathers the same resources and calls `assemble_context`). Both paths end
in `assemble_context`, so the pathway sees one shape whatever the source.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from ...errors import DischargeWarning, IncompleteRecord, InvalidInput
from ...types import Resource
from ..codes import V3_PARTICIPATION_TYPE
from .record_types import CLINICAL_TYPES, CONTEXT_TYPES
from .references import Ref, ResourceIndex, parse_reference, ref_of
from .structure import conforms

# Who, among the encounter's participants, signs the letter: attender first, then discharger,
# then primary performer (v3 ParticipationType).
_AUTHOR_ROLES = ("ATND", "DIS", "PPRF")


@dataclass(frozen=True)
class DischargeContext:
    """What the pathway core needs; plain FHIR JSON dicts, as read from the server or the EHR."""

    encounter: Resource
    patient: Resource | None
    physician: Resource | None
    hospital: Resource | None
    general_practitioner: Resource | None
    conditions: tuple[Resource, ...] = ()
    discharge_time: datetime | None = None
    # the rest of the record (each of the patient; the gate decides what is of this encounter)
    screenings: tuple[Resource, ...] = ()  # QuestionnaireResponses
    observations: tuple[Resource, ...] = ()
    imaging_studies: tuple[Resource, ...] = ()
    diagnostic_reports: tuple[Resource, ...] = ()
    procedures: tuple[Resource, ...] = ()
    medication_requests: tuple[Resource, ...] = ()
    medication_statements: tuple[Resource, ...] = ()  # home medication: screened, never listed
    # resolves the record's other references (a screening's author, a prescription's Medication)
    index: ResourceIndex = field(default_factory=lambda: ResourceIndex(()), compare=False)
    notes: tuple[DischargeWarning, ...] = ()  # warnings for the caller (ignored Bundle entries)
    # `Type/id` of the patient's GPs on record who are not in use (`active` false): passed over,
    # and said to the caller (the letter is then addressed to the treating GP).
    general_practitioners_not_in_use: tuple[str, ...] = ()
    # The patient's GP recorded only as a logical reference (an identifier such as the NIHDI
    # number, and a display; no resource), as many Belgian systems hold the GMD holder: the
    # Reference as recorded, when no GP resource in use is on record.
    general_practitioner_logical: Resource | None = None
    # The record travels with the letter as conditional creates (carry.py): a context Bundle's,
    # whose source is the EHR, not the FHIR server the letter goes to (which may not hold it, or
    # hold somebody else under the same ids). False for a record read from that server itself.
    carry_record: bool = False
    # SNOMED CT codes of the record that a terminology server placed below a red-flag concept
    # (pathway.md, "SNOMED CT descendants"), keyed (system, code) with the system's canonical URI
    # (http://snomed.info/sct, also for a coding the record writes with the OID), the value the
    # red-flag linkId. Filled by the I/O layer before the gate runs (io/terminology.py);
    # empty without a configured server: the gate then matches the listed concepts only.
    red_flags_by_terminology_server: Mapping[tuple[str, str], str] = field(
        default_factory=dict, compare=False
    )
    # Which version of this encounter's letter to build: 1, or n+1 when the record changed since
    # version n was written (a correction: the new letter replaces the old one). Set by the I/O
    # layer, which finds the letter on the server and compares (io/versions.py).
    letter_version: int = 1

    def resolve(self, reference: Any) -> Resource | None:
        return self.index.resolve(reference)


def check_structure(resource: Any, where: str) -> Resource:
    """Reject anything that is not a structurally valid FHIR R4 resource (400, with paths only:
    pydantic's messages echo input values, which may be patient data).

    The usual record is proven valid by a compiled subset of R4B (structure.py, ~20x cheaper);
    anything else is judged by the R4B models, which alone refuse and say where."""
    if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
        raise InvalidInput(f"{where}: not a FHIR resource (no resourceType)")
    if conforms(resource):
        return resource
    return check_with_models(resource, where)


def check_with_models(resource: dict[str, Any], where: str) -> Resource:
    """The R4B models' verdict on a dict with a resourceType (check_structure's reference)."""
    from fhir.resources.R4B import get_fhir_model_class

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
    """The context from a Bundle holding exactly one Encounter and the record around it; its
    record travels with the letter (`carry_record`).

    Entries of a type the discharge never reads are ignored with a warning, not refused: an
    EHR's export may carry more than we need."""
    check_structure(bundle, "request body")
    if bundle.get("resourceType") != "Bundle":
        raise InvalidInput("expected a Bundle or an Encounter")
    entries: list[tuple[str | None, Resource]] = []
    ignored: dict[str, int] = {}
    for entry in bundle.get("entry") or []:
        resource = entry.get("resource")
        if resource is None:
            continue
        rtype = resource.get("resourceType")
        if rtype not in CONTEXT_TYPES:
            ignored[rtype] = ignored.get(rtype, 0) + 1
            continue
        entries.append((entry.get("fullUrl"), resource))
    encounters = [r for _, r in entries if r["resourceType"] == "Encounter"]
    if len(encounters) != 1:
        raise InvalidInput(
            f"the Bundle must hold exactly one Encounter, it holds {len(encounters)}"
        )
    notes = tuple(
        DischargeWarning(
            f"Bundle entries ignored: {count} {rtype} (not part of a discharge context)",
            "entries-ignored",
            {"count": str(count), "resource_type": rtype},
        )
        for rtype, count in sorted(ignored.items())
    )
    clinical = [r for _, r in entries if r["resourceType"] in CLINICAL_TYPES]
    ctx = assemble_context(encounters[0], ResourceIndex(entries), clinical, notes)
    return replace(ctx, carry_record=True)  # the EHR's record: it travels with the letter


def assemble_context(
    encounter: Resource,
    index: ResourceIndex,
    clinical: Iterable[Resource],
    notes: Iterable[DischargeWarning] = (),
) -> DischargeContext:
    """Resolve the encounter's patient, physician, hospital and the patient's GP from `index`,
    and sort the clinical record by type."""
    clinical = list(clinical)
    for resource in (encounter, *clinical):
        if "id" not in resource:
            raise InvalidInput(
                f"every {resource.get('resourceType')} in the context needs its server id, "
                "so the letter can refer to it"
            )
    patient = index.resolve(encounter.get("subject"))
    if patient is not None and patient.get("resourceType") != "Patient":
        raise InvalidInput("Encounter.subject must reference a Patient")
    patient_ref = ref_of(patient) if patient is not None and "id" in patient else None
    by_type: dict[str, list[Resource]] = {t: [] for t in CLINICAL_TYPES}
    seen: set[str] = set()
    for resource in clinical:
        key = f"{resource['resourceType']}/{resource['id']}"
        if key not in seen:  # the same resource from two searches is one resource
            seen.add(key)
            by_type[resource["resourceType"]].append(resource)
    # A screening of another patient is the physician's to correct (the gate says so); any
    # other record of another patient here is a mix-up, never data to screen or cite.
    _check_belong_to(
        [r for t in CLINICAL_TYPES if t != "QuestionnaireResponse" for r in by_type[t]],
        patient_ref,
    )
    end = (encounter.get("period") or {}).get("end")
    general_practitioner, not_in_use = _general_practitioner(patient, index)
    logical = None if general_practitioner else _logical_general_practitioner(patient, index)
    return DischargeContext(
        encounter=encounter,
        patient=patient,
        physician=_physician(encounter, index),
        hospital=_typed(index.resolve(encounter.get("serviceProvider")), "Organization"),
        general_practitioner=general_practitioner,
        general_practitioners_not_in_use=not_in_use,
        general_practitioner_logical=logical,
        conditions=tuple(by_type["Condition"]),
        discharge_time=parse_instant(end, "Encounter.period.end") if end is not None else None,
        screenings=tuple(by_type["QuestionnaireResponse"]),
        observations=tuple(by_type["Observation"]),
        imaging_studies=tuple(by_type["ImagingStudy"]),
        diagnostic_reports=tuple(by_type["DiagnosticReport"]),
        procedures=tuple(by_type["Procedure"]),
        medication_requests=tuple(by_type["MedicationRequest"]),
        medication_statements=tuple(by_type["MedicationStatement"]),
        index=index,
        notes=tuple(notes),
    )


def _check_belong_to(resources: Iterable[Resource], patient: Ref | None) -> None:
    for resource in resources:
        subject = parse_reference(str((resource.get("subject") or {}).get("reference", "")))
        if patient is not None and (subject is None or subject.literal != patient.literal):
            raise InvalidInput(
                f"{resource['resourceType']}/{resource.get('id')} belongs to another patient "
                "than the encounter's"
            )


def _typed(resource: Resource | None, resource_type: str) -> Resource | None:
    return resource if resource and resource.get("resourceType") == resource_type else None


def _physician(encounter: Resource, index: ResourceIndex) -> Resource | None:
    ranked: list[tuple[int, Resource]] = []
    for participant in encounter.get("participant") or []:
        individual = index.resolve(participant.get("individual"))
        if individual is not None and individual.get("resourceType") == "PractitionerRole":
            # A participant by role: the Practitioner who fills it signs.
            individual = index.resolve(individual.get("practitioner"))
        individual = _typed(individual, "Practitioner")
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


def _general_practitioner(
    patient: Resource | None, index: ResourceIndex
) -> tuple[Resource | None, tuple[str, ...]]:
    """Patient.generalPractitioner (Practitioner, PractitionerRole or Organization): the first
    resolvable one in use, and the `Type/id` of those passed over as not in use (`active` false:
    a GP who retired or moved, a practice that closed: a letter to them reaches no one)."""
    not_in_use: list[str] = []
    for reference in (patient or {}).get("generalPractitioner") or []:
        resource = index.resolve(reference)
        if resource is None:
            continue
        if resource.get("active") is False:
            not_in_use.append(f"{resource.get('resourceType')}/{resource.get('id')}")
            continue
        return resource, tuple(not_in_use)
    return None, tuple(not_in_use)


def _logical_general_practitioner(
    patient: Resource | None, index: ResourceIndex
) -> Resource | None:
    """The first Patient.generalPractitioner that names the GP by identifier (system and value)
    and no resource of the record: a logical reference (FHIR R4 Reference.identifier)."""
    for reference in (patient or {}).get("generalPractitioner") or []:
        if not isinstance(reference, dict) or index.resolve(reference) is not None:
            continue
        identifier = reference.get("identifier")
        if (
            isinstance(identifier, dict)
            and isinstance(identifier.get("system"), str)
            and isinstance(identifier.get("value"), str)
            and identifier["value"].strip()
        ):
            return reference
    return None


def require(value: Resource | None, what: str) -> Resource:
    if value is None:
        raise IncompleteRecord(what)
    return value
