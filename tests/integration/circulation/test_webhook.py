"""Stripe's webhook: verified, recorded once, applied in any order."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.tables import stripe_events
from tests.integration.circulation.support import MutableClock, add_book, count_rows, session_event, signed
from tests.integration.support import Api, assert_problem


async def deliver(api: Api, event: dict, **kwargs) -> object:
    payload, signature = signed(event, **kwargs)
    return await api.client.post(
        "/api/payments/webhook",
        content=payload,
        headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
    )


async def pending_fee(api: Api, engine: AsyncEngine, clock: MutableClock) -> tuple[dict, object]:
    book = await add_book(engine)
    ada = await api.user()
    body = {"book_id": book, "expected_return_date": (clock.today() + timedelta(days=3)).isoformat()}
    borrowing = (await api.client.post("/api/borrowings", json=body, headers=ada.headers)).json()
    return borrowing["payments"][0], ada


async def status_of(api: Api, payment: dict, owner) -> str:
    return (await api.client.get(f"/api/payments/{payment['id']}", headers=owner.headers)).json()["status"]


async def test_a_missing_or_wrong_signature_is_a_400(stripe_api: Api, engine: AsyncEngine) -> None:
    event = session_event("evt_1", "completed", "cs_whatever")
    payload, good = signed(event)
    post = stripe_api.client.post
    json_type = {"Content-Type": "application/json"}
    assert_problem(await post("/api/payments/webhook", content=payload, headers=json_type), 400)
    for signature in ("", "nonsense", "t=1,v1=abc", good.replace("v1=", "v1=0")):
        headers = {**json_type, "Stripe-Signature": signature}
        assert_problem(await post("/api/payments/webhook", content=payload, headers=headers), 400)
    _, other_secret = signed(event, secret="whsec_someone_else")
    headers = {**json_type, "Stripe-Signature": other_secret}
    assert_problem(await post("/api/payments/webhook", content=payload, headers=headers), 400)
    stale = await deliver(stripe_api, event, timestamp=int(time.time()) - 3600)
    assert_problem(stale, 400)
    tampered = payload.replace(b"evt_1", b"evt_2")
    headers = {**json_type, "Stripe-Signature": good}
    assert_problem(await post("/api/payments/webhook", content=tampered, headers=headers), 400)
    assert await count_rows(engine, stripe_events) == 0


async def test_a_signed_body_that_is_not_an_event_is_a_400(stripe_api: Api) -> None:
    for body in ([1, 2], {"id": 5}, {"id": "evt_x"}, {"id": "e" * 300, "type": "checkout.session.completed"}):
        response = await deliver(stripe_api, body)  # type: ignore[arg-type]
        assert_problem(response, 400)


async def test_completed_marks_paid_and_a_duplicate_changes_nothing(
    stripe_api: Api, engine: AsyncEngine, stripe_clock: MutableClock
) -> None:
    payment, ada = await pending_fee(stripe_api, engine, stripe_clock)
    event = session_event("evt_paid_1", "completed", payment["session_id"], payment_id=payment["id"])

    first = await deliver(stripe_api, event)

    assert first.status_code == 200
    assert first.json() == {"received": True, "event_id": "evt_paid_1", "outcome": "applied"}
    assert await status_of(stripe_api, payment, ada) == "PAID"
    again = await deliver(stripe_api, event)
    assert again.json()["outcome"] == "duplicate"
    assert await status_of(stripe_api, payment, ada) == "PAID"
    assert await count_rows(engine, stripe_events) == 1


async def test_expired_after_completed_changes_nothing(
    stripe_api: Api, engine: AsyncEngine, stripe_clock: MutableClock
) -> None:
    payment, ada = await pending_fee(stripe_api, engine, stripe_clock)
    await deliver(stripe_api, session_event("evt_a", "completed", payment["session_id"]))
    late = await deliver(stripe_api, session_event("evt_b", "expired", payment["session_id"]))
    assert late.json()["outcome"] == "unchanged"
    assert await status_of(stripe_api, payment, ada) == "PAID"


async def test_expired_marks_expired_and_money_that_arrives_later_still_counts(
    stripe_api: Api, engine: AsyncEngine, stripe_clock: MutableClock
) -> None:
    payment, ada = await pending_fee(stripe_api, engine, stripe_clock)
    expired = await deliver(stripe_api, session_event("evt_e", "expired", payment["session_id"]))
    assert expired.json()["outcome"] == "applied"
    assert await status_of(stripe_api, payment, ada) == "EXPIRED"
    paid = await deliver(stripe_api, session_event("evt_p", "completed", payment["session_id"]))
    assert paid.json()["outcome"] == "applied"
    assert await status_of(stripe_api, payment, ada) == "PAID"


async def test_the_old_sessions_expiry_does_not_expire_a_renewed_payment(
    stripe_api: Api, engine: AsyncEngine, stripe_clock: MutableClock
) -> None:
    payment, ada = await pending_fee(stripe_api, engine, stripe_clock)
    await deliver(stripe_api, session_event("evt_1", "expired", payment["session_id"]))
    renewed = (await stripe_api.client.post(f"/api/payments/{payment['id']}/renew", headers=ada.headers)).json()
    assert renewed["session_id"] != payment["session_id"]
    # Stripe retries the old expiry, or sends it late under another id
    stale = await deliver(
        stripe_api, session_event("evt_2", "expired", payment["session_id"], payment_id=payment["id"])
    )
    assert stale.json()["outcome"] == "unchanged"
    assert await status_of(stripe_api, payment, ada) == "PENDING"


async def test_events_we_do_not_handle_or_do_not_know_are_acknowledged(stripe_api: Api) -> None:
    other = {"id": "evt_other", "type": "customer.created", "data": {"object": {"id": "cus_1"}}}
    assert (await deliver(stripe_api, other)).json()["outcome"] == "ignored"
    unknown = await deliver(stripe_api, session_event("evt_unknown", "completed", "cs_not_ours"))
    assert unknown.json()["outcome"] == "ignored"


async def test_a_webhook_for_a_premium_payment_makes_the_user_premium(stripe_api: Api) -> None:
    ada = await stripe_api.user()
    premium = (await stripe_api.client.post("/api/premium/checkout", headers=ada.headers)).json()
    await deliver(stripe_api, session_event("evt_prem", "completed", premium["session_id"]))
    assert (await stripe_api.client.get("/api/users/me", headers=ada.headers)).json()["is_premium"] is True


async def test_without_a_webhook_secret_every_delivery_is_refused(api: Api) -> None:
    """The sandbox app of the default settings has no STRIPE_WEBHOOK_SECRET."""
    response = await deliver(api, session_event("evt_1", "completed", "cs_sandbox_x"))
    problem = assert_problem(response, 400)
    assert "secret" in problem["detail"]
