"""SQL repositories of the catalog: books (for writes) and the catalog's read models.

Lists and details are single Core ``SELECT``s of exactly the columns shown; the reader
count is a correlated scalar subquery answered from the ``(book_id, user_id)`` index. A page
of books costs one query: the total rides along as an uncorrelated scalar subquery (counted
once by the database, over the books alone), so only a page past the end needs a second.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    bindparam,
    delete,
    distinct,
    exists,
    false,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.driver import HotStatement
from adapters.sql.tables import books, reading_sessions
from application.ports.catalog import BookDetails, BookFilter, BookSummary
from application.results import Page, PageRequest
from domain.catalog import MAX_INT, Book, BookId, BookInUse, Cover

_BOOK_COLUMNS = (
    books.c.id,
    books.c.title,
    books.c.author,
    books.c.publish_year,
    books.c.short_description,
    books.c.full_description,
    books.c.cover,
    books.c.inventory,
    books.c.daily_fee_cents,
)

_READERS = (
    select(func.count(distinct(reading_sessions.c.user_id)))
    .where(reading_sessions.c.book_id == books.c.id)
    .correlate(books)
    .scalar_subquery()
    .label("readers")
)

_SUMMARY_COLUMNS = (
    books.c.id,
    books.c.title,
    books.c.author,
    books.c.publish_year,
    books.c.short_description,
    books.c.cover,
    books.c.inventory,
    books.c.daily_fee_cents,
    _READERS,
)


# Hot statements are built once: building and cache-keying a statement costs about as much
# CPU as executing it.
_DETAIL = HotStatement(select(*_SUMMARY_COLUMNS, books.c.full_description).where(books.c.id == bindparam("book_id")))


def _total(*conditions: ColumnElement[bool]) -> Any:
    """The number of matching books, as a column evaluated once per query (not per row)."""
    return select(func.count()).select_from(books).where(*conditions).correlate(None).scalar_subquery().label("total")


_PAGE = HotStatement(
    select(*_SUMMARY_COLUMNS, _total())
    .order_by(books.c.id)
    .limit(bindparam("limit", type_=Integer))
    .offset(bindparam("offset", type_=Integer))
)
_COUNT_ALL = select(func.count()).select_from(books)
_EXISTS = HotStatement(select(exists().where(books.c.id == bindparam("book_id")).label("found")))


def _fits(ident: int) -> bool:
    """Ids beyond the column's range cannot exist (and must not reach Postgres as int4)."""
    return 0 < ident <= MAX_INT


def book_from_row(row: Any) -> Book:
    return Book(
        id=BookId(row.id),
        title=row.title,
        author=row.author,
        publish_year=row.publish_year,
        short_description=row.short_description,
        full_description=row.full_description,
        cover=Cover(row.cover),
        inventory=row.inventory,
        daily_fee_cents=row.daily_fee_cents,
    )


def _book_values(book: Book) -> dict[str, Any]:
    return {
        "title": book.title,
        "author": book.author,
        "publish_year": book.publish_year,
        "short_description": book.short_description,
        "full_description": book.full_description,
        "cover": book.cover.value,
        "inventory": book.inventory,
        "daily_fee_cents": book.daily_fee_cents,
    }


def summary_from_row(row: Any) -> BookSummary:
    return BookSummary(
        id=BookId(row.id),
        title=row.title,
        author=row.author,
        publish_year=row.publish_year,
        short_description=row.short_description,
        cover=Cover(row.cover),
        inventory=row.inventory,
        daily_fee_cents=row.daily_fee_cents,
        readers=int(row.readers),
    )


class SqlBookRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get_for_update(self, book_id: BookId) -> Book | None:
        if not _fits(book_id):
            return None
        query = select(*_BOOK_COLUMNS).where(books.c.id == book_id).with_for_update()
        row = (await self._conn.execute(query)).first()
        return book_from_row(row) if row else None

    async def exists(self, book_id: BookId) -> bool:
        if not _fits(book_id):
            return False
        return bool(await _EXISTS.scalar(self._conn, {"book_id": book_id}))

    async def any(self) -> bool:
        return bool(await self._conn.scalar(select(exists().where(books.c.id.is_not(None)))))

    async def add(self, book: Book) -> Book:
        new_id = await self._conn.scalar(insert(books).values(**_book_values(book)).returning(books.c.id))
        book.id = BookId(int(new_id))
        return book

    async def save(self, book: Book) -> None:
        await self._conn.execute(update(books).where(books.c.id == book.bid).values(**_book_values(book)))

    async def delete(self, book_id: BookId) -> bool:
        if not _fits(book_id):
            return False
        try:
            async with self._conn.begin_nested():
                result = await self._conn.execute(delete(books).where(books.c.id == book_id))
        except IntegrityError as exc:
            raise BookInUse("This book has borrowings on record and cannot be deleted.") from exc
        return bool(result.rowcount)


def _conditions(filters: BookFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if "\x00" in (filters.search or "") + (filters.author or ""):
        # No stored text contains NUL (the domain refuses it; Postgres cannot even compare it).
        return [false()]
    if filters.search:
        conditions.append(
            or_(
                books.c.title.icontains(filters.search, autoescape=True),
                books.c.author.icontains(filters.search, autoescape=True),
            )
        )
    if filters.author:
        conditions.append(func.lower(books.c.author) == filters.author.strip().lower())
    if filters.publish_year is not None:
        conditions.append(books.c.publish_year == filters.publish_year)
    return conditions


class SqlBookCatalog:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def list(self, filters: BookFilter, page: PageRequest) -> Page[BookSummary]:
        conditions = _conditions(filters)
        window = {"limit": page.limit, "offset": page.offset}
        if conditions:
            query = select(*_SUMMARY_COLUMNS, _total(*conditions)).where(*conditions).order_by(books.c.id)
            rows = (await self._conn.execute(query.limit(page.limit).offset(page.offset))).all()
        else:
            rows = await _PAGE.rows(self._conn, window)
        if rows:
            total = int(rows[0].total)
        elif page.offset == 0:
            total = 0
        else:
            # Past the end: no row carried the total. Count books alone.
            counted = _COUNT_ALL.where(*conditions) if conditions else _COUNT_ALL
            total = int(await self._conn.scalar(counted) or 0)
        return Page(items=[summary_from_row(row) for row in rows], total=total, limit=page.limit, offset=page.offset)

    async def details(self, book_id: BookId) -> BookDetails | None:
        if not _fits(book_id):
            return None
        row = await _DETAIL.first(self._conn, {"book_id": book_id})
        if row is None:
            return None
        return BookDetails(summary=summary_from_row(row), full_description=row.full_description)
