"""The physician's app's workflow states in Debian's Chromium (issue 22, points 1-4 and 7): a
positive screening stored as documented and corrected by amendment, a discharged encounter
read-only at a second launch, the clinical confirmation and its reload, the preview that is the
letter, and a failed login said in Dutch.

Driven by Playwright as tests/browser/test_physician_app.py does (tests/support/app_browser.py),
each test with a record of its own on the FHIR sandbox, launched as the EHR would; what landed is
checked on the server.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support import app_browser
from tests.support.app_browser import (
    QUESTION,
    RED_FLAGS,
    answer,
    ehr_launch,
    new_record,
    on_server,
    shot,
    store_positive_screening,
)
from tests.support.app_stack import Stack, start_stack

# The fixtures (tests/support/app_browser.py): the stack, Chromium, a page per test.
stack = app_browser.stack
browser = app_browser.browser
page = app_browser.page

pytestmark = pytest.mark.slow

ALL_CLEAR = {**dict.fromkeys(RED_FLAGS, False), "brochure-given": True}
DISCHARGED_AT = "25 november 2026 om 12.40 uur"  # the example encounter's end, Brussels time


@pytest.fixture(scope="module")
def returning_stack(
    fhir_base_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """The stack with the site's way back to the EHR configured (FHIR_DISCHARGE_APP_RETURN_URL)."""
    running = start_stack(tmp_path_factory.mktemp("returning"), fhir_base_url, return_to_ehr=True)
    try:
        yield running
    finally:
        running.stop()


def answered(screening: dict[str, Any]) -> dict[str, bool]:
    return {i["linkId"]: i["answer"][0]["valueBoolean"] for i in screening["item"]}


def made_for(stack: Stack, record: dict[str, str], resource_type: str) -> list[Any]:
    bundle = httpx.get(
        f"{stack.fhir}/{resource_type}",
        params={"subject": f"Patient/{record['patient']}"},
        timeout=30,
    ).json()
    return bundle.get("entry") or []


def discharge(page: Any, stack: Stack, record: dict[str, str]) -> dict[str, Any]:
    """Launch, screen all clear, preview, confirm; the preview's answer."""
    previews: list[Any] = []
    page.on("response", lambda r: previews.append(r) if r.url.endswith("/api/preview") else None)
    ehr_launch(page, stack, record)
    answer(page)
    page.click("#preview-button")
    page.locator("#preview").wait_for(state="visible")
    page.click("#confirm")
    page.locator("#discharged").wait_for(state="visible", timeout=30_000)
    return dict(previews[-1].json())


# --- point 1: a positive screening ------------------------------------------------------------


def test_a_positive_screening_is_stored_as_documented_and_says_the_flags(
    returning_stack: Stack, page: Any
) -> None:
    stack = returning_stack
    record = new_record(stack)
    ehr_launch(page, stack, record)
    answer(page, yes={"cauda-equina", "fracture"})
    page.click("#preview-button")
    page.locator("#positive").wait_for(state="visible")
    assert page.inner_text("#positive-heading") == (
        "Buiten het zorgpad: alarmsignaal gedocumenteerd"
    )
    intro = page.inner_text("#positive-intro")
    assert "valt buiten het zorgpad" in intro and "wordt in het dossier opgeslagen" in intro
    flags = page.locator("#positive-flags li").all_inner_texts()
    # The flags' clinical names (catalogue values.red_flag), not the questions.
    assert [f.split(" (")[0] for f in flags] == ["fractuur", "caudasyndroom"]
    assert QUESTION["cauda-equina"] not in page.inner_text("#positive")
    # The main action stores and returns to the EHR (the site's return URL).
    assert page.locator("#positive-store").inner_text() == "Screening opslaan en terug naar het EPD"
    page.click("#positive-store")
    page.wait_for_url(f"{stack.ehr_url}/_test/returned", timeout=30_000)

    [screening] = on_server(stack, "QuestionnaireResponse", record["encounter"])
    assert screening["status"] == "completed"
    assert answered(screening) == {**ALL_CLEAR, "cauda-equina": True, "fracture": True}
    assert screening["author"] == {"reference": f"Practitioner/{record['physician']}"}
    for resource_type in ("Composition", "CarePlan", "DocumentReference"):
        assert made_for(stack, record, resource_type) == [], resource_type


