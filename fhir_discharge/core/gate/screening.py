"""The physician's red-flag screening (pathway.md, "The red-flag screening the physician
documents"): a completed QuestionnaireResponse of this encounter and patient, by a practitioner,
every item answered, every red flag absent."""

from __future__ import annotations

from datetime import datetime

from ...errors import FindingValue
from ...types import Resource
from ..codes import RED_FLAG_LABELS
from ..context import DischargeContext, parse_instant
from ..pathway import BROCHURE_GIVEN, SCREENING_RED_FLAG_ITEMS, pathway
from ..references import parse_reference, ref_of, same_target
from .findings import Findings
from .record import visit_start
from .result import Screening

_SCREENING_DONE = {"completed", "amended"}


def check_screening(ctx: DischargeContext, findings: Findings) -> Screening | None:
    canonical = pathway().screening.canonical
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
    reference = response.get("author")
    parsed = parse_reference(str((reference or {}).get("reference", "")))
    if parsed is None or parsed.resource_type not in ("Practitioner", "PractitionerRole"):
        findings.missing(
            "the red-flag screening is not authored by a practitioner: its author must be "
            "the Practitioner who screened",
            f"{where}.author",
            "screening-author-not-practitioner",
        )
        return None
    author = ctx.resolve(reference)
    if author is not None and author.get("resourceType") == "PractitionerRole":
        author = ctx.resolve(author.get("practitioner"))
    if author is None or author.get("resourceType") != "Practitioner":
        findings.missing(
            "the practitioner who screened is not in the record: include the Practitioner "
            "(the letter names who screened)",
            f"{where}.author",
            "screening-author-missing",
        )
        return None
    return author
