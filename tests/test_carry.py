"""The record travels with the letter (carry.py): conditional creates on business identifiers."""

from __future__ import annotations

from dataclasses import replace

from fhir_discharge import build_discharge, context_from_bundle
from fhir_discharge.core.carry import NIHDI, SSIN
from tests.support.factories import happy_bundle, references_in, resource


def carried_build(bundle):
    return build_discharge(replace(context_from_bundle(bundle), carry_record=True))


def entries_by_type(bundle):
    out = {}
    for entry in bundle["entry"]:
        out.setdefault(entry["resource"]["resourceType"], []).append(entry)
    return out


def test_the_record_the_letter_references_travels_as_conditional_creates():
    built = carried_build(happy_bundle()).bundle
    by_type = entries_by_type(built)
    assert [e["resource"]["resourceType"] for e in built["entry"][:7]] == [
        "Composition",
        "DocumentReference",
        "CarePlan",
        "Task",
        "Task",
        "Communication",
        "Task",
    ]
    carried = built["entry"][7:]
    assert sorted(e["resource"]["resourceType"] for e in carried) == [
        "Condition",
        "Encounter",
        "Organization",
        "Patient",
        "Practitioner",
        "Practitioner",
        "QuestionnaireResponse",
    ]
    for entry in carried:
        assert entry["fullUrl"].startswith("urn:uuid:")
        assert entry["request"]["method"] == "POST"
        assert entry["request"]["ifNoneExist"].startswith("identifier=")
        assert "id" not in entry["resource"] and "meta" not in entry["resource"]
    (patient,) = by_type["Patient"]
    assert patient["request"]["ifNoneExist"] == f"identifier={SSIN}|81031412414"
    assert all(
        e["request"]["ifNoneExist"].startswith(f"identifier={NIHDI}|")
        for e in by_type["Practitioner"] + by_type["Organization"]
    )


def test_nothing_is_said_when_everything_travels():
    assert carried_build(happy_bundle()).warnings == ()


def test_every_reference_in_the_transaction_resolves_inside_it():
    built = carried_build(happy_bundle()).bundle
    full_urls = {e["fullUrl"] for e in built["entry"]}
    references = set(references_in(built))
    assert references and references <= full_urls
    letter = built["entry"][0]["resource"]
    patient_urn = next(
        e["fullUrl"] for e in built["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    assert letter["subject"] == {"reference": patient_urn}


def test_the_same_record_gives_the_same_transaction():
    assert carried_build(happy_bundle()).bundle == carried_build(happy_bundle()).bundle


def test_a_resource_without_business_identifier_is_referenced_by_id_with_a_warning():
    bundle = happy_bundle()
    del resource(bundle, "Practitioner", "lbp-example-ed-physician")["identifier"]
    discharge = carried_build(bundle)
    built = discharge.bundle
    types = [e["resource"]["resourceType"] for e in built["entry"][6:]]
    assert types.count("Practitioner") == 1  # the GP; the ED physician is not written
    letter = built["entry"][0]["resource"]
    assert letter["author"] == [{"reference": "Practitioner/lbp-example-ed-physician"}]
    carried_encounter = next(
        e["resource"] for e in built["entry"] if e["resource"]["resourceType"] == "Encounter"
    )
    assert carried_encounter["participant"][0]["individual"] == {
        "reference": "Practitioner/lbp-example-ed-physician"
    }
    assert any("Practitioner/lbp-example-ed-physician" in w for w in discharge.warnings)


def test_references_outside_the_context_are_left_out_of_the_copies():
    bundle = happy_bundle()
    resource(bundle, "Patient")["managingOrganization"] = {"reference": "Organization/elsewhere"}
    encounter = resource(bundle, "Encounter")
    encounter["participant"].append({"individual": {"reference": "Practitioner/nurse-not-sent"}})
    encounter["location"] = [{"location": {"reference": "Location/ward-3"}}]
    built = carried_build(bundle).bundle
    by_type = entries_by_type(built)
    patient = by_type["Patient"][0]["resource"]
    carried_encounter = by_type["Encounter"][0]["resource"]
    assert "managingOrganization" not in patient
    assert len(carried_encounter["participant"]) == 1  # the ED physician, the nurse left out
    assert "location" not in carried_encounter
    assert set(references_in(built)) <= {e["fullUrl"] for e in built["entry"]}


def test_identifier_values_are_escaped_in_the_search():
    bundle = happy_bundle()
    resource(bundle, "Condition")["identifier"][0]["value"] = "a|b,c$d"
    built = carried_build(bundle).bundle
    (condition,) = entries_by_type(built)["Condition"]
    assert condition["request"]["ifNoneExist"].endswith("|a\\|b\\,c\\$d")


def test_without_carrying_the_record_is_referenced_by_id():
    built = build_discharge(context_from_bundle(happy_bundle())).bundle
    assert len(built["entry"]) == 7
    assert built["entry"][0]["resource"]["subject"] == {"reference": "Patient/lbp-example-patient"}


def test_the_carried_record_shares_nothing_with_the_context():
    """The transaction's copies are copies: changing one never changes the record it came from
    (the outbox, the answer and the CDS Hooks card all hold the transaction)."""
    bundle = happy_bundle()
    # A reference with structure of its own (Reference.identifier), to be copied, not shared.
    resource(bundle, "Encounter")["serviceProvider"]["identifier"] = {
        "system": NIHDI,
        "value": "71000436",
    }
    ctx = replace(context_from_bundle(bundle), carry_record=True)
    context_nodes = _ids_of_nodes(list(ctx.index.resources()))
    built = build_discharge(ctx).bundle
    carried = [e["resource"] for e in built["entry"][5:]]
    assert carried, "the example's record is carried"
    assert not (_ids_of_nodes(carried) & context_nodes)


def _ids_of_nodes(node, found=None):
    found = set() if found is None else found
    if isinstance(node, dict):
        found.add(id(node))
        for value in node.values():
            _ids_of_nodes(value, found)
    elif isinstance(node, list):
        found.add(id(node))
        for value in node:
            _ids_of_nodes(value, found)
    return found
