"""The ED physician's app (SMART on FHIR): screen for red flags, preview the letter, confirm.

Served under `/app/` from `app_static/` (one HTML page, one script, one stylesheet; no build
step, nothing from a CDN). The EHR launches it (SMART App Launch 2.0, from the CDS Hooks card's
`smart` link or its own app menu) at `/app/launch?iss=...&launch=...`; a standalone launch for
integration testers has `iss` only. The app is a public client: authorization code with PKCE
(S256), the scopes below, the patient and encounter from the launch context.

This router is the app's backend, and a backend for the frontend: the SMART access token never
reaches the browser. The service exchanges the authorization code itself and keeps the token
(io/app_sessions.py); the page gets an opaque, short-lived session handle instead, bound to that
launch's FHIR server, patient, encounter and physician, which it keeps in memory and sends as a
bearer header (not a cookie: the app is often framed by the EHR, where third-party cookies are
blocked). The authorization code and state leave the address bar as soon as the callback page
has read them.
- `GET /app/api/discover`, `POST /app/api/token`: the SMART discovery (App Launch 2.2's required
  fields checked) and the code exchange, for a trusted `iss` only (fhir_base_url,
  app_fhir_servers), so the page talks to this service alone (CSP `connect-src 'self'`) and an
  `iss` of a launch cannot make it talk elsewhere. The exchange opens the session;
- `GET /app/api/record`, `POST /app/api/preview`, `POST /app/api/screening`: read the record,
  run the gate with the draft screening (the dry run and the HTML letter the GP will read), and
  store the screening, each on the launch's encounter only (security.require_physician), read
  and written on the launch's FHIR server with the physician's SMART token. The physician's
  Practitioner (the id_token's `fhirUser`) is the screening's author;
- `POST /app/api/discharge`, `GET /app/api/discharges/{id}`: the launch's encounter discharged as
  `$lbp-discharge` does it (the record read from the service's FHIR server, whose Encounter must
  be the launch patient's), and where that discharge stands. A session reaches no other route.

Dutch (nl-BE) text of the app: core/phrases.py APP_PHRASES, beside the letter's (the screening's
questions and explanations come from the Questionnaire, pathway().screening). The gate's findings
and a discharge's warnings are English in the API; the app says them in Dutch from catalogues
written in advance (core/findings_nl.py, core/warnings_nl.py), and in English where those have
no sentence.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import html
import json
import re
import threading
import time
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
from ..core.references import (
    FHIR_ID_MAX_LENGTH,
    FHIR_ID_PATTERN,
    is_fhir_id,
    parse_reference,
    ref_of,
    same_target,
)
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
from ..io.app_sessions import AppSession
from ..io.discharging import screened_discharge, where_landed
from ..io.fhir_client import FhirClient
from ..io.gathering import RecordGatherer, gather_context
from ..io.retry import RetryPolicy
from ..types import Resource
from .body import FhirId, FhirIdField, StrictJsonRoute
from .deps import ClientDep, DelivererDep, SettingsDep, TerminologyDep
from .routes import UnknownDischarge, discharge_answer, discharge_result, fhir_response
from .security import BEARER_TOKEN_PATTERN, JWT_ALGORITHMS, app_sessions, require_physician
from .urls import public_url_for, trusted_server

# Its bodies are read as models: StrictJsonRoute parses them (and limits their size).
router = APIRouter(prefix="/app", tags=["physician-app"], route_class=StrictJsonRoute)
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


def _smart_configuration_problems(found: dict[str, Any]) -> list[str]:
    """What SMART App Launch 2.2 (Conformance, "Metadata") requires of a discovery document
    that this one lacks, for an app that launches, authorizes by code and uses PKCE."""
    problems = []

    def url(name: str) -> bool:
        value = found.get(name)
        return isinstance(value, str) and re.match(r"^https?://[^\s]+$", value) is not None

    def strings(name: str) -> list[str] | None:
        value = found.get(name)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return value
        problems.append(f"{name} (a list of strings)")
        return None

    if not url("token_endpoint"):
        problems.append("token_endpoint")
    grants = strings("grant_types_supported")
    if grants is not None and "authorization_code" not in grants:
        problems.append("authorization_code in grant_types_supported")
    capabilities = strings("capabilities")
    if capabilities is not None:
        if not {"launch-ehr", "launch-standalone"} & set(capabilities):
            problems.append("launch-ehr or launch-standalone in capabilities")
        # Required with the launch capabilities; issuer and jwks_uri with sso-openid-connect.
        if not url("authorization_endpoint"):
            problems.append("authorization_endpoint")
        if "sso-openid-connect" in capabilities:
            problems += [name for name in ("issuer", "jwks_uri") if not url(name)]
    methods = strings("code_challenge_methods_supported")
    if methods is not None and ("S256" not in methods or "plain" in methods):
        problems.append("code_challenge_methods_supported with S256 and without plain")
    return problems


async def _smart_configuration(iss: str, settings: Settings) -> dict[str, Any]:
    url = f"{iss}/.well-known/smart-configuration"
    try:
        async with httpx.AsyncClient(timeout=settings.fhir_timeout_seconds) as client:
            response = await client.get(url, headers={"Accept": "application/json"})
        found = response.json() if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        found = None
    if not isinstance(found, dict):
        raise FhirServerError(f"{url} does not describe a SMART authorization server")
    problems = _smart_configuration_problems(found)
    if problems:
        raise FhirServerError(
            "the authorization server's SMART configuration (App Launch 2.2) lacks "
            + ", ".join(problems)
        )
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
    """The authorization code and PKCE verifier for the token (a public client: no secret),
    kept here; the page gets a session handle bound to the launch, never the token."""
    if body.redirect_uri != public_url_for(request, settings, "app_callback"):
        raise InvalidInput("redirect_uri is not this app's")
    iss = trusted_iss(body.iss, settings)
    found = await _smart_configuration(iss, settings)
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
        error = error if isinstance(error, str) and re.fullmatch(r"[a-z_]{1,40}", error) else None
        raise Unauthenticated(f"the authorization server refused the code ({error or 'error'})")
    token, token_type = answer.get("access_token"), answer.get("token_type")
    if (
        not isinstance(token, str)
        or not re.fullmatch(BEARER_TOKEN_PATTERN, token)  # it goes into a header as it is
        or str(token_type).lower() != "bearer"  # RFC 6749 5.1: case-insensitive
    ):
        raise FhirServerError("the authorization server gave no bearer access token")
    patient, encounter = answer.get("patient"), answer.get("encounter")
    if not is_fhir_id(patient) or not is_fhir_id(encounter):
        # A session acts on its launch's patient and encounter only: none, no session.
        raise Forbidden("the launch gave no patient and encounter: launch the app for one")
    practitioner = await _physician_of(answer.get("id_token"), iss, found, settings)
    now = time.time()
    lifetime = settings.app_session_seconds
    expires_in = answer.get("expires_in")
    if isinstance(expires_in, int) and not isinstance(expires_in, bool) and expires_in > 0:
        lifetime = min(lifetime, expires_in)  # never longer than the SMART token
    session = AppSession(iss, str(patient), str(encounter), practitioner, token, now + lifetime)
    handle = await asyncio.to_thread(app_sessions(request).open, session, now)
    return JSONResponse(
        {"session": handle, "token_type": "Bearer", "expires_in": lifetime},
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )


async def _physician_of(
    id_token: object, iss: str, found: dict[str, Any], settings: Settings
) -> str:
    """The Practitioner id of the physician who authorized the launch: the OpenID id_token's
    `fhirUser` (SMART App Launch, scopes `openid fhirUser`)."""
    if not isinstance(id_token, str):
        raise Forbidden("the launch named no physician: no id_token (scopes openid fhirUser)")
    claims = await asyncio.to_thread(_verified_id_token, id_token, found, settings.app_client_id)
    fhir_user = str(claims.get("fhirUser", ""))
    user = parse_reference(fhir_user)
    on_the_launch_server = not fhir_user.startswith(("http:", "https:")) or (
        fhir_user.rsplit("/", 2)[0].rstrip("/") == iss
    )
    if user is None or user.resource_type != "Practitioner" or user.id is None:
        raise Forbidden("the launch's user (fhirUser) is no Practitioner: the screening needs one")
    if not on_the_launch_server:
        raise Forbidden("the launch's user (fhirUser) is not on the launch's FHIR server")
    return user.id


_KEY_FETCHERS: dict[str, jwt.PyJWKClient] = {}
_KEY_FETCHERS_LOCK = threading.Lock()


def _verified_id_token(id_token: str, found: dict[str, Any], client_id: str) -> dict[str, Any]:
    """The id_token's claims: for this app (`aud`), unexpired, and, where the server publishes
    its keys (`jwks_uri`), signed by them and from its `issuer`. Without keys, the token came
    straight from the token endpoint over the connection the service opened (OpenID Connect Core
    3.1.3.7, 6). Blocking (it may fetch the keys): call it from a thread."""
    require = {"require": ["sub", "aud", "exp", "iat"]}
    try:
        jwks_uri, issuer = found.get("jwks_uri"), found.get("issuer")
        if isinstance(jwks_uri, str):
            with _KEY_FETCHERS_LOCK:  # one per trusted server's jwks_uri, its keys cached
                fetcher = _KEY_FETCHERS.get(jwks_uri)
                if fetcher is None:
                    fetcher = jwt.PyJWKClient(jwks_uri, cache_keys=True, timeout=5)
                    _KEY_FETCHERS[jwks_uri] = fetcher
            key = fetcher.get_signing_key_from_jwt(id_token).key
            return dict(
                jwt.decode(
                    id_token,
                    key,
                    algorithms=JWT_ALGORITHMS,
                    audience=client_id,
                    issuer=issuer if isinstance(issuer, str) else None,
                    options=require,  # type: ignore[arg-type]
                )
            )
        options = {"verify_signature": False, "verify_aud": True, "verify_exp": True, **require}
        return dict(jwt.decode(id_token, audience=client_id, options=options))  # type: ignore[arg-type]
    except jwt.PyJWTError:
        raise Unauthenticated("the launch's id_token is not valid for this app") from None


# --- the physician and the launch context --------------------------------------------------


PhysicianDep = Annotated[AppSession, Depends(require_physician)]
# What the page may still name (the app of an earlier release sent them): the launch's own
# server and encounter, or nothing. Anything else is another launch's: refused.
IssQuery = Annotated[str | None, Query(max_length=500)]
EncounterQuery = Annotated[
    str | None, Query(pattern=FHIR_ID_PATTERN, max_length=FHIR_ID_MAX_LENGTH)
]


class Launched(BaseModel):
    model_config = ConfigDict(extra="forbid")

    iss: str | None = Field(default=None, max_length=500)
    encounter: FhirIdField | None = None


class ScreeningAnswers(Launched):
    answers: dict[str, bool]
    screening_id: str = Field(
        pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
    )


def _bound(who: AppSession, iss: str | None, encounter: str | None) -> None:
    """Forbidden when the request names another launch than the session's."""
    if iss is not None and iss.rstrip("/") != who.iss:
        raise Forbidden("the app's session was opened for another FHIR server")
    if encounter is not None and encounter != who.encounter:
        raise Forbidden("the app's session was opened for another encounter")


