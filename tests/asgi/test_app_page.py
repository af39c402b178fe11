"""The physician's app page as the service writes it, in each language: what the screening form
needs from the catalogues (tests/browser/test_app_form.py walks the form itself)."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import httpx
import pytest

from fhir_discharge.config import Settings
from fhir_discharge.core.i18n.catalogue import LANGUAGES, catalogue
from fhir_discharge.core.pathway.definition import SCREENING_RED_FLAG_ITEMS
from tests.support.in_process import in_process_app

APP_DATA = re.compile(r'<script type="application/json" id="app-data">(.*?)</script>', re.S)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_form_gets_each_questions_short_name_and_its_answers_words(
    language: str, tmp_path: Path
) -> None:
    settings = Settings(language=language, outbox_path=str(tmp_path / "outbox.sqlite3"))
    with in_process_app(settings, lambda request: httpx.Response(404)) as client:
        page = client.get("/app/").text
    match = APP_DATA.search(page)
    assert match is not None
    data = json.loads(match.group(1))
    said = catalogue(language)
    # The open questions are listed by their short clinical names, never by the question.
    items = data["config"]["items"]
    assert [i["linkId"] for i in items] == [*SCREENING_RED_FLAG_ITEMS, "brochure-given"]
    for item in items:
        assert item["short"] == said.values["items"][item["linkId"]]
        assert item["short"] != item["text"] and "?" not in item["short"]
    # The words the form's answers and markers are written with, none left as its key.
    phrases = data["phrases"]
    for key in (
        "red-flag-no",
        "red-flag-yes",
        "red-flag-ticked",
        "brochure-yes",
        "brochure-no",
        "unanswered",
        "open-marker",
    ):
        assert phrases[key] == said.app[key] and "{" not in phrases[key]
    # The page's one h1, and the brochure's own heading.
    assert len(re.findall(r"<h1\b", page)) == 1
    heading = html.escape(said.app["discharge-items-heading"])
    assert f'<h3 id="discharge-items-heading">{heading}</h3>' in page
