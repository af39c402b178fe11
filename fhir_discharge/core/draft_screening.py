"""The physician's red-flag screening as the app drafts it: a QuestionnaireResponse to the
pathway's screening Questionnaire, from the answers the physician ticked.

The same resource is the preview's draft (added to the screenings on record, so the gate runs as
if it were stored) and what the app stores on the FHIR server, as documented: all clear before a
discharge, or with red flags present (issue 22, hazard H124: the physician's finding is kept in
the record; nothing else is made). The first is a conditional create on its business identifier,
so a screening sent twice is stored once; a screening of the encounter the app stored before, with
other answers, is amended (the same resource, status `amended`, a new version: the earlier
answers stay in its history), never replaced by a second one. Pure: the moment it was authored,
the ids and the answers are given.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from ..errors import InvalidInput
from ..types import Resource
from .pathway.definition import BROCHURE_GIVEN, SCREENING_RED_FLAG_ITEMS
from .record.identity import IDENTIFIER_SYSTEM
from .site import Site


def draft_screening(
    answers: Mapping[str, bool],
    *,
    screening_id: str,
    patient_id: str,
    encounter_id: str,
    practitioner_id: str,
    authored: str,
    site: Site,
) -> Resource:
    """The completed screening of `encounter_id` by `practitioner_id`, answered as `answers`
    (every item of the Questionnaire, and only those: else InvalidInput), `authored` a FHIR
    dateTime: a QuestionnaireResponse to the site's Questionnaire, its questions in the app's
    language (the site's), as the physician read them."""
    screening = site.pathway.screening
    language = site.default_language
    expected = [item.link_id for item in screening.items]
    if sorted(answers) != sorted(expected):
        raise InvalidInput(
            "answer every item of the screening, and only those: " + ", ".join(expected)
        )
    return {
        "resourceType": "QuestionnaireResponse",
        "id": screening_id,
        "meta": {"profile": [site.canonicals.screening_response_profile]},
        "language": language,
        "identifier": {"system": IDENTIFIER_SYSTEM, "value": f"urn:uuid:{screening_id}"},
        "questionnaire": f"{screening.canonical}|{screening.version}",
        "status": "completed",
        "subject": {"reference": f"Patient/{patient_id}"},
        "encounter": {"reference": f"Encounter/{encounter_id}"},
        "authored": authored,
        "author": {"reference": f"Practitioner/{practitioner_id}"},
        "item": [
            {
                "linkId": item.link_id,
                "text": item.said_in(language)[0],
                "answer": [{"valueBoolean": answers[item.link_id]}],
            }
            for item in screening.items
        ],
    }


def all_clear_answers() -> dict[str, bool]:
    """Every red flag absent, the brochure not yet given: what the record says without the
    physician's own screening."""
    return {**dict.fromkeys(SCREENING_RED_FLAG_ITEMS, False), BROCHURE_GIVEN: False}


def all_clear_screening_id(iss: str, encounter_id: str) -> str:
    """The same id for the all-clear draft of a launch every time it is asked for."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{iss}|{encounter_id}"))


def red_flags_ticked(answers: Mapping[str, bool]) -> list[str]:
    """The red-flag items answered present: a screening with one is stored as documented, and
    no discharge follows it (the gate refuses it)."""
    return [link for link in SCREENING_RED_FLAG_ITEMS if answers.get(link)]


def answers_of(screening: Resource) -> dict[str, bool]:
    """The yes/no answers of a screening, by linkId (items without one boolean left out)."""
    given: dict[str, bool] = {}
    for item in screening.get("item") or []:
        values = [a.get("valueBoolean") for a in item.get("answer") or [] if isinstance(a, dict)]
        if len(values) == 1 and isinstance(values[0], bool):
            given[str(item.get("linkId"))] = values[0]
    return given


def app_screening(found: list[Resource], site: Site) -> Resource | None:
    """Of the encounter's QuestionnaireResponses, the screening this app stored (the site's
    Questionnaire, completed or amended, under an identifier the app made: `urn:uuid:` in
    IDENTIFIER_SYSTEM), the latest authored; None when the app stored none."""
    canonical = site.pathway.screening.canonical
    ours = [
        r
        for r in found
        if r.get("resourceType") == "QuestionnaireResponse"
        and str(r.get("questionnaire", "")).split("|", 1)[0] == canonical
        and r.get("status") in ("completed", "amended")
        and _made_by_app(r.get("identifier"))
    ]
    return max(ours, key=lambda r: str(r.get("authored", "")), default=None)


def _made_by_app(identifier: object) -> bool:
    return (
        isinstance(identifier, dict)
        and identifier.get("system") == IDENTIFIER_SYSTEM
        and str(identifier.get("value", "")).startswith("urn:uuid:")
    )


def amended_screening(stored: Resource, draft: Resource) -> Resource:
    """`stored` (an app_screening on the server) with the answers, author and time of `draft`:
    the same resource (its id and identifier), status `amended` (FHIR R4: completed, then
    changed)."""
    kept: Resource = {key: stored[key] for key in ("id", "identifier") if key in stored}
    changed = {key: value for key, value in draft.items() if key not in ("id", "identifier")}
    return {**changed, **kept, "status": "amended"}


def amendment_transaction(amended: Resource, version_id: str | None) -> Resource:
    """The transaction that writes `amended` over the stored screening: an update of its id, on
    the version read (`ifMatch`), so a change made meanwhile is refused, not overwritten."""
    request: dict[str, str] = {"method": "PUT", "url": f"QuestionnaireResponse/{amended['id']}"}
    if version_id:
        request["ifMatch"] = f'W/"{version_id}"'
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [{"resource": amended, "request": request}],
    }


def screening_transaction(screening: Resource) -> Resource:
    """The transaction that stores `screening` (a draft_screening) once: a conditional create on
    its business identifier, the server's id in place of the draft's."""
    stored = {key: value for key, value in screening.items() if key != "id"}
    urn = str(screening["identifier"]["value"])
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": urn,
                "resource": stored,
                "request": {
                    "method": "POST",
                    "url": "QuestionnaireResponse",
                    "ifNoneExist": f"identifier={IDENTIFIER_SYSTEM}|{urn}",
                },
            }
        ],
    }
