"""The physician's app in Debian's Chromium: what every browser test of the app shares
(tests/browser/test_physician_app.py, test_app_workflow.py, test_app_form.py): the stack and
browser fixtures, a page per test, a record of its own on the sandbox, the EHR launch, the
screening answered, what landed, screenshots.

A test module imports nothing from another (tests/unit/test_architecture.py), so the helpers are
here, once. Import the fixtures where they are used: `stack = app_browser.stack`.

Debian's Chromium (/usr/bin/chromium, `make setup` installs it), driven by Playwright; never
`playwright install`. Without Chromium the tests fail, they do not skip.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

import httpx
import pytest

from tests.support.app_stack import Stack, seed, start_stack, unscreened_record
from tests.support.factories import fresh_record
from tests.support.site import SITE

CHROMIUM: Final = "/usr/bin/chromium"
DOCS: Final = Path(__file__).resolve().parents[2] / "docs"
DESKTOP: Final = {"width": 1280, "height": 800}
LAPTOP: Final = {"width": 1366, "height": 768}
TABLET: Final = {"width": 820, "height": 1180}  # iPad Air, portrait
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


@pytest.fixture(scope="module")
def stack(fhir_base_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The service, the test EHR (SMART launch) and its proxy, on the sandbox (app_stack.py)."""
    running = start_stack(tmp_path_factory.mktemp("physician-app"), fhir_base_url)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as running:
        yield running


class Seen:
    """What the page did: requests it sent, CSP violations and script errors it met."""

    def __init__(self, page: Any) -> None:
        self.requests: list[str] = []
        self.problems: list[str] = []
        page.on("request", lambda r: self.requests.append(f"{r.method} {r.url}"))
        page.on("pageerror", lambda e: self.problems.append(f"pageerror: {e}"))
        page.on("console", self._console)

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text or message.type == "error":
            self.problems.append(message.text)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A tab of its own (a fresh context, 1280×800, Dutch), watched (`page.seen`: Seen)."""
    context = browser.new_context(viewport=DESKTOP, locale="nl-BE")
    tab = context.new_page()
    tab.seen = Seen(tab)
    try:
        yield tab
    finally:
        context.close()


def new_record(
    stack: Stack,
    extra: Iterable[dict[str, Any]] = (),
    patient: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, str]:
    """A record of its own on the server, unscreened, with `extra` resources (the EHR's ids,
    "lbp-example-", made the record's), its Patient changed by `patient`; its ids."""
    tag = uuid.uuid4().hex[:10]
    resources = [*unscreened_record(fresh_record(tag)), *extra]
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


def add_to_record(stack: Stack, record: dict[str, str], resources: list[dict[str, Any]]) -> None:
    """More of the record on the server (the EHR's ids: "lbp-example-" made the record's)."""
    text = json.dumps(resources).replace("lbp-example-", f"t-{record['tag']}-")
    seed(stack.fhir, json.loads(text))


def ehr_launch(page: Any, stack: Stack, record: dict[str, str], token_lifetime: int = 300) -> None:
    """The EHR launches the app for the record; back once the screening form is shown."""
    url = stack.ehr_launch_url(
        record["patient"], record["encounter"], token_lifetime, record["physician"]
    )
    page.goto(url)
    page.locator("#screening-form").wait_for(state="visible", timeout=30_000)


def answer(page: Any, yes: Iterable[str] = frozenset(), brochure: bool = True) -> None:
    """Every question answered by clicking: the red flags in `yes` present, the others not."""
    present = set(yes)
    for link_id in RED_FLAGS:
        page.check(f"#answer-{link_id}-{'true' if link_id in present else 'false'}")
    page.check(f"#answer-brochure-given-{'true' if brochure else 'false'}")


def store_positive_screening(
    page: Any, stack: Stack, record: dict[str, str], yes: Iterable[str]
) -> None:
    """Launched for `record`, the red flags in `yes` ticked, previewed (the off-pathway screen)
    and "Screening opslaan en terug naar het EPD" pressed; what follows is the caller's to wait
    for (the stored notice, or the way back to the EHR)."""
    ehr_launch(page, stack, record)
    answer(page, yes=yes)
    page.click("#preview-button")
    page.locator("#positive").wait_for(state="visible")
    page.click("#positive-store")


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
