"""SNOMED CT descendants of the red flags, asked of a real terminology server: HAPI FHIR 8.8.0
(tools/hapi) with a small SNOMED CT fragment loaded by `$upload-external-code-system` (RF2) and
our red-flag ValueSets stored (tests/support/terminology_hapi.py says what was verified, where,
and why this way). The record's FHIR server is the sandbox; the service runs in-process.

- a descendant of a red-flag concept, unknown to codes.py, is placed in its category: in the
  context the I/O layer hands the gate, whichever way the record comes (the operation with a
  Bundle, a bare Encounter or an id, the CDS hook, the physician's app, the CLI);
- the questions of a discharge go in one batch Bundle; a second discharge with the same codes
  asks nothing (the cache); a server without batch is asked with GETs;
- a code the server does not know refuses (422);
- the gate reads what the server placed: the descendant refuses the discharge as its red flag.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

import fhir_discharge.io.discharging
from fhir_discharge.cli import discharge_file
from fhir_discharge.config import Settings
from fhir_discharge.core.codes import SNOMED
from fhir_discharge.core.record.context import DischargeContext, context_from_bundle
from fhir_discharge.core.terminology import RED_FLAG_CODES
from fhir_discharge.errors import IncompleteRecord, NotOnPathway
from fhir_discharge.io.app_sessions import AppSession
from fhir_discharge.io.terminology import (
    CONTROLS,
    SNOMED_OID,
    TerminologyServer,
    with_red_flags_by_terminology_server,
)
from fhir_discharge.web.app import create_app
from tests.support.factories import add, clinical, condition, fresh_record, happy_bundle, resource
from tests.support.seeding import seed
from tests.support.servers import AUTH, TEST_TOKEN
from tests.support.site import SITE
from tests.support.terminology_hapi import (
    LUNG_CANCER_HISTORY_RIGHT,
    PULMONARY_NODULE,
    start_terminology_hapi,
)

pytestmark = pytest.mark.slow

LOW_BACK_PAIN = "279039007"  # in the example record; codes.py's diagnosis, no red flag
ACUTE_LOW_BACK_PAIN = "278862001"
PLACED = {(SNOMED, LUNG_CANCER_HISTORY_RIGHT): "malignancy"}


@pytest.fixture(scope="module")
def terminology_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = start_terminology_hapi(tmp_path_factory.mktemp("terminology-hapi"))
    try:
        yield server.base_url
    finally:
        server.stop()


class Recording(httpx.AsyncBaseTransport):
    """A real connection to the terminology server, every request kept; `refuse_batches`: the
    server's base answers 405 to a POST (as one without batch support does)."""

    def __init__(self, refuse_batches: bool = False) -> None:
        self.real = httpx.AsyncHTTPTransport()
        self.refuse_batches = refuse_batches
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.refuse_batches and request.method == "POST":
            return httpx.Response(405, json={"resourceType": "OperationOutcome", "issue": []})
        return await self.real.handle_async_request(request)

    async def aclose(self) -> None:
        await self.real.aclose()


def with_problems(bundle: dict[str, Any], *codes: str, system: str = SNOMED) -> dict[str, Any]:
    """Active problems of the patient (not of this encounter), one per code."""
    patient = f"Patient/{resource(bundle, 'Patient')['id']}"
    for i, code in enumerate(codes):
        add(bundle, condition(f"problem-{i}", system, code, encounter=False, patient=patient))
    return bundle


def ask(terminology_url: str, ctx: DischargeContext) -> DischargeContext:
    """The context as the I/O layer hands it to the gate (a server of its own: nothing cached)."""

    async def run() -> DischargeContext:
        async with TerminologyServer(terminology_url, canonical_base=SITE.canonical_base) as server:
            return await with_red_flags_by_terminology_server(ctx, server)

    return asyncio.run(run())


async def placed(server: TerminologyServer, bundle: dict[str, Any]) -> dict[Any, str]:
    ctx = await with_red_flags_by_terminology_server(context_from_bundle(bundle), server)
    return dict(ctx.red_flags_by_terminology_server)


# --- what the server says -------------------------------------------------------------------


def test_a_descendant_of_a_red_flag_unknown_to_codes_py_is_placed_in_its_category(
    terminology_url: str,
) -> None:
    assert RED_FLAG_CODES.match(SNOMED, LUNG_CANCER_HISTORY_RIGHT) is None  # codes.py: unknown
    ctx = context_from_bundle(with_problems(happy_bundle(), LUNG_CANCER_HISTORY_RIGHT))
    assert ctx.red_flags_by_terminology_server == {}
    handed = ask(terminology_url, ctx)
    assert handed.red_flags_by_terminology_server == PLACED


