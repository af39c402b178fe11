"""The CDS Hooks card's routes in process (issue 22, points 2 and 6): the feedback endpoint (CDS
Hooks 2.0, "Feedback": `POST /cds-services/lbp-discharge/feedback`) keeps each outcome with the
outbox, once, without the physician's free text, and counts it in /metrics by outcome and
override reason; it refuses what is not feedback (400) and a caller without the hook's
credential (401); the hook answers an encounter this service discharged already with the info
card and no suggestion, the prefetched letters telling it. The same with the EHR's JWT:
tests/integration/test_trusted_servers.py; on the sandbox:
tests/integration/test_cds_card_workflow.py.
"""

from __future__ import annotations

import copy
import re
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from fhir_discharge import build_discharge
from fhir_discharge.config import Settings
from fhir_discharge.core.cds_cards import override_reason_system
from fhir_discharge.core.i18n.physician_texts import card_sentences
from tests.support.contexts import held_by_server
from tests.support.factories import resource
from tests.support.hook_requests import full_prefetch, hook_request, new_record, searchset
from tests.support.in_process import in_process_app
from tests.support.site import SITE

TOKEN = "cds-feedback-" + uuid.uuid4().hex
AUTH = {"Authorization": f"Bearer {TOKEN}"}
HOOK = "/cds-services/lbp-discharge"
FEEDBACK = f"{HOOK}/feedback"
OURS = override_reason_system(SITE)
METRIC = "fhir_discharge_cds_feedback_total"


def no_fhir_server(request: httpx.Request) -> httpx.Response:
    return httpx.Response(404, json={"resourceType": "OperationOutcome", "issue": []})


def settings(outbox: Path) -> Settings:
    return Settings(outbox_path=str(outbox), api_tokens=[TOKEN])


@pytest.fixture
def outbox(tmp_path: Path) -> Path:
    return tmp_path / "outbox.sqlite3"


@pytest.fixture
def service(outbox: Path) -> Iterator[TestClient]:
    with in_process_app(settings(outbox), no_fhir_server) as client:
        yield client


def overridden(code: str | None = None, system: str = OURS, **extra: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "card": str(uuid.uuid4()),
        "outcome": "overridden",
        "outcomeTimestamp": "2026-12-07T02:59:00Z",
        **extra,
    }
    if code is not None:
        entry["overrideReason"] = {"reason": {"system": system, "code": code}}
    return entry


def accepted() -> dict[str, Any]:
    return {
        "card": str(uuid.uuid4()),
        "outcome": "accepted",
        "acceptedSuggestions": [{"id": str(uuid.uuid4())}],
        "outcomeTimestamp": "2026-12-07T03:00:00Z",
    }


def counted(service: TestClient) -> dict[str, float]:
    found = {}
    for line in service.get("/metrics").text.splitlines():
        match = re.fullmatch(rf"{METRIC}\{{(.*)\}} (\S+)", line)
        if match:
            found[match.group(1)] = float(match.group(2))
    return found


def label(outcome: str, reason: str) -> str:
    return f'outcome="{outcome}",override_reason="{reason}"'


# --- the feedback endpoint ---------------------------------------------------------------------


def test_feedback_is_kept_and_counted_by_outcome_and_override_reason(service):
    feedback = [
        accepted(),
        overridden("followed-up-elsewhere"),
        overridden("followed-up-elsewhere"),
        overridden("red-flag-handled"),
        overridden("patient-refused", system="https://ehr.example/reasons"),  # the EHR's own
        overridden("made-up-code"),  # not one of ours, though under our system
        overridden(),  # no reason given
    ]
    response = service.post(FEEDBACK, json={"feedback": feedback}, headers=AUTH)
    assert response.status_code == 200, response.text
    assert counted(service) == {
        label("accepted", "none"): 1,
        label("overridden", "followed-up-elsewhere"): 2,
        label("overridden", "red-flag-handled"): 1,
        label("overridden", "other"): 2,
        label("overridden", "none"): 1,
    }
    text = service.get("/metrics").text
    assert "# TYPE fhir_discharge_cds_feedback_total counter" in text
    assert "patient-refused" not in text and "made-up-code" not in text  # labels are bounded


def test_the_same_feedback_sent_again_is_kept_once(service):
    entry = overridden("clinical-judgement")
    for _ in range(3):
        assert service.post(FEEDBACK, json={"feedback": [entry]}, headers=AUTH).status_code == 200
    assert counted(service) == {label("overridden", "clinical-judgement"): 1}


def test_feedback_survives_a_restart_and_the_physicians_comment_is_not_kept(outbox):
    comment = "patiënt Jan Peeters wil naar eigen huisarts"
    entry = overridden("letter-otherwise")
    entry["overrideReason"]["userComment"] = comment
    with in_process_app(settings(outbox), no_fhir_server) as service:
        assert service.post(FEEDBACK, json={"feedback": [entry]}, headers=AUTH).status_code == 200
    with in_process_app(settings(outbox), no_fhir_server) as service:
        assert counted(service) == {label("overridden", "letter-otherwise"): 1}
    with sqlite3.connect(outbox) as db:
        rows = db.execute("SELECT * FROM cds_card_feedback").fetchall()
    assert len(rows) == 1 and entry["card"] in rows[0]
    assert not any(comment in str(value) for value in rows[0])
    for path in outbox.parent.iterdir():
        assert b"Peeters" not in path.read_bytes(), path


