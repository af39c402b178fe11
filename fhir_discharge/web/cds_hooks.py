"""CDS Hooks 2.0 (https://cds-hooks.hl7.org/2.0/): the `encounter-discharge` hook.

The EHR calls `POST /cds-services/lbp-discharge` when the ED physician discharges an encounter.
On the pathway the answer is one `info` card whose one suggestion creates the letter, brochure
reference, care plan and both follow-up tasks in the EHR; off the pathway (or with a record the
letter cannot be written from) it is one `warning` card naming why, without suggestions.

Data comes from the prefetch first (a resource or a searchset Bundle per key), then, for what
the prefetch lacks, from the EHR's `fhirServer` with `fhirAuthorization.access_token` as bearer
token. When neither has it, the answer is 412 Precondition Failed, as the specification says.

Nothing is posted from here: the EHR applies the actions (or not); the service keeps nothing.
Cards are written in the service's language (nl-BE), the language of the letter and of the ED.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from ..config import Settings
from ..core.context import DischargeContext, check_structure
from ..core.findings_nl import finding_text
from ..core.letter import (
    brochure_sentence,
    diagnosis_sentence,
    medication_advice_keys,
    safety_net_keys,
)
from ..core.narrative import dutch_date, person_name
from ..core.phrases import (
    BROCHURE_URL,
    CARD_PHRASES,
    SAFETY_NET_ED_KEYS,
    SPINE_PROGRAMME_PHONE,
)
from ..core.references import FHIR_ID_MAX_LENGTH, FHIR_ID_PATTERN, parse_reference
from ..core.transaction import Discharge
from ..core.warnings_nl import discharge_warnings
from ..errors import (
    FhirServerError,
    Forbidden,
    IncompleteRecord,
    InvalidInput,
    NotOnPathway,
    PrefetchUnavailable,
    TerminologyServerUnavailable,
    UnknownEncounter,
)
from ..io.discharging import screened_discharge
from ..io.fhir_client import FhirClient
from ..io.gathering import RECORD_SEARCHES, RecordGatherer
from ..io.retry import RetryPolicy
from ..types import Resource
from .body import FhirIdField, StrictJsonRoute, check_fhir_json, fhir_json_body
from .deps import SettingsDep, TerminologyDep
from .security import BEARER_TOKEN_PATTERN, Caller, require_cds_client
from .urls import public_url_for, trusted_server

log = logging.getLogger(__name__)
cds_router = APIRouter(tags=["cds-hooks"], route_class=StrictJsonRoute)
# Hook requests of up to this many bytes are read on the event loop (the usual prefetch is a few
# kB); a bigger one is checked in a worker thread, as a big context Bundle is (routes.py): a ~1 MB
# prefetch takes seconds of structure checks, and /health must answer meanwhile.
HOOK_INLINE_MAX_BYTES: Final = 16 * 1024

HOOK: Final = "encounter-discharge"
SERVICE_ID: Final = "lbp-discharge"

# The first three stay inside the spec's recommended prefetch subset (reads and a plain
# reference search), which every CDS client should serve. The last two use `_include`, beyond
# that subset: a client that cannot serve them leaves them out, and the service then reads the
# ED physician, the hospital and the GP from `fhirServer` (412 if there is no fhirServer).
PREFETCH: Final = {
    "patient": "Patient/{{context.patientId}}",
    "encounter": "Encounter/{{context.encounterId}}",
    "conditions": "Condition?patient={{context.patientId}}",
    # The rest of the record the gate screens and the letter cites (gathering.RECORD_SEARCHES).
    "screenings": "QuestionnaireResponse?encounter={{context.encounterId}}",
    "observations": "Observation?encounter={{context.encounterId}}",
    # The patient's Observations (the gate keeps those of the visit's period, linked or not).
    "observationsOfVisit": "Observation?patient={{context.patientId}}",
    "imagingStudies": "ImagingStudy?encounter={{context.encounterId}}",
    "diagnosticReports": "DiagnosticReport?encounter={{context.encounterId}}",
    "procedures": "Procedure?encounter={{context.encounterId}}",
    # The patient's medication, of this visit and at home (screened for its ATC classes).
    "medicationRequests": "MedicationRequest?patient={{context.patientId}}",
    "medicationStatements": "MedicationStatement?patient={{context.patientId}}",
    "encounterParticipants": (
        "Encounter?_id={{context.encounterId}}"
        "&_include=Encounter:participant&_include=Encounter:service-provider"
    ),
    "generalPractitioner": (
        "Patient?_id={{context.patientId}}&_include=Patient:general-practitioner"
    ),
}

DESCRIPTION: Final = (
    "At discharge from the emergency department, checks the encounter against the UZ Leuven "
    "pathway for acute non-specific mechanical low back pain (adult, ED encounter, low back "
    "pain diagnosis, no red flag, no radicular pain). On the pathway: one info card whose "
    "suggestion creates the discharge letter to the GP (Composition), the patient brochure "
    "700457 (DocumentReference), the care plan (CarePlan) and the follow-up tasks after 1 and 6 "
    "weeks (Task). Otherwise: one warning card naming the reasons. Cards are in Dutch (nl-BE). "
    "Data: prefetch `patient`, `encounter`, `conditions` (all the patient's Conditions, to "
    "screen for red flags), and the encounter's `screenings` (the physician's red-flag screening, "
    "a QuestionnaireResponse to lbp-red-flag-screening), `observations`, `imagingStudies`, "
    "`diagnosticReports` and `procedures`; the patient's `observationsOfVisit` (those timed "
    "in the visit count, linked or not), `medicationRequests` and `medicationStatements` (home "
    "medication is screened too); `encounterParticipants` (the "
    "Encounter with its Practitioners and serviceProvider Organization) and "
    "`generalPractitioner` (the Patient with Patient.generalPractitioner) use _include and may "
    "be left out: what the prefetch lacks is read from fhirServer with fhirAuthorization's "
    "token."
)

USAGE_REQUIREMENTS: Final = (
    "Needs either every prefetch key, or fhirServer (with fhirAuthorization granting read "
    "access to Patient, Encounter, Condition, QuestionnaireResponse, Observation, ImagingStudy, "
    "DiagnosticReport, Procedure, MedicationRequest, MedicationStatement, Medication, "
    "Practitioner, PractitionerRole "
    "and Organization); "
    "otherwise it answers 412. Suggested resources reference each other as Type/id with the id "
    "of each created resource, to be applied as one transaction against fhirServer."
)

# Which new resources the suggestion creates: the transaction's first five entries. The sixth,
# the Communication recording the letter as sent to the GP, is left out: applying a suggestion
# does not send anything, so an EHR would record a sending that never happened.
_ACTION_TYPES: Final = ("Composition", "DocumentReference", "CarePlan", "Task", "Task")
# A CDS Service should answer in about 500 ms: one retry at most, and a short timeout.
_CDS_RETRY: Final = RetryPolicy(attempts=2, base_delay=0.2, max_delay=1.0, total_seconds=3.0)
_CDS_TIMEOUT_SECONDS: Final = 10.0


# --- the request (CDS Hooks 2.0, "Calling a CDS Service") -------------------------------


class FhirAuthorization(BaseModel):
    model_config = ConfigDict(extra="allow")

    # Sent as a bearer token (RFC 6750 b64token): no other character can be in a header.
    access_token: str = Field(pattern=BEARER_TOKEN_PATTERN, max_length=8192)
    token_type: str
    expires_in: int
    scope: str
    subject: str
    patient: str | None = None

    @field_validator("token_type")
    @classmethod
    def _bearer(cls, value: str) -> str:
        if value != "Bearer":  # CDS Hooks 2.0: "Fixed value: Bearer"
            raise ValueError("token_type must be 'Bearer'")
        return value

    def __repr__(self) -> str:  # never the token in a log line or a traceback
        return f"FhirAuthorization(subject={self.subject!r}, scope={self.scope!r})"


# encounter-discharge: "userId: The id of the current user. Must be in the format
# [ResourceType]/[id]. For this hook, the user is expected to be of type Practitioner or
# PractitionerRole."
USER_ID_PATTERN: Final = r"^(Practitioner|PractitionerRole)/" + FHIR_ID_PATTERN.removeprefix("^")


class EncounterDischargeContext(BaseModel):
    model_config = ConfigDict(extra="allow")

    userId: str = Field(pattern=USER_ID_PATTERN, max_length=17 + FHIR_ID_MAX_LENGTH)
    patientId: FhirIdField
    encounterId: FhirIdField


class CdsRequest(BaseModel):
    model_config = ConfigDict(extra="allow")

    hook: Literal["encounter-discharge"]
    hookInstance: str = Field(json_schema_extra={"format": "uuid"})
    fhirServer: AnyHttpUrl | None = None
    fhirAuthorization: FhirAuthorization | None = None
    context: EncounterDischargeContext
    prefetch: dict[str, Any] | None = None

    @field_validator("hookInstance")
    @classmethod
    def _uuid(cls, value: str) -> str:
        try:
            uuid.UUID(value)
        except ValueError:
            raise ValueError("hookInstance must be a UUID") from None
        return value

    @model_validator(mode="after")
    def _authorization_needs_server(self) -> CdsRequest:
        # CDS Hooks 2.0: "If fhirAuthorization is provided, this field [fhirServer] is REQUIRED."
        if self.fhirAuthorization is not None and self.fhirServer is None:
            raise ValueError("fhirAuthorization is given, so fhirServer is required")
        return self

    @property
    def fhir_server(self) -> str | None:
        return str(self.fhirServer).rstrip("/") if self.fhirServer is not None else None


def parse_request(body: dict[str, Any]) -> CdsRequest:
    """The CDS Hooks request, or InvalidInput (400) naming the offending fields only (pydantic's
    messages here carry no input values: no patient data, no token)."""
    try:
        return CdsRequest.model_validate(body)
    except ValidationError as error:
        problems = []
        for e in error.errors()[:5]:
            where = ".".join(str(p) for p in e.get("loc", ())) or "request"
            problems.append(f"{where}: {e.get('msg', 'invalid')}")
        raise InvalidInput(
            "not a valid encounter-discharge request: " + "; ".join(problems)
        ) from None


# --- the response (CDS Hooks 2.0, "CDS Service Response" and "Discovery") -------------------
# What the service answers, as models: FastAPI checks each answer against them and the OpenAPI
# document shows them. No element is ever null (the endpoints leave out what is None).


class CdsResponseModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Source(CdsResponseModel):
    label: str = Field(min_length=1)
    url: str | None = None
    icon: str | None = None


class Link(CdsResponseModel):
    label: str = Field(min_length=1)
    url: str = Field(min_length=1)
    type: Literal["absolute", "smart"]
    appContext: str | None = None


class Action(CdsResponseModel):
    type: Literal["create", "update", "delete"]
    description: str = Field(min_length=1)
    resource: Resource | None = None
    resourceId: str | None = None


class Suggestion(CdsResponseModel):
    label: str = Field(min_length=1)
    uuid: str | None = None
    isRecommended: bool | None = None
    actions: list[Action] | None = None


class Card(CdsResponseModel):
    uuid: str | None = None
    summary: str = Field(min_length=1, max_length=139)  # "<140-character summary"
    detail: str | None = None  # GitHub Flavored Markdown
    indicator: Literal["info", "warning", "critical"]
    source: Source
    suggestions: list[Suggestion] | None = None
    selectionBehavior: Literal["at-most-one", "any"] | None = None
    links: list[Link] | None = None

    @model_validator(mode="after")
    def _selection_behavior_with_suggestions(self) -> Card:
        # CDS Hooks 2.0: "If suggestions are present, selectionBehavior MUST also be provided."
        if self.suggestions and self.selectionBehavior is None:
            raise ValueError("a card with suggestions needs selectionBehavior")
        return self


class CdsResponse(CdsResponseModel):
    cards: list[Card]


class CdsService(CdsResponseModel):
    hook: str
    id: str
    title: str | None = None
    description: str
    prefetch: dict[str, str] | None = None
    usageRequirements: str | None = None


class CdsDiscovery(CdsResponseModel):
    services: list[CdsService]


# Errors are OperationOutcomes (app.py), as everywhere in this service.
_HOOK_ERRORS: Final[dict[int | str, dict[str, Any]]] = {
    400: {"description": "Not a valid encounter-discharge request (an OperationOutcome)"},
    401: {"description": "No valid bearer token (an OperationOutcome)"},
    403: {"description": "fhirServer is not one this service reads from (an OperationOutcome)"},
    412: {"description": "The data is neither prefetched nor readable from fhirServer"},
    502: {"description": "fhirServer failed"},
    504: {"description": "fhirServer did not answer in time"},
}
# The body is read raw (fhir_json_body: size limit, media type, then CdsRequest, after the
# caller is authenticated): declared here so the OpenAPI says what to send (app.py adds the
# CdsRequest schema to the document's components).
_HOOK_REQUEST_BODY: Final = {
    "required": True,
    "content": {
        media: {"schema": {"$ref": "#/components/schemas/CdsRequest"}}
        for media in ("application/json", "application/fhir+json")
    },
}
OPENAPI_REQUEST_MODELS: Final = (CdsRequest,)


# --- discovery -----------------------------------------------------------------------------


def discovery() -> dict[str, Any]:
    return {
        "services": [
            {
                "hook": HOOK,
                "id": SERVICE_ID,
                "title": "UZ Leuven – ontslag bij acute lage rugpijn (spoedgevallen)",
                "description": DESCRIPTION,
                "prefetch": dict(PREFETCH),
                "usageRequirements": USAGE_REQUIREMENTS,
            }
        ]
    }


@cds_router.get("/cds-services", response_model_exclude_none=True)
async def cds_discovery() -> CdsDiscovery:
    return CdsDiscovery.model_validate(discovery())


CdsClientDep = Annotated[Caller, Depends(require_cds_client(f"/cds-services/{SERVICE_ID}"))]


@cds_router.post(
    f"/cds-services/{SERVICE_ID}",
    response_model_exclude_none=True,
    responses=_HOOK_ERRORS,
    openapi_extra={"requestBody": _HOOK_REQUEST_BODY},
)
async def lbp_discharge_hook(
    request: Request, settings: SettingsDep, caller: CdsClientDep, terminology: TerminologyDep
) -> CdsResponse:
    """A CDS Hooks 2.0 `encounter-discharge` call: 200 with cards, 400 for a malformed request,
    403 for a fhirServer not the caller's, 412 when the data is neither prefetched nor
    readable, 502/504 when fhirServer fails. When the configured terminology server cannot
    answer: 200 with a warning card saying so (no letter suggested)."""
    body = await fhir_json_body(request, settings.max_body_bytes)
    if request.state.body_bytes <= HOOK_INLINE_MAX_BYTES:
        hook, prefetched = read_hook(body)
    else:
        hook, prefetched = await asyncio.to_thread(read_hook, body)
    language = settings.language if settings.language in CARD_PHRASES else "nl-BE"
    servers = (
        caller.fhir_servers
        if caller.fhir_servers is not None
        else (settings.fhir_base_url, *settings.cds_fhir_servers)
    )
    try:
        ctx = await gather_hook_context(hook, prefetched, settings, servers)
        discharge = await screened_discharge(ctx, terminology, settings.language, gp_message=False)
    except (NotOnPathway, IncompleteRecord) as refusal:
        log.info("hook %s: %s", hook.hookInstance, type(refusal).__name__)
        launch_url = settings.app_launch_url or public_url_for(request, settings, "app_launch")
        card = refusal_card(refusal, hook.hookInstance, language, launch_url)
        return CdsResponse.model_validate({"cards": [card]})
    except TerminologyServerUnavailable:
        # A card, not the operation's 503: an EHR shows a CDS service's error to no one, and the
        # physician would read no card as no objection. Said in Dutch; nothing was written.
        log.warning("hook %s: the terminology server did not answer", hook.hookInstance)
        card = terminology_unavailable_card(hook.hookInstance, language)
        return CdsResponse.model_validate({"cards": [card]})
    log.info("hook %s: on pathway", hook.hookInstance)
    card = discharge_card(discharge, hook.hookInstance, language)
    return CdsResponse.model_validate({"cards": [card]})


# --- gathering the context: prefetch first, then fhirServer --------------------------------


@dataclass
class Prefetched:
    """What the client prefetched, per key: None when not satisfied (key absent, or an
    OperationOutcome instead of data), else the resources (empty for a null value)."""

    values: dict[str, list[Resource] | None] = field(default_factory=dict)
    paginated: set[str] = field(default_factory=set)

    def resources(self) -> list[Resource]:
        return [r for found in self.values.values() if found for r in found]


def read_prefetch(hook: CdsRequest) -> Prefetched:
    prefetched = Prefetched()
    given = hook.prefetch or {}
    for key in PREFETCH:
        if key not in given:
            prefetched.values[key] = None
            continue
        value = given[key]
        if value is None:  # the client has no data for this template
            prefetched.values[key] = []
            continue
        check_fhir_json(value, f"prefetch.{key}")
        check_structure(value, f"prefetch.{key}")
        if value["resourceType"] == "OperationOutcome":  # the client failed to prefetch it
            prefetched.values[key] = None
        elif value["resourceType"] == "Bundle":
            prefetched.values[key] = [
                e["resource"]
                for e in value.get("entry") or []
                if isinstance(e.get("resource"), dict)
                and e["resource"].get("resourceType") != "OperationOutcome"
            ]
            if any(link.get("relation") == "next" for link in value.get("link") or []):
                prefetched.paginated.add(key)
        else:
            prefetched.values[key] = [value]
    _check_prefetched_identity(prefetched, hook.context)
    return prefetched


def _check_prefetched_identity(prefetched: Prefetched, context: EncounterDischargeContext) -> None:
    for key, rtype, wanted in (
        ("patient", "Patient", context.patientId),
        ("encounter", "Encounter", context.encounterId),
    ):
        for resource in prefetched.values.get(key) or []:
            if resource.get("resourceType") != rtype or resource.get("id") != wanted:
                raise InvalidInput(
                    f"prefetch.{key} is not the {rtype} of context.{rtype.lower()}Id"
                )


async def _gather(
    hook: CdsRequest, prefetched: Prefetched, client: FhirClient | None
) -> DischargeContext:
    # A paginated search is not the whole record: read it again from the server.
    searched = {
        key: prefetched.values.get(key) if key not in prefetched.paginated else None
        for key in RECORD_SEARCHES
    }
    gatherer = RecordGatherer(client, prefetched.resources(), searched)
    ids = hook.context
    encounter = await gatherer.required("Encounter", ids.encounterId)
    subject = parse_reference(str((encounter.get("subject") or {}).get("reference", "")))
    if subject is None or subject.literal != f"Patient/{ids.patientId}":
        raise InvalidInput("Encounter.subject is not the Patient of context.patientId")
    await gatherer.required("Patient", ids.patientId)
    return await gatherer.gather(encounter)


def read_hook(body: dict[str, Any]) -> tuple[CdsRequest, Prefetched]:
    """The request and its prefetch, checked (every prefetched resource's structure)."""
    hook = parse_request(body)
    return hook, read_prefetch(hook)


async def gather_hook_context(
    hook: CdsRequest, prefetched: Prefetched, settings: Settings, servers: Sequence[str]
) -> DischargeContext:
    """The hook's context: the prefetch, then `fhirServer` if it is one of `servers` (the
    calling EHR's own)."""
    server = hook.fhir_server
    if server is None:
        return await _gather(hook, prefetched, None)
    # The request names the server we read, with a token it gives: only the calling EHR's own
    # servers, or a caller could make it fetch from anywhere, or from another EHR.
    if not trusted_server(server, servers):
        raise Forbidden("fhirServer is not one this service reads from for this CDS client")
    token = hook.fhirAuthorization.access_token if hook.fhirAuthorization else None
    client = FhirClient(
        server,
        timeout=min(settings.fhir_timeout_seconds, _CDS_TIMEOUT_SECONDS),
        bearer_token=token,
        retry=_CDS_RETRY,
    )
    try:
        return await _gather(hook, prefetched, client)
    except UnknownEncounter as error:
        raise PrefetchUnavailable(error.message) from None
    except FhirServerError as error:
        if error.server_status in (401, 403):
            raise PrefetchUnavailable(
                f"the FHIR server refused access (HTTP {error.server_status}): "
                "fhirAuthorization does not grant what the discharge needs to read"
            ) from None
        raise
    finally:
        await client.aclose()


# --- the cards (CDS Hooks 2.0, "Card Attributes") ------------------------------------------


def _source(phrases: dict[str, str]) -> dict[str, str]:
    return {"label": phrases["source"], "url": BROCHURE_URL}


def _card_uuid(hook_instance: str, what: str) -> str:
    # One uuid per card and suggestion per hook call, the same if the EHR repeats the call.
    return str(uuid.uuid5(uuid.UUID(hook_instance), what))


def discharge_card(discharge: Discharge, hook_instance: str, language: str) -> dict[str, Any]:
    p = CARD_PHRASES[language]
    facts = discharge.facts
    week, six_weeks = dutch_date(facts.week_follow_up), dutch_date(facts.six_week_follow_up)
    entries = list(discharge.bundle["entry"][: len(_ACTION_TYPES)])
    assert tuple(e["resource"]["resourceType"] for e in entries) == _ACTION_TYPES
    descriptions = [
        p["action-Composition"],
        p["action-DocumentReference"],
        p["action-CarePlan"],
        p["action-Task-week"].format(date=week),
        p["action-Task-six-weeks"].format(date=six_weeks),
    ]
    actions = [
        {"type": "create", "description": description, "resource": resource}
        for description, resource in zip(descriptions, as_action_resources(entries), strict=True)
    ]
    gp = person_name(facts.context.general_practitioner)
    record = facts.record
    # The card says what the letter says, in the letter's own sentences (phrases.py).
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
        f"- {p['detail-six-weeks'].format(date=six_weeks, phone=SPINE_PROGRAMME_PHONE)}",
    ]
    if discharge.warnings:
        lines += ["", f"**{p['detail-warnings']}**", ""]
        # In the card's language where the catalogue has the warning (warnings_nl.py).
        said = discharge_warnings(discharge, language)
        lines += [f"- {md(w.message_nl or w.message)}" for w in said]
    lines += ["", p["detail-actions"]]
    return {
        "uuid": _card_uuid(hook_instance, "card"),
        "summary": p["summary"],
        "detail": "\n".join(lines),
        "indicator": "info",
        "source": _source(p),
        "suggestions": [
            {
                "label": p["suggestion"],
                "uuid": _card_uuid(hook_instance, "suggestion"),
                "isRecommended": True,
                "actions": actions,
            }
        ],
        "selectionBehavior": "at-most-one",
        "links": [{"label": p["link"], "url": BROCHURE_URL, "type": "absolute"}],
    }


