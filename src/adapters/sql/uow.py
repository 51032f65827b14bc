"""Unit of work over one SQLAlchemy Core connection.

Repositories are thin views over the unit of work's connection; nothing commits but
``commit()``. Leaving the block without it rolls back. A read-only unit of work runs
without a write lock on SQLite and in autocommit mode on Postgres (no BEGIN/COMMIT
round trips for queries).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Self
from weakref import WeakKeyDictionary

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.util import greenlet_spawn

from adapters.sql.catalog import SqlBookCatalog, SqlBookRepository
from adapters.sql.chat import SqlChatRepository
from adapters.sql.circulation import SqlBorrowerRepository, SqlBorrowingRepository, SqlShelfRepository
from adapters.sql.community import SqlEventRepository, SqlOrganizationRepository
from adapters.sql.email_changes import SqlEmailChangeRepository
from adapters.sql.engine import READ_ONLY, checkout_without_hop, return_without_hop
from adapters.sql.focus import (
    SqlAchievementFacts,
    SqlAchievementRepository,
    SqlFocusCategoryRepository,
    SqlFocusSessionRepository,
    SqlReadingHistory,
)
from adapters.sql.holds import SqlHoldRepository, SqlOverdueLedger
from adapters.sql.identity import (
    SqlProfileReader,
    SqlRefreshTokenRepository,
    SqlSessionStatsRepository,
    SqlUserRepository,
)
from adapters.sql.music import SqlMusicTrackRepository
from adapters.sql.outbox import SqlOutbox
from adapters.sql.payments import SqlIdempotencyKeys, SqlMemberships, SqlPaymentEventLog, SqlPaymentRepository
from adapters.sql.reading import SqlReadingSessionRepository, SqlReadingStatistics
from adapters.sql.tasks import SqlTaskRepository
from application.errors import ServiceUnavailable

#: SQLite has one writer at a time. Writers of this process queue on an asyncio lock (FIFO,
#: no polling) instead of SQLite's busy handler, whose sleeping back-off turns contention
#: into second-long stalls; other processes still wait through ``busy_timeout``.
_SQLITE_WRITERS: WeakKeyDictionary[object, asyncio.Lock] = WeakKeyDictionary()
WRITER_WAIT_SECONDS = 30.0


def _writer_lock(engine: AsyncEngine) -> asyncio.Lock | None:
    if engine.dialect.name != "sqlite":
        return None
    lock = _SQLITE_WRITERS.get(engine.sync_engine)
    if lock is None:
        lock = _SQLITE_WRITERS[engine.sync_engine] = asyncio.Lock()
    return lock


class _ConnectionLost(Exception):
    """A writer's BEGIN found its pooled connection lost (the cause is SQLAlchemy's error)."""


class SqlUnitOfWork:
    """``read_only``: no writes, no transaction on Postgres (each statement sees the latest
    commits), a deferred BEGIN on SQLite (one snapshot).

    ``one_statement``: a writer whose whole work is one statement (a use case that writes with
    a single ``INSERT … SELECT`` and reads nothing before it that must stay true). On Postgres
    that statement runs as its own transaction: atomic as any statement, and without the BEGIN
    and COMMIT round trips (two of a direct chat message's three). Everything else is as for
    any writer (``commit()`` is called; leaving without it undoes nothing the statement did,
    so such a use case must not call the statement before deciding to write). On SQLite it is
    an ordinary writer (``BEGIN IMMEDIATE``, the process's writer lock)."""

    def __init__(self, engine: AsyncEngine, *, read_only: bool = False, one_statement: bool = False) -> None:
        self._engine = engine
        self._read_only = read_only
        self._no_begin = read_only or (one_statement and engine.dialect.name != "sqlite")
        self._conn: AsyncConnection | None = None
        self._held: asyncio.Lock | None = None

    async def __aenter__(self) -> Self:
        lock = None if self._read_only else _writer_lock(self._engine)
        if lock is not None:
            try:
                await asyncio.wait_for(lock.acquire(), WRITER_WAIT_SECONDS)
            except TimeoutError as exc:
                raise ServiceUnavailable("The database is busy; try again.") from exc
            self._held = lock
        try:
            await self._open()
        except BaseException:
            self._release()
            raise
        return self

    def _release(self) -> None:
        held, self._held = self._held, None
        if held is not None:
            held.release()

    async def _open(self) -> None:
        conn = await self._checkout()
        if self._no_begin:
            # No explicit begin. A reader: a statement through SQLAlchemy begins one (a plain
            # BEGIN on SQLite, so the reads share one snapshot; none on Postgres), and a reader
            # that ran only hot statements has nothing to roll back (~30 µs of CPU less per
            # read). A one-statement writer (Postgres only): its statement commits itself, the
            # connection being in autocommit mode.
            if not self._engine.get_execution_options().get(READ_ONLY):  # not built as read_only_view
                conn.sync_connection.execution_options(**{READ_ONLY: True})  # type: ignore[union-attr]
        else:
            try:
                await self._begin(conn)
            except _ConnectionLost:
                # The pooled connection died after the checkout's check (the server's goodbye
                # still on its way, a restart under way). Nothing was sent: take another once.
                conn = await self._checkout()
                try:
                    await self._begin(conn)
                except _ConnectionLost as exc:
                    raise ServiceUnavailable("The database is unavailable.") from exc.__cause__
        self._conn = conn

    async def _checkout(self) -> AsyncConnection:
        try:
            sync = checkout_without_hop(self._engine) or await greenlet_spawn(self._engine.sync_engine.connect)
        except (DBAPIError, OSError) as exc:
            raise ServiceUnavailable("The database is unavailable.") from exc
        return AsyncConnection(self._engine, sync)

    @staticmethod
    async def _begin(conn: AsyncConnection) -> None:
        """BEGIN, or the connection given back (invalidated if it was lost) and the error
        raised; ``_ConnectionLost`` when the connection was."""
        try:
            await conn.begin()
        except BaseException as exc:
            with contextlib.suppress(Exception):
                await conn.close()
            if isinstance(exc, DBAPIError) and exc.connection_invalidated:
                raise _ConnectionLost from exc
            raise

    async def __aexit__(self, *exc: object) -> None:
        conn, self._conn = self._conn, None
        try:
            if conn is not None:
                try:
                    if conn.in_transaction():
                        await conn.rollback()
                finally:
                    if not return_without_hop(conn):
                        await conn.close()
        finally:
            self._release()

    async def commit(self) -> None:
        conn = self.connection
        if self._no_begin and not conn.in_transaction():
            return  # a one-statement writer whose statement went straight to psycopg: committed
        await conn.commit()

    @property
    def connection(self) -> AsyncConnection:
        if self._conn is None:
            msg = "the unit of work is not open: use `async with uow:`"
            raise RuntimeError(msg)
        return self._conn

    # -- identity
    @property
    def users(self) -> SqlUserRepository:
        return SqlUserRepository(self.connection)

    @property
    def refresh_tokens(self) -> SqlRefreshTokenRepository:
        return SqlRefreshTokenRepository(self.connection)

    @property
    def session_stats(self) -> SqlSessionStatsRepository:
        return SqlSessionStatsRepository(self.connection)

    @property
    def profiles(self) -> SqlProfileReader:
        return SqlProfileReader(self.connection)

    @property
    def email_changes(self) -> SqlEmailChangeRepository:
        return SqlEmailChangeRepository(self.connection)

    # -- tasks
    @property
    def tasks(self) -> SqlTaskRepository:
        return SqlTaskRepository(self.connection)

    # -- community
    @property
    def organizations(self) -> SqlOrganizationRepository:
        return SqlOrganizationRepository(self.connection)

    @property
    def events(self) -> SqlEventRepository:
        return SqlEventRepository(self.connection)

    # -- outbox
    @property
    def outbox(self) -> SqlOutbox:
        return SqlOutbox(self.connection)

    # -- catalog and reading
    @property
    def books(self) -> SqlBookRepository:
        return SqlBookRepository(self.connection)

    @property
    def catalog(self) -> SqlBookCatalog:
        return SqlBookCatalog(self.connection)

    @property
    def reading_sessions(self) -> SqlReadingSessionRepository:
        return SqlReadingSessionRepository(self.connection)

    @property
    def reading_stats(self) -> SqlReadingStatistics:
        return SqlReadingStatistics(self.connection)

    # -- chat
    @property
    def chat(self) -> SqlChatRepository:
        return SqlChatRepository(self.connection)

    # -- focus timer, achievements, music
    @property
    def focus_categories(self) -> SqlFocusCategoryRepository:
        return SqlFocusCategoryRepository(self.connection)

    @property
    def focus_sessions(self) -> SqlFocusSessionRepository:
        return SqlFocusSessionRepository(self.connection)

    @property
    def achievements(self) -> SqlAchievementRepository:
        return SqlAchievementRepository(self.connection)

    @property
    def achievement_facts(self) -> SqlAchievementFacts:
        return SqlAchievementFacts(self.connection)

    @property
    def reading_history(self) -> SqlReadingHistory:
        return SqlReadingHistory(self.connection)

    @property
    def music_tracks(self) -> SqlMusicTrackRepository:
        return SqlMusicTrackRepository(self.connection)

    # -- circulation and payments
    @property
    def borrowers(self) -> SqlBorrowerRepository:
        return SqlBorrowerRepository(self.connection)

    @property
    def shelves(self) -> SqlShelfRepository:
        return SqlShelfRepository(self.connection)

    @property
    def borrowings(self) -> SqlBorrowingRepository:
        return SqlBorrowingRepository(self.connection)

    @property
    def payments(self) -> SqlPaymentRepository:
        return SqlPaymentRepository(self.connection)

    @property
    def payment_events(self) -> SqlPaymentEventLog:
        return SqlPaymentEventLog(self.connection)

    @property
    def memberships(self) -> SqlMemberships:
        return SqlMemberships(self.connection)

    @property
    def idempotency_keys(self) -> SqlIdempotencyKeys:
        return SqlIdempotencyKeys(self.connection)

    # -- holds and the overdue digest
    @property
    def holds(self) -> SqlHoldRepository:
        return SqlHoldRepository(self.connection)

    @property
    def overdue(self) -> SqlOverdueLedger:
        return SqlOverdueLedger(self.connection)
