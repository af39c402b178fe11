"""The durable outbox's behaviour, the same for both backends: SQLite (one service process) and
PostgreSQL (several replicas; a real server, see tests/support/postgres.py)."""

from __future__ import annotations

import logging
import sqlite3
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from fhir_discharge.config import Settings
from fhir_discharge.core.dead_letter import failure_reason
from fhir_discharge.io.discharging import open_outbox
from fhir_discharge.io.outbox import (
    DEAD,
    DELIVERED,
    DELIVERING,
    FAILED,
    QUEUED,
    STATES,
    NewAlert,
    Outbox,
    OutboxItem,
    WrittenLetter,
    changed_at_rest_outcome,
)
from fhir_discharge.io.outbox.sqlite import SqliteOutbox
from tests.support.outbox_items import (
    LEASE,
    T0,
    bundle,
    claim_accept,
    delivered,
    patient_bundle,
)
from tests.support.postgres import fresh_database

OUTCOME = {
    "resourceType": "OperationOutcome",
    "issue": [{"severity": "error", "code": "transient", "diagnostics": "503"}],
}


@pytest.fixture(params=["sqlite", "postgres"])
def outbox(request: pytest.FixtureRequest, tmp_path) -> Iterator[Outbox]:
    if request.param == "sqlite":
        box = open_outbox(Settings(outbox_path=str(tmp_path / "outbox.sqlite3")))
    else:
        url = fresh_database(request.getfixturevalue("postgres_url"))
        box = open_outbox(Settings(outbox_url=url))
        assert type(box).__name__ == "PostgresOutbox"
    try:
        yield box
    finally:
        box.close()


def accept(box: Outbox, item_id: str, at: float = T0, n: int = 1):
    return box.accept(item_id, f"Encounter/{item_id}", bundle(n), ("w1", "w2"), at)


def test_accept_records_a_queued_item(outbox):
    item = accept(outbox, "a")
    assert item.id == "a"
    assert item.encounter == "Encounter/a"
    assert item.bundle == bundle()
    assert item.warnings == ("w1", "w2")
    assert (item.state, item.attempts, item.result, item.outcome) == (QUEUED, 0, None, None)
    assert outbox.get("a") == item
    assert outbox.get("nothing") is None
    assert outbox.next_due() == T0


def test_a_repeated_accept_joins_the_item_with_the_new_bundle(outbox):
    accept(outbox, "a", n=1)
    outbox.claim_due(T0, LEASE, 10)
    outbox.requeue("a", OUTCOME, T0 + 100, T0)
    again = accept(outbox, "a", at=T0 + 1, n=2)
    assert again.bundle == bundle(2)
    assert (again.state, again.attempts) == (QUEUED, 0)
    assert outbox.counts()[QUEUED] == 1
    assert sum(outbox.counts().values()) == 1
    assert outbox.next_due() == T0 + 1  # due now, not at the retry time


def test_a_repeated_accept_leaves_an_item_in_flight_alone(outbox):
    accept(outbox, "a", n=1)
    outbox.claim_due(T0, LEASE, 10)
    again = accept(outbox, "a", at=T0 + 1, n=2)
    assert (again.state, again.attempts, again.bundle) == (DELIVERING, 1, bundle(1))


def test_a_repeated_accept_of_a_delivered_item_queues_it_again(outbox):
    accept(outbox, "a")
    outbox.claim_due(T0, LEASE, 10)
    outbox.mark_delivered("a", [{"reference": "Basic/1", "created": True}], T0)
    again = accept(outbox, "a", at=T0 + 5)
    assert (again.state, again.attempts) == (QUEUED, 0)
    assert [x.id for x in outbox.claim_due(T0 + 5, LEASE, 10)] == ["a"]


