"""Helpers for integration tests: a thin client that registers, logs in and asserts problems."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass
from typing import Any

import psycopg
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.tables import metadata
from entrypoints.container import App

PASSWORD = "a sturdy passphrase 42"
_counter = itertools.count(1)


@dataclass
class Account:
    id: int
    username: str
    email: str
    password: str
    access: str
    refresh: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access}"}


class Api:
    def __init__(self, client: AsyncTestClient[Any], container: App) -> None:
        self.client = client
        self.container = container

    async def user(self, username: str | None = None, *, admin: bool = False, premium: bool = False) -> Account:
        """Register (through the use case for admins, HTTP otherwise) and log in."""
        username = username or f"user{next(_counter)}"
        email = f"{username}@example.org"
        if admin or premium:
            user = await self.container.identity.register_user()(
                username=username, email=email, password=PASSWORD, is_admin=admin
            )
            if premium:
                from application.use_cases.identity import Principal
                from domain.identity import AdminChanges

                await self.container.identity.administer_user()(
                    actor=Principal(user_id=0, is_admin=True, is_premium=False),  # type: ignore[arg-type]
                    user_id=user.uid,
                    changes=AdminChanges(is_premium=True),
                )
            user_id = user.uid
        else:
            response = await self.client.post(
                "/api/auth/register", json={"username": username, "email": email, "password": PASSWORD}
            )
            assert response.status_code == 201, response.text
            user_id = response.json()["id"]
        tokens = await self.login(email, PASSWORD)
        return Account(user_id, username, email, PASSWORD, tokens["access"], tokens["refresh"])

    async def login(self, identifier: str, password: str, field: str = "email") -> dict[str, Any]:
        response = await self.client.post("/api/auth/login", json={field: identifier, "password": password})
        assert response.status_code == 200, response.text
        return dict(response.json())


def assert_problem(response: Any, status: int, *, field: str | None = None) -> dict[str, Any]:
    """The response is an RFC 9457 problem with ``status`` (and names ``field`` if given)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body = dict(response.json())
    assert body["status"] == status
    assert isinstance(body["title"], str)
    assert body["title"]
    assert isinstance(body["detail"], str)
    assert "type" in body
    if field is not None:
        assert any(error.get("field") == field for error in body.get("errors", [])), body
    return body


async def empty_all_tables(engine: AsyncEngine) -> None:
    """Every table emptied (and Postgres' id sequences restarted)."""
    tables = [table.name for table in reversed(metadata.sorted_tables)]
    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                await conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - our own table names


async def terminate_backends(engine: AsyncEngine, pids: list[int], *, within: float = 10.0) -> None:
    """``pg_terminate_backend`` each of ``pids`` and wait until they are gone.

    The function only signals the backend: it returns before the backend has told its client
    and closed the socket. A test that checks out the pooled connection at once could find it
    still open (the server's goodbye not sent yet) and measure that race instead of what it
    means to: a connection the server has closed. A backend leaves ``pg_stat_activity`` after
    its farewell message is written, so once it is absent there, the socket says so."""
    libpq = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    async with await psycopg.AsyncConnection.connect(libpq, autocommit=True) as killer:  # not from the pool
        for pid in pids:
            signalled = await (await killer.execute("SELECT pg_terminate_backend(%s)", (pid,))).fetchone()
            assert signalled == (True,), f"no backend {pid} to terminate"
        deadline = asyncio.get_running_loop().time() + within
        while True:
            cur = await killer.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", (pids,))
            row = await cur.fetchone()
            if row is not None and row[0] == 0:
                return
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"backends {pids} still running {within} s after pg_terminate_backend")
            await asyncio.sleep(0.01)
