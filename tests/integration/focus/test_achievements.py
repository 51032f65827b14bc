"""Achievements over HTTP: every one listed, each unlocked once at the moment it was earned."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.tables import achievements as achievement_rows
from tests.integration.catalog_support import MovableClock
from tests.integration.focus.support import (
    achievements,
    add_book,
    add_borrowing,
    add_focus,
    add_reading,
    at,
    started,
)
from tests.integration.support import Account, Api, assert_problem

CODES = [
    "first_pomodoro",
    "ten_pomodoros",
    "hundred_pomodoros",
    "streak_3_days",
    "streak_7_days",
    "reading_10_hours",
    "first_on_time_return",
]


async def test_every_achievement_is_listed_locked_at_first(api: Api, ada: Account) -> None:
    response = await api.client.get("/api/achievements", headers=ada.headers)
    assert response.status_code == 200
    body = response.json()
    assert [item["code"] for item in body["items"]] == CODES
    assert all(item["unlocked_at"] is None and item["title"] and item["description"] for item in body["items"])
    assert (body["total"], body["limit"], body["offset"]) == (7, 20, 0)
    page = (await api.client.get("/api/achievements", params={"limit": 2, "offset": 5}, headers=ada.headers)).json()
    assert [item["code"] for item in page["items"]] == CODES[5:]
    assert_problem(await api.client.get("/api/achievements"), 401)


async def test_the_first_pomodoro_unlocks_at_its_completion(
    api: Api, ada: Account, bob: Account, clock: MovableClock
) -> None:
    session = await started(api, ada, focus_minutes=1)
    clock.advance(minutes=5)  # noticed late: the job did not run, the unlock is still dated at ends_at
    unlocked = await achievements(api, ada)
    assert at(unlocked["first_pomodoro"] or "") == at(session["ends_at"])
    assert [code for code, moment in unlocked.items() if moment] == ["first_pomodoro"]
    assert not any((await achievements(api, bob)).values()), "bob has done nothing"


async def test_a_stopped_session_is_no_pomodoro(api: Api, ada: Account, clock: MovableClock) -> None:
    session = await started(api, ada)
    clock.advance(minutes=24)
    await api.client.post(f"/api/focus/sessions/{session['id']}/stop", headers=ada.headers)
    clock.advance(hours=1)
    assert (await achievements(api, ada))["first_pomodoro"] is None


async def test_ten_pomodoros_and_a_three_day_streak_in_the_users_time_zone(
    api: Api, ada: Account, engine: AsyncEngine
) -> None:
    # 23:30 UTC is already the next day at +02:00: these land on three consecutive local days.
    start = datetime(2026, 3, 1, 23, 5, tzinfo=UTC)  # completes 23:30 UTC = 01:30 (+02:00) on 2 March
    for day in range(3):
        await add_focus(engine, ada.id, start + timedelta(days=day), tz="+02:00")
    for n in range(7):
        await add_focus(engine, ada.id, start + timedelta(days=2, hours=1 + n))
    unlocked = await achievements(api, ada)
    assert at(unlocked["first_pomodoro"] or "") == start + timedelta(minutes=25)
    assert at(unlocked["streak_3_days"] or "") == start + timedelta(days=2, minutes=25)
    assert at(unlocked["ten_pomodoros"] or "") == start + timedelta(days=2, hours=7, minutes=25)
    assert unlocked["streak_7_days"] is None
    assert unlocked["hundred_pomodoros"] is None


async def test_the_same_moments_in_utc_are_no_streak(api: Api, ada: Account, engine: AsyncEngine) -> None:
    # 00:10 UTC, 23:50 UTC the next day, then a gap: days 1 and 2 in UTC, not three.
    await add_focus(engine, ada.id, datetime(2026, 3, 1, 23, 45, tzinfo=UTC))
    await add_focus(engine, ada.id, datetime(2026, 3, 2, 23, 25, tzinfo=UTC))
    await add_focus(engine, ada.id, datetime(2026, 3, 4, 0, 5, tzinfo=UTC))
    assert (await achievements(api, ada))["streak_3_days"] is None


async def test_ten_hours_of_reading_unlock_when_the_session_that_reached_them_ended(
    api: Api, ada: Account, engine: AsyncEngine
) -> None:
    book = await add_book(engine)
    first = datetime(2026, 1, 10, 8, tzinfo=UTC)
    await add_reading(engine, ada.id, book, first, 6 * 3600)
    await add_reading(engine, ada.id, book, first + timedelta(days=1), 3 * 3600 + 3599)
    assert (await achievements(api, ada))["reading_10_hours"] is None, "one second short"
    await add_reading(engine, ada.id, book, first + timedelta(days=2), 1)
    unlocked = await achievements(api, ada)
    assert at(unlocked["reading_10_hours"] or "") == first + timedelta(days=2, seconds=1)


async def test_a_borrowing_returned_on_time_unlocks_once(
    api: Api, ada: Account, bob: Account, engine: AsyncEngine, clock: MovableClock
) -> None:
    book = await add_book(engine)
    today = clock.now().date()
    await add_borrowing(engine, bob.id, book, expected=today - timedelta(days=3), returned=today)  # late
    await add_borrowing(engine, bob.id, book, expected=today, returned=None)  # not back yet
    assert (await achievements(api, bob))["first_on_time_return"] is None

    await add_borrowing(engine, ada.id, book, expected=today, returned=today)  # on the last day: on time
    unlocked = await achievements(api, ada)
    assert at(unlocked["first_on_time_return"] or "") == clock.now(), "evaluated on the return day: now"
    clock.advance(days=3)
    await add_borrowing(engine, ada.id, book, expected=today + timedelta(days=3), returned=today + timedelta(days=1))
    assert (await achievements(api, ada))["first_on_time_return"] == unlocked["first_on_time_return"]


async def test_a_return_noticed_days_later_is_dated_no_later_than_its_day(
    api: Api, ada: Account, engine: AsyncEngine, clock: MovableClock
) -> None:
    book = await add_book(engine)
    returned = clock.now().date() - timedelta(days=5)
    await add_borrowing(engine, ada.id, book, expected=returned, returned=returned)
    unlocked = await achievements(api, ada)
    assert at(unlocked["first_on_time_return"] or "") == datetime.combine(
        returned + timedelta(days=1), datetime.min.time(), tzinfo=UTC
    )


async def test_each_achievement_is_stored_once_and_keeps_its_moment(
    api: Api, ada: Account, engine: AsyncEngine, clock: MovableClock
) -> None:
    session = await started(api, ada, focus_minutes=1)
    clock.advance(minutes=1)
    first = await achievements(api, ada)
    # An earlier pomodoro recorded afterwards does not re-date what is unlocked.
    await add_focus(engine, ada.id, clock.start - timedelta(days=1))
    clock.advance(minutes=1)
    assert await achievements(api, ada) == first
    assert at(first["first_pomodoro"] or "") == at(session["ends_at"])
    async with engine.connect() as conn:
        rows = await conn.scalar(select(func.count()).select_from(achievement_rows))
    assert rows == 1
