"""The record travels with the letter (carry.py): conditional creates on business identifiers."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

from fhir_discharge import build_discharge, context_from_bundle
from fhir_discharge.core.gp_message.ehealthbox import unreachable_warning
from fhir_discharge.core.record.carry import NIHDI, SSIN
from tests.support.contexts import held_by_server
from tests.support.factories import happy_bundle, record_with_ids_only, references_in, resource
from tests.support.site import SITE


def carried_build(bundle):
    return build_discharge(context_from_bundle(bundle), SITE)  # a context Bundle: always carried


def entries_by_type(bundle):
    out = {}
    for entry in bundle["entry"]:
        out.setdefault(entry["resource"]["resourceType"], []).append(entry)
    return out


def outside_the_document(bundle):
    """The transaction's entries but the stored document, whose references resolve inside it
    (tests/unit/test_stored_document.py)."""
    return [e for e in bundle["entry"] if e["resource"]["resourceType"] != "Bundle"]


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
    # then the letter as the stored document, the Provenance and the service (tests/
    # test_stored_document.py, tests/unit/test_provenance.py), then the record
    assert [e["resource"]["resourceType"] for e in built["entry"][7:10]] == [
        "Bundle",
        "Provenance",
        "Device",
    ]
    carried = built["entry"][10:]
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
    references = set(references_in(outside_the_document(built)))
    assert references and references <= full_urls
    letter = built["entry"][0]["resource"]
    patient_urn = next(
        e["fullUrl"] for e in built["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    assert letter["subject"] == {"reference": patient_urn}


def test_the_same_record_gives_the_same_transaction():
    assert carried_build(happy_bundle()).bundle == carried_build(happy_bundle()).bundle


def test_a_resource_without_business_identifier_travels_with_one_the_service_derives():
    bundle = happy_bundle()
    del resource(bundle, "Practitioner", "lbp-example-ed-physician")["identifier"]
    discharge = carried_build(bundle)
    built = discharge.bundle
    physicians = [e for e in entries_by_type(built)["Practitioner"]]
    ed = next(e for e in physicians if e["resource"]["name"][0]["family"] == "Maes")
    assert ed["resource"]["identifier"] == [
        {"system": "urn:ietf:rfc:3986", "value": ed["resource"]["identifier"][0]["value"]}
    ]
    assert ed["resource"]["identifier"][0]["value"].startswith("urn:uuid:")
    assert ed["request"]["ifNoneExist"] == (
        f"identifier=urn:ietf:rfc:3986|{ed['resource']['identifier'][0]['value']}"
    )
    letter = built["entry"][0]["resource"]
    assert letter["author"] == [{"reference": ed["fullUrl"]}]  # never Practitioner/<id>
    # Carried with a derived identifier, no warning of its own; only that without the signer's
    # NIHDI number no KMEHR message can be addressed (core/gp_message/ehealthbox.py).
    assert discharge.warnings == (unreachable_warning("physician-no-nihdi"),)
    # The same record, the same identifier: a repeat creates nothing twice.
    again = carried_build(bundle).bundle
    assert again == built


def test_a_record_with_ids_only_is_never_referenced_by_id():
    """A context Bundle whose resources have ids and no business identifier (an integrator on
    a shared sandbox: Patient/1, Encounter/1): every reference of the transaction is to one of
    its own entries, never to `Type/id` on the server, where those ids are somebody else's."""
    bundle = record_with_ids_only()
    discharge = carried_build(bundle)
    built = discharge.bundle
    full_urls = {e["fullUrl"] for e in built["entry"]}
    references = set(references_in(outside_the_document(built)))
    assert references and references <= full_urls
    assert all(r.startswith("urn:uuid:") for r in references)
    record = [e for e in built["entry"] if e["fullUrl"] in {c.urn for c in discharge.carried}]
    types = sorted(e["resource"]["resourceType"] for e in record)
    carried = ["Condition", "Encounter", "Organization", "Patient", "Practitioner"]
    assert types == sorted([*carried, "Practitioner", "QuestionnaireResponse"])
    for entry in record:
        identifier = entry["resource"]["identifier"]
        identifier = identifier if isinstance(identifier, dict) else identifier[0]
        assert identifier["system"] == "urn:ietf:rfc:3986"
        assert entry["request"]["ifNoneExist"] == (
            f"identifier=urn:ietf:rfc:3986|{identifier['value']}"
        )


def test_derived_identifiers_are_never_another_patients():
    # The same physician (no identifier) and the same encounter ids, two patients: nothing of
    # one discharge is matched by the other's identifiers.
    one = carried_build(record_with_ids_only()).bundle
    other_record = record_with_ids_only()
    resource(other_record, "Patient")["identifier"] = [{"system": SSIN, "value": "85073003328"}]
    other = carried_build(other_record).bundle

    def conditions(built):  # the service's Device is the same for every discharge, by design
        return {
            e["request"]["ifNoneExist"]
            for e in built["entry"]
            if e["resource"]["resourceType"] != "Device"
        }

    assert conditions(one).isdisjoint(conditions(other))


