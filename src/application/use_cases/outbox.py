"""Delivering the outbox: claim due messages, send each, record the outcome."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta

from application.ports.clock import Clock
from application.ports.outbox import ClaimedMessage, OutboxStats, Sender
from application.ports.uow import OutboxUnitOfWork
from domain.delivery import RetryPolicy

log = logging.getLogger("athenaeum.outbox")


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return f"sent {self.sent}, retried {self.retried}, failed {self.failed}"


class DeliverOutbox:
    """At-least-once delivery, exactly once in normal operation.

    Claiming is a short transaction (``FOR UPDATE SKIP LOCKED`` on Postgres, the write lock
    on SQLite) that leases the rows, so several workers never take the same message; the
    sending itself happens outside any transaction. A worker that dies mid-send leaves its
    lease to expire and the message is tried again.
    """

    def __init__(
        self,
        uow: Callable[[], OutboxUnitOfWork],
        senders: Mapping[str, Sender],
        policies: Mapping[str, RetryPolicy],
        clock: Clock,
        batch_size: int = 50,
        lease: timedelta = timedelta(minutes=5),
    ) -> None:
        self._uow, self._senders, self._policies, self._clock = uow, senders, policies, clock
        self._batch, self._lease = batch_size, lease

    async def __call__(self) -> DeliveryReport:
        now = self._clock.now()
        async with self._uow() as uow:
            claimed = await uow.outbox.claim_due(now=now, lease_until=now + self._lease, limit=self._batch)
            await uow.commit()
        sent = retried = failed = 0
        for message in claimed:
            outcome = await self._deliver(message)
            sent += outcome == "sent"
            retried += outcome == "retried"
            failed += outcome == "failed"
        return DeliveryReport(sent=sent, retried=retried, failed=failed)

    async def _deliver(self, message: ClaimedMessage) -> str:
        sender = self._senders.get(message.kind)
        try:
            if sender is None:
                raise LookupError(f"no sender for outbox messages of kind {message.kind!r}")  # noqa: TRY301
            await sender.send(message.payload)
        except Exception as exc:  # noqa: BLE001 - any failure is retried, never lost
            return await self._record_failure(message, f"{type(exc).__name__}: {exc}"[:2000])
        async with self._uow() as uow:
            await uow.outbox.mark_sent(message.id, now=self._clock.now())
            await uow.commit()
        return "sent"

    async def _record_failure(self, message: ClaimedMessage, error: str) -> str:
        attempts = message.attempts + 1
        now = self._clock.now()
        policy = self._policies.get(message.kind)
        retry_at = None
        if policy is not None and attempts < message.max_attempts:
            retry_at = policy.next_attempt_at(attempts, now)
        async with self._uow() as uow:
            if retry_at is None:
                await uow.outbox.mark_failed(message.id, attempts=attempts, now=now, error=error)
            else:
                await uow.outbox.mark_retry(message.id, attempts=attempts, next_attempt_at=retry_at, error=error)
            await uow.commit()
        if retry_at is None:
            log.error(
                "outbox message %s (%s) failed for good after %s attempts: %s",
                message.id,
                message.kind,
                attempts,
                error,
            )
            return "failed"
        log.warning(
            "outbox message %s (%s) attempt %s failed, retry at %s: %s",
            message.id,
            message.kind,
            attempts,
            retry_at.isoformat(),
            error,
        )
        return "retried"


class GetOutboxStats:
    def __init__(self, uow: Callable[[], OutboxUnitOfWork], clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    async def __call__(self) -> OutboxStats:
        async with self._uow() as uow:
            return await uow.outbox.stats(now=self._clock.now())
