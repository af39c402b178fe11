"""Every dependency of the routes, declared once: what the app made at start (the settings, the
FHIR client, the shared connections to the launch's and the hook's FHIR servers, the deliverer,
the terminology server, the app's sessions), and who may call (three roles, each one dependency
that every route of that role declares).

Routes declare parameters with the `...Dep` aliases below (FastAPI's `Annotated` idiom), or, where
they use no value of it, `dependencies=[SYSTEM_ROLE]`. The dependencies are `async def` although
most do not await: FastAPI runs a plain `def` dependency in its thread pool, a thread hop per
dependency per request (~0.25 ms each here).

The roles (how each credential is checked: web/security.py):
- **system** (`require_system`): the EHR as a system. A static (development) token, or a JWT
  checked against the configured JWKS whose audience names this service. A JWT whose audience
  also names a FHIR server this service knows, or that carries a user's launch context
  (`fhirUser`, `patient`, `encounter`), is not a system caller: a token the EHR issued for its
  own FHIR server, or for a physician's launch, never calls `$lbp-discharge` or `$document`.
- **physician** (`require_physician`): the physician's app (web/physician_app/) only, through
  the app's API (`/app/api/...`): an opaque session handle this service issued when it exchanged
  the launch's authorization code (io/app_sessions.py), bound to that launch's FHIR server,
  patient, encounter and physician. The SMART access token stays on the service's side.
- **cds-client** (`require_cds_client`): the CDS Hooks call and its feedback. With
  `cds_clients` set, the EHR's own JWT (CDS Hooks 2.0, "Trusting CDS Clients": its `iss` with
  its own JWKS, a `jku` header only when listed for that `iss`, `aud` the service's endpoint
  URL, a `jti` refused if seen before within the token's lifetime, io/seen_tokens.py), and that
  EHR's own FHIR servers; else a system caller.

A credential of another role is refused with 403 (it is known, but not for this route); none, or
an unknown one, with 401. Secure by default: with nothing configured, every patient-data
endpoint answers 401 and the service says once, in its log, how to configure it. Health,
metadata and discovery stay open.

All read the `Authorization` header through `fastapi.security.HTTPBearer`, so the OpenAPI
document names the schemes (components.securitySchemes) and the operations that need them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Final, cast

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..config import Settings
from ..errors import DischargeError, Forbidden, Unauthenticated
from ..io.app_sessions import AppSession, AppSessions
from ..io.card_feedback import CardFeedback
from ..io.delivery import Deliverer
from ..io.fhir_client import FhirClient, FhirConnections
from ..io.terminology import TerminologyServer
from .cds_hooks.service import FEEDBACK_PATH, HOOK_PATH
from .security import Authenticator, Caller, CdsClientAuthenticator, bearer_token
from .urls import public_base_url

# --- what the app made at start ------------------------------------------------------------


async def get_settings(request: Request) -> Settings:
    return cast(Settings, request.app.state.settings)


async def get_fhir_client(request: Request) -> FhirClient:
    return cast(FhirClient, request.app.state.fhir_client)


async def get_fhir_connections(request: Request) -> FhirConnections:
    """The connections to the launch's and the hook's FHIR servers, made once at start and
    shared by every call; each call's token goes on its own requests (io/fhir_client.py)."""
    return cast(FhirConnections, request.app.state.fhir_connections)


async def get_deliverer(request: Request) -> Deliverer:
    return cast(Deliverer, request.app.state.deliverer)


async def get_terminology_server(request: Request) -> TerminologyServer | None:
    """The configured terminology server (io/terminology.py); None without one."""
    return cast(TerminologyServer | None, request.app.state.terminology_server)


async def get_app_sessions(request: Request) -> AppSessions:
    """The physician app's sessions (io/app_sessions.py)."""
    return cast(AppSessions, request.app.state.app_sessions)


SettingsDep = Annotated[Settings, Depends(get_settings)]
ClientDep = Annotated[FhirClient, Depends(get_fhir_client)]
ConnectionsDep = Annotated[FhirConnections, Depends(get_fhir_connections)]
DelivererDep = Annotated[Deliverer, Depends(get_deliverer)]
TerminologyDep = Annotated[TerminologyServer | None, Depends(get_terminology_server)]
AppSessionsDep = Annotated[AppSessions, Depends(get_app_sessions)]

# --- the credentials -----------------------------------------------------------------------

# auto_error=False: a missing or non-Bearer Authorization header is refused by us, as every other
# refusal, with 401, WWW-Authenticate and an OperationOutcome (FastAPI's own is {"detail": ...}).
caller_bearer = HTTPBearer(
    scheme_name="callerToken",
    bearerFormat="JWT",
    description=(
        "A JWT signed by a key of the configured JWKS (FHIR_DISCHARGE_API_JWKS_URL or "
        "_FILE, with its audience, issuer and required scope), or, for development, one of "
        "FHIR_DISCHARGE_API_TOKENS. Without any of these configured, every call is refused."
    ),
    auto_error=False,
)
cds_client_bearer = HTTPBearer(
    scheme_name="cdsClientJwt",
    bearerFormat="JWT",
    description=(
        "CDS Hooks 2.0 (Trusting CDS Clients): the EHR's JWT, when FHIR_DISCHARGE_CDS_CLIENTS "
        "is set: iss one of those clients, aud this endpoint's URL, a jti never seen before. "
        "Unset, the callerToken instead."
    ),
    auto_error=False,
)
app_session_bearer = HTTPBearer(
    scheme_name="appSession",
    description=(
        "The physician's app only: the session handle this service gave the app when it "
        "exchanged the launch's authorization code (POST /app/api/token). Bound to that launch's "
        "patient and encounter; short-lived."
    ),
    auto_error=False,
)
Credentials = HTTPAuthorizationCredentials | None
CallerCredentials = Annotated[Credentials, Depends(caller_bearer)]
CdsClientCredentials = Annotated[Credentials, Depends(cds_client_bearer)]
AppSessionCredentials = Annotated[Credentials, Depends(app_session_bearer)]

