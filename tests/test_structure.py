"""The structure check's compiled fast path (core/structure.py) never accepts what R4B refuses.

check_structure first asks the compiled subset of R4B, then, when the subset does not prove the
input valid, the R4B models. The fast path may only ever *accept*: these tests mutate valid
records at every element, thousands of ways, and require check_structure's verdict and message
to be the R4B models' own (`check_with_models`), and the subset to accept nothing R4B refuses.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from fhir_discharge.core.context import check_structure, check_with_models
from fhir_discharge.core.structure import _ELEMENTS, conforms
from fhir_discharge.errors import InvalidInput
from tests.support.factories import fresh_record, happy_bundle, prescription, temperature

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
)
# Keys a closed element must not take silently.
HOSTILE_KEYS: tuple[tuple[str, Any], ...] = (
    ("bogus", 1),
    ("_status", {"extension": [{"url": "http://example.org/x", "valueString": "x"}]}),
    ("extension", [{"url": "http://example.org/x", "valueString": "x"}]),
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


def _every_element(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    """The example's resources given every element of the subset the example lacks (as a FHIR
    server's read carries meta), so that each is mutated too."""
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
    return [*resources.values(), observation, medication]


def _documents() -> list[dict[str, Any]]:
    bundle = fresh_record("structure")
    resources = [entry["resource"] for entry in bundle["entry"]]
    return [bundle | {"id": "b1", "meta": SERVER_META}, *resources, *_every_element(bundle)]


def _keys(node: Any) -> set[str]:
    return {str(p[-1]) for p, _ in _paths(node) if p and isinstance(p[-1], str)}


def test_every_element_of_the_subset_is_mutated() -> None:
    # An element added to the subset without test data here would go unchecked against R4B.
    admitted = set().union(*_ELEMENTS.values())
    assert admitted - set().union(*map(_keys, _documents())) == set()


def test_the_usual_records_take_the_fast_path() -> None:
    # Without this the tests below would pass with a fast path that accepts nothing.
    for document in [happy_bundle(), *_documents()]:
        assert conforms(document), document["resourceType"]


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
