"""The ED physician's app (SMART on FHIR): screen for red flags, preview the letter, confirm.

Served under `/app/` from `app_static/` (one HTML page, one script, one stylesheet; no build
step, nothing from a CDN). The EHR launches it (SMART App Launch 2.0, from the CDS Hooks card's
`smart` link or its own app menu) at `/app/launch?iss=...&launch=...`; a standalone launch for
integration testers has `iss` only. The app is a public client: authorization code with PKCE
(S256), the scopes below, the patient and encounter from the launch context.

The browser keeps the access token in memory only; the authorization code and state leave the
address bar as soon as the callback page has read them. This router is the app's backend:
- `GET /app/api/discover`, `POST /app/api/token`: the SMART discovery and the code exchange, for
  a trusted `iss` only (fhir_base_url, app_fhir_servers), so the page talks to this service
  alone (CSP `connect-src 'self'`) and an `iss` of a launch cannot make it talk elsewhere;
- `GET /app/api/record`, `POST /app/api/preview`, `POST /app/api/screening`: read the record,
  run the gate with the draft screening (the dry run and the HTML letter the GP will read), and
  store the screening, each with the physician's token: the service checks it (security.py),
  then reads and writes the FHIR server (`iss`) with it. The physician's Practitioner (the
  token's `fhirUser`) is the screening's author.
Then the page calls `POST /Encounter/{id}/$lbp-discharge` with the same token.

Dutch (nl-BE) text of the app: core/phrases.py APP_PHRASES, beside the letter's (the screening's
questions and explanations come from the Questionnaire, pathway().screening). The gate's findings
and a discharge's warnings are English in the API; the app says them in Dutch from catalogues
written in advance (core/findings_nl.py, core/warnings_nl.py), and in English where those have
no sentence.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import html
import json
import re
import uuid
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from string import Template
from typing import Annotated, Any, Final

import httpx
import jwt
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from ..config import Settings
from ..core.context import DischargeContext
from ..core.document import build_document, document_identifier, landed_resources
from ..core.findings_nl import finding_text
from ..core.gate import holds
from ..core.identity import IDENTIFIER_SYSTEM
from ..core.narrative import dutch_date, fhir_datetime, person_name
from ..core.pathway import BROCHURE_GIVEN, SCREENING_RED_FLAG_ITEMS, pathway
from ..core.phrases import APP_PHRASES, BROCHURE_URL, SPINE_PROGRAMME_PHONE
from ..core.references import parse_reference, ref_of, same_target
from ..core.rendering import (
    LETTER_CSS,  # the letter's one inline stylesheet (CSP hash)
    render_letter_html,
)
from ..core.terminology import concept_name
from ..core.transaction import Discharge
from ..core.warnings_nl import discharge_warnings
from ..errors import (
    DischargeError,
    FhirServerError,
    Finding,
    Forbidden,
    IncompleteRecord,
    InvalidInput,
    NotOnPathway,
    Unauthenticated,
)
from ..io.discharging import screened_discharge
from ..io.fhir_client import FhirClient
from ..io.gathering import RecordGatherer
from ..io.retry import RetryPolicy
from ..types import Resource
from .body import FhirIdField, FhirIdQuery
from .deps import SettingsDep, TerminologyDep
from .security import require_caller
from .urls import public_url_for, trusted_server

router = APIRouter(prefix="/app", tags=["physician-app"])
STATIC = Path(__file__).resolve().parent / "app_static"
_STATIC_FILES: Final = {"app.js": "text/javascript", "app.css": "text/css"}

# What the app reads and writes, no more (SMART v2 scopes). The record is the patient's
# compartment; the people and places the letter names (physicians, hospital) and a
# prescription's Medication are outside it.
_READS: Final = (
    "patient/*.rs user/Practitioner.rs user/PractitionerRole.rs user/Organization.rs "
    "user/Medication.rs"
)
EHR_LAUNCH_SCOPE: Final = f"launch openid fhirUser {_READS} patient/QuestionnaireResponse.c"
STANDALONE_SCOPE: Final = (
    f"launch/patient launch/encounter openid fhirUser {_READS} patient/QuestionnaireResponse.c"
)
SCREENING_PROFILE: Final = (
    "https://fhir.uzleuven.be/discharge/StructureDefinition/lbp-red-flag-screening-response"
)
# Reads of the physician's record: they are waiting; one quick retry at most.
_APP_RETRY: Final = RetryPolicy(attempts=2, base_delay=0.2, max_delay=1.0, total_seconds=5.0)

# --- the page and its files ----------------------------------------------------------------


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


# No inline script; the only inline style is the letter's own, in the preview frame (a srcdoc
# frame shares this page's policy), allowed by its hash.
CONTENT_SECURITY_POLICY: Final = (
    "default-src 'none'; script-src 'self'; "
    f"style-src 'self' {_csp_hash(LETTER_CSS)}; img-src 'self' data:; connect-src 'self'; "
    "frame-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'"
)
SECURITY_HEADERS: Final = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


def _phrases(settings: Settings) -> dict[str, str]:
    return APP_PHRASES.get(settings.language, APP_PHRASES["nl-BE"])


@cache
def _template() -> Template:
    return Template((STATIC / "index.html").read_text(encoding="utf-8"))


def _page(request: Request, settings: Settings) -> HTMLResponse:
    phrases = _phrases(settings)
    screening = pathway().screening
    data = {
        "phrases": phrases,
        "config": {
            "clientId": settings.app_client_id,
            "redirectUri": public_url_for(request, settings, "app_callback"),
            "home": public_url_for(request, settings, "app_home"),
            "ehrLaunchScope": EHR_LAUNCH_SCOPE,
            "standaloneScope": STANDALONE_SCOPE,
            "redFlags": list(SCREENING_RED_FLAG_ITEMS),
            "brochureUrl": BROCHURE_URL,
            "items": [
                {"linkId": i.link_id, "text": i.text, "explanation": i.explanation}
                for i in screening.items
            ],
        },
    }
    # JSON in a non-executed data block; "<" escaped so no "</script>" can end it early.
    blob = json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")
    page = _template().substitute(
        {key.replace("-", "_"): html.escape(text) for key, text in phrases.items()},
        app_data=blob,
        lang=html.escape(settings.language),
    )
    return HTMLResponse(page, headers=SECURITY_HEADERS)


@router.get("", include_in_schema=False)
async def app_root(request: Request, settings: SettingsDep) -> RedirectResponse:
    return RedirectResponse(public_url_for(request, settings, "app_home"))


@router.get("/", name="app_home", include_in_schema=False)
async def app_home(request: Request, settings: SettingsDep) -> HTMLResponse:
    return _page(request, settings)


@router.get("/launch", name="app_launch", include_in_schema=False)
async def app_launch(request: Request, settings: SettingsDep) -> HTMLResponse:
    """SMART App Launch: the EHR opens this with `iss` and `launch` (standalone: `iss`)."""
    return _page(request, settings)


@router.get("/callback", name="app_callback", include_in_schema=False)
async def app_callback(request: Request, settings: SettingsDep) -> HTMLResponse:
    """The redirect URI: the page reads `code` and `state`, then clears them from the URL."""
    return _page(request, settings)


@router.get("/static/{name}", include_in_schema=False)
async def app_static(name: str) -> Response:
    if name not in _STATIC_FILES:
        raise HTTPException(404, "not found")
    return FileResponse(
        STATIC / name,
        media_type=_STATIC_FILES[name],
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"},
    )


# --- SMART discovery and the code exchange -------------------------------------------------


def trusted_iss(iss: str, settings: Settings) -> str:
    """`iss` without a trailing slash, if this service may read and write there with the
    physician's token; Forbidden otherwise (urls.trusted_server, as for CDS Hooks)."""
    server = iss.rstrip("/")
    if not re.match(r"^https?://[^/?#\s]+(/[^?#\s]*)?$", server):
        raise InvalidInput("iss is not an http(s) URL")
    if not trusted_server(server, [settings.fhir_base_url, *settings.app_fhir_servers]):
        raise Forbidden("iss is not a FHIR server this service is configured to launch from")
    return server


