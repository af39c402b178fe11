"""Who may call the patient-data endpoints: bearer tokens, static (development) or JWT (JWKS).

Secure by default: with nothing configured, every patient-data endpoint answers 401 and the
service says once, in its log, how to configure it. Health, metadata and discovery stay open.
Tokens are compared in constant time and never logged. A JWT must say when it was issued and
must not live longer than `api_jwt_max_lifetime_seconds`.

CDS Hooks 2.0 ("Trusting CDS Clients"), when `cds_clients` is set: the hook call carries the
EHR's own JWT, the EHR known by its `iss` with its own JWKS (a `jku` header only when listed for
that `iss`), `aud` the service's endpoint URL, and a `jti` refused if seen before within the
token's lifetime (in memory: replicas behind one load balancer need a shared cache).
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
from typing import Any, cast

import jwt
from fastapi import Request

from ..config import CdsClient, Settings
from ..errors import Forbidden, Unauthenticated
from .urls import public_base_url

log = logging.getLogger(__name__)

JWT_ALGORITHMS = ["RS256", "RS384", "ES256", "ES384", "PS256", "PS384"]
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="fhir-discharge"'}
_JWKS_TIMEOUT_SECONDS = 5


def _bearer(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("send a bearer token (Authorization: Bearer ...)")
    return token.strip()


def _check_lifetime(claims: dict[str, Any], max_seconds: int) -> None:
    # A stolen token is good until it expires: one valid for years is a standing credential.
    lifetime = int(claims["exp"]) - int(claims["iat"])
    if lifetime > max_seconds:
        raise Unauthenticated(f"the bearer token lives longer than {max_seconds} seconds")


@dataclass(frozen=True)
class Caller:
    subject: str  # "static-token" or the JWT's sub: the only caller detail that reaches logs
    scopes: frozenset[str]


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

    @property
    def fetches_keys(self) -> bool:
        return self._jwks_client is not None

    @property
    def configured(self) -> bool:
        return bool(self._tokens or self._jwks or self._jwks_client)

    def authenticate(self, authorization: str | None) -> Caller:
        if not self.configured:
            raise Unauthenticated(
                "this service has no authentication configured, so it serves no patient data"
            )
        token = _bearer(authorization)
        # Every static token is compared, in constant time, whatever matches first.
        if any([hmac.compare_digest(token.encode(), known) for known in self._tokens]):
            return Caller("static-token", frozenset({"*"}))
        if self._jwks is None and self._jwks_client is None:
            raise Unauthenticated("the bearer token is not valid")
        claims = self._verified_claims(token)
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


async def require_caller(request: Request) -> Caller:
    """The dependency of every patient-data endpoint."""
    auth = authenticator(request)
    header = request.headers.get("authorization")
    if auth.fetches_keys:  # PyJWKClient may fetch the JWKS: not on the event loop
        caller = await asyncio.to_thread(auth.authenticate, header)
    else:
        caller = auth.authenticate(header)
    request.state.caller = caller
    return caller


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
        self._max_lifetime = settings.api_jwt_max_lifetime_seconds
        self._files: dict[str, jwt.PyJWKSet] = {}
        for iss, client in self._clients.items():
            if client.jwks_file:
                keys = json.loads(Path(client.jwks_file).read_text(encoding="utf-8"))
                self._files[iss] = jwt.PyJWKSet.from_dict(keys)
        self._fetchers: dict[str, jwt.PyJWKClient] = {}
        self._seen: dict[tuple[str, str], float] = {}  # (iss, jti) -> exp
        self._lock = threading.Lock()

    @property
    def configured(self) -> bool:
        return bool(self._clients)

    def authenticate(self, authorization: str | None, audience: str) -> Caller:
        """The EHR behind the JWT, if it is one of `cds_clients`, the token is for `audience`,
        and its `jti` is new. Blocking (it may fetch a JWKS): call it off the event loop."""
        token = _bearer(authorization)
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
        return Caller(iss[:64], frozenset())

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
        now = time.time()
        with self._lock:
            for seen in [k for k, exp in self._seen.items() if exp < now]:
                del self._seen[seen]
            if (iss, jti) in self._seen:
                raise Unauthenticated("the token was used before (jti replayed)")
            self._seen[(iss, jti)] = expires


def require_cds_client(path: str) -> Callable[[Request], Awaitable[Caller]]:
    """The dependency of the CDS Hooks call at `path`: the EHR's JWT when `cds_clients` is set
    (its `aud` is this endpoint's public URL), else the caller tokens of every other endpoint."""

    async def dependency(request: Request) -> Caller:
        cds = cast(CdsClientAuthenticator, request.app.state.cds_authenticator)
        if not cds.configured:
            return await require_caller(request)
        settings = cast(Settings, request.app.state.settings)
        audience = public_base_url(request, settings) + path
        header = request.headers.get("authorization")
        caller = await asyncio.to_thread(cds.authenticate, header, audience)
        request.state.caller = caller
        return caller

    return dependency
