"""Focus categories over HTTP: your own, unique names, colors, 404 for anyone else's."""

from __future__ import annotations

import pytest

from tests.integration.focus.support import category, sessions, started
from tests.integration.support import Account, Api, assert_problem


async def test_a_category_is_created_with_its_color_in_lower_case(api: Api, ada: Account) -> None:
    created = await category(api, ada, name="  Deep work ", color="#3B82F6")
    assert created == {"id": created["id"], "name": "Deep work", "color": "#3b82f6"}


async def test_you_list_only_your_own_categories_by_name(api: Api, ada: Account, bob: Account) -> None:
    await category(api, ada, name="Writing")
    await category(api, ada, name="Reading")
    await category(api, bob, name="Bob's")
    response = await api.client.get("/api/focus/categories", headers=ada.headers)
    assert response.status_code == 200
    body = response.json()
    assert [item["name"] for item in body["items"]] == ["Reading", "Writing"]
    assert (body["total"], body["limit"], body["offset"]) == (2, 20, 0)
    page = (await api.client.get("/api/focus/categories", params={"limit": 1, "offset": 1}, headers=ada.headers)).json()
    assert ([item["name"] for item in page["items"]], page["total"]) == (["Writing"], 2)


async def test_a_name_is_unique_per_user_not_across_users(api: Api, ada: Account, bob: Account) -> None:
    await category(api, ada, name="Study")
    again = await api.client.post(
        "/api/focus/categories", json={"name": "Study", "color": "#000000"}, headers=ada.headers
    )
    assert_problem(again, 409)
    await category(api, bob, name="Study")
    await category(api, ada, name="study")  # names are case-sensitive


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"name": "Work", "color": "blue"}, 422, "color"),
        ({"name": "Work", "color": "#12345"}, 422, "color"),
        ({"name": "Work", "color": "#12345g"}, 422, "color"),
        ({"name": "   ", "color": "#123456"}, 422, "name"),
        ({"name": "x" * 65, "color": "#123456"}, 422, "name"),
        ({"name": "two\nlines", "color": "#123456"}, 422, "name"),
        ({"name": "nul\u0000", "color": "#123456"}, 422, "name"),
        ({"name": "x" * 500, "color": "#123456"}, 400, "name"),
        ({"name": "Work"}, 400, "color"),
        ({"name": "Work", "color": "#123456", "extra": 1}, 400, "extra"),
        ({"name": 5, "color": "#123456"}, 400, "name"),
    ],
)
async def test_invalid_categories_are_refused(
    api: Api, ada: Account, body: dict[str, object], status: int, field: str
) -> None:
    response = await api.client.post("/api/focus/categories", json=body, headers=ada.headers)
    assert_problem(response, status, field=field)


async def test_you_rename_and_recolor_your_category(api: Api, ada: Account) -> None:
    created = await category(api, ada, name="Work", color="#111111")
    renamed = await api.client.patch(
        f"/api/focus/categories/{created['id']}", json={"name": "Deep work"}, headers=ada.headers
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json() == {"id": created["id"], "name": "Deep work", "color": "#111111"}
    recolored = await api.client.patch(
        f"/api/focus/categories/{created['id']}", json={"color": "#ABCDEF"}, headers=ada.headers
    )
    assert recolored.json()["color"] == "#abcdef"
    bad = await api.client.patch(f"/api/focus/categories/{created['id']}", json={"color": "red"}, headers=ada.headers)
    assert_problem(bad, 422, field="color")


async def test_renaming_onto_another_of_your_names_is_a_conflict(api: Api, ada: Account) -> None:
    await category(api, ada, name="Work")
    other = await category(api, ada, name="Play")
    response = await api.client.patch(
        f"/api/focus/categories/{other['id']}", json={"name": "Work"}, headers=ada.headers
    )
    assert_problem(response, 409)


async def test_someone_elses_category_is_not_found(api: Api, ada: Account, bob: Account) -> None:
    mine = await category(api, ada)
    patch = await api.client.patch(f"/api/focus/categories/{mine['id']}", json={"name": "Mine"}, headers=bob.headers)
    assert_problem(patch, 404)
    delete = await api.client.delete(f"/api/focus/categories/{mine['id']}", headers=bob.headers)
    assert_problem(delete, 404)
    assert_problem(await api.client.delete("/api/focus/categories/999999", headers=ada.headers), 404)
    assert_problem(await api.client.delete(f"/api/focus/categories/{2**31}", headers=ada.headers), 400)
    listed = (await api.client.get("/api/focus/categories", headers=ada.headers)).json()
    assert [item["name"] for item in listed["items"]] == ["Deep work"]


async def test_deleting_a_category_keeps_its_sessions_without_a_category(api: Api, ada: Account) -> None:
    work = await category(api, ada)
    session = await started(api, ada, category_id=work["id"])
    response = await api.client.delete(f"/api/focus/categories/{work['id']}", headers=ada.headers)
    assert response.status_code == 204
    assert_problem(await api.client.delete(f"/api/focus/categories/{work['id']}", headers=ada.headers), 404)
    listed = await sessions(api, ada)
    assert [(item["id"], item["category_id"]) for item in listed["items"]] == [(session["id"], None)]


async def test_categories_need_a_token(api: Api) -> None:
    assert_problem(await api.client.get("/api/focus/categories"), 401)
    assert_problem(await api.client.post("/api/focus/categories", json={"name": "a", "color": "#000000"}), 401)
