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
    args = parser.parse_args(argv)

    header(f"3. Throughput: {args.concurrency} concurrent clients, fast FHIR stub")
    generators = [g for g in args.generators.split(",") if g != "wrk" or shutil.which("wrk")]
    if "wrk" in args.generators and "wrk" not in generators:
        print("(wrk not on PATH: `apt-get install wrk` for the second generator)")
    results = []
    scratch = tempfile.TemporaryDirectory(prefix="fhir-discharge-bench-")
    template = Path(scratch.name) / "record-template.json"
    template.write_text(record_template(), encoding="utf-8")
    with scratch, fhir_stub() as (stub_url, _), service(stub_url) as (url, process):
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
        runs = [(name, target) for name in generators]
        if args.breakdown:
            runs.append(("httpx, dry run", f"{target}?_dry-run=true"))
        for name, url_of_run in runs:
            run = run_wrk if name == "wrk" else run_httpx
            cpu0, gen0, t0 = cpu_seconds(process.pid), children_cpu(), time.monotonic()
            with RssSampler(process.pid) as sampler:
                result = run(url_of_run, template, args.requests, args.concurrency, args.seconds)
            wall = time.monotonic() - t0
            service_cpu = cpu_seconds(process.pid) - cpu0
            result |= {
                "generator": name,
                "service_cpu_ms_per_discharge": service_cpu * 1e3 / max(result["ok"], 1),
                "service_cores": service_cpu / wall,
                "generator_cores": (children_cpu() - gen0) / wall,
                "rss_peak_mb": sampler.peak_kb / 1024,
            }
            results.append(result)
        hwm_kb = proc_status(process.pid, "VmHWM")
    print(
        table(
            [
                "generator",
                "ok",
                "errors",
                "discharges/s",
                "p50 ms",
                "p99 ms",
                "service CPU ms/discharge",
                "service cores",
                "generator cores",
                "service RSS peak MB",
            ],
            [
                [
                    r["generator"],
                    r["ok"],
                    r["errors"],
                    f"{r['rps']:,.0f}",
                    f"{r['p50_ms']:,.1f}",
                    f"{r['p99_ms']:,.1f}",
                    f"{r['service_cpu_ms_per_discharge']:,.2f}",
                    f"{r['service_cores']:.2f}",
                    f"{r['generator_cores']:.2f}",
                    f"{r['rss_peak_mb']:,.1f}",
                ]
                for r in results
            ],
        )
    )
    delivered = [r for r in results if not r["generator"].endswith("dry run")]
    dry = [r for r in results if r["generator"].endswith("dry run")]
    if dry:
        full_ms = next(r for r in delivered if r["generator"] == "httpx")
        full, dry_ms = (
            full_ms["service_cpu_ms_per_discharge"],
            dry[0]["service_cpu_ms_per_discharge"],
        )
        print(
            f"\nservice CPU per discharge: {full:,.2f} ms delivered, {dry_ms:,.2f} ms as a dry run "
            f"(request, context, build, answer): delivery (outbox, POST, marks) "
            f"{full - dry_ms:,.2f} ms, {full / dry_ms:.2f}x the dry run"
        )
    results = delivered
    best = max(r["rps"] for r in results)
    rss = hwm_kb / 1024
    print(
        f"\nservice RSS: idle after warm-up {idle_kb / 1024:,.1f} MB, "
        f"high-water mark (VmHWM) {rss:,.1f} MB"
    )
    ceiling = 1e3 / min(r["service_cpu_ms_per_discharge"] for r in results)
    print(f"one service process at 100% of a core would do about {ceiling:,.0f} discharges/s")
    print(
        f"goal >= {GOAL_RPS}/s: best {best:,.0f}/s -> {verdict(best >= GOAL_RPS)}; "
        f"goal <= {GOAL_RSS_MB} MB: {rss:,.1f} MB -> {verdict(rss <= GOAL_RSS_MB)}"
    )
    footer()
    return results


if __name__ == "__main__":
    main()
