"""A terminology server that cannot answer (refused, dropped, too slow, 503, an answer it cannot
have meant): the discharge is refused with 503 within the deadline, and nothing is accepted or
written on the FHIR server (the sandbox)."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from fhir_discharge.config import Settings
from fhir_discharge.io.terminology import TerminologyServer
from fhir_discharge.web.app import create_app
from tests.support.discharges import seeded
from tests.support.factories import fresh_record, resource
from tests.support.servers import AUTH, TEST_TOKEN
from tests.support.site import SITE


class Faulty(httpx.AsyncBaseTransport):
    """A terminology server that fails as `fail` says, counting what it was asked."""

    def __init__(self, fail: Callable[[httpx.Request], Any]) -> None:
        self.fail = fail
        self.requests = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        result = self.fail(request)
        if asyncio.iscoroutine(result):
            result = await result
        return result  # type: ignore[no-any-return]


def _refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


def _dropped(request: httpx.Request) -> httpx.Response:
    raise httpx.RemoteProtocolError("server disconnected without a response", request=request)


async def _slow(request: httpx.Request) -> httpx.Response:
    await asyncio.sleep(5)
    return httpx.Response(200, json={})


def _unavailable(request: httpx.Request) -> httpx.Response:
    return httpx.Response(503, json={"resourceType": "OperationOutcome", "issue": []})


def _says_no_to_everything(request: httpx.Request) -> httpx.Response:
    """An answer it cannot have meant: not even the red flags' own concepts are in their
    ValueSets (HAPI answers so for a ValueSet it cannot evaluate)."""
    bundle = json.loads(request.content)
    no = {"resourceType": "Parameters", "parameter": [{"name": "result", "valueBoolean": False}]}
    entries = [{"response": {"status": "200 OK"}, "resource": no} for _ in bundle["entry"]]
    return httpx.Response(
        200, json={"resourceType": "Bundle", "type": "batch-response", "entry": entries}
    )


def _not_a_batch_response(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"resourceType": "Bundle", "type": "searchset", "entry": []})


FAULTS = {
    "refused": _refused,
    "dropped": _dropped,
    "too slow": _slow,
    "503": _unavailable,
    "ValueSets not usable": _says_no_to_everything,
    "not a batch-response": _not_a_batch_response,
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_terminology_server_that_cannot_answer_refuses_with_503_and_nothing_is_written(
    fault: str, fhir_base_url: str, tmp_path: Path
) -> None:
    tag = uuid.uuid4().hex[:10]
    record = fresh_record(tag)
    settings = Settings(
        fhir_base_url=fhir_base_url,
        api_tokens=[TEST_TOKEN],
        outbox_path=str(tmp_path / "outbox.sqlite3"),
        sync_wait_seconds=5,
    )
    transport = Faulty(FAULTS[fault])
    server = TerminologyServer(
        "http://terminology.test/fhir",
        deadline_seconds=0.5,
        transport=transport,
        canonical_base=SITE.canonical_base,
    )
    app = create_app(settings, terminology_server=server)
    with TestClient(app, raise_server_exceptions=False) as client:
        started = time.monotonic()
        answer = client.post("/Encounter/$lbp-discharge", json=record, headers=AUTH)
        took = time.monotonic() - started
        counts = app.state.deliverer.outbox.counts()
    asyncio.run(server.aclose())
    assert answer.status_code == 503, answer.text
    outcome = answer.json()
    assert outcome["resourceType"] == "OperationOutcome"
    [issue] = outcome["issue"]
    assert issue["code"] == "transient"
    assert "terminology server" in issue["diagnostics"]
    assert "nothing was written" in issue["diagnostics"]
    assert transport.requests >= 1
    assert took < 3, "bounded by the deadline (0.5 s), not by the slow server (5 s)"
    # Nothing accepted, nothing on the FHIR server.
    assert sum(counts.values()) == 0, counts
    identifier = resource(record, "Encounter")["identifier"][0]
    found = httpx.get(
        f"{fhir_base_url}/Encounter",
        params={"identifier": f"{identifier['system']}|{identifier['value']}"},
        headers={"Accept": "application/fhir+json"},
        timeout=30,
    ).json()
    assert not found.get("entry"), "the record was written"


@pytest.mark.parametrize("fault", ["refused", "503", "ValueSets not usable"])
def test_the_cds_hook_says_in_dutch_that_the_terminology_server_did_not_answer(
    fault: str, fhir_base_url: str, tmp_path: Path
) -> None:
    """A card, not the operation's 503: an EHR shows no one a CDS service's error, and no card
    would read as no objection. No letter is suggested, nothing is written."""
    record = seeded(fhir_base_url)
    encounter = resource(record, "Encounter")
    settings = Settings(
        fhir_base_url=fhir_base_url,
        api_tokens=[TEST_TOKEN],
        outbox_path=str(tmp_path / "outbox.sqlite3"),
    )
    transport = Faulty(FAULTS[fault])
    server = TerminologyServer(
        "http://terminology.test/fhir",
        deadline_seconds=0.5,
        transport=transport,
        canonical_base=SITE.canonical_base,
    )
    app = create_app(settings, terminology_server=server)
    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.post(
            "/cds-services/lbp-discharge",
            headers=AUTH,
            json={
                "hook": "encounter-discharge",
                "hookInstance": str(uuid.uuid4()),
                "fhirServer": fhir_base_url,
                "context": {
                    "userId": encounter["participant"][0]["individual"]["reference"],
                    "patientId": resource(record, "Patient")["id"],
                    "encounterId": encounter["id"],
                },
            },
        )
        counts = app.state.deliverer.outbox.counts()
    asyncio.run(server.aclose())
    assert answer.status_code == 200, answer.text
    [card] = answer.json()["cards"]
    assert card["indicator"] == "warning"
    assert card["summary"] == (
        "Alarmsignalen niet volledig nagekeken: de terminologieserver antwoordde niet. Geen "
        "ontslagbrief voorgesteld."
    )
    assert len(card["summary"]) < 140  # CDS Hooks 2.0, Card.summary
    assert "terminologieserver antwoordde niet" in card["detail"]
    assert "er werd niets weggeschreven" in card["detail"]
    assert "suggestions" not in card and "links" not in card
    assert transport.requests >= 1
    assert sum(counts.values()) == 0, counts
