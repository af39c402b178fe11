"""Everything a discharge does, proven on a real HAPI FHIR JPA server (tools/hapi, R4, H2).

The service runs as a process on loopback pointed at HAPI; records are fresh per test, so tests
sharing the server never see each other's data. HAPI checks referential integrity on write,
which the light sandbox does not: here a reference that dangles is refused.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from urllib.parse import parse_qsl

import httpx
import pytest
from lxml import etree

from fhir_discharge import build_discharge, context_from_bundle
from fhir_discharge.core.gp_message.ehealthbox import SEND_CODE
from fhir_discharge.core.letter.composition import plain_text
from fhir_discharge.core.stored_document import document_digest
from tests.support.discharges import roles, search
from tests.support.factories import fresh_record, record_with_ids_only, resource
from tests.support.hapi_server import errors, log_hint, validate
from tests.support.servers import AUTH, start_service
from tests.support.site import SITE

pytestmark = pytest.mark.slow

FHIR = {"Accept": "application/fhir+json"}
KMEHR = {"k": "http://www.ehealth.fgov.be/standards/kmehr/schema/v1"}
POST = {"Content-Type": "application/fhir+json", **AUTH}


@pytest.fixture(scope="module")
def service_on_hapi(hapi_base_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    service = start_service(hapi_base_url, tmp_path_factory.mktemp("service-hapi"))
    try:
        yield service.url
    finally:
        service.stop()


def new_record() -> dict:
    return fresh_record(uuid.uuid4().hex[:10])


def discharge(
    service_url: str, body: dict, path: str = "/Encounter/$lbp-discharge"
) -> httpx.Response:
    return httpx.post(f"{service_url}{path}", json=body, headers=POST, timeout=120)


def gp_id(record: dict) -> str:
    return str(resource(record, "Patient")["generalPractitioner"][0]["reference"].split("/")[1])


def identifier_of(record: dict, resource_type: str, resource_id: str | None = None) -> str:
    first = resource(record, resource_type, resource_id)["identifier"]
    first = first[0] if isinstance(first, list) else first
    return f"{first['system']}|{first['value']}"


def test_a_discharge_lands_on_hapi_once_and_a_repeat_creates_nothing(
    service_on_hapi: str, hapi_base_url: str
) -> None:
    record = new_record()  # nothing of it on HAPI yet: the record travels with the letter
    first = discharge(service_on_hapi, record)
    assert first.status_code == 201, f"{first.text} {log_hint()}"
    landed = roles(first.json())
    assert set(landed) == {
        "letter",
        "brochure",
        "carePlan",
        "followUpOneWeek",
        "followUpSixWeeks",
        "letterToGp",
        "ehealthboxTask",
        "document",
        "provenance",
        "service",
    }
    # all created, but the service's Device: once per version (an earlier test may have)
    assert {r["status"] for k, r in landed.items() if k != "service"} == {"created"}
    second = discharge(service_on_hapi, record)
    assert second.status_code == 200, second.text
    again = roles(second.json())
    assert {r["status"] for r in again.values()} == {"existing"}
    assert {k: v["reference"] for k, v in again.items()} == {
        k: v["reference"] for k, v in landed.items()
    }
    # The record's copies are there once, found by their business identifiers.
    for resource_type, resource_id in (
        ("Patient", None),
        ("Encounter", None),
        ("Organization", None),
        ("QuestionnaireResponse", None),
    ):
        found = search(
            hapi_base_url, resource_type, identifier=identifier_of(record, resource_type)
        )
        assert len(found) == 1, resource_type
    patient = search(hapi_base_url, "Patient", identifier=identifier_of(record, "Patient"))[0]
    letters = search(hapi_base_url, "Composition", subject=f"Patient/{patient['id']}")
    assert len(letters) == 1
    # one stored document, one Provenance of the letter, one Device of this version
    built = build_discharge(context_from_bundle(record), SITE)
    assert built.document is not None
    documents = search(
        hapi_base_url, "Bundle", identifier=f"urn:ietf:rfc:3986|{built.document.urn}"
    )
    assert [f"Bundle/{d['id']}" for d in documents] == [landed["document"]["reference"]]
    provenances = search(hapi_base_url, "Provenance", target=landed["letter"]["reference"])
    assert [f"Provenance/{p['id']}" for p in provenances] == [landed["provenance"]["reference"]]
    (device,) = [
        e["resource"]["identifier"][0]
        for e in built.bundle["entry"]
        if e["resource"]["resourceType"] == "Device"
    ]
    devices = search(hapi_base_url, "Device", identifier=f"{device['system']}|{device['value']}")
    assert [f"Device/{d['id']}" for d in devices] == [landed["service"]["reference"]]
    # One KMEHR message to send, found as the hospital's integration engine finds it (README,
    # "The GP's eHealthBox"): one Task still to send, its focus the one Communication.
    (hospital,) = search(
        hapi_base_url, "Organization", identifier=identifier_of(record, "Organization")
    )
    to_send = search(
        hapi_base_url,
        "Task",
        status="requested",
        code=f"{SITE.canonicals.gp_message_system}|{SEND_CODE}",
        owner=f"Organization/{hospital['id']}",
    )
    assert [f"Task/{t['id']}" for t in to_send] == [landed["ehealthboxTask"]["reference"]]
    (communication,) = search(hapi_base_url, "Communication", subject=f"Patient/{patient['id']}")
    assert to_send[0]["focus"]["reference"] == f"Communication/{communication['id']}"
    assert communication["payload"][1]["contentAttachment"]["contentType"] == "application/xml"
    # the message in it names the GP as the Communication's recipient does
    gp_nihdi = communication["recipient"][0]["identifier"]["value"]
    assert gp_nihdi == resource(record, "Practitioner", gp_id(record))["identifier"][0]["value"]


def test_the_gp_system_finds_the_letter_and_reads_it_whole(
    service_on_hapi: str, hapi_base_url: str
) -> None:
    record = new_record()
    answer = discharge(service_on_hapi, record)
    assert answer.status_code == 201, answer.text
    landed = roles(answer.json())
    letter_ref, document_ref = landed["letter"]["reference"], landed["document"]["reference"]
    gp_identifier = identifier_of(
        record,
        "Practitioner",
        resource(record, "Patient")["generalPractitioner"][0]["reference"].split("/")[1],
    )
    (gp,) = search(hapi_base_url, "Practitioner", identifier=gp_identifier)
    communications = search(hapi_base_url, "Communication", recipient=f"Practitioner/{gp['id']}")
    # The GP system is pointed to the letter as the attested document the discharge stored.
    assert [c["payload"][0]["contentReference"]["reference"] for c in communications] == [
        document_ref
    ]
    letter = httpx.get(f"{hapi_base_url}/{letter_ref}", headers=FHIR, timeout=60).json()
    assert letter["resourceType"] == "Composition" and letter["status"] == "final"

    # A plain GET of it on HAPI and our $document: the same bytes (HAPI's own meta included);
    # the content the one attested, as the service built it.
    stored = httpx.get(f"{hapi_base_url}/{document_ref}", headers=FHIR, timeout=60)
    assert stored.status_code == 200, stored.text
    ours = httpx.get(f"{service_on_hapi}/{letter_ref}/$document", headers=AUTH, timeout=60)
    assert ours.status_code == 200, ours.text
    assert ours.content == stored.content
    document = ours.json()
    built = build_discharge(context_from_bundle(record), SITE)
    assert built.document is not None and document_digest(document) == built.document.digest
    assert set(document["meta"]) >= {"versionId", "lastUpdated"}  # what HAPI adds
    assert document["entry"][0]["resource"]["identifier"] == letter["identifier"]

    # HAPI's own Composition/$document (not a valid document: no identifier, no timestamp;
    # issue 23) gathers the resources as they are on HAPI; ours holds a copy of each.
    hapis = httpx.get(f"{hapi_base_url}/{letter_ref}/$document", headers=FHIR, timeout=60)
    assert hapis.status_code == 200, hapis.text

    def types(bundle: dict) -> Counter[str]:
        return Counter(e["resource"]["resourceType"] for e in bundle["entry"])

    assert hapis.json()["entry"][0]["resource"]["resourceType"] == "Composition"
    assert document["entry"][0]["resource"]["resourceType"] == "Composition"
    assert types(hapis.json()) <= types(document)
    assert {"Patient", "Encounter", "Practitioner", "Organization", "Condition"} <= set(
        types(document)
    )
    assert {"QuestionnaireResponse", "CarePlan", "Task", "DocumentReference"} <= set(
        types(document)
    )

    # The KMEHR message the GP's eHealthBox gets: its PDF is the one $document renders from the
    # stored document, its text the stored letter's.
    (communication,) = communications
    (attachment,) = [p["contentAttachment"] for p in communication["payload"][1:]]
    message = etree.fromstring(base64.b64decode(attachment["data"]))
    report = message.find("k:folder/k:transaction", KMEHR)
    pdf = httpx.get(
        f"{service_on_hapi}/{letter_ref}/$document",
        params={"_format": "pdf"},
        headers=AUTH,
        timeout=60,
    )
    assert pdf.status_code == 200
    assert base64.b64decode(report.find("k:lnk", KMEHR).text) == pdf.content
    stored_letter = document["entry"][0]["resource"]
    assert report.find("k:text", KMEHR).text == plain_text(stored_letter["text"]["div"])


def test_a_record_held_on_hapi_is_read_from_it_by_encounter_id(
    service_on_hapi: str, hapi_base_url: str
) -> None:
    # The EHR's server holds the record (PUT with its ids); the service reads it all from HAPI:
    # the Patient, people, hospital, Conditions and the screening (gathering.py).
    record = new_record()
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "resource": e["resource"],
                "request": {
                    "method": "PUT",
                    "url": f"{e['resource']['resourceType']}/{e['resource']['id']}",
                },
            }
            for e in record["entry"]
        ],
    }
    seeded = httpx.post(
        hapi_base_url, json=bundle, headers={"Content-Type": "application/fhir+json"}, timeout=120
    )
    assert seeded.status_code == 200, seeded.text
    encounter_id = resource(record, "Encounter")["id"]
    answer = discharge(service_on_hapi, {}, f"/Encounter/{encounter_id}/$lbp-discharge")
    assert answer.status_code == 201, f"{answer.text} {log_hint()}"
    letter_ref = roles(answer.json())["letter"]["reference"]
    letter = httpx.get(f"{hapi_base_url}/{letter_ref}", headers=FHIR, timeout=60).json()
    assert letter["subject"] == {"reference": f"Patient/{resource(record, 'Patient')['id']}"}
    assessment = next(s for s in letter["section"] if s["title"] == "Beoordeling")
    screening_id = resource(record, "QuestionnaireResponse")["id"]
    assert {"reference": f"QuestionnaireResponse/{screening_id}"} in assessment["entry"]


def test_hapi_refusing_the_transaction_is_a_502_with_its_diagnostics_and_nothing_written(
    service_on_hapi: str, hapi_base_url: str
) -> None:
    # HAPI holds two Practitioners under the ED physician's NIHDI number: the conditional
    # create of the record's copy matches both, and HAPI refuses the whole transaction.
    record = new_record()
    physician = resource(
        record,
        "Practitioner",
        resource(record, "Encounter")["participant"][0]["individual"]["reference"].split("/")[1],
    )
    for _ in range(2):
        twin = {"resourceType": "Practitioner", "identifier": physician["identifier"]}
        created = httpx.post(f"{hapi_base_url}/Practitioner", json=twin, headers=POST, timeout=60)
        assert created.status_code == 201, created.text
    answer = discharge(service_on_hapi, record)
    assert answer.status_code == 502, answer.text
    outcome = answer.json()
    assert outcome["resourceType"] == "OperationOutcome"
    diagnostics = " ".join(i.get("diagnostics", "") for i in outcome["issue"])
    assert "HAPI-" in diagnostics, diagnostics
    # None of the transaction's resources is on HAPI: each is searched by its business identifier.
    built = build_discharge(context_from_bundle(record), SITE).bundle
    for entry in built["entry"]:
        if entry["resource"]["resourceType"] in ("Practitioner", "Device"):
            continue  # the two HAPI was given above; the service's, once per version
        # each by the search of its own conditional create (the Provenance by its tag)
        condition = dict(parse_qsl(entry["request"]["ifNoneExist"]))
        found = search(hapi_base_url, entry["resource"]["resourceType"], **condition)
        assert found == [], entry["resource"]["resourceType"]


def test_a_discharge_hapi_refuses_alerts_the_ed_secretariat_with_a_task_hapi_validates(
    hapi_base_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Issue 19: a dead letter alerts someone the hospital names. HAPI refuses the transaction
    (as above); the service writes a Task for the secretariat's Organization, which HAPI holds
    (it checks the owner reference), and which its $validate finds valid for our profile."""
    from fhir_discharge.core.dead_letter import NOT_DELIVERED

    created = httpx.post(
        f"{hapi_base_url}/Organization",
        json={"resourceType": "Organization", "name": "Secretariaat spoedgevallen"},
        headers=POST,
        timeout=60,
    )
    assert created.status_code == 201, created.text
    owner = f"Organization/{created.json()['id']}"
    service = start_service(
        hapi_base_url,
        tmp_path_factory.mktemp("service-hapi-alert"),
        dead_letter_alert_owner=owner,
    )
    try:
        record = new_record()
        physician = resource(
            record,
            "Practitioner",
            resource(record, "Encounter")["participant"][0]["individual"]["reference"].split("/")[
                1
            ],
        )
        for _ in range(2):
            twin = {"resourceType": "Practitioner", "identifier": physician["identifier"]}
            made = httpx.post(f"{hapi_base_url}/Practitioner", json=twin, headers=POST, timeout=60)
            assert made.status_code == 201, made.text
        answer = discharge(service.url, record)
        assert answer.status_code == 502, answer.text
        tasks: list[dict] = []
        for _ in range(60):  # the alert is delivered by the outbox, just after the answer
            found = httpx.get(
                f"{hapi_base_url}/Task",
                params={"code": f"{SITE.canonicals.alert_system}|{NOT_DELIVERED}", "owner": owner},
                # HAPI reuses a search's results for 60 s: the current ones, each time
                headers={**FHIR, "Cache-Control": "no-cache"},
                timeout=60,
            ).json()
            tasks = [e["resource"] for e in found.get("entry") or []]
            if tasks:
                break
            time.sleep(0.5)
        assert len(tasks) == 1, service.log_path.read_text(encoding="utf-8")[-4000:]
        [task] = tasks
        built = build_discharge(context_from_bundle(record), SITE).bundle
        assert task["focus"]["identifier"] == built["entry"][0]["resource"]["identifier"]
        assert task["reasonCode"]["coding"][0]["code"] == "refused"
        assert "HAPI-" in task["reasonCode"]["text"]
        assert task["owner"] == {"reference": owner}
        status, outcome = validate(hapi_base_url, task, SITE.canonicals.dead_letter_task_profile)
        assert status == 200 and errors(outcome) == [], errors(outcome)
        log = service.log_path.read_text(encoding="utf-8")
        assert "not delivered (refused" in log and f"queued for {owner}" in log
    finally:
        service.stop()


