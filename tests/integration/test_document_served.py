"""`$document` serves the letter's stored document (web/documents.py), and only as attested.

The service in-process, against a FHIR server in memory that stores what a transaction creates
and serialises it its own way (other key order, the narrative's XHTML written otherwise), as a
real server may; and that can be made to hold, on a read, something else than was written: the
fault that a stored document differs from what the physician attested (hazard log).
End to end on the sandbox and HAPI FHIR: tests/integration/test_gp_side.py,
tests/integration/test_hapi_discharge.py.
"""

from __future__ import annotations

import base64
import copy
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from fastapi.testclient import TestClient
from lxml import etree

from fhir_discharge.config import Settings
from tests.support.factories import happy_bundle, resource
from tests.support.in_process import in_process_app

TOKEN = "document-served-" + uuid.uuid4().hex
AUTH = {"Authorization": f"Bearer {TOKEN}"}
FHIR_BASE = "http://fhir.test/fhir"
KMEHR = {"k": "http://www.ehealth.fgov.be/standards/kmehr/schema/v1"}


def reserialised(node: Any) -> Any:
    """The same content as a server may write it back: keys in another order, each narrative's
    XHTML with its namespace in single quotes (the same XML)."""
    if isinstance(node, dict):
        return {
            k: v.replace(
                'xmlns="http://www.w3.org/1999/xhtml"', "xmlns='http://www.w3.org/1999/xhtml'"
            )
            if k == "div" and isinstance(v, str)
            else reserialised(v)
            for k, v in reversed(list(node.items()))
        }
    if isinstance(node, list):
        return [reserialised(v) for v in node]
    return node


def rewrite(node: Any, landed: dict[str, str]) -> None:
    if isinstance(node, dict):
        if isinstance(node.get("reference"), str) and node["reference"] in landed:
            node["reference"] = landed[node["reference"]]
        for value in node.values():
            rewrite(value, landed)
    elif isinstance(node, list):
        for value in node:
            rewrite(value, landed)


class StoringFhir:
    """Creates what a transaction posts (ids n0, n1, ...; version 1) unless its conditional
    create finds it (by identifier or tag: "200 OK"), finds by identifier, answers a read with
    the stored resource as it serialises it (`reserialised`), or with what `held` says the server
    holds instead."""

    def __init__(self) -> None:
        self.stored: dict[str, dict[str, Any]] = {}
        self.held: dict[str, dict[str, Any] | None] = {}
        self.documents_found: list[dict[str, Any]] = []  # planted under the document identifier

    def body(self, path: str) -> bytes:
        return json.dumps(reserialised(self.stored[path]), ensure_ascii=False).encode()

    def search(self, resource_type: str, query: str) -> list[tuple[str, dict[str, Any]]]:
        ((name, token),) = [(k, v) for k, v in parse_qsl(query) if k != "_count"]
        system, value = token.split("|", 1)
        found = []
        for path, stored in self.stored.items():
            if stored["resourceType"] != resource_type:
                continue
            if name == "_tag":
                held = stored.get("meta", {}).get("tag", [])
            else:
                held = stored.get("identifier", [])
                held = held if isinstance(held, list) else [held]
            if any(
                c.get("system") == system and value in (c.get("value"), c.get("code")) for c in held
            ):
                found.append((path, stored))
        return found

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/fhir").strip("/")
        if request.method == "POST" and path == "":
            entries, landed, created = [], {}, []
            for entry in json.loads(request.content)["entry"]:
                matched = self.search(entry["request"]["url"], entry["request"]["ifNoneExist"])
                if matched:
                    status, where = "200 OK", matched[0][0]
                else:
                    status, where = "201 Created", f"{entry['request']['url']}/n{len(self.stored)}"
                    self.stored[where] = {
                        "resourceType": entry["resource"]["resourceType"],
                        "id": where.split("/")[1],
                        **{k: v for k, v in entry["resource"].items() if k != "resourceType"},
                        "meta": {**entry["resource"].get("meta", {}), "versionId": "1"},
                    }
                    created.append(self.stored[where])
                landed[entry["fullUrl"]] = where
                location = f"{where}/_history/1"
                entries.append({"response": {"status": status, "location": location}})
            for resource in created:  # urn:uuid references rewritten, as a server does
                if resource["resourceType"] != "Bundle":  # (the document has none)
                    rewrite(resource, landed)
            answer = {"resourceType": "Bundle", "type": "transaction-response", "entry": entries}
            return httpx.Response(200, json=answer)
        if request.method == "GET" and request.url.query:  # what it holds under an identifier
            found = [r for _, r in self.search(path, request.url.query.decode())]
            if path == "Bundle":
                found += self.documents_found
            entries = [{"resource": r} for r in found]
            return httpx.Response(
                200, json={"resourceType": "Bundle", "type": "searchset", "entry": entries}
            )
        if path in self.held:
            held = self.held[path]
            if held is None:
                return httpx.Response(404, json={"resourceType": "OperationOutcome", "issue": []})
            return httpx.Response(200, content=json.dumps(held).encode())
        if path in self.stored:
            return httpx.Response(200, content=self.body(path))
        return httpx.Response(404, json={"resourceType": "OperationOutcome", "issue": []})

    def of_type(self, resource_type: str) -> tuple[str, dict[str, Any]]:
        return next((p, r) for p, r in self.stored.items() if r["resourceType"] == resource_type)


@pytest.fixture
def fhir() -> StoringFhir:
    return StoringFhir()


