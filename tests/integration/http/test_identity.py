"""The Identity rows of the contract, over HTTP, on SQLite and Postgres.

Registration, login and its back-off, per-IP limits, refresh rotation and reuse, logout, your
profile, public profiles, user administration and deactivation, the configurable auth header,
forged tokens, and malformed input on every identity route (4xx problem+json, never 5xx).
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from dependency_injector import providers
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from entrypoints.container import App, build_container
from entrypoints.http.app import create_app
from tests.integration.conftest import TEST_SECRET, make_settings
from tests.integration.support import PASSWORD, Account, Api, assert_problem
from tests.unit.fakes import MutableClock

BuildApi = Callable[..., AbstractAsyncContextManager[Api]]

PROFILE_KEYS = {
    "id",
    "username",
    "email",
    "phone",
    "date_of_birth",
    "country",
    "avatar_url",
    "is_premium",
    "is_admin",
    "session_stats",
}
STATS_KEYS = {"total_seconds", "last_7_days_seconds", "last_30_days_seconds", "books_read", "updated_at"}
PUBLIC_KEYS = {"id", "username", "country", "is_premium", "avatar_url"}
ADMIN_KEYS = PROFILE_KEYS | {"is_active", "created_at"}


@pytest.fixture
def build_api(database_urls: dict[str, str], backend: str, tmp_path: Path, engine: AsyncEngine) -> BuildApi:
    """Another app on the test database, with settings overridden (``auth_header=…``)."""

    @asynccontextmanager
    async def build(**overrides: Any) -> AsyncIterator[Api]:
        container = build_container(make_settings(database_urls[backend], tmp_path, **overrides))
        container.gateways.engine.override(providers.Object(engine))
        async with AsyncTestClient(create_app(container), base_url="http://testserver.local") as client:
            yield Api(client, container)

    return build


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def register(api: Api, **fields: Any) -> Any:
    body = {"username": "ada", "email": "ada@example.org", "password": PASSWORD} | fields
    return await api.client.post("/api/auth/register", json=body)


async def login(api: Api, password: str = PASSWORD, **identifier: str) -> Any:
    return await api.client.post("/api/auth/login", json={**identifier, "password": password})


async def refresh(api: Api, token: str) -> Any:
    return await api.client.post("/api/auth/refresh", json={"refresh": token})


async def deactivate(api: Api, admin: Account, user: Account) -> None:
    response = await api.client.patch(f"/api/users/{user.id}", json={"is_active": False}, headers=admin.headers)
    assert response.status_code == 200, response.text
    assert response.json()["is_active"] is False


# --------------------------------------------------------------------------- register


async def test_registration_returns_the_new_user(api: Api) -> None:
    response = await register(
        api,
        username="ada",
        email="  Ada.Lovelace@Example.ORG ",
        phone="+44 20 7946 0958",
        date_of_birth="1815-12-10",
        country="UK",
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == PROFILE_KEYS - {"session_stats"}
    assert isinstance(body["id"], int)
    assert body | {"id": 0} == {
        "id": 0,
        "username": "ada",
        "email": "ada.lovelace@example.org",
        "phone": "+44 20 7946 0958",
        "date_of_birth": "1815-12-10",
        "country": "UK",
        "avatar_url": None,
        "is_premium": False,
        "is_admin": False,
    }
    assert PASSWORD not in response.text
    await api.login("ada.lovelace@example.org", PASSWORD)


async def test_registration_with_only_the_required_fields(api: Api) -> None:
    response = await register(api)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["phone"], body["date_of_birth"], body["country"]) == (None, None, None)


@pytest.mark.parametrize(
    ("second", "taken"),
    [
        ({"username": "ada", "email": "other@example.org"}, "username"),
        ({"username": "other", "email": "ADA@example.org"}, "email"),
    ],
)
async def test_a_taken_email_or_username_is_a_conflict(api: Api, second: dict[str, str], taken: str) -> None:
    assert (await register(api)).status_code == 201
    body = assert_problem(await register(api, **second), 409)
    assert taken in body["detail"]
    # The first account is untouched and still the only one.
    listing = (await api.client.get("/api/users")).json()
    assert [user["username"] for user in listing["items"]] == ["ada"]


# Cases of one rule share a test (and its database setup); `subcases` names the ones that fail.


async def subcases(cases: dict[str, Awaitable[None]]) -> None:
    failed = {}
    for name, case in cases.items():
        try:
            await case
        except AssertionError as exc:
            failed[name] = str(exc).splitlines()[0][:300]
    assert not failed, failed


WEAK_PASSWORDS = {
    "short": "short7!",
    "common": "password",
    "common-variant": "Iloveyou1",
    "common-upper": "QWERTYUIOP",
    "numeric": "12345678987654",
    "the-email": "ada@example.org",
    "the-username": "ada",
}


async def test_weak_passwords_are_refused_naming_the_password(api: Api) -> None:
    async def refused(password: str) -> None:
        body = assert_problem(await register(api, password=password), 422, field="password")
        assert body["type"] != "about:blank"

    await subcases({name: refused(password) for name, password in WEAK_PASSWORDS.items()})
    assert (await api.client.get("/api/users")).json()["total"] == 0


INVALID_FIELDS: list[tuple[dict[str, str], str]] = [
    ({"email": "not-an-email"}, "email"),
    ({"email": "ada@localhost"}, "email"),
    ({"email": "ada lovelace@example.org"}, "email"),
    ({"email": "ada\u0001@example.org"}, "email"),
    ({"username": "ada lovelace"}, "username"),
    ({"username": "ab"}, "username"),
    ({"phone": "call me maybe"}, "phone"),
    ({"country": "U\u0007K"}, "country"),
    ({"date_of_birth": "2999-01-01"}, "date_of_birth"),
]


async def test_invalid_fields_are_refused_naming_the_field(api: Api) -> None:
    async def refused(fields: dict[str, str], field: str) -> None:
        assert_problem(await register(api, **fields), 422, field=field)

    await subcases({json.dumps(fields): refused(fields, field) for fields, field in INVALID_FIELDS})
    assert (await api.client.get("/api/users")).json()["total"] == 0


async def test_a_missing_required_field_is_refused_naming_it(api: Api) -> None:
    async def refused(missing: str) -> None:
        body = {"username": "ada", "email": "ada@example.org", "password": PASSWORD}
        del body[missing]
        assert_problem(await api.client.post("/api/auth/register", json=body), 400, field=missing)

    await subcases({missing: refused(missing) for missing in ["username", "email", "password"]})


async def test_nobody_registers_themselves_as_an_admin(api: Api) -> None:
    assert_problem(await register(api, is_admin=True), 400, field="is_admin")
    assert (await api.client.get("/api/users")).json()["total"] == 0


# --------------------------------------------------------------------------- login


async def test_login_by_email_or_username(api: Api) -> None:
    ada = await api.user("ada")

    async def logs_in(identifier: dict[str, str]) -> None:
        response = await login(api, **identifier)
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"access", "refresh", "token_type"}
        assert body["token_type"] == "Bearer"
        me = await api.client.get("/api/users/me", headers=bearer(body["access"]))
        assert me.json()["id"] == ada.id

    await subcases(
        {
            "email": logs_in({"email": "ada@example.org"}),
            "email-any-case": logs_in({"email": " ADA@Example.Org "}),
            "username": logs_in({"username": "ada"}),
            "username-in-the-email-field": logs_in({"email": "ada"}),
        }
    )


async def test_login_needs_an_email_or_a_username(api: Api) -> None:
    assert_problem(await api.client.post("/api/auth/login", json={"password": PASSWORD}), 422, field="email")


async def test_unknown_account_wrong_password_and_inactive_account_look_the_same(api: Api) -> None:
    admin = await api.user("root", admin=True)
    await api.user("ada")
    bob = await api.user("bob")
    await deactivate(api, admin, bob)

    unknown = await login(api, email="nobody@example.org")
    wrong = await login(api, "not the password", email="ada@example.org")
    inactive = await login(api, email="bob@example.org")
    for response in (unknown, wrong, inactive):
        assert_problem(response, 401)
        assert "Bearer" in response.headers["www-authenticate"]
    assert unknown.content == wrong.content == inactive.content


async def test_five_failures_lock_the_account_with_retry_after_until_the_window_passes(
    api: Api, container: App
) -> None:
    clock = MutableClock(datetime.now(UTC))
    container.gateways.clock.override(providers.Object(clock))
    await api.user("ada")
    await api.user("bob")
    for _ in range(5):
        assert_problem(await login(api, "not the password", username="ada"), 401)
        clock.advance(seconds=10)

    locked = await login(api, username="ada")  # even the right password
    body = assert_problem(locked, 429)
    assert body["type"] != "about:blank"
    retry_after = int(locked.headers["retry-after"])
    assert 0 < retry_after <= 15 * 60
    assert retry_after == 15 * 60 - 50  # until the first failure leaves the window
    assert (await login(api, username="bob")).status_code == 200  # other accounts are not affected

    clock.advance(seconds=retry_after - 1)
    assert_problem(await login(api, username="ada"), 429)
    clock.advance(seconds=1)
    assert (await login(api, username="ada")).status_code == 200


async def test_the_failure_threshold_is_configurable(build_api: BuildApi) -> None:
    async with build_api(login_max_failures=2) as api:
        await api.user("ada")
        for _ in range(2):
            assert_problem(await login(api, "not the password", username="ada"), 401)
        assert_problem(await login(api, username="ada"), 429)


async def within_one_minute(attempt: Callable[[], Awaitable[None]]) -> None:
    """Run ``attempt`` (which builds its own app) again if it straddled a minute boundary,
    where the per-IP fixed window restarts."""
    for _ in range(2):
        window = int(time.time() // 60)
        await attempt()
        if int(time.time() // 60) == window:
            return
    pytest.fail("the attempt crossed two minute boundaries")


async def test_register_and_login_share_a_per_ip_limit(build_api: BuildApi) -> None:
    async def attempt() -> None:
        async with build_api(auth_rate_limit_per_minute=3) as api:
            assert (await register(api, username="iplimit", email="iplimit@example.org")).status_code in {201, 409}
            assert (await login(api, username="iplimit")).status_code == 200
            assert (await login(api, "wrong password", username="iplimit")).status_code == 401
            for response in [await login(api, username="iplimit"), await register(api, username="x2")]:
                assert_problem(response, 429)
                assert 0 < int(response.headers["retry-after"]) <= 60
            # The limit is on sign-in, not on everything: a token already issued still works.
            assert (await api.client.get("/api/users")).status_code == 200

    await within_one_minute(attempt)


# --------------------------------------------------------------------------- refresh and logout


async def test_refresh_rotates_and_the_old_refresh_token_stops_working(api: Api) -> None:
    ada = await api.user("ada")
    response = await refresh(api, ada.refresh)
    assert response.status_code == 200, response.text
    pair = response.json()
    assert set(pair) == {"access", "refresh", "token_type"}
    assert pair["refresh"] != ada.refresh
    assert (await api.client.get("/api/users/me", headers=bearer(pair["access"]))).json()["id"] == ada.id
    assert (await refresh(api, pair["refresh"])).status_code == 200  # the new one works (once)


async def test_reusing_a_rotated_refresh_token_revokes_the_family(api: Api) -> None:
    ada = await api.user("ada")
    rotated = (await refresh(api, ada.refresh)).json()
    assert_problem(await refresh(api, ada.refresh), 401)  # replay of the old token
    assert_problem(await refresh(api, rotated["refresh"]), 401)  # the newest one died with its family
    # A fresh login starts a new family.
    again = await api.login("ada", PASSWORD, field="username")
    assert (await refresh(api, again["refresh"])).status_code == 200


async def test_only_refresh_tokens_refresh(api: Api) -> None:
    ada = await api.user("ada")
    assert_problem(await refresh(api, ada.access), 401)
    assert_problem(await refresh(api, "not-a-token"), 401)


async def test_concurrent_refreshes_of_one_token_succeed_at_most_once(api: Api) -> None:
    ada = await api.user("ada")
    responses = await asyncio.gather(*(refresh(api, ada.refresh) for _ in range(4)))
    assert sorted(r.status_code for r in responses).count(200) == 1
    assert all(r.status_code in {200, 401} for r in responses)


async def test_logout_revokes_the_refresh_token(api: Api) -> None:
    ada = await api.user("ada")
    other_device = await api.login(ada.email, PASSWORD)
    response = await api.client.post("/api/auth/logout", json={"refresh": ada.refresh}, headers=ada.headers)
    assert response.status_code == 204
    assert response.content == b""
    assert_problem(await refresh(api, ada.refresh), 401)
    assert (await refresh(api, other_device["refresh"])).status_code == 200


async def test_logout_needs_the_owner(api: Api) -> None:
    ada = await api.user("ada")
    bob = await api.user("bob")
    assert_problem(await api.client.post("/api/auth/logout", json={"refresh": ada.refresh}), 401)
    assert_problem(await api.client.post("/api/auth/logout", json={"refresh": ada.refresh}, headers=bob.headers), 401)
    assert (await refresh(api, ada.refresh)).status_code == 200


# --------------------------------------------------------------------------- your profile


async def test_your_profile(api: Api) -> None:
    ada = await api.user("ada")
    response = await api.client.get("/api/users/me", headers=ada.headers)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == PROFILE_KEYS
    assert set(body["session_stats"]) == STATS_KEYS
    assert (body["id"], body["username"], body["email"]) == (ada.id, "ada", "ada@example.org")
    assert body["session_stats"]["total_seconds"] == 0


async def test_your_profile_needs_a_token(api: Api) -> None:
    response = await api.client.get("/api/users/me")
    assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert_problem(await api.client.patch("/api/users/me", json={"country": "UK"}), 401)


async def test_patching_your_profile_changes_only_what_is_sent(api: Api) -> None:
    ada = await api.user("ada")
    first = await api.client.patch(
        "/api/users/me",
        json={"phone": "+1 555 0100", "country": "UK", "date_of_birth": "1815-12-10"},
        headers=ada.headers,
    )
    assert first.status_code == 200, first.text
    assert set(first.json()) == PROFILE_KEYS
    second = await api.client.patch("/api/users/me", json={"phone": None, "username": "countess"}, headers=ada.headers)
    assert second.status_code == 200, second.text
    body = (await api.client.get("/api/users/me", headers=ada.headers)).json()
    assert (body["username"], body["phone"], body["country"], body["date_of_birth"]) == (
        "countess",
        None,
        "UK",
        "1815-12-10",
    )
    assert (await login(api, username="countess")).status_code == 200
    assert_problem(await login(api, username="ada"), 401)


async def test_the_email_is_not_changed_by_patch(api: Api) -> None:
    ada = await api.user("ada")
    for email in ["new@example.org", None]:
        response = await api.client.patch("/api/users/me", json={"email": email}, headers=ada.headers)
        assert_problem(response, 422, field="email")
    assert (await api.client.get("/api/users/me", headers=ada.headers)).json()["email"] == "ada@example.org"


async def test_patching_to_a_taken_username_is_a_conflict(api: Api) -> None:
    ada = await api.user("ada")
    await api.user("bob")
    response = await api.client.patch("/api/users/me", json={"username": "bob", "country": "UK"}, headers=ada.headers)
    assert_problem(response, 409)
    body = (await api.client.get("/api/users/me", headers=ada.headers)).json()
    assert (body["username"], body["country"]) == ("ada", None)


INVALID_PROFILE_CHANGES: list[tuple[dict[str, Any], int, str]] = [
    ({"phone": "not a phone"}, 422, "phone"),
    ({"date_of_birth": "2999-01-01"}, 422, "date_of_birth"),
    ({"username": "no spaces allowed"}, 422, "username"),
    ({"username": None}, 400, "username"),
    ({"is_admin": True}, 400, "is_admin"),
    ({"is_premium": True}, 400, "is_premium"),
    ({"is_active": False, "country": "UK"}, 400, "is_active"),
]


async def test_invalid_profile_changes_are_refused_and_change_nothing(api: Api) -> None:
    ada = await api.user("ada")

    async def refused(patch: dict[str, Any], status: int, field: str) -> None:
        response = await api.client.patch("/api/users/me", json=patch, headers=ada.headers)
        assert_problem(response, status, field=field)

    await subcases(
        {json.dumps(patch): refused(patch, status, field) for patch, status, field in INVALID_PROFILE_CHANGES}
    )
    body = (await api.client.get("/api/users/me", headers=ada.headers)).json()
    assert (body["username"], body["country"], body["is_admin"], body["is_premium"]) == ("ada", None, False, False)


# --------------------------------------------------------------------------- public profiles


async def test_the_user_list_shows_public_fields_only(api: Api) -> None:
    ada = await api.user("ada")
    for headers in [{}, ada.headers]:
        response = await api.client.get("/api/users", headers=headers)
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"items", "total", "limit", "offset"}
        assert body["items"]
        assert all(set(item) == PUBLIC_KEYS for item in body["items"])
        assert "@example.org" not in response.text


async def test_admins_see_and_filter_by_email(api: Api) -> None:
    root = await api.user("root", admin=True)
    await api.user("ada")
    listing = (await api.client.get("/api/users", headers=root.headers)).json()
    assert {item["username"]: item["email"] for item in listing["items"]} == {
        "root": "root@example.org",
        "ada": "ada@example.org",
    }
    assert all(item["is_active"] is True for item in listing["items"])
    found = (await api.client.get("/api/users", params={"email": "ADA@example.org"}, headers=root.headers)).json()
    assert [item["username"] for item in found["items"]] == ["ada"]
    assert found["total"] == 1


async def test_only_admins_may_filter_by_email(api: Api) -> None:
    ada = await api.user("ada")
    assert_problem(await api.client.get("/api/users", params={"email": "ada@example.org"}), 403)
    assert_problem(await api.client.get("/api/users", params={"email": "ada@example.org"}, headers=ada.headers), 403)


async def test_users_are_filtered_by_search_country_and_premium(api: Api) -> None:
    await api.user("root", admin=True)
    await api.user("charles", premium=True)
    await api.user("adamant")
    for name in ["ada_lovelace", "grace"]:
        account = await api.user(name)
        await api.client.patch("/api/users/me", json={"country": "UK"}, headers=account.headers)

    async def names(**params: Any) -> list[str]:
        response = await api.client.get("/api/users", params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["total"] == len(body["items"])
        return sorted(item["username"] for item in body["items"])

    assert await names(search="ADA") == ["ada_lovelace", "adamant"]
    assert await names(search="a_l") == ["ada_lovelace"]  # `_` is a letter here, not a wildcard
    assert await names(search="%") == []
    assert await names(country="UK") == ["ada_lovelace", "grace"]
    assert await names(is_premium="true") == ["charles"]
    assert await names(is_premium="false") == ["ada_lovelace", "adamant", "grace", "root"]
    assert await names(search="a", country="UK") == ["ada_lovelace", "grace"]


async def test_the_user_list_pages(api: Api) -> None:
    for number in range(5):
        await api.user(f"reader{number}")
    page = (await api.client.get("/api/users", params={"limit": 2, "offset": 2})).json()
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 2)
    assert [item["username"] for item in page["items"]] == ["reader2", "reader3"]
    default = (await api.client.get("/api/users")).json()
    assert (default["limit"], default["offset"], default["total"], len(default["items"])) == (20, 0, 5, 5)
    past_the_end = (await api.client.get("/api/users", params={"offset": 10})).json()
    assert (past_the_end["items"], past_the_end["total"]) == ([], 5)


BAD_QUERIES: list[tuple[dict[str, Any], str]] = [
    ({"limit": 101}, "limit"),
    ({"limit": 0}, "limit"),
    ({"limit": "ten"}, "limit"),
    ({"offset": -1}, "offset"),
    ({"offset": 2**31}, "offset"),
    ({"is_premium": "maybe"}, "is_premium"),
    ({"search": "x" * 151}, "search"),
    ({"search": "ada\x00"}, "search"),
    ({"country": "\x00"}, "country"),
]


async def test_bad_query_parameters_are_refused_naming_them(api: Api) -> None:
    async def refused(params: dict[str, Any], field: str) -> None:
        assert_problem(await api.client.get("/api/users", params=params), 400, field=field)

    await subcases({repr(params)[:40]: refused(params, field) for params, field in BAD_QUERIES})


# --------------------------------------------------------------------------- administration


async def test_admin_routes_need_an_admin(api: Api) -> None:
    ada = await api.user("ada")
    target = f"/api/users/{ada.id}"
    calls = [
        ("GET", None),
        ("PUT", {"username": "x", "email": "x@example.org", "is_admin": True, "is_premium": True, "is_active": True}),
        ("PATCH", {"is_admin": True}),
        ("DELETE", None),
    ]
    for method, body in calls:
        assert_problem(await api.client.request(method, target, json=body), 401)
        assert_problem(await api.client.request(method, target, json=body, headers=ada.headers), 403)
    me = (await api.client.get("/api/users/me", headers=ada.headers)).json()
    assert (me["username"], me["is_admin"]) == ("ada", False)


async def test_admin_routes_answer_404_for_an_unknown_user(api: Api) -> None:
    root = await api.user("root", admin=True)
    replacement = {"username": "x", "email": "x@example.org", "is_admin": False, "is_premium": False, "is_active": True}
    for method, body in [("GET", None), ("PUT", replacement), ("PATCH", {"is_premium": True}), ("DELETE", None)]:
        assert_problem(await api.client.request(method, "/api/users/999999", json=body, headers=root.headers), 404)
    # An id past the 32-bit id columns is invalid input, not a database error.
    assert_problem(await api.client.get("/api/users/2147483648", headers=root.headers), 400, field="user_id")


async def test_an_admin_reads_any_user(api: Api) -> None:
    root = await api.user("root", admin=True)
    ada = await api.user("ada")
    response = await api.client.get(f"/api/users/{ada.id}", headers=root.headers)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == ADMIN_KEYS
    assert (body["id"], body["email"], body["is_active"]) == (ada.id, "ada@example.org", True)


async def test_an_admin_patches_roles_email_and_profile(api: Api) -> None:
    root = await api.user("root", admin=True)
    ada = await api.user("ada")
    response = await api.client.patch(
        f"/api/users/{ada.id}",
        json={"is_premium": True, "email": "Countess@Example.org", "country": "UK"},
        headers=root.headers,
    )
    assert response.status_code == 200, response.text
    me = (await api.client.get("/api/users/me", headers=ada.headers)).json()
    assert (me["is_premium"], me["email"], me["country"], me["username"]) == (
        True,
        "countess@example.org",
        "UK",
        "ada",
    )
    assert (await login(api, email="countess@example.org")).status_code == 200


async def test_an_admin_promotes_a_user_who_then_acts_as_admin(api: Api) -> None:
    root = await api.user("root", admin=True)
    ada = await api.user("ada")
    assert_problem(await api.client.get(f"/api/users/{root.id}", headers=ada.headers), 403)
    await api.client.patch(f"/api/users/{ada.id}", json={"is_admin": True}, headers=root.headers)
    assert (await api.client.get(f"/api/users/{root.id}", headers=ada.headers)).status_code == 200


async def test_an_admin_change_to_a_taken_email_or_username_is_a_conflict(api: Api) -> None:
    root = await api.user("root", admin=True)
    ada = await api.user("ada")
    for change in [{"email": "root@example.org"}, {"username": "root"}]:
        assert_problem(await api.client.patch(f"/api/users/{ada.id}", json=change, headers=root.headers), 409)


async def test_put_replaces_the_whole_user(api: Api) -> None:
    root = await api.user("root", admin=True)
    ada = await api.user("ada")
    await api.client.patch("/api/users/me", json={"phone": "+1 555 0100", "country": "UK"}, headers=ada.headers)
    replacement = {
        "username": "countess",
        "email": "countess@example.org",
        "is_admin": False,
        "is_premium": True,
        "is_active": True,
        "date_of_birth": "1815-12-10",
    }
    response = await api.client.put(f"/api/users/{ada.id}", json=replacement, headers=root.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == ADMIN_KEYS
    assert (body["username"], body["email"], body["is_premium"], body["phone"], body["country"]) == (
        "countess",
        "countess@example.org",
        True,
        None,  # left out of the PUT: cleared
        None,
    )
    assert body["date_of_birth"] == "1815-12-10"
    assert (await login(api, username="countess")).status_code == 200  # password kept


async def test_put_needs_every_required_field(api: Api) -> None:
    root = await api.user("root", admin=True)
    ada = await api.user("ada")
    response = await api.client.put(f"/api/users/{ada.id}", json={"username": "x"}, headers=root.headers)
    assert_problem(response, 400, field="email")


async def test_an_admin_resets_a_password(api: Api) -> None:
    root = await api.user("root", admin=True)
    ada = await api.user("ada")
    weak = await api.client.patch(f"/api/users/{ada.id}", json={"password": "password"}, headers=root.headers)
    assert_problem(weak, 422, field="password")
    ok = await api.client.patch(f"/api/users/{ada.id}", json={"password": "a new long secret 9"}, headers=root.headers)
    assert ok.status_code == 200, ok.text
    assert_problem(await login(api, username="ada"), 401)
    assert (await login(api, "a new long secret 9", username="ada")).status_code == 200
    assert_problem(await refresh(api, ada.refresh), 401)  # sessions from before the reset are gone


@pytest.mark.parametrize(("method", "body"), [("PATCH", {"is_admin": False}), ("PATCH", {"is_active": False})])
async def test_admins_cannot_demote_or_deactivate_themselves(api: Api, method: str, body: dict[str, Any]) -> None:
    root = await api.user("root", admin=True)
    assert_problem(await api.client.request(method, f"/api/users/{root.id}", json=body, headers=root.headers), 422)
    me = (await api.client.get(f"/api/users/{root.id}", headers=root.headers)).json()
    assert (me["is_admin"], me["is_active"]) == (True, True)


async def test_admins_cannot_demote_themselves_with_put(api: Api) -> None:
    root = await api.user("root", admin=True)
    replacement = {"username": "root", "email": root.email, "is_admin": False, "is_premium": False, "is_active": True}
    assert_problem(await api.client.put(f"/api/users/{root.id}", json=replacement, headers=root.headers), 422)
    assert (await api.client.get(f"/api/users/{root.id}", headers=root.headers)).json()["is_admin"] is True


async def test_deleting_a_user(api: Api) -> None:
    root = await api.user("root", admin=True)
    ada = await api.user("ada")
    assert_problem(await api.client.delete(f"/api/users/{root.id}", headers=root.headers), 422)  # not yourself
    response = await api.client.delete(f"/api/users/{ada.id}", headers=root.headers)
    assert response.status_code == 204
    assert_problem(await api.client.get(f"/api/users/{ada.id}", headers=root.headers), 404)
    assert_problem(await api.client.get("/api/users/me", headers=ada.headers), 401)
    assert_problem(await refresh(api, ada.refresh), 401)
    assert_problem(await login(api, username="ada"), 401)
    assert (await register(api)).status_code == 201  # the name and email are free again


async def test_a_deactivated_user_is_locked_out_at_once(api: Api) -> None:
    root = await api.user("root", admin=True)
    ada = await api.user("ada")
    await deactivate(api, root, ada)
    assert_problem(await api.client.get("/api/users/me", headers=ada.headers), 401)
    assert_problem(await refresh(api, ada.refresh), 401)
    assert_problem(await login(api, username="ada"), 401)

    reactivated = await api.client.patch(f"/api/users/{ada.id}", json={"is_active": True}, headers=root.headers)
    assert reactivated.status_code == 200
    assert (await login(api, username="ada")).status_code == 200
    assert_problem(await refresh(api, ada.refresh), 401)  # revoked tokens stay revoked


# --------------------------------------------------------------------------- the auth header


async def test_the_auth_header_name_is_configurable(build_api: BuildApi) -> None:
    async with build_api(auth_header="Authorize") as api:
        await api.user("ada")
        tokens = await api.login("ada", PASSWORD, field="username")
        ok = await api.client.get("/api/users/me", headers={"Authorize": f"Bearer {tokens['access']}"})
        assert ok.status_code == 200
        assert ok.json()["username"] == "ada"
        ignored = await api.client.get("/api/users/me", headers=bearer(tokens["access"]))
        body = assert_problem(ignored, 401)
        assert "Authorize" in body["detail"]


async def test_a_malformed_authorization_header_is_refused(api: Api) -> None:
    ada = await api.user("ada")

    async def refused(header: str) -> None:
        response = await api.client.get("/api/users/me", headers={"Authorization": header.format(access=ada.access)})
        assert_problem(response, 401)

    headers = ["Token {access}", "Bearer", "Bearer ", "{access}", "Basic YWRhOnBhc3N3b3Jk", "Bearer {access}x"]
    await subcases({header: refused(header) for header in headers})


async def test_the_scheme_word_is_case_insensitive(api: Api) -> None:
    ada = await api.user("ada")
    response = await api.client.get("/api/users/me", headers={"Authorization": f"bearer {ada.access}"})
    assert response.status_code == 200


# --------------------------------------------------------------------------- forged tokens over HTTP


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def _alg_none(account: Account) -> str:
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{_b64(json.dumps(_claims(account.access)).encode())}."


def _tampered(account: Account) -> str:
    header, _, signature = account.access.split(".")
    claims = _claims(account.access) | {"sub": str(account.id + 1)}  # someone else's id, old signature
    return f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"


def _expired(account: Account) -> str:
    from adapters.security.jwt_tokens import JwtTokenCodec

    codec = JwtTokenCodec(TEST_SECRET, timedelta(minutes=15))
    return codec.encode_access(account.id, datetime.now(UTC) - timedelta(minutes=16))  # type: ignore[arg-type]


FORGERIES: dict[str, Callable[[Account], str]] = {
    "alg-none": _alg_none,
    "tampered-payload": _tampered,
    "expired": _expired,
    "refresh-as-access": lambda account: account.refresh,
    "garbage": lambda _: "garbage",
}


async def test_forged_and_expired_tokens_are_refused(api: Api) -> None:
    await api.user("root", admin=True)
    ada = await api.user("ada")

    async def refused(token: str) -> None:
        assert_problem(await api.client.get("/api/users/me", headers=bearer(token)), 401)
        # An anonymous page refuses a bad token rather than quietly treating the caller as anonymous.
        assert_problem(await api.client.get("/api/users", headers=bearer(token)), 401)

    await subcases({name: refused(forge(ada)) for name, forge in FORGERIES.items()})
    assert (await api.client.get("/api/users/me", headers=ada.headers)).status_code == 200


# --------------------------------------------------------------------------- malformed input: 4xx, never 5xx

# (method, path, who, a valid body) — bad bodies are derived from the valid one.
ROUTES: dict[str, tuple[str, str, str, dict[str, Any]]] = {
    "register": ("POST", "/api/auth/register", "anonymous", {"username": "zed", "email": "zed@example.org"}),
    "login": ("POST", "/api/auth/login", "anonymous", {"email": "ada@example.org", "username": "ada"}),
    "refresh": ("POST", "/api/auth/refresh", "anonymous", {"refresh": "{refresh}"}),
    "logout": ("POST", "/api/auth/logout", "user", {"refresh": "{refresh}"}),
    "patch-me": ("PATCH", "/api/users/me", "user", {"username": "ada2", "phone": "+1 555", "country": "UK"}),
    "put-user": (
        "PUT",
        "/api/users/{id}",
        "admin",
        {"username": "ada3", "email": "ada3@example.org", "phone": "+1 555", "country": "UK"},
    ),
    "patch-user": (
        "PATCH",
        "/api/users/{id}",
        "admin",
        {"username": "ada4", "email": "ada4@example.org", "phone": "+1", "country": "UK"},
    ),
}
# Fields every route is also sent with (password for register/login/admin, flags for PUT).
EXTRA: dict[str, dict[str, Any]] = {
    "register": {"password": PASSWORD},
    "login": {"password": PASSWORD},
    "put-user": {"is_admin": False, "is_premium": False, "is_active": True},
}

HUGE = "x" * 300_000


def _with_strings(valid: dict[str, Any], text: str) -> bytes:
    return json.dumps(dict.fromkeys(valid, text)).encode()


BAD_BODIES: dict[str, Callable[[dict[str, Any]], bytes]] = {
    "malformed-json": lambda _: b'{"username": "ada", ',
    "trailing-garbage": lambda valid: json.dumps(valid).encode() + b" }",
    "not-utf8": lambda _: b'{"username": "\xff\xfe"}',
    "empty": lambda _: b"",
    "null": lambda _: b"null",
    "a-string": lambda _: b'"ada"',
    "a-number": lambda _: b"42",
    "an-array": lambda _: b"[]",
    "an-array-of-the-object": lambda valid: json.dumps([valid]).encode(),
    "unknown-field": lambda valid: json.dumps(valid | {"surprise": 1}).encode(),
    "wrong-types": lambda valid: json.dumps(dict.fromkeys(valid, 12345)).encode(),
    "objects-for-strings": lambda valid: json.dumps({key: {"$ne": None} for key in valid}).encode(),
    "huge-strings": lambda valid: _with_strings(valid, HUGE),
    "nul-characters": lambda valid: _with_strings(valid, "ada\u0000@example.org"),
    "lone-surrogate": lambda valid: _with_strings(valid, "ada\\ud800@example.org").replace(b"\\\\", b"\\"),
    "control-characters": lambda valid: _with_strings(valid, "\u0001\u001f\u007f@example.org"),
    "huge-number": lambda valid: json.dumps(dict.fromkeys(valid, 10**30)).encode(),
    "float-overflow": lambda valid: json.dumps(valid).encode()[:-1] + b', "x": 1e999}',
    "deeply-nested": lambda _: b'{"username": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
    "bad-date": lambda valid: json.dumps(valid | {"date_of_birth": "1815-02-30"}).encode(),
}


@pytest.fixture
async def cast(api: Api) -> dict[str, Account]:
    admin = await api.user("root", admin=True)
    user = await api.user("ada")
    return {"admin": admin, "user": user}


@pytest.mark.parametrize("route", ROUTES.keys())
async def test_malformed_bodies_get_a_4xx_problem_never_a_5xx(api: Api, cast: dict[str, Account], route: str) -> None:
    method, path, who, valid = ROUTES[route]
    user = cast["user"]
    valid = {k: v.format(refresh=user.refresh) if isinstance(v, str) else v for k, v in valid.items()}
    valid |= EXTRA.get(route, {})
    auth = cast[who].headers if who != "anonymous" else {}
    json_headers = {"Content-Type": "application/json"} | auth
    wrong = []
    for name, bad in BAD_BODIES.items():
        response = await api.client.request(method, path.format(id=user.id), content=bad(valid), headers=json_headers)
        if not 400 <= response.status_code < 500 or "problem+json" not in response.headers.get("content-type", ""):
            wrong.append((name, response.status_code, response.text[:300]))
    assert not wrong, "\n".join(map(repr, wrong))

    too_big = b'{"username": "' + b"x" * 1_048_576 + b'"}'  # the default limit is 1 MiB
    assert_problem(
        await api.client.request(method, path.format(id=user.id), content=too_big, headers=json_headers), 413
    )
    not_json = await api.client.request(
        method, path.format(id=user.id), content=json.dumps(valid), headers={"Content-Type": "text/plain"} | auth
    )
    assert_problem(not_json, 415)


ODD_PATHS = [
    "/api/users/99999999999999999999999",
    "/api/users/-1",
    "/api/users?offset=99999999999999999999999",
    "/api/users?limit=99999999999999999999999",
    "/api/users?search=%00",
    "/api/users?country=%00",
    "/api/users?search=%ED%A0%80",
    "/api/users?email=ada%00@example.org",
    "/api/users?is_premium=",
]


async def test_odd_paths_and_query_strings_never_get_a_5xx(api: Api, cast: dict[str, Account]) -> None:
    wrong = []
    for path in ODD_PATHS:
        for account in (None, cast["user"], cast["admin"]):
            response = await api.client.get(path, headers=account.headers if account else {})
            problem = "problem+json" in response.headers.get("content-type", "")
            if response.status_code >= 500 or (response.status_code >= 400 and not problem):
                wrong.append((path, account and account.username, response.status_code, response.text[:300]))
    assert not wrong, "\n".join(map(repr, wrong))
