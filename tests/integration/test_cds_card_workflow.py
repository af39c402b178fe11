"""The CDS card and the discharge operation tell the same story (issue 22, points 2 and 6), on the
sandbox, over real HTTP, the service reading the EHR's `fhirServer`:

- the card's suggestion writes what the operation's transaction writes for the same record: the
  same resources, by type and content, in the same order (ids and fullUrls aside), the letter to
  the GP and the Task that sends it included;
- once the operation has discharged the encounter, the card says so ("Al ontslagen op … door
  …"), links to the letter through the physician's app, and suggests nothing; a letter written
  otherwise for the encounter does not count;
- the feedback on the card is taken and counted.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from fhir_discharge.core.i18n.physician_texts import card_sentences
from tests.support.factories import resource
from tests.support.hook_requests import hook_request, ids, new_record
from tests.support.seeding import seed
from tests.support.servers import AUTH
from tests.support.site import SITE
from tests.support.suggestions import suggestion_writes, transaction_writes

pytestmark = pytest.mark.integration

HOOK = "/cds-services/lbp-discharge"


def seeded(fhir_base_url: str) -> dict[str, Any]:
    record = new_record()
    seed(fhir_base_url, [e["resource"] for e in record["entry"]])
    return record


def card_for(service_url: str, fhir_base_url: str, record: dict[str, Any]) -> list[dict]:
    body = hook_request(
        record,
        fhirServer=fhir_base_url,
        fhirAuthorization={
            "access_token": "opaque-access-token",
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "user/*.read",
            "subject": "lbp-discharge-cds-service",
        },
    )
    response = httpx.post(f"{service_url}{HOOK}", json=body, headers=AUTH, timeout=60)
    assert response.status_code == 200, response.text
    cards: list[dict] = response.json()["cards"]
    return cards


def discharge(service_url: str, encounter_id: str, **params: str) -> httpx.Response:
    return httpx.post(
        f"{service_url}/Encounter/{encounter_id}/$lbp-discharge",
        params=params,
        headers=AUTH,
        timeout=60,
    )


def test_the_suggestion_writes_what_the_operations_transaction_writes(service_url, fhir_base_url):
    record = seeded(fhir_base_url)
    _, encounter_id = ids(record)
    (card,) = card_for(service_url, fhir_base_url, record)
    (suggestion,) = card["suggestions"]
    dry_run = discharge(service_url, encounter_id, **{"_dry-run": "true"})
    assert dry_run.status_code == 200, dry_run.text
    transaction = dry_run.json()
    # Read from the FHIR server, the record is the server's: nothing is carried along.
    written = transaction_writes(transaction["entry"])
    assert suggestion_writes(suggestion["actions"]) == written
    types = [resource_type for resource_type, _ in written]
    assert types.count("Communication") == 1  # the letter to the GP, on both paths
    assert types[:7] == [
        "Composition",
        "DocumentReference",
        "CarePlan",
        "Task",
        "Task",
        "Communication",
        "Task",
    ]


def test_an_encounter_the_operation_discharged_gets_the_info_card_with_no_suggestion(
    service_url, fhir_base_url
):
    record = seeded(fhir_base_url)
    _, encounter_id = ids(record)
    (before,) = card_for(service_url, fhir_base_url, record)
    assert before["suggestions"]

    landed = discharge(service_url, encounter_id)
    assert landed.status_code == 201, landed.text

    (card,) = card_for(service_url, fhir_base_url, record)
    assert card["indicator"] == "info"
    assert "suggestions" not in card and "overrideReasons" not in card
    # the ED physician who signed the letter (the encounter's participant), not the GP
    signer = resource(record, "Encounter")["participant"][0]["individual"]["reference"]
    name = resource(record, "Practitioner", signer.split("/")[1])["name"][0]
    assert card["summary"].startswith("Al ontslagen op ")
    assert name["family"] in card["summary"], card["summary"]
    (link,) = card["links"]
    assert link["type"] == "smart"
    assert link["label"] == card_sentences(SITE)["discharged-link"]
    assert card["source"]["url"] == SITE.url
    # A second call (a new hook instance, so a new card uuid) says the same.
    (again,) = card_for(service_url, fhir_base_url, record)
    assert {**again, "uuid": None} == {**card, "uuid": None}


def test_a_letter_written_otherwise_for_the_encounter_does_not_make_it_discharged(
    service_url, fhir_base_url
):
    record = seeded(fhir_base_url)
    patient_id, encounter_id = ids(record)
    seed(
        fhir_base_url,
        [
            {
                "resourceType": "Composition",
                "id": f"{encounter_id}-other-letter",
                "identifier": {"system": "https://ehr.example/letters", "value": encounter_id},
                "status": "final",
                "type": {"coding": [{"system": "http://loinc.org", "code": "18842-5"}]},
                "subject": {"reference": f"Patient/{patient_id}"},
                "encounter": {"reference": f"Encounter/{encounter_id}"},
                "date": "2026-12-07T02:00:00+01:00",
                "author": [{"display": "dr. Elders"}],
                "title": "Ontslagbrief",
            }
        ],
    )
    (card,) = card_for(service_url, fhir_base_url, record)
    assert card["suggestions"], card["summary"]


def test_the_feedback_on_a_card_is_taken_and_counted(service_url, fhir_base_url):
    record = seeded(fhir_base_url)
    (card,) = card_for(service_url, fhir_base_url, record)
    reason = card["overrideReasons"][0]
    entry = {
        "card": card["uuid"],
        "outcome": "overridden",
        "overrideReason": {"reason": {"system": reason["system"], "code": reason["code"]}},
        "outcomeTimestamp": "2026-12-07T03:00:00Z",
    }
    before = _count(service_url, reason["code"])
    response = httpx.post(
        f"{service_url}{HOOK}/feedback",
        json={"feedback": [entry, {**entry, "card": str(uuid.uuid4())}]},
        headers=AUTH,
        timeout=30,
    )
    assert response.status_code == 200, response.text
    assert _count(service_url, reason["code"]) == before + 2


def _count(service_url: str, reason: str) -> float:
    text = httpx.get(f"{service_url}/metrics", timeout=30).text
    wanted = (
        f'fhir_discharge_cds_feedback_total{{outcome="overridden",override_reason="{reason}"}} '
    )
    return next(
        (float(line.split()[-1]) for line in text.splitlines() if line.startswith(wanted)), 0.0
    )
