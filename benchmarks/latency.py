"""The latency the physician feels (issue 22, point 8): the physician's app and the CDS card,
side by side with the FHIR server's own time for the same reads and writes.

    .venv/bin/python -m benchmarks.latency [--server sandbox|hapi|both] [--n 50] [--warm 5]

Against the local sandbox and HAPI FHIR (tools/hapi, started here), warm, n calls of each case,
interleaved round by round:
- `record`: `GET /app/api/record` (the app's first screen: the record and the all-clear gate);
- `preview`: `POST /app/api/preview` (the dry run with the physician's answers, the letter);
- `confirm`: `POST /app/api/screening` then `POST /app/api/discharge`, as the page's confirm
  button sends them, each on a record of its own (a fresh discharge, not a repeat);
- `card, prefetch`: the CDS hook with every prefetch key (no FHIR read);
- `card, FHIR`: the CDS hook with no prefetch, reading `fhirServer` with its access token.

Per call: the wall time at the caller, the service's own CPU (every thread of the service
process, from /proc/PID/task/*/schedstat, in ns), and the FHIR requests the service made for it,
timed where the service makes them (benchmarks/latency_service.py wraps httpx's transport): how
many, how many read the same URL twice, the slowest round of requests in flight together, and
the rounds one after another (the FHIR server's time a perfect service would still wait).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from benchmarks.common import (
    BENCH_TOKEN,
    LOOPBACK,
    ROOT,
    SERVICE_AUTH,
    Deadline,
    footer,
    header,
    percentile,
    stop,
    table,
    verdict,
)
from benchmarks.e2e import Hapi
from devtools.sandbox import free_port, start_sandbox, wait_until_up
from fhir_discharge.io.gathering import RECORD_SEARCHES
from tests.support.factories import fresh_record, resource
from tests.support.seeding import seed
from tests.support.site import SITE

PHYSICIAN_TOKEN = "bench-physician-token"  # the sandbox and tools/hapi check no token
HOOK = "/cds-services/lbp-discharge"
RUN_FROM_FILE = (
    "import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
)
CASES = ("record", "preview", "confirm", "card, prefetch", "card, FHIR")
# Goals (issue 22): service CPU per call, ms; wall over the slowest round of FHIR reads, ms.
CPU_GOAL_MS = {"record": 15.0, "preview": 15.0, "confirm": 15.0, "card, prefetch": 5.0}
WALL_OVER_SLOWEST_ROUND_GOAL_MS = 20.0


# --- the service's CPU and its FHIR requests ---------------------------------------------


def service_cpu_ns(pid: int) -> int:
    """On-CPU time so far of every thread of `pid` (schedstat: ns, not the 10 ms clock ticks
    of /proc/PID/stat). A thread that ended took its time with it: the service's threads are a
    pool's, which stay."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            total += int((task / "schedstat").read_text().split()[0])
    return total


def rounds(requests: Sequence[dict[str, Any]]) -> list[float]:
    """The FHIR requests of one call as rounds (requests in flight together: each started
    before any other of its round had ended), the wall seconds of each."""
    found: list[float] = []
    start = end = first_end = None
    for r in sorted(requests, key=lambda r: r["start"]):
        if start is None or first_end is None or r["start"] >= first_end:
            if start is not None and end is not None:
                found.append(end - start)
            start, end, first_end = r["start"], r["end"], r["end"]
        else:
            end = max(end or r["end"], r["end"])
            first_end = min(first_end, r["end"])
    if start is not None and end is not None:
        found.append(end - start)
    return found


@dataclass
class Samples:
    wall: list[float] = field(default_factory=list)  # s
    cpu: list[float] = field(default_factory=list)  # s
    fhir_requests: list[int] = field(default_factory=list)
    repeated_reads: list[int] = field(default_factory=list)
    slowest_round: list[float] = field(default_factory=list)  # s
    rounds_in_sequence: list[float] = field(default_factory=list)  # s: sum of the rounds
    round_counts: list[int] = field(default_factory=list)
    repeated_urls: Counter[str] = field(default_factory=Counter)


