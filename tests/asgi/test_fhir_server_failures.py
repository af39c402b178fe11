"""What the service answers when the FHIR server fails (the app in-process, the FHIR server a mock
transport): a refused transaction is 502 with the server's outcome, one it cannot take now is
accepted and queued, a failing read of the context is 502 or 504."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from fhir_discharge import build_discharge
from fhir_discharge.config import Settings
from fhir_discharge.io.fhir_client import FhirClient
from fhir_discharge.io.retry import RetryPolicy
from fhir_discharge.web.app import create_app
from tests.support.contexts import held_by_server
from tests.support.factories import happy_bundle
from tests.support.site import SITE

BASE = "http://fhir.test/fhir"
# Retries in these tests wait (almost) nothing: what is tested is whether and how often.
FAST = RetryPolicy(base_delay=0.001, max_delay=0.002)


def transaction() -> dict:
    return build_discharge(held_by_server(happy_bundle()), SITE).bundle


def call_service(fault, body, tmp_path):
    """The service in process (ASGI), its FHIR server replaced by `fault`."""

    async def run():
        client = FhirClient(BASE, transport=httpx.MockTransport(fault), retry=FAST)
        settings = Settings(
            outbox_path=str(tmp_path / "outbox.sqlite3"),
            sync_wait_seconds=0.5,
            api_tokens=["in-process-token"],
            public_base_url="http://service",  # status URLs name it, never the request's Host
        )
        app = create_app(settings, fhir_client=client)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://service"
        ) as http:
            async with app.router.lifespan_context(app):
                return await http.post(
                    "/Encounter/$lbp-discharge",
                    json=body,
                    headers={
                        "Content-Type": "application/fhir+json",
                        "Authorization": "Bearer in-process-token",
                    },
                )

    return asyncio.run(run())


def test_a_transaction_the_server_refuses_is_502_with_its_outcome(tmp_path):
    outcome = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "invalid", "diagnostics": "HAPI-1094: bad"}],
    }
    response = call_service(lambda r: httpx.Response(400, json=outcome), happy_bundle(), tmp_path)
    assert response.status_code == 502
    diagnostics = [i["diagnostics"] for i in response.json()["issue"]]
    assert "FHIR server: HAPI-1094: bad" in diagnostics
    assert response.headers["content-location"].startswith("http://service/discharges/")


def test_a_transaction_the_server_cannot_take_now_is_accepted_and_queued(tmp_path):
    def timeout(request):
        raise httpx.ConnectTimeout("t", request=request)

    response = call_service(timeout, happy_bundle(), tmp_path)
    assert response.status_code == 202
    answer = {p["name"]: p for p in response.json()["parameter"]}
    assert answer["state"]["valueCode"] in ("queued", "delivering")
    assert answer["lastFailure"]["resource"]["issue"][0]["code"] == "timeout"


@pytest.mark.parametrize(
    ("fault", "status"),
    [
        (lambda r: (_ for _ in ()).throw(httpx.ConnectTimeout("t", request=r)), 504),
        (lambda r: httpx.Response(503, text="down"), 502),
        (lambda r: (_ for _ in ()).throw(httpx.ConnectError("refused", request=r)), 502),
    ],
    ids=["timeout", "503", "refused"],
)
def test_reading_the_context_from_a_failing_server_is_502_or_504(fault, status, tmp_path):
    encounter = next(
        e["resource"]
        for e in happy_bundle()["entry"]
        if e["resource"]["resourceType"] == "Encounter"
    )
    response = call_service(fault, encounter, tmp_path)
    assert response.status_code == status
    assert response.json()["resourceType"] == "OperationOutcome"
