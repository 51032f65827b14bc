"""Telegram: the notifier against a local fake Bot API, and borrowing notices through the outbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.telegram.notifier import TelegramNotifier
from application.ports.notifications import DeliveryFailed
from entrypoints.container import App
from tests.integration.circulation.support import MutableClock, add_book
from tests.integration.fakes.telegram_server import TOKEN, FakeTelegram
from tests.integration.support import Api


async def test_the_notifier_posts_send_message_to_the_chat(fake_telegram: FakeTelegram) -> None:
    notifier = TelegramNotifier(token=TOKEN, chat_id="-42", api_base=fake_telegram.url)
    await notifier.notify("Hello, desk")
    assert fake_telegram.messages == [{"chat_id": "-42", "text": "Hello, desk", "disable_web_page_preview": True}]


async def test_every_kind_of_failure_is_a_delivery_failure_that_never_shows_the_token(
    fake_telegram: FakeTelegram,
) -> None:
    fake_telegram.down = True
    cases = [
        TelegramNotifier(token=TOKEN, chat_id="-42", api_base=fake_telegram.url),  # 502
        TelegramNotifier(token="999:wrong-secret-token", chat_id="-42", api_base=fake_telegram.url),  # 401
        TelegramNotifier(token=TOKEN, chat_id="-42", api_base="http://127.0.0.1:9", timeout=0.5),  # refused
    ]
    for notifier in cases:
        with pytest.raises(DeliveryFailed) as caught:
            await notifier.notify("x")
        assert TOKEN not in str(caught.value)
        assert "wrong-secret-token" not in str(caught.value)
    assert fake_telegram.messages == []


async def deliver(container: App) -> object:
    return await container.delivery.deliver_outbox()()


async def test_a_borrowing_is_announced_with_borrower_book_and_dates(
    stripe_api: Api, engine: AsyncEngine, fake_telegram: FakeTelegram, stripe_clock: MutableClock
) -> None:
    book = await add_book(engine, title="The Left Hand of Darkness", author="Ursula K. Le Guin", daily_fee_cents=90)
    ada = await stripe_api.user("ada")
    until = stripe_clock.today() + timedelta(days=10)
    body = {"book_id": book, "expected_return_date": until.isoformat()}
    borrowing = (await stripe_api.client.post("/api/borrowings", json=body, headers=ada.headers)).json()
    assert fake_telegram.messages == [], "nothing is sent inside the request"

    report = await deliver(stripe_api.container)

    assert report.sent == 1  # type: ignore[attr-defined]
    [message] = fake_telegram.messages
    assert message["chat_id"] == "-100200300"
    text = message["text"]
    assert f"New borrowing #{borrowing['id']}" in text
    assert "ada <ada@example.org>" in text
    assert "\u201cThe Left Hand of Darkness\u201d by Ursula K. Le Guin" in text
    assert f"Borrowed: {stripe_clock.today().isoformat()}" in text
    assert f"Due back: {until.isoformat()} (10 days)" in text
    assert "Fee: 9.00 USD (pending" in text


async def test_telegram_down_fails_no_borrowing_and_the_notice_arrives_once_it_is_back(
    stripe_api: Api, engine: AsyncEngine, fake_telegram: FakeTelegram, stripe_clock: MutableClock
) -> None:
    book = await add_book(engine, title="Dune")
    ada = await stripe_api.user("ada")
    fake_telegram.down = True
    body = {"book_id": book, "expected_return_date": (stripe_clock.today() + timedelta(days=3)).isoformat()}

    response = await stripe_api.client.post("/api/borrowings", json=body, headers=ada.headers)

    assert response.status_code == 201
    assert (await deliver(stripe_api.container)).retried == 1  # type: ignore[attr-defined]
    assert fake_telegram.refused == 1
    stripe_clock.advance(seconds=10)
    assert (await deliver(stripe_api.container)).sent == 0, "not due again yet"  # type: ignore[attr-defined]

    fake_telegram.down = False
    stripe_clock.advance(seconds=30)
    assert (await deliver(stripe_api.container)).sent == 1  # type: ignore[attr-defined]
    stripe_clock.advance(hours=2)
    assert (await deliver(stripe_api.container)).sent == 0  # type: ignore[attr-defined]
    [message] = fake_telegram.messages
    assert "Dune" in message["text"]
    assert "ada" in message["text"]
