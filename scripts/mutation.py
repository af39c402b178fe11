"""Mutation testing of the gate and of what the letter states (issue 19, point 4), with mutmut.

    .venv/bin/python scripts/mutation.py --bounded            # what `make test` runs
    .venv/bin/python scripts/mutation.py --strict --record    # `make mutation`: every mutant

mutation.toml names the groups: the modules mutated, the tests that may kill them, and the
functions of the bounded subset. Each group runs in .mutation/<group>/ (links to the package,
the tests and the files they read; a pyproject.toml with the group's [tool.mutmut]), so the
repository's own files are never touched and the groups share no cache: every mutant chosen is
run, each time.

The run fails when a group's score (killed / mutants) is below the score recorded for the same
run (bounded or full) in docs/safety/mutation-score.json. Each survivor is matched against
docs/safety/mutation-survivors.toml (by its function and the lines it changes, not by mutmut's
numbering, which shifts when code moves); with --strict (`make mutation`) an unexplained survivor
fails the run too. A survivor is either killed by a new test or explained there.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "mutation.toml"
WORK = ROOT / ".mutation"
RECORDED = ROOT / "docs" / "safety" / "mutation-score.json"
EXPLAINED = ROOT / "docs" / "safety" / "mutation-survivors.toml"
TOOL = "mutmut"

# mutmut's exit codes per mutant (mutmut/stats.py): what counts as killed.
_KILLED = {1, 3, 36, 37}  # a test failed, pytest failed, a timeout, the type checker
_SURVIVED = {0}
_NO_TESTS = {5, 33}  # no test of the group reaches the mutated line


@dataclass
class Survivor:
    name: str
    module: str
    function: str
    before: list[str]
    after: list[str]
    reason: str | None = None


@dataclass
class GroupResult:
    group: str
    modules: list[str]
    tests: list[str]
    mutants: int = 0
    killed: int = 0
    survived: int = 0
    no_tests: int = 0
    other: int = 0
    seconds: float = 0.0
    survivors: list[Survivor] = field(default_factory=list)

    @property
    def score(self) -> float:
        return self.killed / self.mutants if self.mutants else 1.0

    @property
    def unexplained(self) -> list[Survivor]:
        return [s for s in self.survivors if s.reason is None]


def load_config() -> dict[str, Any]:
    return tomllib.loads(CONFIG.read_text(encoding="utf-8"))


def _pytest_options() -> dict[str, Any]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    options: dict[str, Any] = dict(project["tool"]["pytest"]["ini_options"])
    options["testpaths"] = ["tests"]
    return options


def _toml_value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string or list of strings is TOML


def selected_tests(spec: dict[str, Any], bounded: bool) -> list[str]:
    """The tests that may kill the group's mutants: in the bounded run its fast selection."""
    return list(spec.get("bounded_tests", spec["tests"]) if bounded else spec["tests"])


def prepare(group: str, spec: dict[str, Any], config: dict[str, Any], bounded: bool) -> Path:
    """A fresh working directory for one group's mutmut run."""
    also_copy: list[str] = config["also_copy"]
    pytest_args = ["-p", "no:cacheprovider", *(f"--deselect={t}" for t in config["deselect"])]
    work = WORK / group
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    for name in ("fhir_discharge", "tests", *also_copy):
        (work / name).symlink_to(ROOT / name)
    lines = ["[tool.pytest.ini_options]"]
    lines += [f"{key} = {_toml_value(value)}" for key, value in _pytest_options().items()]
    lines += [
        "",
        "[tool.mutmut]",
        'source_paths = ["fhir_discharge"]',
        f"only_mutate = {_toml_value(spec['modules'])}",
        f"pytest_add_cli_args_test_selection = {_toml_value(selected_tests(spec, bounded))}",
        f"pytest_add_cli_args = {_toml_value(pytest_args)}",
        f"also_copy = {_toml_value(also_copy)}",
        "use_git_change_detection = false",
    ]
    (work / "pyproject.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return work


def mutant_pattern(function: str) -> str:
    """`fhir_discharge/core/gate/record.py:holding` -> mutmut's names of its mutants."""
    path, _, name = function.partition(":")
    module = path.removesuffix(".py").replace("/", ".").removesuffix(".__init__")
    if "." in name:
        cls, method = name.split(".")
        return f"{module}.x\u01c1{cls}\u01c1{method}__mutmut_*"
    return f"{module}.x_{name}__mutmut_*"


def run_group(
    group: str, spec: dict[str, Any], config: dict[str, Any], jobs: int, bounded: bool
) -> GroupResult:
    work = prepare(group, spec, config, bounded)
    log = WORK / f"{group}.log"
    patterns = [mutant_pattern(f) for f in spec.get("bounded", [])] if bounded else []
    started = time.monotonic()
    with log.open("w", encoding="utf-8") as out:
        completed = subprocess.run(  # noqa: S603 (our own venv's mutmut, fixed arguments)
            [sys.executable, "-m", "mutmut", "run", "--max-children", str(jobs), *patterns],
            cwd=work,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONHASHSEED": "0"},
            check=False,
        )
    result = GroupResult(group, list(spec["modules"]), selected_tests(spec, bounded))
    result.seconds = round(time.monotonic() - started, 1)
    if completed.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise SystemExit(f"mutmut failed for group {group} (see {log}):\n{tail}")
    for module in spec["modules"]:
        meta = work / "mutants" / f"{module}.meta"
        codes: dict[str, int | None] = json.loads(meta.read_text(encoding="utf-8"))[
            "exit_code_by_key"
        ]
        for name, code in sorted(codes.items()):
            if patterns and not any(fnmatch.fnmatchcase(name, p) for p in patterns):
                continue
            result.mutants += 1
            if code in _KILLED:
                result.killed += 1
            elif code in _SURVIVED:
                result.survived += 1
                result.survivors.append(_survivor(work, name, module))
            elif code in _NO_TESTS:
                result.no_tests += 1
                result.survivors.append(_survivor(work, name, module))
            else:
                result.other += 1  # not checked, suspicious, a segfault: never counted as killed
    return result


def _survivor(work: Path, name: str, module: str) -> Survivor:
    """The survivor's function and the lines it changes, read with mutmut's own diff."""
    diff = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "mutmut", "show", name],
        cwd=work,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    before = [
        line[1:].strip()
        for line in diff.splitlines()
        if line.startswith("-") and not line.startswith("---")
    ]
    after = [
        line[1:].strip()
        for line in diff.splitlines()
        if line.startswith("+") and not line.startswith("+++")
    ]
    return Survivor(name, module, function_of(name), before, after)


