"""Circulation: borrow a book (with its fee's checkout), return it (with a fine if late), lists."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime

from application.errors import Forbidden, NotAuthenticated, NotFound
from application.messages import Dispatch
from application.ports.circulation import BorrowingFilter, CirculationUnitOfWork
from application.ports.clock import Clock
from application.ports.holds import HoldsUnitOfWork
from application.ports.identity import TokenCodec
from application.ports.payments import PaymentGateway, PaymentProviderUnavailable, PaymentRejected
from application.results import Page, PageRequest
from application.use_cases.holds import copy_came_back
from application.use_cases.identity import SIGNED_OUT, Principal, acting_user
from application.use_cases.payments import checkout_key, claim_or_replay, idempotent, visible_to
from domain.circulation import BookId, BookUnavailable, Borrower, Borrowing, BorrowingId, LoanPolicy, Shelf
from domain.payments import Payment
from domain.shared import Money, UserId

log = logging.getLogger("athenaeum.circulation")

CirculationUowFactory = Callable[[], CirculationUnitOfWork]
HoldsUowFactory = Callable[[], HoldsUnitOfWork]


def money(amount: Money) -> str:
    return f"{amount.cents // 100}.{amount.cents % 100:02d} {amount.currency.upper()}"


def borrowing_notice(borrowing: Borrowing, borrower: Borrower) -> str:
    """The library's Telegram chat hears of every borrowing."""
    fee = borrowing.payments[0] if borrowing.payments else None
    lines = [
        f"New borrowing #{borrowing.id}",
        f"Borrower: {borrower.username} <{borrower.email}> (user #{borrower.id})",
        f"Book: \u201c{borrowing.book.title}\u201d by {borrowing.book.author} (book #{borrowing.book.id})",
        f"Borrowed: {borrowing.borrow_date.isoformat()}",
        f"Due back: {borrowing.expected_return_date.isoformat()} ({borrowing.loan_days} days)",
    ]
    if fee is not None:
        lines.append(f"Fee: {money(fee.amount)} ({fee.status.lower()}, payment #{fee.id})")
    return "\n".join(lines)


class BorrowBook:
    """Lend a copy: the copy reserved for the borrower by a ready hold, else one taken off
    the shelf; the borrowing and its PENDING fee are stored, a checkout is opened for the
    fee, and the library's chat is told (through the outbox) — all in one transaction. If
    the payment provider fails, nothing is written.

    With an ``Idempotency-Key``, a repeat returns the first borrowing and charges nothing.

    The borrower is ``user_id`` (authenticated already) or the holder of the access
    ``token``: then the token is verified here and the account checked on the row the
    borrowing locks anyway (a connection and a query less than authenticating first)."""

    SCOPE = "borrow"

    def __init__(
        self,
        uow: HoldsUowFactory,
        gateway: PaymentGateway,
        dispatch: Dispatch,
        policy: LoanPolicy,
        clock: Clock,
        codec: TokenCodec | None = None,
    ) -> None:
        self._uow, self._gateway, self._dispatch, self._policy, self._clock = uow, gateway, dispatch, policy, clock
        self._codec = codec

    async def __call__(
        self,
        *,
        book_id: BookId,
        until: date,
        user_id: UserId | None = None,
        token: str | None = None,
        idempotency_key: str | None = None,
    ) -> Borrowing:
        borrower_id = acting_user(self._codec, user_id, token)
        now = self._clock.now()
        request = idempotent(self.SCOPE, idempotency_key, book_id, until.isoformat())
        async with self._uow() as uow:
            borrower = await uow.borrowers.lock(borrower_id)
            if borrower is None:
                raise NotAuthenticated(SIGNED_OUT) if token is not None else NotFound("user", borrower_id)
            replay = await claim_or_replay(uow, borrower_id, request, now)
            if replay is not None:
                return await self._earlier(uow, BorrowingId(replay))
            borrowing = await self._lend(uow, borrower, book_id, until, now)
            fee = borrowing.payments[0]
            if fee.needs_checkout:
                key = checkout_key(fee, idempotency_key)
                fee.attach(await self._gateway.open_checkout(fee, idempotency_key=key))
                await uow.payments.save(fee)
            await uow.outbox.add(self._dispatch.telegram(borrowing_notice(borrowing, borrower)), now=now)
            if request is not None:
                await uow.idempotency_keys.complete(borrower_id, request, borrowing.bid)
            await uow.commit()
        return borrowing

    async def _lend(
        self, uow: HoldsUnitOfWork, borrower: Borrower, book_id: BookId, until: date, now: datetime
    ) -> Borrowing:
        self._policy.loan_days(now.date(), until)  # a bad date fails before a copy is taken
        self._policy.ensure_may_borrow(borrower)
        user_id = borrower.id
        shelf = await self._reserved_copy(uow, user_id, book_id, now) or await uow.shelves.reserve_copy(book_id)
        if shelf is None:
            if await uow.shelves.get(book_id) is None:
                raise NotFound("book", book_id)
            raise BookUnavailable(f"No copy of book {book_id} is available right now.")
        borrowing = shelf.lend_to(borrower, today=now.date(), until=until, policy=self._policy, now=now)
        return await uow.borrowings.add(borrowing)

    @staticmethod
    async def _reserved_copy(uow: HoldsUnitOfWork, user_id: UserId, book_id: BookId, now: datetime) -> Shelf | None:
        """The copy a ready hold keeps for this reader (the hold is fulfilled), as a shelf
        holding just that copy; ``None`` without such a hold."""
        if not await uow.holds.claim_ready(user_id, book_id, now):
            return None
        shelf = await uow.shelves.get(book_id)
        return None if shelf is None else Shelf(book=shelf.book, inventory=1)

    @staticmethod
    async def _earlier(uow: CirculationUnitOfWork, borrowing_id: BorrowingId) -> Borrowing:
        borrowing = await uow.borrowings.get(borrowing_id)
        if borrowing is None:
            raise NotFound("borrowing", borrowing_id)
        return borrowing


