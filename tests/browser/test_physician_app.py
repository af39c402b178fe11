"""The physician's app (fhir_discharge/web/physician_app.py) in a real browser.

Debian's Chromium (/usr/bin/chromium, `make test` installs it), driven by Playwright; never
`playwright install`. Without Chromium these tests fail, they do not skip. Each test launches the
app as the EHR would (SMART App Launch 2.0 against tests/support/smart_ehr.py, a real process on
loopback) for a record of its own on the FHIR sandbox, then checks what landed on the server.
Screenshots of each screen go to docs/app-*.png.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from fhir_discharge.core.codes import SNOMED
from fhir_discharge.core.i18n.catalogue import catalogue
from tests.support import app_browser
from tests.support.app_browser import (
    DESKTOP,
    ITEMS,
    QUESTION,
    RED_FLAGS,
    TABLET,
    add_to_record,
    answer,
    ehr_launch,
    new_record,
    on_server,
    shot,
)
from tests.support.app_stack import Stack
from tests.support.factories import condition
from tests.support.servers import AUTH
from tests.support.stub_http import StubHttpServer, StubReply

pytestmark = pytest.mark.slow

# The fixtures (tests/support/app_browser.py): the stack, Chromium, a page per test.
stack = app_browser.stack
browser = app_browser.browser
page = app_browser.page


# --- the flows -----------------------------------------------------------------------------


def test_ehr_launch_screen_preview_confirm(stack: Stack, page: Any) -> None:
    record = new_record(stack)
    response = None

    def keep(r: Any) -> None:
        nonlocal response
        if r.url.endswith("/app/launch") or "/app/launch?" in r.url:
            response = r

    page.on("response", keep)
    ehr_launch(page, stack, record)
    # The code and state left the address bar; no SMART token anywhere in the page: this tab's
    # sessionStorage keeps the service's session handle only (a reload: issue 22, point 3).
    assert page.url == f"{stack.service.url}/app/"
    assert page.evaluate("Object.keys(sessionStorage)") == ["fhir-discharge-app-session"]
    assert page.evaluate("localStorage.length") == 0
    assert response is not None
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("style-src")[0]

    assert page.inner_text("#patient-name") == "An Janssens"
    assert "lage rugpijn" in page.inner_text("#diagnoses").lower()
    assert "Geen alarmsignalen" in page.inner_text("#record-gate")
    # ... and that the coded record is no screening (H125, automation bias).
    assert "vervangt uw vragen" in page.inner_text("#record-gate")
    # Nothing pre-ticked.
    assert page.locator("input[type=radio]:checked").count() == 0
    answer(page)
    shot(page, "app-1-screening.png")

    page.click("#preview-button")
    page.locator("#preview").wait_for(state="visible")
    letter = page.frame_locator("#letter")
    assert "Reden van komst" in letter.locator("body").inner_text()
    assert "Werkdiagnose" not in letter.locator("body").inner_text()
    follow_ups = page.inner_text("#follow-ups")
    assert "na 1 week" in follow_ups and "na 6 weken" in follow_ups
    assert page.get_attribute("#brochure-link", "href") == "https://www.uzleuven.be/brochure/700457"
    # The preview posted nothing.
    assert on_server(stack, "QuestionnaireResponse", record["encounter"]) == []
    assert on_server(stack, "Composition", record["encounter"]) == []
    shot(page, "app-2-preview.png")

    page.click("#confirm")
    page.locator("#discharged").wait_for(state="visible", timeout=30_000)
    # The clinical confirmation (issue 22, point 3): read back from the server, no FHIR ids.
    assert page.inner_text("#discharged-heading") == "Ontslag verstuurd"
    assert "door dr. Sofie Maes" in page.inner_text("#discharged-by")
    assert page.inner_text("#discharged-gp") == (
        "Ontvanger van de ontslagbrief: dr. Pieter Claes (huisarts)."
    )
    shot(page, "app-3-confirmed.png")

    screenings = on_server(stack, "QuestionnaireResponse", record["encounter"])
    assert len(screenings) == 1
    screening = screenings[0]
    assert screening["status"] == "completed"
    assert screening["author"] == {"reference": f"Practitioner/{record['physician']}"}
    assert screening["subject"] == {"reference": f"Patient/{record['patient']}"}
    assert {i["linkId"]: i["answer"][0]["valueBoolean"] for i in screening["item"]} == {
        **dict.fromkeys(RED_FLAGS, False),
        "brochure-given": True,
    }
    compositions = on_server(stack, "Composition", record["encounter"])
    assert len(compositions) == 1
    assert page.seen.problems == []


def test_red_flag_ticked_previews_nothing(stack: Stack, page: Any) -> None:
    record = new_record(stack)
    ehr_launch(page, stack, record)
    sent_before = len(page.seen.requests)
    answer(page, yes={"cauda-equina"})
    page.click("#preview-button")
    page.locator("#positive").wait_for(state="visible")
    assert "Buiten het zorgpad" in page.inner_text("#positive-heading")
    assert not page.locator("#confirm").is_visible()
    shot(page, "app-4-red-flag.png")
    # Not a request left the page until the physician stores the screening: no preview.
    assert page.seen.requests[sent_before:] == []
    assert on_server(stack, "QuestionnaireResponse", record["encounter"]) == []
    assert on_server(stack, "Composition", record["encounter"]) == []


def test_red_flag_in_the_coded_record_is_off_pathway(stack: Stack, page: Any) -> None:
    # Cauda equina syndrome (ICD-10 G83.4), a Condition of this encounter.
    cauda = condition(
        "lbp-example-cauda", "http://hl7.org/fhir/sid/icd-10", "G83.4", verification="provisional"
    )
    record = new_record(stack, [cauda])
    ehr_launch(page, stack, record)
    assert "buiten het zorgpad" in page.inner_text("#record-gate")
    answer(page)
    page.click("#preview-button")
    page.locator("#off").wait_for(state="visible")
    # The gate's finding in Dutch (the `findings` of core/i18n/nl-BE.toml), with the record's
    # code as recorded.
    found = page.inner_text("#off-record-list")
    assert found.startswith("Caudasyndroom (zadelanesthesie")
    assert "geregistreerd bij dit bezoek" in found and "G83.4" in found
    assert "on this encounter" not in found
    assert not page.locator("#confirm").is_visible()
    shot(page, "app-5-record-red-flag.png")
    assert on_server(stack, "QuestionnaireResponse", record["encounter"]) == []
    assert on_server(stack, "Composition", record["encounter"]) == []


def test_findings_are_dutch_and_their_values_only_text(stack: Stack, page: Any) -> None:
    # Another diagnosis of the encounter, named (by the EHR's free text) like markup.
    name = '<img src="x" onerror="window.injected = 1"> <b>enkel</b>'
    other = condition("lbp-example-sprain", "http://snomed.info/sct", "44465007")
    other["code"]["text"] = name
    record = new_record(stack, [other])
    ehr_launch(page, stack, record)
    sentence = (
        f"Een andere diagnose bij dit bezoek: {name} (de brief zou die niet kunnen beschrijven)."
    )
    gate = page.locator("#record-gate li")
    assert gate.all_inner_texts() == [sentence]
    answer(page)
    page.click("#preview-button")
    page.locator("#off").wait_for(state="visible")
    assert page.locator("#off-record-list li").all_inner_texts() == [sentence]
    # Put in as text: no element of the value's markup, and its script never ran.
    assert page.locator("#record-gate img, #off-record-list img, main b").count() == 0
    assert page.evaluate("window.injected") is None
    assert page.seen.problems == []


def test_a_finding_without_dutch_is_shown_in_english(stack: Stack, page: Any) -> None:
    # No finding of the gate lacks a sentence (tests/asgi/test_catalogues.py); an answer without one
    # (an older service, a finding of another origin) shows the English message.
    def without_dutch(route: Any) -> None:
        response = route.fetch()
        answer = response.json()
        for finding in answer["gate"]["findings"]:
            finding["code"] = finding["text"] = None
        route.fulfill(response=response, json=answer)

    page.route(re.compile(r"/app/api/record$"), without_dutch)
    cauda = condition("lbp-example-cauda", "http://hl7.org/fhir/sid/icd-10", "G83.4")
    record = new_record(stack, [cauda])
    ehr_launch(page, stack, record)
    (shown,) = page.locator("#record-gate li").all_inner_texts()
    assert shown.startswith("cauda equina syndrome (saddle anaesthesia")
    assert shown.endswith("on this encounter (Cauda equina syndrome, G83.4)")


def _sentence(code: str, **values: str) -> str:
    text = catalogue("nl-BE").warnings[code].format(**values)
    return text[:1].upper() + text[1:] + "."


OLDER = _sentence("older-patient", age="70")
NO_GP = _sentence("no-general-practitioner")
# The test records' visits ended on 25 November 2026 and the app screens now: a screening
# documented after the visit ended is said (core/gate LATE_SCREENING_AFTER, hazard H185).
LATE = _sentence("screening-after-visit", hours="2")
# ... and so the letter cannot reach a GP electronically (core/gp_message/ehealthbox.py)
NOT_ELECTRONIC = _sentence("not-electronic-no-general-practitioner")


def _older_without_gp(patient: dict[str, Any]) -> None:
    patient["birthDate"] = "1948-06-02"
    del patient["generalPractitioner"]


def _preview(page: Any, stack: Stack, record: dict[str, str]) -> None:
    ehr_launch(page, stack, record)
    answer(page)
    page.click("#preview-button")
    page.locator("#preview").wait_for(state="visible")


def _browser_problems(page: Any) -> list[str]:
    """Script errors and CSP violations; not Chromium's console line for a 4xx/5xx answer."""
    return [p for p in page.seen.problems if "Failed to load resource" not in p]


