# ruff: noqa: F811
"""The document Bundle: Composition first, each referenced resource once, bdl-9/10/11 kept."""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:  # lets `pytest` (not only `python -m pytest`) import tests.*
    sys.path.insert(0, str(_ROOT))

from fhir_discharge import build_discharge  # noqa: E402
from fhir_discharge.core.letter.document import (  # noqa: E402
    build_document,
    document_identifier,
)
from tests.support.contexts import held_by_server  # noqa: E402
from tests.support.documents import BASE, example_document, land, landed_example  # noqa: E402
from tests.support.factories import happy_bundle, references_in  # noqa: E402
from tests.support.fhir_validator import format_issues  # noqa: E402
from tests.support.models import model_check  # noqa: E402
from tests.support.site import SITE  # noqa: E402
from tests.support.validator_fixture import fhir_validator  # noqa: E402, F401

# -- landing ------------------------------------------------------------------------------------


def test_landing_gives_ids_and_leaves_no_urn_references():
    discharge = build_discharge(held_by_server(happy_bundle()), SITE)
    landed = land(discharge.bundle)
    assert [r["id"] for r in landed] == [f"srv-{n}" for n in range(1, 11)]
    refs = set(references_in(landed))
    assert refs and not any(r.startswith("urn:") for r in refs)
    assert {"Task/srv-4", "Task/srv-5", "CarePlan/srv-3", "DocumentReference/srv-2"} <= refs
    assert "id" not in discharge.bundle["entry"][0]["resource"]  # the input is left alone


# -- structure ----------------------------------------------------------------------------------


def test_document_bundle_has_identifier_timestamp_and_the_composition_first():
    composition, _ = landed_example()
    bundle = example_document().bundle
    assert bundle["resourceType"] == "Bundle"
    assert bundle["type"] == "document"
    assert bundle["identifier"] == document_identifier(composition)  # bdl-9
    assert bundle["identifier"]["system"] and bundle["identifier"]["value"]
    assert bundle["timestamp"] == composition["date"] == "2026-11-25T12:40:00+01:00"  # bdl-10
    first = bundle["entry"][0]
    assert first["resource"]["resourceType"] == "Composition"  # bdl-11
    assert first["fullUrl"] == f"{BASE}/Composition/srv-1"
    assert not any("request" in e or "response" in e or "search" in e for e in bundle["entry"])


def test_every_referenced_resource_is_in_it_once_in_walk_order():
    document = example_document()
    urls = [e["fullUrl"] for e in document.bundle["entry"]]
    assert urls == [
        f"{BASE}/Composition/srv-1",
        # the Composition's own references: subject, encounter, author (= attester),
        # custodian, then the section entries in section order
        f"{BASE}/Patient/lbp-example-patient",
        f"{BASE}/Encounter/lbp-example-encounter",
        f"{BASE}/Practitioner/lbp-example-ed-physician",
        f"{BASE}/Organization/lbp-example-uzleuven",
        f"{BASE}/Condition/lbp-example-diagnosis",
        f"{BASE}/QuestionnaireResponse/lbp-example-screening",
        f"{BASE}/Task/srv-4",
        f"{BASE}/Task/srv-5",
        f"{BASE}/DocumentReference/srv-2",
        f"{BASE}/CarePlan/srv-3",
        # what those reference: the patient's GP (also the Tasks' owner)
        f"{BASE}/Practitioner/lbp-example-gp",
    ]
    assert len(set(urls)) == len(urls)
    assert document.missing_references == ()
    for entry in document.bundle["entry"]:
        r = entry["resource"]
        assert entry["fullUrl"] == f"{BASE}/{r['resourceType']}/{r['id']}"


def test_references_inside_stay_relative_and_all_resolve_within_the_bundle():
    bundle = example_document().bundle
    held = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle["entry"]}
    refs = set(references_in(bundle))
    assert refs and all(not r.startswith(("http", "urn:")) for r in refs)
    assert refs <= held


def test_same_input_gives_the_same_document_byte_for_byte():
    one = json.dumps(example_document().bundle, ensure_ascii=False)
    two = json.dumps(example_document(copy.deepcopy(happy_bundle())).bundle, ensure_ascii=False)
    assert one == two


