"""Render the example discharge letter as HTML, PDF and a PNG of page 1 (for the README).

    .venv/bin/python scripts/render_example_letter.py [--out docs]

Builds the discharge of examples/input/happy-path-bundle.json, takes the letter as the attested
`document` Bundle its transaction stores (what `$document` renders once it landed) and writes
docs/letter-example.html, docs/letter-example.pdf and, when poppler's `pdftoppm` is installed,
docs/letter-page1.png.
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

SITE = load_site(DEFAULT_SITE_FILE)


def example_document() -> dict[str, Any]:
    """The letter as the transaction of the example's discharge stores it: the attested
    document, which `$document` serves and renders once it landed (core/stored_document.py)."""
    from fhir_discharge import build_discharge, context_from_bundle

    record = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    document = build_discharge(context_from_bundle(record), SITE).document
    assert document is not None
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
