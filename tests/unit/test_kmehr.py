"""The letter as a KMEHR 1.43 contact report, read back as a GP package reads it (core/kmehr.py).

The message is taken from where the hospital's eHealthBox sender takes it (the Communication's
payload in the transaction), parsed with lxml, validated against kmehr_elements-1_43.xsd, and
every code in it checked against its list in cd-1_43.xsd (tests/support/kmehr_schemas.py). Then
it is read as GP software files it: the folder of the patient with this SSIN, addressed to the
GP with this NIHDI number, a `contactreport` whose text is the letter's and whose PDF is the very
PDF of the letter.
"""

from __future__ import annotations

import base64
import io
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from fhir_discharge import build_discharge
from fhir_discharge.core.document import build_document, document_identifier, landed_resources
from fhir_discharge.core.kmehr import (
    KMEHR_STANDARD,
    ContactReport,
    HealthcareParty,
    KmehrPatient,
    kmehr_message,
)
from fhir_discharge.core.letter import plain_text
from fhir_discharge.core.rendering import render_letter_pdf
from fhir_discharge.core.transaction import Discharge
from tests.support.built_bundles import unrecorded
from tests.support.contexts import held_by_server
from tests.support.factories import (
    EXAMPLE_GP_NIHDI,
    EXAMPLE_HOSPITAL_NIHDI,
    EXAMPLE_PHYSICIAN_NIHDI,
    EXAMPLE_SSIN,
    HAPPY_PATH,
    happy_bundle,
    resource,
)
from tests.support.kmehr_schemas import (
    NS,
    code_list_errors,
    code_lists,
    codes_written,
    schema_errors,
)


def _discharge(bundle: dict[str, Any] | None = None) -> Discharge:
    # The record as the FHIR server holds it (referenced there, not carried): some of these
    # records hold what no FHIR string may (a control character), to see what KMEHR makes of it.
    return build_discharge(held_by_server(bundle or happy_bundle()))


def kmehr_in(bundle: dict[str, Any]) -> bytes:
    """The KMEHR message as the eHealthBox sender finds it: the Communication's attachment."""
    (communication,) = [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Communication"
    ]
    (attachment,) = [
        p["contentAttachment"] for p in communication["payload"] if "contentAttachment" in p
    ]
    assert attachment["contentType"] == "application/xml"
    return base64.b64decode(attachment["data"], validate=True)


def valid(message: bytes) -> bytes:
    assert schema_errors(message) == []
    assert code_list_errors(message) == []
    return message


def text_of(element: Any, path: str) -> str:
    found = element.find(path, NS)
    assert found is not None, path
    return str(found.text or "")


def independent_pdf(discharge: Discharge) -> bytes:
    """The letter's PDF as `$document?_format=pdf` makes it once the transaction has landed
    (ids given, references rewritten: scripts/render_example_letter.py does the same)."""
    entries = discharge.bundle["entry"]
    locations = {
        e["fullUrl"]: f"{e['resource']['resourceType']}/landed-{n}" for n, e in enumerate(entries)
    }
    landed = landed_resources(discharge.bundle, locations)
    composition = landed[0]
    record = [e["resource"] for e in happy_bundle()["entry"]]
    document = build_document(
        composition,
        [*landed, *record],
        identifier=document_identifier(composition),
        timestamp=composition["date"],
        base_url="https://fhir.example.org/fhir",
    )
    return render_letter_pdf(document.bundle)


# --- the schemas and the code lists -------------------------------------------------------


def test_the_example_letter_is_a_kmehr_1_43_message_with_only_listed_codes() -> None:
    message = valid(kmehr_in(_discharge().bundle))
    assert codes_written(message) == {
        "CD-STANDARD": {KMEHR_STANDARD},
        "CD-HCPARTY": {"orghospital", "persphysician"},
        "CD-TRANSACTION": {"contactreport"},
        "CD-SEX": {"female"},
    }
    assert KMEHR_STANDARD in code_lists()["CD-STANDARD"]  # the 1.43 release (20260210)


