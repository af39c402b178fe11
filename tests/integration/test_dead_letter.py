"""A discharge given up alerts someone the hospital names (core/dead_letter.py, io/delivery.py).

The alert is a Task on the FHIR server for `FHIR_DISCHARGE_DEAD_LETTER_ALERT_OWNER`, queued in
the commit that records the failure and delivered like a discharge. Proven on the real sandbox;
the FHIR server's faults (a refusal, an outage, a lost answer) are injected by a transport that
forwards everything else to it. On HAPI FHIR (referential integrity, our profile in its
validator): tests/integration/test_hapi_discharge.py.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from fhir_discharge import build_discharge, context_from_bundle
from fhir_discharge.config import Settings
from fhir_discharge.core.dead_letter import (
    ALERT_CODES,
    NOT_DELIVERED,
    alert_owner_problem,
    build_dead_letter_alert,
    failure_reason,
    failure_summary,
)
from fhir_discharge.core.record.identifiers import identifier_condition, identifier_of_condition
from fhir_discharge.core.transaction import Discharge
from fhir_discharge.errors import FhirServerError, Finding, IdentityConflict, operation_outcome
from fhir_discharge.io.delivery import Deliverer
from fhir_discharge.io.discharging import accept_and_deliver, deliverer_for, open_outbox
from fhir_discharge.io.fhir_client import FhirClient
from fhir_discharge.io.outbox import (
    DEAD,
    DELIVERED,
    DELIVERING,
    FAILED,
    QUEUED,
    NewAlert,
    Outbox,
    OutboxItem,
    changed_at_rest_outcome,
    is_alert,
)
from fhir_discharge.io.outbox.sqlite import SqliteOutbox
from tests.support.contexts import held_by_server
from tests.support.factories import EXAMPLES, fresh_record, happy_bundle, resource
from tests.support.postgres import fresh_database
from tests.support.site import SITE

GENERATED = EXAMPLES.parent / "profiles" / "fsh-generated" / "resources"
FAILED_AT = datetime(2026, 12, 1, 16, 30, tzinfo=UTC)
SERVER_SAID = {
    "resourceType": "OperationOutcome",
    "issue": [
        {
            "severity": "error",
            "code": "exception",
            "diagnostics": "the FHIR server refused the transaction (HTTP 422)",
        },
        {
            "severity": "error",
            "code": "exception",
            "diagnostics": "FHIR server: HAPI-0550: Patient An Janssens 1981-03-14 is invalid",
        },
    ],
}


def alert_of(discharge: Discharge, **given: Any) -> dict[str, Any]:
    options: dict[str, Any] = {
        "alert_id": "d1-alert-1",
        "discharge_id": "d1",
        "transaction": discharge.bundle,
        "reason": "refused",
        "attempts": 1,
        "outcome": SERVER_SAID,
        "owner": "Organization/ed-secretariat",
        "failed_at": FAILED_AT,
        "canonicals": SITE.canonicals,
        "language": "nl-BE",
    }
    bundle = build_dead_letter_alert(**{**options, **given})
    [entry] = bundle["entry"]
    return dict(entry["resource"])


# --- what the alert says ---------------------------------------------------------------------


def test_the_alert_names_the_letter_its_encounter_and_patient_why_and_the_discharge() -> None:
    discharge = build_discharge(context_from_bundle(happy_bundle()), SITE, gp_message=False)
    task = alert_of(discharge)
    letter = discharge.letter
    assert task["meta"] == {"profile": [SITE.canonicals.dead_letter_task_profile]}
    assert (task["status"], task["intent"], task["priority"]) == ("requested", "order", "urgent")
    assert task["code"]["coding"] == [
        {
            "system": SITE.canonicals.alert_system,
            "code": NOT_DELIVERED,
            "display": ALERT_CODES[NOT_DELIVERED],
        }
    ]
    assert task["owner"] == {"reference": "Organization/ed-secretariat"}
    # The letter never landed: named by its business identifier. The record travelled with it
    # (a context Bundle): the patient and the encounter by the identifiers their copies carry.
    assert task["focus"] == {"type": "Composition", "identifier": letter["identifier"]}
    ssin = resource(happy_bundle(), "Patient")["identifier"][0]
    assert task["for"] == {
        "type": "Patient",
        "identifier": {"system": ssin["system"], "value": ssin["value"]},
    }
    encounter = resource(happy_bundle(), "Encounter")["identifier"][0]
    assert task["encounter"] == {
        "type": "Encounter",
        "identifier": {"system": encounter["system"], "value": encounter["value"]},
    }
    assert task["authoredOn"] == "2026-12-01T17:30:00+01:00"
    assert task["reasonCode"]["coding"][0]["code"] == "refused"
    assert task["input"] == [
        {
            "type": {
                "coding": [
                    {
                        "system": SITE.canonicals.alert_system,
                        "code": "discharge",
                        "display": ALERT_CODES["discharge"],
                    }
                ]
            },
            "valueString": "d1",
        }
    ]
    assert "de FHIR-server weigerde het ontslag" in task["description"]
    assert "ontslag d1" in task["description"] and "$redeliver" in task["description"]


def test_a_record_the_fhir_server_holds_is_referenced_there_by_its_ids() -> None:
    discharge = build_discharge(held_by_server(happy_bundle()), SITE, gp_message=False)
    task = alert_of(discharge)
    assert task["for"] == {"reference": "Patient/lbp-example-patient"}
    assert task["encounter"] == {"reference": "Encounter/lbp-example-encounter"}


def test_the_alert_carries_no_patient_data_beyond_references() -> None:
    record = happy_bundle()
    discharge = build_discharge(context_from_bundle(record), SITE, gp_message=False)
    said = json.dumps(alert_of(discharge), ensure_ascii=False)
    patient = resource(record, "Patient")
    for value in (
        patient["name"][0]["family"],
        *patient["name"][0]["given"],
        patient["birthDate"],
        "14 maart 1981",
        resource(record, "Condition")["code"]["coding"][0]["display"],
    ):
        assert value not in said, value
    # Of the server's free text, only its message id: it may quote the record.
    summary = alert_of(discharge)["reasonCode"]["text"]
    assert summary == "the FHIR server refused the transaction (HTTP 422); FHIR server: HAPI-0550"


def test_the_summary_keeps_this_services_words_and_finding_codes_only() -> None:
    conflict = IdentityConflict(
        "the FHIR server holds another patient's record",
        [
            Finding(
                "the FHIR server holds another person under the patient's identifier (another "
                "name): nothing was written",
                "Patient.identifier",
                "patient-identity-conflict",
            )
        ],
    )
    summary = failure_summary(operation_outcome(conflict, SITE.canonical_base))
    assert summary == (
        "the FHIR server holds another person under the patient's identifier (another name): "
        "nothing was written [patient-identity-conflict]"
    )
    assert failure_summary(None) == "no OperationOutcome"
    hostile = {"issue": [{"diagnostics": "FHIR server: <b>Jan</b> Janssens"}, "x", {"code": 1}]}
    assert failure_summary(hostile) == "no OperationOutcome"


@pytest.mark.parametrize(
    ("state", "outcome", "reason"),
    [
        (FAILED, SERVER_SAID, "refused"),
        (DEAD, SERVER_SAID, "attempts-exhausted"),
        (
            FAILED,
            operation_outcome(IdentityConflict("another patient"), SITE.canonical_base),
            "identity-conflict",
        ),
        (FAILED, changed_at_rest_outcome(), "changed-at-rest"),
    ],
)
def test_why_the_discharge_was_given_up(state: str, outcome: dict, reason: str) -> None:
    assert failure_reason(state, outcome) == reason
    discharge = build_discharge(context_from_bundle(happy_bundle()), SITE, gp_message=False)
    task = alert_of(discharge, reason=reason, attempts=8)
    assert task["reasonCode"]["coding"][0]["code"] == reason
    if reason == "attempts-exhausted":
        assert "na 8 pogingen" in task["description"]


def test_one_alert_is_one_identifier_and_the_same_alert_the_same_bytes() -> None:
    discharge = build_discharge(context_from_bundle(happy_bundle()), SITE, gp_message=False)
    first = build_dead_letter_alert(
        alert_id="d1-alert-1",
        discharge_id="d1",
        transaction=discharge.bundle,
        reason="refused",
        attempts=1,
        outcome=SERVER_SAID,
        owner="Organization/x",
        failed_at=FAILED_AT,
        canonicals=SITE.canonicals,
        language="nl-BE",
    )
    again = alert_of(discharge, owner="Organization/x")
    [entry] = first["entry"]
    assert entry["resource"] == again
    identifier = entry["resource"]["identifier"][0]
    # a conditional create on it: retried after a lost answer, the Task is found, not doubled
    assert entry["request"] == {
        "method": "POST",
        "url": "Task",
        "ifNoneExist": identifier_condition(identifier["system"], identifier["value"]),
    }
    assert entry["fullUrl"] == identifier["value"]
    # the discharge's next failure (after a re-drive) is another alert
    assert alert_of(discharge, alert_id="d1-alert-2")["identifier"] != [identifier]


@pytest.mark.parametrize(
    "owner",
    [
        "Organization/ed-secretariat",
        "PractitionerRole/secretariaat.spoed-1",
        "  Organization/ed-secretariat  ",
    ],
)
def test_the_owner_is_an_organization_or_a_practitioner_role_on_the_fhir_server(
    owner: str,
) -> None:
    assert Settings(dead_letter_alert_owner=owner).dead_letter_alert_owner == owner.strip()


@pytest.mark.parametrize(
    "owner",
    [
        "Practitioner/p1",
        "Patient/1",
        "Organization/",
        "Organization/a/b",
        "Organization/..",
        "https://fhir.example/Organization/1",
        "Organization/" + "x" * 65,
        "Organization/a?b=c",
    ],
)
def test_any_other_owner_refuses_to_start(owner: str) -> None:
    assert alert_owner_problem(owner) is not None
    with pytest.raises(ValidationError, match="dead_letter_alert_owner"):
        Settings(dead_letter_alert_owner=owner)
    assert Settings(dead_letter_alert_owner="").dead_letter_alert_owner is None


def test_the_codes_are_the_published_code_system_and_the_profile() -> None:
    compiled = json.loads((GENERATED / "CodeSystem-lbp-discharge-alert.json").read_text())
    assert compiled["url"] == SITE.canonicals.alert_system
    assert {c["code"]: c["display"] for c in compiled["concept"]} == ALERT_CODES
    profile = json.loads((GENERATED / "StructureDefinition-lbp-dead-letter-task.json").read_text())
    assert profile["url"] == SITE.canonicals.dead_letter_task_profile


def test_the_alert_conforms_to_its_profile_and_the_profile_bites(fhir_validator: Any) -> None:
    from tests.support.fhir_validator import format_issues

    for record in (context_from_bundle(happy_bundle()), held_by_server(happy_bundle())):
        task = alert_of(build_discharge(record, SITE, gp_message=False))
        errors = fhir_validator.errors(task)
        assert errors == [], format_issues(errors)
        broken = [
            ({k: v for k, v in task.items() if k != "owner"}, "Task.owner"),
            ({k: v for k, v in task.items() if k != "reasonCode"}, "Task.reasonCode"),
            (
                {
                    **task,
                    "reasonCode": {
                        "coding": [{"system": SITE.canonicals.alert_system, "code": "x"}]
                    },
                },
                "reason",
            ),
            ({k: v for k, v in task.items() if k != "focus"}, "Task.focus"),
        ]
        for resource_, fragment in broken:
            errors = fhir_validator.errors(resource_)
            assert any(fragment in json.dumps(e) for e in errors), (fragment, errors)


@pytest.mark.parametrize(
    ("system", "value"),
    [
        ("urn:ietf:rfc:3986", "urn:uuid:0b1f6b2a-58b4-5d3c-9a1c-2f3d4e5f6a7b"),
        ("https://www.ehealth.fgov.be/standards/fhir/core/NamingSystem/ssin", "81031412414"),
        ("https://example.uzleuven.be/sid/x", "a|b,c$d\\e&_id=victim-1 #?+%20"),
    ],
)
def test_an_identifier_is_read_back_from_its_condition(system: str, value: str) -> None:
    condition = identifier_condition(system, value)
    assert identifier_of_condition(condition) == {"system": system, "value": value}
    assert identifier_of_condition("identifier=a|b&_id=1") is None
    assert identifier_of_condition("_id=1") is None


# --- the outbox: the failure and its alert in one commit ---------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def outbox(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Outbox]:
    if request.param == "sqlite":
        box = open_outbox(Settings(outbox_path=str(tmp_path / "outbox.sqlite3")))
    else:
        box = open_outbox(
            Settings(outbox_url=fresh_database(request.getfixturevalue("postgres_url")))
        )
    try:
        yield box
    finally:
        box.close()


T0 = 1_000_000.0


def _alert(encounter: str = "Encounter/e1") -> NewAlert:
    return NewAlert(encounter, lambda alert_id: {"resourceType": "Bundle", "alert": alert_id})


def test_mark_failed_queues_the_alert_in_the_same_commit_numbered_per_failure(outbox) -> None:
    outbox.accept("d1", "Encounter/e1", {"resourceType": "Bundle"}, (), T0)
    outbox.claim_due(T0, 60, 10)
    assert outbox.mark_failed("d1", FAILED, {"issue": []}, T0, _alert()) == "d1-alert-1"
    alert = outbox.get("d1-alert-1")
    assert alert is not None and is_alert(alert.id) and not is_alert("d1")
    assert (alert.state, alert.attempts, alert.encounter) == (QUEUED, 0, "Encounter/e1")
    assert alert.bundle == {"resourceType": "Bundle", "alert": "d1-alert-1"}
    assert [i.id for i in outbox.claim_due(T0, 60, 10)] == ["d1-alert-1"]  # due at once
    # re-driven, failed again: a second alert, not the first one again
    assert outbox.redrive("d1", T0)
    outbox.claim_due(T0, 60, 10)
    assert outbox.mark_failed("d1", DEAD, {"issue": []}, T0, _alert()) == "d1-alert-2"
    assert outbox.get("d1").state == DEAD  # type: ignore[union-attr]
    # without an alert, nothing else is written
    outbox.accept("d2", "Encounter/e2", {"resourceType": "Bundle"}, (), T0)
    outbox.claim_due(T0, 60, 10)
    assert outbox.mark_failed("d2", FAILED, {"issue": []}, T0) is None
    assert outbox.get("d2-alert-1") is None


def test_an_alert_that_cannot_be_built_records_nothing(outbox) -> None:
    outbox.accept("d1", "Encounter/e1", {"resourceType": "Bundle"}, (), T0)
    outbox.claim_due(T0, 60, 10)

    def broken(alert_id: str) -> dict[str, Any]:
        raise ValueError("no letter")

    with pytest.raises(ValueError):
        outbox.mark_failed("d1", FAILED, {"issue": []}, T0, NewAlert("Encounter/e1", broken))
    assert outbox.get("d1").state == DELIVERING  # type: ignore[union-attr]
    assert outbox.get("d1-alert-1") is None


def test_an_alert_queued_is_on_disk_for_the_next_process(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    box = SqliteOutbox(path)
    box.accept("d1", "Encounter/e1", {"resourceType": "Bundle"}, (), T0)
    box.claim_due(T0, 60, 10)
    box.mark_failed("d1", DEAD, {"issue": []}, T0, _alert())
    box._db.close()  # as if the process died here: no clean close
    again = SqliteOutbox(path)
    try:
        assert [i.id for i in again.claim_due(T0 + 1, 60, 10)] == ["d1-alert-1"]
    finally:
        again.close()


# --- the deliverer, on the sandbox, with the FHIR server's faults injected ---------------------


def _is_alert_post(request: httpx.Request) -> bool:
    if request.method != "POST":
        return False
    sent = json.loads(request.content)
    return any(
        (e.get("resource") or {}).get("code", {}).get("coding", [{}])[0].get("system")
        == SITE.canonicals.alert_system
        for e in sent.get("entry", [])
    )


Fault = Callable[[httpx.Request], httpx.Response] | str | None


class FaultyFhirServer(httpx.AsyncBaseTransport):
    """The real FHIR server, with faults injected: `discharge_faults` and `alert_faults` say,
    POST by POST, what the discharge's and the alert's transactions meet (None: the server
    answers; a status: that answer; "lose-answer": the server takes it, the answer is lost;
    "refused": no connection). Every other request is the server's."""

    def __init__(self, discharge_faults: list[Fault], alert_faults: list[Fault]) -> None:
        self.real = httpx.AsyncHTTPTransport()
        self.faults = {"discharge": list(discharge_faults), "alert": list(alert_faults)}
        self.posts = {"discharge": 0, "alert": 0}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.rstrip("/").endswith("/fhir"):
            kind = "alert" if _is_alert_post(request) else "discharge"
            self.posts[kind] += 1
            faults = self.faults[kind]
            fault = faults.pop(0) if faults else None
            if fault == "refused":
                raise httpx.ConnectError("connection refused", request=request)
            if isinstance(fault, int):  # as HAPI says it, quoting the record
                issue = {
                    "severity": "error",
                    "code": "processing",
                    "diagnostics": "HAPI-0550: Patient An Janssens 1981-03-14 is invalid",
                }
                return httpx.Response(
                    fault, json={"resourceType": "OperationOutcome", "issue": [issue]}
                )
            if fault == "lose-answer":
                response = await self.real.handle_async_request(request)
                await response.aread()
                raise httpx.ReadError("connection reset after the request was sent")
        return await self.real.handle_async_request(request)

    async def aclose(self) -> None:
        await self.real.aclose()


