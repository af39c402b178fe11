"""The transaction Bundle: deterministic, conditional creates, references that resolve."""

from __future__ import annotations

import copy
import json

from fhir_discharge import build_discharge
from fhir_discharge.core.transaction import entry_roles
from tests.support.contexts import held_by_server
from tests.support.factories import happy_bundle, references_in, resource, with_encounter
from tests.support.models import model_check
from tests.support.site import SITE


def bundle_of(context_bundle):
    return build_discharge(held_by_server(context_bundle), SITE).bundle


def test_same_input_gives_the_same_bundle_byte_for_byte():
    first = json.dumps(bundle_of(happy_bundle()), ensure_ascii=False)
    second = json.dumps(bundle_of(copy.deepcopy(happy_bundle())), ensure_ascii=False)
    assert first == second


def test_another_encounter_gives_other_identities():
    one = bundle_of(happy_bundle())
    other = bundle_of(with_encounter(happy_bundle(), "other-enc", "SPO-2026-000002"))
    assert {e["fullUrl"] for e in one["entry"]}.isdisjoint(e["fullUrl"] for e in other["entry"])


def test_entries_are_conditional_creates_on_their_business_identifier():
    bundle = bundle_of(happy_bundle())
    assert bundle["type"] == "transaction"
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == [
        "Composition",
        "DocumentReference",
        "CarePlan",
        "Task",
        "Task",
        "Communication",
        "Task",  # for the integration engine: send the letter to the GP's eHealthBox
        "Bundle",  # the letter as the attested document (tests/unit/test_stored_document.py)
        "Provenance",  # what the discharge wrote (tests/unit/test_provenance.py)
        "Device",  # the service, this version
    ]
    for entry in bundle["entry"]:
        assert entry["fullUrl"].startswith("urn:uuid:")
        assert "id" not in entry["resource"]
        if entry["resource"]["resourceType"] in ("Provenance", "Device"):
            continue  # found by a tag, by the version: tests/unit/test_provenance.py
        identifier = entry["resource"]["identifier"]
        identifier = identifier if isinstance(identifier, dict) else identifier[0]
        assert identifier == {"system": "urn:ietf:rfc:3986", "value": entry["fullUrl"]}
        assert entry["request"] == {
            "method": "POST",
            "url": entry["resource"]["resourceType"],
            "ifNoneExist": f"identifier=urn:ietf:rfc:3986|{entry['fullUrl']}",
        }


def test_every_reference_points_into_the_bundle_or_to_the_record():
    context = happy_bundle()
    # the record's resources, as `Type/id` (their fullUrls are the EHR's absolute URLs)
    known = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in context["entry"]}
    bundle = bundle_of(context)
    known |= {e["fullUrl"] for e in bundle["entry"]}
    # the stored document's own references resolve inside it (tests/unit/test_stored_document.py)
    outside = [e for e in bundle["entry"] if e["resource"]["resourceType"] != "Bundle"]
    refs = set(references_in(outside))
    assert refs and refs <= known


def test_the_bundle_parses_with_the_r4b_models():
    model_check(bundle_of(happy_bundle()))


def test_the_letter_is_addressed_to_the_gp_by_a_communication():
    bundle = bundle_of(happy_bundle())
    communication = bundle["entry"][5]["resource"]
    (recipient,) = communication["recipient"]
    assert recipient["reference"] == "Practitioner/lbp-example-gp"
    # the GP is pointed to the letter as the attested document the transaction stores
    (document,) = [e for e in bundle["entry"] if e["resource"]["resourceType"] == "Bundle"]
    assert communication["payload"][0] == {"contentReference": {"reference": document["fullUrl"]}}
    # and beside the letter, the letter as a KMEHR message (tests/unit/test_ehealthbox.py)
    assert communication["payload"][1]["contentAttachment"]["contentType"] == "application/xml"
    assert communication["status"] == "completed"
    assert communication["sent"] == "2026-11-25T12:40:00+01:00"


def test_without_gp_there_is_no_communication():
    context = happy_bundle()
    del resource(context, "Patient")["generalPractitioner"]
    types = [e["resource"]["resourceType"] for e in bundle_of(context)["entry"]]
    assert "Communication" not in types
    letter_and_follow_ups = ["Composition", "DocumentReference", "CarePlan", "Task", "Task"]
    assert types == [*letter_and_follow_ups, "Bundle", "Provenance", "Device"]


def test_the_answer_names_each_of_the_discharges_own_resources_by_its_role():
    """web/routes.py answers with one parameter per role (transaction.entry_roles), from where
    each entry landed; what follows the discharge's own resources is the record."""
    own = ["Composition", "DocumentReference", "CarePlan", "Task", "Task"]
    roles = ["letter", "brochure", "carePlan", "followUpOneWeek", "followUpSixWeeks"]
    stored = ["Bundle", "Provenance", "Device"]
    stored_roles = ["document", "provenance", "service"]
    record = ["Practitioner", "Patient", "Encounter"]
    assert entry_roles([*own, "Communication", "Task", *stored, *record]) == [
        *roles,
        "letterToGp",
        "ehealthboxTask",
        *stored_roles,
    ]
    # without a GP on record; without a message for the GP's eHealthBox
    assert entry_roles([*own, *stored, *record]) == [*roles, *stored_roles]
    assert entry_roles([*own, "Communication", *stored, *record]) == [
        *roles,
        "letterToGp",
        *stored_roles,
    ]
    # a discharge delivered by an earlier version (no document, Provenance or Device): the
    # roles it has, never the record's resources taken for them
    assert entry_roles([*own, "Communication", "Task", *record]) == [
        *roles,
        "letterToGp",
        "ehealthboxTask",
    ]
    assert entry_roles([*own, *record]) == roles
    # and what the example's transaction holds, in its order
    built = bundle_of(happy_bundle())
    types = [e["resource"]["resourceType"] for e in built["entry"]]
    assert entry_roles(types) == [*roles, "letterToGp", "ehealthboxTask", *stored_roles]
