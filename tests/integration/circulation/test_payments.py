"""Payment lists, the expiry job, and the sandbox's checkout page."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.tables import payments
from entrypoints.scheduler.jobs import job_named
from tests.integration.circulation.support import MutableClock, add_book
from tests.integration.support import Api, assert_problem


async def borrow(api: Api, account, book: int, clock: MutableClock, days: int = 3) -> dict:
    body = {"book_id": book, "expected_return_date": (clock.today() + timedelta(days=days)).isoformat()}
    response = await api.client.post("/api/borrowings", json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def statuses(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as conn:
        return list((await conn.execute(select(payments.c.status).order_by(payments.c.id))).scalars())


async def test_the_expiry_job_expires_lapsed_sessions_only_and_is_safe_to_run_at_once(
    api: Api, engine: AsyncEngine, clock: MutableClock
) -> None:
    book = await add_book(engine, inventory=10)
    ada, bob, cyd = await api.user(), await api.user(), await api.user()
    await borrow(api, ada, book, clock)
    paid = await borrow(api, bob, book, clock)
    session_id = paid["payments"][0]["session_id"]
    await api.client.post(f"/api/payments/sandbox/{session_id}", follow_redirects=False)
    clock.advance(hours=12)
    await borrow(api, cyd, book, clock)  # its session is 12 hours younger

    clock.advance(hours=12)  # ada's session is exactly 24 hours old
    runs = await asyncio.gather(*(api.container.circulation.expire_payments()() for _ in range(3)))
    assert sum(runs) == 1
    assert await statuses(engine) == ["EXPIRED", "PAID", "PENDING"]

    clock.advance(hours=12)
    report = await job_named("expire_payments").run(api.container)
    assert report == "expired 1 payments"
    assert await statuses(engine) == ["EXPIRED", "PAID", "EXPIRED"]


async def test_payment_lists_are_own_and_admins_see_all(api: Api, engine: AsyncEngine, clock: MutableClock) -> None:
    book = await add_book(engine, inventory=10)
    ada, bob = await api.user(), await api.user()
    admin = await api.user(admin=True)
    mine = await borrow(api, ada, book, clock)
    bobs = await borrow(api, bob, book, clock)
    await api.client.post("/api/premium/checkout", headers=ada.headers)

    own = (await api.client.get("/api/payments", headers=ada.headers)).json()
    assert own["total"] == 2
    assert [p["type"] for p in own["items"]] == ["PREMIUM", "PAYMENT"]
    assert own["items"][1]["borrowing_id"] == mine["id"]
    fees = (await api.client.get("/api/payments", params={"type": "PAYMENT"}, headers=ada.headers)).json()
    assert [p["id"] for p in fees["items"]] == [mine["payments"][0]["id"]]
    pending = (await api.client.get("/api/payments", params={"status": "PENDING"}, headers=ada.headers)).json()
    assert pending["total"] == 2
    assert_problem(await api.client.get("/api/payments", params={"status": "LOST"}, headers=ada.headers), 400)

    bobs_payment = bobs["payments"][0]["id"]
    assert_problem(await api.client.get(f"/api/payments/{bobs_payment}", headers=ada.headers), 404)
    assert (await api.client.get(f"/api/payments/{bobs_payment}", headers=bob.headers)).status_code == 200
    assert (await api.client.get(f"/api/payments/{bobs_payment}", headers=admin.headers)).status_code == 200
    everyone = (await api.client.get("/api/payments", headers=admin.headers)).json()
    assert everyone["total"] == 3
    only_bob = (await api.client.get("/api/payments", params={"user_id": bob.id}, headers=admin.headers)).json()
    assert [p["id"] for p in only_bob["items"]] == [bobs_payment]
    assert_problem(await api.client.get("/api/payments", params={"user_id": bob.id}, headers=ada.headers), 403)
    assert_problem(await api.client.get("/api/payments"), 401)


async def test_the_sandbox_page_pays_once_and_refuses_an_expired_session(
    api: Api, engine: AsyncEngine, clock: MutableClock
) -> None:
    book = await add_book(engine, inventory=10, daily_fee_cents=199)
    ada, bob = await api.user(), await api.user()
    payment = (await borrow(api, ada, book, clock, days=2))["payments"][0]
    page = await api.client.get(payment["session_url"].removeprefix("http://testserver.local"))
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "3.98 USD" in page.text
    assert "<form" in page.text

    pay = f"/api/payments/sandbox/{payment['session_id']}"
    assert (await api.client.post(pay, follow_redirects=False)).status_code == 303
    assert (await api.client.post(pay, follow_redirects=False)).status_code == 303, "paying twice is harmless"
    assert "is paid" in (await api.client.get(pay)).text
    got = await api.client.get(f"/api/payments/{payment['id']}", headers=ada.headers)
    assert got.json()["status"] == "PAID"

    late = (await borrow(api, bob, book, clock))["payments"][0]
    clock.advance(hours=24, seconds=1)
    late_pay = f"/api/payments/sandbox/{late['session_id']}"
    assert "expired" in (await api.client.get(late_pay)).text
    assert_problem(await api.client.post(late_pay, follow_redirects=False), 409)
    assert_problem(await api.client.get("/api/payments/sandbox/cs_sandbox_unknown"), 404)


async def test_the_sandbox_page_does_not_exist_when_stripe_is_configured(stripe_api: Api, engine: AsyncEngine) -> None:
    assert_problem(await stripe_api.client.get("/api/payments/sandbox/cs_test_000001"), 404)
    assert_problem(await stripe_api.client.post("/api/payments/sandbox/cs_test_000001"), 404)


async def test_the_whole_sandbox_flow_follows_redirects_to_the_success_page(
    api: Api, engine: AsyncEngine, clock: MutableClock
) -> None:
    ada = await api.user()
    premium = (await api.client.post("/api/premium/checkout", headers=ada.headers)).json()
    assert premium["session_url"].startswith("http://testserver.local/api/payments/sandbox/cs_sandbox_")
    final = await api.client.post(premium["session_url"].removeprefix("http://testserver.local"))
    assert final.status_code == 200
    assert final.json()["status"] == "PAID"
    assert (await api.client.get("/api/users/me", headers=ada.headers)).json()["is_premium"] is True