def test_a_corrected_answer_amends_the_stored_screening(stack: Stack, page: Any) -> None:
    record = new_record(stack)
    store_positive_screening(page, stack, record, yes={"cauda-equina"})
    # No return URL configured: the window is closed, or the page says it may be closed.
    page.locator("#positive .ehr-closed").wait_for(state="visible", timeout=30_000)
    assert page.inner_text("#positive-stored") == (
        "Uw screening werd in het dossier opgeslagen, met deze alarmsignalen als aanwezig."
    )
    [first] = on_server(stack, "QuestionnaireResponse", record["encounter"])

    # The physician launches again to correct the answer: the app names the stored screening.
    ehr_launch(page, stack, record)
    notice = page.inner_text("#screening-on-record")
    assert "al een screening opgeslagen" in notice and "correctie" in notice
    assert "Aanwezig volgens die screening: caudasyndroom" in notice
    assert page.locator("input[type=radio]:checked").count() == 0  # nothing pre-ticked
    answer(page)
    page.click("#preview-button")
    page.locator("#preview").wait_for(state="visible")
    page.click("#confirm")
    page.locator("#discharged").wait_for(state="visible", timeout=30_000)

    [amended] = on_server(stack, "QuestionnaireResponse", record["encounter"])
    assert amended["id"] == first["id"] and amended["status"] == "amended"
    assert answered(amended) == ALL_CLEAR
    assert int(amended["meta"]["versionId"]) > int(first["meta"]["versionId"])
    assert len(on_server(stack, "Composition", record["encounter"])) == 1


# --- points 2 and 3: a discharged encounter, the confirmation, a reload ----------------------


def test_the_confirmation_is_clinical_and_a_reload_shows_it_from_the_server(
    stack: Stack, page: Any
) -> None:
    record = new_record(stack)
    discharge(page, stack, record)
    assert page.inner_text("#discharged-heading") == "Ontslag verstuurd"
    assert page.inner_text("#discharged-by") == f"Ontslagen op {DISCHARGED_AT} door dr. Sofie Maes."
    assert page.inner_text("#discharged-gp") == (
        "Ontvanger van de ontslagbrief: dr. Pieter Claes (huisarts)."
    )
    follow_ups = page.locator("#discharged-follow-ups li").all_inner_texts()
    assert follow_ups[0].startswith("2 december 2026 (na 1 week)")
    assert follow_ups[1].startswith("6 januari 2027 (na 6 weken)")
    brochure = page.get_attribute("#discharged-brochure", "href")
    assert brochure == "https://www.uzleuven.be/brochure/700457"
    assert (
        "Reden van komst" in page.frame_locator("#discharged-letter").locator("body").inner_text()
    )
    # No FHIR ids in the main text: only in the folded technical details.
    assert page.get_attribute("#discharged-details", "open") is None
    main = page.evaluate(
        "(() => { const s = document.getElementById('discharged').cloneNode(true);"
        " s.querySelector('details').remove(); return s.innerText; })()"
    )
    assert not re.search(r"Composition/|Bundle/|urn:uuid|[0-9a-f]{8}-[0-9a-f]{4}-", main), main
    assert "Composition/" in (page.text_content("#discharged-details-list") or "")
    assert page.locator("#discharged .ehr-return").inner_text() == "Terug naar het EPD"

    page.reload()
    page.locator("#discharged").wait_for(state="visible", timeout=30_000)
    assert page.inner_text("#discharged-heading") == (
        f"Al ontslagen op {DISCHARGED_AT} door dr. Sofie Maes"
    )
    assert page.locator("#discharged-follow-ups li").all_inner_texts() == follow_ups
    assert not page.locator("#alert").is_visible()  # no developer text about a launch
    assert page.seen.problems == []