async def _smart_configuration(iss: str, settings: Settings) -> dict[str, Any]:
    url = f"{iss}/.well-known/smart-configuration"
    try:
        async with httpx.AsyncClient(timeout=settings.fhir_timeout_seconds) as client:
            response = await client.get(url, headers={"Accept": "application/json"})
        found = response.json() if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        found = None
    if not isinstance(found, dict) or not all(
        isinstance(found.get(k), str) for k in ("authorization_endpoint", "token_endpoint")
    ):
        raise FhirServerError(f"{url} does not describe a SMART authorization server")
    if "S256" not in (found.get("code_challenge_methods_supported") or []):
        raise FhirServerError("the authorization server does not support PKCE with S256")
    return found


@router.get("/api/discover")
async def discover(
    settings: SettingsDep, iss: Annotated[str, Query(max_length=500)]
) -> JSONResponse:
    """Where the app sends the physician to authorize (SMART 2.0 discovery of `iss`)."""
    found = await _smart_configuration(trusted_iss(iss, settings), settings)
    return JSONResponse({"authorization_endpoint": found["authorization_endpoint"]})


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    iss: str = Field(max_length=500)
    code: str = Field(min_length=1, max_length=2000)
    code_verifier: str = Field(pattern=r"^[A-Za-z0-9\-._~]{43,128}$")  # RFC 7636 4.1
    redirect_uri: str = Field(max_length=500)


