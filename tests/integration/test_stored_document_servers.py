"""What FHIR servers do to a document Bundle nested in a transaction: why the stored document's
entries are RESTful URLs of our own with relative references (core/stored_document.py).

Inside a transaction a server looks for references anywhere in the resources it is given, a
nested Bundle's entries included. Measured here on the two servers the project runs, HAPI FHIR
8.8.0 (tools/hapi) and the sandbox (sekmet-fhir 0.1.1):
- a document whose entries are `urn:uuid` (the usual form of a document) does not come back as
  it was sent: HAPI drops each entry's id; the sandbox refuses the transaction ("unresolved
  reference");
- with entries whose `urn:uuid` is one of the transaction's own fullUrls, HAPI rewrites their
  fullUrls into its own `Type/id` (and not the references to them): no longer self-contained;
- the letter's document as this service stores it comes back with the content attested (its
  digest), on both.
"""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

import httpx
import pytest

from fhir_discharge import build_discharge, context_from_bundle
from fhir_discharge.core.stored_document import document_digest
from tests.support.factories import fresh_record
from tests.support.site import SITE

pytestmark = pytest.mark.integration

FHIR_JSON = {"Content-Type": "application/fhir+json", "Accept": "application/fhir+json"}


@pytest.fixture(params=["sandbox", pytest.param("hapi", marks=pytest.mark.slow)])
def server(request: pytest.FixtureRequest) -> str:
    fixture = "fhir_base_url" if request.param == "sandbox" else "hapi_base_url"
    return str(request.getfixturevalue(fixture))


def urn() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def post(server: str, entries: list[dict[str, Any]]) -> httpx.Response:
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": entries}
    return httpx.post(server, content=json.dumps(bundle), headers=FHIR_JSON, timeout=120)


def create(full_url: str, resource: dict[str, Any]) -> dict[str, Any]:
    identifier = resource["identifier"]
    identifier = identifier if isinstance(identifier, dict) else identifier[0]
    return {
        "fullUrl": full_url,
        "resource": resource,
        "request": {
            "method": "POST",
            "url": resource["resourceType"],
            "ifNoneExist": f"identifier={identifier['system']}|{identifier['value']}",
        },
    }


def stored(server: str, answer: httpx.Response, position: int) -> dict[str, Any]:
    location = answer.json()["entry"][position]["response"]["location"].split("/_history")[0]
    if not location.startswith("http"):
        location = f"{server}/{location}"
    read = httpx.get(location, headers=FHIR_JSON, timeout=60)
    assert read.status_code == 200, read.text
    return dict(read.json())


def urn_document(patient_url: str, letter_url: str) -> dict[str, Any]:
    """A small document in the usual form: urn:uuid entries with their ids, urn references."""
    patient = {
        "resourceType": "Patient",
        "id": patient_url.removeprefix("urn:uuid:"),
        "identifier": [{"system": "urn:ietf:rfc:3986", "value": urn()}],
        "name": [{"family": "Peeters"}],
    }
    letter = {
        "resourceType": "Composition",
        "id": letter_url.removeprefix("urn:uuid:"),
        "identifier": {"system": "urn:ietf:rfc:3986", "value": urn()},
        "status": "final",
        "type": {"text": "letter"},
        "subject": {"reference": patient_url},
        "date": "2026-11-25T12:40:00+01:00",
        "author": [{"reference": patient_url}],
        "title": "letter",
    }
    return {
        "resourceType": "Bundle",
        "identifier": {"system": "urn:ietf:rfc:3986", "value": urn()},
        "type": "document",
        "timestamp": "2026-11-25T12:40:00+01:00",
        "entry": [
            {"fullUrl": letter_url, "resource": letter},
            {"fullUrl": patient_url, "resource": patient},
        ],
    }


def test_a_document_of_urn_uuid_entries_does_not_come_back_as_sent(server):
    document = urn_document(urn(), urn())
    answer = post(server, [create(urn(), document)])
    if answer.status_code >= 400:  # the sandbox: an urn:uuid it cannot resolve in the transaction
        assert "unresolved reference" in answer.text
        return
    assert answer.status_code == 200, answer.text
    back = stored(server, answer, 0)
    assert document_digest(back) != document_digest(document)  # HAPI: the entries' ids dropped
    assert [e["resource"].get("id") for e in back["entry"]] == [None, None]


def test_entries_under_the_transactions_own_fullurls_are_rewritten(server):
    patient_url, letter_url = urn(), urn()
    document = urn_document(patient_url, letter_url)
    patient = copy.deepcopy(document["entry"][1]["resource"])
    del patient["id"]
    answer = post(server, [create(patient_url, patient), create(urn(), document)])
    if answer.status_code >= 400:
        return  # refused: nothing stored that differs from what was sent
    assert answer.status_code == 200, answer.text
    back = stored(server, answer, 1)
    assert document_digest(back) != document_digest(document)  # no longer as sent


def test_the_letters_document_comes_back_as_attested(server):
    discharge = build_discharge(context_from_bundle(fresh_record(uuid.uuid4().hex[:10])), SITE)
    assert discharge.document is not None
    answer = post(server, discharge.bundle["entry"])
    assert answer.status_code == 200, answer.text
    position = [e["resource"]["resourceType"] for e in discharge.bundle["entry"]].index("Bundle")
    back = stored(server, answer, position)
    assert document_digest(back) == discharge.document.digest
    # entry for entry, the same fullUrls, ids and references: nothing rewritten
    assert [e["fullUrl"] for e in back["entry"]] == [
        e["fullUrl"] for e in discharge.document.bundle["entry"]
    ]
    assert [e["resource"]["id"] for e in back["entry"]] == [
        e["resource"]["id"] for e in discharge.document.bundle["entry"]
    ]
