"""The letter to the GP: a Composition with a narrative in the GP's language and one coded
section per topic."""

from __future__ import annotations

import html
import re

from ...types import Resource
from ..brussels_time import fhir_datetime, is_partial_date
from ..codes import ED_DISCHARGE_SUMMARY, SECTION_CODES
from ..gate import RecordItem
from ..i18n.catalogue import catalogue
from ..i18n.dates import say_date, say_time
from ..pathway.canonicals import claims
from ..pathway.content import (
    MALE_ONLY_KEYS,
    MEDICATION_KEYS,
    MEDICATION_NSAID_OLDER,
    SAFETY_NET_ED_KEYS,
    SAFETY_NET_GP_KEYS,
)
from ..record.identity import business_identifier
from ..record.references import ref_of
from .facts import DischargeFacts
from .narrative import bullet_list, generated, one_line, paragraph, person_name, text

Section = tuple[str, str, list[dict[str, str]]]  # (key, XHTML inner, entries)


def build_letter(facts: DischargeFacts) -> Resource:
    p = facts.phrases
    sections = letter_sections(facts)
    composition: Resource = {
        "resourceType": "Composition",
        "meta": claims(facts.site.canonicals.gp_letter_profile),
        "language": facts.language,
        "text": generated(_letter_xhtml(facts, sections), facts.language),
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
        **_relates_to(facts),
        "section": [
            {
                "title": section_title(facts, key),
                "code": SECTION_CODES[key].concept(),
                "text": generated(inner, facts.language),
                **({"entry": entries} if entries else {}),
            }
            for key, inner, entries in sections
        ],
    }
    return composition


def _relates_to(facts: DischargeFacts) -> Resource:
    """A corrected letter replaces the previous version (R4 Composition.relatesTo, code
    `replaces`), named by its business identifier: the one the GP's earlier message carried,
    which no server rewrites and the stored document holds as it is (`related-id` finds it)."""
    previous = facts.previous("letter")
    if previous is None:
        return {}
    return {
        "relatesTo": [
            {"code": "replaces", "targetIdentifier": business_identifier(previous.literal)}
        ]
    }


def letter_sections(facts: DischargeFacts) -> list[Section]:
    """The letter's sections in reading order; each statement traces to pathway.md (advice) or
    to the record (facts about this patient), through what the gate returned."""
    record = facts.record
    tests = [ref_of(item.resource).as_reference() for item in record.tests]
    prescriptions = [ref_of(item.resource).as_reference() for item in record.prescriptions]
    assessed = [facts.diagnosis_condition, ref_of(record.screening.response)]
    return [
        (
            "reason",
            paragraph(text(facts.say("reason", visit_date=say_date(facts.visit, facts.language)))),
            [],
        ),
        ("assessment", _assessment(facts), [r.as_reference() for r in assessed]),
        ("imaging", _tests(facts), tests),
        (
            "advice",
            paragraph(text(facts.say(_given(facts, "advice-intro"))))
            + bullet_list(_advice_item(facts, key) for key in facts.site.pathway.advice)
            + paragraph(text(facts.say("advice-summary"))),
            [],
        ),
        ("medication", _prescriptions(facts), prescriptions),
        (
            "follow-up",
            paragraph(text(facts.say("follow-up-course")))
            + bullet_list(
                [
                    text(facts.say("follow-up-week", date=facts.said(facts.week_follow_up))),
                    text(
                        facts.say("follow-up-six-weeks", date=facts.said(facts.six_week_follow_up))
                    ),
                ]
            ),
            [facts.task_week.as_reference(), facts.task_six_weeks.as_reference()],
        ),
        (
            "safety-net",
            paragraph(text(facts.say(_given(facts, "safety-net-intro-gp"))))
            + bullet_list(text(facts.say(k)) for k in safety_net_keys(facts, SAFETY_NET_GP_KEYS))
            + paragraph(text(facts.say(_given(facts, "safety-net-intro-ed"))))
            + bullet_list(text(facts.say(k)) for k in safety_net_keys(facts, SAFETY_NET_ED_KEYS)),
            [],
        ),
        (
            "patient-info",
            paragraph(text(brochure_sentence(facts))),
            [facts.brochure.as_reference()],
        ),
        ("care-plan", paragraph(text(facts.say("care-plan"))), [facts.care_plan.as_reference()]),
    ]


