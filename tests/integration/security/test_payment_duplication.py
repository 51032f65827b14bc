"""Payments under duplication, as Stripe really delivers (at least once, in any order,
retried for days), against the app served for real on Postgres.

"Fulfilment" is counted where it happens: each time a payment really turns PAID (``settle``
returns True) and each time premium is granted. Whatever arrives twice, or at once, must
fulfil once.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql import payments as sql_payments
from adapters.sql.tables import borrowings, idempotency_keys, payments, stripe_events, users
from application.use_cases import payments as payment_use_cases
from tests.figures import record
from tests.integration.circulation.conftest import LiveApp, stripe_settings
from tests.integration.circulation.support import add_book, counts, inventory_of, session_event, signed
from tests.integration.fakes.stripe_server import FakeStripe
from tests.integration.fakes.telegram_server import FakeTelegram
from tests.integration.support import Api

pytestmark = pytest.mark.postgres

IN_A_WEEK = (datetime.now(UTC).date() + timedelta(days=7)).isoformat()
COPIES = 5


@dataclass
class Fulfilments:
    """What being paid caused, counted inside the app (which runs on another thread)."""

    settled: list[int] = field(default_factory=list)  # payment ids that turned PAID
    premium_granted: list[int] = field(default_factory=list)  # user ids made premium

    def of(self, payment_id: int) -> int:
        return self.settled.count(payment_id)


@pytest.fixture
def fulfilments(monkeypatch: pytest.MonkeyPatch) -> Fulfilments:
    seen = Fulfilments()
    real_settle = payment_use_cases.settle
    real_grant = sql_payments.SqlMemberships.grant_premium

    async def settle(uow: Any, payment: Any, now: datetime) -> bool:
        changed = await real_settle(uow, payment, now)
        if changed:
            seen.settled.append(int(payment.id))
        return changed

    async def grant_premium(self: Any, user_id: int) -> None:
        await real_grant(self, user_id)  # type: ignore[arg-type]
        seen.premium_granted.append(int(user_id))

    monkeypatch.setattr(payment_use_cases, "settle", settle)
    monkeypatch.setattr(sql_payments.SqlMemberships, "grant_premium", grant_premium)
    return seen


async def deliver(api: Api, event: dict[str, Any]) -> Any:
    payload, signature = signed(event)
    headers = {"Stripe-Signature": signature, "Content-Type": "application/json"}
    return await api.client.post("/api/payments/webhook", content=payload, headers=headers)


async def paid_at(engine: AsyncEngine, payment_id: int) -> tuple[str, datetime | None]:
    async with engine.connect() as conn:
        row = (
            await conn.execute(select(payments.c.status, payments.c.paid_at).where(payments.c.id == payment_id))
        ).one()
    return row.status, row.paid_at


async def borrow(api: Api, engine: AsyncEngine) -> tuple[Any, dict[str, Any]]:
    book = await add_book(engine, inventory=COPIES)
    reader = await api.user()
    response = await api.client.post(
        "/api/borrowings", json={"book_id": book, "expected_return_date": IN_A_WEEK}, headers=reader.headers
    )
    assert response.status_code == 201, response.text
    return reader, response.json()["payments"][0]


async def test_one_event_delivered_five_times_at_once_fulfils_once(
    live_app: LiveApp,
    engine: AsyncEngine,
    fake_stripe: FakeStripe,
    fake_telegram: FakeTelegram,
    fulfilments: Fulfilments,
) -> None:
    async with live_app(**stripe_settings(fake_stripe, fake_telegram)) as api:
        ada = await api.user()
        premium = (await api.client.post("/api/premium/checkout", headers=ada.headers)).json()
        _, fee = await borrow(api, engine)
        events = [
            session_event("evt_dup_premium", "completed", premium["session_id"]),
            session_event("evt_dup_fee", "completed", fee["session_id"], payment_id=fee["id"]),
        ]
        # both events, five deliveries each, all at once
        responses = await asyncio.gather(*(deliver(api, event) for event in events for _ in range(5)))
        record("duplicate deliveries sent", len(responses) - len(events))

    assert [r.status_code for r in responses] == [200] * 10
    for event in events:
        outcomes = Counter(r.json()["outcome"] for r in responses if r.json()["event_id"] == event["id"])
        assert outcomes == {"applied": 1, "duplicate": 4}
    assert fulfilments.of(premium["id"]) == 1
    assert fulfilments.of(fee["id"]) == 1
    assert fulfilments.premium_granted == [ada.id]
    record("extra fulfilments from duplicate deliveries", len(fulfilments.settled) - len(events))
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(stripe_events)) == 2
        assert await conn.scalar(select(users.c.is_premium).where(users.c.id == ada.id)) is True
    for payment in (premium, fee):
        assert (await paid_at(engine, payment["id"]))[0] == "PAID"


async def test_one_session_completed_under_several_event_ids_fulfils_once(
    live_app: LiveApp,
    engine: AsyncEngine,
    fake_stripe: FakeStripe,
    fake_telegram: FakeTelegram,
    fulfilments: Fulfilments,
) -> None:
    """Stripe may announce one payment more than once, under different event ids."""
    async with live_app(**stripe_settings(fake_stripe, fake_telegram)) as api:
        ada = await api.user()
        premium = (await api.client.post("/api/premium/checkout", headers=ada.headers)).json()
        responses = await asyncio.gather(
            *(deliver(api, session_event(f"evt_alias_{i}", "completed", premium["session_id"])) for i in range(5))
        )
        record("duplicate deliveries sent", len(responses) - 1)
    assert Counter(r.json()["outcome"] for r in responses) == {"applied": 1, "unchanged": 4}
    assert fulfilments.of(premium["id"]) == 1
    assert fulfilments.premium_granted == [ada.id]
    record("extra fulfilments from duplicate deliveries", len(fulfilments.settled) - 1)


async def test_the_success_page_and_the_webhook_racing_fulfil_once(
    live_app: LiveApp,
    engine: AsyncEngine,
    fake_stripe: FakeStripe,
    fake_telegram: FakeTelegram,
    fulfilments: Fulfilments,
) -> None:
    rounds = 4
    async with live_app(**stripe_settings(fake_stripe, fake_telegram)) as api:
        buyers = [await api.user() for _ in range(rounds)]
        checkouts = [(await api.client.post("/api/premium/checkout", headers=b.headers)).json() for b in buyers]
        for checkout in checkouts:
            fake_stripe.pay(checkout["session_id"])
        calls = []
        for i, checkout in enumerate(checkouts):
            session = checkout["session_id"]
            event = session_event(f"evt_race_{i}", "completed", session)
            calls += [api.client.get("/api/payments/success", params={"session_id": session}) for _ in range(3)]
            calls += [deliver(api, event) for _ in range(3)]
        responses = await asyncio.gather(*calls)
        record("duplicate deliveries sent", len(responses) - rounds)

    assert [r.status_code for r in responses] == [200] * len(responses), [r.text for r in responses]
    for checkout in checkouts:
        assert fulfilments.of(checkout["id"]) == 1
        status, when = await paid_at(engine, checkout["id"])
        assert status == "PAID"
        assert when is not None
    assert sorted(fulfilments.premium_granted) == sorted(b.id for b in buyers)
    success_pages = [r.json() for r in responses if "status" in r.json()]
    assert {page["status"] for page in success_pages} == {"PAID"}
    # Every success page shows the one moment it was paid, whoever got there first.
    by_id: dict[int, str] = {}
    for page in success_pages:
        assert by_id.setdefault(page["id"], page["paid_at"]) == page["paid_at"]
    record("extra fulfilments from duplicate deliveries", len(fulfilments.settled) - rounds)


async def test_completed_and_expired_in_any_order_or_at_once_end_paid(
    live_app: LiveApp,
    engine: AsyncEngine,
    fake_stripe: FakeStripe,
    fake_telegram: FakeTelegram,
    fulfilments: Fulfilments,
) -> None:
    async with live_app(**stripe_settings(fake_stripe, fake_telegram)) as api:
        fees = [(await borrow(api, engine))[1] for _ in range(3)]
        first, second, third = fees

        # completed, then expired (and the expiry retried): nothing changes
        await deliver(api, session_event("evt_c1", "completed", first["session_id"]))
        late = [await deliver(api, session_event("evt_x1", "expired", first["session_id"])) for _ in range(3)]
        assert [r.json()["outcome"] for r in late] == ["unchanged", "duplicate", "duplicate"]

        # expired first, then completed: the money still counts
        await deliver(api, session_event("evt_x2", "expired", second["session_id"]))
        await deliver(api, session_event("evt_c2", "completed", second["session_id"]))

        # both at once, several times each
        both = [session_event("evt_c3", "completed", third["session_id"])] * 3
        both += [session_event("evt_x3", "expired", third["session_id"])] * 3
        await asyncio.gather(*(deliver(api, event) for event in both))
        record("duplicate deliveries sent", 2 + 4)

        # and an expiry after payment delivered again days later changes nothing either
        again = await deliver(api, session_event("evt_x1", "expired", first["session_id"]))
        assert again.json()["outcome"] == "duplicate"

    for fee in fees:
        assert (await paid_at(engine, fee["id"]))[0] == "PAID"
        assert fulfilments.of(fee["id"]) == 1
    record("extra fulfilments from duplicate deliveries", len(fulfilments.settled) - len(fees))


async def test_a_retried_borrowing_with_one_idempotency_key_opens_one_stripe_session(
    live_app: LiveApp, engine: AsyncEngine, fake_stripe: FakeStripe, fake_telegram: FakeTelegram
) -> None:
    book = await add_book(engine, inventory=COPIES)
    async with live_app(**stripe_settings(fake_stripe, fake_telegram)) as api:
        ada = await api.user()
        headers = {**ada.headers, "Idempotency-Key": "0b7f-borrow-once"}
        body = {"book_id": book, "expected_return_date": IN_A_WEEK}
        # a burst of retries at once, then stragglers one by one (a client retrying on timeouts)
        burst = await asyncio.gather(
            *(api.client.post("/api/borrowings", json=body, headers=headers) for _ in range(5))
        )
        stragglers = [await api.client.post("/api/borrowings", json=body, headers=headers) for _ in range(3)]
        responses = [*burst, *stragglers]
        record("idempotent retries sent", len(responses) - 1)

    # A retry that arrives while the first is in flight waits for it, then replays its answer.
    assert [r.status_code for r in responses] == [201] * len(responses), [r.text for r in responses]
    assert all(r.json() == responses[0].json() for r in responses)
    assert len(fake_stripe.creations) == 1
    record("extra Stripe sessions from keyed retries", len(fake_stripe.creations) - 1)
    assert await counts(engine) == (1, 1)
    assert await inventory_of(engine, book) == COPIES - 1
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(idempotency_keys)) == 1
        assert await conn.scalar(select(func.count()).select_from(borrowings)) == 1
