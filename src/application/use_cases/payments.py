"""Payments: confirm, renew, expire, webhooks, premium, and the lists.

The provider is asked for a checkout inside the transaction that creates the payment: if
it fails, nothing is written. Money reported paid (success page, webhook, sandbox page)
is applied under the payment's row lock, so whatever arrives twice, or at once, takes
effect once.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from application.errors import Forbidden, NotFound
from application.ports.clock import Clock
from application.ports.payments import (
    CheckoutSimulator,
    IdempotentRequest,
    PaymentEvent,
    PaymentEventKind,
    PaymentFilter,
    PaymentGateway,
    PaymentsUnitOfWork,
)
from application.results import Page, PageRequest
from application.use_cases.identity import Principal
from domain.errors import Conflict, InvalidValue
from domain.payments import (
    AlreadyPremium,
    Payment,
    PaymentId,
    PaymentNotCompleted,
    PaymentStatus,
    PaymentType,
    PremiumCheckoutOpen,
)
from domain.shared import Money, UserId

PaymentsUowFactory = Callable[[], PaymentsUnitOfWork]


# --------------------------------------------------------------------------- shared helpers


class IdempotencyKeyReused(InvalidValue):
    """The same ``Idempotency-Key`` came with a different request (422, as the IETF draft
    on the header recommends)."""

    code = "idempotency-key-reused"
    title = "This Idempotency-Key was used for a different request"

    def __init__(self) -> None:
        super().__init__(
            "Idempotency-Key", "This key was already used for a different request; use a new key for a new request."
        )


class IdempotencyKeyInProgress(Conflict):
    code = "idempotency-key-in-progress"
    title = "A request with this Idempotency-Key is still in progress"


class CheckoutExpired(Conflict):
    code = "checkout-expired"
    title = "This checkout session has expired"


def fingerprint(*parts: object) -> str:
    """A digest of a request's content, to tell a retry from a different request."""
    return hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()


def idempotent(scope: str, key: str | None, *parts: object) -> IdempotentRequest | None:
    return IdempotentRequest(scope=scope, key=key, fingerprint=fingerprint(*parts)) if key else None


async def claim_or_replay(
    uow: PaymentsUnitOfWork, user_id: UserId, request: IdempotentRequest | None, now: datetime
) -> int | None:
    """``None``: go ahead (the key is claimed in this transaction, or there is none).
    Otherwise the id of what the first request with this key created."""
    if request is None:
        return None
    stored = await uow.idempotency_keys.claim(user_id, request, now=now)
    if stored is None:
        return None
    if stored.fingerprint != request.fingerprint:
        raise IdempotencyKeyReused
    if stored.resource_id is None:
        raise IdempotencyKeyInProgress("Retry in a moment.")
    return stored.resource_id


def checkout_key(payment: Payment, client_key: str | None = None) -> str:
    """The provider's idempotency key for one checkout attempt.

    It makes the provider's own network retries of this attempt safe. Each attempt gets a
    key of its own: retries of the whole request are answered from our ``idempotency_keys``
    table instead, and a new attempt (after a rollback, or a renewal) must get a new
    session, never the old one replayed. The client's key leads, so that attempts are easy
    to find in the provider's dashboard."""
    return f"{client_key or 'athenaeum'}:payment-{payment.id}:{secrets.token_hex(8)}"


def visible_to(viewer: Principal, owner: UserId) -> bool:
    return viewer.is_admin or viewer.user_id == owner


async def settle(uow: PaymentsUnitOfWork, payment: Payment, now: datetime) -> bool:
    """Record ``payment`` as paid (it is locked); what being paid grants follows in the same
    transaction, once. ``True`` if this call changed anything."""
    if not payment.mark_paid(now):
        return False
    await uow.payments.save(payment)
    if payment.grants_premium:
        await uow.memberships.grant_premium(payment.user_id)
    return True


class EventOutcome(StrEnum):
    APPLIED = "applied"  # the event changed a payment
    UNCHANGED = "unchanged"  # new, but nothing to change (e.g. `expired` after `completed`)
    IGNORED = "ignored"  # not about one of our payments, or a kind we do not handle
    DUPLICATE = "duplicate"  # already received


