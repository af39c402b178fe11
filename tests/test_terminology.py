"""io/terminology.py without a terminology server: which codes of the record are asked about,
the settings, what the service says at start-up without a server, that every path runs the gate
through the terminology server, and the failure mode. The failures are injected with a mock
transport (a refused connection, a timeout, a 5xx, a dropped connection, an answer the server
could not have meant); the FHIR server the discharge would be written to is the real sandbox.
The server's real answers, batching and caching: tests/test_terminology_hapi.py (HAPI FHIR)."""

from __future__ import annotations

import ast
import asyncio
import json
import logging
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from fhir_discharge.config import Settings
from fhir_discharge.core.codes import SNOMED
from fhir_discharge.core.context import context_from_bundle
from fhir_discharge.io.terminology import (
    SNOMED_OID,
    TerminologyServer,
    snomed_codes,
    unplaced_snomed_codes,
)
from fhir_discharge.web.app import create_app
from tests.support.discharges import seeded
from tests.support.factories import add, clinical, condition, fresh_record, happy_bundle, resource
from tests.support.servers import AUTH, TEST_TOKEN

PACKAGE = Path(__file__).resolve().parents[1] / "fhir_discharge"
NOT_IN_THE_LISTS = "16848101000119100"  # a descendant of 415082004 (tests/support/terminology_hapi)


def coding(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


# --- what is asked --------------------------------------------------------------------------


def test_every_snomed_coding_of_the_record_is_collected_by_uri_or_oid_wherever_it_stands() -> None:
    bundle = happy_bundle()
    resource(bundle, "Encounter")["reasonCode"] = [coding(SNOMED_OID, "111111111")]
    add(
        bundle,
        clinical(
            "Observation",
            "o1",
            status="final",
            code=coding(SNOMED, "222222222"),
            component=[{"code": coding(SNOMED, "333333333"), "valueCodeableConcept": {}}],
            interpretation=[coding(SNOMED_OID, "444444444")],
        ),
    )
    add(
        bundle,
        clinical(
            "DiagnosticReport",
            "r1",
            status="final",
            code=coding("http://loinc.org", "24531-6"),
            conclusionCode=[coding(SNOMED, "555555555")],
        ),
    )
    practitioner = resource(bundle, "Practitioner")
    practitioner["qualification"] = [{"code": coding(SNOMED, "666666666")}]  # who, not what
    codes = snomed_codes(context_from_bundle(bundle))
    assert codes == {
        "279039007": "Condition/lbp-example-diagnosis",
        "111111111": "Encounter/lbp-example-encounter",
        "222222222": "Observation/o1",
        "333333333": "Observation/o1",
        "444444444": "Observation/o1",
        "555555555": "DiagnosticReport/r1",
    }


def test_codes_the_red_flag_lists_place_themselves_are_not_asked() -> None:
    bundle = add(happy_bundle(), condition("c1", SNOMED, "363358000"))  # listed: malignancy
    add(bundle, condition("c2", SNOMED, NOT_IN_THE_LISTS, encounter=False))
    assert unplaced_snomed_codes(context_from_bundle(bundle)) == {
        "279039007": "Condition/lbp-example-diagnosis",
        NOT_IN_THE_LISTS: "Condition/c2",
    }


# --- settings and start-up ------------------------------------------------------------------


def test_the_setting_is_an_absolute_http_base_url() -> None:
    given = Settings(terminology_server="https://tx.example.org/fhir/")
    assert given.terminology_server == "https://tx.example.org/fhir"
    assert Settings(terminology_server="").terminology_server is None
    for wrong in (
        "tx.example.org/fhir",
        "ftp://tx.example.org/fhir",
        "https://user:secret@tx.example.org/fhir",
        "https://tx.example.org/fhir?x=1",
    ):
        with pytest.raises(ValidationError) as raised:
            Settings(terminology_server=wrong)
        assert "secret" not in str(raised.value)
    for deadline in (0, -1, 121):
        with pytest.raises(ValidationError):
            Settings(terminology_deadline_seconds=deadline)
    with pytest.raises(ValidationError):
        Settings(terminology_cache_seconds=-1)


def test_without_a_server_the_service_says_once_at_start_up_that_it_matches_listed_concepts_only(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def said() -> list[str]:
        return [
            r.getMessage()
            for r in caplog.records
            if r.name == "fhir_discharge.io.terminology" and r.levelno == logging.WARNING
        ]

    with caplog.at_level(logging.INFO):
        create_app(Settings(api_tokens=[TEST_TOKEN]))
    assert len(said()) == 1
    assert "FHIR_DISCHARGE_TERMINOLOGY_SERVER is not set" in said()[0]
    assert "listed red-flag concepts only" in said()[0]
    caplog.clear()
    with caplog.at_level(logging.INFO):
        create_app(Settings(api_tokens=[TEST_TOKEN], terminology_server="http://127.0.0.1:9/f"))
    assert said() == []


def test_no_module_but_io_discharging_runs_the_gate_so_every_path_asks_the_terminology_server():
    """The operation, the CDS hook, the physician's app and the CLI build a discharge only through
    io/discharging.screened_discharge, which fills red_flags_by_terminology_server first."""
    callers = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith("core/"):
            continue  # the core is where build_discharge lives (and what a library user calls)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else None
                name = name or getattr(node.func, "id", None)
                if name == "build_discharge":
                    callers.append(relative)
    assert callers == ["io/discharging.py"]


# --- the failure mode: 503, nothing written -------------------------------------------------


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
        "http://terminology.test/fhir", deadline_seconds=0.5, transport=transport
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


def test_without_a_terminology_server_nothing_is_asked_and_the_context_is_unchanged(
    tmp_path: Path,
) -> None:
    settings = Settings(api_tokens=[TEST_TOKEN], outbox_path=str(tmp_path / "o.sqlite3"))
    bundle = add(happy_bundle(), condition("c2", SNOMED, NOT_IN_THE_LISTS, encounter=False))
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        assert client.app.state.terminology_server is None  # type: ignore[attr-defined]
        answer = client.post("/Encounter/$lbp-discharge?_dry-run=true", json=bundle, headers=AUTH)
    # The gate sees the listed concepts only: the descendant passes (the residual risk H56).
    assert answer.status_code == 200, answer.text


def test_the_value_sets_asked_for_are_the_published_ones_by_url_and_version() -> None:
    """The server is asked about profiles/' red-flag ValueSets, the version this release built."""
    from fhir_discharge.core.canonicals import VERSION, red_flag_value_set
    from fhir_discharge.core.codes import RED_FLAG_ITEMS
    from fhir_discharge.io.terminology import CONTROLS

    compiled = PACKAGE.parent / "profiles" / "fsh-generated" / "resources"
    for item in RED_FLAG_ITEMS:
        value_set = json.loads((compiled / f"ValueSet-lbp-red-flag-{item}.json").read_text())
        assert (value_set["url"], value_set["version"]) == (red_flag_value_set(item), VERSION)
        # The control of each category is one of its own concepts, included with its descendants.
        includes = value_set["compose"]["include"]
        filters = [f for include in includes for f in include.get("filter", [])]
        assert {"property": "concept", "op": "is-a", "value": CONTROLS[item]} in filters


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
        "http://terminology.test/fhir", deadline_seconds=0.5, transport=transport
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
