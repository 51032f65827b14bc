"""Ports of the focus timer: categories, focus sessions, achievements and statistics."""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from application.ports.uow import UnitOfWork
from application.results import Page, PageRequest
from domain.achievements import AchievementCode, Facts
from domain.focus import CategoryId, FocusCategory, FocusSession, FocusSessionId
from domain.reading import ReadingSession
from domain.shared import UserId


class FocusCategoryRepository(Protocol):
    async def add(self, category: FocusCategory) -> FocusCategory:
        """Insert and return it with its id; a name the user already has: ``DuplicateCategoryName``."""
        ...

    async def get(self, category_id: CategoryId) -> FocusCategory | None: ...

    async def get_for_update(self, category_id: CategoryId) -> FocusCategory | None: ...

    async def save(self, category: FocusCategory) -> None:
        """Write back name and color; ``DuplicateCategoryName`` as for ``add``."""
        ...

    async def delete(self, category_id: CategoryId) -> bool:
        """Its sessions stay, without a category."""
        ...

    async def list(self, user_id: UserId, page: PageRequest) -> Page[FocusCategory]:
        """The user's categories by name."""
        ...

    async def all_of(self, user_id: UserId) -> Sequence[FocusCategory]: ...


@dataclass(frozen=True, slots=True)
class FocusSessionFilter:
    user_id: UserId
    category_id: CategoryId | None = None
    started_from: datetime | None = None  # inclusive
    started_before: datetime | None = None  # exclusive


class FocusSessionRepository(Protocol):
    async def add(self, session: FocusSession) -> FocusSession:
        """Insert and return it with its id. A second running session of the user is refused
        by the database: ``FocusSessionAlreadyRunning``; a category that vanished meanwhile:
        ``InvalidValue`` on ``category_id``."""
        ...

    async def get_for_update(self, session_id: FocusSessionId) -> FocusSession | None: ...

    async def save(self, session: FocusSession) -> None:
        """Write back ``status`` and ``ended_at``."""
        ...

    async def list(self, filters: FocusSessionFilter, page: PageRequest) -> Page[FocusSession]:
        """Newest first, as stored (the caller shows each ``as_of`` now)."""
        ...

    async def complete_due(self, now: datetime, user_id: UserId | None = None) -> builtins.list[FocusSession]:
        """Mark every running session with ``ends_at <= now`` (of one user, or of everyone)
        completed, in one conditional statement, and return those this call completed: a
        session completed by a concurrent call is returned by that call only."""
        ...

    async def overlapping(self, user_id: UserId, start: datetime, end: datetime) -> Sequence[FocusSession]:
        """The user's sessions that may have focus time in ``[start, end)`` or complete in it."""
        ...


class AchievementRepository(Protocol):
    async def unlocked(self, user_id: UserId) -> dict[AchievementCode, datetime]: ...

    async def unlock(self, user_id: UserId, earned: Mapping[AchievementCode, datetime]) -> set[AchievementCode]:
        """Insert those not unlocked yet (an unlocked one keeps its first ``unlocked_at``);
        return the codes this call inserted."""
        ...


class AchievementFacts(Protocol):
    async def of_user(self, user_id: UserId, now: datetime) -> Facts:
        """Completed pomodoros (sessions due at ``now`` included), closed reading sessions and
        borrowings returned on time."""
        ...


@dataclass(frozen=True, slots=True)
class ReadingInPeriod:
    sessions: Sequence[ReadingSession]
    book_titles: Mapping[int, str]


class ReadingHistory(Protocol):
    async def closed_overlapping(self, user_id: UserId, start: datetime, end: datetime) -> ReadingInPeriod:
        """The user's closed reading sessions that overlap ``[start, end)``, with their books' titles."""
        ...


class FocusUnitOfWork(UnitOfWork, Protocol):
    focus_categories: FocusCategoryRepository
    focus_sessions: FocusSessionRepository
    achievements: AchievementRepository
    achievement_facts: AchievementFacts
    reading_history: ReadingHistory
