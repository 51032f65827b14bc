"""Events: 202 at once, visible only once published, queries, detail, calendar file."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Self

from icalendar import Calendar
from sqlalchemy import event, select

from adapters.sql.tables import events
from entrypoints.container import App
from tests.integration.community_support import (
    MovableClock,
    make_organization,
    png_bytes,
    publish,
    schedule_event,
    use_clock,
)
from tests.integration.support import Account, Api, assert_problem


async def test_creating_an_event_answers_202_at_once_and_it_appears_only_after_the_delay(
    api: Api, container: App
) -> None:
    clock = use_clock(container, MovableClock())
    ada = await api.user()
    assert container.settings().event_publish_delay_seconds == 60, "the default delay"

    started = time.perf_counter()
    response = await api.client.post(
        "/api/events", json={"title": "Poetry night", "date": "2026-12-01"}, headers=ada.headers
    )
    elapsed = time.perf_counter() - started
    assert response.status_code == 202, response.text
    assert elapsed < 1.0, f"the request waited {elapsed:.2f} s"
    body = response.json()
    assert body["status"] == "scheduled"
    assert datetime.fromisoformat(body["available_at"]) == clock.now() + timedelta(seconds=60)
    assert response.headers["location"] == f"/api/events/{body['id']}"

    async def visible() -> bool:
        listing = (await api.client.get("/api/events", headers=ada.headers)).json()
        detail = await api.client.get(f"/api/events/{body['id']}", headers=ada.headers)
        assert (detail.status_code == 200) == (listing["total"] == 1)
        return bool(listing["total"] == 1)

    assert not await visible()
    assert_problem(await api.client.get(f"/api/events/{body['id']}", headers=ada.headers), 404)
    assert await publish(container) == []
    clock.advance(seconds=59)
    assert await publish(container) == []
    assert not await visible()
    clock.advance(seconds=1)
    assert await publish(container) == [body["id"]]
    assert await visible()
    assert await publish(container) == [], "publishing is idempotent"


async def test_the_stored_row_is_scheduled_with_its_moment(api: Api, container: App, engine: Any) -> None:
    clock = use_clock(container, MovableClock())
    ada = await api.user()
    created = await schedule_event(api, ada, "Stored", date="2026-05-05")
    async with engine.connect() as conn:
        row = (await conn.execute(select(events).where(events.c.id == created["id"]))).one()
    assert row.status == "scheduled"
    assert row.available_at == clock.now() + timedelta(seconds=60)
    assert row.published_at is None
    assert str(row.date) == "2026-05-05"


async def _published(api: Api, container: App, owner: Account, *specs: tuple[str, str | None]) -> list[int]:
    ids = []
    for title, day in specs:
        ids.append((await schedule_event(api, owner, title, **({"date": day} if day else {})))["id"])
    clock = container.gateways.clock()
    clock.advance(seconds=60)  # type: ignore[attr-defined]
    await publish(container)
    return ids


async def _titles(api: Api, owner: Account, **params: Any) -> list[str]:
    response = await api.client.get("/api/events", params=params, headers=owner.headers)
    assert response.status_code == 200, response.text
    return [item["title"] for item in response.json()["items"]]


async def test_date_filters_include_their_boundaries(api: Api, container: App) -> None:
    use_clock(container, MovableClock())
    ada = await api.user()
    await _published(
        api, container, ada, ("feb", "2026-02-28"), ("mar1", "2026-03-01"), ("mar2", "2026-03-02"),
        ("mar3", "2026-03-03"), ("apr", "2026-04-01"), ("undated", None),
    )  # fmt: skip
    assert await _titles(api, ada, date="2026-03-02") == ["mar2"]
    assert await _titles(api, ada, date="2026-03-04") == []
    assert await _titles(api, ada, date__gte="2026-03-01") == ["mar1", "mar2", "mar3", "apr"]
    assert await _titles(api, ada, date__lte="2026-03-01") == ["feb", "mar1"]
    assert await _titles(api, ada, date__gte="2026-03-01", date__lte="2026-03-03") == ["mar1", "mar2", "mar3"]
    assert await _titles(api, ada, date__gte="2026-03-02", date__lte="2026-03-02") == ["mar2"]
    assert await _titles(api, ada, date__gte="2026-03-03", date__lte="2026-03-01") == []
    for bad in ({"date": "2026-02-30"}, {"date__gte": "yesterday"}, {"date__lte": "2026-3-1"}):
        assert_problem(await api.client.get("/api/events", params=bad, headers=ada.headers), 400)


async def test_ordering_both_ways_with_ties_by_id_and_undated_last(api: Api, container: App) -> None:
    use_clock(container, MovableClock())
    ada = await api.user()
    await _published(
        api, container, ada, ("b1", "2026-06-02"), ("none", None), ("a1", "2026-06-01"), ("b2", "2026-06-02"),
        ("c", "2026-06-03"), ("a2", "2026-06-01"),
    )  # fmt: skip
    ascending = ["a1", "a2", "b1", "b2", "c", "none"]
    assert await _titles(api, ada) == ascending, "oldest date first by default"
    assert await _titles(api, ada, ordering="date") == ascending
    assert await _titles(api, ada, ordering="-date") == ["c", "b2", "b1", "a2", "a1", "none"]
    assert_problem(await api.client.get("/api/events", params={"ordering": "title"}, headers=ada.headers), 400)


async def test_search_and_paging(api: Api, container: App) -> None:
    use_clock(container, MovableClock())
    ada = await api.user()
    await _published(
        api, container, ada, *((f"Reading club {i}", f"2026-07-{i:02d}") for i in range(1, 6)), ("Chess", "2026-07-09")
    )
    found = (await api.client.get("/api/events", params={"search": "CLUB"}, headers=ada.headers)).json()
    assert found["total"] == 5
    assert await _titles(api, ada, search="chess") == ["Chess"]
    assert await _titles(api, ada, search="_") == [], "LIKE wildcards are taken literally"

    page = (await api.client.get("/api/events", params={"limit": 2, "offset": 3}, headers=ada.headers)).json()
    assert [item["title"] for item in page["items"]] == ["Reading club 4", "Reading club 5"]
    assert (page["total"], page["limit"], page["offset"]) == (6, 2, 3)
    beyond = (await api.client.get("/api/events", params={"offset": 10}, headers=ada.headers)).json()
    assert (beyond["items"], beyond["total"]) == ([], 6)
    for bad in ({"limit": 0}, {"limit": 101}, {"offset": -1}):
        assert_problem(await api.client.get("/api/events", params=bad, headers=ada.headers), 400)
    assert_problem(await api.client.get("/api/events"), 401)


async def test_the_detail_groups_active_members_under_each_organization(api: Api, container: App) -> None:
    use_clock(container, MovableClock())
    ada, bob, cyd, dan = [await api.user(name) for name in ("ada", "bob", "cyd", "dan")]
    admin = await api.user(admin=True)
    readers = await make_organization(api, ada, "Readers", address="1 Main St", postcode="111", member_ids=[bob.id])
    poets = await make_organization(api, ada, "Poets", address="2 Side St", postcode="222", member_ids=[cyd.id, dan.id])
    await api.client.patch(f"/api/users/{dan.id}", json={"is_active": False}, headers=admin.headers)
    (event_id,) = await _published(api, container, ada, ("Evening alone", "2026-09-09"))
    created = await schedule_event(
        api, ada, "Joint evening 2", date="2026-09-10", organization_ids=[poets["id"], readers["id"]]
    )
    container.gateways.clock().advance(seconds=60)  # type: ignore[attr-defined]
    await publish(container)

    detail = (await api.client.get(f"/api/events/{created['id']}", headers=bob.headers)).json()
    assert detail["title"] == "Joint evening 2"
    assert detail["date"] == "2026-09-10"
    assert detail["image_url"] is None
    assert detail["organizations"] == [
        {
            "id": readers["id"],
            "title": "Readers",
            "location": "111, 1 Main St",
            "members": [
                {"id": ada.id, "username": "ada", "email": "ada@example.org"},
                {"id": bob.id, "username": "bob", "email": "bob@example.org"},
            ],
        },
        {
            "id": poets["id"],
            "title": "Poets",
            "location": "222, 2 Side St",
            "members": [
                {"id": ada.id, "username": "ada", "email": "ada@example.org"},
                {"id": cyd.id, "username": "cyd", "email": "cyd@example.org"},
            ],
        },
    ]
    plain = (await api.client.get(f"/api/events/{event_id}", headers=bob.headers)).json()
    assert plain["organizations"] == []
    listing = (await api.client.get("/api/events", headers=bob.headers)).json()
    assert {item["id"]: item["organization_ids"] for item in listing["items"]} == {
        event_id: [],
        created["id"]: sorted([readers["id"], poets["id"]]),
    }


def _files_under(directory: str) -> list[Path]:
    return [path for path in Path(directory).rglob("*") if path.is_file()]


class StatementCounter:
    def __init__(self, engine: Any) -> None:
        self.engine = engine.sync_engine
        self.selects = 0

    def __enter__(self) -> Self:
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)

    def _count(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            self.selects += 1


async def test_the_detail_takes_the_same_number_of_queries_however_many_organizations_and_members(
    api: Api, container: App, engine: Any
) -> None:
    use_clock(container, MovableClock())
    ada = await api.user()
    others = [await api.user() for _ in range(6)]
    small_org = await make_organization(api, ada, "Small")
    big_orgs = [await make_organization(api, ada, f"Big {i}", member_ids=[o.id for o in others[i:]]) for i in range(4)]
    small = await schedule_event(api, ada, "Small", organization_ids=[small_org["id"]])
    big = await schedule_event(api, ada, "Big", organization_ids=[org["id"] for org in big_orgs])
    container.gateways.clock().advance(seconds=60)  # type: ignore[attr-defined]
    await publish(container)

    counts = []
    for created in (small, big):
        with StatementCounter(engine) as counter:
            response = await api.client.get(f"/api/events/{created['id']}", headers=ada.headers)
        assert response.status_code == 200
        counts.append(counter.selects)
    assert counts[0] == counts[1], counts
    assert sum(len(org["members"]) for org in response.json()["organizations"]) == sum(7 - i for i in range(4))

    with StatementCounter(engine) as counter:
        await container.community.get_event()(event_id=big["id"])
    assert counter.selects == 3, "the event, its organizations, and all their members"


async def test_organizations_must_exist_and_the_creator_must_belong_to_them(api: Api, container: App) -> None:
    ada, eve = await api.user(), await api.user()
    org = await make_organization(api, ada)
    post = api.client.post
    body = assert_problem(
        await post("/api/events", json={"title": "x", "organization_ids": [org["id"], 5555]}, headers=ada.headers),
        422,
        field="organization_ids",
    )
    assert "5555" in body["detail"]
    assert_problem(
        await post("/api/events", json={"title": "x", "organization_ids": [org["id"]]}, headers=eve.headers), 403
    )
    admin = await api.user(admin=True)
    assert (
        await post("/api/events", json={"title": "x", "organization_ids": [org["id"]]}, headers=admin.headers)
    ).status_code == 202
    async with container.gateways.engine().connect() as conn:
        assert len((await conn.execute(select(events.c.id))).all()) == 1, "refused events leave no row"


async def test_invalid_events_are_refused(api: Api) -> None:
    ada = await api.user()
    post = api.client.post
    assert_problem(await post("/api/events", json={"title": "  "}, headers=ada.headers), 422, field="title")
    assert_problem(await post("/api/events", json={}, headers=ada.headers), 400)
    assert_problem(await post("/api/events", json={"title": "x", "date": "2026-13-01"}, headers=ada.headers), 400)
    assert_problem(await post("/api/events", json={"title": "x", "organization_ids": "1"}, headers=ada.headers), 400)
    assert_problem(await post("/api/events", json={"title": "x", "organization_ids": [-1]}, headers=ada.headers), 400)
    assert_problem(await post("/api/events", json={"title": "x", "colour": "red"}, headers=ada.headers), 400)
    assert_problem(await post("/api/events", json={"title": "x" * 256}, headers=ada.headers), 400)
    assert_problem(
        await post("/api/events", json={"title": "x", "description": "y" * 10_001}, headers=ada.headers), 400
    )
    assert_problem(
        await post("/api/events", content=b"{not json", headers={**ada.headers, "content-type": "application/json"}),
        400,
    )
    assert_problem(
        await post("/api/events", content=b"title=x", headers={**ada.headers, "content-type": "text/plain"}), 415
    )
    big = b'{"title": "x", "description": "' + b"y" * 1_100_000 + b'"}'
    assert_problem(
        await post("/api/events", content=big, headers={**ada.headers, "content-type": "application/json"}), 413
    )
    assert_problem(await post("/api/events", json={"title": "Anonymous"}), 401)
    assert_problem(await api.client.get("/api/events/99999999999", headers=ada.headers), 400)


async def test_multipart_with_an_image_and_both_spellings_of_organization_ids(api: Api, container: App) -> None:
    use_clock(container, MovableClock())
    ada = await api.user()
    orgs = [await make_organization(api, ada, f"Org {i}") for i in range(3)]
    response = await api.client.post(
        "/api/events",
        data={
            "title": "Poster night",
            "description": "Bring posters",
            "date": "2026-10-10",
            "organization_ids": [str(orgs[0]["id"]), f"{orgs[1]['id']}, {orgs[2]['id']}"],
        },
        files={"image": ("poster.png", png_bytes(50, 20), "image/png")},
        headers=ada.headers,
    )
    assert response.status_code == 202, response.text
    container.gateways.clock().advance(seconds=60)  # type: ignore[attr-defined]
    await publish(container)

    detail = (await api.client.get(f"/api/events/{response.json()['id']}", headers=ada.headers)).json()
    assert detail["description"] == "Bring posters"
    assert [org["id"] for org in detail["organizations"]] == sorted(org["id"] for org in orgs)
    assert detail["image_url"].startswith("/media/events/")
    assert detail["image_url"].endswith(".png")
    image = await api.client.get(detail["image_url"])
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/png"


async def test_a_bad_image_or_bad_form_refuses_the_event(api: Api, container: App) -> None:
    ada = await api.user()
    files = {"image": ("poster.png", b"not an image at all", "image/png")}
    assert_problem(await api.client.post("/api/events", data={"title": "x"}, files=files, headers=ada.headers), 415)
    bad_ids = await api.client.post(
        "/api/events",
        data={"title": "x", "organization_ids": "1,two"},
        files={"f": ("a.txt", b"", "text/plain")},
        headers=ada.headers,
    )
    assert_problem(bad_ids, 400)
    # multipart without any file part is fine too
    plain = await api.client.post(
        "/api/events",
        data={"title": "No picture", "date": "2026-01-02"},
        files={"unused": ("a.txt", b"ignored", "text/plain")},
        headers=ada.headers,
    )
    assert plain.status_code == 202, plain.text
    async with container.gateways.engine().connect() as conn:
        assert len((await conn.execute(select(events.c.id))).all()) == 1
    assert not _files_under(container.settings().media_dir), "the refused image was not kept"


async def test_the_calendar_file(api: Api, container: App) -> None:
    use_clock(container, MovableClock())
    ada = await api.user()
    org = await make_organization(api, ada, "Readers", address="1 Main St", postcode="111")
    created = await schedule_event(
        api, ada, "Poetry night", date="2026-12-01", description="Verses", organization_ids=[org["id"]]
    )
    undated = await schedule_event(api, ada, "Someday")
    url = f"/api/events/{created['id']}/calendar.ics"
    assert_problem(await api.client.get(url, headers=ada.headers), 404)
    container.gateways.clock().advance(seconds=60)  # type: ignore[attr-defined]
    await publish(container)

    response = await api.client.get(url, headers=ada.headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    assert "attachment" in response.headers["content-disposition"]
    calendar = Calendar.from_ical(response.content)
    (entry,) = calendar.walk("VEVENT")
    assert str(entry["summary"]) == "Poetry night"
    assert str(entry["description"]) == "Verses"
    assert str(entry["location"]) == "111, 1 Main St"
    assert entry.decoded("dtstart").isoformat() == "2026-12-01", "an all-day event"
    assert entry.decoded("dtend").isoformat() == "2026-12-02"
    assert str(entry["uid"]) == f"event-{created['id']}@testserver.local"
    again = Calendar.from_ical((await api.client.get(url, headers=ada.headers)).content)
    assert str(again.walk("VEVENT")[0]["uid"]) == str(entry["uid"]), "the UID is stable"

    assert_problem(await api.client.get(f"/api/events/{undated['id']}/calendar.ics", headers=ada.headers), 409)
    assert_problem(await api.client.get(url), 401)
