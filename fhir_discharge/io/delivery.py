"""The deliverer: posts accepted discharges until each lands.

Two ways in. The request that accepted a discharge normally claims it in the same commit
(Outbox.accept with claim_for_seconds) and hands it to `deliver_now`, which posts it at once in
this event loop, with the bundle still in memory: no wake-up, no claim commit, no re-read. The
background loop (`_run`) takes everything else: retries after a transient failure, items a dead
process left claimed (release_leases at start-up, or an expired lease), re-driven items, and
accepts made when too many inline deliveries were already in flight.

This is the one retry layer for the transaction: FhirClient.post_transaction tries once, and a
transient failure (io/retry.py `is_transient`) is requeued here, due again after
`backoff(...)` (the server's Retry-After when it sent one, capped at `max_delay`). So an item
costs one POST per outbox attempt: a dead letter exactly `max_attempts`, a refusal one.

A discharge given up (refused, an identity conflict, or dead) alerts someone: with `alert_owner`
set, the commit that records the failure also queues an alert (core/dead_letter.py: a Task for
that owner on the FHIR server), an outbox item delivered like any discharge. Every failure of a
discharge for good, and every failed attempt to write its alert, is logged at ERROR. The alert
is what must not be lost when the FHIR server itself is what fails: it is retried past
`max_attempts` (at the capped backoff) until the server takes it, and never alerts of itself; a
server that refuses it (an owner it does not hold) leaves it failed, logged and counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import re
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from ..core.dead_letter import build_dead_letter_alert, failure_reason
from ..core.pathway.canonicals import Canonicals
from ..core.stored_document import document_digest, document_entry
from ..errors import FhirServerError, IdentityConflict, operation_outcome
from .fhir_client import FhirClient, Landed
from .outbox import (
    DEAD,
    DELIVERED,
    FAILED,
    QUEUED,
    NewAlert,
    Outbox,
    OutboxItem,
    WrittenLetter,
    is_alert,
)
from .replaced_plan import with_replaced_plan_revoked
from .retry import backoff, is_transient
from .server_identity import check_identity_on_server

log = logging.getLogger(__name__)

LOOP_PAUSE_MAX = 30.0  # seconds: the longest pause of the loop after the outbox failed


class Deliverer:
    def __init__(
        self,
        outbox: Outbox,
        client: FhirClient,
        *,
        canonical_base: str,
        max_attempts: int = 8,
        base_delay: float = 1.0,
        max_delay: float = 300.0,
        lease_seconds: float = 300.0,
        concurrency: int = 8,
        rng: random.Random | None = None,
        retention_seconds: float | None = None,
        alert_owner: str | None = None,
        language: str = "nl-BE",
    ) -> None:
        self.outbox = outbox
        self.client = client
        # The site's: the finding codes of a refusal (core/site.py, errors.operation_outcome).
        self.canonical_base = canonical_base
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.lease_seconds = lease_seconds
        self.concurrency = concurrency
        self.delivered_total = 0
        self.dead_total = 0
        self.refused_total = 0  # discharges refused for good (failed), identity conflicts too
        # Who the alert of a discharge given up is for (Organization/{id} or
        # PractitionerRole/{id} on the FHIR server); None: no alert is written, said at ERROR.
        self.alert_owner = alert_owner
        # The alert's language: the site's, the ED secretariat's (the catalogues').
        self.language = language
        self.alerts_queued_total = 0
        self.alerts_written_total = 0
        self.alert_failures_total = 0  # each failed attempt to write an alert
        self._wake = asyncio.Event()
        self._finished: dict[str, asyncio.Event] = {}
        self._task: asyncio.Task[None] | None = None
        self.poll_seconds = 0.25
        # Inline deliveries in flight (deliver_now); above the limit, requests queue their
        # items for the background loop instead (whose concurrency is bounded).
        self.inline_limit = 64
        self._inline: set[asyncio.Task[OutboxItem]] = set()
        self._rng = rng  # the backoff's jitter (tests pass a seeded one)
        # How long a delivered discharge keeps its payload (None: for ever); checked at most
        # every `purge_every` seconds (an hour, or a fraction of a short retention).
        self.retention_seconds = retention_seconds
        self.purge_every = min(3600.0, max(0.5, (retention_seconds or 0) / 4))
        self._next_purge = 0.0

    async def start(self) -> None:
        released = await asyncio.to_thread(self.outbox.release_leases, time.time())
        if released:
            log.info(
                "outbox: %d discharge(s) left in flight by a previous process requeued", released
            )
        self._task = asyncio.create_task(self._run(), name="outbox-deliverer")

    async def stop(self) -> None:
        # Inline deliveries cut short stay claimed in the outbox: release_leases at the next
        # start (or claim_due once the lease ran out) delivers them.
        tasks = [*self._inline, *([self._task] if self._task is not None else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def wake(self) -> None:
        self._wake.set()

    def can_deliver_now(self) -> bool:
        """Whether a request should claim its item at accept and deliver it inline."""
        return len(self._inline) < self.inline_limit

    async def deliver_now(self, item: OutboxItem, timeout: float) -> OutboxItem:
        """Post an item that Outbox.accept just claimed for this process (`item.claimed`), at
        once, and return it once delivered/failed/dead, or as it stands after `timeout` seconds
        (the delivery goes on in the background: a 202 for the caller). On a transient failure
        it is requeued as usual and the background loop retries it; this waits for that too,
        within `timeout`."""
        assert item.claimed, "deliver_now takes only an item accept() claimed for this process"
        deadline = time.monotonic() + timeout
        task = asyncio.create_task(self._deliver_inline(item), name=f"deliver {item.id}")
        self._inline.add(task)
        task.add_done_callback(self._inline.discard)
        if timeout <= 0:
            return item
        # asyncio.wait does not cancel the task on timeout: the delivery continues.
        await asyncio.wait({task}, timeout=timeout)
        if not task.done():
            return item
        done = task.result()
        remaining = deadline - time.monotonic()
        if done.state != QUEUED or remaining <= 0:
            return done
        return await self.wait_for(item.id, remaining) or done

    async def _deliver_inline(self, item: OutboxItem) -> OutboxItem:
        try:
            return await self._deliver(item)
        except Exception as error:  # e.g. the outbox failed to record the result
            log.error("outbox: inline delivery of %s: unexpected %s", item.id, type(error).__name__)
            outcome = {
                "resourceType": "OperationOutcome",
                "issue": [{"severity": "error", "code": "exception"}],
            }
            try:  # back to the queue; failing that, its lease runs out and it is claimed again
                now = time.time()
                at = now + self._backoff(item.attempts)
                await asyncio.to_thread(self.outbox.requeue, item.id, outcome, at, now)
            except Exception as again:
                log.error("outbox: requeue of %s: unexpected %s", item.id, type(again).__name__)
            self.wake()
            return replace(item, state=QUEUED, claimed=False)

    async def wait_for(self, item_id: str, timeout: float) -> OutboxItem | None:
        """The item once delivered/failed/dead, or as it stands after `timeout` seconds.

        Woken at once when this process finishes the item; polls the outbox too, because with a
        shared (PostgreSQL) outbox another replica may be the one delivering it."""
        event = self._finished.setdefault(item_id, asyncio.Event())
        deadline = time.monotonic() + timeout
        while True:
            item = await asyncio.to_thread(self.outbox.get, item_id)
            remaining = deadline - time.monotonic()
            if item is None or item.state in (DELIVERED, FAILED, DEAD) or remaining <= 0:
                return item
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), min(remaining, self.poll_seconds))

    async def _run(self) -> None:
        failures = 0  # in a row: the outbox itself failing (e.g. its database restarting)
        while True:
            try:
                await self.purge_if_due()
                # An item whose payload changed at rest is given up there, its alert queued
                # as any failure's (io/outbox: H128).
                items = await asyncio.to_thread(
                    self.outbox.claim_due,
                    time.time(),
                    self.lease_seconds,
                    self.concurrency,
                    self._alert_of_changed,
                )
                failures = 0
                if items:
                    await asyncio.gather(*(self._deliver(item) for item in items))
                    continue
                due = await asyncio.to_thread(self.outbox.next_due)
                wait = 5.0 if due is None else max(0.0, min(5.0, due - time.time()))
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), wait)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # keep delivering whatever one item did
                log.error("outbox deliverer: unexpected %s", type(error).__name__)
                failures += 1
                # Short pauses: the outbox is usually back soon, and queued items wait on it.
                await asyncio.sleep(self._backoff(failures, max_delay=LOOP_PAUSE_MAX))

    async def _deliver(self, item: OutboxItem) -> OutboxItem:
        """Post one claimed item and record what happened; the item as now recorded."""
        now = time.time()
        revoking = False
        try:
            # What the server holds under the record's identifiers, read just before each post:
            # someone else's record there refuses the discharge, nothing written.
            await check_identity_on_server(self.client, item.bundle, self.outbox)
            # A correction revokes the plan it replaces and cancels its open Tasks in the same
            # transaction, conditional on the versions read now (replaced_plan.py, H172).
            bundle = await with_replaced_plan_revoked(self.client, item.bundle)
            revoking = bundle is not item.bundle
            landed = await self.client.post_transaction(bundle)
        except IdentityConflict as conflict:
            outcome = operation_outcome(conflict, self.canonical_base)
            return await self._give_up(item, FAILED, outcome, now, "an identity conflict")
        except FhirServerError as error:
            outcome = operation_outcome(error, self.canonical_base)
            alert = is_alert(item.id)
            # A plan or Task changed between the read and the post fails the transaction on its
            # If-Match (HAPI 409, the sandbox 412): the next attempt reads it again.
            changed_meanwhile = revoking and error.server_status in (409, 412)
            if not is_transient(error) and not changed_meanwhile:
                return await self._give_up(item, FAILED, outcome, now, "refused")
            if item.attempts >= self.max_attempts and not alert:
                return await self._give_up(item, DEAD, outcome, now, "dead")
            # An alert is retried past max_attempts: when the FHIR server is what fails, the
            # alert waits for it (at the capped backoff), it is not given up.
            delay = self._backoff(item.attempts, retry_after=error.retry_after)
            await asyncio.to_thread(self.outbox.requeue, item.id, outcome, now + delay, now)
            if alert:
                self.alert_failures_total += 1
                log.error(
                    "outbox: alert %s for %s not written yet (attempt %d: %s); next in %.1f s",
                    item.id,
                    item.encounter,
                    item.attempts,
                    type(error).__name__,
                    delay,
                )
            else:
                log.info(
                    "outbox: %s attempt %d failed; next in %.1f s", item.id, item.attempts, delay
                )
            self.wake()  # the loop may be asleep for longer than this retry's delay
            return replace(item, state=QUEUED, outcome=outcome, claimed=False)
        result: list[dict[str, Any]] = [vars(x).copy() for x in landed]  # asdict: 10x slower
        letters = self._letters_written(item, landed)
        await asyncio.to_thread(self.outbox.mark_delivered, item.id, result, time.time(), letters)
        if is_alert(item.id):
            self.alerts_written_total += 1
        else:
            self.delivered_total += 1
        log.info(
            "outbox: %s for %s delivered: %s",
            item.id,
            item.encounter,
            ", ".join(f"{x.reference} {'created' if x.created else 'existing'}" for x in landed),
        )
        self._finish(item.id)
        return replace(item, state=DELIVERED, result=result, outcome=None, claimed=False)

    async def _give_up(
        self, item: OutboxItem, state: str, outcome: dict[str, Any], now: float, why: str
    ) -> OutboxItem:
        """Record `item`'s final failure (`state`), with the alert of it queued in the same
        commit when there is an owner to alert; said at ERROR either way."""
        if is_alert(item.id):
            # Never an alert of an alert: the log and the metrics are what is left.
            self.alert_failures_total += 1
            await asyncio.to_thread(self.outbox.mark_failed, item.id, state, outcome, now)
            log.error(
                "outbox: alert %s for %s %s by the FHIR server: no one is alerted of that "
                "discharge's letter; check FHIR_DISCHARGE_DEAD_LETTER_ALERT_OWNER and the "
                "server's answer (GET /discharges/%s)",
                item.id,
                item.encounter,
                why,
                item.id,
            )
        else:
            if state == DEAD:
                self.dead_total += 1
            else:
                self.refused_total += 1
            alert_id = await self._mark_failed_with_alert(item, state, outcome, now)
            log.error(
                "outbox: %s for %s not delivered (%s, after %d attempt(s)): %s",
                item.id,
                item.encounter,
                why,
                item.attempts,
                f"alert {alert_id} queued for {self.alert_owner}"
                if alert_id
                else "NO ALERT written (FHIR_DISCHARGE_DEAD_LETTER_ALERT_OWNER is not set)",
            )
            if alert_id:
                self.alerts_queued_total += 1
                self.wake()  # the alert is due now
        self._finish(item.id)
        return replace(item, state=state, outcome=outcome, claimed=False)

    async def _mark_failed_with_alert(
        self, item: OutboxItem, state: str, outcome: dict[str, Any], now: float
    ) -> str | None:
        """mark_failed, with the alert of the failure when there is an owner to alert; the
        failure alone if the alert cannot be built (a transaction without its letter: never
        one this service built), said at ERROR."""
        alert = self._alert(item, state, outcome, now)
        if alert is None:
            await asyncio.to_thread(self.outbox.mark_failed, item.id, state, outcome, now)
            return None
        try:
            return await asyncio.to_thread(
                self.outbox.mark_failed, item.id, state, outcome, now, alert
            )
        except ValueError as error:  # the alert could not be built: the failure is recorded
            log.error("outbox: no alert can be built for %s: %s", item.id, error)
            await asyncio.to_thread(self.outbox.mark_failed, item.id, state, outcome, now)
            return None

    def _alert(
        self, item: OutboxItem, state: str, outcome: dict[str, Any], now: float
    ) -> NewAlert | None:
        """The alert of `item`'s final failure, built in the commit that records it (its id is
        known only there); None when no owner is named."""
        if self.alert_owner is None:
            return None
        owner, bundle = self.alert_owner, item.bundle

        def transaction(alert_id: str) -> dict[str, Any]:
            return build_dead_letter_alert(
                alert_id=alert_id,
                discharge_id=item.id,
                transaction=bundle,
                reason=failure_reason(state, outcome),
                attempts=item.attempts,
                outcome=outcome,
                owner=owner,
                failed_at=datetime.fromtimestamp(now, UTC),
                canonicals=Canonicals(self.canonical_base),
                language=self.language,
            )

        return NewAlert(item.encounter, transaction)

    def _alert_of_changed(self, item: OutboxItem, outcome: dict[str, Any]) -> NewAlert | None:
        """The outbox's claim refused `item`, its payload changed at rest (H128): counted as a
        refusal, and alerted as one (never an alert of an alert)."""
        if is_alert(item.id):
            self.alert_failures_total += 1
            return None
        self.refused_total += 1
        alert = self._alert(item, FAILED, outcome, time.time())
        if alert is not None:
            self.alerts_queued_total += 1
        return alert

    def _letters_written(self, item: OutboxItem, landed: list[Landed]) -> list[WrittenLetter]:
        """The letters this delivery wrote, for `$document` to know them by (web/documents.py):
        a Composition the server says it created now; or one it found existing, on a later
        attempt of this item only (an earlier attempt of ours may have created it, its answer
        lost). An existing letter on a first attempt is not taken for ours: it was there before
        this service posted anything (another replica's is recorded by that replica).

        With it, the letter's document the same transaction stored (core/stored_document.py):
        where it landed, and the digest of the document as attested, which `$document` compares
        the stored one with before serving it."""
        document_id = document_version = digest = None
        found = document_entry(item.bundle)
        if (
            found is not None
            and found[0] < len(landed)
            and landed[found[0]].resource_type == "Bundle"
        ):
            index, document = found
            document_id, document_version = landed[index].id, _version(landed[index].location)
            digest = document_digest(document)
        return [
            WrittenLetter(
                self.client.base_url,
                x.id,
                _version(x.location),
                document_id,
                document_version,
                digest,
            )
            for x in landed
            if x.resource_type == "Composition" and (x.created or item.attempts > 1)
        ]

    async def purge_if_due(self) -> None:
        """Empty the payloads of discharges delivered longer ago than the retention (the
        outbox's purge_delivered), at most every `purge_every` seconds."""
        if self.retention_seconds is None or time.monotonic() < self._next_purge:
            return
        self._next_purge = time.monotonic() + self.purge_every
        now = time.time()
        purged = await asyncio.to_thread(
            self.outbox.purge_delivered, now - self.retention_seconds, now
        )
        if purged:
            log.info("outbox: %d delivered discharge(s) purged of their payload", purged)

    def _backoff(
        self, attempt: int, retry_after: float | None = None, max_delay: float | None = None
    ) -> float:
        cap = self.max_delay if max_delay is None else min(max_delay, self.max_delay)
        return backoff(attempt, self.base_delay, cap, retry_after=retry_after, rng=self._rng)

    def _finish(self, item_id: str) -> None:
        event = self._finished.pop(item_id, None)
        if event is not None:
            event.set()


_VERSION = re.compile(r"/_history/([A-Za-z0-9\-.]{1,64})$")


def _version(location: str) -> str | None:
    """The version a transaction-response's location names (`Type/id/_history/N`), if any."""
    found = _VERSION.search(location.split("?", 1)[0])
    return found.group(1) if found else None
