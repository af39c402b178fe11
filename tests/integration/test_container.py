"""The Docker image, built and run with podman: it starts, answers /health, and does a dry run.

Run with `python -m pytest -m container`; the first run makes podman's base image (minutes).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devtools.sandbox import free_port
from tests.support.container_harness import (
    build_image,
    network_of,
    podman,
    podman_available,
    run_container,
    stop_container,
    wait_until_healthy,
)
from tests.support.servers import AUTH, TEST_TOKEN

pytestmark = [pytest.mark.container, pytest.mark.slow]

TAG = "localhost/fhir-discharge:test"
HAPPY_PATH = Path(__file__).resolve().parents[2] / "examples/input/happy-path-bundle.json"
FHIR_JSON = "application/fhir+json"


@pytest.fixture(scope="module")
def image() -> str:
    reason = podman_available()
    if reason:
        pytest.skip(reason)
    build_image(TAG)
    return TAG


@pytest.fixture(scope="module")
def container(image: str) -> Iterator[tuple[str, str]]:
    """(container id, base URL) of the running image. A dry run never calls the FHIR server, so
    the base URL points at a closed port."""
    port = free_port()
    env = {
        "FHIR_DISCHARGE_FHIR_BASE_URL": "http://127.0.0.1:9/fhir",
        "FHIR_DISCHARGE_API_TOKENS": f'["{TEST_TOKEN}"]',
    }
    container_id = run_container(image, port, env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(f"{url}/health", container_id)
        yield container_id, url
    finally:
        stop_container(container_id)


def test_health(container: tuple[str, str]) -> None:
    _, url = container
    response = httpx.get(f"{url}/health", timeout=10)
    assert response.status_code == 200


def test_dry_run_answers_a_transaction_bundle(container: tuple[str, str]) -> None:
    _, url = container
    body = json.loads(HAPPY_PATH.read_text(encoding="utf-8"))
    response = httpx.post(
        f"{url}/Encounter/$lbp-discharge",
        params={"_dry-run": "true"},
        json=body,
        headers={"Content-Type": FHIR_JSON, "Accept": FHIR_JSON, **AUTH},
        timeout=30,
    )
    assert response.status_code == 200, response.text[:2000]
    bundle = response.json()
    assert bundle["resourceType"] == "Bundle"
    assert bundle["type"] == "transaction"
    assert bundle["entry"]


def test_image_healthcheck_passes(container: tuple[str, str]) -> None:
    container_id, _ = container
    if network_of(container_id) == "host":
        pytest.skip("on the host network the service is not on the HEALTHCHECK's port")
    result = podman("healthcheck", "run", container_id, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_runs_as_non_root(image: str) -> None:
    result = podman("run", "--rm", "--no-healthcheck", image, "id", "-u")
    assert result.stdout.strip() == "10001"


def test_has_no_compiler(image: str) -> None:
    found = podman(
        "run", "--rm", "--no-healthcheck", image,
        "sh", "-c", "command -v gcc cc c++ g++ clang make || true",
    )  # fmt: skip
    assert found.stdout.strip() == ""


def test_the_image_renders_the_letter_as_pdf(image: str) -> None:
    """The PDF letter needs fpdf2, the bundled font and the default site file inside the image,
    not only here."""
    script = (
        "from fhir_discharge.config import DEFAULT_SITE_FILE, load_site\n"
        "from fhir_discharge.core.rendering import render_letter_pdf\n"
        "SITE = load_site(DEFAULT_SITE_FILE)\n"
        "doc = {'resourceType': 'Bundle', 'type': 'document', 'timestamp': "
        "'2026-11-25T12:40:00+01:00', 'identifier': {'system': 'urn:ietf:rfc:3986', "
        "'value': 'urn:uuid:0'}, 'entry': [{'fullUrl': 'http://x/fhir/Composition/c', "
        "'resource': {'resourceType': 'Composition', 'id': 'c', 'status': 'final', "
        "'date': '2026-11-25T12:40:00+01:00', 'title': 'Ontslagbrief', 'section': []}}]}\n"
        "print(render_letter_pdf(doc, SITE)[:5].decode())\n"
    )
    result = podman("run", "--rm", "--no-healthcheck", image, "python", "-c", script)
    assert result.stdout.strip() == "%PDF-"


def test_the_image_can_use_a_postgresql_outbox(image: str) -> None:
    """Replicas share a PostgreSQL outbox: its driver must be in the image."""
    script = "import psycopg, fhir_discharge.io.outbox.postgres; print(psycopg.__version__)"
    result = podman("run", "--rm", "--no-healthcheck", image, "python", "-c", script)
    assert result.stdout.strip()[:1].isdigit()