def test_warnings_are_dutch(stack: Stack, page: Any) -> None:
    # 70 or older, no GP on record: the gate's two warnings, and no GP to reach electronically
    # (said by their codes: core/i18n/said.py).
    record = new_record(stack, patient=_older_without_gp)
    _preview(page, stack, record)
    shown_list = page.locator("#warnings-list li").all_inner_texts()
    assert shown_list == [OLDER, LATE, NO_GP, NOT_ELECTRONIC]
    assert OLDER.startswith("De patiënt is 70 jaar of ouder: een fractuur of maligniteit")
    shown = page.inner_text("#warnings")
    assert shown.startswith("Let op")
    for english in ("70 or older", "NSAIDs carry", "general practitioner on record", "the letter"):
        assert english not in shown
    assert page.seen.problems == []


def test_a_warning_without_dutch_is_shown_in_english_and_only_as_text(
    stack: Stack, page: Any
) -> None:
    # A warning the service cannot account for (a newer core) is shown in English, as text.
    hostile = '<img src="x" onerror="window.injected = 1"> <b>new</b> warning'

    def with_an_unknown_warning(route: Any) -> None:
        response = route.fetch()
        answer_ = response.json()
        answer_["warnings"].append({"message": hostile, "code": None, "text": None})
        route.fulfill(response=response, json=answer_)

    page.route(re.compile(r"/app/api/preview$"), with_an_unknown_warning)
    record = new_record(stack, patient=lambda p: p.pop("generalPractitioner"))
    _preview(page, stack, record)
    shown_list = page.locator("#warnings-list li").all_inner_texts()
    assert shown_list == [LATE, NO_GP, NOT_ELECTRONIC, hostile]
    assert page.locator("#warnings img, #warnings b").count() == 0
    assert page.evaluate("window.injected") is None
    assert page.seen.problems == []