def test_the_code_check_catches_a_made_up_code_that_the_schema_lets_through() -> None:
    message = kmehr_in(_discharge().bundle)
    made_up = message.replace(b">contactreport<", b">dischargeletter<")
    assert schema_errors(made_up) == []  # the schema checks the list's name, not the code
    assert code_list_errors(made_up) == ["'dischargeletter' is not in CD-TRANSACTION"]
    other_list = message.replace(b'S="CD-SEX"', b'S="CD-SEXE"')
    assert code_list_errors(other_list) == ["'CD-SEXE' is not a KMEHR code list"]
    media = message.replace(b'MEDIATYPE="application/pdf"', b'MEDIATYPE="application/x-pdf"')
    assert code_list_errors(media) == ["MEDIATYPE 'application/x-pdf' is not in CD-MEDIATYPE"]


# --- read as a GP package reads it --------------------------------------------------------


def test_a_gp_package_files_it_under_the_patient_by_ssin_with_the_letters_text_and_pdf() -> None:
    discharge = _discharge()
    root = etree.fromstring(valid(kmehr_in(discharge.bundle)))
    assert root.tag == "{http://www.ehealth.fgov.be/standards/kmehr/schema/v1}kmehrmessage"

    # addressed to the GP, by NIHDI number
    (gp,) = root.findall("k:header/k:recipient/k:hcparty", NS)
    assert text_of(gp, "k:id[@S='ID-HCPARTY']") == EXAMPLE_GP_NIHDI
    assert text_of(gp, "k:cd[@S='CD-HCPARTY']") == "persphysician"
    assert (text_of(gp, "k:firstname"), text_of(gp, "k:familyname")) == ("Pieter", "Claes")
    # from the hospital and the physician who signed, by NIHDI number
    senders = root.findall("k:header/k:sender/k:hcparty", NS)
    assert [(text_of(s, "k:cd"), text_of(s, "k:id")) for s in senders] == [
        ("orghospital", EXAMPLE_HOSPITAL_NIHDI),
        ("persphysician", EXAMPLE_PHYSICIAN_NIHDI),
    ]
    message_id = text_of(root, "k:header/k:id[@S='ID-KMEHR']")
    assert message_id.startswith(f"{EXAMPLE_HOSPITAL_NIHDI}.")  # sender's id, a dot, our own
    assert (text_of(root, "k:header/k:date"), text_of(root, "k:header/k:time")) == (
        "2026-11-25",
        "12:40:00",  # the letter's date and time, Brussels time
    )

    # the folder of the patient with this SSIN
    (folder,) = [
        f
        for f in root.findall("k:folder", NS)
        if text_of(f, "k:patient/k:id[@S='ID-PATIENT']") == EXAMPLE_SSIN
    ]
    patient = folder.find("k:patient", NS)
    assert text_of(patient, "k:firstname") == "An"
    assert text_of(patient, "k:familyname") == "Janssens"
    assert text_of(patient, "k:birthdate/k:date") == "1981-03-14"
    assert text_of(patient, "k:sex/k:cd") == "female"

    # one contact report, complete and validated, by the physician who signed the letter
    (report,) = folder.findall("k:transaction", NS)
    assert text_of(report, "k:cd[@S='CD-TRANSACTION']") == "contactreport"
    assert text_of(report, "k:id[@S='LOCAL']") == discharge.bundle["entry"][0]["fullUrl"]
    assert text_of(report, "k:author/k:hcparty/k:id") == EXAMPLE_PHYSICIAN_NIHDI
    assert text_of(report, "k:iscomplete") == "true"
    assert text_of(report, "k:isvalidated") == "true"
    assert (text_of(report, "k:date"), text_of(report, "k:time")) == ("2026-11-25", "12:40:00")

    # the text: the letter's narrative, in the letter's language
    (text,) = report.findall("k:text", NS)
    letter = discharge.letter
    assert text.get("L") == "nl"
    assert text.text == plain_text(letter["text"]["div"])
    assert (
        text.text.startswith("Ontslagbrief spoedgevallen") and "Aan: dr. Pieter Claes" in text.text
    )

    # the PDF: the letter's, byte for byte
    (lnk,) = report.findall("k:lnk", NS)
    assert (lnk.get("TYPE"), lnk.get("MEDIATYPE")) == ("multimedia", "application/pdf")
    pdf = base64.b64decode(lnk.text, validate=True)
    assert pdf.startswith(b"%PDF-") and lnk.get("SIZE") == str(len(pdf))
    assert pdf == independent_pdf(discharge)
    assert discharge.gp_message is not None and pdf == discharge.gp_message.pdf


