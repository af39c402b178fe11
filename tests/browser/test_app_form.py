"""The physician's screening form in Debian's Chromium: the keyboard alone (Tab, Space, Enter), an
incomplete screening at 1366×768, the tablet, the focus ring's contrast and axe-core at each step.

axe-core is the npm package pinned in tools/axe (`make setup` installs it; without it these tests
fail, they do not skip). It is evaluated into the page by Playwright (the page's CSP allows no
inline script, and is left as it is). The letter's frame is checked as its own document: the
frame runs no script (sandbox), so axe cannot be run inside it from the page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from fhir_discharge.core.i18n.catalogue import catalogue
from tests.support import app_browser
from tests.support.app_browser import (
    ITEMS,
    LAPTOP,
    QUESTION,
    RED_FLAGS,
    TABLET,
    answer,
    ehr_launch,
    new_record,
    on_server,
    shot,
)
from tests.support.app_stack import Stack

pytestmark = pytest.mark.slow

AXE = Path(__file__).resolve().parents[2] / "tools/axe/node_modules/axe-core/axe.min.js"
APP = catalogue("nl-BE").app
SHORT = catalogue("nl-BE").values["items"]


@cache
def _axe_source() -> str:
    if not AXE.exists():
        pytest.fail(f"axe-core is not installed ({AXE}): run `make setup`", pytrace=False)
    return AXE.read_text(encoding="utf-8")


def axe_violations(page: Any) -> list[str]:
    """axe-core's violations on the page as it is now (every rule, best practices included); the
    letter's frame is left to `letter_violations`."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    found = page.evaluate(
        """async () => (await axe.run(document, {iframes: false})).violations.map(
             v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))"""
    )
    return list(found)


def letter_violations(page: Any) -> list[str]:
    """axe-core on the previewed letter, as its own document."""
    letter = page.evaluate("document.getElementById('letter').srcdoc")
    own = page.context.new_page()
    try:
        own.set_content(letter)
        return axe_violations(own)
    finally:
        own.close()


# The fixtures (tests/support/app_browser.py): the stack and Chromium.
stack = app_browser.stack
browser = app_browser.browser


@pytest.fixture
def open_page(browser: Any) -> Iterator[Any]:
    """A page opener: a fresh context at the viewport asked for (1366×768 by default)."""
    contexts: list[Any] = []

    def opened(viewport: dict[str, int] = LAPTOP) -> Any:
        context = browser.new_context(
            viewport=viewport, locale="nl-BE", has_touch=viewport is TABLET
        )
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        return page

    try:
        yield opened
    finally:
        for context in contexts:
            context.close()


def focused(page: Any) -> str:
    """The focused element: a radio as `name=value`, else its id (or tag)."""
    return str(
        page.evaluate(
            """() => { const e = document.activeElement;
                 return e.type === 'radio' ? e.name + '=' + e.value : e.id || e.tagName }"""
        )
    )


def tab_to(page: Any, target: str, key: str = "Tab", limit: int = 60) -> list[str]:
    """Press `key` until `target` has the focus; what had it on the way."""
    seen: list[str] = []
    for _ in range(limit):
        page.keyboard.press(key)
        seen.append(focused(page))
        if seen[-1] == target:
            return seen
    raise AssertionError(f"{target} never focused: {seen}")


def checked(page: Any) -> dict[str, str]:
    return dict(
        page.evaluate(
            """() => Object.fromEntries([...document.querySelectorAll('input:checked')]
                 .map(e => [e.name, e.value]))"""
        )
    )


def in_view(page: Any, selector: str) -> bool:
    """The element is wholly inside the viewport as the page is scrolled now."""
    return bool(
        page.evaluate(
            """s => { const r = document.querySelector(s).getBoundingClientRect();
                 return r.height > 0 && r.top >= 0 && r.left >= 0 &&
                        r.bottom <= innerHeight && r.right <= innerWidth }""",
            selector,
        )
    )


# --- contrast (WCAG 2.x relative luminance) ------------------------------------------------


def _channels(css: str) -> tuple[float, float, float, float]:
    numbers = [float(n) for n in re.findall(r"[\d.]+", css)]
    red, green, blue = numbers[:3]
    return red, green, blue, numbers[3] if len(numbers) > 3 else 1.0


