"""`fhir-discharge serve | discharge FILE`."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import replace
from pathlib import Path

from .config import Settings
from .core.context import context_from_bundle
from .core.transaction import build_discharge
from .errors import DischargeError, operation_outcome
from .io.fhir_client import FhirClient
from .logs import configure_logging


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
    args = parser.parse_args(argv)

    if args.command == "serve":
        serve(args.host, args.port)
        return 0
    try:
        return asyncio.run(discharge_file(args.file, args.server, args.dry_run))
    except DischargeError as error:
        print(json.dumps(operation_outcome(error), indent=2, ensure_ascii=False), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
