"""The CDS Hooks JWTs already used, so a replayed one is refused (CDS Hooks 2.0, "Trusting CDS
Clients": a `jti` seen before within the token's lifetime is a replay).

One service process keeps them in memory. Several replicas behind one load balancer must share
them, or a token replayed to another replica than the first would pass: where the replicas share
a PostgreSQL outbox (the `outbox_url` setting), they share this table in the same database.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..config import Settings


class SeenTokens(Protocol):
    def first_use(self, iss: str, jti: str, expires: float, now: float) -> bool:
        """Record (iss, jti) until `expires`; False if it was recorded before and is not yet
        expired (a replay). Blocking: call it from a thread."""
        ...

    def close(self) -> None: ...


class MemorySeenTokens:
    """One process's memory: enough for one service process (the SQLite outbox's deployment)."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], float] = {}  # (iss, jti) -> exp
        self._lock = threading.Lock()

    def first_use(self, iss: str, jti: str, expires: float, now: float) -> bool:
        with self._lock:
            for key in [k for k, exp in self._seen.items() if exp < now]:
                del self._seen[key]
            if (iss, jti) in self._seen:
                return False
            self._seen[(iss, jti)] = expires
            return True

    def close(self) -> None:
        pass


_SCHEMA = """
CREATE TABLE IF NOT EXISTS cds_token_seen (
    iss     TEXT NOT NULL,
    jti     TEXT NOT NULL,
    expires DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (iss, jti)
)
"""
_SCHEMA_LOCK = 0x6668_6972_6A74  # arbitrary, fixed: "fhirjt"
# A new (iss, jti), or one whose earlier use has expired, is written and returned; a live one is
# neither (the conflict's WHERE fails): a replay. One statement, so two replicas seeing the same
# token at once cannot both be first (the primary key serialises them).
_FIRST_USE = """
INSERT INTO cds_token_seen (iss, jti, expires) VALUES (%s, %s, %s)
ON CONFLICT (iss, jti) DO UPDATE SET expires = EXCLUDED.expires
WHERE cds_token_seen.expires < %s
RETURNING 1
"""


class PostgresSeenTokens:
    """Shared by every replica using the same database."""

    def __init__(self, url: str) -> None:
        from .postgres import ThreadConnections  # psycopg: the optional [postgres] extra

        self._db = ThreadConnections(url)
        self._db.create_schema(_SCHEMA_LOCK, [_SCHEMA])

    def first_use(self, iss: str, jti: str, expires: float, now: float) -> bool:
        with self._db.transaction() as db:
            db.execute("DELETE FROM cds_token_seen WHERE expires < %s", (now,))
            row = db.execute(_FIRST_USE, (iss, jti, expires, now)).fetchone()
        return row is not None

    def close(self) -> None:
        self._db.close()


def seen_tokens_for(settings: Settings) -> SeenTokens:
    """Shared in PostgreSQL where the replicas share their outbox there; else in memory."""
    if settings.outbox_url is not None:
        return PostgresSeenTokens(settings.outbox_url.get_secret_value())
    return MemorySeenTokens()