def luminance(css: str) -> float:
    def linear(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue, _ = _channels(css)
    return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)


def contrast(one: str, other: str) -> float:
    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


# The focused element's ring (outline) and what it is drawn on: the first opaque background of
# its ancestors (the ring lies outside the element, by its outline-offset).
_RING = """() => {
  const e = document.activeElement;
  const style = getComputedStyle(e);
  let under = 'rgb(255, 255, 255)';
  for (let p = e.parentElement; p; p = p.parentElement) {
    const bg = getComputedStyle(p).backgroundColor;
    if (bg !== 'rgba(0, 0, 0, 0)' && bg !== 'transparent') { under = bg; break; }
  }
  return {style: style.outlineStyle, width: parseFloat(style.outlineWidth),
          color: style.outlineColor, under, visible: e.matches(':focus-visible')};
}"""


def ring_problems(page: Any) -> list[str]:
    ring = page.evaluate(_RING)
    name = focused(page)
    if ring["style"] in ("none", "hidden") or ring["width"] < 2:
        return [f"{name}: no focus ring ({ring})"]
    ratio = contrast(ring["color"], ring["under"])
    return [] if ratio >= 3 else [f"{name}: ring {ring['color']} on {ring['under']}: {ratio:.2f}:1"]


def test_the_contrast_formula_gives_wcags_figures() -> None:
    # The WCAG examples: black on white 21:1; the old ring (#f5a623) on white 2.0:1.
    assert contrast("rgb(0, 0, 0)", "rgb(255, 255, 255)") == pytest.approx(21)
    assert contrast("rgb(245, 166, 35)", "rgb(255, 255, 255)") == pytest.approx(2.0, abs=0.05)


# --- the walks -----------------------------------------------------------------------------


def test_keyboard_alone_reaches_a_confirmed_discharge_with_no_red_flag(
    stack: Stack, open_page: Any
) -> None:
    page = open_page()
    record = new_record(stack)
    ehr_launch(page, stack, record)
    assert axe_violations(page) == [], "form empty"
    assert page.locator("h1").count() == 1

    # Tab into each question, Space, Tab on: the normal answer every time.
    page.evaluate("document.activeElement.blur()")
    walk = tab_to(page, f"{ITEMS[0]}=false")
    problems = ring_problems(page)
    for link_id in ITEMS:
        normal = "true" if link_id == "brochure-given" else "false"
        assert focused(page) == f"{link_id}={normal}"
        page.keyboard.press("Space")
        problems += ring_problems(page)
        page.keyboard.press("Tab")
    assert checked(page) == {**dict.fromkeys(RED_FLAGS, "false"), "brochure-given": "true"}
    assert focused(page) == "preview-button"
    problems += ring_problems(page)
    assert axe_violations(page) == [], "form filled"

    page.keyboard.press("Enter")
    page.locator("#preview").wait_for(state="visible")
    assert axe_violations(page) == [], "preview"
    assert letter_violations(page) == [], "the letter"
    # To the confirm button: every stop shows its ring; the letter's frame is no stop.
    walk = tab_to(page, "confirm")
    assert "letter" not in walk and "IFRAME" not in walk and "BODY" not in walk, walk
    problems += ring_problems(page)
    page.keyboard.press("Enter")
    # the clinical confirmation, read back from the server (issue 22, point 3)
    page.locator("#discharged").wait_for(state="visible", timeout=30_000)
    assert axe_violations(page) == [], "confirmation"
    assert problems == []

    (screening,) = on_server(stack, "QuestionnaireResponse", record["encounter"])
    assert {i["linkId"]: i["answer"][0]["valueBoolean"] for i in screening["item"]} == {
        **dict.fromkeys(RED_FLAGS, False),
        "brochure-given": True,
    }
    assert len(on_server(stack, "Composition", record["encounter"])) == 1
    assert page.errors == []


def test_every_focus_stop_has_a_ring_of_three_to_one(stack: Stack, open_page: Any) -> None:
    page = open_page()
    ehr_launch(page, stack, new_record(stack))
    # An incomplete try first: the message's links and the marked questions are stops too.
    page.click("#answer-malignancy-true")
    page.click("#preview-button")
    page.evaluate("document.activeElement.blur()")
    problems: list[str] = []
    for stop in tab_to(page, "preview-button"):
        assert stop
        problems += ring_problems(page)
    answer(page)
    page.click("#preview-button")
    page.locator("#preview").wait_for(state="visible")
    page.evaluate("document.activeElement.blur()")
    for _ in tab_to(page, "confirm"):
        problems += ring_problems(page)
    assert problems == []