async def apply_event(uow: PaymentsUnitOfWork, event: PaymentEvent, now: datetime) -> EventOutcome:
    if not await uow.payment_events.record(event, now=now):
        return EventOutcome.DUPLICATE
    if event.kind is PaymentEventKind.OTHER:
        return EventOutcome.IGNORED
    payment = None
    if event.session_id is not None:
        payment = await uow.payments.get_by_session(event.session_id, for_update=True)
    if payment is None and event.payment_id is not None:
        payment = await uow.payments.get_for_update(event.payment_id)
    if payment is None:
        return EventOutcome.IGNORED
    changed = False
    if event.kind is PaymentEventKind.COMPLETED and event.paid:
        changed = await settle(uow, payment, now)
    elif event.kind is PaymentEventKind.EXPIRED and event.session_id is not None and payment.lapse(event.session_id):
        await uow.payments.save(payment)
        changed = True
    return EventOutcome.APPLIED if changed else EventOutcome.UNCHANGED


# --------------------------------------------------------------------------- use cases


class ConfirmPayment:
    """The success page: ask the provider whether the session is paid; if so, PAID (once)."""

    def __init__(
        self, uow: PaymentsUowFactory, reader: PaymentsUowFactory, gateway: PaymentGateway, clock: Clock
    ) -> None:
        self._uow, self._reader, self._gateway, self._clock = uow, reader, gateway, clock

    async def __call__(self, *, session_id: str) -> Payment:
        async with self._reader() as uow:
            payment = await uow.payments.get_by_session(session_id)
        if payment is None:
            raise NotFound("checkout session")
        if payment.status is PaymentStatus.PAID:
            return payment  # already settled (a webhook came first): no need to ask
        state = await self._gateway.fetch_checkout(session_id)
        if state is None or not state.paid:
            raise PaymentNotCompleted("The checkout session has not been paid (yet).")
        async with self._uow() as uow:
            payment = await uow.payments.get_by_session(session_id, for_update=True)
            if payment is None:
                raise NotFound("checkout session")
            await settle(uow, payment, self._clock.now())
            await uow.commit()
        return payment


class ApplyPaymentEvent:
    """The provider's webhook: verify, record the event id once, apply it."""

    def __init__(self, uow: PaymentsUowFactory, gateway: PaymentGateway, clock: Clock) -> None:
        self._uow, self._gateway, self._clock = uow, gateway, clock

    async def __call__(self, *, payload: bytes, signature: str | None) -> tuple[PaymentEvent, EventOutcome]:
        event = self._gateway.parse_webhook(payload, signature)
        async with self._uow() as uow:
            outcome = await apply_event(uow, event, self._clock.now())
            if outcome is not EventOutcome.DUPLICATE:
                await uow.commit()
        return event, outcome


class RenewPayment:
    """An EXPIRED payment of the caller gets a new checkout session and is PENDING again."""

    def __init__(self, uow: PaymentsUowFactory, gateway: PaymentGateway) -> None:
        self._uow, self._gateway = uow, gateway

    async def __call__(self, *, viewer: Principal, payment_id: PaymentId) -> Payment:
        async with self._uow() as uow:
            payment = await uow.payments.get_for_update(payment_id)
            if payment is None or not visible_to(viewer, payment.user_id):
                raise NotFound("payment", payment_id)
            if payment.user_id != viewer.user_id:
                raise Forbidden("Only the payer renews a payment.")
            payment.ensure_renewable()
            session = await self._gateway.open_checkout(payment, idempotency_key=checkout_key(payment))
            payment.renew(session)
            await uow.payments.save(payment)
            await uow.commit()
        return payment


class ExpirePayments:
    """The job: PENDING payments whose session has expired become EXPIRED."""

    def __init__(self, uow: PaymentsUowFactory, clock: Clock) -> None:
        self._uow, self._clock = uow, clock

    async def __call__(self) -> int:
        async with self._uow() as uow:
            expired = await uow.payments.expire_lapsed(self._clock.now())
            await uow.commit()
        return expired