def _client(who: AppSession, settings: Settings) -> FhirClient:
    """The launch's FHIR server, with the physician's SMART token."""
    return FhirClient(
        trusted_iss(who.iss, settings),
        timeout=settings.fhir_timeout_seconds,
        bearer_token=who.access_token,
        retry=_APP_RETRY,
    )


async def _gather(
    client: FhirClient, who: AppSession, draft: ScreeningAnswers | None
) -> tuple[DischargeContext, Resource | None]:
    """The launch encounter's record as the physician may read it, with the draft screening
    (from `draft`'s answers) added to the screenings on record; and that draft."""
    encounter_id = who.encounter
    try:
        encounter = await _encounter_of_launch(client, who)
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


async def _encounter_of_launch(client: FhirClient, who: AppSession) -> Resource:
    """The launch's Encounter, when it is of the launch's patient."""
    encounter = await client.read_encounter(who.encounter)
    if _subject_id(encounter) != who.patient:
        raise Forbidden("the encounter is not of the patient the app was launched for")
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
    who: AppSession,
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
        "author": {"reference": f"Practitioner/{who.practitioner}"},
        "item": [
            {
                "linkId": item.link_id,
                "text": item.text,
                "answer": [{"valueBoolean": answers[item.link_id]}],
            }
            for item in screening.items
        ],
    }


