"""The letter to the GP: a Composition with a Dutch narrative and one coded section per topic."""

from __future__ import annotations

import html
import re

from ..types import Resource
from .canonicals import GP_LETTER_PROFILE, claims
from .codes import ED_DISCHARGE_SUMMARY, SECTION_CODES
from .facts import DischargeFacts
from .identity import business_identifier
from .narrative import (
    bullet_list,
    dutch_date,
    fhir_datetime,
    generated,
    is_partial_date,
    local,
    paragraph,
    person_name,
    text,
)
from .phrases import (
    ADVICE_KEYS,
    BROCHURE_URL,
    MALE_ONLY_KEYS,
    MEDICATION_KEYS,
    MEDICATION_NSAID_OLDER,
    SAFETY_NET_ED_KEYS,
    SAFETY_NET_GP_KEYS,
    SPINE_PROGRAMME_PHONE,
)
from .references import ref_of

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
    """The letter's sections in reading order; each statement traces to pathway.md (advice) or
    to the record (facts about this patient), through what the gate returned."""
    record = facts.record
    tests = [ref_of(item.resource).as_reference() for item in record.tests]
    prescriptions = [ref_of(item.resource).as_reference() for item in record.prescriptions]
    assessed = [facts.diagnosis_condition, ref_of(record.screening.response)]
    return [
        (
            "reason",
            paragraph(text(facts.say("reason", visit_date=dutch_date(facts.visit)))),
            [],
        ),
        ("assessment", _assessment(facts), [r.as_reference() for r in assessed]),
        ("imaging", _tests(facts), tests),
        (
            "advice",
            paragraph(text(facts.say("advice-intro")))
            + bullet_list(_advice_item(facts, key) for key in ADVICE_KEYS)
            + paragraph(text(facts.say("advice-summary"))),
            [],
        ),
        ("medication", _prescriptions(facts), prescriptions),
        (
            "follow-up",
            paragraph(text(facts.say("follow-up-course")))
            + bullet_list(
                [
                    text(facts.say("follow-up-week", date=dutch_date(facts.week_follow_up))),
                    text(
                        facts.say(
                            "follow-up-six-weeks",
                            date=dutch_date(facts.six_week_follow_up),
                            phone=SPINE_PROGRAMME_PHONE,
                        )
                    ),
                ]
            ),
            [facts.task_week.as_reference(), facts.task_six_weeks.as_reference()],
        ),
        (
            "safety-net",
            paragraph(text(facts.say("safety-net-intro-gp")))
            + bullet_list(text(facts.say(k)) for k in safety_net_keys(facts, SAFETY_NET_GP_KEYS))
            + paragraph(text(facts.say("safety-net-intro-ed")))
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


def _assessment(facts: DischargeFacts) -> str:
    record = facts.record
    screening = record.screening
    authored = local(screening.authored)
    out = paragraph(text(diagnosis_sentence(facts)))
    out += paragraph(
        text(
            facts.say(
                "assessment-red-flags",
                screener=person_name(screening.author) or "",
                date=dutch_date(authored),
                time=authored.strftime("%H.%M"),
            )
        )
    )
    out += paragraph(text(facts.say("assessment-radicular")))
    if record.older_patient:
        out += paragraph(text(facts.say("assessment-older")))
    return out


def diagnosis_sentence(facts: DischargeFacts) -> str:
    """pathway.md: a provisional or differential diagnosis is said to be a working diagnosis."""
    working = facts.record.working_diagnosis
    return facts.say("assessment-working-diagnosis" if working else "assessment-diagnosis")


def _tests(facts: DischargeFacts) -> str:
    # pathway.md, "Why no imaging": "none was done" only when the record shows none.
    record = facts.record
    items = [
        text(
            facts.say("imaging-item-conclusion", name=i.name, conclusion=i.detail)
            if i.detail
            else facts.say("imaging-item", name=i.name)
        )
        for i in record.tests
    ]
    if not record.no_imaging_shown:
        return paragraph(text(facts.say("imaging-recorded"))) + bullet_list(items)
    out = paragraph(text(facts.say("imaging-none")))
    if items:
        out += paragraph(text(facts.say("imaging-labs"))) + bullet_list(items)
    return out


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
        text(facts.say(k)) for k in medication_advice_keys(facts)
    )


def medication_advice_keys(facts: DischargeFacts) -> list[str]:
    """pathway.md advice 5; from 70 years the NSAID sentence advises caution ("Older patients")."""
    nsaid = MEDICATION_NSAID_OLDER if facts.record.older_patient else "medication-nsaid"
    return [nsaid if k == "medication-nsaid" else k for k in MEDICATION_KEYS]


def safety_net_keys(facts: DischargeFacts, keys: tuple[str, ...]) -> list[str]:
    """pathway.md, "Sex": the erectile dysfunction item for male patients only."""
    male = facts.record.sex == "male"
    return [k for k in keys if male or k not in MALE_ONLY_KEYS]


def brochure_sentence(facts: DischargeFacts) -> str:
    """Handed over only when the screening says so; otherwise only where it is online."""
    key = "patient-info" if facts.record.screening.brochure_given else "patient-info-online"
    return facts.say(key, url=BROCHURE_URL)


def _letter_xhtml(facts: DischargeFacts, sections: list[Section]) -> str:
    p = facts.phrases
    ctx = facts.context
    gp_name = person_name(ctx.general_practitioner)
    patient = facts.patient_resource
    patient_name = person_name(patient) or patient.get("id", "")
    birth = patient.get("birthDate")
    about = (
        p[about_patient_key(birth)].format(patient=patient_name, birth_date=dutch_date(birth))
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


def about_patient_key(birth_date: str) -> str:
    """'geboren op 14 maart 1981', or for a partial birth date 'geboren in maart 1981'."""
    return "about-patient-partial-birth-date" if is_partial_date(birth_date) else "about-patient"


def plain_text(xhtml_div: str) -> str:
    """The narrative as plain text, one block per line (for the CLI and GP systems without HTML);
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
