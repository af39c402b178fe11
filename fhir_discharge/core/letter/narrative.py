"""XHTML narrative and names as people read them.

Everything that comes from the input passes through `text()` before it reaches markup: escaped,
and stripped of characters XHTML cannot carry (C0/C1 controls, noncharacters, lone surrogates) or
that could make a name read differently from what it is (bidirectional marks, overrides and
isolates). `clean`, `one_line` and `person_name` are shared with core/rendering/, which reads the
same kinds of values back from a document that may have been edited elsewhere.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

XHTML_NS = "http://www.w3.org/1999/xhtml"
BRUSSELS = ZoneInfo("Europe/Brussels")

_UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
    "\ud800-\udfff\ufeff\ufffe\uffff]"
)
_SPACE = re.compile(r"\s+")


def clean(value: str) -> str:
    """`value` without the characters that XHTML cannot carry or that change how a text reads."""
    return _UNSAFE.sub("", value)


def one_line(value: Any) -> str:
    """A value from the input as one line of plain text; '' for anything that is not a string."""
    if not isinstance(value, str):
        return ""
    return _SPACE.sub(" ", clean(value)).strip()


def text(value: str) -> str:
    """`value` as safe XHTML character data."""
    return html.escape(clean(value), quote=True)


def paragraph(content: str) -> str:
    return f"<p>{content}</p>"


def bullet_list(items: Iterable[str]) -> str:
    return "<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>"


def div(inner: str, language: str) -> str:
    """The narrative's div, saying its language as HTML and XML do (issue 23: a resource with a
    `language` whose narrative says none draws a warning from HAPI's validator)."""
    lang = html.escape(language, quote=True)
    return f'<div xmlns="{XHTML_NS}" lang="{lang}" xml:lang="{lang}">{inner}</div>'


def generated(inner: str, language: str) -> dict[str, str]:
    """A FHIR Narrative generated from the structured data, in `language`."""
    return {"status": "generated", "div": div(inner, language)}


def person_name(resource: Mapping[str, Any] | None) -> str | None:
    """A display name as one clean line: the official (else first) HumanName's text, else prefix
    given family; an Organization's name. None when there is none."""
    if not resource:
        return None
    names = resource.get("name")
    if isinstance(names, str):  # Organization.name
        return one_line(names) or None
    # Only well-formed names count: FHIR JSON forbids nulls, but the models let them through,
    # and a document read back may have been edited by anyone.
    names = [n for n in names if isinstance(n, dict)] if isinstance(names, list) else []
    if not names:
        return None
    name = next((n for n in names if n.get("use") == "official"), names[0])
    if one_line(name.get("text")):
        return one_line(name["text"])
    parts = [*_strings(name.get("prefix")), *_strings(name.get("given")), name.get("family")]
    return one_line(" ".join(p for p in parts if isinstance(p, str))) or None


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
