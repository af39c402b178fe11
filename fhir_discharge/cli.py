"""`fhir-discharge serve | discharge FILE`.

`discharge` builds and posts as the service does, from the same settings (the environment's
`FHIR_DISCHARGE_...`): the letter in the configured language, posted with the service's
authentication to its FHIR server (`fhir_auth`: a static token or SMART Backend Services), or to
`--server`, authenticated the same way. It exits 0 when the discharge landed (each resource
printed: created or existing), 1 when the FHIR server refused it or it went dead after every
attempt, 2 when the input is not a discharge (the OperationOutcome on stderr for both), 3 when it
did not land within --wait.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path

from pydantic import ValidationError

from .config import Settings
from .core.record.context import context_from_bundle
from .errors import DischargeError, InvalidInput, operation_outcome
from .io.discharging import (
    accept_and_deliver,
    current_discharge,
    deliverer_for,
    screened_discharge,
    where_landed,
)
from .io.outbox import DEAD, FAILED
from .io.outbox.sqlite import SqliteOutbox
from .io.smart import fhir_client_from
from .io.terminology import terminology_server_from
from .logs import configure_logging

EXIT_REFUSED, EXIT_INVALID, EXIT_PENDING = 1, 2, 3


def serve(host: str, port: int) -> None:
    import uvicorn

    from .web.app import create_app

    configure_logging()
    uvicorn.run(create_app(), host=host, port=port, log_config=None)


async def discharge_file(
    path: Path,
    server: str | None,
    dry_run: bool,
    wait_seconds: float = 60.0,
    settings: Settings | None = None,
) -> int:
    """Discharge a context Bundle as the service does (io/discharging.py): accepted into an
    outbox, delivered by the Deliverer with its retries, for up to `wait_seconds`.

    The outbox is a temporary SQLite file, gone when the command ends: the settings' outbox
    belongs to the service (one process per SQLite file; a shared PostgreSQL queue would have
    this command deliver, and then abandon, other discharges). So a discharge still pending
    when the wait is over is not kept: run the command again (safe: the conditional creates
    find what an earlier attempt made). The letter is the site's (FHIR_DISCHARGE_SITE)."""
    try:
        bundle = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise InvalidInput(f"{path.name}: not a readable JSON file") from None
    settings = settings or Settings()
    if server is not None:
        settings = settings.model_copy(update={"fhir_base_url": server.rstrip("/")})
    # The same transaction the service would post for this context Bundle, with the configured
    # terminology server asked as the service asks it (io/terminology.py).
    ctx = context_from_bundle(bundle)
    terminology = terminology_server_from(settings)
    try:
        discharge = await screened_discharge(ctx, terminology, settings.site)
    finally:
        if terminology is not None:
            await terminology.aclose()
    for warning in discharge.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if dry_run:
        print(json.dumps(discharge.bundle, indent=2, ensure_ascii=False))
        return 0
    with tempfile.TemporaryDirectory(prefix="fhir-discharge-") as scratch:
        outbox = SqliteOutbox(Path(scratch) / "outbox.sqlite3")
        client = fhir_client_from(settings)
        # No alert: the outbox ends with the command, and its caller reads the failure here.
        deliverer = deliverer_for(outbox, client, settings, alerts=False)
        await deliverer.start()
        try:
            discharge = await current_discharge(client, discharge)
            item = await accept_and_deliver(deliverer, discharge, wait_seconds)
        finally:
            await deliverer.stop()
            await client.aclose()
            outbox.close()
    landed = where_landed(item)
    if landed is not None:
        for where in landed:
            print(f"{'created ' if where.created else 'existing'}  {where.location}")
        return 0
    if item.outcome is not None:
        print(json.dumps(item.outcome, indent=2, ensure_ascii=False), file=sys.stderr)
    if item.state in (FAILED, DEAD):
        print(f"{item.state}: the FHIR server did not take the discharge", file=sys.stderr)
        return EXIT_REFUSED
    print(
        f"not delivered within {wait_seconds:g} s (attempt {item.attempts}); nothing is kept:"
        " run again",
        file=sys.stderr,
    )
    return EXIT_PENDING


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fhir-discharge", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve_cmd = commands.add_parser("serve", help="run the HTTP service")
    serve_cmd.add_argument("--host", default="127.0.0.1")
    serve_cmd.add_argument("--port", type=int, default=8080)
    discharge_cmd = commands.add_parser("discharge", help="discharge a context Bundle from a file")
    discharge_cmd.add_argument("file", type=Path)
    target = discharge_cmd.add_mutually_exclusive_group()
    target.add_argument(
        "--server",
        help="FHIR base URL (default: FHIR_DISCHARGE_FHIR_BASE_URL), authenticated as the "
        "service is (FHIR_DISCHARGE_FHIR_AUTH)",
    )
    target.add_argument(
        "--dry-run", action="store_true", help="print the transaction, post nothing"
    )
    discharge_cmd.add_argument(
        "--wait",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="how long to keep delivering (retries included) before giving up (default 60)",
    )
    args = parser.parse_args(argv)

    if args.command == "serve":
        serve(args.host, args.port)
        return 0
    try:
        settings = Settings()
    except ValidationError as error:  # names the setting (or the site file's key), no values
        print(f"settings: {error}", file=sys.stderr)
        return EXIT_INVALID
    base = settings.site.canonical_base
    try:
        return asyncio.run(
            discharge_file(args.file, args.server, args.dry_run, args.wait, settings)
        )
    except DischargeError as error:
        print(
            json.dumps(operation_outcome(error, base), indent=2, ensure_ascii=False),
            file=sys.stderr,
        )
        return EXIT_INVALID
    except Exception:  # a dry run answers every input with a Bundle or an OperationOutcome
        if not args.dry_run:
            raise
        # A record this service cannot process is not one it writes a letter for: refuse, as an
        # OperationOutcome, never a traceback (the dry run's interface).
        refused = InvalidInput(
            "the record could not be processed: no letter is made; check the record's structure"
        )
        outcome = operation_outcome(refused, base)
        print(json.dumps(outcome, indent=2, ensure_ascii=False), file=sys.stderr)
        return EXIT_INVALID


if __name__ == "__main__":
    sys.exit(main())