@router.post("/api/token")
async def exchange_code(body: TokenRequest, request: Request, settings: SettingsDep) -> Response:
    """The authorization code and PKCE verifier for the token (a public client: no secret)."""
    if body.redirect_uri != public_url_for(request, settings, "app_callback"):
        raise InvalidInput("redirect_uri is not this app's")
    found = await _smart_configuration(trusted_iss(body.iss, settings), settings)
    form = {
        "grant_type": "authorization_code",
        "code": body.code,
        "redirect_uri": body.redirect_uri,
        "client_id": settings.app_client_id,
        "code_verifier": body.code_verifier,
    }
    try:
        async with httpx.AsyncClient(timeout=settings.fhir_timeout_seconds) as client:
            response = await client.post(str(found["token_endpoint"]), data=form)
        answer = response.json()
    except (httpx.HTTPError, ValueError):
        raise FhirServerError("the authorization server did not answer the token request") from None
    if response.status_code != 200 or not isinstance(answer, dict):
        error = answer.get("error") if isinstance(answer, dict) else None
        raise Unauthenticated(f"the authorization server refused the code ({error or 'error'})")
    if not answer.get("access_token") or not answer.get("encounter") or not answer.get("patient"):
        raise InvalidInput("the launch gave no patient and encounter: launch the app for one")
    keep = ("access_token", "token_type", "expires_in", "scope", "patient", "encounter")
    return JSONResponse(
        {k: answer[k] for k in keep if k in answer},
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )


# --- the physician and the launch context --------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Physician:
    token: str = dataclasses.field(repr=False)  # never in a log line or a traceback
    practitioner_id: str
    patient: str | None  # the launch context the token was issued for, when it says so
    encounter: str | None


async def physician(request: Request, _: Annotated[object, Depends(require_caller)]) -> Physician:
    """The physician behind the (already verified) bearer token: their Practitioner from the
    token's `fhirUser` claim (SMART `fhirUser` scope)."""
    token = request.headers.get("authorization", "").partition(" ")[2].strip()
    try:
        claims = jwt.decode(token, options={"verify_signature": False})  # verified above
    except jwt.PyJWTError:
        claims = {}
    user = parse_reference(str(claims.get("fhirUser", "")))
    if user is None or user.resource_type != "Practitioner" or user.id is None:
        raise Forbidden(
            "the token names no Practitioner (fhirUser): the screening needs its author"
        )
    patient, encounter = claims.get("patient"), claims.get("encounter")
    return Physician(
        token,
        user.id,
        patient if isinstance(patient, str) else None,
        encounter if isinstance(encounter, str) else None,
    )


PhysicianDep = Annotated[Physician, Depends(physician)]


class Launched(BaseModel):
    model_config = ConfigDict(extra="forbid")

    iss: str = Field(max_length=500)
    encounter: FhirIdField


class ScreeningAnswers(Launched):
    answers: dict[str, bool]
    screening_id: str = Field(
        pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
    )


