"""Run the benchmarks: `.venv/bin/python -m benchmarks.run NAME` (NAME: core, e2e, throughput,
growth, latency or all).

Each prints its figures and ratios (Markdown tables, pasted into benchmarks/README.md). They are
not part of the test suite. Extra arguments go to the one benchmark named, e.g.
`.venv/bin/python -m benchmarks.run throughput --requests 2000`.
"""

from __future__ import annotations

import sys

from benchmarks import core, e2e, growth, latency, throughput

BENCHMARKS = {
    "core": core.main,
    "e2e": e2e.main,
    "throughput": throughput.main,
    "growth": growth.main,
    "latency": latency.main,
}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    name = args[0] if args else "all"
    if name not in (*BENCHMARKS, "all"):
        print(__doc__)
        return 2
    if name == "all":
        for run in BENCHMARKS.values():
            run([])
    else:
        BENCHMARKS[name](args[1:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
