"""Helpers for circulation tests: books inserted with Core, a clock the test moves, webhooks."""

from __future__ import annotations

import json
import time
from typing import Any

import stripe
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.tables import books, borrowings, payments
from tests.clock import MovableClock

WEBHOOK_SECRET = "whsec_test_secret"


MutableClock = MovableClock


async def add_book(
    engine: AsyncEngine,
    *,
    title: str = "Dune",
    author: str = "Frank Herbert",
    inventory: int = 3,
    daily_fee_cents: int = 100,
    cover: str = "HARD",
) -> int:
    async with engine.begin() as conn:
        book_id = await conn.scalar(
            insert(books)
            .values(
                title=title,
                author=author,
                publish_year=1965,
                inventory=inventory,
                daily_fee_cents=daily_fee_cents,
                cover=cover,
            )
            .returning(books.c.id)
        )
    return int(book_id)


async def inventory_of(engine: AsyncEngine, book_id: int) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(books.c.inventory).where(books.c.id == book_id)))


async def count_rows(engine: AsyncEngine, table: Any) -> int:
    async with engine.connect() as conn:
        return len((await conn.execute(select(table.c.id))).all())


async def counts(engine: AsyncEngine) -> tuple[int, int]:
    """(borrowings, payments) stored."""
    return await count_rows(engine, borrowings), await count_rows(engine, payments)


def signed(event: dict[str, Any], secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> tuple[bytes, str]:
    payload = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp or int(time.time()))
    return payload.encode(), header


def session_event(event_id: str, kind: str, session_id: str, *, payment_id: int | None = None) -> dict[str, Any]:
    """A Stripe ``checkout.session.<kind>`` event."""
    return {
        "id": event_id,
        "object": "event",
        "type": f"checkout.session.{kind}",
        "data": {
            "object": {
                "id": session_id,
                "object": "checkout.session",
                "status": "complete" if kind == "completed" else "expired",
                "payment_status": "paid" if kind == "completed" else "unpaid",
                "metadata": {"payment_id": str(payment_id)} if payment_id else {},
            }
        },
    }