def test_space_on_the_first_focus_of_a_question_never_ticks_a_red_flag(
    stack: Stack, open_page: Any
) -> None:
    page = open_page()
    ehr_launch(page, stack, new_record(stack))
    # Backwards (Shift+Tab lands on a group's last radio, a red flag's "Ja"): Space on each
    # question's first focus gives its normal answer all the same.
    page.focus("#preview-button")
    for link_id in reversed(ITEMS):
        page.keyboard.press("Shift+Tab")
        normal = "true" if link_id == "brochure-given" else "false"
        assert focused(page) == f"{link_id}={normal}"
        page.keyboard.press("Space")
    assert checked(page) == {**dict.fromkeys(RED_FLAGS, "false"), "brochure-given": "true"}
    # A red flag is a deliberate act: the arrow key from "Nee", or a click.
    page.focus("#answer-cauda-equina-false")
    page.keyboard.press("ArrowRight")
    assert checked(page)["cauda-equina"] == "true"
    page.click("#answer-fracture-true")
    assert checked(page)["fracture"] == "true"
    assert focused(page) == "fracture=true"


def test_enter_on_a_radio_does_not_submit(stack: Stack, open_page: Any) -> None:
    page = open_page()
    ehr_launch(page, stack, new_record(stack))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    answer(page)
    for link_id in ("malignancy", "brochure-given"):
        page.focus(f"#answer-{link_id}-false")
        page.keyboard.press("Enter")
    page.wait_for_timeout(500)
    assert not page.locator("#preview").is_visible()
    assert page.locator("#screening-form").is_visible()
    assert [r for r in requests if "/api/" in r] == []
    # Enter on an unanswered question's radio: no message either.
    assert page.inner_text("#form-error") == ""


@pytest.mark.parametrize("viewport", [LAPTOP, TABLET], ids=["1366x768", "tablet"])
def test_an_incomplete_screening_is_said_in_view_and_its_questions_marked(
    stack: Stack, open_page: Any, viewport: dict[str, int]
) -> None:
    page = open_page(viewport)
    ehr_launch(page, stack, new_record(stack))
    assert in_view(page, "#preview-button")  # sticky: reachable from the top of the page
    for link_id in RED_FLAGS:
        if link_id != "cauda-equina":
            page.check(f"#answer-{link_id}-false")
    page.click("#preview-button")
    message = page.locator("#form-error")
    message.locator(".alert").wait_for(state="visible")
    assert in_view(page, "#form-error")
    assert page.get_attribute("#form-error", "role") == "alert"
    # The open questions by their short names, as a list; no question text.
    assert message.locator("p").inner_text() == APP["unanswered"]
    listed = message.locator("li").all_inner_texts()
    assert listed == [SHORT["cauda-equina"].capitalize(), SHORT["brochure-given"].capitalize()]
    assert "?" not in message.inner_text()
    # Marked: aria-invalid on the open ones' radios, a visible marker; none on the answered.
    for link_id in ITEMS:
        invalid = page.locator(f"input[name='{link_id}'][aria-invalid='true']").count()
        marker = page.locator(f"#item-{link_id} .open-marker")
        if link_id in ("cauda-equina", "brochure-given"):
            assert invalid == 2 and marker.is_visible()
            assert marker.inner_text() == APP["open-marker"]
        else:
            assert invalid == 0 and not marker.is_visible()
    # The focus on the first open question, in view too.
    assert focused(page) == "cauda-equina=false"
    assert in_view(page, "#answer-cauda-equina-false")
    assert axe_violations(page) == [], "form incomplete, with the message"
    if viewport is LAPTOP:  # the screen as it is, not the whole page: the message is in view
        shot(page, "app-8-incomplete-1366x768.png", full_page=False)
    # The message's link goes to its question; answering it clears its mark.
    message.get_by_role("link", name=SHORT["brochure-given"].capitalize()).click()
    assert focused(page) == "brochure-given=true"
    page.keyboard.press("Space")
    assert page.locator("input[name='brochure-given'][aria-invalid]").count() == 0
    assert not page.locator("#item-brochure-given .open-marker").is_visible()
    # Answered, it leaves the message; the message goes with the last one.
    assert message.locator("li").all_inner_texts() == [SHORT["cauda-equina"].capitalize()]
    page.check("#answer-cauda-equina-false")
    assert page.inner_text("#form-error") == ""
    assert page.locator("[aria-invalid]").count() == 0
    assert page.errors == []


