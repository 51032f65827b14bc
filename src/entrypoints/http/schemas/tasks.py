"""Task board request and response bodies."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import msgspec

from application.ports.tasks import CommentView, TaskDetail, TaskSummary
from domain.tasks import COMMENT_MAX, NAME_MAX, SPECIFICATION_MAX, Participant, Task, TaskStatus
from entrypoints.http.schemas.common import MAX_ID

TaskName = Annotated[str, msgspec.Meta(min_length=1, max_length=NAME_MAX, examples=["Shelve the new arrivals"])]
Specification = Annotated[str, msgspec.Meta(max_length=SPECIFICATION_MAX)]
CommentText = Annotated[str, msgspec.Meta(min_length=1, max_length=COMMENT_MAX)]
UserRef = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID, description="A user's id.")]


class TaskCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: TaskName
    due_date: date
    specification: Specification | None = None
    performer_id: UserRef | None = None


class TaskPatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """PATCH: send only what changes. ``performer_id: null`` leaves the task without a performer."""

    name: TaskName | msgspec.UnsetType = msgspec.UNSET
    specification: Specification | msgspec.UnsetType | None = msgspec.UNSET
    due_date: date | msgspec.UnsetType = msgspec.UNSET
    status: TaskStatus | msgspec.UnsetType = msgspec.UNSET
    performer_id: UserRef | msgspec.UnsetType | None = msgspec.UNSET


class CommentCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    text: CommentText


class UserSummary(msgspec.Struct, kw_only=True):
    id: int
    username: str
    avatar_url: str | None

    @classmethod
    def of(cls, person: Participant) -> UserSummary:
        return cls(id=person.id, username=person.username, avatar_url=person.avatar_url)


class CommentResponse(msgspec.Struct, kw_only=True):
    id: int
    task_id: int
    text: str
    created_at: datetime
    author: UserSummary

    @classmethod
    def of(cls, view: CommentView) -> CommentResponse:
        comment = view.comment
        return cls(
            id=comment.id or 0,
            task_id=comment.task_id,
            text=comment.text,
            created_at=comment.created_at,
            author=UserSummary.of(view.author),
        )


class TaskResponse(msgspec.Struct, kw_only=True):
    id: int
    name: str
    specification: str
    due_date: date
    status: TaskStatus
    creator: UserSummary
    performer: UserSummary | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def _fields(task: Task, creator: Participant, performer: Participant | None) -> dict[str, object]:
        return {
            "id": task.tid,
            "name": task.name,
            "specification": task.specification,
            "due_date": task.due_date,
            "status": task.status,
            "creator": UserSummary.of(creator),
            "performer": UserSummary.of(performer) if performer else None,
            "created_at": task.created_at,
            "updated_at": task.updated_at,
        }

    @classmethod
    def of(cls, summary: TaskSummary) -> TaskResponse:
        return cls(**cls._fields(summary.task, summary.creator, summary.performer))  # type: ignore[arg-type]


class TaskDetailResponse(TaskResponse, kw_only=True):
    """A task with its comments, newest first."""

    comments: list[CommentResponse]

    @classmethod
    def of_detail(cls, detail: TaskDetail) -> TaskDetailResponse:
        return cls(
            **cls._fields(detail.task, detail.creator, detail.performer),  # type: ignore[arg-type]
            comments=[CommentResponse.of(view) for view in detail.comments],
        )