class ReturnBook:
    """Close a borrowing once; the copy goes to the first reader waiting for the book (whose
    hold becomes ready, and who is emailed) or back on the shelf. A late return adds a FINE
    with its own checkout. If the payment provider is down at that moment, the return is
    still recorded and the FINE waits as EXPIRED for its owner to renew (a book that is
    back on the desk is back, whatever the provider says)."""

    def __init__(
        self,
        uow: HoldsUowFactory,
        gateway: PaymentGateway,
        dispatch: Dispatch,
        policy: LoanPolicy,
        clock: Clock,
    ) -> None:
        self._uow, self._gateway, self._dispatch, self._policy, self._clock = uow, gateway, dispatch, policy, clock

    async def __call__(self, *, viewer: Principal, borrowing_id: BorrowingId) -> Borrowing:
        now = self._clock.now()
        async with self._uow() as uow:
            borrowing = await uow.borrowings.get_for_update(borrowing_id)
            if borrowing is None or not visible_to(viewer, borrowing.user_id):
                raise NotFound("borrowing", borrowing_id)
            fine = borrowing.close(today=now.date(), policy=self._policy, now=now)
            await uow.borrowings.save_return(borrowing)
            if fine is not None:
                await uow.payments.add(fine)
                await self._open_checkout(fine)
                await uow.payments.save(fine)
            # The copy is handed on last: the book's row is locked for the shortest time.
            await copy_came_back(uow, self._dispatch, borrowing.book.id, now)
            await uow.commit()
        return borrowing

    async def _open_checkout(self, fine: Payment) -> None:
        if not fine.needs_checkout:
            return
        try:
            session = await self._gateway.open_checkout(fine, idempotency_key=checkout_key(fine))
        except (PaymentProviderUnavailable, PaymentRejected) as exc:
            log.warning("no checkout for fine %s (%s); it waits as EXPIRED to be renewed", fine.id, exc.detail)
            fine.checkout_unavailable()
        else:
            fine.attach(session)


class ListBorrowings:
    """Own borrowings; admins see everyone's and may filter by ``user_id``."""

    def __init__(self, uow: CirculationUowFactory) -> None:
        self._uow = uow

    async def __call__(self, *, viewer: Principal, filters: BorrowingFilter, page: PageRequest) -> Page[Borrowing]:
        if not viewer.is_admin:
            if filters.user_id not in (None, viewer.user_id):
                raise Forbidden("Only admins may list other users' borrowings.")
            filters = BorrowingFilter(user_id=viewer.user_id, is_active=filters.is_active)
        async with self._uow() as uow:
            return await uow.borrowings.list(filters, page)


class GetBorrowing:
    def __init__(self, uow: CirculationUowFactory) -> None:
        self._uow = uow

    async def __call__(self, *, viewer: Principal, borrowing_id: BorrowingId) -> Borrowing:
        async with self._uow() as uow:
            borrowing = await uow.borrowings.get(borrowing_id)
        if borrowing is None or not visible_to(viewer, borrowing.user_id):
            raise NotFound("borrowing", borrowing_id)
        return borrowing