def _client(iss: str, who: Physician, settings: Settings) -> FhirClient:
    return FhirClient(
        trusted_iss(iss, settings),
        timeout=settings.fhir_timeout_seconds,
        bearer_token=who.token,
        retry=_APP_RETRY,
    )


async def _gather(
    client: FhirClient, who: Physician, encounter_id: str, draft: ScreeningAnswers | None
) -> tuple[DischargeContext, Resource | None]:
    """The encounter's record as the physician may read it, with the draft screening (from
    `draft`'s answers) added to the screenings on record; and that draft."""
    try:
        encounter = await _encounter_of_launch(client, who, encounter_id)
        patient_id = _subject_id(encounter)
        screening = (
            _draft_screening(who, encounter, patient_id, draft.answers, draft.screening_id)
            if draft is not None
            else None
        )
        found = await client.search(
            "QuestionnaireResponse", {"encounter": f"Encounter/{encounter_id}"}
        )
        gatherer = RecordGatherer(
            client,
            known=[encounter],
            searched={"screenings": [*found, *([screening] if screening else [])]},
        )
        return await gatherer.gather(encounter), screening
    except FhirServerError as error:
        raise _refused_token(error) from None


async def _encounter_of_launch(client: FhirClient, who: Physician, encounter_id: str) -> Resource:
    """The Encounter, when it is the one (and of the patient) the token was issued for."""
    if who.encounter is not None and who.encounter != encounter_id:
        raise Forbidden("the token was issued for another encounter")
    encounter = await client.read_encounter(encounter_id)
    if who.patient is not None and _subject_id(encounter) != who.patient:
        raise Forbidden("the encounter is not of the patient the token was issued for")
    return encounter


def _subject_id(encounter: Resource) -> str:
    subject = parse_reference(str((encounter.get("subject") or {}).get("reference", "")))
    if subject is None or subject.resource_type != "Patient" or subject.id is None:
        raise IncompleteRecord(
            "the encounter has no Patient (Encounter.subject)",
            [Finding("Patient not found: include it", "Encounter.subject", "patient-missing")],
        )
    return subject.id


def _refused_token(error: FhirServerError) -> DischargeError:
    if error.server_status == 401:
        return Unauthenticated("the FHIR server refused the physician's token (expired?)")
    if error.server_status == 403:
        return Forbidden("the FHIR server does not allow the physician this")
    return error


def _draft_screening(
    who: Physician,
    encounter: Resource,
    patient_id: str,
    answers: dict[str, bool],
    screening_id: str,
) -> Resource:
    screening = pathway().screening
    expected = [item.link_id for item in screening.items]
    if sorted(answers) != sorted(expected):
        raise InvalidInput(
            "answer every item of the screening, and only those: " + ", ".join(expected)
        )
    return {
        "resourceType": "QuestionnaireResponse",
        "id": screening_id,
        "meta": {"profile": [SCREENING_PROFILE]},
        "language": "nl-BE",
        "identifier": {"system": IDENTIFIER_SYSTEM, "value": f"urn:uuid:{screening_id}"},
        "questionnaire": f"{screening.canonical}|{screening.version}",
        "status": "completed",
        "subject": {"reference": f"Patient/{patient_id}"},
        "encounter": {"reference": f"Encounter/{encounter['id']}"},
        "authored": fhir_datetime(datetime.now(UTC)),
        "author": {"reference": f"Practitioner/{who.practitioner_id}"},
        "item": [
            {
                "linkId": item.link_id,
                "text": item.text,
                "answer": [{"valueBoolean": answers[item.link_id]}],
            }
            for item in screening.items
        ],
    }


def _all_clear(launched: Launched) -> ScreeningAnswers:
    """A screening with every red flag absent: what the record says without the physician's."""
    screening_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{launched.iss}|{launched.encounter}"))
    answers = {**dict.fromkeys(SCREENING_RED_FLAG_ITEMS, False), BROCHURE_GIVEN: False}
    return ScreeningAnswers(
        iss=launched.iss, encounter=launched.encounter, answers=answers, screening_id=screening_id
    )


