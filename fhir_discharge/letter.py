"""The letter to the GP: a Composition with a Dutch narrative and one coded section per topic."""

from __future__ import annotations

import html
import re

from .canonicals import GP_LETTER_PROFILE, claims
from .codes import ED_DISCHARGE_SUMMARY, SECTION_CODES
from .facts import DischargeFacts
from .identity import business_identifier
from .narrative import (
    bullet_list,
    dutch_date,
    fhir_datetime,
    generated,
    paragraph,
    person_name,
    text,
)
from .phrases import ADVICE_KEYS, BROCHURE_URL, MEDICATION_KEYS, SPINE_PROGRAMME_PHONE
from .references import Resource

Section = tuple[str, str, list[dict[str, str]]]  # (key, XHTML inner, entries)


def build_letter(facts: DischargeFacts) -> Resource:
    p = facts.phrases
    sections = letter_sections(facts)
    composition: Resource = {
        "resourceType": "Composition",
        "meta": claims(GP_LETTER_PROFILE),
        "language": facts.language,
        "text": generated(_letter_xhtml(facts, sections)),
        "identifier": business_identifier(facts.letter.literal),
        "status": "final",
        "type": ED_DISCHARGE_SUMMARY.concept(),
        "subject": facts.patient.as_reference(),
        "encounter": facts.encounter.as_reference(),
        "date": fhir_datetime(facts.discharge),
        "author": [facts.physician.as_reference()],
        "title": p["title"],
        "confidentiality": "N",
        "attester": [
            {
                "mode": "legal",
                "time": fhir_datetime(facts.discharge),
                "party": facts.physician.as_reference(),
            }
        ],
        "custodian": facts.hospital.as_reference(),
        "section": [
            {
                "title": p[f"section-{key}"],
                "code": SECTION_CODES[key].concept(),
                "text": generated(inner),
                **({"entry": entries} if entries else {}),
            }
            for key, inner, entries in sections
        ],
    }
    return composition


def letter_sections(facts: DischargeFacts) -> list[Section]:
    """The letter's sections in reading order; each traces to a heading of pathway.md."""
    p = facts.phrases
    advice = [text(p[f"advice-{key}"]) for key in ADVICE_KEYS]
    diagnosis_entry = (
        [facts.diagnosis_condition.as_reference()] if facts.diagnosis_condition else []
    )
    return [
        ("reason", paragraph(text(p["reason"].format(visit_date=dutch_date(facts.discharge)))), []),
        (
            "assessment",
            paragraph(text(p["assessment-diagnosis"].format(diagnosis=facts.diagnosis.label)))
            + paragraph(text(p["assessment-red-flags"]))
            + paragraph(text(p["assessment-radicular"])),
            diagnosis_entry,
        ),
        ("imaging", paragraph(text(p["imaging"])), []),
        (
            "advice",
            paragraph(text(p["advice-intro"]))
            + bullet_list(advice)
            + paragraph(text(p["advice-summary"])),
            [],
        ),
        (
            "medication",
            bullet_list(text(p[k]) for k in MEDICATION_KEYS),
            [],
        ),
        (
            "follow-up",
            paragraph(text(p["follow-up-course"]))
            + bullet_list(
                [
                    text(p["follow-up-week"].format(date=dutch_date(facts.week_follow_up))),
                    text(
                        p["follow-up-six-weeks"].format(
                            date=dutch_date(facts.six_week_follow_up), phone=SPINE_PROGRAMME_PHONE
                        )
                    ),
                ]
            ),
            [facts.task_week.as_reference(), facts.task_six_weeks.as_reference()],
        ),
        (
            "safety-net",
            paragraph(text(p["safety-net-intro-gp"]))
            + bullet_list([text(p["safety-net-radicular"])])
            + paragraph(text(p["safety-net-intro-ed"]))
            + bullet_list(
                text(p[k])
                for k in (
                    "safety-net-weakness",
                    "safety-net-saddle",
                    "safety-net-bladder-bowel",
                    "safety-net-erectile",
                )
            ),
            [],
        ),
        (
            "patient-info",
            paragraph(text(p["patient-info"].format(url=BROCHURE_URL))),
            [facts.brochure.as_reference()],
        ),
        ("care-plan", paragraph(text(p["care-plan"])), [facts.care_plan.as_reference()]),
    ]


def _letter_xhtml(facts: DischargeFacts, sections: list[Section]) -> str:
    p = facts.phrases
    ctx = facts.context
    gp_name = person_name(ctx.general_practitioner)
    patient = facts.patient_resource
    patient_name = person_name(patient) or patient.get("id", "")
    birth = patient.get("birthDate")
    about = (
        p["about-patient"].format(patient=patient_name, birth_date=dutch_date(birth))
        if isinstance(birth, str)
        else p["about-patient-no-birth-date"].format(patient=patient_name)
    )
    head = (
        f"<h1>{text(p['title'])}</h1>"
        + paragraph(text(p["to-gp"].format(gp=gp_name) if gp_name else p["to-unknown-gp"]))
        + paragraph(text(about))
        + paragraph(text(p["salutation"]))
    )
    body = "".join(f"<h2>{text(p[f'section-{key}'])}</h2>{inner}" for key, inner, _ in sections)
    signature = p["signature"].format(
        physician=person_name(ctx.physician) or "", hospital=person_name(ctx.hospital) or ""
    )
    tail = paragraph(text(p["closing"])) + paragraph(text(signature))
    return head + body + tail


def plain_text(xhtml_div: str) -> str:
    """The narrative as plain text, one block per line (for the CLI and GP systems without HTML)."""
    spaced = re.sub(r"</(p|h1|h2|li|ul)>", "\n", xhtml_div)
    spaced = re.sub(r"<li>", "- ", spaced)
    stripped = re.sub(r"<[^>]+>", "", spaced)
    lines = [html.unescape(line).strip() for line in stripped.splitlines()]
    return "\n".join(line for line in lines if line)
