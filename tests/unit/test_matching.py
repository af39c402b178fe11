"""What the server already holds under the record's identifiers, compared
(core/record/matching.py)."""

from __future__ import annotations

import copy
from urllib.parse import parse_qsl

import pytest

from fhir_discharge import build_discharge, context_from_bundle
from fhir_discharge.core.record.matching import documents_found, identity_conflicts, lookups
from fhir_discharge.core.stored_document import document_digest
from tests.support.contexts import held_by_server
from tests.support.factories import happy_bundle
from tests.support.site import SITE

TRANSACTION = build_discharge(context_from_bundle(happy_bundle()), SITE).bundle
BY_TYPE = {e["resource"]["resourceType"]: e["fullUrl"] for e in TRANSACTION["entry"]}
PATIENT = next(e["resource"] for e in TRANSACTION["entry"] if e["fullUrl"] == BY_TYPE["Patient"])


def on_server(**fields):
    """The example patient as a FHIR server holds it (its own id, meta), changed by `fields`."""
    return {**copy.deepcopy(PATIENT), "id": "srv-p1", "meta": {"versionId": "3"}, **fields}


def of(patient_id: str, resource_type: str = "Encounter") -> dict:
    return {
        "resourceType": resource_type,
        "id": "x",
        "subject": {"reference": f"Patient/{patient_id}"},
    }


def codes(found: dict) -> list[str | None]:
    return [f.code for f in identity_conflicts(TRANSACTION, found)]


def test_what_is_looked_up_is_the_conditional_creates_own_search():
    wanted = lookups(TRANSACTION)
    assert sorted(w.resource_type for w in wanted) == [
        "Bundle",  # the letter's document, which the GP is pointed to
        "Composition",
        "Encounter",
        "Patient",
    ]
    for lookup in wanted:
        entry = next(e for e in TRANSACTION["entry"] if e["fullUrl"] == lookup.full_url)
        assert lookup.condition == entry["request"]["ifNoneExist"]
        assert [k for k, _ in parse_qsl(lookup.condition)] == ["identifier"]


def test_only_the_document_is_looked_up_for_a_record_read_from_the_server():
    wanted = lookups(build_discharge(held_by_server(happy_bundle()), SITE).bundle)
    assert [w.resource_type for w in wanted] == ["Bundle"]


def test_nothing_on_the_server_yet_is_no_conflict():
    assert codes({w.full_url: [] for w in lookups(TRANSACTION)}) == []


def test_the_same_patient_encounter_and_letter_on_the_server_are_no_conflict():
    found = {
        BY_TYPE["Patient"]: [on_server()],
        BY_TYPE["Encounter"]: [of("srv-p1")],
        BY_TYPE["Composition"]: [
            {
                **of("srv-p1", "Composition"),
                "subject": {"reference": "http://s/fhir/Patient/srv-p1"},
            }
        ],
    }
    assert codes(found) == []


@pytest.mark.parametrize(
    "name",
    [
        [{"family": "JANSSENS", "given": ["An"]}],  # case
        [{"family": "Jänssens", "given": ["An"]}],  # accents
        [{"use": "maiden", "family": "Janssens"}, {"use": "usual", "family": "Peeters"}],
        [{"text": "An Janssens"}],  # nothing to compare: no difference
    ],
)
def test_a_name_written_otherwise_is_the_same_person(name):
    assert codes({BY_TYPE["Patient"]: [on_server(name=name)]}) == []


@pytest.mark.parametrize(
    ("fields", "differs"),
    [
        ({"name": [{"family": "Peeters", "given": ["An"]}]}, ("name",)),
        ({"name": [{"family": "Janssens", "given": ["Els"]}]}, ("name",)),  # a sibling
        ({"birthDate": "1981-03-15"}, ("birth date",)),
        ({"name": [{"family": "Peeters"}], "birthDate": "1990-01-01"}, ("name", "birth date")),
    ],
)
def test_another_person_under_the_patients_identifier_is_a_conflict(fields, differs):
    (finding,) = identity_conflicts(TRANSACTION, {BY_TYPE["Patient"]: [on_server(**fields)]})
    assert finding.code == "patient-identity-conflict"
    assert finding.params == {"differs": differs}
    assert "nothing was written" in finding.message
    assert "Peeters" not in finding.message and "1990" not in finding.message  # no one's data


def test_an_encounter_or_letter_of_another_patient_is_a_conflict():
    found = {
        BY_TYPE["Patient"]: [on_server()],
        BY_TYPE["Encounter"]: [of("someone-else")],
        BY_TYPE["Composition"]: [of("someone-else", "Composition")],
    }
    assert codes(found) == ["encounter-of-another-patient", "letter-of-another-patient"]


def test_an_encounter_on_the_server_when_the_patient_is_not_is_somebody_elses():
    # The patient is created by this transaction: whatever the encounter is on the server, it
    # is of another patient.
    found = {BY_TYPE["Patient"]: [], BY_TYPE["Encounter"]: [of("srv-p1")]}
    assert codes(found) == ["encounter-of-another-patient"]


def test_several_matches_for_one_identifier_are_a_conflict():
    found = {BY_TYPE["Patient"]: [on_server(), on_server(id="srv-p2")]}
    assert codes(found) == ["identifier-matches-several"]


@pytest.mark.parametrize(
    "held",
    [
        {"resourceType": "Patient", "id": "p", "name": "Peeters", "birthDate": 7},
        {"resourceType": "Patient", "id": "p", "name": [7, None, {"family": 7}]},
    ],
)
def test_whatever_shape_the_server_answers_is_compared_without_failing(held):
    found = {
        BY_TYPE["Patient"]: [held],
        BY_TYPE["Encounter"]: [{"resourceType": "Encounter", "id": "e", "subject": "Patient/p"}],
    }
    assert codes(found) == ["encounter-of-another-patient"]


def test_the_letters_document_on_the_server_is_ours_when_attested_here_or_recorded_so():
    (document,) = [e for e in TRANSACTION["entry"] if e["resource"]["resourceType"] == "Bundle"]
    # the same document, as a server gives it back (its id, its meta, its own key order)
    stored = {
        **dict(reversed(list(copy.deepcopy(document["resource"]).items()))),
        "id": "b1",
        "meta": {"versionId": "1"},
    }
    assert codes({document["fullUrl"]: [stored]}) == []
    # another document: planted, or ours changed since
    planted = {**copy.deepcopy(stored), "timestamp": "2026-11-24T09:00:00+01:00"}
    assert codes({document["fullUrl"]: [planted]}) == ["document-not-attested"]
    # the one this service stored for the letter before (a repeat from a record that changed
    # since), unchanged since it was recorded: ours
    recorded = {"b1": document_digest(planted)}
    found = identity_conflicts(TRANSACTION, {document["fullUrl"]: [planted]}, recorded)
    assert found == []
    # recorded, but changed on the server since: not what was attested
    assert [
        f.code
        for f in identity_conflicts(TRANSACTION, {document["fullUrl"]: [planted]}, {"b1": "x"})
    ] == ["document-not-attested"]
    assert documents_found({document["fullUrl"]: [planted]}, TRANSACTION) == ["b1"]
