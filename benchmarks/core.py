"""1. Pathway core: one discharge built (and model-checked) from a context, in-process.

    .venv/bin/python -m benchmarks.core [--rounds 20] [--per-round 100]

Side by side, in one run, interleaved round by round so drift hits every case alike:
  build                build_discharge(ctx, SITE)               (the gate + the five resources)
  build+model_check    build_discharge(ctx, SITE) then model_check() (R4B models' self-check)
  model_check          model_check(bundle) of an already built Bundle
  context              context_from_bundle(example)             (request body -> context; it
                                                                  validates the input Bundle
                                                                  with the R4B models)
  context+build        what the service does in-process per request
  check: R4B models    check_with_models(example): the R4B models' structure check alone
  check: subset        structure.conforms(example): the compiled subset that proves the usual
                       record valid first (check_structure falls back to the models otherwise)
  orjson floor         orjson.dumps(already built Bundle)
  json.dumps           json.dumps(already built Bundle)         (what httpx/Starlette use)
Each call is timed alone: CPU time (time.process_time_ns) and wall time (perf_counter_ns).
Goal: build <= 1 ms CPU at p50.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable

import orjson

from benchmarks.common import Deadline, Stats, footer, header, ratio, table, us, verdict
from fhir_discharge.config import DEFAULT_SITE_FILE, load_site
from fhir_discharge.core.record.context import check_with_models, context_from_bundle
from fhir_discharge.core.record.structure import conforms
from fhir_discharge.core.transaction import build_discharge
from tests.support.factories import happy_bundle
from tests.support.models import model_check

GOAL_NS = 1_000_000

SITE = load_site(DEFAULT_SITE_FILE)


def cases() -> dict[str, Callable[[], object]]:
    example = happy_bundle()
    ctx = context_from_bundle(example)
    built = build_discharge(ctx, SITE).bundle
    model_check(built)

    def build_and_check() -> None:
        model_check(build_discharge(ctx, SITE).bundle)

    return {
        "build": lambda: build_discharge(ctx, SITE),
        "build+model_check": build_and_check,
        "model_check": lambda: model_check(built),
        "context": lambda: context_from_bundle(example),
        "context+build": lambda: build_discharge(context_from_bundle(example), SITE),
        "check: R4B models": lambda: check_with_models(example, "body"),
        "check: subset": lambda: conforms(example),
        "orjson floor": lambda: orjson.dumps(built),
        "json.dumps": lambda: json.dumps(built, ensure_ascii=False, separators=(",", ":")),
    }


def measure(
    funcs: dict[str, Callable[[], object]], rounds: int, per_round: int, seconds: float
) -> dict[str, tuple[list[int], list[int]]]:
    samples: dict[str, tuple[list[int], list[int]]] = {name: ([], []) for name in funcs}
    for func in funcs.values():  # warm-up: imports, model schemas, caches
        for _ in range(20):
            func()
    deadline = Deadline(seconds)
    names = list(funcs)
    for r in range(rounds):
        if deadline.passed:
            print(f"(time budget of {seconds:.0f} s reached after {r} rounds)")
            break
        # Rotate the order each round: no case always runs first or last.
        for name in names[r % len(names) :] + names[: r % len(names)]:
            func = funcs[name]
            cpu, wall = samples[name]
            for _ in range(per_round):
                c0, w0 = time.process_time_ns(), time.perf_counter_ns()
                func()
                w1, c1 = time.perf_counter_ns(), time.process_time_ns()
                cpu.append(c1 - c0)
                wall.append(w1 - w0)
    return samples


def main(argv: list[str] | None = None) -> dict[str, Stats]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--per-round", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=180, help="time budget")
    args = parser.parse_args(argv)

    header("1. Pathway core (in-process, per discharge)")
    funcs = cases()
    samples = measure(funcs, args.rounds, args.per_round, args.seconds)
    cpu = {name: Stats.of(c) for name, (c, _) in samples.items()}
    wall = {name: Stats.of(w) for name, (_, w) in samples.items()}
    floor = cpu["orjson floor"].p50
    rows = [
        [
            name,
            cpu[name].n,
            us(cpu[name].p50),
            us(cpu[name].p99),
            us(wall[name].p50),
            us(wall[name].p99),
            ratio(cpu[name].p50, floor),
        ]
        for name in funcs
    ]
    print(
        table(
            [
                "case",
                "n",
                "CPU p50 µs",
                "CPU p99 µs",
                "wall p50 µs",
                "wall p99 µs",
                "p50 / orjson floor",
            ],
            rows,
        )
    )
    size = len(orjson.dumps(build_discharge(context_from_bundle(happy_bundle()), SITE).bundle))
    print(f"\nbuilt transaction Bundle: {size:,} bytes (orjson, compact), 5 entries")
    build, checked = cpu["build"].p50, cpu["build+model_check"].p50
    print(
        f"goal build <= 1 ms CPU p50: {us(build)} µs -> {verdict(build <= GOAL_NS)}; "
        f"build+model_check: {us(checked)} µs -> {verdict(checked <= GOAL_NS)}"
    )
    footer()
    return cpu


if __name__ == "__main__":
    main()
