"""Reading sessions and the reading statistics.

A user's stored ``session_stats`` row is recomputed for every user by the ``reading_stats``
job. In between, starting and ending a session add that step to the user's row in constant
time (``StatsChange``: the closed session's seconds, the new session's book if it is a new
one), so ``/api/users/me`` reflects a session as soon as it ends whatever the length of the
user's history; a recorded or deleted session (admins) recomputes the user's row. The 7- and
30-day windows still move with time; the job keeps them current.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from application.errors import Forbidden, NotAuthenticated, NotFound
from application.ports.catalog import CatalogUnitOfWork, ReadingSessionFilter
from application.ports.clock import Clock
from application.ports.identity import TokenCodec
from application.results import Page, PageRequest
from application.use_cases.identity import SIGNED_OUT, Principal, acting_user
from domain.catalog import BookId
from domain.reading import (
    NoOpenSession,
    ReadingAlreadyOpen,
    ReadingSession,
    ReadingSessionId,
    ReadingTotal,
    StatsChange,
)
from domain.shared import UserId

UowFactory = Callable[[], CatalogUnitOfWork]


@dataclass(frozen=True, slots=True)
class ReadingSessionView:
    session: ReadingSession
    elapsed_seconds: int

    @classmethod
    def at(cls, session: ReadingSession, now: datetime) -> ReadingSessionView:
        return cls(session=session, elapsed_seconds=session.elapsed_seconds(now))


@dataclass(frozen=True, slots=True)
class StatsReport:
    users: int

    def __str__(self) -> str:
        return f"refreshed the reading statistics of {self.users} users"


async def _count(uow: CatalogUnitOfWork, user_id: UserId, change: StatsChange) -> None:
    """Add one step to the user's stored statistics; a user without a stored row yet gets
    the full computation (which includes the step)."""
    if not await uow.reading_stats.add(user_id, change):
        await uow.reading_stats.refresh_user(user_id, change.now)


def _subject(viewer: Principal, user_id: UserId | None) -> UserId | None:
    """Whose sessions ``viewer`` asks for: their own, or (admins) anyone's / everyone's (``None``)."""
    if viewer.is_admin:
        return user_id
    if user_id is not None and user_id != viewer.user_id:
        raise Forbidden("Only admins may see other users' reading sessions.")
    return viewer.user_id


class StartReading:
    """End the caller's open session (on any book) and open one on ``book_id``, in one
    transaction. Concurrent starts of one user are serialised by the repository and, as a
    last resort, refused by the database's partial unique index (retried once).

    The reader is ``user_id`` (authenticated already) or the holder of the access ``token``:
    then the token is verified here and the account checked on the row the start locks
    anyway, which saves authenticating first (a connection and a query per request)."""

    def __init__(self, uow: UowFactory, clock: Clock, codec: TokenCodec | None = None) -> None:
        self._uow, self._clock, self._codec = uow, clock, codec

    async def __call__(
        self, *, book_id: BookId, user_id: UserId | None = None, token: str | None = None
    ) -> ReadingSessionView:
        reader = acting_user(self._codec, user_id, token)
        try:
            return await self._start(reader, book_id, by_token=token is not None)
        except ReadingAlreadyOpen:
            return await self._start(reader, book_id, by_token=token is not None)

    async def _start(self, user_id: UserId, book_id: BookId, *, by_token: bool) -> ReadingSessionView:
        now = self._clock.now()
        async with self._uow() as uow:
            if not await uow.reading_sessions.lock_reader(user_id):
                raise NotAuthenticated(SIGNED_OUT) if by_token else NotFound("user", user_id)
            # The open session (any book) ends at this very moment (domain.reading.start_reading,
            # in one statement). No lookup of the book first: the insert refuses a missing one
            # (NotFound), and leaving the block without commit() undoes the end.
            ended = await uow.reading_sessions.end_open_session(user_id, now)
            session = ReadingSession.begin(user_id=user_id, book_id=book_id, now=now)
            session = await uow.reading_sessions.add(session)
            await _count(uow, user_id, StatsChange.of(now=now, closed=ended, began=session))
            await uow.commit()
        return ReadingSessionView.at(session, now)


class EndReading:
    def __init__(self, uow: UowFactory, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    async def __call__(self, *, user_id: UserId, book_id: BookId) -> ReadingSessionView:
        now = self._clock.now()
        async with self._uow() as uow:
            await uow.reading_sessions.lock_reader(user_id)
            # domain.reading.end_reading, in one statement: only the open session of this book
            session = await uow.reading_sessions.end_open_session(user_id, now, book_id=book_id)
            if session is None:
                if not await uow.books.exists(book_id):
                    raise NotFound("book", book_id)
                raise NoOpenSession.of_book()
            await _count(uow, user_id, StatsChange.of(now=now, closed=session))
            await uow.commit()
        return ReadingSessionView.at(session, now)


class ListReadingSessions:
    """Your own sessions, newest first; admins see everyone's and may filter ``user_id``."""

    def __init__(self, uow: UowFactory, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    async def __call__(
        self, *, viewer: Principal, user_id: UserId | None, book_id: BookId | None, page: PageRequest
    ) -> Page[ReadingSessionView]:
        filters = ReadingSessionFilter(user_id=_subject(viewer, user_id), book_id=book_id)
        async with self._uow() as uow:
            found = await uow.reading_sessions.list(filters, page)
        now = self._clock.now()
        return Page(
            items=[ReadingSessionView.at(session, now) for session in found.items],
            total=found.total,
            limit=found.limit,
            offset=found.offset,
        )


class ReadingTotals:
    """Seconds per book over the closed sessions of the caller (admins: of ``user_id``).
    The open session is not counted until it ends."""

    def __init__(self, uow: UowFactory) -> None:
        self._uow = uow

    async def __call__(
        self, *, viewer: Principal, user_id: UserId | None, book_id: BookId | None, page: PageRequest
    ) -> Page[ReadingTotal]:
        subject = _subject(viewer, user_id)
        if subject is None:  # an admin without a filter: their own totals
            subject = viewer.user_id
        async with self._uow() as uow:
            return await uow.reading_sessions.totals(subject, book_id, page)


class RecordReadingSession:
    """An admin enters a closed session after the fact."""

    def __init__(self, uow: UowFactory, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    async def __call__(
        self, *, user_id: UserId, book_id: BookId, started_at: datetime, ended_at: datetime
    ) -> ReadingSessionView:
        now = self._clock.now()
        session = ReadingSession.record(
            user_id=user_id, book_id=book_id, started_at=started_at, ended_at=ended_at, now=now
        )
        async with self._uow() as uow:
            if await uow.users.get(user_id) is None:
                raise NotFound("user", user_id)
            if not await uow.books.exists(book_id):
                raise NotFound("book", book_id)
            session = await uow.reading_sessions.add(session)
            await uow.reading_stats.refresh_user(user_id, now)
            await uow.commit()
        return ReadingSessionView.at(session, now)


class GetReadingSession:
    """Admins see any session, users their own; anyone else's is "not found"."""

    def __init__(self, uow: UowFactory, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    async def __call__(self, *, viewer: Principal, session_id: ReadingSessionId) -> ReadingSessionView:
        async with self._uow() as uow:
            session = await uow.reading_sessions.get(session_id)
        if session is None or not (viewer.is_admin or session.user_id == viewer.user_id):
            raise NotFound("reading session", session_id)
        return ReadingSessionView.at(session, self._clock.now())


class DeleteReadingSession:
    def __init__(self, uow: UowFactory, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    async def __call__(self, *, session_id: ReadingSessionId) -> None:
        async with self._uow() as uow:
            session = await uow.reading_sessions.get(session_id)
            if session is None or not await uow.reading_sessions.delete(session_id):
                raise NotFound("reading session", session_id)
            await uow.reading_stats.refresh_user(session.user_id, self._clock.now())
            await uow.commit()


class RefreshReadingStats:
    """Recompute every user's ``session_stats`` in one set-based statement (the job)."""

    def __init__(self, uow: UowFactory, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    async def __call__(self) -> StatsReport:
        async with self._uow() as uow:
            users = await uow.reading_stats.refresh_all(self._clock.now())
            await uow.commit()
        return StatsReport(users=users)
