"""In-memory stand-ins for the focus ports: one ``FocusWorld`` is the database; a unit of work
changes a copy and keeps it only on ``commit()``."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Self

from application.ports.focus import FocusSessionFilter, ReadingInPeriod
from application.results import Page, PageRequest
from domain.achievements import AchievementCode, Completion, Facts, ReadingSpan
from domain.errors import InvalidValue
from domain.focus import (
    CategoryId,
    DuplicateCategoryName,
    FocusCategory,
    FocusSession,
    FocusSessionAlreadyRunning,
    FocusSessionId,
    FocusStatus,
)
from domain.shared import UserId


@dataclass
class FocusWorld:
    categories: dict[int, FocusCategory] = field(default_factory=dict)
    sessions: dict[int, FocusSession] = field(default_factory=dict)
    unlocked: dict[tuple[int, AchievementCode], datetime] = field(default_factory=dict)
    reading: dict[int, list[ReadingSpan]] = field(default_factory=dict)
    on_time_returns: dict[int, list[date]] = field(default_factory=dict)


def _page(items: list[object], page: PageRequest) -> Page[object]:
    return Page(
        items=items[page.offset : page.offset + page.limit], total=len(items), limit=page.limit, offset=page.offset
    )


class InMemoryCategories:
    def __init__(self, world: FocusWorld) -> None:
        self.world = world

    async def add(self, category: FocusCategory) -> FocusCategory:
        if any(c.user_id == category.user_id and c.name == category.name for c in self.world.categories.values()):
            raise DuplicateCategoryName(field="name")
        category.id = CategoryId(max(self.world.categories, default=0) + 1)
        self.world.categories[category.id] = replace(category)
        return category

    async def get(self, category_id: CategoryId) -> FocusCategory | None:
        found = self.world.categories.get(category_id)
        return replace(found) if found else None

    get_for_update = get

    async def save(self, category: FocusCategory) -> None:
        self.world.categories[category.cid] = replace(category)

    async def delete(self, category_id: CategoryId) -> bool:
        for session in self.world.sessions.values():
            if session.category_id == category_id:
                session.category_id = None
        return self.world.categories.pop(category_id, None) is not None

    async def list(self, user_id: UserId, page: PageRequest) -> Page[FocusCategory]:
        return _page(list(await self.all_of(user_id)), page)  # type: ignore[return-value]

    async def all_of(self, user_id: UserId) -> Sequence[FocusCategory]:
        mine = [replace(c) for c in self.world.categories.values() if c.user_id == user_id]
        return sorted(mine, key=lambda c: (c.name, c.cid))


class InMemorySessions:
    def __init__(self, world: FocusWorld) -> None:
        self.world = world

    async def add(self, session: FocusSession) -> FocusSession:
        if session.category_id is not None and session.category_id not in self.world.categories:
            raise InvalidValue("category_id", "gone")
        if any(s.user_id == session.user_id and s.status is FocusStatus.RUNNING for s in self.world.sessions.values()):
            raise FocusSessionAlreadyRunning
        session.id = FocusSessionId(max(self.world.sessions, default=0) + 1)
        self.world.sessions[session.id] = replace(session)
        return session

    async def get_for_update(self, session_id: FocusSessionId) -> FocusSession | None:
        found = self.world.sessions.get(session_id)
        return replace(found) if found else None

    async def save(self, session: FocusSession) -> None:
        self.world.sessions[session.sid] = replace(session)

    async def list(self, filters: FocusSessionFilter, page: PageRequest) -> Page[FocusSession]:
        mine = [
            replace(s)
            for s in self.world.sessions.values()
            if s.user_id == filters.user_id
            and (filters.category_id is None or s.category_id == filters.category_id)
            and (filters.started_from is None or s.started_at >= filters.started_from)
            and (filters.started_before is None or s.started_at < filters.started_before)
        ]
        return _page(sorted(mine, key=lambda s: (s.started_at, s.sid), reverse=True), page)  # type: ignore[return-value]

    async def complete_due(self, now: datetime, user_id: UserId | None = None) -> list[FocusSession]:
        done = []
        for session in self.world.sessions.values():
            if session.is_due_at(now) and (user_id is None or session.user_id == user_id):
                session.complete()
                done.append(replace(session))
        return sorted(done, key=lambda s: (s.ends_at, s.sid))

    async def overlapping(self, user_id: UserId, start: datetime, end: datetime) -> Sequence[FocusSession]:
        return [
            replace(s)
            for s in self.world.sessions.values()
            if s.user_id == user_id and s.started_at < end and s.ends_at >= start
        ]


class InMemoryAchievements:
    def __init__(self, world: FocusWorld) -> None:
        self.world = world

    async def unlocked(self, user_id: UserId) -> dict[AchievementCode, datetime]:
        return {code: at for (user, code), at in self.world.unlocked.items() if user == user_id}

    async def unlock(self, user_id: UserId, earned: Mapping[AchievementCode, datetime]) -> set[AchievementCode]:
        inserted = set()
        for code, at in earned.items():
            if (user_id, code) not in self.world.unlocked:  # the primary key (user_id, code)
                self.world.unlocked[user_id, code] = at
                inserted.add(code)
        return inserted


class InMemoryFacts:
    def __init__(self, world: FocusWorld) -> None:
        self.world = world

    async def of_user(self, user_id: UserId, now: datetime) -> Facts:
        completions = []
        for session in self.world.sessions.values():
            done = session.as_of(now).completed_at
            if session.user_id == user_id and done is not None:
                completions.append(Completion(done, session.tz))
        returns = sorted(self.world.on_time_returns.get(user_id, []))[:1]
        return Facts(
            now=now,
            completions=tuple(completions),
            reading=tuple(self.world.reading.get(user_id, [])),
            on_time_returns=tuple(returns),
        )


class InMemoryReadingHistory:
    async def closed_overlapping(self, user_id: UserId, start: datetime, end: datetime) -> ReadingInPeriod:
        return ReadingInPeriod(sessions=[], book_titles={})


class FakeFocusUnitOfWork:
    """Its own factory: every ``uow()`` opens a transaction on the same world."""

    def __init__(self, world: FocusWorld | None = None) -> None:
        self.world = world or FocusWorld()
        self.commits = 0
        self._work: FocusWorld | None = None

    def __call__(self) -> Self:
        return self

    async def __aenter__(self) -> Self:
        assert self._work is None, "units of work do not nest"
        self._work = copy.deepcopy(self.world)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._work = None  # whatever was not committed is gone

    async def commit(self) -> None:
        assert self._work is not None
        self.world = copy.deepcopy(self._work)
        self.commits += 1

    @property
    def _open(self) -> FocusWorld:
        assert self._work is not None, "use `async with uow:`"
        return self._work

    @property
    def focus_categories(self) -> InMemoryCategories:
        return InMemoryCategories(self._open)

    @property
    def focus_sessions(self) -> InMemorySessions:
        return InMemorySessions(self._open)

    @property
    def achievements(self) -> InMemoryAchievements:
        return InMemoryAchievements(self._open)

    @property
    def achievement_facts(self) -> InMemoryFacts:
        return InMemoryFacts(self._open)

    @property
    def reading_history(self) -> InMemoryReadingHistory:
        return InMemoryReadingHistory()
