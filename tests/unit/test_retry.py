"""Retries: one layer per request kind, one backoff, and a retry never duplicates.

The transaction POST is retried by the outbox only (one POST per outbox attempt: a dead letter
costs exactly max_attempts POSTs, a refusal one); reads are retried by the client. Both wait
`backoff(...)`. The requests are counted where the server sees them (a mock transport standing
in for the server, to inject its faults).
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from datetime import UTC, datetime

import httpx
import pytest

from fhir_discharge import FhirServerError, build_discharge
from fhir_discharge.io.delivery import Deliverer
from fhir_discharge.io.discharging import accept_and_deliver
from fhir_discharge.io.fhir_client import FhirClient
from fhir_discharge.io.outbox import DEAD, DELIVERED, FAILED, QUEUED
from fhir_discharge.io.outbox.sqlite import SqliteOutbox
from fhir_discharge.io.retry import RetryPolicy, backoff, parse_retry_after
from tests.support.contexts import held_by_server
from tests.support.factories import happy_bundle
from tests.support.site import SITE

BASE = "http://fhir.test/fhir"

TRANSIENT = [
    httpx.Response(503),
    httpx.Response(502),
    httpx.Response(504),
    httpx.Response(408),
    httpx.Response(429),
    httpx.ConnectError("refused"),
    httpx.ReadTimeout("slow"),
    httpx.RemoteProtocolError("dropped"),
]
TRANSIENT_IDS = ["503", "502", "504", "408", "429", "refused", "timeout", "dropped"]
REFUSALS = [400, 401, 403, 404, 409, 412, 422, 500]


class Recorder:
    """A sleep that records the waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


class Server:
    """Stands in for the FHIR server: answers from a script of faults, then normally; counts
    the requests it receives, by method."""

    def __init__(self, faults: list[httpx.Response | Exception] | None = None, always=None):
        self.faults = list(faults or [])
        self.always = always
        self.received: list[str] = []
        self.reads = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path.endswith("/Bundle"):
            # The reads before each post (what the server holds under the letter's document
            # identifier: io/server_identity.py): nothing; the faults are the transaction's.
            self.reads += 1
            return httpx.Response(200, json={"resourceType": "Bundle", "type": "searchset"})
        self.received.append(request.method)
        fault = self.always if self.always is not None else (self.faults or [None]).pop(0)
        if isinstance(fault, Exception):
            raise fault
        if fault is not None:
            return fault
        if request.method == "GET":
            return httpx.Response(200, json={"resourceType": "Encounter", "id": "e1"})
        sent = json.loads(request.content)
        return httpx.Response(
            200,
            json={
                "resourceType": "Bundle",
                "type": "transaction-response",
                "entry": [
                    {
                        "response": {
                            "status": "201 Created",
                            "location": f"{e['request']['url']}/x{i}",
                        }
                    }
                    for i, e in enumerate(sent["entry"])
                ],
            },
        )

    def count(self, method: str) -> int:
        return self.received.count(method)


def discharge(record: dict | None = None):
    # The record as the server holds it: the transaction only, no identity reads before it
    # (those are tests/integration/test_server_identity.py's), so the requests counted are its
    # POSTs.
    return build_discharge(held_by_server(record or happy_bundle()), SITE)


# --- the one backoff -------------------------------------------------------------------------


def test_backoff_is_exponential_with_full_jitter_and_capped():
    rng = random.Random(7)
    for attempt in range(1, 12):
        waits = [backoff(attempt, 1.0, 100.0, rng=rng) for _ in range(200)]
        ceiling = min(100.0, 2 ** (attempt - 1))
        assert all(0 <= w <= ceiling for w in waits)
        assert max(waits) > ceiling / 2  # jitter spans the range, not a fixed delay


def test_backoff_honours_retry_after_capped_at_the_maximum():
    assert backoff(1, 0.001, 300.0, retry_after=7.0) == 7.0
    assert backoff(9, 1.0, 300.0, retry_after=3600.0) == 300.0
    assert backoff(1, 1.0, 300.0, retry_after=-5.0) == 0.0  # an HTTP-date in the past


def test_retry_after_as_seconds_or_http_date():
    now = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Wed, 25 Nov 2026 12:00:05 GMT", now) == 5.0
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("soon") is None


# --- the client: the transaction once, reads retried -------------------------------------------


def client_for(server: Server, retry: RetryPolicy | None = None) -> FhirClient:
    return FhirClient(BASE, transport=httpx.MockTransport(server), retry=retry)


@pytest.mark.parametrize("fault", TRANSIENT, ids=TRANSIENT_IDS)
def test_the_client_posts_the_transaction_once_even_on_a_transient_failure(fault):
    server = Server([fault])

    async def go():
        async with client_for(server, RetryPolicy(sleep=Recorder())) as client:
            with pytest.raises(FhirServerError):
                await client.post_transaction(discharge().bundle)

    asyncio.run(go())
    assert server.received == ["POST"]


def test_a_transient_refusal_carries_the_servers_retry_after():
    server = Server([httpx.Response(503, headers={"Retry-After": "12"})])

    async def go():
        async with client_for(server) as client:
            with pytest.raises(FhirServerError) as failure:
                await client.post_transaction(discharge().bundle)
        return failure.value

    error = asyncio.run(go())
    assert (error.server_status, error.retry_after) == (503, 12.0)


