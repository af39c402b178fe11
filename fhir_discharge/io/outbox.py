"""The durable outbox: every accepted discharge is on disk before the caller hears "accepted".

A discharge is a clinical record; when the FHIR server is slow or down, it must still arrive,
exactly once. The service writes each accepted transaction here (SQLite in WAL mode, fsynced on
commit), and a background deliverer posts it until it lands. Items are keyed by the encounter's
identity, so repeating a discharge joins the item already there instead of queueing another.

States: queued → delivering → delivered | queued (transient failure, retried later)
        | failed (the server refused it: inspect and re-drive) | dead (too many attempts).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..config import Settings

QUEUED, DELIVERING, DELIVERED, FAILED, DEAD = "queued", "delivering", "delivered", "failed", "dead"
STATES = (QUEUED, DELIVERING, DELIVERED, FAILED, DEAD)

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


_UPSERT = (
    "INSERT INTO discharge (id, encounter, bundle, warnings, state, attempts,"
    " next_attempt_at, lease_until, accepted_at, updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (id) DO UPDATE SET bundle = excluded.bundle,"
    " warnings = excluded.warnings, state = excluded.state,"
    " attempts = excluded.attempts, next_attempt_at = excluded.next_attempt_at,"
    " lease_until = excluded.lease_until, updated_at = excluded.updated_at"
    " WHERE discharge.state != ? RETURNING state, attempts, result, outcome"
)


@dataclass
class _Accept:
    """One accept waiting for the group commit (Outbox.accept)."""

    values: tuple[Any, ...]
    done: bool = False  # set under Outbox._lock once its transaction committed or failed
    row: sqlite3.Row | None = None  # the upsert's RETURNING row; None: the item was in flight
    found: sqlite3.Row | None = None  # the item as it stands, when in flight
    error: Exception | None = None


def open_outbox(settings: Settings) -> Outbox:
    """The outbox the settings name: PostgreSQL at `outbox_url` when set (shared by several
    service replicas; fhir_discharge/io/outbox_pg.py), else the SQLite file at `outbox_path` (one
    service process)."""
    if settings.outbox_url is not None:
        from .outbox_pg import PostgresOutbox  # psycopg: the optional [postgres] extra

        return PostgresOutbox(settings.outbox_url.get_secret_value())
    return Outbox(settings.outbox_path)


@dataclass(frozen=True)
class OutboxItem:
    id: str
    encounter: str  # "Encounter/id": the only patient-linked value that reaches logs
    bundle: dict[str, Any]
    warnings: tuple[str, ...]
    state: str
    attempts: int
    result: list[dict[str, Any]] | None  # where each entry landed, once delivered
    outcome: dict[str, Any] | None  # the last failure, as an OperationOutcome
    # True only on the item accept(claim_for_seconds=...) returns when that call claimed it:
    # this process holds its lease and must deliver it now (Deliverer.deliver_now). Not stored.
    claimed: bool = field(default=False, compare=False)


class Outbox:
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
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def accept(
        self,
        item_id: str,
        encounter: str,
        bundle: dict[str, Any],
        warnings: tuple[str, ...],
        now: float,
        claim_for_seconds: float | None = None,
    ) -> OutboxItem:
        """Record a discharge, durably. A repeat queues the item again with the new bundle (the
        record may have been corrected since; and re-posting a delivered one confirms it is
        still on the server, where the conditional creates find it). An item in flight is left
        to finish.

        With `claim_for_seconds`, the item is written already claimed, in the same (fsynced)
        transaction: state delivering, attempt 1, leased to this process for that long, as
        claim_due would leave it; the returned item has `claimed=True` and the caller delivers
        it at once (Deliverer.deliver_now), without a claim round trip. If this process dies
        before finishing it, release_leases at the next start (or claim_due, once the lease ran
        out) takes it again, as for any claimed item. An item already in flight is not
        claimed (`claimed=False`): the caller waits for it."""
        claim = claim_for_seconds is not None
        request = _Accept(
            (
                item_id,
                encounter,
                json.dumps(bundle),  # the only encoding of the bundle on the way in
                json.dumps(list(warnings)),
                DELIVERING if claim else QUEUED,
                1 if claim else 0,
                now,
                now + claim_for_seconds if claim_for_seconds is not None else None,
                now,
                now,
                DELIVERING,
            )
        )
        # Group commit: every accept waiting here when the connection comes free is written in
        # one transaction, one fsync, by whichever caller takes the lock first; each caller
        # returns only once the commit holding its row is on disk (`done` is set after COMMIT,
        # under the lock). A failed transaction rolls back all of its accepts and each of their
        # callers gets the error: none of them was accepted.
        with self._pending_lock:
            self._pending.append(request)
        with self._lock:
            if not request.done:
                with self._pending_lock:
                    batch, self._pending = self._pending, []
                self._accept_batch(batch)
        if request.error is not None:
            raise request.error
        row, found = request.row, request.found
        if row is None:  # in flight: left alone, read as it stands
            assert found is not None
            return _item(found)
        # Written as given: built from the caller's values, not decoded again from the row.
        return OutboxItem(
            id=item_id,
            encounter=encounter,
            bundle=bundle,
            warnings=tuple(warnings),
            state=row["state"],
            attempts=row["attempts"],
            result=json.loads(row["result"]) if row["result"] else None,
            outcome=json.loads(row["outcome"]) if row["outcome"] else None,
            claimed=claim,
        )

    def _accept_batch(self, batch: list[_Accept]) -> None:
        """Under self._lock: write these accepts in one transaction (in their order, so two
        accepts of one item behave as two transactions in a row would), then mark them done."""
        db = self._db
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                for request in batch:
                    request.row = db.execute(_UPSERT, request.values).fetchone()
                    if request.row is None:
                        request.found = db.execute(
                            "SELECT * FROM discharge WHERE id = ?", (request.values[0],)
                        ).fetchone()
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

    def get(self, item_id: str) -> OutboxItem | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM discharge WHERE id = ?", (item_id,)).fetchone()
        return _item(row) if row else None

    def claim_due(self, now: float, lease_seconds: float, limit: int) -> list[OutboxItem]:
        """Take due items for delivery: queued ones whose time has come, and delivering ones whose
        lease ran out (their deliverer died mid-flight; the conditional creates make a second
        delivery safe)."""
        with self._transaction() as db:
            rows = db.execute(
                "UPDATE discharge SET state = ?, lease_until = ?, attempts = attempts + 1,"
                " updated_at = ? WHERE id IN (SELECT id FROM discharge WHERE"
                " (state = ? AND next_attempt_at <= ?) OR (state = ? AND lease_until < ?)"
                " ORDER BY next_attempt_at LIMIT ?) RETURNING *",
                (DELIVERING, now + lease_seconds, now, QUEUED, now, DELIVERING, now, limit),
            ).fetchall()
        return [_item(row) for row in rows]

    def mark_delivered(self, item_id: str, result: list[dict[str, Any]], now: float) -> None:
        """Committed WITHOUT its own fsync (synchronous=NORMAL for this one transaction; WAL
        keeps it atomic and the file consistent). Durability decision: on power loss (not a
        process crash: the commit is in the OS's cache by then) the last marks may be lost,
        and those items are back in 'delivering'; release_leases requeues them at the next
        start and they are posted again, where the conditional creates find every resource
        ("existing") and nothing is duplicated. The next fsynced commit (any accept) flushes
        the WAL, these frames included, so the window is until the next accept or checkpoint.
        accept() keeps synchronous=FULL: nothing accepted is ever lost."""
        encoded = json.dumps(result)
        with self._lock:
            self._db.execute("PRAGMA synchronous=NORMAL")  # a connection setting: reset below
            try:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.execute(
                    "UPDATE discharge SET state = ?, lease_until = NULL, result = ?,"
                    " outcome = NULL, updated_at = ? WHERE id = ?",
                    (DELIVERED, encoded, now, item_id),
                )
                self._db.execute("COMMIT")
            finally:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                # Before the lock is released: every other commit stays fsynced.
                self._db.execute("PRAGMA synchronous=FULL")

    def mark_failed(self, item_id: str, state: str, outcome: dict[str, Any], now: float) -> None:
        self._finish(item_id, state, now, outcome=outcome)

    def requeue(self, item_id: str, outcome: dict[str, Any], at: float, now: float) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE discharge SET state = ?, next_attempt_at = ?, lease_until = NULL,"
                " outcome = ?, updated_at = ? WHERE id = ?",
                (QUEUED, at, json.dumps(outcome), now, item_id),
            )

    def redrive(self, item_id: str, now: float) -> bool:
        """Put a failed or dead item back in the queue (after someone fixed the cause)."""
        with self._transaction() as db:
            cursor = db.execute(
                "UPDATE discharge SET state = ?, attempts = 0, next_attempt_at = ?,"
                " updated_at = ? WHERE id = ? AND state IN (?, ?)",
                (QUEUED, now, now, item_id, FAILED, DEAD),
            )
            return cursor.rowcount == 1

    def counts(self) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute(
                "SELECT state, COUNT(*) FROM discharge GROUP BY state"
            ).fetchall()
        counts = dict.fromkeys(STATES, 0)
        counts.update({state: n for state, n in rows})
        return counts

    def next_due(self) -> float | None:
        with self._lock:
            row = self._db.execute(
                "SELECT MIN(CASE WHEN state = ? THEN next_attempt_at ELSE lease_until END)"
                " FROM discharge WHERE state IN (?, ?)",
                (QUEUED, QUEUED, DELIVERING),
            ).fetchone()
        return float(row[0]) if row and row[0] is not None else None

    def _finish(
        self,
        item_id: str,
        state: str,
        now: float,
        result: list[dict[str, Any]] | None = None,
        outcome: dict[str, Any] | None = None,
    ) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE discharge SET state = ?, lease_until = NULL, result = ?, outcome = ?,"
                " updated_at = ? WHERE id = ?",
                (
                    state,
                    json.dumps(result) if result is not None else None,
                    json.dumps(outcome) if outcome is not None else None,
                    now,
                    item_id,
                ),
            )


def _item(row: sqlite3.Row) -> OutboxItem:
    return OutboxItem(
        id=row["id"],
        encounter=row["encounter"],
        bundle=json.loads(row["bundle"]),
        warnings=tuple(json.loads(row["warnings"])),
        state=row["state"],
        attempts=row["attempts"],
        result=json.loads(row["result"]) if row["result"] else None,
        outcome=json.loads(row["outcome"]) if row["outcome"] else None,
    )