# --- issue 18: an ordinary record, and ids that exist on a shared server ----------------------


def ordinary_record() -> dict:
    """A fresh record whose ED physician, diagnosis and screening carry no business identifier
    (the EHR's export of an ordinary record: only the patient, GP and hospital have one)."""
    record = new_record()
    encounter = resource(record, "Encounter")
    physician_id = encounter["participant"][0]["individual"]["reference"].split("/")[1]
    del resource(record, "Practitioner", physician_id)["identifier"]
    del resource(record, "Condition")["identifier"]
    del resource(record, "QuestionnaireResponse")["identifier"]
    return record


def test_an_ordinary_record_is_discharged_whole_twice_on_an_empty_hapi(
    service_on_hapi: str, hapi_base_url: str
) -> None:
    record = ordinary_record()
    first = discharge(service_on_hapi, record)
    assert first.status_code == 201, f"{first.text} {log_hint()}"  # before: HAPI-1094
    second = discharge(service_on_hapi, record)
    assert second.status_code == 200, second.text
    landed = roles(first.json())
    assert {k: v["reference"] for k, v in roles(second.json()).items()} == {
        k: v["reference"] for k, v in landed.items()
    }
    letter = httpx.get(f"{hapi_base_url}/{landed['letter']['reference']}", headers=FHIR).json()
    # Its subject and author resolve, on HAPI, to the record's patient and physician.
    patient = httpx.get(f"{hapi_base_url}/{letter['subject']['reference']}", headers=FHIR)
    assert patient.status_code == 200
    assert patient.json()["name"] == resource(record, "Patient")["name"]
    author = httpx.get(f"{hapi_base_url}/{letter['author'][0]['reference']}", headers=FHIR)
    assert author.status_code == 200 and author.json()["name"][0]["family"] == "Maes"
    # One letter, two Tasks (not four), one of each record copy.
    subject = letter["subject"]["reference"]
    assert len(search(hapi_base_url, "Composition", subject=subject)) == 1
    assert len(search(hapi_base_url, "Task", patient=subject)) == 2
    assert len(search(hapi_base_url, "Condition", subject=subject)) == 1
    assert len(search(hapi_base_url, "QuestionnaireResponse", subject=subject)) == 1
    # HAPI's $validate of everything that landed: what the discharge wrote (the letter ... the
    # stored document, the Provenance, the Device), and the record carried with it (HAPI's own
    # Composition/$document gathers that as it is on HAPI). No error.
    on_hapi = {
        role: httpx.get(f"{hapi_base_url}/{where['reference']}", headers=FHIR, timeout=60).json()
        for role, where in landed.items()
    }
    hapis = httpx.get(
        f"{hapi_base_url}/{landed['letter']['reference']}/$document", headers=FHIR, timeout=60
    ).json()
    for entry in hapis["entry"]:
        found_resource = entry["resource"]
        on_hapi.setdefault(
            f"{found_resource['resourceType']}/{found_resource['id']}", found_resource
        )
    found = {}
    for name, landed_resource in on_hapi.items():
        _, outcome = validate(hapi_base_url, landed_resource)
        found[name] = errors(outcome)
    assert not any(found.values()), found
    assert {"document", "provenance", "service"} <= set(found)
    assert len(found) >= 17


