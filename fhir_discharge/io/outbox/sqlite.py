"""The outbox in a SQLite file, for one service process (the default).

SQLite in WAL mode, synchronous=FULL: a commit is on disk (fsynced) before accept() returns.
One connection, shared by the process's threads under a lock. What differs from PostgreSQL:
- accepts are group-committed: every accept waiting when the connection comes free is written
  in one transaction, one fsync;
- release_leases requeues every item left delivering: one process serves one outbox file, so a
  lease found at start-up is a dead process's.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..json_codec import json_text
from . import DELIVERING, QUEUED, SqlOutbox

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
    updated_at      REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS discharge_due ON discharge (state, next_attempt_at);
"""


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
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        self._pending: list[_Accept] = []  # accepts waiting for the next group commit
        self._pending_lock = threading.Lock()
        # WAL + synchronous=FULL: a commit is on disk (fsync) before accept() returns.
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(_SCHEMA)

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
