"""Focus timer use cases: categories, focus sessions, their completion, achievements, statistics.

Completion: a session is completed at its ``ends_at``. Readers see that at once (a due session
is shown completed, ``FocusSession.as_of``); the ``complete_focus_sessions`` job writes it with
one conditional ``UPDATE … RETURNING`` (so it is safe with several processes and catches up
sessions that ended while nothing ran), then, after commit, re-evaluates the achievements of
those users and pushes ``focus:break`` ``{session_id, break_minutes, ended_at}`` to their sockets.
Starting a session first completes the caller's due session the same way, so the database's
"one running session per user" index never refuses a start because the job has not run yet.

Achievements are evaluated by ``EvaluateAchievements(user_id=…)``: on ``GET /api/achievements``,
after focus completions, and by any area whose facts feed a rule (circulation calls it after a
return; reading sessions are picked up on the next evaluation, with the same ``unlocked_at``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from application.errors import NotFound
from application.ports.clock import Clock
from application.ports.focus import FocusSessionFilter, FocusUnitOfWork
from application.ports.notifications import EventPublisher
from application.results import Page, PageRequest
from domain.achievements import AchievementState, board, newly_earned
from domain.errors import InvalidValue
from domain.focus import (
    DEFAULT_BREAK_MINUTES,
    DEFAULT_FOCUS_MINUTES,
    UTC_ZONE,
    CategoryId,
    FocusCategory,
    FocusReport,
    FocusSession,
    FocusSessionId,
    Period,
    TimeZone,
    period_bounds,
)
from domain.shared import UserId, ensure_aware

UowFactory = Callable[[], FocusUnitOfWork]

FOCUS_BREAK = "focus:break"

log = logging.getLogger("athenaeum.focus")


def break_event(session: FocusSession) -> dict[str, Any]:
    return {"session_id": session.sid, "break_minutes": session.break_minutes, "ended_at": session.ends_at}


async def _own_category(
    uow: FocusUnitOfWork, user_id: UserId, category_id: CategoryId, *, for_update: bool = False
) -> FocusCategory:
    """The caller's category; anyone else's is "not found"."""
    repo = uow.focus_categories
    category = await (repo.get_for_update(category_id) if for_update else repo.get(category_id))
    if category is None or not category.belongs_to(user_id):
        raise NotFound("focus category", category_id)
    return category


# --------------------------------------------------------------------------- categories


class CreateFocusCategory:
    def __init__(self, uow: UowFactory) -> None:
        self._uow = uow

    async def __call__(self, *, user_id: UserId, name: str, color: str) -> FocusCategory:
        category = FocusCategory.create(user_id=user_id, name=name, color=color)
        async with self._uow() as uow:
            category = await uow.focus_categories.add(category)
            await uow.commit()
        return category


class ListFocusCategories:
    def __init__(self, uow: UowFactory) -> None:
        self._uow = uow

    async def __call__(self, *, user_id: UserId, page: PageRequest) -> Page[FocusCategory]:
        async with self._uow() as uow:
            return await uow.focus_categories.list(user_id, page)


class UpdateFocusCategory:
    def __init__(self, uow: UowFactory) -> None:
        self._uow = uow

    async def __call__(
        self, *, user_id: UserId, category_id: CategoryId, name: str | None = None, color: str | None = None
    ) -> FocusCategory:
        async with self._uow() as uow:
            category = await _own_category(uow, user_id, category_id, for_update=True)
            category.change(name=name, color=color)
            await uow.focus_categories.save(category)
            await uow.commit()
        return category


class DeleteFocusCategory:
    """Its sessions stay, without a category (they count as "Uncategorized")."""

    def __init__(self, uow: UowFactory) -> None:
        self._uow = uow

    async def __call__(self, *, user_id: UserId, category_id: CategoryId) -> None:
        async with self._uow() as uow:
            await _own_category(uow, user_id, category_id, for_update=True)
            await uow.focus_categories.delete(category_id)
            await uow.commit()


# --------------------------------------------------------------------------- achievements


class EvaluateAchievements:
    """Unlock what the user's facts earn, each once, dated by the qualifying event; return every
    achievement with its state. Reads without a write lock and writes only when something new
    is earned (insert-if-absent: concurrent evaluations unlock once).

    The hook for other areas: call it after committing a fact a rule reads (circulation after a
    return). It is idempotent and cheap when nothing changed."""

    def __init__(self, reader: UowFactory, uow: UowFactory, clock: Clock) -> None:
        self._reader, self._uow, self._clock = reader, uow, clock

    async def __call__(self, *, user_id: UserId) -> list[AchievementState]:
        now = self._clock.now()
        async with self._reader() as uow:
            unlocked = await uow.achievements.unlocked(user_id)
            fresh = newly_earned(await uow.achievement_facts.of_user(user_id, now), unlocked)
        if fresh:
            async with self._uow() as uow:
                await uow.achievements.unlock(user_id, fresh)
                unlocked = await uow.achievements.unlocked(user_id)
                await uow.commit()
        return board(unlocked)


class AnnounceCompletions:
    """After the commit that completed ``sessions``: re-evaluate their users' achievements and
    push ``focus:break`` to each user's sockets (pushes go out even if an evaluation fails)."""

    def __init__(self, evaluate: EvaluateAchievements, publisher: EventPublisher) -> None:
        self._evaluate, self._publisher = evaluate, publisher

    async def __call__(self, sessions: Sequence[FocusSession]) -> None:
        # One user's failure (an evaluation, a push) must not cost the others theirs: each is
        # tried, and the first failure is raised at the end so that the job run records it.
        failures: list[Exception] = []
        for user_id in sorted({session.user_id for session in sessions}):
            try:
                await self._evaluate(user_id=user_id)
            except Exception as exc:  # noqa: BLE001 - kept and raised below
                failures.append(exc)
        for session in sessions:
            try:
                await self._publisher.to_users([session.user_id], FOCUS_BREAK, break_event(session))
            except Exception as exc:  # noqa: BLE001 - kept and raised below
                failures.append(exc)
        for later in failures[1:]:
            log.warning("announcing a completion failed too: %s: %s", type(later).__name__, later)
        if failures:
            raise failures[0]


