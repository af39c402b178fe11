"""The durable outbox: every accepted discharge is on disk before the caller hears "accepted".

A discharge is a clinical record; when the FHIR server is slow or down, it must still arrive,
exactly once. The service writes each accepted transaction here, and a deliverer
(io/delivery.py) posts it until it lands. Items are keyed by the encounter's identity, so
repeating a discharge joins the item already there instead of queueing another.

States:   queued → delivering → delivered
                              | queued (a transient failure: retried at next_attempt_at)
                              | failed (the server refused it: inspect and re-drive)
                              | dead   (too many attempts: inspect and re-drive)
- accept: a new item, or any item not in flight, → queued (or → delivering, claimed at once);
  an item delivering is left to finish;
- claim_due: queued and due, or delivering with its lease run out (its deliverer died) →
  delivering, attempts + 1;
- release_leases: delivering → queued, where the backend can know the lease is a dead
  process's (SQLite: one process per outbox; PostgreSQL cannot, and waits for the lease);
- redrive: failed | dead → queued, attempts back to 0;
- mark_failed may queue, in the same commit, an alert of that failure (NewAlert: a Task for the
  people the hospital names, core/dead_letter.py): an item of its own, `{discharge id}-alert-{n}`
  for the discharge's n-th final failure, delivered like a discharge (the deliverer retries it
  past max attempts, and never alerts of an alert);
- purge_delivered: a delivered item's payload (the transaction: the patient's record and the
  letter; the warnings) is emptied once it is older than the retention; its state, ids, where
  each resource landed and its times are kept.

A payload changed at rest is not delivered (hazard H128): accept (and mark_failed, for an alert)
records the SHA-256 digest of the item's payload (`payload_digest`: its id, transaction and
warnings, as canonical JSON); claim_due computes it again from the row it claimed, and an item
whose payload no longer matches (changed on disk, a bad restore, a row copied from another item)
is not handed out: in the same commit it is recorded `failed` with an OperationOutcome saying why
(core/dead_letter.py CHANGED_AT_REST) and, when the caller gives `alert_of`, its alert queued as
any failure's (io/delivery.py); logged with its ids only. A plain digest, not an HMAC: the service
has no secret of its own to key one with, so it catches accidental and naive changes, not someone
with write access who recomputes it (that is the deployment's access control and encryption at
rest, DCB0160). An item accepted before digests were recorded (none: NULL) is delivered as before,
with a warning in the log: refusing it would leave a discharge the physician made undelivered at
the upgrade, for a check it never had.

Beside the items, the letters this service wrote (`written_letter`: the FHIR server, the
Composition's id there and its version, the discharge; the stored document's id, version and the
digest of what was attested), recorded with the delivery that wrote them and never purged:
`$document` serves only these (web/documents.py), so a Composition written to the FHIR server by
anyone else is not taken for ours, whatever it claims, and a stored document that is not what
was attested is not served.

This module holds what both backends share: the `Outbox` protocol the deliverer and the routes
are written against, `OutboxItem`, the states, and `SqlOutbox`, the state machine written once
in SQL both dialects agree on. sqlite.py (one service process; the default) and postgres.py
(several replicas; the [postgres] extra) implement their connection, transaction and durability
details. Choosing one from the settings is wiring: io/discharging.py `open_outbox`. This module
imports neither backend, so importing it never imports psycopg.
"""

from __future__ import annotations

import hashlib
import json
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from ...core.dead_letter import CHANGED_AT_REST
from ...errors import DischargeWarning
from ..json_codec import json_bytes

log = logging.getLogger(__name__)

QUEUED, DELIVERING, DELIVERED, FAILED, DEAD = "queued", "delivering", "delivered", "failed", "dead"
STATES = (QUEUED, DELIVERING, DELIVERED, FAILED, DEAD)
FINAL_FAILURES = (FAILED, DEAD)  # what mark_failed may record; what redrive takes back
# An alert's outbox id is its discharge's id, this, and the number of the discharge's failure.
ALERT_MARK = "-alert-"


def is_alert(item_id: str) -> bool:
    """Whether the outbox item `item_id` is the alert of a discharge's failure, not a discharge."""
    return ALERT_MARK in item_id


@dataclass(frozen=True)
class NewAlert:
    """An alert to queue in the commit that records a discharge's final failure (mark_failed):
    its encounter (for the logs), and its transaction, built once its outbox id is known (the
    id is the discharge's and the number of its failures, counted in that commit)."""

    encounter: str
    transaction: Callable[[str], dict[str, Any]]


