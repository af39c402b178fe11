"""A correction of the letter (io/discharging.py `current_discharge`; hazards H140, H170-H172),
on the FHIR sandbox with the service in-process.

A correction of a discharged encounter's record writes the letter's next version, which
replaces the previous one. It is refused, 409 and nothing written, when the letter has the most
versions the service writes (H170), and when what it would replace is another patient's: the
identifiers of a version are derived by a public algorithm, and someone else's letter or letter
index can be under them first (H171). It revokes the care plan it replaces and cancels that
plan's open follow-up Tasks in its own transaction, conditional on the versions read, so a
change made meanwhile fails it whole (H172). The versions themselves: test_letter_versions.py.
"""

from __future__ import annotations

import asyncio
import copy
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from fhir_discharge import build_discharge, context_from_bundle
from fhir_discharge.core.letter.facts import DischargeFacts, letter_version_key
from fhir_discharge.core.letter_index import index_urn
from fhir_discharge.core.record.identity import IDENTIFIER_SYSTEM, derived_uuid
from fhir_discharge.errors import FhirServerError
from fhir_discharge.io import discharging
from fhir_discharge.io.fhir_client import FhirClient
from fhir_discharge.io.replaced_plan import with_replaced_plan_revoked
from tests.support.discharges import roles
from tests.support.factories import fresh_record, resource
from tests.support.in_process import service_on
from tests.support.seeding import seed
from tests.support.site import SITE

pytestmark = pytest.mark.integration

TOKEN = "corrections-" + uuid.uuid4().hex
POST = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/fhir+json"}
FINDINGS = f"{SITE.canonical_base}/CodeSystem/lbp-gate-finding"


@pytest.fixture
def service(fhir_base_url: str, tmp_path: Path) -> Iterator[TestClient]:
    """The service in-process on the FHIR sandbox, the EHR as a system with TOKEN."""
    with service_on(fhir_base_url, tmp_path, TOKEN) as client:
        yield client


def post(service: TestClient, record: dict[str, Any]) -> httpx.Response:
    return service.post("/Encounter/$lbp-discharge", content=json.dumps(record), headers=POST)


def corrected(record: dict[str, Any]) -> dict[str, Any]:
    """The same encounter's record, corrected since its letter: the time the patient left."""
    changed = copy.deepcopy(record)
    resource(changed, "Encounter")["period"]["end"] = "2026-11-26T00:40:00+01:00"
    return changed


def facts_of(record: dict[str, Any]) -> DischargeFacts:
    return build_discharge(context_from_bundle(record), SITE).facts


def letter_identifier(facts: DischargeFacts, version: int) -> str:
    return f"{IDENTIFIER_SYSTEM}|{derived_uuid(letter_version_key(facts.key, version), 'letter')}"


def index_identifier(facts: DischargeFacts, version: int) -> str:
    return f"{IDENTIFIER_SYSTEM}|{index_urn(facts, version)}"


