"""The physician app's sessions: what the browser's opaque handle stands for (a backend for the
frontend, web/physician_app/).

The service exchanges the authorization code itself and keeps the SMART access token here; the
browser gets a random handle instead, bound to that launch: the FHIR server (`iss`), the patient,
the encounter and the physician (`fhirUser`). A handle is good until the session expires (never
after the SMART token does).

A session is stored sealed: under a digest of its handle, encrypted (AES-256-GCM) with a key
derived from the handle. Whoever reads the store (a database dump, another replica's memory)
learns neither the handle nor the SMART token nor the launch; only a caller holding the handle
opens its session. So no key is configured or shared: the replicas share only the rows.

One service process keeps sessions in memory. Several replicas behind one load balancer share
them where they share a PostgreSQL outbox (the `outbox_url` setting), in the same database, as
io/seen_tokens.py does for CDS Hooks JWTs.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import secrets
import threading
from typing import TYPE_CHECKING, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

if TYPE_CHECKING:
    from ..config import Settings

_HANDLE_BYTES = 32  # 256 bits of randomness: not guessable, not enumerable
_MAX_HANDLE_LENGTH = 64
_NONCE_BYTES = 12


@dataclasses.dataclass(frozen=True)
class AppSession:
    """One launch of the app, as this service saw it through."""

    iss: str  # the FHIR server of the launch
    patient: str  # the launch context: the only patient and encounter the session acts on
    encounter: str
    practitioner: str  # the physician (the id_token's fhirUser): the screening's author
    access_token: str = dataclasses.field(repr=False)  # the SMART token: never leaves the service
    expires: float  # epoch seconds


class SealedStore(Protocol):
    """Where sealed sessions are kept, by the digest of their handle. Blocking: call it from a
    thread where it may wait (PostgreSQL)."""

    def put(self, key: str, sealed: bytes, expires: float, now: float) -> None: ...

    def get(self, key: str, now: float) -> bytes | None:
        """The sealed session under `key`, unless it has expired."""
        ...

    def delete(self, key: str) -> None: ...

    def close(self) -> None: ...


def _derived(handle: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        handle.encode("ascii")
    )


def _key_of(handle: str) -> str:
    return _derived(handle, b"fhir-discharge app session: key").hex()


def seal(handle: str, session: AppSession) -> tuple[str, bytes]:
    """The store key and the sealed bytes of `session` under `handle`."""
    nonce = secrets.token_bytes(_NONCE_BYTES)
    plain = json.dumps(dataclasses.asdict(session)).encode("utf-8")
    key = _key_of(handle)
    cipher = AESGCM(_derived(handle, b"fhir-discharge app session: seal"))
    return key, nonce + cipher.encrypt(nonce, plain, key.encode("ascii"))


def unseal(handle: str, sealed: bytes) -> AppSession | None:
    key = _key_of(handle)
    cipher = AESGCM(_derived(handle, b"fhir-discharge app session: seal"))
    try:
        plain = cipher.decrypt(sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:], key.encode("ascii"))
    except (InvalidTag, ValueError):
        return None
    return AppSession(**json.loads(plain))


def _plausible(handle: str) -> bool:
    # What new_handle makes (URL-safe base64), before any digest or lookup is spent on it.
    return 0 < len(handle) <= _MAX_HANDLE_LENGTH and all(
        c.isascii() and (c.isalnum() or c in "-_") for c in handle
    )


class AppSessions:
    """Open, find and end sessions by their handle. Blocking: call it from a thread."""

    def __init__(self, store: SealedStore) -> None:
        self._store = store

    def open(self, session: AppSession, now: float) -> str:
        """A new handle for `session`: what the browser holds."""
        handle = base64.urlsafe_b64encode(secrets.token_bytes(_HANDLE_BYTES)).decode().rstrip("=")
        key, sealed = seal(handle, session)
        self._store.put(key, sealed, session.expires, now)
        return handle

    def find(self, handle: str, now: float) -> AppSession | None:
        """The live session behind `handle`; None for an unknown, forged or expired one."""
        if not _plausible(handle):
            return None
        sealed = self._store.get(_key_of(handle), now)
        session = unseal(handle, sealed) if sealed is not None else None
        return session if session is not None and session.expires > now else None

    def end(self, handle: str) -> None:
        if _plausible(handle):
            self._store.delete(_key_of(handle))

    def close(self) -> None:
        self._store.close()


class MemoryStore:
    """One process's memory: enough for one service process (the SQLite outbox's deployment)."""

    def __init__(self) -> None:
        self._sessions: dict[str, tuple[bytes, float]] = {}
        self._lock = threading.Lock()

    def put(self, key: str, sealed: bytes, expires: float, now: float) -> None:
        with self._lock:
            for old in [k for k, (_, exp) in self._sessions.items() if exp <= now]:
                del self._sessions[old]
            self._sessions[key] = (sealed, expires)

    def get(self, key: str, now: float) -> bytes | None:
        with self._lock:
            found = self._sessions.get(key)
        return found[0] if found is not None and found[1] > now else None

    def delete(self, key: str) -> None:
        with self._lock:
            self._sessions.pop(key, None)

    def close(self) -> None:
        with self._lock:
            self._sessions.clear()


_SCHEMA = """
CREATE TABLE IF NOT EXISTS app_session (
    key     TEXT PRIMARY KEY,
    sealed  BYTEA NOT NULL,
    expires DOUBLE PRECISION NOT NULL
)
"""
_SCHEMA_LOCK = 0x6668_6972_6170  # arbitrary, fixed: "fhirap"


class PostgresStore:
    """Shared by every replica using the same database."""

    def __init__(self, url: str) -> None:
        from .postgres import ThreadConnections  # psycopg: the optional [postgres] extra

        self._db = ThreadConnections(url)
        self._db.create_schema(_SCHEMA_LOCK, [_SCHEMA])

    def put(self, key: str, sealed: bytes, expires: float, now: float) -> None:
        with self._db.transaction() as db:
            db.execute("DELETE FROM app_session WHERE expires <= %s", (now,))
            db.execute(
                "INSERT INTO app_session (key, sealed, expires) VALUES (%s, %s, %s)",
                (key, sealed, expires),
            )

    def get(self, key: str, now: float) -> bytes | None:
        with self._db.transaction() as db:
            row = db.execute(
                "SELECT sealed FROM app_session WHERE key = %s AND expires > %s", (key, now)
            ).fetchone()
        return bytes(row["sealed"]) if row is not None else None

    def delete(self, key: str) -> None:
        with self._db.transaction() as db:
            db.execute("DELETE FROM app_session WHERE key = %s", (key,))

    def close(self) -> None:
        self._db.close()


def app_sessions_for(settings: Settings) -> AppSessions:
    """Shared in PostgreSQL where the replicas share their outbox there; else in memory."""
    if settings.outbox_url is not None:
        return AppSessions(PostgresStore(settings.outbox_url.get_secret_value()))
    return AppSessions(MemoryStore())
