"""3. Throughput: 32 concurrent clients against the service, whose FHIR server is a fast stub.

    .venv/bin/python -m benchmarks.throughput [--requests 5000] [--concurrency 32]

The service (one uvicorn process, as `fhir-discharge serve` runs it) posts each discharge to
benchmarks/stub_fhir.py, which answers a valid transaction-response at once; so what limits
the rate is the service itself. The load comes from a separate process, bounded in requests
and in time, with two generators side by side:
  httpx     benchmarks/loadgen.py (Python, asyncio): costs about as much CPU as the service
  wrk       Debian's wrk, if on PATH (C; a Lua script POSTs the body), for a fixed 20 s
            (at most --seconds): its rate is requests done over its whole -d duration, so a
            request cap reached early would understate it (5,000 / 60 s read as "83/s")
On this 2-core machine the service, the stub and the generator share the two cores. The
service's RSS is read from /proc/PID/status (VmRSS sampled during the run, VmHWM at the end).
Goals: >= 500 discharges/s, <= 150 MB RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from benchmarks.common import (
    BENCH_TOKEN,
    ROOT,
    SERVICE_AUTH,
    cpu_seconds,
    fhir_stub,
    footer,
    fresh_body,
    header,
    proc_status,
    record_template,
    service,
    table,
    verdict,
)

GOAL_RPS = 500
GOAL_RSS_MB = 150

WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/fhir+json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
local file = io.open(os.getenv("BENCH_BODY"), "rb")
local template = file:read("*a")
file:close()
local prefix = os.getenv("BENCH_PREFIX")
local limit = tonumber(os.getenv("BENCH_MAX_REQUESTS"))
local count = 0
local issued = 0
-- each request a fresh patient and encounter (BENCHTAG -> a tag of its own)
request = function()
  issued = issued + 1
  local body = template:gsub("BENCHTAG", prefix .. issued)
  return wrk.format(nil, nil, nil, body)
end
response = function(status, headers, body)
  count = count + 1
  if count >= limit then wrk.thread:stop() end
end
"""