def deliver(
    fhir_base_url: str,
    tmp_path: Path,
    transport: FaultyFhirServer,
    *,
    owner: str | None,
    record: dict[str, Any] | None = None,
    wait_for_alert: float = 30,
    max_attempts: int = 2,
) -> tuple[OutboxItem, OutboxItem | None, Deliverer]:
    """Discharge a fresh record (stored on the sandbox as the EHR holds it) through the outbox
    and a deliverer whose FHIR server is `transport`; the discharge as it ended, its alert as it
    ended (or stood after `wait_for_alert` s), and the deliverer (its counts)."""
    record = record or fresh_record(uuid.uuid4().hex[:10])
    built = build_discharge(context_from_bundle(record), SITE)

    async def go() -> tuple[OutboxItem, OutboxItem | None, Deliverer]:
        box = SqliteOutbox(tmp_path / "outbox.sqlite3")
        client = FhirClient(fhir_base_url, transport=transport)
        deliverer = Deliverer(
            box,
            client,
            max_attempts=max_attempts,
            base_delay=0.01,
            max_delay=0.05,
            rng=random.Random(7),
            alert_owner=owner,
            canonical_base=SITE.canonical_base,
        )
        await deliverer.start()
        try:
            item = await accept_and_deliver(deliverer, built, 30)
            alert = await deliverer.wait_for(f"{item.id}-alert-1", wait_for_alert)
            return item, alert, deliverer
        finally:
            await deliverer.stop()
            await client.aclose()
            box.close()

    return asyncio.run(go())


