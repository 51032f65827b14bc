"""Task use cases with in-memory fakes: permissions, notices, all-or-nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from application.errors import Forbidden, NotFound
from application.messages import Dispatch
from application.ports.tasks import TaskFilter
from application.results import PageRequest
from application.use_cases.tasks import (
    CommentOnTask,
    CreateTask,
    GetTask,
    ListTasks,
    NotTaskParticipant,
    PerformerChangeNotAllowed,
    UpdateTask,
)
from domain.delivery import RetryPolicy
from domain.errors import InvalidValue
from domain.shared import UserId
from domain.tasks import CREATOR_FIELDS, DuplicateTaskName, TaskChanges, TaskId, TaskStatus
from tests.unit.application.task_fakes import FakeUnitOfWork, FixedClock, Store

DISPATCH = Dispatch(email_retry=RetryPolicy(retries=3, delay=timedelta(seconds=300)))
ADA, BOB, CYD, GONE = UserId(1), UserId(2), UserId(3), UserId(4)


def world() -> tuple[Store, FixedClock]:
    store = Store()
    store.person(ADA, "ada")
    store.person(BOB, "bob")
    store.person(CYD, "cyd")
    store.person(GONE, "gone", active=False)
    return store, FixedClock()


def use_cases(store: Store, clock: FixedClock) -> dict[str, object]:
    def uow() -> FakeUnitOfWork:
        return FakeUnitOfWork(store)

    return {
        "create": CreateTask(uow, DISPATCH, clock),
        "update": UpdateTask(uow, DISPATCH, clock),
        "comment": CommentOnTask(uow, DISPATCH, clock),
        "get": GetTask(uow),
        "list": ListTasks(uow),
    }


async def created(store: Store, clock: FixedClock, performer: UserId | None = BOB, name: str = "Mend books") -> TaskId:
    detail = await use_cases(store, clock)["create"](  # type: ignore[operator]
        creator_id=ADA, name=name, due_date=clock.today() + timedelta(days=2), performer_id=performer
    )
    return detail.task.tid  # type: ignore[no-any-return]


async def test_creating_queues_one_email_per_participant_in_the_same_commit():
    store, clock = world()
    await created(store, clock)
    assert store.commits == 1
    assert [(to, subject) for to, subject, _ in store.emails()] == [
        ("ada@example.org", "Task created: Mend books"),
        ("bob@example.org", "Task created: Mend books"),
    ]
    assert all(message.retry == DISPATCH.email_retry for message in store.outbox)


@pytest.mark.parametrize("performer", [UserId(99), GONE])
async def test_the_performer_must_be_an_active_user(performer: UserId):
    store, clock = world()
    with pytest.raises(InvalidValue) as error:
        await created(store, clock, performer=performer)
    assert error.value.field == "performer_id"
    assert (store.tasks, store.outbox, store.commits) == ({}, [], 0)


async def test_a_duplicate_name_leaves_nothing_behind():
    store, clock = world()
    await created(store, clock)
    with pytest.raises(DuplicateTaskName):
        await created(store, clock, performer=CYD)
    assert len(store.tasks) == 1
    assert len(store.outbox) == 2, "only the first task's notices"


async def test_missing_tasks_are_not_found():
    store, clock = world()
    cases = use_cases(store, clock)
    with pytest.raises(NotFound):
        await cases["get"](task_id=TaskId(5))  # type: ignore[operator]
    with pytest.raises(NotFound):
        await cases["update"](actor_id=ADA, task_id=TaskId(5), changes=TaskChanges())  # type: ignore[operator]
    with pytest.raises(NotFound):
        await cases["comment"](author_id=ADA, task_id=TaskId(5), text="hi")  # type: ignore[operator]


ACTORS = st.sampled_from([ADA, BOB, CYD])
CHANGE_FIELDS = st.frozensets(st.sampled_from(sorted(CREATOR_FIELDS)))


@given(
    actor=ACTORS,
    fields=CHANGE_FIELDS,
    performer=st.sampled_from([None, BOB, CYD]),
    status=st.sampled_from(list(TaskStatus)),
)
async def test_who_may_change_what_and_who_hears_of_it(
    actor: UserId, fields: frozenset[str], performer: UserId | None, status: TaskStatus
):
    store, clock = world()
    task_id = await created(store, clock)  # ada created it, bob performs it
    store.outbox.clear()
    before = store.tasks[task_id]
    commits = store.commits
    changes = TaskChanges(
        name="Mend old books",
        specification="glue",
        due_date=clock.today() + timedelta(days=5),
        status=status,
        performer_id=performer,
        fields=fields,
    )
    clock.advance(minutes=5)

    update = use_cases(store, clock)["update"]
    refusal: type[Forbidden] | None = None
    if actor == CYD:
        refusal = NotTaskParticipant
    elif actor == BOB and "performer_id" in fields and performer != BOB:
        refusal = PerformerChangeNotAllowed
    if refusal is not None:
        with pytest.raises(refusal):
            await update(actor_id=actor, task_id=task_id, changes=changes)  # type: ignore[operator]
        assert store.tasks[task_id] == before
        assert store.outbox == []
        assert store.commits == commits
        return

    detail = await update(actor_id=actor, task_id=task_id, changes=changes)  # type: ignore[operator]
    task = store.tasks[task_id]
    assert detail.task == task
    if task == before:
        assert store.outbox == [], "nothing changed, nobody is told"
        return
    expected = {"ada@example.org"}
    if task.performer_id is not None:
        expected.add(f"{store.people[task.performer_id].username}@example.org")
    if task.performer_id != BOB:
        expected.add("bob@example.org")  # the replaced performer
    assert sorted(to for to, _, _ in store.emails()) == sorted(expected)
    assert all(subject == f"Task updated: {task.name}" for _, subject, _ in store.emails())
    assert all(f"Status: {task.status.value}\n" in body for _, _, body in store.emails())


async def test_any_user_may_comment_and_the_participants_are_told():
    store, clock = world()
    task_id = await created(store, clock)
    store.outbox.clear()
    view = await use_cases(store, clock)["comment"](author_id=CYD, task_id=task_id, text="  Count me in ")  # type: ignore[operator]
    assert (view.comment.text, view.author.username) == ("Count me in", "cyd")
    assert [to for to, _, _ in store.emails()] == ["ada@example.org", "bob@example.org"]
    assert all("Comment by cyd:\nCount me in\n" in body for _, _, body in store.emails())


async def test_an_inactive_participant_is_not_emailed():
    store, clock = world()
    task_id = await created(store, clock)
    store.person(BOB, "bob", active=False)
    store.outbox.clear()
    await use_cases(store, clock)["comment"](author_id=ADA, task_id=task_id, text="hello")  # type: ignore[operator]
    assert [to for to, _, _ in store.emails()] == ["ada@example.org"]


async def test_the_board_is_sorted_by_due_date_then_newest_and_searchable():
    store, clock = world()
    cases = use_cases(store, clock)
    for name, days, performer in (("a", 1, BOB), ("b", 3, CYD), ("c", 3, None), ("d", 2, BOB)):
        await cases["create"](  # type: ignore[operator]
            creator_id=ADA, name=name, due_date=clock.today() + timedelta(days=days), performer_id=performer
        )
    page = await cases["list"](filters=TaskFilter(), page=PageRequest(limit=10))  # type: ignore[operator]
    assert [s.task.name for s in page.items] == ["c", "b", "d", "a"]
    by_performer = await cases["list"](filters=TaskFilter(search="BO"), page=PageRequest(limit=10))  # type: ignore[operator]
    assert [s.task.name for s in by_performer.items] == ["d", "a"]
