"""Ports of the catalog and reading area: books, reading sessions, reading statistics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from application.ports.identity import UserRepository
from application.ports.uow import UnitOfWork
from application.results import Page, PageRequest
from domain.catalog import Book, BookId, Cover
from domain.reading import ReadingSession, ReadingSessionId, ReadingTotal, StatsChange
from domain.shared import UserId


@dataclass(frozen=True, slots=True)
class BookFilter:
    search: str | None = None  # in the title or the author, case-insensitive
    author: str | None = None  # the whole author name, case-insensitive
    publish_year: int | None = None


@dataclass(frozen=True, slots=True)
class BookSummary:
    """A catalog entry as lists show it: no full description, with its reader count."""

    id: BookId
    title: str
    author: str
    publish_year: int
    short_description: str
    cover: Cover
    inventory: int
    daily_fee_cents: int
    readers: int


@dataclass(frozen=True, slots=True)
class BookDetails:
    summary: BookSummary
    full_description: str


class BookRepository(Protocol):
    async def get_for_update(self, book_id: BookId) -> Book | None: ...

    async def exists(self, book_id: BookId) -> bool: ...

    async def add(self, book: Book) -> Book:
        """Insert and return the book with its id."""
        ...

    async def save(self, book: Book) -> None: ...

    async def delete(self, book_id: BookId) -> bool:
        """``False`` when there is no such book; raises ``BookInUse`` when borrowings refer to it.
        Its reading sessions go with it."""
        ...

    async def any(self) -> bool:
        """Whether the catalog holds at least one book."""
        ...


class BookCatalog(Protocol):
    """Read models of the catalog, each page in one query (readers included)."""

    async def list(self, filters: BookFilter, page: PageRequest) -> Page[BookSummary]: ...

    async def details(self, book_id: BookId) -> BookDetails | None: ...


@dataclass(frozen=True, slots=True)
class ReadingSessionFilter:
    user_id: UserId | None = None  # None: everyone's (admins only)
    book_id: BookId | None = None


class ReadingSessionRepository(Protocol):
    async def get(self, session_id: ReadingSessionId) -> ReadingSession | None: ...

    async def lock_reader(self, user_id: UserId) -> bool:
        """Lock the reader's account until the end of the transaction, so that concurrent
        starts and ends of one user are serialised (two starts cannot both see "none open");
        ``False`` when there is no such active account."""
        ...

    async def end_open_session(
        self, user_id: UserId, now: datetime, *, book_id: BookId | None = None
    ) -> ReadingSession | None:
        """End the user's open session (on any book, or only if it is of ``book_id``) at
        ``now`` as ``ReadingSession.end`` does (never before it started) and return it,
        ended; ``None`` when there is none. One statement, after ``lock_reader`` (which makes
        what an earlier holder of the lock committed visible to it)."""
        ...

    async def add(self, session: ReadingSession) -> ReadingSession:
        """Insert and return the session with its id. A second open session for one user is
        refused by the database: ``ReadingAlreadyOpen``; a book that does not exist:
        ``NotFound`` (the transaction is then spoilt: the caller leaves without committing)."""
        ...

    async def delete(self, session_id: ReadingSessionId) -> bool: ...

    async def list(self, filters: ReadingSessionFilter, page: PageRequest) -> Page[ReadingSession]:
        """Newest first."""
        ...

    async def totals(self, user_id: UserId, book_id: BookId | None, page: PageRequest) -> Page[ReadingTotal]:
        """Seconds per book over the user's closed sessions, by book id."""
        ...


class ReadingStatistics(Protocol):
    """The stored ``session_stats`` of users, computed from their sessions."""

    async def refresh_all(self, now: datetime) -> int:
        """Recompute every user's row (users without sessions get zeros); return how many."""
        ...

    async def refresh_user(self, user_id: UserId, now: datetime) -> None: ...

    async def add(self, user_id: UserId, change: StatsChange) -> bool:
        """Add one step of reading to the user's stored row, in constant time: ``change``'s
        seconds, and one book if ``change.began`` is the user's first session of its book.
        False, and nothing written, when the user has no stored row yet."""
        ...


class CatalogUnitOfWork(UnitOfWork, Protocol):
    books: BookRepository
    catalog: BookCatalog
    reading_sessions: ReadingSessionRepository
    reading_stats: ReadingStatistics
    users: UserRepository
