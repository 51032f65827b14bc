"""Limits (OWASP API4, unrestricted resource consumption), walked over the whole API from
its OpenAPI schema so that a new route is covered without a new line here:

* every JSON body over ``MAX_BODY_BYTES`` is refused with 413, whether it announces its
  length or streams it in chunks;
* every collection refuses a page larger than 100 (and a zero or negative one) with 400 and
  serves exactly 100;
* texts over their limit are refused naming the field, and nothing is stored.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from dependency_injector import providers
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.tables import books, chat_messages, organizations, tasks, users
from domain.catalog import TITLE_MAX as BOOK_TITLE_MAX
from domain.chat import MAX_TEXT
from domain.community import DESCRIPTION_MAX
from domain.tasks import NAME_MAX
from entrypoints.container import App, build_container
from entrypoints.http.app import create_app
from tests.figures import record
from tests.integration.conftest import make_settings
from tests.integration.fakes.threaded import uvicorn_in_thread
from tests.integration.support import Account, Api, assert_problem

MAX_BODY = 1_048_576  # the default MAX_BODY_BYTES
MAX_PAGE = 100


@pytest.fixture
async def openapi(api: Api) -> dict[str, Any]:
    response = await api.client.get("/schema/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


@pytest.fixture
async def admin(api: Api) -> Account:
    return await api.user("root", admin=True, premium=True)


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
        if isinstance(op, dict) and "responses" in op
    ]


def concrete(path: str) -> str:
    """Path parameters filled with an id (an unknown one is fine: the body is refused first)."""
    return "/".join("1" if part.startswith("{") else part for part in path.split("/"))


async def test_every_json_body_over_the_cap_is_refused_with_413(
    api: Api, admin: Account, openapi: dict[str, Any]
) -> None:
    oversized = json.dumps({"padding": "x" * MAX_BODY}).encode()
    wrong, tried = [], 0
    for method, path, op in operations(openapi):
        content = op.get("requestBody", {}).get("content", {})
        if "application/json" not in content or path == "/api/payments/webhook":
            continue
        headers = {**admin.headers, "Content-Type": "application/json"}
        response = await api.client.request(method, concrete(path), content=oversized, headers=headers)
        tried += 1
        if response.status_code != 413 or "problem+json" not in response.headers.get("content-type", ""):
            wrong.append((method, path, response.status_code, response.text[:200]))
    record("oversized bodies refused", tried - len(wrong))
    assert tried >= 20, "the walk found the JSON routes"
    assert not wrong, "\n".join(map(repr, wrong))


async def test_the_webhook_refuses_an_oversized_body_too(api: Api) -> None:
    oversized = b"{" + b" " * MAX_BODY + b"}"
    headers = {"Stripe-Signature": "t=1,v1=x", "Content-Type": "application/json"}
    response = await api.client.post("/api/payments/webhook", content=oversized, headers=headers)
    assert_problem(response, 413)


async def test_a_streamed_body_without_a_length_is_cut_off_at_the_cap(container: App, admin: Account) -> None:
    """Chunked, with no Content-Length to refuse it by: served for real (the test client
    cannot stream), it is still cut off once it passes the cap."""
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'{"title": "'
        for _ in range(4 * MAX_BODY // 65_536):
            sent += 65_536
            yield b"x" * 65_536
        yield b'"}'

    headers = {**admin.headers, "Content-Type": "application/json"}
    async with uvicorn_in_thread(create_app(container)) as url, httpx.AsyncClient(base_url=url) as client:
        try:
            response = await client.post("/api/books", content=chunks(), headers=headers)
        except httpx.HTTPError:  # the server may close the connection before reading the rest
            response = None
    assert sent > MAX_BODY
    if response is not None:
        assert_problem(response, 413)
    assert await count_books(container) == 0


async def count_books(container: App) -> int:
    async with container.gateways.engine().connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(books)) or 0)


async def test_every_collection_caps_its_page_at_100(api: Api, admin: Account, openapi: dict[str, Any]) -> None:
    collections: list[str] = []
    wrong: list[tuple[object, ...]] = []
    for method, path, op in operations(openapi):
        names = {p["name"] for p in op.get("parameters", []) if p.get("in") == "query"}
        if method != "GET" or "{" in path:
            continue
        probe = await api.client.get(path, headers=admin.headers)
        body = probe.json() if probe.headers.get("content-type", "").startswith("application/json") else None
        if not (isinstance(body, dict) and {"items", "total", "limit", "offset"} <= set(body)):
            continue
        collections.append(path)
        if names and "limit" not in names:
            wrong.append((path, "limit is not documented"))
        for limit in (101, 100_000, 0, -1, "ten"):
            response = await api.client.get(path, params={"limit": limit}, headers=admin.headers)
            if response.status_code != 400:
                wrong.append((path, limit, response.status_code, response.text[:150]))
        ok = await api.client.get(path, params={"limit": MAX_PAGE}, headers=admin.headers)
        if ok.status_code != 200 or ok.json()["limit"] != MAX_PAGE:
            wrong.append((path, MAX_PAGE, ok.status_code, ok.text[:150]))
        huge_offset = await api.client.get(path, params={"offset": 10**12}, headers=admin.headers)
        if huge_offset.status_code >= 500:
            wrong.append((path, "offset", huge_offset.status_code))
    record("collections with a capped page", len(collections))
    assert len(collections) >= 10, collections
    assert not wrong, "\n".join(map(repr, wrong))


async def count(engine: AsyncEngine, table: Any) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table)) or 0)


async def test_texts_over_their_limit_are_refused_naming_the_field_and_nothing_is_stored(
    api: Api, admin: Account, engine: AsyncEngine
) -> None:
    bob = await api.user("bob")
    cases: list[tuple[str, str, dict[str, Any], str, Any]] = [
        ("POST", "/api/auth/register", {"username": "u" * 151, "email": "long@example.org",
                                         "password": "a sturdy passphrase 42"}, "username", users),
        ("POST", "/api/auth/register", {"username": "longmail", "email": "e" * 250 + "@example.org",
                                         "password": "a sturdy passphrase 42"}, "email", users),
        ("POST", "/api/books", {"title": "t" * (BOOK_TITLE_MAX + 1), "author": "A", "publish_year": 2000,
                                "inventory": 1, "daily_fee_cents": 100, "cover": "HARD"}, "title", books),
        ("POST", "/api/tasks", {"name": "n" * (NAME_MAX + 1), "performer_id": bob.id,
                                "due_date": "2030-01-01"}, "name", tasks),
        ("POST", "/api/chat/messages", {"recipient_id": bob.id, "text": "m" * (MAX_TEXT + 1)}, "text", chat_messages),
        ("POST", "/api/organizations", {"title": "Readers", "description": "d" * (DESCRIPTION_MAX + 1)},
         "description", organizations),
    ]  # fmt: skip
    wrong: list[tuple[object, ...]] = []
    for method, path, body, field, table in cases:
        before = await count(engine, table)
        response = await api.client.request(method, path, json=body, headers=admin.headers)
        problem = response.json() if "problem+json" in response.headers.get("content-type", "") else {}
        named = any(error.get("field") == field for error in problem.get("errors", []))
        if response.status_code not in (400, 422) or not named:
            wrong.append((path, field, response.status_code, response.text[:200]))
        if await count(engine, table) != before:
            wrong.append((path, field, "a row was stored"))
        record("over-long texts refused")
    assert not wrong, "\n".join(map(repr, wrong))

    # and exactly at the limit, the chat message is accepted (4000 characters, even emoji)
    at_limit = await api.client.post(
        "/api/chat/messages", json={"recipient_id": bob.id, "text": "📚" * MAX_TEXT}, headers=admin.headers
    )
    assert at_limit.status_code == 201, at_limit.text


async def test_cors_answers_only_the_configured_origins(
    database_urls: dict[str, str], backend: str, tmp_path: Path, engine: AsyncEngine
) -> None:
    settings = make_settings(database_urls[backend], tmp_path, cors_origins=["https://app.example.org"])
    container = build_container(settings)
    container.gateways.engine.override(providers.Object(engine))
    async with AsyncTestClient(create_app(container), base_url="http://testserver.local") as client:
        preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
        listed = await client.options("/api/auth/login", headers={"Origin": "https://app.example.org", **preflight})
        assert listed.headers.get("access-control-allow-origin") == "https://app.example.org"
        foreign = await client.options("/api/auth/login", headers={"Origin": "https://evil.example", **preflight})
        assert foreign.headers.get("access-control-allow-origin") in (None, "")
        simple = await client.get("/api/books", headers={"Origin": "https://evil.example"})
        assert simple.headers.get("access-control-allow-origin") in (None, "")
        assert "*" not in simple.headers.get("access-control-allow-origin", "")
