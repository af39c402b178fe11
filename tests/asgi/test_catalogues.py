"""Catalogues per language (issue 21 point 3): core/i18n/nl-BE.toml, fr-BE.toml and en.toml hold
every sentence of the letter, the care plan, the physician's app, the CDS card, the findings and
the warnings; every language has every key, with the same placeholders; Settings.language is one
of the languages there are (before, `language="fr-BE"` was accepted and every discharge then
failed with a KeyError, a 500)."""

from __future__ import annotations

import tomllib
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from fhir_discharge.config import Settings
from fhir_discharge.core.codes import RED_FLAG_LABELS
from fhir_discharge.core.i18n.catalogue import (
    CATALOGUES,
    LANGUAGES,
    SENTENCE_TABLES,
    catalogue,
    placeholders,
    read_catalogue_file,
)
from fhir_discharge.core.i18n.physician_texts import app_sentences, card_sentences
from fhir_discharge.core.pathway.definition import BROCHURE_GIVEN, SCREENING_RED_FLAG_ITEMS
from fhir_discharge.errors import FINDING_DISPLAYS, WARNING_DISPLAYS
from tests.support.factories import happy_bundle
from tests.support.in_process import in_process_app
from tests.support.site import SITE

TOKEN = "catalogues-" + uuid.uuid4().hex
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _sentences(language: str) -> dict[str, str]:
    """Every sentence of a catalogue file, by its dotted key (values tables included)."""
    raw = read_catalogue_file(language)
    found: dict[str, str] = {}

    def walk(prefix: str, node: Any) -> None:
        for key, value in node.items():
            if isinstance(value, dict):
                walk(f"{prefix}{key}.", value)
            elif isinstance(value, str):
                found[f"{prefix}{key}"] = value

    walk("", {k: v for k, v in raw.items() if k in (*SENTENCE_TABLES, "values")})
    return found


def test_the_languages_are_the_three_catalogues() -> None:
    assert LANGUAGES == ("en", "fr-BE", "nl-BE")
    assert sorted(p.name for p in CATALOGUES.glob("*.toml")) == [
        "en.toml",
        "fr-BE.toml",
        "nl-BE.toml",
    ]
    for language in LANGUAGES:
        assert catalogue(language).language == language


@pytest.mark.parametrize("language", ["fr-BE", "en"])
def test_every_language_has_every_key_with_the_same_placeholders(language: str) -> None:
    dutch, other = _sentences("nl-BE"), _sentences(language)
    assert sorted(set(dutch) - set(other)) == [], "keys only the Dutch has"
    assert sorted(set(other) - set(dutch)) == [], "keys only this language has"
    differ = {
        key: (sorted(placeholders(dutch[key])), sorted(placeholders(other[key])))
        for key in dutch
        if placeholders(dutch[key]) != placeholders(other[key])
    }
    assert differ == {}
    assert all(sentence.strip() for sentence in other.values())
    # and the dates and durations have the same formats
    raw = {lang: read_catalogue_file(lang) for lang in ("nl-BE", language)}
    assert set(raw["nl-BE"]["dates"]) == set(raw[language]["dates"])
    assert len(raw[language]["dates"]["months"]) == 12


def test_a_test_of_the_keys_sees_a_missing_one(tmp_path: Path) -> None:
    """The comparison is not blind: a catalogue without a sentence, or with another
    placeholder, differs from the Dutch one."""
    dutch = _sentences("nl-BE")
    broken = dict(dutch)
    del broken["letter.title"]
    broken["letter.reason"] = broken["letter.reason"].replace("{visit_date}", "{date}")
    assert set(dutch) - set(broken) == {"letter.title"}
    assert placeholders(broken["letter.reason"]) != placeholders(dutch["letter.reason"])


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_code_of_the_gate_and_every_warning_has_a_sentence(language: str) -> None:
    words = catalogue(language)
    assert set(words.findings) == set(FINDING_DISPLAYS)
    assert set(words.warnings) == set(WARNING_DISPLAYS)
    assert set(words.values["red_flag"]) == set(RED_FLAG_LABELS)
    assert set(words.values["items"]) == {*SCREENING_RED_FLAG_ITEMS, BROCHURE_GIVEN}
    for key in SITE.pathway.advice:
        assert words.letter[f"advice-{key}"], key


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_card_summaries_fit_cds_hooks(language: str) -> None:
    # CDS Hooks 2.0: a card's summary is under 140 characters, the site's words filled in.
    card = card_sentences(SITE.speaking(language))
    for key in ("summary", "off-summary", "incomplete-summary"):
        assert len(card[key]) < 140, (key, len(card[key]))
        assert "{" not in card[key]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_app_and_the_card_leave_only_what_the_moment_fills(language: str) -> None:
    site = SITE.speaking(language)
    left = {
        p
        for s in (*app_sentences(site).values(), *card_sentences(site).values())
        for p in placeholders(s)
    }
    moment = {"date", "items", "reason", "message", "status", "state", "start", "end", "gp"}
    # the discharged card's moment and physician (core/cds_cards.py, discharged_card)
    moment |= {"time", "when", "physician"}
    # issue 22: a discharge's moment and physician, the time of day, the red flags stored
    moment |= {"moment", "physician", "time", "flags"}
    assert left <= moment


def test_settings_language_is_a_catalogues_language() -> None:
    with pytest.raises(ValidationError, match="language must be one of"):
        Settings(language="de-BE")
    assert Settings(language="fr-BE").site.default_language == "fr-BE"
    assert Settings().language is None and Settings().site.default_language == "nl-BE"


def test_a_service_set_to_french_discharges_in_french_not_a_500(tmp_path: Path) -> None:
    settings = Settings(
        language="fr-BE", api_tokens=[TOKEN], outbox_path=str(tmp_path / "outbox.sqlite3")
    )
    with in_process_app(settings, lambda request: httpx.Response(404)) as client:
        answer = client.post(
            "/Encounter/$lbp-discharge?_dry-run=true", json=happy_bundle(), headers=AUTH
        )
        assert answer.status_code == 200, answer.text
        letter = answer.json()["entry"][0]["resource"]
        assert letter["language"] == "fr-BE"  # the GP names no language: the service's
        page = client.get("/app/")
        assert '<html lang="fr-BE">' in page.text
        assert "Dépistage des signaux d'alarme (drapeaux rouges)" in page.text


def test_every_catalogue_is_a_toml_file_of_text() -> None:
    for language in LANGUAGES:
        raw = tomllib.loads((CATALOGUES / f"{language}.toml").read_text(encoding="utf-8"))
        assert raw["language"] == language and raw["name"]
        assert isinstance(raw["reviewed_by"], str)
