"""Holds over HTTP on SQLite and Postgres: the waitlist, the reserved copy, expiry, and the
emails that go out through the outbox to a real SMTP server."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.holds import READY_FOR
from entrypoints.container import App
from entrypoints.scheduler.jobs import expire_holds, send_outbox
from tests.integration.circulation.conftest import LiveApp
from tests.integration.circulation.support import add_book, inventory_of
from tests.integration.fakes.mail_app import MutableClock
from tests.integration.fakes.smtp_server import SmtpServer
from tests.integration.support import Account, Api, assert_problem


def until(clock: MutableClock, days: int = 7) -> str:
    return (clock.today() + timedelta(days=days)).isoformat()


async def borrow(api: Api, who: Account, book: int, clock: MutableClock) -> Any:
    body = {"book_id": book, "expected_return_date": until(clock)}
    return await api.client.post("/api/borrowings", json=body, headers=who.headers)


async def hold(api: Api, who: Account, book: int) -> Any:
    return await api.client.post(f"/api/books/{book}/holds", headers=who.headers)


async def my_holds(api: Api, who: Account) -> list[dict[str, Any]]:
    response = await api.client.get("/api/holds", headers=who.headers)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def test_the_waitlist_serves_readers_in_order_with_the_returned_copy(
    api: Api, engine: AsyncEngine, container: App, smtp_server: SmtpServer, clock: MutableClock
) -> None:
    book = await add_book(engine, title="Dune", inventory=1)
    ada, bob, cy, dee = [await api.user(name) for name in ("ada", "bob", "cyd", "dee")]
    lent = await borrow(api, ada, book, clock)
    assert lent.status_code == 201, lent.text

    first = await hold(api, bob, book)
    assert first.status_code == 201, first.text
    assert first.json() | {"id": 0, "created_at": ""} == {
        "id": 0,
        "book_id": book,
        "book_title": "Dune",
        "position": 1,
        "status": "waiting",
        "created_at": "",
        "ready_until": None,
        "closed_at": None,
    }
    assert (await hold(api, cy, book)).json()["position"] == 2
    assert_problem(await hold(api, bob, book), 409)["type"].endswith("already-on-waitlist")

    returned = await api.client.post(f"/api/borrowings/{lent.json()['id']}/return", headers=ada.headers)
    assert returned.status_code == 200, returned.text

    [bobs] = await my_holds(api, bob)
    assert (bobs["status"], bobs["position"]) == ("ready", 1)
    assert datetime.fromisoformat(bobs["ready_until"]) == clock.now() + READY_FOR
    assert [h["status"] for h in await my_holds(api, cy)] == ["waiting"]
    assert await inventory_of(engine, book) == 0, "the copy is reserved, not on the shelf"
    assert (await api.client.get(f"/api/books/{book}")).json()["inventory"] == 0

    for other in (cy, dee):
        assert_problem(await borrow(api, other, book, clock), 409)["type"].endswith("book-unavailable")
    taken = await borrow(api, bob, book, clock)
    assert taken.status_code == 201, taken.text
    [bobs] = await my_holds(api, bob)
    assert (bobs["status"], bobs["position"]) == ("fulfilled", 0)
    assert (await my_holds(api, cy))[0]["position"] == 1, "cy moves up"

    await send_outbox(container)
    [notice] = smtp_server.to(bob.email)
    assert notice.subject == "Your hold is ready: Dune"
    assert "reserved for you until" in notice.body
    assert smtp_server.to(cy.email) == []


async def test_a_hold_needs_an_empty_shelf_and_a_real_book(api: Api, engine: AsyncEngine) -> None:
    book = await add_book(engine, inventory=2)
    ada = await api.user("ada")
    assert_problem(await hold(api, ada, book), 409)["type"].endswith("copies-available")
    assert_problem(await hold(api, ada, 999_999), 404)
    assert (await api.client.post(f"/api/books/{book}/holds")).status_code == 401
    assert await my_holds(api, ada) == []


async def test_an_unclaimed_copy_passes_down_the_line_then_back_to_the_shelf(
    api: Api, engine: AsyncEngine, container: App, smtp_server: SmtpServer, clock: MutableClock
) -> None:
    book = await add_book(engine, title="Dune", inventory=1)
    ada, bob, cy = [await api.user(name) for name in ("ada", "bob", "cyd")]
    lent = (await borrow(api, ada, book, clock)).json()
    await hold(api, bob, book)
    await hold(api, cy, book)
    await api.client.post(f"/api/borrowings/{lent['id']}/return", headers=ada.headers)

    clock.advance(READY_FOR)
    assert str(await expire_holds(container)) == "expired 1 holds"
    assert [h["status"] for h in await my_holds(api, bob)] == ["expired"]
    assert [h["status"] for h in await my_holds(api, cy)] == ["ready"]
    assert_problem(await borrow(api, bob, book, clock), 409)

    clock.advance(READY_FOR)
    assert str(await expire_holds(container)) == "expired 1 holds"
    assert await inventory_of(engine, book) == 1, "nobody waits: the copy is back on the shelf"
    assert str(await expire_holds(container)) == "expired 0 holds"

    await send_outbox(container)
    assert [m.subject for m in smtp_server.to(bob.email)] == ["Your hold is ready: Dune"]
    assert [m.subject for m in smtp_server.to(cy.email)] == ["Your hold is ready: Dune"]


async def test_holds_are_cancelled_by_their_owner_only(api: Api, engine: AsyncEngine, clock: MutableClock) -> None:
    book = await add_book(engine, inventory=1)
    ada, bob, cy = [await api.user(name) for name in ("ada", "bob", "cyd")]
    lent = (await borrow(api, ada, book, clock)).json()
    bobs = (await hold(api, bob, book)).json()
    await hold(api, cy, book)
    await api.client.post(f"/api/borrowings/{lent['id']}/return", headers=ada.headers)

    assert_problem(await api.client.delete(f"/api/holds/{bobs['id']}", headers=cy.headers), 404)
    assert [h["status"] for h in await my_holds(api, bob)] == ["ready"]
    assert (await api.client.delete(f"/api/holds/{bobs['id']}", headers=bob.headers)).status_code == 204
    assert (await api.client.delete(f"/api/holds/{bobs['id']}", headers=bob.headers)).status_code == 204
    assert [h["status"] for h in await my_holds(api, bob)] == ["cancelled"]
    assert [h["status"] for h in await my_holds(api, cy)] == ["ready"], "the reserved copy passed on"
    assert (await hold(api, bob, book)).json()["position"] == 2, "a cancelled reader may queue again, at the end"


IN_A_WEEK = (datetime.now(UTC).date() + timedelta(days=7)).isoformat()


@pytest.mark.postgres
async def test_two_readers_racing_for_a_copy_reserved_for_a_third_both_lose(
    live_app: LiveApp, engine: AsyncEngine
) -> None:
    book = await add_book(engine, inventory=1)
    async with live_app() as api:
        for _ in range(5):  # a few rounds: the race has more than one interleaving
            ada, bob, cy, dee = [await api.user() for _ in range(4)]
            body = {"book_id": book, "expected_return_date": IN_A_WEEK}
            lent = (await api.client.post("/api/borrowings", json=body, headers=ada.headers)).json()
            assert (await api.client.post(f"/api/books/{book}/holds", headers=bob.headers)).status_code == 201
            await api.client.post(f"/api/borrowings/{lent['id']}/return", headers=ada.headers)

            racers = (cy, dee, bob)
            responses = await asyncio.gather(
                *(api.client.post("/api/borrowings", json=body, headers=r.headers) for r in racers)
            )
            outcome = {r.username: response.status_code for r, response in zip(racers, responses, strict=True)}
            assert outcome == {cy.username: 409, dee.username: 409, bob.username: 201}, outcome

            taken = responses[2].json()
            await api.client.post(f"/api/borrowings/{taken['id']}/return", headers=bob.headers)
            assert await inventory_of(engine, book) == 1
        statuses = Counter(
            h["status"] for h in (await api.client.get("/api/holds", headers=bob.headers)).json()["items"]
        )
        assert statuses == {"fulfilled": 1}
