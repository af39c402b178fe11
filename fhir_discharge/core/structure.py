"""A compiled fast path for the structure check of the records a discharge usually carries.

`context.check_structure` validates input with the `fhir.resources` R4B models, which build every
nested element through Python validators (~30 µs an element, ~2 ms for a typical context
Bundle). This module compiles, once, a pydantic-core schema of a *subset* of R4B, derived from
the R4B models themselves: the resource types and elements below, each primitive typed with
R4B's own annotation (the same regexes, date and number checks, in the same lax mode), each
complex element a closed TypedDict (unknown keys refused), and stricter than R4B wherever that
is simpler: no nulls, no empty lists, no `_element` extensions, no `extension`, required
elements required as values.

It is only ever used to *accept*: `conforms` True means R4B accepts the input too (the subset's
rule; tests/test_structure.py checks it against R4B over thousands of mutations). False means
"not proven here": the caller then runs the full R4B validation, which accepts or refuses with
its own paths, exactly as before.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Iterable
from typing import Annotated, Any, Literal, Required, Union, get_args, get_origin

from pydantic import ConfigDict, Field, TypeAdapter, ValidationError
from typing_extensions import TypedDict

# The JSON keys the subset admits, by R4B model class. Every element R4B requires (and one
# choice of each required choice element) must be listed: the build below checks it.
_ELEMENTS: dict[str, frozenset[str]] = {
    name: frozenset(keys.split())
    for name, keys in {
        "Bundle": "resourceType id meta type entry",
        "BundleEntry": "fullUrl resource",
        "Encounter": "resourceType id meta identifier status class subject participant period "
        "diagnosis hospitalization serviceProvider",
        "EncounterParticipant": "type individual",
        "EncounterDiagnosis": "condition use rank",
        "EncounterHospitalization": "dischargeDisposition",
        "Patient": "resourceType id meta identifier name gender birthDate telecom address "
        "generalPractitioner managingOrganization",
        "Practitioner": "resourceType id meta identifier name telecom address",
        "Organization": "resourceType id meta identifier name telecom address",
        "Condition": "resourceType id meta identifier clinicalStatus verificationStatus "
        "category code subject encounter onsetDateTime recordedDate",
        "QuestionnaireResponse": "resourceType id meta language identifier questionnaire status "
        "subject encounter authored author item",
        "QuestionnaireResponseItem": "linkId text answer",
        "Observation": "resourceType id meta identifier status category code subject encounter "
        "effectiveDateTime issued valueQuantity",
        "MedicationRequest": "resourceType id meta identifier status intent "
        "medicationCodeableConcept subject encounter authoredOn requester dosageInstruction",
        "Dosage": "text",
        "Quantity": "value comparator unit system code",
        "QuestionnaireResponseItemAnswer": "valueBoolean",
        "Meta": "versionId lastUpdated source profile",
        "Coding": "system code display",
        "CodeableConcept": "coding text",
        "Reference": "reference display",
        "Identifier": "use system value",
        "Period": "start end",
        "HumanName": "use text family given prefix suffix",
        "Address": "use text line city postalCode country",
        "ContactPoint": "system value use",
    }.items()
}
_RESOURCE_TYPES = (
    "Encounter",
    "Patient",
    "Practitioner",
    "Organization",
    "Condition",
    "QuestionnaireResponse",
    "Observation",
    "MedicationRequest",
)
_CLOSED = ConfigDict(extra="forbid")
# The types below are made at run time from the R4B models: typing's special forms, as values.
_TYPED_DICT: Any = TypedDict
_UNION: Any = Union
_ANNOTATED: Any = Annotated
_REQUIRED: Any = Required
_LITERAL: Any = Literal
_LIST: Any = list


class SubsetError(Exception):
    """The subset above would admit what R4B refuses: a programming error, raised at import."""


def _without_none(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        (annotation,) = (a for a in get_args(annotation) if a is not type(None))
    return annotation


def _model_of(annotation: Any) -> Any:
    """The R4B model class behind a complex element's annotation, None for a primitive."""
    get_model = getattr(annotation, "get_model_klass", None)
    return get_model() if get_model is not None else None


class _Builder:
    def __init__(self) -> None:
        self.built: dict[str, Any] = {}

    def resources(self) -> Any:
        from fhir.resources.R4B import get_fhir_model_class

        union = _UNION[tuple(self.typed_dict(get_fhir_model_class(t)) for t in _RESOURCE_TYPES)]
        return _ANNOTATED[union, Field(discriminator="resourceType")]

    def typed_dict(self, model: Any) -> Any:
        name = model.__name__
        if name not in self.built:
            allowed = _ELEMENTS[name]
            by_key = {info.alias or field: info for field, info in model.model_fields.items()}
            _check_required_listed(name, by_key, allowed)
            fields: dict[str, Any] = {}
            for key in sorted(allowed):
                if key == "resourceType":
                    fields[key] = _REQUIRED[_LITERAL[name]]
                    continue
                info = by_key[key]
                extra = info.json_schema_extra or {}
                value = self.element(_without_none(info.annotation))
                required = info.is_required() or extra.get("element_required")
                required = required or extra.get("one_of_many_required")
                fields[key] = _REQUIRED[value] if required else value
            built = _TYPED_DICT(f"{name}Subset", fields, total=False)
            built.__pydantic_config__ = _CLOSED
            self.built[name] = built
        return self.built[name]

    def element(self, annotation: Any) -> Any:
        if get_origin(annotation) is list:
            (item,) = get_args(annotation)
            items = _LIST[self.element(_without_none(item))]
            return _ANNOTATED[items, Field(min_length=1)]
        model = _model_of(annotation)
        if model is None:
            return annotation  # R4B's own primitive annotation
        if model.__name__ == "Resource":  # Bundle.entry.resource: any resource
            return self.resources()
        return self.typed_dict(model)


def _check_required_listed(name: str, by_key: dict[str, Any], allowed: Iterable[str]) -> None:
    allowed = set(allowed)
    choices: dict[str, list[str]] = {}
    for key, info in by_key.items():
        extra = info.json_schema_extra or {}
        if (info.is_required() or extra.get("element_required")) and key not in allowed:
            raise SubsetError(f"{name}.{key} is required by R4B but not in the subset")
        if extra.get("one_of_many") and key in allowed:
            choices.setdefault(extra["one_of_many"], []).append(key)
        if extra.get("one_of_many_required") and not any(
            (by_key[k].json_schema_extra or {}).get("one_of_many") == extra["one_of_many"]
            for k in allowed
            if k in by_key
        ):
            raise SubsetError(f"{name}.{extra['one_of_many']}[x] is required but not in the subset")
    for prefix, listed in choices.items():
        if len(listed) > 1:  # R4B refuses two choices at once; a closed dict cannot say so
            raise SubsetError(f"{name}.{prefix}[x]: list one choice only, not {listed}")


@functools.cache  # at first use: importing the R4B models takes a second
def _compile() -> TypeAdapter[Any]:
    from fhir.resources.R4B import get_fhir_model_class

    builder = _Builder()
    bundle = builder.typed_dict(get_fhir_model_class("Bundle"))
    resources = get_args(builder.resources())[0]
    top = _UNION[(*get_args(resources), bundle)]
    return TypeAdapter(_ANNOTATED[top, Field(discriminator="resourceType")])


def conforms(resource: Any) -> bool:
    """True when `resource` is within the compiled subset, hence valid R4B; False when it is
    not proven here (then only the R4B models can tell)."""
    try:
        _compile().validate_python(resource)
    except ValidationError:
        return False
    except Exception:  # whatever else trips here is "not proven" too: R4B decides
        return False
    return True
