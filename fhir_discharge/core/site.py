"""The hospital this service writes letters for, as data: a site file (fhir_discharge/sites/).

Every Belgian ED follows the same national pathway (KCE reports 287 and 295; the PlanDefinition
of profiles/), each with its own name, address, phone numbers, spine programme and patient
brochure, and publishes its definitions under its own canonical base. Those are the site's, read
once from a TOML file (config.py reads the file; `site_from_toml` checks what it holds) into a
frozen `Site`, handed to the core like the context. No hospital fact lives in code.

A missing or malformed key is a `SiteError` naming it: the service does not start with it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from .i18n.catalogue import LANGUAGES, catalogue
from .i18n.dates import say_duration
from .pathway.canonicals import Canonicals
from .pathway.definition import ONE_WEEK, SIX_WEEKS, Pathway, pathway

_URL = re.compile(r"^https?://[^\s<>\"'`\\{}|^]+$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ./-]{5,30}$")


class SiteError(ValueError):
    """The site file lacks a key, or holds one this service cannot use; the message names it."""


@dataclass(frozen=True)
class SpineProgramme:
    """Where the GP refers a patient without improvement after the second follow-up."""

    phone: str
    consultation: Mapping[str, str]  # per language: the consultation, as the sentences name it
    programme: Mapping[str, str]  # per language: the programme it belongs to


@dataclass(frozen=True)
class Site:
    name: str  # the hospital, as the letter names it
    address: tuple[str, ...]  # the letterhead's lines
    city: str
    phone: str
    # The hospital's own website: where a CDS card's `source.url` leads (CDS Hooks 2.0: "to
    # learn more about the organization ... that provided the information on this card").
    url: str
    spine_programme: SpineProgramme
    brochure_number: str
    brochure_urls: Mapping[str, str]  # language -> URL; `brochure_language`'s is there
    brochure_language: str  # the one a letter in a language not published links (the file's)
    canonical_base: str
    default_language: str
    source: str  # where the site was read from, for messages

    @property
    def canonicals(self) -> Canonicals:
        return Canonicals(self.canonical_base)

    @property
    def pathway(self) -> Pathway:
        """The pathway's definitions as this site publishes them (under its canonical base)."""
        return pathway(self.canonical_base)

    def brochure(self, language: str) -> tuple[str, str]:
        """(URL, its language): the brochure in `language` if the site publishes it in that one,
        else in the site file's default language."""
        if language in self.brochure_urls:
            return self.brochure_urls[language], language
        return self.brochure_urls[self.brochure_language], self.brochure_language

    def speaking(self, language: str) -> Site:
        """This site with `language` as its default (Settings.language overrides the file's)."""
        if language not in LANGUAGES:
            raise SiteError(f"language {language!r} is none of the catalogues' {list(LANGUAGES)}")
        return replace(self, default_language=language)

    def sentence_values(self, language: str) -> dict[str, str]:
        """What a sentence of the catalogues may name about the hospital and its pathway, in
        `language`: {hospital}, {phone} (the spine programme's), {consultation}, {programme},
        {brochure} (its number), {url} and {brochure_in} (its language, when not the letter's),
        {gp_after} and {spine_after} (the follow-ups' timings, from the PlanDefinition)."""
        url, brochure_language = self.brochure(language)
        follow_ups = self.pathway.follow_ups
        words = catalogue(language)
        return {
            "hospital": self.name,
            "phone": self.spine_programme.phone,
            "consultation": self.spine_programme.consultation[language],
            "programme": self.spine_programme.programme[language],
            "brochure": self.brochure_number,
            "url": url,
            "brochure_in": ""
            if brochure_language == language
            else words.brochure_in_language[brochure_language],
            "gp_after": say_duration(follow_ups[ONE_WEEK].days, language),
            "spine_after": say_duration(follow_ups[SIX_WEEKS].days, language),
        }


def site_from_toml(data: Mapping[str, Any], source: str) -> Site:
    """The site a parsed site file describes; SiteError naming the first key it lacks or cannot
    use."""
    read = _Reader(data, source)
    default_language = read.choice("default_language", LANGUAGES)
    canonical_base = read.url("canonical_base").rstrip("/")
    spine = read.table("spine_programme")
    per_language = {language: spine.table(language) for language in LANGUAGES}
    brochure = read.table("brochure")
    urls = brochure.table("url")
    brochure_urls = {urls.language_key(key): urls.url(key) for key in urls.keys()}
    if default_language not in brochure_urls:
        raise SiteError(
            f"{source}: brochure.url.{default_language} is required (the default language's)"
        )
    hospital = read.table("hospital")
    return Site(
        name=hospital.text("name"),
        address=hospital.lines("address"),
        city=hospital.text("city"),
        phone=hospital.phone("phone"),
        url=hospital.url("url"),
        spine_programme=SpineProgramme(
            phone=spine.phone("phone"),
            consultation=_frozen({k: v.text("consultation") for k, v in per_language.items()}),
            programme=_frozen({k: v.text("programme") for k, v in per_language.items()}),
        ),
        brochure_number=brochure.text("number"),
        brochure_urls=_frozen(brochure_urls),
        brochure_language=default_language,
        canonical_base=canonical_base,
        default_language=default_language,
        source=source,
    )


def _frozen(mapping: dict[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(mapping))


class _Reader:
    """One table of the site file, and the dotted path to it for messages."""

    def __init__(self, data: Mapping[str, Any], source: str, path: str = "") -> None:
        self.data, self.source, self.path = data, source, path

    def _where(self, key: str) -> str:
        return f"{self.source}: {self.path}{key}"

    def _get(self, key: str) -> Any:
        if key not in self.data:
            raise SiteError(f"{self._where(key)} is missing")
        return self.data[key]

    def keys(self) -> list[str]:
        return list(self.data)

    def table(self, key: str) -> _Reader:
        value = self._get(key)
        if not isinstance(value, dict):
            raise SiteError(f"{self._where(key)} must be a table")
        return _Reader(value, self.source, f"{self.path}{key}.")

    def text(self, key: str) -> str:
        value = self._get(key)
        if not isinstance(value, str) or not value.strip() or value != " ".join(value.split()):
            raise SiteError(f"{self._where(key)} must be text on one line, not empty")
        return value

    def lines(self, key: str) -> tuple[str, ...]:
        value = self._get(key)
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise SiteError(f"{self._where(key)} must be a list of lines")
        if not all(v.strip() and v == " ".join(v.split()) for v in value):
            raise SiteError(f"{self._where(key)} must hold lines of text, none empty")
        return tuple(value)

    def phone(self, key: str) -> str:
        value = self.text(key)
        if not _PHONE.fullmatch(value):
            raise SiteError(f"{self._where(key)} must be a phone number (digits, spaces, . / -)")
        return value

    def url(self, key: str) -> str:
        value = self.text(key)
        if not _URL.fullmatch(value):
            raise SiteError(f"{self._where(key)} must be an absolute http(s) URL")
        return value

    def choice(self, key: str, allowed: tuple[str, ...]) -> str:
        value = self.text(key)
        if value not in allowed:
            raise SiteError(f"{self._where(key)} must be one of {list(allowed)}")
        return value

    def language_key(self, key: str) -> str:
        if key not in LANGUAGES:
            raise SiteError(f"{self._where(key)} is none of the languages {list(LANGUAGES)}")
        return key