# --- the roles -----------------------------------------------------------------------------

# The roles, by the dependency that stands for each (CALLER_ROLES): tests/asgi and
# tests/integration's test_caller_roles.py walk every route, check which one it declares, and who
# gets through.
SYSTEM: Final = "system"
PHYSICIAN: Final = "physician"
CDS_CLIENT: Final = "cds-client"
CALLER_ROLES: dict[Callable[..., Awaitable[Any]], str] = {}


async def _system_caller(request: Request, credentials: Credentials) -> Caller:
    auth = cast(Authenticator, request.app.state.authenticator)
    if auth.fetches_keys:  # PyJWKClient may fetch the JWKS: not on the event loop
        return await asyncio.to_thread(auth.authenticate, credentials)
    return auth.authenticate(credentials)


async def _app_session(request: Request, credentials: Credentials) -> AppSession | None:
    token = credentials.credentials.strip() if credentials is not None else ""
    if not token:
        return None
    sessions = await get_app_sessions(request)
    return await asyncio.to_thread(sessions.find, token, time.time())


async def _refused_as_another_role(request: Request, credentials: Credentials) -> None:
    """Forbidden (403) when the credential is a physician's app session: known, but not here."""
    if await _app_session(request, credentials) is not None:
        raise Forbidden(
            "a physician's app session acts only through the app's API (/app/api/...), on its "
            "launch's patient and encounter"
        )


async def require_system(request: Request, credentials: CallerCredentials) -> Caller:
    """The dependency of every route of the EHR as a system: `$lbp-discharge`, `/discharges`,
    `$document` (and the CDS Hooks call without `cds_clients`)."""
    try:
        caller = await _system_caller(request, credentials)
    except Unauthenticated:
        await _refused_as_another_role(request, credentials)
        raise
    request.state.caller = caller
    return caller


CALLER_ROLES[require_system] = SYSTEM


async def require_physician(request: Request, credentials: AppSessionCredentials) -> AppSession:
    """The dependency of every route of the physician's app that touches patient data: the
    live session behind the handle, whose launch is all it may act on."""
    bearer_token(credentials)  # 401 without one
    session = await _app_session(request, credentials)
    if session is None:
        try:
            await _system_caller(request, credentials)
        except DischargeError:
            raise Unauthenticated(
                "no app session for this token: it expired or was never opened (launch the app "
                "again from the EHR)"
            ) from None
        raise Forbidden(
            "the app's API acts for a physician's launch (an app session): a system token "
            "names no physician, patient or encounter"
        )
    request.state.caller = Caller(f"Practitioner/{session.practitioner}"[:64], frozenset())
    return session


CALLER_ROLES[require_physician] = PHYSICIAN


def require_cds_client(path: str) -> Callable[..., Awaitable[Caller]]:
    """The dependency of the CDS Hooks call at `path`: the EHR's JWT when `cds_clients` is set
    (its `aud` is this endpoint's public URL), else the caller tokens of every other endpoint.
    Both schemes are declared, so the OpenAPI offers them as alternatives."""

    async def dependency(
        request: Request, cds_credentials: CdsClientCredentials, credentials: CallerCredentials
    ) -> Caller:
        cds = cast(CdsClientAuthenticator, request.app.state.cds_authenticator)
        if not cds.configured:
            return await require_system(request, credentials)
        settings = await get_settings(request)
        audience = public_base_url(request, settings) + path
        try:
            caller = await asyncio.to_thread(cds.authenticate, cds_credentials, audience)
        except Unauthenticated:
            await _refused_as_another_role(request, cds_credentials)
            raise
        request.state.caller = caller
        return caller

    CALLER_ROLES[dependency] = CDS_CLIENT
    return dependency


# The routes of the EHR as a system that use no value of the caller: `dependencies=[SYSTEM_ROLE]`.
SYSTEM_ROLE: Final = Depends(require_system)
PhysicianDep = Annotated[AppSession, Depends(require_physician)]
CdsClientDep = Annotated[Caller, Depends(require_cds_client(HOOK_PATH))]


# --- CDS Hooks feedback (web/cds_hooks/routes.py) -------------------------------------------


async def get_card_feedback(request: Request) -> CardFeedback:
    return cast(CardFeedback, request.app.state.card_feedback)


CardFeedbackDep = Annotated[CardFeedback, Depends(get_card_feedback)]
# The feedback endpoint trusts the EHR as its hook does: the same client, its JWT's `aud` this
# endpoint's URL (CDS Hooks 2.0: the URL of the endpoint being called).
CdsFeedbackClientDep = Annotated[Caller, Depends(require_cds_client(FEEDBACK_PATH))]