def test_a_descendant_written_with_the_oid_anywhere_in_the_record_is_placed_under_the_uri(
    terminology_url: str,
) -> None:
    bundle = happy_bundle()
    finding = {"coding": [{"system": SNOMED_OID, "code": LUNG_CANCER_HISTORY_RIGHT}]}
    add(bundle, clinical("Observation", "o1", status="final", code=finding))
    handed = ask(terminology_url, context_from_bundle(bundle))
    assert handed.red_flags_by_terminology_server == PLACED


def test_codes_that_are_no_red_flag_are_not_placed(terminology_url: str) -> None:
    ctx = context_from_bundle(with_problems(happy_bundle(), PULMONARY_NODULE))
    handed = ask(terminology_url, ctx)
    assert handed.red_flags_by_terminology_server == {}


def test_a_code_the_server_does_not_know_refuses_naming_it(terminology_url: str) -> None:
    ctx = context_from_bundle(with_problems(happy_bundle(), "1234567890123"))
    with pytest.raises(IncompleteRecord) as refused:
        ask(terminology_url, ctx)
    [finding] = refused.value.findings
    assert "SNOMED CT 1234567890123 is not known to the terminology server" in finding.message
    assert finding.expression == "Condition/problem-0"
    # coded, for an EHR to route, and said in Dutch in the app and on the card
    assert finding.code == "code-unknown-to-terminology-server"
    assert finding.params == {"code": "1234567890123", "resource": "Condition/problem-0"}


# --- batched, cached ------------------------------------------------------------------------


def test_one_discharge_asks_in_one_batch_and_the_next_asks_only_what_it_has_not_asked(
    terminology_url: str,
) -> None:
    transport = Recording()

    async def run() -> None:
        async with TerminologyServer(
            terminology_url, transport=transport, canonical_base=SITE.canonical_base
        ) as server:
            first = with_problems(happy_bundle(), LUNG_CANCER_HISTORY_RIGHT, PULMONARY_NODULE)
            assert await placed(server, first) == PLACED
            [request] = transport.requests
            assert request.method == "POST" and request.url.path.endswith("/fhir/")
            bundle = json.loads(request.content)
            assert bundle["type"] == "batch"
            # Three codes the lists do not place (low back pain, the descendant, the nodule):
            # whether the server knows each, and each of 7 categories; one control per category.
            assert len(bundle["entry"]) == 3 * (1 + 7) + len(CONTROLS)
            assert {e["request"]["method"] for e in bundle["entry"]} == {"GET"}

            # Another patient with the same codes: all cached, nothing asked.
            other = with_problems(
                fresh_record("cache"), PULMONARY_NODULE, LUNG_CANCER_HISTORY_RIGHT
            )
            assert await placed(server, other) == PLACED
            assert len(transport.requests) == 1

            # A new code: one more batch, with its questions only (and the controls).
            assert await placed(server, with_problems(happy_bundle(), ACUTE_LOW_BACK_PAIN)) == {}
            assert len(transport.requests) == 2
            entries = json.loads(transport.requests[1].content)["entry"]
            assert len(entries) == 1 * 8 + len(CONTROLS)

    asyncio.run(run())


def test_a_server_that_takes_no_batch_is_asked_with_gets_from_then_on(
    terminology_url: str,
) -> None:
    transport = Recording(refuse_batches=True)

    async def run() -> None:
        async with TerminologyServer(
            terminology_url, transport=transport, canonical_base=SITE.canonical_base
        ) as server:
            bundle = with_problems(happy_bundle(), LUNG_CANCER_HISTORY_RIGHT)
            assert await placed(server, bundle) == PLACED
            methods = [r.method for r in transport.requests]
            assert methods == ["POST"] + ["GET"] * (2 * 8 + len(CONTROLS))
            assert await placed(server, with_problems(happy_bundle(), PULMONARY_NODULE)) == {}
            asked_then = [r.method for r in transport.requests[len(methods) :]]
            assert asked_then == ["GET"] * (8 + len(CONTROLS))

    asyncio.run(run())


# --- every path hands the gate what the server said -----------------------------------------


@pytest.fixture
def handed_to_the_gate(monkeypatch: pytest.MonkeyPatch) -> list[DischargeContext]:
    """The contexts io/discharging.py hands the gate (build_discharge), as they were."""
    seen: list[DischargeContext] = []
    real = fhir_discharge.io.discharging.build_discharge

    def build(ctx: DischargeContext, language: str = "nl-BE", **options: Any) -> Any:
        seen.append(ctx)
        return real(ctx, language, **options)

    monkeypatch.setattr(fhir_discharge.io.discharging, "build_discharge", build)
    return seen


