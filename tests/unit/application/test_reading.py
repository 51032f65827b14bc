"""Reading-session use cases on in-memory fakes, including a state machine over the use cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from adapters.security.jwt_tokens import JwtTokenCodec
from application.errors import Forbidden, NotAuthenticated, NotFound
from application.results import PageRequest
from application.use_cases.identity import Principal
from application.use_cases.reading import (
    DeleteReadingSession,
    EndReading,
    GetReadingSession,
    ListReadingSessions,
    ReadingTotals,
    RecordReadingSession,
    RefreshReadingStats,
    StartReading,
)
from domain.catalog import BookId
from domain.errors import InvalidValue
from domain.identity import SessionStats
from domain.reading import NoOpenSession, ReadingSession, ReadingSessionId
from domain.shared import UserId
from tests.unit.fakes_catalog import CatalogData, CatalogStore, SteppingClock, run


def principal(user_id: UserId, *, admin: bool = False) -> Principal:
    return Principal(user_id=user_id, is_admin=admin, is_premium=False)


@pytest.fixture
def store() -> CatalogStore:
    return CatalogStore()


@pytest.fixture
def clock() -> SteppingClock:
    return SteppingClock()


async def test_starting_closes_the_open_session_and_refreshes_stats(store: CatalogStore, clock: SteppingClock) -> None:
    ada, dune, emma = store.add_user(), store.add_book(), store.add_book()
    start = StartReading(store.uow, clock)
    first = await start(user_id=ada, book_id=dune)
    clock.advance(minutes=2)
    second = await start(user_id=ada, book_id=emma)

    assert [s.book_id for s in store.open_sessions(ada)] == [emma]
    assert store.data.sessions[first.session.sid].ended_at == second.session.started_at == clock.now()
    assert store.data.stats[ada].total_seconds == 120


async def test_every_start_counts_a_new_book_at_once_and_a_reread_book_once(
    store: CatalogStore, clock: SteppingClock
) -> None:
    ada, dune, emma = store.add_user(), store.add_book(), store.add_book()
    start, end = StartReading(store.uow, clock), EndReading(store.uow, clock)
    await start(user_id=ada, book_id=dune)  # the first session ever: no row yet, computed in full
    assert store.data.stats[ada] == SessionStats(books_read=1, updated_at=clock.now())
    clock.advance(seconds=10)
    await end(user_id=ada, book_id=dune)
    clock.advance(seconds=50)
    await start(user_id=ada, book_id=emma)  # nothing open: still counted at once
    assert store.data.stats[ada] == SessionStats(10, 10, 10, 2, clock.now())
    clock.advance(seconds=5)
    await start(user_id=ada, book_id=dune)  # read before: the count stays
    assert store.data.stats[ada] == SessionStats(15, 15, 15, 2, clock.now())


async def test_starting_a_missing_book_is_not_found_and_commits_nothing(
    store: CatalogStore, clock: SteppingClock
) -> None:
    ada = store.add_user()
    with pytest.raises(NotFound):
        await StartReading(store.uow, clock)(user_id=ada, book_id=BookId(404))
    assert store.commits == 0


async def test_a_start_that_loses_a_race_is_retried_and_leaves_one_open_session(
    store: CatalogStore, clock: SteppingClock
) -> None:
    ada, dune, emma = store.add_user(), store.add_book(), store.add_book()

    def competitor(data: CatalogData, _mine: ReadingSession) -> None:
        other_id = data.new_id()
        data.sessions[other_id] = ReadingSession(ada, emma, clock.now(), id=ReadingSessionId(other_id))

    store.race = competitor
    view = await StartReading(store.uow, clock)(user_id=ada, book_id=dune)
    assert [s.id for s in store.open_sessions(ada)] == [view.session.id]
    assert len(store.data.sessions) == 2, "the competitor's session was ended by the retry"


async def test_ending_needs_the_open_session_of_that_book(store: CatalogStore, clock: SteppingClock) -> None:
    ada, dune, emma = store.add_user(), store.add_book(), store.add_book()
    end = EndReading(store.uow, clock)
    with pytest.raises(NoOpenSession):
        await end(user_id=ada, book_id=dune)
    with pytest.raises(NotFound):
        await end(user_id=ada, book_id=BookId(404))
    await StartReading(store.uow, clock)(user_id=ada, book_id=dune)
    with pytest.raises(NoOpenSession):
        await end(user_id=ada, book_id=emma)
    clock.advance(seconds=30)
    ended = await end(user_id=ada, book_id=dune)
    assert (ended.session.ended_at, ended.elapsed_seconds) == (clock.now(), 30)
    assert store.data.stats[ada] == SessionStats(30, 30, 30, 1, clock.now())


async def test_users_list_their_own_sessions_and_admins_anyones(store: CatalogStore, clock: SteppingClock) -> None:
    ada, bob, boss = store.add_user(), store.add_user(), store.add_user(admin=True)
    dune = store.add_book()
    for user in (ada, bob):
        await StartReading(store.uow, clock)(user_id=user, book_id=dune)
    clock.advance(seconds=9)
    listing = ListReadingSessions(store.uow, clock)

    own = await listing(viewer=principal(ada), user_id=None, book_id=None, page=PageRequest())
    assert [(v.session.user_id, v.elapsed_seconds) for v in own.items] == [(ada, 9)]
    with pytest.raises(Forbidden):
        await listing(viewer=principal(ada), user_id=bob, book_id=None, page=PageRequest())
    everyone = await listing(viewer=principal(boss, admin=True), user_id=None, book_id=None, page=PageRequest())
    assert {v.session.user_id for v in everyone.items} == {ada, bob}


async def test_totals_are_the_callers_unless_an_admin_names_someone(store: CatalogStore, clock: SteppingClock) -> None:
    ada, boss, dune = store.add_user(), store.add_user(admin=True), store.add_book()
    await StartReading(store.uow, clock)(user_id=ada, book_id=dune)
    clock.advance(seconds=45)
    await EndReading(store.uow, clock)(user_id=ada, book_id=dune)
    totals = ReadingTotals(store.uow)
    assert [
        t.total_elapsed_seconds
        for t in (await totals(viewer=principal(ada), user_id=None, book_id=None, page=PageRequest())).items
    ] == [45]
    admin = principal(boss, admin=True)
    assert (await totals(viewer=admin, user_id=None, book_id=None, page=PageRequest())).items == []
    assert len((await totals(viewer=admin, user_id=ada, book_id=None, page=PageRequest())).items) == 1


async def test_recorded_sessions_need_a_real_user_and_book_and_a_proper_span(
    store: CatalogStore, clock: SteppingClock
) -> None:
    ada, dune = store.add_user(), store.add_book()
    record = RecordReadingSession(store.uow, clock)
    start, end = clock.now() - timedelta(hours=3), clock.now() - timedelta(hours=1)
    with pytest.raises(NotFound):
        await record(user_id=UserId(404), book_id=dune, started_at=start, ended_at=end)
    with pytest.raises(NotFound):
        await record(user_id=ada, book_id=BookId(404), started_at=start, ended_at=end)
    with pytest.raises(InvalidValue):
        await record(user_id=ada, book_id=dune, started_at=end, ended_at=start)
    view = await record(user_id=ada, book_id=dune, started_at=start, ended_at=end)
    assert view.elapsed_seconds == 7200
    assert store.data.stats[ada].total_seconds == 7200


async def test_a_session_is_visible_to_its_owner_and_admins_only(store: CatalogStore, clock: SteppingClock) -> None:
    ada, bob, boss, dune = store.add_user(), store.add_user(), store.add_user(admin=True), store.add_book()
    view = await StartReading(store.uow, clock)(user_id=ada, book_id=dune)
    get = GetReadingSession(store.uow, clock)
    assert (await get(viewer=principal(ada), session_id=view.session.sid)).session == view.session
    assert (await get(viewer=principal(boss, admin=True), session_id=view.session.sid)).session == view.session
    with pytest.raises(NotFound):
        await get(viewer=principal(bob), session_id=view.session.sid)


async def test_deleting_a_session_refreshes_its_owners_stats(store: CatalogStore, clock: SteppingClock) -> None:
    ada, dune = store.add_user(), store.add_book()
    await StartReading(store.uow, clock)(user_id=ada, book_id=dune)
    clock.advance(seconds=10)
    ended = await EndReading(store.uow, clock)(user_id=ada, book_id=dune)
    await DeleteReadingSession(store.uow, clock)(session_id=ended.session.sid)
    assert store.data.stats[ada].total_seconds == 0
    with pytest.raises(NotFound):
        await DeleteReadingSession(store.uow, clock)(session_id=ended.session.sid)


async def test_the_refresh_covers_every_user(store: CatalogStore, clock: SteppingClock) -> None:
    users = [store.add_user() for _ in range(3)]
    report = await RefreshReadingStats(store.uow, clock)()
    assert report.users == 3
    assert set(store.data.stats) == set(users)
    assert all(stats == SessionStats(updated_at=clock.now()) for stats in store.data.stats.values())


class ReadingUseCasesMachine(RuleBasedStateMachine):
    """Starts, ends and admin records through the use cases, in any order, for several users."""

    def __init__(self) -> None:
        super().__init__()
        self.store = CatalogStore()
        self.clock = SteppingClock()
        self.users = [self.store.add_user() for _ in range(3)]
        self.books = [self.store.add_book() for _ in range(3)]
        self.closed_seconds: dict[UserId, int] = dict.fromkeys(self.users, 0)

    @initialize()
    def nothing_yet(self) -> None:
        assert self.store.data.sessions == {}

    @rule(seconds=st.integers(min_value=0, max_value=100_000))
    def time_passes(self, seconds: int) -> None:
        self.clock.advance(seconds=seconds)

    @rule(user=st.integers(0, 2), book=st.integers(0, 2))
    def start(self, user: int, book: int) -> None:
        before = self.store.open_sessions(self.users[user])
        run(StartReading(self.store.uow, self.clock)(user_id=self.users[user], book_id=self.books[book]))
        for session in before:
            self.closed_seconds[session.user_id] += session.elapsed_seconds(self.clock.now())

    @rule(user=st.integers(0, 2), book=st.integers(0, 2))
    def end(self, user: int, book: int) -> None:
        before = self.store.open_sessions(self.users[user])
        try:
            view = run(EndReading(self.store.uow, self.clock)(user_id=self.users[user], book_id=self.books[book]))
        except NoOpenSession:
            assert not [s for s in before if s.book_id == self.books[book]]
        else:
            self.closed_seconds[view.session.user_id] += view.elapsed_seconds

    @rule(user=st.integers(0, 2), book=st.integers(0, 2), length=st.integers(1, 10_000))
    def record(self, user: int, book: int, length: int) -> None:
        ended = self.clock.now()
        run(
            RecordReadingSession(self.store.uow, self.clock)(
                user_id=self.users[user],
                book_id=self.books[book],
                started_at=ended - timedelta(seconds=length),
                ended_at=ended,
            )
        )
        self.closed_seconds[self.users[user]] += length

    @invariant()
    def at_most_one_open_session_per_user(self) -> None:
        for user in self.users:
            assert len(self.store.open_sessions(user)) <= 1

    @invariant()
    def totals_equal_the_sum_of_closed_sessions(self) -> None:
        for user in self.users:
            page = run(
                ReadingTotals(self.store.uow)(
                    viewer=principal(user), user_id=None, book_id=None, page=PageRequest(limit=100)
                )
            )
            assert sum(total.total_elapsed_seconds for total in page.items) == self.closed_seconds[user]


TestReadingUseCases = ReadingUseCasesMachine.TestCase
# Each step copies the store a few times (the fake's transactions): fewer, shorter runs keep it quick.
TestReadingUseCases.settings = settings(max_examples=30, stateful_step_count=30)


CODEC = JwtTokenCodec("unit-test-secret-key-of-at-least-32-bytes", timedelta(minutes=15))


async def test_a_start_by_access_token_checks_the_account_in_its_own_transaction(
    store: CatalogStore, clock: SteppingClock
) -> None:
    ada, dune, emma = store.add_user(), store.add_book(), store.add_book()
    token = CODEC.encode_access(ada, datetime.now(UTC))
    start = StartReading(store.uow, clock, CODEC)
    first = await start(token=token, book_id=dune)
    assert first.session.user_id == ada
    with pytest.raises(NotAuthenticated):
        await start(token=token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1], book_id=emma)
    store.data.users[ada].is_active = False  # deactivated after the token was issued
    with pytest.raises(NotAuthenticated):
        await start(token=token, book_id=emma)
    assert [s.book_id for s in store.open_sessions(ada)] == [dune]  # nothing changed
    with pytest.raises(TypeError):
        await start(token=token, user_id=ada, book_id=emma)  # one caller, not two
