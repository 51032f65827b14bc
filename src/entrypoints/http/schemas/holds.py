"""Holds (waitlists) and overdue borrowings."""

from __future__ import annotations

from datetime import date, datetime

import msgspec

from application.ports.holds import HoldView, OverdueBorrowing
from domain.holds import HoldStatus


class HoldResponse(msgspec.Struct, kw_only=True):
    """A hold. ``position`` is the place in the book's queue (1 = next to be served; ready
    holds count, they are served first), 0 once the hold is closed. While ``ready``, the
    copy is reserved until ``ready_until``: borrow it with ``POST /api/borrowings``."""

    id: int
    book_id: int
    book_title: str
    position: int
    status: HoldStatus
    created_at: datetime
    ready_until: datetime | None
    closed_at: datetime | None

    @classmethod
    def of(cls, view: HoldView) -> HoldResponse:
        hold = view.hold
        return cls(
            id=hold.id or 0,
            book_id=hold.book_id,
            book_title=view.book_title,
            position=view.position,
            status=hold.status,
            created_at=hold.created_at,
            ready_until=hold.ready_until,
            closed_at=hold.closed_at,
        )


class BorrowerResponse(msgspec.Struct, kw_only=True):
    id: int
    username: str
    email: str


class OverdueBookResponse(msgspec.Struct, kw_only=True):
    id: int
    title: str


class OverdueBorrowingResponse(msgspec.Struct, kw_only=True):
    id: int
    expected_return_date: date
    borrower: BorrowerResponse
    book: OverdueBookResponse

    @classmethod
    def of(cls, item: OverdueBorrowing) -> OverdueBorrowingResponse:
        return cls(
            id=item.borrowing_id,
            expected_return_date=item.expected_return_date,
            borrower=BorrowerResponse(id=item.user_id, username=item.username, email=item.email),
            book=OverdueBookResponse(id=item.book_id, title=item.book_title),
        )
