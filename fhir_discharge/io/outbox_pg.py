"""The durable outbox in PostgreSQL, for several service replicas sharing one queue.

The same table, states and semantics as the SQLite outbox (fhir_discharge/io/outbox.py), so the
deliverer and the routes use either unchanged; `open_outbox` picks this one when the
`outbox_url` setting is set. Needs the [postgres] extra (psycopg 3).

What differs, and why:
- Claiming locks the due rows with `SELECT ... FOR UPDATE SKIP LOCKED` inside the claiming
  UPDATE: two replicas claiming at once lock disjoint rows, and a row another replica claimed
  and committed meanwhile is re-checked against the WHERE clause and no longer matches. So no
  item is ever delivering in two replicas at once (until its lease runs out, see below).
- `release_leases` does nothing: the replicas share the table, so an item 'delivering' when one
  replica starts may be another live replica's, in flight right now. Requeueing it would have
  it delivered twice at once. An item left 'delivering' by a replica that died is taken again
  by `claim_due` once its lease has run out (after `lease_seconds`).
- Durability: PostgreSQL's commits are durable by default (synchronous_commit = on: the commit
  returns after its WAL is flushed to disk); `accept` returns only after its commit. Do not run
  the outbox database with synchronous_commit = off or fsync = off.
- Times are epoch seconds (double precision) from the callers' clocks, as in SQLite: the
  replicas' clocks must agree (NTP) to well within a lease.

Connections: one per thread and outbox (threading.local; the deliverer and the routes call in
from asyncio.to_thread's worker threads), in autocommit mode with every call an explicit
transaction (`with conn.transaction()`: BEGIN ... COMMIT, ROLLBACK on error), so nothing is
left idle in a transaction. A connection that broke (server restart) is replaced on the next
call; the call that saw it break fails, and the deliverer retries.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.rows import DictRow, dict_row
from psycopg.types.json import Jsonb

from .outbox import DEAD, DELIVERED, DELIVERING, FAILED, QUEUED, STATES, Outbox, OutboxItem

_SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS discharge (
    id              TEXT PRIMARY KEY,
    encounter       TEXT NOT NULL,
    bundle          JSONB NOT NULL,
    warnings        JSONB NOT NULL,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at DOUBLE PRECISION NOT NULL,
    lease_until     DOUBLE PRECISION,
    result          JSONB,
    outcome         JSONB,
    accepted_at     DOUBLE PRECISION NOT NULL,
    updated_at      DOUBLE PRECISION NOT NULL
)
""",
    "CREATE INDEX IF NOT EXISTS discharge_due ON discharge (state, next_attempt_at)",
)
# Replicas starting together would race on CREATE TABLE IF NOT EXISTS (a unique violation in
# the catalog); an advisory lock held for the schema transaction serialises them.
_SCHEMA_LOCK = 0x6668_6972_6464  # arbitrary, fixed: "fhirdd"

PgConnection = psycopg.Connection[DictRow]


