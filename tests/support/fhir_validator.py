"""Client for the independent FHIR R4 validator in ``tools/validator`` (Node.js).

The worker (``tools/validator/worker.mjs``) runs Medplum's ``validateResource`` over the pure
HL7 FHIR R4 4.0.1 StructureDefinitions and adds required-binding, calendar-date and profile
checks (see ``tools/validator/README.md``). It is code we did not write, so a resource that passes
it is conformant by an opinion other than our own pydantic models'.

One ``node worker.mjs`` process is started lazily and kept for the life of the object; requests
and answers are JSON lines over its stdin/stdout.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKER_DIR = REPO_ROOT / "tools" / "validator"
DEFAULT_PROFILE_DIRS = (REPO_ROOT / "profiles" / "fsh-generated" / "resources",)
ERROR_SEVERITIES = frozenset({"error", "fatal"})


class ValidatorUnavailable(RuntimeError):
    """node, npm or the worker's node_modules are missing, or the worker died."""


def _as_json_object(resource: Any) -> dict[str, Any]:
    """Accepts a dict, a JSON string or a pydantic/fhir.resources model."""
    if isinstance(resource, dict):
        return resource
    if isinstance(resource, str | bytes):
        return json.loads(resource)
    dump_json = getattr(resource, "model_dump_json", None)
    if callable(dump_json):
        return json.loads(dump_json())
    raise TypeError(f"cannot validate object of type {type(resource).__name__}")


def node_executable() -> str:
    node = shutil.which("node")
    if not node:
        raise ValidatorUnavailable(
            "`node` (Node.js >= 20) is not on PATH: the independent FHIR validator in "
            "tools/validator needs it (Debian: apt-get install nodejs npm)"
        )
    return node


def ensure_node_modules(worker_dir: Path = WORKER_DIR) -> None:
    """Runs ``npm ci`` in tools/validator when its node_modules are missing."""
    node_executable()
    marker = worker_dir / "node_modules" / "@medplum" / "core" / "package.json"
    packages = (
        worker_dir / "node_modules" / "hl7.fhir.r4.examples" / "package.json",
        worker_dir / "node_modules" / "hl7.fhir.r4.expansions" / "package.json",
    )
    if marker.exists() and all(p.exists() for p in packages):
        return
    npm = shutil.which("npm")
    if not npm:
        raise ValidatorUnavailable(
            "tools/validator/node_modules is missing and `npm` is not on PATH to install it"
        )
    proc = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"],
        cwd=worker_dir,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if proc.returncode != 0:
        raise ValidatorUnavailable(
            f"`npm ci` in {worker_dir} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
        )


class IndependentValidator:
    """Validates FHIR R4 JSON resources with the Node worker (one process, started lazily)."""

    def __init__(
        self,
        worker_dir: Path = WORKER_DIR,
        profile_dirs: tuple[Path, ...] | list[Path] | None = None,
        timeout: float = 300.0,
    ) -> None:
        self.worker_dir = Path(worker_dir)
        self.profile_dirs = tuple(DEFAULT_PROFILE_DIRS if profile_dirs is None else profile_dirs)
        self.timeout = timeout
        self.resources_validated = 0
        self.seconds = 0.0  # wall time spent in validate() waiting for answers
        self.startup_seconds = 0.0  # time to start the worker and load the R4 definitions
        self._proc: subprocess.Popen[str] | None = None
        self._answers: queue.Queue[str | None] = queue.Queue()
        self._stderr: deque[str] = deque(maxlen=200)
        self._next_id = 0
        self._lock = threading.Lock()

    # -- process management ------------------------------------------------------------------

    def _start(self) -> None:
        node = node_executable()
        args = [node, str(self.worker_dir / "worker.mjs")]
        for d in self.profile_dirs:
            args += ["--profiles", str(d)]
        t0 = time.perf_counter()
        self._answers = queue.Queue()
        self._proc = subprocess.Popen(
            args,
            cwd=self.worker_dir,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            bufsize=1,
            env={**os.environ},
        )
        # each process gets its own queue: a dead worker's EOF must not reach its successor
        threading.Thread(
            target=self._pump_stdout, args=(self._proc, self._answers), daemon=True
        ).start()
        threading.Thread(target=self._pump_stderr, args=(self._proc,), daemon=True).start()
        # The first answer comes once all definitions are loaded.
        self._request({"command": "ping"})
        self.startup_seconds += time.perf_counter() - t0

    @staticmethod
    def _pump_stdout(proc: subprocess.Popen[str], answers: queue.Queue[str | None]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            answers.put(line)
        answers.put(None)  # EOF: the worker is gone

    def _pump_stderr(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            self._stderr.append(line.rstrip("\n"))

    def _request(self, payload: dict[str, Any]) -> dict[str, Any]:
        proc = self._proc
        if proc is None or proc.stdin is None:
            raise ValidatorUnavailable("validator worker is not running")
        self._next_id += 1
        req_id = self._next_id
        try:
            proc.stdin.write(json.dumps({"id": req_id, **payload}) + "\n")
            proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise self._died(f"cannot write to the validator worker: {exc}") from exc
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                line = self._answers.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise self._died(
                    f"no answer from the validator worker in {self.timeout}s"
                ) from None
            if line is None:
                raise self._died("the validator worker exited")
            answer: dict[str, Any] = json.loads(line)
            if answer.get("id") == req_id:
                return answer

    def _died(self, message: str) -> ValidatorUnavailable:
        self.close()
        tail = "\n".join(self._stderr)
        return ValidatorUnavailable(f"{message}\nworker stderr:\n{tail}")

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            if proc.stdin:
                proc.stdin.close()
            proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait(timeout=10)

    def __enter__(self) -> IndependentValidator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- API -----------------------------------------------------------------------------------

    def validate(self, resource: Any, profiles: list[dict[str, Any]] | None = None) -> list[dict]:
        """All issues for ``resource``: dicts with ``severity``, ``path``, ``message``.

        ``profiles``: StructureDefinitions (snapshot or differential only), ValueSets and
        CodeSystems to use; they stay registered in the worker for later requests.
        """
        body = _as_json_object(resource)
        with self._lock:
            if self._proc is None:
                self._start()
            t0 = time.perf_counter()
            payload: dict[str, Any] = {"resource": body}
            if profiles:
                payload["profiles"] = profiles
            answer = self._request(payload)
            self.seconds += time.perf_counter() - t0
            self.resources_validated += 1
        return list(answer.get("issues", []))

    def errors(self, resource: Any, profiles: list[dict[str, Any]] | None = None) -> list[dict]:
        """Only the issues of severity error or fatal."""
        return [
            i for i in self.validate(resource, profiles) if i.get("severity") in ERROR_SEVERITIES
        ]

    def stats(self) -> dict[str, Any]:
        """Worker-side figures: definitions loaded, value sets skipped as unexpandable, ..."""
        with self._lock:
            if self._proc is None:
                self._start()
            return dict(self._request({"command": "stats"}).get("stats", {}))

    def summary(self) -> str:
        rate = self.seconds / self.resources_validated if self.resources_validated else 0.0
        return (
            f"independent FHIR validator: {self.resources_validated} resources in "
            f"{self.seconds:.2f}s ({rate * 1000:.1f} ms each; "
            f"worker start {self.startup_seconds:.2f}s)"
        )


def format_issues(issues: list[dict]) -> str:
    return "\n".join(f"{i.get('severity')}: {i.get('path')}: {i.get('message')}" for i in issues)
