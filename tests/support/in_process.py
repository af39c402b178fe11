"""The service in the test's own process (no server of its own): the FHIR server a function of
the request, or a real one on loopback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from fhir_discharge.config import Settings
from fhir_discharge.io.fhir_client import FhirClient
from fhir_discharge.io.retry import RetryPolicy
from fhir_discharge.web.app import create_app


def in_process_app(config: Settings, fhir: Callable[[httpx.Request], httpx.Response]) -> TestClient:
    """The app with `fhir` answering its FHIR requests, one attempt each; enter it (`with`) to
    run the lifespan (outbox, deliverer). Errors are answered as the service answers them."""
    client = FhirClient(
        config.fhir_base_url,
        transport=httpx.MockTransport(fhir),
        retry=RetryPolicy(attempts=1, base_delay=0.01, max_delay=0.01, total_seconds=1),
    )
    return TestClient(create_app(config, fhir_client=client), raise_server_exceptions=False)


def service_on(fhir_base_url: str, tmp_path: Path, token: str) -> TestClient:
    """The app on a real FHIR server (the sandbox), the EHR a system with bearer `token`, its
    outbox under `tmp_path`, a discharge waited for up to 30 s; enter it (`with`)."""
    settings = Settings(
        fhir_base_url=fhir_base_url,
        outbox_path=str(tmp_path / "outbox.sqlite3"),
        api_tokens=[token],
        cds_fhir_servers=[fhir_base_url],
        sync_wait_seconds=30,
    )
    return TestClient(create_app(settings), raise_server_exceptions=False)
