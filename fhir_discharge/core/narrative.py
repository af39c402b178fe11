"""XHTML narrative, names and dates as people read them.

Everything that comes from the input passes through `text()` before it reaches markup: escaped,
and stripped of characters XHTML cannot carry (C0/C1 controls) or that could make a name read
differently from what it is (bidirectional overrides).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from .phrases import MONTHS_NL

XHTML_NS = "http://www.w3.org/1999/xhtml"
BRUSSELS = ZoneInfo("Europe/Brussels")

_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufffe\uffff]")


def text(value: str) -> str:
    """`value` as safe XHTML character data."""
    return html.escape(_UNSAFE.sub("", value), quote=True)


def paragraph(content: str) -> str:
    return f"<p>{content}</p>"


def bullet_list(items: Iterable[str]) -> str:
    return "<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>"


def div(inner: str) -> str:
    return f'<div xmlns="{XHTML_NS}">{inner}</div>'


def generated(inner: str) -> dict[str, str]:
    """A FHIR Narrative generated from the structured data."""
    return {"status": "generated", "div": div(inner)}


def person_name(resource: dict[str, Any] | None) -> str | None:
    """A display name: the official (else first) HumanName's text, else prefix given family."""
    if not resource:
        return None
    names = resource.get("name")
    if isinstance(names, str):  # Organization.name
        return names
    if not names:
        return None
    name = next((n for n in names if n.get("use") == "official"), names[0])
    if name.get("text"):
        return str(name["text"])
    # `or []`: FHIR JSON forbids nulls, but the models let them through, and inputs are hostile.
    parts = [*(name.get("prefix") or []), *(name.get("given") or []), name.get("family") or ""]
    joined = " ".join(str(p) for p in parts if p)
    return joined or None


def local(moment: datetime) -> datetime:
    return moment.astimezone(BRUSSELS)


def fhir_datetime(moment: datetime) -> str:
    """A FHIR dateTime/instant with seconds and the Brussels offset."""
    return local(moment).isoformat(timespec="seconds")


def days_after(moment: datetime, days: int) -> datetime:
    # Calendar days in Brussels: +7 days across a DST change is still the same wall-clock time.
    return local(moment) + timedelta(days=days)


def dutch_date(moment: datetime | str) -> str:
    """'2 december 2026' (a dateTime in Brussels time, or a FHIR date)."""
    if isinstance(moment, str):
        year, month, day = (int(p) for p in moment[:10].split("-"))
    else:
        moment = local(moment)
        year, month, day = moment.year, moment.month, moment.day
    return f"{day} {MONTHS_NL[month - 1]} {year}"