def test_a_patient_without_any_identifier_is_never_merged_with_another_person():
    one = carried_build(record_with_ids_only()).bundle
    # Another person under the same EHR ids, the same encounter: another Patient, another letter.
    someone_else = record_with_ids_only()
    resource(someone_else, "Patient")["name"] = [{"family": "Peeters", "given": ["Jan"]}]
    other = carried_build(someone_else).bundle
    # The same person at another encounter: written again rather than risk a merge.
    later = record_with_ids_only()
    resource(later, "Encounter")["period"]["start"] = "2026-11-25T08:05:00+01:00"
    again = carried_build(later).bundle

    def patient_condition(built):
        return next(
            e["request"]["ifNoneExist"]
            for e in built["entry"]
            if e["resource"]["resourceType"] == "Patient"
        )

    conditions = {patient_condition(b) for b in (one, other, again)}
    assert len(conditions) == 3
    assert len({b["entry"][0]["fullUrl"] for b in (one, other, again)}) == 3  # three letters
    assert patient_condition(carried_build(record_with_ids_only()).bundle) == patient_condition(one)


def test_identifier_values_are_escaped_and_encoded_in_the_search():
    bundle = happy_bundle()
    resource(bundle, "Condition")["identifier"][0]["value"] = "a|b,c$d\\e&_id=victim-1#x y+%"
    built = carried_build(bundle).bundle
    (condition,) = entries_by_type(built)["Condition"]
    search = condition["request"]["ifNoneExist"]
    assert "&" not in search and "#" not in search and " " not in search
    # What a server reads from it: one parameter, the value escaped as FHIR search says.
    assert parse_qsl(search, keep_blank_values=True) == [
        (
            "identifier",
            "https://example.uzleuven.be/sid/condition|a\\|b\\,c\\$d\\\\e&_id=victim-1#x y+%",
        )
    ]


def test_a_gp_whose_nihdi_fails_its_check_is_not_matched_by_it():
    bundle = happy_bundle()
    resource(bundle, "Practitioner", "lbp-example-gp")["identifier"][0]["value"] = "10001293004"
    discharge = carried_build(bundle)
    gp = next(
        e
        for e in entries_by_type(discharge.bundle)["Practitioner"]
        if e["resource"]["name"][0]["family"] == "Claes"
    )
    # Neither matched on nor written: a server never holds the malformed number from us.
    assert "10001293004" not in json.dumps(discharge.bundle)
    assert gp["resource"]["identifier"][0]["system"] == "urn:ietf:rfc:3986"
    assert tuple(str(w) for w in discharge.warnings) == (
        unreachable_warning("general-practitioner-nihdi-invalid").message,
        "the NIHDI number of Practitioner/lbp-example-gp fails its NIHDI check digits: it is not "
        "matched on the FHIR server nor written with the letter; correct it in the EHR",
    )
    # The discharge still happens: the letter still goes to that GP.
    communication = discharge.bundle["entry"][5]["resource"]
    assert communication["recipient"] == [{"reference": gp["fullUrl"]}]


def test_the_ed_physicians_malformed_nihdi_is_not_matched_by_it_either():
    bundle = happy_bundle()
    physician = resource(bundle, "Practitioner", "lbp-example-ed-physician")
    physician["identifier"][0]["value"] = "10002778580"
    discharge = carried_build(bundle)
    letter = discharge.bundle["entry"][0]["resource"]
    author = next(
        e for e in discharge.bundle["entry"] if e["fullUrl"] == letter["author"][0]["reference"]
    )
    assert author["resource"]["name"][0]["family"] == "Maes"
    assert author["resource"]["identifier"][0]["system"] == "urn:ietf:rfc:3986"
    assert any("Practitioner/lbp-example-ed-physician" in str(w) for w in discharge.warnings)


def test_an_encounter_known_by_its_id_only_is_bound_to_its_patient():
    # Two EHRs' Encounter/1, two patients: two letters, never one.
    one = record_with_ids_only()
    other = record_with_ids_only()
    resource(other, "Patient")["name"] = [{"family": "Peeters", "given": ["Jan"]}]
    assert (
        carried_build(one).bundle["entry"][0]["fullUrl"]
        != (carried_build(other).bundle["entry"][0]["fullUrl"])
    )


def test_a_record_read_from_the_server_is_referenced_there():
    built = build_discharge(held_by_server(happy_bundle()), SITE).bundle
    # the new resources only (the eHealthBox Task the 7th), the document, Provenance and Device
    assert len(built["entry"]) == 10
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
    ctx = context_from_bundle(bundle)
    context_nodes = _ids_of_nodes(list(ctx.index.resources()))
    built = build_discharge(ctx, SITE).bundle
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


def test_the_copy_always_carries_the_identifier_it_is_matched_on():
    # The identifier names its assigner, an Organization the Bundle does not hold: the element
    # with the dangling reference is left out, but the conditional create's identifier stays
    # (a server refuses a create that does not satisfy its own search).
    bundle = happy_bundle()
    resource(bundle, "Condition")["identifier"][0]["assigner"] = {"reference": "Organization/x"}
    built = carried_build(bundle).bundle
    (condition,) = entries_by_type(built)["Condition"]
    assert condition["resource"]["identifier"] == [
        {"system": "https://example.uzleuven.be/sid/condition", "value": "lbp-example-diagnosis"}
    ]
    assert condition["request"]["ifNoneExist"].endswith("condition|lbp-example-diagnosis")
