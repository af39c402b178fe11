"""What the ED physician reads (the app, the CDS Hooks card), in the site's language.

The physician works in the site's language (Settings.language, else the site file's); the letter
they preview or are offered speaks the GP's. The sentences come from the catalogue with what the
site says of itself and its pathway already filled in ({hospital}, {phone}, {gp_after}...); the
placeholders only the moment can fill ({date}, {items}, {status}...) are left for the caller.
"""

from __future__ import annotations

from ...errors import DischargeWarning, Finding
from ..site import Site
from .catalogue import catalogue, fill
from .said import finding_text, warning_text


def app_sentences(site: Site) -> dict[str, str]:
    """The physician's app's sentences (catalogue `app`), the site filled in."""
    return _filled(site, "app")


def card_sentences(site: Site) -> dict[str, str]:
    """The CDS Hooks cards' sentences (catalogue `card`), the site filled in."""
    return _filled(site, "card")


def finding_for_physician(finding: Finding, site: Site) -> str:
    """A finding of the gate as the physician reads it; its English when it has no code."""
    return finding_text(finding, site.default_language) or finding.message


def warning_for_physician(warning: DischargeWarning, site: Site) -> str:
    """A warning of the discharge as the physician reads it; its English when it has no code."""
    return warning_text(warning, site.default_language) or warning.message


def _filled(site: Site, table: str) -> dict[str, str]:
    language = site.default_language
    values = site.sentence_values(language)
    sentences = getattr(catalogue(language), table)
    return {key: fill(sentence, values) for key, sentence in sentences.items()}


def red_flag_names(link_ids: list[str], site: Site) -> list[str]:
    """The red flags of the screening's items `link_ids` by their clinical names, as the
    physician reads them ("caudasyndroom (zadelanesthesie, ...)"), not the questions."""
    names = catalogue(site.default_language).values["red_flag"]
    return [names.get(link_id, link_id) for link_id in link_ids]