def _all_clear(who: AppSession) -> ScreeningAnswers:
    """A screening with every red flag absent: what the record says without the physician's."""
    screening_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{who.iss}|{who.encounter}"))
    answers = {**dict.fromkeys(SCREENING_RED_FLAG_ITEMS, False), BROCHURE_GIVEN: False}
    return ScreeningAnswers(answers=answers, screening_id=screening_id)


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
    iss: IssQuery = None,
    encounter: EncounterQuery = None,
) -> JSONResponse:
    """The launch's patient and encounter, what the record says, and whether the record itself
    keeps the patient off the pathway (the gate run as if the screening were all clear)."""
    _bound(who, iss, encounter)
    async with _client(who, settings) as client:
        ctx, _ = await _gather(client, who, _all_clear(who))
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
    _bound(who, body.iss, body.encounter)
    async with _client(who, settings) as client:
        ctx, _ = await _gather(client, who, body)
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
    _bound(who, body.iss, body.encounter)
    ticked = [link for link in SCREENING_RED_FLAG_ITEMS if body.answers.get(link)]
    if ticked:  # the page sends nothing then; a red flag is never stored as a discharge's
        raise InvalidInput("a red flag is present: nothing is stored (" + ", ".join(ticked) + ")")
    async with _client(who, settings) as client:
        try:
            encounter = await _encounter_of_launch(client, who)
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


