"""A job crashing on one row does not stop the others: the focus completion job's
announcements (achievements, ``focus:break`` pushes) are tried for every user even when one
user's evaluation or push fails; the failure is still raised so that the job run records it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pytest

from application.use_cases.focus import AnnounceCompletions, CompleteFocusSessions, EvaluateAchievements
from domain.achievements import AchievementCode
from domain.shared import UserId
from tests.figures import record
from tests.unit.application.chat_fakes import RecordingPublisher
from tests.unit.application.focus_fakes import FakeFocusUnitOfWork
from tests.unit.fakes import MutableClock

ADA, BOB, CAROL = UserId(1), UserId(2), UserId(3)


class EvaluationBrokenFor(EvaluateAchievements):
    def __init__(self, broken: UserId, *args: Any) -> None:
        super().__init__(*args)
        self.broken = broken

    async def __call__(self, *, user_id: UserId) -> list:  # type: ignore[override]
        if user_id == self.broken:
            raise ConnectionError(f"evaluation of user {user_id} failed")
        return await super().__call__(user_id=user_id)


class PublisherBrokenFor(RecordingPublisher):
    def __init__(self, broken: UserId) -> None:
        super().__init__()
        self.broken = broken

    async def to_users(
        self, user_ids: Iterable[int], event: str, payload: Mapping[str, Any], *, skip_connection: str | None = None
    ) -> None:
        ids = tuple(user_ids)
        if self.broken in ids:
            raise RuntimeError("the push to this user failed")
        await super().to_users(ids, event, payload, skip_connection=skip_connection)


async def test_one_users_failed_evaluation_and_push_do_not_cost_the_others_theirs() -> None:
    from application.use_cases.focus import StartFocusSession

    uow, clock = FakeFocusUnitOfWork(), MutableClock()
    publisher = PublisherBrokenFor(CAROL)
    evaluate = EvaluationBrokenFor(ADA, uow, uow, clock)
    announce = AnnounceCompletions(evaluate, publisher)
    start = StartFocusSession(uow, clock, announce)
    job = CompleteFocusSessions(uow, clock, announce)
    for user in (ADA, BOB, CAROL):
        await start(user_id=user, focus_minutes=1)
    clock.advance(minutes=1)
    record("faults injected", 2)  # ADA's evaluation, CAROL's push

    with pytest.raises(ConnectionError):
        await job()

    pushed_to = sorted(push.to[0] for push in publisher.pushes if push.event == "focus:break")
    assert pushed_to == [ADA, BOB], "every push but the broken one went out"
    unlocked = {user for (user, code) in uow.world.unlocked if code is AchievementCode.FIRST_POMODORO}
    assert unlocked == {BOB, CAROL}, "every evaluation but the broken one ran"
