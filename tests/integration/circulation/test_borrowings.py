"""Borrowing and returning over HTTP (with the built-in sandbox as payment provider)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from dependency_injector import providers
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration.circulation.support import MutableClock, add_book, counts, inventory_of
from tests.integration.support import Api, assert_problem


def due(clock: MutableClock, days: int) -> str:
    return (clock.today() + timedelta(days=days)).isoformat()


async def test_a_borrowing_takes_a_copy_and_opens_a_pending_payment_for_its_fee(
    api: Api, engine: AsyncEngine, clock: MutableClock
) -> None:
    book = await add_book(engine, title="Dune", inventory=2, daily_fee_cents=125)
    ada = await api.user("ada")

    response = await api.client.post(
        "/api/borrowings", json={"book_id": book, "expected_return_date": due(clock, 7)}, headers=ada.headers
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["borrow_date"] == clock.today().isoformat()
    assert body["expected_return_date"] == due(clock, 7)
    assert body["actual_return_date"] is None
    assert body["user_id"] == ada.id
    assert body["book"] == {
        "id": book,
        "title": "Dune",
        "author": "Frank Herbert",
        "cover": "HARD",
        "daily_fee_cents": 125,
    }
    [payment] = body["payments"]
    assert payment["status"] == "PENDING"
    assert payment["type"] == "PAYMENT"
    assert payment["amount_cents"] == 7 * 125
    assert payment["currency"] == "usd"
    assert payment["borrowing_id"] == body["id"]
    assert payment["session_id"].startswith("cs_sandbox_")
    assert payment["session_url"] == f"http://testserver.local/api/payments/sandbox/{payment['session_id']}"
    assert await inventory_of(engine, book) == 1


async def test_the_expected_return_date_must_be_after_today(api: Api, engine: AsyncEngine, clock: MutableClock) -> None:
    book = await add_book(engine)
    ada = await api.user()
    for days in (0, -1):
        response = await api.client.post(
            "/api/borrowings", json={"book_id": book, "expected_return_date": due(clock, days)}, headers=ada.headers
        )
        assert_problem(response, 400, field="expected_return_date")
    too_far = await api.client.post(
        "/api/borrowings", json={"book_id": book, "expected_return_date": due(clock, 366)}, headers=ada.headers
    )
    assert_problem(too_far, 400, field="expected_return_date")
    assert await inventory_of(engine, book) == 3
    assert await counts(engine) == (0, 0)


async def test_malformed_borrow_requests_are_400s_not_5xx(api: Api, engine: AsyncEngine, clock: MutableClock) -> None:
    ada = await api.user()
    for body in (
        {"book_id": 2**40, "expected_return_date": due(clock, 3)},
        {"book_id": "one", "expected_return_date": due(clock, 3)},
        {"book_id": 1, "expected_return_date": "next tuesday"},
        {"book_id": 1},
        {"book_id": 1, "expected_return_date": due(clock, 3), "extra": True},
    ):
        assert_problem(await api.client.post("/api/borrowings", json=body, headers=ada.headers), 400)
    assert_problem(await api.client.get("/api/borrowings/99999999999", headers=ada.headers), 400)
    huge_key = {**ada.headers, "Idempotency-Key": "k" * 201}
    response = await api.client.post(
        "/api/borrowings", json={"book_id": 1, "expected_return_date": due(clock, 3)}, headers=huge_key
    )
    assert_problem(response, 400)


async def test_no_copy_left_is_a_conflict_and_a_missing_book_is_404(
    api: Api, engine: AsyncEngine, clock: MutableClock
) -> None:
    book = await add_book(engine, inventory=0)
    ada = await api.user()
    body = {"book_id": book, "expected_return_date": due(clock, 3)}
    problem = assert_problem(await api.client.post("/api/borrowings", json=body, headers=ada.headers), 409)
    assert problem["type"].endswith("book-unavailable")
    missing = {"book_id": book + 1000, "expected_return_date": due(clock, 3)}
    assert_problem(await api.client.post("/api/borrowings", json=missing, headers=ada.headers), 404)
    assert await inventory_of(engine, book) == 0


async def test_a_pending_payment_blocks_the_next_borrowing_until_it_is_paid(
    api: Api, engine: AsyncEngine, clock: MutableClock
) -> None:
    book = await add_book(engine)
    ada = await api.user()
    body = {"book_id": book, "expected_return_date": due(clock, 3)}
    first = (await api.client.post("/api/borrowings", json=body, headers=ada.headers)).json()

    problem = assert_problem(await api.client.post("/api/borrowings", json=body, headers=ada.headers), 409)
    assert problem["type"].endswith("payment-outstanding")

    # pay on the sandbox's checkout page, which redirects to the success page
    session_id = first["payments"][0]["session_id"]
    page = await api.client.get(f"/api/payments/sandbox/{session_id}")
    assert page.status_code == 200
    assert "3.00 USD" in page.text
    paid = await api.client.post(f"/api/payments/sandbox/{session_id}", follow_redirects=False)
    assert paid.status_code == 303
    assert paid.headers["location"] == f"http://testserver.local/api/payments/success?session_id={session_id}"
    success = await api.client.get("/api/payments/success", params={"session_id": session_id})
    assert success.status_code == 200
    assert success.json()["status"] == "PAID"

    assert (await api.client.post("/api/borrowings", json=body, headers=ada.headers)).status_code == 201
    assert await inventory_of(engine, book) == 1


async def test_an_expired_payment_also_blocks_borrowing(api: Api, engine: AsyncEngine, clock: MutableClock) -> None:
    book = await add_book(engine)
    ada = await api.user()
    body = {"book_id": book, "expected_return_date": due(clock, 3)}
    assert (await api.client.post("/api/borrowings", json=body, headers=ada.headers)).status_code == 201
    clock.advance(hours=25)
    assert await api.container.circulation.expire_payments()() == 1
    body = {"book_id": book, "expected_return_date": due(clock, 3)}
    problem = assert_problem(await api.client.post("/api/borrowings", json=body, headers=ada.headers), 409)
    assert problem["type"].endswith("payment-outstanding")


async def test_a_free_book_needs_no_checkout(api: Api, engine: AsyncEngine, clock: MutableClock) -> None:
    book = await add_book(engine, daily_fee_cents=0)
    ada = await api.user()
    body = {"book_id": book, "expected_return_date": due(clock, 5)}
    [payment] = (await api.client.post("/api/borrowings", json=body, headers=ada.headers)).json()["payments"]
    assert payment["status"] == "PAID"
    assert payment["amount_cents"] == 0
    assert payment["session_url"] is None
    assert (await api.client.post("/api/borrowings", json=body, headers=ada.headers)).status_code == 201


async def test_a_return_puts_the_copy_back_once(api: Api, engine: AsyncEngine, clock: MutableClock) -> None:
    book = await add_book(engine, inventory=1)
    ada = await api.user()
    body = {"book_id": book, "expected_return_date": due(clock, 3)}
    borrowing = (await api.client.post("/api/borrowings", json=body, headers=ada.headers)).json()
    assert await inventory_of(engine, book) == 0
    clock.advance(days=2)

    returned = await api.client.post(f"/api/borrowings/{borrowing['id']}/return", headers=ada.headers)

    assert returned.status_code == 200, returned.text
    assert returned.json()["actual_return_date"] == clock.today().isoformat()
    assert returned.json()["is_active"] is False
    assert [p["type"] for p in returned.json()["payments"]] == ["PAYMENT"], "on time: no fine"
    assert await inventory_of(engine, book) == 1
    again = await api.client.post(f"/api/borrowings/{borrowing['id']}/return", headers=ada.headers)
    assert_problem(again, 409)
    assert await inventory_of(engine, book) == 1


async def test_a_late_return_adds_a_fine_of_days_late_times_fee_times_multiplier(
    api: Api, engine: AsyncEngine, clock: MutableClock
) -> None:
    book = await add_book(engine, daily_fee_cents=150)
    ada = await api.user()
    body = {"book_id": book, "expected_return_date": due(clock, 3)}
    borrowing = (await api.client.post("/api/borrowings", json=body, headers=ada.headers)).json()
    clock.advance(days=3 + 4)

    returned = (await api.client.post(f"/api/borrowings/{borrowing['id']}/return", headers=ada.headers)).json()

    fee, fine = returned["payments"]
    assert fee["type"] == "PAYMENT"
    assert fee["amount_cents"] == 3 * 150
    assert fine["type"] == "FINE"
    assert fine["status"] == "PENDING"
    assert fine["amount_cents"] == 4 * 150 * 2
    assert fine["borrowing_id"] == borrowing["id"]
    assert fine["session_url"].startswith("http://testserver.local/api/payments/sandbox/cs_sandbox_")


async def test_someone_elses_borrowing_is_404_and_admins_may_return_it(
    api: Api, engine: AsyncEngine, clock: MutableClock
) -> None:
    book = await add_book(engine)
    ada, bob = await api.user(), await api.user()
    admin = await api.user(admin=True)
    body = {"book_id": book, "expected_return_date": due(clock, 3)}
    borrowing = (await api.client.post("/api/borrowings", json=body, headers=ada.headers)).json()
    path = f"/api/borrowings/{borrowing['id']}"

    assert_problem(await api.client.get(path, headers=bob.headers), 404)
    assert_problem(await api.client.post(f"{path}/return", headers=bob.headers), 404)
    assert (await api.client.get(path, headers=ada.headers)).json()["id"] == borrowing["id"]
    assert (await api.client.get(path, headers=admin.headers)).status_code == 200
    assert (await api.client.post(f"{path}/return", headers=admin.headers)).status_code == 200
    assert_problem(await api.client.get(path), 401)


async def test_lists_show_own_borrowings_with_their_payments_and_filter_by_activity(
    api: Api, engine: AsyncEngine, clock: MutableClock
) -> None:
    free = await add_book(engine, title="Free", daily_fee_cents=0, inventory=10)
    ada, bob = await api.user(), await api.user()
    admin = await api.user(admin=True)
    ids = []
    for _ in range(3):
        body = {"book_id": free, "expected_return_date": due(clock, 2)}
        ids.append((await api.client.post("/api/borrowings", json=body, headers=ada.headers)).json()["id"])
    body = {"book_id": free, "expected_return_date": due(clock, 2)}
    bobs = (await api.client.post("/api/borrowings", json=body, headers=bob.headers)).json()["id"]
    await api.client.post(f"/api/borrowings/{ids[0]}/return", headers=ada.headers)

    mine = (await api.client.get("/api/borrowings", headers=ada.headers)).json()
    assert [item["id"] for item in mine["items"]] == ids[::-1]
    assert mine["total"] == 3
    assert all(len(item["payments"]) == 1 for item in mine["items"])
    active = (await api.client.get("/api/borrowings", params={"is_active": "true"}, headers=ada.headers)).json()
    assert [item["id"] for item in active["items"]] == ids[:0:-1]
    returned = (await api.client.get("/api/borrowings", params={"is_active": "false"}, headers=ada.headers)).json()
    assert [item["id"] for item in returned["items"]] == [ids[0]]
    paged = (await api.client.get("/api/borrowings", params={"limit": 2, "offset": 2}, headers=ada.headers)).json()
    assert paged == {**paged, "total": 3, "limit": 2, "offset": 2}
    assert [item["id"] for item in paged["items"]] == [ids[0]]

    everyone = (await api.client.get("/api/borrowings", headers=admin.headers)).json()
    assert everyone["total"] == 4
    only_bob = (await api.client.get("/api/borrowings", params={"user_id": bob.id}, headers=admin.headers)).json()
    assert [item["id"] for item in only_bob["items"]] == [bobs]
    assert_problem(await api.client.get("/api/borrowings", params={"user_id": bob.id}, headers=ada.headers), 403)
    assert_problem(await api.client.get("/api/borrowings", params={"limit": 101}, headers=ada.headers), 400)


async def test_a_library_may_switch_off_the_unpaid_payment_rule(
    api: Api, engine: AsyncEngine, clock: MutableClock, tmp_path: Path
) -> None:
    """``UNPAID_BLOCKS_BORROWING=false`` reaches the policy, and borrowing then ignores debts."""
    from entrypoints.container import build_container
    from tests.integration.conftest import make_settings

    switched_off = build_container(make_settings("sqlite+aiosqlite://", tmp_path, unpaid_blocks_borrowing=False))
    policy = switched_off.gateways.loan_policy()
    assert policy.unpaid_blocks_borrowing is False
    assert api.container.gateways.loan_policy().unpaid_blocks_borrowing is True  # the default

    api.container.gateways.loan_policy.override(providers.Object(policy))
    book = await add_book(engine)
    ada = await api.user()
    body = {"book_id": book, "expected_return_date": due(clock, 3)}
    for _ in range(2):
        assert (await api.client.post("/api/borrowings", json=body, headers=ada.headers)).status_code == 201
