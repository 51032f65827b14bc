"""The life of a payment: PENDING → PAID | EXPIRED, EXPIRED → PENDING (renew)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.payments import (
    CheckoutSession,
    Payment,
    PaymentId,
    PaymentNotRenewable,
    PaymentStatus,
    PaymentType,
)
from domain.shared import Money, UserId

NOW = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


def session(name: str) -> CheckoutSession:
    return CheckoutSession(id=name, url=f"https://pay.example/{name}", expires_at=NOW + timedelta(hours=24))


def pending(kind: PaymentType = PaymentType.PAYMENT, cents: int = 500) -> Payment:
    payment = Payment.open(user_id=UserId(1), type=kind, amount=Money(cents), now=NOW)
    payment.id = PaymentId(3)
    payment.attach(session("cs_1"))
    return payment


def test_paying_is_recorded_once() -> None:
    payment = pending()
    assert payment.mark_paid(NOW)
    assert not payment.mark_paid(NOW + timedelta(hours=1))
    assert (payment.status, payment.paid_at) == (PaymentStatus.PAID, NOW)


def test_only_the_current_session_of_a_pending_payment_lapses() -> None:
    payment = pending()
    assert not payment.lapse("cs_other")
    assert payment.lapse("cs_1")
    assert payment.status is PaymentStatus.EXPIRED
    assert not payment.lapse("cs_1")

    paid = pending()
    paid.mark_paid(NOW)
    assert not paid.lapse("cs_1"), "an expiry after the payment changes nothing"
    assert paid.status is PaymentStatus.PAID


def test_only_an_expired_payment_is_renewed() -> None:
    payment = pending()
    with pytest.raises(PaymentNotRenewable):
        payment.renew(session("cs_2"))
    payment.lapse("cs_1")
    payment.renew(session("cs_2"))
    assert payment.status is PaymentStatus.PENDING
    assert payment.session == session("cs_2")
    assert not payment.lapse("cs_1"), "the old session's expiry no longer matters"
    payment.mark_paid(NOW)
    with pytest.raises(PaymentNotRenewable):
        payment.renew(session("cs_3"))


def test_money_that_arrives_after_expiry_still_counts() -> None:
    payment = pending()
    payment.lapse("cs_1")
    assert payment.mark_paid(NOW)
    assert payment.status is PaymentStatus.PAID


def test_a_payment_of_zero_is_paid_at_once_and_needs_no_checkout() -> None:
    free = Payment.open(user_id=UserId(1), type=PaymentType.PAYMENT, amount=Money(0), now=NOW)
    assert free.status is PaymentStatus.PAID
    assert not free.needs_checkout
    assert not free.is_debt


def test_without_a_checkout_a_payment_waits_expired_to_be_renewed() -> None:
    fine = Payment.open(user_id=UserId(1), type=PaymentType.FINE, amount=Money(400), now=NOW)
    assert fine.needs_checkout
    fine.checkout_unavailable()
    assert fine.status is PaymentStatus.EXPIRED
    assert fine.is_debt
    fine.renew(session("cs_9"))
    assert fine.status is PaymentStatus.PENDING


def test_fees_and_fines_are_debts_premium_is_not() -> None:
    assert pending(PaymentType.PAYMENT).is_debt
    assert pending(PaymentType.FINE).is_debt
    assert not pending(PaymentType.PREMIUM).is_debt
    assert pending(PaymentType.PREMIUM).grants_premium
