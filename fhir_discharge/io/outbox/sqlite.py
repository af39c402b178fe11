"""The outbox in a SQLite file, for one service process (the default).

SQLite in WAL mode, synchronous=FULL: a commit is on disk (fsynced) before accept() returns.
One connection, shared by the process's threads under a lock. What differs from PostgreSQL:
- accepts are group-committed: every accept waiting when the connection comes free is written
  in one transaction, one fsync;
- release_leases requeues every item left delivering: one process serves one outbox file, so a
  lease found at start-up is a dead process's.

At rest the file holds patients' records and letters until they are purged (purge_delivered):
so it and its WAL and shared-memory files are the service user's alone (0600), in a directory
that is too (0700): created so, and tightened at start when found wider. `secure_delete` zeroes
what a purge (or any update) frees in the file, and a purge ends with a WAL checkpoint that
truncates the WAL, so a purged payload is not left behind in either.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..json_codec import json_text
from . import (
    DELIVERING,
    DOCUMENT_INDEX,
    PAYLOAD_DIGEST_COLUMN,
    QUEUED,
    WRITTEN_DOCUMENT_COLUMNS,
    SqlOutbox,
)

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS discharge (
    id              TEXT PRIMARY KEY,
    encounter       TEXT NOT NULL,
    bundle          TEXT NOT NULL,
    warnings        TEXT NOT NULL,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    lease_until     REAL,
    result          TEXT,
    outcome         TEXT,
    accepted_at     REAL NOT NULL,
    updated_at      REAL NOT NULL,
    purged_at       REAL,
    payload_digest  TEXT
);
CREATE INDEX IF NOT EXISTS discharge_due ON discharge (state, next_attempt_at);
CREATE TABLE IF NOT EXISTS written_letter (
    server          TEXT NOT NULL,
    composition_id  TEXT NOT NULL,
    version         TEXT,
    discharge       TEXT NOT NULL,
    recorded_at     REAL NOT NULL,
    document_id     TEXT,
    document_version TEXT,
    document_digest TEXT,
    PRIMARY KEY (server, composition_id)
);
"""
_FILE_MODE = 0o600
_DIRECTORY_MODE = 0o700


@dataclass
class _Accept:
    """One accept waiting for the group commit (SqliteOutbox._write_accept)."""

    values: tuple[Any, ...]
    done: bool = False  # set under SqliteOutbox._lock once its transaction committed or failed
    row: sqlite3.Row | None = None  # the upsert's RETURNING row; None: the item was in flight
    found: sqlite3.Row | None = None  # the item as it stands, when in flight
    error: Exception | None = None


