"""The ED physician's app (SMART on FHIR): screen for red flags, preview the letter, confirm.

Served under `/app/` (page.py: one HTML page, one script, one stylesheet; no build step,
nothing from a CDN). The EHR launches it (SMART App Launch 2.0, from the CDS Hooks card's
`smart` link or its own app menu) at `/app/launch?iss=...&launch=...`; a standalone launch for
integration testers has `iss` only. The app is a public client: authorization code with PKCE
(S256), the scopes of page.py, the patient and encounter from the launch context.

This router is the app's backend, and a backend for the frontend: the SMART access token never
reaches the browser. The service exchanges the authorization code itself (io/smart_launch.py)
and keeps the token (io/app_sessions.py); the page gets an opaque, short-lived session handle
instead, bound to that launch's FHIR server, patient, encounter and physician, which it keeps in
memory and sends as a bearer header (not a cookie: the app is often framed by the EHR, where
third-party cookies are blocked). The authorization code and state leave the address bar as soon
as the callback page has read them.
- `GET /app/api/discover`, `POST /app/api/token`: the SMART discovery (App Launch 2.2's required
  fields checked) and the code exchange, for a trusted `iss` only (fhir_base_url,
  app_fhir_servers), so the page talks to this service alone (CSP `connect-src 'self'`) and an
  `iss` of a launch cannot make it talk elsewhere. The exchange opens the session;
- `GET /app/api/record`, `POST /app/api/preview`, `POST /app/api/screening`: read the record,
  run the gate with the draft screening (the dry run and the HTML letter the GP will read), and
  store the screening, each on the launch's encounter only (deps.require_physician), read
  and written on the launch's FHIR server with the physician's SMART token. The physician's
  Practitioner (the id_token's `fhirUser`) is the screening's author;
- `POST /app/api/discharge`, `GET /app/api/discharges/{id}`: the launch's encounter discharged as
  `$lbp-discharge` does it (the record read from the service's FHIR server, whose Encounter must
  be the launch patient's), and where that discharge stands. A session reaches no other route.

The record is read and the screening stored by io/launch_record.py; the draft screening, what the
record says and the preview are built in core/ (draft_screening.py, record_summary.py,
app_preview.py).

The app speaks the site's language (core/i18n/physician_texts.py: the catalogue's `app`, the
screening's questions from the Questionnaire's translations); the letter it previews speaks the
GP's. The gate's findings and a discharge's warnings are English in the API; the app says them by
their codes (core/i18n/said.py), in `text` beside the English, and a refusal (422, and the 409s
of what the server holds: `SAID_REFUSALS`) in each OperationOutcome issue's `details.text`.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from ...config import Settings
from ...core.app_preview import gate_reasons, preview_of
from ...core.brussels_time import fhir_datetime
from ...core.discharged_view import discharged_view, said_moment
from ...core.draft_screening import (
    all_clear_answers,
    all_clear_screening_id,
    answers_of,
    draft_screening,
    red_flags_ticked,
)
from ...core.i18n.physician_texts import finding_for_physician, red_flag_names
from ...core.i18n.said import finding_text
from ...core.record_summary import record_summary
from ...errors import (
    AlreadyDischarged,
    DischargeError,
    Finding,
    Forbidden,
    IdentityConflict,
    IncompleteRecord,
    InvalidInput,
    NotOnPathway,
    TooManyLetterVersions,
    UnknownResource,
    operation_outcome,
)
from ...io.app_sessions import AppSession
from ...io.discharging import (
    StoredLetter,
    encounter_already_discharged,
    screened_discharge,
    stored_letter,
    where_landed,
)
from ...io.fhir_client import FhirClient, FhirConnections
from ...io.gathering import gather_context
from ...io.launch_record import (
    encounter_of_launch,
    gather_launch_record,
    launch_client,
    store_screening,
    subject_id,
)
from ...io.smart_launch import exchange_code, smart_configuration
from ...types import Resource
from ..answers import UnknownDischarge, discharge_answer, discharge_result, fhir_response
from ..body import FhirId, StrictJsonRoute
from ..deps import (
    AppSessionsDep,
    ClientDep,
    ConnectionsDep,
    DelivererDep,
    PhysicianDep,
    SettingsDep,
    TerminologyDep,
)
from ..urls import public_url_for, trusted_server
from .models import EncounterQuery, IssQuery, ScreeningAnswers, TokenRequest
from .page import app_page, static_file

# Its bodies are read as models: StrictJsonRoute parses them (and limits their size).
router = APIRouter(prefix="/app", tags=["physician-app"], route_class=StrictJsonRoute)
NO_STORE = {"Cache-Control": "no-store"}

# --- the page and its files ----------------------------------------------------------------


@router.get("", include_in_schema=False)
async def app_root(request: Request, settings: SettingsDep) -> RedirectResponse:
    return RedirectResponse(public_url_for(request, settings, "app_home"))


@router.get("/", name="app_home", include_in_schema=False)
async def app_home(request: Request, settings: SettingsDep) -> HTMLResponse:
    return app_page(request, settings)


@router.get("/launch", name="app_launch", include_in_schema=False)
async def app_launch(request: Request, settings: SettingsDep) -> HTMLResponse:
    """SMART App Launch: the EHR opens this with `iss` and `launch` (standalone: `iss`)."""
    return app_page(request, settings)


@router.get("/callback", name="app_callback", include_in_schema=False)
async def app_callback(request: Request, settings: SettingsDep) -> HTMLResponse:
    """The redirect URI: the page reads `code` and `state`, then clears them from the URL."""
    return app_page(request, settings)


@router.get("/static/{name}", include_in_schema=False)
async def app_static(name: str) -> Response:
    return static_file(name)


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


@router.get("/api/discover")
async def discover(
    settings: SettingsDep, connections: ConnectionsDep, iss: Annotated[str, Query(max_length=500)]
) -> JSONResponse:
    """Where the app sends the physician to authorize (SMART 2.0 discovery of `iss`)."""
    found = await smart_configuration(
        trusted_iss(iss, settings), settings.fhir_timeout_seconds, connections
    )
    return JSONResponse({"authorization_endpoint": found["authorization_endpoint"]})


@router.post("/api/token")
async def exchange_launch_code(
    body: TokenRequest,
    request: Request,
    settings: SettingsDep,
    sessions: AppSessionsDep,
    connections: ConnectionsDep,
) -> Response:
    """The authorization code and PKCE verifier for the token (a public client: no secret),
    kept here; the page gets a session handle bound to the launch, never the token."""
    if body.redirect_uri != public_url_for(request, settings, "app_callback"):
        raise InvalidInput("redirect_uri is not this app's")
    iss = trusted_iss(body.iss, settings)
    grant = await exchange_code(
        iss,
        code=body.code,
        code_verifier=body.code_verifier,
        redirect_uri=body.redirect_uri,
        client_id=settings.app_client_id,
        timeout=settings.fhir_timeout_seconds,
        connections=connections,
    )
    now = time.time()
    lifetime = settings.app_session_seconds
    if grant.expires_in is not None and grant.expires_in > 0:
        lifetime = min(lifetime, grant.expires_in)  # never longer than the SMART token
    session = AppSession(
        iss, grant.patient, grant.encounter, grant.practitioner, grant.access_token, now + lifetime
    )
    handle = await asyncio.to_thread(sessions.open, session, now)
    return JSONResponse(
        {"session": handle, "token_type": "Bearer", "expires_in": lifetime},
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )


# --- the launch's record: what it says, the preview, storing the screening ------------------


def _bound(who: AppSession, iss: str | None, encounter: str | None) -> None:
    """Forbidden when the request names another launch than the session's."""
    if iss is not None and iss.rstrip("/") != who.iss:
        raise Forbidden("the app's session was opened for another FHIR server")
    if encounter is not None and encounter != who.encounter:
        raise Forbidden("the app's session was opened for another encounter")


