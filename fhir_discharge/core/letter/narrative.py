"""XHTML narrative, names and dates as people read them.

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
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ..phrases import MONTHS_NL

XHTML_NS = "http://www.w3.org/1999/xhtml"
BRUSSELS = ZoneInfo("Europe/Brussels")

_UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
    "\ud800-\udfff\ufeff\ufffe\uffff]"
)
_SPACE = re.compile(r"\s+")
_PARTIAL_DATE = re.compile(r"\d{4}(-(0[1-9]|1[0-2]))?")


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


def div(inner: str) -> str:
    return f'<div xmlns="{XHTML_NS}">{inner}</div>'


def generated(inner: str) -> dict[str, str]:
    """A FHIR Narrative generated from the structured data."""
    return {"status": "generated", "div": div(inner)}


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


def is_partial_date(value: Any) -> bool:
    """A FHIR date of a year (YYYY) or a month (YYYY-MM), not a day."""
    return isinstance(value, str) and _PARTIAL_DATE.fullmatch(value) is not None


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def local(moment: datetime) -> datetime:
    return moment.astimezone(BRUSSELS)


def fhir_datetime(moment: datetime) -> str:
    """A FHIR dateTime/instant with seconds and the Brussels offset."""
    return local(moment).isoformat(timespec="seconds")


def days_after(moment: datetime, days: int) -> datetime:
    # Calendar days in Brussels: +7 days across a DST change is still the same wall-clock time.
    return local(moment) + timedelta(days=days)


def dutch_date(moment: datetime | str) -> str:
    """'2 december 2026' (a dateTime in Brussels time, or a FHIR date); a partial FHIR date as
    recorded: 'maart 1956', '1956'."""
    if isinstance(moment, str):
        parts = [int(p) for p in moment[:10].split("-")]
        if len(parts) == 1:
            return str(parts[0])
        if len(parts) == 2:
            return f"{MONTHS_NL[parts[1] - 1]} {parts[0]}"
        year, month, day = parts
    else:
        moment = local(moment)
        year, month, day = moment.year, moment.month, moment.day
    return f"{day} {MONTHS_NL[month - 1]} {year}"
