"""How a caller's credential is checked: the EHR as a system (`Authenticator`: static tokens, or
JWTs against the configured JWKS), and an EHR calling CDS Hooks (`CdsClientAuthenticator`: its
own JWT, CDS Hooks 2.0 "Trusting CDS Clients"). Which route needs which is web/deps.py's: the
three roles, each one dependency.

Tokens are compared in constant time and never logged. A JWT must say when it was issued and
must not live longer than `api_jwt_max_lifetime_seconds`.
"""

from __future__ import annotations

import hmac
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import jwt
from fastapi.security import HTTPAuthorizationCredentials

from ..config import CdsClient, Settings, fhir_server_urls
from ..errors import Forbidden, Unauthenticated
from ..io.jwks import JwksKeys
from ..io.seen_tokens import MemorySeenTokens, SeenTokens
from ..io.smart import JWT_ALGORITHMS

log = logging.getLogger(__name__)

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="fhir-discharge"'}
_JWKS_TIMEOUT_SECONDS = 5

# Claims of a user's launch (SMART App Launch): a token carrying them is a physician's.
_USER_CONTEXT_CLAIMS: Final = ("fhirUser", "patient", "encounter")
Credentials = HTTPAuthorizationCredentials | None


def bearer_token(credentials: Credentials) -> str:
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
        self._jwks_url = settings.api_jwks_url
        self._fetched_keys = JwksKeys()
        self._audience = settings.api_jwt_audience
        self._issuer = settings.api_jwt_issuer
        self._required_scope = settings.api_required_scope
        self._max_lifetime = settings.api_jwt_max_lifetime_seconds
        self._fhir_servers = fhir_server_urls(settings)

    @property
    def fetches_keys(self) -> bool:
        return self._jwks_url is not None

    @property
    def configured(self) -> bool:
        return bool(self._tokens or self._jwks or self._jwks_url)

    def authenticate(self, credentials: Credentials) -> Caller:
        if not self.configured:
            raise Unauthenticated(
                "this service has no authentication configured, so it serves no patient data"
            )
        token = bearer_token(credentials)
        # Every static token is compared, in constant time, whatever matches first.
        if any([hmac.compare_digest(token.encode(), known) for known in self._tokens]):
            return Caller("static-token", frozenset({"*"}))
        if self._jwks is None and self._jwks_url is None:
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
        if self._jwks_url is not None:
            return self._fetched_keys.key_for_token(self._jwks_url, token)
        assert self._jwks is not None
        kid = jwt.get_unverified_header(token).get("kid")
        if kid is None and len(self._jwks.keys) == 1:
            return self._jwks.keys[0].key
        return self._jwks[str(kid)].key


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
        self._fetched_keys = JwksKeys(timeout=_JWKS_TIMEOUT_SECONDS)

    @property
    def configured(self) -> bool:
        return bool(self._clients)

    def authenticate(self, credentials: Credentials, audience: str) -> Caller:
        """The EHR behind the JWT, if it is one of `cds_clients`, the token is for `audience`,
        and its `jti` is new. Blocking (it may fetch a JWKS): call it off the event loop."""
        token = bearer_token(credentials)
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
            return self._fetched_keys.key_by_id(str(jku), kid)
        if iss in self._files:
            keys = self._files[iss]
            if kid is None and len(keys.keys) == 1:
                return keys.keys[0].key
            return keys[str(kid)].key
        if client.jwks_url:
            return self._fetched_keys.key_by_id(client.jwks_url, kid)
        raise Unauthenticated("the token names no jku, and its issuer has no other keys here")

    def _remember(self, iss: str, jti: str, expires: float) -> None:
        if not self.seen_tokens.first_use(iss, jti, expires, time.time()):
            raise Unauthenticated("the token was used before (jti replayed)")
