"""Holds: the waitlist of a book whose copies are all out.

Rules:

* a reader joins the waitlist of a book only while no copy is on the shelf, and once per
  book (one open hold per reader and book);
* the waitlist is served first come, first served: when a copy comes back, the oldest
  *waiting* hold becomes *ready* and the copy is reserved for its reader for ``READY_FOR``
  (it is not put on the shelf, so nobody else can borrow it);
* the reader's next borrowing of the book takes the reserved copy (the hold is
  *fulfilled*), at most once;
* a ready hold that is not claimed in time *expires*, and the copy passes to the next
  waiting hold, or back to the shelf when nobody waits; cancelling a ready hold does the
  same;
* so, at all times: copies on the shelf + copies reserved by ready holds + copies out on
  loan = copies the library owns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import NewType

from domain.errors import Conflict
from domain.shared import UserId

HoldId = NewType("HoldId", int)

#: How long a returned copy waits for the reader at the head of the queue.
READY_FOR = timedelta(hours=24)


class HoldStatus(StrEnum):
    WAITING = "waiting"
    READY = "ready"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"
    EXPIRED = "expired"

    @property
    def is_open(self) -> bool:
        return self in (HoldStatus.WAITING, HoldStatus.READY)


class CopiesAvailable(Conflict):
    code = "copies-available"
    title = "A copy is on the shelf: borrow it instead of joining the waitlist"


class AlreadyOnWaitlist(Conflict):
    code = "already-on-waitlist"
    title = "You are already on this book's waitlist"


class HoldClosed(Conflict):
    code = "hold-closed"
    title = "This hold is no longer open"


@dataclass(slots=True)
class Hold:
    user_id: UserId
    book_id: int
    created_at: datetime
    status: HoldStatus = HoldStatus.WAITING
    id: HoldId | None = None
    ready_at: datetime | None = None
    ready_until: datetime | None = None
    closed_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.status.is_open

    def lapsed(self, now: datetime) -> bool:
        """A ready hold whose reader did not come in time."""
        return self.status is HoldStatus.READY and self.ready_until is not None and self.ready_until <= now

    def make_ready(self, now: datetime) -> None:
        self.status, self.ready_at, self.ready_until = HoldStatus.READY, now, now + READY_FOR

    def claimable(self, now: datetime) -> bool:
        return self.status is HoldStatus.READY and not self.lapsed(now)

    def close(self, status: HoldStatus, now: datetime) -> None:
        if not self.is_open:
            raise HoldClosed(f"Hold {self.id} is already {self.status}.")
        self.status, self.closed_at = status, now


@dataclass(slots=True)
class Waitlist:
    """One book's open holds in arrival order, with the copies on its shelf."""

    book_id: int
    title: str
    inventory: int
    holds: list[Hold] = field(default_factory=list)

    def join(self, user_id: UserId, now: datetime) -> Hold:
        if self.inventory > 0:
            raise CopiesAvailable(f"{self.inventory} copies of book {self.book_id} are on the shelf; borrow one.")
        if any(hold.user_id == user_id for hold in self.holds):
            raise AlreadyOnWaitlist(f"You already hold book {self.book_id}.")
        hold = Hold(user_id=user_id, book_id=self.book_id, created_at=now)
        self.holds.append(hold)
        return hold

    def position(self, hold: Hold) -> int:
        """1 for the head of the queue (ready holds count: they are served first)."""
        return self.holds.index(hold) + 1

    def copy_returned(self, now: datetime) -> Hold | None:
        """A copy is back: the oldest waiting hold gets it (and is returned), else the shelf."""
        head = next((hold for hold in self.holds if hold.status is HoldStatus.WAITING), None)
        if head is None:
            self.inventory += 1
            return None
        head.make_ready(now)
        return head

    def cancel(self, hold: Hold, now: datetime) -> Hold | None:
        """Close ``hold``; a copy it had reserved goes to the next in line (who is returned)."""
        held_a_copy = hold.status is HoldStatus.READY
        hold.close(HoldStatus.CANCELLED, now)
        self.holds.remove(hold)
        return self.copy_returned(now) if held_a_copy else None

    def expire_lapsed(self, now: datetime) -> tuple[list[Hold], list[Hold]]:
        """Expire every ready hold not claimed in time and pass each copy on.

        Returns (expired holds, holds that became ready)."""
        expired = [hold for hold in self.holds if hold.lapsed(now)]
        served: list[Hold] = []
        for hold in expired:
            hold.close(HoldStatus.EXPIRED, now)
            self.holds.remove(hold)
            nxt = self.copy_returned(now)
            if nxt is not None:
                served.append(nxt)
        return expired, served