def test_a_second_launch_of_a_discharged_encounter_is_read_only(stack: Stack, page: Any) -> None:
    record = new_record(stack)
    preview = discharge(page, stack, record)
    ehr_launch_discharged(page, stack, record)
    assert page.inner_text("#discharged-heading") == (
        f"Al ontslagen op {DISCHARGED_AT} door dr. Sofie Maes"
    )
    assert "geen nieuwe screening" in page.inner_text("#discharged-intro")
    assert not page.locator("#screening-form").is_visible()
    # The letter as stored, read from the server: the one the preview showed.
    assert page.get_attribute("#discharged-letter", "srcdoc") == preview["letterHtml"]
    shot(page, "app-10-already-discharged.png")
    # The service refuses a second screening too, whatever a page sends (409).
    refused = page.evaluate(
        """async (answers) => {
          const handle = sessionStorage.getItem("fhir-discharge-app-session");
          const r = await fetch("api/screening", {method: "POST", headers: {
            "Content-Type": "application/json", Authorization: "Bearer " + handle},
            body: JSON.stringify({answers, screening_id: crypto.randomUUID()})});
          return {status: r.status, body: await r.json()};
        }""",
        {**ALL_CLEAR, "brochure-given": False},
    )
    assert refused["status"] == 409
    assert refused["body"]["resourceType"] == "OperationOutcome"
    assert refused["body"]["issue"][0]["code"] == "conflict"
    [screening] = on_server(stack, "QuestionnaireResponse", record["encounter"])
    assert answered(screening) == ALL_CLEAR


def test_a_screening_confirmed_after_the_discharge_elsewhere_is_refused_in_dutch(
    stack: Stack, page: Any, browser: Any
) -> None:
    # Two windows on one encounter: the first previews, the second discharges, then the first
    # confirms. The service refuses its screening (409, AlreadyDischarged): the page says the
    # catalogue's Dutch, with what to do, and folds the English away.
    record = new_record(stack)
    ehr_launch(page, stack, record)
    answer(page)
    page.click("#preview-button")
    page.locator("#preview").wait_for(state="visible")
    other = browser.new_context(viewport=page.viewport_size, locale="nl-BE")
    try:
        discharge(other.new_page(), stack, record)
    finally:
        other.close()
    page.click("#confirm")
    page.locator("#result").wait_for(state="visible", timeout=30_000)
    assert page.inner_text("#result-heading") == "Ontslag niet verstuurd"
    [reason] = page.locator("#result-list li").all_inner_texts()
    assert reason.startswith("Dit bezoek werd al ontslagen door deze dienst")
    assert "herlaad de app" in reason and "Composition/" not in reason
    assert "Uw screening werd niet opgeslagen" in page.inner_text("#result-intro")
    assert page.get_attribute("#result-details", "open") is None
    [english] = page.locator("#result-details-list li").all_text_contents()
    assert english.startswith("this encounter was already discharged by this service")
    [screening] = on_server(stack, "QuestionnaireResponse", record["encounter"])
    assert answered(screening) == ALL_CLEAR  # the second window's, once


def test_a_conflict_the_service_did_not_say_is_not_called_a_discharge_meanwhile(
    stack: Stack, page: Any
) -> None:
    # A 409 of the discharge without the physician's words (the FHIR server's identity conflict
    # found at delivery, an outcome kept in the outbox): said as a failure to report, the English
    # folded; not "discharged meanwhile", which only the screening's 409 means.
    english = "the FHIR server holds this encounter's identifier for another patient"
    record = new_record(stack)
    ehr_launch(page, stack, record)
    answer(page)
    page.click("#preview-button")
    page.locator("#preview").wait_for(state="visible")
    refused_with(page, r"/app/api/discharge$", 409, "conflict", english)
    page.click("#confirm")
    page.locator("#result").wait_for(state="visible", timeout=30_000)
    intro = page.inner_text("#result-intro")
    assert "409" in intro and "ontslagen" not in intro
    assert page.locator("#result-details-list li").all_text_contents() == [english]
    assert page.inner_text("#result-next").startswith("Meld het probleem aan de ICT-dienst")


