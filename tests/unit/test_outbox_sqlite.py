"""The SQLite outbox as a file (io/outbox/sqlite.py): durable across a reopen, readable by the
service's user alone, purged from the files, migrated from an earlier version; the deliverer's
inline delivery and purging. The state machine, on both backends:
tests/integration/test_outbox.py."""

from __future__ import annotations

import asyncio
import os
import stat
import time

import pytest

from fhir_discharge.config import Settings
from fhir_discharge.io.delivery import Deliverer
from fhir_discharge.io.fhir_client import FhirClient
from fhir_discharge.io.outbox import (
    DELIVERED,
    DELIVERING,
)
from fhir_discharge.io.outbox.sqlite import SqliteOutbox
from tests.support.imports import cycles, module_imports
from tests.support.outbox_items import (
    LEASE,
    PATIENT_NAME,
    T0,
    bundle,
    claim_accept,
    delivered,
    patient_bundle,
)
from tests.support.site import SITE


def test_accept_with_claim_is_durable_across_a_reopen(tmp_path):
    """The accept-with-claim commit is on disk when accept returns: a fresh connection (as after
    a crash) sees the item, and release_leases hands it to the background loop."""
    path = tmp_path / "outbox.sqlite3"
    box = SqliteOutbox(path)
    claim_accept(box, "a")
    # No close(): the process 'dies' here. A new process opens the same file.
    reopened = SqliteOutbox(path)
    try:
        item = reopened.get("a")
        assert item is not None and (item.state, item.bundle) == (DELIVERING, bundle())
        assert reopened.release_leases(T0 + 1) == 1
        (again,) = reopened.claim_due(T0 + 1, LEASE, 10)
        assert (again.id, again.state, again.attempts, again.bundle) == (
            "a",
            DELIVERING,
            2,
            bundle(),
        )
    finally:
        reopened.close()
        box.close()


class _FakeClient:
    """Posts nothing: answers each transaction from a script (a failure or 'landed')."""

    def __init__(self, script: list[Exception | None]) -> None:
        self.script = script
        self.posted: list[dict] = []
        self.attempts_made = 0

    async def post_transaction(self, bundle: dict) -> list:
        from fhir_discharge.io.fhir_client import Landed

        self.posted.append(bundle)
        outcome = self.script.pop(0) if self.script else None
        if outcome is not None:
            raise outcome
        return [Landed("Basic", "1", "Basic/1/_history/1", True)]


def test_deliver_now_posts_the_claimed_item_inline_and_retries_a_transient_failure(tmp_path):
    import asyncio
    import time

    from fhir_discharge.errors import FhirServerError
    from fhir_discharge.io.delivery import Deliverer

    async def run() -> None:
        box = SqliteOutbox(tmp_path / "outbox.sqlite3")
        client = _FakeClient([None, FhirServerError("unavailable", 503)])
        deliverer = Deliverer(box, client, base_delay=0.01, canonical_base=SITE.canonical_base)  # type: ignore[arg-type]
        await deliverer.start()
        try:
            item = box.accept(
                "a", "Encounter/a", bundle(1), (), time.time(), deliverer.lease_seconds
            )
            done = await deliverer.deliver_now(item, 5)
            assert done.state == DELIVERED
            assert client.posted == [item.bundle]  # the very dict, not a re-read
            assert box.get("a").state == DELIVERED  # type: ignore[union-attr]
            # a transient failure: requeued, then the background loop delivers it
            item = box.accept(
                "b", "Encounter/b", bundle(2), (), time.time(), deliverer.lease_seconds
            )
            done = await deliverer.deliver_now(item, 5)
            assert (done.state, done.attempts) == (DELIVERED, 2)
            assert len(client.posted) == 3
            # respond-async: answered as it stands, delivered in the background
            item = box.accept(
                "c", "Encounter/c", bundle(3), (), time.time(), deliverer.lease_seconds
            )
            assert (await deliverer.deliver_now(item, 0)).state == DELIVERING
            final = await deliverer.wait_for("c", 5)
            assert final is not None and final.state == DELIVERED
        finally:
            await deliverer.stop()
            box.close()

    asyncio.run(run())


def test_the_outbox_package_imports_neither_psycopg_nor_a_module_that_imports_it_back():
    """psycopg is the optional [postgres] extra: the SQLite outbox, the use case and the app
    must import without it. And the modules of the package form no import cycle (the package
    __init__ imports no backend; each backend imports only the package)."""
    import subprocess
    import sys

    probe = (
        "import sys, fhir_discharge.io.outbox.sqlite, fhir_discharge.io.discharging, "
        "fhir_discharge.web.app; print('psycopg' in sys.modules)"
    )
    answer = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert answer.stdout.strip() == "False"
    graph = module_imports()
    assert cycles(graph) == []


# --- at rest: what is kept, for how long, and who may read the file (issue 18) ---------------


def test_the_sqlite_outbox_is_the_service_users_alone(tmp_path):
    directory = tmp_path / "var" / "outbox"
    box = SqliteOutbox(directory / "outbox.sqlite3")
    try:
        delivered(box, "a", T0)  # the WAL and shared-memory files exist now
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
        files = sorted(directory.iterdir())
        assert [f.name for f in files] == [
            "outbox.sqlite3",
            "outbox.sqlite3-shm",
            "outbox.sqlite3-wal",
        ]
        assert {stat.S_IMODE(f.stat().st_mode) for f in files} == {0o600}
    finally:
        box.close()


