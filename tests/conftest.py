"""Real servers for the tests: a FHIR server and the service, each a process on loopback.

FHIR_DISCHARGE_TEST_FHIR_BASE_URL points the suite at another FHIR server (e.g. a HAPI FHIR
sandbox); otherwise the local sekmet-fhir sandbox is started for the session.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from fhir_discharge.sandbox import free_port, start_sandbox, wait_until_up


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
    port = free_port()
    log_path = tmp_path_factory.mktemp("service") / "service.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "fhir_discharge.cli", "serve", "--port", str(port)],
            env={
                **os.environ,
                "FHIR_DISCHARGE_FHIR_BASE_URL": fhir_base_url,
                "FHIR_DISCHARGE_OUTBOX_PATH": str(log_path.parent / "outbox.sqlite3"),
            },
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{url}/health", process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
