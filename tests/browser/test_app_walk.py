"""What the independent walk of the physician's app in Chromium found (issue 22, "How it is
checked"; docs/walks/2026-12-07-chromium-walk.md), each defect fixed held by a test here: the
stored letter's frame is no Tab stop, a stored positive screening offers no second store, and a
window without a launch tells the physician what to do, not the developer.

Driven by Playwright as tests/browser/test_app_workflow_in_chromium.py does
(tests/support/app_browser.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import app_browser
from tests.support.app_browser import (
    answer,
    ehr_launch,
    new_record,
    on_server,
    store_positive_screening,
)
from tests.support.app_stack import Stack

stack = app_browser.stack
browser = app_browser.browser
page = app_browser.page

pytestmark = pytest.mark.slow


def focused_id(page: Any) -> str:
    return str(page.evaluate("document.activeElement ? document.activeElement.id : ''"))


def test_the_stored_letter_is_no_tab_stop_after_a_confirm(stack: Stack, page: Any) -> None:
    """As in the preview: Tab from the confirmation's heading goes to its own links and buttons,
    never into the letter's frame (whose first link sat 1,500 px down, its ring out of view)."""
    record = new_record(stack)
    ehr_launch(page, stack, record)
    answer(page)
    page.click("#preview-button")
    page.locator("#preview").wait_for(state="visible")
    page.click("#confirm")
    page.locator("#discharged").wait_for(state="visible", timeout=30_000)
    assert focused_id(page) == "discharged"
    stops = []
    for _ in range(3):
        page.keyboard.press("Tab")
        stops.append(focused_id(page))
    assert "discharged-letter" not in stops, stops
    assert stops[0] == "discharged-brochure", stops


def test_a_stored_positive_screening_offers_no_second_store(stack: Stack, page: Any) -> None:
    record = new_record(stack)
    store_positive_screening(page, stack, record, yes={"cauda-equina"})
    page.locator("#positive-stored").wait_for(state="visible", timeout=30_000)
    assert not page.locator("#positive-store").is_visible()
    assert page.locator("#positive-correct").is_visible()  # a correction still amends
    assert page.locator("#positive .ehr-closed").is_visible()
    [screening] = on_server(stack, "QuestionnaireResponse", record["encounter"])
    assert screening["status"] == "completed"

    # Correcting an answer and back to the positive screen: storing is offered again.
    page.click("#positive-correct")
    page.locator("#screening-form").wait_for(state="visible")
    page.click("#preview-button")
    page.locator("#positive").wait_for(state="visible")
    assert page.locator("#positive-store").is_visible()
    assert page.is_enabled("#positive-store")


def test_a_window_without_a_launch_says_what_to_do_without_developer_text(
    stack: Stack, page: Any
) -> None:
    """The app's address opened in a new tab (or after the browser dropped the tab's session):
    no session to resume. The physician reads to start again from the EHR; no URL syntax."""
    page.goto(f"{stack.service.url}/app/")
    page.locator("#alert").wait_for(state="visible", timeout=30_000)
    said = page.inner_text("#alert")
    assert "Start de app opnieuw vanuit het elektronisch patiëntendossier (EPD)" in said
    assert "/app/launch" not in said and "iss=" not in said and "standalone" not in said
    page.goto(f"{stack.service.url}/app/launch")  # a launch without `iss`: the same
    page.locator("#alert").wait_for(state="visible", timeout=30_000)
    assert "/app/launch" not in page.inner_text("#alert")


def test_the_stored_screenings_notice_has_no_empty_band_above_its_first_line(
    stack: Stack, page: Any
) -> None:
    record = new_record(stack)
    store_positive_screening(page, stack, record, yes={"cauda-equina"})
    page.locator("#positive-stored").wait_for(state="visible", timeout=30_000)
    ehr_launch(page, stack, record)
    gaps = page.evaluate(
        """(() => { const box = document.getElementById('screening-on-record');
          const b = box.getBoundingClientRect();
          const first = box.firstElementChild.getBoundingClientRect();
          const last = box.lastElementChild.getBoundingClientRect();
          return [first.top - b.top, b.bottom - last.bottom]; })()"""
    )
    # The box's padding (0.6rem) and border only: the text starts where the box does.
    assert gaps[0] <= 12 and gaps[1] <= 12, gaps
