"""Ports of circulation: borrowers, the shelves, borrowings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from application.ports.payments import PaymentsUnitOfWork
from application.results import Page, PageRequest
from domain.circulation import BookId, Borrower, Borrowing, BorrowingId, Shelf
from domain.shared import UserId


@dataclass(frozen=True, slots=True)
class BorrowingFilter:
    user_id: UserId | None = None
    is_active: bool | None = None


class BorrowerRepository(Protocol):
    async def lock(self, user_id: UserId) -> Borrower | None:
        """The borrower, locked for this transaction (one user's borrowings are serialised,
        so two at once cannot both pass the "no debts" rule), with ``has_debts`` read after
        the lock was taken; ``None`` when there is no such active account."""
        ...


class ShelfRepository(Protocol):
    async def get(self, book_id: BookId) -> Shelf | None: ...

    async def reserve_copy(self, book_id: BookId) -> Shelf | None:
        """Atomically take one copy off the shelf if one is there (never below zero, whatever
        runs at the same time). Returns the shelf as it was *before*, so that
        ``Shelf.lend_to`` applies to it; ``None`` when no copy was there or no such book."""
        ...

    async def take_back(self, book_id: BookId) -> Shelf | None:
        """Atomically apply ``Shelf.take_back`` (a returned copy is back); the shelf after it."""
        ...


class BorrowingRepository(Protocol):
    async def add(self, borrowing: Borrowing) -> Borrowing:
        """Insert the borrowing and its payments; sets their ids."""
        ...

    async def get(self, borrowing_id: BorrowingId) -> Borrowing | None:
        """With its book summary and payments."""
        ...

    async def get_for_update(self, borrowing_id: BorrowingId) -> Borrowing | None:
        """Locked for this transaction, with its book summary and payments."""
        ...

    async def save_return(self, borrowing: Borrowing) -> None:
        """Write back ``actual_return_date``."""
        ...

    async def list(self, filters: BorrowingFilter, page: PageRequest) -> Page[Borrowing]:
        """Newest first, each with its book summary and payments (one extra query per page)."""
        ...


class CirculationUnitOfWork(PaymentsUnitOfWork, Protocol):
    borrowers: BorrowerRepository
    shelves: ShelfRepository
    borrowings: BorrowingRepository
