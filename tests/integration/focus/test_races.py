"""Races on Postgres: the database's unique indexes decide, and a loser gets 409, never 500."""

from __future__ import annotations

import asyncio

import pytest
from dependency_injector import providers
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.tables import focus_categories, focus_sessions
from domain.focus import FocusSessionAlreadyRunning
from domain.shared import UserId
from entrypoints.container import App
from tests.integration.catalog_support import MovableClock
from tests.integration.focus.support import start, started
from tests.integration.support import Account, Api
from tests.unit.application.chat_fakes import RecordingPublisher

pytestmark = pytest.mark.postgres


async def running(engine: AsyncEngine, user_id: int) -> int:
    async with engine.connect() as conn:
        return int(
            await conn.scalar(
                select(func.count()).where(focus_sessions.c.user_id == user_id, focus_sessions.c.status == "running")
            )
            or 0
        )


async def test_concurrent_starts_give_one_201_and_409_for_the_rest(api: Api, ada: Account, engine: AsyncEngine) -> None:
    responses = await asyncio.gather(*(start(api, ada) for _ in range(20)))
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] + [409] * 19, [r.text for r in responses if r.status_code not in {201, 409}]
    assert await running(engine, ada.id) == 1


async def test_concurrent_starts_through_the_use_case_on_separate_connections(
    container: App, ada: Account, engine: AsyncEngine
) -> None:
    results = await asyncio.gather(
        *(container.focus.start_session()(user_id=UserId(ada.id)) for _ in range(12)), return_exceptions=True
    )
    failures = [result for result in results if isinstance(result, BaseException)]
    assert len(failures) == 11
    assert all(isinstance(failure, FocusSessionAlreadyRunning) for failure in failures), failures
    assert await running(engine, ada.id) == 1


async def test_a_start_racing_the_job_at_the_end_of_a_session_announces_it_once(
    api: Api, container: App, ada: Account, clock: MovableClock
) -> None:
    publisher = RecordingPublisher()
    container.gateways.publisher.override(providers.Object(publisher))
    first = await started(api, ada, focus_minutes=1)
    clock.advance(minutes=1)
    outcomes = await asyncio.gather(
        start(api, ada),
        container.focus.complete_sessions()(),
        container.focus.complete_sessions()(),
        start(api, ada),
    )
    assert sorted(outcome.status_code for outcome in (outcomes[0], outcomes[3])) == [201, 409]
    assert [p.payload["session_id"] for p in publisher.pushes] == [first["id"]]


async def test_concurrent_categories_with_one_name_give_one_201(api: Api, ada: Account, engine: AsyncEngine) -> None:
    responses = await asyncio.gather(
        *(
            api.client.post("/api/focus/categories", json={"name": "Work", "color": "#000000"}, headers=ada.headers)
            for _ in range(10)
        )
    )
    assert sorted(response.status_code for response in responses) == [201] + [409] * 9
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(focus_categories)) == 1