def _client(who: AppSession, settings: Settings, connections: FhirConnections) -> FhirClient:
    """The launch's FHIR server, with the physician's SMART token (on this call's requests)."""
    return launch_client(
        connections, trusted_iss(who.iss, settings), who, settings.fhir_timeout_seconds
    )


def _draft(
    who: AppSession, encounter: Resource, answers: ScreeningAnswers, settings: Settings
) -> Resource:
    """The physician's screening of the launch's encounter, authored when the preview fixed it
    (else now), its questions in the app's language (the site's)."""
    return draft_screening(
        answers.answers,
        screening_id=answers.screening_id,
        patient_id=subject_id(encounter),
        encounter_id=str(encounter["id"]),
        practitioner_id=who.practitioner,
        authored=_authored(answers.authored, settings),
        site=settings.site,
    )


def _authored(given: str | None, settings: Settings) -> str:
    """The screening's `authored`: the one the page's preview fixed (issue 22, point 4), taken
    only within this session's reach (not in the future, not older than a session lives: the
    page cannot back- or forward-date a screening); now when the page names none."""
    now = datetime.now(UTC)
    if given is None:
        return fhir_datetime(now)
    try:
        moment = datetime.fromisoformat(given.replace("Z", "+00:00"))
    except ValueError:  # the pattern's shape, but no such day or hour (2026-02-30, 25:00)
        raise InvalidInput("authored is not a FHIR dateTime") from None
    age = (now - moment).total_seconds()
    if not -60 <= age <= settings.app_session_seconds + 60:
        raise InvalidInput("authored is not a moment of this session")
    return given