def test_a_patient_id_that_exists_on_a_shared_hapi_never_gets_the_letter(
    service_on_hapi: str, hapi_base_url: str
) -> None:
    # Somebody is Patient/N on the shared server; an integrator's record uses ids N and no
    # business identifier at all.
    someone = httpx.post(
        f"{hapi_base_url}/Patient",
        json={"resourceType": "Patient", "name": [{"family": "Peeters", "given": ["Jan"]}]},
        headers=POST,
        timeout=60,
    )
    assert someone.status_code == 201, someone.text
    taken = someone.json()["id"]
    text = json.dumps(record_with_ids_only()).replace('"1"', f'"{taken}"')
    text = text.replace("Patient/1", f"Patient/{taken}").replace(
        "Encounter/1", f"Encounter/{taken}"
    )
    record = json.loads(text)
    resource(record, "Patient")["name"] = [{"family": f"Janssens-{uuid.uuid4().hex[:6]}"}]
    answer = discharge(service_on_hapi, record)
    assert answer.status_code == 201, f"{answer.text} {log_hint()}"
    letter_ref = roles(answer.json())["letter"]["reference"]
    letter = httpx.get(f"{hapi_base_url}/{letter_ref}", headers=FHIR).json()
    assert letter["subject"]["reference"] != f"Patient/{taken}"
    patient = httpx.get(f"{hapi_base_url}/{letter['subject']['reference']}", headers=FHIR).json()
    assert patient["name"] == resource(record, "Patient")["name"]
    assert search(hapi_base_url, "Composition", subject=f"Patient/{taken}") == []


