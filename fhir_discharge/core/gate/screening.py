"""The physician's red-flag screening (pathway.md, "The red-flag screening the physician
documents"): a completed QuestionnaireResponse of this encounter and patient, by a practitioner,
every item answered, every red flag absent."""

from __future__ import annotations

import re
from datetime import datetime

from ...errors import FindingValue
from ...types import Resource
from ..codes import PRACTITIONER_ROLE, RED_FLAG_LABELS
from ..letter.narrative import person_name
from ..pathway.definition import BROCHURE_GIVEN, SCREENING_RED_FLAG_ITEMS
from ..record.context import DischargeContext, parse_instant
from ..record.references import Ref, parse_reference, ref_of, same_target
from .findings import Findings
from .record import visit_start
from .result import Screening

_SCREENING_DONE = {"completed", "amended"}


def check_screening(ctx: DischargeContext, canonical: str, findings: Findings) -> Screening | None:
    """The physician's screening of this encounter: a response to the Questionnaire `canonical`
    (the site's)."""
    patient = ref_of(ctx.patient) if ctx.patient else None
    encounter = ref_of(ctx.encounter)
    ours: list[Resource] = []
    elsewhere = 0
    for response in ctx.screenings:
        questionnaire = str(response.get("questionnaire") or "").split("|", 1)[0]
        if questionnaire != canonical or response.get("status") == "entered-in-error":
            continue
        subject_ok = patient is not None and same_target(response.get("subject"), patient)
        if subject_ok and same_target(response.get("encounter"), encounter):
            ours.append(response)
        else:
            elsewhere += 1
    where = "QuestionnaireResponse"
    done = [r for r in ours if r.get("status") in _SCREENING_DONE]
    # A red flag ticked counts whatever the screening's status (in progress, stopped): the
    # physician saw it; a completed all-clear screening does not undo it.
    for unfinished in (r for r in ours if r not in done):
        _red_flags_ticked(unfinished, f"QuestionnaireResponse/{unfinished.get('id')}", findings)
    if not done:
        params: dict[str, FindingValue] = {"questionnaire": canonical}
        if ours:
            status = str(ours[0].get("status"))
            why = "is not completed (status '" + status + "')"
            code = "screening-not-completed"
            params["status"] = status
        elif elsewhere:
            why = "in the record is of another encounter or patient"
            code = "screening-of-another-encounter"
        else:
            why = "is not documented"
            code = "screening-missing"
        findings.missing(
            f"the red-flag screening of this encounter {why}: the physician documents it as "
            f"a completed QuestionnaireResponse to {canonical}, with subject, encounter, "
            "author (Practitioner) and authored, every item answered",
            where,
            code,
            **params,
        )
        return None
    checked = [s for s in (_one_screening(ctx, r, findings) for r in done) if s is not None]
    if len(checked) != len(done):
        return None
    # Every completed screening must be all clear (a contradictory record refuses, above);
    # the letter cites the latest.
    return max(checked, key=lambda s: s.authored)


def _one_screening(
    ctx: DischargeContext, response: Resource, findings: Findings
) -> Screening | None:
    where = f"QuestionnaireResponse/{response.get('id')}"
    answers: dict[str, list[object]] = {}
    for item in response.get("item") or []:
        link = item.get("linkId")
        values = [a.get("valueBoolean", a) for a in item.get("answer") or []]
        answers.setdefault(str(link), []).extend(values)
    expected = (*SCREENING_RED_FLAG_ITEMS, BROCHURE_GIVEN)
    unknown = sorted(set(answers) - set(expected))
    unanswered = [
        link
        for link in expected
        if len(answers.get(link, [])) != 1 or not isinstance(answers[link][0], bool)
    ]
    ok = True
    if unknown:
        findings.missing(
            f"the red-flag screening has items the pathway does not know: {', '.join(unknown)}",
            where,
            "screening-unknown-items",
            link_ids=tuple(unknown),
        )
        ok = False
    if unanswered:
        findings.missing(
            "the red-flag screening is incomplete: answer yes or no (one valueBoolean) to "
            + ", ".join(unanswered),
            where,
            "screening-incomplete",
            items=tuple(unanswered),
        )
        ok = False
    ok = not _red_flags_ticked(response, where, findings) and ok
    author = _screener(ctx, response, where, findings)
    authored = response.get("authored")
    when: datetime | None = None
    if isinstance(authored, str) and "T" in authored:
        when = parse_instant(authored, f"{where}.authored")
        start = visit_start(ctx)
        if start is not None and when < start:
            # The letter says when the physician screened: a screening of this encounter
            # dated before the visit contradicts the record (and red flags change).
            findings.missing(
                "the red-flag screening is dated before the visit started (authored before "
                "Encounter.period.start): correct its time, or screen again",
                f"{where}.authored",
                "screening-before-visit",
            )
            ok = False
    else:
        findings.missing(
            "the red-flag screening has no time (authored)",
            f"{where}.authored",
            "screening-no-time",
        )
    if not ok or author is None or when is None:
        return None
    return Screening(response, author, when, answers[BROCHURE_GIVEN] == [True])


def _red_flags_ticked(response: Resource, where: str, findings: Findings) -> bool:
    ticked = False
    for item in response.get("item") or []:
        link = item.get("linkId")
        yes = any(a.get("valueBoolean") is True for a in item.get("answer") or [])
        if link in SCREENING_RED_FLAG_ITEMS and yes:
            findings.off(
                f"{RED_FLAG_LABELS[link]} present according to the physician's red-flag screening",
                f"{where} item {link}",
                "red-flag-screening",
                red_flag=str(link),
            )
            ticked = True
    return ticked