# --------------------------------------------------------------------------- focus sessions


class StartFocusSession:
    def __init__(self, uow: UowFactory, clock: Clock, announce: AnnounceCompletions) -> None:
        self._uow, self._clock, self._announce = uow, clock, announce

    async def __call__(
        self,
        *,
        user_id: UserId,
        category_id: CategoryId | None = None,
        focus_minutes: int = DEFAULT_FOCUS_MINUTES,
        break_minutes: int = DEFAULT_BREAK_MINUTES,
        tz: TimeZone = UTC_ZONE,
    ) -> FocusSession:
        now = self._clock.now()
        session = FocusSession.start(
            user_id=user_id,
            now=now,
            focus_minutes=focus_minutes,
            break_minutes=break_minutes,
            category_id=category_id,
            tz=tz,
        )
        async with self._uow() as uow:
            if category_id is not None:
                category = await uow.focus_categories.get(category_id)
                if category is None or not category.belongs_to(user_id):
                    raise InvalidValue("category_id", f"You have no focus category with id {category_id}.")
            finished = await uow.focus_sessions.complete_due(now, user_id)
            session = await uow.focus_sessions.add(session)
            await uow.commit()
        if finished:
            await self._announce(finished)
        return session


class StopFocusSession:
    def __init__(self, uow: UowFactory, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    async def __call__(self, *, user_id: UserId, session_id: FocusSessionId) -> FocusSession:
        now = self._clock.now()
        async with self._uow() as uow:
            session = await uow.focus_sessions.get_for_update(session_id)
            if session is None or session.user_id != user_id:
                raise NotFound("focus session", session_id)
            session.stop(now)
            await uow.focus_sessions.save(session)
            await uow.commit()
        return session


def _moment(field: str, value: datetime | None) -> datetime | None:
    if value is None:
        return None
    try:
        return ensure_aware(value)
    except OverflowError:
        raise InvalidValue(field, "The moment is out of range.") from None


class ListFocusSessions:
    """The caller's sessions, newest first, each as it stands now (a due session is completed).
    ``started_from`` is inclusive and ``started_before`` exclusive, both on ``started_at``."""

    def __init__(self, uow: UowFactory, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    async def __call__(
        self,
        *,
        user_id: UserId,
        page: PageRequest,
        category_id: CategoryId | None = None,
        started_from: datetime | None = None,
        started_before: datetime | None = None,
    ) -> Page[FocusSession]:
        start, end = _moment("from", started_from), _moment("to", started_before)
        if start is not None and end is not None and end < start:
            raise InvalidValue("to", "`to` cannot be before `from`.")
        filters = FocusSessionFilter(user_id=user_id, category_id=category_id, started_from=start, started_before=end)
        async with self._uow() as uow:
            found = await uow.focus_sessions.list(filters, page)
        now = self._clock.now()
        return Page(
            items=[session.as_of(now) for session in found.items],
            total=found.total,
            limit=found.limit,
            offset=found.offset,
        )


@dataclass(frozen=True, slots=True)
class CompletionReport:
    completed: int

    def __str__(self) -> str:
        return f"completed {self.completed} focus sessions"


class CompleteFocusSessions:
    """The job: complete every due session, commit, then announce (achievements, ``focus:break``)."""

    def __init__(self, uow: UowFactory, clock: Clock, announce: AnnounceCompletions) -> None:
        self._uow, self._clock, self._announce = uow, clock, announce

    async def __call__(self) -> CompletionReport:
        async with self._uow() as uow:
            finished = await uow.focus_sessions.complete_due(self._clock.now())
            await uow.commit()
        if finished:
            await self._announce(finished)
        return CompletionReport(completed=len(finished))


# --------------------------------------------------------------------------- statistics


class FocusStatistics:
    def __init__(self, uow: UowFactory, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    async def __call__(self, *, user_id: UserId, period: Period, tz: TimeZone = UTC_ZONE) -> FocusReport:
        now = self._clock.now()
        start, end = period_bounds(period, now, tz)
        async with self._uow() as uow:
            categories = await uow.focus_categories.all_of(user_id)
            sessions = await uow.focus_sessions.overlapping(user_id, start, end)
            reading = await uow.reading_history.closed_overlapping(user_id, start, end)
        return FocusReport.build(
            period=period,
            tz=tz,
            now=now,
            sessions=sessions,
            categories=categories,
            reading=reading.sessions,
            book_titles=reading.book_titles,
        )
