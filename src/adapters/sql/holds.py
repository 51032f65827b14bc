"""SQL repositories of holds (waitlists) and of the overdue ledger."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, and_, bindparam, case, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.common import paged
from adapters.sql.driver import HotStatement
from adapters.sql.tables import books, borrowings, holds, overdue_digests, users
from application.ports.holds import Holder, HoldView, OverdueBorrowing
from application.results import Page, PageRequest
from domain.holds import AlreadyOnWaitlist, Hold, HoldId, HoldStatus, Waitlist
from domain.shared import UserId

OPEN = (HoldStatus.WAITING.value, HoldStatus.READY.value)
HOLD_COLUMNS = (
    holds.c.id,
    holds.c.user_id,
    holds.c.book_id,
    holds.c.status,
    holds.c.created_at,
    holds.c.ready_at,
    holds.c.ready_until,
    holds.c.closed_at,
)

# The book's row is the waitlist's lock: returns, cancellations, expiries and new holds of
# one book take it first, so they apply one after the other.
_LOCK_BOOK = select(books.c.id, books.c.title, books.c.inventory).where(books.c.id == bindparam("book_id"))
_OPEN_HOLDS = (
    select(*HOLD_COLUMNS).where(holds.c.book_id == bindparam("book_id"), holds.c.status.in_(OPEN)).order_by(holds.c.id)
)
_CLAIM_READY = HotStatement(
    update(holds)
    .where(
        holds.c.user_id == bindparam("claimant"),
        holds.c.book_id == bindparam("claimed_book"),
        holds.c.status == HoldStatus.READY.value,
        holds.c.ready_until > bindparam("claimed_at"),
    )
    .values(status=HoldStatus.FULFILLED.value, closed_at=bindparam("claimed_at"))
    .returning(holds.c.id)
)


def _hold(row: Any) -> Hold:
    return Hold(
        id=HoldId(row.id),
        user_id=UserId(row.user_id),
        book_id=row.book_id,
        status=HoldStatus(row.status),
        created_at=row.created_at,
        ready_at=row.ready_at,
        ready_until=row.ready_until,
        closed_at=row.closed_at,
    )


def _with_position() -> Select[Any]:
    ahead = holds.alias("ahead")
    place = (
        select(func.count())
        .select_from(ahead)
        .where(ahead.c.book_id == holds.c.book_id, ahead.c.status.in_(OPEN), ahead.c.id <= holds.c.id)
        .scalar_subquery()
    )
    is_open = holds.c.status.in_(OPEN)
    return (
        select(*HOLD_COLUMNS, books.c.title, case((is_open, place), else_=0).label("position"))
        .select_from(holds.join(books, books.c.id == holds.c.book_id))
        .order_by(case((is_open, 0), else_=1), case((is_open, holds.c.id), else_=-holds.c.id))
    )


class SqlHoldRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def waitlist(self, book_id: int) -> Waitlist | None:
        book = (await self._conn.execute(_LOCK_BOOK.with_for_update(), {"book_id": book_id})).first()
        if book is None:
            return None
        rows = (await self._conn.execute(_OPEN_HOLDS, {"book_id": book_id})).all()
        return Waitlist(book_id=book.id, title=book.title, inventory=book.inventory, holds=[_hold(r) for r in rows])

    async def add(self, hold: Hold) -> Hold:
        values = {
            "user_id": hold.user_id,
            "book_id": hold.book_id,
            "status": hold.status.value,
            "created_at": hold.created_at,
        }
        try:
            hold.id = HoldId(await self._conn.scalar(insert(holds).values(values).returning(holds.c.id)) or 0)
        except IntegrityError as exc:  # a concurrent hold of the same reader won the race
            raise AlreadyOnWaitlist(f"You already hold book {hold.book_id}.") from exc
        return hold

    async def save(self, hold: Hold) -> None:
        await self._conn.execute(
            update(holds)
            .where(holds.c.id == hold.id)
            .values(
                status=hold.status.value,
                ready_at=hold.ready_at,
                ready_until=hold.ready_until,
                closed_at=hold.closed_at,
            )
        )

    async def claim_ready(self, user_id: UserId, book_id: int, now: datetime) -> bool:
        row = await _CLAIM_READY.first(self._conn, {"claimant": user_id, "claimed_book": book_id, "claimed_at": now})
        return row is not None

    async def get(self, hold_id: HoldId) -> Hold | None:
        row = (await self._conn.execute(select(*HOLD_COLUMNS).where(holds.c.id == hold_id))).first()
        return _hold(row) if row else None

    async def list_for_user(self, user_id: UserId, page: PageRequest) -> Page[HoldView]:
        query = _with_position().where(holds.c.user_id == user_id)
        return await paged(
            self._conn, query, page, lambda row: HoldView(hold=_hold(row), book_title=row.title, position=row.position)
        )

    async def books_with_lapsed_holds(self, now: datetime) -> Sequence[int]:
        query = (
            select(holds.c.book_id)
            .where(holds.c.status == HoldStatus.READY.value, holds.c.ready_until <= now)
            .distinct()
            .order_by(holds.c.book_id)
        )
        return list((await self._conn.scalars(query)).all())

    async def holders(self, user_ids: Sequence[UserId]) -> dict[UserId, Holder]:
        rows = await self._conn.execute(
            select(users.c.id, users.c.username, users.c.email).where(users.c.id.in_(list(user_ids)))
        )
        return {UserId(r.id): Holder(id=UserId(r.id), username=r.username, email=r.email) for r in rows}


def _due_by(day: date) -> Select[Any]:
    return (
        select(
            borrowings.c.id,
            borrowings.c.user_id,
            users.c.username,
            users.c.email,
            borrowings.c.book_id,
            books.c.title,
            borrowings.c.expected_return_date,
        )
        .select_from(
            borrowings.join(users, users.c.id == borrowings.c.user_id).join(books, books.c.id == borrowings.c.book_id)
        )
        .where(and_(borrowings.c.actual_return_date.is_(None), borrowings.c.expected_return_date <= day))
        .order_by(borrowings.c.expected_return_date, borrowings.c.id)
    )


def _overdue(row: Any) -> OverdueBorrowing:
    return OverdueBorrowing(
        borrowing_id=row.id,
        user_id=UserId(row.user_id),
        username=row.username,
        email=row.email,
        book_id=row.book_id,
        book_title=row.title,
        expected_return_date=row.expected_return_date,
    )


class SqlOverdueLedger:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def due_by(self, day: date) -> Sequence[OverdueBorrowing]:
        return [_overdue(row) for row in await self._conn.execute(_due_by(day))]

    async def page_due_by(self, day: date, page: PageRequest) -> Page[OverdueBorrowing]:
        return await paged(self._conn, _due_by(day), page, _overdue)

    async def claim_digest(self, day: date, now: datetime) -> bool:
        exists = await self._conn.scalar(select(overdue_digests.c.day).where(overdue_digests.c.day == day))
        if exists is not None:
            return False
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(insert(overdue_digests).values(day=day, sent_at=now))
        except IntegrityError:  # another process claimed it a moment ago
            return False
        return True
