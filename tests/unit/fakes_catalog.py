"""In-memory fakes of the catalog and reading ports.

The fake unit of work works on a copy of the store and writes it back on ``commit()``, so a
use case that raises leaves nothing behind, as with the database. The reading-session
repository refuses a second open session per user, as the partial unique index does.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Self, TypeVar

from application.errors import NotFound
from application.ports.catalog import BookDetails, BookFilter, BookSummary, ReadingSessionFilter
from application.results import Page, PageRequest
from domain.catalog import Book, BookId, BookInUse
from domain.identity import SessionStats, User
from domain.reading import (
    ReadingAlreadyOpen,
    ReadingSession,
    ReadingSessionId,
    ReadingTotal,
    StatsChange,
    session_stats_of,
    totals_by_book,
)
from domain.shared import UserId
from tests.clock import MovableClock

T = TypeVar("T")

_ids = itertools.count(1)  # unique across copies of the store, as a database sequence is


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Drive a coroutine that never suspends (everything here is in memory) to its result."""
    try:
        coro.send(None)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
    coro.close()
    msg = "the coroutine suspended: a fake awaited something real"
    raise RuntimeError(msg)


class SteppingClock(MovableClock):
    origin = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)


@dataclass
class CatalogData:
    users: dict[int, User] = field(default_factory=dict)
    books: dict[int, Book] = field(default_factory=dict)
    sessions: dict[int, ReadingSession] = field(default_factory=dict)
    stats: dict[int, SessionStats] = field(default_factory=dict)
    borrowed: set[int] = field(default_factory=set)  # books with borrowings on record

    def new_id(self) -> int:
        return next(_ids)


class CatalogStore:
    """The committed state, and hooks to imitate other transactions."""

    def __init__(self) -> None:
        self.data = CatalogData()
        self.commits = 0
        # Called once before the next insert of an open session: commits a competing one,
        # as a concurrent transaction would between our read and our write.
        self.race: Callable[[CatalogData, ReadingSession], None] | None = None

    def add_user(self, *, admin: bool = False) -> UserId:
        user_id = self.data.new_id()
        self.data.users[user_id] = User(
            id=UserId(user_id),
            username=f"user{user_id}",
            email=f"user{user_id}@example.org",
            password_hash="x",
            created_at=datetime(2026, 1, 1, tzinfo=UTC),
            is_admin=admin,
        )
        return UserId(user_id)

    def add_book(self, **values: Any) -> BookId:
        book_id = BookId(self.data.new_id())
        defaults: dict[str, Any] = {
            "title": f"Book {book_id}",
            "author": "Someone",
            "publish_year": 2000,
            "inventory": 1,
            "daily_fee_cents": 10,
        }
        self.data.books[book_id] = Book(id=book_id, **(defaults | values))
        return book_id

    def open_sessions(self, user_id: UserId) -> list[ReadingSession]:
        return [s for s in self.data.sessions.values() if s.user_id == user_id and s.ended_at is None]

    def uow(self) -> FakeCatalogUnitOfWork:
        return FakeCatalogUnitOfWork(self)


class InMemoryUsers:
    def __init__(self, data: CatalogData) -> None:
        self._data = data

    async def get(self, user_id: UserId) -> User | None:
        return copy.copy(self._data.users.get(user_id))


class InMemoryBookRepository:
    def __init__(self, data: CatalogData) -> None:
        self._data = data

    async def get_for_update(self, book_id: BookId) -> Book | None:
        return copy.copy(self._data.books.get(book_id))

    async def exists(self, book_id: BookId) -> bool:
        return book_id in self._data.books

    async def any(self) -> bool:
        return bool(self._data.books)

    async def add(self, book: Book) -> Book:
        book.id = BookId(self._data.new_id())
        self._data.books[book.id] = copy.copy(book)
        return book

    async def save(self, book: Book) -> None:
        self._data.books[book.bid] = copy.copy(book)

    async def delete(self, book_id: BookId) -> bool:
        if book_id not in self._data.books:
            return False
        if book_id in self._data.borrowed:
            raise BookInUse("This book has borrowings on record and cannot be deleted.")
        del self._data.books[book_id]
        for session_id in [sid for sid, s in self._data.sessions.items() if s.book_id == book_id]:
            del self._data.sessions[session_id]
        return True


class InMemoryBookCatalog:
    def __init__(self, data: CatalogData) -> None:
        self._data = data

    def _summary(self, book: Book) -> BookSummary:
        readers = {s.user_id for s in self._data.sessions.values() if s.book_id == book.id}
        return BookSummary(
            id=book.bid,
            title=book.title,
            author=book.author,
            publish_year=book.publish_year,
            short_description=book.short_description,
            cover=book.cover,
            inventory=book.inventory,
            daily_fee_cents=book.daily_fee_cents,
            readers=len(readers),
        )

    async def list(self, filters: BookFilter, page: PageRequest) -> Page[BookSummary]:
        def keep(book: Book) -> bool:
            if filters.search:
                needle = filters.search.lower()
                if needle not in book.title.lower() and needle not in book.author.lower():
                    return False
            if filters.author and book.author.lower() != filters.author.strip().lower():
                return False
            return filters.publish_year is None or book.publish_year == filters.publish_year

        found = [book for _, book in sorted(self._data.books.items()) if keep(book)]
        items = [self._summary(book) for book in found[page.offset : page.offset + page.limit]]
        return Page(items=items, total=len(found), limit=page.limit, offset=page.offset)

    async def details(self, book_id: BookId) -> BookDetails | None:
        book = self._data.books.get(book_id)
        if book is None:
            return None
        return BookDetails(summary=self._summary(book), full_description=book.full_description)


