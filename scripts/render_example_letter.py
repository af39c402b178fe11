"""Render the example discharge letter as HTML, PDF and a PNG of page 1 (for the README).

    .venv/bin/python scripts/render_example_letter.py [--out docs]

Builds the discharge of examples/input/happy-path-bundle.json, pretends the transaction landed
on a server (ids assigned, urn:uuid references rewritten to Type/id, as a FHIR server does),
assembles the `document` Bundle and writes docs/letter-example.html, docs/letter-example.pdf and,
when poppler's `pdftoppm` is installed, docs/letter-page1.png. Needs the `pdf` extra.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from fhir_discharge.config import DEFAULT_SITE_FILE, load_site

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "input" / "happy-path-bundle.json"
BASE_URL = "https://fhir.example.org/fhir"

SITE = load_site(DEFAULT_SITE_FILE)


def example_document() -> dict[str, Any]:
    from fhir_discharge import build_discharge, context_from_bundle
    from fhir_discharge.core.letter.document import (
        build_document,
        document_identifier,
        landed_resources,
    )

    record = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    discharge = build_discharge(context_from_bundle(record), SITE)
    # What the transaction-response would say: where each new resource landed.
    locations = {
        entry["fullUrl"]: f"{entry['resource']['resourceType']}/example-{n}/_history/1"
        for n, entry in enumerate(discharge.bundle["entry"], start=1)
    }
    landed = landed_resources(discharge.bundle, locations)
    composition = landed[0]
    document = build_document(
        composition,
        [entry["resource"] for entry in record["entry"]] + landed,
        identifier=document_identifier(composition),
        timestamp=composition["date"],
        base_url=BASE_URL,
    )
    for reference in document.missing_references:
        print(f"warning: not in the document: {reference}", file=sys.stderr)
    return document.bundle


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="output folder")
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    from fhir_discharge.core.rendering import render_letter_html, render_letter_pdf

    document = example_document()
    html_path, pdf_path = out / "letter-example.html", out / "letter-example.pdf"
    html_path.write_text(render_letter_html(document, SITE), encoding="utf-8")
    pdf_path.write_bytes(render_letter_pdf(document, SITE))
    print(f"wrote {html_path}\nwrote {pdf_path}")

    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        print("pdftoppm not found (Debian: apt-get install poppler-utils): no PNG written")
        return 0
    prefix = out / "letter-page1"
    subprocess.run(  # noqa: S603 (fixed arguments, our own file)
        [pdftoppm, "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", pdf_path, prefix],
        check=True,
    )
    print(f"wrote {prefix}.png")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
