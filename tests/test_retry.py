"""Retries: which failures are retried, how long we wait, and that a retry never duplicates."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, datetime

import httpx
import pytest

from fhir_discharge import FhirServerError, build_discharge, context_from_bundle
from fhir_discharge.io.fhir_client import FhirClient
from fhir_discharge.io.retry import RetryPolicy, parse_retry_after
from tests.support.factories import fresh_record, happy_bundle

BASE = "http://fhir.test/fhir"


class Recorder:
    """A sleep that records the waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def policy(**kwargs) -> tuple[RetryPolicy, Recorder]:
    sleep = Recorder()
    return RetryPolicy(rng=random.Random(7), sleep=sleep, **kwargs), sleep


def transaction_answer(request: httpx.Request) -> httpx.Response:
    import json

    sent = json.loads(request.content)
    return httpx.Response(
        200,
        json={
            "resourceType": "Bundle",
            "type": "transaction-response",
            "entry": [
                {"response": {"status": "201 Created", "location": f"{e['request']['url']}/x{i}"}}
                for i, e in enumerate(sent["entry"])
            ],
        },
    )


def run(handler, retry: RetryPolicy):
    bundle = build_discharge(context_from_bundle(happy_bundle())).bundle

    async def go():
        async with FhirClient(BASE, transport=httpx.MockTransport(handler), retry=retry) as c:
            try:
                return await c.post_transaction(bundle), c.attempts_made
            except FhirServerError as error:
                return error, c.attempts_made

    return asyncio.run(go())


def failing_then_ok(failures):
    calls = iter(failures)

    def handler(request):
        fault = next(calls, None)
        if fault is None:
            return transaction_answer(request)
        if isinstance(fault, Exception):
            raise fault
        return fault

    return handler


@pytest.mark.parametrize(
    "fault",
    [
        httpx.Response(503),
        httpx.Response(502),
        httpx.Response(504),
        httpx.Response(408),
        httpx.Response(429),
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("dropped"),
    ],
    ids=["503", "502", "504", "408", "429", "refused", "timeout", "dropped"],
)
def test_transient_failures_are_retried_until_success(fault):
    retry, sleep = policy()
    landed, attempts = run(failing_then_ok([fault, fault]), retry)
    assert not isinstance(landed, Exception)
    assert attempts == 3
    assert len(sleep.waits) == 2


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 412, 422, 500])
def test_other_errors_are_not_retried(status):
    retry, sleep = policy()
    error, attempts = run(lambda r: httpx.Response(status), retry)
    assert isinstance(error, FhirServerError)
    assert (attempts, sleep.waits) == (1, [])


def test_backoff_grows_exponentially_with_full_jitter_and_gives_up_after_the_attempts():
    retry, sleep = policy(attempts=5, base_delay=1.0, max_delay=100.0, total_seconds=1000)
    error, attempts = run(lambda r: httpx.Response(503), retry)
    assert isinstance(error, FhirServerError) and error.server_status == 503
    assert attempts == 5
    assert len(sleep.waits) == 4
    for n, wait in enumerate(sleep.waits, start=1):
        assert 0 <= wait <= 2 ** (n - 1)


def test_retry_after_is_honoured():
    retry, sleep = policy(max_delay=10)
    landed, _ = run(failing_then_ok([httpx.Response(429, headers={"Retry-After": "3"})]), retry)
    assert not isinstance(landed, Exception)
    assert sleep.waits == [3.0]


def test_retry_after_as_http_date():
    now = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Wed, 25 Nov 2026 12:00:05 GMT", now) == 5.0
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("soon") is None


def test_the_total_time_is_bounded():
    retry, sleep = policy(attempts=100, base_delay=10, max_delay=10, total_seconds=0.0)
    error, attempts = run(lambda r: httpx.Response(503, headers={"Retry-After": "5"}), retry)
    assert isinstance(error, FhirServerError)
    assert (attempts, sleep.waits) == (1, [])


class LoseFirstAnswer(httpx.AsyncBaseTransport):
    """The first transaction reaches the real server and lands; its answer is then lost."""

    def __init__(self) -> None:
        self.real = httpx.AsyncHTTPTransport()
        self.lost = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.real.handle_async_request(request)
        if request.method == "POST" and self.lost == 0:
            await response.aread()
            self.lost += 1
            raise httpx.ReadError("connection reset after the request was sent", request=request)
        return response

    async def aclose(self) -> None:
        await self.real.aclose()


@pytest.mark.integration
def test_a_retry_after_a_lost_answer_finds_what_landed_and_duplicates_nothing(fhir_base_url):
    record = fresh_record(uuid.uuid4().hex[:10])
    bundle = build_discharge(context_from_bundle(record)).bundle
    transport = LoseFirstAnswer()
    retry, sleep = policy()

    async def go():
        async with FhirClient(fhir_base_url) as seeder:
            await seeder.upsert([e["resource"] for e in record["entry"]])
        async with FhirClient(fhir_base_url, transport=transport, retry=retry) as client:
            return await client.post_transaction(bundle)

    landed = asyncio.run(go())
    assert transport.lost == 1 and len(sleep.waits) == 1
    assert [x.created for x in landed] == [False] * len(
        bundle["entry"]
    )  # the retry found them: "200 OK"
    for entry in bundle["entry"]:
        identifier = entry["resource"]["identifier"]
        identifier = identifier if isinstance(identifier, dict) else identifier[0]
        found = httpx.get(
            f"{fhir_base_url}/{entry['resource']['resourceType']}",
            params={"identifier": f"{identifier['system']}|{identifier['value']}"},
        ).json()
        assert len(found.get("entry", [])) == 1
