"""``/api/tasks``: the task board and its comments."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED

from application.ports.tasks import TaskFilter
from application.results import PageRequest
from application.use_cases.identity import Principal
from application.use_cases.tasks import CommentOnTask, CreateTask, GetTask, ListTasks, UpdateTask
from domain.shared import UserId
from domain.tasks import TaskChanges, TaskId, TaskStatus
from entrypoints.http.deps import small_page_request, use_case
from entrypoints.http.schemas.common import NO_NUL, PageResponse, set_fields, value
from entrypoints.http.schemas.tasks import (
    CommentCreate,
    CommentResponse,
    TaskCreate,
    TaskDetailResponse,
    TaskPatch,
    TaskResponse,
)

EMAILED = (
    "The task's creator and performer are each emailed the task's current details (even the one who made "
    "the change). Mail is queued in the same transaction and sent by the `send_outbox` job, never inside "
    "the request: the change stands even when mail is down."
)


class TasksController(Controller):
    path = "/api/tasks"
    tags = ["Tasks"]
    security = [{"BearerAuth": []}]
    dependencies = {
        "create_task": use_case(lambda c: c.tasks.create_task),
        "list_tasks": use_case(lambda c: c.tasks.list_tasks),
        "get_task": use_case(lambda c: c.tasks.get_task),
        "update_task": use_case(lambda c: c.tasks.update_task),
        "comment_on_task": use_case(lambda c: c.tasks.comment_on_task),
    }

    @post(
        status_code=HTTP_201_CREATED,
        operation_id="CreateTask",
        summary="Create a task",
        description=(
            "You become its creator; the status is `NEW`. The name (1-255 characters, one line, surrounding "
            "spaces ignored) is unique → 409. `due_date` cannot be in the past → 422. `performer_id` must be "
            "an active user → 422 (field `performer_id`). " + EMAILED
        ),
    )
    async def create(
        self,
        data: JSONBody[TaskCreate],
        principal: NamedDependency[Principal],
        create_task: NamedDependency[CreateTask],
    ) -> TaskDetailResponse:
        detail = await create_task(
            creator_id=principal.user_id,
            name=data.name,
            due_date=data.due_date,
            specification=data.specification,
            performer_id=UserId(data.performer_id) if data.performer_id is not None else None,
        )
        return TaskDetailResponse.of_detail(detail)

    @get(
        operation_id="ListTasks",
        summary="The task board",
        description=(
            "Every user sees every task. Newest `due_date` first (ties: newest task first); 10 per page by "
            "default. `search` matches the task name or the performer's username (case-insensitive); "
            "`status` filters."
        ),
        dependencies={"page": Provide(small_page_request, sync_to_thread=False)},
    )
    async def list_(
        self,
        principal: NamedDependency[Principal],
        list_tasks: NamedDependency[ListTasks],
        page: NamedDependency[PageRequest],
        search: Annotated[str | None, QueryParameter(max_length=255, pattern=NO_NUL)] = None,
        status: FromQuery[TaskStatus | None] = None,
    ) -> PageResponse[TaskResponse]:
        result = await list_tasks(filters=TaskFilter(search=search or None, status=status), page=page)
        return PageResponse.of(result, TaskResponse.of)

    @get(
        "/{task_id:int}",
        operation_id="GetTask",
        summary="One task with its people and comments",
        description="`creator`, `performer` (or null) and `comments`, newest first, each with its author.",
    )
    async def get_(
        self, task_id: FromPath[int], principal: NamedDependency[Principal], get_task: NamedDependency[GetTask]
    ) -> TaskDetailResponse:
        return TaskDetailResponse.of_detail(await get_task(task_id=TaskId(task_id)))

    @patch(
        "/{task_id:int}",
        operation_id="UpdateTask",
        summary="Change a task (creator or performer)",
        description=(
            "Send only what changes: `name`, `specification`, `due_date`, `status` (`NEW`, `IN_WORK`, "
            "`COMPLETED`, in any order), `performer_id`. The creator may change everything; the performer "
            "everything but `performer_id` (403); anyone else nothing (403: tasks are visible to all, so "
            "this is not a 404). A new due date cannot be in the past (422); a taken name → 409. "
            + EMAILED
            + " A change that changes nothing is announced to nobody; a replaced performer is told too."
        ),
    )
    async def update(
        self,
        task_id: FromPath[int],
        data: JSONBody[TaskPatch],
        principal: NamedDependency[Principal],
        update_task: NamedDependency[UpdateTask],
    ) -> TaskDetailResponse:
        performer = value(data.performer_id)
        changes = TaskChanges(
            name=value(data.name),
            specification=value(data.specification),
            due_date=value(data.due_date),
            status=value(data.status),
            performer_id=UserId(performer) if performer is not None else None,
            fields=set_fields(data),
        )
        detail = await update_task(actor_id=principal.user_id, task_id=TaskId(task_id), changes=changes)
        return TaskDetailResponse.of_detail(detail)

    @post(
        "/{task_id:int}/comments",
        status_code=HTTP_201_CREATED,
        operation_id="CommentOnTask",
        summary="Comment on a task (any user)",
        description="`text`: 1-4000 characters (surrounding whitespace ignored). " + EMAILED,
    )
    async def comment(
        self,
        task_id: FromPath[int],
        data: JSONBody[CommentCreate],
        principal: NamedDependency[Principal],
        comment_on_task: NamedDependency[CommentOnTask],
    ) -> CommentResponse:
        view = await comment_on_task(author_id=principal.user_id, task_id=TaskId(task_id), text=data.text)
        return CommentResponse.of(view)
