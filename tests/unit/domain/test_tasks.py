"""Rules of the task board: values, who may change what, what counts as a change."""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidValue
from domain.shared import UserId
from domain.tasks import (
    COMMENT_MAX,
    CREATOR_FIELDS,
    NAME_MAX,
    PERFORMER_FIELDS,
    Comment,
    Task,
    TaskChanges,
    TaskId,
    TaskStatus,
    validate_comment,
    validate_name,
)

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
TODAY = NOW.date()
CREATOR, PERFORMER, OTHER = UserId(1), UserId(2), UserId(3)


def a_task(performer: UserId | None = PERFORMER, **overrides: object) -> Task:
    task = Task.create(name="Mend books", due_date=TODAY + timedelta(days=3), creator_id=CREATOR, now=NOW)
    task.performer_id = performer
    task.id = TaskId(7)
    for key, value in overrides.items():
        setattr(task, key, value)
    return task


def test_a_new_task_is_new_and_has_its_creator():
    task = Task.create(
        name="  Mend books ", due_date=TODAY, creator_id=CREATOR, now=NOW, specification=" glue \n", performer_id=OTHER
    )
    assert (task.name, task.specification, task.status) == ("Mend books", "glue", TaskStatus.NEW)
    assert (task.creator_id, task.performer_id, task.created_at, task.updated_at) == (CREATOR, OTHER, NOW, NOW)


def test_a_task_cannot_be_due_in_the_past():
    with pytest.raises(InvalidValue) as error:
        Task.create(name="Late", due_date=TODAY - timedelta(days=1), creator_id=CREATOR, now=NOW)
    assert error.value.field == "due_date"


def _printable(text: str, *, newlines: bool) -> bool:
    allowed = {"\n", "\r", "\t"} if newlines else set()
    return all(unicodedata.category(ch) != "Cc" or ch in allowed for ch in text)


@given(st.text(max_size=300))
def test_a_name_is_one_trimmed_line_of_1_to_255_printable_characters(raw: str):
    name = raw.strip()
    if name and len(name) <= NAME_MAX and _printable(name, newlines=False):
        assert validate_name(raw) == name
    else:
        with pytest.raises(InvalidValue) as error:
            validate_name(raw)
        assert error.value.field == "name"


@given(st.text(max_size=COMMENT_MAX + 50))
def test_a_comment_is_1_to_4000_characters_once_trimmed(raw: str):
    text = raw.strip()
    if text and len(text) <= COMMENT_MAX and _printable(text, newlines=True):
        assert validate_comment(raw) == text
    else:
        with pytest.raises(InvalidValue) as error:
            validate_comment(raw)
        assert error.value.field == "text"


def test_a_comment_is_written_by_its_author_now():
    comment = Comment.write(task_id=TaskId(7), author_id=OTHER, text=" hi ", now=NOW)
    assert (comment.text, comment.author_id, comment.created_at) == ("hi", OTHER, NOW)


# --------------------------------------------------------------------------- who may change what

ROLES = st.sampled_from(["creator", "performer", "other", "self-assigned creator", "creator of an unassigned task"])
FIELDS = st.frozensets(st.sampled_from(sorted(CREATOR_FIELDS)))


def cast(role: str) -> tuple[Task, UserId]:
    if role == "creator":
        return a_task(), CREATOR
    if role == "performer":
        return a_task(), PERFORMER
    if role == "other":
        return a_task(), OTHER
    if role == "self-assigned creator":
        return a_task(performer=CREATOR), CREATOR
    return a_task(performer=None), CREATOR


@given(role=ROLES, fields=FIELDS, new_performer=st.sampled_from([None, CREATOR, PERFORMER, OTHER]))
def test_the_creator_may_change_anything_the_performer_anything_but_the_performer_others_nothing(
    role: str, fields: frozenset[str], new_performer: UserId | None
):
    task, actor = cast(role)
    changes = TaskChanges(performer_id=new_performer, fields=fields)
    editable = task.editable_fields(actor)
    forbidden = task.forbidden_changes(actor, changes)

    if actor == CREATOR:
        assert editable == CREATOR_FIELDS
        assert forbidden == frozenset()
    elif actor == task.performer_id:
        assert editable == PERFORMER_FIELDS
        changes_performer = "performer_id" in fields and new_performer != task.performer_id
        assert forbidden == ({"performer_id"} if changes_performer else frozenset())
    else:
        assert editable == frozenset()
        assert forbidden == fields - ({"performer_id"} if new_performer == task.performer_id else set())


@given(
    name=st.sampled_from(["Mend books", "Mend old books"]),
    spec=st.sampled_from(["", "glue"]),
    due_in=st.integers(min_value=3, max_value=4),
    status=st.sampled_from(list(TaskStatus)),
    performer=st.sampled_from([None, PERFORMER, OTHER]),
    fields=FIELDS,
)
def test_apply_says_whether_anything_changed_and_stamps_only_real_changes(
    name: str, spec: str, due_in: int, status: TaskStatus, performer: UserId | None, fields: frozenset[str]
):
    task = a_task()
    before = (task.name, task.specification, task.due_date, task.status, task.performer_id)
    changes = TaskChanges(
        name=name,
        specification=spec,
        due_date=TODAY + timedelta(days=due_in),
        status=status,
        performer_id=performer,
        fields=fields,
    )
    later = NOW + timedelta(hours=1)
    changed = task.apply(changes, later)
    after = (task.name, task.specification, task.due_date, task.status, task.performer_id)
    assert changed == (before != after)
    assert task.updated_at == (later if changed else NOW)
    for index, key in enumerate(("name", "specification", "due_date", "status", "performer_id")):
        if key not in fields:
            assert after[index] == before[index], f"{key} was not asked to change"


def test_an_overdue_task_keeps_its_date_but_cannot_get_a_new_past_one():
    task = a_task()
    much_later = NOW + timedelta(days=30)
    assert task.apply(
        TaskChanges(status=TaskStatus.COMPLETED, due_date=task.due_date, fields=frozenset({"status", "due_date"})),
        much_later,
    )
    with pytest.raises(InvalidValue):
        task.apply(TaskChanges(due_date=task.due_date + timedelta(days=1), fields=frozenset({"due_date"})), much_later)


@pytest.mark.parametrize("field", ["name", "due_date", "status"])
def test_required_values_cannot_be_cleared(field: str):
    with pytest.raises(InvalidValue) as error:
        a_task().apply(TaskChanges(fields=frozenset({field})), NOW)
    assert error.value.field == field


def test_participants_are_the_creator_then_the_performer_once():
    assert a_task().participant_ids == (CREATOR, PERFORMER)
    assert a_task(performer=CREATOR).participant_ids == (CREATOR,)
    assert a_task(performer=None).participant_ids == (CREATOR,)


def test_due_dates_are_plain_dates():
    assert isinstance(a_task().due_date, date)