def refused_with(page: Any, path: str, status: int, code: str, english: str) -> None:
    """The service's answers to `path` (a pattern) replaced by an OperationOutcome: `status`,
    one issue of `code` with the English `english` and nothing said in Dutch."""
    outcome = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": english}],
    }
    page.route(
        re.compile(path),
        lambda route: route.fulfill(
            status=status, content_type="application/fhir+json", body=json.dumps(outcome)
        ),
    )


def ehr_launch_discharged(page: Any, stack: Stack, record: dict[str, str]) -> None:
    url = stack.ehr_launch_url(record["patient"], record["encounter"], 300, record["physician"])
    page.goto(url)
    page.locator("#discharged").wait_for(state="visible", timeout=30_000)


# --- point 4: the preview is the letter ------------------------------------------------------


def test_the_preview_is_the_letter(stack: Stack, page: Any) -> None:
    record = new_record(stack)
    previews: list[Any] = []
    page.on("response", lambda r: previews.append(r) if r.url.endswith("/api/preview") else None)
    ehr_launch(page, stack, record)
    answer(page)
    page.click("#preview-button")
    page.locator("#preview").wait_for(state="visible")
    shown = page.get_attribute("#letter", "srcdoc")
    preview = previews[-1].json()
    page.click("#confirm")
    page.locator("#discharged").wait_for(state="visible", timeout=30_000)
    [screening] = on_server(stack, "QuestionnaireResponse", record["encounter"])
    assert screening["authored"] == preview["authored"]  # fixed once, at the preview
    [letter] = on_server(stack, "Composition", record["encounter"])
    assert letter["text"]["div"] == preview["letterNarrative"]  # character for character
    assert page.get_attribute("#discharged-letter", "srcdoc") == shown


# --- point 7: a failed login -----------------------------------------------------------------


def test_a_refused_authorization_is_said_in_dutch_with_the_english_folded(
    stack: Stack, page: Any
) -> None:
    page.goto(
        f"{stack.service.url}/app/callback?error=access_denied"
        "&error_description=The+user+denied+the+request&state=x"
    )
    page.locator("#result").wait_for(state="visible")
    assert page.inner_text("#result-heading") == "Aanmelden mislukt"
    intro = page.inner_text("#result-intro")
    assert intro.startswith("De aanmeldserver van het EPD gaf de app geen toegang")
    assert "denied" not in intro and "access_denied" not in page.inner_text("#result-next")
    assert page.get_attribute("#result-details", "open") is None
    assert page.get_attribute("#result-details-list", "lang") == "en"
    details = page.locator("#result-details-list li").all_text_contents()
    assert details == ["error: access_denied", "error_description: The user denied the request"]
    shot(page, "app-11-login-failed.png")


def test_a_failed_code_exchange_is_said_in_dutch_with_the_english_folded(
    stack: Stack, page: Any
) -> None:
    record = new_record(stack)
    english = "the authorization server refused the code (invalid_grant)"
    refused_with(page, r"/app/api/token$", 502, "exception", english)
    page.goto(
        stack.ehr_launch_url(record["patient"], record["encounter"], 300, record["physician"])
    )
    page.locator("#result").wait_for(state="visible", timeout=30_000)
    assert page.inner_text("#result-heading") == "Aanmelden mislukt"
    assert page.inner_text("#result-intro").startswith("Het aanmelden via het EPD is mislukt")
    assert english not in page.inner_text("#result-intro")
    assert page.locator("#result-details-list li").all_text_contents() == [english]
    assert page.evaluate("sessionStorage.length") == 0
