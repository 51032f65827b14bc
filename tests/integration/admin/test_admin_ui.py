"""The admin web UI at /admin: admins only, every table, filters and search, safe user edits."""

from __future__ import annotations

import re

import pytest

from adapters.sql.admin import VIEWS
from entrypoints.container import App
from tests.integration.community_support import MovableClock, png_bytes, publish, use_clock
from tests.integration.support import PASSWORD, Account, Api


async def sign_in(api: Api, identifier: str, password: str = PASSWORD) -> int:
    response = await api.client.post(
        "/admin/login", data={"username": identifier, "password": password}, follow_redirects=False
    )
    return response.status_code


async def signed_in(api: Api) -> bool:
    response = await api.client.get("/admin/", follow_redirects=False)
    if response.status_code == 302:
        assert response.headers["location"].endswith("/admin/login")
        return False
    assert response.status_code == 200
    return True


async def test_anonymous_visitors_are_sent_to_the_login_page(api: Api) -> None:
    for path in ("/admin", "/admin/", "/admin/users/list", "/admin/events/list", "/admin/users/details/1"):
        response = await api.client.get(path, follow_redirects=False)
        assert response.status_code == 302, path
        assert response.headers["location"].endswith("/admin/login")
    page = await api.client.get("/admin/login")
    assert page.status_code == 200
    assert 'name="password"' in page.text


async def test_plain_users_and_wrong_passwords_are_refused(api: Api) -> None:
    plain = await api.user("plain")
    await api.user("boss", admin=True)
    assert await sign_in(api, plain.username) == 400
    assert not await signed_in(api)
    assert await sign_in(api, plain.email) == 400
    assert await sign_in(api, "boss", "not the password") == 400
    assert await sign_in(api, "nobody", PASSWORD) == 400
    assert not await signed_in(api)
    refused = await api.client.post("/admin/login", data={"username": "plain", "password": PASSWORD})
    assert "Invalid credentials" in refused.text


async def test_an_admin_signs_in_by_username_or_email_and_out(api: Api) -> None:
    boss = await api.user("boss", admin=True)
    assert await sign_in(api, "boss") == 302
    assert await signed_in(api)
    assert "athenaeum_admin" in api.client.cookies
    await api.client.get("/admin/logout")
    assert not await signed_in(api)
    assert await sign_in(api, boss.email.upper()) == 302
    assert await signed_in(api)


async def test_the_admin_session_ends_when_the_user_loses_admin_rights(api: Api) -> None:
    boss, other = await api.user("boss", admin=True), await api.user("chief", admin=True)
    assert await sign_in(api, "boss") == 302
    assert await signed_in(api)
    response = await api.client.patch(f"/api/users/{boss.id}", json={"is_admin": False}, headers=other.headers)
    assert response.status_code == 200
    assert not await signed_in(api)


async def test_every_table_has_a_list_with_search_and_filters(api: Api, container: App) -> None:
    boss = await api.user("boss", admin=True)
    await api.user("reader")
    assert await sign_in(api, "boss") == 302
    assert len(VIEWS) == 24, "one view per table"
    for slug in VIEWS:
        response = await api.client.get(f"/admin/{slug}/list", follow_redirects=False)
        assert response.status_code == 200, (slug, response.status_code)

    admins = await api.client.get("/admin/users/list", params={"is_admin": "true"})
    assert "boss@example.org" in admins.text
    assert "reader@example.org" not in admins.text
    found = await api.client.get("/admin/users/list", params={"search": "read"})
    assert "reader@example.org" in found.text
    assert "boss@example.org" not in found.text
    assert (
        await api.client.get("/admin/events/list", params={"search": "x", "status": "published"})
    ).status_code == 200

    async with container.gateways.reader() as uow:
        password_hash = (await uow.users.get(boss.id)).password_hash  # type: ignore[union-attr]
    for page in ("/admin/users/list", f"/admin/users/details/{boss.id}", f"/admin/users/edit/{boss.id}"):
        text = (await api.client.get(page)).text
        assert password_hash not in text, page
        assert "password_hash" not in text, page


