"""Borrowing and returning through the use cases, on in-memory fakes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from adapters.security.jwt_tokens import JwtTokenCodec
from application.errors import NotAuthenticated
from application.messages import TELEGRAM, Dispatch
from application.ports.payments import PaymentProviderUnavailable
from application.use_cases.circulation import BorrowBook, ReturnBook
from application.use_cases.identity import Principal
from application.use_cases.payments import IdempotencyKeyReused
from domain.circulation import AlreadyReturned, BookId, BookSummary, BookUnavailable, BorrowingId, LoanPolicy, Shelf
from domain.delivery import RetryPolicy
from domain.errors import DomainError
from domain.payments import PaymentStatus, PaymentType
from domain.shared import UserId
from tests.unit.circulation_fakes import FakePaymentGateway, FakeUnitOfWork, FixedClock, Member, Store

DISPATCH = Dispatch(email_retry=RetryPolicy(retries=3, delay=timedelta(minutes=5)))
BOOK = BookId(1)


def world(inventory: int = 2, users: int = 3) -> tuple[Store, FakePaymentGateway, FixedClock]:
    store, clock = Store(), FixedClock()
    summary = BookSummary(id=BOOK, title="Dune", author="Frank Herbert", cover="HARD", daily_fee_cents=100)
    store.state.shelves[BOOK] = Shelf(book=summary, inventory=inventory)
    for n in range(1, users + 1):
        store.state.members[UserId(n)] = Member(username=f"user{n}", email=f"user{n}@example.org")
    return store, FakePaymentGateway(clock), clock


def borrow_book(store: Store, gateway: FakePaymentGateway, clock: FixedClock) -> BorrowBook:
    return BorrowBook(lambda: FakeUnitOfWork(store), gateway, DISPATCH, LoanPolicy(), clock)


def return_book(store: Store, gateway: FakePaymentGateway, clock: FixedClock) -> ReturnBook:
    return ReturnBook(lambda: FakeUnitOfWork(store), gateway, DISPATCH, LoanPolicy(), clock)


def owner(user: int) -> Principal:
    return Principal(user_id=UserId(user), is_admin=False, is_premium=False)


async def test_a_borrowing_is_stored_with_its_checkout_and_a_notice_in_one_commit() -> None:
    store, gateway, clock = world()
    borrowing = await borrow_book(store, gateway, clock)(
        user_id=UserId(1), book_id=BOOK, until=clock.today() + timedelta(days=3)
    )
    assert store.commits == 1
    assert store.state.shelves[BOOK].inventory == 1
    [fee] = store.state.payments.values()
    assert fee.session is not None
    assert fee.borrowing_id == borrowing.id
    [notice] = store.state.outbox
    assert notice.kind == TELEGRAM
    assert "user1 <user1@example.org>" in notice.payload["text"]


async def test_a_borrowing_by_access_token_checks_the_account_in_its_own_transaction() -> None:
    store, gateway, clock = world()
    codec = JwtTokenCodec("unit-test-secret-key-of-at-least-32-bytes", timedelta(minutes=15))
    borrow = BorrowBook(lambda: FakeUnitOfWork(store), gateway, DISPATCH, LoanPolicy(), clock, codec)
    token = codec.encode_access(UserId(2), datetime.now(UTC))
    until = clock.today() + timedelta(days=3)
    borrowing = await borrow(token=token, book_id=BOOK, until=until)
    assert borrowing.user_id == 2
    with pytest.raises(NotAuthenticated):
        await borrow(token="not.a.token", book_id=BOOK, until=until)
    store.state.members[UserId(2)].is_active = False  # deactivated after the token was issued
    with pytest.raises(NotAuthenticated):
        await borrow(token=token, book_id=BOOK, until=until)
    assert store.commits == 1
    assert store.state.shelves[BOOK].inventory == 1


async def test_if_the_provider_is_down_nothing_is_committed() -> None:
    store, gateway, clock = world()
    gateway.down = True
    with pytest.raises(PaymentProviderUnavailable):
        await borrow_book(store, gateway, clock)(
            user_id=UserId(1), book_id=BOOK, until=clock.today() + timedelta(days=3)
        )
    assert store.commits == 0
    assert store.state.shelves[BOOK].inventory == 2
    assert store.state.borrowings == {}


async def test_an_idempotency_key_replays_the_first_borrowing() -> None:
    store, gateway, clock = world()
    borrow = borrow_book(store, gateway, clock)
    until = clock.today() + timedelta(days=3)
    first = await borrow(user_id=UserId(1), book_id=BOOK, until=until, idempotency_key="k")
    again = await borrow(user_id=UserId(1), book_id=BOOK, until=until, idempotency_key="k")
    assert again.id == first.id
    assert len(gateway.opened) == 1
    with pytest.raises(IdempotencyKeyReused):
        await borrow(user_id=UserId(1), book_id=BOOK, until=until + timedelta(days=1), idempotency_key="k")


async def test_a_late_return_while_the_provider_is_down_records_the_return_and_an_expired_fine() -> None:
    store, gateway, clock = world(inventory=1)
    borrowing = await borrow_book(store, gateway, clock)(
        user_id=UserId(1), book_id=BOOK, until=clock.today() + timedelta(days=2)
    )
    clock.advance(days=4)
    gateway.down = True
    returned = await return_book(store, gateway, clock)(viewer=owner(1), borrowing_id=borrowing.bid)
    assert store.state.shelves[BOOK].inventory == 1
    fine = returned.payments[-1]
    assert (fine.type, fine.status, fine.session, fine.amount.cents) == (
        PaymentType.FINE,
        PaymentStatus.EXPIRED,
        None,
        400,
    )
    assert store.state.payments[fine.pid].status is PaymentStatus.EXPIRED


class Circulation(RuleBasedStateMachine):
    """Borrows and returns by several users, through the use cases: copies are conserved,
    every borrowing has exactly one fee, fines only for late returns, and a failed
    request leaves no trace."""

    def __init__(self) -> None:
        super().__init__()
        self.store, self.gateway, self.clock = world(inventory=3, users=4)
        self.borrow = borrow_book(self.store, self.gateway, self.clock)
        self.give_back = return_book(self.store, self.gateway, self.clock)

    def run(self, coroutine: object) -> object:
        return asyncio.run(coroutine)  # type: ignore[arg-type]

    @rule(user=st.integers(min_value=1, max_value=4), days=st.integers(min_value=1, max_value=10), down=st.booleans())
    def borrow_a_copy(self, user: int, days: int, down: bool) -> None:
        self.gateway.down = down
        before = copy_of(self.store)
        try:
            self.run(self.borrow(user_id=UserId(user), book_id=BOOK, until=self.clock.today() + timedelta(days=days)))
        except (DomainError, PaymentProviderUnavailable):
            assert copy_of(self.store) == before, "a refused borrowing changes nothing"

    @precondition(lambda self: bool(self.store.state.borrowings))
    @rule(data=st.data(), down=st.booleans())
    def return_one(self, data: st.DataObject, down: bool) -> None:
        self.gateway.down = down
        borrowing_id = data.draw(st.sampled_from(sorted(self.store.state.borrowings)))
        borrowing = self.store.state.borrowings[borrowing_id]
        try:
            self.run(self.give_back(viewer=owner(borrowing.user_id), borrowing_id=BorrowingId(borrowing_id)))
        except AlreadyReturned:
            assert borrowing.actual_return_date is not None

    @rule(user=st.integers(min_value=1, max_value=4))
    def settle_debts(self, user: int) -> None:
        for payment in self.store.state.payments.values():
            if payment.user_id == user:
                payment.mark_paid(self.clock.now())

    @rule(days=st.integers(min_value=1, max_value=6))
    def time_passes(self, days: int) -> None:
        self.clock.advance(days=days)

    @invariant()
    def copies_are_conserved(self) -> None:
        state = self.store.state
        active = sum(1 for b in state.borrowings.values() if b.is_active)
        assert state.shelves[BOOK].inventory >= 0
        assert state.shelves[BOOK].inventory + active == 3

    @invariant()
    def every_borrowing_has_one_fee_and_fines_only_when_late(self) -> None:
        state = self.store.state
        for borrowing in state.borrowings.values():
            own = [p for p in state.payments.values() if p.borrowing_id == borrowing.id]
            assert [p.type for p in own].count(PaymentType.PAYMENT) == 1
            fines = [p for p in own if p.type is PaymentType.FINE]
            late = (
                borrowing.actual_return_date is not None
                and borrowing.actual_return_date > borrowing.expected_return_date
            )
            assert len(fines) == (1 if late else 0)
        assert len(state.outbox) == len(state.borrowings), "one notice per borrowing"


def copy_of(store: Store) -> tuple[int, int, int, int]:
    state = store.state
    return (state.shelves[BOOK].inventory, len(state.borrowings), len(state.payments), len(state.outbox))


TestCirculation = Circulation.TestCase


def test_unavailable_when_every_copy_is_out() -> None:
    store, gateway, clock = world(inventory=1)
    borrow = borrow_book(store, gateway, clock)
    until = clock.today() + timedelta(days=2)
    asyncio.run(borrow(user_id=UserId(1), book_id=BOOK, until=until))
    with pytest.raises(BookUnavailable):
        asyncio.run(borrow(user_id=UserId(2), book_id=BOOK, until=until))
