"""Focus sessions over HTTP: start, one running at a time, stop early, lists with filters, and a
session past its end shown completed before the job has run."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.tables import focus_sessions
from tests.integration.catalog_support import MovableClock
from tests.integration.focus.support import at, category, sessions, start, started, stop
from tests.integration.support import Account, Api, assert_problem


async def stored_status(engine: AsyncEngine, session_id: int) -> str:
    async with engine.connect() as conn:
        status = await conn.scalar(select(focus_sessions.c.status).where(focus_sessions.c.id == session_id))
    return str(status)


async def test_a_session_starts_now_with_the_default_lengths(api: Api, ada: Account, clock: MovableClock) -> None:
    body = await started(api, ada)
    assert body["status"] == "running"
    assert (body["focus_minutes"], body["break_minutes"], body["category_id"], body["tz"]) == (25, 5, None, "UTC")
    assert at(body["started_at"]) == clock.now()
    assert at(body["ends_at"]) == clock.now() + timedelta(minutes=25)
    assert body["ended_at"] is None


async def test_a_session_takes_its_lengths_category_and_time_zone(api: Api, ada: Account, clock: MovableClock) -> None:
    work = await category(api, ada)
    body = await started(api, ada, category_id=work["id"], focus_minutes=50, break_minutes=10, tz="Europe/Paris")
    assert (body["focus_minutes"], body["break_minutes"], body["category_id"], body["tz"]) == (
        50,
        10,
        work["id"],
        "Europe/Paris",
    )
    assert at(body["ends_at"]) - at(body["started_at"]) == timedelta(minutes=50)


@pytest.mark.parametrize(("tz", "stored"), [("+02:00", "+02:00"), ("-0530", "-05:30"), ("Z", "UTC"), ("+00:00", "UTC")])
async def test_offsets_are_stored_in_one_spelling(api: Api, ada: Account, tz: str, stored: str) -> None:
    assert (await started(api, ada, tz=tz))["tz"] == stored


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"focus_minutes": 0}, 422, "focus_minutes"),
        ({"focus_minutes": 181}, 422, "focus_minutes"),
        ({"focus_minutes": -5}, 422, "focus_minutes"),
        ({"break_minutes": 0}, 422, "break_minutes"),
        ({"break_minutes": 61}, 422, "break_minutes"),
        ({"focus_minutes": 10**20}, 400, "focus_minutes"),
        ({"focus_minutes": "soon"}, 400, "focus_minutes"),
        ({"focus_minutes": None}, 400, "focus_minutes"),
        ({"tz": "Mars/Olympus"}, 422, "tz"),
        ({"tz": "+15:00"}, 422, "tz"),
        ({"tz": "+02:60"}, 422, "tz"),
        ({"tz": "../../etc/passwd"}, 422, "tz"),
        ({"tz": "Europe"}, 422, "tz"),
        ({"tz": "Europe/Paris\u0000"}, 422, "tz"),
        ({"tz": "x" * 65}, 400, "tz"),
        ({"category_id": 999_999}, 422, "category_id"),
        ({"category_id": 0}, 400, "category_id"),
        ({"category_id": 2**31}, 400, "category_id"),
        ({"surprise": True}, 400, "surprise"),
    ],
)
async def test_invalid_starts_are_refused(
    api: Api, ada: Account, body: dict[str, object], status: int, field: str
) -> None:
    assert_problem(await start(api, ada, **body), status, field=field)
    assert (await sessions(api, ada))["total"] == 0


async def test_someone_elses_category_cannot_be_used(api: Api, ada: Account, bob: Account) -> None:
    bobs = await category(api, bob)
    assert_problem(await start(api, ada, category_id=bobs["id"]), 422, field="category_id")


async def test_one_running_session_per_user(api: Api, ada: Account, bob: Account) -> None:
    first = await started(api, ada)
    assert_problem(await start(api, ada), 409)
    await started(api, bob)  # others are not concerned
    assert (await stop(api, ada, first["id"])).status_code == 200
    await started(api, ada)


async def test_stopping_early_ends_the_session_now(api: Api, ada: Account, clock: MovableClock) -> None:
    session = await started(api, ada)
    clock.advance(minutes=7, seconds=3)
    response = await stop(api, ada, session["id"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "stopped"
    assert at(body["ended_at"]) == clock.now()
    assert_problem(await stop(api, ada, session["id"]), 409)


async def test_only_the_owner_stops_a_session(api: Api, ada: Account, bob: Account) -> None:
    session = await started(api, ada)
    assert_problem(await stop(api, bob, session["id"]), 404)
    assert_problem(await stop(api, ada, 999_999), 404)
    assert_problem(await stop(api, ada, 2**31), 400)
    assert (await sessions(api, ada))["items"][0]["status"] == "running"


async def test_a_session_past_its_end_is_completed_before_the_job_runs(
    api: Api, ada: Account, clock: MovableClock, engine: AsyncEngine
) -> None:
    session = await started(api, ada, focus_minutes=1)
    clock.advance(seconds=59)
    assert (await sessions(api, ada))["items"][0]["status"] == "running"
    clock.advance(seconds=1)
    shown = (await sessions(api, ada))["items"][0]
    assert (shown["status"], at(shown["ended_at"])) == ("completed", at(session["ends_at"]))
    assert await stored_status(engine, session["id"]) == "running", "the job has not run"
    assert_problem(await stop(api, ada, session["id"]), 409)


async def test_starting_after_the_end_completes_the_previous_session_first(
    api: Api, ada: Account, clock: MovableClock, engine: AsyncEngine
) -> None:
    first = await started(api, ada, focus_minutes=1)
    clock.advance(minutes=1)
    second = await started(api, ada)
    assert await stored_status(engine, first["id"]) == "completed"
    assert await stored_status(engine, second["id"]) == "running"


async def test_the_list_is_yours_newest_first_with_filters(
    api: Api, ada: Account, bob: Account, clock: MovableClock
) -> None:
    work = await category(api, ada, name="Work")
    ids = []
    for index in range(3):
        body = await started(api, ada, category_id=work["id"] if index != 1 else None)
        ids.append(body["id"])
        clock.advance(minutes=30)
    await started(api, bob)
    everything = await sessions(api, ada)
    assert [item["id"] for item in everything["items"]] == ids[::-1]
    assert {item["status"] for item in everything["items"]} == {"completed"}
    assert (everything["total"], everything["limit"], everything["offset"]) == (3, 20, 0)

    assert [item["id"] for item in (await sessions(api, ada, category_id=work["id"]))["items"]] == [ids[2], ids[0]]
    second_start = clock.start + timedelta(minutes=30)
    from_second = await sessions(api, ada, **{"from": second_start.isoformat()})
    assert [item["id"] for item in from_second["items"]] == [ids[2], ids[1]], "from is inclusive"
    before_second = await sessions(api, ada, to=second_start.isoformat())
    assert [item["id"] for item in before_second["items"]] == [ids[0]], "to is exclusive"
    window = await sessions(
        api, ada, **{"from": second_start.isoformat(), "to": (second_start + timedelta(minutes=30)).isoformat()}
    )
    assert [item["id"] for item in window["items"]] == [ids[1]]
    naive = await sessions(api, ada, to=second_start.replace(tzinfo=None).isoformat())
    assert [item["id"] for item in naive["items"]] == [ids[0]], "a datetime without an offset is UTC"
    paged = await sessions(api, ada, limit=1, offset=1)
    assert ([item["id"] for item in paged["items"]], paged["total"]) == ([ids[1]], 3)


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, 422, "to"),
        ({"from": "yesterday"}, 400, "from"),
        ({"to": "2026-13-01T00:00:00Z"}, 400, "to"),
        ({"from": "0001-01-01T00:00:00+14:00"}, 422, "from"),
        ({"category_id": 0}, 400, "category_id"),
        ({"limit": 101}, 400, "limit"),
    ],
)
async def test_invalid_list_filters_are_refused(
    api: Api, ada: Account, params: dict[str, object], status: int, field: str
) -> None:
    response = await api.client.get("/api/focus/sessions", params=params, headers=ada.headers)
    assert_problem(response, status, field=field)


async def test_sessions_need_a_token(api: Api) -> None:
    assert_problem(await api.client.get("/api/focus/sessions"), 401)
    assert_problem(await api.client.post("/api/focus/sessions", json={}), 401)
    assert_problem(await api.client.post("/api/focus/sessions/1/stop"), 401)
