"""Circulation rules: fees, fines, lending, returning — examples and properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, invariant, multiple, rule

from domain.circulation import (
    AlreadyReturned,
    BookId,
    BookSummary,
    BookUnavailable,
    Borrower,
    Borrowing,
    InvalidReturnDate,
    LoanPolicy,
    PaymentOutstanding,
    Shelf,
)
from domain.payments import MAX_AMOUNT_CENTS, PaymentStatus, PaymentType
from domain.shared import Money, UserId

NOW = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
TODAY = NOW.date()
ADA = Borrower(id=UserId(1), username="ada", email="ada@example.org")
fees = st.integers(min_value=0, max_value=100_000)
dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))


def shelf(inventory: int = 2, daily_fee_cents: int = 100) -> Shelf:
    book = BookSummary(
        id=BookId(7), title="Dune", author="Frank Herbert", cover="HARD", daily_fee_cents=daily_fee_cents
    )
    return Shelf(book=book, inventory=inventory)


@given(daily=fees, days=st.integers(min_value=1, max_value=365), start=dates)
def test_the_fee_is_the_days_borrowed_times_the_daily_fee(daily: int, days: int, start: date) -> None:
    fee = LoanPolicy().fee(Money(daily), start, start + timedelta(days=days))
    assert fee == Money(days * daily)


@given(
    daily=fees,
    multiplier=st.integers(min_value=1, max_value=10),
    expected=dates,
    offset=st.integers(min_value=-400, max_value=400),
)
def test_the_fine_is_days_late_times_daily_fee_times_multiplier(
    daily: int, multiplier: int, expected: date, offset: int
) -> None:
    returned = expected + timedelta(days=offset)
    fine = LoanPolicy(fine_multiplier=multiplier).fine(Money(daily), expected, returned)
    assert fine.cents == min(max(0, offset) * daily * multiplier, MAX_AMOUNT_CENTS)
    assert fine.cents >= 0


def test_an_on_time_or_early_return_costs_nothing_and_a_late_one_twice_the_daily_fee_per_day() -> None:
    policy = LoanPolicy()
    assert policy.fine(Money(150), TODAY, TODAY).cents == 0
    assert policy.fine(Money(150), TODAY, TODAY - timedelta(days=3)).cents == 0
    assert policy.fine(Money(150), TODAY, TODAY + timedelta(days=4)).cents == 4 * 150 * 2


@given(until=dates)
def test_the_return_date_must_be_after_today_and_within_a_year(until: date) -> None:
    policy = LoanPolicy()
    if TODAY < until <= TODAY + timedelta(days=365):
        assert policy.loan_days(TODAY, until) == (until - TODAY).days
    else:
        with pytest.raises(InvalidReturnDate) as caught:
            policy.loan_days(TODAY, until)
        assert caught.value.field == "expected_return_date"


def test_a_fee_beyond_what_one_payment_may_charge_is_refused() -> None:
    with pytest.raises(InvalidReturnDate):
        shelf(daily_fee_cents=1_000_000).lend_to(
            ADA, today=TODAY, until=TODAY + timedelta(days=200), policy=LoanPolicy(), now=NOW
        )


def test_lending_takes_a_copy_and_opens_the_fee() -> None:
    desk = shelf(inventory=1, daily_fee_cents=125)
    borrowing = desk.lend_to(ADA, today=TODAY, until=TODAY + timedelta(days=4), policy=LoanPolicy(), now=NOW)
    assert desk.inventory == 0
    assert borrowing.is_active
    [fee] = borrowing.payments
    assert (fee.type, fee.status, fee.amount) == (PaymentType.PAYMENT, PaymentStatus.PENDING, Money(500))
    with pytest.raises(BookUnavailable):
        desk.lend_to(ADA, today=TODAY, until=TODAY + timedelta(days=4), policy=LoanPolicy(), now=NOW)


def test_a_borrower_with_debts_cannot_borrow() -> None:
    indebted = Borrower(id=UserId(2), username="bob", email="bob@example.org", has_debts=True)
    desk = shelf()
    with pytest.raises(PaymentOutstanding):
        desk.lend_to(indebted, today=TODAY, until=TODAY + timedelta(days=1), policy=LoanPolicy(), now=NOW)
    assert desk.inventory == 2


def test_a_borrowing_is_returned_once_and_a_late_return_adds_a_fine() -> None:
    borrowing = shelf(daily_fee_cents=100).lend_to(
        ADA, today=TODAY, until=TODAY + timedelta(days=2), policy=LoanPolicy(), now=NOW
    )
    fine = borrowing.close(today=TODAY + timedelta(days=5), policy=LoanPolicy(), now=NOW)
    assert fine is not None
    assert (fine.type, fine.amount.cents, fine.status) == (PaymentType.FINE, 3 * 100 * 2, PaymentStatus.PENDING)
    assert borrowing.payments[-1] is fine
    assert not borrowing.is_active
    with pytest.raises(AlreadyReturned):
        borrowing.close(today=TODAY + timedelta(days=6), policy=LoanPolicy(), now=NOW)


class Desk(RuleBasedStateMachine):
    """Whatever is borrowed and returned, copies are neither made nor lost:
    inventory + active borrowings stays what the shelf started with."""

    borrowings = Bundle("borrowings")
    returned = Bundle("returned")

    def __init__(self) -> None:
        super().__init__()
        self.policy = LoanPolicy()
        self.start = 0
        self.shelf = shelf(inventory=0)
        self.today = TODAY
        self.active: list[Borrowing] = []
        self.fines = 0

    @rule(copies=st.integers(min_value=0, max_value=4))
    def stock(self, copies: int) -> None:
        """The catalog adds copies (the only way the total changes)."""
        self.shelf.inventory += copies
        self.start += copies

    @rule(target=borrowings, days=st.integers(min_value=1, max_value=30))
    def borrow(self, days: int) -> object:
        before = self.shelf.inventory
        try:
            borrowing = self.shelf.lend_to(
                ADA, today=self.today, until=self.today + timedelta(days=days), policy=self.policy, now=NOW
            )
        except BookUnavailable:
            assert before == 0
            return multiple()  # nothing to add to the bundle
        self.active.append(borrowing)
        return borrowing

    @rule(target=returned, borrowing=consumes(borrowings))
    def give_back(self, borrowing: Borrowing) -> Borrowing:
        fine = borrowing.close(today=self.today, policy=self.policy, now=NOW)
        self.shelf.take_back()
        self.active.remove(borrowing)
        self.fines += fine is not None
        assert (fine is not None) == (self.today > borrowing.expected_return_date)
        return borrowing

    @rule(borrowing=returned)
    def give_back_again(self, borrowing: Borrowing) -> None:
        before = self.shelf.inventory
        with pytest.raises(AlreadyReturned):
            borrowing.close(today=self.today, policy=self.policy, now=NOW)
        assert self.shelf.inventory == before

    @rule(days=st.integers(min_value=1, max_value=20))
    def time_passes(self, days: int) -> None:
        self.today += timedelta(days=days)

    @invariant()
    def copies_are_conserved(self) -> None:
        assert self.shelf.inventory >= 0
        assert self.shelf.inventory + len(self.active) == self.start


TestDesk = Desk.TestCase
