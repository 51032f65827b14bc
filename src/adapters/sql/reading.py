"""SQL repositories of reading sessions and of the reading statistics.

Durations are computed in SQL in whole microseconds, exactly, on both databases
(``epoch_micros``), then rounded down to whole seconds per session, the same arithmetic
as ``domain.reading``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, bindparam, case, delete, distinct, exists, func, insert, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from adapters.sql.common import constraint_of, paged
from adapters.sql.driver import HotStatement, bound_values
from adapters.sql.tables import reading_sessions, session_stats, users
from application.errors import NotFound
from application.ports.catalog import ReadingSessionFilter
from application.results import Page, PageRequest
from domain.catalog import MAX_INT, BookId
from domain.reading import (
    ReadingAlreadyOpen,
    ReadingSession,
    ReadingSessionId,
    ReadingTotal,
    StatsChange,
    StatsWindows,
)
from domain.shared import UserId

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICRO = timedelta(microseconds=1)
MICROS_PER_SECOND = 1_000_000


class epoch_micros(FunctionElement[int]):  # noqa: N801 - reads like the SQL function it stands for
    """Microseconds since the Unix epoch of a ``UtcDateTime`` column, exactly."""

    type = BigInteger()
    inherit_cache = True
    name = "epoch_micros"


@compiles(epoch_micros, "postgresql")
def _epoch_micros_postgres(element: epoch_micros, compiler: SQLCompiler, **kw: Any) -> str:
    # EXTRACT(EPOCH ...) is numeric (exact) since Postgres 14.
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) * 1000000 AS BIGINT)"


@compiles(epoch_micros, "sqlite")
def _epoch_micros_sqlite(element: epoch_micros, compiler: SQLCompiler, **kw: Any) -> str:
    # Stored as 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC). strftime('%s') would round the fraction
    # to milliseconds, so whole seconds come from the first 19 characters and the
    # microseconds from the last six.
    value = compiler.process(element.clauses, **kw)
    return (
        f"(CAST(strftime('%s', substr({value}, 1, 19)) AS INTEGER) * 1000000 + CAST(substr({value}, 21, 6) AS INTEGER))"
    )


def micros(moment: datetime) -> int:
    return (moment - EPOCH) // MICRO


def _least(a: ColumnElement[Any], b: ColumnElement[Any]) -> ColumnElement[Any]:
    return case((a < b, a), else_=b)


def _greatest(a: ColumnElement[Any], b: ColumnElement[Any]) -> ColumnElement[Any]:
    return case((a > b, a), else_=b)


def _seconds(start_us: ColumnElement[Any], end_us: ColumnElement[Any]) -> ColumnElement[Any]:
    """Whole seconds from ``start_us`` to ``end_us`` (rounded down; 0 if the span is empty)."""
    return case((end_us > start_us, (end_us - start_us) // MICROS_PER_SECOND), else_=0)


def _fits(ident: int) -> bool:
    return 0 < ident <= MAX_INT


def session_from_row(row: Any) -> ReadingSession:
    return ReadingSession(
        id=ReadingSessionId(row.id),
        user_id=UserId(row.user_id),
        book_id=BookId(row.book_id),
        started_at=row.started_at,
        ended_at=row.ended_at,
    )


_SESSION_COLUMNS = (
    reading_sessions.c.id,
    reading_sessions.c.user_id,
    reading_sessions.c.book_id,
    reading_sessions.c.started_at,
    reading_sessions.c.ended_at,
)


# The start and end paths' statements, built once.
_LOCK_READER = HotStatement(
    select(users.c.is_active).where(users.c.id == bindparam("user_id")).with_for_update(key_share=True)
)
_NOW = bindparam("now", type_=reading_sessions.c.ended_at.type)
_END_OPEN = (
    update(reading_sessions)
    .where(reading_sessions.c.user_id == bindparam("reader"), reading_sessions.c.ended_at.is_(None))
    # ReadingSession.end: at now, never before the session started (a clock that stepped back)
    .values(ended_at=case((reading_sessions.c.started_at > _NOW, reading_sessions.c.started_at), else_=_NOW))
    .returning(*_SESSION_COLUMNS)
)
_END_OPEN_SESSION = HotStatement(_END_OPEN)
_END_OPEN_SESSION_OF_BOOK = HotStatement(_END_OPEN.where(reading_sessions.c.book_id == bindparam("book")))
_INSERT_SESSION = HotStatement(
    insert(reading_sessions)
    .values(**bound_values("user_id", "book_id", "started_at", "ended_at"))
    .returning(reading_sessions.c.id)
)


class SqlReadingSessionRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get(self, session_id: ReadingSessionId) -> ReadingSession | None:
        if not _fits(session_id):
            return None
        row = (await self._conn.execute(select(*_SESSION_COLUMNS).where(reading_sessions.c.id == session_id))).first()
        return session_from_row(row) if row else None

    async def lock_reader(self, user_id: UserId) -> bool:
        # The user's row is the lock that serialises their starts and ends (FOR NO KEY UPDATE
        # does not block foreign-key checks of other tables). SQLite ignores the clause; its
        # writers are serialised by BEGIN IMMEDIATE already.
        return bool(await _LOCK_READER.scalar(self._conn, {"user_id": user_id}))

    async def end_open_session(
        self, user_id: UserId, now: datetime, *, book_id: BookId | None = None
    ) -> ReadingSession | None:
        # One statement after the lock (reading the session, then saving it, took two).
        if book_id is None:
            rows = await _END_OPEN_SESSION.rows(self._conn, {"reader": user_id, "now": now})
        elif _fits(book_id):
            rows = await _END_OPEN_SESSION_OF_BOOK.rows(self._conn, {"reader": user_id, "now": now, "book": book_id})
        else:
            rows = []
        return session_from_row(rows[0]) if rows else None

    async def add(self, session: ReadingSession) -> ReadingSession:
        values = {
            "user_id": session.user_id,
            "book_id": session.book_id,
            "started_at": session.started_at,
            "ended_at": session.ended_at,
        }
        if not _fits(session.book_id):  # beyond the column's range: no such book
            raise NotFound("book", session.book_id)
        # No savepoint: a refused insert ends the transaction, and the caller gives up (or, for
        # a lost race on the open-session index, starts over in a new transaction).
        try:
            new_id = await _INSERT_SESSION.scalar(self._conn, values)
        except IntegrityError as exc:
            which = constraint_of(exc)
            if which.startswith("fk_") and "_user_id_" in which:
                raise NotFound("user", session.user_id) from exc
            if "FOREIGN KEY" in which or which.startswith("fk_"):
                # The user's row is locked (lock_reader), so on SQLite (whose message names
                # no constraint) it is the book that is missing.
                raise NotFound("book", session.book_id) from exc
            raise ReadingAlreadyOpen from exc
        session.id = ReadingSessionId(int(new_id))
        return session

    async def delete(self, session_id: ReadingSessionId) -> bool:
        if not _fits(session_id):
            return False
        result = await self._conn.execute(delete(reading_sessions).where(reading_sessions.c.id == session_id))
        return bool(result.rowcount)

    async def list(self, filters: ReadingSessionFilter, page: PageRequest) -> Page[ReadingSession]:
        query = select(*_SESSION_COLUMNS).order_by(reading_sessions.c.started_at.desc(), reading_sessions.c.id.desc())
        if filters.user_id is not None:
            query = query.where(reading_sessions.c.user_id == filters.user_id)
        if filters.book_id is not None:
            query = query.where(reading_sessions.c.book_id == filters.book_id)
        return await paged(self._conn, query, page, session_from_row)

    async def totals(self, user_id: UserId, book_id: BookId | None, page: PageRequest) -> Page[ReadingTotal]:
        seconds = _seconds(epoch_micros(reading_sessions.c.started_at), epoch_micros(reading_sessions.c.ended_at))
        query = (
            select(reading_sessions.c.book_id, func.sum(seconds).label("total"))
            .where(reading_sessions.c.user_id == user_id, reading_sessions.c.ended_at.is_not(None))
            .group_by(reading_sessions.c.book_id)
            .order_by(reading_sessions.c.book_id)
        )
        if book_id is not None:
            query = query.where(reading_sessions.c.book_id == book_id)
        return await paged(
            self._conn,
            query,
            page,
            lambda row: ReadingTotal(book_id=BookId(row.book_id), total_elapsed_seconds=int(row.total or 0)),
        )


_REFRESH_STATEMENTS: dict[tuple[str, bool], HotStatement] = {}


def _refresh_statement(dialect_name: str, *, per_user: bool) -> HotStatement:
    """The statistics upsert, built once per dialect (and per scope), with bound parameters
    ``now_us``, ``week_us``, ``month_us``, ``now`` and (per user) ``user_id``: a session end
    refreshes its user's row on the request path, where building it each time cost more
    than running it."""
    key = (dialect_name, per_user)
    if key in _REFRESH_STATEMENTS:
        return _REFRESH_STATEMENTS[key]
    now_us = bindparam("now_us", type_=BigInteger)
    week_us = bindparam("week_us", type_=BigInteger)
    month_us = bindparam("month_us", type_=BigInteger)

    per_session = select(
        reading_sessions.c.user_id,
        reading_sessions.c.book_id,
        epoch_micros(reading_sessions.c.started_at).label("s"),
        epoch_micros(reading_sessions.c.ended_at).label("e"),  # NULL while open
    )
    if per_user:
        per_session = per_session.where(reading_sessions.c.user_id == bindparam("user_id"))
    rs = per_session.subquery("rs")

    def within(window_start: ColumnElement[Any]) -> ColumnElement[Any]:
        return _seconds(_greatest(rs.c.s, window_start), _least(rs.c.e, now_us))

    closed = rs.c.e.is_not(None)
    stats = (
        select(
            users.c.id,
            func.coalesce(func.sum(case((closed, _seconds(rs.c.s, rs.c.e)), else_=0)), 0),
            func.coalesce(func.sum(case((closed, within(week_us)), else_=0)), 0),
            func.coalesce(func.sum(case((closed, within(month_us)), else_=0)), 0),
            func.count(distinct(rs.c.book_id)),
            bindparam("now", type_=session_stats.c.updated_at.type),
        )
        .select_from(users.outerjoin(rs, rs.c.user_id == users.c.id))
        .where(users.c.id == bindparam("user_id") if per_user else true())  # SQLite's upsert wants a WHERE
        .group_by(users.c.id)
    )
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    upsert = dialect.insert(session_stats).from_select(
        [
            session_stats.c.user_id,
            session_stats.c.total_seconds,
            session_stats.c.last_7_days_seconds,
            session_stats.c.last_30_days_seconds,
            session_stats.c.books_read,
            session_stats.c.updated_at,
        ],
        stats,
    )
    upsert = upsert.on_conflict_do_update(
        index_elements=[session_stats.c.user_id],
        set_={
            "total_seconds": upsert.excluded.total_seconds,
            "last_7_days_seconds": upsert.excluded.last_7_days_seconds,
            "last_30_days_seconds": upsert.excluded.last_30_days_seconds,
            "books_read": upsert.excluded.books_read,
            "updated_at": upsert.excluded.updated_at,
        },
    )
    statement = HotStatement(upsert.execution_options(preserve_rowcount=True))
    _REFRESH_STATEMENTS[key] = statement
    return statement


def _add_statement(*, with_book: bool) -> HotStatement:
    """Add a ``StatsChange`` to a user's row: its seconds and, ``with_book``, one book unless
    the user has another session of it (``ix_reading_sessions_book_user`` answers that)."""
    stats = session_stats.c
    values: dict[str, Any] = {
        "total_seconds": stats.total_seconds + bindparam("add_total", type_=BigInteger),
        "last_7_days_seconds": stats.last_7_days_seconds + bindparam("add_week", type_=BigInteger),
        "last_30_days_seconds": stats.last_30_days_seconds + bindparam("add_month", type_=BigInteger),
        "updated_at": bindparam("now", type_=stats.updated_at.type),
    }
    if with_book:
        seen_before = exists().where(
            reading_sessions.c.book_id == bindparam("book_id"),
            reading_sessions.c.user_id == stats.user_id,
            reading_sessions.c.id != bindparam("session_id"),
        )
        values["books_read"] = stats.books_read + case((seen_before, 0), else_=1)
    statement = update(session_stats).where(stats.user_id == bindparam("stats_of")).values(**values)
    return HotStatement(statement.execution_options(preserve_rowcount=True))


_ADD_STATS = _add_statement(with_book=False)
_ADD_STATS_AND_BOOK = _add_statement(with_book=True)


class SqlReadingStatistics:
    """``user_session_stats`` rows, computed for many users in one INSERT … SELECT … GROUP BY
    … ON CONFLICT DO UPDATE (an upsert both Postgres and SQLite ≥ 3.24 understand)."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def refresh_all(self, now: datetime) -> int:
        return await self._refresh(now, None)

    async def refresh_user(self, user_id: UserId, now: datetime) -> None:
        await self._refresh(now, user_id)

    async def _refresh(self, now: datetime, user_id: UserId | None) -> int:
        windows = StatsWindows(now)
        params: dict[str, Any] = {
            "now_us": micros(now),
            "week_us": micros(windows.last_7_days[0]),
            "month_us": micros(windows.last_30_days[0]),
            "now": now,
        }
        if user_id is not None:
            params["user_id"] = user_id
        upsert = _refresh_statement(self._conn.dialect.name, per_user=user_id is not None)
        return max(0, await upsert.execute(self._conn, params))

    async def add(self, user_id: UserId, change: StatsChange) -> bool:
        params: dict[str, Any] = {
            "stats_of": user_id,
            "add_total": change.total_seconds,
            "add_week": change.last_7_days_seconds,
            "add_month": change.last_30_days_seconds,
            "now": change.now,
        }
        if change.began is None:
            return await _ADD_STATS.execute(self._conn, params) > 0
        params |= {"book_id": change.began.book_id, "session_id": change.began.sid}
        return await _ADD_STATS_AND_BOOK.execute(self._conn, params) > 0
