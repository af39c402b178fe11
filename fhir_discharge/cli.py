"""`fhir-discharge serve | discharge FILE | demo`."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx

from .config import Settings
from .context import context_from_bundle
from .errors import DischargeError, operation_outcome
from .fhir_client import FhirClient
from .letter import plain_text
from .logs import configure_logging
from .transaction import build_discharge

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "input" / "happy-path-bundle.json"


def serve(host: str, port: int) -> None:
    import uvicorn

    from .web.app import create_app

    configure_logging()
    uvicorn.run(create_app(), host=host, port=port, log_config=None)


async def discharge_file(path: Path, server: str | None, dry_run: bool) -> int:
    bundle = json.loads(path.read_text(encoding="utf-8"))
    settings = Settings()
    # The same transaction the service would post for this context Bundle.
    ctx = replace(context_from_bundle(bundle), carry_record=settings.carry_record)
    discharge = build_discharge(ctx)
    for warning in discharge.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if dry_run:
        print(json.dumps(discharge.bundle, indent=2, ensure_ascii=False))
        return 0
    async with FhirClient(server or settings.fhir_base_url) as client:
        for landed in await client.post_transaction(discharge.bundle):
            print(f"{'created ' if landed.created else 'existing'}  {landed.location}")
    return 0


def demo(example: Path = EXAMPLE) -> int:
    """Start the sandbox and the service on loopback, discharge the example twice, stop both."""
    from .sandbox import free_port, start_sandbox, wait_until_up

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fhir-discharge", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve_cmd = commands.add_parser("serve", help="run the HTTP service")
    serve_cmd.add_argument("--host", default="127.0.0.1")
    serve_cmd.add_argument("--port", type=int, default=8080)
    discharge_cmd = commands.add_parser("discharge", help="discharge a context Bundle from a file")
    discharge_cmd.add_argument("file", type=Path)
    target = discharge_cmd.add_mutually_exclusive_group()
    target.add_argument("--server", help="FHIR base URL (default: FHIR_DISCHARGE_FHIR_BASE_URL)")
    target.add_argument(
        "--dry-run", action="store_true", help="print the transaction, post nothing"
    )
    demo_cmd = commands.add_parser("demo", help="sandbox + service on loopback, one example")
    demo_cmd.add_argument("--example", type=Path, default=EXAMPLE)
    args = parser.parse_args(argv)

    if args.command == "serve":
        serve(args.host, args.port)
        return 0
    try:
        if args.command == "discharge":
            return asyncio.run(discharge_file(args.file, args.server, args.dry_run))
        return demo(args.example)
    except DischargeError as error:
        print(json.dumps(operation_outcome(error), indent=2, ensure_ascii=False), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
