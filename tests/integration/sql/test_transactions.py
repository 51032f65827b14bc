"""Units of work on Postgres: connections stay in autocommit mode, writers send BEGIN
themselves (adapters/sql/engine.py), readers run without a transaction."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.engine import read_only_view
from adapters.sql.leader import PostgresAdvisoryLock
from adapters.sql.tables import users
from adapters.sql.uow import SqlUnitOfWork


async def _status(uow: SqlUnitOfWork) -> psycopg.pq.TransactionStatus:
    raw = await uow.connection.get_raw_connection()
    driver: psycopg.AsyncConnection = raw.driver_connection  # type: ignore[assignment]
    return driver.info.transaction_status


# Postgres only: SQLite's transactions are begun by its own hook (BEGIN IMMEDIATE).
pytestmark = pytest.mark.parametrize("backend", ["postgres"], indirect=True)


@pytest.fixture
def postgres(engine: AsyncEngine) -> AsyncEngine:
    return engine


async def test_a_writer_is_one_transaction_and_leaving_without_commit_undoes_it(postgres: AsyncEngine) -> None:
    async with SqlUnitOfWork(postgres) as uow:
        await uow.connection.execute(
            insert(users).values(
                username="ada", email="ada@example.org", password_hash="x", created_at=datetime.now(UTC)
            )
        )
        assert await _status(uow) == psycopg.pq.TransactionStatus.INTRANS
    async with SqlUnitOfWork(postgres) as uow:
        await uow.connection.execute(
            insert(users).values(
                username="bob", email="bob@example.org", password_hash="x", created_at=datetime.now(UTC)
            )
        )
        await uow.commit()
    async with postgres.connect() as conn:
        assert (await conn.execute(select(users.c.username))).scalars().all() == ["bob"]


@pytest.mark.parametrize("view", [False, True], ids=["engine", "read_only_view"])
async def test_a_reader_runs_without_a_transaction(postgres: AsyncEngine, view: bool) -> None:
    async with SqlUnitOfWork(read_only_view(postgres) if view else postgres, read_only=True) as uow:
        assert await uow.connection.scalar(select(func.count()).select_from(users)) == 0
        assert await _status(uow) == psycopg.pq.TransactionStatus.IDLE


async def test_a_connection_that_asks_for_autocommit_gets_no_transaction(postgres: AsyncEngine) -> None:
    """The leader's lock session must not sit idle in a transaction, and VACUUM refuses one."""
    async with postgres.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE users"))
        raw = await conn.get_raw_connection()
        driver: psycopg.AsyncConnection = raw.driver_connection  # type: ignore[assignment]
        assert driver.info.transaction_status == psycopg.pq.TransactionStatus.IDLE


async def test_the_scheduler_leaders_lock_session_is_not_left_in_a_transaction(postgres: AsyncEngine) -> None:
    lock = PostgresAdvisoryLock(postgres, key=918_273)
    assert await lock.try_acquire()
    try:
        assert await lock.still_held()
        async with postgres.connect() as conn:
            states = (
                (
                    await conn.execute(
                        text(
                            "SELECT a.state FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                            "WHERE l.locktype = 'advisory' AND l.objid = 918273"
                        )
                    )
                )
                .scalars()
                .all()
            )
        assert states == ["idle"]  # not "idle in transaction", which would hold back VACUUM
    finally:
        await lock.release()
