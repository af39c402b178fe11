"""The durable outbox in PostgreSQL, for several service replicas sharing one queue.

The same table, states and state machine as the SQLite outbox (both are SqlOutbox, in this
package's __init__), so the deliverer and the routes use either unchanged; `open_outbox`
(io/discharging.py) picks this one when the `outbox_url` setting is set. Needs the [postgres]
extra (psycopg 3): only this module imports it.

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
- Purging: the same UPDATE as SQLite's empties a delivered payload; PostgreSQL keeps the old row
  version until (auto)vacuum reclaims it, so a purged payload leaves the database's files at
  the next vacuum of the table (autovacuum's default; `VACUUM discharge` does it at once).
- The letters this service wrote (`written_letter`) are in the same database: every replica's
  `$document` knows every replica's letters.

Connections: one per thread, as io/postgres.py `ThreadConnections` keeps them; a connection
that broke is replaced on the next call, and the deliverer retries the call that saw it break.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from psycopg.types.json import Jsonb

from ..json_codec import json_text
from ..postgres import PgConnection, ThreadConnections
from . import DOCUMENT_INDEX, PAYLOAD_DIGEST_COLUMN, WRITTEN_DOCUMENT_COLUMNS, SqlOutbox

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
    updated_at      DOUBLE PRECISION NOT NULL,
    purged_at       DOUBLE PRECISION,
    payload_digest  TEXT
)
""",
    "CREATE INDEX IF NOT EXISTS discharge_due ON discharge (state, next_attempt_at)",
    # an outbox of an earlier version
    "ALTER TABLE discharge ADD COLUMN IF NOT EXISTS purged_at DOUBLE PRECISION",
    # items accepted before digests were recorded: NULL (H128)
    f"ALTER TABLE discharge ADD COLUMN IF NOT EXISTS {PAYLOAD_DIGEST_COLUMN} TEXT",
    """
CREATE TABLE IF NOT EXISTS written_letter (
    server          TEXT NOT NULL,
    composition_id  TEXT NOT NULL,
    version         TEXT,
    discharge       TEXT NOT NULL,
    recorded_at     DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (server, composition_id)
)
""",
    # letters written before documents were stored
    *(
        f"ALTER TABLE written_letter ADD COLUMN IF NOT EXISTS {column} TEXT"
        for column in WRITTEN_DOCUMENT_COLUMNS
    ),
    DOCUMENT_INDEX,
)
_SCHEMA_LOCK = 0x6668_6972_6464  # arbitrary, fixed: "fhirdd"


class PostgresOutbox(SqlOutbox):
    """PostgreSQL-backed; safe to share between threads, and between processes and hosts."""

    # Two replicas claiming at once lock disjoint rows (see the module docstring).
    claim_lock = " FOR UPDATE SKIP LOCKED"

    def __init__(self, url: str) -> None:
        self._db = ThreadConnections(url)
        self._db.create_schema(_SCHEMA_LOCK, _SCHEMA)

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _transaction(self, durable: bool = True) -> Iterator[PgConnection]:
        """`durable=False`: `SET LOCAL synchronous_commit = off`, this transaction only: its
        commit does not wait for its WAL flush (a server crash may lose it, never corrupts)."""
        with self._db.transaction() as connection:
            if not durable:
                connection.execute("SET LOCAL synchronous_commit = off")
            yield connection

    def _encode(self, value: Any) -> Jsonb:
        return Jsonb(value, dumps=json_text)

    def _decode(self, stored: Any) -> Any:
        return stored  # psycopg decodes JSONB itself

    def _native(self, sql: str) -> str:
        return _pyformat(sql)

    def _write_accept(self, values: tuple[Any, ...]) -> tuple[Any, Any]:
        """The upsert takes the row lock, so two replicas accepting the same item at once
        cannot both claim it: the second sees it delivering and leaves it."""
        with self._transaction() as db:
            return self._upsert(db, values)

    def release_leases(self, now: float) -> int:
        """Nothing, on purpose: in PostgreSQL the outbox is shared by several replicas, and an
        item 'delivering' at start-up may be in flight in another, live, replica; requeueing it
        would deliver it twice at once. Leases of a replica that died run out, and claim_due
        takes those items again."""
        return 0


@functools.cache
def _pyformat(sql: str) -> str:
    """The shared statements' `?` placeholders as psycopg's `%s`, once per statement."""
    return sql.replace("?", "%s")