async def _discharged(client: FhirClient, who: AppSession) -> StoredLetter | None:
    """The letter this service wrote for the launch's encounter, read from the service's FHIR
    server (where the discharge writes it) when that encounter is the launch patient's there;
    None when it was not discharged (issue 22, point 2)."""
    try:
        encounter = await client.read_encounter(who.encounter)
        if subject_id(encounter) != who.patient:
            return None  # another patient's encounter under that id: never shown
    except (UnknownResource, IncompleteRecord):
        return None
    return await stored_letter(client, encounter)


def _discharged_answer(letter: StoredLetter, settings: Settings) -> dict[str, object]:
    references = {"letter": f"Composition/{letter.composition.get('id')}"}
    if letter.document is not None:
        references["document"] = f"Bundle/{letter.document.get('id')}"
    return discharged_view(letter.composition, letter.document, references, settings.site)


def _refuse_if_discharged(letter: StoredLetter | None) -> None:
    if letter is not None:
        finding = encounter_already_discharged(letter)
        raise AlreadyDischarged(finding.message, [finding])


# The refusals the app says in its own language, each coded issue by its finding's code: off the
# pathway or an incomplete record (422), and what the FHIR server holds refusing it (409): the
# encounter discharged already, a correction past the last version, or identifiers another
# patient's. The English stays in `diagnostics`, which the page folds away for the ICT service.
SAID_REFUSALS = (
    NotOnPathway,
    IncompleteRecord,
    AlreadyDischarged,
    TooManyLetterVersions,
    IdentityConflict,
)


def said_refusal(refusal: DischargeError, settings: Settings) -> JSONResponse:
    """The refusal's OperationOutcome, each coded issue also said as the physician reads it
    (`details.text`, by its code): the page needs no second call to say why."""
    outcome = operation_outcome(
        refusal,
        settings.site.canonical_base,
        lambda finding: finding_for_physician(finding, settings.site),
    )
    return fhir_response(outcome, refusal.http_status)


