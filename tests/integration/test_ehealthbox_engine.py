"""The hospital's integration engine at work on a real FHIR server (the sandbox, on loopback).

It does what README "The GP's eHealthBox" tells it to: search the Tasks still to send, read the
focus Communication, take the KMEHR message and the envelope's values from it, (send it: not
here, this service holds no eHealth credentials) and complete or fail the Task; a failed one is
found again by the search that shows it. A repeat discharge makes no second message to send, and
the PDF in the message is the PDF the letter on the server renders to.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

import httpx
from lxml import etree

from fhir_discharge.core.gp_message.ehealthbox import (
    SEND_CODE,
    gp_message_coding,
)
from fhir_discharge.core.record.identifiers import NIHDI, SSIN
from tests.support.discharges import discharge, parts, seeded
from tests.support.factories import fresh_record, resource
from tests.support.kmehr_schemas import NS, code_list_errors, schema_errors
from tests.support.servers import AUTH
from tests.support.site import SITE

FHIR = {"Accept": "application/fhir+json"}
TO_SEND = {"status": "requested", "code": f"{SITE.canonicals.gp_message_system}|{SEND_CODE}"}


def search(base: str, resource_type: str, **params: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{base}/{resource_type}", params=params, headers=FHIR, timeout=30)
    assert response.status_code == 200, response.text
    return [e["resource"] for e in response.json().get("entry", [])]


def read(base: str, reference: str) -> dict[str, Any]:
    response = httpx.get(f"{base}/{reference}", headers=FHIR, timeout=30)
    assert response.status_code == 200, response.text
    return dict(response.json())


def put(base: str, resource: dict[str, Any]) -> None:
    response = httpx.put(
        f"{base}/{resource['resourceType']}/{resource['id']}",
        json=resource,
        headers={"Content-Type": "application/fhir+json", **FHIR},
        timeout=30,
    )
    assert response.status_code == 200, response.text


def discharged(fhir_base_url: str, service_url: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A fresh record discharged through the service: the record, and where each part landed."""
    record = seeded(fhir_base_url)
    answer = discharge(service_url, "/Encounter/$lbp-discharge", record)
    assert answer.status_code == 201, answer.text
    return record, parts(answer.json())


def to_send(fhir_base_url: str, owner: str) -> list[dict[str, Any]]:
    """The engine's search: what is still to send for the hospital `owner`."""
    return search(fhir_base_url, "Task", owner=owner, **TO_SEND)


def test_a_repeat_discharge_makes_no_second_message(fhir_base_url: str, service_url: str) -> None:
    record = fresh_record(uuid.uuid4().hex[:10])
    first = discharge(service_url, "/Encounter/$lbp-discharge", record)
    assert first.status_code == 201, first.text
    second = discharge(service_url, "/Encounter/$lbp-discharge", record)
    assert second.status_code == 200, second.text
    landed, again = parts(first.json()), parts(second.json())
    assert landed["ehealthboxTask"]["status"] == "created"
    assert again["ehealthboxTask"]["status"] == "existing"
    assert again["ehealthboxTask"]["reference"] == landed["ehealthboxTask"]["reference"]
    communication = landed["letterToGp"]["reference"]["reference"]
    # one Task and one Communication on the server: one message for the engine to send
    tasks = search(fhir_base_url, "Task", focus=communication, code=TO_SEND["code"])
    assert [f"Task/{t['id']}" for t in tasks] == [
        landed["ehealthboxTask"]["reference"]["reference"]
    ]
    publication_id = read(fhir_base_url, communication)["identifier"][1]["value"]
    found = search(
        fhir_base_url,
        "Communication",
        identifier=f"{SITE.canonicals.publication_id_system}|{publication_id}",
    )
    assert len(found) == 1