def test_order_does_not_depend_on_the_order_resources_are_given_or_serialised():
    composition, resources = landed_example()
    shuffled = [dict(reversed(list(r.items()))) for r in reversed(resources)]
    args = {"identifier": document_identifier(composition), "timestamp": composition["date"]}
    a = build_document(composition, resources, base_url=BASE, **args).bundle
    b = build_document(composition, shuffled, base_url=BASE, **args).bundle
    assert [e["fullUrl"] for e in a["entry"]] == [e["fullUrl"] for e in b["entry"]]


def test_the_document_does_not_alias_its_input():
    composition, resources = landed_example()
    bundle = build_document(
        composition,
        resources,
        identifier=document_identifier(composition),
        timestamp=composition["date"],
        base_url=BASE + "/",  # a trailing slash makes no double slash
    ).bundle
    assert bundle["entry"][1]["fullUrl"] == f"{BASE}/Patient/lbp-example-patient"
    bundle["entry"][0]["resource"]["title"] = "changed"
    assert composition["title"] != "changed"


def test_document_identifier_is_stable_and_not_the_compositions():
    composition, _ = landed_example()
    assert document_identifier(composition) == document_identifier(copy.deepcopy(composition))
    assert document_identifier(composition)["value"] != composition["identifier"]["value"]
    assert document_identifier(composition)["value"].startswith("urn:uuid:")


# -- what cannot be resolved -------------------------------------------------------------------


def test_unresolvable_references_are_skipped_and_reported():
    composition, resources = landed_example()
    resources = [r for r in resources if r["resourceType"] != "Organization"]
    resources = [
        {**r, "managingOrganization": {"reference": "https://elsewhere.example/Organization/9"}}
        if r["resourceType"] == "Patient"
        else r
        for r in resources
    ]
    composition = copy.deepcopy(composition)
    composition["section"][0]["entry"] = [
        {"reference": "urn:uuid:00000000-0000-0000-0000-000000000000"},
        {"reference": "#contained"},  # a contained resource: not an entry, not missing
        {"reference": f"{BASE}/Condition/lbp-example-diagnosis"},  # absolute, same server
    ]
    document = build_document(
        composition,
        resources,
        identifier=document_identifier(composition),
        timestamp=composition["date"],
        base_url=BASE,
    )
    types = [e["resource"]["resourceType"] for e in document.bundle["entry"]]
    assert "Organization" not in types
    assert types.count("Condition") == 1
    assert document.missing_references == (
        "Organization/lbp-example-uzleuven",
        "urn:uuid:00000000-0000-0000-0000-000000000000",
        "https://elsewhere.example/Organization/9",
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"identifier": {"system": "urn:ietf:rfc:3986"}}, "bdl-9"),
        ({"timestamp": "2026-11-25"}, "bdl-10"),
        ({"timestamp": "2026-11-25T12:40:00"}, "bdl-10"),
        ({"base_url": "fhir/"}, "absolute"),
    ],
)
def test_a_bundle_that_could_not_be_a_valid_document_is_refused(change, message):
    composition, resources = landed_example()
    args = {
        "identifier": document_identifier(composition),
        "timestamp": composition["date"],
        "base_url": BASE,
        **change,
    }
    with pytest.raises(ValueError, match=message):
        build_document(composition, resources, **args)


def test_a_composition_without_id_is_refused():
    composition, resources = landed_example()
    unlanded = {k: v for k, v in composition.items() if k != "id"}
    with pytest.raises(ValueError, match="no id"):
        build_document(
            unlanded,
            resources,
            identifier={"system": "s", "value": "v"},
            timestamp=composition["date"],
            base_url=BASE,
        )


# -- conformance ---------------------------------------------------------------------------------


def test_document_parses_with_the_r4b_models():
    model_check(example_document().bundle)


def test_document_passes_the_independent_validator(fhir_validator):
    errors = fhir_validator.errors(example_document().bundle)
    assert errors == [], format_issues(errors)
