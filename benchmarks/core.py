"""1. Pathway core: one discharge built (and model-checked) from a context, in-process.

    .venv/bin/python -m benchmarks.core [--rounds 20] [--per-round 100]

Side by side, in one run, interleaved round by round so drift hits every case alike:
  build                build_discharge(ctx, SITE): what the service posts (the gate, the resources,
                       the Communication with the letter as a KMEHR message and its PDF)
  build, no message    build_discharge(ctx, SITE, gp_message=False): the same without the KMEHR
                       message and its PDF (what the CDS card and the app's preview build)
  letter PDF           draw_letter_pdf(the letter's document): the PDF the KMEHR message carries,
                       drawn, with the fonts parsed once per process (core/rendering/pdf_fonts.py)
  letter PDF, kept     render_letter_pdf(the same document): the PDF kept by content digest
  letter PDF, fpdf2    the same PDF as fpdf2 makes it alone: both fonts parsed by add_font and cut
    alone              from the whole font for every document (the code before the font cache)
  build+model_check    build_discharge(ctx, SITE) then model_check() (the R4B models' self-check)
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
Each call is timed alone: CPU time (time.process_time_ns) and wall time (perf_counter_ns). The
cases that render a PDF (~50-120 ms each) run 1/20 as often per round as the others.
Goal: the build without the message <= 1 ms CPU at p50 (the PDF is measured on its own).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import orjson

from benchmarks.common import Deadline, Stats, footer, header, ratio, table, us, verdict
from fhir_discharge.config import DEFAULT_SITE_FILE, load_site
from fhir_discharge.core.record.context import check_with_models, context_from_bundle
from fhir_discharge.core.record.structure import conforms
from fhir_discharge.core.rendering import pdf as pdf_module
from fhir_discharge.core.rendering import render_letter_pdf
from fhir_discharge.core.rendering.pdf import draw_letter_pdf
from fhir_discharge.core.rendering.pdf_fonts import FONT_FILES
from fhir_discharge.core.transaction import build_discharge
from tests.support.factories import happy_bundle
from tests.support.models import model_check

GOAL_NS = 1_000_000
# Cases that render the letter's PDF: run 1/HEAVY_SHARE as often per round as the others.
HEAVY = frozenset(
    {"build", "build+model_check", "context+build", "letter PDF", "letter PDF, fpdf2 alone"}
)
HEAVY_SHARE = 20


@contextmanager
def fpdf2_alone() -> Iterator[None]:
    """render_letter_pdf as it was before the font cache: fpdf2's add_font for each font of
    every document, and fpdf2's own OutputProducer (subsetting the whole font). The same bytes
    (tests/unit/test_rendering.py), more CPU."""
    from fpdf.output import OutputProducer

    def add_fonts(pdf: Any, family: str) -> None:
        for style, path in FONT_FILES.items():
            pdf.add_font(family, style, str(path))

    # pdf.py imported both names from pdf_fonts: replace them where render_letter_pdf looks.
    saved = {name: getattr(pdf_module, name) for name in ("add_letter_fonts", "output_producer")}
    setattr(pdf_module, "add_letter_fonts", add_fonts)  # noqa: B010
    setattr(pdf_module, "output_producer", lambda: OutputProducer)  # noqa: B010
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(pdf_module, name, value)


SITE = load_site(DEFAULT_SITE_FILE)


def cases() -> dict[str, Callable[[], object]]:
    example = happy_bundle()
    ctx = context_from_bundle(example)
    discharge = build_discharge(ctx, SITE)
    built = discharge.bundle
    model_check(built)
    assert discharge.document is not None
    document = discharge.document.bundle
    assert draw_letter_pdf(document, SITE) == _alone(document) == render_letter_pdf(document, SITE)

    def build_and_check() -> None:
        model_check(build_discharge(ctx, SITE).bundle)

    return {
        # the same record each time: its letter's PDF is the one kept (pdf.py), drawn once
        "build": lambda: build_discharge(ctx, SITE),
        "build, no message": lambda: build_discharge(ctx, SITE, gp_message=False),
        "letter PDF": lambda: draw_letter_pdf(document, SITE),
        "letter PDF, kept": lambda: render_letter_pdf(document, SITE),
        "letter PDF, fpdf2 alone": lambda: _alone(document),
        "build+model_check": build_and_check,
        "model_check": lambda: model_check(built),
        "context": lambda: context_from_bundle(example),
        "context+build": lambda: build_discharge(context_from_bundle(example), SITE),
        "check: R4B models": lambda: check_with_models(example, "body"),
        "check: subset": lambda: conforms(example),
        "orjson floor": lambda: orjson.dumps(built),
        "json.dumps": lambda: json.dumps(built, ensure_ascii=False, separators=(",", ":")),
    }


def _alone(document: dict[str, Any]) -> bytes:
    with fpdf2_alone():
        return draw_letter_pdf(document, SITE)


def measure(
    funcs: dict[str, Callable[[], object]], rounds: int, per_round: int, seconds: float
) -> dict[str, tuple[list[int], list[int]]]:
    samples: dict[str, tuple[list[int], list[int]]] = {name: ([], []) for name in funcs}
    for name, func in funcs.items():  # warm-up: imports, model schemas, caches
        for _ in range(2 if name in HEAVY else 20):
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
            for _ in range(max(1, per_round // HEAVY_SHARE) if name in HEAVY else per_round):
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
            us(min(samples[name][0])),
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
                "CPU min µs",
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
    entries = len(build_discharge(context_from_bundle(happy_bundle()), SITE).bundle["entry"])
    print(f"\nbuilt transaction Bundle: {size:,} bytes (orjson, compact), {entries} entries")
    build = cpu["build, no message"].p50
    print(
        f"goal build (no message) <= 1 ms CPU p50: {us(build)} µs -> "
        f"{verdict(build <= GOAL_NS)}; with the KMEHR message and its PDF: "
        f"{us(cpu['build'].p50)} µs; the letter's PDF: min {us(min(samples['letter PDF'][0]))} "
        f"µs, fpdf2 alone min {us(min(samples['letter PDF, fpdf2 alone'][0]))} µs"
    )
    footer()
    return cpu


if __name__ == "__main__":
    main()
