"""The service in the test's own process (no server): the FHIR server a function of the request."""

from __future__ import annotations

from collections.abc import Callable

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