def test_claim_takes_due_items_oldest_first_up_to_the_limit(outbox):
    for i, at in enumerate([T0 + 3, T0 + 1, T0 + 2, T0 + 50]):
        accept(outbox, f"i{i}", at=at)
    first = outbox.claim_due(T0 + 10, LEASE, 2)
    assert sorted(x.id for x in first) == ["i1", "i2"]
    assert {(x.state, x.attempts) for x in first} == {(DELIVERING, 1)}
    assert outbox.get("i1").state == DELIVERING  # type: ignore[union-attr]
    assert [x.id for x in outbox.claim_due(T0 + 10, LEASE, 10)] == ["i0"]
    assert outbox.claim_due(T0 + 10, LEASE, 10) == []  # i3 is not due yet
    assert outbox.counts()[DELIVERING] == 3
    assert [x.id for x in outbox.claim_due(T0 + 50, LEASE, 10)] == ["i3"]


def test_an_expired_lease_is_claimed_again(outbox):
    accept(outbox, "a")
    outbox.claim_due(T0, LEASE, 10)
    assert outbox.claim_due(T0 + LEASE - 1, LEASE, 10) == []  # still leased
    assert outbox.next_due() == T0 + LEASE
    (again,) = outbox.claim_due(T0 + LEASE + 1, LEASE, 10)
    assert (again.id, again.state, again.attempts) == ("a", DELIVERING, 2)
    assert outbox.next_due() == T0 + 2 * LEASE + 1


def test_mark_delivered_keeps_the_result_and_is_final(outbox):
    accept(outbox, "a")
    outbox.claim_due(T0, LEASE, 10)
    result = [{"reference": "Composition/1", "created": True, "role": "letter"}]
    outbox.mark_delivered("a", result, T0 + 1)
    item = outbox.get("a")
    assert item is not None
    assert (item.state, item.result, item.attempts) == (DELIVERED, result, 1)
    assert outbox.claim_due(T0 + 10 * LEASE, LEASE, 10) == []
    assert outbox.next_due() is None


def test_mark_failed_and_dead_keep_the_outcome(outbox):
    accept(outbox, "f")
    accept(outbox, "d")
    outbox.claim_due(T0, LEASE, 10)
    outbox.mark_failed("f", FAILED, OUTCOME, T0)
    outbox.mark_failed("d", DEAD, OUTCOME, T0)
    for item_id, state in (("f", FAILED), ("d", DEAD)):
        item = outbox.get(item_id)
        assert item is not None
        assert (item.state, item.outcome, item.result) == (state, OUTCOME, None)
    assert outbox.claim_due(T0 + 10 * LEASE, LEASE, 10) == []


def test_requeue_waits_until_the_retry_time(outbox):
    accept(outbox, "a")
    outbox.claim_due(T0, LEASE, 10)
    outbox.requeue("a", OUTCOME, T0 + 30, T0)
    item = outbox.get("a")
    assert item is not None
    assert (item.state, item.outcome, item.attempts) == (QUEUED, OUTCOME, 1)
    assert outbox.next_due() == T0 + 30
    assert outbox.claim_due(T0 + 29, LEASE, 10) == []
    (again,) = outbox.claim_due(T0 + 30, LEASE, 10)
    assert again.attempts == 2


def test_redrive_queues_failed_and_dead_items_only(outbox):
    for item_id in ("f", "d", "q", "x"):
        accept(outbox, item_id)
    outbox.claim_due(T0, LEASE, 10)
    outbox.mark_failed("f", FAILED, OUTCOME, T0)
    outbox.mark_failed("d", DEAD, OUTCOME, T0)
    outbox.requeue("q", OUTCOME, T0 + 1000, T0)
    assert outbox.redrive("f", T0 + 1) is True
    assert outbox.redrive("d", T0 + 1) is True
    assert outbox.redrive("q", T0 + 1) is False  # queued: nothing to re-drive
    assert outbox.redrive("x", T0 + 1) is False  # delivering
    assert outbox.redrive("nothing", T0 + 1) is False
    for item_id in ("f", "d"):
        item = outbox.get(item_id)
        assert item is not None
        assert (item.state, item.attempts) == (QUEUED, 0)
    assert sorted(x.id for x in outbox.claim_due(T0 + 1, LEASE, 10)) == ["d", "f"]


