"""The gate's findings and a discharge's warnings, said in a language by their code.

A Finding and a DischargeWarning carry an English `message` (the API's, for integrators), a
stable `code` and the `params` the message is built from. This fills the code's sentence of the
language's catalogue (`findings`, `warnings`) with those values, each said through the
catalogue's `values` tables where it has one (a red flag's linkId, a clinical status, an NSAID
caution's reasons), a number with the language's decimal separator: sentences written and
reviewed in advance, never a translation at run time, and never the English read back.

A finding without a code (a FHIR server's own message), or one whose values do not fill its
sentence (a finding of an older or a newer core), has no sentence: None, and the caller says the
English. The text is plain: whoever shows it inserts it as text, never as markup.
"""

from __future__ import annotations

from collections.abc import Mapping

from ...errors import DischargeWarning, Finding, FindingValue
from .catalogue import catalogue
from .dates import say_decimal


def finding_text(finding: Finding, language: str) -> str | None:
    """The finding as a sentence in `language`; None for a finding without a code."""
    if finding.code is None:
        return None
    sentence = catalogue(language).findings.get(finding.code)
    return None if sentence is None else _said(sentence, finding.params, language)


def warning_text(warning: DischargeWarning, language: str) -> str | None:
    """The warning as a sentence in `language`; None for one without a code (an outbox item
    written before warnings had codes)."""
    sentence = catalogue(language).warnings.get(warning.code)
    return None if sentence is None else _said(sentence, warning.params, language)


def _said(sentence: str, params: Mapping[str, FindingValue], language: str) -> str | None:
    names = catalogue(language).values
    values = {name: _value(value, names.get(name, {}), language) for name, value in params.items()}
    try:
        text = sentence.format_map(values)
    except (KeyError, IndexError, ValueError):
        return None  # a value the sentence needs is not there: say the English
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _value(value: FindingValue, names: Mapping[str, str], language: str) -> str:
    if isinstance(value, tuple):
        return ", ".join(names.get(v, v) for v in value)
    if isinstance(value, float):
        return say_decimal(value, language)
    return names.get(str(value), str(value))
