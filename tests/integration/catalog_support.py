"""Helpers for catalog and reading tests: books through the API, a clock the tests move."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from dependency_injector import providers
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from entrypoints.container import App
from tests.clock import MovableClock
from tests.integration.support import Account, Api

_numbers = itertools.count(1)


def use_clock(container: App, clock: MovableClock | None = None) -> MovableClock:
    clock = clock or MovableClock()
    container.gateways.clock.override(providers.Object(clock))
    return clock


def book_body(**overrides: Any) -> dict[str, Any]:
    n = next(_numbers)
    body: dict[str, Any] = {
        "title": f"Book {n}",
        "author": f"Author {n}",
        "publish_year": 1990,
        "short_description": f"Short {n}",
        "full_description": f"The whole story of book {n}.",
        "cover": "HARD",
        "inventory": 3,
        "daily_fee_cents": 50,
    }
    body.update(overrides)
    return body


async def create_book(api: Api, admin: Account, **overrides: Any) -> dict[str, Any]:
    response = await api.client.post("/api/books", json=book_body(**overrides), headers=admin.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


@contextmanager
def counting_statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """The SQL statements ``engine`` sends while the block runs."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
