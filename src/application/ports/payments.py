"""Ports of payments: the payment provider (Stripe or the sandbox) and the payment records."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from application.errors import ApplicationError, ServiceUnavailable, UpstreamFailed
from application.ports.outbox import Outbox
from application.ports.uow import UnitOfWork
from application.results import Page, PageRequest
from domain.payments import CheckoutSession, Payment, PaymentId, PaymentStatus, PaymentType
from domain.shared import UserId

# --------------------------------------------------------------------------- errors


class PaymentProviderUnavailable(ServiceUnavailable):
    """The provider could not be reached or did not answer in time (nothing was charged)."""

    code = "payment-provider-unavailable"
    title = "The payment provider is unavailable"


class PaymentRejected(UpstreamFailed):
    """The provider answered with an error (its own failure, or it refused the request)."""

    code = "payment-provider-error"
    title = "The payment provider answered with an error"


class InvalidWebhook(ApplicationError):
    """A webhook whose signature is missing or wrong, or whose body is not an event (400)."""

    code = "invalid-webhook"
    title = "The webhook could not be verified"


# --------------------------------------------------------------------------- the provider


@dataclass(frozen=True, slots=True)
class CheckoutState:
    """What the provider says about a checkout session now."""

    session_id: str
    paid: bool
    expired: bool
    payment_id: PaymentId | None = None  # from the session's metadata


class PaymentEventKind(StrEnum):
    COMPLETED = "completed"  # the session was paid
    EXPIRED = "expired"  # the session lapsed unpaid
    OTHER = "other"  # anything else: recorded and ignored


@dataclass(frozen=True, slots=True)
class PaymentEvent:
    """A verified notification from the provider (a Stripe webhook event)."""

    id: str
    type: str  # the provider's name for it, e.g. "checkout.session.completed"
    kind: PaymentEventKind
    session_id: str | None = None
    payment_id: PaymentId | None = None
    paid: bool = False


class PaymentGateway(Protocol):
    async def open_checkout(self, payment: Payment, *, idempotency_key: str) -> CheckoutSession:
        """Open a hosted checkout for ``payment`` (saved, so it has an id).

        Raises ``PaymentProviderUnavailable`` (unreachable, timed out) or ``PaymentRejected``
        (an error answer). The key makes the provider's own retries of this call safe."""
        ...

    async def fetch_checkout(self, session_id: str) -> CheckoutState | None:
        """The session's state now, or ``None`` if the provider does not know it."""
        ...

    def parse_webhook(self, payload: bytes, signature: str | None) -> PaymentEvent:
        """Verify and decode a webhook delivery; raise ``InvalidWebhook`` otherwise."""
        ...


class CheckoutSimulator(Protocol):
    """The sandbox's stand-in for the provider's hosted page (only without a real provider)."""

    def completion(self, session_id: str, *, now: datetime) -> PaymentEvent:
        """The event the provider would send once the session is paid."""
        ...

    def success_url(self, session_id: str) -> str: ...

    def cancel_url(self, session_id: str) -> str: ...


# --------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class PaymentFilter:
    user_id: UserId | None = None
    status: PaymentStatus | None = None
    type: PaymentType | None = None
    borrowing_id: int | None = None


class PaymentRepository(Protocol):
    async def add(self, payment: Payment) -> Payment:
        """Insert; sets and returns the payment with its id."""
        ...

    async def save(self, payment: Payment) -> None:
        """Write back status, session and paid_at."""
        ...

    async def get(self, payment_id: PaymentId) -> Payment | None: ...

    async def get_for_update(self, payment_id: PaymentId) -> Payment | None: ...

    async def get_by_session(self, session_id: str, *, for_update: bool = False) -> Payment | None: ...

    async def has_debts(self, user_id: UserId) -> bool:
        """Whether the user has an unsettled fee or fine (``Payment.is_debt``)."""
        ...

    async def open_premium(self, user_id: UserId) -> Payment | None:
        """The user's pending PREMIUM payment, if any."""
        ...

    async def of_borrowings(self, borrowing_ids: Sequence[int]) -> dict[int, list[Payment]]:
        """The payments of several borrowings, in one query."""
        ...

    async def list(self, filters: PaymentFilter, page: PageRequest) -> Page[Payment]: ...

    async def expire_lapsed(self, now: datetime) -> int:
        """PENDING payments whose session expired at or before ``now`` become EXPIRED
        (one conditional update: safe to run anywhere at once). Returns how many."""
        ...


class PaymentEventLog(Protocol):
    async def record(self, event: PaymentEvent, *, now: datetime) -> bool:
        """Remember the event; ``False`` if it was already recorded (a duplicate delivery).
        A concurrent delivery of the same event waits for the first and then gets ``False``."""
        ...


class Memberships(Protocol):
    async def lock(self, user_id: UserId) -> bool | None:
        """Lock the user's row; return whether they are premium (``None``: no such user)."""
        ...

    async def grant_premium(self, user_id: UserId) -> None: ...


# --------------------------------------------------------------------------- idempotency keys


@dataclass(frozen=True, slots=True)
class IdempotentRequest:
    """A write that charges money, as identified by the client's ``Idempotency-Key``."""

    scope: str  # which operation, e.g. "borrow"
    key: str
    fingerprint: str  # a digest of the request's content


@dataclass(frozen=True, slots=True)
class StoredOutcome:
    fingerprint: str
    resource_id: int | None


class IdempotencyKeys(Protocol):
    async def claim(self, user_id: UserId, request: IdempotentRequest, *, now: datetime) -> StoredOutcome | None:
        """Claim the key in this transaction: ``None`` when it is new (go ahead), else what the
        first request with this key stored. A concurrent claim of the same key waits until the
        first transaction ends: it then sees the committed outcome, or claims the key itself
        if the first one rolled back."""
        ...

    async def complete(self, user_id: UserId, request: IdempotentRequest, resource_id: int) -> None: ...


class PaymentsUnitOfWork(UnitOfWork, Protocol):
    payments: PaymentRepository
    payment_events: PaymentEventLog
    memberships: Memberships
    idempotency_keys: IdempotencyKeys
    outbox: Outbox
