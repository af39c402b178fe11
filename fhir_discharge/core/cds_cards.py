"""The CDS Hooks cards (CDS Hooks 2.0, "Card Attributes") of the `encounter-discharge` hook.

On the pathway, one `info` card whose one suggestion writes what the discharge operation's
transaction writes, built by the same code (core/transaction.py: the letter, the brochure
reference, the care plan, both follow-up Tasks, the letter to the GP with its KMEHR message and
the Task that sends it, the attested document, the Provenance and the service's Device), and
whose detail says what the letter says, in the letter's own sentences. An encounter this service
discharged already gets an `info` card saying when and by whom, linking to the letter (through
the physician's app), with no suggestion. Off the pathway, one card naming why, told apart by
its indicator and summary:
`critical` when a red flag is what keeps the patient off the pathway (the physician must see
it), `info` when the patient is simply not on it, `warning` when the record lacks what the letter
needs (with a `smart` link to the physician's app when what is missing is the physician's
screening). No card at all for an encounter whose reason and diagnoses show nothing of low back
pain (`about_low_back_pain`): the hook is called on every ED discharge, and a card on each one
that is not this pathway's trains the physician to dismiss them (alert fatigue; hazard log).
Cards are in the site's language, the physician's (core/i18n/physician_texts.py), in plain
clinical words (no resource ids, no FHIR terms); the letter they offer speaks the GP's. Each card
that asks something of the physician offers coded `overrideReasons` (CDS Hooks 2.0), which come
back through the feedback endpoint (web/cds_hooks/routes.py). Pure: the hook instance and the
app's launch URL are given; the web layer checks the cards against their models
(web/cds_hooks/models.py).
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any, Final

from ..errors import Finding, IncompleteRecord, NotOnPathway
from ..types import Resource
from .codes import CHRONIC_LOW_BACK_PAIN, LOW_BACK_PAIN
from .gate.record import diagnosis_references, of_encounter
from .i18n.dates import say_date, say_time
from .i18n.physician_texts import card_sentences, finding_for_physician, warning_for_physician
from .letter.composition import (
    brochure_sentence,
    diagnosis_sentence,
    medication_advice_keys,
    safety_net_keys,
)
from .letter.facts import letter_version_key
from .letter.narrative import person_name
from .pathway.content import SAFETY_NET_ED_KEYS
from .record.context import DischargeContext
from .record.identity import IDENTIFIER_SYSTEM, derived_uuid, discharge_key
from .record.references import ref_of, same_target
from .site import Site
from .terminology import CodeList
from .transaction import Discharge, entry_roles

# The roles (core/transaction.py ENTRY_ROLES) the suggestion carries an action for: every one
# of a first letter's transaction. The record the operation carries along is not among them (a
# hook's record is the EHR's own, never carried), nor the indexes of a correction (the card of
# an encounter with a letter offers none: `discharged_card`).
_ACTION_ROLES: Final = frozenset(
    {
        "letter",
        "brochure",
        "carePlan",
        "followUpOneWeek",
        "followUpSixWeeks",
        "letterToGp",
        "ehealthboxTask",
        "document",
        "provenance",
        "service",
    }
)

# Why a physician may set a card aside (CDS Hooks 2.0 Card.overrideReasons), per kind of card:
# codes of the site's CodeSystem `cds-override-reason`, said in the card's language (catalogue
# `card`, `override-<code>`). Chosen so a reason tells the hospital what to change: the record
# (`record-incorrect`: the card read what the EHR holds), the pathway's fit (`clinical-judgement`,
# `followed-up-elsewhere`), or the way the letter went (`letter-otherwise`). A red flag's card is
# set aside because it was seen to (`red-flag-handled`), never for a reason that would read as
# "no red flag". The terminology warning and the discharged card ask nothing: no reasons.
OVERRIDE_REASON_CODES: Final = (
    "followed-up-elsewhere",
    "clinical-judgement",
    "letter-otherwise",
    "record-incorrect",
    "red-flag-handled",
    "completed-later",
)
_OVERRIDE_REASONS: Final[dict[str, tuple[str, ...]]] = {
    "discharge": (
        "followed-up-elsewhere",
        "clinical-judgement",
        "letter-otherwise",
        "record-incorrect",
    ),
    "red-flag": ("red-flag-handled", "record-incorrect", "clinical-judgement"),
    "off": ("followed-up-elsewhere", "clinical-judgement", "record-incorrect"),
    "incomplete": ("completed-later", "followed-up-elsewhere", "clinical-judgement"),
}


# What shows an encounter to be about low back pain, for the card's silence only (the gate's own
# diagnosis rule stays exact: terminology.LOW_BACK_PAIN_CODES): the pathway's diagnosis codes
# and chronic low back pain, ICD-10 read hierarchically (M54.5 holds M54.50, M54.51 vertebrogenic
# and M54.59), so a low back pain the pathway refuses (chronic, vertebrogenic) still gets its card.
_LOW_BACK_PAIN_FAMILY: Final = CodeList(
    ("low back pain", code) for code in (*LOW_BACK_PAIN, *CHRONIC_LOW_BACK_PAIN)
)
# The findings that are a red flag (pathway.md, "Red flags"): in the coded record, in the
# physician's screening, or a fever on the encounter (the `infection` item).
_RED_FLAG_FINDING_PREFIX: Final = "red-flag-"
_RED_FLAG_FINDINGS: Final = frozenset({"fever"})


def about_low_back_pain(ctx: DischargeContext, site: Site) -> bool:
    """Whether the encounter's reason or diagnoses show anything of low back pain: a reason
    (reasonCode, or the Condition a reasonReference names) or a Condition of the encounter (linked
    to it or named in Encounter.diagnosis, whatever its status: a refuted one is still about low
    back pain) coded in the family above, or the physician's pathway screening of this
    encounter. A diagnosis the encounter names but the record does not hold cannot show
    anything: then the encounter counts as about low back pain, and the gate says what is
    missing."""
    encounter = ctx.encounter
    concepts: list[object] = list(encounter.get("reasonCode") or [])
    for reference in encounter.get("reasonReference") or []:
        reason = ctx.resolve(reference)
        if reason is not None:
            concepts.append(reason.get("code"))
    for reference in diagnosis_references(ctx):
        if ctx.resolve(reference) is None and not any(
            same_target(reference, ref_of(c)) for c in ctx.conditions
        ):
            return True
    concepts += [c.get("code") for c in ctx.conditions if of_encounter(ctx, c)]
    if any(_LOW_BACK_PAIN_FAMILY.first_match(concept) for concept in concepts):
        return True
    canonical = site.pathway.screening.canonical
    return any(
        str(r.get("questionnaire") or "").split("|", 1)[0] == canonical
        and same_target(r.get("encounter"), ref_of(encounter))
        for r in ctx.screenings
    )


def is_red_flag(finding: Finding) -> bool:
    return finding.code is not None and (
        finding.code.startswith(_RED_FLAG_FINDING_PREFIX) or finding.code in _RED_FLAG_FINDINGS
    )


def override_reason_system(site: Site) -> str:
    """The CodeSystem of the cards' override reasons, under the site's canonical base."""
    return f"{site.canonical_base}/CodeSystem/cds-override-reason"


def _source(phrases: dict[str, str], site: Site) -> dict[str, str]:
    # The service and the hospital it speaks for (the site file's website), not the brochure:
    # that is one of the letter's links, not who made the card.
    return {"label": phrases["source"], "url": site.url}


def _override_reasons(kind: str, phrases: dict[str, str], site: Site) -> list[dict[str, str]]:
    system = override_reason_system(site)
    return [
        {"system": system, "code": code, "display": phrases[f"override-{code}"]}
        for code in _OVERRIDE_REASONS[kind]
    ]


def _card_uuid(hook_instance: str, what: str) -> str:
    # One uuid per card and suggestion per hook call, the same if the EHR repeats the call.
    return str(uuid.uuid5(uuid.UUID(hook_instance), what))


def suggested_entries(discharge: Discharge) -> list[Resource]:
    """The transaction's entries the card's suggestion writes: the discharge's own resources, as
    the operation posts them (the record carried along left out; a hook's record has none)."""
    carried = {e.urn for e in discharge.carried}
    own = [e for e in discharge.bundle["entry"] if e["fullUrl"] not in carried]
    roles = entry_roles([e["resource"]["resourceType"] for e in own])
    if len(roles) != len(own) or not set(roles) <= _ACTION_ROLES:
        raise ValueError(f"a card suggests a first letter's resources only, not {roles}")
    return own


def discharge_card(discharge: Discharge, hook_instance: str, site: Site) -> dict[str, Any]:
    p = card_sentences(site)
    # The card says what the letter says, in the physician's language (the site's).
    facts = discharge.facts.speaking(site.default_language)
    week, six_weeks = facts.said(facts.week_follow_up), facts.said(facts.six_week_follow_up)
    entries = suggested_entries(discharge)
    roles = entry_roles([e["resource"]["resourceType"] for e in entries])
    gp = person_name(facts.context.general_practitioner)
    dates = {"followUpOneWeek": week, "followUpSixWeeks": six_weeks}
    descriptions = [
        p[f"action-{role}"].format(date=dates.get(role, ""), gp=md(gp) if gp else "")
        for role in roles
    ]
    actions = [
        {"type": "create", "description": description, "resource": resource}
        for description, resource in zip(descriptions, as_action_resources(entries), strict=True)
    ]
    record = facts.record
    # The card says what the letter says, in the letter's own sentences (core/i18n/).
    imaging = (
        [facts.say("imaging-none")]
        if record.no_imaging_shown
        else [facts.say("imaging-recorded"), *(f"  - {md(t.name)}" for t in record.tests)]
    )
    lines = [
        p["detail-intro"],
        "",
        f"- {md(diagnosis_sentence(facts))}",
        *(f"- {md(line)}" if not line.startswith("  - ") else line for line in imaging),
        f"- {md(facts.say('advice-summary'))}",
        f"- {md(facts.say('advice-medication'))} "
        + " ".join(md(facts.say(k)) for k in medication_advice_keys(facts)),
        f"- {md(brochure_sentence(facts))}",
        f"- {md(facts.say('safety-net-intro-ed'))} "
        + " ".join(md(facts.say(k)) for k in safety_net_keys(facts, SAFETY_NET_ED_KEYS)),
        f"- {p['detail-gp'].format(gp=md(gp)) if gp else p['detail-no-gp']}",
        "",
        f"**{p['detail-follow-up']}**",
        "",
        f"- {p['detail-week'].format(date=week)}",
        f"- {p['detail-six-weeks'].format(date=six_weeks)}",
    ]
    if discharge.warnings:
        lines += ["", f"**{p['detail-warnings']}**", ""]
        # Each by its code, in the card's language (core/i18n/said.py).
        lines += [f"- {md(warning_for_physician(w, site))}" for w in discharge.warnings]
    # What applying the suggestion does, the letter's way to the GP included.
    sending = (
        "detail-sends-ehealthbox"
        if "ehealthboxTask" in roles
        else "detail-sends-not-electronic"
        if "letterToGp" in roles
        else "detail-sends-no-gp"
    )
    lines += ["", f"{p['detail-actions']} {p[sending]}"]
    return {
        "uuid": _card_uuid(hook_instance, "card"),
        "summary": p["summary"],
        "detail": "\n".join(lines),
        "indicator": "info",
        "source": _source(p, site),
        "suggestions": [
            {
                "label": p["suggestion"],
                "uuid": _card_uuid(hook_instance, "suggestion"),
                "isRecommended": True,
                "actions": actions,
            }
        ],
        "selectionBehavior": "at-most-one",
        "overrideReasons": _override_reasons("discharge", p, site),
        "links": [
            {
                "label": p["link"],
                "url": site.brochure(site.default_language)[0],
                "type": "absolute",
            }
        ],
    }


def refusal_card(
    refusal: NotOnPathway | IncompleteRecord,
    hook_instance: str,
    site: Site,
    app_launch_url: str | None = None,
) -> dict[str, Any]:
    """The card of a refusal: `critical` with its own summary when a red flag is among the
    reasons, `info` when the patient is otherwise not on the pathway, `warning` when the record
    is incomplete. Each reason in the card's words, without the resource it was found in (the
    physician acts on the finding, not on an id), then what to do next. When the physician's
    red-flag screening is what is missing (or incomplete), a `smart` link launches the
    physician's app to document it (CDS Hooks 2.0: the EHR launches it with `iss` and
    `launch`)."""
    p = card_sentences(site)
    off = isinstance(refusal, NotOnPathway)
    red_flag = off and any(is_red_flag(f) for f in refusal.findings)
    kind, indicator = (
        ("red-flag", "critical")
        if red_flag
        else ("off", "info")
        if off
        else ("incomplete", "warning")
    )
    lines = [p[f"{kind}-intro"], ""]
    for finding in refusal.findings:
        # By its code, in the card's language (core/i18n/said.py).
        lines.append(f"- {md(finding_for_physician(finding, site))}")
    screening_missing = any(
        (f.expression or "").startswith("QuestionnaireResponse") for f in refusal.findings
    )
    with_app = bool(app_launch_url and not off and screening_missing)
    next_step = f"{kind}-next-app" if with_app else f"{kind}-next"
    lines += ["", f"**{p['next-heading']}** {p[next_step]}"]
    card: dict[str, Any] = {
        "uuid": _card_uuid(hook_instance, "card"),
        "summary": p[f"{kind}-summary"],
        "detail": "\n".join(lines),
        "indicator": indicator,
        "source": _source(p, site),
        "overrideReasons": _override_reasons(kind, p, site),
    }
    if with_app:
        card["links"] = [{"label": p["app-link"], "url": app_launch_url, "type": "smart"}]
    return card


# --- an encounter this service discharged already (issue 22, point 2) ---------------------------


def latest_letter(compositions: list[Resource], ctx: DischargeContext) -> Resource | None:
    """The latest letter this service wrote for the encounter of `ctx`, among `compositions`
    (the encounter's, as the EHR holds them): found as the operation finds its versions
    (io/discharging.py, `current_discharge`), by the business identifiers the encounter's
    discharge derives (core/letter/facts.py), so a letter written otherwise is never taken for
    ours. One marked entered-in-error is no letter. None: not discharged by this service."""
    key = discharge_key(ctx.encounter, ctx.patient, carried=ctx.carry_record)
    by_identifier: dict[str, Resource] = {}
    for composition in compositions:
        if composition.get("status") == "entered-in-error":
            continue
        identifier = composition.get("identifier")  # R4: one Identifier
        if isinstance(identifier, dict) and identifier.get("system") == IDENTIFIER_SYSTEM:
            by_identifier[str(identifier.get("value"))] = composition
    latest = None
    for version in range(1, len(by_identifier) + 1):
        found = by_identifier.get(derived_uuid(letter_version_key(key, version), "letter"))
        if found is None:
            break
        latest = found
    return latest


def discharged_card(
    letter: Resource,
    ctx: DischargeContext,
    hook_instance: str,
    site: Site,
    app_launch_url: str | None = None,
) -> dict[str, Any]:
    """The `info` card of an encounter this service discharged already: when and by whom (the
    letter's date and author, as the record names them), and a `smart` link to the physician's
    app, which shows the letter; no suggestion (nothing is to be made again)."""
    p = card_sentences(site)
    language = site.default_language
    when = str(letter.get("date") or "")
    try:
        moment = datetime.fromisoformat(when)
        said_when = p["discharged-moment"].format(
            date=say_date(moment, language), time=say_time(moment, language)
        )
    except ValueError:
        said_when = say_date(when, language) if when[:4].isdigit() else ""
    authors = [a for a in letter.get("author") or [] if isinstance(a, dict)]
    author = next(
        (
            name
            for a in authors
            for name in (person_name(ctx.resolve(a)), a.get("display"))
            if isinstance(name, str) and name.strip()
        ),
        None,
    )
    said = (
        p["discharged-summary-by"].format(when=said_when, physician=author)
        if author
        else p["discharged-summary"].format(when=said_when)
    )
    # A long name makes the summary too long (< 140 characters): then the detail says it.
    summary = said if len(said) < 140 else p["discharged-summary"].format(when=said_when)
    card: dict[str, Any] = {
        # Its own uuid: a red flag's card may stand beside it in the same answer.
        "uuid": _card_uuid(hook_instance, "discharged"),
        "summary": summary,
        "detail": f"{md(said)}\n\n{p['discharged-detail']}",
        "indicator": "info",
        "source": _source(p, site),
    }
    if app_launch_url:
        card["links"] = [{"label": p["discharged-link"], "url": app_launch_url, "type": "smart"}]
    return card


def terminology_unavailable_card(hook_instance: str, site: Site) -> dict[str, Any]:
    """The warning card when the configured terminology server could not say whether the
    record's SNOMED CT codes are refinements of a red flag: no letter is suggested, and the
    physician is told why and what to do."""
    p = card_sentences(site)
    return {
        "uuid": _card_uuid(hook_instance, "card"),
        "summary": p["terminology-summary"],
        "detail": p["terminology-detail"],
        "indicator": "warning",
        "source": _source(p, site),
    }


def as_action_resources(entries: list[Resource]) -> list[Resource]:
    """The transaction's new resources as `create` actions can carry them.

    An action has no fullUrl, so the bundle's `urn:uuid:` references would dangle. CDS Hooks
    2.0 applies a suggestion's actions as one FHIR transaction with fhirServer as the base of
    each entry's inferred fullUrl: each resource gets its uuid as `id` (a valid FHIR id, and
    never purely numeric: it has hyphens), and references between them become `Type/id`, which
    the EHR rewrites to the ids it assigns, as for any transaction. The business identifiers
    (value: the urn:uuid) stay, so a second application can be recognised.
    """
    by_urn = {
        str(e["fullUrl"]): f"{e['resource']['resourceType']}/"
        + str(e["fullUrl"]).removeprefix("urn:uuid:")
        for e in entries
    }
    out: list[Resource] = []
    for entry in entries:
        resource = _rewrite_references(entry["resource"], by_urn)
        rtype, rid = by_urn[str(entry["fullUrl"])].split("/")
        out.append({"resourceType": rtype, "id": rid, **resource})
    return out


def _rewrite_references(node: Any, by_urn: dict[str, str]) -> Any:
    if isinstance(node, dict):
        out = {k: _rewrite_references(v, by_urn) for k, v in node.items()}
        if isinstance(node.get("reference"), str) and node["reference"] in by_urn:
            out["reference"] = by_urn[node["reference"]]
        return out
    if isinstance(node, list):
        return [_rewrite_references(v, by_urn) for v in node]
    return node


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")


def md(value: str) -> str:
    """Record data as literal Markdown text (names and codes are not markup)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(value.split()))


def md_code(value: str) -> str:
    return value.replace("`", "'")
