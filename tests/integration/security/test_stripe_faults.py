"""Stripe failing in every way it can (an error status, rate limiting, a hang past the
timeout, nobody listening): the request is refused with a clean 502/503 problem, and
nothing is half-written (no borrowing, no payment, no idempotency record, no notice, the
copy still on the shelf). Once Stripe is back, the same request with the same
``Idempotency-Key`` goes through, opening one session."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from dependency_injector import providers
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.tables import idempotency_keys, outbox, users
from adapters.stripe.gateway import StripePaymentGateway
from entrypoints.container import App
from tests.clock import MovableClock
from tests.figures import record
from tests.integration.circulation.support import add_book, counts, inventory_of
from tests.integration.fakes.stripe_server import FakeStripe
from tests.integration.support import Api, assert_problem

FAULTS = ["http-500", "http-503", "http-429", "http-400", "timeout", "unreachable"]


def inject(fault: str, fake: FakeStripe, container: App, clock: MovableClock) -> StripePaymentGateway | None:
    record("faults injected")
    if fault.startswith("http-"):
        fake.fail_with = int(fault.removeprefix("http-"))
    elif fault == "timeout":
        fake.hang_seconds = 3  # the gateway gives up after 0.5 s
    elif fault == "unreachable":
        closed = StripePaymentGateway(
            secret_key="sk_test_athenaeum",
            public_base_url="http://testserver.local",
            clock=clock,
            api_base="http://127.0.0.1:9",  # the discard port: nothing listens
            timeout=0.5,
            max_network_retries=0,
        )
        container.gateways.payments.override(providers.Object(closed))
        return closed
    return None


def heal(fake: FakeStripe, container: App) -> None:
    fake.behave()
    container.gateways.payments.reset_override()


async def nothing_written(engine: AsyncEngine) -> dict[str, Any]:
    async with engine.connect() as conn:
        return {
            "borrowings, payments": await counts(engine),
            "idempotency keys": await conn.scalar(select(func.count()).select_from(idempotency_keys)),
            "outbox": await conn.scalar(select(func.count()).select_from(outbox)),
            "premium users": await conn.scalar(select(func.count()).select_from(users).where(users.c.is_premium)),
        }


NOTHING = {"borrowings, payments": (0, 0), "idempotency keys": 0, "outbox": 0, "premium users": 0}


def assert_clean_refusal(response: Any) -> None:
    assert response.status_code in (502, 503), response.text
    body = assert_problem(response, response.status_code)
    assert "Traceback" not in response.text
    assert "sk_test" not in response.text, "the secret key never leaks into an answer"
    assert body["type"].endswith(("payment-provider-error", "payment-provider-unavailable"))


@pytest.mark.parametrize("fault", FAULTS)
async def test_a_borrowing_while_stripe_fails_is_refused_cleanly_and_writes_nothing(
    stripe_api: Api,
    stripe_container: App,
    engine: AsyncEngine,
    fake_stripe: FakeStripe,
    stripe_clock: MovableClock,
    fault: str,
) -> None:
    book = await add_book(engine, inventory=2)
    ada = await stripe_api.user()
    headers = {**ada.headers, "Idempotency-Key": f"borrow-during-{fault}"}
    body = {"book_id": book, "expected_return_date": (stripe_clock.today() + timedelta(days=3)).isoformat()}

    closed = inject(fault, fake_stripe, stripe_container, stripe_clock)
    refused = await stripe_api.client.post("/api/borrowings", json=body, headers=headers)
    assert_clean_refusal(refused)
    assert await nothing_written(engine) == NOTHING
    assert await inventory_of(engine, book) == 2

    heal(fake_stripe, stripe_container)
    if closed is not None:
        await closed.aclose()
    retried = await stripe_api.client.post("/api/borrowings", json=body, headers=headers)
    assert retried.status_code == 201, retried.text
    again = await stripe_api.client.post("/api/borrowings", json=body, headers=headers)
    assert again.json() == retried.json()
    assert len(fake_stripe.creations) == 1
    assert await counts(engine) == (1, 1)
    assert await inventory_of(engine, book) == 1


@pytest.mark.parametrize("fault", FAULTS)
async def test_a_premium_checkout_while_stripe_fails_is_refused_cleanly_and_writes_nothing(
    stripe_api: Api,
    stripe_container: App,
    engine: AsyncEngine,
    fake_stripe: FakeStripe,
    stripe_clock: MovableClock,
    fault: str,
) -> None:
    ada = await stripe_api.user()
    closed = inject(fault, fake_stripe, stripe_container, stripe_clock)
    headers = {**ada.headers, "Idempotency-Key": f"premium-during-{fault}"}
    assert_clean_refusal(await stripe_api.client.post("/api/premium/checkout", headers=headers))
    assert await nothing_written(engine) == NOTHING

    heal(fake_stripe, stripe_container)
    if closed is not None:
        await closed.aclose()
    # Not blocked by a half-open checkout: the retry opens one.
    retried = await stripe_api.client.post("/api/premium/checkout", headers=headers)
    assert retried.status_code == 201, retried.text
    assert len(fake_stripe.creations) == 1
