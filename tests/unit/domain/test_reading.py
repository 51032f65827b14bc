"""Reading-session rules, with a state machine over any interleaving of starts, ends and time."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from domain.catalog import BookId
from domain.errors import InvalidValue
from domain.identity import SessionStats
from domain.reading import (
    NoOpenSession,
    ReadingSession,
    StatsChange,
    end_reading,
    session_stats_of,
    start_reading,
    totals_by_book,
)
from domain.shared import UserId

T0 = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)
ADA, BOB = UserId(1), UserId(2)
DUNE, EMMA = BookId(10), BookId(11)


def test_starting_ends_the_open_session_at_the_same_moment() -> None:
    first = start_reading(None, user_id=ADA, book_id=DUNE, now=T0)
    second = start_reading(first, user_id=ADA, book_id=EMMA, now=T0 + timedelta(minutes=3))
    assert first.ended_at == second.started_at == T0 + timedelta(minutes=3)
    assert second.is_open
    assert first.elapsed_seconds(T0 + timedelta(days=1)) == 180


def test_only_the_open_session_of_that_book_ends() -> None:
    session = start_reading(None, user_id=ADA, book_id=DUNE, now=T0)
    with pytest.raises(NoOpenSession):
        end_reading(session, book_id=EMMA, now=T0)
    with pytest.raises(NoOpenSession):
        end_reading(None, book_id=DUNE, now=T0)
    end_reading(session, book_id=DUNE, now=T0 + timedelta(seconds=59.999))
    assert session.elapsed_seconds(T0 + timedelta(hours=5)) == 59
    with pytest.raises(NoOpenSession):
        end_reading(session, book_id=DUNE, now=T0 + timedelta(hours=1))


def test_an_open_session_counts_up_to_now() -> None:
    session = ReadingSession.begin(user_id=ADA, book_id=DUNE, now=T0)
    assert session.elapsed_seconds(T0) == 0
    assert session.elapsed_seconds(T0 + timedelta(seconds=61.5)) == 61
    assert session.elapsed_seconds(T0 - timedelta(seconds=5)) == 0, "never negative"


def test_a_clock_stepping_back_never_ends_a_session_before_it_started() -> None:
    session = ReadingSession.begin(user_id=ADA, book_id=DUNE, now=T0)
    session.end(T0 - timedelta(seconds=3))
    assert session.ended_at == T0


def test_a_recorded_session_ends_after_it_starts_and_not_after_now() -> None:
    now = T0 + timedelta(days=1)
    recorded = ReadingSession.record(
        user_id=ADA, book_id=DUNE, started_at=T0, ended_at=T0 + timedelta(hours=2), now=now
    )
    assert recorded.elapsed_seconds(now) == 7200
    for ended in (T0, T0 - timedelta(seconds=1), now + timedelta(microseconds=1)):
        with pytest.raises(InvalidValue) as caught:
            ReadingSession.record(user_id=ADA, book_id=DUNE, started_at=T0, ended_at=ended, now=now)
        assert caught.value.field == "ended_at"


def test_naive_moments_are_taken_as_utc() -> None:
    session = ReadingSession.begin(user_id=ADA, book_id=DUNE, now=datetime(2026, 4, 1, 8, 0))  # noqa: DTZ001
    assert session.started_at == T0


def test_session_stats_count_partial_overlap_with_each_window() -> None:
    now = T0 + timedelta(days=40)
    sessions = [
        ReadingSession(ADA, DUNE, now - timedelta(days=7, seconds=30), now - timedelta(days=7) + timedelta(seconds=20)),
        ReadingSession(ADA, EMMA, now - timedelta(days=31), now - timedelta(days=29)),
        ReadingSession(ADA, EMMA, now - timedelta(minutes=1)),  # open
    ]
    assert session_stats_of(sessions, now) == SessionStats(
        total_seconds=50 + 2 * 86400,
        last_7_days_seconds=20,
        last_30_days_seconds=50 + 86400,
        books_read=2,
        updated_at=now,
    )


@given(
    spans=st.lists(
        st.tuples(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=10**11)),
        max_size=20,
    ),
    now_offset=st.integers(min_value=0, max_value=2 * 10**12),
)
def test_window_seconds_never_exceed_the_total_or_the_window(spans: list[tuple[int, int]], now_offset: int) -> None:
    now = T0 + timedelta(microseconds=now_offset)
    sessions = [
        ReadingSession(ADA, DUNE, T0 + timedelta(microseconds=start), T0 + timedelta(microseconds=start + length))
        for start, length in spans
    ]
    stats = session_stats_of(sessions, now)
    assert 0 <= stats.last_7_days_seconds <= stats.last_30_days_seconds <= stats.total_seconds
    assert stats.total_seconds == sum(totals_by_book(sessions).values())


@given(
    history=st.lists(
        st.tuples(
            st.sampled_from((DUNE, EMMA, BookId(12))),
            st.integers(min_value=0, max_value=40 * 86400 * 10**6),
            st.integers(min_value=0, max_value=9 * 86400 * 10**6),
        ),
        max_size=12,
    ),
    reading=st.tuples(
        st.sampled_from((DUNE, EMMA, BookId(12))), st.integers(min_value=0, max_value=40 * 86400 * 10**6)
    ),
    next_book=st.none() | st.sampled_from((DUNE, EMMA, BookId(12), BookId(13))),
)
def test_a_step_added_to_the_row_of_that_moment_equals_the_full_computation(
    history: list[tuple[BookId, int, int]], reading: tuple[BookId, int], next_book: BookId | None
) -> None:
    """Ending the open session (and starting the next, if ``next_book``) adds exactly what
    recomputing the user's statistics at that moment would add."""
    now = T0 + timedelta(days=50)
    closed = [
        ReadingSession(
            ADA,
            book,
            now - timedelta(microseconds=ago),
            now - timedelta(microseconds=ago) + timedelta(microseconds=length),
            id=i,
        )
        for i, (book, ago, length) in enumerate(history, start=1)
        if length <= ago
    ]
    book, ago = reading
    current = ReadingSession(ADA, book, now - timedelta(microseconds=ago), id=100)
    before = session_stats_of([*closed, current], now)

    began = None
    if next_book is None:
        end_reading(current, book_id=book, now=now)
    else:
        began = start_reading(current, user_id=ADA, book_id=next_book, now=now)
        began.id = 101
    after = [*closed, current, *([began] if began else [])]
    first = began is not None and all(s.book_id != began.book_id for s in [*closed, current])

    change = StatsChange.of(now=now, closed=current, began=began)
    assert change.applied_to(before, first_of_its_book=first) == session_stats_of(after, now)


