"""Who may call what: three roles, each one dependency that every route of that role declares.

- **system** (`require_system`): the EHR as a system. A static (development) token, or a JWT
  checked against the configured JWKS whose audience names this service. A JWT whose audience
  also names a FHIR server this service knows, or that carries a user's launch context
  (`fhirUser`, `patient`, `encounter`), is not a system caller: a token the EHR issued for its
  own FHIR server, or for a physician's launch, never calls `$lbp-discharge` or `$document`.
- **physician** (`require_physician`): the physician's app (web/physician_app.py) only, through
  the app's API (`/app/api/...`): an opaque session handle this service issued when it exchanged
  the launch's authorization code (io/app_sessions.py), bound to that launch's FHIR server,
  patient, encounter and physician. The SMART access token stays on the service's side.
- **cds-client** (`require_cds_client`): the CDS Hooks call. With `cds_clients` set, the EHR's
  own JWT (CDS Hooks 2.0, "Trusting CDS Clients": its `iss` with its own JWKS, a `jku` header
  only when listed for that `iss`, `aud` the service's endpoint URL, a `jti` refused if seen
  before within the token's lifetime, io/seen_tokens.py), and that EHR's own FHIR servers; else
  a system caller.

A credential of another role is refused with 403 (it is known, but not for this route); none, or
an unknown one, with 401. Secure by default: with nothing configured, every patient-data
endpoint answers 401 and the service says once, in its log, how to configure it. Health,
metadata and discovery stay open. Tokens are compared in constant time and never logged. A JWT
must say when it was issued and must not live longer than `api_jwt_max_lifetime_seconds`.

All read the `Authorization` header through `fastapi.security.HTTPBearer`, so the OpenAPI
document names the schemes (components.securitySchemes) and the operations that need them.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Final, cast

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..config import CdsClient, Settings, fhir_server_urls
from ..errors import DischargeError, Forbidden, Unauthenticated
from ..io.app_sessions import AppSession, AppSessions
from ..io.seen_tokens import MemorySeenTokens, SeenTokens
from .urls import public_base_url

log = logging.getLogger(__name__)

JWT_ALGORITHMS = ["RS256", "RS384", "ES256", "ES384", "PS256", "PS384"]
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="fhir-discharge"'}
# A bearer token as a header carries it (RFC 6750 2.1, b64token): what this service sends on.
BEARER_TOKEN_PATTERN: Final = r"^[A-Za-z0-9\-._~+/]+=*$"  # noqa: S105 (a syntax)
_JWKS_TIMEOUT_SECONDS = 5

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

# The roles, by the dependency that stands for each (CALLER_ROLES): tests/test_caller_roles.py
# walks every route, checks which one it declares, and who gets through.
SYSTEM: Final = "system"
PHYSICIAN: Final = "physician"
CDS_CLIENT: Final = "cds-client"
CALLER_ROLES: dict[Callable[..., Awaitable[Any]], str] = {}
# Claims of a user's launch (SMART App Launch): a token carrying them is a physician's.
_USER_CONTEXT_CLAIMS: Final = ("fhirUser", "patient", "encounter")


def _bearer(credentials: Credentials) -> str:
    # None: no Authorization header, or another scheme than Bearer.
    token = credentials.credentials.strip() if credentials is not None else ""
    if not token:
        raise Unauthenticated("send a bearer token (Authorization: Bearer ...)")
    return token


def _check_lifetime(claims: dict[str, Any], max_seconds: int) -> None:
    # A stolen token is good until it expires: one valid for years is a standing credential.
    lifetime = int(claims["exp"]) - int(claims["iat"])
    if lifetime > max_seconds:
        raise Unauthenticated(f"the bearer token lives longer than {max_seconds} seconds")


@dataclass(frozen=True)
class Caller:
    subject: str  # "static-token" or the JWT's sub: the only caller detail that reaches logs
    scopes: frozenset[str]
    # A CDS client's own FHIR servers (its hooks' fhirServer); None: the configured ones.
    fhir_servers: tuple[str, ...] | None = None


class Authenticator:
    def __init__(self, settings: Settings) -> None:
        tokens = [t.get_secret_value() for t in settings.api_tokens]
        if settings.api_tokens_file:
            lines = Path(settings.api_tokens_file).read_text(encoding="utf-8").splitlines()
            tokens += [line.strip() for line in lines if line.strip()]
        self._tokens = [t.encode() for t in tokens if t]
        self._jwks: jwt.PyJWKSet | None = None
        if settings.api_jwks_file:
            keys = json.loads(Path(settings.api_jwks_file).read_text(encoding="utf-8"))
            self._jwks = jwt.PyJWKSet.from_dict(keys)
        self._jwks_client = (
            jwt.PyJWKClient(settings.api_jwks_url, cache_keys=True)
            if settings.api_jwks_url
            else None
        )
        self._audience = settings.api_jwt_audience
        self._issuer = settings.api_jwt_issuer
        self._required_scope = settings.api_required_scope
        self._max_lifetime = settings.api_jwt_max_lifetime_seconds
        self._fhir_servers = fhir_server_urls(settings)

    @property
    def fetches_keys(self) -> bool:
        return self._jwks_client is not None

    @property
    def configured(self) -> bool:
        return bool(self._tokens or self._jwks or self._jwks_client)

    def authenticate(self, credentials: Credentials) -> Caller:
        if not self.configured:
            raise Unauthenticated(
                "this service has no authentication configured, so it serves no patient data"
            )
        token = _bearer(credentials)
        # Every static token is compared, in constant time, whatever matches first.
        if any([hmac.compare_digest(token.encode(), known) for known in self._tokens]):
            return Caller("static-token", frozenset({"*"}))
        if self._jwks is None and self._jwks_client is None:
            raise Unauthenticated("the bearer token is not valid")
        claims = self._verified_claims(token)
        audiences = claims.get("aud")
        named = [audiences] if isinstance(audiences, str) else audiences or []
        if any(isinstance(a, str) and a.rstrip("/") in self._fhir_servers for a in named):
            # Good for a FHIR server too: one leaked there must not call this service.
            raise Unauthenticated("the bearer token is for a FHIR server, not for this service")
        if any(claim in claims for claim in _USER_CONTEXT_CLAIMS):
            raise Forbidden(
                "the token is a user's launch token: a physician acts through the app "
                "(/app/api/...), the EHR as a system with a token of its own"
            )
        scopes = frozenset(str(claims.get("scope", "")).split())
        if self._required_scope and self._required_scope not in scopes:
            raise Forbidden(f"the token lacks the scope '{self._required_scope}'")
        return Caller(str(claims.get("sub", "unknown"))[:64], scopes)

    def _verified_claims(self, token: str) -> dict[str, Any]:
        try:
            key = self._signing_key(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=JWT_ALGORITHMS,
                audience=self._audience,
                issuer=self._issuer,
                options={"require": ["exp", "iat"], "verify_aud": self._audience is not None},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("the bearer token has expired") from None
        except (jwt.PyJWTError, KeyError, ValueError):
            raise Unauthenticated("the bearer token is not valid") from None
        _check_lifetime(claims, self._max_lifetime)
        return claims

    def _signing_key(self, token: str) -> Any:
        if self._jwks_client is not None:
            return self._jwks_client.get_signing_key_from_jwt(token).key
        assert self._jwks is not None
        kid = jwt.get_unverified_header(token).get("kid")
        if kid is None and len(self._jwks.keys) == 1:
            return self._jwks.keys[0].key
        return self._jwks[str(kid)].key


def authenticator(request: Request) -> Authenticator:
    return cast(Authenticator, request.app.state.authenticator)


async def _system_caller(request: Request, credentials: Credentials) -> Caller:
    auth = authenticator(request)
    if auth.fetches_keys:  # PyJWKClient may fetch the JWKS: not on the event loop
        return await asyncio.to_thread(auth.authenticate, credentials)
    return auth.authenticate(credentials)


def app_sessions(request: Request) -> AppSessions:
    return cast(AppSessions, request.app.state.app_sessions)


async def _app_session(request: Request, credentials: Credentials) -> AppSession | None:
    token = credentials.credentials.strip() if credentials is not None else ""
    if not token:
        return None
    return await asyncio.to_thread(app_sessions(request).find, token, time.time())


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
    _bearer(credentials)  # 401 without one
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


def log_if_unprotected(auth: Authenticator) -> None:
    if not auth.configured:
        log.warning(
            "no authentication configured: patient-data endpoints answer 401. Set "
            "FHIR_DISCHARGE_API_JWKS_URL or FHIR_DISCHARGE_API_JWKS_FILE (with "
            "FHIR_DISCHARGE_API_JWT_AUDIENCE) for JWT bearer tokens, or, for development, "
            "FHIR_DISCHARGE_API_TOKENS / FHIR_DISCHARGE_API_TOKENS_FILE"
        )


class CdsClientAuthenticator:
    """CDS Hooks 2.0 "Trusting CDS Clients": the EHR's JWT on each hook call."""

    def __init__(self, settings: Settings) -> None:
        self._clients: dict[str, CdsClient] = dict(settings.cds_clients)
        # In memory; the app's lifespan swaps in the store the replicas share, where they share
        # a database (io/seen_tokens.py).
        self.seen_tokens: SeenTokens = MemorySeenTokens()
        self._max_lifetime = settings.api_jwt_max_lifetime_seconds
        # Each EHR's own FHIR servers; unnamed (one client only: settings check), the
        # configured ones, as before clients named theirs.
        inherited = (settings.fhir_base_url, *settings.cds_fhir_servers)
        self._fhir_servers = {
            iss: tuple(c.fhir_servers) if c.fhir_servers is not None else inherited
            for iss, c in self._clients.items()
        }
        self._files: dict[str, jwt.PyJWKSet] = {}
        for iss, client in self._clients.items():
            if client.jwks_file:
                keys = json.loads(Path(client.jwks_file).read_text(encoding="utf-8"))
                self._files[iss] = jwt.PyJWKSet.from_dict(keys)
        self._fetchers: dict[str, jwt.PyJWKClient] = {}
        self._lock = threading.Lock()

    @property
    def configured(self) -> bool:
        return bool(self._clients)

    def authenticate(self, credentials: Credentials, audience: str) -> Caller:
        """The EHR behind the JWT, if it is one of `cds_clients`, the token is for `audience`,
        and its `jti` is new. Blocking (it may fetch a JWKS): call it off the event loop."""
        token = _bearer(credentials)
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise Unauthenticated("the bearer token is not valid") from None
        iss = unverified.get("iss")
        client = self._clients.get(iss) if isinstance(iss, str) else None
        if iss is None or client is None:
            raise Unauthenticated("the token's issuer is not a CDS client of this service")
        try:
            key = self._signing_key(iss, client, header)
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=JWT_ALGORITHMS,
                audience=audience,
                issuer=iss,
                options={"require": ["iss", "aud", "exp", "iat", "jti"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("the bearer token has expired") from None
        except (jwt.PyJWTError, KeyError, ValueError):
            raise Unauthenticated("the bearer token is not valid") from None
        _check_lifetime(claims, self._max_lifetime)
        self._remember(iss, str(claims["jti"]), float(claims["exp"]))
        return Caller(iss[:64], frozenset(), self._fhir_servers[iss])

    def _signing_key(self, iss: str, client: CdsClient, header: dict[str, Any]) -> Any:
        kid = header.get("kid")
        jku = header.get("jku")
        if jku is not None:  # only a JWKS URL listed for this issuer: else anyone's keys
            if jku not in client.jku_allowed:
                raise Unauthenticated("the token's jku is not one listed for its issuer")
            return self._fetched_key(str(jku), kid)
        if iss in self._files:
            keys = self._files[iss]
            if kid is None and len(keys.keys) == 1:
                return keys.keys[0].key
            return keys[str(kid)].key
        if client.jwks_url:
            return self._fetched_key(client.jwks_url, kid)
        raise Unauthenticated("the token names no jku, and its issuer has no other keys here")

    def _fetched_key(self, url: str, kid: Any) -> Any:
        with self._lock:
            fetcher = self._fetchers.get(url)
            if fetcher is None:
                fetcher = jwt.PyJWKClient(url, cache_keys=True, timeout=_JWKS_TIMEOUT_SECONDS)
                self._fetchers[url] = fetcher
        if kid is None:
            keys = fetcher.get_signing_keys()
            if len(keys) != 1:
                raise KeyError("kid")
            return keys[0].key
        return fetcher.get_signing_key(str(kid)).key

    def _remember(self, iss: str, jti: str, expires: float) -> None:
        if not self.seen_tokens.first_use(iss, jti, expires, time.time()):
            raise Unauthenticated("the token was used before (jti replayed)")


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
        settings = cast(Settings, request.app.state.settings)
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
