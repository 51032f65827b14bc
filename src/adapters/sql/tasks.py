"""SQL repository of the task board."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import ColumnElement, Select, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import FromClause

from adapters.sql.common import constraint_of, paged
from adapters.sql.tables import comments, tasks, users
from application.ports.tasks import CommentView, TaskDetail, TaskFilter, TaskSummary
from application.results import Page, PageRequest
from domain.errors import Conflict
from domain.shared import UserId
from domain.tasks import Comment, DuplicateTaskName, Participant, Task, TaskId, TaskStatus

_PERSON = ("id", "username", "email", "avatar_url", "is_active")
_MAX_ID = 2**31 - 1  # ids are INTEGER columns: a bigger one names nothing (and must not reach the driver)


def _valid_id(ident: int) -> bool:
    return 1 <= ident <= _MAX_ID


creator_user = users.alias("creator_user")
performer_user = users.alias("performer_user")
author_user = users.alias("author_user")


def _person_columns(alias: FromClause, prefix: str) -> list[ColumnElement[Any]]:
    return [alias.c[name].label(f"{prefix}__{name}") for name in _PERSON]


def _person(row: Any, prefix: str) -> Participant | None:
    ident = getattr(row, f"{prefix}__id")
    if ident is None:
        return None
    return Participant(
        id=UserId(ident),
        username=getattr(row, f"{prefix}__username"),
        email=getattr(row, f"{prefix}__email"),
        avatar_url=getattr(row, f"{prefix}__avatar_url"),
        is_active=getattr(row, f"{prefix}__is_active"),
    )


def task_from_row(row: Any) -> Task:
    return Task(
        id=TaskId(row.id),
        name=row.name,
        specification=row.specification,
        due_date=row.due_date,
        status=TaskStatus(row.status),
        creator_id=UserId(row.creator_id),
        performer_id=UserId(row.performer_id) if row.performer_id is not None else None,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _summary(row: Any) -> TaskSummary:
    creator = _person(row, "creator")
    if creator is None:  # pragma: no cover - creator_id is NOT NULL with a foreign key
        msg = f"task {row.id} has no creator"
        raise LookupError(msg)
    return TaskSummary(task=task_from_row(row), creator=creator, performer=_person(row, "performer"))


def _task_values(task: Task) -> dict[str, Any]:
    return {
        "name": task.name,
        "specification": task.specification,
        "due_date": task.due_date,
        "status": task.status.value,
        "creator_id": task.creator_id,
        "performer_id": task.performer_id,
        "created_at": task.created_at,
        "updated_at": task.updated_at,
    }


def _refused(exc: IntegrityError) -> Conflict:
    which = constraint_of(exc)
    if "uq_tasks_name" in which or "tasks.name" in which:
        return DuplicateTaskName("A task with this name already exists.", field="name")
    return Conflict("A user this task refers to no longer exists.")


def _with_people() -> Select[Any]:
    return (
        select(tasks, *_person_columns(creator_user, "creator"), *_person_columns(performer_user, "performer"))
        .join(creator_user, creator_user.c.id == tasks.c.creator_id)
        .outerjoin(performer_user, performer_user.c.id == tasks.c.performer_id)
    )


class SqlTaskRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, task: Task) -> Task:
        try:
            async with self._conn.begin_nested():
                new_id = await self._conn.scalar(insert(tasks).values(**_task_values(task)).returning(tasks.c.id))
        except IntegrityError as exc:
            raise _refused(exc) from exc
        task.id = TaskId(int(new_id))
        return task

    async def get(self, task_id: TaskId) -> Task | None:
        if not _valid_id(task_id):
            return None
        row = (await self._conn.execute(select(tasks).where(tasks.c.id == task_id))).first()
        return task_from_row(row) if row else None

    async def get_for_update(self, task_id: TaskId) -> Task | None:
        if not _valid_id(task_id):
            return None
        row = (await self._conn.execute(select(tasks).where(tasks.c.id == task_id).with_for_update())).first()
        return task_from_row(row) if row else None

    async def save(self, task: Task) -> None:
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(update(tasks).where(tasks.c.id == task.tid).values(**_task_values(task)))
        except IntegrityError as exc:
            raise _refused(exc) from exc

    async def add_comment(self, comment: Comment) -> Comment:
        new_id = await self._conn.scalar(
            insert(comments)
            .values(
                task_id=comment.task_id,
                author_id=comment.author_id,
                text=comment.text,
                created_at=comment.created_at,
            )
            .returning(comments.c.id)
        )
        comment.id = int(new_id)
        return comment

    async def detail(self, task_id: TaskId) -> TaskDetail | None:
        if not _valid_id(task_id):
            return None
        row = (await self._conn.execute(_with_people().where(tasks.c.id == task_id))).first()
        if row is None:
            return None
        summary = _summary(row)
        comment_rows = (
            await self._conn.execute(
                select(comments, *_person_columns(author_user, "author"))
                .join(author_user, author_user.c.id == comments.c.author_id)
                .where(comments.c.task_id == task_id)
                .order_by(comments.c.created_at.desc(), comments.c.id.desc())
            )
        ).all()
        views = []
        for item in comment_rows:
            author = _person(item, "author")
            if author is None:  # pragma: no cover - author_id is NOT NULL with a foreign key
                continue
            comment = Comment(
                id=item.id,
                task_id=TaskId(item.task_id),
                author_id=UserId(item.author_id),
                text=item.text,
                created_at=item.created_at,
            )
            views.append(CommentView(comment=comment, author=author))
        return TaskDetail(task=summary.task, creator=summary.creator, performer=summary.performer, comments=views)

    async def list(self, filters: TaskFilter, page: PageRequest) -> Page[TaskSummary]:
        query = _with_people().order_by(tasks.c.due_date.desc(), tasks.c.id.desc())
        if filters.search:
            query = query.where(
                or_(
                    tasks.c.name.icontains(filters.search, autoescape=True),
                    performer_user.c.username.icontains(filters.search, autoescape=True),
                )
            )
        if filters.status is not None:
            query = query.where(tasks.c.status == filters.status.value)
        return await paged(self._conn, query, page, _summary)

    async def participants(self, user_ids: Iterable[UserId]) -> Mapping[UserId, Participant]:
        wanted = sorted({ident for ident in user_ids if _valid_id(ident)})
        if not wanted:
            return {}
        rows = (await self._conn.execute(select(*_person_columns(users, "user")).where(users.c.id.in_(wanted)))).all()
        found = (_person(row, "user") for row in rows)
        return {person.id: person for person in found if person is not None}