# What builds the alert of an item refused at claim (claim_due): the item and its outcome; None
# for no alert. An error: the alert cannot be built (the failure is recorded without one).
AlertOf = Callable[["OutboxItem", dict[str, Any]], "NewAlert | None"]


@dataclass(frozen=True)
class WrittenLetter:
    """A letter this service wrote: its Composition on a FHIR server, as the server named it in
    the answer to the transaction that created it."""

    server: str  # the FHIR base URL
    composition_id: str
    version: str | None  # its version then (`_history/N` of the location), if the server said
    # The letter as the attested document the same transaction stored (core/stored_document.py):
    # the Bundle's id and version there, and the digest of what was attested. None for a letter
    # written by an earlier version of the service, which stored no document.
    document_id: str | None = None
    document_version: str | None = None
    document_digest: str | None = None


@dataclass(frozen=True)
class OutboxItem:
    id: str
    encounter: str  # "Encounter/id": the only patient-linked value that reaches logs
    bundle: dict[str, Any]
    # The discharge's warnings, each with its code and values; a plain string is one written
    # before warnings had codes (an outbox of an earlier version).
    warnings: tuple[DischargeWarning | str, ...]
    state: str
    attempts: int
    result: list[dict[str, Any]] | None  # where each entry landed, once delivered
    outcome: dict[str, Any] | None  # the last failure, as an OperationOutcome
    # True only on the item accept(claim_for_seconds=...) returns when that call claimed it:
    # this process holds its lease and must deliver it now (Deliverer.deliver_now). Not stored.
    claimed: bool = field(default=False, compare=False)


class Outbox(Protocol):
    """What the deliverer and the routes need of an outbox. Times are epoch seconds, passed in
    by the caller (never read here). Every method is blocking: call it from a thread."""

    def accept(
        self,
        item_id: str,
        encounter: str,
        bundle: dict[str, Any],
        warnings: Sequence[DischargeWarning | str],
        now: float,
        claim_for_seconds: float | None = None,
    ) -> OutboxItem:
        """Record a discharge, durably, before returning. A repeat queues the item again with
        the new bundle (the record may have been corrected since; and re-posting a delivered
        one confirms it is still on the server, where the conditional creates find it). An
        item in flight is left to finish, and returned as it stands.

        With `claim_for_seconds`, the item is written already claimed, in the same durable
        commit: delivering, attempt 1, leased to this process for that long, as claim_due
        would leave it; the returned item has `claimed=True` and the caller delivers it at once
        (Deliverer.deliver_now). If this process dies first, the item is claimed again as any
        claimed item is. An item already in flight is not claimed (`claimed=False`)."""
        ...

    def get(self, item_id: str) -> OutboxItem | None: ...

    def claim_due(
        self,
        now: float,
        lease_seconds: float,
        limit: int,
        alert_of: AlertOf | None = None,
    ) -> list[OutboxItem]:
        """Take up to `limit` due items for delivery, oldest first: queued ones whose time has
        come, and delivering ones whose lease ran out (the conditional creates make a second
        delivery safe). Never the same item to two claimers whose leases overlap.

        An item whose payload changed since it was accepted (its digest no longer matches) is
        not returned: in the same commit it is recorded FAILED (CHANGED_AT_REST), with the alert
        `alert_of(item, outcome)` gives queued as mark_failed queues one."""
        ...

    def mark_delivered(
        self,
        item_id: str,
        result: list[dict[str, Any]],
        now: float,
        letters: Sequence[WrittenLetter] = (),
    ) -> None:
        """Record a delivery, and in the same commit the `letters` it wrote (a letter already
        recorded keeps what was recorded first)."""
        ...

    def written_letter(self, server: str, composition_id: str) -> WrittenLetter | None:
        """The letter this service recorded writing as `composition_id` on `server`, or None."""
        ...

    def written_document(self, server: str, document_id: str) -> WrittenLetter | None:
        """The letter whose document this service stored as `document_id` on `server`."""
        ...

    def purge_delivered(self, before: float, now: float) -> int:
        """Empty the payload (bundle, warnings) of every delivered item last updated before
        `before`; its state, ids, result and times are kept. How many were purged."""
        ...

    def mark_failed(
        self,
        item_id: str,
        state: str,
        outcome: dict[str, Any],
        now: float,
        alert: NewAlert | None = None,
    ) -> str | None:
        """Record a final failure: `state` FAILED (refused) or DEAD (too many attempts). With
        `alert`, queue it in the same durable commit, as an item `{item_id}-alert-{n}` for the
        n-th final failure of the item; its id (None without one). A crash never leaves a
        failure recorded without its alert, nor an alert without its failure."""
        ...

    def requeue(self, item_id: str, outcome: dict[str, Any], at: float, now: float) -> None:
        """Back to the queue after a transient failure, due again at `at`."""
        ...

    def redrive(self, item_id: str, now: float) -> bool:
        """Put a failed or dead item back in the queue (after someone fixed the cause)."""
        ...

    def release_leases(self, now: float) -> int:
        """At start-up: requeue items left delivering by a process that died, where that can be
        known; how many."""
        ...

    def counts(self) -> dict[str, int]: ...

    def next_due(self) -> float | None:
        """When the next item becomes claimable (queued: its retry time; delivering: its
        lease's end), or None."""
        ...

    def close(self) -> None: ...


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Connection(Protocol):
    """The part of a DB-API connection SqlOutbox uses (sqlite3's and psycopg's agree on it)."""

    def execute(self, sql: str, params: Sequence[Any], /) -> Cursor: ...


