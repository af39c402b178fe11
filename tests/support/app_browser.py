"""The physician's app in Debian's Chromium: what the browser tests of the screening form
(tests/browser/test_app_form.py) share with the app's flows (tests/browser/test_physician_app.py
keeps its own copies, written before this module).

Debian's Chromium (/usr/bin/chromium, `make setup` installs it), driven by Playwright; never
`playwright install`. Without Chromium the tests fail, they do not skip.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

import httpx
import pytest

from tests.support.app_stack import Stack, seed, unscreened_record
from tests.support.factories import fresh_record
from tests.support.site import SITE

CHROMIUM: Final = "/usr/bin/chromium"
DOCS: Final = Path(__file__).resolve().parents[2] / "docs"
TABLET: Final = {"width": 820, "height": 1180}  # iPad Air, portrait
LAPTOP: Final = {"width": 1366, "height": 768}
ITEMS: Final = [item.link_id for item in SITE.pathway.screening.items]
RED_FLAGS: Final = ITEMS[:-1]
QUESTION: Final = {item.link_id: item.text for item in SITE.pathway.screening.items}


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium, headless, under Playwright."""
    from playwright.sync_api import sync_playwright

    if shutil.which("chromium") is None and not Path(CHROMIUM).exists():
        pytest.fail(
            "Chromium is not installed: `apt-get install -y chromium` (make setup does it)",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def new_record(
    stack: Stack, patient: Callable[[dict[str, Any]], None] | None = None
) -> dict[str, str]:
    """A record of its own on the server, unscreened (its Patient changed by `patient`); its
    ids."""
    tag = uuid.uuid4().hex[:10]
    resources = unscreened_record(fresh_record(tag))
    if patient is not None:
        patient(next(r for r in resources if r["resourceType"] == "Patient"))
    text = json.dumps(resources).replace("lbp-example-", f"t-{tag}-")
    seed(stack.fhir, json.loads(text))
    return {
        "tag": tag,
        "patient": f"t-{tag}-patient",
        "encounter": f"t-{tag}-encounter",
        "physician": f"t-{tag}-ed-physician",
    }


def ehr_launch(page: Any, stack: Stack, record: dict[str, str]) -> None:
    """The EHR launches the app for the record; back once the screening form is shown."""
    page.goto(
        stack.ehr_launch_url(record["patient"], record["encounter"], 300, record["physician"])
    )
    page.locator("#screening-form").wait_for(state="visible", timeout=30_000)


def answer(page: Any, yes: frozenset[str] = frozenset(), brochure: bool = True) -> None:
    """Every question answered by clicking: the red flags in `yes` present, the others not."""
    for link_id in RED_FLAGS:
        page.check(f"#answer-{link_id}-{'true' if link_id in yes else 'false'}")
    page.check(f"#answer-brochure-given-{'true' if brochure else 'false'}")


def on_server(stack: Stack, resource_type: str, encounter: str) -> list[dict[str, Any]]:
    """The resources of a type the FHIR server holds for the encounter."""
    bundle = httpx.get(
        f"{stack.fhir}/{resource_type}", params={"encounter": f"Encounter/{encounter}"}, timeout=30
    ).json()
    return [e["resource"] for e in bundle.get("entry") or []]


def shot(page: Any, name: str, full_page: bool = True) -> None:
    """A screenshot of the screen; into docs/ only when asked (FHIR_DISCHARGE_SCREENSHOTS=docs),
    so a test run leaves the checkout as it was. It is taken either way: a screen that cannot
    be drawn fails the test."""
    target = (
        DOCS
        if os.environ.get("FHIR_DISCHARGE_SCREENSHOTS") == "docs"
        else Path(tempfile.gettempdir())
    )
    page.screenshot(path=str(target / name), full_page=full_page)
