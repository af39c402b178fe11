"""`$document` serves the letters this service wrote, known by what it recorded when it wrote
them (the outbox's `written_letter`), never by what a Composition on the FHIR server claims
(issue 18, point 3)."""

from __future__ import annotations

import asyncio
import copy
import json
import time
import uuid

import httpx
import pytest

from fhir_discharge import build_discharge
from fhir_discharge.io.delivery import Deliverer
from fhir_discharge.io.fhir_client import FhirClient
from fhir_discharge.io.outbox import DELIVERED, WrittenLetter
from fhir_discharge.io.outbox.sqlite import SqliteOutbox
from tests.support.contexts import held_by_server
from tests.support.discharges import discharge, parts
from tests.support.factories import fresh_record, happy_bundle
from tests.support.servers import AUTH, start_service
from tests.support.site import SITE

FHIR = "http://fhir.test/fhir"
TRANSACTION = {
    "resourceType": "Bundle",
    "type": "transaction",
    "entry": [
        {
            "fullUrl": "urn:uuid:1",
            "resource": {"resourceType": "Composition"},
            "request": {"method": "POST", "url": "Composition"},
        }
    ],
}


def answering(status: str, location: str = "Composition/c1/_history/1"):
    def answer(request: httpx.Request) -> httpx.Response:
        entry = {"response": {"status": status, "location": location}}
        return httpx.Response(
            200, json={"resourceType": "Bundle", "type": "transaction-response", "entry": [entry]}
        )

    return answer


def deliver(tmp_path, status: str, attempts_before: int = 0) -> WrittenLetter | None:
    """Deliver one item whose transaction the server answers with `status` for the letter, on
    attempt `attempts_before + 1`; what the outbox then knows of Composition/c1."""

    async def run() -> WrittenLetter | None:
        box = SqliteOutbox(tmp_path / f"outbox-{uuid.uuid4().hex}.sqlite3")
        client = FhirClient(FHIR, transport=httpx.MockTransport(answering(status)))
        deliverer = Deliverer(box, client, canonical_base=SITE.canonical_base)
        try:
            box.accept("d1", "Encounter/e1", TRANSACTION, (), time.time())
            for _ in range(attempts_before):  # earlier attempts whose answers were lost
                box.claim_due(time.time(), -1, 1)  # a lease already run out
            (item,) = box.claim_due(time.time(), 60, 1)
            done = await deliverer._deliver(item)
            assert done.state == DELIVERED
            return box.written_letter(FHIR, "c1")
        finally:
            await client.aclose()
            box.close()

    return asyncio.run(run())


def test_a_letter_the_transaction_created_is_recorded_with_its_version(tmp_path):
    assert deliver(tmp_path, "201 Created") == WrittenLetter(FHIR, "c1", "1")


def test_a_letter_found_existing_at_a_first_attempt_is_not_taken_for_ours(tmp_path):
    # It was on the server before this service posted anything: planted under the identifier
    # the service derives (a public algorithm), or another system's.
    assert deliver(tmp_path, "200 OK") is None


def test_a_letter_found_existing_at_a_later_attempt_is_ours(tmp_path):
    # An earlier attempt of this very item may have created it, and its answer was lost.
    assert deliver(tmp_path, "200 OK", attempts_before=1) == WrittenLetter(FHIR, "c1", "1")