def test_an_identifier_that_reads_as_a_search_parameter_never_finds_the_victim_on_hapi(
    service_on_hapi: str, hapi_base_url: str
) -> None:
    # HAPI parses a conditional create's search as a URL query: unencoded, a value `&_id=N` is a
    # search of its own, and the letter's subject became Patient/N.
    victim = httpx.post(
        f"{hapi_base_url}/Patient",
        json={"resourceType": "Patient", "name": [{"family": "Victim"}]},
        headers=POST,
        timeout=60,
    )
    assert victim.status_code == 201, victim.text
    victim_id = victim.json()["id"]
    record = new_record()
    resource(record, "Patient")["identifier"] = [
        {"system": "https://example.uzleuven.be/sid/patient", "value": f"&_id={victim_id}"}
    ]
    answer = discharge(service_on_hapi, record)
    assert answer.status_code == 201, f"{answer.text} {log_hint()}"
    letter = httpx.get(
        f"{hapi_base_url}/{roles(answer.json())['letter']['reference']}", headers=FHIR
    ).json()
    assert letter["subject"]["reference"] != f"Patient/{victim_id}"
    patient = httpx.get(f"{hapi_base_url}/{letter['subject']['reference']}", headers=FHIR).json()
    assert patient["name"] == resource(record, "Patient")["name"]
