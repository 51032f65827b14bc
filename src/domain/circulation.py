"""Circulation: lending copies of books, taking them back, and what that costs.

The circulation desk has its own view of a book (``Shelf``: how many copies are on the
shelf and what a day costs); the catalog owns the rest of the book.

Rules:

* a borrowing's fee is the number of days between ``borrow_date`` and
  ``expected_return_date`` times the book's daily fee;
* the expected return date is after today, and at most ``max_loan_days`` away;
* a copy is lent only while the shelf holds one (``inventory > 0``);
* a borrower with an unsettled debt (a PENDING or EXPIRED fee or fine) cannot borrow;
* a borrowing is returned once; a late return costs days late x daily fee x the fine
  multiplier;
* a returned copy goes back on the shelf (``Shelf.take_back``: the one place where a
  returned copy is handed out again, e.g. to the first person waiting for it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NewType

from domain.errors import Conflict, InvalidValue
from domain.payments import MAX_AMOUNT_CENTS, Payment, PaymentType, capped
from domain.shared import DEFAULT_CURRENCY, BookId, Money, UserId

BorrowingId = NewType("BorrowingId", int)


class BookUnavailable(Conflict):
    code = "book-unavailable"
    title = "No copy of this book is available"


class PaymentOutstanding(Conflict):
    code = "payment-outstanding"
    title = "Settle your pending or expired payments first"


class AlreadyReturned(Conflict):
    code = "already-returned"
    title = "This borrowing has already been returned"


class InvalidReturnDate(InvalidValue):
    """The expected return date is not after today, too far away, or too costly."""

    code = "invalid-return-date"
    title = "Invalid expected return date"

    def __init__(self, detail: str) -> None:
        super().__init__("expected_return_date", detail)


@dataclass(frozen=True, slots=True)
class BookSummary:
    """What a borrowing shows of its book."""

    id: BookId
    title: str
    author: str
    cover: str
    daily_fee_cents: int

    @property
    def daily_fee(self) -> Money:
        return Money(self.daily_fee_cents, DEFAULT_CURRENCY)


@dataclass(frozen=True, slots=True)
class Borrower:
    id: UserId
    username: str
    email: str
    has_debts: bool = False

    def ensure_may_borrow(self) -> None:
        if self.has_debts:
            raise PaymentOutstanding("You have a pending or expired payment; pay or renew it before borrowing again.")


@dataclass(frozen=True, slots=True)
class LoanPolicy:
    fine_multiplier: int = 2
    max_loan_days: int = 365
    #: The contract's rule: a PENDING or EXPIRED payment blocks new borrowings. A library may
    #: switch it off (``UNPAID_BLOCKS_BORROWING=false``); benchmarks do, as the baseline does.
    unpaid_blocks_borrowing: bool = True

    def ensure_may_borrow(self, borrower: Borrower) -> None:
        if self.unpaid_blocks_borrowing:
            borrower.ensure_may_borrow()

    def loan_days(self, today: date, until: date) -> int:
        if until <= today:
            raise InvalidReturnDate(f"The expected return date must be after today ({today.isoformat()}).")
        days = (until - today).days
        if days > self.max_loan_days:
            raise InvalidReturnDate(f"A borrowing lasts at most {self.max_loan_days} days.")
        return days

    def fee(self, daily_fee: Money, borrow_date: date, until: date) -> Money:
        """Days between ``borrow_date`` and ``until`` x the daily fee."""
        fee = daily_fee.times((until - borrow_date).days)
        if fee.cents > MAX_AMOUNT_CENTS:
            raise InvalidReturnDate("The fee for this period exceeds what one payment may charge; return it sooner.")
        return fee

    def fine(self, daily_fee: Money, expected: date, returned: date) -> Money:
        """Days late x the daily fee x the multiplier (zero when on time; capped at what
        one payment may charge)."""
        days_late = max(0, (returned - expected).days)
        return capped(daily_fee.cents * days_late * self.fine_multiplier, daily_fee.currency)


@dataclass(slots=True)
class Borrowing:
    user_id: UserId
    book: BookSummary
    borrow_date: date
    expected_return_date: date
    created_at: datetime
    id: BorrowingId | None = None
    actual_return_date: date | None = None
    payments: list[Payment] = field(default_factory=list)

    @property
    def bid(self) -> BorrowingId:
        if self.id is None:
            msg = "the borrowing has not been saved yet"
            raise RuntimeError(msg)
        return self.id

    @property
    def is_active(self) -> bool:
        return self.actual_return_date is None

    @property
    def loan_days(self) -> int:
        return (self.expected_return_date - self.borrow_date).days

    def close(self, *, today: date, policy: LoanPolicy, now: datetime) -> Payment | None:
        """Return the copy today. A late return adds (and returns) a FINE."""
        if self.actual_return_date is not None:
            raise AlreadyReturned(f"Borrowing {self.id} was returned on {self.actual_return_date.isoformat()}.")
        self.actual_return_date = today
        amount = policy.fine(self.book.daily_fee, self.expected_return_date, today)
        if amount.cents == 0:
            return None
        fine = Payment.open(user_id=self.user_id, type=PaymentType.FINE, amount=amount, now=now, borrowing_id=self.id)
        self.payments.append(fine)
        return fine


@dataclass(slots=True)
class Shelf:
    """The copies of one book that the desk can lend."""

    book: BookSummary
    inventory: int

    def lend_to(self, borrower: Borrower, *, today: date, until: date, policy: LoanPolicy, now: datetime) -> Borrowing:
        """Lend one copy until ``until``: a borrowing with its (pending) fee."""
        policy.loan_days(today, until)
        policy.ensure_may_borrow(borrower)
        if self.inventory <= 0:
            raise BookUnavailable(f"No copy of book {self.book.id} is available right now.")
        fee = policy.fee(self.book.daily_fee, today, until)
        self.inventory -= 1
        borrowing = Borrowing(
            user_id=borrower.id, book=self.book, borrow_date=today, expected_return_date=until, created_at=now
        )
        borrowing.payments.append(Payment.open(user_id=borrower.id, type=PaymentType.PAYMENT, amount=fee, now=now))
        return borrowing

    def take_back(self) -> None:
        """A returned copy is back on the shelf."""
        self.inventory += 1
