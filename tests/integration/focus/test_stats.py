"""Statistics over HTTP: focus per category, completed pomodoros and reading per book in the
current period of the caller's time zone, as JSON or as an SVG bar chart."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration.catalog_support import MovableClock
from tests.integration.focus.support import add_book, add_focus, add_reading, at, category, started, stats, stop
from tests.integration.support import Account, Api, assert_problem

SVG = "{http://www.w3.org/2000/svg}"
#: Wednesday 2026-03-11, 10:00 UTC.
NOW = datetime(2026, 3, 11, 10, 0, tzinfo=UTC)


@pytest.fixture
def wednesday(clock: MovableClock) -> MovableClock:
    clock.moment = NOW
    return clock


async def report(api: Api, account: Account, **params: str) -> dict[str, object]:
    response = await stats(api, account, **params)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_the_week_holds_focus_per_category_pomodoros_and_reading_per_book(
    api: Api, ada: Account, bob: Account, engine: AsyncEngine, wednesday: MovableClock
) -> None:
    work = await category(api, ada, name="Work", color="#ff0000")
    study = await category(api, ada, name="Study", color="#00ff00")
    idle = await category(api, ada, name="Idle")
    monday = datetime(2026, 3, 9, 9, tzinfo=UTC)
    await add_focus(engine, ada.id, monday, category_id=work["id"])  # 25 min, completed
    await add_focus(engine, ada.id, monday + timedelta(hours=1), category_id=work["id"], minutes=50)
    await add_focus(
        engine,
        ada.id,
        monday + timedelta(hours=2),
        category_id=study["id"],
        status="stopped",
        stopped_after=timedelta(minutes=10, seconds=30),
    )
    await add_focus(engine, ada.id, monday + timedelta(hours=3))  # no category
    await add_focus(engine, ada.id, monday - timedelta(days=1), category_id=work["id"])  # last week
    await add_focus(engine, bob.id, monday, category_id=None)  # someone else
    book = await add_book(engine, "Middlemarch")
    other = await add_book(engine, "Dune")
    await add_reading(engine, ada.id, book, monday, 3600)
    await add_reading(engine, ada.id, other, monday + timedelta(days=1), 600)
    week_start = monday.replace(hour=0)
    await add_reading(engine, ada.id, book, week_start - timedelta(seconds=100), 160)  # 60 s inside the week

    body = await report(api, ada, period="week")
    assert (body["period"], body["tz"]) == ("week", "UTC")
    assert (at(str(body["start"])), at(str(body["end"]))) == (monday.replace(hour=0), datetime(2026, 3, 16, tzinfo=UTC))
    assert body["focus_by_category"] == [
        {"category_id": work["id"], "name": "Work", "color": "#ff0000", "seconds": 75 * 60},
        {"category_id": None, "name": "Uncategorized", "color": None, "seconds": 25 * 60},
        {"category_id": study["id"], "name": "Study", "color": "#00ff00", "seconds": 630},
        {"category_id": idle["id"], "name": "Idle", "color": "#3b82f6", "seconds": 0},
    ]
    assert body["focus_seconds"] == 75 * 60 + 25 * 60 + 630
    assert body["completed_pomodoros"] == 3
    assert body["reading_by_book"] == [
        {"book_id": book, "title": "Middlemarch", "seconds": 3660},
        {"book_id": other, "title": "Dune", "seconds": 600},
    ]
    assert body["reading_seconds"] == 4260


async def test_a_running_session_counts_once_it_ends(api: Api, ada: Account, wednesday: MovableClock) -> None:
    session = await started(api, ada, focus_minutes=30)
    wednesday.advance(minutes=10)
    assert (await report(api, ada, period="day"))["focus_seconds"] == 0
    wednesday.advance(minutes=20)  # due: completed, even before the job runs
    body = await report(api, ada, period="day")
    assert (body["focus_seconds"], body["completed_pomodoros"]) == (1800, 1)
    second = await started(api, ada)
    wednesday.advance(minutes=4)
    await stop(api, ada, second["id"])
    body = await report(api, ada, period="day")
    assert (body["focus_seconds"], body["completed_pomodoros"]) == (1800 + 240, 1)
    assert session["id"] != second["id"]


async def test_periods_follow_the_time_zone(
    api: Api, ada: Account, engine: AsyncEngine, wednesday: MovableClock
) -> None:
    # 22:20-22:50 UTC on Tuesday is 00:20-00:50 on Wednesday at +02:00 (and 23:20-23:50 on Tuesday in Paris).
    await add_focus(engine, ada.id, datetime(2026, 3, 10, 22, 20, tzinfo=UTC), minutes=30)
    utc_day = await report(api, ada, period="day")
    assert (utc_day["completed_pomodoros"], utc_day["focus_seconds"]) == (0, 0)
    local_day = await report(api, ada, period="day", tz="+02:00")
    assert (local_day["completed_pomodoros"], local_day["focus_seconds"]) == (1, 1800)
    assert at(str(local_day["start"])) == datetime(2026, 3, 10, 22, tzinfo=UTC)
    paris = await report(api, ada, period="day", tz="Europe/Paris")  # +01:00 in March (before DST)
    assert at(str(paris["start"])) == datetime(2026, 3, 10, 23, tzinfo=UTC)
    assert paris["completed_pomodoros"] == 0
    unencoded_plus = await api.client.get("/api/stats?period=day&tz=+02:00", headers=ada.headers)
    assert unencoded_plus.json()["tz"] == "+02:00"


@pytest.mark.parametrize(
    ("period", "start", "end"),
    [
        ("day", datetime(2026, 3, 11, tzinfo=UTC), datetime(2026, 3, 12, tzinfo=UTC)),
        ("week", datetime(2026, 3, 9, tzinfo=UTC), datetime(2026, 3, 16, tzinfo=UTC)),
        ("month", datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)),
        ("year", datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)),
    ],
)
async def test_each_period_contains_now(
    api: Api, ada: Account, wednesday: MovableClock, period: str, start: datetime, end: datetime
) -> None:
    body = await report(api, ada, period=period)
    assert (at(str(body["start"])), at(str(body["end"]))) == (start, end)
    assert body["focus_by_category"] == body["reading_by_book"] == []


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"period": "decade"}, 400, "period"),
        ({"period": "week", "tz": "Atlantis/Capital"}, 422, "tz"),
        ({"period": "week", "tz": "+99:00"}, 422, "tz"),
        ({"period": "week", "tz": "x" * 80}, 400, "tz"),
        ({"period": "week", "format": "png"}, 400, "format"),
    ],
)
async def test_invalid_statistics_requests_are_refused(
    api: Api, ada: Account, params: dict[str, str], status: int, field: str
) -> None:
    assert_problem(await stats(api, ada, **params), status, field=field)


async def test_statistics_need_a_token(api: Api) -> None:
    assert_problem(await api.client.get("/api/stats"), 401)


def bars(svg: str) -> list[ET.Element]:
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    assert root.tag == f"{SVG}svg"
    return [rect for rect in root.iter(f"{SVG}rect") if rect.get("class") == "bar"]


async def test_the_svg_chart_has_one_bar_per_category_with_proportional_lengths(
    api: Api, ada: Account, engine: AsyncEngine, wednesday: MovableClock
) -> None:
    work = await category(api, ada, name="Work & <play>", color="#ff0000")
    study = await category(api, ada, name='Study "hard"', color="#00ff00")
    idle = await category(api, ada, name="Idle")
    today = datetime(2026, 3, 11, 6, tzinfo=UTC)
    await add_focus(engine, ada.id, today, category_id=work["id"], minutes=60)
    await add_focus(engine, ada.id, today + timedelta(hours=2), category_id=study["id"], minutes=20)
    await add_focus(engine, ada.id, today + timedelta(hours=3), minutes=30)

    response = await stats(api, ada, period="day", format="svg")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("image/svg+xml")
    found = bars(response.text)
    by_id = {rect.get("data-category-id"): rect for rect in found}
    assert set(by_id) == {str(work["id"]), str(study["id"]), str(idle["id"]), "none"}
    assert len(found) == 4
    seconds = {key: int(rect.get("data-seconds") or -1) for key, rect in by_id.items()}
    assert seconds == {str(work["id"]): 3600, str(study["id"]): 1200, "none": 1800, str(idle["id"]): 0}
    widths = {key: float(rect.get("width") or -1) for key, rect in by_id.items()}
    longest = widths[str(work["id"])]
    assert longest > 0
    for key, width in widths.items():
        assert width == pytest.approx(longest * seconds[key] / 3600, abs=0.01)
    assert by_id[str(work["id"])].get("data-label") == "Work & <play>"
    assert by_id[str(work["id"])].get("fill") == "#ff0000"
    texts = [text.text for text in ET.fromstring(response.text).iter(f"{SVG}text")]  # noqa: S314
    assert "Work & <play>" in texts
    assert 'Study "hard"' in texts


async def test_an_empty_chart_is_still_a_valid_svg(api: Api, ada: Account) -> None:
    response = await stats(api, ada, period="month", format="svg", tz="Asia/Kolkata")
    assert response.status_code == 200
    assert bars(response.text) == []
