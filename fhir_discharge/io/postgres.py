"""Connections to one PostgreSQL database, shared by the outbox (io/outbox/postgres.py) and the
CDS Hooks used-token store (io/seen_tokens.py). Needs the [postgres] extra (psycopg 3): only
modules that are themselves imported only with it import this one.

One connection per thread (threading.local: the callers run in asyncio.to_thread's worker
threads), in autocommit mode with every call an explicit transaction (`with conn.transaction()`:
BEGIN ... COMMIT, ROLLBACK on error), so nothing is left idle in a transaction. A connection that
broke (server restart) is replaced on the next call; the call that saw it break fails.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import psycopg
from psycopg.rows import DictRow, dict_row

PgConnection = psycopg.Connection[DictRow]


class ThreadConnections:
    """One autocommit connection per thread to the database at `url`; closed together."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._local = threading.local()
        self._connections: list[PgConnection] = []
        self._lock = threading.Lock()
        self._closed = False

    def create_schema(self, lock_id: int, statements: Iterable[str]) -> None:
        """Run CREATE ... IF NOT EXISTS statements under an advisory lock: replicas starting
        together would otherwise race on the catalog (a unique violation)."""
        with self.transaction() as db:
            db.execute("SELECT pg_advisory_xact_lock(%s)", (lock_id,))
            for statement in statements:
                db.execute(statement)

    @contextmanager
    def transaction(self) -> Iterator[PgConnection]:
        connection = self.connection()
        with connection.transaction():
            yield connection

    def connection(self) -> PgConnection:
        connection: PgConnection | None = getattr(self._local, "connection", None)
        if connection is not None and not connection.closed and not connection.broken:
            return connection
        with self._lock:
            if self._closed:
                raise RuntimeError("the database connections are closed")
            if connection is not None and connection in self._connections:
                self._connections.remove(connection)
                connection.close()
            connection = psycopg.connect(self._url, autocommit=True, row_factory=dict_row)
            self._connections.append(connection)
        self._local.connection = connection
        return connection

    def close(self) -> None:
        with self._lock:
            self._closed = True
            connections, self._connections = self._connections, []
        for connection in connections:
            connection.close()
