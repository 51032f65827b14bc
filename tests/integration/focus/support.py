"""Helpers for the focus timer tests: categories and sessions through the API, rows for facts
of other areas (reading sessions, borrowings) written straight into their tables."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.tables import books, borrowings, focus_sessions, reading_sessions
from tests.integration.support import Account, Api


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def category(api: Api, account: Account, name: str = "Deep work", color: str = "#3b82f6") -> dict[str, Any]:
    response = await api.client.post(
        "/api/focus/categories", json={"name": name, "color": color}, headers=account.headers
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def start(api: Api, account: Account, **body: Any) -> Any:
    return await api.client.post("/api/focus/sessions", json=body, headers=account.headers)


async def started(api: Api, account: Account, **body: Any) -> dict[str, Any]:
    response = await start(api, account, **body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def stop(api: Api, account: Account, session_id: int) -> Any:
    return await api.client.post(f"/api/focus/sessions/{session_id}/stop", headers=account.headers)


async def sessions(api: Api, account: Account, **params: Any) -> dict[str, Any]:
    response = await api.client.get("/api/focus/sessions", params=params, headers=account.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def achievements(api: Api, account: Account) -> dict[str, str | None]:
    response = await api.client.get("/api/achievements", headers=account.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["items"]) == 7
    return {item["code"]: item["unlocked_at"] for item in body["items"]}


async def stats(api: Api, account: Account, **params: Any) -> Any:
    return await api.client.get("/api/stats", params=params, headers=account.headers)


async def add_book(engine: AsyncEngine, title: str = "Middlemarch") -> int:
    async with engine.begin() as conn:
        book_id = await conn.scalar(
            insert(books)
            .values(title=title, author="George Eliot", publish_year=1871, inventory=1, daily_fee_cents=10)
            .returning(books.c.id)
        )
    return int(book_id)  # type: ignore[arg-type]


async def add_reading(engine: AsyncEngine, user_id: int, book_id: int, started_at: datetime, seconds: int) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            insert(reading_sessions).values(
                user_id=user_id,
                book_id=book_id,
                started_at=started_at,
                ended_at=started_at + timedelta(seconds=seconds),
            )
        )


async def add_borrowing(
    engine: AsyncEngine, user_id: int, book_id: int, *, expected: date, returned: date | None
) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            insert(borrowings).values(
                user_id=user_id,
                book_id=book_id,
                borrow_date=expected - timedelta(days=7),
                expected_return_date=expected,
                actual_return_date=returned,
                created_at=datetime.now(UTC),
            )
        )


async def add_focus(
    engine: AsyncEngine,
    user_id: int,
    started_at: datetime,
    *,
    minutes: int = 25,
    status: str = "completed",
    tz: str = "UTC",
    category_id: int | None = None,
    stopped_after: timedelta | None = None,
) -> None:
    """A session row as the timer would have left it (``completed`` at ``ends_at``, or ``stopped``)."""
    ends_at = started_at + timedelta(minutes=minutes)
    ended_at = {"completed": ends_at, "running": None}.get(status, started_at + (stopped_after or timedelta()))
    async with engine.begin() as conn:
        await conn.execute(
            insert(focus_sessions).values(
                user_id=user_id,
                category_id=category_id,
                focus_minutes=minutes,
                break_minutes=5,
                started_at=started_at,
                ends_at=ends_at,
                ended_at=ended_at,
                status=status,
                tz=tz,
            )
        )