def test_counts_every_state(outbox):
    assert outbox.counts() == dict.fromkeys(STATES, 0)
    for item_id in ("q", "l", "v", "f", "d"):
        accept(outbox, item_id, at=T0 if item_id != "q" else T0 + 100)
    outbox.claim_due(T0, LEASE, 10)
    outbox.mark_delivered("v", [], T0)
    outbox.mark_failed("f", FAILED, OUTCOME, T0)
    outbox.mark_failed("d", DEAD, OUTCOME, T0)
    assert outbox.counts() == {QUEUED: 1, DELIVERING: 1, DELIVERED: 1, FAILED: 1, DEAD: 1}
    assert outbox.get("v").result == []  # type: ignore[union-attr]


def test_release_leases_at_start_up(outbox):
    """SQLite (one process per outbox): a lease found at start-up is a dead process's, and goes
    back to the queue. PostgreSQL (shared by replicas): it may be a live replica's, so it is
    left; claim_due takes it again once it has run out."""
    accept(outbox, "a")
    outbox.claim_due(T0, LEASE, 10)
    released = outbox.release_leases(T0 + 1)
    if isinstance(outbox, SqliteOutbox):
        assert released == 1
        assert outbox.get("a").state == QUEUED  # type: ignore[union-attr]
    else:
        assert released == 0
        assert outbox.get("a").state == DELIVERING  # type: ignore[union-attr]
        assert outbox.claim_due(T0 + 1, LEASE, 10) == []
        assert [x.id for x in outbox.claim_due(T0 + LEASE + 1, LEASE, 10)] == ["a"]


def test_accept_with_claim_records_the_item_delivering_and_leased(outbox):
    item = claim_accept(outbox, "a")
    assert item.claimed is True
    assert (item.state, item.attempts, item.bundle, item.warnings) == (
        DELIVERING,
        1,
        bundle(),
        ("w1",),
    )
    stored = outbox.get("a")
    assert stored == item  # as claim_due would have left it
    assert stored is not None and stored.claimed is False  # `claimed` is not stored
    assert outbox.counts()[DELIVERING] == 1
    assert outbox.claim_due(T0 + LEASE - 1, LEASE, 10) == []  # leased to us: nobody takes it
    assert outbox.next_due() == T0 + LEASE


def test_an_item_claimed_at_accept_by_a_dead_deliverer_is_claimed_again(outbox):
    """The crash case for either backend: the process that claimed at accept died before
    finishing. SQLite requeues at start-up; PostgreSQL (and SQLite too) take it once the lease
    ran out."""
    claim_accept(outbox, "a")
    (again,) = outbox.claim_due(T0 + LEASE + 1, LEASE, 10)
    assert (again.id, again.attempts, again.claimed) == ("a", 2, False)
    outbox.mark_delivered("a", [{"reference": "Basic/1", "created": False}], T0 + LEASE + 2)
    assert outbox.get("a").state == DELIVERED  # type: ignore[union-attr]


def test_accept_with_claim_of_an_item_in_flight_does_not_claim_it(outbox):
    first = claim_accept(outbox, "a", n=1)
    again = claim_accept(outbox, "a", at=T0 + 1, n=2)
    assert again.claimed is False  # the first caller delivers it; this one waits
    assert (again.state, again.attempts, again.bundle) == (DELIVERING, 1, bundle(1))
    assert outbox.get("a") == first