def test_a_refusal_at_confirm_is_said_in_dutch_and_its_values_only_text(
    stack: Stack, page: Any
) -> None:
    record = new_record(stack)
    _preview(page, stack, record)
    # Meanwhile another diagnosis of this encounter lands in the record, named like markup: the
    # service's own gate refuses the discharge (422, English diagnostics).
    name = '<img src="x" onerror="window.injected = 1"> <b>enkel</b>'
    other = condition("lbp-example-sprain", SNOMED, "44465007")
    other["code"]["text"] = name
    add_to_record(stack, record, [other])
    previews: list[str] = []
    page.on("request", lambda r: previews.append(r.url) if "/app/api/preview" in r.url else None)
    page.click("#confirm")
    page.locator("#result").wait_for(state="visible", timeout=30_000)
    assert page.inner_text("#result-heading") == "Ontslag geweigerd"
    assert page.inner_text("#result-intro") == (
        "Bij het versturen plaatste het dossier de patiënt buiten het zorgpad. Er werd geen "
        "ontslagbrief, verwijzing naar de brochure, zorgplan of opvolgtaak aangemaakt; uw "
        "screening werd wel opgeslagen. Gevonden in het dossier:"
    )
    # The reason in Dutch: the refusal's own finding, said by its code (details.text); the app
    # asks nothing again to say it.
    assert page.locator("#result-list li").all_inner_texts() == [
        f"Een andere diagnose bij dit bezoek: {name} (de brief zou die niet kunnen beschrijven)."
    ]
    assert previews == []
    assert "start de app daarna opnieuw" in page.inner_text("#result-next")
    # The service's English, folded, for the ICT service.
    details = page.locator("#result-details")
    assert details.evaluate("e => e.open") is False
    assert page.locator("#result-details-list li").all_text_contents() == [
        f"another diagnosis on this encounter: {name} (the letter could not describe it)"
    ]
    # Put in as text: no element of the value's markup, and its script never ran.
    assert page.locator("#result img, #result b").count() == 0
    assert page.evaluate("window.injected") is None
    assert _browser_problems(page) == []
    # The screening was stored before the discharge was asked; nothing else was written.
    assert len(on_server(stack, "QuestionnaireResponse", record["encounter"])) == 1
    assert on_server(stack, "Composition", record["encounter"]) == []


# The service's only 503 (errors.TerminologyServerUnavailable), as the app says it.
_TERMINOLOGY_UNAVAILABLE = (
    "De terminologieserver antwoordde niet (op tijd): de dienst kon niet nagaan of de SNOMED "
    "CT-codes van het dossier verfijningen van een alarmsignaal zijn, en gaat zonder die "
    "controle niet verder."
)
_TERMINOLOGY_NEXT = (
    "Probeer het over enkele minuten opnieuw (start de app opnieuw vanuit het EPD); blijft het "
    "duren, meld het dan aan de ICT-dienst met de technische details hieronder."
)

# The app asks the discharge through its own API, for its launch's encounter.
_DISCHARGE = re.compile(r"/app/api/discharge$")


