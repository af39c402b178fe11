"""A bounded load generator (its own process): C concurrent httpx clients POST discharges.

    .venv/bin/python -m benchmarks.loadgen URL TEMPLATE_FILE --requests 5000 --concurrency 32

Each request's body is the template with BENCHTAG replaced by a tag of its own (a fresh
patient and encounter: the service keys its outbox by encounter, so a repeated body would be
answered from the outbox without any new work).

Stops after --requests responses in all or after --seconds, whichever comes first, and prints
one JSON line: ok, errors, statuses, elapsed_s, rps (2xx only), latency p50/p99 in ms.
Loopback only: it refuses any other host.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from benchmarks.common import SERVICE_AUTH, Stats


async def run(
    url: str, template: str, requests: int, concurrency: int, seconds: float, prefix: str
) -> dict:
    headers = {"Content-Type": "application/fhir+json", **SERVICE_AUTH}
    statuses: Counter[str] = Counter()
    latencies: list[float] = []
    issued = 0
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def worker() -> None:
            nonlocal issued
            while issued < requests and time.monotonic() < deadline:
                issued += 1
                body = template.replace("BENCHTAG", f"{prefix}{issued}").encode()
                t0 = time.perf_counter()
                try:
                    response = await client.post(url, content=body, headers=headers)
                    statuses[str(response.status_code)] += 1
                except httpx.HTTPError as error:
                    statuses[type(error).__name__] += 1
                    continue
                latencies.append(time.perf_counter() - t0)

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    ok = sum(v for k, v in statuses.items() if k.startswith("2"))
    stats = Stats.of(latencies)
    return {
        "ok": ok,
        "errors": sum(statuses.values()) - ok,
        "statuses": dict(statuses),
        "elapsed_s": elapsed,
        "rps": ok / elapsed if elapsed else 0.0,
        "p50_ms": stats.p50 * 1e3,
        "p99_ms": stats.p99 * 1e3,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("template", type=Path)
    parser.add_argument("--prefix", default=f"h{os.getpid()}-", help="tag prefix (unique per run)")
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    host = urlsplit(args.url).hostname or ""
    if not (host.startswith("127.") or host in ("localhost", "::1")):
        sys.exit(f"refusing a non-loopback target: {host}")
    result = asyncio.run(
        run(
            args.url,
            args.template.read_text(encoding="utf-8"),
            args.requests,
            args.concurrency,
            args.seconds,
            args.prefix,
        )
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
