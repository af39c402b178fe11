"""Which language the letter speaks: the GP's.

The GP's Practitioner lists the languages they read (`Practitioner.communication`, BCP 47 codes);
the first of them that a catalogue speaks is the letter's: a tag as written (fr-BE), else its
language subtag (fr, fr-FR and fr-LU read the fr-BE letter; nl and nl-NL the nl-BE one; en-GB
the en one). A GP with none of those, a PractitionerRole whose Practitioner is not in the record,
a GP known by identifier only, or no GP: the site's default language.
"""

from __future__ import annotations

from typing import Any, Final

from ...types import Resource
from .catalogue import LANGUAGES

BCP47: Final = "urn:ietf:bcp:47"


def letter_language(gp: Resource | None, default: str) -> str:
    """The language of the letter to `gp` (a Practitioner, or a PractitionerRole resolved to its
    Practitioner by the caller); `default` when it names none the catalogues speak."""
    for tag in _communication(gp):
        language = catalogue_language(tag)
        if language is not None:
            return language
    return default


def languages_not_spoken(gp: Resource | None) -> tuple[str, ...]:
    """The languages `gp` lists when no catalogue speaks any of them (the letter is then in the
    site's default, untranslated, and the physician is told); () when one is spoken or none is
    listed."""
    tags = _communication(gp)
    if any(catalogue_language(tag) is not None for tag in tags):
        return ()
    return tuple(tags)


def catalogue_language(tag: str) -> str | None:
    """The catalogue that speaks BCP 47 `tag`, if any: the tag itself, else by its language."""
    exact = {language.casefold(): language for language in LANGUAGES}
    if tag.casefold() in exact:
        return exact[tag.casefold()]
    primary = tag.split("-", 1)[0].casefold()
    return next((lang for lang in LANGUAGES if lang.split("-", 1)[0].casefold() == primary), None)


def _communication(gp: Resource | None) -> list[str]:
    """The BCP 47 codes of the GP's languages, in the order the record lists them."""
    if gp is None or gp.get("resourceType") != "Practitioner":
        return []
    tags = []
    for concept in _list(gp.get("communication")):
        for coding in _list(concept.get("coding") if isinstance(concept, dict) else None):
            if isinstance(coding, dict) and coding.get("system") == BCP47:
                code = coding.get("code")
                if isinstance(code, str) and code.strip():
                    tags.append(code.strip())
    return tags


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