@pytest.mark.parametrize(
    ("status", "heading", "intro"),
    [
        (
            502,
            "De FHIR-server weigerde het ontslag",
            "De FHIR-server weigerde het ontslag of was onbereikbaar. Er werd geen ontslagbrief, "
            "verwijzing naar de brochure, zorgplan of opvolgtaak bevestigd",
        ),
        (
            400,
            "Ontslag niet verstuurd",
            "De dienst kon het dossier van dit bezoek niet verwerken: het bevat onvolledige of "
            "ongeldige FHIR-gegevens. Er werd geen ontslagbrief, verwijzing naar de brochure, "
            "zorgplan of opvolgtaak aangemaakt",
        ),
        (
            500,
            "Ontslag niet verstuurd",
            "Er ging iets mis in de dienst (HTTP-status 500). Er werd geen ontslagbrief, "
            "verwijzing naar de brochure, zorgplan of opvolgtaak bevestigd",
        ),
        (
            # the terminology server did not answer: refused before anything was accepted
            503,
            "Ontslag niet verstuurd",
            f"{_TERMINOLOGY_UNAVAILABLE} Er werd geen ontslagbrief, verwijzing naar de "
            "brochure, zorgplan of opvolgtaak aangemaakt",
        ),
    ],
    ids=["502", "400", "500", "503"],
)
def test_a_failure_at_confirm_is_said_in_dutch_with_the_english_folded(
    stack: Stack, page: Any, status: int, heading: str, intro: str
) -> None:
    diagnostics = [
        "the FHIR server refused the transaction (HTTP 400)",
        "FHIR server: HAPI-0550: <script>window.injected = 1</script>",
    ]
    outcome = {
        "resourceType": "OperationOutcome",
        "issue": [
            {"severity": "error", "code": "exception", "diagnostics": d} for d in diagnostics
        ],
    }
    page.route(_DISCHARGE, lambda route: route.fulfill(status=status, json=outcome))
    record = new_record(stack)
    _preview(page, stack, record)
    page.click("#confirm")
    page.locator("#result").wait_for(state="visible", timeout=30_000)
    assert page.inner_text("#result-heading") == heading
    assert page.inner_text("#result-intro") == f"{intro}; uw screening werd wel opgeslagen."
    assert not page.locator("#result-list").is_visible()
    assert "ICT-dienst" in page.inner_text("#result-next")
    # The English only folded away, as text; shown when asked for.
    assert page.locator("#result-details").evaluate("e => e.open") is False
    assert not page.locator("#result-details-list").is_visible()
    page.click("#result-details summary")
    assert page.locator("#result-details-list li").all_inner_texts() == diagnostics
    assert page.locator("#result script").count() == 0
    assert page.evaluate("window.injected") is None
    assert _browser_problems(page) == []
    assert len(on_server(stack, "QuestionnaireResponse", record["encounter"])) == 1


def test_a_refusal_the_app_cannot_say_is_listed_in_english(stack: Stack, page: Any) -> None:
    # A 422 whose issue carries no finding code (and so no details.text): the reason in
    # English, as the service said it; the intro still in Dutch.
    reason = "the record lacks something only the service's gate checks"
    outcome = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "required", "diagnostics": reason}],
    }
    page.route(_DISCHARGE, lambda route: route.fulfill(status=422, json=outcome))
    record = new_record(stack)
    _preview(page, stack, record)
    page.click("#confirm")
    page.locator("#result").wait_for(state="visible", timeout=30_000)
    assert page.inner_text("#result-heading") == "Ontslag geweigerd"
    assert page.inner_text("#result-intro").startswith(
        "Bij het versturen miste het dossier gegevens die de ontslagbrief nodig heeft."
    )
    assert page.inner_text("#result-intro").endswith("Wat ontbreekt of onleesbaar is:")
    assert page.locator("#result-list li").all_inner_texts() == [reason]
    assert not page.locator("#result-details").is_visible()  # not twice
    assert _browser_problems(page) == []


def test_a_queued_discharge_that_fails_is_said_in_dutch(stack: Stack, page: Any) -> None:
    status_url = f"{stack.service.url}/app/api/discharges/d-{uuid.uuid4().hex}"

    def parameters(state: str, failure: dict[str, Any] | None = None) -> dict[str, Any]:
        found: list[dict[str, Any]] = [{"name": "state", "valueCode": state}]
        if failure is not None:
            found.append({"name": "lastFailure", "resource": failure})
        return {"resourceType": "Parameters", "parameter": found}

    failure = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "exception", "diagnostics": "HAPI-1091"}],
    }
    page.route(
        _DISCHARGE,
        lambda route: route.fulfill(
            status=202, json=parameters("queued"), headers={"Content-Location": status_url}
        ),
    )
    page.route(status_url, lambda route: route.fulfill(json=parameters("dead", failure)))
    record = new_record(stack)
    _preview(page, stack, record)
    page.click("#confirm")
    page.locator("#result").wait_for(state="visible", timeout=30_000)
    assert page.inner_text("#result-intro").endswith("Status: in de wachtrij.")
    page.locator("#result-heading", has_text="De FHIR-server weigerde").wait_for(timeout=20_000)
    assert page.inner_text("#result-intro").startswith(
        "De FHIR-server weigerde het ontslag of was onbereikbaar."
    )
    assert page.locator("#result-details-list li").all_text_contents() == ["HAPI-1091"]
    assert _browser_problems(page) == []


# --- a failure before the discharge: loading the record, the preview, storing the screening ---