def _findings(refusal: NotOnPathway | IncompleteRecord) -> dict[str, Any]:
    """The gate's reasons for the page: each in Dutch (`message_nl`, from the catalogue by its
    code; the page shows it as text), beside the English `message` of the API's
    OperationOutcome. A finding without a Dutch sentence has `message_nl` null: the page says
    the English one."""
    return {
        "outcome": "off-pathway" if isinstance(refusal, NotOnPathway) else "incomplete",
        "findings": [
            {
                "message": f.message,
                "expression": f.expression,
                "code": f.code,
                "message_nl": finding_text(f),
            }
            for f in refusal.findings
        ],
    }


# --- what the record already says ----------------------------------------------------------


def _name(resource: Resource, *elements: str) -> str:
    for element in elements:
        name = concept_name(resource.get(element))
        if name:
            return name
    return f"{resource['resourceType']}/{resource.get('id')}"


def _of_encounter(condition: Resource, ctx: DischargeContext) -> bool:
    listed = any(
        same_target(d.get("condition"), ref_of(condition))
        for d in ctx.encounter.get("diagnosis") or []
    )
    return listed or same_target(condition.get("encounter"), ref_of(ctx.encounter))


def record_summary(ctx: DischargeContext) -> dict[str, Any]:
    patient = ctx.patient or {}
    period = ctx.encounter.get("period") or {}
    conditions = [c for c in ctx.conditions if holds(c)]
    tests = [
        *(_name(r, "procedureCode", "description") for r in ctx.imaging_studies),
        *(_name(r, "code") for r in ctx.diagnostic_reports),
        *(_name(r, "code") for r in ctx.procedures),
    ]
    return {
        "patient": {
            "name": person_name(patient) or "",
            "birthDate": dutch_date(patient["birthDate"]) if patient.get("birthDate") else "",
            "gender": patient.get("gender") or "unknown",
        },
        "encounter": {
            "id": ctx.encounter["id"],
            "start": dutch_date(period["start"]) if period.get("start") else "",
            "end": dutch_date(period["end"]) if period.get("end") else "",
        },
        "diagnoses": [_name(c, "code") for c in conditions if _of_encounter(c, ctx)],
        "otherConditions": [_name(c, "code") for c in conditions if not _of_encounter(c, ctx)],
        "tests": tests,
        "prescriptions": [
            _name(r, "medicationCodeableConcept")
            if "medicationCodeableConcept" in r
            else concept_name((ctx.resolve(r.get("medicationReference")) or {}).get("code"))
            or "MedicationRequest"
            for r in ctx.medication_requests
        ],
    }


@router.get("/api/record")
async def record(
    who: PhysicianDep,
    settings: SettingsDep,
    terminology: TerminologyDep,
    iss: Annotated[str, Query(max_length=500)],
    encounter: FhirIdQuery,
) -> JSONResponse:
    """The patient, the encounter, what the record says, and whether the record itself keeps
    the patient off the pathway (the gate run as if the screening were all clear)."""
    async with _client(iss, who, settings) as client:
        ctx, _ = await _gather(
            client, who, encounter, _all_clear(Launched(iss=iss, encounter=encounter))
        )
    answer = record_summary(ctx)
    try:
        await screened_discharge(ctx, terminology, settings.language, gp_message=False)
        answer["gate"] = {"outcome": "clear", "findings": []}
    except (NotOnPathway, IncompleteRecord) as refusal:
        answer["gate"] = _findings(refusal)
    return JSONResponse(answer, headers={"Cache-Control": "no-store"})


# --- the preview: the dry run, and the letter as the GP reads it ---------------------------


@router.post("/api/preview")
async def preview(
    body: ScreeningAnswers, who: PhysicianDep, settings: SettingsDep, terminology: TerminologyDep
) -> JSONResponse:
    """The dry run with the draft screening: the letter rendered as HTML, the follow-up dates
    and the brochure; or the gate's reasons. Nothing is written."""
    async with _client(body.iss, who, settings) as client:
        ctx, _ = await _gather(client, who, body.encounter, body)
    try:
        discharge = await screened_discharge(ctx, terminology, settings.language, gp_message=False)
    except (NotOnPathway, IncompleteRecord) as refusal:
        return JSONResponse(_findings(refusal), headers={"Cache-Control": "no-store"})
    phrases = _phrases(settings)
    facts = discharge.facts
    return JSONResponse(
        {
            "outcome": "on-pathway",
            "letterHtml": _letter_html(discharge.bundle, ctx, client.base_url),
            "followUps": [
                phrases["follow-up-week"].format(date=dutch_date(facts.week_follow_up)),
                phrases["follow-up-six-weeks"].format(
                    date=dutch_date(facts.six_week_follow_up), phone=SPINE_PROGRAMME_PHONE
                ),
            ],
            "brochureUrl": BROCHURE_URL,
            "warnings": list(discharge.warnings),  # English, as the operation's answer has them
            "warningTexts": _warnings(discharge),
        },
        headers={"Cache-Control": "no-store"},
    )


