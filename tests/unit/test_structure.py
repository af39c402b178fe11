"""The structure check's compiled fast path (core/record/structure.py) never accepts what R4B
refuses.

check_structure first asks the compiled subset of R4B, then, when the subset does not prove the
input valid, the R4B models. The fast path may only ever *accept*: these tests mutate valid
records at every element, thousands of ways, and require check_structure's verdict and message
to be the R4B models' own (`check_with_models`), and the subset to accept nothing R4B refuses.
"""

from __future__ import annotations

import copy
import itertools
import typing
from collections.abc import Iterator
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class
from pydantic import StringConstraints

from fhir_discharge.core.record import context
from fhir_discharge.core.record.context import check_structure, check_with_models
from fhir_discharge.core.record.structure import (
    SubsetError,
    _check_narrowed,
    _model_of,
    _without_none,
    admitted,
    conforms,
)
from fhir_discharge.errors import InvalidInput
from tests.support.factories import (
    add,
    clinical,
    fresh_record,
    happy_bundle,
    prescription,
    resource,
    temperature,
)

DIV = '<div xmlns="http://www.w3.org/1999/xhtml"><p>Lage rugpijn, <b>ontslag</b></p></div>'
NARRATIVE = {"status": "generated", "div": DIV}
EXTENSION = {"url": "http://example.org/fhir/StructureDefinition/x", "valueString": "x"}

# What a hostile or careless sender puts where a value belongs.
HOSTILE_VALUES: tuple[Any, ...] = (
    None,
    "",
    " ",
    "\u00a0",
    "\x0b",
    "a  b",
    "bad id!",
    "x" * 65,
    "2024-02-30",
    "2024-02-10T10:00:00",
    "2024-02-10T25:00:00+01:00",
    "true",
    0,
    -1,
    1.5,
    10**20,
    True,
    [],
    {},
    [None],
    [{}],
    ["x"],
    {"bogus": 1},
    {"resourceType": "Patient", "id": "p"},
    "<div>no namespace</div>",
    [{"url": "http://example.org/x"}],
    [{"url": "http://example.org/x", "valueCode": "a", "valueBoolean": True}],
)
# Keys a closed element must not take silently.
HOSTILE_KEYS: tuple[tuple[str, Any], ...] = (
    ("bogus", 1),
    ("_status", {"extension": [{"url": "http://example.org/x", "valueString": "x"}]}),
    ("extension", [EXTENSION]),
    ("modifierExtension", [EXTENSION]),
    ("text", NARRATIVE),
    ("valueCode", "x"),
    ("resource_type", "Encounter"),
    ("fhir_comments", "x"),
    ("onsetString", "yesterday"),
    ("valueString", "x"),
    ("resourceType", "Condition"),
)


def _paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*path, index))


