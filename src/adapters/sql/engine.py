"""The async engine for Postgres (psycopg 3) or SQLite (aiosqlite)."""

from __future__ import annotations

import select
from collections.abc import Generator
from pathlib import Path
from typing import Any
from weakref import WeakSet

import psycopg
from psycopg.pq import TransactionStatus
from sqlalchemy import event
from sqlalchemy.engine import Connection, Dialect, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, MissingGreenlet
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import QueuePool
from sqlalchemy.util import await_only

from adapters.sql.driver import statements_observed

READ_ONLY = "athenaeum_read_only"


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _prepare_sqlite(engine: AsyncEngine) -> None:
    """SQLite ignores ``SELECT … FOR UPDATE``. To give the rules the isolation they need,
    every writing transaction takes the database write lock when it begins
    (``BEGIN IMMEDIATE``): writers queue up, readers keep reading under WAL."""

    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let us issue BEGIN ourselves
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get(READ_ONLY):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def read_only_view(engine: AsyncEngine) -> AsyncEngine:
    """``engine`` (same pool) with every connection marked read-only: no BEGIN on Postgres,
    no write lock on SQLite. Build it once; the read-only unit of work then has nothing to set
    per checkout."""
    return engine.execution_options(**{READ_ONLY: True})


def _begin_writers_explicitly(engine: AsyncEngine) -> None:
    """Postgres connections stay in autocommit mode for their whole life, and every
    SQLAlchemy transaction (explicit or autobegun) that is not read-only sends ``BEGIN``
    itself, as psycopg would have before its first statement: one round trip either way, and
    the same transactions. A read-only unit of work then runs without a transaction and
    without switching the connection's mode at checkout and back at return (~35 µs of CPU
    per read, measured with bench/statement_cost.py). ``COMMIT``/``ROLLBACK`` go through
    psycopg, which sends them whenever a transaction is open, autocommit or not."""

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        options = conn.get_execution_options()
        # A connection that asks for AUTOCOMMIT itself (the leader's lock session, VACUUM)
        # means it: no transaction for it either.
        if not options.get(READ_ONLY) and options.get("isolation_level") != "AUTOCOMMIT":
            if statements_observed(conn):
                conn.exec_driver_sql("BEGIN")  # let whoever listens see this one too
            else:
                _begin_on_the_driver(conn)


def _begin_on_the_driver(conn: Connection) -> None:
    """``BEGIN`` sent by psycopg directly: through SQLAlchemy's execution (context, cursor
    wrapper, result) it cost a writing unit of work ~80 µs of CPU more, over a tenth of a direct chat
    message's. Errors come out as SQLAlchemy's, a lost connection invalidated, as
    ``exec_driver_sql`` would have done."""
    driver: Any = conn.connection.driver_connection
    try:
        await_only(driver.execute("BEGIN"))
    except psycopg.Error as exc:
        lost = bool(driver.closed or driver.broken)
        if lost:
            conn.invalidate(exc)
        error: Any = exc
        raise DBAPIError.instance(
            "BEGIN", {}, error, psycopg.Error, connection_invalidated=lost, dialect=conn.dialect
        ) from exc


def _closed_by_the_server(dbapi_conn: Any) -> bool:
    """An idle pooled connection whose socket has something to read was closed (or told it is
    being closed) by the server: a restart, an admin's ``pg_terminate_backend``, an idle
    timeout. One ``poll`` with no wait: far cheaper than ``pool_pre_ping``'s round trip."""
    try:
        fd = dbapi_conn.driver_connection.fileno()
    except Exception:  # noqa: BLE001 - a connection that cannot say its socket is unusable
        return True
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLERR | select.POLLHUP)
    return bool(poller.poll(0))


def _discard_connections_closed_by_the_server(engine: AsyncEngine) -> None:
    """After Postgres restarts, the pool would hand out dead connections, one failed request
    each. Checking them out instead raises ``DisconnectionError``, on which SQLAlchemy
    discards the connection and takes (or opens) another. Not seen this way: a connection
    whose goodbye is still on its way (a writer's unit of work then takes another once, when
    its BEGIN fails), and a silent network drop (that request fails with 503, the connection
    is invalidated)."""

    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
        if _closed_by_the_server(dbapi_conn):
            msg = "the server closed this pooled connection"
            raise DisconnectionError(msg)


class _Connect:
    """``psycopg.AsyncConnection.connect(...)`` as an awaitable that makes its coroutine only
    when awaited. SQLAlchemy's ``await_`` outside a greenlet (``checkout_without_hop`` finding
    a pooled connection that must be reopened) closes what it was given unawaited; a coroutine
    made beforehand would be left "never awaited" (a RuntimeWarning in the logs)."""

    __slots__ = ("_args", "_params")

    def __init__(self, args: list[Any], params: dict[str, Any]) -> None:
        self._args, self._params = args, params

    def __await__(self) -> Generator[Any, None, psycopg.AsyncConnection[Any]]:
        return psycopg.AsyncConnection.connect(*self._args, **self._params).__await__()


