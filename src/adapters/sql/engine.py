"""The async engine for Postgres (psycopg 3) or SQLite (aiosqlite)."""

from __future__ import annotations

import select
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

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
            conn.exec_driver_sql("BEGIN")


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
    discards the connection and takes (or opens) another. A silent network drop is not
    seen this way: that request fails with 503 and the pool is invalidated."""

    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
        if _closed_by_the_server(dbapi_conn):
            msg = "the server closed this pooled connection"
            raise DisconnectionError(msg)


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
    engine = create_async_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=pool_timeout,
        pool_pre_ping=False,
        pool_recycle=1800,
        isolation_level="AUTOCOMMIT",
    )
    _discard_connections_closed_by_the_server(engine)
    _begin_writers_explicitly(engine)
    return engine