def _warnings(discharge: Discharge) -> list[dict[str, Any]]:
    """The discharge's warnings for the page ("Let op"): each in Dutch (`message_nl`, from the
    catalogue, when core/warnings_nl.py can tell what the warning is; the page shows it as text)
    beside its English `message`. One it cannot tell has `message_nl` null: the page says the
    English one."""
    return [
        {"message": w.message, "code": w.code, "message_nl": w.message_nl}
        for w in discharge_warnings(discharge)
    ]


def _letter_html(transaction: Resource, ctx: DischargeContext, base_url: str) -> str:
    """The letter as `GET /Composition/{id}/$document?_format=html` will give it once posted:
    the transaction's resources as if landed under their uuids, plus the record they cite."""
    locations = {
        str(e["fullUrl"]): f"{e['resource']['resourceType']}/"
        + str(e["fullUrl"]).removeprefix("urn:uuid:")
        for e in transaction["entry"]
    }
    landed = landed_resources(transaction, locations)
    composition, created = landed[0], landed[1:]
    cited = [
        r
        for r in (ctx.encounter, ctx.patient, ctx.physician, ctx.hospital, ctx.general_practitioner)
        if r is not None
    ]
    cited += [*ctx.conditions, *ctx.screenings, *ctx.imaging_studies, *ctx.diagnostic_reports]
    cited += [*ctx.procedures, *ctx.medication_requests]
    author = [ctx.resolve(s.get("author")) for s in ctx.screenings]
    document = build_document(
        composition,
        [*created, *cited, *(a for a in author if a is not None)],
        identifier=document_identifier(composition),
        timestamp=str(composition["date"]),
        base_url=base_url,
    )
    return render_letter_html(document.bundle)


# --- storing the screening -----------------------------------------------------------------


@router.post("/api/screening")
async def store_screening(
    body: ScreeningAnswers, who: PhysicianDep, settings: SettingsDep
) -> JSONResponse:
    """Store the all-clear screening on the FHIR server, as the physician (their token; their
    Practitioner as author). A conditional create on the screening's identifier (a uuid the page
    makes once per screening): sent twice, it is stored once."""
    ticked = [link for link in SCREENING_RED_FLAG_ITEMS if body.answers.get(link)]
    if ticked:  # the page sends nothing then; a red flag is never stored as a discharge's
        raise InvalidInput("a red flag is present: nothing is stored (" + ", ".join(ticked) + ")")
    async with _client(body.iss, who, settings) as client:
        try:
            encounter = await _encounter_of_launch(client, who, body.encounter)
        except FhirServerError as error:
            raise _refused_token(error) from None
        draft = _draft_screening(
            who, encounter, _subject_id(encounter), body.answers, body.screening_id
        )
        draft.pop("id")
        identifier = f"{IDENTIFIER_SYSTEM}|urn:uuid:{body.screening_id}"
        entry = {
            "fullUrl": f"urn:uuid:{body.screening_id}",
            "resource": draft,
            "request": {
                "method": "POST",
                "url": "QuestionnaireResponse",
                "ifNoneExist": f"identifier={identifier}",
            },
        }
        try:
            landed = await client.post_transaction(
                {"resourceType": "Bundle", "type": "transaction", "entry": [entry]}
            )
        except FhirServerError as error:
            raise _refused_token(error) from None
    where = landed[0]
    return JSONResponse(
        {"reference": where.reference, "status": "created" if where.created else "existing"},
        status_code=201 if where.created else 200,
    )