def search(fhir_base_url: str, resource_type: str, **params: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{fhir_base_url}/{resource_type}", params=params, timeout=30)
    answer.raise_for_status()
    return [e["resource"] for e in answer.json().get("entry", [])]


def the_issue(answer: httpx.Response) -> dict[str, Any]:
    outcome = answer.json()
    assert outcome["resourceType"] == "OperationOutcome", answer.text[:500]
    [issue] = outcome["issue"]
    return dict(issue)


# --- H170: past the most versions, a 409 that says what to do -------------------------------


def test_a_correction_past_the_most_versions_is_a_409_saying_what_to_do(
    service: TestClient, fhir_base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(discharging, "MAX_LETTER_VERSIONS", 1)
    record = fresh_record(uuid.uuid4().hex[:10])
    assert post(service, record).status_code == 201
    answer = post(service, corrected(record))
    assert answer.status_code == 409, answer.text[:500]  # was 502: the FHIR server is not at fault
    issue = the_issue(answer)
    assert issue["code"] == "business-rule"
    assert issue["details"]["coding"] == [
        {
            "system": FINDINGS,
            "code": "letter-versions-exhausted",
            "display": "The encounter's letter has the most versions the service writes",
        }
    ]
    assert "1 versions already" in issue["diagnostics"]
    assert "bring the correction to the GP another way" in issue["diagnostics"]
    # nothing written: the first letter, and no second version
    facts = facts_of(record)
    assert len(search(fhir_base_url, "Composition", identifier=letter_identifier(facts, 1))) == 1
    assert search(fhir_base_url, "Composition", identifier=letter_identifier(facts, 2)) == []


# --- H171: a correction never replaces another patient's letter or index ----------------------


def _another_patients(fhir_base_url: str) -> str:
    """Another patient, on the server: their reference."""
    other = fresh_record(uuid.uuid4().hex[:10])
    seed(fhir_base_url, [e["resource"] for e in other["entry"]])
    return f"Patient/{resource(other, 'Patient')['id']}"


def _theirs(resource_type: str, identifier: str, subject: str, **fields: Any) -> dict[str, Any]:
    """Another patient's `resource_type` under `identifier` (`system|value`): written first."""
    system, value = identifier.split("|")
    found = {"system": system, "value": value}
    return {
        "resourceType": resource_type,
        "id": f"taken-{uuid.uuid4().hex[:12]}",
        # Composition.identifier is 0..1 in R4; the others' a list
        "identifier": found if resource_type == "Composition" else [found],
        "subject": {"reference": subject},
        **fields,
    }


def _letter(identifier: str, subject: str) -> dict[str, Any]:
    return _theirs(
        "Composition",
        identifier,
        subject,
        status="final",
        type={"coding": [{"system": "http://loinc.org", "code": "18842-5"}]},
        date="2026-11-26T10:00:00+01:00",
        author=[{"display": "another hospital's service"}],
        title="Ontslagbrief",
    )


def _index(identifier: str, subject: str) -> dict[str, Any]:
    attachment = {"contentType": "application/pdf", "url": "Binary/theirs"}
    return _theirs(
        "DocumentReference",
        identifier,
        subject,
        status="current",
        content=[{"attachment": attachment}],
    )


def _plan(identifier: str, subject: str) -> dict[str, Any]:
    return _theirs("CarePlan", identifier, subject, status="active", intent="plan")


@pytest.mark.parametrize(
    "taken",
    [
        # the letter of version 2 (and its index) written first for another patient: the
        # correction would be version 3, replacing their letter and superseding their index
        "the next version's letter",
        # only the index of version 1: the correction (version 2) would supersede it
        "the first version's index",
        # the plan of version 1, there before the first letter: the correction would revoke it
        "the first version's plan",
    ],
)
def test_a_correction_that_would_replace_another_patients_letter_is_refused_and_writes_nothing(
    service: TestClient, fhir_base_url: str, taken: str
) -> None:
    record = fresh_record(uuid.uuid4().hex[:10])
    facts = facts_of(record)
    stranger = _another_patients(fhir_base_url)
    plan = _plan(f"{IDENTIFIER_SYSTEM}|{facts.care_plan.literal}", stranger)
    if taken == "the first version's plan":
        seed(fhir_base_url, [plan])
    assert post(service, record).status_code == 201
    if taken == "the first version's plan":
        theirs, correction = [plan], 2
    elif taken == "the next version's letter":
        theirs = [_letter(letter_identifier(facts, 2), stranger)]
        theirs.append(_index(index_identifier(facts, 2), stranger))
        correction = 3
    else:
        theirs = [_index(index_identifier(facts, 1), stranger)]
        correction = 2
    if taken != "the first version's plan":
        seed(fhir_base_url, theirs)

    answer = post(service, corrected(record))
    assert answer.status_code == 409, answer.text[:500]
    issue = the_issue(answer)
    assert issue["code"] == "conflict"
    assert issue["details"]["coding"][0]["code"] == "letter-version-of-another-patient"
    assert "another patient" in issue["diagnostics"]
    # nothing written: no corrected letter, and what the other patient has is as it was
    written = search(fhir_base_url, "Composition", identifier=letter_identifier(facts, correction))
    assert written == []
    for their in theirs:
        held = httpx.get(f"{fhir_base_url}/{their['resourceType']}/{their['id']}", timeout=30)
        assert held.status_code == 200
        assert held.json()["subject"] == {"reference": stranger}
        assert held.json().get("status") == their["status"]
        assert held.json()["meta"]["versionId"] == "1"


# --- H172: the replaced plan revoked, its open follow-ups cancelled, in the same transaction ----


def read(fhir_base_url: str, reference: str) -> dict[str, Any]:
    answer = httpx.get(f"{fhir_base_url}/{reference}", timeout=30)
    assert answer.status_code == 200, answer.text[:300]
    return dict(answer.json())


def put(fhir_base_url: str, changed: dict[str, Any]) -> None:
    reference = f"{changed['resourceType']}/{changed['id']}"
    answer = httpx.put(f"{fhir_base_url}/{reference}", json=changed, timeout=30)
    assert answer.status_code == 200, answer.text[:300]


def test_a_correction_revokes_the_replaced_plan_and_cancels_its_open_follow_ups(
    service: TestClient, fhir_base_url: str
) -> None:
    record = fresh_record(uuid.uuid4().hex[:10])
    first = post(service, record)
    assert first.status_code == 201, first.text[:500]
    one = roles(first.json())
    # the GP saw the patient after a week already: that follow-up is over, and stays so
    week = read(fhir_base_url, one["followUpOneWeek"]["reference"])
    put(fhir_base_url, {**week, "status": "completed"})

    second = post(service, corrected(record))
    assert second.status_code == 201, json.dumps(roles(second.json()), indent=1)
    two = roles(second.json())
    status = {
        name: read(fhir_base_url, landed[name]["reference"])["status"]
        for landed, name in [
            (one, "carePlan"),
            (one, "followUpOneWeek"),
            (one, "followUpSixWeeks"),
        ]
    }
    assert status == {
        "carePlan": "revoked",
        "followUpOneWeek": "completed",
        "followUpSixWeeks": "cancelled",
    }
    new_plan = read(fhir_base_url, two["carePlan"]["reference"])
    assert new_plan["status"] == "active" and new_plan["replaces"]
    for name in ("followUpOneWeek", "followUpSixWeeks"):
        assert read(fhir_base_url, two[name]["reference"])["status"] == "requested"
    # the corrected record once more: nothing new, nothing changed
    plan_version = read(fhir_base_url, one["carePlan"]["reference"])["meta"]["versionId"]
    third = post(service, corrected(record))
    assert third.status_code == 200, third.text[:500]
    again = read(fhir_base_url, one["carePlan"]["reference"])
    assert (again["status"], again["meta"]["versionId"]) == ("revoked", plan_version)


def test_a_follow_up_changed_meanwhile_fails_the_whole_correction(
    service: TestClient, fhir_base_url: str
) -> None:
    record = fresh_record(uuid.uuid4().hex[:10])
    first = post(service, record)
    assert first.status_code == 201, first.text[:500]
    one = roles(first.json())

    async def correction_then_a_change_then_the_post() -> FhirServerError:
        async with FhirClient(fhir_base_url) as client:
            built = build_discharge(context_from_bundle(corrected(record)), SITE)
            correction = await discharging.current_discharge(client, built)
            assert correction.facts.version == 2
            transaction = await with_replaced_plan_revoked(client, correction.bundle)
            # the GP starts the six-week referral between the read and the post
            six_weeks = read(fhir_base_url, one["followUpSixWeeks"]["reference"])
            put(fhir_base_url, {**six_weeks, "status": "in-progress"})
            with pytest.raises(FhirServerError) as refused:
                await client.post_transaction(transaction)
            return refused.value

    refused = asyncio.run(correction_then_a_change_then_the_post())
    assert refused.server_status in (409, 412)
    # nothing of the correction was written, and the GP's change stands
    facts = facts_of(record)
    assert search(fhir_base_url, "Composition", identifier=letter_identifier(facts, 2)) == []
    assert read(fhir_base_url, one["carePlan"]["reference"])["status"] == "active"
    assert read(fhir_base_url, one["followUpSixWeeks"]["reference"])["status"] == "in-progress"
    assert read(fhir_base_url, one["followUpOneWeek"]["reference"])["status"] == "requested"