class PostgresOutbox(Outbox):
    """PostgreSQL-backed; safe to share between threads, and between processes and hosts.

    A subclass of Outbox for its interface only (the deliverer is typed against Outbox): every
    public method is overridden here, and none of the SQLite state exists."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._local = threading.local()
        self._connections: list[PgConnection] = []
        self._connections_lock = threading.Lock()
        self._closed = False
        with self._transaction() as db:
            db.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
            for statement in _SCHEMA:
                db.execute(statement)

    def close(self) -> None:
        with self._connections_lock:
            self._closed = True
            connections, self._connections = self._connections, []
        for connection in connections:
            connection.close()

    def _connection(self) -> PgConnection:
        connection: PgConnection | None = getattr(self._local, "connection", None)
        if connection is not None and not connection.closed and not connection.broken:
            return connection
        with self._connections_lock:
            if self._closed:
                raise RuntimeError("the outbox is closed")
            if connection is not None and connection in self._connections:
                self._connections.remove(connection)
                connection.close()
            connection = psycopg.connect(self._url, autocommit=True, row_factory=dict_row)
            self._connections.append(connection)
        self._local.connection = connection
        return connection

    @contextmanager
    def _transaction(self) -> Iterator[PgConnection]:  # type: ignore[override]
        connection = self._connection()
        with connection.transaction():
            yield connection

    def accept(
        self,
        item_id: str,
        encounter: str,
        bundle: dict[str, Any],
        warnings: tuple[str, ...],
        now: float,
        claim_for_seconds: float | None = None,
    ) -> OutboxItem:
        """Record a discharge, durably (see Outbox.accept: a repeat queues the item again with
        the new bundle; an item in flight is left to finish; with `claim_for_seconds` the item
        is written already claimed by this replica, `claimed=True`, for it to deliver now).
        The upsert takes the row lock, so two replicas accepting the same item at once cannot
        both claim it: the second sees it delivering and leaves it."""
        claim = claim_for_seconds is not None
        with self._transaction() as db:
            row = db.execute(
                "INSERT INTO discharge (id, encounter, bundle, warnings, state, attempts,"
                " next_attempt_at, lease_until, accepted_at, updated_at)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (id) DO UPDATE SET bundle = excluded.bundle,"
                " warnings = excluded.warnings, state = excluded.state,"
                " attempts = excluded.attempts, next_attempt_at = excluded.next_attempt_at,"
                " lease_until = excluded.lease_until, updated_at = excluded.updated_at"
                " WHERE discharge.state != %s RETURNING state, attempts, result, outcome",
                (
                    item_id,
                    encounter,
                    Jsonb(bundle),
                    Jsonb(list(warnings)),
                    DELIVERING if claim else QUEUED,
                    1 if claim else 0,
                    now,
                    now + claim_for_seconds if claim_for_seconds is not None else None,
                    now,
                    now,
                    DELIVERING,
                ),
            ).fetchone()
            if row is None:  # in flight: left alone, read as it stands
                found = db.execute("SELECT * FROM discharge WHERE id = %s", (item_id,)).fetchone()
        if row is None:
            assert found is not None
            return _item(found)
        return OutboxItem(
            id=item_id,
            encounter=encounter,
            bundle=bundle,
            warnings=tuple(warnings),
            state=row["state"],
            attempts=row["attempts"],
            result=row["result"],
            outcome=row["outcome"],
            claimed=claim,
        )

    def release_leases(self, now: float) -> int:
        """Nothing, on purpose: in PostgreSQL the outbox is shared by several replicas, and an
        item 'delivering' at start-up may be in flight in another, live, replica; requeueing it
        would deliver it twice at once. Leases of a replica that died run out, and claim_due
        takes those items again."""
        return 0

    def get(self, item_id: str) -> OutboxItem | None:
        with self._transaction() as db:
            row = db.execute("SELECT * FROM discharge WHERE id = %s", (item_id,)).fetchone()
        return _item(row) if row else None

    def claim_due(self, now: float, lease_seconds: float, limit: int) -> list[OutboxItem]:
        """Take due items for delivery (queued ones whose time has come, delivering ones whose
        lease ran out), locking them with FOR UPDATE SKIP LOCKED: rows another replica is
        claiming are skipped, never taken twice."""
        with self._transaction() as db:
            rows = db.execute(
                "UPDATE discharge SET state = %s, lease_until = %s, attempts = attempts + 1,"
                " updated_at = %s WHERE id IN (SELECT id FROM discharge WHERE"
                " (state = %s AND next_attempt_at <= %s) OR (state = %s AND lease_until < %s)"
                " ORDER BY next_attempt_at LIMIT %s FOR UPDATE SKIP LOCKED) RETURNING *",
                (DELIVERING, now + lease_seconds, now, QUEUED, now, DELIVERING, now, limit),
            ).fetchall()
        return [_item(row) for row in rows]

    def mark_delivered(self, item_id: str, result: list[dict[str, Any]], now: float) -> None:
        """Committed without waiting for its WAL flush (`SET LOCAL synchronous_commit = off`,
        this transaction only), as the SQLite outbox does: a server crash may lose the last
        marks (never corrupts), and those items, still 'delivering', are claimed again when
        their lease runs out and re-posted, where the conditional creates find everything.
        accept() keeps the server's durable commit."""
        with self._transaction() as db:
            db.execute("SET LOCAL synchronous_commit = off")
            db.execute(
                "UPDATE discharge SET state = %s, lease_until = NULL, result = %s,"
                " outcome = NULL, updated_at = %s WHERE id = %s",
                (DELIVERED, Jsonb(result), now, item_id),
            )

    def mark_failed(self, item_id: str, state: str, outcome: dict[str, Any], now: float) -> None:
        self._finish(item_id, state, now, outcome=outcome)

    def requeue(self, item_id: str, outcome: dict[str, Any], at: float, now: float) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE discharge SET state = %s, next_attempt_at = %s, lease_until = NULL,"
                " outcome = %s, updated_at = %s WHERE id = %s",
                (QUEUED, at, Jsonb(outcome), now, item_id),
            )

    def redrive(self, item_id: str, now: float) -> bool:
        """Put a failed or dead item back in the queue (after someone fixed the cause)."""
        with self._transaction() as db:
            cursor = db.execute(
                "UPDATE discharge SET state = %s, attempts = 0, next_attempt_at = %s,"
                " updated_at = %s WHERE id = %s AND state IN (%s, %s)",
                (QUEUED, now, now, item_id, FAILED, DEAD),
            )
            return cursor.rowcount == 1

    def counts(self) -> dict[str, int]:
        with self._transaction() as db:
            rows = db.execute(
                "SELECT state, COUNT(*) AS n FROM discharge GROUP BY state"
            ).fetchall()
        counts = dict.fromkeys(STATES, 0)
        counts.update({row["state"]: int(row["n"]) for row in rows})
        return counts

    def next_due(self) -> float | None:
        with self._transaction() as db:
            row = db.execute(
                "SELECT MIN(CASE WHEN state = %s THEN next_attempt_at ELSE lease_until END)"
                " AS due FROM discharge WHERE state IN (%s, %s)",
                (QUEUED, QUEUED, DELIVERING),
            ).fetchone()
        return float(row["due"]) if row and row["due"] is not None else None

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
                "UPDATE discharge SET state = %s, lease_until = NULL, result = %s, outcome = %s,"
                " updated_at = %s WHERE id = %s",
                (
                    state,
                    Jsonb(result) if result is not None else None,
                    Jsonb(outcome) if outcome is not None else None,
                    now,
                    item_id,
                ),
            )


def _item(row: DictRow) -> OutboxItem:
    return OutboxItem(
        id=row["id"],
        encounter=row["encounter"],
        bundle=row["bundle"],
        warnings=tuple(row["warnings"]),
        state=row["state"],
        attempts=row["attempts"],
        result=row["result"],
        outcome=row["outcome"],
    )
