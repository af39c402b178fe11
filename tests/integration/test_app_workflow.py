"""The physician's app's workflow states against the FHIR sandbox (issue 22): a positive screening
stored as documented and amended when corrected (H124), an encounter this service discharged
recognised and closed to a second screening (H150), the confirmation read from the server
(H151), and the preview that is the letter (H152).

The service runs in-process (TestClient) on the sandbox on loopback; the app's session is opened
as the code exchange opens one (tests/support/sessions.py), its launch server the sandbox.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from fhir_discharge.config import Settings
from fhir_discharge.core.i18n.said import finding_text
from fhir_discharge.core.letter.document import document_identifier
from fhir_discharge.core.letter_versions import letter_identifier
from fhir_discharge.core.record.identity import discharge_key
from fhir_discharge.errors import Finding
from fhir_discharge.io import discharging
from fhir_discharge.web.app import create_app
from tests.support import app_stack
from tests.support.app_stack import Stack, seed, unscreened_record
from tests.support.factories import fresh_record, resource
from tests.support.sessions import ALL_CLEAR, open_session

pytestmark = pytest.mark.integration

TOKEN = "workflow-" + uuid.uuid4().hex


@pytest.fixture
def service(fhir_base_url: str, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(
        fhir_base_url=fhir_base_url,
        outbox_path=str(tmp_path / "outbox.sqlite3"),
        api_tokens=[TOKEN],
        sync_wait_seconds=30,
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def unscreened(fhir_base_url: str) -> dict[str, Any]:
    """A record of its own on the sandbox, before the physician screened."""
    record = fresh_record(f"flow-{uuid.uuid4().hex[:8]}")
    seed(fhir_base_url, unscreened_record(record))
    return record


def physician_session(
    service: TestClient, fhir_base_url: str, record: dict[str, Any], **bound: str
) -> dict[str, str]:
    """A session of the record's ED physician (the record's first Practitioner is its GP)."""
    physician = resource(record, "Encounter")["id"].replace("-encounter", "-ed-physician")
    return open_session(service, fhir_base_url, record, physician=physician, **bound)


def screenings(fhir_base_url: str, record: dict[str, Any]) -> list[dict[str, Any]]:
    encounter = resource(record, "Encounter")["id"]
    answer = httpx.get(
        f"{fhir_base_url}/QuestionnaireResponse",
        params={"encounter": f"Encounter/{encounter}"},
        timeout=30,
    )
    return [e["resource"] for e in answer.json().get("entry") or []]


def made(fhir_base_url: str, record: dict[str, Any], resource_type: str) -> list[Any]:
    patient = resource(record, "Patient")["id"]
    answer = httpx.get(
        f"{fhir_base_url}/{resource_type}", params={"subject": f"Patient/{patient}"}, timeout=30
    )
    return answer.json().get("entry") or []


def answered(screening: dict[str, Any]) -> dict[str, bool]:
    return {i["linkId"]: i["answer"][0]["valueBoolean"] for i in screening["item"]}


def store(
    service: TestClient, session: dict[str, str], answers: dict[str, bool], **more: Any
) -> Any:
    body = {"answers": answers, "screening_id": str(uuid.uuid4()), **more}
    return service.post("/app/api/screening", json=body, headers=session)


# --- H124: a positive screening is stored as documented; a correction amends it ---------------


def test_a_positive_screening_is_stored_and_nothing_else_is_made(
    service: TestClient, fhir_base_url: str
) -> None:
    record = unscreened(fhir_base_url)
    session = physician_session(service, fhir_base_url, record)
    stored = store(service, session, {**ALL_CLEAR, "cauda-equina": True, "fracture": True})
    assert stored.status_code == 201, stored.text[:300]
    said = stored.json()
    assert said["status"] == "created"
    # The flags by their clinical names (catalogue values.red_flag), not the questions.
    assert [name.split(" (")[0] for name in said["redFlags"]] == ["fractuur", "caudasyndroom"]
    [screening] = screenings(fhir_base_url, record)
    assert screening["status"] == "completed"
    assert answered(screening) == {**ALL_CLEAR, "cauda-equina": True, "fracture": True}
    for resource_type in ("Composition", "CarePlan", "DocumentReference"):
        assert made(fhir_base_url, record, resource_type) == [], resource_type


def test_a_corrected_answer_amends_the_stored_screening(
    service: TestClient, fhir_base_url: str
) -> None:
    record = unscreened(fhir_base_url)
    session = physician_session(service, fhir_base_url, record)
    first = store(service, session, {**ALL_CLEAR, "cauda-equina": True})
    assert first.status_code == 201
    [before] = screenings(fhir_base_url, record)
    # The same answers again (a second click, another form): nothing written.
    again = store(service, session, {**ALL_CLEAR, "cauda-equina": True})
    assert (again.status_code, again.json()["status"]) == (200, "existing")
    # The physician corrects the answer (a new form, so a new screening id): amended, not added.
    corrected = store(service, session, ALL_CLEAR)
    assert corrected.status_code == 200, corrected.text[:500]
    assert corrected.json()["status"] == "amended"
    assert corrected.json()["reference"] == first.json()["reference"]
    [after] = screenings(fhir_base_url, record)
    assert after["id"] == before["id"] and after["identifier"] == before["identifier"]
    assert after["status"] == "amended"
    assert answered(after) == ALL_CLEAR
    assert int(after["meta"]["versionId"]) > int(before["meta"]["versionId"])
    # The first answers stay in the resource's history.
    history = httpx.get(
        f"{fhir_base_url}/QuestionnaireResponse/{after['id']}/_history", timeout=30
    ).json()
    versions = [answered(e["resource"]) for e in history.get("entry") or []]
    assert {**ALL_CLEAR, "cauda-equina": True} in versions


def test_the_record_names_the_screening_the_app_stored_and_the_preview_reads_the_correction(
    service: TestClient, fhir_base_url: str
) -> None:
    record = unscreened(fhir_base_url)
    session = physician_session(service, fhir_base_url, record)
    assert store(service, session, {**ALL_CLEAR, "cauda-equina": True}).status_code == 201
    said = service.get("/app/api/record", headers=session).json()
    assert said["storedScreening"]["redFlags"][0].startswith("caudasyndroom")
    # The record's gate reads the draft in the stored one's place (it is what will be stored):
    # the stored red flag does not keep a corrected screening off the pathway.
    assert said["gate"]["outcome"] == "clear", said["gate"]
    body = {"answers": ALL_CLEAR, "screening_id": str(uuid.uuid4())}
    preview = service.post("/app/api/preview", json=body, headers=session).json()
    assert preview["outcome"] == "on-pathway", preview


# --- H150: an encounter this service discharged is recognised; no second screening ------------


def discharge_through_the_app(
    service: TestClient, session: dict[str, str], answers: dict[str, bool] = ALL_CLEAR
) -> dict[str, Any]:
    body = {"answers": answers, "screening_id": str(uuid.uuid4())}
    preview = service.post("/app/api/preview", json=body, headers=session).json()
    assert preview["outcome"] == "on-pathway", preview
    stored = store(service, session, answers, authored=preview["authored"])
    assert stored.status_code == 201, stored.text[:300]
    done = service.post("/app/api/discharge", headers=session)
    assert done.status_code == 201, done.text[:500]
    return dict(preview)


def test_a_discharged_encounter_is_said_so_and_refuses_a_second_screening(
    service: TestClient, fhir_base_url: str
) -> None:
    record = unscreened(fhir_base_url)
    session = physician_session(service, fhir_base_url, record)
    before = service.get("/app/api/record", headers=session).json()
    assert "discharged" not in before and before["gate"]["outcome"] == "clear"
    discharge_through_the_app(service, session)

    # A second launch (a new session) sees the discharge, read from the server.
    second = physician_session(service, fhir_base_url, record)
    said = service.get("/app/api/record", headers=second).json()
    assert said["gate"]["outcome"] == "discharged"
    discharged = said["discharged"]
    assert discharged["dischargedAt"] == "25 november 2026 om 12.40 uur"  # Brussels time
    assert discharged["physician"] == "dr. Sofie Maes"
    assert discharged["generalPractitioner"] == "dr. Pieter Claes"
    assert discharged["followUps"][0].startswith("2 december 2026 (na 1 week)")
    assert discharged["followUps"][1].startswith("6 januari 2027 (na 6 weken)")
    assert "Reden van komst" in discharged["letterHtml"]
    # Resource ids only among the technical details.
    assert any(t.startswith("letter: Composition/") for t in discharged["technical"])
    for text in (discharged["dischargedAt"], discharged["physician"], *discharged["followUps"]):
        assert "Composition/" not in text and "urn:uuid" not in text

    # The server refuses a second screening, whatever the page does.
    again = store(service, second, {**ALL_CLEAR, "brochure-given": False})
    assert again.status_code == 409, again.text[:300]
    outcome = again.json()
    assert outcome["resourceType"] == "OperationOutcome"
    [issue] = outcome["issue"]
    assert issue["code"] == "conflict"
    # said as the physician reads it, with what to do; the English (and the id) for the ICT
    assert issue["details"]["coding"][0]["code"] == "encounter-already-discharged"
    assert issue["details"]["text"].startswith("Dit bezoek werd al ontslagen door deze dienst")
    assert "herlaad de app" in issue["details"]["text"]
    assert "Composition/" in issue["diagnostics"]
    assert "Composition/" not in issue["details"]["text"]
    [screening] = screenings(fhir_base_url, record)
    assert answered(screening) == ALL_CLEAR and screening["status"] == "completed"


def test_a_conflict_the_delivery_finds_is_said_in_the_physicians_words(
    service: TestClient, fhir_base_url: str
) -> None:
    # Another document already under the identifier of this letter's document: the delivery
    # refuses it just before the post (document-not-attested, kept in the outbox, 409). The app
    # says it as it says a refusal: the catalogue's Dutch in details.text, the English beside.
    record = unscreened(fhir_base_url)
    encounter = resource(record, "Encounter")
    letter = letter_identifier(discharge_key(encounter, None, carried=False), 1)
    taken = {
        "resourceType": "Bundle",
        "id": f"taken-{uuid.uuid4().hex[:8]}",
        "type": "collection",
        "identifier": document_identifier({"identifier": letter}),
    }
    seed(fhir_base_url, [taken])
    session = physician_session(service, fhir_base_url, record)
    body = {"answers": ALL_CLEAR, "screening_id": str(uuid.uuid4())}
    preview = service.post("/app/api/preview", json=body, headers=session).json()
    assert preview["outcome"] == "on-pathway", preview
    assert store(service, session, ALL_CLEAR, authored=preview["authored"]).status_code == 201
    refused = service.post("/app/api/discharge", headers=session)
    assert refused.status_code == 409, refused.text[:500]
    [issue] = [i for i in refused.json()["issue"] if i.get("details")]
    assert issue["details"]["coding"][0]["code"] == "document-not-attested"
    said = finding_text(Finding("", None, "document-not-attested"), "nl-BE")
    assert said is not None and issue["details"]["text"] == said
    assert "document" in issue["diagnostics"]  # the English, for the ICT service
    assert made(fhir_base_url, record, "Composition") == []  # nothing written


def test_a_withdrawn_letter_is_no_discharge_as_for_the_cds_card(
    service: TestClient, fhir_base_url: str
) -> None:
    # The app's rule is the hook's (core/letter_versions.py): a letter marked entered-in-error
    # is passed over, so the encounter is no longer shown as discharged.
    record = unscreened(fhir_base_url)
    discharge_through_the_app(service, physician_session(service, fhir_base_url, record))
    said = service.get(
        "/app/api/record", headers=physician_session(service, fhir_base_url, record)
    ).json()
    [reference] = [
        t.removeprefix("letter: ")
        for t in said["discharged"]["technical"]
        if t.startswith("letter: ")
    ]
    letter = httpx.get(f"{fhir_base_url}/{reference}", timeout=30).json()
    withdrawn = httpx.put(
        f"{fhir_base_url}/{reference}", json={**letter, "status": "entered-in-error"}, timeout=30
    )
    assert withdrawn.status_code == 200, withdrawn.text[:300]
    again = service.get(
        "/app/api/record", headers=physician_session(service, fhir_base_url, record)
    ).json()
    assert "discharged" not in again and again["gate"]["outcome"] != "discharged", again


def test_another_patients_letter_under_the_encounter_id_is_never_shown(
    service: TestClient, fhir_base_url: str
) -> None:
    record = unscreened(fhir_base_url)
    session = physician_session(service, fhir_base_url, record)
    discharge_through_the_app(service, session)
    # A session for another patient naming that encounter is refused at the door (403), so no
    # discharge view of someone else's visit is ever drawn.
    other = physician_session(service, fhir_base_url, record, patient="someone-else")
    assert service.get("/app/api/record", headers=other).status_code == 403


def test_a_correction_past_the_last_version_is_refused_in_the_physicians_words(
    service: TestClient, fhir_base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A 409 of what the server holds (TooManyLetterVersions), said as a 422 is: the catalogue's
    # Dutch, with what to do, in details.text; the English in diagnostics.
    record = unscreened(fhir_base_url)
    session = physician_session(service, fhir_base_url, record)
    discharge_through_the_app(service, session)
    monkeypatch.setattr(discharging, "MAX_LETTER_VERSIONS", 1)
    encounter = copy.deepcopy(resource(record, "Encounter"))
    encounter["period"]["end"] = "2026-11-26T00:40:00+01:00"  # the record corrected since
    seed(fhir_base_url, [encounter])
    refused = service.post("/app/api/discharge", headers=session)
    assert refused.status_code == 409, refused.text[:500]
    [issue] = refused.json()["issue"]
    assert issue["details"]["coding"][0]["code"] == "letter-versions-exhausted"
    finding = discharging.letter_versions_exhausted(1)
    assert issue["details"]["text"] == finding_text(finding, "nl-BE")
    assert "bezorg de huisarts de verbetering op een andere manier" in issue["details"]["text"]
    assert issue["diagnostics"] == finding.message


# --- H152: the preview is the letter -------------------------------------------------------------


def test_the_preview_is_the_letter_character_for_character(
    service: TestClient, fhir_base_url: str
) -> None:
    record = unscreened(fhir_base_url)
    session = physician_session(service, fhir_base_url, record)
    preview = discharge_through_the_app(service, session)
    [screening] = screenings(fhir_base_url, record)
    assert screening["authored"] == preview["authored"]  # fixed once, at the preview
    encounter = resource(record, "Encounter")["id"]
    [letter] = [
        e["resource"]
        for e in httpx.get(
            f"{fhir_base_url}/Composition",
            params={"encounter": f"Encounter/{encounter}"},
            timeout=30,
        ).json()["entry"]
    ]
    assert preview["letterNarrative"] == letter["text"]["div"]
    # And the letter the app shows after the discharge is the one the preview showed.
    said = service.get("/app/api/record", headers=session).json()
    assert said["discharged"]["letterHtml"] == preview["letterHtml"]


def test_an_authored_moment_outside_the_session_is_refused(
    service: TestClient, fhir_base_url: str
) -> None:
    record = unscreened(fhir_base_url)
    session = physician_session(service, fhir_base_url, record)
    for moment in ("2020-01-01T10:00:00+01:00", "2099-01-01T10:00:00+01:00"):
        refused = store(service, session, ALL_CLEAR, authored=moment)
        assert refused.status_code == 400, refused.text[:300]
    assert screenings(fhir_base_url, record) == []


# --- the same on HAPI FHIR: the amendment (an update in a transaction, ifMatch), the letter found


# The physician's app on HAPI (tests/support/app_stack.py).
app_on_hapi = app_stack.app_on_hapi


@pytest.mark.slow
def test_on_hapi_a_correction_amends_and_a_discharged_encounter_refuses_a_screening(
    app_on_hapi: Stack,
) -> None:
    stack = app_on_hapi
    tag = uuid.uuid4().hex[:10]
    seed(stack.fhir, unscreened_record(fresh_record(tag)))
    patient, encounter = f"t-{tag}-patient", f"t-{tag}-encounter"
    physician = f"t-{tag}-ed-physician"
    service = stack.service.url
    auth = {"Authorization": f"Bearer {stack.open_session(patient, encounter, physician)}"}

    def post(path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return httpx.post(f"{service}/app/api/{path}", json=body, headers=auth, timeout=120)

    def screenings_on_hapi() -> list[dict[str, Any]]:
        found = httpx.get(
            f"{stack.fhir}/QuestionnaireResponse",
            params={"encounter": f"Encounter/{encounter}"},
            headers={"Accept": "application/fhir+json", "Cache-Control": "no-cache"},
            timeout=60,
        ).json()
        return [e["resource"] for e in found.get("entry") or []]

    positive = {"answers": {**ALL_CLEAR, "infection": True}, "screening_id": str(uuid.uuid4())}
    assert post("screening", positive).status_code == 201
    [first] = screenings_on_hapi()
    preview = post("preview", {"answers": ALL_CLEAR, "screening_id": str(uuid.uuid4())}).json()
    assert preview["outcome"] == "on-pathway", preview
    corrected = {"answers": ALL_CLEAR, "screening_id": str(uuid.uuid4())}
    amended = post("screening", {**corrected, "authored": preview["authored"]})
    assert amended.status_code == 200 and amended.json()["status"] == "amended", amended.text
    [after] = screenings_on_hapi()
    assert after["id"] == first["id"] and after["status"] == "amended"
    assert answered(after) == ALL_CLEAR
    assert post("discharge").status_code == 201

    again = httpx.get(f"{service}/app/api/record", headers=auth, timeout=60).json()
    assert again["gate"]["outcome"] == "discharged"
    assert again["discharged"]["physician"] == "dr. Sofie Maes"
    assert "Reden van komst" in again["discharged"]["letterHtml"]
    refused = post("screening", positive)
    assert refused.status_code == 409, refused.text
    assert answered(screenings_on_hapi()[0]) == ALL_CLEAR
