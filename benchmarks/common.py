"""Shared helpers for the benchmarks: statistics, tables, the machine, and loopback processes.

Every server the benchmarks start listens on 127.0.0.1 only, and every loop is bounded in count
and in time.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devtools.sandbox import free_port, wait_until_up

ROOT = Path(__file__).resolve().parent.parent
# tests/support/factories.py builds the example records; the benchmarks reuse it, not a copy.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

LOOPBACK = "127.0.0.1"


# --- statistics --------------------------------------------------------------------------


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of already sorted values."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), round(q / 100 * len(sorted_values) + 0.5)))
    return float(sorted_values[rank - 1])


@dataclass(frozen=True)
class Stats:
    n: int
    p50: float
    p90: float
    p99: float
    mean: float
    minimum: float

    @classmethod
    def of(cls, samples: Sequence[float]) -> Stats:
        ordered = sorted(samples)
        return cls(
            n=len(ordered),
            p50=percentile(ordered, 50),
            p90=percentile(ordered, 90),
            p99=percentile(ordered, 99),
            mean=sum(ordered) / len(ordered) if ordered else float("nan"),
            minimum=ordered[0] if ordered else float("nan"),
        )


def us(ns: float) -> str:
    """Nanoseconds as microseconds, for the tables."""
    return f"{ns / 1e3:,.1f}"


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:,.2f}"


def ratio(a: float, b: float) -> str:
    return f"{a / b:,.2f}x" if b else "n/a"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table (pasted as is into benchmarks/README.md)."""
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

    return "\n".join(
        [line(cells[0]), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
        + [line(r) for r in cells[1:]]
    )


def verdict(ok: bool) -> str:
    return "MET" if ok else "MISSED"


# --- the machine -------------------------------------------------------------------------


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def filesystem(path: str) -> str:
    """The filesystem type holding `path` (the outbox's fsync cost depends on it)."""
    best, kind = "", "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/mounts").read_text().splitlines():
            _, mount, fstype, *_ = line.split()
            if path.startswith(mount) and len(mount) > len(best):
                best, kind = mount, fstype
    return kind


def record_template() -> str:
    """The example record as JSON text with BENCHTAG where each copy puts its own tag: the
    tests' fresh_record, so each copy is another patient, encounter and set of ids."""
    from tests.support.factories import fresh_record

    return json.dumps(fresh_record("BENCHTAG"), ensure_ascii=False)


def fresh_body(template: str, tag: str) -> bytes:
    return template.replace("BENCHTAG", tag).encode()


def machine() -> str:
    return (
        f"nproc={os.cpu_count()}  cpu={cpu_model()!r}  "
        f"python={platform.python_version()} ({platform.python_implementation()})  "
        f"tmp={tempfile.gettempdir()} ({filesystem(tempfile.gettempdir())})"
    )


def load_average() -> str:
    """The 1-minute load average: above nproc, other work shared the cores during the run."""
    with contextlib.suppress(OSError):
        return Path("/proc/loadavg").read_text().split()[0]
    return "?"


def header(title: str) -> None:
    print(f"\n## {title}\n")
    print(f"machine: {machine()}  load average at start: {load_average()}\n")


def footer() -> None:
    print(f"(load average at end: {load_average()})")


# --- processes on loopback ---------------------------------------------------------------


def proc_status(pid: int, field: str) -> int:
    """A kB figure from /proc/PID/status (VmRSS, VmHWM), 0 when the process is gone."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (from /proc/PID/stat)."""
    with contextlib.suppress(OSError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


# The development token the benchmarked service accepts (it serves no patient data without one).
# In the environment, so the load generator's own process sends the same one.
BENCH_TOKEN = os.environ.setdefault("FHIR_DISCHARGE_BENCH_TOKEN", "bench-" + os.urandom(8).hex())
SERVICE_AUTH = {"Authorization": f"Bearer {BENCH_TOKEN}"}


@contextlib.contextmanager
def service(
    fhir_base_url: str, launcher: Sequence[str] = ()
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """The real service, `python -m fhir_discharge.cli serve`, as a uvicorn subprocess on
    loopback pointed at `fhir_base_url`. Its logs go to /dev/null (it still formats them).
    `launcher`: arguments before `-m fhir_discharge.cli` (e.g. `-m pyinstrument ...`)."""
    port = free_port()
    # A fresh durable outbox (SQLite, fsynced on commit) per run, in the temporary directory:
    # items are keyed by the encounter, so an old outbox would answer from what it holds.
    with tempfile.TemporaryDirectory(prefix="fhir-discharge-bench-") as scratch:
        process = subprocess.Popen(
            [
                *(sys.executable, *launcher, "-m", "fhir_discharge.cli", "serve"),
                *("--host", LOOPBACK, "--port", str(port)),
            ],
            env={
                **os.environ,
                "FHIR_DISCHARGE_FHIR_BASE_URL": fhir_base_url,
                "FHIR_DISCHARGE_OUTBOX_PATH": str(Path(scratch) / "outbox.sqlite3"),
                "FHIR_DISCHARGE_API_TOKENS": f'["{BENCH_TOKEN}"]',
            },
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=scratch,
        )
        url = f"http://{LOOPBACK}:{port}"
        try:
            wait_until_up(f"{url}/health", process)
            yield url, process
        finally:
            stop(process)


@contextlib.contextmanager
def fhir_stub() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """The fast sink of the throughput benchmark (benchmarks/stub_fhir.py) on loopback."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.stub_fhir", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    base_url = f"http://{LOOPBACK}:{port}/fhir"
    try:
        wait_until_up(f"{base_url}/metadata", process, seconds=30)
        yield base_url, process
    finally:
        stop(process)


class Deadline:
    """A wall-clock budget for a loop: `while not deadline.passed and i < n`."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    @property
    def passed(self) -> bool:
        return time.monotonic() > self.end