# The statements, written once with `?` placeholders (SqlOutbox._native makes them the
# driver's). Rows are read by column name, which sqlite3.Row and psycopg's dict_row both allow.
UPSERT = (
    "INSERT INTO discharge (id, encounter, bundle, warnings, state, attempts,"
    " next_attempt_at, lease_until, accepted_at, updated_at, payload_digest)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (id) DO UPDATE SET bundle = excluded.bundle, purged_at = NULL,"
    " warnings = excluded.warnings, payload_digest = excluded.payload_digest,"
    " state = excluded.state,"
    " attempts = excluded.attempts, next_attempt_at = excluded.next_attempt_at,"
    " lease_until = excluded.lease_until, updated_at = excluded.updated_at"
    " WHERE discharge.state != ? RETURNING state, attempts, result, outcome"
)
SELECT_ONE = "SELECT * FROM discharge WHERE id = ?"
CLAIM = (
    "UPDATE discharge SET state = ?, lease_until = ?, attempts = attempts + 1,"
    " updated_at = ? WHERE id IN (SELECT id FROM discharge WHERE"
    " (state = ? AND next_attempt_at <= ?) OR (state = ? AND lease_until < ?)"
    " ORDER BY next_attempt_at LIMIT ?{lock}) RETURNING *"
)
MARK_DELIVERED = (
    "UPDATE discharge SET state = ?, lease_until = NULL, result = ?,"
    " outcome = NULL, updated_at = ? WHERE id = ?"
)
MARK_FAILED = (
    "UPDATE discharge SET state = ?, lease_until = NULL, result = NULL, outcome = ?,"
    " updated_at = ? WHERE id = ?"
)
REQUEUE = (
    "UPDATE discharge SET state = ?, next_attempt_at = ?, lease_until = NULL,"
    " outcome = ?, updated_at = ? WHERE id = ?"
)
REDRIVE = (
    "UPDATE discharge SET state = ?, attempts = 0, next_attempt_at = ?,"
    " updated_at = ? WHERE id = ? AND state IN (?, ?)"
)
RECORD_LETTER = (
    "INSERT INTO written_letter (server, composition_id, version, discharge, recorded_at,"
    " document_id, document_version, document_digest)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (server, composition_id) DO NOTHING"
)
# The columns an outbox of an earlier version lacks (each backend adds them at start).
WRITTEN_DOCUMENT_COLUMNS = ("document_id", "document_version", "document_digest")
SELECT_LETTER = "SELECT * FROM written_letter WHERE server = ? AND composition_id = ?"
COUNT_ALERTS = "SELECT COUNT(*) AS n FROM discharge WHERE id LIKE ? ESCAPE '\\'"
SELECT_DOCUMENT = "SELECT * FROM written_letter WHERE server = ? AND document_id = ?"
# What a delivery looks a found document up by (io/server_identity.py).
DOCUMENT_INDEX = (
    "CREATE INDEX IF NOT EXISTS written_letter_document ON written_letter (server, document_id)"
)
PURGE = (
    "UPDATE discharge SET bundle = ?, warnings = ?, payload_digest = NULL, purged_at = ?"
    " WHERE state = ? AND updated_at < ? AND purged_at IS NULL"
)
COUNTS = "SELECT state, COUNT(*) AS n FROM discharge GROUP BY state"
NEXT_DUE = (
    "SELECT MIN(CASE WHEN state = ? THEN next_attempt_at ELSE lease_until END) AS due"
    " FROM discharge WHERE state IN (?, ?)"
)


