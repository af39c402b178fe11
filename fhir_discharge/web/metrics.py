"""`GET /metrics` in the Prometheus text format, with prometheus-client.

- `fhir_discharge_http_request_duration_seconds`: a histogram by route template, method and
  status. Never the raw path: it holds ids (patients' encounters, discharges) and would make one
  series per id.
- `fhir_discharge_outbox_items{state}`: read from the outbox at scrape time.
- `fhir_discharge_delivered_total`, `fhir_discharge_dead_lettered_total`,
  `fhir_discharge_refused_total`, `fhir_discharge_fhir_requests_total`: the deliverer's and the
  FHIR client's own counts;
- `fhir_discharge_cds_feedback_total{outcome,override_reason}`: what physicians did with the CDS
  cards (CDS Hooks feedback: accepted or overridden, and the override reason's code, `other`
  for one not the service's, `none` without), read from where it is kept (io/card_feedback.py)
  at scrape time; replicas sharing a PostgreSQL outbox each report the shared count;
- `fhir_discharge_dead_letter_alerts_written_total`,
  `fhir_discharge_dead_letter_alert_failures_total`: the alerts of discharges given up, written
  to the FHIR server, and the attempts to write one that failed (io/delivery.py).

Each app has its own `CollectorRegistry` (the tests build many apps in one process). The
endpoint needs no token, like /health: it names no patient, no id, only counts and route
templates; keep it on an internal network.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import cast

from fastapi import APIRouter, Request, Response
from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

router = APIRouter()

# Any other method is counted as "other": the label takes no value a client can make up.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED_ROUTE = "unmatched"  # a path no route serves (404): counted, never named
_COUNTERS = (
    "delivered",
    "dead_lettered",
    "fhir_requests",
    "refused",
    "dead_letter_alerts_written",
    "dead_letter_alert_failures",
)


@dataclass(frozen=True)
class ServiceReadings:
    """What the service counts, read at scrape time (app.py adapts the deliverer and outbox)."""

    outbox_counts: Callable[[], Mapping[str, int]]
    delivered_total: Callable[[], int]
    dead_total: Callable[[], int]
    fhir_requests_total: Callable[[], int]
    refused_total: Callable[[], int] = lambda: 0
    alerts_written_total: Callable[[], int] = lambda: 0
    alert_failures_total: Callable[[], int] = lambda: 0
    card_feedback_counts: Callable[[], Mapping[tuple[str, str], int]] = lambda: {}


class ServiceCollector(Collector):
    def __init__(self, readings: ServiceReadings) -> None:
        self._readings = readings

    def collect(self) -> Iterator[Metric]:
        r = self._readings
        items = GaugeMetricFamily(
            "fhir_discharge_outbox_items", "Outbox items by state", labels=["state"]
        )
        for state, count in sorted(r.outbox_counts().items()):
            items.add_metric([state], count)
        yield items
        yield CounterMetricFamily(
            "fhir_discharge_delivered", "Discharges delivered", value=r.delivered_total()
        )
        yield CounterMetricFamily(
            "fhir_discharge_dead_lettered", "Discharges dead-lettered", value=r.dead_total()
        )
        yield CounterMetricFamily(
            "fhir_discharge_fhir_requests",
            "Requests to the FHIR server, retries included",
            value=r.fhir_requests_total(),
        )
        yield CounterMetricFamily(
            "fhir_discharge_refused",
            "Discharges the FHIR server refused for good (identity conflicts included)",
            value=r.refused_total(),
        )
        yield CounterMetricFamily(
            "fhir_discharge_dead_letter_alerts_written",
            "Alerts of discharges given up, written to the FHIR server",
            value=r.alerts_written_total(),
        )
        yield CounterMetricFamily(
            "fhir_discharge_dead_letter_alert_failures",
            "Attempts to write the alert of a discharge given up that failed",
            value=r.alert_failures_total(),
        )
        feedback = CounterMetricFamily(
            "fhir_discharge_cds_feedback",
            "CDS card outcomes the EHR reported, by outcome and override reason",
            labels=["outcome", "override_reason"],
        )
        for (outcome, reason), count in sorted(r.card_feedback_counts().items()):
            feedback.add_metric([outcome, reason], count)
        yield feedback

    def describe(self) -> Iterator[Metric]:
        # Registering describes without collecting: the outbox is not open yet then.
        yield GaugeMetricFamily("fhir_discharge_outbox_items", "", labels=["state"])
        for name in _COUNTERS:
            yield CounterMetricFamily(f"fhir_discharge_{name}", "")
        yield CounterMetricFamily(
            "fhir_discharge_cds_feedback", "", labels=["outcome", "override_reason"]
        )


class ServiceMetrics:
    """One app's registry and request histogram."""

    def __init__(self, readings: ServiceReadings) -> None:
        self.registry = CollectorRegistry()
        self.request_duration = Histogram(
            "fhir_discharge_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template, method and status",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.registry.register(ServiceCollector(readings))

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        method = method if method in _METHODS else "other"
        self.request_duration.labels(route, method, str(status)).observe(seconds)


def route_template(scope: Scope) -> str:
    """The path template of the route that served `scope` (/discharges/{item_id}), as declared."""
    # The router notes the route it matched in the scope (a partial match, 405, too), though
    # not for every kind of route (FastAPI's /openapi.json): those are matched again here.
    route = scope.get("route")
    if route is None:
        routes = getattr(scope.get("app"), "routes", [])
        route = next((r for r in routes if r.matches(scope)[0] is Match.FULL), None)
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED_ROUTE


class RequestMetricsMiddleware:
    """Times each HTTP request, from its start to its last body byte (or its error)."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # an error that escapes the app is answered 500 outside it

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            self.metrics.observe(
                route_template(scope), scope["method"], status, time.perf_counter() - started
            )


@router.get("/metrics", tags=["service"], response_class=Response)
async def metrics(request: Request) -> Response:
    """Prometheus text format: request latency by route, outbox items by state, deliveries,
    dead letters, FHIR requests, CDS card outcomes. No token needed: no patient data, no ids."""
    registry = cast(ServiceMetrics, request.app.state.metrics).registry
    # The text format Prometheus asks for in Accept (OpenMetrics, or text 0.0.4 by default).
    encode, content_type = choose_encoder(request.headers.get("accept", ""))
    # The outbox count is a database query: off the event loop.
    body = await asyncio.to_thread(encode, registry)
    return Response(body, headers={"Content-Type": content_type})