def test_the_engine_finds_what_to_send_reads_the_envelope_and_completes_it(
    fhir_base_url: str, service_url: str
) -> None:
    record, _ = discharged(fhir_base_url, service_url)
    hospital = f"Organization/{resource(record, 'Organization')['id']}"
    (task,) = to_send(fhir_base_url, hospital)
    assert task["businessStatus"]["coding"][0]["code"] == "to-send"

    # the focus Communication: the KMEHR message and the envelope's values
    communication = read(fhir_base_url, task["focus"]["reference"])
    attachment = communication["payload"][1]["contentAttachment"]
    message = base64.b64decode(attachment["data"])
    assert len(message) == attachment["size"] and attachment["title"]
    assert schema_errors(message) == [] and code_list_errors(message) == []
    recipient = communication["recipient"][0]["identifier"]
    subject = communication["subject"]["identifier"]
    gp_id = resource(record, "Patient")["generalPractitioner"][0]["reference"].split("/")[1]
    gp = resource(record, "Practitioner", gp_id)
    assert recipient == {"system": NIHDI, "value": gp["identifier"][0]["value"]}
    assert subject["system"] == SSIN
    assert subject["value"] == resource(record, "Patient")["identifier"][0]["value"]
    (publication,) = [
        i
        for i in communication["identifier"]
        if i["system"] == SITE.canonicals.publication_id_system
    ]
    assert len(publication["value"]) <= 13
    # the envelope says what the message says: the same GP, the same patient
    root = etree.fromstring(message)
    assert root.findtext("k:header/k:recipient/k:hcparty/k:id", namespaces=NS) == recipient["value"]
    assert root.findtext("k:folder/k:patient/k:id", namespaces=NS) == subject["value"]

    # it takes the Task, then reports back: sent
    put(fhir_base_url, {**task, "status": "in-progress"})
    assert to_send(fhir_base_url, hospital) == []  # no second engine sends it too
    put(
        fhir_base_url,
        {
            **task,
            "status": "completed",
            "businessStatus": {"coding": [gp_message_coding("sent", SITE.canonicals)]},
        },
    )
    done = read(fhir_base_url, f"Task/{task['id']}")
    assert done["status"] == "completed" and done["businessStatus"]["coding"][0]["code"] == "sent"
    assert to_send(fhir_base_url, hospital) == []


def test_a_failed_message_is_found_by_the_search_that_shows_it(
    fhir_base_url: str, service_url: str
) -> None:
    record, _ = discharged(fhir_base_url, service_url)
    hospital = f"Organization/{resource(record, 'Organization')['id']}"
    (task,) = to_send(fhir_base_url, hospital)
    reason = "eHealthBox: the recipient has no eHealthBox"
    put(
        fhir_base_url,
        {
            **task,
            "status": "failed",
            "businessStatus": {"coding": [gp_message_coding("failed", SITE.canonicals)]},
            "statusReason": {"text": reason},
        },
    )
    # the worklist of letters that did not reach the GP (README): failed, with the reason
    failed = search(fhir_base_url, "Task", status="failed", code=TO_SEND["code"], owner=hospital)
    assert [(t["id"], t["statusReason"]["text"]) for t in failed] == [(task["id"], reason)]
    by_status = search(
        fhir_base_url,
        "Task",
        **{"business-status": f"{SITE.canonicals.gp_message_system}|failed"},
        owner=hospital,
    )
    assert [t["id"] for t in by_status] == [task["id"]]


def test_the_pdf_in_the_message_is_the_pdf_of_the_letter_on_the_server(
    fhir_base_url: str, service_url: str
) -> None:
    _, landed = discharged(fhir_base_url, service_url)
    communication = read(fhir_base_url, landed["letterToGp"]["reference"]["reference"])
    message = etree.fromstring(
        base64.b64decode(communication["payload"][1]["contentAttachment"]["data"])
    )
    in_message = base64.b64decode(message.findtext("k:folder/k:transaction/k:lnk", namespaces=NS))
    composition_id = landed["letter"]["reference"]["reference"].split("/")[1]
    rendered = httpx.get(
        f"{service_url}/Composition/{composition_id}/$document",
        params={"_format": "pdf"},
        headers=AUTH,
        timeout=60,
    )
    assert rendered.status_code == 200
    assert in_message == rendered.content


def test_a_letter_that_cannot_reach_the_gp_electronically_leaves_nothing_to_send(
    fhir_base_url: str, service_url: str
) -> None:
    record = fresh_record(uuid.uuid4().hex[:10])
    # A GP on record whose NIHDI number fails its check (a malformed SSIN the gate refuses).
    gp = resource(
        record,
        "Practitioner",
        resource(record, "Patient")["generalPractitioner"][0]["reference"].split("/")[1],
    )
    gp["identifier"][0]["value"] = "12345652003"  # a typo: two digits swapped
    answer = discharge(service_url, "/Encounter/$lbp-discharge", record)
    assert answer.status_code == 201, answer.text
    landed = parts(answer.json())
    assert "letterToGp" in landed and "ehealthboxTask" not in landed
    outcome = next(p["resource"] for p in answer.json()["parameter"] if p["name"] == "outcome")
    warnings = outcome["issue"]
    assert any("NIHDI number is not a valid physician" in i["diagnostics"] for i in warnings), (
        warnings
    )
    hospital = f"Organization/{resource(record, 'Organization')['id']}"
    assert to_send(fhir_base_url, hospital) == []
