"""SMART App Launch for the physician's app: the HTTP to the launch's authorization server.

The app is a public client (authorization code with PKCE, S256); the service does the launch's
HTTP on the page's behalf, so the page talks to this service alone and the SMART access token
never reaches the browser (web/physician_app/):
- `smart_configuration`: the discovery document of a FHIR server (SMART App Launch 2.2,
  "Metadata"), with what the launch relies on checked;
- `exchange_code`: the authorization code and the PKCE verifier for the access token and the
  launch context, the physician named by the OpenID id_token's `fhirUser`, checked against the
  server's keys (`jwks_uri`) where it publishes them.

Which FHIR servers may be launched from is the web layer's to say (the settings); here `iss` is
one it trusts. Nothing here logs or quotes the token, the code or the id_token: a refusal names
the OAuth error code only.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt

from ..core.record.references import is_fhir_id, parse_reference
from ..errors import FhirServerError, Forbidden, Unauthenticated
from .fhir_client import FhirConnections
from .jwks import JwksKeys
from .smart import BEARER_TOKEN_PATTERN, JWT_ALGORITHMS

# How long the keys of an id_token's signer may take to arrive.
_JWKS_TIMEOUT_SECONDS = 5


@dataclass(frozen=True)
class LaunchGrant:
    """What the authorization server granted for one launch."""

    patient: str  # the launch context: the only patient and encounter the session acts on
    encounter: str
    practitioner: str  # the physician (the id_token's fhirUser)
    access_token: str = field(repr=False)
    expires_in: int | None  # seconds, as the server said; None when it did not


def smart_configuration_problems(found: dict[str, Any]) -> list[str]:
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


async def smart_configuration(
    iss: str, timeout: float, connections: FhirConnections
) -> dict[str, Any]:
    """The SMART configuration of the FHIR server `iss`, when it has what the launch needs;
    FhirServerError otherwise. Over the app's shared `connections` (no credential is sent)."""
    url = f"{iss}/.well-known/smart-configuration"
    try:
        response = await connections.http.get(
            url, headers={"Accept": "application/json"}, timeout=timeout
        )
        found = response.json() if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        found = None
    if not isinstance(found, dict):
        raise FhirServerError(f"{url} does not describe a SMART authorization server")
    problems = smart_configuration_problems(found)
    if problems:
        raise FhirServerError(
            "the authorization server's SMART configuration (App Launch 2.2) lacks "
            + ", ".join(problems)
        )
    return found


async def exchange_code(
    iss: str,
    *,
    code: str,
    code_verifier: str,
    redirect_uri: str,
    client_id: str,
    timeout: float,
    connections: FhirConnections,
) -> LaunchGrant:
    """The authorization code and PKCE verifier for the token (a public client: no secret),
    at the token endpoint `iss` names; the launch's patient, encounter and physician with it.
    Over the app's shared `connections`: the code goes in this request's form only."""
    found = await smart_configuration(iss, timeout, connections)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": client_id,
        "code_verifier": code_verifier,
    }
    try:
        response = await connections.http.post(
            str(found["token_endpoint"]), data=form, timeout=timeout
        )
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
    practitioner = await _physician_of(answer.get("id_token"), iss, found, client_id)
    expires_in = answer.get("expires_in")
    return LaunchGrant(
        patient=str(patient),
        encounter=str(encounter),
        practitioner=practitioner,
        access_token=token,
        expires_in=(
            expires_in if isinstance(expires_in, int) and not isinstance(expires_in, bool) else None
        ),
    )


async def _physician_of(id_token: object, iss: str, found: dict[str, Any], client_id: str) -> str:
    """The Practitioner id of the physician who authorized the launch: the OpenID id_token's
    `fhirUser` (SMART App Launch, scopes `openid fhirUser`)."""
    if not isinstance(id_token, str):
        raise Forbidden("the launch named no physician: no id_token (scopes openid fhirUser)")
    claims = await asyncio.to_thread(verified_id_token, id_token, found, client_id)
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


# The keys of each trusted server's jwks_uri, cached.
_ID_TOKEN_SIGNERS = JwksKeys(timeout=_JWKS_TIMEOUT_SECONDS)


def verified_id_token(id_token: str, found: dict[str, Any], client_id: str) -> dict[str, Any]:
    """The id_token's claims: for this app (`aud`), unexpired, and, where the server publishes
    its keys (`jwks_uri`), signed by them and from its `issuer`. Without keys, the token came
    straight from the token endpoint over the connection the service opened (OpenID Connect Core
    3.1.3.7, 6). Blocking (it may fetch the keys): call it from a thread."""
    require = {"require": ["sub", "aud", "exp", "iat"]}
    try:
        jwks_uri, issuer = found.get("jwks_uri"), found.get("issuer")
        if isinstance(jwks_uri, str):
            key = _ID_TOKEN_SIGNERS.key_for_token(jwks_uri, id_token)
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