class InMemoryReadingSessionRepository:
    def __init__(self, data: CatalogData, store: CatalogStore) -> None:
        self._data, self._store = data, store

    async def get(self, session_id: ReadingSessionId) -> ReadingSession | None:
        return copy.copy(self._data.sessions.get(session_id))

    async def lock_reader(self, user_id: UserId) -> bool:
        user = self._data.users.get(user_id)
        return user is not None and user.is_active

    async def end_open_session(
        self, user_id: UserId, now: datetime, *, book_id: BookId | None = None
    ) -> ReadingSession | None:
        for session in self._data.sessions.values():
            if session.user_id == user_id and session.ended_at is None and book_id in (None, session.book_id):
                session.end(now)
                return copy.copy(session)
        return None

    async def add(self, session: ReadingSession) -> ReadingSession:
        if session.book_id not in self._data.books:  # the foreign key
            raise NotFound("book", session.book_id)
        if session.ended_at is None:
            race, self._store.race = self._store.race, None
            if race is not None:
                race(self._store.data, session)
                self._store.commits += 1
            # The unique index sees this transaction's rows and rows others committed meanwhile.
            ours = any(s.user_id == session.user_id and s.ended_at is None for s in self._data.sessions.values())
            theirs = any(
                s.user_id == session.user_id and s.ended_at is None and sid not in self._data.sessions
                for sid, s in self._store.data.sessions.items()
            )
            if ours or theirs:
                raise ReadingAlreadyOpen
        session.id = ReadingSessionId(self._data.new_id())
        self._data.sessions[session.id] = copy.copy(session)
        return session

    async def delete(self, session_id: ReadingSessionId) -> bool:
        return self._data.sessions.pop(session_id, None) is not None

    async def list(self, filters: ReadingSessionFilter, page: PageRequest) -> Page[ReadingSession]:
        found = [
            copy.copy(s)
            for s in self._data.sessions.values()
            if (filters.user_id is None or s.user_id == filters.user_id)
            and (filters.book_id is None or s.book_id == filters.book_id)
        ]
        found.sort(key=lambda s: (s.started_at, s.sid), reverse=True)
        items = found[page.offset : page.offset + page.limit]
        return Page(items=items, total=len(found), limit=page.limit, offset=page.offset)

    async def totals(self, user_id: UserId, book_id: BookId | None, page: PageRequest) -> Page[ReadingTotal]:
        mine = [
            s
            for s in self._data.sessions.values()
            if s.user_id == user_id and (book_id is None or s.book_id == book_id)
        ]
        found = [ReadingTotal(book, seconds) for book, seconds in sorted(totals_by_book(mine).items())]
        items = found[page.offset : page.offset + page.limit]
        return Page(items=items, total=len(found), limit=page.limit, offset=page.offset)


class InMemoryReadingStatistics:
    def __init__(self, data: CatalogData) -> None:
        self._data = data

    async def refresh_all(self, now: datetime) -> int:
        for user_id in self._data.users:
            await self.refresh_user(UserId(user_id), now)
        return len(self._data.users)

    async def refresh_user(self, user_id: UserId, now: datetime) -> None:
        if user_id in self._data.users:
            mine = [s for s in self._data.sessions.values() if s.user_id == user_id]
            self._data.stats[user_id] = session_stats_of(mine, now)

    async def add(self, user_id: UserId, change: StatsChange) -> bool:
        stored = self._data.stats.get(user_id)
        if stored is None:
            return False
        began = change.began
        first = began is not None and not any(
            s.user_id == user_id and s.book_id == began.book_id and s.id != began.id
            for s in self._data.sessions.values()
        )
        self._data.stats[user_id] = change.applied_to(stored, first_of_its_book=first)
        return True


class FakeCatalogUnitOfWork:
    def __init__(self, store: CatalogStore) -> None:
        self._store = store
        self._data: CatalogData | None = None
        self.committed = False

    async def __aenter__(self) -> Self:
        self._data = copy.deepcopy(self._store.data)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._data = None

    async def commit(self) -> None:
        self._store.data = copy.deepcopy(self.data)
        self._store.commits += 1
        self.committed = True

    @property
    def data(self) -> CatalogData:
        if self._data is None:
            msg = "the unit of work is not open"
            raise RuntimeError(msg)
        return self._data

    @property
    def users(self) -> InMemoryUsers:
        return InMemoryUsers(self.data)

    @property
    def books(self) -> InMemoryBookRepository:
        return InMemoryBookRepository(self.data)

    @property
    def catalog(self) -> InMemoryBookCatalog:
        return InMemoryBookCatalog(self.data)

    @property
    def reading_sessions(self) -> InMemoryReadingSessionRepository:
        return InMemoryReadingSessionRepository(self.data, self._store)

    @property
    def reading_stats(self) -> InMemoryReadingStatistics:
        return InMemoryReadingStatistics(self.data)