def tasks_for(fhir_base_url: str, owner: str) -> list[dict[str, Any]]:
    found = httpx.get(
        f"{fhir_base_url}/Task",
        params={"code": f"{SITE.canonicals.alert_system}|{NOT_DELIVERED}", "owner": owner},
        headers={"Accept": "application/fhir+json", "Cache-Control": "no-cache"},
        timeout=30,
    ).json()
    return [e["resource"] for e in found.get("entry") or []]


def secretariat(fhir_base_url: str) -> str:
    """The ED secretariat, an Organization on the FHIR server (as the hospital has it)."""
    owner_id = f"ed-secretariat-{uuid.uuid4().hex[:8]}"
    organization = {"resourceType": "Organization", "id": owner_id, "name": "Secretariaat spoed"}
    answer = httpx.put(
        f"{fhir_base_url}/Organization/{owner_id}",
        json=organization,
        headers={"Content-Type": "application/fhir+json"},
        timeout=30,
    )
    assert answer.status_code in (200, 201), answer.text
    return f"Organization/{owner_id}"


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "fhir_discharge.io.delivery" and r.levelno == logging.ERROR
    ]


@pytest.mark.integration
def test_a_refused_discharge_alerts_the_owner_with_a_task_on_the_fhir_server(
    fhir_base_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    owner = secretariat(fhir_base_url)
    transport = FaultyFhirServer([422], [])
    with caplog.at_level(logging.INFO):
        item, alert, deliverer = deliver(fhir_base_url, tmp_path, transport, owner=owner)
    assert (item.state, item.attempts) == (FAILED, 1)
    assert alert is not None and alert.state == DELIVERED, alert
    assert transport.posts == {"discharge": 1, "alert": 1}
    [task] = tasks_for(fhir_base_url, owner)
    assert task["status"] == "requested" and task["priority"] == "urgent"
    assert task["reasonCode"]["coding"][0]["code"] == "refused"
    assert task["reasonCode"]["text"] == (
        "the FHIR server refused the transaction (HTTP 422); FHIR server: HAPI-0550"
    )
    assert task["input"][0]["valueString"] == item.id
    assert task["focus"]["identifier"] == item.bundle["entry"][0]["resource"]["identifier"]
    assert task["encounter"]["type"] == "Encounter"
    # said at ERROR, with ids only
    [said] = errors_logged(caplog)
    assert f"{item.id} for {item.encounter} not delivered (refused" in said
    assert f"alert {item.id}-alert-1 queued for {owner}" in said
    assert (deliverer.refused_total, deliverer.alerts_queued_total) == (1, 1)
    assert deliverer.alerts_written_total == 1


@pytest.mark.integration
def test_a_dead_letter_alerts_the_owner_once_its_attempts_ran_out(
    fhir_base_url: str, tmp_path: Path
) -> None:
    owner = secretariat(fhir_base_url)
    transport = FaultyFhirServer([503, "refused", 503], [])
    item, alert, deliverer = deliver(fhir_base_url, tmp_path, transport, owner=owner)
    assert (item.state, item.attempts) == (DEAD, 2)
    assert alert is not None and alert.state == DELIVERED
    [task] = tasks_for(fhir_base_url, owner)
    assert task["reasonCode"]["coding"][0]["code"] == "attempts-exhausted"
    assert "na 2 pogingen" in task["description"]
    assert deliverer.dead_total == 1


@pytest.mark.integration
def test_when_the_fhir_server_is_what_fails_the_alert_waits_for_it_and_lands_once(
    fhir_base_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The server down: the discharge dies, and its alert is retried past max attempts (it is
    not given up), every failed attempt said at ERROR; once the server is back it lands, and
    its answer lost on the way, the retry finds it: one Task."""
    owner = secretariat(fhir_base_url)
    outage: list[Fault] = ["refused", 503, 503, "refused", 502, 503]
    transport = FaultyFhirServer([503, 503], [*outage, "lose-answer"])
    with caplog.at_level(logging.INFO):
        item, alert, deliverer = deliver(fhir_base_url, tmp_path, transport, owner=owner)
    assert item.state == DEAD
    assert alert is not None and alert.state == DELIVERED, alert
    assert alert.attempts == len(outage) + 2 > deliverer.max_attempts
    assert transport.posts["alert"] == len(outage) + 2
    assert len(tasks_for(fhir_base_url, owner)) == 1
    not_yet = [m for m in errors_logged(caplog) if "not written yet" in m]
    assert len(not_yet) == len(outage) + 1  # the outage, and the lost answer
    assert deliverer.alert_failures_total == len(outage) + 1


@pytest.mark.integration
def test_an_alert_the_fhir_server_refuses_is_logged_and_never_alerts_of_itself(
    fhir_base_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    owner = secretariat(fhir_base_url)
    transport = FaultyFhirServer([422], [400])
    with caplog.at_level(logging.INFO):
        item, alert, deliverer = deliver(fhir_base_url, tmp_path, transport, owner=owner)
    assert item.state == FAILED
    assert alert is not None and alert.state == FAILED
    assert transport.posts == {"discharge": 1, "alert": 1}  # no alert of the alert
    said = errors_logged(caplog)
    assert any(f"alert {alert.id} for" in m and "no one is alerted" in m for m in said), said
    assert deliverer.alert_failures_total == 1 and deliverer.alerts_written_total == 0
    assert tasks_for(fhir_base_url, owner) == []


@pytest.mark.integration
def test_without_an_owner_nothing_is_written_and_the_error_says_no_one_was_alerted(
    fhir_base_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    transport = FaultyFhirServer([422], [])
    with caplog.at_level(logging.INFO):
        item, alert, _ = deliver(fhir_base_url, tmp_path, transport, owner=None, wait_for_alert=0)
    assert item.state == FAILED and alert is None
    assert transport.posts == {"discharge": 1, "alert": 0}
    [said] = errors_logged(caplog)
    assert "NO ALERT written (FHIR_DISCHARGE_DEAD_LETTER_ALERT_OWNER is not set)" in said


@pytest.mark.integration
def test_an_identity_conflict_on_the_server_alerts_with_its_reason(
    fhir_base_url: str, tmp_path: Path
) -> None:
    """The FHIR server holds another person under the patient's SSIN: refused before anything
    is written (409), and the owner is told why."""
    owner = secretariat(fhir_base_url)
    record = fresh_record(uuid.uuid4().hex[:10])
    patient = resource(record, "Patient")
    stranger = {
        "resourceType": "Patient",
        "identifier": patient["identifier"],
        "name": [{"family": "Peeters", "given": ["Lotte"]}],
        "birthDate": "1990-01-01",
    }
    created = httpx.post(
        f"{fhir_base_url}/Patient",
        json=stranger,
        headers={"Content-Type": "application/fhir+json"},
        timeout=30,
    )
    assert created.status_code == 201, created.text
    transport = FaultyFhirServer([], [])
    item, alert, _ = deliver(fhir_base_url, tmp_path, transport, owner=owner, record=record)
    assert item.state == FAILED and transport.posts["discharge"] == 0
    assert alert is not None and alert.state == DELIVERED
    [task] = tasks_for(fhir_base_url, owner)
    assert task["reasonCode"]["coding"][0]["code"] == "identity-conflict"
    assert "[patient-identity-conflict]" in task["reasonCode"]["text"]
    assert "Peeters" not in json.dumps(task) and "Janssens" not in json.dumps(task)


# --- the service's wiring ----------------------------------------------------------------------


def test_the_service_alerts_the_owner_the_settings_name_and_the_cli_no_one(tmp_path: Path) -> None:
    settings = Settings(
        outbox_path=str(tmp_path / "o.sqlite3"),
        dead_letter_alert_owner="Organization/ed-secretariat",
    )
    client = FhirClient("http://fhir.test/fhir")
    box = SqliteOutbox(tmp_path / "o.sqlite3")
    try:
        assert deliverer_for(box, client, settings).alert_owner == "Organization/ed-secretariat"
        assert deliverer_for(box, client, settings, alerts=False).alert_owner is None
    finally:
        box.close()
        asyncio.run(client.aclose())
    source = (Path(__file__).parents[2] / "fhir_discharge" / "cli.py").read_text()
    assert "deliverer_for(outbox, client, settings, alerts=False)" in source


def test_without_an_owner_the_service_says_so_once_at_start_up(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from fhir_discharge.web.app import create_app

    def said() -> list[str]:
        return [
            r.getMessage()
            for r in caplog.records
            if r.levelno == logging.WARNING and "DEAD_LETTER_ALERT_OWNER" in r.getMessage()
        ]

    with caplog.at_level(logging.INFO):
        create_app(Settings(api_tokens=["t"]))
    assert len(said()) == 1 and "alerts no one" in said()[0]
    caplog.clear()
    with caplog.at_level(logging.INFO):
        create_app(Settings(api_tokens=["t"], dead_letter_alert_owner="Organization/x"))
    assert said() == []


def test_an_alert_that_cannot_be_built_leaves_the_failure_recorded(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A transaction without its letter (never one this service built): the failure is
    recorded all the same, said at ERROR."""

    class Refusing:
        base_url = "http://fhir.test/fhir"
        attempts_made = 0

        async def post_transaction(self, bundle: dict) -> list:
            raise FhirServerError("refused", 422)

        async def search(self, *args: Any, **kwargs: Any) -> list:
            return []

    async def go() -> OutboxItem:
        box = SqliteOutbox(tmp_path / "outbox.sqlite3")
        deliverer = Deliverer(
            box,
            Refusing(),  # type: ignore[arg-type]
            alert_owner="Organization/x",
            canonical_base=SITE.canonical_base,
        )
        await deliverer.start()
        try:
            item = box.accept(
                "d1", "Encounter/e1", {"resourceType": "Bundle", "entry": []}, (), time.time(), 60
            )
            return await deliverer.deliver_now(item, 5)
        finally:
            await deliverer.stop()
            box.close()

    with caplog.at_level(logging.INFO):
        item = asyncio.run(go())
    assert item.state == FAILED
    assert any("no alert can be built for d1" in m for m in errors_logged(caplog))


@pytest.mark.integration
def test_a_discharge_changed_at_rest_is_not_posted_and_alerts_the_owner_with_its_reason(
    fhir_base_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # H128: the outbox's claim finds the payload changed since it was accepted; the deliverer
    # posts nothing of it, and the owner is alerted as for any discharge given up.
    owner = secretariat(fhir_base_url)
    record = fresh_record(uuid.uuid4().hex[:10])
    built = build_discharge(context_from_bundle(record), SITE)
    path = tmp_path / "outbox.sqlite3"
    box = SqliteOutbox(path)
    item = box.accept("changed-1", "Encounter/changed-1", built.bundle, (), time.time())
    box.close()
    with sqlite3.connect(path) as db:  # someone with access to the disk, or a bad restore
        db.execute("UPDATE discharge SET bundle = replace(bundle, 'niet-specifieke', 'specifieke')")
    transport = FaultyFhirServer([], [])

    async def go() -> tuple[OutboxItem | None, OutboxItem | None, Deliverer]:
        outbox = SqliteOutbox(path)
        client = FhirClient(fhir_base_url, transport=transport)
        deliverer = Deliverer(
            outbox,
            client,
            base_delay=0.01,
            max_delay=0.05,
            alert_owner=owner,
            canonical_base=SITE.canonical_base,
        )
        await deliverer.start()
        try:
            deliverer.wake()
            done = await deliverer.wait_for(item.id, 30)
            alert = await deliverer.wait_for(f"{item.id}-alert-1", 30)
            return done, alert, deliverer
        finally:
            await deliverer.stop()
            await client.aclose()
            outbox.close()

    with caplog.at_level(logging.INFO):
        done, alert, deliverer = asyncio.run(go())
    assert done is not None and done.state == FAILED
    assert alert is not None and alert.state == DELIVERED, alert
    assert transport.posts == {"discharge": 0, "alert": 1}  # nothing of the changed one posted
    [task] = tasks_for(fhir_base_url, owner)
    assert task["reasonCode"]["coding"][0]["code"] == "changed-at-rest"
    assert task["input"][0]["valueString"] == item.id
    assert (deliverer.refused_total, deliverer.alerts_queued_total) == (1, 1)
    # said at ERROR, by its ids only
    said = [
        r.getMessage()
        for r in caplog.records
        if r.name == "fhir_discharge.io.outbox" and r.levelno == logging.ERROR
    ]
    assert said == [
        f"outbox: {item.id} for {item.encounter} NOT delivered: its payload changed since it was "
        "accepted (the digest recorded then does not match); recorded failed, alert "
        f"{item.id}-alert-1 queued; discharge the encounter again"
    ]
    patient = resource(record, "Patient")
    assert not any(name["family"] in said[0] for name in patient.get("name", []))