def _malformed() -> Iterator[tuple[str, Any]]:
    yield "not a list", {"feedback": accepted()}
    yield "empty", {"feedback": []}
    yield "another outcome", {"feedback": [{**accepted(), "outcome": "ignored"}]}
    yield "card not a uuid", {"feedback": [{**accepted(), "card": "card-1"}]}
    no_suggestions = accepted()
    del no_suggestions["acceptedSuggestions"]
    yield "accepted without its suggestions", {"feedback": [no_suggestions]}
    reason = {"reason": {"system": OURS, "code": "clinical-judgement"}}
    yield "accepted with a reason", {"feedback": [{**accepted(), "overrideReason": reason}]}
    yield "no timestamp", {"feedback": [{k: v for k, v in accepted().items() if "Time" not in k}]}
    local_time = {**accepted(), "outcomeTimestamp": "2026-12-07T03:00:00"}
    yield "a timestamp without its offset", {"feedback": [local_time]}
    yield "too many", {"feedback": [overridden() for _ in range(101)]}


@pytest.mark.parametrize(("case", "body"), list(_malformed()), ids=[c for c, _ in _malformed()])
def test_what_is_not_feedback_is_400_and_nothing_is_kept(service, case, body):
    response = service.post(FEEDBACK, json=body, headers=AUTH)
    assert response.status_code == 400, (case, response.text)
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert "not a valid CDS Hooks feedback" in outcome["issue"][0]["diagnostics"]
    assert counted(service) == {}


def test_feedback_needs_the_hooks_credential(service):
    body = {"feedback": [accepted()]}
    assert service.post(FEEDBACK, json=body).status_code == 401
    wrong = {"Authorization": "Bearer not-the-token"}
    assert service.post(FEEDBACK, json=body, headers=wrong).status_code == 401
    not_json = service.post(
        FEEDBACK, content=b"feedback", headers={**AUTH, "Content-Type": "text/plain"}
    )
    assert not_json.status_code == 415
    assert counted(service) == {}


def test_the_openapi_and_the_discovery_name_the_feedback_endpoint(service):
    document = service.get("/openapi.json").json()
    operation = document["paths"][FEEDBACK]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/FeedbackRequest"}
    assert "FeedbackRequest" in document["components"]["schemas"]
    assert operation["security"] == [{"cdsClientJwt": []}, {"callerToken": []}]
    (listed,) = service.get("/cds-services").json()["services"]
    assert FEEDBACK in listed["description"]
    assert listed["prefetch"]["letters"] == "Composition?encounter={{context.encounterId}}"


# --- the hook: an encounter discharged already (issue 22, point 2) --------------------------------


def _letter_of(record: dict[str, Any]) -> dict[str, Any]:
    """The Composition this service writes for `record`, as the EHR then holds it."""
    letter = build_discharge(held_by_server(copy.deepcopy(record)), SITE).letter
    return {**letter, "id": "letter-1"}


def test_an_encounter_discharged_already_gets_the_info_card_and_no_suggestion(service):
    record = new_record()
    prefetch = full_prefetch(record)
    prefetch["letters"] = searchset([_letter_of(record)])
    response = service.post(HOOK, json=hook_request(record, prefetch=prefetch), headers=AUTH)
    assert response.status_code == 200, response.text
    (card,) = response.json()["cards"]
    assert card["indicator"] == "info"
    assert card["summary"].startswith("Al ontslagen op ") and " door " in card["summary"]
    assert "suggestions" not in card and "overrideReasons" not in card
    (link,) = card["links"]
    assert link["type"] == "smart" and link["label"] == card_sentences(SITE)["discharged-link"]


def test_without_the_letter_the_same_encounter_gets_the_suggestion(service):
    record = new_record()
    other = new_record()  # another encounter's letter, in the EHR's answer by mistake
    prefetch = full_prefetch(record)
    prefetch["letters"] = searchset([_letter_of(other)])
    response = service.post(HOOK, json=hook_request(record, prefetch=prefetch), headers=AUTH)
    (card,) = response.json()["cards"]
    assert card["suggestions"] and not card["summary"].startswith("Al ontslagen")


def test_a_red_flag_recorded_after_the_discharge_is_not_hidden_by_the_letter(service):
    record = new_record()
    letter = _letter_of(record)
    for item in resource(record, "QuestionnaireResponse")["item"]:
        if item["linkId"] == "cauda-equina":
            item["answer"] = [{"valueBoolean": True}]
    prefetch = full_prefetch(record)
    prefetch["letters"] = searchset([letter])
    response = service.post(HOOK, json=hook_request(record, prefetch=prefetch), headers=AUTH)
    cards = response.json()["cards"]
    assert [c["indicator"] for c in cards] == ["critical", "info"]
    assert cards[1]["summary"].startswith("Al ontslagen op ")
    assert cards[0]["uuid"] != cards[1]["uuid"]
