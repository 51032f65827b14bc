"""The ``reading_stats`` job: every user's ``session_stats`` from their closed sessions, in one statement."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.tables import books, reading_sessions, session_stats, users
from domain.catalog import BookId
from domain.identity import SessionStats
from domain.reading import ReadingSession, ReadingSessionId, session_stats_of
from domain.shared import UserId
from entrypoints.container import App
from entrypoints.scheduler.jobs import job_named, reading_stats
from entrypoints.scheduler.runner import JobRunner
from tests.integration.catalog_support import MovableClock, counting_statements, use_clock
from tests.integration.conftest import make_settings

NOW = datetime(2026, 6, 30, 18, 0, tzinfo=UTC)


async def add_users(engine: AsyncEngine, *names: str) -> list[int]:
    async with engine.begin() as conn:
        return [
            int(
                await conn.scalar(
                    insert(users)
                    .values(username=name, email=f"{name}@example.org", password_hash="x", created_at=NOW)
                    .returning(users.c.id)
                )
            )
            for name in names
        ]


async def add_books(engine: AsyncEngine, count: int) -> list[int]:
    async with engine.begin() as conn:
        return [
            int(
                await conn.scalar(
                    insert(books)
                    .values(title=f"B{n}", author="A", publish_year=2000, inventory=1, daily_fee_cents=1)
                    .returning(books.c.id)
                )
            )
            for n in range(count)
        ]


async def add_sessions(engine: AsyncEngine, rows: list[dict[str, Any]]) -> None:
    async with engine.begin() as conn:
        await conn.execute(insert(reading_sessions), rows)


def session(user_id: int, book_id: int, start: timedelta, seconds: float | None) -> dict[str, Any]:
    """A session that started ``start`` before NOW and lasted ``seconds`` (None: still open)."""
    started = NOW - start
    return {
        "user_id": user_id,
        "book_id": book_id,
        "started_at": started,
        "ended_at": None if seconds is None else started + timedelta(seconds=seconds),
    }


async def stored(engine: AsyncEngine) -> dict[int, SessionStats]:
    async with engine.connect() as conn:
        rows = (await conn.execute(select(session_stats))).all()
    return {
        row.user_id: SessionStats(
            total_seconds=row.total_seconds,
            last_7_days_seconds=row.last_7_days_seconds,
            last_30_days_seconds=row.last_30_days_seconds,
            books_read=row.books_read,
            updated_at=row.updated_at,
        )
        for row in rows
    }


async def test_the_job_counts_closed_seconds_inside_each_window(container: App, engine: AsyncEngine) -> None:
    clock = use_clock(container, MovableClock(NOW))
    ada, bob, cyd = await add_users(engine, "ada", "bob", "cyd")
    b1, b2, b3, b4 = await add_books(engine, 4)
    day = timedelta(days=1)
    await add_sessions(
        engine,
        [
            session(ada, b1, day, 3600),  # inside both windows
            session(ada, b2, 10 * day, 1800),  # inside 30 days only
            session(ada, b3, 40 * day, 600),  # outside both windows
            session(ada, b1, 7 * day + timedelta(seconds=100), 150),  # crosses the 7-day boundary: 50 s inside
            session(ada, b2, 30 * day + timedelta(seconds=1000), 1200),  # crosses the 30-day boundary: 200 s
            session(ada, b1, 2 * day - timedelta(seconds=0.4), 9.9),  # 9.9 s: whole seconds, rounded down
            session(ada, b4, timedelta(hours=1), None),  # open: no seconds, but a book read
            session(cyd, b1, timedelta(minutes=5), None),  # only an open session
        ],
    )

    with counting_statements(engine) as statements:
        report = await reading_stats(container)
    assert str(report) == "refreshed the reading statistics of 3 users"
    upserts = [s for s in statements if s.lstrip().upper().startswith("INSERT")]
    assert len(upserts) == 1, "one set-based statement for every user"

    assert await stored(engine) == {
        ada: SessionStats(
            total_seconds=3600 + 1800 + 600 + 150 + 1200 + 9,
            last_7_days_seconds=3600 + 50 + 9,
            last_30_days_seconds=3600 + 1800 + 150 + 200 + 9,
            books_read=4,
            updated_at=NOW,
        ),
        bob: SessionStats(updated_at=NOW),  # no sessions: zeros
        cyd: SessionStats(books_read=1, updated_at=NOW),
    }

    clock.advance(days=3)
    await reading_stats(container)
    later = (await stored(engine))[ada]
    assert later.last_7_days_seconds == 3600 + 9, "the boundary session left the window"
    assert later.last_30_days_seconds == 3600 + 1800 + 150 + 9
    assert later.total_seconds == 3600 + 1800 + 600 + 150 + 1200 + 9
    assert later.updated_at == NOW + timedelta(days=3)
    assert len(await stored(engine)) == 3, "refreshing updates rows, never duplicates them"


async def sessions_of(engine: AsyncEngine, user_id: int) -> list[ReadingSession]:
    async with engine.connect() as conn:
        rows = (await conn.execute(select(reading_sessions).where(reading_sessions.c.user_id == user_id))).all()
    return [
        ReadingSession(UserId(r.user_id), BookId(r.book_id), r.started_at, r.ended_at, ReadingSessionId(r.id))
        for r in rows
    ]


async def test_each_start_and_end_adds_its_step_to_the_row_in_constant_time(
    container: App, engine: AsyncEngine
) -> None:
    """Between two runs of the job, starting and ending sessions keep the stored row equal to a
    full recomputation at that moment, by adding the step (one UPDATE, no scan of the user's
    history); a user with no stored row yet gets the full computation."""
    clock = use_clock(container, MovableClock(NOW))
    ada, bob = await add_users(engine, "ada", "bob")
    b1, b2, b3 = await add_books(engine, 3)
    day = timedelta(days=1)
    await add_sessions(
        engine,
        [session(ada, b1, day, 3600), session(ada, b2, 10 * day, 1800), session(ada, b1, 40 * day, 600)],
    )
    await reading_stats(container)
    start, end = container.catalog.start_reading(), container.catalog.end_reading()

    async def expect_exact(user_id: int) -> SessionStats:
        row = (await stored(engine))[user_id]
        assert row == session_stats_of(await sessions_of(engine, user_id), clock.now())
        return row

    await start(user_id=UserId(ada), book_id=BookId(b3))  # a new book: counted while open
    assert (await expect_exact(ada)).books_read == 3
    clock.advance(seconds=90.5)
    with counting_statements(engine) as statements:
        await start(user_id=UserId(ada), book_id=BookId(b1))  # ends b3 after 90 s; b1 read before
    row = await expect_exact(ada)
    assert (row.total_seconds, row.last_7_days_seconds, row.books_read) == (3600 + 1800 + 600 + 90, 3600 + 90, 3)
    touching = [s for s in statements if "user_session_stats" in s]
    assert len(touching) == 1, touching
    assert touching[0].lstrip().upper().startswith("UPDATE"), touching
    clock.advance(seconds=30)
    await end(user_id=UserId(ada), book_id=BookId(b1))
    assert (await expect_exact(ada)).total_seconds == 3600 + 1800 + 600 + 90 + 30

    async with engine.begin() as conn:
        await conn.execute(session_stats.delete().where(session_stats.c.user_id == bob))
    await start(user_id=UserId(bob), book_id=BookId(b2))
    assert (await expect_exact(bob)).books_read == 1, "no row yet: the full computation"


async def test_the_profile_shows_what_the_job_computed(container: App, engine: AsyncEngine) -> None:
    use_clock(container, MovableClock(NOW))
    (ada,) = await add_users(engine, "ada")
    (b1,) = await add_books(engine, 1)
    await add_sessions(engine, [session(ada, b1, timedelta(days=3), 125)])
    before = await container.identity.get_profile()(user_id=UserId(ada))
    assert before.stats == SessionStats()
    await reading_stats(container)
    after = await container.identity.get_profile()(user_id=UserId(ada))
    assert after.stats == SessionStats(125, 125, 125, 1, NOW)


async def test_the_sql_agrees_with_the_domain_definition_on_random_sessions(
    container: App, engine: AsyncEngine
) -> None:
    use_clock(container, MovableClock(NOW))
    user_ids = await add_users(engine, *(f"reader{i}" for i in range(6)))
    book_ids = await add_books(engine, 5)
    rng = random.Random(20261122)
    rows: list[dict[str, Any]] = []
    for user_id in user_ids[:-1]:  # the last user reads nothing
        cursor = NOW - timedelta(days=45)
        while True:
            cursor += timedelta(seconds=rng.uniform(0, 4 * 86400))
            length = rng.uniform(0.5, 3 * 86400)
            if cursor + timedelta(seconds=length) > NOW:
                rows.append(
                    {"user_id": user_id, "book_id": rng.choice(book_ids), "started_at": cursor, "ended_at": None}
                )
                break
            ended = cursor + timedelta(seconds=length)
            rows.append({"user_id": user_id, "book_id": rng.choice(book_ids), "started_at": cursor, "ended_at": ended})
            cursor = ended
    await add_sessions(engine, rows)

    await reading_stats(container)

    expected = {
        user_id: session_stats_of(
            (
                ReadingSession(
                    user_id=UserId(row["user_id"]),
                    book_id=BookId(row["book_id"]),
                    started_at=row["started_at"],
                    ended_at=row["ended_at"],
                )
                for row in rows
                if row["user_id"] == user_id
            ),
            NOW,
        )
        for user_id in user_ids
    }
    assert await stored(engine) == expected
    assert expected[user_ids[0]].last_30_days_seconds > 0


async def test_the_job_is_scheduled_every_configured_interval(
    container: App, database_urls: dict[str, str], tmp_path: Path
) -> None:
    settings = make_settings(database_urls["sqlite"], tmp_path, reading_stats_interval_seconds=123)
    spec = job_named("reading_stats")
    assert spec.trigger(settings).interval == timedelta(seconds=123)

    ok, detail = await JobRunner(container, node="test").run(spec)
    assert (ok, detail) == (True, "refreshed the reading statistics of 0 users")
