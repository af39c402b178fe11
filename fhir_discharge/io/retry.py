"""When and how long to wait before trying a FHIR request again: one backoff for everything.

Which layer retries what, and why:

- The discharge transaction (POST) is retried by the outbox only (io/delivery.py). The client
  (io/fhir_client.py) posts it once; a transient failure goes back to the outbox, which is
  durable, visible (/discharges/{id}, /metrics), bounded (`max_delivery_attempts`, then dead)
  and survives a restart. A second retry layer inside the client would multiply the POSTs per
  outbox attempt and hide them from the outbox's count.
- Reads (GETs: the gatherer, `$document`) have no outbox: a caller is waiting for them, so the
  client retries them itself, a few times within a total time (RetryPolicy).

Both wait `backoff(...)`: exponential with full jitter, or the server's Retry-After when it sent
one, capped. Every request retried is safe to repeat: reads are reads, and the discharge
transaction creates conditionally on business identifiers, so a retry whose first attempt did
land finds the resources ("200 OK") instead of duplicating them.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from ..errors import FhirServerError

# 408 Request Timeout, 429 Too Many Requests, and the gateway/availability 5xx are transient;
# any other 4xx is our request's fault and is not retried, nor is 500 (a server bug repeats).
RETRYABLE_STATUSES = frozenset({408, 429, 502, 503, 504})

_jitter = random.Random()  # noqa: S311 (jitter, not secrets)


def backoff(
    attempt: int,
    base_delay: float,
    max_delay: float,
    *,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait after failed attempt number `attempt` (1-based): what the server asked
    for (Retry-After) when it did, else full jitter below base_delay * 2^(attempt-1) (AWS
    architecture blog, "Exponential Backoff and Jitter"); never more than `max_delay`."""
    if retry_after is not None:
        return min(max_delay, max(0.0, retry_after))
    return (rng or _jitter).uniform(0, min(max_delay, base_delay * 2 ** (attempt - 1)))


def is_transient(error: FhirServerError) -> bool:
    """Worth another attempt later: no HTTP status (the server was not reached, did not answer
    in time, or answered something unreadable) or a transient one."""
    return error.server_status is None or error.server_status in RETRYABLE_STATUSES


@dataclass(frozen=True)
class RetryPolicy:
    """How the client retries a read (see the module docstring: writes are the outbox's)."""

    attempts: int = 5  # including the first
    base_delay: float = 0.25  # seconds; doubles per attempt, full jitter below it
    max_delay: float = 8.0
    total_seconds: float = 30.0  # no retry starts after this much time since the first attempt
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)
    sleep: Callable[[float], Awaitable[None]] = field(
        default=asyncio.sleep, compare=False, repr=False
    )

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        return backoff(
            attempt, self.base_delay, self.max_delay, retry_after=retry_after, rng=self.rng
        )


def parse_retry_after(value: str, now: datetime | None = None) -> float | None:
    """RFC 9110 Retry-After: delay-seconds or an HTTP-date."""
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
