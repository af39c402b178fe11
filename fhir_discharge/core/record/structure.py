"""A compiled fast path for the structure check of the records a discharge usually carries.

`context.check_structure` validates input with the `fhir.resources` R4B models, which build every
nested element through Python validators (~30 µs an element, ~2 ms for a typical context
Bundle). This module compiles, once, a pydantic-core schema of a *subset* of R4B, derived from
the R4B models themselves: the resource types and elements below, each primitive typed with
R4B's own annotation (the same regexes, date and number checks, in the same lax mode), each
complex element a closed TypedDict (unknown keys refused), and stricter than R4B wherever that
is simpler: no nulls, no empty lists, no `_element` extensions, required elements required as
values, an extension (or modifierExtension) with a url and exactly one value of a few common
types and no extension inside, a narrative with one of its four status codes and an XHTML div.

It is only ever used to *accept*: `conforms` True means R4B accepts the input too (the subset's
rule; tests/unit/test_structure.py checks it against R4B over thousands of mutations). False means
"not proven here": the caller then runs the full R4B validation, which accepts or refuses with
its own paths, exactly as before.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Iterable
from typing import Annotated, Any, Literal, Required, Union, get_args, get_origin

from pydantic import (
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    TypeAdapter,
    ValidationError,
)
from typing_extensions import TypedDict

from .record_types import CONTEXT_TYPES

# The JSON keys the subset admits, by R4B model class. Every element R4B requires (and one
# choice of each required choice element) must be listed: the build below checks it.
_ELEMENTS: dict[str, frozenset[str]] = {
    name: frozenset(keys.split())
    for name, keys in {
        # a searchset as FHIR servers and CDS prefetch give it: total, paging links, the
        # entries' search mode
        "Bundle": "resourceType id meta type total link entry",
        "BundleLink": "relation url",
        "BundleEntry": "fullUrl resource search",
        "BundleEntrySearch": "mode score",
        "Encounter": "resourceType id meta text identifier status class subject participant "
        "period diagnosis hospitalization serviceProvider",
        "EncounterParticipant": "type individual",
        "EncounterDiagnosis": "condition use rank",
        "EncounterHospitalization": "dischargeDisposition",
        "Patient": "resourceType id meta text identifier name gender birthDate telecom address "
        "generalPractitioner managingOrganization",
        "Practitioner": "resourceType id meta text identifier name telecom address",
        "PractitionerRole": "resourceType id meta text identifier active period practitioner "
        "organization code specialty location telecom",
        "Organization": "resourceType id meta text identifier name telecom address",
        "Condition": "resourceType id meta text identifier clinicalStatus verificationStatus "
        "category code subject encounter onsetDateTime recordedDate",
        "QuestionnaireResponse": "resourceType id meta text language identifier questionnaire "
        "status subject encounter authored author item",
        "QuestionnaireResponseItem": "linkId text answer",
        "QuestionnaireResponseItemAnswer": "valueBoolean",
        "Observation": "resourceType id meta text identifier status category code subject "
        "encounter effectiveDateTime issued valueQuantity",
        "ImagingStudy": "resourceType id meta text identifier status modality subject encounter "
        "started basedOn referrer interpreter numberOfSeries numberOfInstances procedureCode "
        "reasonCode description series",
        "ImagingStudySeries": "uid number modality description numberOfInstances bodySite "
        "started instance",
        "ImagingStudySeriesInstance": "uid sopClass number title",
        "DiagnosticReport": "resourceType id meta text identifier basedOn status category code "
        "subject encounter effectiveDateTime issued performer resultsInterpreter result "
        "imagingStudy conclusion conclusionCode",
        "Procedure": "resourceType id meta text identifier basedOn status category code subject "
        "encounter performedDateTime recorder asserter performer reasonCode bodySite outcome",
        "ProcedurePerformer": "function actor onBehalfOf",
        "MedicationRequest": "resourceType id meta text identifier status intent "
        "medicationCodeableConcept subject encounter authoredOn requester dosageInstruction",
        "MedicationStatement": "resourceType id meta text identifier status "
        "medicationCodeableConcept subject context effectiveDateTime dateAsserted dosage",
        "Medication": "resourceType id meta text identifier code status manufacturer form "
        "ingredient",
        "MedicationIngredient": "itemCodeableConcept isActive strength",
        "Dosage": "text",
        "Ratio": "numerator denominator",
        "Quantity": "value comparator unit system code",
        "Narrative": "status div",
        "Extension": "url valueString valueCode valueBoolean valueInteger valueDecimal "
        "valueDate valueDateTime valueUri valueCoding valueCodeableConcept valueReference "
        "valueIdentifier valuePeriod valueQuantity",
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
# Every element above that R4B lets carry these takes them too, except an extension and the
# value of one: an extension inside an extension (a complex extension) is left to R4B.
_EXTENSIONS = frozenset({"extension", "modifierExtension"})
# Narrower than R4B's own type. R4B checks neither the status's value set nor the div (its
# XhtmlType is a plain str: any string passes); the subset admits the four codes and a div
# element in the XHTML namespace, as FHIR's Narrative.div requires, and leaves any other
# narrative to R4B, which decides as before. `_check_narrowed` holds that R4B accepts it all.
_XHTML_DIV = (
    r"\A<div\s[^>]*xmlns=(\"http://www\.w3\.org/1999/xhtml\"|'http://www\.w3\.org/1999/xhtml')"
    r"[^>]*>[\s\S]*</div>\s*\z"
)
_NARROWED: dict[tuple[str, str], Any] = {
    ("Narrative", "status"): Literal["generated", "extensions", "additional", "empty"],
    ("Narrative", "div"): Annotated[str, StringConstraints(strict=True, pattern=_XHTML_DIV)],
}
# Lists the subset admits empty, where R4B does too: a searchset with no match (a prefetch of
# what the record lacks; tests/unit/test_structure.py checks R4B accepts it).
_MAY_BE_EMPTY: frozenset[tuple[str, str]] = frozenset({("Bundle", "entry")})
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


def _by_key(model: Any) -> dict[str, Any]:
    return {info.alias or field: info for field, info in model.model_fields.items()}


def _extension_value(extension: Any) -> str | None:
    """The one value[x] key of an extension, None when it has none or several (refused)."""
    if not isinstance(extension, dict):
        return None
    keys = [key for key in extension if isinstance(key, str) and key.startswith("value")]
    return keys[0] if len(keys) == 1 else None


class _Builder:
    def __init__(self) -> None:
        self.built: dict[tuple[str, bool], Any] = {}
        self.admitted: set[tuple[str, str]] = set()

    def resources(self) -> Any:
        from fhir.resources.R4B import get_fhir_model_class

        union = _UNION[tuple(self.typed_dict(get_fhir_model_class(t)) for t in CONTEXT_TYPES)]
        return _ANNOTATED[union, Field(discriminator="resourceType")]

    def typed_dict(self, model: Any, extensible: bool = True) -> Any:
        name = model.__name__
        if (name, extensible) not in self.built:
            by_key = _by_key(model)
            allowed = set(_ELEMENTS[name])
            _check_required_listed(name, by_key, allowed)
            if extensible:
                allowed |= _EXTENSIONS & by_key.keys()
            fields: dict[str, Any] = {}
            for key in sorted(allowed):
                self.admitted.add((name, key))
                if key == "resourceType":
                    fields[key] = _REQUIRED[_LITERAL[name]]
                    continue
                info = by_key[key]
                extra = info.json_schema_extra or {}
                value = self.element(_without_none(info.annotation), extensible)
                if (name, key) in _NARROWED:
                    value = _check_narrowed(name, key, value, _NARROWED[name, key])
                if (name, key) in _MAY_BE_EMPTY:
                    value = get_args(value)[0]  # the list, without its min_length
                required = info.is_required() or extra.get("element_required")
                required = required or extra.get("one_of_many_required")
                fields[key] = _REQUIRED[value] if required else value
            suffix = "Subset" if extensible else "PlainSubset"
            built = _TYPED_DICT(f"{name}{suffix}", fields, total=False)
            built.__pydantic_config__ = _CLOSED
            self.built[name, extensible] = built
        return self.built[name, extensible]

    def extension(self, model: Any) -> Any:
        """Extension: a url and exactly one value[x] of the listed types, told apart by which
        value key it has (R4B's one-of-many rule, which a closed dict alone cannot state)."""
        if ("Extension", True) not in self.built:
            by_key = _by_key(model)
            allowed = _ELEMENTS["Extension"]
            _check_required_listed("Extension", by_key, allowed, union=True)
            url = by_key["url"]
            if not (url.json_schema_extra or {}).get("element_required"):
                raise SubsetError("Extension.url: R4B no longer requires it; revisit the subset")
            variants = []
            for key in sorted(allowed - {"url"}):
                if (by_key[key].json_schema_extra or {}).get("one_of_many") != "value":
                    raise SubsetError(f"Extension.{key} is not a choice of value[x]")
                fields = {
                    "url": _REQUIRED[_without_none(url.annotation)],
                    key: _REQUIRED[self.element(_without_none(by_key[key].annotation), False)],
                }
                variant = _TYPED_DICT(f"Extension{key[:1].upper()}{key[1:]}Subset", fields)
                variant.__pydantic_config__ = _CLOSED
                variants.append(_ANNOTATED[variant, Tag(key)])
                self.admitted.update({("Extension", "url"), ("Extension", key)})
            union = _UNION[tuple(variants)]
            self.built["Extension", True] = _ANNOTATED[union, Discriminator(_extension_value)]
        return self.built["Extension", True]

    def element(self, annotation: Any, extensible: bool) -> Any:
        if get_origin(annotation) is list:
            (item,) = get_args(annotation)
            items = _LIST[self.element(_without_none(item), extensible)]
            return _ANNOTATED[items, Field(min_length=1)]
        model = _model_of(annotation)
        if model is None:
            return annotation  # R4B's own primitive annotation
        if model.__name__ == "Resource":  # Bundle.entry.resource: any resource
            return self.resources()
        if model.__name__ == "Extension":
            return self.extension(model)
        return self.typed_dict(model, extensible)


def _check_required_listed(
    name: str, by_key: dict[str, Any], allowed: Iterable[str], union: bool = False
) -> None:
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
        if len(listed) > 1 and not union:  # R4B refuses two choices; a closed dict cannot say so
            raise SubsetError(f"{name}.{prefix}[x]: list one choice only, not {listed}")


def _check_narrowed(name: str, key: str, r4b: Any, narrowed: Any) -> Any:
    """`narrowed`, once shown to admit only what R4B's annotation `r4b` accepts."""
    if get_origin(narrowed) is Literal:  # each code valid as R4B's type, and nothing else
        check = TypeAdapter(r4b)
        for value in get_args(narrowed):
            try:
                if check.validate_python(value) != value:
                    raise SubsetError(f"{name}.{key}: R4B changes {value!r}")
            except ValidationError:
                raise SubsetError(f"{name}.{key}: R4B refuses {value!r}") from None
        return narrowed
    # a constrained string where R4B takes any string
    if TypeAdapter(r4b).core_schema != {"type": "str"}:
        raise SubsetError(f"{name}.{key}: R4B now constrains it; revisit the subset")
    if TypeAdapter(narrowed).core_schema.get("type") != "str":
        raise SubsetError(f"{name}.{key}: the subset's type is not a string")
    return narrowed


@functools.cache  # at first use: importing the R4B models takes a second
def _compile() -> tuple[TypeAdapter[Any], frozenset[tuple[str, str]]]:
    from fhir.resources.R4B import get_fhir_model_class

    builder = _Builder()
    bundle = builder.typed_dict(get_fhir_model_class("Bundle"))
    resources = get_args(builder.resources())[0]
    top = _UNION[(*get_args(resources), bundle)]
    adapter = TypeAdapter(_ANNOTATED[top, Field(discriminator="resourceType")])
    return adapter, frozenset(builder.admitted)


def admitted() -> frozenset[tuple[str, str]]:
    """The (R4B model, JSON key) pairs the subset admits, for the tests' coverage check."""
    return _compile()[1]


def conforms(resource: Any) -> bool:
    """True when `resource` is within the compiled subset, hence valid R4B; False when it is
    not proven here (then only the R4B models can tell)."""
    try:
        _compile()[0].validate_python(resource)
    except ValidationError:
        return False
    except Exception:  # whatever else trips here is "not proven" too: R4B decides
        return False
    return True