class Service:
    def __init__(self, url: str, process: subprocess.Popen[bytes], handles: list[str]) -> None:
        self.url, self.process, self.handles = url, process, handles
        self.http = httpx.Client(base_url=url, timeout=120)

    def measure(self, samples: Samples, call: Callable[[], None]) -> None:
        self.http.get("/_bench/fhir-log")  # whatever came before is not this call's
        cpu = service_cpu_ns(self.process.pid)
        started = time.perf_counter()
        call()
        wall = time.perf_counter() - started
        samples.cpu.append((service_cpu_ns(self.process.pid) - cpu) / 1e9)
        samples.wall.append(wall)
        log = self.http.get("/_bench/fhir-log").json()
        samples.fhir_requests.append(len(log))
        reads = Counter(
            r["url"] + ("?" + r["query"] if r["query"] else "") for r in log if r["method"] == "GET"
        )
        repeated = {u: c - 1 for u, c in reads.items() if c > 1}
        samples.repeated_reads.append(sum(repeated.values()))
        samples.repeated_urls.update(repeated)
        each = rounds(log)
        samples.slowest_round.append(max(each, default=0.0))
        samples.rounds_in_sequence.append(sum(each))
        samples.round_counts.append(len(each))


@contextlib.contextmanager
def running_service(
    fhir_base_url: str,
    launches: list[dict[str, str]],
    profile: Path | None = None,
    code: Path = ROOT,
) -> Iterator[Service]:
    """benchmarks/latency_service.py of `code` (this checkout, or another's: its
    fhir_discharge is the one imported), on loopback."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="fhir-discharge-latency-") as scratch:
        sessions = Path(scratch) / "sessions.json"
        sessions.write_text(json.dumps(launches))
        process = subprocess.Popen(
            [
                # Run from its file: the fhir_discharge it imports is `code`'s (PYTHONPATH).
                # (Not as `python FILE`: benchmarks/profile.py would shadow the standard one.)
                *(sys.executable, "-c", RUN_FROM_FILE),
                str(ROOT / "benchmarks" / "latency_service.py"),
                *("--port", str(port), "--sessions", str(sessions)),
                *(("--profile", str(profile.resolve())) if profile else ()),
            ],
            env={
                **os.environ,
                "PYTHONPATH": str(code),
                "FHIR_DISCHARGE_FHIR_BASE_URL": fhir_base_url,
                "FHIR_DISCHARGE_OUTBOX_PATH": str(Path(scratch) / "outbox.sqlite3"),
                "FHIR_DISCHARGE_API_TOKENS": f'["{BENCH_TOKEN}"]',
            },
            stdout=subprocess.DEVNULL,
            stderr=(Path(scratch) / "service.log").open("ab"),
            cwd=scratch,
        )
        url = f"http://{LOOPBACK}:{port}"
        try:
            wait_until_up(f"{url}/health", process)
            service = Service(url, process, json.loads(sessions.read_text()))
            yield service
            if profile:
                service.http.get("/_bench/profile")
            service.http.close()
        finally:
            stop(process)


# --- the records and the calls -------------------------------------------------------------


def unscreened(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The record as the EHR holds it before the physician screened (the app's launch)."""
    return [
        e["resource"]
        for e in record["entry"]
        if e["resource"]["resourceType"] != "QuestionnaireResponse"
    ]


def launch_of(record: dict[str, Any]) -> dict[str, str]:
    encounter = resource(record, "Encounter")
    return {
        "patient": resource(record, "Patient")["id"],
        "encounter": encounter["id"],
        "practitioner": encounter["participant"][0]["individual"]["reference"].split("/")[1],
        "access_token": PHYSICIAN_TOKEN,
    }


def screening(record: dict[str, Any], iss: str) -> dict[str, Any]:
    answers = {**{i.link_id: False for i in SITE.pathway.screening.items}, "brochure-given": True}
    return {
        "iss": iss,
        "encounter": resource(record, "Encounter")["id"],
        "answers": answers,
        "screening_id": str(uuid.uuid4()),
    }


def searchset(found: list[dict[str, Any]], included: Sequence[dict[str, Any]] = ()) -> dict:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(found),
        "entry": [
            {"resource": r, "search": {"mode": mode}}
            for mode, batch in (("match", found), ("include", included))
            for r in batch
        ],
    }


def full_prefetch(record: dict[str, Any]) -> dict[str, Any]:
    """Every prefetch key of the service, as an EHR fills them (web/cds_hooks/service.py)."""
    patient, encounter = resource(record, "Patient"), resource(record, "Encounter")
    by_reference = {
        f"{e['resource']['resourceType']}/{e['resource']['id']}": e["resource"]
        for e in record["entry"]
    }

    def referenced(references: list[Any]) -> list[dict[str, Any]]:
        return [
            by_reference[r["reference"]] for r in references if r and r["reference"] in by_reference
        ]

    def of_type(resource_type: str) -> list[dict[str, Any]]:
        return [r for r in by_reference.values() if r["resourceType"] == resource_type]

    participants = [p.get("individual") for p in encounter.get("participant", [])]
    return {
        "patient": patient,
        "encounter": encounter,
        **{key: searchset(of_type(rtype)) for key, (rtype, _) in RECORD_SEARCHES.items()},
        "encounterParticipants": searchset(
            [encounter], referenced([*participants, encounter.get("serviceProvider")])
        ),
        "generalPractitioner": searchset(
            [patient], referenced(list(patient.get("generalPractitioner", [])))
        ),
    }


