"""Many requests at once, against the app served for real: no copy is lent twice, no
borrowing is returned twice, no key or event takes effect twice."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.tables import payments, stripe_events, users
from tests.integration.circulation.conftest import LiveApp, stripe_settings
from tests.integration.circulation.support import add_book, count_rows, counts, inventory_of, session_event, signed
from tests.integration.fakes.stripe_server import FakeStripe
from tests.integration.fakes.telegram_server import FakeTelegram
from tests.integration.support import Api

IN_A_WEEK = (datetime.now(UTC).date() + timedelta(days=7)).isoformat()


async def users_of(api: Api, n: int) -> list:
    return list(await asyncio.gather(*(api.user() for _ in range(n))))


@pytest.mark.postgres
async def test_fifty_borrowers_at_once_get_exactly_the_three_copies(live_app: LiveApp, engine: AsyncEngine) -> None:
    book = await add_book(engine, inventory=3)
    async with live_app() as api:
        borrowers = await users_of(api, 50)
        body = {"book_id": book, "expected_return_date": IN_A_WEEK}
        responses = await asyncio.gather(
            *(api.client.post("/api/borrowings", json=body, headers=user.headers) for user in borrowers)
        )
    statuses = Counter(response.status_code for response in responses)
    assert statuses == {201: 3, 409: 47}, statuses
    assert all(r.json()["type"].endswith("book-unavailable") for r in responses if r.status_code == 409)
    assert await inventory_of(engine, book) == 0
    assert await counts(engine) == (3, 3)


@pytest.mark.postgres
async def test_twenty_returns_of_one_borrowing_at_once_return_it_once(live_app: LiveApp, engine: AsyncEngine) -> None:
    book = await add_book(engine, inventory=1)
    async with live_app() as api:
        ada = await api.user()
        body = {"book_id": book, "expected_return_date": IN_A_WEEK}
        borrowing = (await api.client.post("/api/borrowings", json=body, headers=ada.headers)).json()
        responses = await asyncio.gather(
            *(api.client.post(f"/api/borrowings/{borrowing['id']}/return", headers=ada.headers) for _ in range(20))
        )
    assert Counter(r.status_code for r in responses) == {200: 1, 409: 19}
    assert await inventory_of(engine, book) == 1


async def test_one_users_borrowings_at_once_let_one_through(live_app: LiveApp, engine: AsyncEngine) -> None:
    """The second sees the first one's pending fee: the borrower's row is locked."""
    book = await add_book(engine, inventory=10)
    async with live_app() as api:
        ada = await api.user()
        body = {"book_id": book, "expected_return_date": IN_A_WEEK}
        responses = await asyncio.gather(
            *(api.client.post("/api/borrowings", json=body, headers=ada.headers) for _ in range(8))
        )
    assert Counter(r.status_code for r in responses) == {201: 1, 409: 7}
    assert await inventory_of(engine, book) == 9


async def test_the_same_idempotency_key_at_once_creates_one_borrowing_and_one_session(
    live_app: LiveApp, engine: AsyncEngine, fake_stripe: FakeStripe, fake_telegram: FakeTelegram
) -> None:
    book = await add_book(engine, inventory=10)
    async with live_app(**stripe_settings(fake_stripe, fake_telegram)) as api:
        ada = await api.user()
        headers = {**ada.headers, "Idempotency-Key": "borrow-dune-once"}
        body = {"book_id": book, "expected_return_date": IN_A_WEEK}
        responses = await asyncio.gather(
            *(api.client.post("/api/borrowings", json=body, headers=headers) for _ in range(6))
        )
    assert [r.status_code for r in responses] == [201] * 6
    assert len({r.json()["id"] for r in responses}) == 1
    assert all(r.json() == responses[0].json() for r in responses)
    assert len(fake_stripe.creations) == 1
    assert await counts(engine) == (1, 1)
    assert await inventory_of(engine, book) == 9


async def test_five_deliveries_of_one_event_at_once_fulfil_it_once(
    live_app: LiveApp, engine: AsyncEngine, fake_stripe: FakeStripe, fake_telegram: FakeTelegram
) -> None:
    async with live_app(**stripe_settings(fake_stripe, fake_telegram)) as api:
        ada = await api.user()
        premium = (await api.client.post("/api/premium/checkout", headers=ada.headers)).json()
        payload, signature = signed(session_event("evt_premium_1", "completed", premium["session_id"]))
        headers = {"Stripe-Signature": signature, "Content-Type": "application/json"}
        responses = await asyncio.gather(
            *(api.client.post("/api/payments/webhook", content=payload, headers=headers) for _ in range(5))
        )
        me = (await api.client.get("/api/users/me", headers=ada.headers)).json()
    assert [r.status_code for r in responses] == [200] * 5
    assert Counter(r.json()["outcome"] for r in responses) == {"applied": 1, "duplicate": 4}
    assert me["is_premium"] is True
    assert await count_rows(engine, stripe_events) == 0 + 1
    async with engine.connect() as conn:
        assert await conn.scalar(select(payments.c.status).where(payments.c.id == premium["id"])) == "PAID"
        assert await conn.scalar(select(users.c.is_premium).where(users.c.id == ada.id)) is True