def _stored_screening(stored: Resource | None, settings: Settings) -> dict[str, object] | None:
    """What the page says of the screening the app stored before: when, and its red flags."""
    if stored is None:
        return None
    return {
        "moment": said_moment(stored.get("authored"), settings.site),
        "redFlags": red_flag_names(red_flags_ticked(answers_of(stored)), settings.site),
    }


@router.get("/api/record")
async def record(
    who: PhysicianDep,
    settings: SettingsDep,
    terminology: TerminologyDep,
    connections: ConnectionsDep,
    service: ClientDep,
    iss: IssQuery = None,
    encounter: EncounterQuery = None,
) -> JSONResponse:
    """The launch's patient and encounter, what the record says, and whether the record itself
    keeps the patient off the pathway (the gate run as if the screening were all clear); the
    screening the app stored before (`storedScreening`); or, for an encounter this service
    discharged, that discharge as the server holds it (`discharged`: when, by whom, to whom,
    the follow-ups and the stored letter), and no gate."""
    _bound(who, iss, encounter)
    all_clear = ScreeningAnswers(
        answers=all_clear_answers(), screening_id=all_clear_screening_id(who.iss, who.encounter)
    )
    # The service's own server is asked for the encounter's letter while the launch's record is
    # read: no round of its own (issue 22, point 8). Its answer is used only once the physician's
    # own reads have succeeded.
    discharged = asyncio.create_task(_discharged(service, who))
    try:
        async with _client(who, settings, connections) as client:
            launched = await encounter_of_launch(client, who)
            draft = _draft(who, launched, all_clear, settings)
            ctx, stored = await gather_launch_record(client, who, launched, draft, settings.site)
    except BaseException:
        discharged.cancel()
        # its own failure, if it ended first, is taken here (never logged as unretrieved)
        await asyncio.gather(discharged, return_exceptions=True)
        raise
    site = settings.site
    answer = record_summary(ctx, site.default_language)
    answer["storedScreening"] = _stored_screening(stored, settings)
    letter = await discharged
    if letter is not None:
        answer["discharged"] = _discharged_answer(letter, settings)
        answer["gate"] = {"outcome": "discharged", "findings": []}
        return JSONResponse(answer, headers=NO_STORE)
    try:
        await screened_discharge(ctx, terminology, site, gp_message=False)
        answer["gate"] = {"outcome": "clear", "findings": []}
    except (NotOnPathway, IncompleteRecord) as refusal:
        answer["gate"] = gate_reasons(refusal, site)
    return JSONResponse(answer, headers=NO_STORE)


@router.post("/api/preview")
async def preview(
    body: ScreeningAnswers,
    who: PhysicianDep,
    settings: SettingsDep,
    terminology: TerminologyDep,
    connections: ConnectionsDep,
) -> JSONResponse:
    """The dry run with the draft screening: the letter rendered as HTML, the follow-up dates
    and the brochure; or the gate's reasons. Nothing is written. `authored`: the screening's
    moment, fixed here for the confirm to store (issue 22, point 4)."""
    _bound(who, body.iss, body.encounter)
    async with _client(who, settings, connections) as client:
        launched = await encounter_of_launch(client, who)
        draft = _draft(who, launched, body, settings)
        ctx, _ = await gather_launch_record(client, who, launched, draft, settings.site)
    site = settings.site
    try:
        discharge = await screened_discharge(ctx, terminology, site, gp_message=False)
    except (NotOnPathway, IncompleteRecord) as refusal:
        reasons = gate_reasons(refusal, site)
        return JSONResponse({**reasons, "authored": draft["authored"]}, headers=NO_STORE)
    answer = preview_of(discharge, ctx, client.base_url, site)
    return JSONResponse({**answer, "authored": draft["authored"]}, headers=NO_STORE)


