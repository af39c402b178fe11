"""A letter lands only on the patient the record names (issue 18, point 2), end to end: the
service on loopback, a real FHIR server that already holds other patients' records."""

from __future__ import annotations

import json
import uuid

import httpx

from fhir_discharge import build_discharge, context_from_bundle
from fhir_discharge.core.record.identifiers import SSIN
from tests.support.discharges import discharge, parts
from tests.support.factories import fresh_record, record_with_ids_only, resource
from tests.support.site import SITE

FHIR_JSON = {"Content-Type": "application/fhir+json"}


def put(fhir_base_url: str, found: dict) -> None:
    answer = httpx.put(
        f"{fhir_base_url}/{found['resourceType']}/{found['id']}",
        content=json.dumps(found),
        headers=FHIR_JSON,
        timeout=30,
    )
    assert answer.status_code in (200, 201), answer.text


def search(fhir_base_url: str, resource_type: str, **params: str) -> list[dict]:
    answer = httpx.get(f"{fhir_base_url}/{resource_type}", params=params, timeout=30).json()
    return [e["resource"] for e in answer.get("entry", [])]


def subject_of_letter(fhir_base_url: str, answer: httpx.Response) -> dict:
    letter = parts(answer.json())["letter"]["reference"]["reference"]
    composition = httpx.get(f"{fhir_base_url}/{letter}", timeout=30).json()
    subject = composition["subject"]["reference"]
    return httpx.get(f"{fhir_base_url}/{subject}", timeout=30).json()


def nothing_written(fhir_base_url: str, record: dict) -> None:
    """None of the new resources of the record's discharge is on the server."""
    for entry in build_discharge(context_from_bundle(record), SITE).bundle["entry"][:6]:
        found = search(
            fhir_base_url,
            entry["resource"]["resourceType"],
            identifier=f"urn:ietf:rfc:3986|{entry['fullUrl']}",
        )
        assert found == [], entry["resource"]["resourceType"]


def codes(answer: httpx.Response) -> list[str]:
    return [
        c["code"]
        for i in answer.json()["issue"]
        for c in (i.get("details") or {}).get("coding", [])
    ]


def test_another_person_under_the_patients_ssin_refuses_with_nothing_written(
    fhir_base_url, service_url
):
    record = fresh_record(uuid.uuid4().hex[:10])
    ssin = resource(record, "Patient")["identifier"][0]
    # The target server holds someone else under that national number.
    put(
        fhir_base_url,
        {
            "resourceType": "Patient",
            "id": f"other-{uuid.uuid4().hex[:8]}",
            "identifier": [ssin],
            "name": [{"family": "Peeters", "given": ["Jan"]}],
            "birthDate": "1990-02-02",
        },
    )
    answer = discharge(service_url, "/Encounter/$lbp-discharge", record)
    assert answer.status_code == 409, answer.text
    assert answer.json()["resourceType"] == "OperationOutcome"
    assert codes(answer) == ["patient-identity-conflict"]
    assert "another name and birth date" in answer.text
    assert "Peeters" not in answer.text and "1990-02-02" not in answer.text
    nothing_written(fhir_base_url, record)


def test_an_encounter_identifier_held_for_another_patient_refuses(fhir_base_url, service_url):
    record = fresh_record(uuid.uuid4().hex[:10])
    someone = f"other-{uuid.uuid4().hex[:8]}"
    put(fhir_base_url, {"resourceType": "Patient", "id": someone, "name": [{"family": "Peeters"}]})
    encounter = resource(record, "Encounter")
    put(
        fhir_base_url,
        {
            "resourceType": "Encounter",
            "id": f"enc-{uuid.uuid4().hex[:8]}",
            "identifier": encounter["identifier"],
            "status": "finished",
            "class": encounter["class"],
            "subject": {"reference": f"Patient/{someone}"},
        },
    )
    answer = discharge(service_url, "/Encounter/$lbp-discharge", record)
    assert answer.status_code == 409, answer.text
    assert codes(answer) == ["encounter-of-another-patient"]
    nothing_written(fhir_base_url, record)