class ReadingMachine(RuleBasedStateMachine):
    """Users start and end sessions on books in any order while time passes.

    A model keeps, per user, the open book and when it opened (in whole microseconds), and
    per (user, book) the closed seconds. The domain must agree with it at every step.
    """

    users = (UserId(1), UserId(2), UserId(3))
    books = (BookId(10), BookId(11), BookId(12))

    def __init__(self) -> None:
        super().__init__()
        self.now_us = 0
        self.sessions: list[ReadingSession] = []
        self.model_open: dict[UserId, tuple[BookId, int]] = {}
        self.model_closed: dict[tuple[UserId, BookId], int] = {}
        # each user's stored session_stats, kept by adding each step (as the service does)
        self.stored: dict[UserId, SessionStats] = {user: SessionStats(updated_at=T0) for user in self.users}

    def mine(self, user: UserId) -> list[ReadingSession]:
        return [s for s in self.sessions if s.user_id == user]

    def count(self, user: UserId, change: StatsChange) -> None:
        began = change.began
        first = began is not None and all(s.book_id != began.book_id for s in self.mine(user) if s is not began)
        self.stored[user] = change.applied_to(self.stored[user], first_of_its_book=first)

    @property
    def now(self) -> datetime:
        return T0 + timedelta(microseconds=self.now_us)

    def open_of(self, user: UserId) -> ReadingSession | None:
        return next((s for s in self.sessions if s.user_id == user and s.is_open), None)

    def model_close(self, user: UserId) -> None:
        if user in self.model_open:
            book, opened_us = self.model_open.pop(user)
            key = (user, book)
            self.model_closed[key] = self.model_closed.get(key, 0) + (self.now_us - opened_us) // 1_000_000

    @rule(microseconds=st.integers(min_value=0, max_value=5 * 10**9))
    def time_passes(self, microseconds: int) -> None:
        self.now_us += microseconds

    @rule(user=st.sampled_from(users), book=st.sampled_from(books))
    def start(self, user: UserId, book: BookId) -> None:
        current = self.open_of(user)
        self.sessions.append(began := start_reading(current, user_id=user, book_id=book, now=self.now))
        self.count(user, StatsChange.of(now=self.now, closed=current, began=began))
        self.model_close(user)
        self.model_open[user] = (book, self.now_us)

    @rule(user=st.sampled_from(users), book=st.sampled_from(books))
    def end(self, user: UserId, book: BookId) -> None:
        current = self.open_of(user)
        if user in self.model_open and self.model_open[user][0] == book:
            ended = end_reading(current, book_id=book, now=self.now)
            assert ended.ended_at == self.now
            self.model_close(user)
            self.count(user, StatsChange.of(now=self.now, closed=ended))
        else:
            with pytest.raises(NoOpenSession):
                end_reading(current, book_id=book, now=self.now)

    @invariant()
    def at_most_one_open_session_per_user(self) -> None:
        for user in self.users:
            open_books = [s.book_id for s in self.sessions if s.user_id == user and s.is_open]
            expected = [self.model_open[user][0]] if user in self.model_open else []
            assert open_books == expected

    @invariant()
    def totals_equal_the_sum_of_closed_sessions(self) -> None:
        for user in self.users:
            mine = [s for s in self.sessions if s.user_id == user]
            expected = {book: seconds for (u, book), seconds in self.model_closed.items() if u == user}
            assert totals_by_book(mine) == expected
            assert session_stats_of(mine, self.now).total_seconds == sum(expected.values())

    @invariant()
    def stored_stats_kept_by_steps_match_the_full_computation(self) -> None:
        # Totals and books are exact at any time; a window can only over-count what slid out
        # of it since the last step (the job's full recompute corrects that).
        for user in self.users:
            exact, stored = session_stats_of(self.mine(user), self.now), self.stored[user]
            assert (stored.total_seconds, stored.books_read) == (exact.total_seconds, exact.books_read)
            assert exact.last_7_days_seconds <= stored.last_7_days_seconds <= stored.total_seconds
            assert exact.last_30_days_seconds <= stored.last_30_days_seconds <= stored.total_seconds

    @invariant()
    def sessions_never_overlap_for_one_user(self) -> None:
        for user in self.users:
            mine = sorted((s for s in self.sessions if s.user_id == user), key=lambda s: s.started_at)
            for before, after in itertools.pairwise(mine):
                assert before.ended_at is not None
                assert before.ended_at <= after.started_at


TestReadingRules = ReadingMachine.TestCase