class BuyPremium:
    """A PREMIUM payment with its checkout; once paid the user is premium."""

    SCOPE = "premium"

    def __init__(self, uow: PaymentsUowFactory, gateway: PaymentGateway, price: Money, clock: Clock) -> None:
        self._uow, self._gateway, self._price, self._clock = uow, gateway, price, clock

    async def __call__(self, *, user_id: UserId, idempotency_key: str | None = None) -> Payment:
        now = self._clock.now()
        request = idempotent(self.SCOPE, idempotency_key)
        async with self._uow() as uow:
            replay = await claim_or_replay(uow, user_id, request, now)
            if replay is not None:
                earlier = await uow.payments.get(PaymentId(replay))
                if earlier is None:
                    raise NotFound("payment", replay)
                return earlier
            is_premium = await uow.memberships.lock(user_id)
            if is_premium is None:
                raise NotFound("user", user_id)
            if is_premium:
                raise AlreadyPremium
            if (open_ := await uow.payments.open_premium(user_id)) is not None:
                raise PremiumCheckoutOpen(f"Pay or let payment {open_.id} expire first.", payment_id=open_.id)
            payment = await uow.payments.add(
                Payment.open(user_id=user_id, type=PaymentType.PREMIUM, amount=self._price, now=now)
            )
            if payment.needs_checkout:
                key = checkout_key(payment, idempotency_key)
                payment.attach(await self._gateway.open_checkout(payment, idempotency_key=key))
                await uow.payments.save(payment)
            elif payment.status is PaymentStatus.PAID:  # a free membership
                await uow.memberships.grant_premium(user_id)
            if request is not None:
                await uow.idempotency_keys.complete(user_id, request, payment.pid)
            await uow.commit()
        return payment


class ListPayments:
    """Own payments; admins see everyone's and may filter by ``user_id``."""

    def __init__(self, uow: PaymentsUowFactory) -> None:
        self._uow = uow

    async def __call__(self, *, viewer: Principal, filters: PaymentFilter, page: PageRequest) -> Page[Payment]:
        if not viewer.is_admin:
            if filters.user_id not in (None, viewer.user_id):
                raise Forbidden("Only admins may list other users' payments.")
            filters = PaymentFilter(
                user_id=viewer.user_id, status=filters.status, type=filters.type, borrowing_id=filters.borrowing_id
            )
        async with self._uow() as uow:
            return await uow.payments.list(filters, page)


class GetPayment:
    def __init__(self, uow: PaymentsUowFactory) -> None:
        self._uow = uow

    async def __call__(self, *, viewer: Principal, payment_id: PaymentId) -> Payment:
        async with self._uow() as uow:
            payment = await uow.payments.get(payment_id)
        if payment is None or not visible_to(viewer, payment.user_id):
            raise NotFound("payment", payment_id)
        return payment


# --------------------------------------------------------------------------- the sandbox's checkout page


@dataclass(frozen=True, slots=True)
class SandboxCheckout:
    payment: Payment
    expired: bool
    success_url: str
    cancel_url: str


class ShowSandboxCheckout:
    """What the sandbox's checkout page shows (404 unless the sandbox is the provider)."""

    def __init__(self, uow: PaymentsUowFactory, simulator: CheckoutSimulator | None, clock: Clock) -> None:
        self._uow, self._simulator, self._clock = uow, simulator, clock

    async def __call__(self, *, session_id: str) -> SandboxCheckout:
        if self._simulator is None:
            raise NotFound("checkout session")
        async with self._uow() as uow:
            payment = await uow.payments.get_by_session(session_id)
        if payment is None or payment.session is None:
            raise NotFound("checkout session")
        expired = payment.status is PaymentStatus.EXPIRED or (
            payment.status is PaymentStatus.PENDING and payment.session.expires_at <= self._clock.now()
        )
        return SandboxCheckout(
            payment=payment,
            expired=expired,
            success_url=self._simulator.success_url(session_id),
            cancel_url=self._simulator.cancel_url(session_id),
        )


class PaySandboxCheckout:
    """The sandbox page's "Pay": what the provider does when a checkout is paid (it sends
    ``checkout.session.completed``), applied through the same path as the webhook.
    Returns the success URL to send the payer to."""

    def __init__(self, uow: PaymentsUowFactory, simulator: CheckoutSimulator | None, clock: Clock) -> None:
        self._uow, self._simulator, self._clock = uow, simulator, clock

    async def __call__(self, *, session_id: str) -> str:
        if self._simulator is None:
            raise NotFound("checkout session")
        now = self._clock.now()
        async with self._uow() as uow:
            payment = await uow.payments.get_by_session(session_id, for_update=True)
            if payment is None or payment.session is None:
                raise NotFound("checkout session")
            if payment.status is not PaymentStatus.PAID and (
                payment.status is PaymentStatus.EXPIRED or payment.session.expires_at <= now
            ):
                raise CheckoutExpired("Renew the payment to get a new checkout session.")
            await apply_event(uow, self._simulator.completion(session_id, now=now), now)
            await uow.commit()
        return self._simulator.success_url(session_id)