def test_accept_with_claim_of_a_delivered_or_requeued_item_claims_it_again(outbox):
    claim_accept(outbox, "a")
    outbox.mark_delivered("a", [{"reference": "Basic/1", "created": True}], T0)
    again = claim_accept(outbox, "a", at=T0 + 5, n=2)
    assert (again.claimed, again.state, again.attempts, again.bundle) == (
        True,
        DELIVERING,
        1,
        bundle(2),
    )
    outbox.requeue("a", OUTCOME, T0 + 100, T0 + 6)
    third = claim_accept(outbox, "a", at=T0 + 7)
    assert (third.claimed, third.state, third.attempts, third.outcome) == (
        True,
        DELIVERING,
        1,
        OUTCOME,  # the last failure is kept until it lands
    )
    assert outbox.claim_due(T0 + 50, LEASE, 10) == []  # not also taken by the loop


def test_mark_delivered_after_accept_with_claim_is_final(outbox):
    claim_accept(outbox, "a")
    result = [{"reference": "Composition/1", "created": True}]
    outbox.mark_delivered("a", result, T0 + 1)
    item = outbox.get("a")
    assert item is not None
    assert (item.state, item.result, item.outcome) == (DELIVERED, result, None)
    assert outbox.next_due() is None
    # the delivered mark's cheaper commit leaves later commits fsynced as before
    if isinstance(outbox, SqliteOutbox):
        assert outbox._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_mark_failed_records_only_a_final_failure(outbox):
    accept(outbox, "a")
    outbox.claim_due(T0, LEASE, 10)
    with pytest.raises(ValueError, match="failed or dead"):
        outbox.mark_failed("a", QUEUED, OUTCOME, T0)
    assert outbox.get("a").state == DELIVERING  # type: ignore[union-attr]


# --- at rest: what is kept, for how long, and who may read the file (issue 18) ---------------


def test_a_delivered_payload_is_purged_after_the_retention_its_state_and_ids_kept(outbox):
    delivered(outbox, "old", T0)
    delivered(outbox, "new", T0 + 100)
    accept(outbox, "queued")  # not delivered: kept whole whatever its age
    outbox.accept("failed", "Encounter/failed", patient_bundle(), (), T0)
    outbox.claim_due(T0, LEASE, 10)
    outbox.mark_failed("failed", FAILED, OUTCOME, T0)
    assert outbox.purge_delivered(T0 + 50, T0 + 200) == 1
    old = outbox.get("old")
    assert old is not None
    assert (old.state, old.encounter, old.attempts) == (DELIVERED, "Encounter/old", 1)
    assert old.result == [{"reference": "Composition/old", "created": True}]
    assert old.bundle == {} and old.warnings == ()
    assert outbox.get("new").bundle == patient_bundle()  # type: ignore[union-attr]
    assert outbox.get("queued").bundle == bundle(1)  # type: ignore[union-attr]
    assert outbox.get("failed").bundle == patient_bundle()  # type: ignore[union-attr]
    assert outbox.purge_delivered(T0 + 50, T0 + 300) == 0  # purged once
    # A repeat of a purged discharge is accepted with its payload again.
    outbox.accept("old", "Encounter/old", patient_bundle(), ("w",), T0 + 400)
    assert outbox.get("old").bundle == patient_bundle()  # type: ignore[union-attr]


def test_a_letter_recorded_with_its_delivery_is_known_and_never_purged(outbox):
    outbox.accept("a", "Encounter/a", patient_bundle(), (), T0)
    outbox.claim_due(T0, LEASE, 10)
    letter = WrittenLetter("http://fhir.test/fhir", "c1", "1")
    outbox.mark_delivered("a", [], T0, [letter])
    assert outbox.written_letter("http://fhir.test/fhir", "c1") == letter
    assert outbox.written_letter("http://other.test/fhir", "c1") is None  # on another server
    assert outbox.written_letter("http://fhir.test/fhir", "c2") is None
    # Recorded again (a repeat finds it "existing"): what was recorded first stays.
    outbox.mark_delivered("a", [], T0 + 1, [WrittenLetter("http://fhir.test/fhir", "c1", "7")])
    assert outbox.written_letter("http://fhir.test/fhir", "c1") == letter
    assert outbox.purge_delivered(T0 + 10, T0 + 10) == 1
    assert outbox.written_letter("http://fhir.test/fhir", "c1") == letter


