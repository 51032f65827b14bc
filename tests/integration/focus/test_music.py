"""The music catalogue: premium members (and admins) list it, admins manage it."""

from __future__ import annotations

import pytest

from tests.integration.support import Account, Api, assert_problem


@pytest.fixture
async def admin(api: Api) -> Account:
    return await api.user(admin=True)


async def add(api: Api, admin: Account, title: str, url: str) -> dict[str, object]:
    response = await api.client.post("/api/music/tracks", json={"title": title, "url": url}, headers=admin.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_premium_members_list_the_tracks_in_the_order_they_were_added(api: Api, admin: Account) -> None:
    rain = await add(api, admin, "Rain", "/media/music/rain.wav")
    cafe = await add(api, admin, "  Café  ", "https://cdn.example.org/music/cafe.mp3?v=2")
    assert rain == {"id": rain["id"], "title": "Rain", "url": "/media/music/rain.wav"}
    premium = await api.user(premium=True)
    response = await api.client.get("/api/music/tracks", headers=premium.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["items"] == [
        rain,
        {"id": cafe["id"], "title": "Café", "url": "https://cdn.example.org/music/cafe.mp3?v=2"},
    ]
    assert (body["total"], body["limit"], body["offset"]) == (2, 20, 0)
    assert (await api.client.get("/api/music/tracks", headers=admin.headers)).status_code == 200


async def test_the_music_is_for_premium_members_only(api: Api, ada: Account) -> None:
    assert_problem(await api.client.get("/api/music/tracks", headers=ada.headers), 403)
    assert_problem(await api.client.get("/api/music/tracks"), 401)


async def test_only_admins_manage_tracks(api: Api, admin: Account, ada: Account) -> None:
    premium = await api.user(premium=True)
    for who in (ada, premium):
        response = await api.client.post(
            "/api/music/tracks", json={"title": "Mine", "url": "/media/music/mine.wav"}, headers=who.headers
        )
        assert_problem(response, 403)
    track = await add(api, admin, "Rain", "/media/music/rain.wav")
    assert_problem(await api.client.delete(f"/api/music/tracks/{track['id']}", headers=premium.headers), 403)
    assert (await api.client.delete(f"/api/music/tracks/{track['id']}", headers=admin.headers)).status_code == 204
    assert_problem(await api.client.delete(f"/api/music/tracks/{track['id']}", headers=admin.headers), 404)
    assert (await api.client.get("/api/music/tracks", headers=premium.headers)).json()["total"] == 0


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"title": "x", "url": "http://example.org/a.mp3"}, 422, "url"),
        ({"title": "x", "url": "javascript:alert(1)"}, 422, "url"),
        ({"title": "x", "url": "/media/../secret"}, 422, "url"),
        ({"title": "x", "url": "/media/music//a.wav"}, 422, "url"),
        ({"title": "x", "url": "/media/"}, 422, "url"),
        ({"title": "x", "url": "/static/a.wav"}, 422, "url"),
        ({"title": "x", "url": "https://user:pw@example.org/a.mp3"}, 422, "url"),
        ({"title": "x", "url": "https://"}, 422, "url"),
        ({"title": "x", "url": "https://exa mple.org/a.mp3"}, 422, "url"),
        ({"title": "x", "url": "https://example.org:99999/a.mp3"}, 422, "url"),
        ({"title": "x", "url": "/media/a\u0000.wav"}, 422, "url"),
        ({"title": "   ", "url": "/media/a.wav"}, 422, "title"),
        ({"title": "x" * 256, "url": "/media/a.wav"}, 422, "title"),
        ({"title": "x" * 1000, "url": "/media/a.wav"}, 400, "title"),
        ({"title": "x", "url": "/media/" + "a" * 1000}, 400, "url"),
        ({"title": "x"}, 400, "url"),
    ],
)
async def test_invalid_tracks_are_refused(
    api: Api, admin: Account, body: dict[str, object], status: int, field: str
) -> None:
    assert_problem(await api.client.post("/api/music/tracks", json=body, headers=admin.headers), status, field=field)
