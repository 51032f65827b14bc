"""Units of work take and return pooled Postgres connections without a greenlet hop when no
I/O is needed (``checkout_without_hop``/``return_without_hop`` in adapters/sql/engine.py),
and fall back to SQLAlchemy's usual path whenever it is: a connection to reopen, an
overflow connection to close, a transaction to roll back."""

from __future__ import annotations

import gc
import logging
import warnings
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy.ext.asyncio.engine as sa_async_engine
from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

import adapters.sql.uow as uow_module
from adapters.sql.catalog import _EXISTS
from adapters.sql.engine import create_engine, read_only_view
from adapters.sql.tables import users
from adapters.sql.uow import SqlUnitOfWork
from application.errors import ServiceUnavailable
from tests.integration.support import terminate_backends

pytestmark = pytest.mark.parametrize("backend", ["postgres"], indirect=True)


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the functions run through ``greenlet_spawn`` (by the unit of work itself
    or by SQLAlchemy's AsyncConnection: connect, begin, commit, rollback, close)."""
    seen: list[str] = []
    real = sa_async_engine.greenlet_spawn

    async def counting(fn: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(getattr(fn, "__name__", repr(fn)))
        return await real(fn, *args, **kwargs)

    monkeypatch.setattr(uow_module, "greenlet_spawn", counting, raising=False)
    monkeypatch.setattr(sa_async_engine, "greenlet_spawn", counting)
    return seen


def _user(name: str) -> dict[str, Any]:
    return {"username": name, "email": f"{name}@example.org", "password_hash": "x", "created_at": datetime.now(UTC)}


async def test_a_reader_takes_and_returns_a_waiting_connection_without_a_hop(
    engine: AsyncEngine, hops: list[str]
) -> None:
    await engine.dispose()  # a fresh pool: the connection waiting in it needs no reopening
    reader = read_only_view(engine)
    async with SqlUnitOfWork(reader, read_only=True):  # the pool has a connection waiting after this
        pass
    hops.clear()
    checked_out_before = engine.sync_engine.pool.checkedout()  # type: ignore[attr-defined]
    async with SqlUnitOfWork(reader, read_only=True) as uow:
        assert await _EXISTS.scalar(uow.connection, {"book_id": 1}) is False
    assert hops == []
    assert engine.sync_engine.pool.checkedout() == checked_out_before  # type: ignore[attr-defined]


async def test_it_holds_after_the_engine_is_disposed_and_its_pool_replaced(
    engine: AsyncEngine, hops: list[str]
) -> None:
    await engine.dispose()
    await test_a_reader_takes_and_returns_a_waiting_connection_without_a_hop(engine, hops)
    await test_a_connection_returned_inside_a_transaction_is_rolled_back_by_the_pool(engine)


async def test_a_writer_hops_for_its_statements_but_not_to_take_and_return_its_connection(
    engine: AsyncEngine, hops: list[str]
) -> None:
    await engine.dispose()
    async with SqlUnitOfWork(engine):
        pass
    hops.clear()
    async with SqlUnitOfWork(engine) as uow:
        await uow.connection.execute(insert(users).values(**_user("ada")))
        await uow.commit()
    assert [name for name in hops if name in {"connect", "close"}] == [], hops  # begin, execute, commit hop
    async with engine.connect() as conn:
        assert (await conn.execute(select(users.c.username))).scalars().all() == ["ada"]


async def test_leaving_a_writer_without_commit_still_undoes_it(engine: AsyncEngine) -> None:
    async with SqlUnitOfWork(engine) as uow:
        await uow.connection.execute(insert(users).values(**_user("ada")))
    async with SqlUnitOfWork(read_only_view(engine), read_only=True) as uow:
        assert await uow.connection.scalar(select(func.count()).select_from(users)) == 0


async def test_a_connection_returned_inside_a_transaction_is_rolled_back_by_the_pool(engine: AsyncEngine) -> None:
    """SQLAlchemy's rollback-on-return is replaced by a reset that rolls back only what is open:
    a connection given back in a transaction SQLAlchemy does not know of is still rolled back."""
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        driver: Any = raw.driver_connection
        await driver.execute("BEGIN")
        await driver.execute(
            "INSERT INTO users (username, email, password_hash, created_at, is_active, is_admin, is_premium)"
            " VALUES ('eve', 'eve@example.org', 'x', now(), true, false, false)"
        )
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(users)) == 0


async def test_connections_the_server_closed_are_reopened_without_a_warning(engine: AsyncEngine) -> None:
    """The hop-free checkout finds a connection that must be reopened: SQLAlchemy puts it back
    and the unit of work takes the usual path; nothing is left "never awaited"."""
    reader = read_only_view(engine)
    uows = [SqlUnitOfWork(reader, read_only=True) for _ in range(4)]
    pids = []
    for uow in uows:
        await uow.__aenter__()
        pids.append(await uow.connection.scalar(text("SELECT pg_backend_pid()")))
    for uow in uows:
        await uow.__aexit__(None, None, None)
    await terminate_backends(engine, pids)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(8):
            async with SqlUnitOfWork(reader, read_only=True) as uow:
                assert await uow.connection.scalar(text("SELECT pg_backend_pid()")) not in pids
        gc.collect()
    assert [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)] == []


