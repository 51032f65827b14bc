"""Task board use cases: create, list, read, change and comment on tasks.

Every change emails the task's creator and performer (each their own message, even the one
who made the change) through the outbox, in the transaction of the change: the change
commits whether or not mail can be delivered right now, and nothing is announced that was
rolled back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime

from application.errors import Forbidden, NotFound
from application.messages import Dispatch
from application.ports.clock import Clock
from application.ports.tasks import CommentView, TaskDetail, TaskFilter, TaskSummary, TaskUnitOfWork
from application.results import Page, PageRequest
from domain.errors import InvalidValue
from domain.shared import UserId
from domain.tasks import Comment, Participant, Task, TaskChanges, TaskId

UowFactory = Callable[[], TaskUnitOfWork]


class NotTaskParticipant(Forbidden):
    code = "not-task-participant"
    title = "Only the task's creator or performer may change it"


class PerformerChangeNotAllowed(Forbidden):
    code = "performer-change-not-allowed"
    title = "Only the task's creator may change its performer"


async def _active_performer(uow: TaskUnitOfWork, performer_id: UserId | None) -> None:
    if performer_id is None:
        return
    found = (await uow.tasks.participants([performer_id])).get(performer_id)
    if found is None or not found.is_active:
        raise InvalidValue("performer_id", f"No active user with id {performer_id}.")


class CreateTask:
    def __init__(self, uow: UowFactory, dispatch: Dispatch, clock: Clock) -> None:
        self._uow, self._dispatch, self._clock = uow, dispatch, clock

    async def __call__(
        self,
        *,
        creator_id: UserId,
        name: str,
        due_date: date,
        specification: str | None = None,
        performer_id: UserId | None = None,
    ) -> TaskDetail:
        now = self._clock.now()
        task = Task.create(
            name=name,
            due_date=due_date,
            creator_id=creator_id,
            now=now,
            specification=specification,
            performer_id=performer_id,
        )
        async with self._uow() as uow:
            await _active_performer(uow, performer_id)
            task = await uow.tasks.add(task)
            people = await uow.tasks.participants(task.participant_ids)
            notice = TaskNotice(task, people, actor_id=creator_id, what="created")
            await _queue(uow, self._dispatch, notice.messages(), now)
            await uow.commit()
        creator, performer = _person(people, task.creator_id), _maybe(people, task.performer_id)
        return TaskDetail(task=task, creator=creator, performer=performer, comments=())


class ListTasks:
    def __init__(self, uow: UowFactory) -> None:
        self._uow = uow

    async def __call__(self, *, filters: TaskFilter, page: PageRequest) -> Page[TaskSummary]:
        async with self._uow() as uow:
            return await uow.tasks.list(filters, page)


class GetTask:
    def __init__(self, uow: UowFactory) -> None:
        self._uow = uow

    async def __call__(self, *, task_id: TaskId) -> TaskDetail:
        async with self._uow() as uow:
            detail = await uow.tasks.detail(task_id)
        if detail is None:
            raise NotFound("task", task_id)
        return detail


def ensure_may_change(task: Task, actor_id: UserId, changes: TaskChanges) -> None:
    """Creator: anything. Performer: anything but the performer. Anyone else: nothing."""
    if not task.editable_fields(actor_id):
        raise NotTaskParticipant("Only the task's creator or performer may change it.")
    if task.forbidden_changes(actor_id, changes):
        raise PerformerChangeNotAllowed("Only the task's creator may change its performer.")


class UpdateTask:
    """Change a task. A change that changes nothing is answered but announced to nobody;
    when the performer changes, the previous performer is told as well."""

    def __init__(self, uow: UowFactory, dispatch: Dispatch, clock: Clock) -> None:
        self._uow, self._dispatch, self._clock = uow, dispatch, clock

    async def __call__(self, *, actor_id: UserId, task_id: TaskId, changes: TaskChanges) -> TaskDetail:
        now = self._clock.now()
        async with self._uow() as uow:
            task = await uow.tasks.get_for_update(task_id)
            if task is None:
                raise NotFound("task", task_id)
            ensure_may_change(task, actor_id, changes)
            previous_performer = task.performer_id
            if "performer_id" in changes.fields and changes.performer_id != previous_performer:
                await _active_performer(uow, changes.performer_id)
            if task.apply(changes, now):
                await uow.tasks.save(task)
                also = [previous_performer] if previous_performer not in {None, task.performer_id} else []
                ids = [*task.participant_ids, *also]
                people = await uow.tasks.participants([*ids, actor_id])
                notice = TaskNotice(task, people, actor_id=actor_id, what="updated", extra_recipients=also)
                await _queue(uow, self._dispatch, notice.messages(), now)
            detail = await uow.tasks.detail(task.tid)
            await uow.commit()
        if detail is None:  # pragma: no cover - we hold the row lock
            raise NotFound("task", task_id)
        return detail


class CommentOnTask:
    def __init__(self, uow: UowFactory, dispatch: Dispatch, clock: Clock) -> None:
        self._uow, self._dispatch, self._clock = uow, dispatch, clock

    async def __call__(self, *, author_id: UserId, task_id: TaskId, text: str) -> CommentView:
        now = self._clock.now()
        comment = Comment.write(task_id=task_id, author_id=author_id, text=text, now=now)
        async with self._uow() as uow:
            task = await uow.tasks.get(task_id)
            if task is None:
                raise NotFound("task", task_id)
            comment = await uow.tasks.add_comment(comment)
            people = await uow.tasks.participants([*task.participant_ids, author_id])
            notice = TaskNotice(task, people, actor_id=author_id, what="commented", comment=comment)
            await _queue(uow, self._dispatch, notice.messages(), now)
            await uow.commit()
        return CommentView(comment=comment, author=_person(people, author_id))


# --------------------------------------------------------------------------- notices


def _person(people: Mapping[UserId, Participant], user_id: UserId) -> Participant:
    found = people.get(user_id)
    if found is None:
        raise NotFound("user", user_id)
    return found


def _maybe(people: Mapping[UserId, Participant], user_id: UserId | None) -> Participant | None:
    return None if user_id is None else people.get(user_id)


async def _queue(
    uow: TaskUnitOfWork, dispatch: Dispatch, messages: Iterable[tuple[str, str, str]], now: datetime
) -> None:
    for to, subject, body in messages:
        await uow.outbox.add(dispatch.email(to, subject, body), now=now)


SUBJECTS = {
    "created": "Task created: {name}",
    "updated": "Task updated: {name}",
    "commented": "New comment on task: {name}",
}
LEADS = {
    "created": '{actor} created the task "{name}".',
    "updated": '{actor} changed the task "{name}".',
    "commented": '{actor} commented on the task "{name}".',
}


class TaskNotice:
    """The email each participant of a task receives about a change: the task's current
    details, who made the change, and the comment when there is one."""

    def __init__(
        self,
        task: Task,
        people: Mapping[UserId, Participant],
        *,
        actor_id: UserId,
        what: str,
        comment: Comment | None = None,
        extra_recipients: Iterable[UserId | None] = (),
    ) -> None:
        self.task, self.people, self.actor_id, self.what, self.comment = task, people, actor_id, what, comment
        self.extra = [user_id for user_id in extra_recipients if user_id is not None]

    def recipients(self) -> list[Participant]:
        ids = dict.fromkeys([*self.task.participant_ids, *self.extra])
        found = (self.people.get(user_id) for user_id in ids)
        return [person for person in found if person is not None and person.is_active]

    def subject(self) -> str:
        return SUBJECTS[self.what].format(name=self.task.name)

    def body(self, recipient: Participant) -> str:
        task = self.task
        actor = self.people.get(self.actor_id)
        performer = self.people.get(task.performer_id) if task.performer_id is not None else None
        creator = self.people.get(task.creator_id)
        lines = [
            f"Hello {recipient.username},",
            "",
            LEADS[self.what].format(actor=actor.username if actor else "Someone", name=task.name),
        ]
        if self.what == "updated" and recipient.id in self.extra:
            lines.append("You are no longer its performer.")
        if self.comment is not None:
            lines += ["", f"Comment by {actor.username if actor else 'someone'}:", self.comment.text]
        lines += [
            "",
            f"Task: {task.name} (#{task.id})",
            f"Status: {task.status.value}",
            f"Due date: {task.due_date.isoformat()}",
            f"Creator: {creator.username if creator else '-'}",
            f"Performer: {performer.username if performer else 'nobody yet'}",
            "Specification:",
            task.specification or "(none)",
            "",
            "-- ",
            "Athenaeum task board. You receive this because you created or perform this task.",
        ]
        return "\n".join(lines) + "\n"

    def messages(self) -> list[tuple[str, str, str]]:
        subject = self.subject()
        return [(person.email, subject, self.body(person)) for person in self.recipients()]
