"""The outbox delivers what was committed, retries what failed, and never sends twice."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from adapters.sql.tables import outbox
from application.messages import EMAIL, TELEGRAM, Dispatch
from application.ports.outbox import Sender
from application.use_cases.outbox import DeliverOutbox
from domain.delivery import RetryPolicy
from entrypoints.container import App
from tests.clock import MovableClock


class MutableClock(MovableClock):
    origin = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class FlakySender:
    """Refuses the first ``failures`` attempts, then records deliveries."""

    def __init__(self, failures: int = 0, delay: float = 0.0) -> None:
        self.failures = failures
        self.delay = delay
        self.attempts = 0
        self.delivered: list[Mapping[str, Any]] = []

    async def send(self, payload: Mapping[str, Any]) -> None:
        self.attempts += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.attempts <= self.failures:
            raise ConnectionRefusedError("peer is down")
        self.delivered.append(payload)


DISPATCH = Dispatch(email_retry=RetryPolicy(retries=3, delay=timedelta(seconds=300)))


async def queue(container: App, clock: MutableClock, *messages: Any) -> None:
    async with container.gateways.uow() as uow:
        for message in messages:
            await uow.outbox.add(message, now=clock.now())
        await uow.commit()


def deliverer(container: App, clock: MutableClock, senders: Mapping[str, Sender]) -> DeliverOutbox:
    return DeliverOutbox(container.gateways.uow, senders, DISPATCH.policies, clock)


async def statuses(container: App) -> list[tuple[str, int]]:
    async with container.gateways.engine().connect() as conn:
        rows = (await conn.execute(select(outbox.c.status, outbox.c.attempts).order_by(outbox.c.id))).all()
    return [(row.status, row.attempts) for row in rows]


async def test_a_message_refused_twice_is_delivered_once_after_the_retries(container: App) -> None:
    clock, sender = MutableClock(), FlakySender(failures=2)
    await queue(container, clock, DISPATCH.email("ada@example.org", "Hello", "Body"))
    deliver = deliverer(container, clock, {EMAIL: sender})

    assert (await deliver()).retried == 1
    assert (await deliver()).sent == 0, "the retry is not due before EMAIL_RETRY_DELAY_SECONDS"
    clock.advance(seconds=299)
    assert (await deliver()).sent == 0
    clock.advance(seconds=1)
    assert (await deliver()).retried == 1
    clock.advance(seconds=300)
    assert (await deliver()).sent == 1
    clock.advance(days=1)
    assert (await deliver()).sent == 0

    assert len(sender.delivered) == 1
    assert sender.delivered[0]["to"] == ["ada@example.org"]
    assert await statuses(container) == [("sent", 3)]


async def test_a_message_always_refused_is_marked_failed_after_the_configured_attempts(container: App) -> None:
    clock, sender = MutableClock(), FlakySender(failures=1000)
    await queue(container, clock, DISPATCH.email("ada@example.org", "Hello", "Body"))
    deliver = deliverer(container, clock, {EMAIL: sender})
    for _ in range(10):
        await deliver()
        clock.advance(seconds=300)
    assert sender.attempts == 4, "one attempt plus EMAIL_RETRY_ATTEMPTS (3) retries"
    assert await statuses(container) == [("failed", 4)]


async def test_a_message_of_an_unknown_kind_does_not_block_the_others(container: App) -> None:
    clock, sender = MutableClock(), FlakySender()
    unknown = DISPATCH.telegram("to nobody")
    await queue(container, clock, unknown, DISPATCH.email("ada@example.org", "Hi", "B"))
    report = await deliverer(container, clock, {EMAIL: sender})()
    assert report.sent == 1
    assert report.retried == 1
    assert len(sender.delivered) == 1


async def test_nothing_uncommitted_is_ever_sent(container: App) -> None:
    clock, sender = MutableClock(), FlakySender()
    async with container.gateways.uow() as uow:
        await uow.outbox.add(DISPATCH.email("ada@example.org", "Rolled back", "B"), now=clock.now())
        # no commit: the change that wanted to announce itself did not happen
    await deliverer(container, clock, {EMAIL: sender})()
    assert sender.delivered == []


@pytest.mark.postgres
async def test_competing_deliverers_send_each_message_exactly_once(container: App) -> None:
    clock, sender = MutableClock(), FlakySender(delay=0.01)
    await queue(container, clock, *(DISPATCH.telegram(f"notice {i}") for i in range(40)))
    workers = [
        DeliverOutbox(container.gateways.uow, {TELEGRAM: sender}, DISPATCH.policies, clock, batch_size=7)
        for _ in range(4)
    ]
    for _ in range(4):
        await asyncio.gather(*(worker() for worker in workers))
    texts = sorted(payload["text"] for payload in sender.delivered)
    assert texts == sorted(f"notice {i}" for i in range(40))
    assert {status for status, _ in await statuses(container)} == {"sent"}


async def test_an_expired_claim_is_taken_again(container: App) -> None:
    """A worker that died mid-send leaves a lease behind; once it expires the message goes out."""
    clock, sender = MutableClock(), FlakySender()
    await queue(container, clock, DISPATCH.telegram("stranded"))
    async with container.gateways.uow() as uow:
        claimed = await uow.outbox.claim_due(now=clock.now(), lease_until=clock.now() + timedelta(minutes=5), limit=10)
        await uow.commit()
    assert len(claimed) == 1
    deliver = deliverer(container, clock, {TELEGRAM: sender})
    assert (await deliver()).sent == 0
    clock.advance(minutes=5, seconds=1)
    assert (await deliver()).sent == 1