# The column an outbox of an earlier version lacks (each backend adds it at start): NULL for the
# items it accepted then.
PAYLOAD_DIGEST_COLUMN = "payload_digest"


def payload_digest(item_id: str, bundle: Any, warnings: Any) -> str:
    """The SHA-256 (hex) of an outbox item's payload: its id (so a payload copied from another
    item does not match), its transaction and its warnings (as stored: _warning_json), each as
    the JSON a backend stores and returns, canonical: keys sorted, and a number written the same
    whether the column kept it as written (SQLite's text) or as a number (PostgreSQL's JSONB,
    which writes 1e16 as 10000000000000000)."""
    value = [item_id, _stored_json(bundle), _stored_json(warnings)]
    return hashlib.sha256(_canonical(value)).hexdigest()


def _stored_json(value: Any) -> Any:
    """`value` as decoding the stored JSON gives it back (tuples as lists, and so on)."""
    return orjson.loads(json_bytes(value))


def _canonical(value: Any) -> bytes:
    value = _same_numbers(value)
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:  # an integer beyond 64 bits
        return json.dumps(
            value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
        ).encode()


def _same_numbers(value: Any) -> Any:
    # A whole float as the integer it is: JSONB may give either back for the same number.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _same_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_same_numbers(v) for v in value]
    return value


def changed_at_rest_outcome() -> dict[str, Any]:
    """The OperationOutcome an item refused at claim is recorded with (no patient data)."""
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "fatal", "code": "processing", "diagnostics": CHANGED_AT_REST}],
    }


def _like_prefix(value: str) -> str:
    """A LIKE pattern matching what starts with `value` (its wildcards and escapes literal)."""
    for special in ("\\", "%", "_"):
        value = value.replace(special, "\\" + special)
    return value + "%"