def test_the_service_purges_a_delivered_discharge_after_its_retention(fhir_base_url, tmp_path):
    import httpx

    from tests.support.discharges import discharge
    from tests.support.factories import fresh_record
    from tests.support.servers import AUTH, start_service

    retention_days = 2 / 86400  # two seconds, checked twice a second
    service = start_service(fhir_base_url, tmp_path, outbox_retention_days=str(retention_days))
    try:
        record = fresh_record(uuid.uuid4().hex[:10])
        answer = discharge(service.url, "/Encounter/$lbp-discharge", record)
        assert answer.status_code == 201, answer.text
        outbox_files = [p for p in tmp_path.iterdir() if p.name.startswith("outbox.sqlite3")]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            held = b"".join(p.read_bytes() for p in outbox_files if p.exists())
            if b"Janssens" not in held:
                break
            time.sleep(0.5)
        assert b"Janssens" not in held, "the patient's record is still in the outbox"
        # What was delivered, and where, is still answered.
        status = httpx.get(answer.headers["content-location"], headers=AUTH, timeout=30).json()
        parameters = {p["name"]: p for p in status["parameter"]}
        assert parameters["state"]["valueCode"] == "delivered"
        assert "letter" in parameters
        letter = parameters["letter"]["part"][0]["valueReference"]["reference"]
        assert httpx.get(f"{service.url}/{letter}/$document", headers=AUTH).status_code == 200
    finally:
        service.stop()


def test_a_letter_is_recorded_with_its_stored_document(outbox):
    # The stored document's id and version, and the digest of what was attested
    # (core/stored_document.py): what `$document` checks the stored one against.
    outbox.accept("a", "Encounter/a", patient_bundle(), (), T0)
    outbox.claim_due(T0, LEASE, 10)
    letter = WrittenLetter("http://fhir.test/fhir", "c1", "1", "b1", "1", "ab" * 32)
    outbox.mark_delivered("a", [], T0, [letter])
    assert outbox.written_letter("http://fhir.test/fhir", "c1") == letter


def test_an_outbox_file_of_an_earlier_version_gains_the_stored_document_columns(tmp_path):
    # A `written_letter` table as it was before documents were stored, with one letter in it.
    path = tmp_path / "outbox.sqlite3"
    old = sqlite3.connect(str(path))
    old.executescript(
        """
        CREATE TABLE written_letter (
            server TEXT NOT NULL, composition_id TEXT NOT NULL, version TEXT,
            discharge TEXT NOT NULL, recorded_at REAL NOT NULL,
            PRIMARY KEY (server, composition_id));
        INSERT INTO written_letter VALUES ('http://fhir.test/fhir', 'old', '1', 'd0', 0);
        """
    )
    old.close()
    box = SqliteOutbox(path)
    try:
        # the letter written then has no stored document (`$document` assembles one)
        assert box.written_letter("http://fhir.test/fhir", "old") == WrittenLetter(
            "http://fhir.test/fhir", "old", "1"
        )
        box.accept("a", "Encounter/a", patient_bundle(), (), T0)
        box.claim_due(T0, LEASE, 10)
        letter = WrittenLetter("http://fhir.test/fhir", "new", "1", "b1", "1", "cd" * 32)
        box.mark_delivered("a", [], T0, [letter])
        assert box.written_letter("http://fhir.test/fhir", "new") == letter
    finally:
        box.close()


