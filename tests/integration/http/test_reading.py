"""Reading sessions over HTTP: start and end, lists with elapsed time, totals, admin records."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.tables import reading_sessions
from domain.catalog import BookId
from domain.shared import UserId
from entrypoints.container import App
from tests.integration.catalog_support import MovableClock, create_book, use_clock
from tests.integration.support import Account, Api, assert_problem


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture
def clock(container: App) -> MovableClock:
    return use_clock(container, MovableClock())


@pytest.fixture
async def admin(api: Api) -> Account:
    return await api.user(admin=True)


@pytest.fixture
async def two_books(api: Api, admin: Account) -> tuple[int, int]:
    first = await create_book(api, admin, title="Middlemarch")
    second = await create_book(api, admin, title="Dune")
    return first["id"], second["id"]


async def start(api: Api, account: Account, book_id: int) -> Any:
    return await api.client.post(f"/api/books/{book_id}/reading/start", headers=account.headers)


async def end(api: Api, account: Account, book_id: int) -> Any:
    return await api.client.post(f"/api/books/{book_id}/reading/end", headers=account.headers)


async def sessions(api: Api, account: Account, **params: Any) -> dict[str, Any]:
    response = await api.client.get("/api/reading-sessions", params=params, headers=account.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def totals(api: Api, account: Account, **params: Any) -> dict[str, Any]:
    response = await api.client.get("/api/reading-sessions/totals", params=params, headers=account.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


# --------------------------------------------------------------------------- start and end


async def test_starting_opens_a_session_now(api: Api, clock: MovableClock, two_books: tuple[int, int]) -> None:
    ada = await api.user()
    response = await start(api, ada, two_books[0])
    assert response.status_code == 201, response.text
    body = response.json()
    assert body == {
        "id": body["id"],
        "user_id": ada.id,
        "book_id": two_books[0],
        "started_at": body["started_at"],
        "ended_at": None,
        "elapsed_seconds": 0,
    }
    assert at(body["started_at"]) == clock.start


async def test_starting_another_book_ends_the_open_session_at_that_moment(
    api: Api, clock: MovableClock, two_books: tuple[int, int]
) -> None:
    ada = await api.user()
    first = (await start(api, ada, two_books[0])).json()
    clock.advance(minutes=25, seconds=7)
    second = (await start(api, ada, two_books[1])).json()

    listed = (await sessions(api, ada))["items"]
    assert [item["id"] for item in listed] == [second["id"], first["id"]], "newest first"
    closed = listed[1]
    assert at(closed["ended_at"]) == clock.start + timedelta(minutes=25, seconds=7) == at(second["started_at"])
    assert closed["elapsed_seconds"] == 25 * 60 + 7
    assert listed[0]["ended_at"] is None


async def test_a_clock_that_stepped_back_never_ends_a_session_before_it_started(
    api: Api, clock: MovableClock, two_books: tuple[int, int]
) -> None:
    ada = await api.user()
    first = (await start(api, ada, two_books[0])).json()
    clock.advance(seconds=-30)  # e.g. NTP stepped the clock back between the two requests
    second = (await start(api, ada, two_books[1])).json()
    closed = next(item for item in (await sessions(api, ada))["items"] if item["id"] == first["id"])
    assert at(closed["ended_at"]) == at(first["started_at"]), "ended when it started, not 30 s earlier"
    assert closed["elapsed_seconds"] == 0
    assert at(second["started_at"]) == clock.start - timedelta(seconds=30)


async def test_starting_the_same_book_again_closes_the_old_session_and_opens_a_new_one(
    api: Api, clock: MovableClock, two_books: tuple[int, int]
) -> None:
    ada = await api.user()
    first = (await start(api, ada, two_books[0])).json()
    clock.advance(seconds=90)
    second = (await start(api, ada, two_books[0])).json()
    assert second["id"] != first["id"]
    listed = (await sessions(api, ada))["items"]
    assert [(item["id"], item["ended_at"] is None) for item in listed] == [(second["id"], True), (first["id"], False)]


async def test_ending_closes_the_open_session_of_that_book(
    api: Api, clock: MovableClock, two_books: tuple[int, int]
) -> None:
    ada = await api.user()
    opened = (await start(api, ada, two_books[0])).json()
    clock.advance(hours=1, seconds=1)
    response = await end(api, ada, two_books[0])
    assert response.status_code == 200, response.text
    ended = response.json()
    assert ended["id"] == opened["id"]
    assert at(ended["ended_at"]) == clock.start + timedelta(hours=1, seconds=1)
    assert ended["elapsed_seconds"] == 3601


async def test_ending_without_an_open_session_of_that_book_is_409(
    api: Api, clock: MovableClock, two_books: tuple[int, int]
) -> None:
    ada = await api.user()
    assert_problem(await end(api, ada, two_books[0]), 409)

    await start(api, ada, two_books[0])
    assert_problem(await end(api, ada, two_books[1]), 409)
    assert (await sessions(api, ada))["items"][0]["ended_at"] is None, "the other book's session stays open"

    assert (await end(api, ada, two_books[0])).status_code == 200
    body = assert_problem(await end(api, ada, two_books[0]), 409)
    assert body["type"].endswith("no-open-reading-session")


async def test_reading_a_missing_book_is_404_and_anonymous_readers_401(
    api: Api, clock: MovableClock, two_books: tuple[int, int]
) -> None:
    ada = await api.user()
    for book_id in (999, 2**31, 10**12):
        assert_problem(await start(api, ada, book_id), 404)
        assert_problem(await end(api, ada, book_id), 404)
    assert_problem(await api.client.post(f"/api/books/{two_books[0]}/reading/start"), 401)
    assert_problem(await api.client.post(f"/api/books/{two_books[0]}/reading/end"), 401)


async def test_starting_a_missing_book_leaves_the_open_session_open(
    api: Api, clock: MovableClock, two_books: tuple[int, int]
) -> None:
    """The start ends the open session before its insert finds the book missing: all of it
    is undone, the reader is still reading the first book."""
    ada = await api.user()
    first = (await start(api, ada, two_books[0])).json()
    clock.advance(minutes=5)
    body = assert_problem(await start(api, ada, 999_999), 404)
    assert "book" in body["detail"]
    listed = (await sessions(api, ada))["items"]
    assert [(item["id"], item["ended_at"]) for item in listed] == [(first["id"], None)]
    assert listed[0]["elapsed_seconds"] == 5 * 60


async def test_someone_elses_open_session_is_not_yours_to_end(
    api: Api, clock: MovableClock, two_books: tuple[int, int]
) -> None:
    ada, bob = await api.user(), await api.user()
    await start(api, ada, two_books[0])
    assert_problem(await end(api, bob, two_books[0]), 409)
    assert (await start(api, bob, two_books[0])).status_code == 201, "readers do not disturb each other"
    assert [item["ended_at"] for item in (await sessions(api, ada))["items"]] == [None]


# --------------------------------------------------------------------------- lists and totals


async def test_the_list_shows_your_own_sessions_with_elapsed_time(
    api: Api, clock: MovableClock, two_books: tuple[int, int]
) -> None:
    ada, bob = await api.user(), await api.user()
    await start(api, ada, two_books[0])
    clock.advance(seconds=40)
    await end(api, ada, two_books[0])
    await start(api, bob, two_books[0])
    clock.advance(seconds=5)
    await start(api, ada, two_books[1])
    clock.advance(seconds=12.9)

    mine = await sessions(api, ada)
    assert mine["total"] == 2
    assert [(item["book_id"], item["elapsed_seconds"]) for item in mine["items"]] == [
        (two_books[1], 12),  # open: counts up to now, whole seconds
        (two_books[0], 40),
    ]
    assert {item["user_id"] for item in mine["items"]} == {ada.id}
    clock.advance(minutes=1)
    assert (await sessions(api, ada))["items"][0]["elapsed_seconds"] == 72

    only_first = await sessions(api, ada, book_id=two_books[0])
    assert [item["book_id"] for item in only_first["items"]] == [two_books[0]]
    assert (await sessions(api, ada, user_id=ada.id))["total"] == 2
    assert_problem(await api.client.get("/api/reading-sessions", params={"user_id": bob.id}, headers=ada.headers), 403)


async def test_admins_see_everyones_sessions_and_filter_by_user(
    api: Api, admin: Account, clock: MovableClock, two_books: tuple[int, int]
) -> None:
    ada, bob = await api.user(), await api.user()
    await start(api, ada, two_books[0])
    await start(api, bob, two_books[1])
    everyone = await sessions(api, admin)
    assert {item["user_id"] for item in everyone["items"]} == {ada.id, bob.id}
    only_bob = await sessions(api, admin, user_id=bob.id)
    assert [item["user_id"] for item in only_bob["items"]] == [bob.id]
    assert (await sessions(api, admin, user_id=bob.id, book_id=two_books[0]))["items"] == []


async def test_the_list_pages(api: Api, clock: MovableClock, two_books: tuple[int, int]) -> None:
    ada = await api.user()
    for _ in range(5):
        await start(api, ada, two_books[0])
        clock.advance(seconds=1)
    page = await sessions(api, ada, limit=2, offset=2)
    assert (len(page["items"]), page["total"], page["limit"], page["offset"]) == (2, 5, 2, 2)
    assert_problem(await api.client.get("/api/reading-sessions", params={"limit": 101}, headers=ada.headers), 400)
    assert_problem(await api.client.get("/api/reading-sessions", params={"book_id": 0}, headers=ada.headers), 400)
    assert_problem(await api.client.get("/api/reading-sessions"), 401)


async def test_totals_sum_closed_sessions_per_book(api: Api, clock: MovableClock, two_books: tuple[int, int]) -> None:
    ada, bob = await api.user(), await api.user()
    first, second = two_books
    await start(api, ada, first)
    clock.advance(seconds=100)
    await start(api, ada, second)  # closes 100 s of the first book
    clock.advance(seconds=30)
    await start(api, ada, first)  # closes 30 s of the second
    clock.advance(seconds=50)
    await end(api, ada, first)  # 50 s more of the first
    await start(api, ada, second)  # open: not counted
    await start(api, bob, first)
    clock.advance(seconds=1000)
    await end(api, bob, first)
    clock.advance(seconds=500)

    assert await totals(api, ada) == {
        "items": [
            {"book_id": first, "total_elapsed_seconds": 150},
            {"book_id": second, "total_elapsed_seconds": 30},
        ],
        "total": 2,
        "limit": 20,
        "offset": 0,
    }
    assert (await totals(api, ada, book_id=second))["items"] == [{"book_id": second, "total_elapsed_seconds": 30}]
    assert (await totals(api, bob))["items"] == [{"book_id": first, "total_elapsed_seconds": 1000}]
    assert (await totals(api, ada, limit=1, offset=1))["items"] == [{"book_id": second, "total_elapsed_seconds": 30}]
    assert_problem(
        await api.client.get("/api/reading-sessions/totals", params={"user_id": bob.id}, headers=ada.headers), 403
    )


async def test_admins_read_anyones_totals(
    api: Api, admin: Account, clock: MovableClock, two_books: tuple[int, int]
) -> None:
    ada = await api.user()
    await start(api, ada, two_books[0])
    clock.advance(seconds=60)
    await end(api, ada, two_books[0])
    assert (await totals(api, admin))["items"] == []
    assert (await totals(api, admin, user_id=ada.id))["items"] == [
        {"book_id": two_books[0], "total_elapsed_seconds": 60}
    ]


async def test_ending_a_session_refreshes_your_session_stats(
    api: Api, clock: MovableClock, two_books: tuple[int, int]
) -> None:
    ada = await api.user()
    await start(api, ada, two_books[0])
    clock.advance(minutes=10)
    await end(api, ada, two_books[0])
    stats = (await api.client.get("/api/users/me", headers=ada.headers)).json()["session_stats"]
    assert stats["total_seconds"] == stats["last_7_days_seconds"] == stats["last_30_days_seconds"] == 600
    assert stats["books_read"] == 1
    assert at(stats["updated_at"]) == clock.start + timedelta(minutes=10)


# --------------------------------------------------------------------------- admin records


async def record(api: Api, admin: Account, **body: Any) -> Any:
    return await api.client.post("/api/reading-sessions", json=body, headers=admin.headers)


async def test_admins_record_closed_sessions(
    api: Api, admin: Account, clock: MovableClock, two_books: tuple[int, int]
) -> None:
    ada = await api.user()
    started = clock.start - timedelta(days=2)
    response = await record(
        api,
        admin,
        user_id=ada.id,
        book_id=two_books[1],
        started_at=iso(started),
        ended_at=iso(started + timedelta(minutes=45, seconds=30)),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["user_id"], body["book_id"], body["elapsed_seconds"]) == (ada.id, two_books[1], 45 * 60 + 30)
    assert at(body["started_at"]) == started
    assert (await totals(api, ada))["items"] == [{"book_id": two_books[1], "total_elapsed_seconds": 2730}]
    assert (await api.client.get(f"/api/books/{two_books[1]}")).json()["readers"] == 1


async def test_a_recorded_session_ends_after_it_starts_and_not_in_the_future(
    api: Api, admin: Account, clock: MovableClock, two_books: tuple[int, int]
) -> None:
    ada = await api.user()
    moment = iso(clock.start - timedelta(hours=1))
    for started_at, ended_at in [
        (moment, moment),
        (iso(clock.start - timedelta(minutes=10)), iso(clock.start - timedelta(minutes=20))),
        (iso(clock.start - timedelta(minutes=10)), iso(clock.start + timedelta(seconds=1))),
    ]:
        response = await record(
            api, admin, user_id=ada.id, book_id=two_books[0], started_at=started_at, ended_at=ended_at
        )
        assert_problem(response, 422, field="ended_at")
    assert (await sessions(api, admin))["total"] == 0


@pytest.mark.parametrize(
    "change",
    [
        {"started_at": "2026-03-01T10:00:00"},  # no offset
        {"started_at": "yesterday"},
        {"user_id": 0},
        {"book_id": 2**40},
        {"ended_at": None},
        {"notes": "extra"},
    ],
)
async def test_malformed_records_are_400(
    api: Api, admin: Account, clock: MovableClock, two_books: tuple[int, int], change: dict[str, Any]
) -> None:
    body = {"user_id": admin.id, "book_id": two_books[0], "started_at": iso(clock.start - timedelta(hours=2))}
    body |= {"ended_at": iso(clock.start - timedelta(hours=1))} | change
    assert_problem(await api.client.post("/api/reading-sessions", json=body, headers=admin.headers), 400)


@pytest.mark.parametrize(
    ("started_at", "ended_at", "field"),
    [
        ("0001-01-01T00:00:00+14:00", "0001-01-02T00:00:00+00:00", "started_at"),  # before year 1 in UTC
        ("2020-01-01T00:00:00+00:00", "9999-12-31T23:30:00-05:00", "ended_at"),  # after year 9999 in UTC
    ],
)
async def test_moments_beyond_the_calendar_are_422(
    api: Api,
    admin: Account,
    clock: MovableClock,
    two_books: tuple[int, int],
    started_at: str,
    ended_at: str,
    field: str,
) -> None:
    response = await record(
        api, admin, user_id=admin.id, book_id=two_books[0], started_at=started_at, ended_at=ended_at
    )
    assert_problem(response, 422, field=field)


async def test_very_long_sessions_are_counted_exactly(
    api: Api, admin: Account, clock: MovableClock, two_books: tuple[int, int]
) -> None:
    response = await record(
        api,
        admin,
        user_id=admin.id,
        book_id=two_books[0],
        started_at="0001-01-01T00:00:00+00:00",
        ended_at="2020-01-02T00:00:00.999999+00:00",
    )
    assert response.json()["elapsed_seconds"] == 63_713_520_000
    assert (await totals(api, admin))["items"] == [{"book_id": two_books[0], "total_elapsed_seconds": 63_713_520_000}]


async def test_a_record_for_a_missing_user_or_book_is_404(
    api: Api, admin: Account, clock: MovableClock, two_books: tuple[int, int]
) -> None:
    window = {"started_at": iso(clock.start - timedelta(hours=2)), "ended_at": iso(clock.start - timedelta(hours=1))}
    assert_problem(await record(api, admin, user_id=99_999, book_id=two_books[0], **window), 404)
    assert_problem(await record(api, admin, user_id=admin.id, book_id=99_999, **window), 404)


async def test_only_admins_record_and_delete_sessions(
    api: Api, clock: MovableClock, two_books: tuple[int, int]
) -> None:
    ada = await api.user()
    mine = (await start(api, ada, two_books[0])).json()
    window = {"started_at": iso(clock.start - timedelta(hours=2)), "ended_at": iso(clock.start - timedelta(hours=1))}
    assert_problem(await record(api, ada, user_id=ada.id, book_id=two_books[0], **window), 403)
    assert_problem(await api.client.delete(f"/api/reading-sessions/{mine['id']}", headers=ada.headers), 403)
    assert_problem(await api.client.post("/api/reading-sessions", json={}), 401)


async def test_one_session_is_visible_to_its_owner_and_admins_only(
    api: Api, admin: Account, clock: MovableClock, two_books: tuple[int, int]
) -> None:
    ada, bob = await api.user(), await api.user()
    opened = (await start(api, ada, two_books[0])).json()
    clock.advance(seconds=3)
    path = f"/api/reading-sessions/{opened['id']}"

    own = await api.client.get(path, headers=ada.headers)
    assert own.status_code == 200
    assert own.json() == {**opened, "elapsed_seconds": 3}
    assert (await api.client.get(path, headers=admin.headers)).json() == own.json()
    assert_problem(await api.client.get(path, headers=bob.headers), 404)
    assert_problem(await api.client.get("/api/reading-sessions/999999", headers=admin.headers), 404)
    assert_problem(await api.client.get(f"/api/reading-sessions/{2**40}", headers=admin.headers), 404)
    assert_problem(await api.client.get(path), 401)


async def test_admins_delete_sessions(
    api: Api, admin: Account, clock: MovableClock, two_books: tuple[int, int]
) -> None:
    ada = await api.user()
    await start(api, ada, two_books[0])
    clock.advance(seconds=80)
    closed = (await end(api, ada, two_books[0])).json()
    path = f"/api/reading-sessions/{closed['id']}"

    assert (await api.client.delete(path, headers=admin.headers)).status_code == 204
    assert_problem(await api.client.get(path, headers=admin.headers), 404)
    assert_problem(await api.client.delete(path, headers=admin.headers), 404)
    assert (await totals(api, ada))["items"] == []
    stats = (await api.client.get("/api/users/me", headers=ada.headers)).json()["session_stats"]
    assert (stats["total_seconds"], stats["books_read"]) == (0, 0)


# --------------------------------------------------------------------------- concurrency


async def open_sessions(engine: AsyncEngine, user_id: int) -> int:
    async with engine.connect() as conn:
        query = select(func.count()).where(reading_sessions.c.user_id == user_id, reading_sessions.c.ended_at.is_(None))
        return int(await conn.scalar(query) or 0)


@pytest.mark.postgres
async def test_twenty_concurrent_starts_leave_exactly_one_open_session(
    api: Api, engine: AsyncEngine, two_books: tuple[int, int]
) -> None:
    ada = await api.user()
    responses = await asyncio.gather(*(start(api, ada, two_books[i % 2]) for i in range(20)))
    assert sorted({response.status_code for response in responses}) == [201], [r.text for r in responses]
    assert await open_sessions(engine, ada.id) == 1
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).where(reading_sessions.c.user_id == ada.id)) == 20


@pytest.mark.postgres
async def test_concurrent_starts_through_the_use_case_on_separate_connections(
    api: Api, container: App, engine: AsyncEngine, two_books: tuple[int, int]
) -> None:
    ada = await api.user()
    results = await asyncio.gather(
        *(
            container.catalog.start_reading()(user_id=UserId(ada.id), book_id=BookId(two_books[i % 2]))
            for i in range(20)
        ),
        *(container.catalog.end_reading()(user_id=UserId(ada.id), book_id=BookId(two_books[0])) for _ in range(5)),
        return_exceptions=True,
    )
    failures = [result for result in results if isinstance(result, BaseException)]
    assert all(type(failure).__name__ == "NoOpenSession" for failure in failures), failures
    assert len(results) - len(failures) >= 20, "every start succeeds"
    ends_that_closed_something = len(results) - len(failures) - 20
    # The ends race the starts: one of them may legitimately close the last session started (on
    # the first book), so the rule is "never two open", and "none open" only after such an end.
    still_open = await open_sessions(engine, ada.id)
    assert still_open <= 1
    assert still_open == 1 or ends_that_closed_something >= 1
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).where(reading_sessions.c.user_id == ada.id)) == 20