# --- the discharge of the launch's encounter -----------------------------------------------


@router.post("/api/discharge")
async def discharge_launch(
    request: Request,
    who: PhysicianDep,
    settings: SettingsDep,
    client: ClientDep,
    deliverer: DelivererDep,
    terminology: TerminologyDep,
) -> JSONResponse:
    """`$lbp-discharge` of the launch's encounter, and of no other: the physician may read it
    (their token, on the launch's server) and, on the service's FHIR server, it is the launch
    patient's. The answer is the operation's (201, 200, 202 with a status URL, 422...)."""
    async with _client(who, settings) as mine:
        try:
            await _encounter_of_launch(mine, who)
        except FhirServerError as error:
            raise _refused_token(error) from None
    ctx = await gather_context(client, who.encounter)
    if ctx.encounter.get("id") != who.encounter or _subject_id(ctx.encounter) != who.patient:
        # app_fhir_servers are the EHR's endpoints onto this record: where they are not, the
        # same id may be another patient's encounter.
        raise Forbidden("on the service's FHIR server, this encounter is not the launch patient's")
    return await discharge_answer(
        ctx, request, settings, client, deliverer, terminology, "app_discharge_status"
    )


@router.get("/api/discharges/{item_id}", name="app_discharge_status")
async def app_discharge_status(
    item_id: FhirId, who: PhysicianDep, deliverer: DelivererDep
) -> JSONResponse:
    """Where the launch's discharge stands (as `GET /discharges/{id}`); any other is unknown."""
    item = await asyncio.to_thread(deliverer.outbox.get, item_id)
    if item is None or item.encounter != f"Encounter/{who.encounter}":
        raise UnknownDischarge(f"no discharge {item_id[:64]!r} of this launch")
    return fhir_response(discharge_result(item, where_landed(item)))