@pytest.mark.integration
def test_a_postgres_outbox_of_an_earlier_version_gains_the_stored_document_columns(postgres_url):
    psycopg = pytest.importorskip("psycopg", reason="the [postgres] extra is not installed")
    url = fresh_database(postgres_url)
    with psycopg.connect(url, autocommit=True) as old:
        old.execute(
            "CREATE TABLE written_letter (server TEXT NOT NULL, composition_id TEXT NOT NULL,"
            " version TEXT, discharge TEXT NOT NULL, recorded_at DOUBLE PRECISION NOT NULL,"
            " PRIMARY KEY (server, composition_id))"
        )
        old.execute(
            "INSERT INTO written_letter VALUES ('http://fhir.test/fhir', 'old', '1', 'd0', 0)"
        )
    box = open_outbox(Settings(outbox_url=url))
    try:
        assert box.written_letter("http://fhir.test/fhir", "old") == WrittenLetter(
            "http://fhir.test/fhir", "old", "1"
        )
        box.accept("a", "Encounter/a", patient_bundle(), (), T0)
        box.claim_due(T0, LEASE, 10)
        letter = WrittenLetter("http://fhir.test/fhir", "new", "1", "b1", "1", "cd" * 32)
        box.mark_delivered("a", [], T0, [letter])
        assert box.written_letter("http://fhir.test/fhir", "new") == letter
    finally:
        box.close()


# --- a payload changed at rest is not delivered (H128) -----------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def at_rest(request: pytest.FixtureRequest, tmp_path) -> Iterator[tuple[Outbox, Any]]:
    """An outbox, and a way to run SQL on its storage from outside the service (someone with
    access to the disk or the database, or a bad restore)."""
    if request.param == "sqlite":
        path = tmp_path / "outbox.sqlite3"
        box: Outbox = SqliteOutbox(path)

        def run(sql: str) -> int:
            with sqlite3.connect(str(path)) as db:
                return db.execute(sql).rowcount

    else:
        psycopg = pytest.importorskip("psycopg", reason="the [postgres] extra is not installed")
        url = fresh_database(request.getfixturevalue("postgres_url"))
        box = open_outbox(Settings(outbox_url=url))

        def run(sql: str) -> int:
            with psycopg.connect(url, autocommit=True) as db:
                return db.execute(sql).rowcount

    try:
        yield box, run
    finally:
        box.close()


# The same change in either backend: the bundle's text (SQLite) or JSONB (PostgreSQL).
CHANGE_BUNDLE = {
    "sqlite": "UPDATE discharge SET bundle = replace(bundle, 'Basic', 'Other') WHERE id = 'a'",
    "postgres": "UPDATE discharge SET bundle = jsonb_set(bundle, '{note}', '\"changed\"')"
    " WHERE id = 'a'",
}


def _backend(box: Outbox) -> str:
    return "sqlite" if isinstance(box, SqliteOutbox) else "postgres"


def test_an_item_changed_at_rest_is_not_handed_out_and_is_recorded_failed(at_rest) -> None:
    box, run = at_rest
    accept(box, "a")
    accept(box, "b")
    assert run(CHANGE_BUNDLE[_backend(box)]) == 1
    # the unchanged item is delivered, the changed one is not
    assert [x.id for x in box.claim_due(T0, LEASE, 10)] == ["b"]
    refused = box.get("a")
    assert refused is not None and refused.state == FAILED
    assert refused.outcome == changed_at_rest_outcome()
    assert failure_reason(FAILED, refused.outcome) == "changed-at-rest"
    assert "a" not in [x.id for x in box.claim_due(T0 + 10 * LEASE, LEASE, 10)]  # stays out
    # The remedy: discharging the encounter again writes the payload and its digest anew.
    accept(box, "a")
    assert [x.id for x in box.claim_due(T0, LEASE, 10)] == ["a"]


