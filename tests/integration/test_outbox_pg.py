"""The PostgreSQL outbox with several replicas: claims never overlap, and two real service
processes sharing one outbox deliver every discharge to the FHIR server exactly once.

(Its single-process behaviour, the same as SQLite's, is tested in
tests/integration/test_outbox.py.)"""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

pytest.importorskip("psycopg", reason="the [postgres] extra (psycopg) is not installed")

from devtools.sandbox import start_sandbox
from fhir_discharge.config import Settings
from fhir_discharge.io.discharging import open_outbox
from fhir_discharge.io.outbox import DELIVERING, QUEUED
from fhir_discharge.io.outbox.postgres import PostgresOutbox
from tests.support.deliveries import (
    NEW_RESOURCES,
    QUICK,
    assert_exactly_once,
    copies_on_server,
    post,
    records,
)
from tests.support.deliveries import wait_delivered as wait_delivered_on
from tests.support.postgres import fresh_database
from tests.support.servers import start_service

T0 = 1_000_000.0


def test_open_outbox_picks_postgres_when_outbox_url_is_set(postgres_url, tmp_path):
    box = open_outbox(
        Settings(outbox_url=fresh_database(postgres_url), outbox_path=str(tmp_path / "x.db"))
    )
    try:
        assert isinstance(box, PostgresOutbox)
        assert not (tmp_path / "x.db").exists()
    finally:
        box.close()


def test_replicas_starting_together_create_the_schema_once(postgres_url):
    url = fresh_database(postgres_url)
    start = threading.Barrier(4)
    boxes: list[PostgresOutbox] = []
    errors: list[BaseException] = []

    def open_one() -> None:
        start.wait()
        try:
            boxes.append(PostgresOutbox(url))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == []
        boxes[0].accept("a", "Encounter/a", {}, (), T0)
        assert boxes[3].get("a") is not None
    finally:
        for box in boxes:
            box.close()


def test_two_concurrent_claimers_never_claim_the_same_item(postgres_url):
    url = fresh_database(postgres_url)
    setup = PostgresOutbox(url)
    ids = {f"item-{i:03d}" for i in range(200)}
    for n, item_id in enumerate(sorted(ids)):
        setup.accept(item_id, f"Encounter/{item_id}", {"n": n}, (), T0 + n / 1000)
    replicas = [PostgresOutbox(url), PostgresOutbox(url)]  # two replicas: two connections
    claimed: list[list[str]] = [[], []]
    start = threading.Barrier(2)

    def claim(replica: int) -> None:
        box = replicas[replica]
        start.wait()
        empty = 0
        while empty < 3:  # an empty claim may mean the other holds the last rows: look again
            items = box.claim_due(T0 + 1, 300.0, 3)
            empty = 0 if items else empty + 1
            claimed[replica].extend(item.id for item in items)

    try:
        threads = [threading.Thread(target=claim, args=(r,)) for r in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        first, second = set(claimed[0]), set(claimed[1])
        assert len(first) == len(claimed[0]) and len(second) == len(claimed[1])  # not twice
        assert first & second == set()  # claimed by both: none
        assert first | second == ids  # every item claimed
        assert first and second, "one replica claimed everything: no concurrency was tested"
        assert setup.counts()[DELIVERING] == 200 and setup.counts()[QUEUED] == 0
        assert {setup.get(i).attempts for i in ids} == {1}  # type: ignore[union-attr]
    finally:
        for box in (setup, *replicas):
            box.close()


def test_a_replica_starting_leaves_another_replicas_items_in_flight(postgres_url):
    url = fresh_database(postgres_url)
    running, starting = PostgresOutbox(url), PostgresOutbox(url)
    try:
        running.accept("a", "Encounter/a", {}, (), T0)
        assert [x.id for x in running.claim_due(T0, 300.0, 10)] == ["a"]
        assert starting.release_leases(T0 + 1) == 0
        assert starting.claim_due(T0 + 1, 300.0, 10) == []
        assert running.get("a").state == DELIVERING  # type: ignore[union-attr]
    finally:
        running.close()
        starting.close()


def delivered_in_log(log_text: str) -> list[str]:
    """The outbox item ids this replica's log says it delivered."""
    return re.findall(r"outbox: (\S+) for \S+ delivered:", log_text)


@pytest.mark.slow
def test_two_service_replicas_sharing_a_postgres_outbox_deliver_each_discharge_once(
    postgres_url, tmp_path
):
    url = fresh_database(postgres_url)
    sandbox = start_sandbox()
    replicas = []
    try:
        for name in ("a", "b"):
            workdir = tmp_path / name
            workdir.mkdir()
            replicas.append(start_service(sandbox.base_url, workdir, outbox_url=url, **QUICK))
        recs = records(30)
        # Alternately to the two replicas, ten at a time.
        with ThreadPoolExecutor(10) as pool:
            answers = list(pool.map(lambda i: post(replicas[i % 2].url, recs[i]), range(len(recs))))
        assert {a.status_code for a in answers} <= {200, 201, 202}, [a.text for a in answers]
        status_urls = [a.headers["content-location"] for a in answers]
        assert len(set(status_urls)) == 30
        # Each replica answers for every discharge, whichever replica accepted it.
        wait_delivered_on(replicas[1].url, status_urls)
        wait_delivered_on(replicas[0].url, status_urls)
        assert_exactly_once(sandbox.base_url, recs)
        assert sum(copies_on_server(sandbox.base_url, recs).values()) == NEW_RESOURCES * 30
        # And no discharge was delivered by both replicas.
        logs = [delivered_in_log(r.log_path.read_text(encoding="utf-8")) for r in replicas]
        ids = {url.rsplit("/", 1)[1] for url in status_urls}
        assert sorted(logs[0] + logs[1]) == sorted(ids)
        assert set(logs[0]) & set(logs[1]) == set()
    finally:
        for replica in replicas:
            replica.stop()
        sandbox.stop()
