"""``Idempotency-Key`` on writes that charge money: a retry returns the first result."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration.circulation.support import MutableClock, add_book, counts, inventory_of
from tests.integration.fakes.stripe_server import FakeStripe
from tests.integration.support import Api, assert_problem


def body_for(book: int, clock: MutableClock, days: int = 3) -> dict:
    return {"book_id": book, "expected_return_date": (clock.today() + timedelta(days=days)).isoformat()}


async def test_a_retried_borrowing_returns_the_first_result_and_charges_once(
    stripe_api: Api, engine: AsyncEngine, fake_stripe: FakeStripe, stripe_clock: MutableClock
) -> None:
    book = await add_book(engine, inventory=5)
    ada = await stripe_api.user()
    headers = {**ada.headers, "Idempotency-Key": "9f0c1a2b-retry-me"}

    first = await stripe_api.client.post("/api/borrowings", json=body_for(book, stripe_clock), headers=headers)
    second = await stripe_api.client.post("/api/borrowings", json=body_for(book, stripe_clock), headers=headers)

    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert len(fake_stripe.creations) == 1
    assert fake_stripe.creations[0].headers["idempotency-key"].startswith("9f0c1a2b-retry-me:payment-")
    assert await counts(engine) == (1, 1)
    assert await inventory_of(engine, book) == 4


async def test_the_same_key_with_another_body_is_refused(
    stripe_api: Api, engine: AsyncEngine, stripe_clock: MutableClock
) -> None:
    book = await add_book(engine, inventory=5)
    ada = await stripe_api.user()
    headers = {**ada.headers, "Idempotency-Key": "key-1"}
    await stripe_api.client.post("/api/borrowings", json=body_for(book, stripe_clock, 3), headers=headers)
    other = await stripe_api.client.post("/api/borrowings", json=body_for(book, stripe_clock, 4), headers=headers)
    problem = assert_problem(other, 422, field="Idempotency-Key")
    assert problem["type"].endswith("idempotency-key-reused")
    assert await counts(engine) == (1, 1)


async def test_keys_belong_to_their_user(
    stripe_api: Api, engine: AsyncEngine, fake_stripe: FakeStripe, stripe_clock: MutableClock
) -> None:
    book = await add_book(engine, inventory=5)
    ada, bob = await stripe_api.user(), await stripe_api.user()
    for user in (ada, bob):
        headers = {**user.headers, "Idempotency-Key": "same-key"}
        response = await stripe_api.client.post("/api/borrowings", json=body_for(book, stripe_clock), headers=headers)
        assert response.status_code == 201
        assert response.json()["user_id"] == user.id
    assert len(fake_stripe.creations) == 2


async def test_a_key_whose_first_attempt_failed_can_be_retried(
    stripe_api: Api, engine: AsyncEngine, fake_stripe: FakeStripe, stripe_clock: MutableClock
) -> None:
    book = await add_book(engine, inventory=5)
    ada = await stripe_api.user()
    headers = {**ada.headers, "Idempotency-Key": "after-an-outage"}
    fake_stripe.fail_with = 500
    failed = await stripe_api.client.post("/api/borrowings", json=body_for(book, stripe_clock), headers=headers)
    assert_problem(failed, 502)
    fake_stripe.behave()
    retried = await stripe_api.client.post("/api/borrowings", json=body_for(book, stripe_clock), headers=headers)
    assert retried.status_code == 201
    again = await stripe_api.client.post("/api/borrowings", json=body_for(book, stripe_clock), headers=headers)
    assert again.json() == retried.json()
    assert len(fake_stripe.creations) == 1
    first_key, second_key = (request.headers["idempotency-key"] for request in fake_stripe.posts)
    assert first_key != second_key, "a new attempt is a new checkout, never a replay of a failed one"


async def test_a_retried_premium_checkout_returns_the_first_payment(stripe_api: Api, fake_stripe: FakeStripe) -> None:
    ada = await stripe_api.user()
    headers = {**ada.headers, "Idempotency-Key": "premium-please"}
    first = await stripe_api.client.post("/api/premium/checkout", headers=headers)
    second = await stripe_api.client.post("/api/premium/checkout", headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert len(fake_stripe.creations) == 1