def test_changed_warnings_or_a_payload_copied_from_another_item_are_not_handed_out(
    at_rest,
) -> None:
    box, run = at_rest
    accept(box, "a", n=1)
    accept(box, "b", n=2)
    accept(box, "c", n=3)
    # b's warnings changed; c's payload copied from a, with a's digest (a bad restore of rows)
    run(
        "UPDATE discharge SET warnings = (SELECT warnings FROM discharge WHERE id = 'a')"
        " WHERE id = 'b'"
    )
    run(
        "UPDATE discharge SET bundle = (SELECT bundle FROM discharge WHERE id = 'a'),"
        " payload_digest = (SELECT payload_digest FROM discharge WHERE id = 'a') WHERE id = 'c'"
    )
    accept(box, "b", n=2)  # b accepted again as it was: its digest anew
    run("UPDATE discharge SET warnings = '[\"w9\"]' WHERE id = 'b'")
    assert [x.id for x in box.claim_due(T0, LEASE, 10)] == ["a"]
    assert [box.get(i).state for i in ("b", "c")] == [FAILED, FAILED]  # type: ignore[union-attr]


def test_an_item_refused_at_claim_has_its_alert_queued_in_the_same_commit(at_rest) -> None:
    box, run = at_rest
    accept(box, "a")
    run(CHANGE_BUNDLE[_backend(box)])
    seen: list[tuple[str, dict[str, Any]]] = []

    def alert_of(item: OutboxItem, outcome: dict[str, Any]) -> NewAlert:
        seen.append((item.id, outcome))
        return NewAlert(item.encounter, lambda alert_id: {"alert": alert_id})

    assert box.claim_due(T0, LEASE, 10, alert_of) == []
    assert seen == [("a", changed_at_rest_outcome())]
    alert = box.get("a-alert-1")
    assert alert is not None and alert.state == QUEUED
    # the alert carries a digest of its own: it is handed out
    assert [x.id for x in box.claim_due(T0, LEASE, 10, alert_of)] == ["a-alert-1"]


def test_an_alert_that_cannot_be_built_leaves_the_changed_item_failed(at_rest) -> None:
    box, run = at_rest
    accept(box, "a")
    run(CHANGE_BUNDLE[_backend(box)])

    def alert_of(item: OutboxItem, outcome: dict[str, Any]) -> NewAlert:
        raise ValueError("no letter in this transaction")

    assert box.claim_due(T0, LEASE, 10, alert_of) == []
    assert box.get("a").state == FAILED  # type: ignore[union-attr]
    assert box.get("a-alert-1") is None


def test_an_item_accepted_before_digests_is_delivered_with_a_warning(at_rest, caplog) -> None:
    box, run = at_rest
    accept(box, "a")
    run(
        "UPDATE discharge SET payload_digest = NULL WHERE id = 'a'"
    )  # as an earlier version left it
    with caplog.at_level(logging.WARNING, logger="fhir_discharge.io.outbox"):
        assert [x.id for x in box.claim_due(T0, LEASE, 10)] == ["a"]
    [said] = [r.getMessage() for r in caplog.records if r.name == "fhir_discharge.io.outbox"]
    assert said.startswith("outbox: a for Encounter/a has no payload digest")


def test_what_each_backend_gives_back_for_an_item_matches_its_digest(at_rest) -> None:
    # JSONB orders keys its own way and writes numbers as it keeps them (1e16 as an integer):
    # an item no one changed is never refused for that.
    box, _ = at_rest
    odd = {
        "resourceType": "Bundle",
        "zeta": 1,
        "alpha": [38.5, 1e16, -0.0, 10**20, 0.1, 1e-7, True, None, 'é ✓ \\ "'],
        "nested": {"b": {"y": 2.0, "x": 1}, "a": []},
    }
    box.accept("a", "Encounter/a", odd, ("w",), T0)
    assert [x.id for x in box.claim_due(T0, LEASE, 10)] == ["a"]


def test_a_purged_payload_keeps_no_digest(at_rest) -> None:
    box, run = at_rest
    delivered(box, "a", T0)
    assert box.purge_delivered(T0 + 1, T0 + 1) == 1
    assert run("UPDATE discharge SET state = state WHERE id = 'a' AND payload_digest IS NULL") == 1
