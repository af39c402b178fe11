"""Known gaps, visible in the tests (issue 19, point 2).

Each test below is the check of a control the hazard log asks for and the code does not have
yet. It is marked `xfail(strict=True, raises=AssertionError)`: today it fails on its assertion;
the day the control lands it passes, the strict mark turns the run red, and whoever landed the
control removes the mark and moves the test from the hazard's `Gap test:` line to its `Tests:`
line (tests/unit/test_hazard_log.py holds both lines to this). An error other than the assertion (a
fixture that does not start, an import that moved) is not taken for the gap: it fails the run.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from fhir_discharge import build_discharge, context_from_bundle
from fhir_discharge.config import Settings
from fhir_discharge.core.codes import ICD10, SNOMED
from fhir_discharge.core.i18n.catalogue import catalogue
from fhir_discharge.io.outbox.sqlite import SqliteOutbox
from tests.support.app_stack import seed
from tests.support.contexts import held_by_server
from tests.support.factories import clinical, condition, fresh_record, happy_bundle, resource
from tests.support.in_process import service_on
from tests.support.sessions import ALL_CLEAR, open_session
from tests.support.site import SITE

TOKEN = "gaps-" + uuid.uuid4().hex
SYSTEM = {"Authorization": f"Bearer {TOKEN}"}
FHIR_JSON = {"Content-Type": "application/fhir+json"}


def gap(reason: str) -> pytest.MarkDecorator:
    """A known gap: the test fails on its assertion until the control lands."""
    return pytest.mark.xfail(strict=True, raises=AssertionError, reason=reason)


@pytest.fixture
def service(fhir_base_url: str, tmp_path: Path) -> Iterator[TestClient]:
    """The service in-process on the FHIR sandbox, the EHR as a system with TOKEN."""
    with service_on(fhir_base_url, tmp_path, TOKEN) as client:
        yield client


def seeded(fhir_base_url: str, name: str) -> dict[str, Any]:
    record = fresh_record(f"gap-{name}-{uuid.uuid4().hex[:8]}")
    seed(fhir_base_url, [e["resource"] for e in record["entry"]])
    return record


def search(fhir_base_url: str, resource_type: str, **params: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{fhir_base_url}/{resource_type}", params=params, timeout=30)
    answer.raise_for_status()
    return [e["resource"] for e in answer.json().get("entry", [])]


def discharge_on_server(service: TestClient, encounter_id: str) -> dict[str, str]:
    """Discharge the encounter the FHIR server holds; what landed, by resource type."""
    answer = service.post(f"/Encounter/{encounter_id}/$lbp-discharge", headers=SYSTEM)
    assert answer.status_code in (200, 201), answer.text[:500]
    landed: dict[str, str] = {}
    for parameter in answer.json()["parameter"]:
        for part in parameter.get("part", []):
            reference = (part.get("valueReference") or {}).get("reference")
            if reference:
                landed.setdefault(reference.split("/")[0], reference)
    return landed


# --- H140 (was the gap H120): a changed record's letter replaces the first -------------------


def _report_after_discharge(record: dict[str, Any]) -> dict[str, Any]:
    """A lumbar X-ray report of the visit, final only after the patient went home."""
    encounter = resource(record, "Encounter")
    return {
        **clinical(
            "DiagnosticReport",
            f"late-{uuid.uuid4().hex[:8]}",
            status="final",
            code={"text": "RX lumbale wervelzuil"},
            conclusion="Inzakkingsfractuur L1.",
            issued="2026-11-26T09:00:00+01:00",
        ),
        "subject": {"reference": f"Patient/{resource(record, 'Patient')['id']}"},
        "encounter": {"reference": f"Encounter/{encounter['id']}"},
    }


@pytest.mark.integration
def test_a_changed_record_discharged_again_gives_a_letter_that_replaces_the_first(
    service: TestClient, fhir_base_url: str
) -> None:
    record = seeded(fhir_base_url, "replace")
    encounter_id = resource(record, "Encounter")["id"]
    first = discharge_on_server(service, encounter_id)["Composition"]
    seed(fhir_base_url, [_report_after_discharge(record)])  # a result that came after discharge
    second = discharge_on_server(service, encounter_id)["Composition"]
    assert second != first, "the changed record gave no new letter"
    letter = httpx.get(f"{fhir_base_url}/{second}", timeout=30).json()
    replaced = httpx.get(f"{fhir_base_url}/{first}", timeout=30).json()
    # by its business identifier, which no server rewrites (H140)
    assert {"code": "replaces", "targetIdentifier": replaced["identifier"]} in letter.get(
        "relatesTo", []
    )
    assert "Inzakkingsfractuur L1" in letter["text"]["div"]  # the new result reaches the GP


@pytest.mark.integration
def test_the_replaced_letter_is_no_longer_current_and_the_gp_is_told(
    service: TestClient, fhir_base_url: str
) -> None:
    record = seeded(fhir_base_url, "withdraw")
    encounter_id = resource(record, "Encounter")["id"]
    first = discharge_on_server(service, encounter_id)
    seed(fhir_base_url, [_report_after_discharge(record)])
    second = discharge_on_server(service, encounter_id)
    # MHD-style (H140): the first letter's index is superseded, the new one's current
    patient = resource(record, "Patient")["id"]
    superseded = httpx.get(
        f"{fhir_base_url}/DocumentReference",
        params={"subject": f"Patient/{patient}", "status": "superseded"},
        timeout=30,
    ).json()
    assert len(superseded.get("entry", [])) == 1, "the replaced letter still reads as current"
    assert second.get("Communication") not in (None, first.get("Communication"))


# --- H99 (was the gap H122): the CDS card silent off low back pain; a red flag told apart --


def _hook(record: dict[str, Any], fhir_base_url: str) -> dict[str, Any]:
    return {
        "hook": "encounter-discharge",
        "hookInstance": str(uuid.uuid4()),
        "fhirServer": fhir_base_url,
        "context": {
            "userId": f"Practitioner/{resource(record, 'Practitioner')['id']}",
            "patientId": resource(record, "Patient")["id"],
            "encounterId": resource(record, "Encounter")["id"],
        },
    }


def _cards(service: TestClient, record: dict[str, Any], fhir_base_url: str) -> list[dict]:
    answer = service.post(
        "/cds-services/lbp-discharge", json=_hook(record, fhir_base_url), headers=SYSTEM
    )
    assert answer.status_code == 200, answer.text[:500]
    cards: list[dict[str, Any]] = answer.json()["cards"]
    return cards


def _record_with(fhir_base_url: str, name: str, change: Any) -> dict[str, Any]:
    record = fresh_record(f"gap-{name}-{uuid.uuid4().hex[:8]}")
    change(record)
    seed(fhir_base_url, [e["resource"] for e in record["entry"]])
    return record


@pytest.mark.integration
def test_the_card_stays_silent_for_an_encounter_not_about_low_back_pain(
    service: TestClient, fhir_base_url: str
) -> None:
    def ankle_sprain(record: dict[str, Any]) -> None:
        diagnosis = resource(record, "Condition")
        diagnosis["code"] = {
            "coding": [{"system": SNOMED, "code": "44465007", "display": "Sprain of ankle"}],
            "text": "Verstuiking enkel",
        }
        resource(record, "Encounter").pop("reasonCode", None)
        # nor a low back pain screening: nothing of the visit is about the back
        record["entry"] = [
            e for e in record["entry"] if e["resource"]["resourceType"] != "QuestionnaireResponse"
        ]

    record = _record_with(fhir_base_url, "sprain", ankle_sprain)
    assert _cards(service, record, fhir_base_url) == []


@pytest.mark.integration
def test_a_red_flag_card_is_told_apart_from_a_not_this_pathway_card(
    service: TestClient, fhir_base_url: str
) -> None:
    def cauda_equina(record: dict[str, Any]) -> None:
        patient_id = resource(record, "Patient")["id"]
        flag = condition(f"flag-{uuid.uuid4().hex[:6]}", ICD10, "G83.4", encounter=False)
        flag["subject"] = {"reference": f"Patient/{patient_id}"}
        record["entry"].append({"resource": flag})

    def admitted(record: dict[str, Any]) -> None:
        disposition = resource(record, "Encounter")["hospitalization"]["dischargeDisposition"]
        disposition["coding"][0]["code"] = "hosp"

    (red_flag,) = _cards(service, _record_with(fhir_base_url, "flag", cauda_equina), fhir_base_url)
    (other,) = _cards(service, _record_with(fhir_base_url, "admitted", admitted), fhir_base_url)
    # Told apart at a glance: by the card's indicator or its summary.
    assert (red_flag["indicator"], red_flag["summary"]) != (other["indicator"], other["summary"])


# --- H123: a French-speaking GP gets the letter in Dutch (closed by issue 21: H103, H104) -----


def test_a_gp_who_reads_french_gets_a_french_letter() -> None:
    bundle = happy_bundle()
    gp = resource(bundle, "Practitioner", "lbp-example-gp")
    gp["communication"] = [
        {"coding": [{"system": "urn:ietf:bcp:47", "code": "fr-BE", "display": "français"}]}
    ]
    letter = build_discharge(context_from_bundle(bundle), SITE).letter
    assert letter["language"] == "fr-BE"
    assert "lage rugpijn" not in letter["text"]["div"]


def test_a_language_without_a_catalogue_is_refused_at_start(tmp_path: Path) -> None:
    # The settings are refused: the service does not start (config.py, the catalogues' languages).
    with pytest.raises(ValidationError, match="language"):
        Settings(outbox_path=str(tmp_path / "o.sqlite3"), api_tokens=[TOKEN], language="xx")


# --- H124: a red flag the physician ticks in the app is stored as documented (controlled) ------


@pytest.mark.integration
def test_a_positive_screening_is_stored_as_documented(
    service: TestClient, fhir_base_url: str
) -> None:
    record = seeded(fhir_base_url, "positive")
    session = open_session(service, fhir_base_url, record)
    answers = {**ALL_CLEAR, "cauda-equina": True}
    stored = service.post(
        "/app/api/screening",
        json={"answers": answers, "screening_id": str(uuid.uuid4())},
        headers=session,
    )
    assert stored.status_code == 201, stored.text[:300]
    encounter_id = resource(record, "Encounter")["id"]
    responses = search(fhir_base_url, "QuestionnaireResponse", encounter=encounter_id)
    ticked = [
        item["linkId"]
        for response in responses
        if response.get("status") == "completed"
        for item in response.get("item", [])
        if any(a.get("valueBoolean") is True for a in item.get("answer", []))
    ]
    assert "cauda-equina" in ticked


# --- H125: automation bias: the app's "nothing in the coded record" read as the screening -------
# (controlled: the app's all-clear and the card that offers the letter say it)

# The words that carry the meaning, per language: the coded record replaces neither the
# physician's questions nor the examination.
_NO_SCREENING = {
    "nl-BE": ("geen screening", "vervangt", "vragen", "onderzoek", "niet"),
    "fr-BE": ("pas un dépistage", "ne remplace ni", "questions", "examen"),
    "en": ("no screening", "replaces neither", "questions", "examination"),
}


@pytest.mark.parametrize("language", sorted(_NO_SCREENING))
def test_the_apps_all_clear_of_the_coded_record_says_it_is_no_screening(language: str) -> None:
    # The physician reads "Geen alarmsignalen ... in het gecodeerde dossier" before answering the
    # screening: it must say that the coded record is not the screening (the safety case rests
    # on the physician asking every question: hazard log, Assumption A1).
    clear = catalogue(language).app["record-clear"].lower()
    assert all(word in clear for word in _NO_SCREENING[language]), clear


# --- H128: an outbox item changed at rest is not delivered (controlled: a digest checked) ------


def test_an_outbox_item_changed_at_rest_is_not_delivered(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    discharge = build_discharge(held_by_server(happy_bundle()), SITE)
    box = SqliteOutbox(path)
    box.accept("item-1", "Encounter/1", discharge.bundle, (), now=1.0)
    box.close()
    with sqlite3.connect(path) as db:  # someone with access to the disk, or a bad restore
        changed = db.execute(
            "UPDATE discharge SET bundle = replace(bundle, 'niet-specifieke', 'specifieke')"
        ).rowcount
    assert changed == 1
    box = SqliteOutbox(path)
    try:
        due = box.claim_due(now=2.0, lease_seconds=60, limit=10)
    finally:
        box.close()
    assert [item.id for item in due] == [], "a payload changed at rest is delivered as written"


# --- H185: a screening documented days after the visit ended, previewed as the discharge's ----
# (a gap until the gate warned of it: core/gate/__init__.py LATE_SCREENING_AFTER)


def test_a_screening_documented_after_the_visit_ended_is_said_in_the_preview(
    service: TestClient, fhir_base_url: str
) -> None:
    # The record's visit ended on 25 November 2026 (tests/support/factories.py); the screening
    # is documented now, after it. The letter would say "screende op <now>" under a letter
    # dated at the visit's end: the physician must be told before confirming that this is no
    # screening at discharge (the pathway's screening is the one of the visit).
    record = seeded(fhir_base_url, "late-screening")
    encounter = resource(record, "Encounter")
    ended = encounter["period"]["end"]
    ed_physician = encounter["id"].replace("-encounter", "-ed-physician")  # the first is the GP
    session = open_session(service, fhir_base_url, record, physician=ed_physician)
    body = {"answers": ALL_CLEAR, "screening_id": str(uuid.uuid4())}
    preview = service.post("/app/api/preview", json=body, headers=session).json()
    assert preview["outcome"] == "on-pathway", preview
    assert preview["authored"] > ended, (preview["authored"], ended)
    said = " ".join(str(w) for w in preview.get("warnings", [])).lower()
    assert "na het einde van het bezoek" in said or "after the visit ended" in said, said
