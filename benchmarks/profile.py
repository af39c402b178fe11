"""Where the service's CPU goes under load: per-thread CPU, and optionally a pyinstrument profile.

    .venv/bin/python -m benchmarks.profile [--requests 2000] [--concurrency 32] [--pyinstrument]

The service (as in benchmarks.throughput: one uvicorn process, fresh outbox, the fast FHIR stub)
gets --requests discharges from benchmarks.loadgen. It prints the service's CPU per discharge,
split between the event-loop thread (the main thread: routing, middleware, body parsing, build,
the httpx post) and the other threads (asyncio.to_thread work: the context's structure check,
the outbox's SQLite commits). With --pyinstrument the service runs under pyinstrument, which
samples the main thread only, and its text report is printed after the run (the profiler's own
cost inflates every figure; read its shares, not its absolutes).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import tempfile
from pathlib import Path

from benchmarks.common import fhir_stub, footer, header, record_template, service, table
from benchmarks.throughput import run_httpx


def thread_cpu(pid: int) -> dict[int, float]:
    """CPU seconds (user + system) of each thread of `pid`, by thread id."""
    ticks = os.sysconf("SC_CLK_TCK")
    found: dict[int, float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
            found[int(task.name)] = (int(fields[11]) + int(fields[12])) / ticks
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--pyinstrument", action="store_true")
    parser.add_argument(
        "--dry-run", action="store_true", help="dry runs only: no outbox, no POST (the build path)"
    )
    args = parser.parse_args()
    header("Profile: service CPU per discharge, by thread")
    with tempfile.TemporaryDirectory(prefix="fhir-discharge-profile-") as scratch:
        report = Path(scratch) / "profile.txt"
        launcher = ("-m", "pyinstrument", "-r", "text", "-o", str(report))
        body = Path(scratch) / "record.json"
        body.write_text(record_template())
        with (
            fhir_stub() as (stub_url, _),
            service(stub_url, launcher if args.pyinstrument else ()) as (url, process),
        ):
            target = f"{url}/Encounter/$lbp-discharge" + ("?_dry-run=true" if args.dry_run else "")
            run_httpx(target, body, 50, 8, 30)  # warm-up: imports, model schemas, connections
            before = thread_cpu(process.pid)
            result = run_httpx(target, body, args.requests, args.concurrency, args.seconds)
            after = thread_cpu(process.pid)
            process.send_signal(signal.SIGINT)  # uvicorn shuts down; pyinstrument then writes
            process.wait(timeout=60)
        ok = max(1, int(result["ok"]))
        main_thread = after.get(process.pid, 0.0) - before.get(process.pid, 0.0)
        others = sum(v - before.get(tid, 0.0) for tid, v in after.items() if tid != process.pid)
        rows = [
            ["event loop (main thread)", f"{1000 * main_thread / ok:.2f}"],
            ["other threads", f"{1000 * others / ok:.2f}"],
            ["all", f"{1000 * (main_thread + others) / ok:.2f}"],
        ]
        print(f"{result['ok']} ok, {result['errors']} errors, {result['rps']:.0f} discharges/s")
        print(table(["thread", "CPU ms per discharge"], rows))
        if args.pyinstrument and report.exists():
            print(report.read_text())
    footer()


if __name__ == "__main__":
    main()
