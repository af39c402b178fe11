"""The GP's side: find the letters addressed to me, read each as a document, or as HTML/PDF."""

from __future__ import annotations

import shutil
import subprocess
import uuid

import httpx

from fhir_discharge.core.stored_document import document_base
from tests.support.discharges import discharge, parts, seeded
from tests.support.factories import fresh_record, resource
from tests.support.servers import AUTH
from tests.support.site import SITE


def test_a_gp_finds_the_letter_by_recipient_and_reads_the_document(
    fhir_base_url, service_url, fhir_validator
):
    record = seeded(fhir_base_url)
    answer = discharge(service_url, "/Encounter/$lbp-discharge", record)
    assert answer.status_code == 201, answer.text
    landed = parts(answer.json())
    letter_ref = landed["letter"]["reference"]["reference"]
    document_ref = landed["document"]["reference"]["reference"]
    gp = f"Practitioner/{resource(record, 'Practitioner')['id']}"

    # The GP system's query: Communications addressed to me; each points to the letter as the
    # attested document the discharge stored.
    found = httpx.get(f"{fhir_base_url}/Communication", params={"recipient": gp}).json()
    communications = [e["resource"] for e in found.get("entry", [])]
    assert [c["payload"][0]["contentReference"]["reference"] for c in communications] == [
        document_ref
    ]
    # A plain GET of it on the FHIR server, and the service's $document: the same bytes.
    stored = httpx.get(
        f"{fhir_base_url}/{document_ref}", headers={"Accept": "application/fhir+json"}
    )
    assert stored.status_code == 200
    composition_id = letter_ref.split("/")[1]
    response = httpx.get(f"{service_url}/Composition/{composition_id}/$document", headers=AUTH)
    assert response.status_code == 200
    assert response.content == stored.content
    document = response.json()
    assert document["type"] == "document"
    assert document["identifier"]["value"].startswith("urn:uuid:")
    assert document["timestamp"] == "2026-11-25T12:40:00+01:00"
    types = [e["resource"]["resourceType"] for e in document["entry"]]
    assert types[0] == "Composition"
    assert (
        document["entry"][0]["resource"]["identifier"]
        == httpx.get(f"{fhir_base_url}/{letter_ref}").json()["identifier"]
    )
    for expected in (
        "Patient",
        "Encounter",
        "Practitioner",
        "Organization",
        "Condition",
        "DocumentReference",
        "CarePlan",
        "Task",
    ):
        assert expected in types
    assert types.count("Task") == 2
    urls = [e["fullUrl"] for e in document["entry"]]
    # its own entries, self-contained: nothing the FHIR server could take for its own
    assert len(urls) == len(set(urls)) and all(
        u.startswith(document_base(SITE.canonicals)) for u in urls
    )
    assert fhir_validator.errors(document) == []


def test_the_letter_as_html_and_pdf(fhir_base_url, service_url, tmp_path):
    record = seeded(fhir_base_url)
    answer = discharge(service_url, "/Encounter/$lbp-discharge", record)
    composition_id = parts(answer.json())["letter"]["reference"]["reference"].split("/")[1]
    url = f"{service_url}/Composition/{composition_id}/$document"

    html = httpx.get(url, params={"_format": "html"}, headers=AUTH)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "Opvolging" in html.text and "https://www.uzleuven.be/brochure/700457" in html.text

    pdf = httpx.get(url, headers={"Accept": "application/pdf", **AUTH})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    # The README's set-up (make setup / make test) installs poppler-utils: fail, never skip.
    assert shutil.which("pdftotext"), "pdftotext missing: run `make debian-tools`"
    path = tmp_path / "letter.pdf"
    path.write_bytes(pdf.content)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Beoordeling" in text and "Opvolging" in text


def test_an_unknown_composition_is_404(service_url):
    response = httpx.get(
        f"{service_url}/Composition/nope-{uuid.uuid4().hex}/$document", headers=AUTH
    )
    assert response.status_code == 404
    assert response.json()["resourceType"] == "OperationOutcome"


def test_a_record_without_gp_gets_no_communication(fhir_base_url, service_url):
    record = fresh_record(uuid.uuid4().hex[:10])
    del resource(record, "Patient")["generalPractitioner"]
    answer = discharge(service_url, "/Encounter/$lbp-discharge", record)
    assert answer.status_code == 201
    assert "letterToGp" not in parts(answer.json())
