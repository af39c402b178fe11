"""The pure pieces of the physician app's workflow states (issue 22): which screening the app
stored and how a correction amends it (core/draft_screening.py), and what the app says of a
discharge from the letter's stored document (core/discharged_view.py)."""

from __future__ import annotations

from typing import Any

from fhir_discharge import build_discharge
from fhir_discharge.core.discharged_view import discharged_view, said_moment
from fhir_discharge.core.draft_screening import (
    amended_screening,
    amendment_transaction,
    answers_of,
    app_screening,
    draft_screening,
)
from fhir_discharge.core.i18n.physician_texts import red_flag_names
from fhir_discharge.core.stored_document import document_entry
from tests.support.contexts import held_by_server
from tests.support.factories import happy_bundle
from tests.support.site import SITE

ALL_CLEAR = {**{i.link_id: False for i in SITE.pathway.screening.items}, "brochure-given": True}


def draft(answers: dict[str, bool], screening_id: str, authored: str) -> dict[str, Any]:
    return draft_screening(
        answers,
        screening_id=screening_id,
        patient_id="p1",
        encounter_id="e1",
        practitioner_id="dr1",
        authored=authored,
        site=SITE,
    )


def stored(answers: dict[str, bool], authored: str, **more: Any) -> dict[str, Any]:
    """A draft as the server holds it: its id the server's, a version."""
    screening = draft(answers, "00000000-0000-4000-8000-000000000001", authored)
    return {**screening, "id": "qr-1", "meta": {"versionId": "3"}, **more}


def test_the_app_screening_is_the_latest_the_app_stored_of_the_sites_questionnaire() -> None:
    older = stored(ALL_CLEAR, "2026-11-25T10:00:00+01:00")
    newer = {**stored(ALL_CLEAR, "2026-11-25T11:00:00+01:00"), "id": "qr-2"}
    other_system = {**newer, "id": "qr-3", "identifier": {"system": "urn:oid:1.2", "value": "x"}}
    other_questionnaire = {**newer, "id": "qr-4", "questionnaire": "http://x/Questionnaire/q"}
    in_progress = {**newer, "id": "qr-5", "status": "in-progress"}
    found = [older, newer, other_system, other_questionnaire, in_progress]
    assert app_screening(found, SITE) is newer
    assert app_screening([other_system, other_questionnaire, in_progress], SITE) is None


def test_a_correction_keeps_the_resource_and_is_amended_on_the_version_read() -> None:
    before = stored({**ALL_CLEAR, "cauda-equina": True}, "2026-11-25T10:00:00+01:00")
    corrected = draft(ALL_CLEAR, "00000000-0000-4000-8000-000000000002", "2026-11-25T10:05:00Z")
    amended = amended_screening(before, corrected)
    assert amended["id"] == "qr-1" and amended["identifier"] == before["identifier"]
    assert amended["status"] == "amended"
    assert amended["authored"] == "2026-11-25T10:05:00Z"
    assert answers_of(amended) == ALL_CLEAR
    [entry] = amendment_transaction(amended, "3")["entry"]
    assert entry["request"] == {
        "method": "PUT",
        "url": "QuestionnaireResponse/qr-1",
        "ifMatch": 'W/"3"',
    }


def test_the_red_flags_are_said_by_their_clinical_names() -> None:
    names = red_flag_names(["cauda-equina", "fracture"], SITE)
    assert names[0].startswith("caudasyndroom (zadelanesthesie")
    assert names[1].startswith("fractuur (")


def test_a_moment_is_said_in_brussels_time() -> None:
    assert said_moment("2026-11-25T11:40:00Z", SITE) == "25 november 2026 om 12.40 uur"
    assert said_moment("2026-07-01T10:05:00Z", SITE) == "1 juli 2026 om 12.05 uur"  # summer
    assert said_moment("2026-11-25", SITE) == "25 november 2026"
    assert said_moment(None, SITE) == ""


def test_the_discharge_is_said_from_the_stored_document_with_ids_only_as_technical() -> None:
    discharge = build_discharge(held_by_server(happy_bundle()), SITE)
    found = document_entry(discharge.bundle)
    assert found is not None
    document = found[1]
    composition = document["entry"][0]["resource"]
    said = discharged_view(composition, document, {"letter": "Composition/c1"}, SITE)
    assert said["dischargedAt"] == "25 november 2026 om 12.40 uur"
    assert said["physician"] == "dr. Sofie Maes"
    assert said["generalPractitioner"] == "dr. Pieter Claes"
    assert said["followUps"][0].startswith("2 december 2026 (na 1 week)")
    assert said["followUps"][1].startswith("6 januari 2027 (na 6 weken)")
    assert said["brochureUrl"] == "https://www.uzleuven.be/brochure/700457"
    assert "Reden van komst" in said["letterHtml"]
    assert said["technical"] == ["letter: Composition/c1"]
    # A letter written before documents were stored: its date, no letter to show.
    bare = discharged_view(composition, None, {}, SITE)
    assert bare["dischargedAt"] == said["dischargedAt"] and bare["letterHtml"] is None
