"""Real servers for the tests: a FHIR server and the service, each a process on loopback.

FHIR_DISCHARGE_TEST_FHIR_BASE_URL points the suite at another FHIR server (e.g. a HAPI FHIR
sandbox); otherwise the local sekmet-fhir sandbox is started for the session.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from fhir_discharge.sandbox import start_sandbox
from tests.servers import start_service
from tests.validator_fixture import fhir_validator  # noqa: F401 (a session fixture)


@pytest.fixture(scope="session")
def fhir_base_url() -> Iterator[str]:
    external = os.environ.get("FHIR_DISCHARGE_TEST_FHIR_BASE_URL")
    if external:
        yield external.rstrip("/")
        return
    server = start_sandbox()
    try:
        yield server.base_url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def service_url(fhir_base_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    service = start_service(fhir_base_url, tmp_path_factory.mktemp("service"))
    try:
        yield service.url
    finally:
        service.stop()
