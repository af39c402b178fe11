"""The FastAPI application: routes, and every error answered as a FHIR OperationOutcome."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..config import Settings
from ..errors import DischargeError, operation_outcome
from ..io.app_sessions import AppSessions, MemoryStore, app_sessions_for
from ..io.card_feedback import CardFeedback, card_feedback_for
from ..io.delivery import Deliverer
from ..io.discharging import deliverer_for, log_dead_letter_mode, open_outbox
from ..io.fhir_client import FhirClient, FhirConnections
from ..io.seen_tokens import seen_tokens_for
from ..io.smart import fhir_client_from
from ..io.terminology import TerminologyServer, log_terminology_mode, terminology_server_from
from ..logs import RequestIdMiddleware
from .answers import FHIR_JSON
from .cds_hooks.models import OPENAPI_REQUEST_MODELS
from .cds_hooks.routes import cds_router
from .deps import SYSTEM_ROLE
from .docs import router as docs_router
from .documents import router as documents_router
from .metrics import RequestMetricsMiddleware, ServiceMetrics, ServiceReadings
from .metrics import router as metrics_router
from .operation.routes import router as operation_router
from .physician_app.routes import router as physician_app_router
from .security import CHALLENGE, Authenticator, CdsClientAuthenticator, log_if_unprotected

log = logging.getLogger(__name__)


class OutcomeResponse(JSONResponse):
    """An OperationOutcome, written even when a message quotes text that is not UTF-8 (a lone
    surrogate): never a failure while saying what failed."""

    media_type = FHIR_JSON

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False).encode("utf-8", errors="replace")


def _outcome(status: int, code: str, message: str) -> JSONResponse:
    body = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": message}],
    }
    return OutcomeResponse(body, status_code=status)


def _is_app_page(scope: Scope) -> bool:
    path = str(scope.get("path", ""))
    root = str(scope.get("root_path", ""))
    if root and path.startswith(root):
        path = path[len(root) :]
    return path == "/app" or path.startswith("/app/")


class SecurityHeadersMiddleware:
    """On every answer, whatever route (or none) made it:
    - `X-Content-Type-Options: nosniff`: a browser renders a body only as the type it is sent as
      (never JSON with record text as HTML);
    - who may frame it (clickjacking: the app's confirm button): `Content-Security-Policy:
      frame-ancestors`, added to the page's own policy. The app's pages (`/app/...`): the EHR
      origins configured (`app_frame_ancestors`), else `'none'`; everything else (the letter as
      HTML, /docs, JSON): `'none'`. And `X-Frame-Options`, for browsers without CSP 2: `DENY`;
      it cannot list origins (ALLOW-FROM is obsolete, ignored by current browsers), so with EHR
      origins configured the app's pages say `SAMEORIGIN`, which a browser that knows
      frame-ancestors ignores for it (HTML, "X-Frame-Options": a frame-ancestors directive
      wins) and an old one obeys: it refuses the EHR's frame rather than allow every origin's.
    """

    def __init__(self, app: ASGIApp, frame_ancestors: Sequence[str]) -> None:
        self.app = app
        origins = " ".join(frame_ancestors)
        self._app_page = (
            f"frame-ancestors {origins or chr(39) + 'none' + chr(39)}",
            "SAMEORIGIN" if origins else "DENY",
        )
        self._elsewhere = ("frame-ancestors 'none'", "DENY")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        ancestors, frame_options = self._app_page if _is_app_page(scope) else self._elsewhere

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                # The page's own policy, with this one frame-ancestors directive in place of any.
                directives = [
                    d.strip()
                    for d in headers.get("content-security-policy", "").split(";")
                    if d.strip() and not d.strip().lower().startswith("frame-ancestors")
                ]
                headers["Content-Security-Policy"] = "; ".join([*directives, ancestors])
                headers["X-Frame-Options"] = frame_options
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _service_readings(app: FastAPI) -> ServiceReadings:
    """What /metrics reads, at each scrape, from the deliverer the lifespan keeps in app.state."""

    def deliverer() -> Deliverer:
        return cast(Deliverer, app.state.deliverer)

    return ServiceReadings(
        outbox_counts=lambda: deliverer().outbox.counts(),
        delivered_total=lambda: deliverer().delivered_total,
        dead_total=lambda: deliverer().dead_total,
        refused_total=lambda: deliverer().refused_total,
        alerts_written_total=lambda: deliverer().alerts_written_total,
        alert_failures_total=lambda: deliverer().alert_failures_total,
        fhir_requests_total=lambda: deliverer().client.attempts_made,
        card_feedback_counts=lambda: cast(CardFeedback, app.state.card_feedback).counts(),
    )


def _document_request_models(app: FastAPI, models: Sequence[type[BaseModel]]) -> None:
    """The OpenAPI document's components name these models too: request bodies read raw (so
    that a size limit and the caller's token come first) refer to them by $ref."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            for model in models:
                schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
                schemas.update(schema.pop("$defs", {}))
                schemas[model.__name__] = schema
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(
    settings: Settings | None = None,
    fhir_client: FhirClient | None = None,
    terminology_server: TerminologyServer | None = None,
    fhir_connections: FhirConnections | None = None,
) -> FastAPI:
    """The service. `fhir_client`, `terminology_server`, `fhir_connections`: given instead of
    the ones the settings describe (the tests' servers; the caller closes them)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        client = fhir_client or fhir_client_from(settings)
        app.state.fhir_client = client
        # The physician app's and the CDS Hooks' FHIR servers: one HTTP client for the
        # lifespan, not one per call (a client costs ~50 ms of CPU: its TLS context).
        connections = fhir_connections or FhirConnections()
        app.state.fhir_connections = connections
        outbox = open_outbox(settings)
        deliverer = deliverer_for(outbox, client, settings)
        app.state.deliverer = deliverer
        # What physicians did with the CDS cards: kept where the outbox is.
        app.state.card_feedback = card_feedback_for(settings)
        # SNOMED CT descendants of the red flags (None: the listed concepts only).
        terminology = terminology_server or terminology_server_from(settings)
        app.state.terminology_server = terminology
        # CDS Hooks tokens already used: shared where the replicas share the outbox's database.
        seen = seen_tokens_for(settings) if settings.cds_clients else None
        if seen is not None:
            app.state.cds_authenticator.seen_tokens = seen
        # The physician app's sessions: shared where the replicas share the outbox's database.
        if settings.outbox_url is not None:
            app.state.app_sessions = app_sessions_for(settings)
        sessions: AppSessions = app.state.app_sessions
        await deliverer.start()
        try:
            yield
        finally:
            await deliverer.stop()
            outbox.close()
            app.state.card_feedback.close()
            sessions.close()
            if seen is not None:
                seen.close()
            if fhir_client is None:
                await client.aclose()
            if fhir_connections is None:
                await connections.aclose()
            if terminology is not None and terminology_server is None:
                await terminology.aclose()

    app = FastAPI(
        title="fhir-discharge",
        version="0.1.0",
        description=(
            "FHIR R4 discharge: acute non-specific mechanical low back pain, emergency "
            f"department of {settings.site.name}"
        ),
        lifespan=lifespan,
        # Starlette's slash redirects name the request's Host in Location: no redirect at all.
        redirect_slashes=False,
        # /docs is served from the package (docs.py), not from a CDN; no /redoc (a CDN too).
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.metrics = ServiceMetrics(_service_readings(app))
    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(SecurityHeadersMiddleware, frame_ancestors=settings.app_frame_ancestors)
    app.add_middleware(RequestMetricsMiddleware, metrics=app.state.metrics)  # outermost: all
    app.state.authenticator = Authenticator(settings)
    app.state.cds_authenticator = CdsClientAuthenticator(settings)
    app.state.app_sessions = AppSessions(MemoryStore())  # the lifespan's store replaces it
    log_if_unprotected(app.state.authenticator)
    log_terminology_mode(settings if terminology_server is None else None)
    log_dead_letter_mode(settings)
    app.include_router(operation_router)
    app.include_router(documents_router, dependencies=[SYSTEM_ROLE])
    app.include_router(cds_router)
    app.include_router(physician_app_router)
    app.include_router(docs_router)
    app.include_router(metrics_router)
    _document_request_models(app, OPENAPI_REQUEST_MODELS)

    @app.exception_handler(DischargeError)
    async def on_discharge_error(request: Request, error: DischargeError) -> JSONResponse:
        log.info(
            "%s %s -> %s (%s)",
            request.method,
            request.url.path,
            error.http_status,
            type(error).__name__,
        )
        return OutcomeResponse(
            operation_outcome(error, settings.site.canonical_base),
            status_code=error.http_status,
            headers=CHALLENGE if error.http_status == 401 else None,
        )

    @app.exception_handler(RequestValidationError)
    async def on_validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
        return _outcome(400, "invalid", "the request is malformed")

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not-found", 405: "not-supported", 413: "too-costly", 415: "not-supported"}
        code = codes.get(error.status_code, "processing")
        return _outcome(error.status_code, code, str(error.detail))

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, error: Exception) -> JSONResponse:
        # Never a stack trace to the caller; the log has the type, not the data.
        log.error("unexpected %s on %s %s", type(error).__name__, request.method, request.url.path)
        return _outcome(500, "exception", "internal error")

    return app
