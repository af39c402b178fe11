"""A test EHR for the physician's app: a SMART App Launch 2.0 authorization server, and the
EHR's FHIR endpoint in front of the FHIR sandbox. Tests and `make app` only; never shipped.

The sandbox (sekmet-fhir) does SMART Backend Services only: its /auth/authorize answers
`unsupported_response_type`. So this process plays the EHR a physician launches the app from:

- `GET {base}/fhir/.well-known/smart-configuration`: discovery (SMART 2.0), naming the endpoints
  below; `{base}/fhir` is the `iss` of a launch.
- `GET {base}/oauth/authorize`: authorization code with PKCE (S256 only). An EHR launch (`launch`
  parameter) takes the patient, encounter and physician registered for it with
  `POST {base}/_test/launches`; a standalone launch (`launch/patient` in the scope) shows a small
  form where an integration tester names the encounter.
- `POST {base}/oauth/token`: the code for an access token (a JWT, RS256, signed with a key made at
  start, `aud` = the FHIR base), with `patient`, `encounter` and an OpenID `id_token` (`fhirUser`).
- `GET {base}/oauth/jwks`: the public key, for FHIR_DISCHARGE_API_JWKS_URL.
- `{base}/fhir/...`: the FHIR API, proxied to the sandbox once the token is checked (signature,
  expiry, audience, a scope for the resource type and interaction).
- `GET {base}/_test/frame?src=URL`: a page of the EHR's origin framing URL (the EHR embedding
  the app).
- `GET {base}/_test/returned`: the EHR's own screen, where the app's "Terug naar het EPD" leads
  when the service names it (tests/support/app_stack.py, `return_to_ehr`).

Run it with `python -m tests.support.smart_ehr --port P --upstream SANDBOX_FHIR_BASE`.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import html
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

CLIENT_ID = "fhir-discharge-app"
DEFAULT_TOKEN_LIFETIME = 300
_PERMISSIONS = {"GET": "rs", "HEAD": "rs", "POST": "c", "PUT": "u", "PATCH": "u", "DELETE": "d"}
_V1 = {"read": "rs", "write": "cud", "*": "cruds"}


@dataclass
class Launch:
    patient: str | None  # None: a launch that gives no patient (or encounter) context
    encounter: str | None
    practitioner: str
    token_lifetime: int = DEFAULT_TOKEN_LIFETIME


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    code_challenge: str
    scope: str
    launch: Launch
    expires: float


@dataclass
class State:
    base_url: str
    upstream: str
    redirect_uris: list[str]
    practitioner: str
    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    kid: str = field(default_factory=lambda: secrets.token_hex(8))
    launches: dict[str, Launch] = field(default_factory=dict)
    codes: dict[str, Grant] = field(default_factory=dict)
    tokens_issued: int = 0
    upstream_client: httpx.AsyncClient | None = None  # the app's lifespan opens it

    def upstream_http(self) -> httpx.AsyncClient:
        assert self.upstream_client is not None, "the test EHR's lifespan has not started"
        return self.upstream_client

    @property
    def fhir_base(self) -> str:
        return f"{self.base_url}/fhir"


def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse(
        {"error": error, "error_description": description},
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def scope_allows(scopes: list[str], resource_type: str, permission: str) -> bool:
    """SMART v2 (`patient/Condition.rs`) and v1 (`patient/Condition.read`) scopes. The context
    (patient/user) is not enforced here: the test EHR checks the resource type and interaction."""
    for scope in scopes:
        context, _, rest = scope.partition("/")
        if context not in ("patient", "user", "system") or "." not in rest:
            continue
        rtype, _, granted = rest.partition(".")
        granted = _V1.get(granted, granted.split("?", 1)[0])
        if rtype in ("*", resource_type) and all(p in granted for p in permission):
            return True
    return False


def create_app(state: State) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # One client to the sandbox for the EHR's lifetime, not one per forwarded request: an
        # httpx client loads the CA bundle (~50 ms of CPU), which made `make app` slow (~570 ms a
        # record, issue 22). It carries no credential: the sandbox gets none from here.
        async with httpx.AsyncClient(timeout=30) as upstream:
            state.upstream_client = upstream
            yield
            state.upstream_client = None

    app = FastAPI(
        title="test EHR (SMART App Launch)", docs_url=None, redoc_url=None, lifespan=lifespan
    )

    @app.get("/fhir/.well-known/smart-configuration")
    async def smart_configuration() -> JSONResponse:
        return JSONResponse(
            {
                "issuer": state.base_url,
                "jwks_uri": f"{state.base_url}/oauth/jwks",
                "authorization_endpoint": f"{state.base_url}/oauth/authorize",
                "token_endpoint": f"{state.base_url}/oauth/token",
                "grant_types_supported": ["authorization_code"],
                "token_endpoint_auth_methods_supported": ["none"],
                "scopes_supported": ["openid", "fhirUser", "launch", "launch/patient"],
                "response_types_supported": ["code"],
                "code_challenge_methods_supported": ["S256"],
                "capabilities": [
                    "launch-ehr",
                    "launch-standalone",
                    "client-public",
                    "context-ehr-patient",
                    "context-ehr-encounter",
                    "context-standalone-patient",
                    "context-standalone-encounter",
                    "sso-openid-connect",
                    "permission-v1",
                    "permission-v2",
                ],
            }
        )

    @app.get("/oauth/jwks")
    async def jwks() -> JSONResponse:
        public = jwt.algorithms.RSAAlgorithm.to_jwk(state.key.public_key(), as_dict=True)
        return JSONResponse({"keys": [{**public, "kid": state.kid, "alg": "RS256", "use": "sig"}]})

    @app.post("/_test/launches")
    async def register_launch(request: Request) -> JSONResponse:
        body = await request.json()
        launch_id = secrets.token_urlsafe(16)
        state.launches[launch_id] = Launch(
            patient=body.get("patient"),
            encounter=body.get("encounter"),
            practitioner=body.get("practitioner", state.practitioner),
            token_lifetime=int(body.get("token_lifetime", DEFAULT_TOKEN_LIFETIME)),
        )
        return JSONResponse({"launch": launch_id})

    @app.get("/_test/frame")
    async def frame(src: str) -> HTMLResponse:
        return HTMLResponse(
            '<!DOCTYPE html><html lang="nl-BE"><head><meta charset="utf-8"><title>Test-EPD'
            f'</title></head><body><iframe id="app" title="app" src="{html.escape(src)}" '
            'width="1200" height="700"></iframe></body></html>'
        )

    @app.get("/_test/returned")
    async def returned() -> HTMLResponse:
        return HTMLResponse(
            '<!DOCTYPE html><html lang="nl-BE"><head><meta charset="utf-8"><title>Test-EPD'
            '</title></head><body><h1 id="ehr">Test-EPD</h1></body></html>'
        )

    @app.get("/_test/stats")
    async def stats() -> JSONResponse:
        return JSONResponse({"tokens_issued": state.tokens_issued})

    @app.get("/oauth/authorize", response_model=None)
    async def authorize(request: Request) -> Response:
        q = request.query_params
        redirect_uri = q.get("redirect_uri", "")
        # RFC 6749 4.1.2.1: never redirect to an unregistered redirect_uri.
        if q.get("client_id") != CLIENT_ID or redirect_uri not in state.redirect_uris:
            return _oauth_error(400, "invalid_request", "unknown client_id or redirect_uri")

        def back(**params: str) -> RedirectResponse:
            return RedirectResponse(f"{redirect_uri}?{urlencode(params)}", status_code=302)

        oauth_state = q.get("state", "")
        if q.get("response_type") != "code":
            return back(error="unsupported_response_type", state=oauth_state)
        if q.get("code_challenge_method") != "S256" or not q.get("code_challenge"):
            return back(error="invalid_request", error_description="PKCE S256", state=oauth_state)
        if q.get("aud", "").rstrip("/") != state.fhir_base:
            return back(error="invalid_request", error_description="aud", state=oauth_state)
        scopes = q.get("scope", "").split()
        if "launch" in scopes:
            launch = state.launches.get(q.get("launch", ""))
            if launch is None:
                return back(error="invalid_request", error_description="launch", state=oauth_state)
        elif "launch/patient" in scopes:
            chosen = q.get("ehr_encounter")
            if not chosen:
                return HTMLResponse(_picker_page(q.multi_items()))
            launch_or_error = await _standalone_launch(state, chosen)
            if isinstance(launch_or_error, str):
                return HTMLResponse(_picker_page(q.multi_items(), launch_or_error), 400)
            launch = launch_or_error
        else:
            return back(error="invalid_scope", error_description="no launch", state=oauth_state)
        code = secrets.token_urlsafe(24)
        state.codes[code] = Grant(
            client_id=CLIENT_ID,
            redirect_uri=redirect_uri,
            code_challenge=q["code_challenge"],
            scope=" ".join(scopes),
            launch=launch,
            expires=time.time() + 60,
        )
        return back(code=code, state=oauth_state)

    @app.post("/oauth/token")
    async def token(request: Request) -> JSONResponse:
        form = await request.form()
        if form.get("grant_type") != "authorization_code":
            return _oauth_error(400, "unsupported_grant_type", "authorization_code only")
        grant = state.codes.pop(str(form.get("code", "")), None)  # one use only
        if grant is None or grant.expires < time.time():
            return _oauth_error(400, "invalid_grant", "unknown or expired code")
        if form.get("client_id") != grant.client_id or form.get("redirect_uri") != (
            grant.redirect_uri
        ):
            return _oauth_error(400, "invalid_grant", "client_id or redirect_uri differ")
        if _s256(str(form.get("code_verifier", ""))) != grant.code_challenge:
            return _oauth_error(400, "invalid_grant", "PKCE verification failed")
        now = int(time.time())
        launch = grant.launch
        fhir_user = f"{state.fhir_base}/Practitioner/{launch.practitioner}"
        context = {"patient": launch.patient, "encounter": launch.encounter}
        context = {k: v for k, v in context.items() if v is not None}
        claims = {
            "iss": state.base_url,
            "aud": state.fhir_base,
            "sub": launch.practitioner,
            "client_id": grant.client_id,
            "scope": grant.scope,
            "fhirUser": fhir_user,
            **context,
            "iat": now,
            "exp": now + launch.token_lifetime,
            "jti": secrets.token_hex(8),
        }
        headers = {"kid": state.kid}
        answer: dict[str, Any] = {
            "access_token": jwt.encode(claims, state.key, algorithm="RS256", headers=headers),
            "token_type": "Bearer",
            "expires_in": launch.token_lifetime,
            "scope": grant.scope,
            **context,
        }
        if "openid" in grant.scope.split():
            answer["id_token"] = jwt.encode(
                {
                    "iss": state.base_url,
                    "aud": grant.client_id,
                    "sub": launch.practitioner,
                    "fhirUser": fhir_user,
                    "iat": now,
                    "exp": now + launch.token_lifetime,
                },
                state.key,
                algorithm="RS256",
                headers=headers,
            )
        state.tokens_issued += 1
        return JSONResponse(answer, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    @app.api_route("/fhir/{path:path}", methods=["GET", "POST", "PUT", "DELETE"])
    async def fhir(path: str, request: Request) -> Response:
        scheme, _, credential = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            return _fhir_error(401, "login", "a bearer token is required")
        try:
            claims = jwt.decode(
                credential,
                state.key.public_key(),
                algorithms=["RS256"],
                audience=state.fhir_base,
                issuer=state.base_url,
            )
        except jwt.ExpiredSignatureError:
            return _fhir_error(401, "expired", "the access token has expired")
        except jwt.PyJWTError:
            return _fhir_error(401, "login", "the access token is not valid")
        first = path.split("/", 1)[0]
        permission = _PERMISSIONS.get(request.method, "r")
        if request.method == "POST" and not first:  # a transaction: check each entry
            body = await request.json()
            for entry in body.get("entry") or []:
                method = str((entry.get("request") or {}).get("method", "GET"))
                rtype = str((entry.get("resource") or {}).get("resourceType", "*"))
                if not scope_allows(claims["scope"].split(), rtype, _PERMISSIONS[method]):
                    return _fhir_error(403, "forbidden", f"scope does not permit {method} {rtype}")
        elif not scope_allows(claims["scope"].split(), first or "*", permission):
            return _fhir_error(403, "forbidden", f"scope does not permit {permission} on {first}")
        upstream = await state.upstream_http().request(
            request.method,
            f"{state.upstream}/{path}",
            params=list(request.query_params.multi_items()),
            content=await request.body(),
            headers={
                k: v
                for k, v in request.headers.items()
                # cache-control: the service asks for the current record (no-cache),
                # which an EHR passes on to its FHIR server like the others.
                if k.lower()
                in ("content-type", "accept", "prefer", "if-none-exist", "cache-control")
            },
        )
        keep = {"content-type", "location", "etag", "last-modified"}
        return Response(
            upstream.content,
            status_code=upstream.status_code,
            headers={k: v for k, v in upstream.headers.items() if k.lower() in keep},
        )

    return app


def _fhir_error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(
        {
            "resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": code, "diagnostics": message}],
        },
        status_code=status,
        media_type="application/fhir+json",
        headers={"WWW-Authenticate": 'Bearer realm="test-ehr"'} if status == 401 else None,
    )


async def _standalone_launch(state: State, encounter_id: str) -> Launch | str:
    response = await state.upstream_http().get(f"{state.upstream}/Encounter/{encounter_id}")
    if response.status_code != 200:
        return f"Encounter/{encounter_id} bestaat niet"
    subject = str((response.json().get("subject") or {}).get("reference", ""))
    return Launch(subject.rsplit("/", 1)[-1], encounter_id, state.practitioner)


def _picker_page(params: list[tuple[str, str]], error: str = "") -> str:
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in params
        if k != "ehr_encounter"
    )
    problem = f'<p role="alert">{html.escape(error)}</p>' if error else ""
    return (
        '<!DOCTYPE html><html lang="nl-BE"><head><meta charset="utf-8">'
        "<title>Test-EPD: aanmelden</title></head><body><main>"
        "<h1>Test-EPD: standalone launch</h1>"
        "<p>Aangemeld als de test-urgentiearts. Kies de spoedopname (Encounter) voor de app.</p>"
        f'{problem}<form method="get" action="/oauth/authorize">{hidden}'
        '<label for="ehr_encounter">Encounter-id</label> '
        '<input id="ehr_encounter" name="ehr_encounter" required> '
        '<button type="submit">Toestaan en verdergaan</button></form></main></body></html>'
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", required=True, help="the FHIR sandbox's base URL")
    parser.add_argument("--redirect-uri", action="append", required=True)
    parser.add_argument("--practitioner", default="lbp-example-ed-physician")
    args = parser.parse_args()
    state = State(
        base_url=f"http://{args.host}:{args.port}",
        upstream=args.upstream.rstrip("/"),
        redirect_uris=args.redirect_uri,
        practitioner=args.practitioner,
    )
    uvicorn.run(create_app(state), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
