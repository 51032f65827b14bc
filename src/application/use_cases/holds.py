"""Holds (waitlists) and the daily overdue digest.

A returned copy is handed on by ``copy_came_back`` (used by ``ReturnBook``): to the head of
the book's waitlist, who is emailed, or back to the shelf. ``BorrowBook`` takes a reserved
copy through ``HoldRepository.claim_ready``. Every notice goes through the outbox, in the
same transaction as the change it announces.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta

from application.errors import NotFound
from application.messages import Dispatch
from application.ports.clock import Clock
from application.ports.holds import HoldsUnitOfWork, HoldView, OverdueBorrowing
from application.ports.outbox import OutboxMessage
from application.results import Page, PageRequest
from application.use_cases.identity import Principal, ensure_admin
from application.use_cases.payments import visible_to
from domain.circulation import BookId
from domain.holds import Hold, HoldId, HoldStatus, Waitlist
from domain.shared import UserId

HoldsUowFactory = Callable[[], HoldsUnitOfWork]

NOTHING_OVERDUE = "No borrowings overdue today!"


async def waitlist_of(uow: HoldsUnitOfWork, book_id: int) -> Waitlist:
    waitlist = await uow.holds.waitlist(book_id)
    if waitlist is None:
        raise NotFound("book", book_id)
    return waitlist


async def serve(uow: HoldsUnitOfWork, dispatch: Dispatch, waitlist: Waitlist, holds: Sequence[Hold]) -> None:
    """Store holds that just became ready and email their readers (through the outbox)."""
    if not holds:
        return
    holders = await uow.holds.holders([hold.user_id for hold in holds])
    for hold in holds:
        await uow.holds.save(hold)
        holder = holders.get(hold.user_id)
        if holder is None or hold.ready_until is None or hold.ready_at is None:
            continue
        until = hold.ready_until.strftime("%Y-%m-%d %H:%M UTC")
        body = (
            f"Hello {holder.username},\n\n"
            f"A copy of \u201c{waitlist.title}\u201d is back and reserved for you until {until}.\n"
            f"Borrow it before then (POST /api/borrowings with book_id {waitlist.book_id}); "
            "after that it goes to the next reader on the waitlist.\n"
        )
        message = dispatch.email(holder.email, f"Your hold is ready: {waitlist.title}", body)
        await uow.outbox.add(message, now=hold.ready_at)


async def copy_came_back(uow: HoldsUnitOfWork, dispatch: Dispatch, book_id: int, now: datetime) -> Hold | None:
    """A copy of ``book_id`` is back: reserve it for the first waiting reader, or shelve it."""
    waitlist = await waitlist_of(uow, book_id)
    ready = waitlist.copy_returned(now)
    if ready is None:
        await uow.shelves.take_back(BookId(book_id))
        return None
    await serve(uow, dispatch, waitlist, [ready])
    return ready


class PlaceHold:
    """Join the waitlist of a book with no copy on the shelf."""

    def __init__(self, uow: HoldsUowFactory, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    async def __call__(self, *, user_id: UserId, book_id: int) -> HoldView:
        now = self._clock.now()
        async with self._uow() as uow:
            waitlist = await waitlist_of(uow, book_id)
            hold = await uow.holds.add(waitlist.join(user_id, now))
            view = HoldView(hold=hold, book_title=waitlist.title, position=waitlist.position(hold))
            await uow.commit()
        return view


class ListHolds:
    def __init__(self, uow: HoldsUowFactory) -> None:
        self._uow = uow

    async def __call__(self, *, user_id: UserId, page: PageRequest) -> Page[HoldView]:
        async with self._uow() as uow:
            return await uow.holds.list_for_user(user_id, page)


class CancelHold:
    """The owner leaves the waitlist; a copy their hold had reserved goes to the next reader."""

    def __init__(self, uow: HoldsUowFactory, dispatch: Dispatch, clock: Clock) -> None:
        self._uow, self._dispatch, self._clock = uow, dispatch, clock

    async def __call__(self, *, viewer: Principal, hold_id: HoldId) -> None:
        now = self._clock.now()
        async with self._uow() as uow:
            found = await uow.holds.get(hold_id)
            if found is None or not visible_to(viewer, found.user_id):
                raise NotFound("hold", hold_id)
            waitlist = await waitlist_of(uow, found.book_id)  # locks the book: now the hold cannot move
            hold = next((h for h in waitlist.holds if h.id == hold_id), None)
            if hold is None:
                return  # already closed (fulfilled, expired or cancelled): nothing left to cancel
            had_copy = hold.status is HoldStatus.READY
            nxt = waitlist.cancel(hold, now)
            await uow.holds.save(hold)
            if nxt is not None:
                await serve(uow, self._dispatch, waitlist, [nxt])
            elif had_copy:
                await uow.shelves.take_back(BookId(waitlist.book_id))
            await uow.commit()


class ExpireHolds:
    """The job: ready holds not claimed in time expire; their copies pass on. Each book is
    its own transaction, so one failing book does not hold back the others."""

    def __init__(self, uow: HoldsUowFactory, dispatch: Dispatch, clock: Clock) -> None:
        self._uow, self._dispatch, self._clock = uow, dispatch, clock

    async def __call__(self) -> int:
        now = self._clock.now()
        async with self._uow() as uow:
            books = await uow.holds.books_with_lapsed_holds(now)
        expired = 0
        for book_id in books:
            async with self._uow() as uow:
                waitlist = await uow.holds.waitlist(book_id)
                if waitlist is None:
                    continue
                lapsed, served = waitlist.expire_lapsed(now)
                for hold in lapsed:
                    await uow.holds.save(hold)
                await serve(uow, self._dispatch, waitlist, served)
                for _ in range(len(lapsed) - len(served)):
                    await uow.shelves.take_back(BookId(book_id))
                await uow.commit()
            expired += len(lapsed)
        return expired


class ListOverdue:
    """Admins: active borrowings due by tomorrow."""

    def __init__(self, uow: HoldsUowFactory, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    async def __call__(self, *, viewer: Principal, page: PageRequest) -> Page[OverdueBorrowing]:
        ensure_admin(viewer)
        async with self._uow() as uow:
            return await uow.overdue.page_due_by(self._clock.today() + timedelta(days=1), page)


def digest(overdue: Sequence[OverdueBorrowing]) -> str:
    if not overdue:
        return NOTHING_OVERDUE
    lines = [f"Borrowings due by tomorrow and not returned: {len(overdue)}"]
    lines += [
        f"- {o.username} <{o.email}>: \u201c{o.book_title}\u201d (borrowing #{o.borrowing_id}), "
        f"due {o.expected_return_date.isoformat()}"
        for o in overdue
    ]
    return "\n".join(lines)


class SendOverdueDigest:
    """The daily job: one Telegram message listing what is due by tomorrow (or that nothing
    is), and a reminder email to each such borrower. Once per day, however often it runs."""

    def __init__(self, uow: HoldsUowFactory, dispatch: Dispatch, clock: Clock) -> None:
        self._uow, self._dispatch, self._clock = uow, dispatch, clock

    async def __call__(self) -> str:
        now = self._clock.now()
        today = now.date()
        async with self._uow() as uow:
            if not await uow.overdue.claim_digest(today, now):
                return f"the digest of {today.isoformat()} was already sent"
            overdue = await uow.overdue.due_by(today + timedelta(days=1))
            await uow.outbox.add(self._dispatch.telegram(digest(overdue)), now=now)
            for item in overdue:
                await uow.outbox.add(self._reminder(item, today), now=now)
            await uow.commit()
        return f"{len(overdue)} borrowings due by tomorrow; {len(overdue)} reminders queued"

    def _reminder(self, item: OverdueBorrowing, today: date) -> OutboxMessage:
        due = item.expected_return_date
        when = "was due" if due < today else "is due"
        body = (
            f"Hello {item.username},\n\n"
            f"\u201c{item.book_title}\u201d (borrowing #{item.borrowing_id}) {when} back on {due.isoformat()}.\n"
            "Please return it on time: a late return costs a fine for every day late.\n"
        )
        return self._dispatch.email(item.email, f"Reminder: \u201c{item.book_title}\u201d is due", body)