_HOSTILE = [
    "the FHIR server failed (HTTP 500)",
    'FHIR server: HAPI-0389: <img src="x" onerror="window.injected = 1"> <b>x</b>',
]
_NOTHING_STORED = (
    "Er werd niets opgeslagen: geen screening, geen ontslagbrief, verwijzing naar de brochure, "
    "zorgplan of opvolgtaak."
)


def _failing(status: int, diagnostics: list[str]) -> Callable[[Any], None]:
    """A route handler answering the call with `status` and an OperationOutcome."""
    outcome = {
        "resourceType": "OperationOutcome",
        "issue": [
            {"severity": "error", "code": "exception", "diagnostics": d} for d in diagnostics
        ],
    }
    return lambda route: route.fulfill(status=status, json=outcome)


def _failure_shown(page: Any, heading: str, intro: str, next_: str, english: list[str]) -> None:
    """The failure said in Dutch in the result panel; the English only folded away, as text."""
    page.locator("#result").wait_for(state="visible", timeout=30_000)
    assert page.inner_text("#result-heading") == heading
    assert page.inner_text("#result-intro") == intro
    assert page.inner_text("#result-next") == next_
    assert not page.locator("#alert").is_visible()
    for screen in ("#workspace", "#preview", "#off"):
        assert not page.locator(screen).is_visible()
    assert page.locator("#result-details").evaluate("e => e.open") is False
    assert not page.locator("#result-details-list").is_visible()
    page.click("#result-details summary")
    assert page.locator("#result-details-list li").all_inner_texts() == english
    assert "Er ging iets mis:" not in page.inner_text("main")
    assert page.locator("#result img, #result b, #result script").count() == 0
    assert page.evaluate("window.injected") is None
    assert _browser_problems(page) == []


_FAILED_NEXT = (
    "Probeer het later opnieuw (start de app opnieuw vanuit het EPD), of meld het probleem aan "
    "de ICT-dienst met de technische details hieronder."
)
_REPORT_NEXT = "Meld het probleem aan de ICT-dienst, met de technische details hieronder."


def test_an_encounter_not_on_the_server_is_said_in_dutch(stack: Stack, page: Any) -> None:
    # The EHR launches the app for an encounter the FHIR server does not have: the service's own
    # 404 (UnknownEncounter), not one made up by the test.
    record = new_record(stack)
    missing = f"t-{record['tag']}-no-such-encounter"
    page.goto(stack.ehr_launch_url(record["patient"], missing, 300, record["physician"]))
    _failure_shown(
        page,
        "Dossier niet geladen",
        f"Het bezoek werd niet gevonden op de FHIR-server. {_NOTHING_STORED}",
        _REPORT_NEXT,
        [f"Encounter/{missing} does not exist on the FHIR server"],
    )


def test_a_record_the_fhir_server_fails_to_give_is_said_in_dutch(stack: Stack, page: Any) -> None:
    page.route(re.compile(r"/app/api/record$"), _failing(502, _HOSTILE))
    record = new_record(stack)
    launch = stack.ehr_launch_url(record["patient"], record["encounter"], 300, record["physician"])
    page.goto(launch)
    _failure_shown(
        page,
        "Dossier niet geladen",
        f"De FHIR-server weigerde het verzoek of antwoordde niet. {_NOTHING_STORED}",
        _FAILED_NEXT,
        _HOSTILE,
    )


def test_a_record_the_terminology_server_could_not_check_is_said_in_dutch(
    stack: Stack, page: Any
) -> None:
    english = [
        "the terminology server did not answer within 5 s whether the record's SNOMED CT codes "
        "are descendants of a red flag: nothing was written; try again"
    ]
    page.route(re.compile(r"/app/api/record$"), _failing(503, english))
    record = new_record(stack)
    launch = stack.ehr_launch_url(record["patient"], record["encounter"], 300, record["physician"])
    page.goto(launch)
    _failure_shown(
        page,
        "Dossier niet geladen",
        f"{_TERMINOLOGY_UNAVAILABLE} {_NOTHING_STORED}",
        _TERMINOLOGY_NEXT,
        english,
    )


def test_a_failed_preview_is_said_in_dutch_and_stores_nothing(stack: Stack, page: Any) -> None:
    page.route(re.compile(r"/app/api/preview$"), _failing(400, _HOSTILE))
    record = new_record(stack)
    ehr_launch(page, stack, record)
    answer(page)
    page.click("#preview-button")
    _failure_shown(
        page,
        "Geen voorbeeld van de ontslagbrief",
        "De dienst kon het dossier van dit bezoek niet verwerken: het bevat onvolledige of "
        f"ongeldige FHIR-gegevens. {_NOTHING_STORED}",
        _REPORT_NEXT,
        _HOSTILE,
    )
    assert on_server(stack, "QuestionnaireResponse", record["encounter"]) == []


