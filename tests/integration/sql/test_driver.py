"""``HotStatement`` (adapters/sql/driver.py): on Postgres it runs on psycopg directly, and must
give what SQLAlchemy gives — the same rows, the same transaction, the same errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.sql.common import constraint_of
from adapters.sql.driver import HotStatement
from adapters.sql.tables import books, reading_sessions, users
from tests.integration.catalog_support import counting_statements

STARTED = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)

SESSIONS = (
    select(
        reading_sessions.c.id,
        reading_sessions.c.started_at,
        reading_sessions.c.ended_at,
        books.c.title,
        users.c.username,
        func.count().over().label("total"),
    )
    .join(books, books.c.id == reading_sessions.c.book_id)
    .join(users, users.c.id == reading_sessions.c.user_id)
    .where(reading_sessions.c.user_id == bindparam("user_id"))
    .order_by(reading_sessions.c.id)
)
ADD_SESSION = (
    insert(reading_sessions)
    .values(
        user_id=bindparam("user_id"),
        book_id=bindparam("book_id"),
        started_at=bindparam("started_at"),
        ended_at=bindparam("ended_at"),
    )
    .returning(reading_sessions.c.id, reading_sessions.c.started_at)
)
RENAME = update(books).where(books.c.id == bindparam("book_id")).values(title=bindparam("title"))


async def _reader_and_book(conn: AsyncConnection) -> tuple[int, int]:
    user_id = await conn.scalar(
        insert(users)
        .values(username="ada", email="ada@example.org", password_hash="x", created_at=STARTED)
        .returning(users.c.id)
    )
    book_id = await conn.scalar(
        insert(books)
        .values(title="Dune", author="Herbert", publish_year=1965, inventory=1, daily_fee_cents=10)
        .returning(books.c.id)
    )
    return int(user_id), int(book_id)


@pytest.fixture
async def seeded(engine: AsyncEngine) -> tuple[int, int]:
    async with engine.begin() as conn:
        user_id, book_id = await _reader_and_book(conn)
        for minutes in (0, 30):
            start = STARTED + timedelta(minutes=minutes)
            await conn.execute(
                insert(reading_sessions).values(
                    user_id=user_id, book_id=book_id, started_at=start, ended_at=start + timedelta(minutes=20)
                )
            )
    return user_id, book_id


async def test_rows_are_the_ones_sqlalchemy_returns(engine: AsyncEngine, seeded: tuple[int, int]) -> None:
    user_id, _ = seeded
    async with engine.connect() as conn:
        expected = (await conn.execute(SESSIONS, {"user_id": user_id})).all()
        got = await HotStatement(SESSIONS).rows(conn, {"user_id": user_id})
    assert len(got) == 2
    assert [tuple(row) for row in got] == [tuple(row) for row in expected]
    assert got[0]._fields == tuple(expected[0]._fields)
    assert got[1].title == "Dune"
    assert got[1].started_at == STARTED + timedelta(minutes=30)
    assert got[1].started_at.utcoffset() == timedelta(0)  # aware UTC, as UtcDateTime gives it
    assert got[1].total == 2


async def test_writes_belong_to_the_surrounding_transaction(engine: AsyncEngine, seeded: tuple[int, int]) -> None:
    user_id, book_id = seeded
    values: dict[str, Any] = {"user_id": user_id, "book_id": book_id, "started_at": STARTED, "ended_at": None}
    add = HotStatement(ADD_SESSION)
    async with engine.connect() as conn:
        async with conn.begin() as transaction:
            row = await add.first(conn, values)
            assert row is not None
            assert row.started_at == STARTED
            assert await HotStatement(RENAME).execute(conn, {"book_id": book_id, "title": "Dune Messiah"}) == 1
            await transaction.rollback()
        async with conn.begin():
            kept = await add.scalar(conn, values)
    async with engine.connect() as conn:
        open_sessions = (
            await conn.execute(select(reading_sessions.c.id).where(reading_sessions.c.ended_at.is_(None)))
        ).all()
        title = await conn.scalar(select(books.c.title).where(books.c.id == book_id))
    assert [row.id for row in open_sessions] == [kept]
    assert title == "Dune"


async def test_a_refused_write_is_sqlalchemys_integrity_error(engine: AsyncEngine, seeded: tuple[int, int]) -> None:
    user_id, book_id = seeded
    add = HotStatement(ADD_SESSION)
    async with engine.connect() as conn, conn.begin():
        await add.rows(conn, {"user_id": user_id, "book_id": book_id, "started_at": STARTED, "ended_at": None})
        with pytest.raises(IntegrityError) as refused:
            await add.rows(conn, {"user_id": user_id, "book_id": book_id, "started_at": STARTED, "ended_at": None})
    if engine.dialect.name == "postgresql":
        assert constraint_of(refused.value) == "uq_reading_sessions_open_per_user"


async def test_statement_listeners_see_every_statement(engine: AsyncEngine, seeded: tuple[int, int]) -> None:
    with counting_statements(engine) as statements:
        async with engine.connect() as conn:
            await HotStatement(SESSIONS).rows(conn, {"user_id": seeded[0]})
    assert len([sql for sql in statements if "FROM reading_sessions" in sql]) == 1


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_on_postgres_it_does_not_go_through_sqlalchemys_execution(
    engine: AsyncEngine, seeded: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:

    def refuse(*_: Any, **__: Any) -> None:
        raise AssertionError("went through SQLAlchemy's execution")

    async with engine.connect() as conn:
        monkeypatch.setattr(type(conn.sync_connection), "_execute_context", refuse)
        rows = await HotStatement(SESSIONS).rows(conn, {"user_id": seeded[0]})
    assert len(rows) == 2


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_a_connection_lost_mid_statement_is_invalidated_and_the_pool_recovers(
    engine: AsyncEngine, seeded: tuple[int, int]
) -> None:
    async with engine.connect() as conn:
        pid = await conn.scalar(select(func.pg_backend_pid()))
        async with engine.connect() as other:
            await other.execute(select(func.pg_terminate_backend(pid)))
        with pytest.raises(DBAPIError) as lost:
            await HotStatement(SESSIONS).rows(conn, {"user_id": seeded[0]})
        assert lost.value.connection_invalidated
        assert isinstance(lost.value.orig, psycopg.OperationalError)
    async with engine.connect() as conn:
        assert len(await HotStatement(SESSIONS).rows(conn, {"user_id": seeded[0]})) == 2
