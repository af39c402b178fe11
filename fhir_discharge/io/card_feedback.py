"""What physicians did with the CDS Hooks cards (CDS Hooks 2.0, "Feedback"): each outcome the EHR
reports, kept durably and counted in /metrics (web/metrics.py), so the hospital sees how often a
card is accepted or set aside, and why (core/cds_cards.py, the override reasons).

Kept where the outbox is (the service's one durable store, io/discharging.py `open_outbox`): a
table of its own in the outbox's SQLite file (one service process), or in its PostgreSQL
database, shared by the replicas. One row per (card, outcome, outcomeTimestamp): an EHR that
sends the same feedback again adds nothing. What is kept names no patient: the card's uuid, the
outcome, the accepted suggestions' uuids, the coded override reason, the times and the calling
CDS client. The physician's free-text `userComment` is not kept (it may name the patient).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final, Protocol

if TYPE_CHECKING:
    from ..config import Settings


@dataclass(frozen=True)
class CardOutcome:
    """One feedback entry, as kept. `reason_label`: the override reason's code when it is one of
    the service's own (`reason_system`), `other` for another reason, `none` without one: the
    /metrics label, whose values a caller cannot make up."""

    card: str
    outcome: str  # accepted | overridden
    outcome_timestamp: str
    accepted_suggestions: tuple[str, ...]
    reason_system: str | None
    reason_code: str | None
    reason_label: str


NO_REASON: Final = "none"
OTHER_REASON: Final = "other"


class CardFeedback(Protocol):
    def record(self, outcomes: Iterable[CardOutcome], client: str, received: float) -> int:
        """Keep `outcomes` (durably, before returning); how many were new. Blocking."""
        ...

    def counts(self) -> Mapping[tuple[str, str], int]:
        """How many outcomes were kept, by (outcome, reason_label). Blocking."""
        ...

    def close(self) -> None: ...


_SQLITE_INSERT: Final = """
INSERT OR IGNORE INTO cds_card_feedback (card, outcome, outcome_timestamp, accepted_suggestions,
    reason_system, reason_code, reason_label, client, received)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
_PG_INSERT: Final = """
INSERT INTO cds_card_feedback (card, outcome, outcome_timestamp, accepted_suggestions,
    reason_system, reason_code, reason_label, client, received)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING
"""
_SQLITE_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS cds_card_feedback (
    card                 TEXT NOT NULL,
    outcome              TEXT NOT NULL,
    outcome_timestamp    TEXT NOT NULL,
    accepted_suggestions TEXT NOT NULL,
    reason_system        TEXT,
    reason_code          TEXT,
    reason_label         TEXT NOT NULL,
    client               TEXT NOT NULL,
    received             REAL NOT NULL,
    PRIMARY KEY (card, outcome, outcome_timestamp)
)
"""
_COUNTS: Final = (
    "SELECT outcome, reason_label, COUNT(*) AS n FROM cds_card_feedback "
    "GROUP BY outcome, reason_label"
)


def _row(outcome: CardOutcome, client: str, received: float) -> tuple[object, ...]:
    return (
        outcome.card,
        outcome.outcome,
        outcome.outcome_timestamp,
        " ".join(outcome.accepted_suggestions),
        outcome.reason_system,
        outcome.reason_code,
        outcome.reason_label,
        client,
        received,
    )


class SqliteCardFeedback:
    """A table in the outbox's SQLite file, on a connection of its own (WAL: the outbox's
    writes and these do not wait on each other for long)."""

    def __init__(self, path: str | Path) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # on disk (fsync) before the EHR hears 200
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(_SQLITE_SCHEMA)

    def record(self, outcomes: Iterable[CardOutcome], client: str, received: float) -> int:
        rows = [_row(o, client, received) for o in outcomes]
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                before = self._db.total_changes
                self._db.executemany(
                    _SQLITE_INSERT,
                    rows,
                )
                added = self._db.total_changes - before
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return added

    def counts(self) -> Mapping[tuple[str, str], int]:
        with self._lock:
            return {(r[0], r[1]): int(r[2]) for r in self._db.execute(_COUNTS)}

    def close(self) -> None:
        with self._lock:
            self._db.close()


_PG_SCHEMA: Final = _SQLITE_SCHEMA.replace("REAL", "DOUBLE PRECISION")
_PG_SCHEMA_LOCK: Final = 0x6668_6972_6662  # arbitrary, fixed: "fhirfb"


class PostgresCardFeedback:
    """The same table in the PostgreSQL outbox's database, shared by every replica: each one
    reports the shared counts (aggregate them with max, not sum)."""

    def __init__(self, url: str) -> None:
        from .postgres import ThreadConnections  # psycopg: the optional [postgres] extra

        self._db = ThreadConnections(url)
        self._db.create_schema(_PG_SCHEMA_LOCK, [_PG_SCHEMA])

    def record(self, outcomes: Iterable[CardOutcome], client: str, received: float) -> int:
        added = 0
        with self._db.transaction() as db:
            for outcome in outcomes:
                cursor = db.execute(
                    _PG_INSERT,
                    _row(outcome, client, received),
                )
                added += cursor.rowcount
        return added

    def counts(self) -> Mapping[tuple[str, str], int]:
        with self._db.transaction() as db:
            rows = db.execute(_COUNTS).fetchall()
        return {(r["outcome"], r["reason_label"]): int(r["n"]) for r in rows}

    def close(self) -> None:
        self._db.close()


def card_feedback_for(settings: Settings) -> CardFeedback:
    """Where the outbox is: its PostgreSQL database when `outbox_url` is set, else its SQLite
    file."""
    if settings.outbox_url is not None:
        return PostgresCardFeedback(settings.outbox_url.get_secret_value())
    return SqliteCardFeedback(settings.outbox_path)
