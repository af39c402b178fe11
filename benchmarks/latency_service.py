"""The service as `benchmarks/latency.py` runs it: `fhir_discharge.web.app.create_app` under
uvicorn on loopback, configured from the environment as `fhir-discharge serve` is, with

- the physician's app sessions of the benchmark's records opened at start (as the code exchange
  opens them, io/smart_launch.py: bound to the record's launch), their handles written to a file;
- every request to the FHIR server timed where the service makes it (httpx's transport), and
  read with `GET /_bench/fhir-log` (then cleared): what the FHIR server took for the same reads
  and writes, beside the service's own time.

Benchmarks only; never the shipped service.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi.responses import JSONResponse

from fhir_discharge.config import Settings
from fhir_discharge.io.app_sessions import AppSession
from fhir_discharge.web.app import create_app

FHIR_LOG: list[dict[str, Any]] = []
_send = httpx.AsyncHTTPTransport.handle_async_request


async def _timed(self: httpx.AsyncHTTPTransport, request: httpx.Request) -> httpx.Response:
    started = time.perf_counter()
    response = await _send(self, request)
    await response.aread()  # the answer's body too: the FHIR server's whole answer
    FHIR_LOG.append(
        {
            "method": request.method,
            "url": str(request.url.copy_with(query=None)),
            "query": request.url.query.decode(),
            "status": response.status_code,
            "start": started,
            "end": time.perf_counter(),
        }
    )
    return response


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--sessions", type=Path, required=True, help="in: launches; out: handles")
    parser.add_argument("--profile", type=Path, help="cProfile the event loop's thread into this")
    args = parser.parse_args()
    httpx.AsyncHTTPTransport.handle_async_request = _timed  # type: ignore[method-assign]
    settings = Settings()
    app = create_app(settings)
    launches = json.loads(args.sessions.read_text())
    handles = [
        app.state.app_sessions.open(
            AppSession(
                settings.fhir_base_url.rstrip("/"),
                launch["patient"],
                launch["encounter"],
                launch["practitioner"],
                launch["access_token"],
                time.time() + 3600,
            ),
            time.time(),
        )
        for launch in launches
    ]
    args.sessions.write_text(json.dumps(handles))

    @app.get("/_bench/fhir-log", include_in_schema=False)
    async def fhir_log() -> JSONResponse:
        taken = list(FHIR_LOG)
        FHIR_LOG.clear()
        return JSONResponse(taken)

    profiler = cProfile.Profile() if args.profile else None

    @app.get("/_bench/profile", include_in_schema=False)
    async def profile() -> JSONResponse:
        """The profile so far written to --profile (the measured calls only: started at the
        first /_bench/fhir-log, which each measured call follows)."""
        if profiler is not None:
            profiler.dump_stats(args.profile)
        return JSONResponse({"written": profiler is not None})

    if profiler is not None:
        profiler.enable()
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