async def test_the_events_list_shows_an_image_preview(api: Api, container: App) -> None:
    use_clock(container, MovableClock())
    boss = await api.user("boss", admin=True)
    created = await api.client.post(
        "/api/events",
        data={"title": "With a poster", "date": "2026-05-01"},
        files={"image": ("p.png", png_bytes(), "image/png")},
        headers=boss.headers,
    )
    assert created.status_code == 202
    container.gateways.clock().advance(seconds=60)  # type: ignore[attr-defined]
    await publish(container)
    image_url = (await api.client.get(f"/api/events/{created.json()['id']}", headers=boss.headers)).json()["image_url"]

    assert await sign_in(api, "boss") == 302
    page = (await api.client.get("/admin/events/list")).text
    previews = re.findall(r'<img src="([^"]+)"[^>]*class="athenaeum-image-preview"', page)
    assert previews == [image_url]
    detail = (await api.client.get(f"/admin/events/details/{created.json()['id']}")).text
    assert f'<img src="{image_url}"' in detail


async def _edit_user(api: Api, user: Account, **flags: bool) -> int:
    form = {"username": user.username, "email": user.email}
    form |= {name: "y" for name, on in flags.items() if on}
    response = await api.client.post(f"/admin/users/edit/{user.id}", data=form, follow_redirects=False)
    return response.status_code


async def test_toggling_flags_and_deactivation_revokes_refresh_tokens(api: Api) -> None:
    await api.user("boss", admin=True)
    bob = await api.user("bobby")
    assert await sign_in(api, "boss") == 302

    assert await _edit_user(api, bob, is_active=True, is_premium=True, is_admin=False) == 302
    me = (await api.client.get("/api/users/me", headers=bob.headers)).json()
    assert (me["is_premium"], me["is_admin"]) == (True, False)

    assert await _edit_user(api, bob, is_active=False) == 302
    assert (await api.client.post("/api/auth/refresh", json={"refresh": bob.refresh})).status_code == 401
    assert (await api.client.get("/api/users/me", headers=bob.headers)).status_code == 401


async def test_an_admin_cannot_demote_or_deactivate_themselves_here(api: Api) -> None:
    boss = await api.user("boss", admin=True)
    assert await sign_in(api, "boss") == 302
    assert await _edit_user(api, boss, is_active=True, is_admin=False) == 400
    assert await _edit_user(api, boss, is_active=False, is_admin=True) == 400
    me = (await api.client.get("/api/users/me", headers=boss.headers)).json()
    assert me["is_admin"] is True
    assert await signed_in(api)


@pytest.mark.parametrize("path", ["/admin/users/create", "/admin/job-runs/create"])
async def test_read_only_tables_offer_no_create_form(api: Api, path: str) -> None:
    await api.user("boss", admin=True)
    assert await sign_in(api, "boss") == 302
    response = await api.client.get(path, follow_redirects=False)
    assert response.status_code in {403, 404}, response.status_code


async def test_malformed_admin_addresses_are_client_errors(api: Api) -> None:
    await api.user("boss", admin=True)
    assert await sign_in(api, "boss") == 302
    for path in (
        "/admin/users/details/abc",
        "/admin/users/details/99999999999",
        "/admin/users/edit/abc",
        "/admin/organization-members/details/x;y",
        "/admin/users/list?page=abc",
        "/admin/users/list?sortBy=nope",
        "/admin/nothing/list",
    ):
        response = await api.client.get(path)
        assert 400 <= response.status_code < 500, (path, response.status_code)
    for path in ("/admin/events/list?date=zzz&date_op=greater_than", "/admin/users/list?page_size=-5"):
        assert (await api.client.get(path)).status_code == 200, path


async def test_exports_leave_out_secrets(api: Api) -> None:
    await api.user("boss", admin=True)
    assert await sign_in(api, "boss") == 302
    users_csv = (await api.client.get("/admin/users/export/csv")).text
    assert "boss@example.org" in users_csv
    assert "password" not in users_csv
    assert "token_hash" not in (await api.client.get("/admin/email-changes/export/csv")).text