def section_title(facts: DischargeFacts, key: str) -> str:
    """A section's title; the advice is "given" only when the brochure was (pathway.md)."""
    if key == "advice" and not facts.record.screening.brochure_given:
        return facts.phrases["section-advice-to-pass-on"]
    return facts.phrases[f"section-{key}"]


def _given(facts: DischargeFacts, key: str) -> str:
    """pathway.md, "Given to the patient": the advice and the safety net are said as given to
    the patient only when `brochure-given` is true; otherwise as the pathway's advice for the
    GP to pass on."""
    return key if facts.record.screening.brochure_given else f"{key}-to-pass-on"


def _assessment(facts: DischargeFacts) -> str:
    record = facts.record
    screening = record.screening
    screener = person_name(screening.author) or ""
    out = paragraph(text(diagnosis_sentence(facts)))
    out += paragraph(
        text(
            facts.say(
                "assessment-red-flags",
                # The screener's name starts the sentence: a capital ("Dr. X screende ...").
                screener=screener[:1].upper() + screener[1:],
                date=facts.said(screening.authored),
                time=say_time(screening.authored, facts.language),
            )
        )
    )
    out += paragraph(text(facts.say("assessment-radicular")))
    if record.older_patient and record.older_certainly:
        out += paragraph(text(facts.say("assessment-older")))
    elif record.older_patient:
        birth = str(facts.patient_resource.get("birthDate"))
        out += paragraph(text(facts.say("assessment-older-possibly", birth_date=facts.said(birth))))
    reasons = nsaid_reasons(facts)
    if reasons:
        out += paragraph(text(facts.say("assessment-nsaid-caution", reasons=reasons)))
    return out


def nsaid_reasons(facts: DischargeFacts) -> str:
    """The NSAID-caution reasons besides age, in words (pathway.md, "NSAID caution")."""
    said = catalogue(facts.language).nsaid_reasons
    return ", ".join(said[r] for r in facts.record.nsaid_caution if r in said)


def diagnosis_sentence(facts: DischargeFacts) -> str:
    """pathway.md: a provisional or differential diagnosis is said to be a working diagnosis."""
    working = facts.record.working_diagnosis
    return facts.say("assessment-working-diagnosis" if working else "assessment-diagnosis")


def _tests(facts: DischargeFacts) -> str:
    # pathway.md, "Why no imaging": "none was done" only when the record shows none.
    record = facts.record
    items = [text(examination_line(facts, i)) for i in record.tests]
    if not record.no_imaging_shown:
        return paragraph(text(facts.say("imaging-recorded"))) + bullet_list(items)
    out = paragraph(text(facts.say("imaging-none")))
    if items:
        out += paragraph(text(facts.say("imaging-labs"))) + bullet_list(items)
    return out


def examination_line(facts: DischargeFacts, item: RecordItem) -> str:
    """One examination, one line: its name and conclusion; a free-text conclusion quoted as
    written, the name not repeated when the conclusion begins with it ("CRP 3 mg/L")."""
    if not item.detail:
        return facts.say("imaging-item", name=item.name)
    if not item.quoted:
        return facts.say("imaging-item-conclusion", name=item.name, conclusion=item.detail)
    if item.detail.casefold().startswith(item.name.casefold()):
        return facts.say("imaging-item-quoted-only", conclusion=item.detail)
    return facts.say("imaging-item-quoted", name=item.name, conclusion=item.detail)


def _prescriptions(facts: DischargeFacts) -> str:
    items = facts.record.prescriptions
    if not items:
        return paragraph(text(facts.say("prescriptions-none")))
    return bullet_list(
        text(
            facts.say("prescription-dosage", name=i.name, dosage=i.detail)
            if i.detail
            else facts.say("prescription", name=i.name)
        )
        for i in items
    )


