"""The task board over HTTP: create, list, read, change, comment, and who may do what."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import event

from domain.tasks import DuplicateTaskName
from entrypoints.container import App
from tests.integration.fakes.mail_app import MutableClock
from tests.integration.support import Account, Api, assert_problem


def day(clock: MutableClock, days: int) -> str:
    return (clock.today() + timedelta(days=days)).isoformat()


async def create(api: Api, who: Account, **fields: Any) -> dict[str, Any]:
    response = await api.client.post("/api/tasks", json=fields, headers=who.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_a_created_task_is_new_belongs_to_its_creator_and_names_its_performer(api: Api, clock: MutableClock):
    ada, bob = await api.user("ada"), await api.user("bob")
    body = await create(
        api, ada, name="  Shelve the arrivals ", due_date=day(clock, 3), specification="Aisle 4", performer_id=bob.id
    )
    assert body["name"] == "Shelve the arrivals"
    assert body["status"] == "NEW"
    assert body["specification"] == "Aisle 4"
    assert body["due_date"] == day(clock, 3)
    assert body["creator"] == {"id": ada.id, "username": "ada", "avatar_url": None}
    assert body["performer"] == {"id": bob.id, "username": "bob", "avatar_url": None}
    assert body["comments"] == []
    assert "email" not in body["creator"], "other people's addresses are not shown"

    fetched = await api.client.get(f"/api/tasks/{body['id']}", headers=bob.headers)
    assert fetched.status_code == 200
    assert fetched.json() == body


async def test_a_task_without_performer_or_specification(api: Api, clock: MutableClock):
    ada = await api.user("ada")
    body = await create(api, ada, name="Dust", due_date=day(clock, 0))
    assert body["performer"] is None
    assert body["specification"] == ""


async def test_task_names_are_unique(api: Api, clock: MutableClock):
    ada, bob = await api.user("ada"), await api.user("bob")
    await create(api, ada, name="Inventory", due_date=day(clock, 1))
    response = await api.client.post(
        "/api/tasks", json={"name": " Inventory ", "due_date": day(clock, 2)}, headers=bob.headers
    )
    assert_problem(response, 409)
    other = await create(api, bob, name="Inventory 2", due_date=day(clock, 2))
    renamed = await api.client.patch(f"/api/tasks/{other['id']}", json={"name": "Inventory"}, headers=bob.headers)
    assert_problem(renamed, 409)


@pytest.mark.parametrize(
    ("fields", "status", "field"),
    [
        ({"performer_id": 999_999}, 422, "performer_id"),
        ({"due_date": "2000-01-01"}, 422, "due_date"),
        ({"name": "   "}, 422, "name"),
        ({"name": "two\nlines"}, 422, "name"),
        ({"name": "x" * 256}, 400, None),
        ({"specification": "x" * 10_001}, 400, None),
        ({"performer_id": 2**40}, 400, None),
        ({"performer_id": "abc"}, 400, None),
        ({"due_date": "tomorrow"}, 400, None),
        ({"due_date": "2026-02-30"}, 400, None),
        ({"status": "COMPLETED"}, 400, None),
        ({"owner": 1}, 400, None),
    ],
)
async def test_invalid_tasks_are_refused(api: Api, clock: MutableClock, fields, status, field):
    ada = await api.user("ada")
    body = {"name": "A task", "due_date": day(clock, 1)} | fields
    assert_problem(await api.client.post("/api/tasks", json=body, headers=ada.headers), status, field=field)


async def test_a_deactivated_user_cannot_be_the_performer(api: Api, clock: MutableClock):
    ada, bob = await api.user("ada"), await api.user("bob")
    admin = await api.user("root", admin=True)
    assert (await api.client.patch(f"/api/users/{bob.id}", json={"is_active": False}, headers=admin.headers)).is_success
    response = await api.client.post(
        "/api/tasks", json={"name": "T", "due_date": day(clock, 1), "performer_id": bob.id}, headers=ada.headers
    )
    assert_problem(response, 422, field="performer_id")


async def test_tasks_need_a_signed_in_user(api: Api, clock: MutableClock):
    assert_problem(await api.client.get("/api/tasks"), 401)
    assert_problem(await api.client.post("/api/tasks", json={"name": "T", "due_date": day(clock, 1)}), 401)
    assert_problem(await api.client.get("/api/tasks/1"), 401)
    assert_problem(await api.client.patch("/api/tasks/1", json={"status": "NEW"}), 401)
    assert_problem(await api.client.post("/api/tasks/1/comments", json={"text": "hi"}), 401)


async def test_unknown_tasks_are_404(api: Api):
    ada = await api.user("ada")
    for task_id in (12345, 2**31, 2**63 + 5):
        assert_problem(await api.client.get(f"/api/tasks/{task_id}", headers=ada.headers), 404)
        patched = await api.client.patch(f"/api/tasks/{task_id}", json={"status": "NEW"}, headers=ada.headers)
        assert_problem(patched, 404)
        commented = await api.client.post(f"/api/tasks/{task_id}/comments", json={"text": "x"}, headers=ada.headers)
        assert_problem(commented, 404)


# --------------------------------------------------------------------------- list


async def test_the_board_lists_newest_due_date_first_ten_per_page(api: Api, clock: MutableClock):
    ada = await api.user("ada")
    offsets = [5, 1, 9, 3, 3, 12, 0, 7, 2, 11, 4, 6]
    created = [await create(api, ada, name=f"task {i}", due_date=day(clock, d)) for i, d in enumerate(offsets)]

    page = (await api.client.get("/api/tasks", headers=ada.headers)).json()
    assert page["limit"] == 10
    assert page["offset"] == 0
    assert page["total"] == 12
    expected = sorted(created, key=lambda t: (t["due_date"], t["id"]), reverse=True)
    assert [t["id"] for t in page["items"]] == [t["id"] for t in expected[:10]]
    assert page["items"][0]["due_date"] == day(clock, 12)
    ties = [t["name"] for t in page["items"] if t["due_date"] == day(clock, 3)]
    assert ties == ["task 4", "task 3"], "ties: the newest task first"
    assert "comments" not in page["items"][0]

    rest = (await api.client.get("/api/tasks?offset=10", headers=ada.headers)).json()
    assert [t["id"] for t in rest["items"]] == [t["id"] for t in expected[10:]]
    bigger = (await api.client.get("/api/tasks?limit=100", headers=ada.headers)).json()
    assert len(bigger["items"]) == 12
    assert_problem(await api.client.get("/api/tasks?limit=101", headers=ada.headers), 400)
    assert_problem(await api.client.get("/api/tasks?limit=0", headers=ada.headers), 400)


async def test_search_matches_the_name_or_the_performers_username_and_status_filters(api: Api, clock: MutableClock):
    ada, bob, cyd = await api.user("ada"), await api.user("bobby_tables"), await api.user("cyd")
    repair = await create(api, ada, name="Repair the 100% spine", due_date=day(clock, 1), performer_id=cyd.id)
    catalog = await create(api, ada, name="Catalogue", due_date=day(clock, 2), performer_id=bob.id)
    await create(api, bob, name="Water plants", due_date=day(clock, 3))
    await api.client.patch(f"/api/tasks/{catalog['id']}", json={"status": "IN_WORK"}, headers=bob.headers)

    async def names(query: str) -> list[str]:
        response = await api.client.get(f"/api/tasks?{query}", headers=ada.headers)
        assert response.status_code == 200, response.text
        return [item["name"] for item in response.json()["items"]]

    assert await names("search=REPAIR") == ["Repair the 100% spine"]
    assert await names("search=bobby") == ["Catalogue"], "performer username, not creator"
    assert await names("search=100%25") == ["Repair the 100% spine"], "LIKE wildcards are literal"
    assert await names("search=_") == ["Catalogue"], "only bobby_tables has an _"
    assert await names("status=IN_WORK") == ["Catalogue"]
    assert await names("status=NEW") == ["Water plants", "Repair the 100% spine"]
    assert await names("status=NEW&search=cyd") == ["Repair the 100% spine"]
    assert await names("search=nothing-like-it") == []
    assert_problem(await api.client.get("/api/tasks?status=DONE", headers=ada.headers), 400)
    assert repair["performer"]["username"] == "cyd"


# --------------------------------------------------------------------------- detail and comments


async def test_comments_are_shown_newest_first_with_their_authors(api: Api, clock: MutableClock):
    ada, bob, cyd = await api.user("ada"), await api.user("bob"), await api.user("cyd")
    task = await create(api, ada, name="Read-along", due_date=day(clock, 2), performer_id=bob.id)
    for who, text in ((ada, "first"), (cyd, "second"), (bob, "third")):
        response = await api.client.post(f"/api/tasks/{task['id']}/comments", json={"text": text}, headers=who.headers)
        assert response.status_code == 201, response.text
        clock.advance(seconds=1)
    created = response.json()
    assert created["text"] == "third"
    assert created["task_id"] == task["id"]
    assert created["author"] == {"id": bob.id, "username": "bob", "avatar_url": None}

    detail = (await api.client.get(f"/api/tasks/{task['id']}", headers=cyd.headers)).json()
    assert [(c["text"], c["author"]["username"]) for c in detail["comments"]] == [
        ("third", "bob"),
        ("second", "cyd"),
        ("first", "ada"),
    ]


@pytest.mark.parametrize(
    ("text", "status"), [("", 400), ("   \n ", 422), ("x" * 4001, 400), ("x" * 4000, 201), (" trimmed ", 201)]
)
async def test_comment_length(api: Api, clock: MutableClock, text: str, status: int):
    ada = await api.user("ada")
    task = await create(api, ada, name="T", due_date=day(clock, 1))
    response = await api.client.post(f"/api/tasks/{task['id']}/comments", json={"text": text}, headers=ada.headers)
    assert response.status_code == status, response.text
    if status == 201:
        assert response.json()["text"] == text.strip()


async def test_the_detail_takes_the_same_number_of_queries_however_many_comments(
    api: Api, container: App, clock: MutableClock
):
    ada, bob = await api.user("ada"), await api.user("bob")
    task = await create(api, ada, name="Chatty", due_date=day(clock, 1), performer_id=bob.id)
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    engine = container.gateways.engine().sync_engine

    async def selects_for_detail() -> int:
        statements.clear()
        event.listen(engine, "before_cursor_execute", record)
        try:
            assert (await api.client.get(f"/api/tasks/{task['id']}", headers=ada.headers)).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", record)
        return len(statements)

    with_one = None
    for i in range(12):
        author = ada if i % 2 else bob
        await api.client.post(f"/api/tasks/{task['id']}/comments", json={"text": f"c{i}"}, headers=author.headers)
        if i == 0:
            with_one = await selects_for_detail()
    assert with_one is not None
    assert await selects_for_detail() == with_one
    assert with_one <= 3, "the caller, the task with its people, the comments with their authors"


# --------------------------------------------------------------------------- who may change what

ROLES = ("creator", "performer", "other")


async def board(api: Api, clock: MutableClock) -> tuple[dict[str, Account], dict[str, Any]]:
    people = {"creator": await api.user("cora"), "performer": await api.user("pete"), "other": await api.user("otto")}
    task = await create(
        api, people["creator"], name="Mend books", due_date=day(clock, 5), performer_id=people["performer"].id
    )
    return people, task


@pytest.mark.parametrize(
    ("role", "change", "allowed"),
    [
        ("creator", {"status": "IN_WORK"}, True),
        ("performer", {"status": "IN_WORK"}, True),
        ("other", {"status": "IN_WORK"}, False),
        ("creator", {"name": "Mend old books", "specification": "Glue", "due_date": "+9"}, True),
        ("performer", {"name": "Mend old books", "specification": "Glue", "due_date": "+9"}, True),
        ("other", {"specification": "Glue"}, False),
        ("creator", {"performer_id": "other"}, True),
        ("creator", {"performer_id": None}, True),
        ("performer", {"performer_id": "other"}, False),
        ("performer", {"performer_id": None}, False),
        ("performer", {"performer_id": "performer", "status": "COMPLETED"}, True),
        ("other", {"performer_id": "other"}, False),
        ("other", {}, False),
        ("performer", {}, True),
    ],
)
async def test_who_may_change_a_task(api: Api, clock: MutableClock, role: str, change: dict[str, Any], allowed: bool):
    people, task = await board(api, clock)
    body = dict(change)
    if "performer_id" in body and body["performer_id"] is not None:
        body["performer_id"] = people[body["performer_id"]].id
    if "due_date" in body:
        body["due_date"] = day(clock, int(body["due_date"]))
    response = await api.client.patch(f"/api/tasks/{task['id']}", json=body, headers=people[role].headers)
    after = (await api.client.get(f"/api/tasks/{task['id']}", headers=people["other"].headers)).json()
    if not allowed:
        assert_problem(response, 403)
        assert after == task, "a refused change changes nothing"
        return
    assert response.status_code == 200, response.text
    assert response.json() == after
    for key, value in body.items():
        if key == "performer_id":
            assert (after["performer"] or {}).get("id") == value
        else:
            assert after[key] == value


async def test_every_user_may_read_and_comment_on_every_task(api: Api, clock: MutableClock):
    people, task = await board(api, clock)
    for role in ROLES:
        who = people[role]
        assert (await api.client.get(f"/api/tasks/{task['id']}", headers=who.headers)).status_code == 200
        listed = (await api.client.get("/api/tasks", headers=who.headers)).json()
        assert [item["id"] for item in listed["items"]] == [task["id"]]
        comment = await api.client.post(f"/api/tasks/{task['id']}/comments", json={"text": role}, headers=who.headers)
        assert comment.status_code == 201


async def test_a_new_performer_gains_the_performers_rights_and_the_old_one_loses_them(api: Api, clock: MutableClock):
    people, task = await board(api, clock)
    creator, old, new = people["creator"], people["performer"], people["other"]
    moved = await api.client.patch(f"/api/tasks/{task['id']}", json={"performer_id": new.id}, headers=creator.headers)
    assert moved.json()["performer"]["id"] == new.id
    assert_problem(await api.client.patch(f"/api/tasks/{task['id']}", json={"status": "NEW"}, headers=old.headers), 403)
    done = await api.client.patch(f"/api/tasks/{task['id']}", json={"status": "COMPLETED"}, headers=new.headers)
    assert done.json()["status"] == "COMPLETED"
    reopened = await api.client.patch(f"/api/tasks/{task['id']}", json={"status": "NEW"}, headers=creator.headers)
    assert reopened.json()["status"] == "NEW", "a task can be reopened"


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"name": None}, 400, "name"),
        ({"name": ""}, 400, None),
        ({"due_date": None}, 400, "due_date"),
        ({"due_date": "2000-01-01"}, 422, "due_date"),
        ({"status": None}, 400, "status"),
        ({"status": "DONE"}, 400, None),
        ({"performer_id": 999_999}, 422, "performer_id"),
        ({"creator_id": 1}, 400, None),
    ],
)
async def test_invalid_changes_are_refused(api: Api, clock: MutableClock, change, status, field):
    people, task = await board(api, clock)
    response = await api.client.patch(f"/api/tasks/{task['id']}", json=change, headers=people["creator"].headers)
    assert_problem(response, status, field=field)


async def test_an_overdue_task_keeps_its_date_through_other_changes(api: Api, clock: MutableClock):
    people, task = await board(api, clock)
    clock.advance(days=10)  # the task (due in 5 days) is now overdue
    response = await api.client.patch(
        f"/api/tasks/{task['id']}",
        json={"status": "COMPLETED", "due_date": task["due_date"]},
        headers=people["performer"].headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["due_date"] == task["due_date"]
    assert date.fromisoformat(response.json()["due_date"]) < clock.today()


async def test_the_openapi_document_describes_the_board(api: Api):
    document = (await api.client.get("/schema/openapi.json")).json()
    operations = {
        op["operationId"]: op for path in document["paths"].values() for op in path.values() if isinstance(op, dict)
    }
    for name in ("CreateTask", "ListTasks", "GetTask", "UpdateTask", "CommentOnTask"):
        assert operations[name]["tags"] == ["Tasks"]
        assert operations[name]["security"] == [{"BearerAuth": []}]
        assert operations[name]["summary"]
    limit = next(p for p in operations["ListTasks"]["parameters"] if p["name"] == "limit")
    assert limit["schema"]["default"] == 10
    for name in ("RequestEmailChange", "ConfirmEmailChange"):
        assert operations[name]["description"]


async def test_racing_creations_of_one_name_give_one_task(api: Api, container: App, clock: MutableClock):
    ada = await api.user("ada")
    create_task = container.tasks.create_task()
    results = await asyncio.gather(
        *(create_task(creator_id=ada.id, name="Race", due_date=clock.today()) for _ in range(5)),
        return_exceptions=True,
    )
    assert sum(not isinstance(r, BaseException) for r in results) == 1
    assert all(isinstance(r, DuplicateTaskName) for r in results if isinstance(r, BaseException)), results
    listed = (await api.client.get("/api/tasks", headers=ada.headers)).json()
    assert [item["name"] for item in listed["items"]] == ["Race"]
