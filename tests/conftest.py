"""The suite's lanes, and the real servers the integration lane shares.

Each test lives in the folder of what it needs, and is marked with the folder's name:
- `tests/unit`: pure code, no server, no socket (tests/support/no_sockets.py holds that);
- `tests/asgi`: the service in this process (FastAPI's TestClient, httpx's MockTransport), no
  socket either;
- `tests/integration`: real servers on loopback (the sandbox, HAPI FHIR, PostgreSQL, the service
  as a process, stub servers where a real socket is the point);
- `tests/browser`: the physician's app and /docs in Chromium (Playwright).
`make test-fast` runs the first two; `make test` all four. `tests/support/` is shared.

FHIR_DISCHARGE_TEST_FHIR_BASE_URL points the suite at another FHIR server (e.g. a HAPI FHIR
sandbox); otherwise the local sekmet-fhir sandbox is started for the session.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import fhir_discharge.core.transaction
from devtools.sandbox import start_sandbox
from tests.support.built_bundles import BUILT_BUNDLES, RecordedDischarge
from tests.support.hapi_server import hapi_base_url  # noqa: F401 (a session fixture)
from tests.support.postgres import postgres_url  # noqa: F401 (a session fixture)
from tests.support.servers import start_service
from tests.support.validator_fixture import fhir_validator  # noqa: F401 (a session fixture)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from tests.support.validator_fixture import last_summary

    summary = last_summary()
    if summary:
        terminalreporter.write_line(summary)
    terminalreporter.write_line(f"distinct transaction Bundles built: {len(BUILT_BUNDLES)}")


TESTS = Path(__file__).resolve().parent
LANES = ("unit", "asgi", "integration", "browser")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        lane = item.path.resolve().relative_to(TESTS).parts[0]
        if lane in LANES:
            item.add_marker(lane)
    # The conformance checks run last: they validate every Bundle the tests before them built.
    last = [i for i in items if i.module is not None and i.module.__name__.endswith("conformance")]
    items[:] = [i for i in items if i not in last] + last


@pytest.fixture(scope="session", autouse=True)
def record_built_bundles() -> Iterator[None]:
    """Keep every Bundle built in this process for the conformance checks that run last
    (tests/unit/test_conformance.py, tests/integration/test_hapi_conformance.py;
    built_bundles.py)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fhir_discharge.core.transaction, "Discharge", RecordedDischarge)
        yield


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
