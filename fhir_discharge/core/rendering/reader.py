"""What the letter says, read from a FHIR `document` Bundle: the view both renderers draw.

Every string of the view is plain text (never markup), one clean line (narrative.one_line);
section narratives are sanitised trees (sanitise.py). Renderers escape on output.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from ...types import Resource
from ..brussels_time import is_partial_date, local
from ..i18n.catalogue import LANGUAGES, catalogue
from ..i18n.dates import say_date
from ..letter.narrative import one_line, person_name
from ..record.references import ResourceIndex
from ..site import Site
from .sanitise import Node, sanitise_narrative

_SAFE_URL: Final = re.compile(r"^https?://[^\s<>\"'`\\]+$")


@dataclass(frozen=True)
class Section:
    title: str
    level: int  # 2 for the Composition's sections, 3 for nested ones
    body: tuple[Node | str, ...]


@dataclass(frozen=True)
class FollowUp:
    date: str  # in the letter's language, Brussels time; the raw value when it is not a date
    description: str


@dataclass(frozen=True)
class Letter:
    """Everything the page shows, as plain text (never markup): renderers escape it."""

    language: str  # a language of the catalogues: the Composition's, else the site's default
    labels: Mapping[str, str]  # the page's own headings and labels (catalogue `page`)
    hospital_name: str
    hospital_address: tuple[str, ...]
    hospital_phone: str
    place_and_date: str
    addressee: str
    title: str
    about: str
    patient_name: str
    patient_birth_date: str | None
    salutation: str
    sections: tuple[Section, ...]
    follow_ups: tuple[FollowUp, ...]
    brochure_title: str | None
    brochure_url: str | None  # only an http(s) URL; anything else is not linked
    closing: str
    signature: str
    author: str
    general_practitioner: str = ""  # the GP's name; "" when the document names none


def letter_view(document_bundle: Resource, site: Site) -> Letter:
    """What the letter says, read from a `document` Bundle; where it names no hospital, `site`'s
    letterhead. Raises ValueError when the Bundle holds no Composition."""
    entries = [e for e in _list(document_bundle.get("entry")) if isinstance(e, dict)]
    pairs = [
        (e["fullUrl"] if isinstance(e.get("fullUrl"), str) else None, e["resource"])
        for e in entries
        if isinstance(e.get("resource"), dict)
    ]
    resources = [r for _, r in pairs]
    composition = next((r for r in resources if r.get("resourceType") == "Composition"), None)
    if composition is None:
        raise ValueError("not a document: the Bundle holds no Composition")
    index = ResourceIndex(pairs)
    language = composition.get("language")
    if not isinstance(language, str) or language not in LANGUAGES:
        language = site.default_language
    p, labels = catalogue(language).letter, catalogue(language).page

    def said(value: Any) -> str | None:
        return _said(value, language)

    patient = _resolve(index, composition.get("subject"), "Patient")
    patient_name = _name(patient) or (one_line(patient.get("id")) if patient else "")
    recorded = patient.get("birthDate") if patient else None
    birth = said(recorded)
    # A partial birth date is said as recorded: "geboren in 1956" (pathway.md).
    born = "about-patient-partial-birth-date" if is_partial_date(recorded) else "about-patient"
    about = (
        p[born].format(patient=patient_name, birth_date=birth)
        if birth
        else p["about-patient-no-birth-date"].format(patient=patient_name)
    )

    author = next(
        (
            a
            for a in (_resolve(index, ref, None) for ref in _list(composition.get("author")))
            if a is not None
        ),
        None,
    )
    author = _practitioner_of(index, author)
    hospital = _resolve(index, composition.get("custodian"), "Organization")
    hospital_name = _name(hospital) or site.name
    address = (_address(hospital) if hospital else ()) or site.address
    phone = _phone(hospital) or site.phone
    city = _city(hospital) if hospital else site.city

    gp_name = _name(_general_practitioner(index, patient, resources))
    letter_date = said(composition.get("date")) or ""

    signature = p["signature"].format(physician=_name(author), hospital=hospital_name)
    brochure_title, brochure_url = _brochure(resources, site.brochure(language)[0])
    return Letter(
        language=language,
        labels=labels,
        hospital_name=hospital_name,
        hospital_address=address,
        hospital_phone=labels["phone"].format(phone=phone),
        place_and_date=labels["date"].format(
            place=f"{city}, " if city and letter_date else "", date=letter_date
        ),
        addressee=p["to-gp"].format(gp=gp_name) if gp_name else p["to-unknown-gp"],
        title=one_line(composition.get("title")) or p["title"],
        about=about,
        patient_name=patient_name,
        patient_birth_date=birth,
        salutation=p["salutation"],
        sections=tuple(_sections(composition.get("section"), level=2)),
        follow_ups=_follow_ups(resources, language),
        brochure_title=brochure_title,
        brochure_url=brochure_url,
        closing=p["closing"],
        signature=signature.strip(" ,"),
        author=_name(author),
        general_practitioner=gp_name,
    )


def parse_datetime(value: Any) -> datetime | None:
    """A FHIR dateTime with a time and a zone, that Brussels time can express; else None."""
    if not isinstance(value, str) or "T" not in value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    try:
        local(moment)  # a moment Brussels time cannot express (year 1 or 9999) is no date
    except OverflowError:
        return None
    return moment


def _sections(value: Any, level: int) -> list[Section]:
    found: list[Section] = []
    for section in _list(value):
        if not isinstance(section, dict):
            continue
        text = section.get("text")
        body = sanitise_narrative(text.get("div")) if isinstance(text, dict) else ()
        found.append(Section(one_line(section.get("title")), min(level, 3), body))
        found += _sections(section.get("section"), level + 1)
    return found


def _follow_ups(resources: Sequence[Resource], language: str) -> tuple[FollowUp, ...]:
    dated: list[tuple[tuple[int, float, str], FollowUp]] = []
    for task in resources:
        if task.get("resourceType") != "Task":
            continue
        restriction = task.get("restriction")
        period = restriction.get("period") if isinstance(restriction, dict) else None
        start = period.get("start") if isinstance(period, dict) else None
        moment = parse_datetime(start)
        when = _said(start, language) or ""
        sort_key = (0, moment.timestamp(), "") if moment else (1, 0.0, one_line(start))
        dated.append((sort_key, FollowUp(when, one_line(task.get("description")))))
    return tuple(f for _, f in sorted(dated, key=lambda pair: pair[0]))


def _brochure(resources: Sequence[Resource], site_url: str) -> tuple[str | None, str | None]:
    """The brochure's title and link (only an http(s) URL is linked); the site's when the
    document holds no brochure reference."""
    for ref in resources:
        if ref.get("resourceType") != "DocumentReference":
            continue
        for content in _list(ref.get("content")):
            attachment = content.get("attachment") if isinstance(content, dict) else None
            if not isinstance(attachment, dict):
                continue
            url = attachment.get("url")
            safe = url if isinstance(url, str) and _SAFE_URL.match(url) else None
            title = one_line(attachment.get("title")) or one_line(ref.get("description")) or None
            if safe or title:
                return title, safe
    return None, site_url


def _general_practitioner(
    index: ResourceIndex, patient: Resource | None, resources: Sequence[Resource]
) -> Resource | None:
    """The patient's GP on record, else the Practitioner the follow-up Tasks are for."""
    candidates = list(_list(patient.get("generalPractitioner"))) if patient else []
    candidates += [t.get("owner") for t in resources if t.get("resourceType") == "Task"]
    for ref in candidates:
        found = _practitioner_of(index, _resolve(index, ref, None))
        if found is not None and found.get("resourceType") == "Practitioner":
            return found
    return None


