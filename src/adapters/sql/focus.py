"""SQL repositories of the focus timer: categories, sessions, achievements and the facts the
achievement rules and statistics read (focus sessions, reading sessions, borrowings)."""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, delete, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.common import constraint_of, paged
from adapters.sql.tables import achievements, books, borrowings, focus_categories, focus_sessions, reading_sessions
from application.errors import NotFound
from application.ports.focus import FocusSessionFilter, ReadingInPeriod
from application.results import Page, PageRequest
from domain.achievements import AchievementCode, Completion, Facts, ReadingSpan
from domain.catalog import BookId
from domain.errors import Conflict, InvalidValue
from domain.focus import (
    CategoryId,
    DuplicateCategoryName,
    FocusCategory,
    FocusSession,
    FocusSessionAlreadyRunning,
    FocusSessionId,
    FocusStatus,
    TimeZone,
)
from domain.reading import ReadingSession, ReadingSessionId
from domain.shared import UserId

_MAX_ID = 2**31 - 1  # ids are INTEGER columns: a bigger one names nothing (and must not reach the driver)
RUNNING = FocusStatus.RUNNING.value
COMPLETED = FocusStatus.COMPLETED.value


def _fits(ident: int) -> bool:
    return 1 <= ident <= _MAX_ID


def _foreign_key(which: str) -> bool:
    return "FOREIGN KEY" in which or which.startswith("fk_")


# --------------------------------------------------------------------------- categories


def category_from_row(row: Any) -> FocusCategory:
    return FocusCategory(id=CategoryId(row.id), user_id=UserId(row.user_id), name=row.name, color=row.color)


def _category_refused(exc: IntegrityError) -> Conflict:
    which = constraint_of(exc)
    if "uq_focus_categories_user_name" in which or "focus_categories.name" in which:
        return DuplicateCategoryName("You already have a focus category with this name.", field="name")
    return Conflict("The user this category belongs to no longer exists.")


class SqlFocusCategoryRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, category: FocusCategory) -> FocusCategory:
        values = {"user_id": category.user_id, "name": category.name, "color": category.color}
        try:
            async with self._conn.begin_nested():
                new_id = await self._conn.scalar(
                    insert(focus_categories).values(**values).returning(focus_categories.c.id)
                )
        except IntegrityError as exc:
            raise _category_refused(exc) from exc
        category.id = CategoryId(int(new_id))
        return category

    async def _get(self, category_id: CategoryId, *, lock: bool) -> FocusCategory | None:
        if not _fits(category_id):
            return None
        query = select(focus_categories).where(focus_categories.c.id == category_id)
        row = (await self._conn.execute(query.with_for_update() if lock else query)).first()
        return category_from_row(row) if row else None

    async def get(self, category_id: CategoryId) -> FocusCategory | None:
        return await self._get(category_id, lock=False)

    async def get_for_update(self, category_id: CategoryId) -> FocusCategory | None:
        return await self._get(category_id, lock=True)

    async def save(self, category: FocusCategory) -> None:
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(
                    update(focus_categories)
                    .where(focus_categories.c.id == category.cid)
                    .values(name=category.name, color=category.color)
                )
        except IntegrityError as exc:
            raise _category_refused(exc) from exc

    async def delete(self, category_id: CategoryId) -> bool:
        if not _fits(category_id):
            return False
        result = await self._conn.execute(delete(focus_categories).where(focus_categories.c.id == category_id))
        return bool(result.rowcount)

    def _of(self, user_id: UserId) -> Select[Any]:
        return (
            select(focus_categories)
            .where(focus_categories.c.user_id == user_id)
            .order_by(focus_categories.c.name, focus_categories.c.id)
        )

    async def list(self, user_id: UserId, page: PageRequest) -> Page[FocusCategory]:
        return await paged(self._conn, self._of(user_id), page, category_from_row)

    async def all_of(self, user_id: UserId) -> Sequence[FocusCategory]:
        return [category_from_row(row) for row in await self._conn.execute(self._of(user_id))]


# --------------------------------------------------------------------------- sessions

