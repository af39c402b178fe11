"""Crash and fault tests with real processes: nothing accepted is lost, nothing is duplicated.

The service is killed with SIGKILL (no shutdown code runs) before and during delivery; the FHIR
server is down at accept time; a proxy cuts the connection after the request was sent; the
answer to a delivered transaction is lost and the outbox retries. Every time, each accepted
discharge ends up on the server exactly once, counted by identifier.
"""

from __future__ import annotations

import asyncio
import uuid
from urllib.parse import parse_qsl

import httpx
import pytest

from devtools.sandbox import free_port, start_sandbox
from fhir_discharge import build_discharge
from fhir_discharge.io.delivery import Deliverer
from fhir_discharge.io.discharging import accept_and_deliver, where_landed
from fhir_discharge.io.fhir_client import FhirClient
from fhir_discharge.io.outbox import DELIVERED
from fhir_discharge.io.outbox.sqlite import SqliteOutbox
from tests.support.contexts import held_by_server
from tests.support.deliveries import (
    FHIR_JSON,
    NEW_RESOURCES,
    QUICK,
    assert_exactly_once,
    derived_letter,
    post,
    records,
    wait_delivered,
)
from tests.support.factories import fresh_record
from tests.support.proxy import FaultyProxy
from tests.support.seeding import seed_async
from tests.support.servers import start_service
from tests.support.site import SITE

pytestmark = pytest.mark.slow


def test_fhir_server_down_at_accept_time_delivers_when_it_comes_up(tmp_path):
    port = free_port()
    service = start_service(f"http://127.0.0.1:{port}/fhir", tmp_path, **QUICK)
    sandbox = None
    try:
        recs = records(3)
        answers = [post(service.url, r) for r in recs]
        assert [a.status_code for a in answers] == [202, 202, 202]
        sandbox = start_sandbox(port=port)
        wait_delivered(service.url, [a.headers["content-location"] for a in answers])
        assert_exactly_once(sandbox.base_url, recs)
    finally:
        service.stop()
        if sandbox:
            sandbox.stop()


def test_killed_between_accept_and_delivery_then_restarted_delivers_everything_once(tmp_path):
    port = free_port()
    service = start_service(f"http://127.0.0.1:{port}/fhir", tmp_path, **QUICK)
    recs = records(5)
    answers = [post(service.url, r) for r in recs]
    assert {a.status_code for a in answers} == {202}
    service.kill()
    sandbox = start_sandbox(port=port)
    restarted = start_service(sandbox.base_url, tmp_path, **QUICK)  # same outbox file
    try:
        wait_delivered(restarted.url, [a.headers["content-location"] for a in answers])
        assert_exactly_once(sandbox.base_url, recs)
    finally:
        restarted.stop()
        sandbox.stop()


def test_killed_during_delivery_then_restarted_delivers_once(tmp_path):
    sandbox = start_sandbox()
    proxy = FaultyProxy(sandbox.port, "hold", hold_seconds=60).start()
    service = start_service(f"http://127.0.0.1:{proxy.port}/fhir", tmp_path, **QUICK)
    restarted = None
    try:
        (rec,) = records(1)
        answer = post(service.url, rec)
        assert answer.status_code == 202
        assert proxy.landed.wait(30), "the transaction never reached the server"
        service.kill()  # the server has the resources; the service never heard so
        restarted = start_service(sandbox.base_url, tmp_path, **QUICK)
        (delivered,) = wait_delivered(restarted.url, [answer.headers["content-location"]])
        statuses = [
            part["valueCode"]
            for p in delivered["parameter"]
            for part in p.get("part", [])
            if part["name"] == "status"
        ]
        # found by the redelivery, not made again
        # (and the Provenance and the service's Device, found by their own conditions)
        assert statuses == ["existing"] * (NEW_RESOURCES + 2)
        assert_exactly_once(sandbox.base_url, [rec])
    finally:
        if restarted:
            restarted.stop()
        service.stop()
        proxy.stop()
        sandbox.stop()