def test_an_existing_outbox_found_readable_is_tightened_at_start(tmp_path):
    directory = tmp_path / "outbox"
    box = SqliteOutbox(directory / "outbox.sqlite3")
    delivered(box, "a", T0)
    box.close()
    os.chmod(directory, 0o755)
    for found in directory.iterdir():
        os.chmod(found, 0o644)
    SqliteOutbox(directory / "outbox.sqlite3").close()
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert {stat.S_IMODE(f.stat().st_mode) for f in directory.iterdir()} == {0o600}


def test_a_shared_directory_is_left_as_it_is_and_said(tmp_path, caplog):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)  # sticky and world-writable, like /tmp
    SqliteOutbox(shared / "outbox.sqlite3").close()
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777
    assert stat.S_IMODE((shared / "outbox.sqlite3").stat().st_mode) == 0o600
    assert "give the outbox a directory of its own" in caplog.text


def test_a_purged_payload_is_gone_from_the_files_not_only_from_the_rows(tmp_path):
    path = tmp_path / "outbox" / "outbox.sqlite3"
    box = SqliteOutbox(path)
    try:
        for n in range(20):
            delivered(box, f"d{n}", T0)

        def on_disk() -> bytes:
            return b"".join(p.read_bytes() for p in path.parent.iterdir())

        assert PATIENT_NAME.encode() in on_disk()
        assert box.purge_delivered(T0 + 1, T0 + 2) == 20
        assert PATIENT_NAME.encode() not in on_disk()
    finally:
        box.close()


def test_the_deliverer_purges_what_is_older_than_the_retention(tmp_path):
    async def run() -> None:
        box = SqliteOutbox(tmp_path / "outbox.sqlite3")
        deliverer = Deliverer(
            box,
            FhirClient("http://fhir.test/fhir"),
            retention_seconds=3600,
            canonical_base=SITE.canonical_base,
        )
        try:
            now = time.time()
            delivered(box, "old", now - 7200)
            delivered(box, "new", now - 60)
            await deliverer.purge_if_due()
            assert box.get("old").bundle == {}  # type: ignore[union-attr]
            assert box.get("new").bundle == patient_bundle()  # type: ignore[union-attr]
        finally:
            await deliverer.client.aclose()
            box.close()

    asyncio.run(run())


def test_the_retention_is_a_setting_of_days_seven_by_default(monkeypatch):
    assert Settings().outbox_retention_days == 7
    monkeypatch.setenv("FHIR_DISCHARGE_OUTBOX_RETENTION_DAYS", "0.5")
    assert Settings().outbox_retention_days == 0.5
    monkeypatch.setenv("FHIR_DISCHARGE_OUTBOX_RETENTION_DAYS", "0")
    with pytest.raises(ValueError, match="outbox_retention_days"):
        Settings()


def test_an_outbox_file_of_an_earlier_version_is_migrated_and_kept(tmp_path):
    import sqlite3

    path = tmp_path / "outbox" / "outbox.sqlite3"
    path.parent.mkdir()
    old = sqlite3.connect(path)
    old.executescript(
        "CREATE TABLE discharge (id TEXT PRIMARY KEY, encounter TEXT NOT NULL, bundle TEXT NOT"
        " NULL, warnings TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT"
        " 0, next_attempt_at REAL NOT NULL, lease_until REAL, result TEXT, outcome TEXT,"
        " accepted_at REAL NOT NULL, updated_at REAL NOT NULL);"
        "INSERT INTO discharge VALUES ('a', 'Encounter/a', '{\"n\": 1}', '[]', 'delivered', 1,"
        f" {T0}, NULL, '[]', NULL, {T0}, {T0});"
    )
    old.commit()
    old.close()
    box = SqliteOutbox(path)
    try:
        assert box.get("a").bundle == {"n": 1}  # type: ignore[union-attr]
        assert box.purge_delivered(T0 + 1, T0 + 1) == 1
        assert box.get("a").bundle == {}  # type: ignore[union-attr]
    finally:
        box.close()


def test_an_item_queued_by_an_earlier_version_is_delivered_and_new_ones_carry_a_digest(
    tmp_path, caplog
):
    # H128's migration: the file gains the digest column; the item queued before it has none
    # and is delivered as before (said in the log); an item accepted now is checked.
    import logging
    import sqlite3

    path = tmp_path / "outbox" / "outbox.sqlite3"
    path.parent.mkdir()
    old = sqlite3.connect(path)
    old.executescript(
        "CREATE TABLE discharge (id TEXT PRIMARY KEY, encounter TEXT NOT NULL, bundle TEXT NOT"
        " NULL, warnings TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT"
        " 0, next_attempt_at REAL NOT NULL, lease_until REAL, result TEXT, outcome TEXT,"
        " accepted_at REAL NOT NULL, updated_at REAL NOT NULL, purged_at REAL);"
        "INSERT INTO discharge VALUES ('old', 'Encounter/old', '{\"n\": 1}', '[]', 'queued', 0,"
        f" {T0}, NULL, NULL, NULL, {T0}, {T0}, NULL);"
    )
    old.commit()
    old.close()
    box = SqliteOutbox(path)
    try:
        box.accept("new", "Encounter/new", bundle(), (), T0)
        with sqlite3.connect(path) as db:
            db.execute("UPDATE discharge SET bundle = '{\"n\": 2}'")  # both changed at rest
        with caplog.at_level(logging.WARNING, logger="fhir_discharge.io.outbox"):
            assert [x.id for x in box.claim_due(T0, LEASE, 10)] == ["old"]
        warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert warned == [
            "outbox: old for Encounter/old has no payload digest (accepted before digests were "
            "recorded): delivered unchecked"
        ]
        assert box.get("new").state == "failed"  # type: ignore[union-attr]
    finally:
        box.close()
