"""4. Growth: time per discharge as the patient's record holds 1, 10, 100 and 1,000 Conditions.

    .venv/bin/python -m benchmarks.growth [--sizes 1,10,100,1000]

The extra Conditions are active, confirmed, non-red-flag (SNOMED 38341003 hypertension), on the
patient but not on this encounter: the gate must screen each for red flags and pass. Side by
side, per size, interleaved round by round (CPU time, time.process_time_ns):
  gate       check_eligibility(ctx, SITE.pathway)                   (red-flag screen + diagnosis)
  build      build_discharge(ctx, SITE)                     (gate + the five resources)
  context    context_from_bundle(bundle)              (R4B structure check of the whole input)
  total      build_discharge(context_from_bundle(bundle), SITE)
The slope is (t[max] - t[min]) / (max - min) per extra Condition; linear growth shows as
t[1000] / t[100] close to 10 (not 100).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from benchmarks.common import Deadline, Stats, footer, header, table, us
from fhir_discharge.config import DEFAULT_SITE_FILE, load_site
from fhir_discharge.core.gate import check_eligibility
from fhir_discharge.core.record.context import context_from_bundle
from fhir_discharge.core.transaction import build_discharge
from tests.support.factories import add, condition, happy_bundle

SNOMED = "http://snomed.info/sct"
HYPERTENSION = "38341003"
STAGES = ("gate", "build", "context", "total")

SITE = load_site(DEFAULT_SITE_FILE)


def record_with(n: int) -> dict[str, object]:
    """The example record with `n` Conditions in all: its low back pain one plus n-1 others."""
    bundle = happy_bundle()
    for i in range(max(0, n - 1)):
        add(bundle, condition(f"bench-htn-{i}", SNOMED, HYPERTENSION, encounter=False))
    return bundle


def stages(n: int) -> dict[str, Callable[[], object]]:
    bundle = record_with(n)
    ctx = context_from_bundle(bundle)
    assert len(ctx.conditions) == n
    build_discharge(ctx, SITE)  # passes the gate
    return {
        "gate": lambda: check_eligibility(ctx, SITE.pathway),
        "build": lambda: build_discharge(ctx, SITE),
        "context": lambda: context_from_bundle(bundle),
        "total": lambda: build_discharge(context_from_bundle(bundle), SITE),
    }


def iterations(n: int, budget_calls: int) -> int:
    # Fewer calls for the big records, so each size costs about the same time.
    return max(3, min(budget_calls, budget_calls * 10 // max(n, 10)))


def main(argv: list[str] | None = None) -> dict[int, dict[str, Stats]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10,100,1000")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=100, help="calls per round at size <= 10")
    parser.add_argument("--seconds", type=float, default=240, help="time budget")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]

    header("4. Growth with the number of Conditions (CPU per discharge)")
    funcs = {n: stages(n) for n in sizes}
    samples: dict[int, dict[str, list[int]]] = {n: {s: [] for s in STAGES} for n in sizes}
    for n in sizes:  # warm-up
        for func in funcs[n].values():
            func()
    deadline = Deadline(args.seconds)
    for r in range(args.rounds):
        if deadline.passed:
            print(f"(time budget reached after {r} rounds)")
            break
        for n in sizes[r % len(sizes) :] + sizes[: r % len(sizes)]:
            for stage in STAGES:
                func, out = funcs[n][stage], samples[n][stage]
                for _ in range(iterations(n, args.calls)):
                    c0 = time.process_time_ns()
                    func()
                    out.append(time.process_time_ns() - c0)
    stats = {n: {s: Stats.of(samples[n][s]) for s in STAGES} for n in sizes}
    print(
        table(
            ["Conditions", *(f"{s} p50 µs" for s in STAGES), "n per stage"],
            [[n, *(us(stats[n][s].p50) for s in STAGES), stats[n]["gate"].n] for n in sizes],
        )
    )
    lo, hi = min(sizes), max(sizes)
    print()
    rows = []
    for stage in STAGES:
        slope = (stats[hi][stage].p50 - stats[lo][stage].p50) / (hi - lo)
        row = [stage, f"{slope / 1e3:,.2f}"]
        if 100 in stats and 1000 in stats:
            row.append(f"{stats[1000][stage].p50 / stats[100][stage].p50:,.1f}")
        rows.append(row)
    print(table(["stage", "slope µs per Condition", "t(1000) / t(100)"], rows))
    print("\nlinear: t(1000)/t(100) near 10; quadratic would be near 100.")
    footer()
    return stats


if __name__ == "__main__":
    main()