_SESSION_COLUMNS = (
    focus_sessions.c.id,
    focus_sessions.c.user_id,
    focus_sessions.c.category_id,
    focus_sessions.c.focus_minutes,
    focus_sessions.c.break_minutes,
    focus_sessions.c.started_at,
    focus_sessions.c.ends_at,
    focus_sessions.c.ended_at,
    focus_sessions.c.status,
    focus_sessions.c.tz,
)


def session_from_row(row: Any) -> FocusSession:
    return FocusSession(
        id=FocusSessionId(row.id),
        user_id=UserId(row.user_id),
        category_id=CategoryId(row.category_id) if row.category_id is not None else None,
        focus_minutes=row.focus_minutes,
        break_minutes=row.break_minutes,
        started_at=row.started_at,
        ends_at=row.ends_at,
        ended_at=row.ended_at,
        status=FocusStatus(row.status),
        tz=TimeZone(row.tz),
    )


class SqlFocusSessionRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, session: FocusSession) -> FocusSession:
        values = {
            "user_id": session.user_id,
            "category_id": session.category_id,
            "focus_minutes": session.focus_minutes,
            "break_minutes": session.break_minutes,
            "started_at": session.started_at,
            "ends_at": session.ends_at,
            "ended_at": session.ended_at,
            "status": session.status.value,
            "tz": session.tz.name,
        }
        try:
            async with self._conn.begin_nested():
                new_id = await self._conn.scalar(insert(focus_sessions).values(**values).returning(focus_sessions.c.id))
        except IntegrityError as exc:
            which = constraint_of(exc)
            if not _foreign_key(which):  # the partial unique index: one running session per user
                raise FocusSessionAlreadyRunning("Stop your running focus session before starting another.") from exc
            # SQLite does not say which foreign key failed; the caller's user row exists.
            if session.category_id is not None and ("category" in which or "FOREIGN KEY" in which):
                raise InvalidValue("category_id", "This focus category no longer exists.") from exc
            raise NotFound("user", session.user_id) from exc
        session.id = FocusSessionId(int(new_id))
        return session

    async def get_for_update(self, session_id: FocusSessionId) -> FocusSession | None:
        if not _fits(session_id):
            return None
        query = select(*_SESSION_COLUMNS).where(focus_sessions.c.id == session_id).with_for_update()
        row = (await self._conn.execute(query)).first()
        return session_from_row(row) if row else None

    async def save(self, session: FocusSession) -> None:
        await self._conn.execute(
            update(focus_sessions)
            .where(focus_sessions.c.id == session.sid)
            .values(status=session.status.value, ended_at=session.ended_at)
        )

    async def list(self, filters: FocusSessionFilter, page: PageRequest) -> Page[FocusSession]:
        query = (
            select(*_SESSION_COLUMNS)
            .where(focus_sessions.c.user_id == filters.user_id)
            .order_by(focus_sessions.c.started_at.desc(), focus_sessions.c.id.desc())
        )
        if filters.category_id is not None:
            query = query.where(focus_sessions.c.category_id == filters.category_id)
        if filters.started_from is not None:
            query = query.where(focus_sessions.c.started_at >= filters.started_from)
        if filters.started_before is not None:
            query = query.where(focus_sessions.c.started_at < filters.started_before)
        return await paged(self._conn, query, page, session_from_row)

    async def complete_due(self, now: datetime, user_id: UserId | None = None) -> builtins.list[FocusSession]:
        # One conditional statement: concurrent callers (two scheduler processes, a start and
        # the job) each get back only the rows they changed. Postgres re-checks the WHERE
        # clause on a row a concurrent transaction changed; SQLite runs writers one at a time.
        statement = (
            update(focus_sessions)
            .where(focus_sessions.c.status == RUNNING, focus_sessions.c.ends_at <= now)
            .values(status=COMPLETED, ended_at=focus_sessions.c.ends_at)
            .returning(*_SESSION_COLUMNS)
        )
        if user_id is not None:
            statement = statement.where(focus_sessions.c.user_id == user_id)
        rows = (await self._conn.execute(statement)).all()
        return sorted((session_from_row(row) for row in rows), key=lambda s: (s.ends_at, s.sid))

    async def overlapping(self, user_id: UserId, start: datetime, end: datetime) -> Sequence[FocusSession]:
        # Focus time lies between started_at and ends_at (ended_at ≤ ends_at when stopped), and
        # a pomodoro completes at ends_at: these bounds catch every session that matters.
        query = select(*_SESSION_COLUMNS).where(
            focus_sessions.c.user_id == user_id,
            focus_sessions.c.started_at < end,
            focus_sessions.c.ends_at >= start,
        )
        return [session_from_row(row) for row in await self._conn.execute(query)]


