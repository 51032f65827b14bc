"""In-memory fakes for the task board's use cases: a store, its unit of work, an outbox."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Self

from application.ports.outbox import OutboxMessage
from application.ports.tasks import CommentView, TaskDetail, TaskFilter, TaskSummary
from application.results import Page, PageRequest
from domain.shared import UserId
from domain.tasks import Comment, DuplicateTaskName, Participant, Task, TaskId
from tests.clock import MovableClock


class FixedClock(MovableClock):
    origin = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@dataclass
class Store:
    """Everything the fakes hold; a unit of work copies it and puts it back on rollback."""

    people: dict[UserId, Participant] = field(default_factory=dict)
    tasks: dict[TaskId, Task] = field(default_factory=dict)
    comments: list[Comment] = field(default_factory=list)
    outbox: list[OutboxMessage] = field(default_factory=list)
    commits: int = 0

    def person(self, user_id: int, username: str, *, active: bool = True) -> Participant:
        person = Participant(id=UserId(user_id), username=username, email=f"{username}@example.org", is_active=active)
        self.people[person.id] = person
        return person

    def emails(self) -> list[tuple[str, str, str]]:
        return [(m.payload["to"][0], m.payload["subject"], m.payload["body"]) for m in self.outbox]


class InMemoryTaskRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    def _check_name(self, task: Task) -> None:
        if any(other.name == task.name and other.id != task.id for other in self._store.tasks.values()):
            raise DuplicateTaskName("A task with this name already exists.", field="name")

    async def add(self, task: Task) -> Task:
        self._check_name(task)
        task.id = TaskId(max(self._store.tasks, default=0) + 1)
        self._store.tasks[task.id] = replace(task)
        return task

    async def get(self, task_id: TaskId) -> Task | None:
        found = self._store.tasks.get(task_id)
        return replace(found) if found else None

    get_for_update = get

    async def save(self, task: Task) -> None:
        self._check_name(task)
        self._store.tasks[task.tid] = replace(task)

    async def add_comment(self, comment: Comment) -> Comment:
        comment.id = len(self._store.comments) + 1
        self._store.comments.append(replace(comment))
        return comment

    def _summary(self, task: Task) -> TaskSummary:
        people = self._store.people
        performer = people.get(task.performer_id) if task.performer_id is not None else None
        return TaskSummary(task=replace(task), creator=people[task.creator_id], performer=performer)

    async def detail(self, task_id: TaskId) -> TaskDetail | None:
        task = self._store.tasks.get(task_id)
        if task is None:
            return None
        summary = self._summary(task)
        comments = sorted(
            (c for c in self._store.comments if c.task_id == task_id), key=lambda c: (c.created_at, c.id), reverse=True
        )
        views = [CommentView(comment=replace(c), author=self._store.people[c.author_id]) for c in comments]
        return TaskDetail(task=summary.task, creator=summary.creator, performer=summary.performer, comments=views)

    async def list(self, filters: TaskFilter, page: PageRequest) -> Page[TaskSummary]:
        items = [self._summary(task) for task in self._store.tasks.values()]
        if filters.search:
            needle = filters.search.lower()
            items = [
                s
                for s in items
                if needle in s.task.name.lower() or (s.performer is not None and needle in s.performer.username.lower())
            ]
        if filters.status is not None:
            items = [s for s in items if s.task.status == filters.status]
        items.sort(key=lambda s: (s.task.due_date, s.task.id), reverse=True)
        window = items[page.offset : page.offset + page.limit]
        return Page(items=window, total=len(items), limit=page.limit, offset=page.offset)

    async def participants(self, user_ids: Iterable[UserId]) -> Mapping[UserId, Participant]:
        return {uid: self._store.people[uid] for uid in set(user_ids) if uid in self._store.people}


class FakeOutbox:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def add(self, message: OutboxMessage, *, now: datetime) -> None:
        self._store.outbox.append(message)

    def __getattr__(self, name: str) -> Any:  # delivery is not what these tests are about
        raise AttributeError(name)


class FakeUnitOfWork:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._snapshot: Store | None = None
        self.tasks = InMemoryTaskRepository(store)
        self.outbox = FakeOutbox(store)

    async def __aenter__(self) -> Self:
        self._snapshot = copy.deepcopy(self.store)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._snapshot is not None:  # not committed: put everything back
            self.store.__dict__.update(self._snapshot.__dict__)
        self._snapshot = None

    async def commit(self) -> None:
        self.store.commits += 1
        self._snapshot = None