def refusal_card(
    refusal: NotOnPathway | IncompleteRecord,
    hook_instance: str,
    language: str,
    app_launch_url: str | None = None,
) -> dict[str, Any]:
    """The warning card. When the physician's red-flag screening is what is missing (or
    incomplete), a `smart` link launches the physician's app to document it (CDS Hooks 2.0:
    the EHR launches it with `iss` and `launch`)."""
    p = CARD_PHRASES[language]
    off = isinstance(refusal, NotOnPathway)
    lines = [p["off-intro" if off else "incomplete-intro"], ""]
    for finding in refusal.findings:
        where = f" (`{md_code(finding.expression)}`)" if finding.expression else ""
        # In the card's language where the catalogue has the finding (findings_nl.py).
        lines.append(f"- {md(finding_text(finding, language) or finding.message)}{where}")
    card: dict[str, Any] = {
        "uuid": _card_uuid(hook_instance, "card"),
        "summary": p["off-summary" if off else "incomplete-summary"],
        "detail": "\n".join(lines),
        "indicator": "warning",
        "source": _source(p),
    }
    screening_missing = any(
        (f.expression or "").startswith("QuestionnaireResponse") for f in refusal.findings
    )
    if app_launch_url and not off and screening_missing:
        card["links"] = [{"label": p["app-link"], "url": app_launch_url, "type": "smart"}]
    return card


def terminology_unavailable_card(hook_instance: str, language: str) -> dict[str, Any]:
    """The warning card when the configured terminology server could not say whether the
    record's SNOMED CT codes are refinements of a red flag: no letter is suggested, and the
    physician is told why and what to do."""
    p = CARD_PHRASES[language]
    return {
        "uuid": _card_uuid(hook_instance, "card"),
        "summary": p["terminology-summary"],
        "detail": p["terminology-detail"],
        "indicator": "warning",
        "source": _source(p),
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