def hook_call(record: dict[str, Any], fhir_server: str | None) -> dict[str, Any]:
    encounter = resource(record, "Encounter")
    body: dict[str, Any] = {
        "hook": "encounter-discharge",
        "hookInstance": str(uuid.uuid4()),
        "context": {
            "userId": encounter["participant"][0]["individual"]["reference"],
            "patientId": resource(record, "Patient")["id"],
            "encounterId": encounter["id"],
        },
    }
    if fhir_server is None:
        body["prefetch"] = full_prefetch(record)
    else:
        body["fhirServer"] = fhir_server
        body["fhirAuthorization"] = {
            "access_token": "bench-hook-token",
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "user/*.read",
            "subject": "lbp-discharge-cds-service",
        }
    return body


def expect(response: httpx.Response, *statuses: int) -> httpx.Response:
    if response.status_code not in statuses:
        raise SystemExit(
            f"{response.request.url.path}: {response.status_code} {response.text[:400]}"
        )
    return response


# --- one server ----------------------------------------------------------------------------


def bench_server(
    name: str,
    fhir_base_url: str,
    n: int,
    warm: int,
    seconds: float,
    profile: Path | None = None,
    before: Path | None = None,
) -> dict[str, dict[str, Samples]]:
    """The cases, interleaved round by round; with `before` (a checkout of other code), that
    code's service too, on the same FHIR server, call by call beside this one."""
    versions = ["this", "before"] if before else ["this"]
    tag = uuid.uuid4().hex[:6]
    app_record = fresh_record(f"{tag}-app")
    card_record = fresh_record(f"{tag}-card")
    confirm_records = {
        v: [fresh_record(f"{tag}-{v}-c{i}") for i in range(n + warm)] for v in versions
    }
    started = time.perf_counter()
    seed(fhir_base_url, unscreened(app_record))
    seed(fhir_base_url, [e["resource"] for e in card_record["entry"]])
    for records in confirm_records.values():
        for record in records:
            seed(fhir_base_url, unscreened(record))
    took = time.perf_counter() - started
    print(f"{name}: seeded {2 + sum(map(len, confirm_records.values()))} records in {took:.1f} s")
    results = {v: {case: Samples() for case in CASES} for v in versions}
    deadline = Deadline(seconds)
    with contextlib.ExitStack() as stack:
        services = {
            v: stack.enter_context(
                running_service(
                    fhir_base_url,
                    [launch_of(app_record), *(launch_of(r) for r in confirm_records[v])],
                    profile if v == "this" else None,
                    code=before if v == "before" else ROOT,
                )
            )
            for v in versions
        }

        def calls(v: str, i: int) -> dict[str, Callable[[], None]]:
            service = services[v]
            http = service.http
            physician = {"Authorization": f"Bearer {service.handles[0]}"}
            params = {"iss": fhir_base_url, "encounter": resource(app_record, "Encounter")["id"]}

            def record() -> None:
                expect(http.get("/app/api/record", params=params, headers=physician), 200)

            def preview() -> None:
                body = screening(app_record, fhir_base_url)
                answer = expect(http.post("/app/api/preview", json=body, headers=physician), 200)
                assert answer.json()["outcome"] == "on-pathway", answer.text[:300]

            def confirm() -> None:
                session = {"Authorization": f"Bearer {service.handles[1 + i]}"}
                body = screening(confirm_records[v][i], fhir_base_url)
                expect(http.post("/app/api/screening", json=body, headers=session), 201)
                expect(http.post("/app/api/discharge", headers=session), 201)

            def card(fhir_server: str | None) -> Callable[[], None]:
                def run() -> None:
                    body = hook_call(card_record, fhir_server)
                    answer = expect(http.post(HOOK, json=body, headers=SERVICE_AUTH), 200)
                    assert answer.json()["cards"][0]["indicator"] == "info", answer.text[:300]

                return run

            return {
                "record": record,
                "preview": preview,
                "confirm": confirm,
                "card, prefetch": card(None),
                "card, FHIR": card(fhir_base_url),
            }

        for i in range(warm + n):
            if deadline.passed:
                print(f"{name}: time budget spent after {i} rounds")
                break
            order = versions if i % 2 == 0 else versions[::-1]  # neither always goes first
            each = {v: calls(v, i) for v in versions}
            for case in CASES:
                for v in order:
                    if i < warm:
                        each[v][case]()
                    else:
                        services[v].measure(results[v][case], each[v][case])
    return results