def test_a_connection_cut_after_the_request_was_sent_duplicates_nothing(tmp_path):
    sandbox = start_sandbox()
    proxy = FaultyProxy(sandbox.port, "cut", times=1).start()
    service = start_service(f"http://127.0.0.1:{proxy.port}/fhir", tmp_path, **QUICK)
    try:
        (rec,) = records(1)
        answer = post(service.url, rec)
        if answer.status_code == 202:
            wait_delivered(service.url, [answer.headers["content-location"]])
        else:
            assert answer.status_code == 200  # the retry found what the lost attempt made
        assert proxy.cut == 1
        assert_exactly_once(sandbox.base_url, [rec])
    finally:
        service.stop()
        proxy.stop()
        sandbox.stop()


def test_fifty_concurrent_discharges_and_ten_repeats_make_exactly_51_letters(
    fhir_base_url, tmp_path
):
    recs = records(51)
    requests = [*recs[:50], *[recs[50]] * 10]  # 50 encounters, and one more sent 10 times

    async def run() -> list[httpx.Response]:
        await seed_async(fhir_base_url, [e["resource"] for r in recs for e in r["entry"]])
        async with httpx.AsyncClient(timeout=120) as http:
            return await asyncio.gather(
                *(
                    http.post(f"{service.url}/Encounter/$lbp-discharge", json=r, headers=FHIR_JSON)
                    for r in requests
                )
            )

    service = start_service(fhir_base_url, tmp_path, sync_wait_seconds="30")
    try:
        answers = asyncio.run(run())
        assert len(answers) == 60
        assert {a.status_code for a in answers} <= {200, 201, 202}
        wait_delivered(service.url, sorted({a.headers["content-location"] for a in answers}))
        counts = assert_exactly_once(fhir_base_url, recs)
        letters = {derived_letter(r) for r in recs}  # built once, not once per key
        assert len(letters & counts.keys()) == 51
    finally:
        service.stop()


class LoseFirstAnswer(httpx.AsyncBaseTransport):
    """The first transaction reaches the real server and lands; its answer is then lost."""

    def __init__(self) -> None:
        self.real = httpx.AsyncHTTPTransport()
        self.lost = 0
        self.posts = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.real.handle_async_request(request)
        if request.method == "POST":
            self.posts += 1
            if self.lost == 0:
                await response.aread()
                self.lost += 1
                raise httpx.ReadError(
                    "connection reset after the request was sent", request=request
                )
        return response

    async def aclose(self) -> None:
        await self.real.aclose()


def test_a_retry_after_a_lost_answer_finds_what_landed_and_duplicates_nothing(
    fhir_base_url, tmp_path
):
    record = fresh_record(uuid.uuid4().hex[:10])
    # The record as the server holds it: no identity reads before the transaction.
    built = build_discharge(held_by_server(record), SITE)
    transport = LoseFirstAnswer()

    async def go():
        await seed_async(fhir_base_url, [e["resource"] for e in record["entry"]])
        box = SqliteOutbox(tmp_path / "outbox.sqlite3")
        client = FhirClient(fhir_base_url, transport=transport)
        deliverer = Deliverer(box, client, base_delay=0.01, canonical_base=SITE.canonical_base)
        await deliverer.start()
        try:
            return await accept_and_deliver(deliverer, built, 30)
        finally:
            await deliverer.stop()
            await client.aclose()
            box.close()

    item = asyncio.run(go())
    assert (transport.lost, transport.posts) == (1, 2)  # the outbox's retry, one POST each
    assert (item.state, item.attempts) == (DELIVERED, 2)
    landed = where_landed(item)
    assert landed is not None
    assert [x.created for x in landed] == [False] * len(built.bundle["entry"])  # found: "200 OK"
    for entry in built.bundle["entry"]:
        # each by the search of its own conditional create (the Provenance by its tag)
        found = httpx.get(
            f"{fhir_base_url}/{entry['resource']['resourceType']}",
            params=dict(parse_qsl(entry["request"]["ifNoneExist"])),
        ).json()
        assert len(found.get("entry", [])) == 1