def seeded(fhir_base_url: str) -> dict[str, Any]:
    """A record of its own on the sandbox, with the descendant as an active problem."""
    record = with_problems(fresh_record(uuid.uuid4().hex[:10]), LUNG_CANCER_HISTORY_RIGHT)

    seed(fhir_base_url, [e["resource"] for e in record["entry"]])
    return record


def physician_session(app: Any, record: dict[str, Any], iss: str) -> str:
    """The app's session for the record's launch, as the service opens one after the code
    exchange (io/smart_launch.py): bound to the patient, the encounter and the physician."""
    physician = next(
        p["individual"]["reference"] for p in resource(record, "Encounter")["participant"]
    )
    launch = AppSession(
        iss=iss,
        patient=resource(record, "Patient")["id"],
        encounter=resource(record, "Encounter")["id"],
        practitioner=physician,
        access_token="sandbox-" + uuid.uuid4().hex,
        expires=time.time() + 600,
    )
    return str(app.state.app_sessions.open(launch, time.time()))


def test_every_path_that_runs_the_gate_hands_it_what_the_server_said(
    terminology_url: str,
    fhir_base_url: str,
    tmp_path: Path,
    handed_to_the_gate: list[DischargeContext],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    record = seeded(fhir_base_url)
    encounter = resource(record, "Encounter")
    settings = Settings(
        fhir_base_url=fhir_base_url,
        api_tokens=[TEST_TOKEN],
        outbox_path=str(tmp_path / "outbox.sqlite3"),
        terminology_server=terminology_url,
    )
    dry = "?_dry-run=true"
    answers = {**{i.link_id: False for i in SITE.pathway.screening.items}, "brochure-given": True}
    paths: dict[str, Any] = {}
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        physician = {"Authorization": f"Bearer {physician_session(app, record, fhir_base_url)}"}
        paths["operation, context Bundle"] = client.post(
            f"/Encounter/$lbp-discharge{dry}", json=record, headers=AUTH
        )
        paths["operation, bare Encounter"] = client.post(
            f"/Encounter/$lbp-discharge{dry}", json=encounter, headers=AUTH
        )
        paths["operation, by id (the app's confirm)"] = client.post(
            f"/Encounter/{encounter['id']}/$lbp-discharge{dry}", headers=AUTH
        )
        paths["CDS hook"] = client.post(
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
        paths["app, record"] = client.get(
            "/app/api/record",
            params={"iss": fhir_base_url, "encounter": encounter["id"]},
            headers=physician,
        )
        paths["app, preview"] = client.post(
            "/app/api/preview",
            headers=physician,
            json={
                "iss": fhir_base_url,
                "encounter": encounter["id"],
                "answers": answers,
                "screening_id": str(uuid.uuid4()),
            },
        )
    for path, answer in paths.items():
        assert answer.status_code in (200, 422), f"{path}: {answer.status_code} {answer.text}"
    assert len(handed_to_the_gate) == len(paths)

    bundle_file = tmp_path / "record.json"
    bundle_file.write_text(json.dumps(record), encoding="utf-8")
    monkeypatch.setenv("FHIR_DISCHARGE_TERMINOLOGY_SERVER", terminology_url)
    with pytest.raises(NotOnPathway):  # the gate reads what the server placed
        asyncio.run(discharge_file(bundle_file, None, dry_run=True))
    paths["CLI"] = None

    assert len(handed_to_the_gate) == len(paths)
    for path, ctx in zip(paths, handed_to_the_gate, strict=True):
        assert ctx.red_flags_by_terminology_server == PLACED, path


def test_the_descendant_refuses_the_discharge_as_malignancy(
    terminology_url: str, tmp_path: Path
) -> None:
    settings = Settings(
        api_tokens=[TEST_TOKEN],
        outbox_path=str(tmp_path / "outbox.sqlite3"),
        terminology_server=terminology_url,
    )
    bundle = with_problems(happy_bundle(), LUNG_CANCER_HISTORY_RIGHT)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        answer = client.post("/Encounter/$lbp-discharge?_dry-run=true", json=bundle, headers=AUTH)
    assert answer.status_code == 422, answer.text[:300]
    issues = answer.json()["issue"]
    assert any(
        i.get("expression") == ["Condition/problem-0"] and "malignancy" in i["diagnostics"]
        for i in issues
    ), issues