@pytest.mark.parametrize(
    ("status", "intro", "next_"),
    [
        (
            502,
            "De FHIR-server weigerde het verzoek of antwoordde niet. De FHIR-server bevestigde "
            "niet dat uw screening werd opgeslagen; er werd geen ontslagbrief, verwijzing naar "
            "de brochure, zorgplan of opvolgtaak aangemaakt.",
            _FAILED_NEXT,
        ),
        (
            403,
            "Uw aanmelding geeft niet de nodige rechten (scope) voor dit dossier op de "
            "FHIR-server. Uw screening werd niet opgeslagen, en er werd geen ontslagbrief, "
            "verwijzing naar de brochure, zorgplan of opvolgtaak aangemaakt.",
            _REPORT_NEXT,
        ),
    ],
    ids=["502", "403"],
)
def test_a_failure_storing_the_screening_is_said_in_dutch(
    stack: Stack, page: Any, status: int, intro: str, next_: str
) -> None:
    page.route(re.compile(r"/app/api/screening$"), _failing(status, _HOSTILE))
    record = new_record(stack)
    _preview(page, stack, record)
    page.click("#confirm")
    _failure_shown(page, "Ontslag niet verstuurd", intro, next_, _HOSTILE)
    # The discharge is asked only once the screening is stored: it was not asked.
    assert [r for r in page.seen.requests if "api/discharge" in r] == []
    assert on_server(stack, "QuestionnaireResponse", record["encounter"]) == []
    assert on_server(stack, "Composition", record["encounter"]) == []


def test_a_lost_connection_is_said_in_dutch_without_claiming_what_happened(
    stack: Stack, page: Any
) -> None:
    # The browser gets no answer at all while confirming: fetch() fails with its own English.
    page.route(re.compile(r"/app/api/screening$"), lambda route: route.abort())
    record = new_record(stack)
    _preview(page, stack, record)
    page.click("#confirm")
    page.locator("#alert").wait_for(state="visible")
    said = page.inner_text("#alert")
    assert "De verbinding met de dienst viel weg" in said
    assert "niet zeker" in said  # never "nothing was stored": it may have been
    assert "fetch" not in said.lower() and "Er ging iets mis" not in said


def test_token_expired_mid_flow(stack: Stack, page: Any) -> None:
    record = new_record(stack)
    ehr_launch(page, stack, record, token_lifetime=4)
    answer(page)
    time.sleep(4.5)  # the physician was called away
    page.click("#preview-button")
    page.locator("#alert").wait_for(state="visible")
    assert "aanmelding is verlopen" in page.inner_text("#alert")
    assert not page.locator("#screening-form").is_visible()
    shot(page, "app-6-expired.png")
    assert on_server(stack, "QuestionnaireResponse", record["encounter"]) == []


def test_double_click_discharges_once(stack: Stack, page: Any) -> None:
    record = new_record(stack)
    ehr_launch(page, stack, record)
    answer(page, brochure=False)
    page.click("#preview-button")
    page.locator("#preview").wait_for(state="visible")
    page.dblclick("#confirm")
    page.evaluate("document.getElementById('confirm').click()")
    page.locator("#discharged").wait_for(state="visible", timeout=30_000)
    time.sleep(1)  # anything a second click sent would have landed by now
    posts = [r for r in page.seen.requests if r.startswith("POST") and "api/discharge" in r]
    assert len(posts) == 1
    assert len(on_server(stack, "QuestionnaireResponse", record["encounter"])) == 1
    assert len(on_server(stack, "Composition", record["encounter"])) == 1
    # The service's own guarantee behind the button: the same discharge again creates nothing.
    again = httpx.post(
        f"{stack.service.url}/Encounter/{record['encounter']}/$lbp-discharge",
        headers=AUTH,
        timeout=60,
    )
    assert again.status_code == 200
    assert len(on_server(stack, "Composition", record["encounter"])) == 1


def test_standalone_launch(stack: Stack, page: Any) -> None:
    record = new_record(stack)
    page.goto(stack.standalone_launch_url())
    page.fill("#ehr_encounter", record["encounter"])  # the test EHR's prompt
    page.click("button[type=submit]")
    page.locator("#screening-form").wait_for(state="visible", timeout=30_000)
    assert page.url == f"{stack.service.url}/app/"
    assert page.inner_text("#patient-name") == "An Janssens"


def test_keyboard_only_and_labels(stack: Stack, page: Any) -> None:
    record = new_record(stack)
    ehr_launch(page, stack, record)
    # Every question is a labelled group of two labelled radios; the button has a name.
    for link_id in ITEMS:
        group = page.get_by_role("group", name=QUESTION[link_id])
        assert group.get_by_role("radio", name="Ja").count() == 1
        assert group.get_by_role("radio", name="Nee").count() == 1
    for control in page.locator("input, button, select, textarea, iframe").all():
        name = control.evaluate(
            "e => (e.labels && e.labels.length ? e.labels[0].textContent : '')"
            " || e.getAttribute('aria-label') || e.title || e.textContent"
        )
        assert name.strip(), control.evaluate("e => e.outerHTML")

    # Tab order reaches every question and the button, in reading order.
    page.evaluate("document.activeElement.blur()")
    reached: list[str] = []
    for _ in range(40):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const e = document.activeElement; return e.name || e.id || e.tagName }"
        )
        if focused not in reached:
            reached.append(focused)
        if focused == "preview-button":
            break
    assert [r for r in reached if r in ITEMS] == ITEMS
    assert reached[-1] == "preview-button"

    # Answer with the keyboard alone: Tab to each question, Space gives its normal answer
    # (listed first: "Nee" for a red flag, "Ja" for the brochure; tests/browser/test_app_form.py).
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("Tab")
    while page.evaluate("document.activeElement.name") != ITEMS[0]:
        page.keyboard.press("Tab")
    for link_id in ITEMS:
        assert page.evaluate("document.activeElement.name") == link_id
        page.keyboard.press("Space")
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "preview-button"
    page.keyboard.press("Enter")
    page.locator("#preview").wait_for(state="visible")
    # Focus moved to the preview; Tab reaches the confirm button.
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "confirm":
            break
    assert page.evaluate("document.activeElement.id") == "confirm"
    answers = page.evaluate(
        "() => Object.fromEntries([...document.querySelectorAll('input:checked')]"
        ".map(e => [e.name, e.value]))"
    )
    assert answers == {**dict.fromkeys(RED_FLAGS, "false"), "brochure-given": "true"}


