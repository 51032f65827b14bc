"""Reading sessions: who read which book, from when to when.

Rules:

* a user reads one book at a time: starting a session ends the user's open session (on any
  book) at that very moment first;
* only the open session of a book can be ended (otherwise ``NoOpenSession``);
* a recorded (admin-created) session is closed and ends after it starts;
* durations are whole seconds, rounded down per session; an open session counts up to now;
* totals and statistics count closed sessions only: an open session joins them when it ends.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NewType

from domain.catalog import BookId
from domain.errors import Conflict, InvalidValue
from domain.identity import SessionStats
from domain.shared import UserId, ensure_aware

ReadingSessionId = NewType("ReadingSessionId", int)

SECOND = timedelta(seconds=1)


class NoOpenSession(Conflict):
    code = "no-open-reading-session"
    title = "No reading session of this book is open"

    @classmethod
    def of_book(cls) -> NoOpenSession:
        """Ending a book the user is not reading (the one message, wherever it is found out)."""
        return cls("You have no open reading session of this book.")


class ReadingAlreadyOpen(Conflict):
    """The database refused a second open session for one user (a lost race)."""

    code = "reading-session-already-open"
    title = "Another reading session was started at the same moment"


def _utc(field: str, moment: datetime) -> datetime:
    try:
        return ensure_aware(moment)
    except OverflowError:  # e.g. 9999-12-31T23:00-05:00 is past year 9999 in UTC
        raise InvalidValue(field, "The moment is out of range.") from None


def whole_seconds(span: timedelta) -> int:
    """``span`` in whole seconds, rounded down; never negative."""
    return max(0, span // SECOND)


@dataclass(slots=True)
class ReadingSession:
    user_id: UserId
    book_id: BookId
    started_at: datetime
    ended_at: datetime | None = None
    id: ReadingSessionId | None = None

    @classmethod
    def begin(cls, *, user_id: UserId, book_id: BookId, now: datetime) -> ReadingSession:
        return cls(user_id=user_id, book_id=book_id, started_at=ensure_aware(now))

    @classmethod
    def record(
        cls, *, user_id: UserId, book_id: BookId, started_at: datetime, ended_at: datetime, now: datetime
    ) -> ReadingSession:
        """A closed session entered after the fact (by an admin)."""
        started, ended = _utc("started_at", started_at), _utc("ended_at", ended_at)
        if ended <= started:
            raise InvalidValue("ended_at", "ended_at must be after started_at.")
        if ended > ensure_aware(now):
            raise InvalidValue("ended_at", "A recorded session cannot end in the future.")
        return cls(user_id=user_id, book_id=book_id, started_at=started, ended_at=ended)

    @property
    def sid(self) -> ReadingSessionId:
        if self.id is None:
            msg = "the reading session has not been saved yet"
            raise RuntimeError(msg)
        return self.id

    @property
    def is_open(self) -> bool:
        return self.ended_at is None

    def end(self, now: datetime) -> None:
        if self.ended_at is not None:
            raise NoOpenSession("This reading session has already ended.")
        # A clock that stepped back never makes a session end before it started.
        self.ended_at = max(ensure_aware(now), self.started_at)

    def elapsed_seconds(self, now: datetime) -> int:
        """Seconds read so far: up to the end, or up to ``now`` while open."""
        until = self.ended_at if self.ended_at is not None else ensure_aware(now)
        return whole_seconds(until - self.started_at)

    def closed_seconds_within(self, start: datetime, end: datetime) -> int:
        """Seconds of this closed session inside ``[start, end]`` (a session crossing the
        boundary counts with the part inside); an open session counts 0."""
        if self.ended_at is None:
            return 0
        return whole_seconds(min(self.ended_at, end) - max(self.started_at, start))


def start_reading(
    open_session: ReadingSession | None, *, user_id: UserId, book_id: BookId, now: datetime
) -> ReadingSession:
    """End ``open_session`` (the user's, on any book) at ``now`` and begin a new session.
    (The service ends the open session in the same statement that finds it,
    ``ReadingSessionRepository.end_open_session``, by the rule of ``ReadingSession.end``.)"""
    if open_session is not None:
        if open_session.user_id != user_id:
            msg = "the open session belongs to another user"
            raise ValueError(msg)
        open_session.end(now)
    return ReadingSession.begin(user_id=user_id, book_id=book_id, now=now)


def end_reading(open_session: ReadingSession | None, *, book_id: BookId, now: datetime) -> ReadingSession:
    """End the user's open session, which must be of ``book_id`` (the service: one
    ``end_open_session(..., book_id=...)`` statement, ``NoOpenSession`` when it ends none)."""
    if open_session is None or open_session.book_id != book_id or not open_session.is_open:
        raise NoOpenSession.of_book()
    open_session.end(now)
    return open_session


def totals_by_book(sessions: Iterable[ReadingSession]) -> dict[BookId, int]:
    """Seconds per book over closed sessions (books with closed sessions only)."""
    totals: dict[BookId, int] = {}
    for session in sessions:
        if session.ended_at is not None:
            totals[session.book_id] = totals.get(session.book_id, 0) + whole_seconds(
                session.ended_at - session.started_at
            )
    return totals


@dataclass(frozen=True, slots=True)
class ReadingTotal:
    book_id: BookId
    total_elapsed_seconds: int


@dataclass(frozen=True, slots=True)
class StatsWindows:
    """The windows of ``session_stats``: the last 7 and 30 days up to ``now``."""

    now: datetime

    @property
    def last_7_days(self) -> tuple[datetime, datetime]:
        return self.now - timedelta(days=7), self.now

    @property
    def last_30_days(self) -> tuple[datetime, datetime]:
        return self.now - timedelta(days=30), self.now


def session_stats_of(sessions: Iterable[ReadingSession], now: datetime) -> SessionStats:
    """The reference definition of one user's ``session_stats`` (the SQL job computes the
    same thing for every user at once): closed seconds overall and within the last 7 and
    30 days (partial overlap counts), and the distinct books with any session."""
    listed = list(sessions)
    windows = StatsWindows(now)
    closed = [session for session in listed if session.ended_at is not None]
    return SessionStats(
        total_seconds=sum(session.elapsed_seconds(now) for session in closed),
        last_7_days_seconds=sum(session.closed_seconds_within(*windows.last_7_days) for session in closed),
        last_30_days_seconds=sum(session.closed_seconds_within(*windows.last_30_days) for session in closed),
        books_read=len({session.book_id for session in listed}),
        updated_at=now,
    )


@dataclass(frozen=True, slots=True)
class StatsChange:
    """What one step of a user's reading adds to their stored ``session_stats``, so that a
    step costs the same however long the user's history is: the seconds of the session that
    ``closed`` at ``now`` (overall and inside each window), and the session that ``began``
    (its book adds one to ``books_read`` when the user had no session of that book before).

    Added to a row computed at the same ``now`` it gives exactly what ``session_stats_of``
    gives (``applied_to`` is that rule, and the tests hold the two together). Added to an
    older row, the windows are as old as the row: sessions that slid out of a window since
    stay counted until the ``reading_stats`` job recomputes every row."""

    now: datetime
    total_seconds: int = 0
    last_7_days_seconds: int = 0
    last_30_days_seconds: int = 0
    began: ReadingSession | None = None

    @classmethod
    def of(
        cls, *, now: datetime, closed: ReadingSession | None = None, began: ReadingSession | None = None
    ) -> StatsChange:
        if closed is None:
            return cls(now=now, began=began)
        windows = StatsWindows(now)
        return cls(
            now=now,
            total_seconds=closed.elapsed_seconds(now),
            last_7_days_seconds=closed.closed_seconds_within(*windows.last_7_days),
            last_30_days_seconds=closed.closed_seconds_within(*windows.last_30_days),
            began=began,
        )

    def applied_to(self, stats: SessionStats, *, first_of_its_book: bool) -> SessionStats:
        """``stats`` after this step; ``first_of_its_book``: ``began`` is the user's first
        session of its book."""
        return SessionStats(
            total_seconds=stats.total_seconds + self.total_seconds,
            last_7_days_seconds=stats.last_7_days_seconds + self.last_7_days_seconds,
            last_30_days_seconds=stats.last_30_days_seconds + self.last_30_days_seconds,
            books_read=stats.books_read + (1 if self.began is not None and first_of_its_book else 0),
            updated_at=self.now,
        )
