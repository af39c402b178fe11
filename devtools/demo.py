"""`make demo`: a local FHIR sandbox and the service on loopback, the example discharged twice.

The sandbox starts empty, as a server other than the EHR's: the record travels with the letter
(fhir_discharge/core/record/carry.py), so the letter is whole there. Both processes stop at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

from fhir_discharge.core.letter.composition import plain_text

from .sandbox import free_port, start_sandbox, wait_until_up

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "input" / "happy-path-bundle.json"


def demo(example: Path = EXAMPLE) -> int:
    """Start the sandbox and the service on loopback, discharge the example twice, stop both."""
    bundle = json.loads(example.read_text(encoding="utf-8"))
    scratch = tempfile.TemporaryDirectory(prefix="fhir-discharge-demo-")
    # The service serves no patient data without authentication: the demo makes itself a
    # development token, for this run only.
    token = secrets.token_urlsafe(24)
    auth = {"Authorization": f"Bearer {token}"}
    sandbox = start_sandbox()
    service = None
    try:
        # The sandbox starts empty, as a server other than the EHR's: the record travels with
        # the letter (carry.py), so the letter is whole there.
        print(f"FHIR sandbox:  {sandbox.base_url} (empty)")
        port = free_port()
        service = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
            [sys.executable, "-m", "fhir_discharge.cli", "serve", "--port", str(port)],
            env={
                **os.environ,
                "FHIR_DISCHARGE_FHIR_BASE_URL": sandbox.base_url,
                # The sandbox lives in memory for this run only; so does the demo's outbox.
                "FHIR_DISCHARGE_OUTBOX_PATH": str(Path(scratch.name) / "outbox.sqlite3"),
                "FHIR_DISCHARGE_API_TOKENS": json.dumps([token]),
            },
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        service_url = f"http://127.0.0.1:{port}"
        wait_until_up(f"{service_url}/health", service)
        print(f"service:       {service_url}")
        for attempt in ("first", "second"):
            print(f"\n== {attempt} discharge of {example.name} via POST /Encounter/$lbp-discharge")
            response = httpx.post(
                f"{service_url}/Encounter/$lbp-discharge",
                json=bundle,
                headers={"Content-Type": "application/fhir+json", **auth},
                timeout=60,
            )
            answer = response.json()
            print(f"HTTP {response.status_code}")
            if response.status_code >= 300:
                print(json.dumps(answer, indent=2, ensure_ascii=False))
                return 1
            _print_result(answer)
        letter_ref = _reference(answer, "letter")
        document = httpx.get(f"{service_url}/{letter_ref}/$document", headers=auth, timeout=30)
        print(
            f"\n== GET {letter_ref}/$document: the letter as a FHIR document (HTTP "
            f"{document.status_code})\n"
        )
        for entry in document.json().get("entry", []):
            print(f"  {entry['fullUrl']}")
        letter = httpx.get(f"{sandbox.base_url}/{letter_ref}", timeout=30).json()
        print("\n== the letter, as stored on the server, as plain text\n")
        print(plain_text(letter["text"]["div"]))
        return 0
    finally:
        if service is not None:
            service.terminate()
            service.wait(timeout=10)
        sandbox.stop()
        scratch.cleanup()


def _print_result(parameters: dict[str, Any]) -> None:
    for parameter in parameters["parameter"]:
        if parameter["name"] == "outcome":
            for issue in parameter["resource"]["issue"]:
                print(f"  {issue['severity']}: {issue['diagnostics']}")
            continue
        if "part" not in parameter:
            continue
        parts = {p["name"]: p for p in parameter["part"]}
        print(
            f"  {parameter['name']:<17} {parts['status']['valueCode']:<9} "
            f"{parts['location']['valueUri']}"
        )


def _reference(parameters: dict[str, Any], role: str) -> str:
    for parameter in parameters["parameter"]:
        if parameter["name"] == role:
            return str(
                next(p for p in parameter["part"] if p["name"] == "reference")["valueReference"][
                    "reference"
                ]
            )
    raise KeyError(role)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m devtools.demo", description=__doc__)
    parser.add_argument("--example", type=Path, default=EXAMPLE)
    sys.exit(demo(parser.parse_args().example))
