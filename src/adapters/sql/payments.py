"""SQL repositories of payments: payments, webhook events received, memberships, idempotency keys."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, Table, bindparam, exists, insert, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.common import paged
from adapters.sql.driver import HotStatement, bound_values
from adapters.sql.tables import idempotency_keys, payments, stripe_events, users
from application.ports.payments import IdempotentRequest, PaymentEvent, PaymentFilter, StoredOutcome
from application.results import Page, PageRequest
from domain.payments import DEBTS, CheckoutSession, Payment, PaymentId, PaymentStatus, PaymentType
from domain.shared import Money, UserId

PAYMENT_COLUMNS = (
    payments.c.id,
    payments.c.user_id,
    payments.c.borrowing_id,
    payments.c.type,
    payments.c.status,
    payments.c.amount_cents,
    payments.c.currency,
    payments.c.session_id,
    payments.c.session_url,
    payments.c.session_expires_at,
    payments.c.created_at,
    payments.c.paid_at,
)
UNSETTLED = (PaymentStatus.PENDING.value, PaymentStatus.EXPIRED.value)


# Statements of the borrowing path, built once (see adapters/sql/circulation.py).
#: The columns that change as a payment moves on (``_state`` gives their values).
_STATE_COLUMNS = ("status", "session_id", "session_url", "session_expires_at", "paid_at")
_INSERT_PAYMENT = HotStatement(
    insert(payments)
    .values(
        **bound_values("user_id", "borrowing_id", "type", "amount_cents", "currency", "created_at", *_STATE_COLUMNS)
    )
    .returning(payments.c.id)
)
_SAVE_PAYMENT = HotStatement(
    update(payments).where(payments.c.id == bindparam("payment_id")).values(**bound_values(*_STATE_COLUMNS))
)
_HAS_DEBTS = select(
    exists().where(
        payments.c.user_id == bindparam("user_id"),
        payments.c.status.in_(UNSETTLED),
        payments.c.type.in_([kind.value for kind in DEBTS]),
    )
)


def payment_from_row(row: Any) -> Payment:
    session = None
    if row.session_id is not None:
        session = CheckoutSession(id=row.session_id, url=row.session_url or "", expires_at=row.session_expires_at)
    return Payment(
        id=PaymentId(row.id),
        user_id=UserId(row.user_id),
        borrowing_id=row.borrowing_id,
        type=PaymentType(row.type),
        status=PaymentStatus(row.status),
        amount=Money(row.amount_cents, row.currency),
        session=session,
        created_at=row.created_at,
        paid_at=row.paid_at,
    )


def _state(payment: Payment) -> dict[str, Any]:
    session = payment.session
    return {
        "status": payment.status.value,
        "session_id": session.id if session else None,
        "session_url": session.url if session else None,
        "session_expires_at": session.expires_at if session else None,
        "paid_at": payment.paid_at,
    }


async def insert_payment(conn: AsyncConnection, payment: Payment) -> Payment:
    new_id = await _INSERT_PAYMENT.scalar(
        conn,
        {
            "user_id": payment.user_id,
            "borrowing_id": payment.borrowing_id,
            "type": payment.type.value,
            "amount_cents": payment.amount.cents,
            "currency": payment.amount.currency,
            "created_at": payment.created_at,
            **_state(payment),
        },
    )
    payment.id = PaymentId(int(new_id))
    return payment


async def has_debts(conn: AsyncConnection, user_id: UserId) -> bool:
    return bool(await conn.scalar(_HAS_DEBTS, {"user_id": user_id}))


async def payments_of_borrowings(conn: AsyncConnection, borrowing_ids: Sequence[int]) -> dict[int, list[Payment]]:
    found: dict[int, list[Payment]] = {borrowing_id: [] for borrowing_id in borrowing_ids}
    if not borrowing_ids:
        return found
    query = select(*PAYMENT_COLUMNS).where(payments.c.borrowing_id.in_(borrowing_ids)).order_by(payments.c.id)
    for row in (await conn.execute(query)).all():
        found[row.borrowing_id].append(payment_from_row(row))
    return found


def insert_ignoring_duplicates(conn: AsyncConnection, table: Table, keys: Sequence[str], **values: Any) -> Insert:
    """``INSERT … ON CONFLICT (keys) DO NOTHING RETURNING id``: on Postgres a concurrent
    insert of the same key waits for the other transaction, then does nothing if it
    committed (SQLite serialises writers anyway)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).values(**values).on_conflict_do_nothing(index_elements=list(keys))
    return statement.returning(table.c.id)


class SqlPaymentRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, payment: Payment) -> Payment:
        return await insert_payment(self._conn, payment)

    async def save(self, payment: Payment) -> None:
        await _SAVE_PAYMENT.execute(self._conn, {"payment_id": payment.pid, **_state(payment)})

    async def get(self, payment_id: PaymentId) -> Payment | None:
        return await self._one(select(*PAYMENT_COLUMNS).where(payments.c.id == payment_id))

    async def get_for_update(self, payment_id: PaymentId) -> Payment | None:
        return await self._one(select(*PAYMENT_COLUMNS).where(payments.c.id == payment_id).with_for_update())

    async def get_by_session(self, session_id: str, *, for_update: bool = False) -> Payment | None:
        query = select(*PAYMENT_COLUMNS).where(payments.c.session_id == session_id)
        return await self._one(query.with_for_update() if for_update else query)

    async def has_debts(self, user_id: UserId) -> bool:
        return await has_debts(self._conn, user_id)

    async def open_premium(self, user_id: UserId) -> Payment | None:
        query = (
            select(*PAYMENT_COLUMNS)
            .where(
                payments.c.user_id == user_id,
                payments.c.status == PaymentStatus.PENDING.value,
                payments.c.type == PaymentType.PREMIUM.value,
            )
            .limit(1)
        )
        return await self._one(query)

    async def of_borrowings(self, borrowing_ids: Sequence[int]) -> dict[int, list[Payment]]:
        return await payments_of_borrowings(self._conn, borrowing_ids)

    async def list(self, filters: PaymentFilter, page: PageRequest) -> Page[Payment]:
        query = select(*PAYMENT_COLUMNS).order_by(payments.c.id.desc())
        if filters.user_id is not None:
            query = query.where(payments.c.user_id == filters.user_id)
        if filters.status is not None:
            query = query.where(payments.c.status == filters.status.value)
        if filters.type is not None:
            query = query.where(payments.c.type == filters.type.value)
        if filters.borrowing_id is not None:
            query = query.where(payments.c.borrowing_id == filters.borrowing_id)
        return await paged(self._conn, query, page, payment_from_row)

    async def expire_lapsed(self, now: datetime) -> int:
        result = await self._conn.execute(
            update(payments)
            .where(payments.c.status == PaymentStatus.PENDING.value, payments.c.session_expires_at <= now)
            .values(status=PaymentStatus.EXPIRED.value)
        )
        return int(result.rowcount)

    async def _one(self, query: Any) -> Payment | None:
        row = (await self._conn.execute(query)).first()
        return payment_from_row(row) if row else None


class SqlPaymentEventLog:
    """Webhook events already received (``stripe_events``)."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def record(self, event: PaymentEvent, *, now: datetime) -> bool:
        statement = insert_ignoring_duplicates(
            self._conn, stripe_events, ["id"], id=event.id, type=event.type[:64], received_at=now
        )
        return (await self._conn.execute(statement)).first() is not None


class SqlMemberships:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def lock(self, user_id: UserId) -> bool | None:
        query = select(users.c.is_premium).where(users.c.id == user_id).with_for_update(key_share=True)
        row = (await self._conn.execute(query)).first()
        return None if row is None else bool(row.is_premium)

    async def grant_premium(self, user_id: UserId) -> None:
        await self._conn.execute(update(users).where(users.c.id == user_id).values(is_premium=true()))


class SqlIdempotencyKeys:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def claim(self, user_id: UserId, request: IdempotentRequest, *, now: datetime) -> StoredOutcome | None:
        statement = insert_ignoring_duplicates(
            self._conn,
            idempotency_keys,
            ["user_id", "scope", "key"],
            user_id=user_id,
            scope=request.scope,
            key=request.key,
            fingerprint=request.fingerprint,
            created_at=now,
        )
        if (await self._conn.execute(statement)).first() is not None:
            return None
        row = (
            await self._conn.execute(
                select(idempotency_keys.c.fingerprint, idempotency_keys.c.resource_id).where(
                    *self._match(user_id, request)
                )
            )
        ).first()
        if row is None:  # the other transaction rolled back after our insert was refused: cannot happen, but
            return StoredOutcome(fingerprint=request.fingerprint, resource_id=None)  # never claim twice
        return StoredOutcome(fingerprint=row.fingerprint, resource_id=row.resource_id)

    async def complete(self, user_id: UserId, request: IdempotentRequest, resource_id: int) -> None:
        await self._conn.execute(
            update(idempotency_keys).where(*self._match(user_id, request)).values(resource_id=resource_id)
        )

    @staticmethod
    def _match(user_id: UserId, request: IdempotentRequest) -> tuple[Any, ...]:
        return (
            idempotency_keys.c.user_id == user_id,
            idempotency_keys.c.scope == request.scope,
            idempotency_keys.c.key == request.key,
        )