class SqliteOutbox(SqlOutbox):
    """SQLite-backed; safe to share between the threads of one process."""

    def __init__(self, path: str | Path) -> None:
        self._path = Path(path)
        _private_directory(self._path.parent)
        # Created 0600 before SQLite opens it (SQLite gives its WAL and shared-memory files the
        # database file's mode); an existing file, and those, tightened.
        os.close(os.open(self._path, os.O_RDWR | os.O_CREAT, _FILE_MODE))
        self._private_files()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        self._pending: list[_Accept] = []  # accepts waiting for the next group commit
        self._pending_lock = threading.Lock()
        # WAL + synchronous=FULL: a commit is on disk (fsync) before accept() returns.
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.execute("PRAGMA secure_delete=ON")  # freed content is zeroed, not left behind
        self._db.executescript(_SCHEMA)
        columns = {row["name"] for row in self._db.execute("PRAGMA table_info(discharge)")}
        if "purged_at" not in columns:  # an outbox file of an earlier version
            self._db.execute("ALTER TABLE discharge ADD COLUMN purged_at REAL")
        if PAYLOAD_DIGEST_COLUMN not in columns:  # items accepted before digests: NULL (H128)
            self._db.execute(f"ALTER TABLE discharge ADD COLUMN {PAYLOAD_DIGEST_COLUMN} TEXT")
        letters = {row["name"] for row in self._db.execute("PRAGMA table_info(written_letter)")}
        for column in WRITTEN_DOCUMENT_COLUMNS:
            if column not in letters:  # written before documents were stored
                self._db.execute(f"ALTER TABLE written_letter ADD COLUMN {column} TEXT")
        self._db.execute(DOCUMENT_INDEX)
        self._private_files()

    def _private_files(self) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            with contextlib.suppress(FileNotFoundError):
                os.chmod(f"{self._path}{suffix}", _FILE_MODE)

    def purge_delivered(self, before: float, now: float) -> int:
        """As SqlOutbox's, then the WAL checkpointed and truncated: the purged payloads' pages
        are zeroed in the file (secure_delete) and gone from the WAL."""
        purged = super().purge_delivered(before, now)
        if purged:
            with self._lock:
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return purged

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self, durable: bool = True) -> Iterator[sqlite3.Connection]:
        """`durable=False`: synchronous=NORMAL for this one transaction (WAL keeps it atomic
        and the file consistent; a power loss may lose it). The next fsynced commit (any
        accept) flushes the WAL, its frames included."""
        with self._lock:
            if not durable:
                self._db.execute("PRAGMA synchronous=NORMAL")  # a connection setting
            try:
                self._db.execute("BEGIN IMMEDIATE")
                yield self._db
                self._db.execute("COMMIT")
            finally:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                if not durable:  # before the lock is released: every other commit is fsynced
                    self._db.execute("PRAGMA synchronous=FULL")

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:  # one statement, autocommit: consistent on its own
            yield self._db

    def _encode(self, value: Any) -> str:
        return json_text(value)

    def _decode(self, stored: Any) -> Any:
        return json.loads(stored)

    def _native(self, sql: str) -> str:
        return sql

    def _write_accept(self, values: tuple[Any, ...]) -> tuple[Any, Any]:
        # Group commit: every accept waiting here when the connection comes free is written in
        # one transaction, one fsync, by whichever caller takes the lock first; each caller
        # returns only once the commit holding its row is on disk (`done` is set after COMMIT,
        # under the lock). A failed transaction rolls back all of its accepts and each of their
        # callers gets the error: none of them was accepted.
        request = _Accept(values)
        with self._pending_lock:
            self._pending.append(request)
        with self._lock:
            if not request.done:
                with self._pending_lock:
                    batch, self._pending = self._pending, []
                self._accept_batch(batch)
        if request.error is not None:
            raise request.error
        return request.row, request.found

    def _accept_batch(self, batch: list[_Accept]) -> None:
        """Under self._lock: write these accepts in one transaction (in their order, so two
        accepts of one item behave as two transactions in a row would), then mark them done."""
        db = self._db
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                for request in batch:
                    request.row, request.found = self._upsert(db, request.values)
                db.execute("COMMIT")  # synchronous=FULL: fsynced before anyone returns
            finally:
                if db.in_transaction:
                    db.execute("ROLLBACK")
        except BaseException as error:
            for request in batch:
                request.row = request.found = None
                request.error = error if isinstance(error, Exception) else RuntimeError("aborted")
            raise_in_leader = not isinstance(error, Exception)
            for request in batch:
                request.done = True
            if raise_in_leader:
                raise
            return
        for request in batch:
            request.done = True

    def release_leases(self, now: float) -> int:
        """At start-up: items left 'delivering' by a process that died go back to the queue.
        (One SQLite outbox serves one service process, so any lease found is a dead one's.)"""
        with self._transaction() as db:
            cursor = db.execute(
                "UPDATE discharge SET state = ?, lease_until = NULL, next_attempt_at = ?,"
                " updated_at = ? WHERE state = ?",
                (QUEUED, now, now, DELIVERING),
            )
            return cursor.rowcount


def _private_directory(directory: Path) -> None:
    """The outbox's directory, the service user's alone (0700): created so, or tightened. A
    directory shared with others (not the service user's own, or sticky like /tmp) is left as it
    is, and the log says so: give the outbox a directory of its own."""
    directory.mkdir(mode=_DIRECTORY_MODE, parents=True, exist_ok=True)
    found = directory.stat()
    if stat.S_IMODE(found.st_mode) & 0o077 == 0:
        return
    if found.st_uid != os.getuid() or found.st_mode & stat.S_ISVTX:
        log.warning(
            "outbox: its directory %s is shared (mode %o): give the outbox a directory of its own",
            directory,
            stat.S_IMODE(found.st_mode),
        )
        return
    os.chmod(directory, _DIRECTORY_MODE)
