"""Moments as the module writes them: Brussels wall-clock time, every FHIR dateTime with its offset.

Belgium's hospitals and GPs read Brussels time; the follow-ups count calendar days there.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

BRUSSELS = ZoneInfo("Europe/Brussels")
_PARTIAL_DATE = re.compile(r"\d{4}(-(0[1-9]|1[0-2]))?")


def local(moment: datetime) -> datetime:
    return moment.astimezone(BRUSSELS)


def fhir_datetime(moment: datetime) -> str:
    """A FHIR dateTime/instant with seconds and the Brussels offset."""
    return local(moment).isoformat(timespec="seconds")


def days_after(moment: datetime, days: int) -> datetime:
    # Calendar days in Brussels: +7 days across a DST change is still the same wall-clock time.
    return local(moment) + timedelta(days=days)


def is_partial_date(value: Any) -> bool:
    """A FHIR date of a year (YYYY) or a month (YYYY-MM), not a day."""
    return isinstance(value, str) and _PARTIAL_DATE.fullmatch(value) is not None
