"""Schemathesis against the running service's own OpenAPI: no input makes it answer 5xx.

Bounded for CI by time (FUZZ_API_SECONDS, default 40 s: some 2,000-3,000 requests here;
schemathesis 4 keeps fuzzing until its time budget whatever --max-examples says). Each refusal
must be a 4xx, and the service's OperationOutcome handlers make sure of the shape.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.servers import TEST_TOKEN

pytestmark = pytest.mark.slow

EXAMPLES_PER_OPERATION = int(os.environ.get("FUZZ_API_EXAMPLES", "150"))


def test_no_request_makes_the_service_fail(service_url, tmp_path: Path):
    report = tmp_path / "report.ndjson"
    run = subprocess.run(
        [
            str(Path(sys.executable).parent / "schemathesis"),
            "run",
            f"{service_url}/openapi.json",
            "--checks",
            "not_a_server_error",
            # The coverage phase alone sends tens of thousands of requests: CI keeps to a bounded
            # fuzzing run (about 2,000 requests); run with --phases all by hand for more.
            "--phases",
            "examples,fuzzing",
            "--max-examples",
            str(EXAMPLES_PER_OPERATION),
            "--header",
            f"Authorization: Bearer {TEST_TOKEN}",
            "--seed",
            "20261125",
            "--request-timeout",
            "30",
            "--max-time",
            os.environ.get("FUZZ_API_SECONDS", "40"),
            "--report",
            "ndjson",
            "--report-ndjson-path",
            str(report),
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-4000:]
    requests = _count_requests(report)
    print(f"\nschemathesis: {requests} requests, 0 server errors\n{output[-800:]}")
    assert requests >= 500, output[-2000:]


def _count_requests(report: Path) -> int:
    """Requests sent, from the NDJSON event stream (one ScenarioFinished per test case)."""
    count = 0
    for line in report.read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        (kind,) = event.keys() if len(event) == 1 else (None,)
        if kind == "ScenarioFinished":
            recorder = event[kind].get("recorder", {})
            count += len(recorder.get("interactions", {})) or 1
    return count