@pytest.mark.parametrize("birth_date", ["1981-03-14", "1981-03", "1981"])
def test_the_pdf_says_what_the_text_says(birth_date: str) -> None:
    """Text and PDF come from one letter: every line of the text is in the PDF (read back with
    pypdf; a list's dash is the PDF's bullet, and lines wrap where the page ends), a partial
    birth date said alike in both."""
    from pypdf import PdfReader

    bundle = happy_bundle()
    resource(bundle, "Patient")["birthDate"] = birth_date
    message = kmehr_in(_discharge(bundle).bundle)
    report = etree.fromstring(message).find("k:folder/k:transaction", NS)
    text = text_of(report, "k:text")
    pdf = base64.b64decode(text_of(report, "k:lnk"))
    pages = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    squeezed = re.sub(r"\s+", "", pages)
    missing = [
        line
        for line in text.splitlines()
        if re.sub(r"\s+", "", line.strip().removeprefix("- ")) not in squeezed
    ]
    assert missing == []
    assert len(text.splitlines()) > 40
    said = {"1981-03-14": "geboren op 14 maart 1981", "1981-03": "geboren in maart 1981"}
    assert f"Betreft: An Janssens, {said.get(birth_date, 'geboren in 1981')}" in text


def test_the_same_letter_gives_the_same_message_byte_for_byte() -> None:
    assert kmehr_in(_discharge().bundle) == kmehr_in(_discharge().bundle)


# --- what the record may hold -------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth_date", "element"),
    [("1981-03-14", "date"), ("1981-03", "yearmonth"), ("1981", "year")],
)
def test_a_partial_birth_date_is_kmehrs_year_or_yearmonth(birth_date: str, element: str) -> None:
    bundle = happy_bundle()
    resource(bundle, "Patient")["birthDate"] = birth_date
    message = valid(kmehr_in(_discharge(bundle).bundle))
    patient = etree.fromstring(message).find("k:folder/k:patient", NS)
    (only,) = patient.find("k:birthdate", NS)
    assert only.tag == f"{{{NS['k']}}}{element}" and only.text == birth_date


@pytest.mark.parametrize(
    ("gender", "sex"),
    [
        ("male", "male"),
        ("female", "female"),
        ("other", "undefined"),
        ("unknown", "unknown"),
        (None, "unknown"),
    ],
)
def test_the_patients_sex_is_a_cd_sex_code(gender: str | None, sex: str) -> None:
    bundle = happy_bundle()
    patient = resource(bundle, "Patient")
    patient.pop("gender")
    if gender is not None:
        patient["gender"] = gender
    message = valid(kmehr_in(_discharge(bundle).bundle))
    assert codes_written(message)["CD-SEX"] == {sex}


def test_names_that_xml_cannot_carry_or_that_read_otherwise_are_cleaned() -> None:
    bundle = happy_bundle()
    resource(bundle, "Patient")["name"] = [
        {"family": "Janssens\u202e</familyname>&amp;\x07", "given": ["An\x00", "  Marie  "]}
    ]
    with unrecorded():  # control characters, refused at the service's door (web/body.py)
        message = valid(kmehr_in(_discharge(bundle).bundle))
    patient = etree.fromstring(message).find("k:folder/k:patient", NS)
    assert [f.text for f in patient.findall("k:firstname", NS)] == ["An", "Marie"]
    assert text_of(patient, "k:familyname") == "Janssens</familyname>&amp;"


