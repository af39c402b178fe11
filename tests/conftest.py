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
from tests.support.built_bundles import BUILT_BUNDLES, RecordedDischarge, built_elsewhere, leave
from tests.support.hapi_server import hapi_base_url  # noqa: F401 (a session fixture)
from tests.support.postgres import postgres_url  # noqa: F401 (a session fixture)
from tests.support.servers import start_service
from tests.support.validator_fixture import fhir_validator  # noqa: F401 (a session fixture)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from tests.support.validator_fixture import last_summary

    summary = last_summary()
    if summary:
        terminalreporter.write_line(summary)
    # With several workers (make test-fast), what they left for the conformance check.
    built = BUILT_BUNDLES | built_elsewhere()
    terminalreporter.write_line(f"distinct transaction Bundles built: {len(built)}")


TESTS = Path(__file__).resolve().parent
LANES = ("unit", "asgi", "integration", "browser")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        lane = item.path.resolve().relative_to(TESTS).parts[0]
        if lane in LANES:
            item.add_marker(lane)
    # On several workers (pytest-xdist: `make test-fast`), the slow tests first, so that each
    # starts at once instead of finishing alone at the end; in one process, the lanes in order.
    # The conformance checks last: they validate every Bundle the tests before them built.
    slow_first = "PYTEST_XDIST_WORKER" in os.environ

    def place(item: pytest.Item) -> int:
        if item.module is not None and item.module.__name__.endswith("conformance"):
            return 2
        return 0 if slow_first and item.get_closest_marker("slow") else 1

    items.sort(key=place)  # stable: otherwise in the order collected


@pytest.fixture(scope="session", autouse=True)
def record_built_bundles() -> Iterator[None]:
    """Keep every Bundle built in this process for the conformance checks that run last
    (tests/unit/test_conformance.py, tests/integration/test_hapi_conformance.py;
    built_bundles.py); when the lanes run in several processes, leave them for the check that
    runs after them all (built_bundles.leave)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fhir_discharge.core.transaction, "Discharge", RecordedDischarge)
        yield
    leave()


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
