"""Circulation and payments request and response bodies."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import msgspec

from domain.circulation import BookSummary, Borrowing
from domain.payments import Payment, PaymentStatus, PaymentType
from entrypoints.http.schemas.common import MAX_ID

Id = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID, examples=[1])]


class BorrowRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    book_id: Id
    expected_return_date: Annotated[date, msgspec.Meta(examples=["2026-12-24"])]


class BookSummaryResponse(msgspec.Struct, kw_only=True):
    id: int
    title: str
    author: str
    cover: str
    daily_fee_cents: int

    @classmethod
    def of(cls, book: BookSummary) -> BookSummaryResponse:
        return cls(
            id=book.id, title=book.title, author=book.author, cover=book.cover, daily_fee_cents=book.daily_fee_cents
        )


class PaymentResponse(msgspec.Struct, kw_only=True):
    """A payment. ``session_url`` is where it is paid while ``PENDING``; ``EXPIRED``
    payments are renewed with ``POST /api/payments/{id}/renew``."""

    id: int
    status: PaymentStatus
    type: PaymentType
    borrowing_id: int | None
    session_id: str | None
    session_url: str | None
    session_expires_at: datetime | None
    amount_cents: int
    currency: str
    user_id: int
    created_at: datetime
    paid_at: datetime | None

    @classmethod
    def of(cls, payment: Payment) -> PaymentResponse:
        session = payment.session
        return cls(
            id=payment.pid,
            status=payment.status,
            type=payment.type,
            borrowing_id=payment.borrowing_id,
            session_id=session.id if session else None,
            session_url=session.url if session else None,
            session_expires_at=session.expires_at if session else None,
            amount_cents=payment.amount.cents,
            currency=payment.amount.currency,
            user_id=payment.user_id,
            created_at=payment.created_at,
            paid_at=payment.paid_at,
        )


class BorrowingResponse(msgspec.Struct, kw_only=True):
    id: int
    borrow_date: date
    expected_return_date: date
    actual_return_date: date | None
    is_active: bool
    book: BookSummaryResponse
    user_id: int
    payments: list[PaymentResponse]

    @classmethod
    def of(cls, borrowing: Borrowing) -> BorrowingResponse:
        return cls(
            id=borrowing.bid,
            borrow_date=borrowing.borrow_date,
            expected_return_date=borrowing.expected_return_date,
            actual_return_date=borrowing.actual_return_date,
            is_active=borrowing.is_active,
            book=BookSummaryResponse.of(borrowing.book),
            user_id=borrowing.user_id,
            payments=[PaymentResponse.of(payment) for payment in borrowing.payments],
        )


class WebhookResponse(msgspec.Struct, kw_only=True):
    received: bool
    event_id: str
    outcome: str