@pytest.mark.parametrize("viewport", [DESKTOP, TABLET], ids=["1280x800", "tablet"])
def test_readable_at(stack: Stack, browser: Any, viewport: dict[str, int]) -> None:
    context = browser.new_context(viewport=viewport, locale="nl-BE", has_touch=viewport is TABLET)
    page = context.new_page()
    try:
        record = new_record(stack)
        ehr_launch(page, stack, record)
        overflow = "document.documentElement.scrollWidth - window.innerWidth"
        assert page.evaluate(overflow) <= 0
        answer(page)
        page.click("#preview-button")
        page.locator("#preview").wait_for(state="visible")
        assert page.evaluate(overflow) <= 0
        box = page.locator("#confirm").bounding_box()
        assert (
            box is not None and box["height"] >= 40 and box["x"] + box["width"] <= viewport["width"]
        )
        if viewport is TABLET:
            shot(page, "app-7-tablet-preview.png")
    finally:
        context.close()


# --- the launch: the service keeps the SMART token, the page a session; who may frame it ----


def test_the_page_holds_a_session_never_the_smart_token_and_no_log_keeps_the_code(
    stack: Stack, page: Any
) -> None:
    record = new_record(stack)
    exchanged: list[Any] = []
    callbacks: list[str] = []
    page.on("response", lambda r: exchanged.append(r) if r.url.endswith("/app/api/token") else None)
    page.on("request", lambda r: callbacks.append(r.url) if "/app/callback?" in r.url else None)
    ehr_launch(page, stack, record)
    (answer,) = [r.json() for r in exchanged]
    # The service's own handle, opaque; no access token, id_token, JWT or launch context.
    assert set(answer) == {"session", "token_type", "expires_in"}
    assert "." not in answer["session"] and not answer["session"].startswith("eyJ")
    assert answer["expires_in"] <= 300  # never beyond the SMART token (the test EHR's: 300 s)
    # The page's requests carry the handle, and nothing of the SMART token's.
    (callback,) = callbacks
    query = parse_qs(urlsplit(callback).query)
    code, state = query["code"][0], query["state"][0]
    log = stack.service.log_path.read_text(encoding="utf-8")
    assert code not in log and state not in log
    assert "/app/callback?code=…&state=…" in log
    for secret in ("eyJ", answer["session"]):
        assert secret not in log


def test_the_ehr_may_frame_the_app_and_a_stranger_may_not(stack: Stack, page: Any) -> None:
    record = new_record(stack)
    launch = stack.ehr_launch_url(record["patient"], record["encounter"], 300, record["physician"])
    # Framed by the EHR (app_frame_ancestors): the whole launch runs in the frame.
    page.goto(stack.framed_url(launch))
    app = page.frame_locator("#app")
    app.locator("#screening-form").wait_for(state="visible", timeout=30_000)
    assert app.locator("#patient-name").inner_text() == "An Janssens"

    # Framed by another origin: the browser refuses to render the app.
    again = stack.ehr_launch_url(record["patient"], record["encounter"], 300, record["physician"])
    stranger_page = (
        f'<!DOCTYPE html><html><body><iframe id="app" src="{again}"></iframe></body></html>'
    ).encode()
    reply = StubReply(200, stranger_page, {"Content-Type": "text/html"})
    with StubHttpServer(lambda request: reply) as stranger:
        seen_before = len(page.seen.problems)
        page.goto(f"{stranger.origin}/")
        page.wait_for_timeout(1500)
        refusals = [p for p in page.seen.problems[seen_before:] if "frame-ancestors" in p]
        assert refusals, page.seen.problems[seen_before:]
        for frame in page.frames[1:]:
            assert not frame.url.startswith(stack.service.url + "/app/callback")
            assert frame.locator("#app-data").count() == 0


# --- the service side ----------------------------------------------------------------------


