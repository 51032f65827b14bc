"""The task board: tasks with a creator and an optional performer, and their comments.

Every signed-in user sees every task. Only the two people a task belongs to (its creator
and its performer) may change it, and only the creator may hand it to someone else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import NewType, TypeVar

from domain.errors import Conflict, InvalidValue
from domain.shared import UserId, has_control_characters

TaskId = NewType("TaskId", int)
T = TypeVar("T")

NAME_MAX = 255
SPECIFICATION_MAX = 10_000
COMMENT_MAX = 4000


class TaskStatus(StrEnum):
    NEW = "NEW"
    IN_WORK = "IN_WORK"
    COMPLETED = "COMPLETED"


class TaskRole(StrEnum):
    CREATOR = "creator"
    PERFORMER = "performer"


#: What a task's creator may change, and what its performer may change (not who performs it).
CREATOR_FIELDS = frozenset({"name", "specification", "due_date", "status", "performer_id"})
PERFORMER_FIELDS = CREATOR_FIELDS - {"performer_id"}


class DuplicateTaskName(Conflict):
    code = "duplicate-task-name"
    title = "A task with this name already exists"


def validate_name(raw: str) -> str:
    name = raw.strip()
    if not name:
        raise InvalidValue("name", "The name cannot be empty.")
    if len(name) > NAME_MAX:
        raise InvalidValue("name", f"At most {NAME_MAX} characters.")
    if has_control_characters(name, allow_newlines=False):
        raise InvalidValue("name", "The name must be one line of printable characters.")
    return name


def validate_specification(raw: str | None) -> str:
    text = (raw or "").strip()
    if len(text) > SPECIFICATION_MAX:
        raise InvalidValue("specification", f"At most {SPECIFICATION_MAX} characters.")
    if has_control_characters(text, allow_newlines=True):
        raise InvalidValue("specification", "The specification contains control characters.")
    return text


def validate_due_date(value: date, today: date) -> date:
    if value < today:
        raise InvalidValue("due_date", "The due date cannot be in the past.")
    return value


def validate_comment(raw: str) -> str:
    text = raw.strip()
    if not text:
        raise InvalidValue("text", "The comment cannot be empty.")
    if len(text) > COMMENT_MAX:
        raise InvalidValue("text", f"At most {COMMENT_MAX} characters.")
    if has_control_characters(text, allow_newlines=True):
        raise InvalidValue("text", "The comment contains control characters.")
    return text


@dataclass(frozen=True, slots=True)
class Participant:
    """A user as the task board shows them (the email is for notices, never shown)."""

    id: UserId
    username: str
    email: str
    avatar_url: str | None = None
    is_active: bool = True


@dataclass(frozen=True, slots=True)
class TaskChanges:
    """A PATCH: only the names in ``fields`` are applied ("absent" is not "set to null")."""

    name: str | None = None
    specification: str | None = None
    due_date: date | None = None
    status: TaskStatus | None = None
    performer_id: UserId | None = None
    fields: frozenset[str] = field(default_factory=frozenset)


@dataclass(slots=True)
class Task:
    name: str
    due_date: date
    creator_id: UserId
    created_at: datetime
    updated_at: datetime
    specification: str = ""
    status: TaskStatus = TaskStatus.NEW
    performer_id: UserId | None = None
    id: TaskId | None = None

    @classmethod
    def create(
        cls,
        *,
        name: str,
        due_date: date,
        creator_id: UserId,
        now: datetime,
        specification: str | None = None,
        performer_id: UserId | None = None,
    ) -> Task:
        return cls(
            name=validate_name(name),
            specification=validate_specification(specification),
            due_date=validate_due_date(due_date, now.date()),
            creator_id=creator_id,
            performer_id=performer_id,
            status=TaskStatus.NEW,
            created_at=now,
            updated_at=now,
        )

    @property
    def tid(self) -> TaskId:
        if self.id is None:
            msg = "the task has not been saved yet"
            raise RuntimeError(msg)
        return self.id

    @property
    def participant_ids(self) -> tuple[UserId, ...]:
        """Creator, then performer (once, even when they are the same person)."""
        ids = [self.creator_id]
        if self.performer_id is not None and self.performer_id != self.creator_id:
            ids.append(self.performer_id)
        return tuple(ids)

    def roles_of(self, user_id: UserId) -> frozenset[TaskRole]:
        roles = set()
        if user_id == self.creator_id:
            roles.add(TaskRole.CREATOR)
        if self.performer_id is not None and user_id == self.performer_id:
            roles.add(TaskRole.PERFORMER)
        return frozenset(roles)

    def editable_fields(self, user_id: UserId) -> frozenset[str]:
        """What ``user_id`` may change: everything for the creator, all but the performer
        for the performer, nothing for anyone else."""
        roles = self.roles_of(user_id)
        if TaskRole.CREATOR in roles:
            return CREATOR_FIELDS
        if TaskRole.PERFORMER in roles:
            return PERFORMER_FIELDS
        return frozenset()

    def forbidden_changes(self, user_id: UserId, changes: TaskChanges) -> frozenset[str]:
        """The fields of ``changes`` that ``user_id`` may not change. Sending the current
        performer again is no change of performer."""
        requested = set(changes.fields)
        if changes.performer_id == self.performer_id:
            requested.discard("performer_id")
        return frozenset(requested - self.editable_fields(user_id))

    def _values(self) -> tuple[object, ...]:
        return (self.name, self.specification, self.due_date, self.status, self.performer_id)

    def apply(self, changes: TaskChanges, now: datetime) -> bool:
        """Apply the values (permissions are checked by the caller with ``editable_fields``).

        Returns whether anything actually changed."""
        before = self._values()
        fields = changes.fields
        if "name" in fields:
            self.name = validate_name(_required(changes.name, "name", "The name cannot be empty."))
        if "specification" in fields:
            self.specification = validate_specification(changes.specification)
        if "due_date" in fields:
            due = _required(changes.due_date, "due_date", "A task needs a due date.")
            # An overdue task keeps its date through other changes; a new date cannot be in the past.
            self.due_date = due if due == self.due_date else validate_due_date(due, now.date())
        if "status" in fields:
            self.status = _required(changes.status, "status", "A task needs a status.")
        if "performer_id" in fields:
            self.performer_id = changes.performer_id
        changed = before != self._values()
        if changed:
            self.updated_at = now
        return changed


def _required(value: T | None, field: str, detail: str) -> T:
    if value is None:
        raise InvalidValue(field, detail)
    return value


@dataclass(slots=True)
class Comment:
    task_id: TaskId
    author_id: UserId
    text: str
    created_at: datetime
    id: int | None = None

    @classmethod
    def write(cls, *, task_id: TaskId, author_id: UserId, text: str, now: datetime) -> Comment:
        return cls(task_id=task_id, author_id=author_id, text=validate_comment(text), created_at=now)
