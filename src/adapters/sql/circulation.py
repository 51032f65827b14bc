"""SQL repositories of circulation: borrowers, shelves (the ``books`` table, as the desk
sees it) and borrowings."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.common import paged
from adapters.sql.driver import HotStatement, bound_values
from adapters.sql.payments import has_debts, insert_payment, payments_of_borrowings
from adapters.sql.tables import books, borrowings, users
from application.ports.circulation import BorrowingFilter
from application.results import Page, PageRequest
from domain.circulation import BookId, BookSummary, Borrower, Borrowing, BorrowingId, Shelf
from domain.shared import UserId

SUMMARY_COLUMNS = (books.c.id, books.c.title, books.c.author, books.c.cover, books.c.daily_fee_cents)
SHELF_COLUMNS = (*SUMMARY_COLUMNS, books.c.inventory)
BORROWING_COLUMNS = (
    borrowings.c.id,
    borrowings.c.user_id,
    borrowings.c.book_id,
    borrowings.c.borrow_date,
    borrowings.c.expected_return_date,
    borrowings.c.actual_return_date,
    borrowings.c.created_at,
    books.c.title,
    books.c.author,
    books.c.cover,
    books.c.daily_fee_cents,
)
_BORROWINGS_WITH_BOOKS = select(*BORROWING_COLUMNS).select_from(
    borrowings.join(books, books.c.id == borrowings.c.book_id)
)


# The borrowing path's statements are built once: building and hashing a statement costs
# more CPU than the database needs to run it.
_LOCK_BORROWER = HotStatement(
    select(users.c.id, users.c.username, users.c.email)
    .where(users.c.id == bindparam("user_id"), users.c.is_active.is_(True))
    # FOR NO KEY UPDATE: serialises this user's borrowings without blocking the inserts
    # elsewhere that merely reference the user (foreign keys take KEY SHARE locks).
    .with_for_update(key_share=True)
)
_RESERVE_COPY = HotStatement(
    update(books)
    .where(books.c.id == bindparam("book_id"), books.c.inventory > 0)
    .values(inventory=books.c.inventory - 1)
    .returning(*SHELF_COLUMNS)
)
_TAKE_BACK = (
    update(books)
    .where(books.c.id == bindparam("book_id"))
    .values(inventory=books.c.inventory + 1)
    .returning(*SHELF_COLUMNS)
)
_INSERT_BORROWING = HotStatement(
    insert(borrowings)
    .values(
        **bound_values("user_id", "book_id", "borrow_date", "expected_return_date", "actual_return_date", "created_at")
    )
    .returning(borrowings.c.id)
)


def _summary(row: Any, book_id: int) -> BookSummary:
    return BookSummary(
        id=BookId(book_id), title=row.title, author=row.author, cover=row.cover, daily_fee_cents=row.daily_fee_cents
    )


def _shelf(row: Any, inventory: int) -> Shelf:
    return Shelf(book=_summary(row, row.id), inventory=inventory)


def _borrowing(row: Any) -> Borrowing:
    return Borrowing(
        id=BorrowingId(row.id),
        user_id=UserId(row.user_id),
        book=_summary(row, row.book_id),
        borrow_date=row.borrow_date,
        expected_return_date=row.expected_return_date,
        actual_return_date=row.actual_return_date,
        created_at=row.created_at,
    )


class SqlBorrowerRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def lock(self, user_id: UserId) -> Borrower | None:
        row = await _LOCK_BORROWER.first(self._conn, {"user_id": user_id})
        if row is None:
            return None
        # A new statement after the lock: it sees what an earlier holder committed.
        debts = await has_debts(self._conn, user_id)
        return Borrower(id=UserId(row.id), username=row.username, email=row.email, has_debts=debts)


class SqlShelfRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get(self, book_id: BookId) -> Shelf | None:
        row = (await self._conn.execute(select(*SHELF_COLUMNS).where(books.c.id == book_id))).first()
        return _shelf(row, row.inventory) if row else None

    async def reserve_copy(self, book_id: BookId) -> Shelf | None:
        row = await _RESERVE_COPY.first(self._conn, {"book_id": book_id})
        return _shelf(row, row.inventory + 1) if row else None

    async def take_back(self, book_id: BookId) -> Shelf | None:
        statement = (
            update(books).where(books.c.id == book_id).values(inventory=books.c.inventory + 1).returning(*SHELF_COLUMNS)
        )
        row = (await self._conn.execute(statement)).first()
        return _shelf(row, row.inventory) if row else None


class SqlBorrowingRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, borrowing: Borrowing) -> Borrowing:
        new_id = await _INSERT_BORROWING.scalar(
            self._conn,
            {
                "user_id": borrowing.user_id,
                "book_id": borrowing.book.id,
                "borrow_date": borrowing.borrow_date,
                "expected_return_date": borrowing.expected_return_date,
                "actual_return_date": borrowing.actual_return_date,
                "created_at": borrowing.created_at,
            },
        )
        borrowing.id = BorrowingId(int(new_id))
        for payment in borrowing.payments:
            payment.borrowing_id = borrowing.id
            await insert_payment(self._conn, payment)
        return borrowing

    async def get(self, borrowing_id: BorrowingId) -> Borrowing | None:
        return await self._one(_BORROWINGS_WITH_BOOKS.where(borrowings.c.id == borrowing_id))

    async def get_for_update(self, borrowing_id: BorrowingId) -> Borrowing | None:
        query = _BORROWINGS_WITH_BOOKS.where(borrowings.c.id == borrowing_id).with_for_update(of=borrowings)
        return await self._one(query)

    async def save_return(self, borrowing: Borrowing) -> None:
        await self._conn.execute(
            update(borrowings)
            .where(borrowings.c.id == borrowing.bid)
            .values(actual_return_date=borrowing.actual_return_date)
        )

    async def list(self, filters: BorrowingFilter, page: PageRequest) -> Page[Borrowing]:
        query = _BORROWINGS_WITH_BOOKS.order_by(borrowings.c.id.desc())
        if filters.user_id is not None:
            query = query.where(borrowings.c.user_id == filters.user_id)
        if filters.is_active is True:
            query = query.where(borrowings.c.actual_return_date.is_(None))
        elif filters.is_active is False:
            query = query.where(borrowings.c.actual_return_date.is_not(None))
        result: Page[Borrowing] = await paged(self._conn, query, page, _borrowing)
        found = await payments_of_borrowings(self._conn, [item.bid for item in result.items])
        for item in result.items:
            item.payments = found[item.bid]
        return result

    async def _one(self, query: Any) -> Borrowing | None:
        row = (await self._conn.execute(query)).first()
        if row is None:
            return None
        borrowing = _borrowing(row)
        borrowing.payments = (await payments_of_borrowings(self._conn, [borrowing.bid]))[borrowing.bid]
        return borrowing
