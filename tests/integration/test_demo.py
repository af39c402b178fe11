"""The README's first command (`make demo`, i.e. `python -m devtools.demo`) does what it says:
an empty sandbox and the service on loopback, the example discharged, the repeat creating
nothing, the letter read back as a FHIR document and as Dutch text, both processes stopped."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
ROLES = (
    "letter",
    "brochure",
    "carePlan",
    "followUpOneWeek",
    "followUpSixWeeks",
    "letterToGp",
    "ehealthboxTask",
    "document",
    "provenance",
    "service",
)


def test_the_demo_discharges_the_example_once_and_reads_the_letter_back() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "devtools.demo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    first, second = run.stdout.split("== second discharge", 1)
    assert "HTTP 201" in first and "HTTP 200" in second
    for role in ROLES:
        assert re.search(rf"^  {role} +created +http://127\.0\.0\.1:\d+/fhir/", first, re.M), role
        assert re.search(rf"^  {role} +existing ", second, re.M), role
    assert "$document: the letter as a FHIR document (HTTP 200)" in second
    assert "Geachte collega," in second
    assert "niet-specifieke mechanische lage rugpijn" in second
    # Both processes are stopped: nothing listens on their ports any more.
    ports = re.findall(r"^(?:FHIR sandbox|service): +http://127\.0\.0\.1:(\d+)", run.stdout, re.M)
    assert len(ports) == 2, run.stdout[:400]
    for port in ports:
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", int(port))) != 0, f"port {port} still open"