class RssSampler:
    """Samples a process's VmRSS every 0.2 s in a thread, until stopped (or 10 minutes)."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak_kb, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        for _ in range(3000):
            self.peak_kb = max(self.peak_kb, proc_status(self.pid, "VmRSS"))
            if self._stop.wait(0.2):
                return

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_httpx(url: str, body: Path, requests: int, concurrency: int, seconds: float) -> dict:
    command = [sys.executable, "-m", "benchmarks.loadgen", url, str(body)]
    command += ["--requests", str(requests), "--concurrency", str(concurrency)]
    command += ["--seconds", str(seconds)]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=seconds + 60, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_wrk(url: str, body: Path, requests: int, concurrency: int, seconds: float) -> dict:
    wrk = shutil.which("wrk")
    assert wrk
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    # Timed, not capped: wrk reports requests / its whole -d duration, so a request cap reached
    # early would understate the rate. The Lua cap stays as a bound (10x --requests).
    duration = max(5, int(min(seconds, 20)))
    command = [wrk, "-t1", f"-c{concurrency}", f"-d{duration}s", "--latency"]
    command += ["--timeout", "30s", "-s", script.name, url]
    env = {
        "BENCH_BODY": str(body),
        "BENCH_TOKEN": BENCH_TOKEN,
        "BENCH_MAX_REQUESTS": str(10 * requests),
        "BENCH_PREFIX": f"w{time.monotonic_ns()}-",
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 60, check=True, env=env
    )
    Path(script.name).unlink()
    out = done.stdout

    def figure(pattern: str) -> float:
        found = re.search(pattern, out)
        return float(found.group(1)) if found else 0.0

    def latency_ms(label: str) -> float:
        found = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
        if not found:
            return float("nan")
        scale = {"us": 1e-3, "ms": 1.0, "s": 1e3}[found.group(2)]
        return float(found.group(1)) * scale

    total = int(figure(r"(\d+) requests in"))
    bad = int(figure(r"Non-2xx or 3xx responses: (\d+)"))
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {
        "ok": total - bad,
        "errors": bad,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
        "elapsed_s": figure(r"requests in ([\d.]+)s") or float("nan"),
        "rps": figure(r"Requests/sec:\s+([\d.]+)") * (total - bad) / total if total else 0.0,
        "p50_ms": latency_ms("50"),
        "p99_ms": latency_ms("99"),
    }


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60, help="time cap per run")
    parser.add_argument("--generators", default="httpx,wrk")
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="also the same load as dry runs (no outbox, no POST): what delivery costs",
    )
    parser.add_argument(
        "--floors",
        action="store_true",
        help="also what the parts cost alone, with each generator: the generator and the stub "
        "without the service (a bare POST), the service's framework answering a 405 through "
        "every middleware, and the dry run; then the CPU budget the goal leaves the service",
    )
    args = parser.parse_args(argv)

    header(f"3. Throughput: {args.concurrency} concurrent clients, fast FHIR stub")
    generators = [g for g in args.generators.split(",") if g != "wrk" or shutil.which("wrk")]
    if "wrk" in args.generators and "wrk" not in generators:
        print("(wrk not on PATH: `apt-get install wrk` for the second generator)")
    results = []
    scratch = tempfile.TemporaryDirectory(prefix="fhir-discharge-bench-")
    template = Path(scratch.name) / "record-template.json"
    template.write_text(record_template(), encoding="utf-8")
    with scratch, fhir_stub() as (stub_url, stub), service(stub_url) as (url, process):
        target = f"{url}/Encounter/$lbp-discharge"
        check = httpx.post(
            target,
            content=fresh_body(template.read_text(encoding="utf-8"), "check-1"),
            headers={"Content-Type": "application/fhir+json", **SERVICE_AUTH},
            timeout=30,
        )
        assert check.status_code == 201, (check.status_code, check.text[:300])
        assert check.json()["resourceType"] == "Parameters"
        run_httpx(target, template, 300, 8, 30)  # warm-up
        idle_kb = proc_status(process.pid, "VmRSS")
        # (label, generator, url, what answers: the service or the stub alone)
        runs = [("discharge", name, target, process) for name in generators]
        if args.breakdown and not args.floors:
            runs.append(("dry run", "httpx", f"{target}?_dry-run=true", process))
        if args.floors:
            for name in generators:
                runs.append(("dry run", name, f"{target}?_dry-run=true", process))
                runs.append(("framework: 405", name, f"{url}/health", process))
                runs.append(("stub alone: bare POST", name, stub_url, stub))
        for label, name, url_of_run, answering in runs:
            run = run_wrk if name == "wrk" else run_httpx
            cpu0, gen0, t0 = cpu_seconds(answering.pid), children_cpu(), time.monotonic()
            stub0 = cpu_seconds(stub.pid)
            with RssSampler(process.pid) as sampler:
                result = run(url_of_run, template, args.requests, args.concurrency, args.seconds)
            wall = time.monotonic() - t0
            answered = (
                result["ok"]
                if label in ("discharge", "dry run")
                else (
                    result["ok"] + result["errors"]  # a 405 is this row's answer
                )
            )
            answered = max(answered, 1)
            answering_cpu = cpu_seconds(answering.pid) - cpu0
            generator_cpu = children_cpu() - gen0
            stub_cpu = cpu_seconds(stub.pid) - stub0
            result |= {
                "label": label,
                "generator": name,
                "rps": answered / result["elapsed_s"] if result["elapsed_s"] else 0.0,
                "answered": answered,
                "service_cpu_ms_per_discharge": answering_cpu * 1e3 / answered,
                "service_cores": answering_cpu / wall,
                "generator_ms": generator_cpu * 1e3 / answered,
                "stub_ms": stub_cpu * 1e3 / answered,
                "generator_cores": generator_cpu / wall,
                "rss_peak_mb": sampler.peak_kb / 1024,
            }
            results.append(result)
        hwm_kb = proc_status(process.pid, "VmHWM")
    print(
        table(
            [
                "run",
                "generator",
                "answered",
                "per second",
                "p50 ms",
                "p99 ms",
                "CPU ms/request of what answers",
                "stub CPU ms/request",
                "generator CPU ms/request",
                "service RSS peak MB",
            ],
            [
                [
                    r["label"],
                    r["generator"],
                    r["answered"],
                    f"{r['rps']:,.0f}",
                    f"{r['p50_ms']:,.1f}",
                    f"{r['p99_ms']:,.1f}",
                    f"{r['service_cpu_ms_per_discharge']:,.2f}",
                    f"{r['stub_ms']:,.2f}",
                    f"{r['generator_ms']:,.2f}",
                    f"{r['rss_peak_mb']:,.1f}",
                ]
                for r in results
            ],
        )
    )
    delivered = [r for r in results if r["label"] == "discharge"]
    dry = [r for r in results if r["label"] == "dry run"]
    for run_dry in dry:
        full = next(r for r in delivered if r["generator"] == run_dry["generator"])
        full_ms = full["service_cpu_ms_per_discharge"]
        dry_ms = run_dry["service_cpu_ms_per_discharge"]
        print(
            f"\n{run_dry['generator']}: service CPU per discharge {full_ms:,.2f} ms delivered, "
            f"{dry_ms:,.2f} ms as a dry run (request, context, build, answer): delivery (outbox, "
            f"POST, marks) {full_ms - dry_ms:,.2f} ms, {full_ms / dry_ms:.2f}x the dry run"
        )
    if args.floors:
        print_budget(results)
    best = max(r["rps"] for r in delivered)
    rss = hwm_kb / 1024
    print(
        f"\nservice RSS: idle after warm-up {idle_kb / 1024:,.1f} MB, "
        f"high-water mark (VmHWM) {rss:,.1f} MB"
    )
    ceiling = 1e3 / min(r["service_cpu_ms_per_discharge"] for r in delivered)
    print(f"one service process at 100% of a core would do about {ceiling:,.0f} discharges/s")
    print(
        f"goal >= {GOAL_RPS}/s: best {best:,.0f}/s -> {verdict(best >= GOAL_RPS)}; "
        f"goal <= {GOAL_RSS_MB} MB: {rss:,.1f} MB -> {verdict(rss <= GOAL_RSS_MB)}"
    )
    footer()
    return delivered


def print_budget(results: list[dict]) -> None:
    """What the goal leaves the service, with the cheapest generator measured: at GOAL_RPS on
    this machine's cores every discharge may cost (cores x 1000 / GOAL_RPS) ms of CPU in all,
    the stub's and the generator's included."""
    cores = os.cpu_count() or 1
    budget = cores * 1e3 / GOAL_RPS
    for name in sorted({r["generator"] for r in results}):
        rows = {r["label"]: r for r in results if r["generator"] == name}
        if not {"discharge", "framework: 405", "stub alone: bare POST"} <= rows.keys():
            continue
        others = rows["discharge"]["stub_ms"] + rows["discharge"]["generator_ms"]
        left = budget - others
        floor = rows["framework: 405"]["service_cpu_ms_per_discharge"]
        dry = rows.get("dry run", {}).get("service_cpu_ms_per_discharge", float("nan"))
        spent = rows["discharge"]["service_cpu_ms_per_discharge"]
        print(
            f"\n{name}: {GOAL_RPS}/s on {cores} cores = {budget:.2f} ms of CPU per discharge in "
            f"all; the stub and the generator take {others:.2f} ms, leaving the service "
            f"{left:.2f} ms. The service spends {spent:.2f} ms ({spent / left:.1f}x that); "
            f"its framework alone (a 405) {floor:.2f} ms, a dry run {dry:.2f} ms"
        )
    clients = [r for r in results if r["generator"] == "httpx" and r["label"].startswith("stub")]
    if clients:
        print(
            f"an httpx client spends {clients[0]['generator_ms']:.2f} ms of CPU per POST (the "
            "httpx generator's bare POSTs): the service pays that again for its own POST"
        )


if __name__ == "__main__":
    main()
