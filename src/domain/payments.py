"""Payments: what a user owes or buys, and the life of its checkout session.

A payment is ``PENDING`` while a checkout session is open for it, ``PAID`` once the
provider confirms the money, ``EXPIRED`` when its session lapsed (or none could be
opened); an expired payment is renewed with a new session and is ``PENDING`` again::

    PENDING ──paid──▶ PAID          EXPIRED ──renew──▶ PENDING
    PENDING ──lapse─▶ EXPIRED       EXPIRED ──paid───▶ PAID  (money that arrived late is still money)

A payment of zero is paid when it is created: there is nothing to check out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import NewType

from domain.errors import Conflict
from domain.shared import Money, UserId

PaymentId = NewType("PaymentId", int)

#: The largest amount one checkout may charge (Stripe's limit for USD: 999,999.99).
MAX_AMOUNT_CENTS = 99_999_999


class PaymentStatus(StrEnum):
    PENDING = "PENDING"
    PAID = "PAID"
    EXPIRED = "EXPIRED"


class PaymentType(StrEnum):
    PAYMENT = "PAYMENT"  # the fee of a borrowing
    FINE = "FINE"  # a late return
    PREMIUM = "PREMIUM"  # the premium membership


#: Payment types that are a debt to the library: while one is unsettled, no borrowing.
DEBTS = frozenset({PaymentType.PAYMENT, PaymentType.FINE})


class PaymentNotRenewable(Conflict):
    code = "payment-not-renewable"
    title = "Only an expired payment can be renewed"


class PaymentNotCompleted(Conflict):
    code = "payment-not-completed"
    title = "The payment has not been completed"


class AlreadyPremium(Conflict):
    code = "already-premium"
    title = "You are already a premium member"


class PremiumCheckoutOpen(Conflict):
    code = "premium-checkout-open"
    title = "A premium checkout is already open"


@dataclass(frozen=True, slots=True)
class CheckoutSession:
    """A hosted checkout page where the user pays one payment."""

    id: str
    url: str
    expires_at: datetime


@dataclass(slots=True)
class Payment:
    user_id: UserId
    type: PaymentType
    amount: Money
    created_at: datetime
    status: PaymentStatus = PaymentStatus.PENDING
    id: PaymentId | None = None
    borrowing_id: int | None = None
    session: CheckoutSession | None = None
    paid_at: datetime | None = None

    @classmethod
    def open(
        cls, *, user_id: UserId, type: PaymentType, amount: Money, now: datetime, borrowing_id: int | None = None
    ) -> Payment:
        payment = cls(user_id=user_id, type=type, amount=amount, created_at=now, borrowing_id=borrowing_id)
        if amount.cents == 0:
            payment.status, payment.paid_at = PaymentStatus.PAID, now
        return payment

    @property
    def pid(self) -> PaymentId:
        if self.id is None:
            msg = "the payment has not been saved yet"
            raise RuntimeError(msg)
        return self.id

    @property
    def needs_checkout(self) -> bool:
        """Pending without a session: a checkout must be opened for it."""
        return self.status is PaymentStatus.PENDING and self.session is None

    @property
    def is_debt(self) -> bool:
        """Unsettled money owed to the library (blocks new borrowings)."""
        return self.type in DEBTS and self.status is not PaymentStatus.PAID

    @property
    def grants_premium(self) -> bool:
        return self.type is PaymentType.PREMIUM

    @property
    def description(self) -> str:
        """What the checkout page shows the payer."""
        what = {
            PaymentType.PAYMENT: "borrowing fee",
            PaymentType.FINE: "late return fine",
            PaymentType.PREMIUM: "premium membership",
        }[self.type]
        return f"Athenaeum {what} (payment #{self.id})"

    def attach(self, session: CheckoutSession) -> None:
        """The checkout session opened for this pending payment."""
        if self.status is not PaymentStatus.PENDING:
            raise PaymentNotRenewable(f"Payment {self.id} is {self.status}; no checkout can be attached.")
        self.session = session

    def checkout_unavailable(self) -> None:
        """No checkout could be opened (the provider is down): the payment waits, EXPIRED,
        to be renewed by its owner. Nothing is lost and nothing is half-made."""
        if self.needs_checkout:
            self.status = PaymentStatus.EXPIRED

    def ensure_renewable(self) -> None:
        if self.status is not PaymentStatus.EXPIRED:
            raise PaymentNotRenewable(f"Payment {self.id} is {self.status}; only EXPIRED payments are renewed.")

    def renew(self, session: CheckoutSession) -> None:
        """EXPIRED → PENDING with a new session."""
        self.ensure_renewable()
        self.status, self.session = PaymentStatus.PENDING, session

    def mark_paid(self, now: datetime) -> bool:
        """Record the money; ``True`` if this call changed the payment (so that what follows
        from being paid, e.g. premium, happens exactly once)."""
        if self.status is PaymentStatus.PAID:
            return False
        self.status, self.paid_at = PaymentStatus.PAID, now
        return True

    def lapse(self, session_id: str) -> bool:
        """The checkout session ``session_id`` expired. Only the current session of a
        pending payment matters: an old session of a renewed payment, or a session that
        expired after the payment was paid, changes nothing."""
        if self.status is not PaymentStatus.PENDING or self.session is None or self.session.id != session_id:
            return False
        self.status = PaymentStatus.EXPIRED
        return True


def capped(cents: int, currency: str) -> Money:
    """An amount no checkout can refuse for its size."""
    return Money(min(cents, MAX_AMOUNT_CENTS), currency)