class SqlOutbox(ABC):
    """The outbox's state machine over one `discharge` table; a backend supplies connections,
    transactions, JSON encoding and what its dialect does differently."""

    # Appended to the claim's row selection (PostgreSQL: FOR UPDATE SKIP LOCKED).
    claim_lock = ""

    @abstractmethod
    def _transaction(self, durable: bool = True) -> AbstractContextManager[Connection]:
        """One transaction, committed on leaving (rolled back on an error). `durable=False`:
        its commit need not wait for the disk (see mark_delivered)."""

    def _read(self) -> AbstractContextManager[Connection]:
        """A connection for one consistent read."""
        return self._transaction()

    @abstractmethod
    def _encode(self, value: Any) -> Any:
        """A JSON value as the driver stores it in a JSON column."""

    @abstractmethod
    def _decode(self, stored: Any) -> Any:
        """A JSON column's value as the driver returns it, decoded."""

    @abstractmethod
    def _native(self, sql: str) -> str:
        """A statement with `?` placeholders, as the driver wants it."""

    @abstractmethod
    def _write_accept(self, values: tuple[Any, ...]) -> tuple[Any, Any]:
        """Run UPSERT with `values` in a durable commit; its RETURNING row (None: the item was
        in flight) and, when None, the item's row as it stands."""

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def release_leases(self, now: float) -> int: ...

    def _upsert(self, db: Connection, values: tuple[Any, ...]) -> tuple[Any, Any]:
        """Inside a transaction: the accept's write (see _write_accept)."""
        row = db.execute(self._native(UPSERT), values).fetchone()
        if row is not None:
            return row, None
        return None, db.execute(self._native(SELECT_ONE), (values[0],)).fetchone()

    def accept(
        self,
        item_id: str,
        encounter: str,
        bundle: dict[str, Any],
        warnings: Sequence[DischargeWarning | str],
        now: float,
        claim_for_seconds: float | None = None,
    ) -> OutboxItem:
        """See Outbox.accept."""
        claim = claim_for_seconds is not None
        stored_warnings = [_warning_json(w) for w in warnings]
        row, found = self._write_accept(
            (
                item_id,
                encounter,
                self._encode(bundle),  # the only encoding of the bundle on the way in
                self._encode(stored_warnings),
                DELIVERING if claim else QUEUED,
                1 if claim else 0,
                now,
                now + claim_for_seconds if claim_for_seconds is not None else None,
                now,
                now,
                payload_digest(item_id, bundle, stored_warnings),
                DELIVERING,  # the upsert leaves an item in flight alone
            )
        )
        if row is None:  # in flight: left alone, read as it stands
            assert found is not None
            return self._item(found)
        # Written as given: built from the caller's values, not decoded again from the row.
        return OutboxItem(
            id=item_id,
            encounter=encounter,
            bundle=bundle,
            warnings=tuple(warnings),
            state=row["state"],
            attempts=row["attempts"],
            result=self._json(row["result"]),
            outcome=self._json(row["outcome"]),
            claimed=claim,
        )

    def get(self, item_id: str) -> OutboxItem | None:
        with self._read() as db:
            row = db.execute(self._native(SELECT_ONE), (item_id,)).fetchone()
        return self._item(row) if row else None

    def claim_due(
        self,
        now: float,
        lease_seconds: float,
        limit: int,
        alert_of: AlertOf | None = None,
    ) -> list[OutboxItem]:
        """See Outbox.claim_due."""
        claimed: list[OutboxItem] = []
        with self._transaction() as db:
            rows = db.execute(
                self._native(CLAIM.format(lock=self.claim_lock)),
                (DELIVERING, now + lease_seconds, now, QUEUED, now, DELIVERING, now, limit),
            ).fetchall()
            for row in rows:
                item = self._item(row)
                if self._intact(row, item):
                    claimed.append(item)
                else:
                    self._refuse_changed(db, item, now, alert_of)
        return claimed

    def _intact(self, row: Any, item: OutboxItem) -> bool:
        """Whether the claimed row's payload is the one accepted (H128). An item accepted before
        digests were recorded has none: delivered as before, with a warning (module docstring)."""
        recorded = row[PAYLOAD_DIGEST_COLUMN]
        warnings = self._decode(row["warnings"])
        if recorded is None:
            log.warning(
                "outbox: %s for %s has no payload digest (accepted before digests were "
                "recorded): delivered unchecked",
                item.id,
                item.encounter,
            )
            return True
        return bool(payload_digest(item.id, item.bundle, warnings) == recorded)

    def _refuse_changed(
        self, db: Connection, item: OutboxItem, now: float, alert_of: AlertOf | None
    ) -> None:
        """Inside the claim's transaction: record `item` FAILED, its payload changed at rest,
        with its alert when `alert_of` builds one; said at ERROR, by its ids only."""
        outcome = changed_at_rest_outcome()
        db.execute(self._native(MARK_FAILED), (FAILED, self._encode(outcome), now, item.id))
        alert_id = None
        try:
            alert = alert_of(item, outcome) if alert_of is not None else None
            if alert is not None:
                alert_id = self._queue_alert(db, item.id, alert, now)
        except Exception as error:  # no alert can be built (a changed payload): the failure stands
            log.error("outbox: no alert can be built for %s: %s", item.id, type(error).__name__)
        log.error(
            "outbox: %s for %s NOT delivered: its payload changed since it was accepted (the "
            "digest recorded then does not match); recorded failed, %s; discharge the encounter "
            "again",
            item.id,
            item.encounter,
            f"alert {alert_id} queued" if alert_id else "NO ALERT queued",
        )

    def mark_delivered(
        self,
        item_id: str,
        result: list[dict[str, Any]],
        now: float,
        letters: Sequence[WrittenLetter] = (),
    ) -> None:
        """Committed WITHOUT waiting for the disk (`durable=False`). Durability decision: on a
        crash of the machine or the database server the last marks may be lost (never
        corrupted), and those items are back in 'delivering'; they are claimed again
        (release_leases, or claim_due once their lease ran out) and posted again, where the
        conditional creates find every resource ("existing") and nothing is duplicated; the
        deliverer records the letter then (a later attempt of the same item: see
        io/delivery.py). accept() keeps its durable commit: nothing accepted is ever lost."""
        with self._transaction(durable=False) as db:
            db.execute(
                self._native(MARK_DELIVERED), (DELIVERED, self._encode(result), now, item_id)
            )
            for letter in letters:
                db.execute(
                    self._native(RECORD_LETTER),
                    (
                        letter.server,
                        letter.composition_id,
                        letter.version,
                        item_id,
                        now,
                        letter.document_id,
                        letter.document_version,
                        letter.document_digest,
                    ),
                )

    def written_letter(self, server: str, composition_id: str) -> WrittenLetter | None:
        return self._written(SELECT_LETTER, server, composition_id)

    def written_document(self, server: str, document_id: str) -> WrittenLetter | None:
        return self._written(SELECT_DOCUMENT, server, document_id)

    def _written(self, query: str, server: str, key: str) -> WrittenLetter | None:
        with self._read() as db:
            row = db.execute(self._native(query), (server, key)).fetchone()
        if row is None:
            return None
        return WrittenLetter(
            row["server"],
            row["composition_id"],
            row["version"],
            row["document_id"],
            row["document_version"],
            row["document_digest"],
        )

    def purge_delivered(self, before: float, now: float) -> int:
        with self._transaction() as db:
            cursor = db.execute(
                self._native(PURGE),
                (self._encode({}), self._encode([]), now, DELIVERED, before),
            )
            return cursor.rowcount

    def mark_failed(
        self,
        item_id: str,
        state: str,
        outcome: dict[str, Any],
        now: float,
        alert: NewAlert | None = None,
    ) -> str | None:
        """See Outbox.mark_failed."""
        if state not in FINAL_FAILURES:
            raise ValueError(f"mark_failed records {' or '.join(FINAL_FAILURES)}, not {state!r}")
        with self._transaction() as db:
            db.execute(self._native(MARK_FAILED), (state, self._encode(outcome), now, item_id))
            if alert is None:
                return None
            return self._queue_alert(db, item_id, alert, now)

    def _queue_alert(self, db: Connection, item_id: str, alert: NewAlert, now: float) -> str:
        """Inside a transaction: queue `alert` as the item's next `{item_id}-alert-{n}`."""
        prefix = f"{item_id}{ALERT_MARK}"
        row = db.execute(self._native(COUNT_ALERTS), (_like_prefix(prefix),)).fetchone()
        alert_id = f"{prefix}{int(row['n']) + 1}"
        transaction = alert.transaction(alert_id)
        values = (alert_id, alert.encounter, self._encode(transaction))
        digest = payload_digest(alert_id, transaction, [])
        db.execute(
            self._native(UPSERT),
            (*values, self._encode([]), QUEUED, 0, now, None, now, now, digest, DELIVERING),
        ).fetchone()
        return alert_id

    def requeue(self, item_id: str, outcome: dict[str, Any], at: float, now: float) -> None:
        with self._transaction() as db:
            db.execute(self._native(REQUEUE), (QUEUED, at, self._encode(outcome), now, item_id))

    def redrive(self, item_id: str, now: float) -> bool:
        with self._transaction() as db:
            cursor = db.execute(self._native(REDRIVE), (QUEUED, now, now, item_id, *FINAL_FAILURES))
            return cursor.rowcount == 1

    def counts(self) -> dict[str, int]:
        with self._read() as db:
            rows = db.execute(self._native(COUNTS), ()).fetchall()
        counts = dict.fromkeys(STATES, 0)
        counts.update({row["state"]: int(row["n"]) for row in rows})
        return counts

    def next_due(self) -> float | None:
        with self._read() as db:
            row = db.execute(self._native(NEXT_DUE), (QUEUED, QUEUED, DELIVERING)).fetchone()
        return float(row["due"]) if row and row["due"] is not None else None

    def _json(self, stored: Any) -> Any:
        return self._decode(stored) if stored is not None else None

    def _item(self, row: Any) -> OutboxItem:
        return OutboxItem(
            id=row["id"],
            encounter=row["encounter"],
            bundle=self._decode(row["bundle"]),
            warnings=tuple(_warning(w) for w in self._decode(row["warnings"])),
            state=row["state"],
            attempts=row["attempts"],
            result=self._json(row["result"]),
            outcome=self._json(row["outcome"]),
        )


def _warning_json(warning: DischargeWarning | str) -> Any:
    if isinstance(warning, str):
        return warning
    params = {k: list(v) if isinstance(v, tuple) else v for k, v in warning.params.items()}
    return {"message": warning.message, "code": warning.code, "params": params}


def _warning(stored: Any) -> DischargeWarning | str:
    if not isinstance(stored, dict):
        return str(stored)
    params = {k: tuple(v) if isinstance(v, list) else v for k, v in stored["params"].items()}
    return DischargeWarning(stored["message"], stored["code"], params)
