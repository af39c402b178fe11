"""The pathway gate's findings in Dutch (nl-BE), for the physician's app.

A Finding's `message` is English, for integrators; the gate also gives it a stable `code` and
the values the message is built from (`params`). This fills the code's sentence of
phrases.FINDING_PHRASES with those values: a catalogue written and reviewed in advance, never a
translation at run time. No code, or no sentence for it: None, and the caller says the English
message. The text is plain: whoever shows it inserts it as text, never as markup.
"""

from __future__ import annotations

from ..errors import Finding, FindingValue
from .phrases import FINDING_PHRASES, FINDING_VALUES

LANGUAGE = "nl-BE"


def finding_text(finding: Finding, language: str = LANGUAGE) -> str | None:
    """The finding as a sentence in `language`, or None when the catalogue has none for it."""
    sentences = FINDING_PHRASES.get(language)
    if finding.code is None or sentences is None or finding.code not in sentences:
        return None
    said = FINDING_VALUES.get(language, {})
    values = {name: _say(value, said.get(name, {})) for name, value in finding.params.items()}
    try:
        text = sentences[finding.code].format_map(values)
    except (KeyError, IndexError, ValueError):
        return None  # a sentence that needs a value the finding lacks: say the English one
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _say(value: FindingValue, names: dict[str, str]) -> str:
    if isinstance(value, tuple):
        return ", ".join(names.get(v, v) for v in value)
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")  # a decimal comma, as English says "{:.1f}"
    return names.get(str(value), str(value))