@pytest.fixture
def service(tmp_path: Path, fhir: StoringFhir) -> Iterator[TestClient]:
    config = Settings(
        fhir_base_url=FHIR_BASE,
        outbox_path=str(tmp_path / "outbox.sqlite3"),
        api_tokens=[TOKEN],
    )
    with in_process_app(config, fhir) as client:
        yield client


def post(service: TestClient, record: dict[str, Any]) -> httpx.Response:
    return service.post(
        "/Encounter/$lbp-discharge",
        content=json.dumps(record),
        headers={"Content-Type": "application/fhir+json", **AUTH},
    )


def discharged(service: TestClient, fhir: StoringFhir) -> tuple[str, str]:
    """Discharge the example; the letter's `$document` URL and where its document is stored."""
    answer = post(service, happy_bundle())
    assert answer.status_code == 201, answer.text
    letter, _ = fhir.of_type("Composition")
    document, _ = fhir.of_type("Bundle")
    return f"/{letter}/$document", document


def test_the_stored_document_is_served_as_the_server_sends_it(service, fhir):
    url, document = discharged(service, fhir)
    (communication,) = [r for r in fhir.stored.values() if r["resourceType"] == "Communication"]
    # The GP is pointed to the stored document.
    assert communication["payload"][0]["contentReference"] == {"reference": document}
    served = service.get(url, headers=AUTH)
    assert served.status_code == 200, served.text
    assert served.headers["content-type"] == "application/fhir+json"
    # Byte for byte what a plain GET of Bundle/{id} gives a GP system, the server's own
    # serialisation and meta included.
    assert served.content == fhir.body(document)


def test_the_pdf_served_is_the_pdf_the_kmehr_message_carries(service, fhir):
    url, _ = discharged(service, fhir)
    _, communication = fhir.of_type("Communication")
    (attachment,) = [p["contentAttachment"] for p in communication["payload"][1:]]
    message = etree.fromstring(base64.b64decode(attachment["data"]))
    carried = base64.b64decode(message.find("k:folder/k:transaction/k:lnk", KMEHR).text)
    served = service.get(url, params={"_format": "pdf"}, headers=AUTH)
    assert served.status_code == 200 and served.content == carried
    html = service.get(url, params={"_format": "html"}, headers=AUTH)
    assert html.status_code == 200 and "Opvolging" in html.text


@pytest.mark.parametrize(
    "change",
    [
        "another birth date, the same version",
        "another word in the letter, the same version",
        "a later version",
        "no longer there",
    ],
)
def test_a_stored_document_that_is_not_the_attested_one_is_never_served(service, fhir, change):
    url, document = discharged(service, fhir)
    held = copy.deepcopy(fhir.stored[document])
    if change.startswith("another birth date"):
        patient = next(
            e["resource"] for e in held["entry"] if e["resource"]["resourceType"] == "Patient"
        )
        patient["birthDate"] = "1981-03-15"
    elif change.startswith("another word"):
        letter = held["entry"][0]["resource"]
        letter["text"]["div"] = letter["text"]["div"].replace("Geachte collega", "Beste collega")
    elif change == "a later version":
        held["meta"]["versionId"] = "2"
    fhir.held[document] = None if change == "no longer there" else held
    for rendering in ({}, {"_format": "html"}, {"_format": "pdf"}):
        answer = service.get(url, params=rendering, headers=AUTH)
        assert answer.status_code == 409, (change, rendering, answer.text)
        outcome = answer.json()
        assert outcome["resourceType"] == "OperationOutcome"
        assert outcome["issue"][0]["code"] == "conflict"
        assert "not served" in outcome["issue"][0]["diagnostics"]


def test_a_letter_changed_on_the_server_is_not_served_even_with_its_document_intact(service, fhir):
    url, _ = discharged(service, fhir)
    letter, composition = fhir.of_type("Composition")
    fhir.held[letter] = {
        **copy.deepcopy(composition),
        "meta": {**composition["meta"], "versionId": "2"},
    }
    assert service.get(url, headers=AUTH).status_code == 404


def test_a_planted_document_under_the_letters_document_identifier_refuses_the_discharge(
    service, fhir
):
    """A document found under the identifier this service derives (a public algorithm), before
    anything is written, that is not the one this discharge attests: the Communication would
    point the GP to it. 409, nothing written (core/matching.py)."""
    fhir.documents_found = [{"resourceType": "Bundle", "id": "planted", "type": "document"}]
    answer = service.post(
        "/Encounter/$lbp-discharge",
        content=json.dumps(happy_bundle()),
        headers={"Content-Type": "application/fhir+json", **AUTH},
    )
    assert answer.status_code == 409, answer.text
    codes = [i["details"]["coding"][0]["code"] for i in answer.json()["issue"]]
    assert codes == ["document-not-attested"]
    assert fhir.stored == {}


def test_a_repeat_from_a_record_changed_since_finds_the_document_first_stored(service, fhir):
    """The letter and its document are written once: a repeat of the discharge from a record
    that changed since (or read another way: by the Encounter's id rather than a Bundle) builds
    another document, and finds the first, which this service stored (the outbox says so)."""
    url, document = discharged(service, fhir)
    first = service.get(url, headers=AUTH).content
    record = happy_bundle()
    resource(record, "Patient")["telecom"] = [{"system": "phone", "value": "+32 16 00 00 00"}]
    again = post(service, record)
    assert again.status_code == 200, again.text
    assert {p["name"]: p for p in again.json()["parameter"]}["document"]["part"][0][
        "valueReference"
    ] == {"reference": document}
    assert service.get(url, headers=AUTH).content == first