def read_with(server: Server, **policy):
    sleep = Recorder()
    retry = RetryPolicy(rng=random.Random(7), sleep=sleep, **policy)

    async def go():
        async with client_for(server, retry) as client:
            try:
                return await client.read("Encounter", "e1")
            except FhirServerError as error:
                return error

    return asyncio.run(go()), sleep.waits


@pytest.mark.parametrize("fault", TRANSIENT, ids=TRANSIENT_IDS)
def test_reads_are_retried_on_transient_failures_until_success(fault):
    server = Server([fault, fault])
    found, waits = read_with(server)
    assert found == {"resourceType": "Encounter", "id": "e1"}
    assert server.count("GET") == 3 and len(waits) == 2


@pytest.mark.parametrize("status", [400, 401, 403, 409, 412, 422, 500])
def test_reads_are_not_retried_on_other_errors(status):
    server = Server(always=httpx.Response(status))
    error, waits = read_with(server)
    assert isinstance(error, FhirServerError)
    assert (server.count("GET"), waits) == (1, [])


def test_read_retries_back_off_and_give_up_after_the_attempts():
    server = Server(always=httpx.Response(503))
    error, waits = read_with(server, attempts=5, base_delay=1.0, max_delay=100.0, total_seconds=1e3)
    assert isinstance(error, FhirServerError) and error.server_status == 503
    assert server.count("GET") == 5
    assert len(waits) == 4
    assert all(0 <= wait <= 2 ** (n - 1) for n, wait in enumerate(waits, start=1))


def test_read_retries_honour_retry_after():
    server = Server([httpx.Response(429, headers={"Retry-After": "3"})])
    found, waits = read_with(server, max_delay=10)
    assert not isinstance(found, Exception)
    assert waits == [3.0]


def test_read_retries_are_bounded_in_time():
    server = Server(always=httpx.Response(503, headers={"Retry-After": "5"}))
    error, waits = read_with(server, attempts=100, base_delay=10, max_delay=10, total_seconds=0)
    assert isinstance(error, FhirServerError)
    assert (server.count("GET"), waits) == (1, [])


# --- the outbox: the one retry layer of the transaction ----------------------------------------


def deliver(server: Server, tmp_path, wait: float = 20, **deliverer_options):
    """The use case as the routes and the CLI run it; the item as it ends, and the outbox's
    next due time right after."""

    async def go():
        box = SqliteOutbox(tmp_path / "outbox.sqlite3")
        client = client_for(server)
        deliverer = Deliverer(
            box,
            client,
            rng=random.Random(7),
            **deliverer_options,
            canonical_base=SITE.canonical_base,
        )
        await deliverer.start()
        try:
            item = await accept_and_deliver(deliverer, discharge(), wait)
            return item, box.next_due()
        finally:
            await deliverer.stop()
            await client.aclose()
            box.close()

    return asyncio.run(go())


@pytest.mark.parametrize("fault", TRANSIENT, ids=TRANSIENT_IDS)
def test_a_dead_letter_costs_exactly_max_attempts_posts(fault, tmp_path):
    server = Server(always=fault)
    item, _ = deliver(server, tmp_path, max_attempts=4, base_delay=0.001, max_delay=0.01)
    assert (item.state, item.attempts) == (DEAD, 4)
    assert server.received == ["POST"] * 4
    assert item.outcome is not None and item.outcome["resourceType"] == "OperationOutcome"


@pytest.mark.parametrize("status", REFUSALS)
def test_a_refused_transaction_costs_exactly_one_post(status, tmp_path):
    outcome = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "x"}]}
    server = Server(always=httpx.Response(status, json=outcome))
    item, _ = deliver(server, tmp_path, max_attempts=4, base_delay=0.001)
    assert (item.state, item.attempts) == (FAILED, 1)
    assert server.received == ["POST"]


def test_a_transient_failure_is_retried_by_the_outbox_until_it_lands(tmp_path):
    server = Server([httpx.Response(503), httpx.ConnectError("refused")])
    item, _ = deliver(server, tmp_path, max_attempts=4, base_delay=0.001)
    assert (item.state, item.attempts) == (DELIVERED, 3)
    assert server.received == ["POST"] * 3


@pytest.mark.parametrize(("asked", "max_delay", "waited"), [("2", 300.0, 2.0), ("3600", 1.5, 1.5)])
def test_the_outbox_waits_what_retry_after_asks_capped(asked, max_delay, waited, tmp_path):
    server = Server([httpx.Response(429, headers={"Retry-After": asked})])
    before = time.time()
    item, due = deliver(server, tmp_path, wait=0.3, base_delay=0.001, max_delay=max_delay)
    after = time.time()
    assert item.state == QUEUED  # not yet: the server asked for time
    # The 429 came between `before` and `after` (building the discharge takes a while on a busy
    # machine): the item is due `waited` seconds after it, no sooner, no later.
    assert due is not None and before + waited - 0.1 <= due <= after + waited + 0.1
    assert server.received == ["POST"]