def _practitioner_of(index: ResourceIndex, resource: Resource | None) -> Resource | None:
    if resource is not None and resource.get("resourceType") == "PractitionerRole":
        return _resolve(index, resource.get("practitioner"), "Practitioner")
    return resource


def _resolve(index: ResourceIndex, reference: Any, resource_type: str | None) -> Resource | None:
    found = index.resolve(reference) if isinstance(reference, dict) else None
    if found is None or (resource_type and found.get("resourceType") != resource_type):
        return None
    return found


def _name(resource: Resource | None) -> str:
    return person_name(resource) or ""


def _address(organization: Resource) -> tuple[str, ...]:
    for address in _list(organization.get("address")):
        if not isinstance(address, dict):
            continue
        lines = [one_line(line) for line in _list(address.get("line"))]
        place = " ".join(one_line(address.get(k)) for k in ("postalCode", "city"))
        lines.append(place.strip())
        kept = tuple(line for line in lines if line)
        if kept:
            return kept
    return ()


def _city(organization: Resource) -> str:
    for address in _list(organization.get("address")):
        if isinstance(address, dict) and one_line(address.get("city")):
            return one_line(address.get("city"))
    return ""


def _phone(organization: Resource | None) -> str:
    if not organization:
        return ""
    for telecom in _list(organization.get("telecom")):
        if isinstance(telecom, dict) and telecom.get("system") == "phone":
            value = one_line(telecom.get("value"))
            if value:
                return value
    return ""


def _said(value: Any, language: str) -> str | None:
    """A FHIR date or dateTime in `language` ('2 december 2026', Brussels time); another string
    as it is (cleaned); None for nothing."""
    if not isinstance(value, str) or not value.strip():
        return None
    moment = parse_datetime(value)
    if moment is not None:
        return say_date(moment, language)
    try:
        if is_partial_date(value):
            date(int(value[:4]), int(value[5:7] or 1) if len(value) > 4 else 1, 1)
        else:
            date.fromisoformat(value)
    except ValueError:
        return one_line(value) or None
    return say_date(value, language)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