#: The dialects of the engines whose pooled connections may be taken and given back without a
#: greenlet hop (an engine's dialect outlives ``dispose``, which replaces its pool).
_HOPLESS: WeakSet[Dialect] = WeakSet()


def _roll_back_only_what_is_open(engine: AsyncEngine) -> None:
    """Instead of SQLAlchemy's rollback-on-return, which calls psycopg's ``rollback()`` (an
    await, so a greenlet hop) even when it has nothing to do: roll back only a connection that
    is in a transaction (or failed in one). On Postgres a reader never is, and a writer has
    committed or rolled back by then, so returning them needs no I/O."""

    @event.listens_for(engine.sync_engine, "reset")
    def _on_reset(dbapi_conn: Any, _record: Any, state: Any) -> None:
        if not state.asyncio_safe:  # garbage collection: nothing may be awaited (SQLAlchemy warns)
            return
        if dbapi_conn.driver_connection.info.transaction_status != TransactionStatus.IDLE:
            dbapi_conn.rollback()


def _hopless_pool(sync_engine: Any) -> QueuePool | None:
    """The engine's pool when its connections may move without a greenlet hop (see below)."""
    pool = sync_engine.pool
    return pool if sync_engine.dialect in _HOPLESS and isinstance(pool, QueuePool) else None


def checkout_without_hop(engine: AsyncEngine) -> Connection | None:
    """A pooled connection taken with no greenlet hop, or ``None`` when taking one needs I/O.

    SQLAlchemy's async engine hops into a greenlet for every checkout and return, in case the
    pool must open, reopen or close a connection. A hop costs a worker ~15-20 µs of CPU with
    a request's stack around it, and a unit of work took two of them, a tenth of a book
    detail's CPU. When a connection waits in the pool (it usually does), taking it is plain
    Python: the checkout listener's ``poll`` included. If it must be reopened after all
    (recycled, invalidated, or the server closed it), SQLAlchemy raises ``MissingGreenlet``
    having put it back; the caller then takes the usual path (``greenlet_spawn``)."""
    sync_engine = engine.sync_engine
    pool = _hopless_pool(sync_engine)
    if pool is None or pool.checkedin() == 0:
        return None
    try:
        return sync_engine.connect()
    except MissingGreenlet:
        return None


def return_without_hop(conn: AsyncConnection) -> bool:
    """Return ``conn``'s connection to the pool with no greenlet hop when that needs no I/O:
    valid, out of any transaction (``_roll_back_only_what_is_open`` then does nothing), and
    room in the pool (an overflow connection is closed on return). ``False``: nothing done,
    close it as usual."""
    sync = conn.sync_connection
    if sync is None or sync.closed or sync.invalidated or sync.in_transaction():
        return False
    pool = _hopless_pool(sync.engine)
    if pool is None or pool.checkedin() >= pool.size():
        return False
    driver = sync.connection.driver_connection
    if driver is None or driver.info.transaction_status != TransactionStatus.IDLE:
        return False
    sync.close()
    return True


def create_engine(
    url: str, *, pool_size: int = 20, max_overflow: int = 0, pool_timeout: float = 30, echo: bool = False
) -> AsyncEngine:
    """``pool_size`` connections stay open for the life of the process. Overflow connections
    are opened under load and closed again as soon as the pool has room, so a worker under
    more concurrency than its pool keeps connecting and disconnecting (a TCP + TLS + auth
    handshake each): by default the pool is sized for the worker and has no overflow, and
    requests beyond it wait for a connection instead, ``pool_timeout`` seconds at most."""
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(
            url, echo=echo, pool_size=pool_size, max_overflow=max_overflow, pool_timeout=pool_timeout
        )
        _prepare_sqlite(engine)
        return engine
    connect_args: list[Any] = []  # the dialect's, known once the engine exists
    engine = create_async_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=pool_timeout,
        pool_pre_ping=False,
        pool_recycle=1800,
        isolation_level="AUTOCOMMIT",
        pool_reset_on_return=None,  # _roll_back_only_what_is_open
        async_creator=lambda: _Connect(*connect_args),
    )
    connect_args.extend(engine.dialect.create_connect_args(engine.url))
    _roll_back_only_what_is_open(engine)
    _HOPLESS.add(engine.dialect)
    _discard_connections_closed_by_the_server(engine)
    _begin_writers_explicitly(engine)
    return engine
