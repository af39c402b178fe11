"""Who may call the patient-data endpoints: bearer tokens, static (development) or JWT (JWKS).

Secure by default: with nothing configured, every patient-data endpoint answers 401 and the
service says once, in its log, how to configure it. Health, metadata and discovery stay open.
Tokens are compared in constant time and never logged.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import jwt
from fastapi import Request

from ..config import Settings
from ..errors import Forbidden, Unauthenticated

log = logging.getLogger(__name__)

JWT_ALGORITHMS = ["RS256", "RS384", "ES256", "ES384", "PS256", "PS384"]
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="fhir-discharge"'}


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
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("send a bearer token (Authorization: Bearer ...)")
        token = token.strip()
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
                options={"require": ["exp"], "verify_aud": self._audience is not None},
            )
            return claims
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("the bearer token has expired") from None
        except (jwt.PyJWTError, KeyError, ValueError):
            raise Unauthenticated("the bearer token is not valid") from None

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
