"""Ports of holds (waitlists) and of the overdue digest."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from application.ports.circulation import CirculationUnitOfWork
from application.results import Page, PageRequest
from domain.holds import Hold, HoldId, Waitlist
from domain.shared import UserId


@dataclass(frozen=True, slots=True)
class Holder:
    """Who a notice about a hold goes to."""

    id: UserId
    username: str
    email: str


@dataclass(frozen=True, slots=True)
class HoldView:
    """A reader's hold as they see it: where they stand in the queue (0 once closed)."""

    hold: Hold
    book_title: str
    position: int


@dataclass(frozen=True, slots=True)
class OverdueBorrowing:
    borrowing_id: int
    user_id: UserId
    username: str
    email: str
    book_id: int
    book_title: str
    expected_return_date: date


class HoldRepository(Protocol):
    async def waitlist(self, book_id: int) -> Waitlist | None:
        """The book's shelf and open holds (oldest first), locked for this transaction so
        that returns, cancellations, expiries and new holds of one book are serialised;
        ``None`` when there is no such book."""
        ...

    async def add(self, hold: Hold) -> Hold:
        """Insert; sets the id. Raises ``AlreadyOnWaitlist`` if the reader already has an
        open hold on the book (the database guarantees it, whatever runs concurrently)."""
        ...

    async def save(self, hold: Hold) -> None:
        """Write back status, ``ready_at``, ``ready_until`` and ``closed_at``."""
        ...

    async def claim_ready(self, user_id: UserId, book_id: int, now: datetime) -> bool:
        """Atomically fulfil the reader's ready, unexpired hold on the book, if there is one
        (at most once, whatever runs concurrently): the reserved copy is theirs."""
        ...

    async def get(self, hold_id: HoldId) -> Hold | None: ...

    async def list_for_user(self, user_id: UserId, page: PageRequest) -> Page[HoldView]:
        """Open holds first (oldest first), then closed ones, newest first."""
        ...

    async def books_with_lapsed_holds(self, now: datetime) -> Sequence[int]: ...

    async def holders(self, user_ids: Sequence[UserId]) -> dict[UserId, Holder]: ...


class OverdueLedger(Protocol):
    async def due_by(self, day: date) -> Sequence[OverdueBorrowing]:
        """Active borrowings whose expected return date is on or before ``day``, soonest first."""
        ...

    async def page_due_by(self, day: date, page: PageRequest) -> Page[OverdueBorrowing]:
        """One page of ``due_by(day)``."""
        ...

    async def claim_digest(self, day: date, now: datetime) -> bool:
        """Record that the digest of ``day`` is being sent; ``False`` if it already was."""
        ...


class HoldsUnitOfWork(CirculationUnitOfWork, Protocol):
    holds: HoldRepository
    overdue: OverdueLedger