def _at(document: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        document = document[step]
    return document


def mutations(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every element replaced by each hostile value, deleted, and every object and list
    given what does not belong in it."""
    for path, node in list(_paths(document)):
        if path:
            for value in HOSTILE_VALUES:
                mutated = copy.deepcopy(document)
                _at(mutated, path[:-1])[path[-1]] = copy.deepcopy(value)
                yield mutated
            mutated = copy.deepcopy(document)
            del _at(mutated, path[:-1])[path[-1]]
            yield mutated
        if isinstance(node, dict):
            for key, value in HOSTILE_KEYS:
                mutated = copy.deepcopy(document)
                _at(mutated, path)[key] = copy.deepcopy(value)
                yield mutated
        elif isinstance(node, list):
            for extra in (None, {}, "x", copy.deepcopy(node[0]) if node else 1):
                mutated = copy.deepcopy(document)
                _at(mutated, path).append(extra)
                yield mutated


def _verdict(check: Any, document: Any) -> str:
    try:
        check(document, "request body")
    except InvalidInput as error:
        return f"refused: {error}"
    return "accepted"


def r4b_only(document: Any, where: str) -> None:
    """check_structure as it was before the fast path: the same pre-check, then R4B."""
    if not isinstance(document, dict) or not isinstance(document.get("resourceType"), str):
        raise InvalidInput(f"{where}: not a FHIR resource (no resourceType)")
    check_with_models(document, where)


SERVER_META = {
    "versionId": "3",
    "lastUpdated": "2026-12-02T10:00:00.123+01:00",
    "source": "#a1b2",
    "profile": ["http://hl7.org/fhir/StructureDefinition/Patient"],
}
ADDRESS = {"use": "work", "text": "Bahnhofstrasse 1, 8001 Zurich", "line": ["Bahnhofstrasse 1"]}
ADDRESS |= {"city": "Zurich", "postalCode": "8001", "country": "CH"}
TELECOM = {"system": "phone", "value": "+41 44 000 00 00", "use": "work"}


SNOMED, UCUM = "http://snomed.info/sct", "http://unitsofmeasure.org"
CT = {"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "CT", "display": "CT"}
LUMBAR = {"system": SNOMED, "code": "122496007", "display": "Lumbar spine structure"}
# One of each value type the subset admits in an extension: spread over the documents below.
EXTENSION_VALUES: tuple[tuple[str, Any], ...] = (
    ("valueString", "Leuven"),
    ("valueCode", "nl-BE"),
    ("valueBoolean", False),
    ("valueInteger", 3),
    ("valueDecimal", 1.25),
    ("valueDate", "1981-03-14"),
    ("valueDateTime", "2026-12-01T09:30:00+01:00"),
    ("valueUri", "urn:oid:2.16.840.1.113883.2.4.6.3"),
    ("valueCoding", {"system": "urn:iso:std:iso:3166", "code": "BE", "display": "Belgium"}),
    ("valueCodeableConcept", {"coding": [{"system": SNOMED, "code": "73211009"}], "text": "x"}),
    ("valueReference", {"reference": "Organization/o1", "display": "UZ Leuven"}),
    ("valueIdentifier", {"use": "official", "system": "urn:oid:1.2.3", "value": "42"}),
    ("valuePeriod", {"start": "2026-12-01", "end": "2026-12-02T10:00:00+01:00"}),
    ("valueQuantity", {"value": 72.5, "unit": "kg", "system": UCUM, "code": "kg"}),
)


def _new_types() -> list[dict[str, Any]]:
    """The resource types the subset has covered since the first fast path, at every element."""
    study = clinical(
        "ImagingStudy",
        "ct",
        status="available",
        modality=[CT],
        started="2026-12-01T10:00:00+01:00",
        basedOn=[{"reference": "ServiceRequest/sr1"}],
        referrer={"reference": "Practitioner/p1", "display": "Dr X"},
        interpreter=[{"display": "Dr Y"}],
        numberOfSeries=1,
        numberOfInstances=2,
        procedureCode=[{"coding": [{"system": SNOMED, "code": "241547008"}], "text": "CT LWZ"}],
        reasonCode=[{"text": "lage rugpijn"}],
        description="CT lumbale wervelzuil",
    )
    instance = {"uid": "1.2.840.113619.2.55.3.4", "sopClass": {"code": "1.2.840.10008.5.1.4.1.1.2"}}
    study["series"] = [
        {
            "uid": "1.2.840.113619.2.55.3.1",
            "number": 1,
            "modality": CT,
            "description": "axiaal",
            "numberOfInstances": 2,
            "bodySite": LUMBAR,
            "started": "2026-12-01T10:01:00+01:00",
            "instance": [instance | {"number": 1, "title": "sneden"}],
        }
    ]
    report = clinical(
        "DiagnosticReport",
        "rx",
        status="final",
        category=[{"coding": [{"code": "RAD"}]}],
        code={"text": "RX lumbale wervelzuil"},
        basedOn=[{"reference": "ServiceRequest/sr2"}],
        effectiveDateTime="2026-12-01T10:05:00+01:00",
        issued="2026-12-01T11:00:00.000+01:00",
        performer=[{"reference": "Organization/o1"}],
        resultsInterpreter=[{"reference": "Practitioner/p2"}],
        result=[{"reference": "Observation/t1"}],
        imagingStudy=[{"reference": "ImagingStudy/ct"}],
        conclusion="Geen fractuur.",
        conclusionCode=[{"coding": [{"system": SNOMED, "code": "281900007"}]}],
    )
    procedure = clinical(
        "Procedure",
        "inf",
        status="completed",
        category={"coding": [{"system": SNOMED, "code": "387713003"}]},
        code={"text": "Infiltratie"},
        basedOn=[{"reference": "ServiceRequest/sr3"}],
        performedDateTime="2026-12-01T11:30:00+01:00",
        recorder={"reference": "Practitioner/p1"},
        asserter={"display": "Dr X"},
        performer=[
            {
                "function": {"text": "uitvoerder"},
                "actor": {"reference": "Practitioner/p1"},
                "onBehalfOf": {"reference": "Organization/o1"},
            }
        ],
        reasonCode=[{"text": "pijn"}],
        bodySite=[{"coding": [LUMBAR]}],
        outcome={"text": "geslaagd"},
    )
    milligram = {"value": 400, "unit": "mg", "system": UCUM, "code": "mg"}
    tablet = {"value": 1, "unit": "tablet", "system": UCUM, "code": "{tbl}"}
    medication = {
        "resourceType": "Medication",
        "id": "ibu",
        "identifier": [{"system": "urn:oid:1.2.3", "value": "ibu-400"}],
        "code": {"coding": [{"system": SNOMED, "code": "387207008"}], "text": "Ibuprofen 400 mg"},
        "status": "active",
        "manufacturer": {"display": "Generiek"},
        "form": {"text": "tablet"},
        "ingredient": [
            {
                "itemCodeableConcept": {"text": "ibuprofen"},
                "isActive": True,
                "strength": {"numerator": milligram, "denominator": tablet},
            }
        ],
    }
    role = {
        "resourceType": "PractitionerRole",
        "id": "role",
        "identifier": [{"system": "urn:oid:1.2.3", "value": "role-1"}],
        "active": True,
        "period": {"start": "2020-01-01"},
        "practitioner": {"reference": "Practitioner/p1"},
        "organization": {"reference": "Organization/o1"},
        "code": [{"coding": [{"system": SNOMED, "code": "309294001"}]}],
        "specialty": [{"text": "urgentiegeneeskunde"}],
        "location": [{"display": "Spoed"}],
        "telecom": [TELECOM],
    }
    home_medication = clinical(
        "MedicationStatement",
        "statin",
        status="active",
        medicationCodeableConcept={
            "coding": [{"system": "http://www.whocc.no/atc", "code": "C10AA05"}],
            "text": "Atorvastatine 20 mg",
        },
        effectiveDateTime="2025-01-01",
        dateAsserted="2026-12-01T09:20:00+01:00",
        dosage=[{"text": "1 x per dag"}],
    )
    home_medication["context"] = home_medication.pop("encounter")
    return [study, report, procedure, medication, role, home_medication]


def _every_element(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    """The example's resources given every element of the subset the example lacks (as a FHIR
    server's read carries meta and a narrative), so that each is mutated too."""
    resources = {
        e["resource"]["resourceType"]: copy.deepcopy(e["resource"]) for e in bundle["entry"]
    }
    patient, practitioner = resources["Patient"], resources["Practitioner"]
    patient |= {"meta": SERVER_META, "telecom": [TELECOM], "address": [ADDRESS]}
    patient["managingOrganization"] = {"reference": "Organization/o1", "display": "Hospital"}
    patient["name"][0] |= {"text": "Dr Jane Q Doe", "suffix": ["PhD"]}
    practitioner |= {"telecom": [TELECOM], "address": [ADDRESS]}
    resources["Condition"]["recordedDate"] = "2026-12-01T09:30:00+01:00"
    encounter = resources["Encounter"]
    encounter["diagnosis"][0]["use"] = {"text": "discharge diagnosis"}
    observation = temperature(
        "t1",
        38.25,
        category=[{"coding": [{"code": "vital-signs"}]}],
        effectiveDateTime="2026-12-01T08:00:00+01:00",
        issued="2026-12-01T08:05:00.000+01:00",
    )
    observation["valueQuantity"] |= {"comparator": "<", "unit": "°C"}
    medication = prescription("m1", "ibuprofen", "400 mg three times a day")
    medication |= {"authoredOn": "2026-12-01T11:00:00+01:00", "requester": {"display": "Dr X"}}
    documents = [*resources.values(), observation, medication, *_new_types()]
    for document in documents:
        document.setdefault("meta", {"versionId": "1"})
        document["text"] = copy.deepcopy(NARRATIVE)
    _extend(documents)
    return documents


def _children(node: dict[str, Any], model: Any) -> Iterator[tuple[Any, dict[str, Any]]]:
    """Each complex element directly in `node` (an instance of the R4B `model`), with its model."""
    fields = {info.alias or name: info for name, info in model.model_fields.items()}
    for key, value in node.items():
        if key not in fields:
            continue
        annotation = _without_none(fields[key].annotation)
        if isinstance(value, list):
            (annotation,) = typing.get_args(annotation) or (None,)
            annotation = _without_none(annotation)
        child = _model_of(annotation)
        for item in value if isinstance(value, list) else [value]:
            if child is not None and isinstance(item, dict):
                yield child, item


def _elements(node: dict[str, Any], model: Any = None) -> Iterator[tuple[Any, dict[str, Any]]]:
    """Every object of a FHIR document, with its R4B model class."""
    if model is None or model.__name__ == "Resource":
        model = get_fhir_model_class(node["resourceType"])
    yield model, node
    for child, item in _children(node, model):
        yield from _elements(item, child)


def _extend(documents: list[dict[str, Any]]) -> None:
    """The first element of each kind that may carry extensions given one (an extension's own
    value excepted), and one modifierExtension, the value types taking turns."""
    values = itertools.cycle(EXTENSION_VALUES)
    done: set[tuple[str, str]] = set()
    for document in documents:
        for model, node in list(_elements(document)):
            for key in ("extension", "modifierExtension"):
                if (model.__name__, key) in admitted() and (model.__name__, key) not in done:
                    done.add((model.__name__, key))
                    value_key, value = next(values)
                    url = f"http://example.org/fhir/StructureDefinition/{value_key}"
                    node[key] = [{"url": url, value_key: copy.deepcopy(value)}]


def _searchset(bundle: dict[str, Any]) -> dict[str, Any]:
    """A FHIR server's answer to a search (a CDS prefetch): total, paging links, each entry's
    search mode and score; its link and search given extensions."""
    conditions = [e["resource"] for e in bundle["entry"]][:2]
    searchset = {
        "resourceType": "Bundle",
        "id": "s1",
        "meta": SERVER_META,
        "type": "searchset",
        "total": len(conditions),
        "link": [{"relation": "self", "url": "http://ehr.example/fhir/Condition?patient=p1"}],
        "entry": [
            {
                "fullUrl": f"http://ehr.example/fhir/{r['resourceType']}/{r['id']}",
                "resource": copy.deepcopy(r),
                "search": {"mode": "match", "score": 1},
            }
            for r in conditions
        ],
    }
    searchset["link"][0]["extension"] = [EXTENSION]
    searchset["entry"][0]["search"] |= {"extension": [EXTENSION], "modifierExtension": [EXTENSION]}
    searchset["link"][0]["modifierExtension"] = [EXTENSION]
    return searchset


def _documents() -> list[dict[str, Any]]:
    bundle = fresh_record("structure")
    resources = [entry["resource"] for entry in bundle["entry"]]
    extended = copy.deepcopy(bundle)
    extended["entry"][0] |= {"extension": [EXTENSION], "modifierExtension": [EXTENSION]}
    return [
        extended | {"id": "b1", "meta": SERVER_META},
        *resources,
        *_every_element(bundle),
        _searchset(bundle),
    ]


def _admitted_in(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {(model.__name__, key) for model, node in _elements(document) for key in node}


def test_every_element_of_the_subset_is_mutated() -> None:
    # An element added to the subset without test data here would go unchecked against R4B:
    # every (R4B model, element) the subset admits is in a document below, where it is mutated.
    seen = set().union(*map(_admitted_in, _documents()))
    assert admitted() - seen == set()


def test_the_usual_records_take_the_fast_path() -> None:
    # Without this the tests below would pass with a fast path that accepts nothing.
    for document in [happy_bundle(), *_documents()]:
        assert conforms(document), document["resourceType"]


def test_a_hook_prefetch_takes_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every prefetched searchset (total, links, search modes; an empty one for what the record
    lacks) is proven by the subset: the CDS card with prefetch asks the R4B models nothing
    (~0.5 ms each, twelve a card, before)."""
    from tests.support.hook_requests import full_prefetch, new_record

    prefetch = full_prefetch(new_record())
    empty = [k for k, v in prefetch.items() if v["resourceType"] == "Bundle" and not v["entry"]]
    assert empty, "the prefetch has no empty searchset"
    for key in empty:  # R4B accepts an empty entry list; so may the subset
        assert _verdict(r4b_only, prefetch[key]) == "accepted"

    def no_models(document: Any, where: str) -> None:
        raise AssertionError(f"the R4B models were asked for {where}")

    monkeypatch.setattr(context, "check_with_models", no_models)
    for key, value in prefetch.items():
        assert context.check_structure(value, f"prefetch.{key}") is value


NEWLY_COVERED = (
    "ImagingStudy",
    "DiagnosticReport",
    "Procedure",
    "Medication",
    "PractitionerRole",
    "MedicationStatement",
)


def test_a_record_with_narratives_extensions_and_examinations_takes_the_fast_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # What an EHR's export carries beside the example: each resource with its narrative and
    # extensions, and the examinations, medications and roles around the encounter. Each
    # once made check_structure fall back to the R4B models (~2 ms a record instead of 0.1).
    bundle = fresh_record("fast")
    present = {entry["resource"]["resourceType"] for entry in bundle["entry"]}
    for new in _every_element(bundle):
        if new["resourceType"] not in present:
            add(bundle, new)
        else:
            old = resource(bundle, new["resourceType"])
            old |= {k: new[k] for k in ("text", "extension", "modifierExtension") if k in new}
    for resource_type in NEWLY_COVERED:
        assert resource(bundle, resource_type)["text"] == NARRATIVE
    extended = [e["resource"] for e in bundle["entry"] if "extension" in e["resource"]]
    assert {"Patient", "Encounter"} <= {r["resourceType"] for r in extended}

    def no_models(document: Any, where: str) -> None:
        raise AssertionError("the R4B models were asked")

    monkeypatch.setattr(context, "check_with_models", no_models)
    assert context.check_structure(bundle, "request body") is bundle


@pytest.mark.slow
@pytest.mark.parametrize("index", range(len(_documents())))
def test_every_mutation_gets_the_r4b_models_verdict(index: int) -> None:
    document = _documents()[index]
    seen = refused = fast = 0
    for mutated in mutations(document):
        seen += 1
        expected = _verdict(r4b_only, mutated)
        if conforms(mutated):
            fast += 1
            assert expected == "accepted", f"the subset accepts what R4B refuses: {expected}"
            assert _verdict(check_structure, mutated) == expected
        # (otherwise check_structure is r4b_only itself: no need to run R4B twice)
        refused += expected.startswith("refused")
    # The mutations reach both sides: R4B refuses many, the subset proves some.
    assert refused > seen // 10
    assert fast > 0


def test_a_refusal_names_paths_never_values() -> None:
    bundle = fresh_record("structure")
    patient = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    patient["birthDate"] = "1950-13-45 Jane Doe"
    with pytest.raises(InvalidInput) as refused:
        check_structure(bundle, "request body")
    message = str(refused.value)
    assert "birthDate" in message
    assert "Jane" not in message and "1950" not in message


def test_two_choices_of_one_element_are_refused() -> None:
    # R4B's one-of-many rule, which a closed dict alone cannot state: the subset lists one
    # choice of onset[x] only, so the second is an unknown key and R4B decides.
    bundle = fresh_record("structure")
    condition = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Condition"
    )
    condition["onsetString"] = "last week"
    assert not conforms(bundle)
    with pytest.raises(InvalidInput, match=r"Bundle\.entry\.\d+\.resource"):
        check_structure(bundle, "request body")


def _extended_patient(*extensions: dict[str, Any]) -> dict[str, Any]:
    patient = resource(fresh_record("extension"), "Patient")
    return patient | {"extension": list(extensions)}


@pytest.mark.parametrize(
    ("extension", "r4b"),
    [
        (EXTENSION | {"valueCode": "x"}, "refused"),  # two values: R4B's one-of-many rule
        ({"valueString": "x"}, "refused"),  # no url
        ({"url": EXTENSION["url"]}, "accepted"),  # no value
        (EXTENSION | {"extension": [EXTENSION]}, "accepted"),  # nested
        ({"url": EXTENSION["url"], "valueAge": {"value": 3}}, "accepted"),  # another type
        (
            {"url": EXTENSION["url"], "valueCoding": {"code": "x", "extension": [EXTENSION]}},
            "accepted",
        ),
    ],
)
def test_an_extension_has_a_url_and_exactly_one_value_of_the_listed_types(
    extension: dict[str, Any], r4b: str
) -> None:
    # Anything else goes to R4B, which decides; the subset states R4B's one-value rule itself.
    patient = _extended_patient(EXTENSION, extension)
    assert not conforms(patient)
    assert _verdict(r4b_only, patient).startswith(r4b)
    assert _verdict(check_structure, patient) == _verdict(r4b_only, patient)
    assert conforms(_extended_patient(EXTENSION, EXTENSION))


@pytest.mark.parametrize(
    "text",
    [
        {"status": "generated", "div": "<div>no namespace</div>"},
        {"status": "generated", "div": "<p xmlns='http://www.w3.org/1999/xhtml'>x</p>"},
        {"status": "generated", "div": DIV + "<div>after</div>trailing"},
        {"status": "generated", "div": ""},
        {"status": "bogus", "div": DIV},
    ],
)
def test_a_narrative_r4b_does_not_check_goes_to_r4b(text: dict[str, Any]) -> None:
    # R4B takes any string as the div and any code as the status (fhir_core's XhtmlType is a
    # plain str; the status's value set is not enforced); the subset admits only an XHTML div
    # and the four codes, and leaves these to R4B, which accepts them.
    patient = resource(fresh_record("narrative"), "Patient") | {"text": text}
    assert not conforms(patient)
    assert _verdict(r4b_only, patient) == "accepted"
    assert conforms(patient | {"text": NARRATIVE})


@pytest.mark.parametrize("missing", ["status", "div"])
def test_a_narrative_without_its_status_or_div_is_refused(missing: str) -> None:
    patient = resource(fresh_record("narrative"), "Patient")
    patient["text"] = {k: v for k, v in NARRATIVE.items() if k != missing}
    assert not conforms(patient)
    assert (
        _verdict(check_structure, patient)
        == f"refused: request body: invalid Patient at Patient.text.{missing}"
    )


def test_a_narrowed_type_must_stay_within_r4b() -> None:
    # The build refuses a narrowed type R4B would not accept in full.
    from fhir.resources.R4B.extension import Extension
    from fhir.resources.R4B.narrative import Narrative

    status = _without_none(Narrative.model_fields["status"].annotation)
    div = _without_none(Narrative.model_fields["div"].annotation)
    url = _without_none(Extension.model_fields["url"].annotation)
    codes = typing.Literal["generated", "empty"]
    assert _check_narrowed("Narrative", "status", status, codes) is codes
    with pytest.raises(SubsetError, match="R4B refuses"):
        _check_narrowed("Narrative", "status", status, typing.Literal["generated", "a  b"])
    with pytest.raises(SubsetError, match="not a string"):
        _check_narrowed("Narrative", "div", div, int)
    with pytest.raises(SubsetError, match="R4B now constrains it"):
        _check_narrowed(
            "Extension", "url", url, typing.Annotated[str, StringConstraints(pattern="x")]
        )