def function_of(mutant: str) -> str:
    """`fhir_discharge.core.gate.record.x_holding__mutmut_3` -> `holding`;
    a method `xǁ_ScanǁunreadableXX__mutmut_1` -> `_Scan.unreadable`."""
    mangled = mutant.partition("__mutmut_")[0].rpartition(".")[2]
    if "ǁ" in mangled:
        _, cls, method = mangled.split("ǁ")
        return f"{cls}.{method}"
    return mangled.removeprefix("x_")


def explain(results: list[GroupResult]) -> None:
    """Give each survivor its reason from docs/safety/mutation-survivors.toml, if listed."""
    entries = tomllib.loads(EXPLAINED.read_text(encoding="utf-8")).get("survivor", [])
    for result in results:
        for survivor in result.survivors:
            for entry in entries:
                if (
                    entry["function"] == survivor.function
                    and entry["before"] == survivor.before
                    and entry["after"] == survivor.after
                ):
                    survivor.reason = entry["reason"]
                    break


def recorded_scores(run: str) -> dict[str, float]:
    if not RECORDED.is_file():
        return {}
    data = json.loads(RECORDED.read_text(encoding="utf-8"))
    return {group: entry["score"] for group, entry in data.get(run, {}).items()}


def record(results: list[GroupResult], run: str) -> None:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    data = json.loads(RECORDED.read_text(encoding="utf-8")) if RECORDED.is_file() else {}
    data.update(
        {
            "tool": TOOL,
            "version": version(TOOL),
            "date": datetime.now(UTC).date().isoformat(),
            "commit": commit,
        }
    )
    groups = data.setdefault(run, {})
    for result in results:
        groups[result.group] = {
            "modules": result.modules,
            "tests": result.tests,
            "mutants": result.mutants,
            "killed": result.killed,
            "survived": result.survived,
            "no_tests": result.no_tests,
            "explained": len(result.survivors) - len(result.unexplained),
            "score": round(result.score, 4),
            "seconds": result.seconds,
        }
    RECORDED.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def report(results: list[GroupResult], recorded: dict[str, float]) -> list[str]:
    """Print each group's figures; return what fails the run."""
    failures: list[str] = []
    for result in results:
        floor = recorded.get(result.group)
        print(
            f"{result.group}: {result.killed}/{result.mutants} killed "
            f"(score {result.score:.2%}; recorded {'none' if floor is None else f'{floor:.2%}'}), "
            f"{result.survived} survived, {result.no_tests} reached by no test, "
            f"{len(result.unexplained)} unexplained; {result.seconds:.0f} s"
        )
        for survivor in result.unexplained:
            print(f"  unexplained: {survivor.name} ({survivor.module} {survivor.function})")
            print(f"    - {' / '.join(survivor.before)}")
            print(f"    + {' / '.join(survivor.after)}")
        if floor is not None and round(result.score, 4) < floor:
            failures.append(
                f"{result.group}: mutation score {result.score:.2%} is below the recorded "
                f"{floor:.2%}"
            )
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bounded", action="store_true", help="only the bounded functions")
    parser.add_argument("--group", action="append", help="only this group (repeatable)")
    parser.add_argument("--record", action="store_true", help="write the scores to the record")
    parser.add_argument("--strict", action="store_true", help="an unexplained survivor fails")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--json", type=Path, help="write every survivor to this file")
    args = parser.parse_args(argv)

    config = load_config()
    groups: dict[str, dict[str, Any]] = config["groups"]
    chosen = [
        name
        for name, spec in groups.items()
        if (not args.bounded or spec.get("bounded")) and (not args.group or name in args.group)
    ]
    run = "bounded" if args.bounded else "full"
    recorded = recorded_scores(run)
    results = [run_group(name, groups[name], config, args.jobs, args.bounded) for name in chosen]
    explain(results)
    failures = report(results, recorded)
    if args.strict:
        failures += [
            f"{r.group}: {len(r.unexplained)} survivors neither killed nor explained"
            for r in results
            if r.unexplained
        ]
    if args.json:
        args.json.write_text(
            json.dumps([asdict(s) for r in results for s in r.survivors], indent=2) + "\n",
            encoding="utf-8",
        )
    if args.record:
        record(results, run)
    total = sum(r.seconds for r in results)
    print(f"mutation testing ({run}): {len(results)} groups in {total:.0f} s")
    for failure in failures:
        print(f"FAILED {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