@pytest.mark.parametrize("viewport", [LAPTOP, TABLET], ids=["1366x768", "tablet"])
def test_the_confirm_button_is_in_view_without_scrolling(
    stack: Stack, open_page: Any, viewport: dict[str, int]
) -> None:
    page = open_page(viewport)
    ehr_launch(page, stack, new_record(stack))
    answer(page)
    page.click("#preview-button")
    page.locator("#preview").wait_for(state="visible")
    page.evaluate("window.scrollTo(0, 0)")
    # The page is longer than the screen (the letter), and the button is on the screen.
    assert page.evaluate("document.documentElement.scrollHeight") > viewport["height"]
    assert in_view(page, "#confirm") and in_view(page, "#back")
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight / 2)")
    assert in_view(page, "#confirm")


def _older_without_gp(patient: dict[str, Any]) -> None:
    patient["birthDate"] = "1948-06-02"
    del patient["generalPractitioner"]


@pytest.mark.parametrize("viewport", [LAPTOP, TABLET], ids=["1366x768", "tablet"])
def test_the_warnings_are_on_the_screen_with_the_confirm_button(
    stack: Stack, open_page: Any, viewport: dict[str, int]
) -> None:
    # The sticky button can be pressed before the page is scrolled: the preview's warnings ("Let
    # op") are on the screen when it opens (first beside the letter, or above it on one column).
    page = open_page(viewport)
    ehr_launch(page, stack, new_record(stack, patient=_older_without_gp))
    answer(page)
    page.click("#preview-button")
    page.locator("#preview").wait_for(state="visible")
    assert page.locator("#warnings-list li").count() >= 2
    assert in_view(page, "#warnings") and in_view(page, "#confirm")
    # Not under the sticky bar either.
    bar = page.locator("#preview .action-bar").bounding_box()
    warnings = page.locator("#warnings").bounding_box()
    assert bar is not None and warnings is not None
    assert warnings["y"] + warnings["height"] <= bar["y"]


def test_a_ticked_red_flag_is_told_in_words_and_the_brochure_apart(
    stack: Stack, open_page: Any
) -> None:
    page = open_page()
    ehr_launch(page, stack, new_record(stack))
    flag = page.get_by_role("group", name=QUESTION["cauda-equina"])
    # "Nee" first; "Ja, aanwezig" says what it means.
    radios = flag.get_by_role("radio")
    assert [r.get_attribute("value") for r in radios.all()] == ["false", "true"]
    assert flag.get_by_role("radio", name=APP["red-flag-yes"], exact=True).count() == 1
    marker = page.locator("#item-cauda-equina .flag-marker")
    assert not marker.is_visible()
    page.check("#answer-cauda-equina-true")
    assert marker.is_visible() and APP["red-flag-ticked"] in marker.inner_text()
    page.locator("#item-cauda-equina").scroll_into_view_if_needed()
    shot(page, "app-9-red-flag-ticked.png", full_page=False)
    ticked = page.locator("#answer-cauda-equina-true").locator("xpath=..")
    page.check("#answer-malignancy-false")
    no = page.locator("#answer-malignancy-false").locator("xpath=..")
    look = "e => { const s = getComputedStyle(e); return [s.backgroundColor, s.borderColor] }"
    assert ticked.evaluate(look) != no.evaluate(look)
    assert not page.locator("#item-malignancy .flag-marker").is_visible()
    # The brochure: under its own heading, not among the red flags, "Ja, meegegeven" first.
    assert page.locator("#items #item-brochure-given").count() == 0
    brochure = page.locator("#discharge-items").get_by_role(
        "group", name=QUESTION["brochure-given"]
    )
    labels = brochure.locator("label").all_inner_texts()
    assert labels == [APP["brochure-yes"], APP["brochure-no"]]
    assert page.locator("#item-brochure-given .flag-marker").count() == 0
    assert page.inner_text("#discharge-items-heading") == APP["discharge-items-heading"]