def test_page_has_no_inline_script_and_loads_nothing_from_elsewhere(stack: Stack) -> None:
    response = httpx.get(f"{stack.service.url}/app/", timeout=10)
    assert response.status_code == 200
    assert "default-src 'none'" in response.headers["content-security-policy"]
    for tag in re.findall(r"<script[^>]*>", response.text):
        assert 'src="static/' in tag or 'type="application/json"' in tag, tag
    assert "http" not in " ".join(re.findall(r'(?:src|href)="([^"]*)"', response.text))


def test_untrusted_iss_is_refused(stack: Stack) -> None:
    response = httpx.get(
        f"{stack.service.url}/app/api/discover", params={"iss": "http://evil.example/fhir"}
    )
    assert response.status_code == 403


def test_app_api_needs_the_physicians_token(stack: Stack) -> None:
    params = {"iss": stack.iss, "encounter": "x"}
    assert httpx.get(f"{stack.service.url}/app/api/record", params=params).status_code == 401
    # A development token names no physician: no screening can be authored with it.
    response = httpx.get(f"{stack.service.url}/app/api/record", params=params, headers=AUTH)
    assert response.status_code == 403


def test_cds_card_for_a_missing_screening_launches_the_app(stack: Stack) -> None:
    record = new_record(stack)
    hook = {
        "hook": "encounter-discharge",
        "hookInstance": str(uuid.uuid4()),
        "fhirServer": stack.fhir,
        "context": {
            "userId": f"Practitioner/{record['physician']}",
            "patientId": record["patient"],
            "encounterId": record["encounter"],
        },
    }
    response = httpx.post(
        f"{stack.service.url}/cds-services/lbp-discharge", json=hook, headers=AUTH, timeout=30
    )
    assert response.status_code == 200
    (card,) = response.json()["cards"]
    assert card["indicator"] == "warning"
    assert card["links"] == [
        {
            "label": "Screening op alarmsignalen documenteren (app)",
            "url": f"{stack.service.url}/app/launch",
            "type": "smart",
        }
    ]


# --- the session through the real code exchange: its launch only ----------------------------


def test_a_real_session_acts_on_its_launch_only(stack: Stack) -> None:
    a, b = new_record(stack), new_record(stack)
    session = stack.open_session(a["patient"], a["encounter"], a["physician"])
    mine = {"Authorization": f"Bearer {session}"}
    url = stack.service.url
    record = httpx.get(f"{url}/app/api/record", headers=mine, timeout=30)
    assert record.status_code == 200 and record.json()["encounter"]["id"] == a["encounter"]
    refused = [
        httpx.get(f"{url}/app/api/record", params={"encounter": b["encounter"]}, headers=mine),
        httpx.post(f"{url}/Encounter/{b['encounter']}/$lbp-discharge", headers=mine),
        httpx.post(f"{url}/Encounter/{a['encounter']}/$lbp-discharge", headers=mine),
        httpx.get(f"{url}/Composition/any/$document", headers=mine),
        httpx.get(f"{url}/discharges/any", headers=mine),
    ]
    for refusal in refused:
        assert refusal.status_code == 403, (refusal.request.url, refusal.text)
        assert refusal.json()["resourceType"] == "OperationOutcome"


def test_a_launch_without_patient_or_encounter_opens_no_session(stack: Stack) -> None:
    record = new_record(stack)
    for patient, encounter in ((None, record["encounter"]), (record["patient"], None)):
        with pytest.raises(AssertionError, match="403"):  # the exchange answers 403
            stack.open_session(patient, encounter, record["physician"])


def test_the_ehrs_tokens_for_its_fhir_server_call_nothing_here(stack: Stack) -> None:
    """The SMART access token the EHR issues at a launch (audience: its FHIR server, with the
    launch's patient, encounter and fhirUser) is no caller of this service, on any route."""
    record = new_record(stack)
    verifier = "v" * 43
    launch = httpx.post(
        f"{stack.ehr_url}/_test/launches",
        json={"patient": record["patient"], "encounter": record["encounter"]},
    ).json()["launch"]
    import base64
    import hashlib

    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    redirect = f"{stack.service.url}/app/callback"
    authorized = httpx.get(
        f"{stack.ehr_url}/oauth/authorize?"
        + urlencode(
            {
                "response_type": "code",
                "client_id": "fhir-discharge-app",
                "redirect_uri": redirect,
                "scope": "launch openid fhirUser patient/*.rs",
                "state": "s",
                "aud": stack.iss,
                "launch": launch,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
    )
    code = parse_qs(urlsplit(authorized.headers["location"]).query)["code"][0]
    smart = httpx.post(
        f"{stack.ehr_url}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect,
            "client_id": "fhir-discharge-app",
            "code_verifier": verifier,
        },
    ).json()
    for token in (smart["access_token"], smart["id_token"]):
        headers = {"Authorization": f"Bearer {token}"}
        for method, path in (
            ("POST", f"/Encounter/{record['encounter']}/$lbp-discharge"),
            ("GET", "/Composition/any/$document"),
            ("GET", "/app/api/record"),
            ("POST", "/app/api/discharge"),
        ):
            answer = httpx.request(method, f"{stack.service.url}{path}", headers=headers)
            assert answer.status_code == 401, (path, answer.text)
    assert on_server(stack, "Composition", record["encounter"]) == []