# --------------------------------------------------------------------------- achievements


class SqlAchievementRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def unlocked(self, user_id: UserId) -> dict[AchievementCode, datetime]:
        rows = await self._conn.execute(
            select(achievements.c.code, achievements.c.unlocked_at).where(achievements.c.user_id == user_id)
        )
        known = set(AchievementCode)
        return {AchievementCode(row.code): row.unlocked_at for row in rows if row.code in known}

    async def unlock(self, user_id: UserId, earned: Mapping[AchievementCode, datetime]) -> set[AchievementCode]:
        if not earned:
            return set()
        dialect = postgresql if self._conn.dialect.name == "postgresql" else sqlite
        statement = (
            dialect.insert(achievements)
            .values([{"user_id": user_id, "code": code.value, "unlocked_at": at} for code, at in earned.items()])
            .on_conflict_do_nothing(index_elements=[achievements.c.user_id, achievements.c.code])
            .returning(achievements.c.code)
        )
        try:
            async with self._conn.begin_nested():
                inserted = (await self._conn.execute(statement)).scalars().all()
        except IntegrityError:  # the user was deleted meanwhile: nothing to unlock
            return set()
        return {AchievementCode(code) for code in inserted}


class SqlAchievementFacts:
    """The facts of the achievement rules, read from the tables of three areas."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def of_user(self, user_id: UserId, now: datetime) -> Facts:
        completed = or_(
            focus_sessions.c.status == COMPLETED,
            and_(focus_sessions.c.status == RUNNING, focus_sessions.c.ends_at <= now),
        )
        pomodoros = await self._conn.execute(
            select(focus_sessions.c.ends_at, focus_sessions.c.tz)
            .where(focus_sessions.c.user_id == user_id, completed)
            .order_by(focus_sessions.c.ends_at)
        )
        reading = await self._conn.execute(
            select(reading_sessions.c.started_at, reading_sessions.c.ended_at).where(
                reading_sessions.c.user_id == user_id, reading_sessions.c.ended_at.is_not(None)
            )
        )
        # A borrowing is returned on time when it came back no later than expected.
        on_time = await self._conn.scalar(
            select(borrowings.c.actual_return_date)
            .where(
                borrowings.c.user_id == user_id,
                borrowings.c.actual_return_date.is_not(None),
                borrowings.c.actual_return_date <= borrowings.c.expected_return_date,
            )
            .order_by(borrowings.c.actual_return_date)
            .limit(1)
        )
        return Facts(
            now=now,
            completions=tuple(Completion(at=row.ends_at, tz=TimeZone(row.tz)) for row in pomodoros),
            reading=tuple(ReadingSpan(started_at=row.started_at, ended_at=row.ended_at) for row in reading),
            on_time_returns=(on_time,) if on_time is not None else (),
        )


class SqlReadingHistory:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def closed_overlapping(self, user_id: UserId, start: datetime, end: datetime) -> ReadingInPeriod:
        rows = (
            await self._conn.execute(
                select(
                    reading_sessions.c.id,
                    reading_sessions.c.book_id,
                    reading_sessions.c.started_at,
                    reading_sessions.c.ended_at,
                    books.c.title,
                )
                .join(books, books.c.id == reading_sessions.c.book_id)
                .where(
                    reading_sessions.c.user_id == user_id,
                    reading_sessions.c.ended_at.is_not(None),
                    reading_sessions.c.started_at < end,
                    reading_sessions.c.ended_at > start,
                )
            )
        ).all()
        sessions = [
            ReadingSession(
                id=ReadingSessionId(row.id),
                user_id=user_id,
                book_id=BookId(row.book_id),
                started_at=row.started_at,
                ended_at=row.ended_at,
            )
            for row in rows
        ]
        return ReadingInPeriod(sessions=sessions, book_titles={row.book_id: row.title for row in rows})
