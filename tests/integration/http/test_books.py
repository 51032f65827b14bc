"""The catalog over HTTP: browsing (anyone), managing (admins), readers without N+1."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.tables import books, borrowings, reading_sessions
from tests.integration.catalog_support import MovableClock, book_body, counting_statements, create_book, use_clock
from tests.integration.support import Account, Api, assert_problem

BOOK_ITEM_KEYS = {
    "id",
    "title",
    "author",
    "publish_year",
    "short_description",
    "cover",
    "inventory",
    "daily_fee_cents",
    "readers",
}


@pytest.fixture
async def admin(api: Api) -> Account:
    return await api.user(admin=True)


async def listing(api: Api, **params: Any) -> dict[str, Any]:
    response = await api.client.get("/api/books", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


# --------------------------------------------------------------------------- browsing


async def test_anyone_browses_an_empty_catalog(api: Api) -> None:
    assert await listing(api) == {"items": [], "total": 0, "limit": 20, "offset": 0}


async def test_a_created_book_is_listed_without_its_full_description(api: Api, admin: Account) -> None:
    created = await create_book(
        api, admin, title="Middlemarch", author="George Eliot", publish_year=1871, cover="SOFT", full_description="Long"
    )
    assert created["full_description"] == "Long"
    assert created["readers"] == 0
    assert created["cover"] == "SOFT"

    page = await listing(api)
    assert page["total"] == 1
    (item,) = page["items"]
    assert set(item) == BOOK_ITEM_KEYS
    assert item == {key: created[key] for key in BOOK_ITEM_KEYS}


async def test_the_detail_adds_the_full_description(api: Api, admin: Account) -> None:
    created = await create_book(api, admin, full_description="Chapter one. Chapter two.")
    response = await api.client.get(f"/api/books/{created['id']}")
    assert response.status_code == 200
    assert response.json() == created
    assert set(response.json()) == {*BOOK_ITEM_KEYS, "full_description"}


@pytest.mark.parametrize("book_id", [999, 2**31, 10**20])
async def test_a_missing_book_is_404(api: Api, book_id: int) -> None:
    assert_problem(await api.client.get(f"/api/books/{book_id}"), 404)


async def test_search_matches_title_or_author_case_insensitively(api: Api, admin: Account) -> None:
    dune = await create_book(api, admin, title="Dune", author="Frank Herbert")
    emma = await create_book(api, admin, title="Emma", author="Jane Austen")
    persuasion = await create_book(api, admin, title="Persuasion", author="Jane AUSTEN")
    await create_book(api, admin, title="Ulysses", author="James Joyce")

    def ids(page: dict[str, Any]) -> list[int]:
        return [item["id"] for item in page["items"]]

    assert ids(await listing(api, search="austen")) == [emma["id"], persuasion["id"]]
    assert ids(await listing(api, search="UNE")) == [dune["id"]]
    assert ids(await listing(api, search="herb")) == [dune["id"]]
    assert (await listing(api, search="austen"))["total"] == 2
    assert ids(await listing(api, search="%")) == [], "LIKE wildcards are taken literally"
    assert ids(await listing(api, search="_")) == []


async def test_author_matches_the_whole_name_and_publish_year_the_year(api: Api, admin: Account) -> None:
    emma = await create_book(api, admin, title="Emma", author="Jane Austen", publish_year=1815)
    persuasion = await create_book(api, admin, title="Persuasion", author="Jane Austen", publish_year=1817)
    await create_book(api, admin, title="Jane Eyre", author="Charlotte Brontë", publish_year=1847)
    await create_book(api, admin, title="Other", author="Jane Austen Society", publish_year=1815)

    by_author = await listing(api, author="jane austen")
    assert [item["id"] for item in by_author["items"]] == [emma["id"], persuasion["id"]]
    both = await listing(api, author="Jane Austen", publish_year=1815)
    assert [item["id"] for item in both["items"]] == [emma["id"]]
    assert (await listing(api, publish_year=1847))["total"] == 1
    assert (await listing(api, publish_year=1900))["total"] == 0


async def test_the_catalog_pages_with_limit_and_offset(api: Api, admin: Account) -> None:
    created = [await create_book(api, admin) for _ in range(5)]
    first = await listing(api, limit=2)
    assert [item["id"] for item in first["items"]] == [book["id"] for book in created[:2]]
    assert (first["total"], first["limit"], first["offset"]) == (5, 2, 0)
    last = await listing(api, limit=2, offset=4)
    assert [item["id"] for item in last["items"]] == [created[4]["id"]]
    assert last["total"] == 5
    beyond = await listing(api, limit=2, offset=10)
    assert beyond["items"] == []
    assert beyond["total"] == 5


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 101},
        {"limit": 0},
        {"offset": -1},
        {"limit": "many"},
        {"publish_year": "last year"},
        {"publish_year": 2**40},
        {"search": "x" * 300},
        {"offset": 10**20},
    ],
)
async def test_bad_query_parameters_are_400(api: Api, params: dict[str, Any]) -> None:
    assert_problem(await api.client.get("/api/books", params=params), 400)


async def test_readers_counts_distinct_users_with_a_session(api: Api, admin: Account) -> None:
    read_twice = await create_book(api, admin)
    read_once = await create_book(api, admin)
    unread = await create_book(api, admin)
    ada, bob = await api.user(), await api.user()
    for account in (ada, bob, ada):
        assert (
            await api.client.post(f"/api/books/{read_twice['id']}/reading/start", headers=account.headers)
        ).is_success
    assert (await api.client.post(f"/api/books/{read_once['id']}/reading/start", headers=bob.headers)).is_success

    readers = {item["id"]: item["readers"] for item in (await listing(api))["items"]}
    assert readers == {read_twice["id"]: 2, read_once["id"]: 1, unread["id"]: 0}
    assert (await api.client.get(f"/api/books/{read_twice['id']}")).json()["readers"] == 2


async def test_odd_search_text_finds_nothing_and_breaks_nothing(api: Api, admin: Account) -> None:
    await create_book(api, admin)
    assert (await listing(api, search="'; DROP TABLE books; --"))["items"] == []
    assert (await listing(api))["total"] == 1


@pytest.mark.parametrize("params", [{"search": "a\x00b"}, {"author": "\x00"}])
async def test_a_nul_character_in_a_filter_is_a_client_error(api: Api, params: dict[str, str]) -> None:
    assert_problem(await api.client.get("/api/books", params=params), 400)


# --------------------------------------------------------------------------- managing


async def test_only_admins_manage_books(api: Api, admin: Account) -> None:
    book = await create_book(api, admin)
    reader = await api.user()
    path = f"/api/books/{book['id']}"
    attempts = [
        ("POST", "/api/books", book_body()),
        ("PUT", path, book_body()),
        ("PATCH", path, {"inventory": 1}),
        ("DELETE", path, None),
    ]
    for method, url, body in attempts:
        assert_problem(await api.client.request(method, url, json=body), 401)
        assert_problem(await api.client.request(method, url, json=body, headers=reader.headers), 403)
    assert (await api.client.get(path)).json() == book


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"inventory": -1}, "inventory"),
        ({"daily_fee_cents": -5}, "daily_fee_cents"),
        ({"publish_year": 2027}, "publish_year"),
        ({"cover": "PAPER"}, "cover"),
        ({"cover": "hard"}, "cover"),
        ({"title": "   "}, "title"),
        ({"author": " "}, "author"),
        ({"title": "Nul\x00byte"}, "title"),
        ({"full_description": "bell \x07"}, "full_description"),
    ],
)
async def test_book_rules_answer_422_naming_the_field(
    api: Api, container: Any, admin: Account, overrides: dict[str, Any], field: str
) -> None:
    use_clock(container, MovableClock(datetime(2026, 12, 31, 23, 0, tzinfo=UTC)))
    response = await api.client.post("/api/books", json=book_body(**overrides), headers=admin.headers)
    assert_problem(response, 422, field=field)
    assert (await listing(api))["total"] == 0


async def test_this_years_books_are_welcome(api: Api, container: Any, admin: Account) -> None:
    use_clock(container, MovableClock(datetime(2026, 1, 1, 0, 0, tzinfo=UTC)))
    assert (await create_book(api, admin, publish_year=2026))["publish_year"] == 2026
    assert (await create_book(api, admin, publish_year=-800, inventory=0, daily_fee_cents=0))["inventory"] == 0


@pytest.mark.parametrize(
    "body",
    [
        {"title": "No author", "publish_year": 2000, "inventory": 1, "daily_fee_cents": 1},
        {**book_body(), "inventory": "three"},
        {**book_body(), "inventory": 2**40},
        {**book_body(), "title": "x" * 256},
        {**book_body(), "short_description": "x" * 501},
        {**book_body(), "isbn": "978-3-16-148410-0"},
        ["not", "an", "object"],
    ],
)
async def test_malformed_book_bodies_are_400(api: Api, admin: Account, body: Any) -> None:
    assert_problem(await api.client.post("/api/books", json=body, headers=admin.headers), 400)


async def test_put_replaces_every_field(api: Api, admin: Account) -> None:
    book = await create_book(api, admin, cover="SOFT", short_description="old")
    replacement = {"title": "New", "author": "Someone", "publish_year": 2001, "inventory": 0, "daily_fee_cents": 0}
    response = await api.client.put(f"/api/books/{book['id']}", json=replacement, headers=admin.headers)
    assert response.status_code == 200, response.text
    assert response.json() == {
        **replacement,
        "id": book["id"],
        "cover": "HARD",
        "short_description": "",
        "full_description": "",
        "readers": 0,
    }
    assert (await api.client.get(f"/api/books/{book['id']}")).json() == response.json()


async def test_patch_changes_only_what_is_sent(api: Api, admin: Account) -> None:
    book = await create_book(api, admin)
    response = await api.client.patch(
        f"/api/books/{book['id']}", json={"inventory": 9, "cover": "SOFT"}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    assert response.json() == {**book, "inventory": 9, "cover": "SOFT"}


async def test_an_invalid_patch_changes_nothing(api: Api, admin: Account) -> None:
    book = await create_book(api, admin)
    response = await api.client.patch(
        f"/api/books/{book['id']}", json={"title": "Fine", "daily_fee_cents": -1}, headers=admin.headers
    )
    assert_problem(response, 422, field="daily_fee_cents")
    assert (await api.client.get(f"/api/books/{book['id']}")).json() == book


async def test_changing_a_missing_book_is_404(api: Api, admin: Account) -> None:
    assert_problem(await api.client.put("/api/books/999", json=book_body(), headers=admin.headers), 404)
    assert_problem(await api.client.patch("/api/books/999", json={"inventory": 1}, headers=admin.headers), 404)
    assert_problem(await api.client.delete("/api/books/999", headers=admin.headers), 404)
    assert_problem(await api.client.delete(f"/api/books/{2**40}", headers=admin.headers), 404)


async def test_deleting_a_book_deletes_its_reading_sessions(api: Api, admin: Account, engine: AsyncEngine) -> None:
    book = await create_book(api, admin)
    ada = await api.user()
    await api.client.post(f"/api/books/{book['id']}/reading/start", headers=ada.headers)

    response = await api.client.delete(f"/api/books/{book['id']}", headers=admin.headers)
    assert response.status_code == 204
    assert_problem(await api.client.get(f"/api/books/{book['id']}"), 404)
    async with engine.connect() as conn:
        assert (await conn.execute(select(reading_sessions.c.id))).all() == []


async def test_a_book_with_borrowings_cannot_be_deleted(api: Api, admin: Account, engine: AsyncEngine) -> None:
    book = await create_book(api, admin)
    ada = await api.user()
    async with engine.begin() as conn:
        await conn.execute(
            insert(borrowings).values(
                user_id=ada.id,
                book_id=book["id"],
                borrow_date=date(2026, 1, 1),
                expected_return_date=date(2026, 1, 8),
                created_at=datetime(2026, 1, 1, tzinfo=UTC),
            )
        )
    assert_problem(await api.client.delete(f"/api/books/{book['id']}", headers=admin.headers), 409)
    assert (await api.client.get(f"/api/books/{book['id']}")).status_code == 200


# --------------------------------------------------------------------------- no N+1


@pytest.mark.slow
async def test_a_page_of_books_costs_a_constant_number_of_statements(
    api: Api, admin: Account, engine: AsyncEngine
) -> None:
    readers = [await api.user() for _ in range(3)]
    started = datetime(2026, 1, 1, tzinfo=UTC)
    async with engine.begin() as conn:
        await conn.execute(
            insert(books),
            [
                {
                    "title": f"Volume {n}",
                    "author": f"Writer {n % 100}",
                    "publish_year": 1900 + n % 120,
                    "short_description": "",
                    "full_description": "A long text " * 20,
                    "cover": "HARD" if n % 2 else "SOFT",
                    "inventory": n % 5,
                    "daily_fee_cents": 25,
                }
                for n in range(10_000)
            ],
        )
        ids = list((await conn.scalars(select(books.c.id).order_by(books.c.id))).all())
        await conn.execute(
            insert(reading_sessions),
            [
                {
                    "user_id": reader.id,
                    "book_id": book_id,
                    "started_at": started + timedelta(minutes=i),
                    "ended_at": started + timedelta(minutes=i, seconds=30),
                }
                for i, book_id in enumerate(ids[:150])
                for reader in readers[: 1 + i % 3]
            ],
        )

    counts = {}
    for limit in (20, 100):
        with counting_statements(engine) as statements:
            page = await listing(api, limit=limit, offset=10)
        assert len(page["items"]) == limit
        assert page["total"] == 10_000
        assert [item["readers"] for item in page["items"][:3]] == [2, 3, 1]
        counts[limit] = len(statements)
        totals = [sql for sql in statements if "count(*)" in sql.lower()]
        assert totals, statements
        # The total is a subquery of the page's own statement: it counts books alone.
        counted = [sql.lower().split("count(*)", 1)[1].split(")", 1)[0] for sql in totals]
        assert all("from books" in part and "reading_sessions" not in part for part in counted), totals
    with counting_statements(engine) as statements:
        page = await listing(api, limit=20, search="volume 99")
    assert page["total"] == 111
    counts["search"] = len(statements)
    with counting_statements(engine) as statements:
        detail = (await api.client.get(f"/api/books/{ids[2]}")).json()
    assert detail["readers"] == 3
    counts["detail"] = len(statements)

    assert counts[20] == counts[100] == counts["search"] <= 2, counts  # (BEGIN on SQLite,) the page with its total
    assert counts["detail"] <= 2, counts  # (BEGIN on SQLite,) the book
