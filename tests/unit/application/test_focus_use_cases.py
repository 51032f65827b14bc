"""Focus use cases over in-memory fakes: completions announced after commit, achievements
unlocked once and never re-dated, ownership of categories and sessions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from application.errors import NotFound
from application.use_cases.focus import (
    AnnounceCompletions,
    CompleteFocusSessions,
    EvaluateAchievements,
    StartFocusSession,
    StopFocusSession,
)
from domain.achievements import AchievementCode, Completion, Facts, ReadingSpan, earned
from domain.errors import InvalidValue
from domain.focus import (
    CategoryId,
    FocusCategory,
    FocusSession,
    FocusSessionAlreadyRunning,
    FocusSessionId,
    FocusStatus,
    TimeZone,
)
from domain.shared import UserId
from tests.unit.application.chat_fakes import RecordingPublisher
from tests.unit.application.focus_fakes import FakeFocusUnitOfWork, FocusWorld
from tests.unit.fakes import MutableClock
from tests.unit.fakes_catalog import run

ADA, BOB = UserId(1), UserId(2)


class Timer:
    """The focus use cases wired on one fake world, one clock and one recording publisher."""

    def __init__(self) -> None:
        self.uow = FakeFocusUnitOfWork()
        self.clock = MutableClock()
        self.publisher = RecordingPublisher()
        self.evaluate = EvaluateAchievements(self.uow, self.uow, self.clock)
        self.announce = AnnounceCompletions(self.evaluate, self.publisher)
        self.start = StartFocusSession(self.uow, self.clock, self.announce)
        self.stop = StopFocusSession(self.uow, self.clock)
        self.complete = CompleteFocusSessions(self.uow, self.clock, self.announce)

    @property
    def world(self) -> FocusWorld:
        return self.uow.world

    def breaks(self) -> list[tuple[tuple[int, ...] | str, int]]:
        return [(push.to, push.payload["session_id"]) for push in self.publisher.pushes if push.event == "focus:break"]


@pytest.fixture
def timer() -> Timer:
    return Timer()


async def test_the_job_completes_due_sessions_and_announces_each_once(timer: Timer) -> None:
    first = await timer.start(user_id=ADA, focus_minutes=1, break_minutes=2)
    await timer.start(user_id=BOB, focus_minutes=10)
    timer.clock.advance(minutes=1)
    assert (await timer.complete()).completed == 1
    assert timer.world.sessions[first.sid].status is FocusStatus.COMPLETED
    assert timer.breaks() == [((ADA,), first.sid)]
    assert timer.publisher.pushes[0].payload == {"session_id": first.sid, "break_minutes": 2, "ended_at": first.ends_at}
    assert timer.world.unlocked == {(ADA, AchievementCode.FIRST_POMODORO): first.ends_at}
    assert (await timer.complete()).completed == 0
    assert len(timer.breaks()) == 1


async def test_starting_after_the_end_completes_and_announces_the_previous_session(timer: Timer) -> None:
    first = await timer.start(user_id=ADA, focus_minutes=1)
    timer.clock.advance(minutes=3)
    second = await timer.start(user_id=ADA)
    assert timer.world.sessions[first.sid].status is FocusStatus.COMPLETED
    assert timer.world.sessions[second.sid].status is FocusStatus.RUNNING
    assert timer.breaks() == [((ADA,), first.sid)]


async def test_a_refused_start_changes_nothing(timer: Timer) -> None:
    running = await timer.start(user_id=ADA)
    with pytest.raises(FocusSessionAlreadyRunning):
        await timer.start(user_id=ADA)
    assert list(timer.world.sessions) == [running.sid]
    assert not timer.breaks()


async def test_a_session_needs_a_category_of_your_own(timer: Timer) -> None:
    timer.world.categories[1] = FocusCategory(BOB, "Bob's", "#000000", CategoryId(1))
    with pytest.raises(InvalidValue) as refused:
        await timer.start(user_id=ADA, category_id=CategoryId(1))
    assert refused.value.field == "category_id"
    with pytest.raises(InvalidValue):
        await timer.start(user_id=ADA, category_id=CategoryId(99))
    assert timer.world.sessions == {}


async def test_only_the_owner_stops_a_session(timer: Timer) -> None:
    session = await timer.start(user_id=ADA)
    with pytest.raises(NotFound):
        await timer.stop(user_id=BOB, session_id=session.sid)
    with pytest.raises(NotFound):
        await timer.stop(user_id=ADA, session_id=FocusSessionId(42))
    timer.clock.advance(minutes=2)
    stopped = await timer.stop(user_id=ADA, session_id=session.sid)
    assert (stopped.status, stopped.ended_at) == (FocusStatus.STOPPED, timer.clock.now())


class BrokenEvaluation(EvaluateAchievements):
    async def __call__(self, *, user_id: UserId) -> list:  # type: ignore[override]
        raise ConnectionError("the database went away")


async def test_breaks_are_pushed_even_when_the_evaluation_fails(timer: Timer) -> None:
    announce = AnnounceCompletions(BrokenEvaluation(timer.uow, timer.uow, timer.clock), timer.publisher)
    job = CompleteFocusSessions(timer.uow, timer.clock, announce)
    session = await timer.start(user_id=ADA, focus_minutes=1)
    timer.clock.advance(minutes=1)
    with pytest.raises(ConnectionError):
        await job()
    assert timer.breaks() == [((ADA,), session.sid)]
    assert timer.world.sessions[session.sid].status is FocusStatus.COMPLETED, "committed before announcing"


# --------------------------------------------------------------------------- achievements over time


class AchievementLife(RuleBasedStateMachine):
    """A user's life: pomodoros in changing time zones, stopped sessions, reading, a late-recorded
    pomodoro, evaluations at any time. Unlocks are monotone, once per code, and dated by the
    qualifying event (never by the evaluation, never re-dated)."""

    def __init__(self) -> None:
        super().__init__()
        self.timer = Timer()
        self.seen: dict[AchievementCode, object] = {}
        self.backfilled = False

    def facts(self) -> Facts:
        now = self.timer.clock.now()
        world = self.timer.world
        completions = tuple(
            Completion(done, s.tz) for s in world.sessions.values() if (done := s.as_of(now).completed_at) is not None
        )
        return Facts(now=now, completions=completions, reading=tuple(world.reading.get(ADA, [])))

    @rule(
        minutes=st.integers(min_value=1, max_value=180),
        gap_hours=st.integers(min_value=0, max_value=40),
        tz=st.sampled_from(["UTC", "+02:00", "-05:00", "Asia/Kolkata"]),
    )
    def focus(self, minutes: int, gap_hours: int, tz: str) -> None:
        run(self.timer.start(user_id=ADA, focus_minutes=minutes, tz=TimeZone.parse(tz)))
        self.timer.clock.advance(minutes=minutes, hours=gap_hours)

    @rule(after=st.integers(min_value=1, max_value=24))
    def focus_and_give_up(self, after: int) -> None:
        session = run(self.timer.start(user_id=ADA))
        self.timer.clock.advance(minutes=after)
        run(self.timer.stop(user_id=ADA, session_id=session.sid))

    @rule(hours=st.integers(min_value=0, max_value=5))
    def read(self, hours: int) -> None:
        start = self.timer.clock.now()
        self.timer.clock.advance(hours=hours, minutes=30)
        self.timer.world.reading.setdefault(ADA, []).append(ReadingSpan(start, self.timer.clock.now()))

    @rule(days_ago=st.integers(min_value=1, max_value=30))
    def recorded_late(self, days_ago: int) -> None:
        moment = self.timer.clock.now() - timedelta(days=days_ago)
        session = FocusSession.start(user_id=ADA, now=moment)
        session.complete()
        session.id = FocusSessionId(max(self.timer.world.sessions, default=0) + 1)
        self.timer.world.sessions[session.id] = session
        self.backfilled = True

    @rule()
    def job(self) -> None:
        run(self.timer.complete())

    @rule()
    def evaluate(self) -> None:
        states = run(self.timer.evaluate(user_id=ADA))
        unlocked = {s.achievement.code: s.unlocked_at for s in states if s.unlocked_at is not None}
        expected = earned(self.facts())
        assert set(unlocked) == set(expected)
        for code, moment in unlocked.items():
            assert moment >= expected[code], "never dated later than a late-recorded event allows"
            if not self.backfilled:
                assert moment == expected[code]

    @invariant()
    def unlocks_are_monotone_and_never_re_dated(self) -> None:
        stored = {code: at for (user, code), at in self.timer.world.unlocked.items() if user == ADA}
        for code, moment in self.seen.items():
            assert stored.get(code) == moment
        self.seen = dict(stored)
        assert set(stored) <= set(earned(self.facts()))


AchievementLife.TestCase.settings = settings(max_examples=40, stateful_step_count=25, deadline=None)
test_achievements_over_a_life = AchievementLife.TestCase
