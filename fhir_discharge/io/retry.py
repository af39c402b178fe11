"""When and how long to wait before trying a FHIR request again.

Every request this module sends is safe to repeat: reads are reads, and the discharge
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

# 408 Request Timeout, 429 Too Many Requests, and the gateway/availability 5xx are transient;
# any other 4xx is our request's fault and is not retried, nor is 500 (a server bug repeats).
RETRYABLE_STATUSES = frozenset({408, 429, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5  # including the first
    base_delay: float = 0.25  # seconds; doubles per attempt, full jitter below it
    max_delay: float = 8.0
    total_seconds: float = 30.0  # no retry starts after this much time since the first attempt
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)
    sleep: Callable[[float], Awaitable[None]] = field(
        default=asyncio.sleep, compare=False, repr=False
    )

    def backoff(self, attempt: int) -> float:
        """Full jitter (AWS architecture blog, "Exponential Backoff and Jitter")."""
        return self.rng.uniform(0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))

    def delay(self, attempt: int, retry_after: str | None, now: datetime | None = None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        asked = parse_retry_after(retry_after, now) if retry_after else None
        return min(self.max_delay, asked) if asked is not None else self.backoff(attempt)


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