@router.post("/api/screening")
async def store_launch_screening(
    body: ScreeningAnswers,
    who: PhysicianDep,
    settings: SettingsDep,
    connections: ConnectionsDep,
    service: ClientDep,
) -> JSONResponse:
    """Store the screening on the FHIR server as the physician documented it, red flags and all
    (hazard H124), as the physician (their token; their Practitioner as author). The first is a
    conditional create on the screening's identifier (a uuid the page makes once per screening):
    sent twice, it is stored once (201, then 200 `existing`); other answers for an encounter the
    app stored a screening of amend that one (200 `amended`: the same resource, a new version).
    Refused (409) for an encounter this service already discharged: the letter stands on the
    screening it was written from (issue 22, point 2)."""
    _bound(who, body.iss, body.encounter)
    try:
        _refuse_if_discharged(await _discharged(service, who))
    except AlreadyDischarged as refusal:
        return said_refusal(refusal, settings)
    async with _client(who, settings, connections) as client:
        launched = await encounter_of_launch(client, who)
        draft = _draft(who, launched, body, settings)
        stored = await store_screening(client, who, draft, settings.site)
    flags = red_flag_names(red_flags_ticked(body.answers), settings.site)
    return JSONResponse(
        {"reference": stored.reference, "status": stored.status, "redFlags": flags},
        status_code=201 if stored.status == "created" else 200,
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
    connections: ConnectionsDep,
) -> JSONResponse:
    """`$lbp-discharge` of the launch's encounter, and of no other: the physician may read it
    (their token, on the launch's server) and, on the service's FHIR server, it is the launch
    patient's. The answer is the operation's (201, 200, 202 with a status URL, 422...)."""
    async with _client(who, settings, connections) as mine:
        await encounter_of_launch(mine, who)
    ctx = await gather_context(client, who.encounter)
    if ctx.encounter.get("id") != who.encounter or subject_id(ctx.encounter) != who.patient:
        # app_fhir_servers are the EHR's endpoints onto this record: where they are not, the
        # same id may be another patient's encounter.
        raise Forbidden("on the service's FHIR server, this encounter is not the launch patient's")
    try:
        answer = await discharge_answer(
            ctx, request, settings, client, deliverer, terminology, "app_discharge_status"
        )
        return said_delivery_conflict(answer, settings)
    except SAID_REFUSALS as refusal:
        # The operation's OperationOutcome, said in the app's language (422 and 409).
        return said_refusal(refusal, settings)


def said_delivery_conflict(answer: JSONResponse, settings: Settings) -> JSONResponse:
    """A 409 the delivery kept in the outbox (an identity conflict found just before the post,
    io/server_identity.py): each coded issue said as the physician reads it, as a refusal is
    (`details.text`); one whose sentence needs values the outcome no longer holds stays
    English. Any other answer as it is."""
    if answer.status_code != 409:
        return answer
    outcome = json.loads(bytes(answer.body))
    for issue in outcome.get("issue") or []:
        details = issue.get("details") or {}
        code = next((c.get("code") for c in details.get("coding") or []), None)
        finding = Finding(str(issue.get("diagnostics") or ""), None, code)
        said = finding_text(finding, settings.site.default_language) if code else None
        if said and "text" not in details:
            issue["details"] = {**details, "text": said}
    response = fhir_response(outcome, 409)
    if "content-location" in answer.headers:
        response.headers["Content-Location"] = answer.headers["content-location"]
    return response


@router.get("/api/discharges/{item_id}", name="app_discharge_status")
async def app_discharge_status(
    item_id: FhirId, who: PhysicianDep, deliverer: DelivererDep
) -> JSONResponse:
    """Where the launch's discharge stands (as `GET /discharges/{id}`); any other is unknown."""
    item = await asyncio.to_thread(deliverer.outbox.get, item_id)
    if item is None or item.encounter != f"Encounter/{who.encounter}":
        raise UnknownDischarge(f"no discharge {item_id[:64]!r} of this launch")
    return fhir_response(discharge_result(item, where_landed(item), deliverer.canonical_base))