def test_a_patient_known_by_one_name_has_an_empty_first_name() -> None:
    bundle = happy_bundle()
    resource(bundle, "Patient")["name"] = [{"text": "Janssens"}]
    message = valid(kmehr_in(_discharge(bundle).bundle))
    patient = etree.fromstring(message).find("k:folder/k:patient", NS)
    assert [f.text for f in patient.findall("k:firstname", NS)] == [None]
    assert text_of(patient, "k:familyname") == "Janssens"


def test_a_party_known_by_one_name_is_named_whole() -> None:
    party = HealthcareParty(EXAMPLE_GP_NIHDI, "persphysician", familyname="Claes")
    report = ContactReport(
        message_id=f"{EXAMPLE_HOSPITAL_NIHDI}.1",
        letter_id="urn:uuid:00000000-0000-5000-8000-000000000000",
        written=_discharge().facts.discharge,
        hospital=HealthcareParty(EXAMPLE_HOSPITAL_NIHDI, "orghospital", name="UZ Leuven"),
        physician=HealthcareParty(EXAMPLE_PHYSICIAN_NIHDI, "persphysician"),  # no name at all
        recipient=party,
        patient=KmehrPatient(EXAMPLE_SSIN, ("An",), "Janssens", None, None),
        language="fr-BE",
        text="Lettre",
        pdf=b"%PDF-1.4",
    )
    root = etree.fromstring(valid(kmehr_message(report)))
    gp = root.find("k:header/k:recipient/k:hcparty", NS)
    assert text_of(gp, "k:name") == "Claes" and gp.find("k:firstname", NS) is None
    signer = root.findall("k:header/k:sender/k:hcparty", NS)[1]
    assert signer.find("k:name", NS) is None and signer.find("k:familyname", NS) is None
    assert root.find("k:folder/k:transaction/k:text", NS).get("L") == "fr"
    assert root.find("k:folder/k:patient/k:birthdate", NS) is None


# --- the dry run, from outside ------------------------------------------------------------


def test_the_dry_run_of_the_example_carries_the_message_in_the_communication() -> None:
    """What `fhir-discharge discharge examples/input/happy-path-bundle.json --dry-run` prints."""
    command = Path(sys.executable).parent / "fhir-discharge"
    result = subprocess.run(
        [str(command), "discharge", str(HAPPY_PATH), "--dry-run"],
        capture_output=True,
        check=True,
        timeout=120,
    )
    assert result.stderr == b""  # no warning: the letter reaches the GP electronically
    bundle = json.loads(result.stdout)
    root = etree.fromstring(valid(kmehr_in(bundle)))
    assert text_of(root, "k:folder/k:patient/k:id[@S='ID-PATIENT']") == EXAMPLE_SSIN
    assert text_of(root, "k:header/k:recipient/k:hcparty/k:id") == EXAMPLE_GP_NIHDI
    report = root.find("k:folder/k:transaction", NS)
    assert text_of(report, "k:cd") == "contactreport"
    pdf = base64.b64decode(text_of(report, "k:lnk"))
    assert pdf == render_letter_pdf_of(bundle)


def render_letter_pdf_of(transaction: dict[str, Any]) -> bytes:
    entries = transaction["entry"]
    locations = {
        e["fullUrl"]: f"{e['resource']['resourceType']}/x{n}" for n, e in enumerate(entries)
    }
    landed = landed_resources(transaction, locations)
    document = build_document(
        landed[0],
        landed,
        identifier=document_identifier(landed[0]),
        timestamp=landed[0]["date"],
        base_url="https://fhir.example.org/fhir",
    )
    return render_letter_pdf(document.bundle)
