"""Ports of the task board."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from application.ports.outbox import Outbox
from application.ports.uow import UnitOfWork
from application.results import Page, PageRequest
from domain.shared import UserId
from domain.tasks import Comment, Participant, Task, TaskId, TaskStatus


@dataclass(frozen=True, slots=True)
class TaskFilter:
    search: str | None = None  # in the task name or the performer's username
    status: TaskStatus | None = None


@dataclass(frozen=True, slots=True)
class TaskSummary:
    """A task with the people it belongs to (a list item)."""

    task: Task
    creator: Participant
    performer: Participant | None


@dataclass(frozen=True, slots=True)
class CommentView:
    comment: Comment
    author: Participant


@dataclass(frozen=True, slots=True)
class TaskDetail:
    task: Task
    creator: Participant
    performer: Participant | None
    comments: Sequence[CommentView]  # newest first


class TaskRepository(Protocol):
    async def add(self, task: Task) -> Task:
        """Insert and return the task with its id; raises ``DuplicateTaskName``."""
        ...

    async def get(self, task_id: TaskId) -> Task | None: ...

    async def get_for_update(self, task_id: TaskId) -> Task | None: ...

    async def save(self, task: Task) -> None:
        """Write back a changed task; raises ``DuplicateTaskName``."""
        ...

    async def add_comment(self, comment: Comment) -> Comment: ...

    async def detail(self, task_id: TaskId) -> TaskDetail | None:
        """The task, its people and its comments (newest first) in a constant number of queries."""
        ...

    async def list(self, filters: TaskFilter, page: PageRequest) -> Page[TaskSummary]:
        """Newest due date first (ties: newest task first)."""
        ...

    async def participants(self, user_ids: Iterable[UserId]) -> Mapping[UserId, Participant]:
        """The users among ``user_ids`` that exist (one query)."""
        ...


class TaskUnitOfWork(UnitOfWork, Protocol):
    tasks: TaskRepository
    outbox: Outbox
