"""The real Stripe SDK against a local fake Checkout API: what is sent, what comes back,
and what happens when Stripe fails."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.tables import outbox
from tests.integration.circulation.support import MutableClock, add_book, count_rows, counts, inventory_of
from tests.integration.fakes.stripe_server import FakeStripe
from tests.integration.support import Api, assert_problem

SUCCESS = "http://testserver.local/api/payments/success?session_id={CHECKOUT_SESSION_ID}"
CANCEL = "http://testserver.local/api/payments/cancel?session_id={CHECKOUT_SESSION_ID}"


def until(clock: MutableClock, days: int) -> str:
    return (clock.today() + timedelta(days=days)).isoformat()


async def test_a_borrowing_opens_a_checkout_session_with_the_fee_urls_and_payment_id(
    stripe_api: Api, engine: AsyncEngine, fake_stripe: FakeStripe, stripe_clock: MutableClock
) -> None:
    book = await add_book(engine, title="Dune", daily_fee_cents=250)
    ada = await stripe_api.user()

    response = await stripe_api.client.post(
        "/api/borrowings", json={"book_id": book, "expected_return_date": until(stripe_clock, 4)}, headers=ada.headers
    )

    assert response.status_code == 201, response.text
    [payment] = response.json()["payments"]
    [sent] = fake_stripe.creations
    assert sent.form["mode"] == "payment"
    assert sent.form["line_items[0][quantity]"] == "1"
    assert sent.form["line_items[0][price_data][unit_amount]"] == str(4 * 250)
    assert sent.form["line_items[0][price_data][currency]"] == "usd"
    assert sent.form["line_items[0][price_data][product_data][name]"] == (
        f"Athenaeum borrowing fee (payment #{payment['id']})"
    )
    assert sent.form["metadata[payment_id]"] == str(payment["id"])
    assert sent.form["metadata[payment_type]"] == "PAYMENT"
    assert sent.form["client_reference_id"] == str(payment["id"])
    assert sent.form["success_url"] == SUCCESS
    assert sent.form["cancel_url"] == CANCEL
    expected_expiry = stripe_clock.now() + timedelta(hours=24) - timedelta(minutes=2)
    assert abs(int(sent.form["expires_at"]) - expected_expiry.timestamp()) < 2
    assert sent.headers["authorization"] == "Bearer sk_test_athenaeum"
    assert sent.headers["idempotency-key"].startswith(f"athenaeum:payment-{payment['id']}:")

    assert payment["session_id"] == sent.created
    assert payment["session_url"] == f"https://checkout.stripe.test/c/pay/{sent.created}"
    assert payment["amount_cents"] == 1000


async def test_stripe_answering_500_is_a_502_and_nothing_is_written(
    stripe_api: Api, engine: AsyncEngine, fake_stripe: FakeStripe, stripe_clock: MutableClock
) -> None:
    book = await add_book(engine, inventory=2)
    ada = await stripe_api.user()
    fake_stripe.fail_with = 500

    response = await stripe_api.client.post(
        "/api/borrowings", json={"book_id": book, "expected_return_date": until(stripe_clock, 3)}, headers=ada.headers
    )

    problem = assert_problem(response, 502)
    assert problem["type"].endswith("payment-provider-error")
    assert len(fake_stripe.posts) == 1
    assert await inventory_of(engine, book) == 2
    assert await counts(engine) == (0, 0)
    assert await count_rows(engine, outbox) == 0, "no notice of a borrowing that did not happen"

    fake_stripe.behave()
    retry = await stripe_api.client.post(
        "/api/borrowings", json={"book_id": book, "expected_return_date": until(stripe_clock, 3)}, headers=ada.headers
    )
    assert retry.status_code == 201
    assert await inventory_of(engine, book) == 1


async def test_stripe_timing_out_is_a_503_and_nothing_is_written(
    stripe_api: Api, engine: AsyncEngine, fake_stripe: FakeStripe, stripe_clock: MutableClock
) -> None:
    book = await add_book(engine, inventory=2)
    ada = await stripe_api.user()
    fake_stripe.hang_seconds = 5  # the gateway gives up after 0.5 s

    response = await stripe_api.client.post(
        "/api/borrowings", json={"book_id": book, "expected_return_date": until(stripe_clock, 3)}, headers=ada.headers
    )

    problem = assert_problem(response, 503)
    assert problem["type"].endswith("payment-provider-unavailable")
    assert await inventory_of(engine, book) == 2
    assert await counts(engine) == (0, 0)


async def test_stripe_unreachable_is_a_503(
    stripe_api: Api, engine: AsyncEngine, stripe_container, stripe_clock: MutableClock
) -> None:
    from dependency_injector import providers

    from adapters.stripe.gateway import StripePaymentGateway

    book = await add_book(engine)
    ada = await stripe_api.user()
    closed = StripePaymentGateway(
        secret_key="sk_test_x",
        public_base_url="http://testserver.local",
        clock=stripe_clock,
        api_base="http://127.0.0.1:9",  # the discard port: nothing listens
        timeout=0.5,
        max_network_retries=0,
    )
    stripe_container.gateways.payments.override(providers.Object(closed))
    response = await stripe_api.client.post(
        "/api/borrowings", json={"book_id": book, "expected_return_date": until(stripe_clock, 3)}, headers=ada.headers
    )
    assert_problem(response, 503)
    assert await counts(engine) == (0, 0)
    await closed.aclose()


async def test_the_success_page_asks_stripe_and_marks_paid_once(
    stripe_api: Api, engine: AsyncEngine, fake_stripe: FakeStripe, stripe_clock: MutableClock
) -> None:
    book = await add_book(engine)
    ada = await stripe_api.user()
    borrowing = (
        await stripe_api.client.post(
            "/api/borrowings",
            json={"book_id": book, "expected_return_date": until(stripe_clock, 3)},
            headers=ada.headers,
        )
    ).json()
    session_id = borrowing["payments"][0]["session_id"]

    unpaid = await stripe_api.client.get("/api/payments/success", params={"session_id": session_id})
    assert assert_problem(unpaid, 409)["type"].endswith("payment-not-completed")

    fake_stripe.pay(session_id)
    paid = await stripe_api.client.get("/api/payments/success", params={"session_id": session_id})
    assert paid.status_code == 200
    assert paid.json()["status"] == "PAID"
    assert paid.json()["paid_at"] is not None
    reads = len(fake_stripe.requests)
    again = await stripe_api.client.get("/api/payments/success", params={"session_id": session_id})
    assert again.json() == paid.json()
    assert len(fake_stripe.requests) == reads, "a paid payment needs no second look"

    assert_problem(await stripe_api.client.get("/api/payments/success", params={"session_id": "cs_nope"}), 404)
    assert_problem(await stripe_api.client.get("/api/payments/success"), 400)
    cancel = await stripe_api.client.get("/api/payments/cancel", params={"session_id": session_id})
    assert cancel.status_code == 200
    assert "24 hours" in cancel.json()["detail"]


async def test_the_success_page_with_stripe_down_is_a_503_and_changes_nothing(
    stripe_api: Api, engine: AsyncEngine, fake_stripe: FakeStripe, stripe_clock: MutableClock
) -> None:
    book = await add_book(engine)
    ada = await stripe_api.user()
    body = {"book_id": book, "expected_return_date": until(stripe_clock, 3)}
    borrowing = (await stripe_api.client.post("/api/borrowings", json=body, headers=ada.headers)).json()
    session_id = borrowing["payments"][0]["session_id"]
    fake_stripe.pay(session_id)
    fake_stripe.fail_with = 503
    assert_problem(await stripe_api.client.get("/api/payments/success", params={"session_id": session_id}), 502)
    payment = (await stripe_api.client.get("/api/payments", headers=ada.headers)).json()["items"][0]
    assert payment["status"] == "PENDING"


async def test_an_expired_payment_is_renewed_with_a_new_session_only_by_its_payer(
    stripe_api: Api, engine: AsyncEngine, fake_stripe: FakeStripe, stripe_clock: MutableClock
) -> None:
    book = await add_book(engine)
    ada, bob = await stripe_api.user(), await stripe_api.user()
    admin = await stripe_api.user(admin=True)
    body = {"book_id": book, "expected_return_date": until(stripe_clock, 3)}
    payment = (await stripe_api.client.post("/api/borrowings", json=body, headers=ada.headers)).json()["payments"][0]
    renew = f"/api/payments/{payment['id']}/renew"

    assert_problem(await stripe_api.client.post(renew, headers=ada.headers), 409)  # still PENDING
    stripe_clock.advance(hours=24)
    assert await stripe_api.container.circulation.expire_payments()() == 1
    got = await stripe_api.client.get(f"/api/payments/{payment['id']}", headers=ada.headers)
    assert got.json()["status"] == "EXPIRED"
    assert_problem(await stripe_api.client.post(renew, headers=bob.headers), 404)
    assert_problem(await stripe_api.client.post(renew, headers=admin.headers), 403)

    renewed = await stripe_api.client.post(renew, headers=ada.headers)

    assert renewed.status_code == 200, renewed.text
    assert renewed.json()["status"] == "PENDING"
    assert renewed.json()["session_id"] != payment["session_id"]
    assert renewed.json()["session_url"] == f"https://checkout.stripe.test/c/pay/{renewed.json()['session_id']}"
    assert len(fake_stripe.creations) == 2
    assert fake_stripe.creations[1].form["metadata[payment_id]"] == str(payment["id"])
    assert_problem(await stripe_api.client.post(renew, headers=ada.headers), 409)


async def test_renewing_while_stripe_is_down_keeps_the_payment_expired(
    stripe_api: Api, engine: AsyncEngine, fake_stripe: FakeStripe, stripe_clock: MutableClock
) -> None:
    book = await add_book(engine)
    ada = await stripe_api.user()
    body = {"book_id": book, "expected_return_date": until(stripe_clock, 3)}
    payment = (await stripe_api.client.post("/api/borrowings", json=body, headers=ada.headers)).json()["payments"][0]
    stripe_clock.advance(days=2)
    await stripe_api.container.circulation.expire_payments()()
    fake_stripe.fail_with = 500
    assert_problem(await stripe_api.client.post(f"/api/payments/{payment['id']}/renew", headers=ada.headers), 502)
    got = await stripe_api.client.get(f"/api/payments/{payment['id']}", headers=ada.headers)
    assert got.json()["status"] == "EXPIRED"
    assert got.json()["session_id"] == payment["session_id"]


async def test_a_late_return_opens_a_checkout_for_the_fine(
    stripe_api: Api, engine: AsyncEngine, fake_stripe: FakeStripe, stripe_clock: MutableClock
) -> None:
    book = await add_book(engine, daily_fee_cents=300)
    ada = await stripe_api.user()
    body = {"book_id": book, "expected_return_date": until(stripe_clock, 2)}
    borrowing = (await stripe_api.client.post("/api/borrowings", json=body, headers=ada.headers)).json()
    stripe_clock.advance(days=5)

    returned = await stripe_api.client.post(f"/api/borrowings/{borrowing['id']}/return", headers=ada.headers)

    assert returned.status_code == 200
    fine = returned.json()["payments"][1]
    assert fine["type"] == "FINE"
    assert fine["status"] == "PENDING"
    assert fine["amount_cents"] == 3 * 300 * 2
    sent = fake_stripe.creations[-1]
    assert sent.form["line_items[0][price_data][unit_amount]"] == str(3 * 300 * 2)
    assert sent.form["metadata[payment_id]"] == str(fine["id"])
    assert sent.form["metadata[payment_type]"] == "FINE"
    assert fine["session_id"] == sent.created


async def test_a_late_return_while_stripe_is_down_counts_and_the_fine_waits_to_be_renewed(
    stripe_api: Api, engine: AsyncEngine, fake_stripe: FakeStripe, stripe_clock: MutableClock
) -> None:
    book = await add_book(engine, inventory=1, daily_fee_cents=100)
    ada = await stripe_api.user()
    body = {"book_id": book, "expected_return_date": until(stripe_clock, 2)}
    borrowing = (await stripe_api.client.post("/api/borrowings", json=body, headers=ada.headers)).json()
    stripe_clock.advance(days=3)
    fake_stripe.hang_seconds = 5

    returned = await stripe_api.client.post(f"/api/borrowings/{borrowing['id']}/return", headers=ada.headers)

    assert returned.status_code == 200, returned.text
    assert returned.json()["actual_return_date"] == stripe_clock.today().isoformat()
    assert await inventory_of(engine, book) == 1
    fine = returned.json()["payments"][1]
    assert fine == {**fine, "type": "FINE", "status": "EXPIRED", "session_id": None, "session_url": None}
    assert fine["amount_cents"] == 200

    fake_stripe.behave()
    renewed = await stripe_api.client.post(f"/api/payments/{fine['id']}/renew", headers=ada.headers)
    assert renewed.status_code == 200
    assert renewed.json()["status"] == "PENDING"
    assert renewed.json()["session_url"].startswith("https://checkout.stripe.test/")


async def test_premium_is_granted_when_its_payment_is_paid(
    stripe_api: Api, engine: AsyncEngine, fake_stripe: FakeStripe, stripe_clock: MutableClock
) -> None:
    ada = await stripe_api.user()
    response = await stripe_api.client.post("/api/premium/checkout", headers=ada.headers)
    assert response.status_code == 201, response.text
    payment = response.json()
    assert payment == {**payment, "type": "PREMIUM", "status": "PENDING", "amount_cents": 999, "borrowing_id": None}
    assert (
        fake_stripe.creations[-1]
        .form["line_items[0][price_data][product_data][name]"]
        .startswith("Athenaeum premium membership")
    )
    again = await stripe_api.client.post("/api/premium/checkout", headers=ada.headers)
    assert assert_problem(again, 409)["payment_id"] == payment["id"]
    me = await stripe_api.client.get("/api/users/me", headers=ada.headers)
    assert me.json()["is_premium"] is False

    fake_stripe.pay(payment["session_id"])
    await stripe_api.client.get("/api/payments/success", params={"session_id": payment["session_id"]})

    me = await stripe_api.client.get("/api/users/me", headers=ada.headers)
    assert me.json()["is_premium"] is True
    assert_problem(await stripe_api.client.post("/api/premium/checkout", headers=ada.headers), 409)
    # an unpaid premium checkout is not a debt: it does not block borrowing
    book = await add_book(engine, daily_fee_cents=0)
    bob = await stripe_api.user()
    await stripe_api.client.post("/api/premium/checkout", headers=bob.headers)
    body = {"book_id": book, "expected_return_date": until(stripe_clock, 3)}
    assert (await stripe_api.client.post("/api/borrowings", json=body, headers=bob.headers)).status_code == 201


async def test_outbox_notice_is_written_with_the_borrowing(
    stripe_api: Api, engine: AsyncEngine, stripe_clock: MutableClock
) -> None:
    book = await add_book(engine, title="Dune")
    ada = await stripe_api.user("ada")
    body = {"book_id": book, "expected_return_date": until(stripe_clock, 3)}
    await stripe_api.client.post("/api/borrowings", json=body, headers=ada.headers)
    async with engine.connect() as conn:
        [(kind, payload)] = (await conn.execute(select(outbox.c.kind, outbox.c.payload))).all()
    assert kind == "telegram"
    assert "ada" in payload["text"]
    assert "Dune" in payload["text"]
