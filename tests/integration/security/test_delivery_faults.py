"""Mail and Telegram down for a while, then back: every queued message is delivered exactly
once, counted at the (real, local) SMTP and Telegram servers. And a message that cannot be
sent at all does not hold up the others.

The app's own adapters (aiosmtplib, httpx) and its own job (``send_outbox``) run; only the
peers are local fakes, started late on ports where at first nothing listens.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiosmtpd.controller import Controller
from dependency_injector import providers
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.tables import outbox
from application.use_cases.outbox import DeliveryReport
from entrypoints.container import App, build_container
from entrypoints.scheduler.jobs import send_outbox
from tests.clock import MovableClock
from tests.figures import record
from tests.integration.conftest import make_settings
from tests.integration.fakes.smtp_server import RecordingHandler, free_port
from tests.integration.fakes.telegram_server import TOKEN, FakeTelegram

EMAILS = 15
NOTICES = 15


@contextmanager
def telegram_on(port: int) -> Iterator[FakeTelegram]:
    """The fake Telegram on a given port (where the app has been failing to reach it)."""
    fake = FakeTelegram(url=f"http://127.0.0.1:{port}")
    app = web.Application()
    app.router.add_post("/bot{token}/sendMessage", fake.send_message)
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    ready = threading.Event()

    async def start() -> None:
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        ready.set()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())
        loop.close()

    thread = threading.Thread(target=run, name="late-telegram", daemon=True)
    thread.start()
    assert ready.wait(10), "the fake Telegram did not start"
    try:
        yield fake
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


@contextmanager
def smtp_on(port: int) -> Iterator[RecordingHandler]:
    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def ports() -> dict[str, int]:
    return {"smtp": free_port(), "telegram": free_port()}


@pytest.fixture
def delivering(
    backend: str, database_urls: dict[str, str], tmp_path: Path, engine: AsyncEngine, ports: dict[str, int]
) -> tuple[App, MovableClock]:
    """An app configured for real SMTP and Telegram at ``ports`` (nobody listens there yet)."""
    settings = make_settings(
        database_urls[backend],
        tmp_path,
        scheduler="off",
        smtp_host="127.0.0.1",
        smtp_port=ports["smtp"],
        smtp_starttls=False,
        telegram_bot_token=TOKEN,
        telegram_chat_id="-100200300",
        telegram_api_base=f"http://127.0.0.1:{ports['telegram']}",
        email_retry_attempts=3,
        email_retry_delay_seconds=300,
    )
    container = build_container(settings)
    container.gateways.engine.override(providers.Object(engine))
    clock = MovableClock()
    container.gateways.clock.override(providers.Object(clock))
    return container, clock


async def queue_messages(container: App, clock: MovableClock) -> None:
    dispatch = container.gateways.dispatch()
    async with container.gateways.uow() as uow:
        for i in range(EMAILS):
            await uow.outbox.add(dispatch.email(f"reader{i}@example.org", f"Due soon #{i}", "Body"), now=clock.now())
        for i in range(NOTICES):
            await uow.outbox.add(dispatch.telegram(f"notice #{i}"), now=clock.now())
        await uow.commit()


async def outbox_statuses(engine: AsyncEngine) -> Counter[str]:
    async with engine.connect() as conn:
        return Counter(row.status for row in (await conn.execute(select(outbox.c.status))).all())


async def drain(container: App, clock: MovableClock, rounds: int = 12) -> None:
    """Run the job as the scheduler would, letting retry delays pass between runs."""
    for _ in range(rounds):
        await send_outbox(container)
        clock.advance(minutes=5)


async def test_smtp_and_telegram_down_then_back_deliver_everything_exactly_once(
    delivering: tuple[App, MovableClock], ports: dict[str, int], engine: AsyncEngine
) -> None:
    container, clock = delivering
    await queue_messages(container, clock)
    expected_mail = {f"Due soon #{i}" for i in range(EMAILS)}
    expected_notices = {f"notice #{i}" for i in range(NOTICES)}

    # 1. Both peers down (connection refused), for two runs of the job.
    for _ in range(2):
        report = await send_outbox(container)
        assert isinstance(report, DeliveryReport)
        assert report.sent == 0
        clock.advance(minutes=5)
    record("faults injected", 2)  # SMTP down, Telegram down
    assert (await outbox_statuses(engine)) == {"pending": EMAILS + NOTICES}, "nothing given up, nothing lost"

    # 2. Both up but having a bad day: SMTP answers 451 to some, Telegram 502 to all.
    with smtp_on(ports["smtp"]) as smtp, telegram_on(ports["telegram"]) as telegram:
        smtp.refusals_left, smtp.refuse_at = 4, "DATA"
        telegram.down = True
        await send_outbox(container)
        clock.advance(minutes=5)
        record("faults injected", 2)  # SMTP refusing, Telegram erroring

        # 3. Healthy again.
        telegram.down = False
        await drain(container, clock)

        subjects = Counter(mail.subject for mail in smtp.received)
        texts = Counter(str(message["text"]) for message in telegram.messages)

    delivered = set(subjects) | set(texts)
    lost = len((expected_mail | expected_notices) - delivered)
    duplicates = sum(subjects.values()) + sum(texts.values()) - len(delivered)
    record("messages queued during faults", EMAILS + NOTICES)
    record("messages lost after faults", lost)
    record("messages delivered twice after faults", duplicates)
    assert set(subjects) == expected_mail
    assert set(texts) == expected_notices
    assert max(subjects.values()) == 1, subjects
    assert max(texts.values()) == 1, texts
    assert (await outbox_statuses(engine)) == {"sent": EMAILS + NOTICES}
    assert telegram.refused > 0, "the bad day really happened"


async def test_a_message_that_cannot_be_sent_does_not_hold_up_the_others(
    delivering: tuple[App, MovableClock], ports: dict[str, int], engine: AsyncEngine
) -> None:
    container, clock = delivering
    dispatch = container.gateways.dispatch()
    async with container.gateways.uow() as uow:
        await uow.outbox.add(dispatch.email("first@example.org", "Before the poison", "B"), now=clock.now())
        await uow.commit()
    # A row no sender can make sense of (written by an older version, or by hand).
    broken: list[dict[str, Any]] = [{"subject": "no recipients"}, {"to": None, "subject": 3, "body": None}]
    async with engine.begin() as conn:
        for payload in broken:
            await conn.execute(
                insert(outbox).values(
                    kind="email",
                    payload=payload,
                    status="pending",
                    attempts=0,
                    max_attempts=2,
                    next_attempt_at=clock.now(),
                    created_at=clock.now(),
                )
            )
        await conn.execute(
            insert(outbox).values(
                kind="carrier-pigeon",
                payload={"text": "?"},
                status="pending",
                attempts=0,
                max_attempts=2,
                next_attempt_at=clock.now(),
                created_at=clock.now(),
            )
        )
    async with container.gateways.uow() as uow:
        for i in range(5):
            await uow.outbox.add(dispatch.email(f"r{i}@example.org", f"After the poison #{i}", "B"), now=clock.now())
            await uow.outbox.add(dispatch.telegram(f"after the poison #{i}"), now=clock.now())
        await uow.commit()
    record("faults injected", 3)  # three rows that fail every time

    with smtp_on(ports["smtp"]) as smtp, telegram_on(ports["telegram"]) as telegram:
        report = await send_outbox(container)
        assert isinstance(report, DeliveryReport)
        assert (report.sent, report.retried) == (11, 2)
        assert report.failed == 1, "a kind with no sender has no retry policy: given up at once"
        await drain(container, clock, rounds=3)
        mail = Counter(received.subject for received in smtp.received)
        texts = Counter(str(message["text"]) for message in telegram.messages)

    assert mail == Counter({"Before the poison": 1} | {f"After the poison #{i}": 1 for i in range(5)})
    assert texts == Counter({f"after the poison #{i}": 1 for i in range(5)})
    # The poison is given up on after its attempts, with the reason kept for an operator.
    async with engine.connect() as conn:
        failed = (
            await conn.execute(select(outbox.c.kind, outbox.c.last_error).where(outbox.c.status == "failed"))
        ).all()
    assert len(failed) == 3
    assert all(row.last_error for row in failed)
    assert (await outbox_statuses(engine)) == {"sent": 11, "failed": 3}
    record("messages lost after faults", 11 - sum(mail.values()) - sum(texts.values()))