def test_a_letter_is_recorded_with_the_document_its_transaction_stored(tmp_path):
    """Where the stored document landed, and the digest of the document as attested: what
    `$document` checks the stored one against before serving it (web/documents.py)."""
    built = build_discharge(held_by_server(happy_bundle()), SITE)
    assert built.document is not None

    def created(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":  # what the server holds under the document's identifier
            return httpx.Response(200, json={"resourceType": "Bundle", "type": "searchset"})
        entries = [
            {
                "response": {
                    "status": "201 Created",
                    "location": f"{e['request']['url']}/n{n}/_history/1",
                }
            }
            for n, e in enumerate(json.loads(request.content)["entry"])
        ]
        return httpx.Response(
            200, json={"resourceType": "Bundle", "type": "transaction-response", "entry": entries}
        )

    async def run() -> WrittenLetter | None:
        box = SqliteOutbox(tmp_path / "outbox.sqlite3")
        client = FhirClient(FHIR, transport=httpx.MockTransport(created))
        try:
            box.accept("d1", "Encounter/e1", built.bundle, (), time.time())
            (item,) = box.claim_due(time.time(), 60, 1)
            deliverer = Deliverer(box, client, canonical_base=SITE.canonical_base)
            assert (await deliverer._deliver(item)).state == DELIVERED
            return box.written_letter(FHIR, "n0")
        finally:
            await client.aclose()
            box.close()

    position = [e["resource"]["resourceType"] for e in built.bundle["entry"]].index("Bundle")
    assert asyncio.run(run()) == WrittenLetter(
        FHIR, "n0", "1", f"n{position}", "1", built.document.digest
    )


# --- end to end: the service on the sandbox ---------------------------------------------------


def composition_of(fhir_base_url: str, reference: str) -> dict:
    return httpx.get(f"{fhir_base_url}/{reference}", timeout=30).json()


def test_a_composition_written_straight_to_the_server_is_not_served(fhir_base_url, service_url):
    record = fresh_record(uuid.uuid4().hex[:10])
    answer = discharge(service_url, "/Encounter/$lbp-discharge", record)
    assert answer.status_code == 201, answer.text
    letter = parts(answer.json())["letter"]["reference"]["reference"]
    ours = httpx.get(f"{service_url}/{letter}/$document", headers=AUTH, timeout=30)
    assert ours.status_code == 200, ours.text

    # The same Composition, the module's profile and a urn:uuid identifier, written by anyone
    # who can write to the FHIR server: it claims everything ours does.
    forged = copy.deepcopy(composition_of(fhir_base_url, letter))
    for key in ("id", "meta"):
        forged.pop(key, None)
    forged["meta"] = {
        "profile": ["https://fhir.uzleuven.be/discharge/StructureDefinition/lbp-gp-letter"]
    }
    forged["identifier"] = {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{uuid.uuid4()}"}
    created = httpx.post(
        f"{fhir_base_url}/Composition",
        content=json.dumps(forged),
        headers={"Content-Type": "application/fhir+json"},
        timeout=30,
    )
    assert created.status_code == 201, created.text
    forged_id = created.json()["id"] if created.content else created.headers["location"]
    forged_id = str(forged_id).split("/Composition/")[-1].split("/")[0]
    refused = httpx.get(f"{service_url}/Composition/{forged_id}/$document", headers=AUTH)
    assert refused.status_code == 404, refused.text
    for rendering in ("html", "pdf"):
        answer = httpx.get(
            f"{service_url}/Composition/{forged_id}/$document",
            params={"_format": rendering},
            headers=AUTH,
        )
        assert answer.status_code == 404


def test_our_letter_changed_on_the_server_since_is_not_served_as_ours(fhir_base_url, service_url):
    record = fresh_record(uuid.uuid4().hex[:10])
    answer = discharge(service_url, "/Encounter/$lbp-discharge", record)
    assert answer.status_code == 201, answer.text
    letter = parts(answer.json())["letter"]["reference"]["reference"]
    changed = composition_of(fhir_base_url, letter)
    if "versionId" not in (changed.get("meta") or {}):
        pytest.skip("this FHIR server does not version its resources")
    changed["title"] = "Ontslagbrief (gewijzigd)"
    put = httpx.put(
        f"{fhir_base_url}/{letter}",
        content=json.dumps(changed),
        headers={"Content-Type": "application/fhir+json"},
        timeout=30,
    )
    assert put.status_code in (200, 201), put.text
    assert httpx.get(f"{service_url}/{letter}/$document", headers=AUTH).status_code == 404


def test_replicas_sharing_a_postgres_outbox_serve_each_others_letters(postgres_url, tmp_path):
    pytest.importorskip("psycopg", reason="the [postgres] extra (psycopg) is not installed")
    from devtools.sandbox import start_sandbox
    from tests.support.postgres import fresh_database

    url = fresh_database(postgres_url)
    sandbox = start_sandbox()
    replicas = []
    try:
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
            replicas.append(start_service(sandbox.base_url, tmp_path / name, outbox_url=url))
        answer = discharge(replicas[0].url, "/Encounter/$lbp-discharge", fresh_record("pg"))
        assert answer.status_code == 201, answer.text
        letter = parts(answer.json())["letter"]["reference"]["reference"]
        served = httpx.get(f"{replicas[1].url}/{letter}/$document", headers=AUTH, timeout=30)
        assert served.status_code == 200, served.text
    finally:
        for replica in replicas:
            replica.stop()
        sandbox.stop()