def _screener(
    ctx: DischargeContext, response: Resource, where: str, findings: Findings
) -> Resource | None:
    """pathway.md, "Who screened": the screening's author is a Practitioner who takes part in
    the encounter, not shown as a non-physician, and named (the letter names who screened)."""
    reference = response.get("author")
    parsed = parse_reference(str((reference or {}).get("reference", "")))
    # What the author is: the resource it resolves to (a urn:uuid or fullUrl too), else the
    # type its reference names.
    resolved = ctx.resolve(reference)
    kind = resolved.get("resourceType") if resolved is not None else None
    kind = kind or (parsed.resource_type if parsed is not None else None)
    if kind not in ("Practitioner", "PractitionerRole"):
        findings.missing(
            "the red-flag screening is not authored by a practitioner: its author must be "
            "the Practitioner who screened",
            f"{where}.author",
            "screening-author-not-practitioner",
        )
        return None
    author = resolved
    roles: list[Resource] = []
    if author is not None and author.get("resourceType") == "PractitionerRole":
        roles.append(author)
        author = ctx.resolve(author.get("practitioner"))
    if author is None or author.get("resourceType") != "Practitioner":
        findings.missing(
            "the practitioner who screened is not in the record: include the Practitioner "
            "(the letter names who screened)",
            f"{where}.author",
            "screening-author-missing",
        )
        return None
    me = ref_of(author)
    participant_roles = _participant_roles(ctx, me)
    if participant_roles is None:
        findings.missing(
            f"the practitioner who screened (Practitioner/{author.get('id')}) does not take "
            "part in the encounter (Encounter.participant): the screening must be by a "
            "physician of this visit; add them as a participant, or have the ED physician "
            "screen",
            f"{where}.author",
            "screener-not-participant",
        )
        return None
    roles += participant_roles
    roles += [
        r
        for r in ctx.index.resources()
        if r.get("resourceType") == "PractitionerRole" and _is(ctx, r.get("practitioner"), me)
    ]
    shown = non_physician(author, roles)
    if shown is not None:
        findings.missing(
            f"the red-flag screening is authored by a practitioner the record shows as a "
            f"non-physician ({shown}): the physician screens for red flags; have the ED "
            "physician screen",
            f"{where}.author",
            "screener-not-physician",
            role=shown,
        )
        return None
    if not person_name(author):
        findings.missing(
            f"the practitioner who screened (Practitioner/{author.get('id')}) has no name: the "
            "letter names who screened; record the name",
            f"Practitioner/{author.get('id')}.name",
            "practitioner-unnamed",
            resource=f"Practitioner/{author.get('id')}",
        )
        return None
    return author


def _participant_roles(ctx: DischargeContext, practitioner: Ref) -> list[Resource] | None:
    """The PractitionerRoles by which the practitioner takes part in the encounter (empty when
    named directly); None when they take no part in it."""
    found: list[Resource] | None = None
    for participant in ctx.encounter.get("participant") or []:
        individual = participant.get("individual") if isinstance(participant, dict) else None
        if _is(ctx, individual, practitioner):
            found = found or []
            continue
        resolved = ctx.resolve(individual)
        if (
            resolved is not None
            and resolved.get("resourceType") == "PractitionerRole"
            and _is(ctx, resolved.get("practitioner"), practitioner)
        ):
            found = [*(found or []), resolved]
    return found


def _is(ctx: DischargeContext, reference: object, target: Ref) -> bool:
    """Whether a reference points at the practitioner, by `Type/id` or by whatever else the
    record resolves to it (a fullUrl, a urn:uuid)."""
    if same_target(reference, target):
        return True
    resolved = ctx.resolve(reference)
    return resolved is not None and (
        resolved.get("resourceType"),
        resolved.get("id"),
    ) == (target.resource_type, target.id)


# What shows a practitioner is not a physician (pathway.md, "Who screened": a nurse): an HL7
# practitioner-role other than doctor, or any role or qualification coded or named as nursing
# (a nurse, verpleegkundige, infirmier), in any code system.
_NON_PHYSICIAN_ROLES = frozenset({"nurse", "pharmacist", "researcher", "teacher", "ict"})
_NURSING = re.compile(r"nurs|verpleeg|infirmi", re.IGNORECASE)


def non_physician(practitioner: Resource, roles: list[Resource]) -> str | None:
    """How the record shows a practitioner is not a physician, or None."""
    concepts: list[object] = []
    for role in roles:
        concepts += role.get("code") or []
    for qualification in practitioner.get("qualification") or []:
        if isinstance(qualification, dict):
            concepts.append(qualification.get("code"))
    for concept in concepts:
        if not isinstance(concept, dict):
            continue
        for coding in concept.get("coding") or []:
            if not isinstance(coding, dict):
                continue
            code, display = coding.get("code"), coding.get("display")
            if coding.get("system") == PRACTITIONER_ROLE and code in _NON_PHYSICIAN_ROLES:
                return str(code)
            for said in (code, display):
                if isinstance(said, str) and _NURSING.search(said):
                    return said[:100]
        text = concept.get("text")
        if isinstance(text, str) and _NURSING.search(text):
            return text[:100]
    return None
