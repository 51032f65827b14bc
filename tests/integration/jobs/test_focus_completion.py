"""The ``complete_focus_sessions`` job: completes what is due with one conditional UPDATE,
re-evaluates achievements, pushes ``focus:break``; idempotent, safe with concurrent runs, and it
catches up sessions that ended while nothing ran (the state lives in the table)."""

from __future__ import annotations

import asyncio

import pytest
from dependency_injector import providers
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.tables import achievements, focus_sessions
from entrypoints.container import App
from entrypoints.scheduler.jobs import complete_focus_sessions, job_named
from entrypoints.scheduler.service import SchedulerService
from tests.integration.catalog_support import MovableClock, use_clock
from tests.integration.focus.support import at, started
from tests.integration.support import Api
from tests.unit.application.chat_fakes import RecordingPublisher


@pytest.fixture
def clock(container: App) -> MovableClock:
    return use_clock(container, MovableClock())


@pytest.fixture
def pushes(container: App) -> RecordingPublisher:
    publisher = RecordingPublisher()
    container.gateways.publisher.override(providers.Object(publisher))
    return publisher


async def stored(engine: AsyncEngine, session_id: int) -> tuple[str, object]:
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(focus_sessions.c.status, focus_sessions.c.ended_at).where(focus_sessions.c.id == session_id)
            )
        ).one()
    return row.status, row.ended_at


async def unlocked(engine: AsyncEngine, user_id: int) -> dict[str, object]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(achievements.c.code, achievements.c.unlocked_at).where(achievements.c.user_id == user_id)
        )
        return {row.code: row.unlocked_at for row in rows}


async def test_a_one_minute_session_is_completed_by_the_job(
    api: Api, container: App, engine: AsyncEngine, clock: MovableClock, pushes: RecordingPublisher
) -> None:
    ada = await api.user()
    session = await started(api, ada, focus_minutes=1, break_minutes=3)
    clock.advance(seconds=59)
    assert str(await complete_focus_sessions(container)) == "completed 0 focus sessions"
    assert (await stored(engine, session["id"]))[0] == "running"
    assert not pushes.pushes

    clock.advance(seconds=1)
    assert str(await complete_focus_sessions(container)) == "completed 1 focus sessions"
    assert await stored(engine, session["id"]) == ("completed", at(session["ends_at"]))
    assert await unlocked(engine, ada.id) == {"first_pomodoro": at(session["ends_at"])}, "evaluated by the job"
    assert [(p.to, p.event, p.payload) for p in pushes.pushes] == [
        (
            (ada.id,),
            "focus:break",
            {"session_id": session["id"], "break_minutes": 3, "ended_at": at(session["ends_at"])},
        )
    ]

    clock.advance(minutes=5)
    assert str(await complete_focus_sessions(container)) == "completed 0 focus sessions"
    assert len(pushes.pushes) == 1, "a completed session is announced once"


async def test_sessions_that_ended_while_nothing_ran_are_caught_up_in_one_run(
    api: Api, container: App, engine: AsyncEngine, clock: MovableClock, pushes: RecordingPublisher
) -> None:
    people = [await api.user() for _ in range(3)]
    sessions = [await started(api, person, focus_minutes=5 + index) for index, person in enumerate(people)]
    long_one = await started(api, await api.user(), focus_minutes=180)
    clock.advance(hours=2)  # the process was down
    assert str(await complete_focus_sessions(container)) == "completed 3 focus sessions"
    for session in sessions:
        assert await stored(engine, session["id"]) == ("completed", at(session["ends_at"]))
    assert (await stored(engine, long_one["id"]))[0] == "running", "not due yet"
    assert sorted(p.payload["session_id"] for p in pushes.pushes) == sorted(s["id"] for s in sessions)


async def test_a_stopped_session_is_never_completed(
    api: Api, container: App, engine: AsyncEngine, clock: MovableClock, pushes: RecordingPublisher
) -> None:
    ada = await api.user()
    session = await started(api, ada, focus_minutes=1)
    clock.advance(seconds=30)
    assert (await api.client.post(f"/api/focus/sessions/{session['id']}/stop", headers=ada.headers)).status_code == 200
    clock.advance(minutes=2)
    assert str(await complete_focus_sessions(container)) == "completed 0 focus sessions"
    assert (await stored(engine, session["id"]))[0] == "stopped"
    assert not pushes.pushes
    assert await unlocked(engine, ada.id) == {}


async def test_a_new_scheduler_completes_what_ended_before_it_started(
    api: Api, container: App, engine: AsyncEngine, clock: MovableClock, pushes: RecordingPublisher
) -> None:
    ada = await api.user()
    session = await started(api, ada, focus_minutes=1)
    clock.advance(minutes=10)
    scheduler = SchedulerService(container, jobs=[job_named("complete_focus_sessions")], leadership_interval=0.2)
    await scheduler.start()
    try:
        for _ in range(50):
            if (await stored(engine, session["id"]))[0] == "completed":
                break
            await asyncio.sleep(0.1)
    finally:
        await scheduler.stop()
    assert await stored(engine, session["id"]) == ("completed", at(session["ends_at"]))
    assert [p.payload["session_id"] for p in pushes.pushes] == [session["id"]]


@pytest.mark.postgres
async def test_concurrent_runs_complete_and_announce_each_session_once(
    api: Api, container: App, clock: MovableClock, pushes: RecordingPublisher
) -> None:
    people = [await api.user() for _ in range(8)]
    for person in people:
        await started(api, person, focus_minutes=1)
    clock.advance(minutes=1)
    reports = await asyncio.gather(*(container.focus.complete_sessions()() for _ in range(6)))
    assert sum(report.completed for report in reports) == len(people)
    announced = [p.payload["session_id"] for p in pushes.pushes]
    assert len(announced) == len(set(announced)) == len(people)
