"""Holds (waitlists) and the overdue digest through the use cases, on in-memory fakes."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from application.errors import Forbidden, NotFound
from application.messages import EMAIL, TELEGRAM
from application.results import PageRequest
from application.use_cases.circulation import BorrowBook, ReturnBook
from application.use_cases.holds import (
    NOTHING_OVERDUE,
    CancelHold,
    ExpireHolds,
    ListHolds,
    ListOverdue,
    PlaceHold,
    SendOverdueDigest,
)
from domain.circulation import BookUnavailable, BorrowingId, LoanPolicy
from domain.errors import DomainError
from domain.holds import READY_FOR, AlreadyOnWaitlist, CopiesAvailable, HoldId, HoldStatus
from domain.shared import UserId
from tests.unit.application.test_circulation import BOOK, DISPATCH, owner, world
from tests.unit.circulation_fakes import FakeUnitOfWork

#: Borrowing leaves a PENDING fee; holds are about copies, not debts.
POLICY = LoanPolicy(unpaid_blocks_borrowing=False)


class Desk:
    """Every use case of the desk on one in-memory store."""

    def __init__(self, inventory: int = 1, users: int = 5) -> None:
        self.store, self.gateway, self.clock = world(inventory=inventory, users=users)
        uow = self.uow
        self.borrow = BorrowBook(uow, self.gateway, DISPATCH, POLICY, self.clock)
        self.give_back = ReturnBook(uow, self.gateway, DISPATCH, POLICY, self.clock)
        self.hold = PlaceHold(uow, self.clock)
        self.holds = ListHolds(uow)
        self.cancel = CancelHold(uow, DISPATCH, self.clock)
        self.expire = ExpireHolds(uow, DISPATCH, self.clock)
        self.overdue = ListOverdue(uow, self.clock)
        self.digest = SendOverdueDigest(uow, DISPATCH, self.clock)

    def uow(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.store)

    def run(self, coroutine: object) -> object:
        return asyncio.run(coroutine)  # type: ignore[arg-type]

    def lend(self, user: int, days: int = 7) -> BorrowingId:
        until = self.clock.today() + timedelta(days=days)
        borrowing = self.run(self.borrow(user_id=UserId(user), book_id=BOOK, until=until))
        return borrowing.bid  # type: ignore[attr-defined]

    def back(self, borrowing_id: BorrowingId) -> None:
        user = self.store.state.borrowings[borrowing_id].user_id
        self.run(self.give_back(viewer=owner(user), borrowing_id=borrowing_id))

    def join(self, user: int) -> HoldId:
        view = self.run(self.hold(user_id=UserId(user), book_id=BOOK))
        return view.hold.id  # type: ignore[attr-defined]

    def status(self, hold_id: HoldId) -> HoldStatus:
        return self.store.state.holds[hold_id].status

    @property
    def inventory(self) -> int:
        return self.store.state.shelves[BOOK].inventory

    def emails_to(self, user: int) -> list[str]:
        address = f"user{user}@example.org"
        return [m.payload["subject"] for m in self.store.state.outbox if m.kind == EMAIL and address in m.payload["to"]]


def test_a_hold_is_refused_while_a_copy_is_on_the_shelf() -> None:
    desk = Desk(inventory=1)
    with pytest.raises(CopiesAvailable):
        desk.join(1)
    assert desk.store.state.holds == {}


def test_a_reader_joins_a_waitlist_once_and_sees_their_place() -> None:
    desk = Desk(inventory=1)
    desk.lend(1)
    first, second = desk.join(2), desk.join(3)
    with pytest.raises(AlreadyOnWaitlist):
        desk.join(2)
    page = desk.run(desk.holds(user_id=UserId(3), page=PageRequest()))
    [view] = page.items  # type: ignore[attr-defined]
    assert (view.hold.id, view.position, view.hold.status) == (second, 2, HoldStatus.WAITING)
    assert desk.status(first) is HoldStatus.WAITING


def test_a_returned_copy_is_reserved_for_the_first_in_line_who_is_emailed() -> None:
    desk = Desk(inventory=1)
    loan = desk.lend(1)
    first, second = desk.join(2), desk.join(3)
    desk.back(loan)

    assert desk.inventory == 0, "the copy is reserved, not shelved"
    assert (desk.status(first), desk.status(second)) == (HoldStatus.READY, HoldStatus.WAITING)
    assert desk.emails_to(2) == ["Your hold is ready: Dune"]
    assert desk.emails_to(3) == []
    with pytest.raises(BookUnavailable):
        desk.lend(3)  # second in line cannot take it
    with pytest.raises(BookUnavailable):
        desk.lend(4)  # nor can someone not on the list
    desk.lend(2)
    assert desk.status(first) is HoldStatus.FULFILLED
    assert desk.inventory == 0


def test_an_unclaimed_hold_expires_and_the_next_reader_is_served() -> None:
    desk = Desk(inventory=1)
    loan = desk.lend(1)
    first, second = desk.join(2), desk.join(3)
    desk.back(loan)

    desk.clock.advance(READY_FOR - timedelta(seconds=1))
    assert desk.run(desk.expire()) == 0
    desk.clock.advance(seconds=1)
    assert desk.run(desk.expire()) == 1
    assert (desk.status(first), desk.status(second)) == (HoldStatus.EXPIRED, HoldStatus.READY)
    assert desk.emails_to(3) == ["Your hold is ready: Dune"]
    with pytest.raises(BookUnavailable):
        desk.lend(2)  # too late

    desk.clock.advance(READY_FOR)
    assert desk.run(desk.expire()) == 1
    assert desk.inventory == 1, "nobody left waiting: the copy is back on the shelf"
    desk.lend(4)


def test_cancelling_a_ready_hold_passes_the_copy_on() -> None:
    desk = Desk(inventory=1)
    loan = desk.lend(1)
    first, second = desk.join(2), desk.join(3)
    desk.back(loan)
    desk.run(desk.cancel(viewer=owner(2), hold_id=first))
    assert (desk.status(first), desk.status(second)) == (HoldStatus.CANCELLED, HoldStatus.READY)
    desk.run(desk.cancel(viewer=owner(3), hold_id=second))
    assert desk.inventory == 1


def test_another_readers_hold_is_not_found() -> None:
    desk = Desk(inventory=1)
    desk.lend(1)
    hold = desk.join(2)
    with pytest.raises(NotFound):
        desk.run(desk.cancel(viewer=owner(3), hold_id=hold))
    assert desk.status(hold) is HoldStatus.WAITING


def test_the_digest_lists_what_is_due_by_tomorrow_once_a_day() -> None:
    desk = Desk(inventory=3)
    desk.lend(1, days=1)  # due tomorrow
    desk.lend(2, days=2)  # not yet
    desk.clock.advance(hours=1)
    desk.run(desk.digest())
    telegram = [m.payload["text"] for m in desk.store.state.outbox if m.kind == TELEGRAM and "due by" in str(m.payload)]
    assert len(telegram) == 1
    assert "user1 <user1@example.org>" in telegram[0]
    assert "user2" not in telegram[0]
    assert desk.emails_to(1) == ["Reminder: \u201cDune\u201d is due"]
    assert desk.emails_to(2) == []

    before = len(desk.store.state.outbox)
    desk.run(desk.digest())
    assert len(desk.store.state.outbox) == before, "a second run the same day sends nothing"


def test_with_nothing_due_the_digest_says_so_exactly() -> None:
    desk = Desk(inventory=1)
    desk.run(desk.digest())
    [message] = desk.store.state.outbox
    assert (message.kind, message.payload["text"]) == (TELEGRAM, NOTHING_OVERDUE)


def test_only_admins_list_overdue_borrowings() -> None:
    desk = Desk(inventory=1)
    desk.lend(1, days=1)
    with pytest.raises(Forbidden):
        desk.run(desk.overdue(viewer=owner(1), page=PageRequest()))


COPIES = 2
READERS = 4


class Waitlists(RuleBasedStateMachine):
    """Borrow, return, hold, cancel, time passing and the expiry job, in any order:

    * shelf + reserved copies + copies on loan = the copies owned;
    * ready holds are always ahead of waiting ones (first come, first served);
    * nobody borrows while the shelf is empty unless a ready hold is theirs, and a ready
      hold is served at most once."""

    def __init__(self) -> None:
        super().__init__()
        self.desk = Desk(inventory=COPIES, users=READERS)
        self.served: dict[HoldId, int] = {}

    def _ready_hold_of(self, user: int) -> HoldId | None:
        now = self.desk.clock.now()
        return next(
            (h.id for h in self.desk.store.state.holds.values() if h.user_id == user and h.claimable(now)), None
        )

    @rule(user=st.integers(min_value=1, max_value=READERS))
    def borrow(self, user: int) -> None:
        shelf_empty = self.desk.inventory == 0
        reserved = self._ready_hold_of(user)
        try:
            self.desk.lend(user)
        except BookUnavailable:
            assert shelf_empty, "refused although a copy was on the shelf"
            assert reserved is None, "refused although a copy was reserved for them"
            return
        assert not shelf_empty or reserved is not None, "borrowed from an empty shelf without a ready hold"
        if reserved is not None:
            assert self.desk.status(reserved) is HoldStatus.FULFILLED
            self.served[reserved] = self.served.get(reserved, 0) + 1

    @precondition(lambda self: any(b.is_active for b in self.desk.store.state.borrowings.values()))
    @rule(data=st.data())
    def give_back(self, data: st.DataObject) -> None:
        active = sorted(i for i, b in self.desk.store.state.borrowings.items() if b.is_active)
        self.desk.back(data.draw(st.sampled_from(active)))

    @rule(user=st.integers(min_value=1, max_value=READERS))
    def hold(self, user: int) -> None:
        with contextlib.suppress(DomainError):
            self.desk.join(user)

    @precondition(lambda self: bool(self.desk.store.state.holds))
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        hold_id = data.draw(st.sampled_from(sorted(self.desk.store.state.holds)))
        user = self.desk.store.state.holds[hold_id].user_id
        self.desk.run(self.desk.cancel(viewer=owner(user), hold_id=hold_id))

    @rule(hours=st.integers(min_value=1, max_value=30))
    def time_passes_and_the_job_runs(self, hours: int) -> None:
        self.desk.clock.advance(hours=hours)
        self.desk.run(self.desk.expire())

    @invariant()
    def copies_are_conserved(self) -> None:
        state = self.desk.store.state
        reserved = sum(1 for h in state.holds.values() if h.status is HoldStatus.READY)
        on_loan = sum(1 for b in state.borrowings.values() if b.is_active)
        assert state.shelves[BOOK].inventory >= 0
        assert state.shelves[BOOK].inventory + reserved + on_loan == COPIES

    @invariant()
    def first_come_first_served(self) -> None:
        holds = sorted(self.desk.store.state.holds.values(), key=lambda h: h.id or 0)
        waiting = [h.id or 0 for h in holds if h.status is HoldStatus.WAITING]
        ready = [h.id or 0 for h in holds if h.status is HoldStatus.READY]
        assert not waiting or not ready or max(ready) < min(waiting), "a later hold was served first"
        assert not waiting or self.desk.store.state.shelves[BOOK].inventory == 0, "copies shelved while readers wait"

    @invariant()
    def a_ready_hold_is_served_at_most_once(self) -> None:
        assert all(count == 1 for count in self.served.values())


TestWaitlists = Waitlists.TestCase
