"""2. End to end against the local sandbox: through our service vs a bare POST of the same work.

    .venv/bin/python -m benchmarks.e2e [--iterations 100] [--repeats 50]

One sekmet-fhir sandbox (loopback), seeded with 2 x iterations fresh records
(tests/support/seeding.py; each its own patient and encounter), and the real service
(`fhir-discharge serve`, a uvicorn subprocess) pointed at it. Side by side, alternating request
by request:
  service   POST /Encounter/$lbp-discharge with record A_i's context Bundle: the service parses,
            gates, builds, puts the transaction in its durable outbox (SQLite, fsync), posts it
            to the sandbox and answers (201)
  bare      one httpx POST of record B_i's transaction Bundle, built beforehand by the same
            build_discharge and serialised beforehand, straight to the sandbox (the floor)
Both create five resources each time (fresh encounters). Then the repeat case: the same
requests again, where the conditional creates find everything (service 200, bare all "200 OK").
Also the service's dry run (`?_dry-run=true`: no outbox, no FHIR server), for its own cost.
Latency is wall time per request at the client. Goal: service / bare <= 1.10 at p50.

    .venv/bin/python -m benchmarks.e2e --hapi [--iterations 30]

runs the same side by side against a real HAPI FHIR JPA server (tools/hapi, started here on a
free loopback port, stopped at the end) instead of the sandbox.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass, replace
from pathlib import Path

import httpx

from benchmarks.common import (
    SERVICE_AUTH,
    Deadline,
    Stats,
    footer,
    fresh_body,
    header,
    ms,
    record_template,
    service,
    table,
    verdict,
)
from devtools.sandbox import free_port, start_sandbox, wait_until_up
from fhir_discharge.config import DEFAULT_SITE_FILE, load_site
from fhir_discharge.core.record.context import context_from_bundle
from fhir_discharge.core.transaction import build_discharge
from tests.support.seeding import seed_async

GOAL = 1.10
FHIR_JSON = {"Content-Type": "application/fhir+json"}

SITE = load_site(DEFAULT_SITE_FILE)


async def seed(base_url: str, records: list[dict]) -> None:
    for start in range(0, len(records), 20):
        resources = [e["resource"] for r in records[start : start + 20] for e in r["entry"]]
        await seed_async(base_url, resources, timeout=120)


def transaction_bytes(record: dict) -> bytes:
    # The transaction the service posts for this context Bundle (the record carried along).
    ctx = replace(context_from_bundle(record), carry_record=True)
    bundle = build_discharge(ctx, SITE).bundle
    # As httpx serialises `json=` (what FhirClient.post_transaction sends).
    return json.dumps(bundle, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def bare_post(client: httpx.Client, base_url: str, body: bytes, expect: str) -> float:
    headers = {**FHIR_JSON, "Prefer": "return=minimal"}
    t0 = time.perf_counter()
    response = client.post(base_url + "/", content=body, headers=headers)
    elapsed = time.perf_counter() - t0
    assert response.status_code == 200, (response.status_code, response.text[:300])
    statuses = [e["response"]["status"].split()[0] for e in response.json()["entry"]]
    # The six new resources as expected; the record carried along is on the server already.
    assert set(statuses[:6]) == {expect} and set(statuses[6:]) <= {"200"}, statuses
    return elapsed


def service_post(client: httpx.Client, url: str, body: bytes, expect: int) -> float:
    t0 = time.perf_counter()
    response = client.post(url, content=body, headers={**FHIR_JSON, **SERVICE_AUTH})
    elapsed = time.perf_counter() - t0
    assert response.status_code == expect, (response.status_code, response.text[:300])
    return elapsed


HAPI_RUN = Path(__file__).resolve().parent.parent / "tools" / "hapi" / "run.sh"


@dataclass
class Hapi:
    """tools/hapi's server on a free loopback port (run.sh builds it if needed)."""

    base_url: str
    process: subprocess.Popen[bytes]

    @classmethod
    def start(cls) -> Hapi:
        port = free_port()
        process = subprocess.Popen(
            [str(HAPI_RUN)],
            env={**os.environ, "HAPI_PORT": str(port)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base_url = f"http://127.0.0.1:{port}/fhir"
        t0 = time.perf_counter()
        wait_until_up(f"{base_url}/metadata", process, seconds=600)
        print(f"HAPI FHIR up in {time.perf_counter() - t0:.0f} s at {base_url}")
        return cls(base_url, process)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def main(argv: list[str] | None = None) -> dict[str, Stats]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=100, help="fresh discharges per path")
    parser.add_argument("--repeats", type=int, default=50, help="repeated discharges per path")
    parser.add_argument("--seconds", type=float, default=300, help="time budget")
    parser.add_argument("--hapi", action="store_true", help="against HAPI FHIR (tools/hapi)")
    args = parser.parse_args(argv)
    n, warm = args.iterations, 10

    against = "HAPI FHIR 8.8.0 (tools/hapi)" if args.hapi else "the local sandbox"
    header(f"2. End to end against {against} (wall time per discharge)")
    run = f"e{time.monotonic_ns() % 10**9}"
    template = record_template()
    service_bodies = [fresh_body(template, f"{run}-s{i}") for i in range(n + warm)]
    bare_records = [json.loads(fresh_body(template, f"{run}-b{i}")) for i in range(n + warm)]
    bare_bodies = [transaction_bytes(r) for r in bare_records]
    dry_body = fresh_body(template, f"{run}-dry")
    samples: dict[str, list[float]] = {
        k: [] for k in ("service", "bare", "service repeat", "bare repeat", "service dry run")
    }
    sandbox = Hapi.start() if args.hapi else start_sandbox()
    try:
        records = [json.loads(b) for b in service_bodies] + bare_records
        records.append(json.loads(dry_body))
        t0 = time.perf_counter()
        asyncio.run(seed(sandbox.base_url, records))
        print(f"seeded {len(records)} records in {time.perf_counter() - t0:.1f} s")
        with (
            service(sandbox.base_url) as (url, _),
            httpx.Client(timeout=60) as to_service,
            httpx.Client(timeout=60) as to_sandbox,
        ):
            target = f"{url}/Encounter/$lbp-discharge"
            base = sandbox.base_url
            for i in range(warm):  # warm-up: connections, imports, the sandbox's caches
                service_post(to_service, target, service_bodies[n + i], 201)
                bare_post(to_sandbox, base, bare_bodies[n + i], "201")
                service_post(to_service, target + "?_dry-run=true", dry_body, 200)
            deadline = Deadline(args.seconds)
            for i in range(n):
                if deadline.passed:
                    print(f"(time budget reached after {i} fresh pairs)")
                    break
                pair = [
                    (
                        "service",
                        lambda i=i: service_post(to_service, target, service_bodies[i], 201),
                    ),
                    ("bare", lambda i=i: bare_post(to_sandbox, base, bare_bodies[i], "201")),
                ]
                for name, call in pair if i % 2 == 0 else pair[::-1]:
                    samples[name].append(call())
                samples["service dry run"].append(
                    service_post(to_service, target + "?_dry-run=true", dry_body, 200)
                )
            done = len(samples["bare"])
            for i in range(min(args.repeats, done)):
                if deadline.passed:
                    print(f"(time budget reached after {i} repeat pairs)")
                    break
                pair = [
                    (
                        "service repeat",
                        lambda i=i: service_post(to_service, target, service_bodies[i], 200),
                    ),
                    ("bare repeat", lambda i=i: bare_post(to_sandbox, base, bare_bodies[i], "200")),
                ]
                for name, call in pair if i % 2 == 0 else pair[::-1]:
                    samples[name].append(call())
    finally:
        sandbox.stop()

    stats = {name: Stats.of(values) for name, values in samples.items()}
    rows = []
    for name, st in stats.items():
        floor = stats["bare repeat" if "repeat" in name else "bare"]
        rows.append(
            [
                name,
                st.n,
                ms(st.p50),
                ms(st.p90),
                ms(st.p99),
                ms(st.mean),
                f"{st.p50 / floor.p50:.2f}x" if name.startswith("service") else "1.00x",
                f"{st.mean / floor.mean:.2f}x" if name.startswith("service") else "1.00x",
            ]
        )
    print(
        table(
            ["path", "n", "p50 ms", "p90 ms", "p99 ms", "mean ms", "p50 / bare", "mean / bare"],
            rows,
        )
    )
    fresh = stats["service"].p50 / stats["bare"].p50
    repeat = stats["service repeat"].p50 / stats["bare repeat"].p50
    print(
        f"\n(dry run ratios are against the bare creating POST.) "
        f"our overhead at p50: {ms(stats['service'].p50 - stats['bare'].p50)} ms fresh, "
        f"{ms(stats['service repeat'].p50 - stats['bare repeat'].p50)} ms repeat"
    )
    print(
        f"goal <= {GOAL:.2f}x: fresh {fresh:.2f}x -> {verdict(fresh <= GOAL)}; "
        f"repeat {repeat:.2f}x -> {verdict(repeat <= GOAL)}"
    )
    footer()
    return stats


if __name__ == "__main__":
    main()