def report(name: str, results: dict[str, dict[str, Samples]]) -> list[str]:
    rows = []
    verdicts = []
    for case in CASES:
        for version, by_case in results.items():
            s = by_case[case]
            if not s.wall:
                continue
            wall, cpu = sorted(s.wall), sorted(s.cpu)
            slowest, seq = sorted(s.slowest_round), sorted(s.rounds_in_sequence)
            wall50, slow50, seq50 = (percentile(x, 50) for x in (wall, slowest, seq))
            cpu50 = percentile(cpu, 50)
            rows.append(
                [
                    case if version == "this" else f"{case} (before)",
                    len(wall),
                    f"{wall50 * 1e3:.1f}",
                    f"{percentile(wall, 95) * 1e3:.1f}",
                    f"{cpu50 * 1e3:.1f}",
                    f"{percentile(cpu, 95) * 1e3:.1f}",
                    f"{sorted(s.fhir_requests)[len(s.fhir_requests) // 2]}",
                    f"{sorted(s.round_counts)[len(s.round_counts) // 2]}",
                    f"{sum(s.repeated_reads) / len(s.repeated_reads):.1f}",
                    f"{slow50 * 1e3:.1f}" if slow50 else "-",
                    f"{seq50 * 1e3:.1f}" if seq50 else "-",
                    f"{wall50 / seq50:.2f}x" if seq50 else "-",
                    f"{(wall50 - slow50) * 1e3:.1f}" if slow50 else "-",
                ]
            )
            if version != "this":
                continue
            goal = CPU_GOAL_MS.get(case)
            if goal is not None:
                verdicts.append(
                    f"{name}, {case}: service CPU p50 {cpu50 * 1e3:.1f} ms <= {goal:g} ms "
                    f"-> {verdict(cpu50 * 1e3 <= goal)}"
                )
            if case in ("preview", "card, FHIR"):
                over, goal_ms = (wall50 - slow50) * 1e3, WALL_OVER_SLOWEST_ROUND_GOAL_MS
                verdicts.append(
                    f"{name}, {case}: wall p50 - slowest FHIR round p50 = {over:.1f} ms <= "
                    f"{goal_ms:g} ms -> {verdict(over <= goal_ms)}"
                )
            for url, count in s.repeated_urls.most_common(1):
                verdicts.append(
                    f"{name}, {case}: a URL read twice in one call ({count}x in all), e.g. "
                    f"{url.split('/fhir/', 1)[-1]}"
                )
    print(
        table(
            [
                "case",
                "n",
                "wall p50 ms",
                "wall p95 ms",
                "service CPU p50 ms",
                "service CPU p95 ms",
                "FHIR requests",
                "FHIR rounds",
                "repeated reads",
                "FHIR slowest round p50 ms",
                "FHIR rounds in sequence p50 ms",
                "wall / FHIR",
                "wall - slowest round ms",
            ],
            rows,
        )
    )
    return verdicts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", choices=("sandbox", "hapi", "both"), default="both")
    parser.add_argument("--n", type=int, default=50, help="measured calls per case")
    parser.add_argument("--warm", type=int, default=5, help="calls per case before measuring")
    parser.add_argument("--seconds", type=float, default=600, help="time budget per server")
    parser.add_argument(
        "--profile", type=Path, help="cProfile the service's event loop thread into this file"
    )
    parser.add_argument(
        "--before",
        type=Path,
        help="a checkout of other code (e.g. `git archive main | tar -x -C DIR`): its service "
        "too, call by call beside this one's",
    )
    args = parser.parse_args(argv)
    servers = ("sandbox", "hapi") if args.server == "both" else (args.server,)
    for name in servers:
        header(f"The latency the physician feels: {name}")
        running = Hapi.start() if name == "hapi" else start_sandbox()
        try:
            results = bench_server(
                name, running.base_url, args.n, args.warm, args.seconds, args.profile, args.before
            )
        finally:
            running.stop()
        print()
        for line in report(name, results):
            print(line)
        footer()


if __name__ == "__main__":
    main()
