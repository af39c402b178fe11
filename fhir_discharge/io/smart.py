"""Authentication of this service to the FHIR server: SMART Backend Services, or a static token.

SMART Backend Services (HL7 SMART App Launch 2.x, "Backend Services"): the service proves who it
is with a JWT signed by its own private key (`private_key_jwt`, RS384 or ES384) and gets a
short-lived access token with the OAuth2 `client_credentials` grant. `SmartBackendAuth` is an
httpx auth flow: it discovers the token endpoint from `{fhir_base}/.well-known/smart-configuration`
(unless given), caches the token until shortly before it expires, fetches one token however many
requests want it at once, and on a 401 from the FHIR server fetches a fresh token and sends the
request again, once.

`fhir_client_from(settings)` is the client with that authentication: the service's and the
CLI's alike.

Nothing here ever logs or puts in an error message the access token, the client assertion or the
key: the messages name the endpoint, the HTTP status and the OAuth error code.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import os
import re
import secrets
import time
from collections.abc import AsyncGenerator, Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ..config import settings_problems
from ..errors import FhirServerError, FhirServerTimeout
from .fhir_client import FhirClient

if TYPE_CHECKING:
    from ..config import Settings

log = logging.getLogger(__name__)

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
Algorithm = Literal["RS384", "ES384"]
# SMART v2 scopes for what this service does: read and search the record, create the letter's
# resources (the transaction only creates, conditionally). A server that knows only v1 scopes
# wants e.g. "system/*.read system/*.write". Two scopes, so a server may grant a subset.
DEFAULT_SCOPE = "system/*.rs system/*.c"
# The assertion lives 4 minutes: SMART allows at most 5, and a minute covers clock skew.
ASSERTION_LIFETIME_SECONDS = 240
# Without `expires_in` (required by SMART, but) we assume this long.
DEFAULT_TOKEN_LIFETIME_SECONDS = 300
# A bearer token as a header carries it (RFC 6750 2.1, b64token): what this service sends on,
# whoever gave it (a SMART token endpoint, a CDS Hooks request's fhirAuthorization).
BEARER_TOKEN_PATTERN: Final = r"^[A-Za-z0-9\-._~+/]+=*$"  # noqa: S105 (a syntax)
# The signatures this service accepts on a JWT others sign: a caller's token, an EHR's CDS Hooks
# JWT, a launch's id_token (asymmetric only: no shared secret, no "none").
JWT_ALGORITHMS: Final = ["RS256", "RS384", "ES256", "ES384", "PS256", "PS384"]
_JWT_LIKE = re.compile(r"[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


@dataclass(frozen=True)
class _Token:
    access_token: str
    fresh_until: float  # on the auth's clock (monotonic by default)


class SmartBackendAuth(httpx.Auth):
    """SMART Backend Services for an `httpx.AsyncClient` (e.g. `FhirClient(..., auth=...)`).

    `private_key`: a PEM private key (str or bytes), or the path of a PEM file. RS384 needs an RSA
    key of at least 2048 bits, ES384 an EC key on P-384. `key_id`: the `kid` the key is registered
    under at the authorization server (default: its RFC 7638 JWK thumbprint). `refresh_margin`:
    a token is used until this many seconds before it expires (at most half its lifetime).
    `clock`: monotonic seconds (for tests). `transport`: for the discovery and token requests.
    """

    requires_request_body = True  # so a request refused with 401 can be sent again

    def __init__(
        self,
        fhir_base_url: str,
        client_id: str,
        private_key: str | bytes | os.PathLike[str],
        *,
        key_id: str | None = None,
        algorithm: Algorithm = "RS384",
        scope: str = DEFAULT_SCOPE,
        token_url: str | None = None,
        refresh_margin: float = 60.0,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not client_id:
            raise ValueError("SMART backend services needs a client_id")
        if algorithm not in ("RS384", "ES384"):
            raise ValueError(f"unsupported SMART signing algorithm {algorithm!r} (RS384 or ES384)")
        self.fhir_base_url = fhir_base_url.rstrip("/")
        self.client_id = client_id
        self.algorithm: Algorithm = algorithm
        self.scope = scope
        self.token_url = token_url
        self.refresh_margin = refresh_margin
        self.timeout = timeout
        self.token_requests = 0  # token requests sent since creation (for tests and metrics)
        self._key = load_private_key(private_key)
        _check_key(self._key, algorithm)
        self.key_id = key_id or jwk_thumbprint(self._key)
        self._transport = transport
        self._clock = clock
        self._token: _Token | None = None
        self._lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None

    # --- the httpx auth flow -------------------------------------------------------------

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = await self._access_token(rejected=None)
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code != 401:
            return
        log.info("the FHIR server answered 401; fetching a fresh SMART access token")
        token = await self._access_token(rejected=token)
        request.headers["Authorization"] = f"Bearer {token}"
        yield request  # once: a second 401 goes back to the caller

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
        raise RuntimeError("SmartBackendAuth works with httpx.AsyncClient only")

    # --- tokens --------------------------------------------------------------------------

    def client_assertion(self, token_url: str) -> str:
        """A fresh signed client assertion (private_key_jwt) for `token_url`."""
        now = int(time.time())
        claims = {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": token_url,
            "exp": now + ASSERTION_LIFETIME_SECONDS,
            "jti": secrets.token_hex(16),
        }
        headers = {"typ": "JWT", "kid": self.key_id}
        return jwt.encode(claims, self._key, algorithm=self.algorithm, headers=headers)

    async def _access_token(self, rejected: str | None) -> str:
        """The cached token if still fresh (and not the one just `rejected`), else a new one."""
        async with self._get_lock():
            cached = self._token
            if (
                cached is not None
                and cached.access_token != rejected
                and self._clock() < cached.fresh_until
            ):
                return cached.access_token
            self._token = None
            self._token = await self._fetch_token()
            return self._token.access_token

    def _get_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock_loop is not loop:
            self._lock, self._lock_loop = asyncio.Lock(), loop
        return self._lock

    async def _fetch_token(self) -> _Token:
        transport = _Borrowed(self._transport) if self._transport is not None else None
        async with httpx.AsyncClient(timeout=self.timeout, transport=transport) as http:
            token_url = self.token_url or await self._discover(http)
            self.token_url = token_url
            assertion = self.client_assertion(token_url)
            form = {
                "grant_type": "client_credentials",
                "scope": self.scope,
                "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": assertion,
            }
            self.token_requests += 1
            started = self._clock()
            try:
                response = await http.post(
                    token_url, data=form, headers={"Accept": "application/json"}
                )
            except httpx.TimeoutException:
                raise FhirServerTimeout(
                    f"the SMART token endpoint {token_url} did not answer in time"
                ) from None
            except httpx.HTTPError as error:
                raise FhirServerError(
                    f"could not reach the SMART token endpoint {token_url} ({type(error).__name__})"
                ) from None
        return self._read_token(response, token_url, started, secrets_=(assertion,))

    def _read_token(
        self, response: httpx.Response, token_url: str, started: float, secrets_: tuple[str, ...]
    ) -> _Token:
        body = _json_object(response)
        if response.status_code != 200:
            error = _clean(str(body.get("error") or ""), secrets_)
            description = _clean(str(body.get("error_description") or ""), secrets_)
            detail = ": ".join(x for x in (error, description) if x)
            raise FhirServerError(
                f"the SMART token endpoint {token_url} refused client {self.client_id!r} "
                f"(HTTP {response.status_code}{', ' + detail if detail else ''})"
            )
        access_token = body.get("access_token")
        if not isinstance(access_token, str) or not access_token:
            raise FhirServerError(f"the SMART token endpoint {token_url} gave no access token")
        token_type = body.get("token_type")
        if not isinstance(token_type, str) or token_type.lower() != "bearer":
            raise FhirServerError(
                f"the SMART token endpoint {token_url} gave a token of type "
                f"{_clean(str(token_type), (access_token, *secrets_))!r}, not a bearer token"
            )
        expires_in = body.get("expires_in")
        lifetime = (
            float(expires_in)
            if isinstance(expires_in, int | float) and not isinstance(expires_in, bool)
            else DEFAULT_TOKEN_LIFETIME_SECONDS
        )
        margin = min(max(self.refresh_margin, 0.0), lifetime / 2)
        granted = body.get("scope")
        if isinstance(granted, str) and set(granted.split()) != set(self.scope.split()):
            log.warning(
                "SMART client %s asked for scope %r and was granted %r",
                self.client_id,
                self.scope,
                granted,
            )
        log.info(
            "SMART access token obtained for client %s (expires in %.0f s)",
            self.client_id,
            lifetime,
        )
        return _Token(access_token, started + lifetime - margin)

    async def _discover(self, http: httpx.AsyncClient) -> str:
        url = f"{self.fhir_base_url}/.well-known/smart-configuration"
        try:
            response = await http.get(url, headers={"Accept": "application/json"})
        except httpx.HTTPError as error:
            raise FhirServerError(
                f"could not read the SMART configuration at {url} ({type(error).__name__})"
            ) from None
        if response.status_code != 200:
            raise FhirServerError(
                f"the FHIR server has no SMART configuration at {url} "
                f"(HTTP {response.status_code}); set the token endpoint explicitly"
            )
        token_url = _json_object(response).get("token_endpoint")
        if not isinstance(token_url, str) or not token_url.startswith(("https://", "http://")):
            raise FhirServerError(f"the SMART configuration at {url} names no token_endpoint")
        return token_url


class BearerAuth(httpx.Auth):
    """A static bearer token."""

    def __init__(self, token: str) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request


def fhir_client_from(settings: Settings) -> FhirClient:
    """The client to the settings' FHIR server, authenticated as the settings say: the one the
    service posts with, and the CLI's (`fhir-discharge discharge`) too. A static
    `fhir_bearer_token` is sent where no auth flow is configured (as before `fhir_auth` existed)."""
    return FhirClient(
        settings.fhir_base_url,
        timeout=settings.fhir_timeout_seconds,
        bearer_token=(
            settings.fhir_bearer_token.get_secret_value() if settings.fhir_bearer_token else None
        ),
        auth=fhir_auth_from(settings),
    )


def fhir_auth_from(settings: Settings) -> httpx.Auth | None:
    """The auth flow `settings` ask for. Settings refuse to start incomplete (config.py
    `settings_problems`); settings made without validation get the same message here."""
    if settings.fhir_auth == "none":
        return None
    problems = settings_problems(settings)
    if problems:
        raise ValueError("; ".join(problems))
    if settings.fhir_auth == "bearer":
        assert settings.fhir_bearer_token is not None  # settings_problems says so otherwise
        return BearerAuth(settings.fhir_bearer_token.get_secret_value())
    assert settings.smart_client_id and settings.smart_private_key_file  # as above
    return SmartBackendAuth(
        settings.fhir_base_url,
        settings.smart_client_id,
        Path(settings.smart_private_key_file),
        key_id=settings.smart_key_id,
        algorithm=settings.smart_algorithm,
        scope=settings.smart_scope,
        token_url=settings.smart_token_url,
        timeout=settings.fhir_timeout_seconds,
    )


# --- keys ------------------------------------------------------------------------------


def load_private_key(key: str | bytes | os.PathLike[str]) -> PrivateKey:
    """A PEM private key given as text, bytes, or a file path. Errors never quote the key."""
    if isinstance(key, bytes):
        data, source = key, "the SMART private key"
    elif isinstance(key, str) and "-----BEGIN" in key:
        data, source = key.encode(), "the SMART private key"
    else:
        path = Path(key)
        source = f"the SMART private key file {path}"
        try:
            data = path.read_bytes()
        except OSError as error:
            raise ValueError(f"cannot read {source} ({error.strerror})") from None
    try:
        loaded = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise ValueError(
            f"{source} is encrypted; give it unencrypted (and readable only by this service)"
        ) from None
    except ValueError:
        raise ValueError(f"{source} is not a PEM private key") from None
    if not isinstance(loaded, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise ValueError(f"{source} is neither an RSA nor an EC key")
    return loaded


def _check_key(key: PrivateKey, algorithm: Algorithm) -> None:
    if algorithm == "RS384":
        if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < 2048:
            raise ValueError("RS384 needs an RSA private key of at least 2048 bits")
    elif not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp384r1":
        raise ValueError("ES384 needs an EC private key on the P-384 curve")


def public_jwk(key: PrivateKey) -> dict[str, str]:
    """The public half of `key` as a JWK (without kid/alg)."""
    numbers = key.public_key().public_numbers()
    if isinstance(numbers, rsa.RSAPublicNumbers):
        return {"kty": "RSA", "e": _b64_int(numbers.e), "n": _b64_int(numbers.n)}
    size = (numbers.curve.key_size + 7) // 8
    return {
        "kty": "EC",
        "crv": {"secp384r1": "P-384", "secp256r1": "P-256", "secp521r1": "P-521"}.get(
            numbers.curve.name, numbers.curve.name
        ),
        "x": _b64(numbers.x.to_bytes(size, "big")),
        "y": _b64(numbers.y.to_bytes(size, "big")),
    }


def jwk_thumbprint(key: PrivateKey) -> str:
    """RFC 7638 SHA-256 thumbprint of the public key."""
    canonical = json.dumps(public_jwk(key), separators=(",", ":"), sort_keys=True)
    return _b64(hashlib.sha256(canonical.encode()).digest())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64_int(value: int) -> str:
    return _b64(value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big"))


# --- helpers ---------------------------------------------------------------------------


class _Borrowed(httpx.AsyncBaseTransport):
    """A transport the caller owns: our short-lived clients use it without closing it."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        pass


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _clean(text: str, secrets_: tuple[str, ...]) -> str:
    """A server's words, short, with anything token-like taken out."""
    for secret in secrets_:
        if secret:
            text = text.replace(secret, "[redacted]")
    return _JWT_LIKE.sub("[redacted]", text)[:300]
