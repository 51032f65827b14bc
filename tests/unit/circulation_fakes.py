"""In-memory fakes of the circulation and payments ports, for use-case tests without I/O.

``FakeUnitOfWork`` works on a deep copy of the store and writes it back on ``commit()``:
leaving without committing rolls everything back, as a database transaction would.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Self

from application.ports.holds import Holder, HoldView, OverdueBorrowing
from application.ports.outbox import OutboxMessage
from application.ports.payments import (
    CheckoutState,
    IdempotentRequest,
    InvalidWebhook,
    PaymentEvent,
    PaymentFilter,
    PaymentProviderUnavailable,
    StoredOutcome,
)
from application.results import Page, PageRequest
from domain.circulation import BookId, Borrower, Borrowing, BorrowingId, Shelf
from domain.holds import AlreadyOnWaitlist, Hold, HoldId, HoldStatus, Waitlist
from domain.payments import CheckoutSession, Payment, PaymentId, PaymentStatus
from domain.shared import UserId
from tests.clock import MovableClock


@dataclass
class Member:
    username: str
    email: str
    is_premium: bool = False
    is_active: bool = True


@dataclass
class State:
    shelves: dict[BookId, Shelf] = field(default_factory=dict)
    members: dict[UserId, Member] = field(default_factory=dict)
    borrowings: dict[BorrowingId, Borrowing] = field(default_factory=dict)
    payments: dict[PaymentId, Payment] = field(default_factory=dict)
    events: set[str] = field(default_factory=set)
    keys: dict[tuple[UserId, str, str], StoredOutcome] = field(default_factory=dict)
    outbox: list[OutboxMessage] = field(default_factory=list)
    holds: dict[HoldId, Hold] = field(default_factory=dict)
    digests: set[date] = field(default_factory=set)


class Store:
    def __init__(self) -> None:
        self.state = State()
        self.ids = itertools.count(1)
        self.commits = 0


class FakeUnitOfWork:
    def __init__(self, store: Store) -> None:
        self._store = store
        self.s = State()

    async def __aenter__(self) -> Self:
        self.s = copy.deepcopy(self._store.state)
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def commit(self) -> None:
        self._store.state = copy.deepcopy(self.s)
        self._store.commits += 1

    def next_id(self) -> int:
        return next(self._store.ids)

    @property
    def borrowers(self) -> Any:
        return _Borrowers(self)

    @property
    def shelves(self) -> Any:
        return _Shelves(self)

    @property
    def borrowings(self) -> Any:
        return _Borrowings(self)

    @property
    def payments(self) -> Any:
        return _Payments(self)

    @property
    def payment_events(self) -> Any:
        return _Events(self)

    @property
    def memberships(self) -> Any:
        return _Memberships(self)

    @property
    def idempotency_keys(self) -> Any:
        return _Keys(self)

    @property
    def outbox(self) -> Any:
        return _Outbox(self)

    @property
    def holds(self) -> Any:
        return _Holds(self)

    @property
    def overdue(self) -> Any:
        return _Overdue(self)


@dataclass
class _Repo:
    uow: FakeUnitOfWork

    @property
    def s(self) -> State:
        return self.uow.s


class _Borrowers(_Repo):
    async def lock(self, user_id: UserId) -> Borrower | None:
        member = self.s.members.get(user_id)
        if member is None or not member.is_active:
            return None
        debts = any(p.user_id == user_id and p.is_debt for p in self.s.payments.values())
        return Borrower(id=user_id, username=member.username, email=member.email, has_debts=debts)


class _Shelves(_Repo):
    async def get(self, book_id: BookId) -> Shelf | None:
        shelf = self.s.shelves.get(book_id)
        return copy.copy(shelf) if shelf else None

    async def reserve_copy(self, book_id: BookId) -> Shelf | None:
        shelf = self.s.shelves.get(book_id)
        if shelf is None or shelf.inventory <= 0:
            return None
        before = copy.copy(shelf)
        shelf.inventory -= 1
        return before

    async def take_back(self, book_id: BookId) -> Shelf | None:
        shelf = self.s.shelves.get(book_id)
        if shelf is not None:
            shelf.take_back()
        return shelf


class _Borrowings(_Repo):
    async def add(self, borrowing: Borrowing) -> Borrowing:
        borrowing.id = BorrowingId(self.uow.next_id())
        self.s.borrowings[borrowing.id] = borrowing
        for payment in borrowing.payments:
            payment.borrowing_id = borrowing.id
            await _Payments(self.uow).add(payment)
        return borrowing

    async def get(self, borrowing_id: BorrowingId) -> Borrowing | None:
        borrowing = self.s.borrowings.get(borrowing_id)
        if borrowing is not None:
            borrowing.payments = [p for p in self.s.payments.values() if p.borrowing_id == borrowing_id]
        return borrowing

    get_for_update = get

    async def save_return(self, borrowing: Borrowing) -> None:
        self.s.borrowings[borrowing.bid].actual_return_date = borrowing.actual_return_date

    async def list(self, filters: Any, page: PageRequest) -> Page[Borrowing]:
        items = [b for b in self.s.borrowings.values() if filters.user_id in (None, b.user_id)]
        return Page(items=items[page.offset : page.offset + page.limit], total=len(items), **_paging(page))


class _Payments(_Repo):
    async def add(self, payment: Payment) -> Payment:
        payment.id = PaymentId(self.uow.next_id())
        self.s.payments[payment.id] = payment
        return payment

    async def save(self, payment: Payment) -> None:
        self.s.payments[payment.pid] = payment

    async def get(self, payment_id: PaymentId) -> Payment | None:
        return self.s.payments.get(payment_id)

    get_for_update = get

    async def get_by_session(self, session_id: str, *, for_update: bool = False) -> Payment | None:
        return next((p for p in self.s.payments.values() if p.session and p.session.id == session_id), None)

    async def has_debts(self, user_id: UserId) -> bool:
        return any(p.user_id == user_id and p.is_debt for p in self.s.payments.values())

    async def open_premium(self, user_id: UserId) -> Payment | None:
        return next(
            (
                p
                for p in self.s.payments.values()
                if p.user_id == user_id and p.grants_premium and p.status is PaymentStatus.PENDING
            ),
            None,
        )

    async def of_borrowings(self, borrowing_ids: Sequence[int]) -> dict[int, list[Payment]]:
        return {i: [p for p in self.s.payments.values() if p.borrowing_id == i] for i in borrowing_ids}

    async def list(self, filters: PaymentFilter, page: PageRequest) -> Page[Payment]:
        items = [p for p in self.s.payments.values() if filters.user_id in (None, p.user_id)]
        return Page(items=items[page.offset : page.offset + page.limit], total=len(items), **_paging(page))

    async def expire_lapsed(self, now: datetime) -> int:
        lapsed = [
            p
            for p in self.s.payments.values()
            if p.status is PaymentStatus.PENDING and p.session and p.session.expires_at <= now
        ]
        for payment in lapsed:
            payment.status = PaymentStatus.EXPIRED
        return len(lapsed)


class _Events(_Repo):
    async def record(self, event: PaymentEvent, *, now: datetime) -> bool:
        if event.id in self.s.events:
            return False
        self.s.events.add(event.id)
        return True


class _Memberships(_Repo):
    async def lock(self, user_id: UserId) -> bool | None:
        member = self.s.members.get(user_id)
        return None if member is None else member.is_premium

    async def grant_premium(self, user_id: UserId) -> None:
        self.s.members[user_id].is_premium = True


class _Keys(_Repo):
    async def claim(self, user_id: UserId, request: IdempotentRequest, *, now: datetime) -> StoredOutcome | None:
        key = (user_id, request.scope, request.key)
        if key in self.s.keys:
            return self.s.keys[key]
        self.s.keys[key] = StoredOutcome(fingerprint=request.fingerprint, resource_id=None)
        return None

    async def complete(self, user_id: UserId, request: IdempotentRequest, resource_id: int) -> None:
        self.s.keys[(user_id, request.scope, request.key)] = StoredOutcome(request.fingerprint, resource_id)


class _Outbox(_Repo):
    async def add(self, message: OutboxMessage, *, now: datetime) -> None:
        self.s.outbox.append(message)


class _Holds(_Repo):
    def _open(self, book_id: int) -> list[Hold]:
        found = [h for h in self.s.holds.values() if h.book_id == book_id and h.is_open]
        return sorted(found, key=lambda h: h.id or 0)

    async def waitlist(self, book_id: int) -> Waitlist | None:
        shelf = self.s.shelves.get(BookId(book_id))
        if shelf is None:
            return None
        return Waitlist(book_id=book_id, title=shelf.book.title, inventory=shelf.inventory, holds=self._open(book_id))

    async def add(self, hold: Hold) -> Hold:
        if any(h.user_id == hold.user_id for h in self._open(hold.book_id)):
            raise AlreadyOnWaitlist("already")
        hold.id = HoldId(self.uow.next_id())
        self.s.holds[hold.id] = hold
        return hold

    async def save(self, hold: Hold) -> None:
        self.s.holds[hold.id or HoldId(0)] = hold

    async def claim_ready(self, user_id: UserId, book_id: int, now: datetime) -> bool:
        for hold in self._open(book_id):
            if hold.user_id == user_id and hold.claimable(now):
                hold.close(HoldStatus.FULFILLED, now)
                return True
        return False

    async def get(self, hold_id: HoldId) -> Hold | None:
        return self.s.holds.get(hold_id)

    async def list_for_user(self, user_id: UserId, page: PageRequest) -> Page[HoldView]:
        mine = [h for h in self.s.holds.values() if h.user_id == user_id]
        views = []
        for hold in sorted(mine, key=lambda h: (not h.is_open, (h.id or 0) * (1 if h.is_open else -1))):
            queue = self._open(hold.book_id)
            position = queue.index(hold) + 1 if hold in queue else 0
            title = self.s.shelves[BookId(hold.book_id)].book.title
            views.append(HoldView(hold=hold, book_title=title, position=position))
        return Page(items=views[page.offset : page.offset + page.limit], total=len(views), **_paging(page))

    async def books_with_lapsed_holds(self, now: datetime) -> list[int]:
        return sorted({h.book_id for h in self.s.holds.values() if h.lapsed(now)})

    async def holders(self, user_ids: Sequence[UserId]) -> dict[UserId, Holder]:
        return {
            u: Holder(id=u, username=self.s.members[u].username, email=self.s.members[u].email)
            for u in user_ids
            if u in self.s.members
        }


class _Overdue(_Repo):
    async def due_by(self, day: date) -> list[OverdueBorrowing]:
        due = [b for b in self.s.borrowings.values() if b.is_active and b.expected_return_date <= day]
        return [
            OverdueBorrowing(
                borrowing_id=b.bid,
                user_id=b.user_id,
                username=self.s.members[b.user_id].username,
                email=self.s.members[b.user_id].email,
                book_id=b.book.id,
                book_title=b.book.title,
                expected_return_date=b.expected_return_date,
            )
            for b in sorted(due, key=lambda b: (b.expected_return_date, b.bid))
        ]

    async def page_due_by(self, day: date, page: PageRequest) -> Page[OverdueBorrowing]:
        items = await self.due_by(day)
        return Page(items=items[page.offset : page.offset + page.limit], total=len(items), **_paging(page))

    async def claim_digest(self, day: date, now: datetime) -> bool:
        if day in self.s.digests:
            return False
        self.s.digests.add(day)
        return True


def _paging(page: PageRequest) -> dict[str, int]:
    return {"limit": page.limit, "offset": page.offset}


class FakePaymentGateway:
    """Opens sessions in memory; ``down = True`` makes it unreachable."""

    def __init__(self, clock: Any) -> None:
        self.clock = clock
        self.down = False
        self.opened: list[tuple[PaymentId | None, str]] = []
        self.paid: set[str] = set()

    async def open_checkout(self, payment: Payment, *, idempotency_key: str) -> CheckoutSession:
        if self.down:
            raise PaymentProviderUnavailable("down")
        self.opened.append((payment.id, idempotency_key))
        return CheckoutSession(
            id=f"cs_fake_{len(self.opened)}",
            url="https://pay.example/",
            expires_at=self.clock.now() + timedelta(hours=24),
        )

    async def fetch_checkout(self, session_id: str) -> CheckoutState | None:
        return CheckoutState(session_id=session_id, paid=session_id in self.paid, expired=False)

    def parse_webhook(self, payload: bytes, signature: str | None) -> PaymentEvent:
        raise InvalidWebhook


class FixedClock(MovableClock):
    origin = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