def test_an_identifier_that_reads_as_a_search_parameter_matches_no_one_else(
    fhir_base_url, service_url
):
    # Before: ifNoneExist `identifier=…|&_id=victim-…`, and the letter's subject was the victim.
    victim = f"victim-{uuid.uuid4().hex[:8]}"
    put(fhir_base_url, {"resourceType": "Patient", "id": victim, "name": [{"family": "Victim"}]})
    record = fresh_record(uuid.uuid4().hex[:10])
    patient = resource(record, "Patient")
    patient["identifier"] = [
        {"system": "https://example.uzleuven.be/sid/patient", "value": f"&_id={victim}"}
    ]
    answer = discharge(service_url, "/Encounter/$lbp-discharge", record)
    assert answer.status_code == 201, answer.text
    subject = subject_of_letter(fhir_base_url, answer)
    assert subject["id"] != victim
    assert subject["name"][0]["family"] == "Janssens"
    assert subject["identifier"][0]["value"] == f"&_id={victim}"


def test_an_ssin_that_is_not_one_is_neither_matched_on_nor_written(fhir_base_url, service_url):
    """An SSIN that is not one (an injection, a typo that fails mod 97) is no identity: the
    discharge goes on (issue 20: "a patient without a valid SSIN: the discharge still
    happens"), on a Patient of its own, and the malformed number reaches no search and no
    resource on the server; the answer says to correct it."""
    victim = f"victim-{uuid.uuid4().hex[:8]}"
    httpx.put(
        f"{fhir_base_url}/Patient/{victim}",
        json={"resourceType": "Patient", "id": victim, "name": [{"family": "Slachtoffer"}]},
        timeout=30,
    ).raise_for_status()
    for value in (f"&_id={victim}", "81031412345"):  # the latter fails its mod-97 check
        record = fresh_record(uuid.uuid4().hex[:10])
        resource(record, "Patient")["identifier"][0]["value"] = value
        answer = discharge(service_url, "/Encounter/$lbp-discharge", record)
        assert answer.status_code == 201, answer.text
        subject = subject_of_letter(fhir_base_url, answer)
        assert subject["id"] != victim
        assert value not in json.dumps(subject)
        assert not search(fhir_base_url, "Patient", identifier=f"{SSIN}|{value}")
        outcome = next(p["resource"] for p in answer.json()["parameter"] if p["name"] == "outcome")
        said = " ".join(i["diagnostics"] for i in outcome["issue"])
        assert "SSIN number of Patient/" in said and "correct it in the EHR" in said
        assert "the patient's SSIN fails its check digits" in said  # no eHealthBox message


def test_ids_that_exist_on_the_server_never_put_the_letter_on_their_holder(
    fhir_base_url, service_url
):
    # An integrator's record with ids only (Patient/1, Encounter/1) and no identifier; the
    # shared server holds somebody else as Patient/1.
    put(fhir_base_url, {"resourceType": "Patient", "id": "1", "name": [{"family": "Peeters"}]})
    record = record_with_ids_only()
    resource(record, "Patient")["name"] = [{"family": f"Janssens-{uuid.uuid4().hex[:6]}"}]
    first = discharge(service_url, "/Encounter/$lbp-discharge", record)
    assert first.status_code == 201, first.text
    subject = subject_of_letter(fhir_base_url, first)
    assert subject["id"] != "1"
    assert subject["name"] == resource(record, "Patient")["name"]
    # A repeat creates nothing twice.
    second = discharge(service_url, "/Encounter/$lbp-discharge", record)
    assert second.status_code == 200, second.text
    assert {p["status"] for p in parts(second.json()).values()} == {"existing"}
    assert httpx.get(f"{fhir_base_url}/Patient/1", timeout=30).json()["name"] == [
        {"family": "Peeters"}
    ]