def _advice_item(facts: DischargeFacts, key: str) -> str:
    if key != "medication":
        return text(facts.say(f"advice-{key}"))
    return text(facts.say("advice-medication")) + bullet_list(
        text(medication_advice(facts, k)) for k in medication_advice_keys(facts)
    )


def medication_advice_keys(facts: DischargeFacts) -> list[str]:
    """pathway.md advice 5; from 70 years the NSAID sentence advises caution ("Older patients"),
    and for the other reasons of "NSAID caution" the same caution, naming them."""
    if facts.record.older_patient:
        nsaid = MEDICATION_NSAID_OLDER
    elif nsaid_reasons(facts):
        nsaid = "medication-nsaid-caution"
    else:
        nsaid = "medication-nsaid"
    return [nsaid if k == "medication-nsaid" else k for k in MEDICATION_KEYS]


def medication_advice(facts: DischargeFacts, key: str) -> str:
    """One sentence of the medication advice (the caution names its reasons)."""
    if key == "medication-nsaid-caution":
        return facts.say(key, reasons=nsaid_reasons(facts))
    return facts.say(key)


def safety_net_keys(facts: DischargeFacts, keys: tuple[str, ...]) -> list[str]:
    """pathway.md, "Sex": the erectile dysfunction item for male patients only."""
    male = facts.record.sex == "male"
    return [k for k in keys if male or k not in MALE_ONLY_KEYS]


def brochure_sentence(facts: DischargeFacts) -> str:
    """Handed over only when the screening says so; otherwise only where it is online."""
    key = "patient-info" if facts.record.screening.brochure_given else "patient-info-online"
    return facts.say(key)


def _letter_xhtml(facts: DischargeFacts, sections: list[Section]) -> str:
    p = facts.phrases
    ctx = facts.context
    gp_name = person_name(ctx.general_practitioner) or _logical_gp_name(facts)
    patient = facts.patient_resource
    patient_name = person_name(patient) or patient.get("id", "")
    birth = patient.get("birthDate")
    # pathway.md, "Partial birth dates": what is recorded ("geboren in 1956").
    born = "about-patient-partial-birth-date" if is_partial_date(birth) else "about-patient"
    about = (
        p[born].format(patient=patient_name, birth_date=facts.said(birth))
        if isinstance(birth, str)
        else p["about-patient-no-birth-date"].format(patient=patient_name)
    )
    head = (
        f"<h1>{text(p['title'])}</h1>"
        + paragraph(text(p["to-gp"].format(gp=gp_name) if gp_name else p["to-unknown-gp"]))
        + paragraph(text(about))
        + paragraph(text(p["salutation"]))
    )
    body = "".join(
        f"<h2>{text(section_title(facts, key))}</h2>{inner}" for key, inner, _ in sections
    )
    signature = p["signature"].format(
        physician=person_name(ctx.physician) or "", hospital=person_name(ctx.hospital) or ""
    )
    tail = paragraph(text(p["closing"])) + paragraph(text(signature))
    return head + body + tail


def _logical_gp_name(facts: DischargeFacts) -> str | None:
    """The display of a GP recorded by identifier only (pathway.md, "The GP by identifier")."""
    reference = facts.gp_reference
    display = reference.get("display") if reference is not None else None
    return one_line(display) or None


def plain_text(xhtml_div: str) -> str:
    """The narrative as plain text, one block per line (the KMEHR message's text, the demo, GP
    systems without HTML);
    a list inside a list item is indented under it."""
    out: list[str] = []
    depth = 0
    for piece in re.split(r"(<[^>]+>)", xhtml_div):
        if piece in ("<ul>", "</ul>"):
            depth += 1 if piece == "<ul>" else -1
            out.append("\n")
        elif piece == "<li>":
            out.append("\n" + "  " * (depth - 1) + "- ")
        elif re.fullmatch(r"</(p|h1|h2|li)>", piece):
            out.append("\n")
        elif not piece.startswith("<"):
            out.append(html.unescape(piece))
    lines = [line.rstrip() for line in "".join(out).splitlines()]
    return "\n".join(line for line in lines if line.strip())
