"""The catalogues: every sentence the module writes or shows, one TOML file per language.

`nl-BE.toml`, `fr-BE.toml` and `en.toml` beside this module, each with the same tables and keys:
- `letter`: the letter, the care plan, the Tasks, the brochure reference and the Communication
  (core/letter/, core/gp_message/);
- `card`: the CDS Hooks cards; `app`: the physician's app; `page`: the labels the rendered letter
  adds to the Composition (core/rendering/);
- `findings` (by Finding.code), `warnings` (by DischargeWarning.code) and `values` (how a finding's
  or a warning's values are said: a red flag's linkId, a clinical status...), for the app and the
  card (core/i18n/said.py); `not_electronic`: why the letter cannot reach the GP's eHealthBox,
  said in one sentence, one warning code per reason;
- `nsaid_reasons`, `durations`, `dates` and `brochure_in_language`: words the sentences use.

Why TOML and not Python: a catalogue is what a clinician reviews and a translator writes, so it
holds text and nothing that runs; a reviewer reads one language in one file, with the clinical
source of each sentence in a comment above it; the standard library reads it (tomllib). Each
sentence states a fact of ../shared/clinical/pathway.md in the project's own words (the
brochure's text is never reproduced); `{placeholders}` are filled by the builders with escaped
values, and every language has the same keys with the same placeholders
(tests/asgi/test_catalogues.py). Nothing is translated at run time: a language exists only once its
file is written, and `reviewed_by` says who checked it clinically (empty: no one yet).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

CATALOGUES: Final = Path(__file__).resolve().parent
# The languages there are catalogues for, e.g. ("en", "fr-BE", "nl-BE").
LANGUAGES: Final[tuple[str, ...]] = tuple(sorted(p.stem for p in CATALOGUES.glob("*.toml")))
# The tables whose sentences every language must have alike (keys and placeholders).
SENTENCE_TABLES: Final = (
    "letter",
    "card",
    "page",
    "app",
    "nsaid_reasons",
    "findings",
    "warnings",
    "not_electronic",
    "durations",
    "brochure_in_language",
)
PLACEHOLDER: Final = re.compile(r"\{(\w*)\}")

Sentences = Mapping[str, str]


@dataclass(frozen=True)
class Catalogue:
    language: str  # BCP 47, as Composition.language and the narratives' lang say it
    name: str  # the language's own name ("Nederlands")
    reviewed_by: str  # who reviewed the clinical content, and when; "" not yet
    dates: Sentences  # date, month-year, time and decimal formats (core/i18n/dates.py)
    months: tuple[str, ...]
    letter: Sentences
    card: Sentences
    page: Sentences
    app: Sentences
    nsaid_reasons: Sentences
    findings: Sentences
    warnings: Sentences  # with one "not-electronic-<reason>" per reason of `not_electronic`
    values: Mapping[str, Sentences]
    durations: Sentences
    brochure_in_language: Sentences


class CatalogueError(ValueError):
    """A catalogue file this module cannot use (rebuild it: tests/asgi/test_catalogues.py)."""


def read_catalogue_file(language: str) -> dict[str, Any]:
    """The raw tables of `language`'s catalogue file."""
    if language not in LANGUAGES:
        raise CatalogueError(f"no catalogue for language {language!r}: {list(LANGUAGES)}")
    return tomllib.loads((CATALOGUES / f"{language}.toml").read_text(encoding="utf-8"))


@cache
def catalogue(language: str) -> Catalogue:
    """The catalogue of `language` (one of LANGUAGES); CatalogueError for any other."""
    raw = read_catalogue_file(language)
    if raw.get("language") != language:
        raise CatalogueError(f"{language}.toml says it is {raw.get('language')!r}")
    not_electronic = dict(raw["not_electronic"])
    sentence = not_electronic.pop("sentence")
    warnings = dict(raw["warnings"])
    # One warning code per reason the letter cannot reach the GP electronically, each said in
    # the one sentence with its reason (core/gp_message/ehealthbox.py UNREACHABLE).
    warnings.update(
        {
            f"not-electronic-{reason}": sentence.replace("{reason}", said)
            for reason, said in not_electronic.items()
        }
    )
    dates = dict(raw["dates"])
    months = tuple(dates.pop("months"))
    if len(months) != 12:
        raise CatalogueError(f"{language}.toml: dates.months must name the 12 months")
    return Catalogue(
        language=language,
        name=raw["name"],
        reviewed_by=raw["reviewed_by"],
        dates=_frozen(dates),
        months=months,
        letter=_frozen(raw["letter"]),
        card=_frozen(raw["card"]),
        page=_frozen(raw["page"]),
        app=_frozen(raw["app"]),
        nsaid_reasons=_frozen(raw["nsaid_reasons"]),
        findings=_frozen(raw["findings"]),
        warnings=_frozen(warnings),
        values=MappingProxyType({k: _frozen(v) for k, v in raw["values"].items()}),
        durations=_frozen(raw["durations"]),
        brochure_in_language=_frozen(raw["brochure_in_language"]),
    )


def placeholders(sentence: str) -> frozenset[str]:
    return frozenset(PLACEHOLDER.findall(sentence))


def fill(sentence: str, values: Mapping[str, str]) -> str:
    """`sentence` with the placeholders `values` names filled in, the others left as they are
    (for text a script fills further: the physician's app says {date} itself)."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), sentence)


def _frozen(table: Mapping[str, str]) -> Sentences:
    return MappingProxyType(dict(table))