async def test_an_overflow_connection_is_closed_on_return_without_an_error(
    engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    small = create_engine(engine.url.render_as_string(hide_password=False), pool_size=1, max_overflow=1)
    try:
        first, second = SqlUnitOfWork(small), SqlUnitOfWork(small)
        with caplog.at_level(logging.ERROR, logger="sqlalchemy.pool"):
            await first.__aenter__()
            await second.__aenter__()  # the overflow connection
            await first.connection.execute(insert(users).values(**_user("ada")))
            await first.commit()
            await first.__aexit__(None, None, None)
            await second.__aexit__(None, None, None)  # no room left in the pool: closed
        pool: Any = small.sync_engine.pool
        assert (pool.checkedout(), pool.checkedin()) == (0, 1)
        assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    finally:
        await small.dispose()


def _lose_connections(monkeypatch: pytest.MonkeyPatch, times: int) -> list[int]:
    """The next ``times`` hop-free checkouts hand out a connection whose socket is then closed
    under psycopg's feet (between the checkout's check and BEGIN); returns the list of those."""
    lost: list[int] = []
    real = uow_module.checkout_without_hop

    def checkout_then_lose(eng: AsyncEngine) -> Any:
        sync = real(eng)
        if sync is not None and len(lost) < times:
            driver = sync.connection.driver_connection
            lost.append(driver.info.backend_pid)
            driver.pgconn.finish()
        return sync

    monkeypatch.setattr(uow_module, "checkout_without_hop", checkout_then_lose)
    return lost


async def _pool_holding(engine: AsyncEngine, n: int) -> Any:
    """A fresh pool with ``n`` connections waiting in it (none needs reopening)."""
    await engine.dispose()
    held = [SqlUnitOfWork(engine) for _ in range(n)]
    for uow in held:
        await uow.__aenter__()
    for uow in held:
        await uow.__aexit__(None, None, None)
    return engine.sync_engine.pool


async def test_a_writer_whose_connection_is_lost_before_begin_is_served_on_another(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pooled connection can die after the checkout's check (the server's goodbye still on
    its way): BEGIN fails, nothing was sent, so the unit of work takes another connection once
    and the write goes through."""
    pool = await _pool_holding(engine, 1)
    out_before = pool.checkedout()
    lost = _lose_connections(monkeypatch, times=1)
    async with SqlUnitOfWork(engine) as uow:
        assert await uow.connection.scalar(text("SELECT pg_backend_pid()")) not in lost
        await uow.connection.execute(insert(users).values(**_user("ada")))
        await uow.commit()
    assert len(lost) == 1
    assert pool.checkedout() == out_before
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(users)) == 1


async def test_a_writer_whose_begin_fails_twice_on_lost_connections_is_503_and_gives_them_back(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """BEGIN goes to psycopg directly (``_begin_on_the_driver``): a lost connection still ends
    as SQLAlchemy's would, invalidated and returned to the pool. One retry only: when the
    second connection is lost too, the caller gets ``ServiceUnavailable`` (a 503), not a
    psycopg error (a 500), and the pool serves again afterwards."""
    pool = await _pool_holding(engine, 2)
    out_before = pool.checkedout()
    lost = _lose_connections(monkeypatch, times=2)
    with pytest.raises(ServiceUnavailable):
        async with SqlUnitOfWork(engine):
            pass
    monkeypatch.undo()
    assert len(lost) == 2
    assert pool.checkedout() == out_before
    async with SqlUnitOfWork(engine) as uow:  # the pool serves again
        await uow.connection.execute(insert(users).values(**_user("ada")))
        await uow.commit()
