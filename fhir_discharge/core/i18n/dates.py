"""Dates, times, numbers and durations as a reader of each language writes them.

'2 december 2026' (nl-BE), '1er décembre 2026' (fr-BE), '2 December 2026' (en, as Belgian and
British English write it); a time '14.05' (the Dutch letter's "om 14.05 uur"), '14 h 05', '14:05';
a decimal comma in Dutch and French. A FHIR date of a year or a month is said as recorded
('maart 1956', '1956': pathway.md, "Partial birth dates"). A dateTime is said in Brussels time.
"""

from __future__ import annotations

from datetime import datetime

from ..brussels_time import local
from .catalogue import catalogue


def say_date(moment: datetime | str, language: str) -> str:
    """A dateTime (in Brussels time) or a FHIR date, in `language`; a partial date as recorded."""
    words = catalogue(language)
    if isinstance(moment, str):
        parts = [int(p) for p in moment[:10].split("-")]
        if len(parts) == 1:
            return str(parts[0])
        if len(parts) == 2:
            month_year = words.dates["month-year"]
            return month_year.format(month=words.months[parts[1] - 1], year=parts[0])
        year, month, day = parts
    else:
        moment = local(moment)
        year, month, day = moment.year, moment.month, moment.day
    said_day = words.dates["first-day"] if day == 1 else str(day)
    return words.dates["date"].format(day=said_day, month=words.months[month - 1], year=year)


def say_time(moment: datetime, language: str) -> str:
    """The time of day of `moment` in Brussels time, in `language` ('14.05', '14 h 05')."""
    moment = local(moment)
    return (
        catalogue(language)
        .dates["time"]
        .format(hour=f"{moment.hour:02d}", minute=f"{moment.minute:02d}")
    )


def say_decimal(value: float, language: str, digits: int = 1) -> str:
    """A number with `digits` decimals and the language's decimal separator ('38,5')."""
    return f"{value:.{digits}f}".replace(".", catalogue(language).dates["decimal-separator"])


def say_duration(days: int, language: str) -> str:
    """'1 week', '6 weken', '10 dagen': weeks when the days are whole weeks (the PlanDefinition's
    timings: core/pathway/definition.py)."""
    words = catalogue(language).durations
    if days and days % 7 == 0:
        weeks = days // 7
        return words["week" if weeks == 1 else "weeks"].format(n=weeks)
    return words["day" if days == 1 else "days"].format(n=days)
